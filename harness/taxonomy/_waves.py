"""Economic Index *waves*: the task shares and collaboration patterns of one sampling window and one platform.

A wave is one week (or so) of sampled conversations, published with one release:

====  ===================  ===========================  ======================
wave  release              window                       platforms
====  ===================  ===========================  ======================
v1    2025_02_10           Dec 2024 – Jan 2025          consumer (Claude.ai)
v2    2025_03_27           after Claude 3.7 Sonnet       consumer
v3    2025_09_15           2025-08-04 .. 2025-08-11     consumer, api (1P API)
v4    2026_01_15           2025-11-13 .. 2025-11-20     consumer, api
v5    2026_03_24           2026-02-05 .. 2026-02-12     consumer, api
====  ===================  ===========================  ======================

Where each wave comes from, in order of preference:

1. the release's own long-format files (:mod:`harness.taxonomy._long_format`) when the data directory holds them
   (``harness data fetch --aei-release NAME``): counts are published, so sample sizes are exact;
2. for v1 and v2, the release folders ``release_2025_02_10`` / ``release_2025_03_27``;
3. for v3–v5, the third-party extracts under ``economic_index/derived_third_party/theodorewright11/``
   (``task_pct[_api]_vN.csv``, ``automation_vs_augmentation_by_task[_api]_vN.csv``; GLOBAL rows of the official
   raw files pivoted to one row per task; see ``PROVENANCE.md``). They are not Anthropic files, and every output
   built on them says so.

Sample sizes. The shares files give percentages only. Each released task cell holds at least 15 conversations,
and every share in these files is a whole number of conversations out of one total, so the *smallest* total under
which every share is a whole count with the least one at 15 is recovered exactly (:func:`implied_sample_size`;
e.g. 964,494 for v3 consumer, which equals the published country usage counts of that window). The true total is
a whole multiple of it, so intervals built on it are, if anything, too wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from harness.errors import InputError, MissingDataError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._economic_index import EconomicIndexRelease, _check, _numbers, _read_csv, load_economic_index
from harness.taxonomy._long_format import LongFormatTable, find_long_format_files, load_long_format, pattern_key
from harness.taxonomy._patterns import PATTERNS
from harness.taxonomy._soc import normalise_statement

__all__ = [
    "WAVES",
    "WAVE_PATTERNS",
    "Platform",
    "Wave",
    "WaveInfo",
    "implied_sample_size",
    "load_wave",
    "load_waves",
    "wave_from_long_format",
    "wave_from_release",
    "waves_source",
]

Platform = Literal["consumer", "api"]
PLATFORMS: tuple[str, ...] = get_args(Platform)

#: Columns of :attr:`Wave.collaboration_by_task`: the five patterns, "none", and "not_classified" (conversations
#: filtered before pattern classification, or whose task × pattern cell was withheld).
WAVE_PATTERNS: tuple[str, ...] = (*PATTERNS, "not_classified")
_FIVE = tuple(p for p in PATTERNS if p != "none")
_THIRD_PARTY = Path("economic_index") / "derived_third_party" / "theodorewright11"
# Special task rows: conversations with no task, and conversations filtered or withheld before task classification.
SPECIAL_TASKS: tuple[str, ...] = ("none", "not_classified")
_PRIVACY_FLOOR = 15


@dataclass(frozen=True)
class WaveInfo:
    """What is known about a wave before loading it: release, sampling window, platforms."""

    name: str
    release: str
    window: str
    platforms: tuple[str, ...]


WAVES: dict[str, WaveInfo] = {
    "v1": WaveInfo("v1", "2025_02_10", "2024-12..2025-01", ("consumer",)),
    "v2": WaveInfo("v2", "2025_03_27", "after the Claude 3.7 Sonnet launch (2025-02/03)", ("consumer",)),
    "v3": WaveInfo("v3", "2025_09_15", "2025-08-04..2025-08-11", PLATFORMS),
    "v4": WaveInfo("v4", "2026_01_15", "2025-11-13..2025-11-20", PLATFORMS),
    "v5": WaveInfo("v5", "2026_03_24", "2026-02-05..2026-02-12", PLATFORMS),
}


@dataclass(frozen=True)
class Wave:
    """Task shares and collaboration patterns of one wave on one platform.

    Attributes:
        wave: ``"v1"`` .. ``"v5"``.
        platform: ``"consumer"`` (Claude.ai) or ``"api"`` (first-party API).
        release: The Economic Index release the data belongs to (e.g. ``"2025_09_15"``).
        window: Sampling window.
        origin: ``"official long format"``, ``"official release"`` or ``"third-party extract (theodorewright11)"``.
        files: The files read.
        task_shares: ``task_name`` (as published), ``statement_key``, ``pct`` (percent of all conversations of the
            wave, the special rows ``none``/``not_classified`` included), ``count`` (conversations; exact or implied
            from the sample size, NaN when neither is known).
        collaboration_by_task: ``statement_key`` plus :data:`WAVE_PATTERNS` columns: fractions of each task's
            conversations (rows sum to 1; a blank cell is 0), or ``None``.
        collaboration: Published overall pattern shares: ``pattern`` (:data:`WAVE_PATTERNS`) and ``pct`` of all
            conversations, or ``None`` (then they are derived from the by-task mixes).
        sample_size: Conversations behind ``task_shares`` (exact or implied), or ``None``.
        sample_size_note: How ``sample_size`` was obtained.
    """

    wave: str
    platform: str
    release: str
    window: str
    origin: str
    files: tuple[str, ...]
    task_shares: pd.DataFrame = field(repr=False)
    collaboration_by_task: pd.DataFrame | None = field(repr=False)
    collaboration: pd.DataFrame | None = field(repr=False)
    sample_size: float | None
    sample_size_note: str

    @property
    def label(self) -> str:
        """``"v3 consumer"``."""
        return f"{self.wave} {self.platform}"

    @property
    def source(self) -> str:
        """One line naming the wave, release and origin (recorded in every table built from it)."""
        return f"Economic Index wave {self.wave} {self.platform} (release_{self.release}, {self.origin})"


def waves_source(waves: Sequence[Wave]) -> str:
    """One short line naming where a set of waves comes from, grouped by origin (for table sources and captions)."""
    by_origin: dict[str, list[str]] = {}
    for wave in waves:
        names = by_origin.setdefault(wave.origin, [])
        if f"{wave.wave} (release_{wave.release})" not in names:
            names.append(f"{wave.wave} (release_{wave.release})")
    parts = [f"{', '.join(names)} from {origin}" for origin, names in by_origin.items()]
    return "Economic Index waves " + "; ".join(parts) if parts else "Economic Index waves (none)"


def implied_sample_size(pct: np.ndarray | pd.Series, *, floor: int = _PRIVACY_FLOOR,
                        tolerance: float = 0.02) -> float | None:
    """The smallest total under which every share is a whole count and the smallest share is ``floor`` conversations.

    Args:
        pct: Shares in percent (all rows of one file, special rows included).
        floor: Conversations in the smallest released cell (the privacy floor, 15).
        tolerance: Largest distance of a count from a whole number that still counts as whole.

    Returns:
        The total, or ``None`` when the shares are not whole counts of one total (then no interval can be had).
    """
    values = np.asarray(pct, dtype=float)
    values = values[values > 0]
    if values.size == 0:
        return None
    total = round(floor * 100.0 / values.min())
    counts = values * total / 100.0
    if np.abs(counts - np.round(counts)).max() > tolerance:
        return None
    return float(total)


def _shares_file(path: Path) -> pd.DataFrame:
    raw = _read_csv(path, ["task_name", "pct"])
    _check(raw, "task_name", path, kind="a task name")
    pct = _numbers(raw, "pct", path, kind="a percentage", minimum=0.0)
    keys = raw["task_name"].map(normalise_statement)
    dup = keys.duplicated()
    if dup.any():
        line = int(raw.index[dup.to_numpy().argmax()])
        raise InputError(path, f"task {raw['task_name'][line]!r} listed twice", line=line, field="task_name")
    total = float(pct.sum())
    if abs(total - 100.0) > 0.5:
        raise InputError(path, f"shares add up to {total:.3f}, expected 100 (percent of the wave's conversations)",
                         field="pct")
    return pd.DataFrame({"task_name": raw["task_name"].to_numpy(), "statement_key": keys.to_numpy(),
                         "pct": pct.to_numpy()})


def _by_task_file(path: Path) -> pd.DataFrame:
    """Per-task pattern fractions; a blank cell is 0 (withheld cells are inside ``not_classified``)."""
    raw = _read_csv(path, ["task", *_FIVE])
    _check(raw, "task", path, kind="a task name")
    out = pd.DataFrame({"statement_key": raw["task"].map(normalise_statement).to_numpy()})
    for column in [c for c in raw.columns if c != "task"]:
        if column not in WAVE_PATTERNS:
            raise InputError(path, f"unexpected column {column!r}; expected {', '.join(WAVE_PATTERNS)}", line=1,
                             field=column)
        values = _numbers(raw, column, path, kind="a fraction between 0 and 1", minimum=0.0, required=False)
        out[column] = values.fillna(0.0).to_numpy()
    for name in WAVE_PATTERNS:
        if name not in out.columns:
            out[name] = 0.0
    sums = out[list(WAVE_PATTERNS)].sum(axis=1).to_numpy()
    bad = np.abs(sums - 1.0) > 1e-3
    if bad.any():
        line = int(raw.index[bad.argmax()])
        raise InputError(path, f"pattern fractions of this task add up to {sums[bad.argmax()]:.4f}, expected 1",
                         line=line)
    dup = out["statement_key"].duplicated()
    if dup.any():
        line = int(raw.index[dup.to_numpy().argmax()])
        raise InputError(path, "task listed twice", line=line, field="task")
    return out[["statement_key", *WAVE_PATTERNS]]


def _with_counts(shares: pd.DataFrame, total: float | None) -> pd.DataFrame:
    out = shares.copy()
    out["count"] = np.round(out["pct"] * total / 100.0) if total else np.nan
    return out


_IMPLIED_NOTE = ("implied: the smallest total under which every published share is a whole number of "
                 "conversations, the smallest being the 15-conversation floor (a lower bound: intervals are wide "
                 "rather than narrow)")


def _third_party_wave(info: WaveInfo, platform: str, root: Path) -> Wave:
    folder = root / _THIRD_PARTY
    infix = "_api" if platform == "api" else ""
    shares_path = folder / f"task_pct{infix}_{info.name}.csv"
    by_task_path = folder / f"automation_vs_augmentation_by_task{infix}_{info.name}.csv"
    if not shares_path.is_file():
        raise MissingDataError(f"{shares_path}: task shares of wave {info.name} ({platform}) not found; fetch the "
                               f"official files with `harness data fetch --aei-release {info.release}`")
    shares = _shares_file(shares_path)
    total = implied_sample_size(shares["pct"])
    by_task = _by_task_file(by_task_path) if by_task_path.is_file() else None
    files = tuple(str(p) for p in (shares_path, by_task_path) if p.is_file())
    return Wave(info.name, platform, info.release, info.window, "third-party extract (theodorewright11)", files,
                _with_counts(shares, total), by_task, None, total, _IMPLIED_NOTE if total else "unknown")


def wave_from_release(release: EconomicIndexRelease, version: str = "v1") -> Wave:
    """One task-share version of a first-format release (``2025_02_10`` or ``2025_03_27``) as a consumer :class:`Wave`.

    The overall pattern shares are the published ones of that version when the release has them (the share the
    file leaves out is recorded as ``not_classified``); the per-task mixes of ``2025_03_27`` belong to v2.
    """
    shares = release.shares(version)[["task_name", "statement_key", "pct"]]
    total = implied_sample_size(shares["pct"])
    collab = release.collaboration[release.collaboration["version"] == version]
    overall = None
    if len(collab):
        known = collab[["pattern", "pct"]].reset_index(drop=True)
        # the published file leaves out the conversations filtered before pattern classification
        rest = max(0.0, 100.0 - float(known["pct"].sum()))
        overall = pd.concat([known, pd.DataFrame({"pattern": ["not_classified"], "pct": [rest]})],
                            ignore_index=True)
    by_task = None
    if version == "v2" and release.collaboration_by_task is not None:
        raw = release.collaboration_by_task.rename(columns={"filtered": "not_classified"})
        by_task = raw[["statement_key", *[c for c in WAVE_PATTERNS if c in raw.columns]]].copy()
        for name in WAVE_PATTERNS:
            if name not in by_task.columns:
                by_task[name] = 0.0
    window = WAVES[version].window if version in WAVES else ""
    return Wave(version, "consumer", release.name, window, "official release", (str(release.path),),
                _with_counts(shares, total), by_task, overall, total, _IMPLIED_NOTE if total else "unknown")


def _release_wave(info: WaveInfo, root: Path) -> Wave:
    """v1 and v2 from the first two release folders (v1 from the first release when it is present)."""
    names = ("2025_03_27",) if info.name == "v2" else ("2025_02_10", "2025_03_27")
    for name in names:
        try:
            release = load_economic_index(name, data_dir=root)  # type: ignore[arg-type]
        except MissingDataError:
            if name == names[-1]:
                raise
            continue
        return wave_from_release(release, info.name)
    raise AssertionError("unreachable")


def wave_from_long_format(table: LongFormatTable, platform: str, *, wave: str | None = None) -> Wave:
    """The GLOBAL task shares and collaboration of one platform of a long-format release, as a :class:`Wave`.

    Uses ``onet_task`` (``onet_task_pct``, ``onet_task_count``), ``onet_task::collaboration``
    (``onet_task_collaboration_pct``) and ``collaboration`` (``collaboration_pct``) at level 0.

    Raises:
        InputError: the release has no GLOBAL ``onet_task_pct`` rows for ``platform``.
    """
    pct = table.values("onet_task", "onet_task_pct", platform=platform)
    if pct.empty:
        raise InputError(table.paths[0], f"no GLOBAL onet_task_pct rows for platform {platform!r}", field="variable")
    counts = table.values("onet_task", "onet_task_count", platform=platform)
    shares = pd.DataFrame({"task_name": pct.index.to_numpy(), "pct": pct.to_numpy()})
    shares.insert(1, "statement_key", shares["task_name"].map(normalise_statement))
    if counts.empty:
        total = implied_sample_size(shares["pct"])
        shares = _with_counts(shares, total)
        note = _IMPLIED_NOTE if total else "unknown"
    else:
        shares["count"] = shares["task_name"].map(counts).astype(float)
        total, note = float(counts.sum()), "published onet_task_count"
    wide = table.intersection("onet_task::collaboration", "onet_task_collaboration_pct", platform=platform)
    by_task = None
    if not wide.empty:
        wide = wide.rename(columns=pattern_key).fillna(0.0) / 100.0
        by_task = pd.DataFrame({"statement_key": [normalise_statement(t) for t in wide.index]})
        for name in WAVE_PATTERNS:
            by_task[name] = wide[name].to_numpy() if name in wide.columns else 0.0
    overall_pct = table.values("collaboration", "collaboration_pct", platform=platform)
    overall = None
    if not overall_pct.empty:
        overall = pd.DataFrame({"pattern": [pattern_key(p) for p in overall_pct.index], "pct": overall_pct.to_numpy()})
    release = table.release or "unknown"
    info = next((w for w in WAVES.values() if w.release == release), None)
    window = " / ".join(f"{a}..{b}" for a, b in table.periods)
    return Wave(wave or (info.name if info else release), platform, release, window, "official long format",
                tuple(str(p) for p in table.paths), shares, by_task, overall, total, note)


def load_wave(wave: str, platform: str = "consumer", *, data_dir: str | Path | None = None) -> Wave:
    """Load one wave, from the best source the data directory holds (see the module docstring).

    Raises:
        ValueError: unknown wave, or a platform the wave was not published for.
        MissingDataError: no source of the wave is present.
        InputError: a file breaks its layout.
    """
    if wave not in WAVES:
        raise ValueError(f"wave must be one of {', '.join(WAVES)}, got {wave!r}")
    info = WAVES[wave]
    if platform not in info.platforms:
        raise ValueError(f"wave {wave} was published for {', '.join(info.platforms)}, not {platform!r}")
    root = resolve_data_dir(data_dir)
    official = find_long_format_files(info.release, data_dir=root)
    if platform in official:
        return wave_from_long_format(load_long_format(official[platform], release=info.release), platform, wave=wave)
    if wave in ("v1", "v2"):
        return _release_wave(info, root)
    return _third_party_wave(info, platform, root)


def load_waves(*, data_dir: str | Path | None = None, waves: Sequence[str] | None = None,
               platforms: Sequence[str] = PLATFORMS, skip_missing: bool = True) -> tuple[Wave, ...]:
    """Every wave and platform asked for (default all), in wave order, consumer before API.

    Args:
        data_dir: Data directory.
        waves: Wave names (default every entry of :data:`WAVES`).
        platforms: Platforms to load where a wave has them.
        skip_missing: Leave out waves whose files are absent instead of raising :class:`MissingDataError`.
    """
    out = []
    for name in waves or list(WAVES):
        for platform in platforms:
            if name in WAVES and platform not in WAVES[name].platforms:
                continue
            try:
                out.append(load_wave(name, platform, data_dir=data_dir))
            except MissingDataError:
                if not skip_missing:
                    raise
    return tuple(out)
