from __future__ import annotations

import pytest

from harness.taxonomy import build_work_activity_hierarchy, load_onet


@pytest.fixture(scope="session")
def mini_release(mini_onet_dir):
    return load_onet(mini_onet_dir)


@pytest.fixture(scope="session")
def mini_hierarchy(mini_release):
    return build_work_activity_hierarchy(mini_release)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # one embedding cache per test session, never the user's
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "harness-cache"))
