"""Build a classifier from a backend string: ``embedding:``, ``anthropic:``, ``inspect:`` or ``replay:``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.classify._types import Classifier
from harness.taxonomy import Hierarchy, OnetRelease

__all__ = ["BACKEND_SCHEMES", "DEFAULT_BACKEND", "get_classifier"]

BACKEND_SCHEMES = ("embedding", "anthropic", "anthropic-batch", "inspect", "replay")
DEFAULT_BACKEND = "embedding:all-MiniLM-L6-v2"


def get_classifier(
    spec: str,
    hierarchy: Hierarchy,
    *,
    release: OnetRelease | None = None,
    seed: int = 0,
    cache_path: str | Path | None = None,
    **options: Any,
) -> Classifier:
    """Return the classifier that ``spec`` names.

    Args:
        spec: ``embedding:<model>`` (offline default, e.g. ``embedding:all-MiniLM-L6-v2``), ``anthropic:<model-id>``,
            ``anthropic-batch:<model-id>`` (every step through Message Batches),
            ``inspect:<provider/model>`` or ``replay:<predictions file>``.
        hierarchy: The hierarchy to classify against.
        release: O*NET release supplying the skills facet's options (skills are skipped without it).
        seed: Seed for option shuffling (LLM backends).
        cache_path: SQLite answer cache for LLM backends (default: the harness cache directory).
        **options: Passed to the backend (e.g. ``max_concurrency``, ``base_url`` for ``anthropic:``). For
            ``embedding:``, :class:`EmbeddingConfig` fields, plus ``prior="economic-index:<release>[:<version>]"``
            (off by default: it pulls prevalence toward the released shares) and ``data_dir`` to find it.

    Raises:
        ValueError: unknown scheme or missing model name.
    """
    scheme, sep, name = spec.partition(":")
    if not sep or scheme not in BACKEND_SCHEMES or not name:
        expected = ", ".join(f"{s}:<...>" for s in BACKEND_SCHEMES)
        raise ValueError(f"unknown backend {spec!r}; expected one of {expected}")
    skills: list[tuple[str, str]] = []
    if release is not None:
        skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    if scheme == "embedding":
        from harness.classify._embedding_backend import EmbeddingClassifier, EmbeddingConfig, economic_index_prior

        prior_spec = options.pop("prior", None)
        data_dir = options.pop("data_dir", None)
        prior_name, prior = "prior", None
        if prior_spec:
            kind, _, rest = prior_spec.partition(":")
            if kind != "economic-index":
                raise ValueError(f"unknown prior {prior_spec!r}; expected economic-index:<release>[:<version>]")
            release_name, _, version = rest.partition(":")
            prior_name, prior = economic_index_prior(release_name or "2025_03_27", version or "v2", data_dir=data_dir)
            options.setdefault("prior_weight", 0.2)  # chosen on the goldset dev split
        config = EmbeddingConfig(model=name, **options)
        return EmbeddingClassifier(hierarchy, config, skills=skills, prior=prior, prior_name=prior_name)
    if scheme == "replay":
        from harness.classify._replay import ReplayClassifier

        return ReplayClassifier(name, hierarchy)
    from harness.classify._llm_backend import LLMClassifier
    from harness.llm import AnswerCache, get_llm

    # options of the pipeline vs of the model client; max_concurrency bounds both
    classifier_keys = {"summarise", "top_k", "traverse_non_occupational", "traverse", "order_variants",
                       "max_reply_chars", "max_transcript_chars", "description_chars", "temperature",
                       "max_concurrency"}
    llm_options = {k: v for k, v in options.items() if k not in classifier_keys or k == "max_concurrency"}
    classifier_options = {k: v for k, v in options.items() if k in classifier_keys}
    if spec.startswith("inspect:"):
        llm_options.pop("max_concurrency", None)
    llm = get_llm(spec, cache=AnswerCache(cache_path), **llm_options)
    return LLMClassifier(hierarchy, llm, skills=skills, seed=seed, **classifier_options)
