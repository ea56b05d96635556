"""The workbench in a real browser: headless Chromium driven over the DevTools protocol, keyboard only.

A real ``harness label serve`` process (O*NET 29.3, model suggestions from a replay file) is started; the test
labels three items with key presses alone (one through search, one by browsing GWA → IWA → task, with an undo),
reloads and finds the labels kept, opens a conversation full of markup and checks it stays inert (no dialog, no
console error, no element created from it), checks the token and the path refusals over plain HTTP, then kills the
server with SIGKILL, restarts it and finds every committed label. The DevTools client is the report test's
(``tests/report/_cdp.py``). Skips without Chromium (Debian: ``apt-get install -y chromium``) or the reference data.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import struct
import sys
import time
import warnings
from pathlib import Path

import pytest

from ._support import ROOT, Server, write_items


def _report_cdp():
    """The report test's DevTools client, loaded from its file (``tests`` is not an importable package)."""
    spec = importlib.util.spec_from_file_location("harness_test_cdp", ROOT / "tests" / "report" / "_cdp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


_cdp = _report_cdp()
Browser, Page, find_chromium = _cdp.Browser, _cdp.Page, _cdp.find_chromium

KEY_CODES = {"Enter": 13, "Escape": 27, "ArrowDown": 40, "ArrowUp": 38, "Backspace": 8}
SUGGESTIONS = [
    {"conversation_id": "item-c-code", "task_id": 1270, "pattern": "feedback_loop", "occupational": True},
    {"conversation_id": "item-c-xss", "task_id": 1270, "pattern": "learning", "occupational": True},
]


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium binary on PATH (Debian: apt-get install -y chromium); browser test skipped")
    return binary


def press(page: Page, key: str) -> None:
    """One key press as the keyboard sends it (keyDown with its text, then keyUp)."""
    code = KEY_CODES.get(key)
    event = {"key": key, "code": key, "windowsVirtualKeyCode": code} if code else \
        {"key": key, "text": key, "windowsVirtualKeyCode": ord(key.upper())}
    page.call("Input.dispatchKeyEvent", {"type": "keyDown", **event})
    page.call("Input.dispatchKeyEvent", {"type": "keyUp", **{k: v for k, v in event.items() if k != "text"}})


def wait_for(page: Page, expression: str, timeout: float = 15.0):
    """Evaluate ``expression`` until it is truthy and no request is in flight; returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(f"(() => {{ try {{ return document.body.dataset.busy === '0' && ({expression}); }} "
                              "catch (e) { return false; } })()")
        if value not in (None, False, 0, ""):  # a DOM element comes back as {}: found, though falsy in Python
            return value
        time.sleep(0.05)
    shown = page.evaluate("document.body.innerText")[:500]
    raise AssertionError(f"timed out waiting for {expression}; the page shows: {shown}")


def open_page(page: Page, url: str) -> None:
    page.call("Page.navigate", {"url": url})
    wait_for(page, "document.readyState === 'complete' && document.body.dataset.view !== 'loading'")


def state(page: Page) -> str:
    return wait_for(page, "document.getElementById('item') && document.getElementById('item').dataset.state")


def label_with_search(page: Page) -> None:
    press(page, "u")  # the first unlabelled item
    wait_for(page, "location.hash === '#/item/item-c-code' && document.getElementById('suggesthidden')")
    press(page, "y")
    press(page, "/")
    page.call("Input.insertText", {"text": "computer programs software"})
    wait_for(page, "document.querySelectorAll('#hits li').length > 2")
    for key in ("ArrowDown", "ArrowDown", "ArrowUp", "Enter", "Escape", "1", "h"):
        press(page, key)
    wait_for(page, "document.querySelectorAll('#chosen li[data-task]').length === 1")
    press(page, "Enter")
    wait_for(page, "document.getElementById('item').dataset.state === 'committed'")
    # blind mode: the suggestion appears only now
    assert wait_for(page, "document.getElementById('suggestshown') && document.getElementById('suggestshown')"
                          ".innerText.includes('#1270')")


def label_by_browsing_with_undo(page: Page) -> None:
    press(page, "n")
    wait_for(page, "location.hash === '#/item/item-c-xss' && document.querySelector('#conversation')")
    # the item page may still be settling when the key arrives on a loaded machine: ask again, a few times at most
    for attempt in range(3):
        press(page, "b")
        try:
            wait_for(page, "document.querySelector('#browse p').innerText.includes('GWA')", timeout=5.0)
            break
        except AssertionError:
            if attempt == 2:
                raise
    press(page, "Enter")
    wait_for(page, "document.querySelector('#browse p').innerText.includes('IWA')")
    press(page, "ArrowDown")
    press(page, "Enter")
    wait_for(page, "document.querySelector('#browse p').innerText.includes('TASK')")
    press(page, "Enter")
    wait_for(page, "document.querySelectorAll('#chosen li[data-task]').length === 1")
    press(page, "Escape")
    for key in ("5", "m"):
        press(page, key)
    wait_for(page, "document.querySelector('#patterns li.on').dataset.pattern === 'validation'")
    press(page, "3")
    wait_for(page, "document.querySelector('#patterns li.on').dataset.pattern === 'task_iteration'")
    press(page, "z")  # undo the last change: back to validation
    wait_for(page, "document.querySelector('#patterns li.on').dataset.pattern === 'validation'")
    press(page, "Enter")
    wait_for(page, "document.getElementById('item').dataset.state === 'committed'")


def label_a_long_turn(page: Page) -> None:
    press(page, "n")
    wait_for(page, "location.hash === '#/item/item-c-long'")
    assert page.evaluate("[...document.querySelectorAll('details.fold')].map(d => d.open)") == [False]
    press(page, "f")
    assert page.evaluate("[...document.querySelectorAll('details.fold')].map(d => d.open)") == [True]
    for key in ("x", "4", "l", "Enter"):
        press(page, key)
    wait_for(page, "document.getElementById('item').dataset.state === 'committed'")


MARKUP_CHECK = """(() => {
  const conv = document.getElementById('conversation');
  return {text: conv.textContent, elements: conv.querySelectorAll('script, img, b, iframe').length,
          scripts: [...document.scripts].map(s => s.getAttribute('src')), title: document.title,
          code: document.querySelectorAll('#conversation pre.code code').length};
})()"""


def check_markup_is_inert(page: Page) -> None:
    open_page(page, page.evaluate("location.href.split('#')[0]") + "#/item/item-c-xss")
    result = wait_for(page, f"document.getElementById('conversation') && {MARKUP_CHECK}")
    assert '<script>alert("x")</script>' in result["text"] and '<img src=x onerror="alert(1)">' in result["text"]
    assert result["elements"] == 0 and result["title"] == "Labelling workbench"
    assert len(result["scripts"]) == 1 and result["scripts"][0].startswith("/static/workbench.js")
    open_page(page, page.evaluate("location.href.split('#')[0]") + "#/item/item-c-code")
    assert wait_for(page, f"document.getElementById('conversation') && {MARKUP_CHECK}")["code"] == 2


def screenshot(page: Page, path: Path) -> None:
    page.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 760, "deviceScaleFactor": 1,
                                                     "mobile": False})
    shot = page.call("Page.captureScreenshot", {"format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))


def check_refusals(server: Server) -> None:
    """Plain HTTP: no token, no entry; nothing outside the application."""
    assert server.request("GET", "/api/queue", token=False)[0] == 403
    assert server.request("GET", "/", token=False)[0] == 403
    assert server.request("GET", "/../../etc/passwd")[0] == 404
    assert server.request("GET", "/static/..%2f..%2fpyproject.toml")[0] == 404


def label_in_browser(browser: Browser, server: Server, shot: Path) -> None:
    page = browser.page()
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.call(f"{domain}.enable")
    open_page(page, server.url)
    assert page.evaluate("document.querySelectorAll('#queue tbody tr').length") == 6
    label_with_search(page)
    label_by_browsing_with_undo(page)
    label_a_long_turn(page)
    page.call("Page.reload")
    assert state(page) == "committed"  # the page reopens on the same item with its label
    press(page, "q")
    wait_for(page, "document.body.dataset.view === 'queue'")
    assert page.evaluate("document.querySelectorAll('#queue tr.status-committed').length") == 3
    press(page, "a")  # the agreement dashboard, and the shortcut help over it
    wait_for(page, "document.body.dataset.view === 'dashboard' && document.querySelectorAll('#facets tbody tr')"
                   ".length === 4")
    press(page, "?")
    assert page.evaluate("!document.getElementById('help').hidden && document.getElementById('help').innerText"
                         ".includes('next unlabelled')")
    press(page, "Escape")
    assert page.evaluate("document.getElementById('help').hidden")
    check_markup_is_inert(page)
    screenshot(page, shot)
    time.sleep(0.2)  # let late console messages arrive
    page.call("Runtime.evaluate", {"expression": "1"})
    errors = page.console_errors()
    dialogs = [e for e in page.events if e["method"] == "Page.javascriptDialogOpening"]
    page.ws.close()
    assert errors == [] and dialogs == []


@pytest.mark.real_data
def test_keyboard_labelling_in_chromium(chromium, data_dir, tmp_path) -> None:
    # Keystrokes can race the page's re-render on a loaded two-core machine; a failure is retried once from scratch
    # (fresh label files and server) so that only a fault that repeats fails the test.
    try:
        _keyboard_labelling(chromium, data_dir, tmp_path / "first")
    except AssertionError as first:
        warnings.warn(f"browser run retried after: {str(first)[:200]}", stacklevel=1)
        _keyboard_labelling(chromium, data_dir, tmp_path / "second")


def _keyboard_labelling(chromium, data_dir, tmp_path) -> None:
    tmp_path.mkdir()
    items = write_items(tmp_path / "queue.jsonl", splits=("test",))
    suggestions = tmp_path / "suggest.jsonl"
    suggestions.write_text("".join(json.dumps(row) + "\n" for row in SUGGESTIONS))
    args = ["--goldset", str(items), "--rater", "alice", "--suggest", f"replay:{suggestions}"]
    shot = tmp_path / "label-item.png"
    server = Server(args, data_dir=data_dir)  # Chromium starts while the server loads O*NET
    try:
        with Browser(chromium) as browser:
            check_refusals(server)
            label_in_browser(browser, server, shot)
        _, before = server.request("GET", "/api/queue")
    finally:
        server.kill()  # SIGKILL
    assert struct.unpack(">II", shot.read_bytes()[16:24]) == (1280, 760)
    keep = os.environ.get("HARNESS_LABEL_SCREENSHOT")
    if keep:  # `HARNESS_LABEL_SCREENSHOT=docs/img/label-item.png` refreshes the README's picture
        shutil.copy(shot, keep)
    with Server(args[:4], data_dir=data_dir) as server:  # restarted without suggestions, which it does not need
        _, after = server.request("GET", "/api/queue")
        assert after["done"] == 3 and after["items"] == before["items"]
        _, code = server.request("GET", "/api/items/item-c-code")
        assert code["record"]["committed"]["pattern"] == "directive" and len(code["record"]["committed"]["tasks"]) == 1
        _, xss = server.request("GET", "/api/items/item-c-xss")
        assert xss["record"]["committed"]["pattern"] == "validation"
