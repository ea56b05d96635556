"""Task search for labellers: full text over an O*NET release, filters, and GWA → IWA → task browsing.

Labellers pick 1–3 of about 19,000 task statements per conversation, so the search has to answer while they type.
The index is SQLite FTS5 held in memory (the standard library's ``sqlite3`` ships it), built once at start-up:

* one document per task: its statement (weight 1), the titles of its detailed work activities (0.5) and its
  occupation's title (0.7);
* one document per occupation: its title (2) and its alternate titles (1), read from ``Alternate Titles.txt``
  when the release has it.

A query matches either kind. A task's score is its own BM25 score plus half the score of its occupation, so
"nurse medication" ranks the medication tasks of nursing occupations first, and a bare occupation name ("web
developer") lists that occupation's tasks. Words are stemmed (Porter); the last word also matches as a prefix,
because people search while typing. Filters restrict to a SOC major group or one occupation; an empty query with
an occupation filter lists the occupation's tasks.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.taxonomy import SOC_MAJOR_GROUPS, OnetRelease

__all__ = ["TaskHit", "TaskIndex", "read_alternate_titles"]

_ALTERNATE_TITLES = "Alternate Titles.txt"
_WORD = re.compile(r"\w+", re.UNICODE)
# BM25 column weights: task statement, DWA titles, occupation title; occupation title, alternate titles.
_TASK_WEIGHTS = (1.0, 0.5, 0.7, 0.0, 0.0)  # the last two are the unindexed filter columns
_OCCUPATION_WEIGHTS = (2.0, 1.0, 0.0, 0.0)
_OCCUPATION_SHARE = 0.5  # how much an occupation's match adds to the score of each of its tasks
_TASK_CANDIDATES = 400  # task matches considered before mixing in occupation matches
_OCCUPATION_CANDIDATES = 5
_MAX_QUERY_WORDS = 12
# Function words that nearly every statement holds: they cost time and add nothing to the ranking.
_STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "i", "in", "into", "is", "it", "me", "my",
    "of", "on", "or", "our", "so", "that", "the", "their", "this", "to", "we", "what", "with", "you", "your",
))


@dataclass(frozen=True)
class TaskHit:
    """One task a search or a browse step found.

    Attributes:
        task_id: O*NET Task ID.
        statement: The task statement.
        soc_code: O*NET-SOC code of the occupation the Task ID belongs to.
        occupation: The occupation's title.
        major_group: Two-digit SOC major group.
        score: Relevance (higher is better; 0 when listed rather than searched).
    """

    task_id: int
    statement: str
    soc_code: str
    occupation: str
    major_group: str
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The hit as a JSON object."""
        return {"task_id": self.task_id, "statement": self.statement, "soc_code": self.soc_code,
                "occupation": self.occupation, "major_group": self.major_group, "score": round(self.score, 3)}


def read_alternate_titles(source: str | Path) -> dict[str, list[str]]:
    """Alternate occupation titles of a release, by O*NET-SOC code; empty when the release lacks the file.

    The harness's release loader does not keep this table (classification does not need it), so it is read here,
    from the same place: a directory of the release's text files or the official zip.

    Args:
        source: :attr:`harness.taxonomy.OnetRelease.source`.
    """
    source = Path(source)
    data: bytes | None = None
    if source.is_dir():
        path = source / _ALTERNATE_TITLES
        data = path.read_bytes() if path.is_file() else None
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            member = next((n for n in archive.namelist() if Path(n).name == _ALTERNATE_TITLES), None)
            data = archive.read(member) if member else None
    if data is None:
        return {}
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter="\t", quoting=csv.QUOTE_NONE)
    titles: dict[str, list[str]] = defaultdict(list)
    for row in reader:
        code, title = row.get("O*NET-SOC Code"), row.get("Alternate Title")
        if code and title:
            titles[code].append(title.strip())
    return dict(titles)


def _word_terms(query: str) -> list[str]:
    """One FTS5 term per word of ``query`` (stemmed; the last word also as a prefix), at most a dozen.

    Common function words are left out unless the query holds nothing else.

    Words are quoted, so nothing the user types is read as FTS5 syntax.
    """
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
    words = [w for w in words if w not in _STOP_WORDS] or words  # a query of function words alone keeps them
    words = words[:_MAX_QUERY_WORDS]
    terms = [f'"{w}"' for w in words]
    if words and len(words[-1]) >= 2:
        terms[-1] = f'("{words[-1]}" OR "{words[-1]}"*)'
    return terms


class TaskIndex:
    """An in-memory search index over one O*NET release's tasks, occupations and work activities.

    Safe to share between threads (queries are serialised; each takes milliseconds).

    Args:
        release: The O*NET release.
        alternate_titles: Alternate titles by O*NET-SOC code; by default read from the release's files.
    """

    def __init__(self, release: OnetRelease, *, alternate_titles: Mapping[str, Iterable[str]] | None = None):
        self.release = release.release
        if alternate_titles is None:
            alternate_titles = read_alternate_titles(release.source)
        tasks = release.tasks
        self._tasks: dict[int, TaskHit] = {
            int(row.task_id): TaskHit(int(row.task_id), str(row.statement), str(row.soc_code),
                                      str(row.occupation_title), str(row.soc_code)[:2])
            for row in tasks.itertuples(index=False)
        }
        self._occupation_tasks: dict[str, list[int]] = defaultdict(list)
        for hit in self._tasks.values():
            self._occupation_tasks[hit.soc_code].append(hit.task_id)
        self._occupations = {str(r.soc_code): str(r.title) for r in release.occupations.itertuples(index=False)}
        self._browse = _BrowseTables(release, self._tasks)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._build(release, alternate_titles)

    def _build(self, release: OnetRelease, alternate_titles: Mapping[str, Iterable[str]]) -> None:
        dwa_titles = dict(zip(release.dwas["dwa_id"], release.dwas["title"], strict=True))
        task_dwas: dict[int, list[str]] = defaultdict(list)
        for task_id, dwa_id in zip(release.task_dwas["task_id"], release.task_dwas["dwa_id"], strict=True):
            task_dwas[int(task_id)].append(dwa_titles.get(dwa_id, ""))
        db = self._db
        tokenizer = "porter unicode61 remove_diacritics 2"
        # The filter columns are UNINDEXED: stored beside each document and compared row by row after the match,
        # which costs far less than a join or an IN (subquery) on every query.
        db.execute(f"CREATE VIRTUAL TABLE task_fts USING fts5(statement, dwas, occupation, soc_code UNINDEXED, "
                   f"major_group UNINDEXED, tokenize='{tokenizer}')")
        db.execute(f"CREATE VIRTUAL TABLE occ_fts USING fts5(title, alternates, soc_code UNINDEXED, "
                   f"major_group UNINDEXED, tokenize='{tokenizer}')")
        db.executemany(
            "INSERT INTO task_fts (rowid, statement, dwas, occupation, soc_code, major_group) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((h.task_id, h.statement, " ; ".join(task_dwas.get(h.task_id, ())), h.occupation, h.soc_code,
              h.major_group) for h in self._tasks.values()),
        )
        occupations = [code for code in self._occupations if code in self._occupation_tasks]
        self._occupation_rows = occupations
        db.executemany("INSERT INTO occ_fts (rowid, title, alternates, soc_code, major_group) VALUES (?, ?, ?, ?, ?)",
                       ((i, self._occupations[code], " ; ".join(alternate_titles.get(code, ())), code, code[:2])
                        for i, code in enumerate(occupations)))
        db.commit()

    # ------------------------------------------------------------------------------------------------ search

    def search(
        self, query: str, *, major_group: str | None = None, occupation: str | None = None, limit: int = 20
    ) -> list[TaskHit]:
        """Tasks matching ``query``, best first (the ranking is in the module docstring).

        Args:
            query: Free text; may be empty when ``occupation`` is given (then the occupation's tasks are listed).
            major_group: Keep only tasks of this two-digit SOC major group.
            occupation: Keep only tasks of this O*NET-SOC code.
            limit: Most hits returned.

        Raises:
            ValueError: On an unknown major group or occupation, or a ``limit`` below 1.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1; got {limit}")
        if major_group is not None and major_group not in SOC_MAJOR_GROUPS:
            raise ValueError(f"unknown SOC major group {major_group!r}")
        if occupation is not None and occupation not in self._occupations:
            raise ValueError(f"unknown O*NET-SOC code {occupation!r}")
        terms = _word_terms(query)
        if not terms:
            return self._listing(major_group, occupation, limit)
        expression = " OR ".join(terms)
        scores: dict[int, float] = defaultdict(float)
        with self._lock:
            for task_id, score in self._task_matches(expression, major_group, occupation, _TASK_CANDIDATES):
                scores[task_id] += score
            for soc_code, score in self._occupation_matches(expression, major_group, occupation,
                                                            _OCCUPATION_CANDIDATES):
                for task_id in self._occupation_tasks.get(soc_code, ()):
                    scores[task_id] += _OCCUPATION_SHARE * score
            coverage = self._coverage(terms, scores)
        # BM25 over "any of the words" favours one rare word over all the common ones; scaling by the share of the
        # query's words a task (or its occupation) contains puts tasks that match the whole query first.
        ranked = {t: s * (coverage[t] / len(terms)) ** 2 for t, s in scores.items()}
        best = sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [_with_score(self._tasks[task_id], score) for task_id, score in best]

    def _coverage(self, terms: list[str], candidates: Mapping[int, float]) -> dict[int, int]:
        """For each candidate task, how many of the query's terms its own text or its occupation's titles contain."""
        counts = dict.fromkeys(candidates, 0)
        for term in terms:
            # unranked matches: far cheaper than scoring every row, and only membership matters here
            tasks = {row for (row,) in self._db.execute("SELECT rowid FROM task_fts WHERE task_fts MATCH ?", [term])}
            rows = {row for (row,) in self._db.execute("SELECT rowid FROM occ_fts WHERE occ_fts MATCH ?", [term])}
            occupations = {self._occupation_rows[row] for row in rows}
            for task_id in counts:
                if task_id in tasks or self._tasks[task_id].soc_code in occupations:
                    counts[task_id] += 1
        return counts

    def _matches(self, table: str, weights: Sequence[float], expression: str, major_group: str | None,
                 occupation: str | None, limit: int | None) -> list[tuple]:
        """Rows of full-text ``table`` matching ``expression``, best BM25 first, within the occupation or group."""
        sql = f"SELECT rowid, -bm25({table}, {', '.join(map(str, weights))}) AS s FROM {table} " \
              f"WHERE {table} MATCH ?"
        params: list[Any] = [expression]
        if occupation is not None:
            sql += " AND soc_code = ?"
            params.append(occupation)
        elif major_group is not None:
            sql += " AND major_group = ?"
            params.append(major_group)
        if limit is not None:
            sql += f" ORDER BY s DESC LIMIT {int(limit)}"
        return self._db.execute(sql, params).fetchall()

    def _task_matches(self, expression: str, major_group: str | None, occupation: str | None,
                      limit: int | None) -> list[tuple]:
        return self._matches("task_fts", _TASK_WEIGHTS, expression, major_group, occupation, limit)

    def _occupation_matches(self, expression: str, major_group: str | None, occupation: str | None,
                            limit: int | None) -> list[tuple[str, float]]:
        rows = self._matches("occ_fts", _OCCUPATION_WEIGHTS, expression, major_group, occupation, limit)
        return [(self._occupation_rows[row], score) for row, score in rows]

    def _listing(self, major_group: str | None, occupation: str | None, limit: int) -> list[TaskHit]:
        """Without words: an occupation's tasks in file order; nothing otherwise (a whole group is too many)."""
        if occupation is None:
            return []
        return [self._tasks[t] for t in self._occupation_tasks.get(occupation, ())][:limit]

    # ------------------------------------------------------------------------------------------------ lookups

    def task(self, task_id: int) -> TaskHit | None:
        """The task with this Task ID, or None."""
        return self._tasks.get(int(task_id))

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    @property
    def task_ids(self) -> frozenset[int]:
        """Every Task ID of the release."""
        return frozenset(self._tasks)

    def major_groups(self) -> list[dict[str, Any]]:
        """The SOC major groups that have tasks: ``code``, ``title``, ``n_occupations``."""
        counts: dict[str, int] = defaultdict(int)
        for code in self._occupation_tasks:
            counts[code[:2]] += 1
        return [{"code": g, "title": SOC_MAJOR_GROUPS[g], "n_occupations": counts[g]}
                for g in sorted(counts) if g in SOC_MAJOR_GROUPS]

    def occupations(self, major_group: str) -> list[dict[str, Any]]:
        """Occupations with tasks in one major group: ``soc_code``, ``title``, ``n_tasks``, by title."""
        rows = [{"soc_code": c, "title": self._occupations[c], "n_tasks": len(t)}
                for c, t in self._occupation_tasks.items() if c[:2] == major_group]
        return sorted(rows, key=lambda r: (r["title"], r["soc_code"]))

    def gwas(self) -> list[dict[str, Any]]:
        """Generalized work activities: ``id``, ``title``, ``n_children`` (IWAs)."""
        return self._browse.gwas

    def iwas(self, gwa_id: str) -> list[dict[str, Any]]:
        """The intermediate work activities under one GWA: ``id``, ``title``, ``n_children`` (tasks).

        Raises:
            KeyError: On an unknown GWA.
        """
        return self._browse.iwas_of[gwa_id]

    def iwa_tasks(self, iwa_id: str, *, major_group: str | None = None, occupation: str | None = None,
                  limit: int = 500) -> list[TaskHit]:
        """Tasks linked (through a DWA) to one IWA, by occupation title then statement, optionally filtered.

        Raises:
            KeyError: On an unknown IWA.
        """
        hits = [self._tasks[t] for t in self._browse.tasks_of[iwa_id]]
        if occupation is not None:
            hits = [h for h in hits if h.soc_code == occupation]
        elif major_group is not None:
            hits = [h for h in hits if h.major_group == major_group]
        return hits[:limit]

    def work_activity_title(self, node_id: str) -> str | None:
        """Title of a GWA or IWA id, or None."""
        return self._browse.titles.get(node_id)


def _with_score(hit: TaskHit, score: float) -> TaskHit:
    return TaskHit(hit.task_id, hit.statement, hit.soc_code, hit.occupation, hit.major_group, score)


class _BrowseTables:
    """GWA → IWA → task, from the release's task-to-DWA links (a task may sit under several IWAs)."""

    def __init__(self, release: OnetRelease, tasks: Mapping[int, TaskHit]):
        links = release.task_dwas
        tasks_of: dict[str, set[int]] = defaultdict(set)
        for task_id, iwa_id in zip(links["task_id"], links["iwa_id"], strict=True):
            tasks_of[str(iwa_id)].add(int(task_id))
        order = {t: (hit.occupation, hit.statement, t) for t, hit in tasks.items()}
        self.tasks_of = {iwa: sorted(ids, key=order.__getitem__) for iwa, ids in tasks_of.items()}
        self.titles: dict[str, str] = {}
        self.iwas_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in release.iwas.itertuples(index=False):
            self.titles[str(row.iwa_id)] = str(row.title)
            self.iwas_of[str(row.gwa_id)].append(
                {"id": str(row.iwa_id), "title": str(row.title), "n_children": len(self.tasks_of.get(row.iwa_id, ()))})
        self.gwas = []
        for row in release.gwas.itertuples(index=False):
            self.titles[str(row.gwa_id)] = str(row.title)
            self.gwas.append({"id": str(row.gwa_id), "title": str(row.title),
                              "n_children": len(self.iwas_of.get(row.gwa_id, ()))})
        for iwa in self.titles:
            self.tasks_of.setdefault(iwa, [])
        self.iwas_of = dict(self.iwas_of)
        for gwa in self.gwas:
            self.iwas_of.setdefault(gwa["id"], [])
