"""Shared fixtures: the reference data directory and the real O*NET release (loaded once per test process)."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def mini_onet_dir() -> Path:
    """A synthetic miniature release in the O*NET text layout (invented rows)."""
    return FIXTURES / "onet_mini"
