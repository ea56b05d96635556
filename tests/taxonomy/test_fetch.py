"""`harness data fetch` against a local HTTP server on 127.0.0.1 serving zips made by the test."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.taxonomy import FetchError, fetch_onet_release, load_onet


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    requests: list[str] = []

    def do_GET(self):
        self.requests.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "not here")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"files": {}, "requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/files", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def _zip_of(directory: Path, *, drop: str | None = None) -> bytes:
    out = directory.parent / "_tmp.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(directory.glob("*.txt")):
            if path.name != drop:
                zf.write(path, f"db_29_3_text/{path.name}")
    data = out.read_bytes()
    out.unlink()
    return data


def _leftovers(root: Path) -> list[Path]:
    return [p for p in (root / "onet").glob("*")] if (root / "onet").exists() else []


def test_fetch_verifies_and_unpacks(server, mini_onet_dir, tmp_path):
    url, handler = server
    body = _zip_of(mini_onet_dir)
    handler.files["/files/db_29_3_text.zip"] = body
    digest = hashlib.sha256(body).hexdigest()
    target = fetch_onet_release("29.3", data_dir=tmp_path / "data", base_url=url, sha256=digest)
    assert target == tmp_path / "data" / "onet" / "db_29_3_text"
    assert load_onet(target).summary() == load_onet(mini_onet_dir).summary()
    assert _leftovers(tmp_path / "data") == [target]  # no temporary folders left behind
    # already present: no second download
    fetch_onet_release("29.3", data_dir=tmp_path / "data", base_url=url)
    assert handler.requests == ["/files/db_29_3_text.zip"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("404", "HTTP 404"),
        ("checksum", "does not match the expected"),
        ("not-zip", "not a zip archive"),
        ("incomplete", "archive lacks"),
        ("bad-rows", "does not load"),
    ],
)
def test_failed_fetch_leaves_nothing(server, mini_onet_dir, tmp_path, case, message):
    url, handler = server
    sha = None
    if case == "checksum":
        handler.files["/files/db_29_3_text.zip"] = _zip_of(mini_onet_dir)
        sha = "0" * 64
    elif case == "not-zip":
        handler.files["/files/db_29_3_text.zip"] = b"<html>maintenance</html>"
    elif case == "incomplete":
        handler.files["/files/db_29_3_text.zip"] = _zip_of(mini_onet_dir, drop="Skills.txt")
    elif case == "bad-rows":
        broken = tmp_path / "broken"
        broken.mkdir()
        for path in mini_onet_dir.glob("*.txt"):
            (broken / path.name).write_bytes(path.read_bytes())
        tasks = broken / "Task Statements.txt"
        tasks.write_text(tasks.read_text().replace("\t201\t", "\tabc\t"))
        handler.files["/files/db_29_3_text.zip"] = _zip_of(broken)
    with pytest.raises(FetchError, match=message):
        fetch_onet_release("29.3", data_dir=tmp_path / "data", base_url=url, sha256=sha)
    assert _leftovers(tmp_path / "data") == []


def test_fetch_and_info_commands(server, mini_onet_dir, tmp_path, capsys):
    url, handler = server
    handler.files["/files/db_29_3_text.zip"] = _zip_of(mini_onet_dir)
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "data", "fetch", "--release", "29.3", "--base-url", url]) == 0
    assert "ready at" in capsys.readouterr().out
    # the mini release is not the real 29.3, so `info` reports the mismatches and exits non-zero
    assert main(["--data-dir", data, "data", "info"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH (expected 18,796)" in out and "work-activity hierarchy" in out


def test_fetch_offline_error_is_clear(tmp_path):
    with pytest.raises(FetchError, match="download failed"):
        fetch_onet_release("29.3", data_dir=tmp_path, base_url="http://127.0.0.1:9", timeout=2)
    assert _leftovers(tmp_path) == []
