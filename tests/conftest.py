"""Shared fixtures: the reference data directory and the real O*NET release (loaded once per test process)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The reference data directory from HARNESS_DATA_DIR; tests that need it skip when it is absent."""
    value = os.environ.get("HARNESS_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("reference data not available: set HARNESS_DATA_DIR (.ci/run points it at ../shared/data)")
    return Path(value)


@pytest.fixture(scope="session")
def onet_release(data_dir: Path):
    """The real O*NET 29.3 release."""
    from harness.taxonomy import load_onet

    return load_onet(release="29.3", data_dir=data_dir)


@pytest.fixture(scope="session")
def wa_hierarchy(onet_release):
    """The offline work-activity hierarchy of the real 29.3 release."""
    from harness.taxonomy import build_work_activity_hierarchy

    return build_work_activity_hierarchy(onet_release)


# The synthetic release is stored under neutral names (it is invented, not O*NET data) and laid out with the
# official file names at test time.
MINI_ONET_FILES = {
    "content_model_reference.tsv": "Content Model Reference.txt",
    "dwa_reference.tsv": "DWA Reference.txt",
    "iwa_reference.tsv": "IWA Reference.txt",
    "job_zones.tsv": "Job Zones.txt",
    "occupation_data.tsv": "Occupation Data.txt",
    "skills.tsv": "Skills.txt",
    "task_statements.tsv": "Task Statements.txt",
    "tasks_to_dwas.tsv": "Tasks to DWAs.txt",
}


def write_mini_onet(dest: Path) -> Path:
    """Lay out the synthetic miniature release (invented rows) in the O*NET text layout under ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for source, official in MINI_ONET_FILES.items():
        (dest / official).write_bytes((FIXTURES / "onet_mini_src" / source).read_bytes())
    return dest


@pytest.fixture(scope="session")
def mini_onet_dir(tmp_path_factory) -> Path:
    """A synthetic miniature release in the O*NET text layout (invented rows)."""
    return write_mini_onet(tmp_path_factory.mktemp("onet") / "onet_mini")


# Files of the synthetic Economic Index fixture stored under neutral names (invented rows, not released data).
MINI_ECONOMIC_INDEX_RENAMES = {"economic_index/release_2025_02_10/task_shares.csv": "onet_task_mappings.csv"}


@functools.cache
def mini_economic_index() -> Path:
    """Lay out the synthetic Economic Index fixture with the releases' file names in a temporary data directory."""
    dest = Path(tempfile.mkdtemp(prefix="harness-ei-")) / "data"
    shutil.copytree(FIXTURES / "economic_index" / "data", dest)
    for stored, official in MINI_ECONOMIC_INDEX_RENAMES.items():
        (dest / stored).rename((dest / stored).with_name(official))
    return dest
