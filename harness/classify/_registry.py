"""The classifier backends by scheme, and :func:`get_classifier`, the one way a spec becomes a classifier.

A backend is registered by one :class:`Backend` entry in :data:`_BACKENDS`: its scheme, how its spec reads, a frozen
config dataclass (its options, checked when built), the modifiers its spec may carry and a factory
``(spec, config, context) -> Classifier``. The model schemes (``anthropic``, ``anthropic-batch``, ``inspect``)
come from :data:`harness.llm.LLM_BACKENDS`, so a new model client needs no change here.

Everything that reads ``--backend`` goes through :func:`parse_backend` (the grammar is in
:mod:`harness.llm._spec`); the command line asks :meth:`Backend.accepts` which of its flags apply instead of
looking at the spec's prefix. A spec that names no backend, or that is malformed, is a
:class:`~harness.errors.UsageError`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.classify._embedding_backend import EmbeddingConfig
from harness.classify._llm_backend import LLMClassifierConfig
from harness.classify._majority import MajorityBaselineConfig, build_majority_baseline
from harness.classify._replay import ReplayConfig
from harness.classify._types import Classifier
from harness.errors import UsageError
from harness.llm import LLM_BACKENDS, BackendSpec, LLMBackend, parse_spec
from harness.taxonomy import Hierarchy, OnetRelease

__all__ = [
    "BACKEND_SCHEMES",
    "DEFAULT_BACKEND",
    "Backend",
    "BuildContext",
    "backend_for",
    "get_classifier",
    "parse_backend",
]

DEFAULT_BACKEND = "embedding:all-MiniLM-L6-v2"


@dataclass(frozen=True)
class BuildContext:
    """What a factory may need besides the spec and the config.

    Attributes:
        hierarchy: The hierarchy to classify against.
        release: O*NET release supplying the skills facet's options (skills are skipped without it).
        cache_path: SQLite answer cache of model backends (default: the harness cache directory).
        data_dir: Reference data directory (e.g. for the embedding backend's prior).
        model_options: Options for the model client of a model backend.
    """

    hierarchy: Hierarchy
    release: OnetRelease | None = None
    cache_path: str | Path | None = None
    data_dir: str | Path | None = None
    model_options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def skills(self) -> list[tuple[str, str]]:
        """``(name, description)`` of the release's skills, or none without a release."""
        if self.release is None:
            return []
        ref = self.release.skill_reference
        return list(zip(ref["skill"], ref["description"], strict=True))


@dataclass(frozen=True)
class Backend:
    """One registered classifier backend.

    Attributes:
        scheme: The spec's scheme.
        usage: How its spec reads, for help and error texts.
        config_type: Frozen dataclass of its options; built from the options given to :func:`get_classifier`.
        factory: ``(spec, config, context) -> Classifier``.
        modifiers: Modifier keys its spec may carry (``+prior:...``).
        model: The model client it drives, for model backends.
        configure: Adds settings the spec implies (e.g. the embedding model) to the options before the config
            is built.
    """

    scheme: str
    usage: str
    config_type: type
    factory: Callable[[BackendSpec, Any, BuildContext], Classifier]
    modifiers: tuple[str, ...] = ()
    model: LLMBackend | None = None
    configure: Callable[[BackendSpec, dict[str, Any]], dict[str, Any]] | None = None

    @property
    def config_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(self.config_type))

    @property
    def calls_model(self) -> bool:
        """Whether the backend asks a language model (and so has model-client options and costs)."""
        return self.model is not None

    def accepts(self, option: str) -> bool:
        """Whether :func:`get_classifier` takes ``option`` for this backend (a config field, a modifier or a
        named option of its model client)."""
        return (option in self.config_fields or option in self.modifiers
                or (self.model is not None and self.model.accepts(option)))

    def split_options(self, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Options for the config and options for the model client; an option both name goes to both.

        Raises:
            TypeError: An option neither takes.
        """
        config, client = {}, {}
        for key, value in options.items():
            model_takes = self.model is not None and (
                self.model.accepts(key) or (self.model.open_options and key not in self.config_fields))
            if key in self.config_fields:
                config[key] = value
            if model_takes:
                client[key] = value
            if key not in self.config_fields and not model_takes:
                raise TypeError(f"the {self.scheme} backend takes no option {key!r}")
        return config, client


def _prior_release(value: str) -> tuple[str, str]:
    """``economic-index[:<release>[:<version>]]``, or the label a manifest records (``economic-index-<r>-<v>``)."""
    recorded = re.fullmatch(r"economic-index-(\d{4}_\d{2}_\d{2})-(v\d+)", value)
    if recorded:
        return recorded.group(1), recorded.group(2)
    kind, _, rest = value.partition(":")
    if kind != "economic-index":
        raise UsageError(f"unknown prior {value!r}; expected economic-index:<release>[:<version>]")
    release, _, version = rest.partition(":")
    return release or "2025_03_27", version or "v2"


def _embedding_options(spec: BackendSpec, options: dict[str, Any]) -> dict[str, Any]:
    defaults = {"prior_weight": 0.2} if spec.modifier("prior") else {}  # 0.2 was chosen on the goldset dev split
    runtime = spec.modifier("runtime")
    return {**defaults, **options, "model": spec.name, **({"runtime": runtime} if runtime is not None else {})}


def _build_embedding(spec: BackendSpec, config: EmbeddingConfig, context: BuildContext) -> Classifier:
    from harness.classify._embedding_backend import EmbeddingClassifier, economic_index_prior

    prior_name, prior = "prior", None
    value = spec.modifier("prior")
    if value is not None:
        release, version = _prior_release(value)
        prior_name, prior = economic_index_prior(release, version, data_dir=context.data_dir)
    elif config.prior_weight > 0:
        raise UsageError("a prior weight needs a prior: add --prior economic-index:<release> "
                         "(or +prior:economic-index:<release> to the spec)")
    return EmbeddingClassifier(context.hierarchy, config, skills=context.skills(), prior=prior, prior_name=prior_name)


def _llm_options(spec: BackendSpec, options: dict[str, Any]) -> dict[str, Any]:
    shortlist = spec.modifier("shortlist")
    return {**options, "shortlist": shortlist} if shortlist is not None else options


def _build_llm(spec: BackendSpec, config: LLMClassifierConfig, context: BuildContext) -> Classifier:
    from harness.classify._llm_backend import LLMClassifier
    from harness.llm import AnswerCache, get_llm

    # the model client is told only the model: the shortlist is the classifier's business
    llm = get_llm(BackendSpec(spec.scheme, spec.name), cache=AnswerCache(context.cache_path), **context.model_options)
    try:
        return LLMClassifier(context.hierarchy, llm, config, skills=context.skills())
    except ValueError as exc:  # e.g. a shortlist for a hierarchy whose levels it cannot score
        raise UsageError(f"{spec}: {exc}") from None


def _build_replay(spec: BackendSpec, config: ReplayConfig, context: BuildContext) -> Classifier:
    from harness.classify._replay import ReplayClassifier

    return ReplayClassifier(spec.name, context.hierarchy)


_BACKENDS: Mapping[str, Backend] = MappingProxyType({
    "embedding": Backend("embedding", "embedding:<model>[+runtime:<runtime>][+prior:economic-index:<release>]",
                         EmbeddingConfig, _build_embedding, modifiers=("runtime", "prior"),
                         configure=_embedding_options),
    **{scheme: Backend(scheme, f"{model.usage}[+shortlist:<k>]", LLMClassifierConfig,
                       _build_llm, modifiers=("shortlist",), model=model, configure=_llm_options)
       for scheme, model in LLM_BACKENDS.items()},
    "replay": Backend("replay", "replay:<predictions file>", ReplayConfig, _build_replay),
    "majority-baseline": Backend("majority-baseline", "majority-baseline:<goldset file|default>",
                                 MajorityBaselineConfig, build_majority_baseline),
})

BACKEND_SCHEMES: tuple[str, ...] = tuple(_BACKENDS)


def parse_backend(spec: str | BackendSpec) -> BackendSpec:
    """Read a classifier spec (``embedding:all-MiniLM-L6-v2``, ``anthropic:<model-id>``, ``replay:<file>``...).

    Raises:
        UsageError: Unknown scheme, malformed spec or a modifier its scheme does not take; one line that lists
            the known schemes.
    """
    return parse_spec(spec, {scheme: b.modifiers for scheme, b in _BACKENDS.items()})


def backend_for(spec: str | BackendSpec) -> Backend:
    """The registered backend of a spec or of a bare scheme (``"anthropic"``).

    Raises:
        UsageError: Nothing is registered under that scheme, or the spec is malformed.
    """
    if isinstance(spec, str) and spec in _BACKENDS:
        return _BACKENDS[spec]
    return _BACKENDS[parse_backend(spec).scheme]


def get_classifier(
    spec: str | BackendSpec,
    hierarchy: Hierarchy,
    *,
    release: OnetRelease | None = None,
    seed: int = 0,
    cache_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    **options: Any,
) -> Classifier:
    """Return the classifier that ``spec`` names.

    Args:
        spec: A spec string or the :class:`~harness.llm.BackendSpec` read from one; the schemes are in
            :data:`BACKEND_SCHEMES` (``embedding:<model>[+runtime:<runtime>][+prior:economic-index:<release>
            [:<version>]]``,
            ``anthropic:<model-id>``, ``anthropic-batch:<model-id>``, ``inspect:<provider/model>``,
            ``replay:<predictions file>``, ``majority-baseline:<goldset file|default>``).
        hierarchy: The hierarchy to classify against.
        release: O*NET release supplying the skills facet's options (skills are skipped without it).
        seed: Seed of the backend's random choices, for backends whose config has one (LLM option shuffling).
        cache_path: SQLite answer cache for model backends (default: the harness cache directory).
        data_dir: Reference data directory (the embedding backend's prior is read from it).
        **options: Fields of the backend's config (e.g. :class:`LLMClassifierConfig`, :class:`EmbeddingConfig`),
            options of its model client (``base_url``, ``max_concurrency``...), or a modifier given as an option
            (``prior="economic-index:2025_03_27"`` is ``+prior:economic-index:2025_03_27``).

    Raises:
        UsageError: Unknown or malformed spec, or an option value its config rejects.
        TypeError: An option the backend does not take.
    """
    parsed = parse_backend(spec)
    backend = _BACKENDS[parsed.scheme]
    for key in backend.modifiers:
        value = options.pop(key, None)
        if value is not None:
            parsed = parsed.with_modifier(key, str(value))
    config_options, model_options = backend.split_options(options)
    if "seed" in backend.config_fields:
        config_options["seed"] = seed
    if backend.configure is not None:
        config_options = backend.configure(parsed, config_options)
    try:
        config = backend.config_type(**config_options)
    except ValueError as exc:
        raise UsageError(f"{parsed}: {exc}") from None
    context = BuildContext(hierarchy, release=release, cache_path=cache_path, data_dir=data_dir,
                           model_options=model_options)
    return backend.factory(parsed, config, context)
