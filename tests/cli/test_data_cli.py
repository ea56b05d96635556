from __future__ import annotations

import subprocess
import sys

from harness.cli import main


def test_help_lists_commands():
    result = subprocess.run([sys.executable, "-m", "harness", "--help"], capture_output=True, text=True, check=True)
    assert "data" in result.stdout and "hierarchy" in result.stdout


def test_info_on_real_release(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "data", "info"]) == 0
    out = capsys.readouterr().out
    for expected in ("18,796  ok", "923  ok", "332  ok", "2,087  ok", "37  ok"):
        assert expected in out


def test_missing_data_is_one_clear_error(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "data", "info"]) == 1
    err = capsys.readouterr().err
    assert "harness: error:" in err and "harness data fetch" in err and "Traceback" not in err


def test_hierarchy_build_and_show(data_dir, tmp_path, capsys):
    out = tmp_path / "wa.json"
    assert main(["--data-dir", str(data_dir), "hierarchy", "build", "--out", str(out)]) == 0
    assert main(["hierarchy", "show", str(out), "--node", "task:8823"]) == 0
    text = capsys.readouterr().out
    assert "onet-wa-29.3-" in text and "top (37)" in text
