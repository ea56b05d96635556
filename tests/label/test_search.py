"""Task search: what it finds, its filters, browsing, and a generous latency bound on the real O*NET 29.3."""

from __future__ import annotations

import statistics
import time
import zipfile

import pytest

from harness.label import TaskIndex, read_alternate_titles


def test_mini_search_uses_statements_titles_and_alternate_titles(mini_index) -> None:
    assert [h.task_id for h in mini_index.search("debug programs")][:1] == [101]
    # "Copywriter" is only an alternate title of Writers and Authors: its tasks are found through it
    assert {h.soc_code for h in mini_index.search("copywriter")} == {"27-3043.00"}
    # the last word is also a prefix (people search while typing)
    assert 301 in [h.task_id for h in mini_index.search("correspond")]
    assert mini_index.search("zzzz nothing") == []
    assert mini_index.search("   ") == []  # no words and no occupation: nothing to list


def test_mini_filters(mini_index) -> None:
    review = mini_index.search("review code")
    assert {h.task_id for h in review} >= {102, 103}
    assert {h.task_id for h in mini_index.search("review code", occupation="15-1253.00")} == {103}
    assert all(h.major_group == "27" for h in mini_index.search("write", major_group="27"))
    assert [h.task_id for h in mini_index.search("", occupation="27-3043.00")] == [201, 202]
    with pytest.raises(ValueError, match="major group"):
        mini_index.search("x", major_group="99")
    with pytest.raises(ValueError, match="O\\*NET-SOC"):
        mini_index.search("x", occupation="00-0000.00")


def test_query_syntax_is_never_fts_syntax(mini_index) -> None:
    for query in ['"', "NEAR(", "a OR", "*", "col:x", "'; DROP TABLE task_fts; --", "^", "AND AND"]:
        mini_index.search(query)  # must not raise


def test_mini_browse_is_gwa_iwa_task(mini_index, mini_release) -> None:
    gwas = mini_index.gwas()
    assert {g["id"] for g in gwas} == set(mini_release.gwas["gwa_id"])
    for gwa in gwas:
        iwas = mini_index.iwas(gwa["id"])
        assert len(iwas) == gwa["n_children"]
        for iwa in iwas:
            tasks = mini_index.iwa_tasks(iwa["id"])
            assert len(tasks) == iwa["n_children"]
            linked = set(mini_release.task_dwas.loc[mini_release.task_dwas["iwa_id"] == iwa["id"], "task_id"])
            assert {t.task_id for t in tasks} == linked


def test_alternate_titles_from_the_zip(mini_data, tmp_path) -> None:
    folder = mini_data / "onet" / "db_29_3_text"
    archive = tmp_path / "db_29_3_text.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "Alternate Titles.txt", "db_29_3_text/Alternate Titles.txt")
    assert read_alternate_titles(archive) == read_alternate_titles(folder)
    assert read_alternate_titles(folder)["15-1252.00"] == ["Python Developer"]
    assert read_alternate_titles(tmp_path) == {}


QUERIES = ["debug python code", "write marketing copy", "nurse medication", "web developer", "sql database query",
           "prepare lesson plans", "teach", "tax return", "translate documents", "legal contract review",
           "design a logo", "financial forecast spreadsheet", "customer complaint email", "data analysis",
           "machine learning model", "recipe", "schedule meetings", "write a novel", "car repair", "s"]


@pytest.mark.real_data
def test_real_release_search_is_quick_and_sensible(onet_release) -> None:
    index = TaskIndex(onet_release)
    assert len(index.task_ids) == len(onet_release.tasks)
    top = index.search("web developer", limit=5)
    assert top and all(h.occupation == "Web Developers" for h in top[:2])
    assert any("lesson plan" in h.statement.lower() for h in index.search("prepare lesson plans", limit=5))
    assert all(h.major_group == "15" for h in index.search("code", major_group="15"))
    gwa = index.gwas()[0]["id"]
    iwa = index.iwas(gwa)[0]["id"]
    assert index.iwa_tasks(iwa)
    timings = []
    for _ in range(3):
        for query in QUERIES:
            started = time.perf_counter()
            index.search(query, limit=20)
            timings.append(time.perf_counter() - started)
    # The target is < 100 ms (scripts/bench_label_search.py reports p50/p95); this bound is generous on purpose,
    # for a loaded machine, and still fails a search that scans in Python or rebuilds anything per query.
    assert statistics.median(timings) < 0.25, f"median {statistics.median(timings):.3f} s"
