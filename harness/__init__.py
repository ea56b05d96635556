"""Evaluation and validation harness for measuring how AI is used across the economy.

The package follows the pipeline, one subpackage per stage:

- :mod:`harness.taxonomy` – O*NET and Economic Index loaders, the ``Hierarchy`` type and the work-activity builder.
- :mod:`harness.clio` – Clio-style hierarchies built bottom-up from task statements (with a model or offline).
- :mod:`harness.conversations` – the ``Conversation`` type and its readers.
- :mod:`harness.llm` – model backends behind one protocol, with an on-disk answer cache.
- :mod:`harness.classify` – screening, hierarchy traversal and facet steps.
- :mod:`harness.aggregate` – privacy wall, roll-ups and Economic Index analyses.
- :mod:`harness.cluster` – Clio-style clustering for reconstruction checks.
- :mod:`harness.evaluate` – goldsets, metrics, model comparison and the CI gate.
- :mod:`harness.evals_support` – the shared pieces of the inspect-ai tasks in ``evals/``.
- :mod:`harness.report` – appendix-style validation reports.
- :mod:`harness.cli` – the ``harness`` command.
"""

__version__ = "0.1.0"
