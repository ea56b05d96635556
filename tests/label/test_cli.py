"""``harness label serve`` refuses clearly, before serving, what cannot work."""

from __future__ import annotations

import socket

from harness.cli import main
from harness.label import LabelStore, default_labels_dir


def _serve(mini_data, items_file, *extra: str) -> list[str]:
    return ["--data-dir", str(mini_data), "label", "serve", "--goldset", str(items_file), *extra]


def test_bad_rater_name_is_a_usage_error(mini_data, items_file, capsys) -> None:
    assert main(_serve(mini_data, items_file, "--rater", "../bob")) == 2
    assert "rater name" in capsys.readouterr().err


def test_a_rater_served_elsewhere_is_refused(mini_data, items_file, capsys) -> None:
    with LabelStore(default_labels_dir(items_file), "alice"):
        assert main(_serve(mini_data, items_file, "--rater", "alice")) == 1
    err = capsys.readouterr().err
    assert "already being served" in err and "Traceback" not in err


def test_a_taken_port_is_refused(mini_data, items_file, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(_serve(mini_data, items_file, "--rater", "alice", "--port", str(port))) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_a_missing_items_file_is_refused(mini_data, tmp_path, capsys) -> None:
    assert main(_serve(mini_data, tmp_path / "nope.jsonl", "--rater", "alice")) == 1
    assert "nope.jsonl" in capsys.readouterr().err
