"""Benchmark: tokens, calls and accuracy of the LLM classification pipeline's configurations, against a naive one.

Everything runs through the real ``anthropic`` SDK pointed at the local Messages API test server
(``tests/support/messages_server.py``: no key, no network). Configurations (``--shortlist`` sets the caps):

* ``pipeline`` – the default: summary, screening, three traversal steps, pattern, skills, option lists prompt-cached;
* ``shortlist`` – ``anthropic:<model>+shortlist:15,10,40``: each level's options cut to the embedding backend's
  best 15 / 10 / 40 before the model picks (``harness/classify/_shortlist.py``);
* ``shortlist+fused`` – and ``fuse_steps=True``: one call reads the transcript and settles the summary, screening,
  pattern, skills and the top level (``harness/classify/_fused.py``);
* ``shortlist+fused+lean`` – and the shorter walk prompt ``traverse.v2`` (``prompt_versions={"traverse": "v2"}``)
  with option descriptions cut to about 80 characters (``description_chars=80``);
* ``naive`` – the default steps on the same path, each sent the whole conversation (no summary, no reply
  shortening, no length cap), nothing marked for prompt caching.

**Tokens** (50 real ShareGPT conversations). The stand-in model answers plausibly: a summary of the length the
template asks for (about 92% of its word limit), "yes" to screening, the first option shown at every other step.
Per conversation: ``raw prompt`` – every input token the model reads (uncached + cache reads + cache writes);
``billed-equivalent`` – input tokens weighted as the API bills them (cache reads 0.1×, writes 1.25×); output tokens;
calls. The server counts about four characters per token and caches only prefixes above ``--cache-min-tokens``
(default 1024; some models need 2048 or 4096 – try them).

**Accuracy** (the shipped goldset, ``--no-accuracy`` skips it). The server's model is then a scripted *oracle*
that knows the goldset: it finds the item from the transcript it is shown (or from a reference it writes into its
own summary), answers screening, pattern and skills with the raters' majority label, and at each level of the walk
picks the option on the path to a gold task (majority label, strict) whenever one is shown, else another option
counted correct at that level – so with every option shown it is right wherever the hierarchy allows, and any loss
under a shortlist is the shortlist's doing. The ``fallible`` oracle knows the
gold option only at a seeded ``--fallible`` share of (item, level) pairs, the same pairs in every configuration,
and otherwise picks a wrong option; it shows what the shortlist costs a model that is often wrong anyway. Each
configuration is validated (``harness.evaluate.run_validation``) into ``--runs DIR`` (a temporary folder by
default) and compared with the pipeline item by item (``harness compare``'s test: non-inferiority of the SOC
major-group accuracy at a 5-point margin, McNemar per level). ``harness report RUN --frontier DIR/*`` then draws
the cost-accuracy frontier of those runs.

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_llm_tokens.py [--n 50] [--cache-min-tokens 1024]
[--shortlist 15,10,40] [--runs DIR] [--no-accuracy] [--fallible 0.6]``
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

from harness.classify._fused import load_fused_prompt
from harness.classify._llm_backend import LLMClassifier, LLMClassifierConfig, _transcript
from harness.classify._prompts import STEPS, load_prompt
from harness.classify._types import Classification
from harness.conversations import iter_sharegpt
from harness.llm import AnthropicLLM, RetryPolicy, estimate_cost
from harness.llm import Usage as _Usage
from harness.taxonomy import PATTERNS, build_work_activity_hierarchy, load_onet
from tests.support.messages_server import messages_server

MODEL = "claude-haiku-4-5"
# About 110 words, the length the summary template asks for (at most 120).
SUMMARY = (
    "The user asked the assistant for help with a work-related writing and analysis task in a professional field. "
    "They wanted a finished piece they could use directly: a structured draft with a short explanation of the "
    "choices made. Over several turns the user refined the request, added requirements about tone and length, "
    "and asked for a revised version, then a shorter variant for a different audience. The assistant produced "
    "each version and explained the main changes. No names, organisations or identifying details are relevant "
    "to the request. The conversation looks like paid work rather than study or personal use, and the user "
    "stayed involved in shaping the result throughout the exchange."
)
_OPENINGS = {**{step: load_prompt(step).system[:40] for step in STEPS},
             "traverse.v2": load_prompt("traverse", "v2").system[:40], "facets": load_fused_prompt().system[:40]}
_NUMBERED = re.compile(r"^\d+\. (.+)$", re.MULTILINE)
_LEVEL = re.compile(r'at the "(\w+)" level')
_REF = re.compile(r"\[ref ([^\]]+)\]")
NAIVE = {"summarise": False, "max_transcript_chars": 10**12, "max_reply_chars": None}
LEAN = {"fuse_steps": True, "prompt_versions": {"traverse": "v2"}, "description_chars": 80}


def configurations(shortlist: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Name → (shortlist caps or "", further config options)."""
    return {"pipeline": ("", {}), "shortlist": (shortlist, {}),
            "shortlist+fused": (shortlist, {"fuse_steps": True}), "shortlist+fused+lean": (shortlist, LEAN)}


def _step(system: str) -> str:
    return next((s for s, opening in _OPENINGS.items() if system.startswith(opening)), "").partition(".")[0]


def _summary(system: str) -> str:
    """A summary as long as a model keeps one under the template's word limit (about 92% of it, as SUMMARY is for
    the summary step's 120 words)."""
    limit = re.search(r"at most (\d+) words", system)
    words = SUMMARY.split()
    return " ".join(words[: round(0.92 * int(limit.group(1)))] if limit else words)


def _texts(body: dict[str, Any]) -> tuple[str, str]:
    blocks = body.get("system") or []
    system = blocks if isinstance(blocks, str) else "".join(b.get("text", "") for b in blocks)
    return system, body["messages"][0]["content"]


def _top_options(system: str, user: str) -> list[str]:
    """The fused call's top-level options: after the transcript when shortlisted, else under the rule."""
    return _NUMBERED.findall(user.rpartition("</conversation>")[2]) or _NUMBERED.findall(
        system.rpartition("ACTIVITY –")[2])


def _fused_reply(system: str, user: str, summary: str, work: str, pattern: str, skills: Sequence[str],
                 activity: str | None) -> str:
    line = f"\nACTIVITY: {activity}" if activity and _top_options(system, user) else ""
    return f"SUMMARY: {summary}\nWORK: {work}\nPATTERN: {pattern}\nSKILLS: {'; '.join(skills) or 'none'}{line}"


def respond(body: dict[str, Any]) -> str:
    """The plausible stand-in model of the token benchmark: "yes", else the first option shown."""
    system, user = _texts(body)
    step = _step(system)
    if step == "summary":
        return _summary(system)
    if step == "screening":
        return "yes"
    if step == "traverse":
        return _NUMBERED.findall(system)[0]
    names = re.findall(r"^([A-Za-z_][\w ,]*?): ", system, re.MULTILINE)
    if step == "facets":
        patterns = [n for n in names if n in PATTERNS]
        skills = [n for n in names if n not in PATTERNS and not n.isupper()]
        top = _top_options(system, user)
        return _fused_reply(system, user, _summary(system), "yes", patterns[0], skills[:2], top[0] if top else None)
    return "\n".join(names[:2]) if step == "skills" else names[0]


class GoldsetOracle:
    """The accuracy benchmark's scripted model (see the module docstring): it answers from the goldset.

    Args:
        items: The goldset items (conversation ids are the item ids, as in validation).
        hierarchy: The hierarchy the walk uses (for the gold options' names).
        transcript_limits: ``(max_transcript_chars, max_reply_chars)`` of the configuration, to recognise transcripts.
        knows: Share of (item, level) pairs at which the oracle knows the gold option (1.0: always).
    """

    def __init__(self, items: Sequence[Any], hierarchy: Any, transcript_limits: tuple[int, int], knows: float = 1.0):
        from harness.evaluate import gold_nodes_at_level, majority_label

        limit, reply = transcript_limits
        self.by_transcript = {_transcript(it.conversation, limit, reply): it.id for it in items}
        self.labels = {it.id: majority_label(it) for it in items}
        self.gold = {it.id: {level: {hierarchy[n].name for n in gold_nodes_at_level(it, hierarchy, level,
                                                                                    scoring="strict")}
                             for level in hierarchy.levels} for it in items}
        # the nodes on a gold task's own path: the way a walk can reach the task
        self.paths = {}
        for it in items:
            paths = [hierarchy.path(t) for t in gold_nodes_at_level(it, hierarchy, hierarchy.base, scoring="strict")]
            self.paths[it.id] = {level: {hierarchy[p[d]].name for p in paths}
                                 for d, level in enumerate(hierarchy.levels)}
        self.top = hierarchy.levels[0]
        self.knows = knows

    def _item(self, user: str) -> str:
        ref = _REF.search(user)
        if ref:
            return ref.group(1)
        transcript = user.partition("<conversation>\n")[2].rpartition("\n</conversation>")[0]
        return self.by_transcript[transcript]

    def _pick(self, item: str, level: str, options: Sequence[str]) -> str:
        digest = int(hashlib.sha256(f"{item}|{level}".encode()).hexdigest()[:8], 16) / 16**8
        gold = self.gold[item][level]
        # knowing the answer, it heads for the gold task; other options correct at this level come second
        right = [o for o in options if o in self.paths[item][level]] + [o for o in options if o in gold]
        if right and digest < self.knows:
            return right[0]
        wrong = [o for o in options if o not in gold]
        return (wrong or options)[0]

    def __call__(self, body: dict[str, Any]) -> str:
        system, user = _texts(body)
        step, item = _step(system), self._item(user)
        label = self.labels[item]
        if step == "summary":
            return f"{_summary(system)} [ref {item}]"
        if step == "screening":
            return "yes" if label.occupational else "no"
        if step == "traverse":
            return self._pick(item, _LEVEL.search(system).group(1), _NUMBERED.findall(system))
        if step == "pattern":
            return label.pattern
        if step == "skills":
            return "\n".join(label.skills) or "none"
        top = _top_options(system, user)
        return _fused_reply(system, user, f"{_summary(system)} [ref {item}]", "yes" if label.occupational else "no",
                            label.pattern, label.skills, self._pick(item, self.top, top) if top else None)


def _client(server: Any, naive: bool = False) -> AnthropicLLM:
    return AnthropicLLM(MODEL, api_key=server.api_key, base_url=server.base_url,
                        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01), max_concurrency=16,
                        prompt_cache_min_chars=10**12 if naive else 1000)  # the naive baseline caches nothing


def totals(results: list[Classification]) -> dict[str, float]:
    n = len(results)
    usage = _Usage()
    for r in results:
        usage += _Usage(r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens)
    return {
        "uncached input": usage.input_tokens / n,
        "cache reads": usage.cache_read_tokens / n,
        "cache writes": usage.cache_write_tokens / n,
        "raw prompt": usage.prompt_tokens / n,
        "billed-equivalent": (usage.input_tokens + 0.1 * usage.cache_read_tokens + 1.25 * usage.cache_write_tokens)
        / n,
        "output": usage.output_tokens / n,
        "cost_usd": (estimate_cost(MODEL, usage) or 0.0) / n,
    }


def run_tokens(hierarchy, skills, conversations, options: Mapping[str, Any], *, naive: bool,
               cache_min_tokens: int) -> tuple[dict[str, float], float]:
    with messages_server(responder=respond, prompt_cache_min_tokens=cache_min_tokens) as server:
        config = LLMClassifierConfig(max_concurrency=16, **options)
        clf = LLMClassifier(hierarchy, _client(server, naive), config, skills=skills)
        started = time.perf_counter()
        results = clf.classify(conversations)
        elapsed = time.perf_counter() - started
        figures = totals(results)
        figures["calls"] = len(server.message_requests()) / len(conversations)
        figures["invalid"] = sum(not r.valid for r in results)
    return figures, elapsed


def token_table(hierarchy, skills, conversations, configs, cache_min_tokens: int) -> None:
    figures: dict[str, dict[str, float]] = {}
    for name, (caps, extra) in configs.items():
        figures[name], _ = run_tokens(hierarchy, skills, conversations, {"shortlist": caps, **extra}, naive=False,
                                      cache_min_tokens=cache_min_tokens)
    figures["naive"], _ = run_tokens(hierarchy, skills, conversations, NAIVE, naive=True,
                                     cache_min_tokens=cache_min_tokens)
    names = list(figures)
    print("\nper conversation      " + "".join(f"{n:>22}" for n in names))
    for key in ("calls", "uncached input", "cache reads", "cache writes", "raw prompt", "billed-equivalent", "output",
                "invalid"):
        print(f"{key:<22}" + "".join(f"{figures[n][key]:>22,.1f}" for n in names))
    print(f"{'est. USD, ' + MODEL:<22}" + "".join(f"{figures[n]['cost_usd']:>22.5f}" for n in names))
    naive = figures["naive"]["raw prompt"]
    print("\ninput tokens vs naive (target: raw <= 0.40x and billed-equivalent <= 0.25x)")
    for name in configs:
        raw, billed = figures[name]["raw prompt"] / naive, figures[name]["billed-equivalent"] / naive
        ok = "meets both" if raw <= 0.40 and billed <= 0.25 else "misses"
        print(f"  {name:<22} raw {raw:.3f}x   billed-equivalent {billed:.3f}x   {ok}")


def validate_configs(items, hierarchy, release, configs, runs: Path, oracle_name: str, knows: float) -> dict[str, Path]:
    """Validate every configuration against the goldset through the oracle; the run directory of each."""
    from harness.evaluate import default_goldset_path, run_validation

    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    out = {}
    for name, (caps, extra) in configs.items():
        config = LLMClassifierConfig(max_concurrency=16, shortlist=caps, **extra)
        oracle = GoldsetOracle(items, hierarchy, (config.max_transcript_chars, config.max_reply_chars), knows)
        with messages_server(responder=oracle) as server:
            clf = LLMClassifier(hierarchy, _client(server), config, skills=skills)
            out[name] = runs / f"{oracle_name}-{name}"
            run_validation([default_goldset_path()], clf, hierarchy, release, out[name], n_bootstrap=200,
                           progress=False)
    return out


def accuracy_table(runs: Mapping[str, Path], oracle_name: str) -> None:
    import pandas as pd

    from harness.evaluate import compare_runs
    from harness.run import RunDir, read_metrics_file

    print(f"\n{oracle_name} oracle, shipped goldset, strict scoring (n = occupational items per level)")
    print(f"  {'configuration':<22}{'top':>8}{'mid':>8}{'base':>8}{'major':>8}{'USD/1k conv':>13}   vs pipeline")
    base_items = pd.read_parquet(RunDir(runs["pipeline"]).items_path)
    for name, path in runs.items():
        metrics = read_metrics_file(RunDir(path).metrics_path).metrics
        items = pd.read_parquet(RunDir(path).items_path)
        cells = "".join(f"{metrics[f'hierarchy.{lvl}.accuracy'].value:>8.3f}" for lvl in ("top", "mid", "base",
                                                                                             "major_group"))
        verdict = ""
        if name != "pipeline":
            c = compare_runs(base_items, items, primary="hierarchy.major_group.accuracy", margin=0.05, seed=0,
                             n_resamples=500)
            by = {m.name: m for m in c.metrics}
            deltas = ", ".join(f"{lvl} {by[f'hierarchy.{lvl}.accuracy'].difference:+.3f} "
                               f"(p {by[f'hierarchy.{lvl}.accuracy'].p_value:.2f})" for lvl in ("top", "mid", "base"))
            verdict = f"{c.verdict}; {deltas}"
        print(f"  {name:<22}{cells}{1000 * items['cost_usd'].mean():>13.2f}   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="ShareGPT conversations (English, file order)")
    parser.add_argument("--cache-min-tokens", type=int, default=1024)
    parser.add_argument("--shortlist", default="15,10,40", help="shortlist caps (one, or top,mid,base)")
    parser.add_argument("--runs", type=Path, default=None, help="folder for the accuracy runs (default: temporary)")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the goldset accuracy part")
    parser.add_argument("--fallible", type=float, default=0.6, help="share of levels the fallible oracle knows")
    args = parser.parse_args()

    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    conversations = list(iter_sharegpt(args.n, english_only=True))
    chars = sum(len(m.content) for c in conversations for m in c.messages) / len(conversations)
    print(f"{len(conversations)} ShareGPT conversations, {chars:,.0f} characters each on average; {hierarchy.id}")
    configs = configurations(args.shortlist)
    token_table(hierarchy, skills, conversations, configs, args.cache_min_tokens)
    if args.no_accuracy:
        return
    from harness.evaluate import default_goldset_path, load_goldset

    items = load_goldset(default_goldset_path())
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp:
        runs = args.runs or Path(tmp)
        for oracle_name, knows in (("perfect", 1.0), ("fallible", args.fallible)):
            accuracy_table(validate_configs(items, hierarchy, release, configs, runs, oracle_name, knows),
                           oracle_name)
        if args.runs:
            print(f"\nruns in {runs}; the frontier: harness report {runs}/perfect-pipeline --frontier {runs}/*")


if __name__ == "__main__":
    main()
