"""Fixtures of the labelling tests: a blank labelling file, a miniature O*NET data directory, a task index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ._support import write_items

# Invented alternate titles for the miniature release (its other files have none).
MINI_ALTERNATE_TITLES = (
    "O*NET-SOC Code\tTitle\tAlternate Title\tShort Title\tSource(s)\n"
    "15-1252.00\tSoftware Developers\tPython Developer\t\t01\n"
    "27-3043.00\tWriters and Authors\tCopywriter\t\t01\n"
)


@pytest.fixture
def items_file(tmp_path) -> Path:
    return write_items(tmp_path / "queue.jsonl")


@pytest.fixture(scope="session")
def mini_data(tmp_path_factory, mini_onet_dir) -> Path:
    """A data directory holding the miniature release as O*NET 29.3 (with a few alternate titles)."""
    root = tmp_path_factory.mktemp("label-data")
    onet = root / "onet" / "db_29_3_text"
    shutil.copytree(mini_onet_dir, onet)
    (onet / "Alternate Titles.txt").write_text(MINI_ALTERNATE_TITLES, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def mini_release(mini_data):
    from harness.taxonomy import load_onet

    return load_onet(release="29.3", data_dir=mini_data)


@pytest.fixture(scope="session")
def mini_index(mini_release):
    from harness.label import TaskIndex

    return TaskIndex(mini_release)
