"""Download the files of a long-format Economic Index release, verify them, and move them into the data directory.

The same discipline as :mod:`harness.taxonomy._fetch`: every file goes to a temporary folder beside the
destination, is checked (the SHA-256 when one is given; every CSV must load with the strict long-format loader,
:func:`harness.taxonomy.load_long_format`), and only when *all* of them passed are they moved into place, each with
one rename. A failure at any step removes the temporary folder, so the data directory never holds a partial file
or a file that does not load; files already present are left alone unless ``force`` is set.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import InputError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._fetch import FetchError, _download
from harness.taxonomy._long_format import load_long_format

__all__ = ["AEI_BASE_URL_ENV", "AEI_RELEASE_FILES", "DEFAULT_AEI_BASE_URL", "fetch_aei_release"]

log = logging.getLogger(__name__)

DEFAULT_AEI_BASE_URL = "https://huggingface.co/datasets/Anthropic/EconomicIndex/resolve/main/"
AEI_BASE_URL_ENV = "HARNESS_AEI_BASE_URL"

#: Files of the known long-format releases, relative to ``release_<name>/`` in the dataset (and locally).
AEI_RELEASE_FILES: dict[str, tuple[str, ...]] = {
    "2025_09_15": (
        "data_documentation.md",
        "data/intermediate/aei_raw_claude_ai_2025-08-04_to_2025-08-11.csv",
        "data/intermediate/aei_raw_1p_api_2025-08-04_to_2025-08-11.csv",
        "data/output/aei_enriched_claude_ai_2025-08-04_to_2025-08-11.csv",
    ),
    "2026_01_15": (
        "data_documentation.md",
        "data/intermediate/aei_raw_claude_ai_2025-11-13_to_2025-11-20.csv",
        "data/intermediate/aei_raw_1p_api_2025-11-13_to_2025-11-20.csv",
    ),
    "2026_03_24": (
        "data_documentation.md",
        "data/aei_raw_claude_ai_2026-02-05_to_2026-02-12.csv",
        "data/aei_raw_1p_api_2026-02-05_to_2026-02-12.csv",
    ),
}


def _safe_relative(name: str) -> Path:
    path = Path(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise FetchError(f"{name!r}: a release file must be a relative path inside the release folder")
    return path


def _verify(path: Path, relative: Path, url: str, expected: str | None, digest: str, release: str) -> None:
    if expected and digest != expected.lower():
        raise FetchError(f"{url}: SHA-256 {digest} does not match the expected {expected}")
    if path.suffix == ".csv":
        try:
            load_long_format(path, release=release)  # a full, strict parse is the real verification
        except InputError as exc:
            raise FetchError(f"{url}: downloaded file does not load as the long format: {exc.detail} "
                             f"(line {exc.line}, field {exc.field})") from None
    elif path.stat().st_size == 0:
        raise FetchError(f"{url}: downloaded file {relative} is empty")


def fetch_aei_release(
    release: str,
    *,
    data_dir: str | Path | None = None,
    base_url: str | None = None,
    files: Sequence[str] | None = None,
    sha256: Mapping[str, str] | None = None,
    force: bool = False,
    timeout: float = 120.0,
) -> Path:
    """Download, verify and place the files of Economic Index ``release`` under ``<data_dir>/economic_index/``.

    Args:
        release: Release name such as ``"2025_09_15"``.
        data_dir: Destination data directory (default: flag/env/user directory precedence).
        base_url: Where ``release_<name>/<file>`` is served (default: the Hugging Face dataset, or
            ``HARNESS_AEI_BASE_URL``).
        files: Paths inside the release folder (default :data:`AEI_RELEASE_FILES` of the release).
        sha256: Expected SHA-256 by file path, checked for the files named.
        force: Download files that are already present again.
        timeout: Network timeout in seconds.

    Returns:
        The release folder ``<data_dir>/economic_index/release_<release>``.

    Raises:
        FetchError: an unknown release without ``files``, a download failure, a checksum mismatch, or a file that
            does not load.
    """
    wanted = list(files) if files else list(AEI_RELEASE_FILES.get(release, ()))
    if not wanted:
        raise FetchError(f"release {release!r} has no known file list (known: {', '.join(AEI_RELEASE_FILES)}); "
                         "name the files to fetch")
    relatives = [_safe_relative(name) for name in wanted]
    root = resolve_data_dir(data_dir) / "economic_index"
    target = root / f"release_{release}"
    todo = [r for r in relatives if force or not (target / r).is_file()]
    if not todo:
        log.info("Economic Index release %s already present at %s", release, target)
        return target
    root.mkdir(parents=True, exist_ok=True)
    base = (base_url or os.environ.get(AEI_BASE_URL_ENV) or DEFAULT_AEI_BASE_URL).rstrip("/")
    workdir = Path(tempfile.mkdtemp(prefix=f".release_{release}.", suffix=".partial", dir=root))
    try:
        digests = {}
        for relative in todo:
            url = f"{base}/release_{release}/{relative.as_posix()}"
            staged = workdir / relative
            staged.parent.mkdir(parents=True, exist_ok=True)
            digests[relative] = _download(url, staged, timeout=timeout)
            _verify(staged, relative, url, (sha256 or {}).get(relative.as_posix()), digests[relative], release)
        for relative in todo:  # everything verified: move into place, one rename per file
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(workdir / relative, target / relative)
        with (target / ".source").open("a", encoding="utf-8") as note:
            for relative in todo:
                note.write(f"{base}/release_{release}/{relative.as_posix()}\nsha256 {digests[relative]}\n")
        log.info("Economic Index release %s: %d file(s) placed in %s", release, len(todo), target)
        return target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
