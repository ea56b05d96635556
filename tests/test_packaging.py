"""Packaging: pyproject lists every subpackage, and the default goldset ships from the top-level goldsets/ folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

from harness.evaluate import default_goldset_path, load_goldset

ROOT = Path(__file__).resolve().parents[1]


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_folder_of_the_package_is_listed_in_pyproject() -> None:
    # The list is written by hand (see the comment in pyproject.toml); a folder missing from it would be missing
    # from the wheel while every test run from the checkout still passed.
    folders = {
        ".".join(path.relative_to(ROOT).parts)
        for path in [ROOT / "harness", *(ROOT / "harness").rglob("*")]
        if path.is_dir() and path.name != "__pycache__"
    }
    listed = set(_setuptools_config()["packages"])
    assert listed - {"harness._goldsets"} == folders


def test_the_goldsets_folder_is_the_packaged_goldset_source() -> None:
    config = _setuptools_config()
    assert config["package-dir"]["harness._goldsets"] == "goldsets"
    path = default_goldset_path()
    assert path.name in config["package-data"]["harness._goldsets"]
    # From a checkout (the editable install) the packaged file is the repository's own copy, not a duplicate.
    assert path.resolve() == (ROOT / "goldsets" / path.name).resolve()
    assert len(load_goldset(path)) > 0
