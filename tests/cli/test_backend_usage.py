"""Every command that takes ``--backend`` answers an unknown or malformed spec with one line and exit status 2,
before it loads any data."""

from __future__ import annotations

import pytest

from harness.classify import BACKEND_SCHEMES
from harness.cli import main
from harness.llm import BACKENDS

# Paths that do not exist: the spec must be refused before any of them is opened.
_COMMANDS = {
    "classify": (["classify", "--input", "missing.jsonl", "--out", "run"], BACKEND_SCHEMES),
    "validate": (["validate", "--out", "run"], BACKEND_SCHEMES),
    "reconstruct": (["reconstruct", "--input", "missing.jsonl", "--hierarchy", "missing.json", "--out", "out"],
                    BACKEND_SCHEMES),
    "hierarchy build --builder clio": (["hierarchy", "build", "--builder", "clio", "--out", "h.json"], BACKENDS),
}


def _one_usage_line(capsys, schemes) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("harness: error:") and "Traceback" not in captured.err
    assert all(scheme in lines[0] for scheme in schemes)
    return lines[0]


@pytest.mark.parametrize("command", list(_COMMANDS))
@pytest.mark.parametrize("spec", ["foo:bar", "embedding", "anthropic:"])
def test_a_bad_backend_spec_is_one_line_and_exit_2(command, spec, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv, schemes = _COMMANDS[command]
    assert main(["--data-dir", str(tmp_path / "no-data"), *argv, "--backend", spec]) == 2
    line = _one_usage_line(capsys, schemes)
    assert ("unknown" if spec == "foo:bar" else "malformed") in line and repr(spec) in line
    assert not list(tmp_path.iterdir())  # nothing was written


def test_the_prior_flag_and_a_prior_in_the_spec_must_agree(tmp_path, capsys):
    argv = ["--data-dir", str(tmp_path), "validate", "--out", str(tmp_path / "run"), "--prior",
            "economic-index:2025_02_10", "--backend", "embedding:minilm+prior:economic-index:2025_03_27"]
    assert main(argv) == 2
    assert "already sets prior" in _one_usage_line(capsys, ())


@pytest.mark.parametrize("flag", [["--prior", "economic-index:2025_03_27"], ["--prior-weight", "0.1"]])
def test_prior_flags_are_refused_where_there_is_no_prior(flag, tmp_path, capsys):
    argv = ["--data-dir", str(tmp_path), "classify", "--input", "x.jsonl", "--out", str(tmp_path / "run"),
            "--backend", "replay:x.jsonl", *flag]
    assert main(argv) == 2
    assert f"{flag[0]} does not apply to the replay backend, only to: embedding" in _one_usage_line(capsys, ())


def test_model_flags_are_passed_where_they_apply_and_ignored_with_a_warning_elsewhere(caplog):
    from harness.cli import build_parser
    from harness.cli._classify import backend_request

    parser = build_parser()
    args = parser.parse_args(["validate", "--out", "x", "--backend", "anthropic:claude-haiku-4-5", "--base-url",
                              "http://proxy", "--max-concurrency", "4"])
    spec, options = backend_request(args)
    assert str(spec) == "anthropic:claude-haiku-4-5"
    assert options == {"base_url": "http://proxy", "max_concurrency": 4}
    args = parser.parse_args(["validate", "--out", "x", "--max-concurrency", "4", "--prior",
                              "economic-index:2025_03_27", "--prior-weight", "0.3"])
    spec, options = backend_request(args)
    assert str(spec) == "embedding:all-MiniLM-L6-v2+prior:economic-index:2025_03_27"  # --prior joins the spec
    assert options == {"prior_weight": 0.3}
    assert "--max-concurrency does not apply to the embedding backend" in caplog.text
