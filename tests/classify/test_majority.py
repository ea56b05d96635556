"""``majority-baseline``: the goldset's most frequent answers for every conversation, a floor to beat."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from harness.classify import get_classifier
from harness.cli import main
from harness.conversations import Conversation, Message
from harness.errors import InputError
from harness.evaluate import default_goldset_path, load_goldset, majority_label
from tests.conftest import FIXTURES

SYNTHETIC = FIXTURES / "goldsets" / "synthetic.jsonl"
SHIPPED = default_goldset_path()


def _conversations() -> list[Conversation]:
    return [Conversation("x", "acct-1", (Message("user", "write me a poem about tax law"),)),
            Conversation("y", "acct-2", (Message("user", "fix this SQL query"),))]


def test_predicts_the_dev_splits_most_frequent_answers(mini_hierarchy, mini_release):
    # dev items: g-1 (task 101, directive), g-4 (not occupational), g-5 (task 102, directive)
    clf = get_classifier(f"majority-baseline:{SYNTHETIC}", mini_hierarchy, release=mini_release)
    to_base = mini_hierarchy.base_for_task_ids()
    assert clf.spec == f"majority-baseline:{SYNTHETIC}"
    results = clf.classify(_conversations())
    assert [r.conversation_id for r in results] == ["x", "y"] and [r.account_id for r in results] == ["acct-1",
                                                                                                       "acct-2"]
    for result in results:  # the conversation is never read: both get the same answer
        assert result.valid and result.occupational is True and result.pattern == "directive"
        assert result.path == mini_hierarchy.path(to_base[101])  # a 1:1 tie goes to the first in file order
        assert result.top_k == (to_base[101], to_base[102])
        assert (result.input_tokens, result.cost_usd) == (0, None)


def test_the_split_and_top_k_are_options(mini_hierarchy, mini_release):
    # test items: g-2 (majority: task 202, task_iteration), g-3 (tie settled by the first rater: 101, validation)
    clf = get_classifier(f"majority-baseline:{SYNTHETIC}", mini_hierarchy, release=mini_release, split="test",
                         top_k=1)
    [result] = clf.classify(_conversations()[:1])
    to_base = mini_hierarchy.base_for_task_ids()
    assert result.path[-1] == to_base[202] and result.top_k == (to_base[202],)
    assert result.pattern == "task_iteration" and result.occupational is True


def test_the_check_split_can_be_counted(mini_hierarchy, mini_release, tmp_path):
    # the synthetic test items moved to the check split: counting "check" gives what counting "test" gave
    rows = [json.loads(line) for line in SYNTHETIC.read_text().splitlines()]
    for row in rows:
        row["split"] = "check" if row["split"] == "test" else row["split"]
    goldset = tmp_path / "gold.jsonl"
    goldset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    clf = get_classifier(f"majority-baseline:{goldset}", mini_hierarchy, release=mini_release, split="check")
    [result] = clf.classify(_conversations()[:1])
    assert result.path[-1] == mini_hierarchy.base_for_task_ids()[202] and result.pattern == "task_iteration"
    assert clf.describe()["goldset"]["n_items"] == 2


def test_the_manifest_description_says_what_was_counted(mini_hierarchy, mini_release):
    described = get_classifier(f"majority-baseline:{SYNTHETIC}", mini_hierarchy, release=mini_release).describe()
    json.dumps(described)  # goes into the manifest as it is
    assert described["backend"] == "majority-baseline" and described["prompt_hashes"] == {}
    assert described["config"] == {"split": "dev", "top_k": 5}
    assert described["goldset"]["n_items"] == 3 and len(described["goldset"]["sha256"]) == 64
    assert described["prediction"]["pattern"] == "directive" and described["prediction"]["occupational"] is True


def test_a_goldset_that_does_not_fit_is_an_input_error(mini_hierarchy, tmp_path):
    with pytest.raises(InputError, match="goldset not found"):
        get_classifier(f"majority-baseline:{tmp_path / 'none.jsonl'}", mini_hierarchy)
    foreign = tmp_path / "foreign.jsonl"
    rows = [json.loads(line) for line in SYNTHETIC.read_text().splitlines()]
    for row in rows:
        for label in row["labels"]:
            label["tasks"] = [9_999_001] if label["tasks"] else []
    foreign.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InputError, match="none of the dev split's gold tasks"):
        get_classifier(f"majority-baseline:{foreign}", mini_hierarchy)


def test_validate_with_the_default_goldset_end_to_end(tmp_path, data_dir, capsys):
    out = tmp_path / "run"
    code = main(["--data-dir", str(data_dir), "validate", "--backend", "majority-baseline:default", "--out", str(out),
                 "--split", "test", "--bootstrap", "20", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "majority-baseline:default"
    assert manifest["classifier"]["goldset"]["path"] == str(SHIPPED)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["run"]["backend"] == "majority-baseline:default"
    # the floor it sets: counted on dev, scored on test, where it is a constant prediction
    dev = [majority_label(item) for item in load_goldset(SHIPPED) if item.split == "dev"]
    test = [majority_label(item) for item in load_goldset(SHIPPED) if item.split == "test"]
    pattern = manifest["classifier"]["prediction"]["pattern"]
    assert pattern == Counter(lb.pattern for lb in dev).most_common(1)[0][0]
    share = sum(lb.pattern == pattern for lb in test) / len(test)
    assert metrics["metrics"]["pattern.accuracy"]["value"] == pytest.approx(share)
    items = pd.read_parquet(out / "items.parquet")
    assert len(items) == len(test) and items["pred_base"].nunique() == 1 and not items["invalid"].any()
