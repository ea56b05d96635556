"""Privacy: no generated file carries conversation text, even though the inputs plant some.

The run directories reference real goldset conversations; conversation text is planted in an extra items.parquet
column and in free-text fields of manifest.json and metrics.json. Every file the report writes (HTML, Markdown,
CSV, and the PNGs' bytes) is scanned for any 8-word span of any of those conversations.
"""

from __future__ import annotations

import html
import json

import pandas as pd
from conftest import conversation_spans, conversation_texts, leaked_spans


def _text_of(path) -> str:
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="ignore") if path.suffix != ".png" else raw.decode("latin-1")
    return html.unescape(text) if path.suffix == ".html" else text


def test_detector_finds_planted_text(run_pair, gold_items):
    """The scan is able to fail: it finds the text planted in the inputs."""
    spans = conversation_spans(conversation_texts(gold_items))
    assert len(spans) > 1000
    candidate, _ = run_pair
    items = pd.read_parquet(candidate.path / "items.parquet")
    assert leaked_spans(" ".join(items["first_user_message"].dropna()), spans)
    assert leaked_spans(json.loads((candidate.path / "metrics.json").read_text())["run"]["comment"], spans)
    assert leaked_spans(json.loads((candidate.path / "manifest.json").read_text())["classifier"]["notes"], spans)


def test_no_conversation_text_in_any_output(full_report, gold_items):
    spans = conversation_spans(conversation_texts(gold_items))
    files = [p for p in full_report.out_dir.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".html", ".md", ".csv", ".png"}
    assert len(files) == 2 + len(full_report.report.tables) + len(full_report.report.figures)
    leaks = {str(p.relative_to(full_report.out_dir)): leaked_spans(_text_of(p), spans)[:2] for p in files}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_no_item_ids_or_per_item_rows(full_report, run_pair):
    """Only aggregates: the report lists no goldset item ids (so it cannot be joined back to items)."""
    candidate, _ = run_pair
    ids = set(candidate.items["item_id"])
    for path in full_report.out_dir.rglob("*"):
        if path.suffix in (".html", ".md", ".csv"):
            text = path.read_text(encoding="utf-8")
            assert not [i for i in ids if i in text], path.name
