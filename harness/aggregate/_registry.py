"""The analysis registry: every analysis by name, the kind of source it applies to, and what it produces.

An analysis is a function ``run(source, **options) -> AnalysisOutput``: walled tables, figure builders and a few
headline numbers. It is registered once with :func:`register_analysis` under a name and the *source kinds* it
accepts; callers then run every analysis of a kind without knowing them (:func:`run_analyses`), and the CLI lists
them from here. The source kinds:

``"facts"``
    a walled :class:`~harness.aggregate.Aggregate` of a fact table (``harness classify`` output);
``"release"``
    a published release of the first format (:class:`~harness.taxonomy.EconomicIndexRelease`);
``"waves"``
    a :class:`WaveSet`: several waves of task shares and collaboration patterns, consumer and API, with the task →
    occupation links;
``"long_format"``
    a long-format release (:class:`~harness.taxonomy.LongFormatTable`), e.g. for the geography analyses;
``"pair"``
    two sources compared (``harness drift``).

Adding an analysis: write ``def run(source, **options) -> AnalysisOutput`` in its own module, call
``register_analysis(AnalysisSpec(name, frozenset({...}), run, "one line"))`` at import, and import the module from
:mod:`harness.aggregate` so the registration happens. Table and figure names must be unique across the analyses of
one kind (they become file stems); prefix them with the analysis's area (``wave_``, ``geo_``, ``drift_``).
Every table records its source (release, wave) and privacy policy through :class:`WalledTable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import pandas as pd
from matplotlib.figure import Figure

from harness.aggregate._privacy import WalledTable
from harness.aggregate._run import Analysis

__all__ = [
    "ANALYSES",
    "SOURCE_KINDS",
    "AnalysisOutput",
    "AnalysisSpec",
    "SourceKind",
    "WaveSet",
    "analyses_for",
    "analysis_spec",
    "register_analysis",
    "run_analyses",
]

SourceKind = Literal["facts", "release", "waves", "long_format", "pair"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)


@dataclass(frozen=True)
class AnalysisOutput:
    """What one analysis produced.

    Attributes:
        tables: Walled tables by name (file stems).
        figures: Figure builders by name; each returns a fresh Matplotlib figure drawn from the tables only.
        summary: Headline numbers, JSON-ready.
    """

    tables: dict[str, WalledTable] = field(default_factory=dict, repr=False)
    figures: dict[str, Callable[[], Figure]] = field(default_factory=dict, repr=False)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisSpec:
    """One registered analysis.

    Attributes:
        name: Registry key (also the key of its block in the run's ``summary.json``).
        applies_to: Source kinds it accepts (:data:`SOURCE_KINDS`).
        run: ``run(source, **options) -> AnalysisOutput``; options it does not know are ignored by convention
            (each takes ``**_``), so one option set can be passed to all analyses of a kind.
        description: One line for ``--help`` and the README.
    """

    name: str
    applies_to: frozenset[str]
    run: Callable[..., AnalysisOutput] = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.applies_to) - set(SOURCE_KINDS)
        if not self.applies_to or unknown:
            raise ValueError(f"applies_to must be a non-empty subset of {SOURCE_KINDS}, got {sorted(self.applies_to)}")


@dataclass(frozen=True)
class WaveSet:
    """The ``"waves"`` source: waves plus the task → occupation links their task names join to.

    Attributes:
        waves: :class:`~harness.taxonomy.Wave` objects in order.
        links: Links table (``statement_key``, ``soc_codes``), O*NET 20.1 for the Economic Index waves.
        major_groups: ``major_group``, ``title`` (optional, for labels).
        links_source: Where the links come from (recorded in notes).
    """

    waves: tuple[Any, ...]
    links: pd.DataFrame = field(repr=False)
    major_groups: pd.DataFrame | None = field(default=None, repr=False)
    links_source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Labels of the waves (``"v3 consumer"`` ...)."""
        return tuple(w.label for w in self.waves)


ANALYSES: dict[str, AnalysisSpec] = {}


def register_analysis(spec: AnalysisSpec) -> AnalysisSpec:
    """Add ``spec`` to :data:`ANALYSES`; a second registration under the same name is an error."""
    if spec.name in ANALYSES and ANALYSES[spec.name] is not spec:
        raise ValueError(f"an analysis named {spec.name!r} is already registered")
    ANALYSES[spec.name] = spec
    return spec


def analysis_spec(name: str) -> AnalysisSpec:
    """The registered analysis ``name`` (KeyError listing the known names otherwise)."""
    try:
        return ANALYSES[name]
    except KeyError:
        raise KeyError(f"unknown analysis {name!r}; registered: {', '.join(sorted(ANALYSES))}") from None


def analyses_for(kind: str) -> tuple[AnalysisSpec, ...]:
    """Registered analyses that accept source kind ``kind``, in registration order."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"kind must be one of {SOURCE_KINDS}, got {kind!r}")
    return tuple(spec for spec in ANALYSES.values() if kind in spec.applies_to)


def run_analyses(kind: str, source: Any, *, name: str, names: Sequence[str] | None = None,
                 summary: Mapping[str, Any] | None = None, **options: Any) -> Analysis:
    """Run the registered analyses of ``kind`` on ``source`` and gather them into one :class:`Analysis`.

    Args:
        kind: Source kind.
        source: The source object of that kind.
        name: Analysis name (recorded in the summary).
        names: Run only these analyses (default: all of ``kind``).
        summary: Extra headline entries (e.g. which waves were loaded).
        options: Passed to every analysis.

    Raises:
        ValueError: a named analysis does not accept ``kind``, or two analyses produce the same table name.
    """
    specs = analyses_for(kind) if names is None else tuple(analysis_spec(n) for n in names)
    tables: dict[str, WalledTable] = {}
    figures: dict[str, Callable[[], Figure]] = {}
    block: dict[str, Any] = {"name": name, "kind": kind, **(summary or {})}
    for spec in specs:
        if kind not in spec.applies_to:
            raise ValueError(f"analysis {spec.name!r} does not apply to {kind!r} sources")
        out = spec.run(source, **options)
        clash = (set(out.tables) & set(tables)) | (set(out.figures) & set(figures))
        if clash:
            raise ValueError(f"analysis {spec.name!r} reuses output name(s) {sorted(clash)}")
        tables.update(out.tables)
        figures.update(out.figures)
        block[spec.name] = out.summary
    return Analysis(name, tables, figures, block)
