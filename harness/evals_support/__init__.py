"""Building blocks of the inspect-ai tasks in the repository's ``evals/`` folder.

The tasks (``evals/hierarchy.py``, ``collaboration.py``, ``screening.py``, ``skills.py``) are loaded by path
(``inspect eval evals/hierarchy.py``), so the code they share lives here, inside the installed package, and each
task imports it like any other part of the harness. It is a subpackage of its own because it imports inspect-ai,
which is slow to import; nothing else in the harness loads it.

Public API:
    Goldset → inspect dataset: :func:`gold_samples`.
    Solver: :func:`classify_solver` runs :class:`harness.classify.LLMClassifier` on the eval's active model and
    stores the prediction row, which :func:`prediction` reads back in a scorer; :func:`onet_context` gives the
    O*NET release and its work-activity hierarchy; :data:`NO_HIERARCHY` stands in for tasks that never walk one.
    Metrics: :func:`make_metric` turns a :mod:`harness.evaluate` function over the samples' score metadata into an
    inspect metric.

Privacy: a stored prediction holds node ids, the pattern, skills, validity and tokens, never conversation text.
"""

from harness.evals_support._dataset import gold_samples
from harness.evals_support._metric import make_metric
from harness.evals_support._solver import NO_HIERARCHY, classify_solver, onet_context, prediction

__all__ = ["NO_HIERARCHY", "classify_solver", "gold_samples", "make_metric", "onet_context", "prediction"]
