"""Download an official O*NET text release, verify it and unpack it into the data directory.

The download goes to a temporary file beside the destination, is checked (a readable zip with the files the loader
needs, and the SHA-256 when one is given), unpacked into a temporary folder, test-loaded, and only then moved into
place with one rename. A failure at any step removes the temporary files, so the cache never holds half a release.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from harness.errors import HarnessError, InputError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._onet import load_onet, release_dirname

__all__ = ["DEFAULT_BASE_URL", "REQUIRED_FILES", "fetch_onet_release"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.onetcenter.org/dl_files/database/"
BASE_URL_ENV = "HARNESS_ONET_BASE_URL"
REQUIRED_FILES = (
    "Task Statements.txt",
    "Occupation Data.txt",
    "Tasks to DWAs.txt",
    "DWA Reference.txt",
    "IWA Reference.txt",
    "Content Model Reference.txt",
    "Job Zones.txt",
    "Skills.txt",
)


class FetchError(HarnessError):
    """The release could not be downloaded or did not verify."""


def fetch_onet_release(
    release: str = "29.3",
    *,
    data_dir: str | Path | None = None,
    base_url: str | None = None,
    sha256: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Download, verify and unpack O*NET ``release`` into ``<data_dir>/onet/db_X_Y_text``.

    Args:
        release: Release number such as ``"29.3"``.
        data_dir: Destination data directory (default: flag/env/user directory precedence).
        base_url: Where the ``db_X_Y_text.zip`` files are served (default: the O*NET Resource Center, or
            ``HARNESS_ONET_BASE_URL``).
        sha256: Expected SHA-256 of the zip; checked when given.
        force: Replace an existing copy.
        timeout: Network timeout in seconds.

    Returns:
        The release directory.

    Raises:
        FetchError: download failure, checksum mismatch, or a zip that is not a complete release.
    """
    name = release_dirname(release)
    target_root = resolve_data_dir(data_dir) / "onet"
    target = target_root / name
    if target.exists() and not force:
        log.info("O*NET %s already present at %s", release, target)
        return target
    target_root.mkdir(parents=True, exist_ok=True)
    url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/") + f"/{name}.zip"
    workdir = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=target_root))
    try:
        archive = workdir / f"{name}.zip"
        digest = _download(url, archive, timeout=timeout)
        if sha256 and digest != sha256.lower():
            raise FetchError(f"{url}: SHA-256 {digest} does not match the expected {sha256}")
        unpacked = workdir / name
        _unpack(archive, unpacked, url)
        load_onet(unpacked, release=release)  # a full parse is the real verification
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
        (target / ".source").write_text(f"{url}\nsha256 {digest}\n", encoding="utf-8")
        log.info("O*NET %s unpacked into %s (sha256 %s)", release, target, digest)
        return target
    except InputError as exc:
        raise FetchError(f"{url}: downloaded release does not load: {exc}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _download(url: str, dest: Path, *, timeout: float) -> str:
    hasher = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, dest.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                hasher.update(chunk)
                done += len(chunk)
            if total and done != total:
                raise FetchError(f"{url}: download ended after {done} of {total} bytes")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: server answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"{url}: download failed ({exc}); are you online?") from None
    return hasher.hexdigest()


def _unpack(archive: Path, dest: Path, url: str) -> None:
    if not zipfile.is_zipfile(archive):
        raise FetchError(f"{url}: not a zip archive")
    with zipfile.ZipFile(archive) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise FetchError(f"{url}: corrupt member {bad!r} in the archive")
        members = {Path(m).name: m for m in zf.namelist() if not m.endswith("/")}
        missing = [f for f in REQUIRED_FILES if f not in members]
        if missing:
            raise FetchError(f"{url}: archive lacks {missing}; expected an O*NET text release")
        dest.mkdir(parents=True)
        for base, member in members.items():
            if base.endswith(".txt"):
                (dest / base).write_bytes(zf.read(member))
