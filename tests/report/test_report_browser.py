"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

How: Chromium starts with ``--remote-debugging-port=0``; the test reads the port from its stderr, attaches to the
page over a standard-library WebSocket client (``_cdp.py``), enables the Page/Runtime/Log/Network domains *before*
navigating to the ``file://`` URL (so nothing logged during load is missed), waits for the load event, evaluates a
check in the page, and takes a full-page screenshot (saved in the test's tmp dir). Console errors are the
``Runtime.consoleAPICalled`` (error/assert), ``Runtime.exceptionThrown`` and ``Log.entryAdded`` (level error)
events; requests are the ``Network.requestWillBeSent`` events. Skips when no Chromium binary is installed
(Debian: ``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
import shutil
import struct

import pytest
from _cdp import find_chromium, load_and_check

CHECK_JS = """(() => {
  const images = [...document.images].map(i => ({name: i.dataset.name, width: i.naturalWidth,
      height: i.naturalHeight, complete: i.complete, shown: Math.round(i.getBoundingClientRect().width)}));
  const tables = [...document.querySelectorAll('table[data-name]')].map(t => ({name: t.dataset.name,
      rows: t.tBodies[0].rows.length, cols: t.tHead.rows[0].cells.length}));
  return {title: document.title, ready: document.readyState, images, tables,
          sections: [...document.querySelectorAll('main > section')].map(s => s.id),
          pageWidth: document.documentElement.scrollWidth};
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium binary on PATH (Debian: apt-get install -y chromium); browser check skipped")
    return binary


def test_report_renders_in_chromium(chromium, full_report, tmp_path):
    screenshot = tmp_path / "report.png"
    result, errors, urls = load_and_check(chromium, full_report.html, screenshot, CHECK_JS)
    report = full_report.report

    assert result["ready"] == "complete"
    assert result["title"] == report.title
    assert result["sections"] == [s.id for s in report.sections]
    # Every figure is in the page and decoded by the browser, at the size it was drawn.
    assert [i["name"] for i in result["images"]] == [f.name for f in report.figures]
    for image, figure in zip(result["images"], report.figures, strict=True):
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        png_width, png_height = struct.unpack(">II", figure.png[16:24])
        assert (image["width"], image["height"]) == (png_width, png_height)
        assert 600 <= image["shown"] <= 960, f"{image['name']} is drawn {image['shown']} px wide"
    # Every table is present with its rows (up to the display limit).
    assert [t["name"] for t in result["tables"]] == [t.name for t in report.tables]
    for shown, table in zip(result["tables"], report.tables, strict=True):
        assert shown["rows"] == min(len(table.frame), table.max_rows)
        assert shown["cols"] == len(table.frame.columns)
    assert result["pageWidth"] <= 1280, "the page scrolls sideways at 1280 px"
    assert errors == [], errors
    # Self-contained: the only request is the file itself (images are data: URIs).
    assert [u for u in urls if not u.startswith(("file:", "data:"))] == []

    assert screenshot.stat().st_size > 10_000
    width, height = struct.unpack(">II", screenshot.read_bytes()[16:24])
    assert width == 1280 and height > 3000
    keep = os.environ.get("HARNESS_REPORT_SCREENSHOT_DIR")
    if keep:  # for looking at the page by eye
        shutil.copy(screenshot, os.path.join(keep, "report.png"))


def test_broken_page_is_caught(chromium, tmp_path):
    """The checks can fail: a page with a script error and a broken image is reported as such."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img data-name="missing" src="data:image/png;base64,AAAA">'
                    "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    result, errors, _ = load_and_check(chromium, page, tmp_path / "broken.png", CHECK_JS)
    assert result["images"][0]["width"] == 0
    assert any("boom" in e for e in errors)
    assert any("undefinedFunction" in e or "Uncaught" in e for e in errors)
