"""Benchmark: tokens and calls per conversation of the LLM classification pipeline, against a naive baseline.

Runs the full pipeline (summary, screening, traversal, pattern, skills) over real ShareGPT conversations through
the real ``anthropic`` SDK, pointed at the local Messages API test server (no key, no network). The server's
stand-in model answers plausibly: a summary of typical length, "yes" to screening, the first option shown at every
other step. The naive baseline runs the same steps on the same path, but sends the whole conversation to every
step (whole: no reply shortening, no length cap) and marks nothing for prompt caching.

Figures per conversation:

* ``raw prompt`` – every input token the model reads (uncached + cache reads + cache writes);
* ``billed-equivalent`` – input tokens weighted as the API bills them: cache reads at 0.1×, cache writes at 1.25×;
* output tokens and calls.

The server counts about four characters per token and, like the API, caches only prefixes above a minimum length
(``--cache-min-tokens``, default 1024; some models need more, e.g. 2048 or 4096 — try those values to see the effect).

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_llm_tokens.py [--n 50] [--cache-min-tokens 1024]``
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

from harness.classify._llm_backend import LLMClassifier, LLMClassifierConfig
from harness.classify._fused import load_fused_prompt
from harness.classify._prompts import STEPS, load_prompt
from harness.classify._types import Classification
from harness.conversations import iter_sharegpt
from harness.llm import AnthropicLLM, RetryPolicy, estimate_cost
from harness.llm import Usage as _Usage
from harness.taxonomy import PATTERNS, build_work_activity_hierarchy, load_onet
from tests.support.messages_server import messages_server

MODEL = "claude-haiku-4-5"
# About 110 words, the length the summary template asks for.
SUMMARY = (
    "The user asked the assistant for help with a work-related writing and analysis task in a professional field. "
    "They wanted a finished piece they could use directly: a structured draft with a short explanation of the "
    "choices made. Over several turns the user refined the request, added requirements about tone and length, "
    "and asked for a revised version, then a shorter variant for a different audience. The assistant produced "
    "each version and explained the main changes. No names, organisations or identifying details are relevant "
    "to the request. The conversation looks like paid work rather than study or personal use, and the user "
    "stayed involved in shaping the result throughout the exchange."
)
_OPENINGS = {**{step: load_prompt(step).system[:40] for step in STEPS}, "traverse.v2": load_prompt("traverse", "v2").system[:40],
             "facets": load_fused_prompt().system[:40]}


def _summary(system: str) -> str:
    """A summary as long as a model keeps one under the template's word limit (about 92% of it, as SUMMARY is for
    the summary step's 120 words)."""
    limit = re.search(r"at most (\d+) words", system)
    words = SUMMARY.split()
    return " ".join(words[: round(0.92 * int(limit.group(1)))] if limit else words)


def respond(body: dict[str, Any]) -> str:
    """A plausible model: fixed-length summary, "yes", else the first option shown."""
    blocks = body.get("system") or []
    system = blocks if isinstance(blocks, str) else "".join(b.get("text", "") for b in blocks)
    step = next((s for s, opening in _OPENINGS.items() if system.startswith(opening)), "").partition(".")[0]
    if step == "summary":
        return _summary(system)
    if step == "screening":
        return "yes"
    if step == "traverse":
        return re.findall(r"^\d+\. (.+)$", system, re.MULTILINE)[0]
    if step == "facets":
        user = body["messages"][0]["content"]
        names = re.findall(r"^([A-Za-z_][\w ,]*?): ", system, re.MULTILINE)
        patterns = [n for n in names if n in PATTERNS]
        skills = [n for n in names if n not in PATTERNS and not n.isupper()]
        # the top-level options follow the transcript when shortlisted, else the rule in the system prompt
        top = re.findall(r"^\d+\. (.+)$", user.rpartition("</conversation>")[2], re.MULTILINE) or re.findall(
            r"^\d+\. (.+)$", system.rpartition("ACTIVITY –")[2], re.MULTILINE)
        return (f"SUMMARY: {_summary(system)}\nWORK: yes\nPATTERN: {patterns[0]}\nSKILLS: {'; '.join(skills[:2])}"
                + (f"\nACTIVITY: {top[0]}" if top else ""))
    names = re.findall(r"^([A-Za-z_][\w ,]*?): ", system, re.MULTILINE)
    return "\n".join(names[:2]) if step == "skills" else names[0]


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


def run(hierarchy, skills, conversations, *, naive: bool, cache_min_tokens: int) -> tuple[dict[str, float], float]:
    with messages_server(responder=respond, prompt_cache_min_tokens=cache_min_tokens) as server:
        llm = AnthropicLLM(
            MODEL,
            api_key=server.api_key,
            base_url=server.base_url,
            retry=RetryPolicy(max_attempts=3, base_delay_s=0.01),
            max_concurrency=16,
            # The naive baseline marks nothing for caching.
            prompt_cache_min_chars=10**12 if naive else 1000,
        )
        options: dict[str, Any] = {}
        if naive:
            options = {"summarise": False, "max_transcript_chars": 10**12, "max_reply_chars": None}
        clf = LLMClassifier(hierarchy, llm, LLMClassifierConfig(max_concurrency=16, **options), skills=skills)
        started = time.perf_counter()
        results = clf.classify(conversations)
        elapsed = time.perf_counter() - started
        figures = totals(results)
        figures["calls"] = len(server.message_requests()) / len(conversations)
        figures["invalid"] = sum(not r.valid for r in results)
    return figures, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="ShareGPT conversations (English, file order)")
    parser.add_argument("--cache-min-tokens", type=int, default=1024)
    args = parser.parse_args()

    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    conversations = list(iter_sharegpt(args.n, english_only=True))
    chars = sum(len(m.content) for c in conversations for m in c.messages) / len(conversations)
    print(f"{len(conversations)} ShareGPT conversations, {chars:,.0f} characters each on average; {hierarchy.id}")

    ours, t_ours = run(hierarchy, skills, conversations, naive=False, cache_min_tokens=args.cache_min_tokens)
    naive, t_naive = run(hierarchy, skills, conversations, naive=True, cache_min_tokens=args.cache_min_tokens)
    print(f"\nper conversation        {'pipeline':>12} {'naive':>12} {'ratio':>7}")
    for key in ("calls", "uncached input", "cache reads", "cache writes", "raw prompt", "billed-equivalent", "output"):
        ratio = ours[key] / naive[key] if naive[key] else float("nan")
        print(f"{key:<22} {ours[key]:>12,.1f} {naive[key]:>12,.1f} {ratio:>7.2f}")
    print(f"{'est. cost (USD, ' + MODEL + ')':<22} {ours['cost_usd']:>12.5f} {naive['cost_usd']:>12.5f}")
    print(f"\ninvalid: pipeline {ours['invalid']:.0f}, naive {naive['invalid']:.0f}; "
          f"wall time {t_ours:.1f} s vs {t_naive:.1f} s (local server)")  # fmt: skip
    target = ours["billed-equivalent"] / naive["raw prompt"]
    print(
        f"input tokens vs naive: raw {ours['raw prompt'] / naive['raw prompt']:.2f}x, "
        f"billed-equivalent {target:.2f}x (target <= 0.40x)"
    )


if __name__ == "__main__":
    main()
