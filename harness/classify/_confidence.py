"""Per-prediction confidence: the backends' raw signals and the maps that turn them into probabilities.

What ``confidence`` means. Every fact row may carry ``confidence``, the probability that the conversation's
predicted SOC major group is right. The major group is the level the headline shares are released at, and the level
where the embedded default is right often enough (about half the time) for a probability to be informative; its
task-level accuracy is too low for a useful per-level map. The raw signal behind it is kept beside it as
``confidence_score``.

The signals.

* **Embedding backend** – :func:`group_mass`: the share of a softmax over every base task's score (temperature
  :data:`EMBEDDING_TEMPERATURE`) that falls on tasks of the predicted major group(s). A prediction that wins by a
  wide margin over every task of another group gets a share near 1; one that ties with tasks of other groups gets
  little. Chosen on the goldset's dev split (220 items, 125 occupational) among temperatures 0.05 to 2 for the
  scores of ``embedding-beam/3``, whose pooled terms spread scores over a much wider range than a similarity: ROC
  AUC for major-group correctness 0.79 at 0.05, 0.75 at 0.5, 0.71 at 2. At 0.05 nearly every share rounds to 1 in
  floating point, which leaves nothing to calibrate, so the default is 0.5, the best temperature whose shares still
  spread (mean 0.84). The test split was not looked at for the choice.
* **LLM backend** – :func:`agreement_share`: with ``confidence_samples`` = k > 0 the traversal is asked again k
  times, each time with another of the option-order variants the backend already uses (so the prompts stay
  cacheable); the signal is the share of those repeats whose task lies in a predicted major group. It costs k more
  traversals per conversation; the command line prints what they cost. Off by default.

The maps. A signal is not a probability until it is calibrated on labelled items. :class:`CalibrationMap` is a
Platt map (a logistic regression on the signal's log-odds, two parameters) or an isotonic one (a monotone step
function), fitted with scikit-learn by :func:`fit_calibration_map`. The embedded default ships its map as a small
JSON file in ``harness/classify/calibration/`` (:class:`ConfidenceCalibration`), fitted on the 68 occupational dev
items of the shipped goldset by ``scripts/fit_confidence_calibration.py``. Platt, because isotonic maps over-fit
samples this small (they need hundreds of items to beat two parameters). The file also keeps the dev items'
signals and correctness, so ``--target-precision`` can pick an abstention threshold on dev data without labels at
hand (:meth:`ConfidenceCalibration.threshold_for_precision`). The file names the backend configuration and the
hierarchy it was fitted for; any other (another model, a usage prior, another O*NET release) gets no calibrated
confidence rather than a wrong one. LLM backends ship no map (it would depend on the model): their
``confidence`` is the agreement share itself, uncalibrated, and ``harness validate`` reports how well calibrated it
is.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, get_args

import numpy as np

from harness.run import read_json_object

__all__ = [
    "EMBEDDING_SIGNAL",
    "EMBEDDING_TEMPERATURE",
    "CalibrationMap",
    "CalibrationMethod",
    "ConfidenceCalibration",
    "agreement_share",
    "fit_calibration_map",
    "fitted_for",
    "group_mass",
    "shipped_calibration",
    "shipped_file",
]

CalibrationMethod = Literal["platt", "isotonic"]
_METHODS: tuple[str, ...] = get_args(CalibrationMethod)

EMBEDDING_TEMPERATURE = 0.5
"""Temperature of the softmax in :func:`group_mass` (chosen on the dev split, see the module docstring)."""
EMBEDDING_SIGNAL = f"embedding-group-mass/1 (softmax temperature {EMBEDDING_TEMPERATURE})"
"""Name and version of the embedding backend's raw signal, recorded in manifests and calibration files."""

_EPS = 1e-6
_FORMAT = "harness confidence calibration"


def _logit(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(scores, _EPS, 1 - _EPS)
    return np.log(clipped / (1 - clipped))


@dataclass(frozen=True)
class CalibrationMap:
    """A monotone map from a raw signal in [0, 1] to a probability of being right.

    Attributes:
        method: ``"platt"`` (``sigmoid(slope * logit(score) + intercept)``) or ``"isotonic"`` (linear
            interpolation between the knots ``x`` → ``y``, flat beyond them).
        slope, intercept: The Platt parameters (unused by isotonic maps).
        x, y: The isotonic knots, ``x`` increasing (empty for Platt maps).

    Raises:
        ValueError: On an unknown method, knots of unequal length or out of order, or a non-finite parameter.
    """

    method: CalibrationMethod
    slope: float = 1.0
    intercept: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {self.method!r}")
        if not (math.isfinite(self.slope) and math.isfinite(self.intercept)):
            raise ValueError("slope and intercept must be finite")
        object.__setattr__(self, "x", tuple(float(v) for v in self.x))
        object.__setattr__(self, "y", tuple(float(v) for v in self.y))
        if self.method == "isotonic":
            if not self.x or len(self.x) != len(self.y):
                raise ValueError("an isotonic map needs knots x and y of equal, non-zero length")
            if any(b < a for a, b in zip(self.x, self.x[1:], strict=False)):
                raise ValueError("isotonic knots x must be increasing")

    def apply(self, scores: Sequence[float] | np.ndarray) -> np.ndarray:
        """Probabilities for ``scores`` (NaN stays NaN)."""
        values = np.asarray(scores, dtype=float)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.slope * _logit(values) + self.intercept)))
        out = np.interp(values, self.x, self.y)
        return np.where(np.isnan(values), np.nan, out)

    def to_json(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "slope": self.slope, "intercept": self.intercept}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CalibrationMap:
        return cls(obj["method"], float(obj.get("slope", 1.0)), float(obj.get("intercept", 0.0)),
                   tuple(obj.get("x", ())), tuple(obj.get("y", ())))


def fit_calibration_map(scores: Sequence[float], correct: Sequence[bool], *,
                        method: CalibrationMethod = "platt") -> CalibrationMap:
    """Fit a map from raw signals to the chance of being right, with scikit-learn.

    Args:
        scores: Raw signal per labelled item, in [0, 1].
        correct: Whether each item's prediction was right.
        method: ``"platt"`` (an unpenalised logistic regression on the log-odds of the signal) or ``"isotonic"``.

    Raises:
        ValueError: Lengths differ, fewer than two items, a signal outside [0, 1], or only one outcome (a map
            cannot be fitted when every item was right, or every one wrong).
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(correct, dtype=bool)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"scores and correct must be equally long 1-d sequences, got {x.shape} and {y.shape}")
    if x.size < 2 or not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ValueError("need at least two finite scores in [0, 1]")
    if y.all() or not y.any():
        raise ValueError("need both right and wrong items to fit a calibration map")
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        # a huge C is no penalty in every scikit-learn version (penalty=None is deprecated from 1.8 on)
        model = LogisticRegression(C=1e12).fit(_logit(x)[:, None], y)
        return CalibrationMap("platt", float(model.coef_[0, 0]), float(model.intercept_[0]))
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y.astype(float))
        return CalibrationMap("isotonic", x=tuple(iso.X_thresholds_), y=tuple(iso.y_thresholds_))
    raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")


@dataclass(frozen=True)
class ConfidenceCalibration:
    """A calibration map for one backend configuration, with the labelled items it was fitted on.

    Attributes:
        backend: The backend spec it applies to, e.g. ``"embedding:all-MiniLM-L6-v2"``.
        config_digest: Digest of the backend configuration (:meth:`EmbeddingConfig.digest`) it was fitted for.
        hierarchy_id: The hierarchy the backend walked (scores on another hierarchy mean something else).
        signal: Name of the raw signal (:data:`EMBEDDING_SIGNAL`).
        target: What the probability is of (``"major_group"``: the predicted SOC major group is right).
        map: The fitted :class:`CalibrationMap`.
        fitted_on: Which items, in words (goldset, split, scoring).
        dev_scores, dev_correct: The fitting items' raw signals and correctness (used to choose thresholds).
    """

    backend: str
    config_digest: str
    hierarchy_id: str
    signal: str
    target: str
    map: CalibrationMap
    fitted_on: str
    dev_scores: tuple[float, ...]
    dev_correct: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.dev_scores) != len(self.dev_correct):
            raise ValueError("dev_scores and dev_correct differ in length")

    def confidence(self, scores: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw ``scores``."""
        return self.map.apply(scores)

    def threshold_for_precision(self, precision: float, *, min_items: int = 20) -> float:
        """The lowest confidence threshold whose kept dev items reach ``precision``.

        Keeping the predictions with confidence at or above the returned threshold, at least ``min_items`` of the
        dev items remain and their accuracy is at least ``precision``; of all such thresholds this one keeps the
        most. The dev items are those the map was fitted on, so the precision is measured in-sample.

        Raises:
            ValueError: ``precision`` is outside (0, 1], or no threshold reaches it with ``min_items`` items
                (the message gives the best precision there is).
        """
        if not 0.0 < precision <= 1.0:
            raise ValueError(f"target precision must be in (0, 1], got {precision!r}")
        conf = self.confidence(self.dev_scores)
        right = np.asarray(self.dev_correct, dtype=bool)
        best = 0.0
        for threshold in np.unique(conf):
            kept = conf >= threshold
            if kept.sum() < min_items:
                break
            reached = float(right[kept].mean())
            best = max(best, reached)
            if reached >= precision:
                return float(threshold)
        raise ValueError(f"no confidence threshold reaches precision {precision:g} on the {len(right)} dev items "
                         f"with at least {min_items} of them kept (the best is {best:.3f})")

    def to_json(self) -> dict[str, Any]:
        return {"format": _FORMAT, "version": 1, "backend": self.backend, "config_digest": self.config_digest,
                "hierarchy_id": self.hierarchy_id, "signal": self.signal, "target": self.target,
                "map": self.map.to_json(), "fitted_on": self.fitted_on,
                "dev": {"scores": [round(v, 6) for v in self.dev_scores],
                        "correct": list(map(bool, self.dev_correct))}}

    @classmethod
    def from_json(cls, obj: dict[str, Any], source: str | Path = "<calibration>") -> ConfidenceCalibration:
        """Read a calibration file's object.

        Raises:
            InputError: Not a calibration file, or a field is missing or malformed.
        """
        from harness.errors import InputError

        if not isinstance(obj, dict) or obj.get("format") != _FORMAT:
            raise InputError(source, f"not a confidence calibration (expected format {_FORMAT!r})", field="format")
        try:
            return cls(str(obj["backend"]), str(obj["config_digest"]), str(obj["hierarchy_id"]), str(obj["signal"]),
                       str(obj["target"]),
                       CalibrationMap.from_json(obj["map"]), str(obj["fitted_on"]),
                       tuple(float(v) for v in obj["dev"]["scores"]), tuple(bool(v) for v in obj["dev"]["correct"]))
        except KeyError as exc:
            raise InputError(source, "missing field", field=str(exc.args[0])) from None
        except (TypeError, ValueError) as exc:
            raise InputError(source, f"malformed calibration: {exc}") from None

    def sha256(self) -> str:
        """Digest of the calibration's content (recorded in manifests)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


def shipped_file(filename: str) -> Path | None:
    """A file shipped in ``harness/classify/calibration/`` (the fitted parts of a backend), or None when absent."""
    resource = resources.files("harness.classify").joinpath("calibration", filename)
    # the harness is installed as plain files (see default_goldset_path), so the resource is a real path
    return Path(str(resource)) if resource.is_file() else None


def shipped_calibration(name: str) -> ConfidenceCalibration | None:
    """The calibration shipped as ``harness/classify/calibration/<name>.json``, or None when there is none."""
    path = shipped_file(f"{name}.json")
    if path is None:
        return None
    return ConfidenceCalibration.from_json(read_json_object(path), f"calibration/{name}")


class _Fitted(Protocol):
    backend: str
    config_digest: str
    hierarchy_id: str


_F = TypeVar("_F", bound=_Fitted)


def fitted_for(found: _F | None, *, backend: str, config_digest: str, hierarchy_id: str) -> _F | None:
    """``found`` (a shipped confidence map or screening model) when it was fitted for exactly this backend spec,
    configuration digest and hierarchy, else None: scores of another configuration or hierarchy mean something
    else."""
    if found is None or (found.backend, found.config_digest, found.hierarchy_id) != (
            backend, config_digest, hierarchy_id):
        return None
    return found


def group_mass(scores: np.ndarray, predicted: int, members: np.ndarray, *,
               temperature: float = EMBEDDING_TEMPERATURE) -> float | None:
    """Share of a softmax over every base task's score that falls on the predicted task's major group(s).

    Args:
        scores: One conversation's score for every base task.
        predicted: Index of the predicted base task.
        members: Boolean matrix (tasks × major groups): which groups each task's occupations belong to.
        temperature: Softmax temperature (smaller: only the best scores count).

    Returns:
        The share in [0, 1], or None when the predicted task belongs to no major group.
    """
    groups = members[predicted]
    if not groups.any():
        return None
    finite = np.isfinite(scores)
    weights = np.zeros_like(scores, dtype=np.float64)
    weights[finite] = np.exp((scores[finite] - scores[finite].max()) / temperature)
    in_group = members[:, groups].any(axis=1)
    # rounding can put the share a hair outside [0, 1]
    return float(min(1.0, max(0.0, weights[in_group].sum() / weights.sum())))


def agreement_share(predicted: Collection[str], repeats: Sequence[Collection[str]]) -> float | None:
    """Share of repeated answers whose major groups meet the predicted ones (None without repeats or groups).

    Args:
        predicted: Major groups of the predicted task.
        repeats: Major groups of each repeated traversal's task (empty when a repeat gave no task).
    """
    if not repeats or not predicted:
        return None
    wanted = set(predicted)
    return sum(bool(wanted & set(groups)) for groups in repeats) / len(repeats)
