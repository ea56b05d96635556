"""`harness data fetch --aei-release` against a local HTTP server serving the synthetic long-format files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.cli import main
from harness.taxonomy import FetchError, fetch_aei_release, load_aei_release
from tests.support.long_format import SOURCE
from tests.taxonomy.test_fetch import server  # noqa: F401  (the local HTTP server fixture)

FILES = ("data_documentation.md", "data/aei_raw_claude_ai_x.csv", "data/aei_raw_1p_api_x.csv")


def _serve(handler, *, release: str = "2099_01_01", consumer: bytes | None = None) -> None:
    base = f"/files/release_{release}/"
    handler.files[base + FILES[0]] = b"# Data documentation\n"
    handler.files[base + FILES[1]] = consumer if consumer is not None else \
        (SOURCE / "consumer_enriched.csv").read_bytes()
    handler.files[base + FILES[2]] = (SOURCE / "api_raw.csv").read_bytes()


def _leftovers(root: Path) -> list[str]:
    folder = root / "economic_index"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_fetch_verifies_and_places_every_file(server, tmp_path: Path) -> None:  # noqa: F811
    url, handler = server
    _serve(handler)
    digest = hashlib.sha256((SOURCE / "api_raw.csv").read_bytes()).hexdigest()
    target = fetch_aei_release("2099_01_01", data_dir=tmp_path, base_url=url, files=FILES,
                               sha256={FILES[2]: digest})
    assert target == tmp_path / "economic_index" / "release_2099_01_01"
    table = load_aei_release("2099_01_01", data_dir=tmp_path)
    assert table.platforms == ("api", "consumer")
    assert "sha256" in (target / ".source").read_text()
    assert not [p for p in _leftovers(tmp_path) if ".partial" in p]
    handler.requests.clear()
    fetch_aei_release("2099_01_01", data_dir=tmp_path, base_url=url, files=FILES)  # all present: no download
    assert handler.requests == []


@pytest.mark.parametrize(("case", "message"), [
    ("404", "HTTP 404"),
    ("checksum", "does not match the expected"),
    ("not-long-format", "does not load as the long format"),
    ("html", "does not load as the long format"),
])
def test_a_failed_fetch_places_nothing(server, tmp_path: Path, case: str, message: str) -> None:  # noqa: F811
    url, handler = server
    consumer = {"not-long-format": b"task_name,pct\na.,100\n", "html": b"<html>maintenance</html>"}.get(case)
    _serve(handler, consumer=consumer)
    if case == "404":
        del handler.files[f"/files/release_2099_01_01/{FILES[2]}"]
    sha = {FILES[2]: "0" * 64} if case == "checksum" else None
    with pytest.raises(FetchError, match=message):
        fetch_aei_release("2099_01_01", data_dir=tmp_path, base_url=url, files=FILES, sha256=sha)
    assert _leftovers(tmp_path) == []  # not the good files either: all or nothing


def test_unknown_release_and_unsafe_paths(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no known file list"):
        fetch_aei_release("2099_01_01", data_dir=tmp_path)
    with pytest.raises(FetchError, match="relative path"):
        fetch_aei_release("2099_01_01", data_dir=tmp_path, files=["../escape.csv"])


def test_fetch_command(server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    url, handler = server
    _serve(handler)
    data = str(tmp_path / "data")
    args = ["--data-dir", data, "data", "fetch", "--aei-release", "2099_01_01", "--base-url", url]
    assert main([*args, *(f"--file={f}" for f in FILES)]) == 0
    assert "ready at" in capsys.readouterr().out
    assert main(["--data-dir", data, "data", "fetch", "--file", FILES[0]]) == 2
    assert "--aei-release" in capsys.readouterr().err
    assert main([*args, "--file-sha256", "nothex"]) == 2
    assert main(["--data-dir", data, "data", "fetch", "--aei-release", "2099_02_02", "--base-url", url]) == 1
    assert "no known file list" in capsys.readouterr().err
