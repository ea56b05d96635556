from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.classify import Classification
from harness.cluster import item_names, prevalence
from harness.taxonomy import SOC_MAJOR_GROUPS, Hierarchy, Node, major_group_of


@pytest.fixture(scope="module")
def tiny() -> Hierarchy:
    """Two GWAs, two IWAs, four tasks; task:2 is shared by a developer and a tester, task:4 by two groups."""
    nodes = [
        Node("g1", "top", "Work with computers"),
        Node("g2", "top", "Communicate"),
        Node("i1", "mid", "Program software", parent="g1"),
        Node("i2", "mid", "Write documents", parent="g2"),
        Node("task:1", "base", "Write programs.", "Occupations: Software Developers", "i1",
             meta={"task_ids": [1], "soc_codes": ["15-1252.00"]}),
        Node("task:2", "base", "Review code.",
             "Occupations: Software Developers; Software Quality Assurance Analysts and Testers", "i1",
             meta={"task_ids": [2, 3], "soc_codes": ["15-1252.00", "15-1253.00"]}),
        Node("task:4", "base", "Write reports.", "Occupations: Writers and Authors; Chief Executives; Editors",
             "i2", meta={"task_ids": [4], "soc_codes": ["27-3043.00", "11-1011.00", "27-3041.00"]}),
        Node("task:5", "base", "File papers.", "", "i2", meta={"task_ids": [5]}),
    ]
    return Hierarchy(("top", "mid", "base"), nodes, name="tiny")


def _c(i: int, base: str | None, *, valid: bool = True) -> Classification:
    parents = {"task:1": ("g1", "i1"), "task:2": ("g1", "i1"), "task:4": ("g2", "i2"), "task:5": ("g2", "i2")}
    path = () if base is None else (*parents[base], base)
    return Classification(f"c{i}", "a", True, path=path, valid=valid)


def test_task_level_counts_each_conversation_once(tiny):
    results = [_c(0, "task:1"), _c(1, "task:1"), _c(2, "task:2"), _c(3, "task:4")]
    shares = prevalence(results, tiny, level="task")
    assert shares.to_dict() == {"task:1": 0.5, "task:2": 0.25, "task:4": 0.25}
    assert shares.name == "task"


def test_occupation_level_splits_a_shared_task_evenly(tiny):
    shares = prevalence([_c(0, "task:2")], tiny, level="occupation")
    assert shares.to_dict() == {"15-1252.00": 0.5, "15-1253.00": 0.5}
    shares = prevalence([_c(0, "task:1"), _c(1, "task:2")], tiny, level="occupation")
    # task:1 gives its developer 1; task:2 gives 1/2 to the developer and 1/2 to the tester; total 2.
    assert shares["15-1252.00"] == pytest.approx(0.75)
    assert shares["15-1253.00"] == pytest.approx(0.25)


def test_category_level_sums_occupations_of_a_major_group(tiny):
    shares = prevalence([_c(0, "task:4"), _c(1, "task:1")], tiny, level="category")
    # task:4: 1/3 to each of 27, 11, 27 → 27 gets 2/3, 11 gets 1/3; task:1: 1 to 15. Total 2.
    assert shares.to_dict() == pytest.approx({"11": 1 / 6, "15": 0.5, "27": 1 / 3})


def test_weights_invalid_and_empty(tiny):
    results = [_c(0, "task:1"), _c(1, "task:2"), _c(2, None), _c(3, "task:4", valid=False)]
    shares = prevalence(results, tiny, level="task", weights=[3, 1, 100, 100])
    assert shares.to_dict() == {"task:1": 0.75, "task:2": 0.25}
    assert prevalence([_c(0, None)], tiny, level="task").empty
    assert prevalence([], tiny, level="category").empty
    assert prevalence([_c(0, "task:1")], tiny, level="task", weights=[0]).empty


def test_facts_table_gives_the_same_shares(tiny):
    results = [_c(0, "task:1"), _c(1, "task:2"), _c(2, "task:2"), _c(3, "task:4", valid=False)]
    facts = pd.DataFrame([r.to_row(tiny.levels) for r in results])
    for level in ("task", "occupation", "category"):
        expected = prevalence(results, tiny, level=level)
        pd.testing.assert_series_equal(prevalence(facts, tiny, level=level), expected)
        # Only a path column (no per-level columns) works too.
        pd.testing.assert_series_equal(prevalence(facts[["path", "valid"]], tiny, level=level), expected)


def test_bad_input_is_rejected(tiny):
    with pytest.raises(ValueError, match="level"):
        prevalence([], tiny, level="industry")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one entry per"):
        prevalence([_c(0, "task:1")], tiny, level="task", weights=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        prevalence([_c(0, "task:1")], tiny, level="task", weights=[-1])
    with pytest.raises(ValueError, match="soc_codes"):
        prevalence([_c(0, "task:5")], tiny, level="occupation")
    with pytest.raises(ValueError, match="not in hierarchy"):
        prevalence([Classification("x", "a", True, path=("g1", "i1", "task:99"))], tiny, level="task")
    with pytest.raises(ValueError, match="column"):
        prevalence(pd.DataFrame({"conversation_id": ["x"]}), tiny, level="task")


def test_item_names(tiny):
    names = item_names(["task:2"], tiny, level="task")
    assert names == {"task:2": "Review code."}
    occ = item_names(["15-1253.00", "27-3041.00", "99-9999.00"], tiny, level="occupation")
    assert occ == {"15-1253.00": "Software Quality Assurance Analysts and Testers", "27-3041.00": "Editors",
                   "99-9999.00": "99-9999.00"}
    given = item_names(["15-1253.00"], tiny, level="occupation", occupation_titles={"15-1253.00": "Testers"})
    assert given == {"15-1253.00": "Testers"}
    assert item_names(["15"], tiny, level="category") == {"15": SOC_MAJOR_GROUPS["15"]}


def test_roll_ups_are_consistent_on_the_real_hierarchy(wa_hierarchy):
    """Random base nodes: occupation shares summed by major group equal the category shares; all sum to 1."""
    base = wa_hierarchy.level_nodes(wa_hierarchy.base)
    rng = np.random.default_rng(7)
    picks = rng.choice(len(base), size=500, replace=True)
    results = [Classification(f"c{i}", "a", True, path=wa_hierarchy.path(base[j].id)) for i, j in enumerate(picks)]
    weights = rng.integers(1, 20, size=len(results))
    task = prevalence(results, wa_hierarchy, level="task", weights=weights)
    occupation = prevalence(results, wa_hierarchy, level="occupation", weights=weights)
    category = prevalence(results, wa_hierarchy, level="category", weights=weights)
    for shares in (task, occupation, category):
        assert shares.sum() == pytest.approx(1.0)
        assert (shares > 0).all()
    by_group = occupation.groupby(occupation.index.map(major_group_of)).sum()
    pd.testing.assert_series_equal(by_group.sort_index(), category, check_names=False, check_index_type=False)
    # A shared statement spreads over all its occupations: each occupation's share is the sum over its tasks.
    manual: dict[str, float] = {}
    for node_id, share in task.items():
        codes = wa_hierarchy[node_id].meta["soc_codes"]
        for code in codes:
            manual[code] = manual.get(code, 0.0) + share / len(codes)
    assert occupation.to_dict() == pytest.approx(manual)
    assert set(category.index) <= set(SOC_MAJOR_GROUPS)
