"""The release ledger: the privacy wall across several releases of overlapping populations.

Why it exists. The wall (:mod:`harness.aggregate._privacy`) makes each release safe on its own, but two releases of
populations that share conversations can be differenced. A task with 14 conversations is withheld and sits in the
withheld total (say 37); one conversation later it has 15 and is reported, and the withheld total drops to 23, so
``37 - 23 = 14`` is the count the first release withheld. The same trick works on task × pattern cells, on skills,
and in reverse (a cell reported at 15 that falls to 14 joins the withheld total, which then grows by its count).

What the ledger does. It is a JSON file the user keeps next to their runs. Each release of a fact table
(``harness analyze --facts``) records its *population* (a 64-bit hash of every conversation id) and the label of
every cell it reported and withheld, at all three walls (tasks, task × pattern, skills). Before a new release,
the ledger finds the earlier releases whose population shares at least one conversation with it (*related*
releases; overlap is exact, a hash collision can only make two releases look related) and then

1. withholds every cell that a related release withheld, even when the cell now passes the wall (its mass joins
   the withheld total, and secondary suppression runs as usual); and
2. refuses the release (:class:`ReleaseRefused`, nothing written) when a cell that a related release reported
   would now be withheld, naming the cells.

Guarantee. Among the releases recorded in one ledger, no cell label is reported by one release and withheld by
another whose population overlaps it. Hence for any two such releases, every difference an observer can form
(withheld totals, per-task withheld columns, reported counts) is a function of the conversations in which the
two populations differ and of the releases' published numbers only; an observer who knows those conversations
exactly, including an observer who added them, learns nothing about a cell either release withheld beyond what
that release shows alone. In particular the attack above reads ``37 - 38 = -1`` (the added conversation went into
withheld mass), not 14.

What it does not stop. Releases not recorded in the same ledger (another ``--ledger``, a deleted ledger, the same
conversations under new ids, numbers published by other means). Cells under different labels (e.g. a re-run with
a different task vocabulary). What reported cells say about single conversations: when one added conversation
lands in a reported cell, the two releases show where it went, and distinct-account counts of reported cells
move with it; the wall never hid that, and only noise (differential privacy) would. The ledger is as sensitive
as the fact table it describes (conversation-id hashes, the labels of withheld cells): never publish it.

Cost. Eight bytes per conversation per distinct release; a re-release with the same population and outcome is
not stored twice. Releases of published Economic Index data (``analyze --release``) do not use a ledger.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from harness.aggregate._privacy import CellSet, PrivacyPolicy
from harness.aggregate._rollup import Aggregate, aggregate_facts, classified_rows
from harness.errors import InputError
from harness.run import read_json_object, validate_facts, write_json_atomic

__all__ = ["LEDGER_NAME", "FactSource", "LedgerEntry", "LedgeredRelease", "ReleaseLedger", "ReleaseRefused",
           "default_ledger_path", "population_hashes", "release_cells"]

#: File name of the default ledger.
LEDGER_NAME = "harness-release-ledger.json"
_FORMAT = "harness release ledger"
_VERSION = 1
_SHOWN_CELLS = 5  # cells named in a refusal; the rest are counted


class ReleaseRefused(InputError):
    """The release would let a cell be recovered by differencing it with an earlier release in the ledger."""


def population_hashes(conversation_ids: pd.Series) -> np.ndarray:
    """Sorted, distinct 64-bit BLAKE2b hashes of the conversation ids (the population's fingerprint)."""
    digests = [hashlib.blake2b(str(cid).encode("utf-8"), digest_size=8).digest() for cid in conversation_ids]
    return np.unique(np.frombuffer(b"".join(digests), dtype="<u8"))


def release_cells(facts: pd.DataFrame, aggregate: Aggregate) -> tuple[CellSet, CellSet]:
    """The cells a walled aggregate reported and those it withheld, at the task, task × pattern and skill walls.

    A cell is *seen* when at least one conversation falls in it (pattern and skill cells only count conversations
    of reported tasks, the only ones those walls look at); every seen cell that is not reported was withheld.

    Returns:
        ``(reported, withheld)``.
    """
    keys = facts["statement_key"].astype("object")
    classified = classified_rows(facts)  # abstained rows are in no cell, like unclassified ones
    seen_tasks = set(keys[classified])
    reported_tasks = set(aggregate.tasks.table["statement_key"])
    released = facts[classified & keys.isin(reported_tasks).to_numpy()]
    with_pattern = released.dropna(subset=["pattern"])
    seen_patterns = set(zip(with_pattern["statement_key"], with_pattern["pattern"], strict=True))
    wide = aggregate.patterns_by_task.table
    reported_patterns = {(key, pattern) for pattern in wide.columns if pattern not in ("statement_key", "withheld")
                         for key, count in zip(wide["statement_key"], wide[pattern], strict=True) if count > 0}
    seen_skills: set[str] = set()
    if "skills" in released.columns:
        seen_skills = set(released["skills"].explode().dropna())
    reported_skills = set(aggregate.skills.table["skill"])
    reported = CellSet.of(reported_tasks, reported_patterns, reported_skills)
    seen = CellSet.of(seen_tasks, seen_patterns, seen_skills)
    return reported, CellSet(seen.tasks - reported.tasks, seen.patterns - reported.patterns,
                             seen.skills - reported.skills)


class FactSource(Protocol):
    """A fact table the ledger can release without holding it as a DataFrame (e.g.
    :class:`harness.aggregate.ColumnarFacts`): each method answers as the DataFrame functions of this module and
    :func:`harness.aggregate.aggregate_facts` would for the same rows."""

    def __len__(self) -> int: ...

    def validate(self) -> None: ...

    def population_hashes(self) -> np.ndarray: ...

    def aggregate(self, links: pd.DataFrame, *, policy: PrivacyPolicy | None = None, source: str | None = None,
                  withhold: CellSet | None = None) -> Aggregate: ...

    def release_cells(self, aggregate: Aggregate) -> tuple[CellSet, CellSet]: ...


@dataclass(frozen=True)
class _FrameFacts:
    """A DataFrame fact table as a :class:`FactSource`."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def validate(self) -> None:
        validate_facts(self.frame)

    def population_hashes(self) -> np.ndarray:
        return population_hashes(self.frame["conversation_id"])

    def aggregate(self, links: pd.DataFrame, *, policy: PrivacyPolicy | None = None, source: str | None = None,
                  withhold: CellSet | None = None) -> Aggregate:
        return aggregate_facts(self.frame, links, policy=policy, source=source or "facts", withhold=withhold)

    def release_cells(self, aggregate: Aggregate) -> tuple[CellSet, CellSet]:
        return release_cells(self.frame, aggregate)


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded release.

    Attributes:
        release_id: Random identifier (random so that publishing it says nothing about the population).
        created: UTC time of the release, ISO 8601.
        source: The fact table released.
        policy: The wall's thresholds.
        conversations: Rows of the fact table.
        population: Sorted conversation-id hashes (see :func:`population_hashes`).
        reported: Cells the release reported.
        withheld: Cells it withheld.
    """

    release_id: str
    created: str
    source: str
    policy: dict[str, int]
    conversations: int
    population: np.ndarray = field(repr=False)
    reported: CellSet = field(repr=False)
    withheld: CellSet = field(repr=False)

    def overlaps(self, population: np.ndarray) -> bool:
        """Whether this release shares at least one conversation with ``population``."""
        return bool(np.isin(population, self.population, assume_unique=True).any())

    def same_release(self, population: np.ndarray, policy: PrivacyPolicy, reported: CellSet,
                     withheld: CellSet) -> bool:
        """Whether this entry already records a release of ``population`` with this policy and outcome."""
        return (self.policy == policy.as_dict() and self.reported == reported and self.withheld == withheld
                and np.array_equal(self.population, population))

    def to_json(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id, "created": self.created, "source": self.source, "policy": self.policy,
            "conversations": self.conversations, "reported": self.reported.as_json(),
            "withheld": self.withheld.as_json(),
            "population": base64.b64encode(self.population.astype("<u8").tobytes()).decode("ascii"),
        }

    @classmethod
    def from_json(cls, path: Path, index: int, obj: Any) -> LedgerEntry:
        """Parse one entry of the ledger at ``path``; a wrong layout raises :class:`InputError` naming the field."""
        where = f"releases[{index}]"
        if not isinstance(obj, dict):
            raise InputError(path, "expected an object", field=where)
        try:
            raw = base64.b64decode(obj["population"], validate=True)
            if len(raw) % 8:
                raise ValueError("population is not a whole number of 64-bit hashes")
            return cls(str(obj["release_id"]), str(obj["created"]), str(obj["source"]),
                       {str(k): int(v) for k, v in obj["policy"].items()}, int(obj["conversations"]),
                       np.frombuffer(raw, dtype="<u8").copy(), _cells(obj["reported"]), _cells(obj["withheld"]))
        except KeyError as exc:
            raise InputError(path, "missing field", field=f"{where}.{exc.args[0]}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(path, f"malformed entry: {exc}", field=where) from None


def _cells(obj: Mapping[str, Any]) -> CellSet:
    patterns = obj["patterns"]
    if any(not isinstance(p, list) or len(p) != 2 for p in patterns):
        raise ValueError("a pattern cell must be a [statement_key, pattern] pair")
    return CellSet.of(obj["tasks"], patterns, obj["skills"])


@dataclass(frozen=True)
class LedgeredRelease:
    """A walled aggregate released through the ledger.

    Attributes:
        aggregate: The aggregate to publish.
        entry: Its ledger entry.
        ledger: The ledger file.
        related: Ids of earlier releases whose population overlaps this one.
        carried_over: Cells that pass the wall here but were withheld because a related release withheld them
            (private: a count of them would hint that a withheld cell crossed the wall).
        recorded: False when an identical release was already in the ledger.
    """

    aggregate: Aggregate
    entry: LedgerEntry
    ledger: Path
    related: tuple[str, ...]
    carried_over: CellSet = field(repr=False)
    recorded: bool = True

    def summary(self) -> dict[str, Any]:
        """What the published summary may say about the ledger (no cell counts, no path)."""
        return {"release_id": self.entry.release_id, "related_releases": list(self.related),
                "rule": "cells withheld by an overlapping earlier release stay withheld"}


def default_ledger_path(facts: str | Path) -> Path:
    """The default ledger for a fact table: beside its run directory, so every run in one folder shares it.

    A run directory (or a facts file inside one, i.e. next to ``manifest.json``) gets the ledger in the run
    directory's parent; a loose facts file gets it in its own folder.
    """
    facts = Path(facts).resolve()
    run = facts if facts.is_dir() else facts.parent
    if facts.is_dir() or (run / "manifest.json").is_file():
        return run.parent / LEDGER_NAME
    return run / LEDGER_NAME


class ReleaseLedger:
    """A ledger file of releases; :meth:`release` walls a fact table consistently with every related release.

    Args:
        path: The ledger (created on the first release; its folder must exist).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def entries(self) -> tuple[LedgerEntry, ...]:
        """Every recorded release, oldest first (none when the file does not exist yet)."""
        if not self.path.exists():
            return ()
        data = read_json_object(self.path)
        if data.get("format") != _FORMAT:
            raise InputError(self.path, f"not a release ledger (expected format {_FORMAT!r})", field="format")
        if data.get("version") != _VERSION:
            raise InputError(self.path, f"ledger version {data.get('version')!r} is not supported (expected "
                             f"{_VERSION})", field="version")
        releases = data.get("releases")
        if not isinstance(releases, list):
            raise InputError(self.path, "expected a list", field="releases")
        return tuple(LedgerEntry.from_json(self.path, i, obj) for i, obj in enumerate(releases))

    def release(self, facts: pd.DataFrame | FactSource, links: pd.DataFrame, *, policy: PrivacyPolicy | None = None,
                source: str = "facts") -> LedgeredRelease:
        """Aggregate ``facts`` behind the wall and the ledger, and record the release before it is published.

        Args:
            facts: The fact table (see :func:`harness.aggregate.aggregate_facts`), or a :class:`FactSource` such as
                :class:`harness.aggregate.ColumnarFacts` (Parquet parts aggregated in DuckDB, with the same result).
            links: Task → occupation links.
            policy: The wall's thresholds (default :class:`PrivacyPolicy()`).
            source: Label recorded in every table and in the ledger.

        Raises:
            ReleaseRefused: A cell reported by a related release would be withheld now.
            InputError: The fact table or the ledger is malformed, or the ledger cannot be written.
        """
        policy = policy or PrivacyPolicy()
        table = _FrameFacts(facts) if isinstance(facts, pd.DataFrame) else facts
        table.validate()
        population = table.population_hashes()
        with self._locked():
            entries = self.entries()
            related = [e for e in entries if e.overlaps(population)]
            sticky, once_reported = CellSet(), CellSet()
            for earlier in related:
                sticky, once_reported = sticky | earlier.withheld, once_reported | earlier.reported
            aggregate = table.aggregate(links, policy=policy, source=source, withhold=sticky)
            reported, withheld = table.release_cells(aggregate)
            self._refuse_if_differencing(withheld & once_reported, related)
            carried = CellSet()
            if sticky & withheld:  # which of those cells would have been reported without the ledger
                carried = table.release_cells(table.aggregate(links, policy=policy, source=source))[0]
            entry = next((e for e in related if e.same_release(population, policy, reported, withheld)), None)
            known = entry is not None
            if entry is None:
                entry = LedgerEntry(secrets.token_hex(6), datetime.now(UTC).isoformat(timespec="seconds"), source,
                                    policy.as_dict(), len(table), population, reported, withheld)
                self._write([*entries, entry])
        others = tuple(e.release_id for e in related if e is not entry)  # a repeat is not its own predecessor
        return LedgeredRelease(aggregate, entry, self.path, others, carried & withheld, recorded=not known)

    def _refuse_if_differencing(self, conflicts: CellSet, related: list[LedgerEntry]) -> None:
        if not conflicts:
            return
        labels = conflicts.labels()
        more = f" and {len(labels) - _SHOWN_CELLS} more" if len(labels) > _SHOWN_CELLS else ""
        earlier = ", ".join(e.release_id for e in related if e.reported & conflicts)
        raise ReleaseRefused(
            self.path,
            f"release refused: {'; '.join(labels[:_SHOWN_CELLS])}{more} reported by earlier release(s) {earlier} "
            "of an overlapping population would be withheld now, and the difference of the two releases would "
            "give its count; release a population that has grown enough for those cells to pass the wall, or "
            "one that shares no conversation with the earlier releases",
        )

    def _write(self, entries: list[LedgerEntry]) -> None:
        payload = {"format": _FORMAT, "version": _VERSION,
                   "note": "Private: conversation-id hashes and withheld cells of every release. Do not publish.",
                   "releases": [e.to_json() for e in entries]}
        try:
            write_json_atomic(self.path, payload)
        except OSError as exc:
            raise InputError(self.path, f"cannot write the release ledger: {exc.strerror or exc}") from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on ``<ledger>.lock`` so two releases cannot both miss each other."""
        if not self.path.parent.is_dir():
            raise InputError(self.path, "the folder of the release ledger does not exist")
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            handle = lock.open("a")
        except OSError as exc:
            raise InputError(self.path, f"cannot open the release ledger: {exc.strerror or exc}") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

