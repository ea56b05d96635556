"""The metric registry: every metric the harness writes, named once, with its kind, direction and origin.

``metrics.json`` is read by the CI gate, by ``harness compare`` and by the report, and each of them needs to know
the same few facts about a metric: is it a share of items or a chance-corrected coefficient, is higher better, which
scorer wrote it, and can it be recomputed from ``items.parquet``. Those facts live here and nowhere else. The
writers (the facet scorers of validation) look each name up with :func:`metric_spec`, so a name that is not
registered fails at once instead of reaching a metrics file that the gate and the report do not understand.

Names may hold placeholders in braces: ``hierarchy.{level}.accuracy`` stands for one metric per level of the
hierarchy that was scored (``top``, ``mid``, ``base`` for the work-activity hierarchy; Clio-style builds may have
``mid1``, ``mid2``...). A placeholder matches one dot-free segment. Exact names win over templates, so
``hierarchy.major_group.accuracy`` is its own metric rather than a level called ``major_group``.

The registry imports only the metrics-file format (:mod:`harness.run`), so any stage can depend on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from harness.run import KINDS, Kind

__all__ = [
    "DIRECTIONS",
    "FACETS",
    "KINDS",
    "METRICS",
    "Direction",
    "Facet",
    "Kind",
    "MetricSpec",
    "UnknownMetricError",
    "metric_direction",
    "metric_names",
    "metric_spec",
]

# The kinds a metrics file may carry belong to its format (harness.run); what each means for the gate:
#   proportion  a share of items (binomial noise)
#   kappa       a chance-corrected agreement coefficient
#   score       a bounded score in [0, 1] that is not a plain share of items, such as a macro-averaged F1; its
#               noise is read from its reported interval
#   correlation Pearson, Spearman or Kendall coefficients (Fisher's z)
#   error       an error such as an MSE
#   count       informational counts
#   cost        tokens or money per item

Direction = Literal["higher", "lower", "none"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)
"""Which way is better: ``higher``, ``lower``, or ``none`` for informational metrics that are never judged."""

Facet = Literal["hierarchy", "major_group", "pattern", "screening", "validity", "cost", "calibration",
                "reconstruction"]
FACETS: tuple[str, ...] = get_args(Facet)
"""What a metric describes; each facet of validation has one scorer (see ``harness.evaluate._scoring``)."""

PairedTest = Literal["mcnemar", "bootstrap"]
Producer = Literal["validate", "reconstruct"]

_KIND_DIRECTION: dict[str, Direction] = {
    "proportion": "higher", "kappa": "higher", "score": "higher", "correlation": "higher",
    "error": "lower", "cost": "lower", "count": "none",
}

if set(_KIND_DIRECTION) != set(KINDS):  # a kind added to the metrics format needs its direction here
    raise RuntimeError(f"directions known for {sorted(_KIND_DIRECTION)}, but the kinds are {sorted(KINDS)}")


class UnknownMetricError(KeyError):
    """A metric name that is not in the registry (a :class:`KeyError`, so mapping-style callers can catch it)."""

    def __str__(self) -> str:  # KeyError would print the message quoted, as if it were the key itself
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class MetricSpec:
    """What the harness knows about one metric (or one family of metrics, when the name has placeholders).

    Attributes:
        name: The name in ``metrics.json``, e.g. ``"pattern.cohen_kappa"``; may hold ``{level}`` or
            ``{aggregation}`` placeholders.
        kind: One of :data:`KINDS`; written beside the value and used by the gate for its margin.
        direction: ``"higher"`` or ``"lower"`` is better, or ``"none"`` for metrics that are only reported.
        facet: One of :data:`FACETS`: the validation scorer (or other stage) that writes it.
        description: One line saying what the number is.
        columns: The ``items.parquet`` columns it can be recomputed from, for paired comparisons; empty when it
            cannot be (e.g. lenient scoring needs every rater's label, which the table does not hold).
        paired_test: How ``harness compare`` tests a change between two runs: ``"mcnemar"`` (McNemar's test on
            the per-item correctness, plus a paired bootstrap interval) or ``"bootstrap"`` (the paired bootstrap
            interval alone); ``None`` when compare does not test it.
        producer: The command that writes it: ``"validate"`` (``metrics.json``) or ``"reconstruct"``
            (``reconstruction/reconstruction.json``).
        condition: When the producer may leave it out, in words; empty when it is always written.
        headline: Whether ``harness demo`` prints it.
        weighted: Whether it is weighted back to a pool by the items' inclusion probabilities
            (Horvitz–Thompson, :mod:`harness.evaluate._weighting`); such metrics are written only for goldsets whose
            items carry the probabilities, so :func:`metric_names` lists them only when asked.

    Raises:
        ValueError: On a kind, direction, facet, test or producer outside its options, or an empty description.
    """

    name: str
    kind: Kind
    direction: Direction
    facet: Facet
    description: str
    columns: tuple[str, ...] = ()
    paired_test: PairedTest | None = None
    producer: Producer = "validate"
    condition: str = ""
    headline: bool = False
    weighted: bool = False

    def __post_init__(self) -> None:
        for field, value, options in (
            ("kind", self.kind, KINDS),
            ("direction", self.direction, DIRECTIONS),
            ("facet", self.facet, FACETS),
            ("producer", self.producer, get_args(Producer)),
        ):
            if value not in options:
                raise ValueError(f"{self.name}: {field} must be one of {', '.join(options)}, got {value!r}")
        if self.paired_test is not None and self.paired_test not in get_args(PairedTest):
            raise ValueError(f"{self.name}: paired_test must be mcnemar, bootstrap or None, got {self.paired_test!r}")
        if self.paired_test is not None and not self.columns:
            raise ValueError(f"{self.name}: a paired test needs the items.parquet columns it reads")
        if not self.description.strip():
            raise ValueError(f"{self.name}: a description is required")

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholder names in :attr:`name`, in order (empty for a plain name)."""
        return tuple(re.findall(r"\{(\w+)\}", self.name))

    def matches(self, name: str) -> bool:
        """Whether the concrete ``name`` is this metric (or one member of this family)."""
        return name == self.name or (bool(self.placeholders) and _pattern(self.name).fullmatch(name) is not None)

    def format(self, **values: str) -> str:
        """The concrete name for the given placeholder values, e.g. ``format(level="top")``.

        Raises:
            KeyError: When a placeholder has no value.
        """
        return self.name.format(**values)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", template)
    return re.compile(r"[^.]+".join(re.escape(p) for p in parts))


def _spec(name: str, kind: Kind, facet: Facet, description: str, **options) -> MetricSpec:
    """A spec whose direction follows from its kind unless given."""
    direction = options.pop("direction", _KIND_DIRECTION[kind])
    return MetricSpec(name, kind, direction, facet, description, **options)


_LEVEL = "hierarchy.{level}"
_ACCURACY_NOTE = "strict: against the majority label"
_LENIENT_NOTE = "lenient: any rater's label accepts the prediction"

METRICS: tuple[MetricSpec, ...] = (
    _spec(f"{_LEVEL}.accuracy", "proportion", "hierarchy",
          f"Share of occupational items whose predicted node at this level is acceptable ({_ACCURACY_NOTE}).",
          columns=("correct_{level}",), paired_test="mcnemar", headline=True),
    _spec("hierarchy.major_group.accuracy", "proportion", "major_group",
          f"Share of occupational items whose predicted task lies in an acceptable SOC major group "
          f"({_ACCURACY_NOTE}).", columns=("correct_major_group",), paired_test="mcnemar", headline=True,
          condition="compare skips it for runs written before items.parquet had correct_major_group"),
    _spec("major_group.macro_f1", "score", "major_group",
          "Unweighted mean over SOC major groups of each group's F1, against the item's primary gold group.",
          columns=("major_group", "pred_major_group"), paired_test="bootstrap",
          condition="compare skips it for runs written before items.parquet had pred_major_group"),
    _spec(f"{_LEVEL}.accuracy_lenient", "proportion", "hierarchy",
          f"Hierarchy accuracy at this level, {_LENIENT_NOTE}."),
    _spec("hierarchy.major_group.accuracy_lenient", "proportion", "major_group",
          f"SOC major-group accuracy, {_LENIENT_NOTE}."),
    _spec("pattern.accuracy", "proportion", "pattern",
          "Share of items whose predicted collaboration pattern equals the majority pattern.",
          columns=("gold_pattern", "pred_pattern"), paired_test="mcnemar", headline=True),
    _spec("pattern.accuracy_lenient", "proportion", "pattern",
          "Share of items whose predicted pattern some rater chose."),
    _spec("pattern.cohen_kappa", "kappa", "pattern",
          "Cohen's kappa of predicted against majority patterns (invalid answers form their own category).",
          columns=("gold_pattern", "pred_pattern"), paired_test="bootstrap"),
    _spec("pattern.mode.accuracy", "proportion", "pattern",
          "Accuracy on the three-way automation / augmentation / none split of the patterns.",
          columns=("gold_pattern", "pred_pattern"), paired_test="mcnemar"),
    _spec("pattern.binary.accuracy", "proportion", "pattern",
          "Automation-versus-augmentation accuracy on items where neither side says none."),
    _spec("screening.accuracy", "proportion", "screening",
          "Share of items whose occupational yes/no verdict equals the majority's.",
          columns=("gold_occupational", "pred_occupational"), paired_test="mcnemar", headline=True),
    _spec("screening.cohen_kappa", "kappa", "screening",
          "Cohen's kappa of the occupational verdict against the majority's."),
    _spec("classification.valid_rate", "proportion", "validity",
          "Share of items the classifier answered validly (invalid answers are scored as wrong everywhere)."),
    _spec("cost.input_tokens_per_item", "cost", "cost", "Mean input tokens sent to the model per item."),
    _spec("cost.usd_per_item", "cost", "cost", "Mean cost in US dollars per item.",
          condition="only when the backend reports a cost for at least one item"),
    _spec("calibration.major_group.ece", "error", "calibration",
          "Expected calibration error of the per-prediction confidence against SOC major-group correctness "
          "(strict; 10 equal-width bins; bootstrap interval).",
          condition="only when the backend gives a confidence for at least one scored item"),
    *(
        _spec(name, "score", facet, f"{text}, weighted back to the pool by 1/inclusion probability "
              "(Horvitz-Thompson; Wilson interval with Kish's effective n).", weighted=True,
              condition="only when every goldset item carries an inclusion probability (harness label queue)")
        for name, facet, text in (
            (f"{_LEVEL}.accuracy_weighted", "hierarchy", "Strict hierarchy accuracy at this level"),
            ("hierarchy.major_group.accuracy_weighted", "major_group", "Strict SOC major-group accuracy"),
            ("pattern.accuracy_weighted", "pattern", "Strict collaboration-pattern accuracy"),
            ("screening.accuracy_weighted", "screening", "Strict screening accuracy"),
        )
    ),
    *(
        _spec(f"reconstruction.{{level}}.{{aggregation}}.{stat}", kind, "reconstruction", text,
              producer="reconstruct")
        for stat, kind, text in (
            ("pearson", "correlation", "Pearson correlation of cluster-derived and direct prevalence shares."),
            ("spearman", "correlation", "Spearman rank correlation of cluster-derived and direct shares."),
            ("kendall_tau_b", "correlation", "Kendall's tau-b of cluster-derived and direct shares."),
            ("mse", "error", "Mean squared difference of cluster-derived and direct shares."),
        )
    ),
)
"""Every metric, in the order ``metrics.json`` lists them."""


def _check_unique(specs: Sequence[MetricSpec]) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"metric {spec.name!r} is registered twice")
        seen.add(spec.name)


_check_unique(METRICS)
_BY_NAME = {spec.name: spec for spec in METRICS}


def metric_spec(name: str) -> MetricSpec:
    """The registered spec of a concrete metric name (or of a template written exactly as registered).

    Raises:
        UnknownMetricError: When no registered metric or family matches ``name``; the message lists the
            registered names.
    """
    spec = _BY_NAME.get(name)
    if spec is not None:
        return spec
    for candidate in METRICS:
        if candidate.matches(name):
            return candidate
    known = ", ".join(s.name for s in METRICS)
    raise UnknownMetricError(f"unknown metric {name!r}: register it in harness/evaluate/_registry.py (known: {known})")


def metric_direction(name: str, kind: str) -> Direction:
    """Which way is better for ``name``: its registered direction, else the usual one for ``kind``.

    Unregistered names are allowed here because a baseline may hold metrics written by another version of the
    harness; the kind they carry still says how to read them.

    Raises:
        ValueError: When ``name`` is unregistered and ``kind`` is not one of :data:`KINDS`.
    """
    try:
        return metric_spec(name).direction
    except UnknownMetricError:
        if kind not in _KIND_DIRECTION:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}") from None
        return _KIND_DIRECTION[kind]


def _expand(spec: MetricSpec, levels: Sequence[str]) -> Iterator[str]:
    if not spec.placeholders:
        yield spec.name
    elif spec.placeholders == ("level",):
        yield from (spec.format(level=level) for level in levels)
    else:
        raise ValueError(f"{spec.name}: only the level placeholder can be expanded")


def metric_names(
    levels: Sequence[str] = ("top", "mid", "base"), *, producer: Producer = "validate", facet: Facet | None = None,
    weighted: bool = False,
) -> tuple[str, ...]:
    """The concrete metric names a producer writes for a hierarchy with these levels, in ``metrics.json`` order.

    Args:
        levels: The hierarchy's level names, top first.
        producer: ``"validate"`` (the only producer whose families can be expanded from levels alone).
        facet: Only the metrics of this facet, when given.
        weighted: Include the metrics weighted by inclusion probabilities (written only for goldsets that carry
            them).

    Raises:
        ValueError: When ``producer`` is not ``"validate"``.
    """
    if producer != "validate":
        raise ValueError(f"only validate's metric names can be listed from the levels, not {producer!r}'s")
    chosen = [s for s in METRICS if s.producer == producer and (facet is None or s.facet == facet)
              and (weighted or not s.weighted)]
    return tuple(name for spec in chosen for name in _expand(spec, levels))
