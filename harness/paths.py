"""Where the harness finds reference data and keeps its caches.

Resolution order for the data directory: an explicit argument (the ``--data-dir`` flag), then the
``HARNESS_DATA_DIR`` environment variable, then the per-user data directory (where ``harness data fetch``
unpacks releases). The answer/embedding cache lives in ``HARNESS_CACHE_DIR`` or the per-user cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["CACHE_ENV", "DATA_ENV", "cache_dir", "data_dir", "user_data_dir"]

DATA_ENV = "HARNESS_DATA_DIR"
CACHE_ENV = "HARNESS_CACHE_DIR"
_APP = "econ-index-harness"


def user_data_dir() -> Path:
    """The per-user directory that ``harness data fetch`` writes releases into."""
    return Path(platformdirs.user_data_dir(_APP))


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory by the documented precedence (flag, environment, user directory)."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return user_data_dir()


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the cache directory for model answers and embeddings."""
    if explicit:
        path = Path(explicit).expanduser()
    elif os.environ.get(CACHE_ENV):
        path = Path(os.environ[CACHE_ENV]).expanduser()
    else:
        path = Path(platformdirs.user_cache_dir(_APP))
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
