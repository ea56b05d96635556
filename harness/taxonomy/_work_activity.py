"""The offline O*NET work-activity hierarchy: GWA (top) → IWA (mid) → task statement (base).

O*NET links each task to detailed work activities (DWAs); each DWA belongs to one intermediate work activity (IWA)
and each IWA to one generalized work activity (GWA). That gives a three-level tree once two gaps are closed:

* **A statement linked to several IWAs** gets as parent the IWA reached by the most of its DWA links (over all
  Task IDs that share the statement). Ties go to the IWA that covers the fewest statements overall — the more
  specific activity — and then to the smaller IWA id. The other IWAs are kept as ``alternates``, which the
  evaluation layer accepts as correct.
* **A statement with no DWA link** (about 300 Task IDs in 29.3) is placed under the IWA whose text (title, DWA
  titles and member statements) is nearest by TF-IDF cosine similarity, considering first only the IWAs that other
  tasks of the same occupation(s) use, and all IWAs when there are none or none shares a word with the statement.
  Such nodes carry ``meta["placed_by"] = "tfidf-nearest-iwa"``. Nothing is dropped.

Base nodes are distinct statements (identical text under several occupations is one node) with id
``task:<smallest Task ID>`` and ``meta`` holding every Task ID and O*NET-SOC code that share the text, and the titles
of the detailed work activities the statement is linked to (``activities``).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict

from sklearn.feature_extraction.text import TfidfVectorizer

from harness import __version__
from harness.taxonomy._hierarchy import Hierarchy, Node
from harness.taxonomy._onet import OnetRelease

__all__ = ["LEVELS", "base_node_id", "build_work_activity_hierarchy"]

LEVELS = ("top", "mid", "base")
PLACEMENT_RULE = "tfidf-nearest-iwa"


def base_node_id(task_ids: tuple[int, ...] | list[int]) -> str:
    """Id of the base node of a statement shared by ``task_ids``."""
    return f"task:{min(task_ids)}"


def build_work_activity_hierarchy(release: OnetRelease) -> Hierarchy:
    """Build the GWA → IWA → task-statement hierarchy of ``release`` (rules in the module docstring)."""
    started = time.perf_counter()
    statements = release.statements
    key_of_task = dict(zip(release.tasks["task_id"], release.tasks["statement_key"], strict=True))

    links: dict[str, Counter[str]] = defaultdict(Counter)
    for task_id, iwa_id in zip(release.task_dwas["task_id"], release.task_dwas["iwa_id"], strict=True):
        links[key_of_task[task_id]][iwa_id] += 1
    iwa_breadth = Counter(iwa for counter in links.values() for iwa in counter)

    parent_of: dict[str, str] = {}
    alternates_of: dict[str, tuple[str, ...]] = {}
    for key, counter in links.items():
        ranked = sorted(counter, key=lambda iwa: (-counter[iwa], iwa_breadth[iwa], iwa))
        parent_of[key] = ranked[0]
        alternates_of[key] = tuple(sorted(ranked[1:]))

    unlinked = [k for k in statements["statement_key"] if k not in links]
    placed = _place_unlinked(release, unlinked, parent_of)
    parent_of.update(placed)

    nodes: list[Node] = []
    iwa_used = set(parent_of.values()) | {a for alts in alternates_of.values() for a in alts}
    iwas = release.iwas[release.iwas["iwa_id"].isin(iwa_used)]
    gwas = release.gwas[release.gwas["gwa_id"].isin(set(iwas["gwa_id"]))]
    for gwa_id, title, description in gwas[["gwa_id", "title", "description"]].itertuples(index=False):
        nodes.append(Node(id=f"gwa:{gwa_id}", level="top", name=title, description=description or ""))
    dwa_titles = release.dwas.groupby("iwa_id")["title"].agg(lambda s: "; ".join(sorted(s)))
    for iwa_id, title, gwa_id in iwas[["iwa_id", "title", "gwa_id"]].itertuples(index=False):
        nodes.append(
            Node(id=f"iwa:{iwa_id}", level="mid", name=title, parent=f"gwa:{gwa_id}",
                 description=f"Detailed activities: {dwa_titles.get(iwa_id, '')}")
        )
    occ_title = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    dwa_title = dict(zip(release.dwas["dwa_id"], release.dwas["title"], strict=True))
    activities: dict[str, set[str]] = defaultdict(set)
    for task_id, dwa_id in zip(release.task_dwas["task_id"], release.task_dwas["dwa_id"], strict=True):
        activities[key_of_task[task_id]].add(dwa_title[dwa_id])
    for key, statement, task_ids, soc_codes in statements[
        ["statement_key", "statement", "task_ids", "soc_codes"]
    ].itertuples(index=False):
        meta = {"task_ids": list(task_ids), "soc_codes": list(soc_codes)}
        if activities.get(key):
            meta["activities"] = sorted(activities[key])
        if key in placed:
            meta["placed_by"] = PLACEMENT_RULE
        nodes.append(
            Node(
                id=base_node_id(task_ids), level="base", name=statement,
                description="Occupations: " + "; ".join(occ_title[c] for c in soc_codes),
                parent=f"iwa:{parent_of[key]}",
                alternates=tuple(f"iwa:{a}" for a in alternates_of.get(key, ())),
                meta=meta,
            )
        )
    metadata = {
        "builder": "onet-work-activity",
        "harness_version": __version__,
        "onet_release": release.release,
        "level_sources": {"top": "GWA", "mid": "IWA", "base": "task statement"},
        "parent_rule": "most DWA links; tie → IWA covering fewest statements → smaller id",
        "unlinked_rule": PLACEMENT_RULE,
        "unlinked_statements": len(placed),
        "statements_with_alternates": sum(1 for a in alternates_of.values() if a),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    return Hierarchy(LEVELS, nodes, name=f"onet-wa-{release.release}", metadata=metadata)


def _place_unlinked(release: OnetRelease, keys: list[str], parent_of: dict[str, str]) -> dict[str, str]:
    """Nearest IWA (TF-IDF cosine) for statements without DWA links, preferring the occupation's own IWAs."""
    if not keys:
        return {}
    iwa_ids = list(release.iwas["iwa_id"])
    members: dict[str, list[str]] = defaultdict(list)
    stmt_text = dict(zip(release.statements["statement_key"], release.statements["statement"], strict=True))
    for key, iwa in parent_of.items():
        members[iwa].append(stmt_text[key])
    dwa_titles = release.dwas.groupby("iwa_id")["title"].agg(" ".join)
    docs = [
        " ".join([title, dwa_titles.get(iwa, ""), *members.get(iwa, ())])
        for iwa, title in zip(release.iwas["iwa_id"], release.iwas["title"], strict=True)
    ]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    iwa_matrix = vectorizer.fit_transform(docs)
    query = vectorizer.transform([stmt_text[k] for k in keys])
    scores = (query @ iwa_matrix.T).toarray()

    occ_iwas: dict[str, set[str]] = defaultdict(set)
    for soc, iwa in zip(release.task_dwas["soc_code"], release.task_dwas["iwa_id"], strict=True):
        occ_iwas[soc].add(iwa)
    socs_of = dict(zip(release.statements["statement_key"], release.statements["soc_codes"], strict=True))
    index = {iwa: i for i, iwa in enumerate(iwa_ids)}
    placed: dict[str, str] = {}
    for row, key in enumerate(keys):
        allowed = set().union(*(occ_iwas.get(s, set()) for s in socs_of[key]))
        candidates = [index[i] for i in sorted(allowed)] if allowed else list(range(len(iwa_ids)))
        best = max(candidates, key=lambda c: (scores[row, c], -c))
        if scores[row, best] <= 0.0:  # no shared vocabulary with the occupation's IWAs: widen to all IWAs
            best = max(range(len(iwa_ids)), key=lambda c: (scores[row, c], -c))
        placed[key] = iwa_ids[best]
    return placed
