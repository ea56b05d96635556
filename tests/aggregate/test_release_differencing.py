"""Differencing two releases of overlapping populations, with and without the release ledger.

The wall protects one release. Two releases of populations that differ by one conversation can be subtracted:
when a 14-conversation task reaches 15, the withheld total drops by exactly the count the first release hid. These
tests mount that attack (and its pattern-level and reverse variants), show that it works on the bare wall, and
that it fails through :class:`harness.aggregate.ReleaseLedger`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.aggregate import (
    Aggregate,
    CellSet,
    PrivacyPolicy,
    ReleaseLedger,
    ReleaseRefused,
    aggregate_facts,
    analyze_aggregate,
    default_ledger_path,
    write_analysis,
)
from harness.errors import InputError

# tag → (statement_key or None for non-occupational, pattern, conversations, accounts, skill)
TASK_ATTACK = {
    "a-dir": ("big a.", "directive", 60, 10, "Writing"),
    "a-lrn": ("big a.", "learning", 40, 8, "Writing"),
    "b": ("big b.", "directive", 60, 8, "Programming"),
    "c": ("mid c.", "validation", 40, 8, "Programming"),
    "s1": ("small s1.", "learning", 14, 6, "Programming"),  # the hidden cell: 14 conversations, 6 accounts
    "none": (None, "none", 23, 6, "Programming"),
}
# Task "big a." has a 14-conversation pattern cell (feedback_loop) next to two more small ones.
PATTERN_ATTACK = {
    "a-dir": ("big a.", "directive", 40, 10, "Writing"),
    "a-lrn": ("big a.", "learning", 26, 8, "Writing"),
    "a-fb": ("big a.", "feedback_loop", 14, 6, "Writing"),  # the hidden cell
    "a-val": ("big a.", "validation", 10, 6, "Writing"),
    "a-it": ("big a.", "task_iteration", 10, 6, "Writing"),
    "b": ("big b.", "directive", 60, 8, "Programming"),
    "none": (None, "none", 20, 6, "Programming"),
}


def population(spec: dict, **counts: int) -> pd.DataFrame:
    """A fact table with stable ids: ``<tag>-<i>``, so changing one count adds or drops only those conversations."""
    rows = []
    for tag, (key, pattern, n, accounts, skill) in spec.items():
        for i in range(counts.get(tag.replace("-", "_"), n)):
            rows.append({"conversation_id": f"{tag}-{i}", "account_id": f"{tag}-u{i % accounts}",
                         "occupational": key is not None, "statement_key": key, "pattern": pattern,
                         "skills": [skill]})
    return pd.DataFrame(rows)


def withheld_of_task(agg: Aggregate, key: str) -> int:
    wide = agg.patterns_by_task.table
    return int(wide.loc[wide["statement_key"] == key, "withheld"].iloc[0])


def published(agg: Aggregate, links: pd.DataFrame) -> dict:
    """Everything a release publishes about an aggregate: every table and the summary."""
    analysis = analyze_aggregate(agg, links)
    return {"summary": analysis.summary,
            **{name: t.to_json_dict() for name, t in analysis.tables.items()}}


# --- the attack works on the bare wall ---------------------------------------------------------------------------

def test_attack_recovers_the_hidden_task_count_without_the_ledger(links) -> None:
    first = aggregate_facts(population(TASK_ATTACK), links)
    second = aggregate_facts(population(TASK_ATTACK, s1=15), links)  # one more conversation on the hidden task
    # each release alone is walled: the hidden task is not reported in the first
    assert "small s1." not in set(first.tasks.table["statement_key"])
    assert (first.withheld_conversations, second.withheld_conversations) == (37, 23)
    assert first.withheld_conversations - second.withheld_conversations == 14 == TASK_ATTACK["s1"][2]


def test_attack_recovers_a_hidden_pattern_cell_without_the_ledger(links) -> None:
    first = aggregate_facts(population(PATTERN_ATTACK), links)
    second = aggregate_facts(population(PATTERN_ATTACK, a_fb=15), links)
    assert "feedback_loop" not in _reported_patterns(first, "big a.")
    assert withheld_of_task(first, "big a.") - withheld_of_task(second, "big a.") == 14


def test_reverse_attack_recovers_a_cell_that_fell_below_the_wall_without_the_ledger(links) -> None:
    first = aggregate_facts(population(TASK_ATTACK, s1=15), links)
    second = aggregate_facts(population(TASK_ATTACK), links)  # the same people minus one conversation
    assert second.withheld_conversations - first.withheld_conversations == 14


def _reported_patterns(agg: Aggregate, key: str) -> set[str]:
    wide = agg.patterns_by_task.table
    row = wide.loc[wide["statement_key"] == key].iloc[0]
    return {p for p in wide.columns if p not in ("statement_key", "withheld") and row[p] > 0}


# --- the ledger defeats it ---------------------------------------------------------------------------------------

def test_ledger_keeps_the_hidden_task_withheld(tmp_path: Path, links) -> None:
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    first = ledger.release(population(TASK_ATTACK), links)
    second = ledger.release(population(TASK_ATTACK, s1=15), links)
    assert second.related == (first.entry.release_id,)
    assert second.carried_over == CellSet.of(tasks=["small s1."])
    assert "small s1." not in set(second.aggregate.tasks.table["statement_key"])
    w1, w2 = first.aggregate.withheld_conversations, second.aggregate.withheld_conversations
    assert (w1, w2) == (37, 38)
    assert w1 - w2 == -1 != 14  # the attack now only sees that the added conversation went into withheld mass


def test_pair_of_releases_does_not_depend_on_the_hidden_count(tmp_path: Path, links) -> None:
    """With the ledger, both releases come out the same whatever the hidden task held (the rest of the withheld mass
    makes up the difference), so no combination of the two can reveal it; on the bare wall, 14 stands out."""
    guarded, bare = {}, {}
    for hidden in (6, 10, 13, 14):
        base = population(TASK_ATTACK, s1=hidden, none=37 - hidden)
        grown = population(TASK_ATTACK, s1=hidden + 1, none=37 - hidden)
        ledger = ReleaseLedger(tmp_path / f"ledger-{hidden}.json")
        guarded[hidden] = [published(ledger.release(f, links).aggregate, links) for f in (base, grown)]
        bare[hidden] = [published(aggregate_facts(f, links), links) for f in (base, grown)]
    assert all(pair == guarded[6] for pair in guarded.values())
    assert [h for h, pair in bare.items() if pair != bare[6]] == [14]


def test_ledger_keeps_the_hidden_pattern_cell_withheld(tmp_path: Path, links) -> None:
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    first = ledger.release(population(PATTERN_ATTACK), links)
    second = ledger.release(population(PATTERN_ATTACK, a_fb=15), links)
    assert second.carried_over == CellSet.of(patterns=[("big a.", "feedback_loop")])
    assert _reported_patterns(second.aggregate, "big a.") == {"directive", "learning"}
    diff = withheld_of_task(first.aggregate, "big a.") - withheld_of_task(second.aggregate, "big a.")
    assert diff == -1 != 14


def test_ledger_keeps_a_hidden_skill_withheld(tmp_path: Path, links) -> None:
    """A skill at 14 conversations that reaches 15: reported, it would give its earlier count away."""
    spec = {**TASK_ATTACK, "a-ed": ("big a.", "directive", 14, 6, "Editing")}
    bare = [aggregate_facts(population(spec, a_ed=n), links).skills.table for n in (14, 15)]
    assert "Editing" not in set(bare[0]["skill"])
    assert int(bare[1].set_index("skill").loc["Editing", "conversations"]) - 1 == 14  # the attack, bare wall
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    guarded = [ledger.release(population(spec, a_ed=n), links) for n in (14, 15)]
    assert "Editing" not in set(guarded[1].aggregate.skills.table["skill"])
    # Programming too: the first release withheld it by secondary suppression, to hide Editing's 14
    assert guarded[1].carried_over == CellSet.of(skills=["Editing", "Programming"])


def test_ledger_refuses_a_release_that_withholds_a_cell_reported_before(tmp_path: Path, links) -> None:
    path = tmp_path / "ledger.json"
    ledger = ReleaseLedger(path)
    ledger.release(population(TASK_ATTACK, s1=15), links)
    before = path.read_bytes()
    with pytest.raises(ReleaseRefused, match="small s1") as info:
        ledger.release(population(TASK_ATTACK), links)
    assert isinstance(info.value, InputError) and info.value.path == path
    assert path.read_bytes() == before  # a refused release is not recorded
    assert len(ledger.entries()) == 1


def test_populations_without_a_shared_conversation_are_independent(tmp_path: Path, links) -> None:
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    ledger.release(population(TASK_ATTACK), links)
    other = population(TASK_ATTACK, s1=15)
    other["conversation_id"] = "other-" + other["conversation_id"]
    released = ledger.release(other, links)
    assert released.related == () and not released.carried_over
    assert "small s1." in set(released.aggregate.tasks.table["statement_key"])
    # ... and releasing the first population again after it changes nothing for that population
    again = ledger.release(population(TASK_ATTACK), links)
    assert not again.recorded and again.aggregate.withheld_conversations == 37
    assert len(ledger.entries()) == 2


def test_raising_the_policy_cannot_undo_secondary_suppression(tmp_path: Path, links) -> None:
    """Same population, two policies: the cell moved into the residual by secondary suppression stays there."""
    spec = {"a": ("big a.", "directive", 100, 12, "Writing"), "c": ("mid c.", "learning", 40, 8, "Writing"),
            "s1": ("small s1.", "learning", 10, 3, "Writing")}
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    first = ledger.release(population(spec), links)
    assert first.aggregate.withheld_conversations == 50  # s1 alone would be its own residual, so c joins it
    second = ledger.release(population(spec), links, policy=PrivacyPolicy(45, 5))
    bare = aggregate_facts(population(spec), links, policy=PrivacyPolicy(45, 5))
    assert bare.withheld_conversations == 50  # (here the bare wall agrees; the ledger must not do worse)
    assert second.aggregate.withheld_conversations == 50
    assert set(second.aggregate.tasks.table["statement_key"]) == {"big a."}


# --- outputs and the ledger file ---------------------------------------------------------------------------------

def test_released_outputs_pass_the_privacy_scan(tmp_path: Path, links) -> None:
    ledger = ReleaseLedger(tmp_path / "private" / "ledger.json")
    (tmp_path / "private").mkdir()
    for n, stem in ((14, "first"), (15, "second")):
        released = ledger.release(population(TASK_ATTACK, s1=n), links)
        out = write_analysis(analyze_aggregate(released.aggregate, links), tmp_path / stem)
        texts = {p.name: p.read_text() for p in out.rglob("*") if p.suffix in (".csv", ".json")}
        assert "small s1." not in "".join(texts.values())
        tasks = json.loads(texts["tasks.json"])["rows"]
        assert tasks and all(r["conversations"] >= 15 and r["accounts"] >= 5 for r in tasks)
        wide = json.loads(texts["patterns_by_task.json"])["rows"]
        cells = [r[p] for r in wide for p in ("directive", "learning", "validation", "feedback_loop")]
        assert all(c == 0 or c >= 15 for c in cells)
        assert json.loads(texts["summary.json"])["not_classified_or_below_threshold"] == 37 + (n - 14)
        assert not any((tmp_path / stem).rglob("ledger*"))


def test_ledger_file_is_checked(tmp_path: Path, links) -> None:
    path = tmp_path / "ledger.json"
    ReleaseLedger(path).release(population(TASK_ATTACK), links)
    data = json.loads(path.read_text())
    assert data["releases"][0]["withheld"]["tasks"] == ["small s1."]
    broken = {**data, "releases": [{**data["releases"][0], "population": "not base64!"}]}
    path.write_text(json.dumps(broken))
    with pytest.raises(InputError, match="malformed") as info:
        ReleaseLedger(path).release(population(TASK_ATTACK), links)
    assert info.value.field == "releases[0]"
    path.write_text(json.dumps({**data, "version": 99}))
    with pytest.raises(InputError, match="version"):
        ReleaseLedger(path).entries()
    path.write_text(json.dumps({"releases": []}))
    with pytest.raises(InputError, match="not a release ledger"):
        ReleaseLedger(path).entries()
    with pytest.raises(InputError, match="folder"):
        ReleaseLedger(tmp_path / "missing" / "ledger.json").release(population(TASK_ATTACK), links)


def test_default_ledger_sits_beside_the_run_directory(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text("{}")
    assert default_ledger_path(run) == (tmp_path / "runs" / "harness-release-ledger.json").resolve()
    assert default_ledger_path(run / "facts.parquet") == default_ledger_path(run)
    assert default_ledger_path(tmp_path / "loose.parquet") == (tmp_path / "harness-release-ledger.json").resolve()


# --- the command line ---------------------------------------------------------------------------------------------

def test_analyze_facts_goes_through_the_ledger(tmp_path: Path, data_dir: Path, mini_onet_dir: Path, capsys) -> None:
    from harness.cli import main
    from harness.taxonomy import load_onet

    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    (data / "economic_index").symlink_to(data_dir / "economic_index")
    keys = {s.split()[0]: s for s in load_onet(release="29.3", data_dir=data).statements["statement_key"]}
    spec = {**{tag: (keys["write"] if v[0] else None, *v[1:]) for tag, v in TASK_ATTACK.items() if tag != "s1"},
            "s1": (keys["file"], "learning", 14, 6, "Programming")}
    for n in (14, 15):
        population(spec, s1=n).to_parquet(tmp_path / f"facts-{n}.parquet")

    def analyze(n: int, *extra: str) -> tuple[int, str]:
        rc = main(["--data-dir", str(data), "analyze", "--facts", str(tmp_path / f"facts-{n}.parquet"),
                   "--onet-release", "29.3", "--out", str(tmp_path / f"out-{n}"), *extra])
        return rc, capsys.readouterr().err

    assert analyze(14)[0] == 0
    rc, err = analyze(15)
    assert rc == 0 and "stay withheld" in err
    first, second = (json.loads((tmp_path / f"out-{n}" / "summary.json").read_text()) for n in (14, 15))
    assert (first["not_classified_or_below_threshold"], second["not_classified_or_below_threshold"]) == (37, 38)
    assert second["release_ledger"]["related_releases"] == [first["release_ledger"]["release_id"]]
    assert (tmp_path / "harness-release-ledger.json").is_file()  # default: beside a loose facts file
    rc, err = analyze(15)
    assert rc == 0 and err.strip().endswith("(already recorded)")
    # another ledger that saw the task reported refuses to withhold it: one line, exit 1, nothing written
    assert analyze(15, "--ledger", str(tmp_path / "other.json"))[0] == 0
    (tmp_path / "out-14").rename(tmp_path / "kept")
    rc, err = analyze(14, "--ledger", str(tmp_path / "other.json"))
    assert rc == 1 and "release refused" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out-14").exists()
    # bad usage: a ledger inside the published output, or a ledger for published data
    assert analyze(14, "--ledger", str(tmp_path / "out-14" / "ledger.json"))[0] == 2
    assert main(["analyze", "--release", "2025_02_10", "--ledger", "x.json", "--out", str(tmp_path / "r")]) == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "--ledger FILE" in capsys.readouterr().out
