"""The synthetic long-format release (tests/fixtures/economic_index_long) laid out in a temporary data directory.

The data directory also holds the synthetic first releases (``mini_economic_index``), whose O*NET 20.1 task
statements link the fixture's tasks to occupations, so the wave analyses run on it end to end.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from tests.conftest import FIXTURES, mini_economic_index

RELEASE = "2025_09_15"
CONSUMER = "data/output/aei_enriched_claude_ai_2025-08-04_to_2025-08-11.csv"
API = "data/intermediate/aei_raw_1p_api_2025-08-04_to_2025-08-11.csv"
SOURCE = FIXTURES / "economic_index_long"


def lay_out(dest: Path) -> Path:
    """Copy the mini first releases and the long-format fixture (under the release's file names) into ``dest``."""
    shutil.copytree(mini_economic_index(), dest, dirs_exist_ok=True)
    folder = dest / "economic_index" / f"release_{RELEASE}"
    for stored, official in (("consumer_enriched.csv", CONSUMER), ("api_raw.csv", API)):
        (folder / official).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / stored, folder / official)
    return dest


@functools.cache
def long_format_data_dir() -> Path:
    """A data directory (created once per test process) with the synthetic long-format release."""
    return lay_out(Path(tempfile.mkdtemp(prefix="harness-aei-long-")) / "data")
