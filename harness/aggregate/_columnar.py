"""Aggregation of a partitioned Parquet fact table in DuckDB: the tables of :func:`aggregate_facts`, at scale.

A fact table of tens of millions of conversations does not fit the pandas path comfortably (every row becomes
Python objects, and a list of skills per row is a Python list). :class:`ColumnarFacts` reads a folder of Parquet
parts (one per shard or run, any depth) with DuckDB and computes every count the privacy wall and the roll-ups
need with SQL over integer codes; only small results (one row per task, per task × pattern, per occupation, per
skill, per account) come back to Python, where the same formulas as :mod:`harness.aggregate._rollup` turn them
into the same walled tables.

How the counts are made. Two passes over the parts build the dictionaries (accounts, tasks, distinct skill lists)
and a compact table of one row per conversation: position, account code, task code, pattern code, skill-list
code. One group-by then gives, per (task, account), the conversations and, as bit sets, the patterns and skills
seen. Support of a task cell is a sum and a count over its (task, account) rows; distinct accounts of a
task × pattern cell are the (task, account) rows whose pattern bits include it; distinct accounts of a set of
skills are the accounts whose skill bits meet the set's. So no ``count(DISTINCT ...)`` runs over the conversations
themselves, which is what keeps 10M rows within seconds and about 1.5 GB
(``scripts/bench_aggregate_columnar.py``).

Why DuckDB rather than Polars. Both read partitioned Parquet and aggregate in columns. DuckDB runs a query out of
core under a memory limit (a group-by that outgrows it spills to disk instead of failing), reads a list of files
with each row's file index and row number (which the wall's tie-break needs, below), and is one self-contained
wheel without dependencies. The wall's secondary suppression is a small loop over cells, which SQL plus a few lines
of Python express directly.

Equal to the pandas path. The result equals :func:`aggregate_facts` run on the concatenation of the parts in
sorted path order (so "the same data" is well defined): the same cells pass the wall, the same secondary
suppression (ties between equally small cells are broken by where a cell first appears, as pandas' stable sort
does), abstained rows left out of every cell, the same table layouts, dtypes, row order and floating-point sums
(the occupation shares are summed by pandas from the same per-task counts). ``tests/aggregate/test_columnar.py``
checks it table by table on random small tables built to hit every rule.

The release ledger (:class:`harness.aggregate.ReleaseLedger`) accepts a :class:`ColumnarFacts` wherever it takes
a DataFrame (it is a :class:`harness.aggregate._ledger.FactSource`): it asks it for the population's hashes, the
walled aggregate and the cells seen and reported.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from harness.aggregate._privacy import CellSet, PrivacyPolicy, WalledTable
from harness.aggregate._rollup import _PATTERNS, Aggregate, _released_share, explode_links, level_frame
from harness.errors import InputError
from harness.run import FACT_COLUMNS, FACT_SCHEMA, RunDir
from harness.taxonomy import PATTERNS

__all__ = ["ColumnarFacts", "partition_files"]

_ROW_BITS = 40  # a row's position: part index above these bits, row within the part below
_PATTERN_LIST = "[" + ", ".join(f"'{p}'" for p in PATTERNS) + "]"  # pattern code k is PATTERNS[k - 1]
_STRING_COLUMNS = ("conversation_id", "account_id", "statement_key", "pattern")
_Wall = tuple[list[Any], tuple[int, int] | None]


def partition_files(path: str | Path) -> list[Path]:
    """The Parquet parts of a partitioned fact table, in sorted path order (the table's row order).

    Every ``*.parquet`` file under ``path`` counts, except inside a run directory (a folder with a manifest or a
    partial file), where only its finished ``facts.parquet`` does, so a folder of run directories is a table too.

    Raises:
        InputError: ``path`` is not a folder, holds no part, or holds an unfinished run.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(root, "expected a folder of Parquet parts of a fact table")
    runs = {p.parent for p in root.rglob("*") if p.name in ("manifest.json", "facts.partial.jsonl")}
    for run in runs:
        RunDir(run).check_finished()
    files = sorted(p for p in root.rglob("*.parquet")
                   if p.is_file() and (p.parent not in runs or p.name == RunDir(p.parent).facts_path.name))
    if not files:
        raise InputError(root, "no Parquet parts (*.parquet) in this folder")
    return files


def _check_part_schema(path: Path) -> tuple[bool, bool]:
    """Check one part's layout (version, required columns, column types); returns whether it has skills and
    whether it has the ``abstained`` flag."""
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a file that is not Parquet
        raise InputError(path, f"cannot read as Parquet: {exc}") from None
    raw = (schema.metadata or {}).get(b"harness.schema_version", b"1")
    FACT_SCHEMA.check_version(int(raw) if raw.isdigit() else 1, path)
    missing = [c for c in FACT_COLUMNS if c not in schema.names]
    if missing:
        raise InputError(path, f"facts table lacks column(s) {missing}", field=missing[0])

    def base(kind: pa.DataType) -> pa.DataType:
        return kind.value_type if pa.types.is_dictionary(kind) else kind

    for name in _STRING_COLUMNS:
        kind = base(schema.field(name).type)
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
            raise InputError(path, f"expected text, found Parquet type {kind}", field=name)
    for name in ("occupational", "abstained"):
        kind = schema.field(name).type if name in schema.names else pa.null()
        if not (pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_null(kind)):
            raise InputError(path, f"expected true/false, found Parquet type {kind}", field=name)
    abstained = "abstained" in schema.names
    if "skills" not in schema.names:
        return False, abstained
    kind = schema.field("skills").type
    if not (pa.types.is_null(kind) or ((pa.types.is_list(kind) or pa.types.is_large_list(kind))
            and (pa.types.is_string(base(kind.value_type)) or pa.types.is_null(kind.value_type)))):
        raise InputError(path, f"expected a list of names, found Parquet type {kind}", field="skills")
    return True, abstained


class ColumnarFacts:
    """A fact table stored as Parquet parts, aggregated by DuckDB (see the module docstring).

    Args:
        path: Folder of parts (see :func:`partition_files`).
        memory_limit: DuckDB's memory limit (beyond it, large aggregations spill to ``temp_dir``).
        threads: DuckDB worker threads (default: one per core).
        temp_dir: Where DuckDB spills (default: its own choice beside the process's working folder).

    Raises:
        InputError: See :func:`partition_files`; a part with a bad layout.
    """

    def __init__(self, path: str | Path, *, memory_limit: str = "2GB", threads: int | None = None,
                 temp_dir: str | Path | None = None):
        import duckdb

        self.path = Path(path)
        self.files = partition_files(self.path)
        layouts = [_check_part_schema(f) for f in self.files]
        self.has_skills = any(skills for skills, _ in layouts)
        # an abstained row (below the run's --min-confidence) is in no task cell, as in the pandas path
        self._abstained_sql = "coalesce(abstained::BOOLEAN, false)" if any(a for _, a in layouts) else "false"
        self._rows = sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)
        # no query here relies on the order rows come out in (positions are explicit), so DuckDB need not keep it
        config: dict[str, Any] = {"memory_limit": memory_limit, "preserve_insertion_order": False}
        if threads:
            config["threads"] = threads
        if temp_dir is not None:
            config["temp_directory"] = str(temp_dir)
        self._con = duckdb.connect(config=config)
        self._labels: pd.Index | None = None  # statement key of each task code, once loaded
        self._unclassified = 0  # rows without a task
        self._kept: tuple[int, ...] | None = None  # the released task codes the table kept holds
        self.skill_names: list[str] = []  # the skill of each bit of the skill masks, once loaded
        self._words = 0  # 64-bit words of a skill mask
        self._skill_sets = pd.DataFrame()
        self._skills_sql = "skills" if self.has_skills else "NULL::VARCHAR[]"

    def __len__(self) -> int:
        return self._rows

    def __enter__(self) -> ColumnarFacts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    # ------------------------------------------------------------------------------------------- loading

    def _sql(self, query: str, **frames: pd.DataFrame) -> pd.DataFrame:
        """Run ``query`` with the given small frames visible under their names; the result as a DataFrame."""
        for name, frame in frames.items():
            self._con.register(name, frame)
        try:
            return self._con.execute(query).df()
        finally:
            for name in frames:
                self._con.unregister(name)

    def _one(self, query: str) -> tuple[Any, ...] | None:
        """The first row of ``query`` (the whole result is fetched, so the connection is free again)."""
        rows = self._con.execute(query).fetchall()
        return rows[0] if rows else None

    def _where(self, pos: int) -> tuple[Path, int]:
        """The part and 1-based row of a row position."""
        return self.files[pos >> _ROW_BITS], (pos & ((1 << _ROW_BITS) - 1)) + 1

    def _load(self) -> pd.Index:
        """Check the values and build the compact tables every later query reads; returns the statement key of
        each task code.

        ``f`` holds one row per conversation as numbers: row position, a hash of the id (for the duplicate check),
        account code, task code (null unless occupational with a task), pattern code (1-based in ``PATTERNS``, 0
        for an unknown pattern) and skill-list code. ``pairs`` holds, per (task, account), the conversations, the
        patterns seen as bits (bit 0 for no pattern) and the skills seen as bits (``m0``, ``m1``... of 64 skills
        each); ``task_patterns`` the conversations per (task, pattern). Every count of the wall and the roll-ups
        comes from these.
        """
        if self._labels is not None:
            return self._labels
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in self.files)
        self._con.execute(f"""
            CREATE TEMP VIEW raw AS
            SELECT (file_index::BIGINT << {_ROW_BITS}) | file_row_number AS pos, conversation_id::VARCHAR AS cid,
                   account_id::VARCHAR AS account, pattern::VARCHAR AS pattern, {self._skills_sql} AS skills,
                   CASE WHEN coalesce(occupational::BOOLEAN, false) AND NOT {self._abstained_sql}
                        THEN statement_key::VARCHAR END AS key
            FROM read_parquet([{files}], union_by_name = true, hive_partitioning = false, file_row_number = true)""")
        self._dictionaries()
        self._con.execute(f"""
            CREATE TEMP TABLE f AS
            SELECT r.pos, hash(r.cid) AS h, a.acct AS account, t.task, l.sid,
                   CASE WHEN r.pattern IS NOT NULL THEN coalesce(list_position({_PATTERN_LIST}, r.pattern), 0)
                   END::UTINYINT AS pat
            FROM raw r LEFT JOIN accounts a ON r.account IS NOT NULL AND {self._join("accounts", "account")}
                       LEFT JOIN tasks t ON r.key IS NOT NULL AND {self._join("tasks", "key")}
                       LEFT JOIN lists l ON r.skills IS NOT NULL AND {self._join("lists", "skills")}""")
        self._con.execute("DROP TABLE accounts")
        self._validate()
        words = "".join(f", bit_or(m.m{w}) AS m{w}" for w in range(self._words))
        self._con.execute(f"""
            CREATE TEMP TABLE pairs AS
            SELECT f.task, f.account, count(*) AS n,
                   bit_or(CASE WHEN f.pat IS NULL THEN 1 ELSE 1 << f.pat END)::UTINYINT AS pm {words}
            FROM f LEFT JOIN masks m ON f.sid = m.sid WHERE f.task IS NOT NULL GROUP BY f.task, f.account""")
        self._con.execute("""
            CREATE TEMP TABLE task_patterns AS SELECT task, pat, count(*) AS n FROM f
            WHERE task IS NOT NULL AND pat IS NOT NULL GROUP BY task, pat""")
        self._unclassified = int(self._one("SELECT count(*) FROM f WHERE task IS NULL")[0])
        keys = self._sql("SELECT key FROM tasks ORDER BY task")["key"]
        self._labels = pd.Index(keys.to_numpy(dtype=object), dtype=object)
        return self._labels

    def _dictionaries(self) -> None:
        """The dictionaries of accounts, tasks (numbered in order of first appearance, as pandas.factorize does)
        and distinct skill lists (spelt out in ``skill_sets``: times listed and first place in the list; as bits
        in ``masks``); sets :attr:`skill_names`, the skill of each bit."""
        self._con.execute("""
            CREATE TEMP TABLE tasks AS
            SELECT key, hash(key) AS h, (row_number() OVER (ORDER BY first) - 1)::INTEGER AS task, first
            FROM (SELECT key, min(pos) AS first FROM raw WHERE key IS NOT NULL GROUP BY key)""")
        self._con.execute("""
            CREATE TEMP TABLE accounts AS
            SELECT account, hash(account) AS h, (row_number() OVER () - 1)::INTEGER AS acct
            FROM (SELECT DISTINCT account FROM raw WHERE account IS NOT NULL)""")
        self._con.execute("""
            CREATE TEMP TABLE lists AS SELECT skills, hash(skills) AS h, (row_number() OVER () - 1)::INTEGER AS sid
            FROM (SELECT DISTINCT skills FROM raw WHERE skills IS NOT NULL)""")
        sets = self._sql("""
            SELECT sid, skill, count(*) AS times, min(k) AS k FROM (
                SELECT sid, unnest(skills) AS skill, generate_subscripts(skills, 1) AS k FROM lists)
            WHERE skill IS NOT NULL GROUP BY sid, skill ORDER BY sid, skill""")
        self.skill_names = sorted(set(sets["skill"]))
        self._words = -(-len(self.skill_names) // 64)
        bit = sets["skill"].map({name: b for b, name in enumerate(self.skill_names)}).to_numpy(dtype=np.int64)
        sets["bit"] = bit
        self._skill_sets = sets
        sids = sets["sid"].to_numpy(dtype=np.int64)
        starts = np.flatnonzero(np.r_[True, sids[1:] != sids[:-1]]) if len(sids) else np.zeros(0, dtype=np.int64)
        masks = pd.DataFrame({"sid": sids[starts].astype(np.int32)})
        for w in range(self._words):  # each list's skills as bits, 64 to a word
            word = np.where(bit // 64 == w, np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64)), np.uint64(0))
            masks[f"m{w}"] = np.bitwise_or.reduceat(word, starts)
        self._con.register("masks_frame", masks)
        self._con.execute("CREATE TEMP TABLE masks AS SELECT * FROM masks_frame")
        self._con.unregister("masks_frame")

    def _join(self, table: str, column: str) -> str:
        """The join condition of ``raw`` to a dictionary: on the 64-bit hash of the value, which is exact when no
        two entries share a hash (checked here), else on the value itself."""
        alias = table[0]
        distinct, total = self._one(f"SELECT count(DISTINCT h), count(*) FROM {table}")
        if distinct == total:
            return f"{alias}.h = hash(r.{column})"
        return f"{alias}.{column} = r.{column}"

    def validate(self) -> None:
        """The checks of :func:`harness.run.validate_facts`: one row per conversation, an account on every row,
        known patterns.

        Raises:
            InputError: Naming the part, its row and the field.
        """
        self._load()

    def _validate(self) -> None:
        first = self._one("SELECT min(pos) FILTER (WHERE account IS NULL), min(pos) FILTER (WHERE pat = 0) FROM f")
        if first[0] is not None:
            part, row = self._where(first[0])
            raise InputError(part, "account_id is empty", line=row, field="account_id")
        if first[1] is not None:
            part, row = self._where(first[1])
            value = self._one(f"SELECT pattern FROM raw WHERE pos = {first[1]}")[0]
            raise InputError(part, f"got {value!r}, expected one of {PATTERNS} or null", line=row, field="pattern")
        # equal id hashes first (a sort of numbers); the text decides among those few
        hashes = self._con.execute("SELECT h FROM f").fetchnumpy()["h"]
        hashes.sort()
        suspects = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        repeated = None
        if len(suspects):
            repeated = self._sql("""
                SELECT cid, list_sort(list(pos))[2] AS second FROM raw WHERE hash(cid) IN (SELECT h FROM suspects)
                GROUP BY cid HAVING count(*) > 1 ORDER BY second LIMIT 1""",
                                 suspects=pd.DataFrame({"h": suspects})).itertuples(index=False, name=None)
            repeated = next(repeated, None)
        if repeated is not None:
            part, row = self._where(repeated[1])
            raise InputError(part, f"conversation_id {repeated[0]!r} appears twice (one row per conversation "
                             "expected, across all parts)", line=row, field="conversation_id")

    def population_hashes(self) -> np.ndarray:
        """The ledger's fingerprint of the population, as :func:`harness.aggregate._ledger.population_hashes`
        computes it (BLAKE2b of each id, in Python: about a microsecond per conversation), read part by part."""
        self._load()
        parts = [_part_hashes(f) for f in self.files]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype="<u8")

    # ------------------------------------------------------------------------------------------- the wall

    def _task_wall(self, links: pd.DataFrame, policy: PrivacyPolicy,
                   withhold: frozenset[str]) -> tuple[list[Any], tuple[int, int] | None, pd.DataFrame]:
        """The task cells that pass the wall and the residual, as :func:`harness.aggregate.wall_cells` finds them
        for the pandas path (rows of a ``withhold`` task count towards the residual from the start), and the
        support (conversations, accounts) of every task outside ``withhold``."""
        labels = self._load()
        unknown = np.flatnonzero(~labels.isin(set(links["statement_key"])))
        if len(unknown):
            first = int(self._sql("SELECT min(first) AS first FROM tasks SEMI JOIN cells USING (task)",
                                  cells=_codes(unknown))["first"].iloc[0])
            part, row = self._where(first)
            key = self._one(f"SELECT key FROM raw WHERE pos = {first}")[0]
            raise InputError(part, f"task {key!r} is not in the links table", line=row, field="statement_key")
        forced = np.flatnonzero(labels.isin(withhold)).tolist()
        support = self._sql("""
            SELECT task, sum(n)::BIGINT AS conversations, count(*) AS accounts FROM pairs
            WHERE task NOT IN (SELECT task FROM cells) GROUP BY task ORDER BY task""",
                            cells=_codes(forced)).set_index("task")

        def residual(cells: list[Any]) -> tuple[int, int]:
            found = self._sql("""
                SELECT (SELECT coalesce(sum(n), 0)::BIGINT FROM pairs SEMI JOIN cells USING (task)) AS n,
                       (SELECT count(*) FROM (SELECT account FROM f WHERE task IS NULL
                                              UNION SELECT account FROM pairs SEMI JOIN cells USING (task))) AS a""",
                              cells=_codes([*forced, *cells]))
            return self._unclassified + int(found["n"].iloc[0]), int(found["a"].iloc[0])

        return (*_wall(support, policy, residual), support)

    # ------------------------------------------------------------------------------------------- the tables

    def aggregate(self, links: pd.DataFrame, *, policy: PrivacyPolicy | None = None, source: str | None = None,
                  withhold: CellSet | None = None) -> Aggregate:
        """The walled :class:`~harness.aggregate.Aggregate` that :func:`harness.aggregate.aggregate_facts` gives
        for the same rows (arguments as there; ``source`` defaults to the folder).

        Raises:
            InputError: A bad value in a part (see :meth:`validate`), or a task that is not in ``links``.
        """
        policy = policy or PrivacyPolicy()
        withhold = withhold or CellSet()
        source = source or str(self.path)
        labels = self._load()
        kept, residual, support = self._task_wall(links, policy, withhold.tasks)
        self._keep(kept)
        withheld = None if residual is None else residual[0]
        counts = support.loc[sorted(kept)].rename_axis("task").reset_index()  # a kept task's rows are all released
        n_rel = int(counts["conversations"].sum())
        n_rel_accounts = int(self._one("SELECT count(DISTINCT account) FROM pairs SEMI JOIN kept USING (task)")[0])
        tasks = _task_table(counts, labels, links, n_rel, n_rel_accounts)
        occupations, major_groups = self._occupation_tables(labels, links, tasks, n_rel)
        by_task, patterns = self._pattern_tables(labels, counts, policy, n_rel, withhold.patterns)
        skills = self._skill_table(policy, n_rel, withhold.skills)

        def table(name: str, frame: pd.DataFrame, note: str) -> WalledTable:
            return WalledTable(name, frame.reset_index(drop=True), policy, source, withheld, note)

        # the notes are the pandas path's, word for word: the tables are the same tables
        return Aggregate(
            policy=policy,
            tasks=table("tasks", tasks, "Reported task cells; shares are of released conversations."),
            occupations=table("occupations", occupations,
                              "Task conversations split equally among the task's linked occupations."),
            major_groups=table("major_groups", major_groups, "Sum of occupation shares by SOC major group."),
            patterns=table("patterns", patterns, "Collaboration patterns of released conversations."),
            patterns_by_task=table("patterns_by_task", by_task, "Conversations by task and collaboration pattern."),
            skills=table("skills", skills, "Conversations (released tasks only) that exercise each skill."),
            released_conversations=n_rel,
            released_accounts=n_rel_accounts,
            withheld_conversations=withheld,
        )

    def _keep(self, kept: Sequence[Any]) -> None:
        """Make the released task codes the table ``kept`` that the later queries join on."""
        codes = tuple(sorted(int(k) for k in kept))
        if codes == self._kept:
            return
        self._con.register("kept_frame", _codes(codes))
        self._con.execute("CREATE OR REPLACE TEMP TABLE kept AS SELECT task FROM kept_frame")
        self._con.unregister("kept_frame")
        self._kept = codes

    def _occupation_tables(self, labels: pd.Index, links: pd.DataFrame, tasks: pd.DataFrame,
                           n_rel: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Occupations and major groups: the pandas path's weighted sums over the task table, with the distinct
        accounts per occupation and per group counted here."""
        task_links = explode_links(links).merge(tasks[["statement_key", "conversations"]], on="statement_key",
                                                how="inner")
        task_links["task"] = labels.get_indexer(task_links["statement_key"])
        levels = []
        for level in ("soc_code", "major_group"):
            codes, names = pd.factorize(task_links[level])
            found = self._sql("""
                SELECT level, count(*) AS n FROM (
                    SELECT DISTINCT l.level, p.account FROM pairs p SEMI JOIN kept USING (task) JOIN lv l USING (task))
                GROUP BY level""", lv=pd.DataFrame({"task": task_links["task"].to_numpy(dtype=np.int32),
                                                    "level": codes.astype(np.int32)}))
            acc = pd.Series(found["n"].to_numpy(dtype=np.int64), index=np.asarray(names, dtype=object)[found["level"]])
            conv = (task_links["conversations"] * task_links["weight"]).groupby(task_links[level]).sum()
            levels.append(level_frame(conv, acc, level, n_rel))
        return levels[0], levels[1]

    def _pattern_tables(self, labels: pd.Index, counts: pd.DataFrame, policy: PrivacyPolicy, n_rel: int,
                        withhold: frozenset[tuple[str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Patterns by task (wide) and overall, by the pandas path's rules (see ``_rollup._pattern_tables``)."""
        seen = ", ".join(f"count(*) FILTER (WHERE pm & {1 << k} <> 0) AS a{k}" for k in range(1, len(PATTERNS) + 1))
        accounts = self._sql(f"SELECT task, {seen} FROM pairs SEMI JOIN kept USING (task) GROUP BY task")
        accounts = accounts.melt(id_vars="task", var_name="pat", value_name="accounts")
        accounts["pat"] = accounts["pat"].str[1:].astype(int)
        pcells = self._sql("""
            SELECT task::BIGINT AS task, pat::BIGINT AS pat, n AS conversations FROM task_patterns
            SEMI JOIN kept USING (task) ORDER BY task, pat""").merge(accounts, on=["task", "pat"], how="left")
        pcells.insert(1, "pattern", np.asarray(PATTERNS, dtype=object)[pcells.pop("pat").to_numpy(dtype=int) - 1])
        pcells["accounts"] = pcells["accounts"].astype(np.int64)
        pcells["ok"] = (pcells["conversations"] >= policy.min_conversations) & (
            pcells["accounts"] >= policy.min_accounts)
        if withhold:
            pairs = zip(np.asarray(labels, dtype=object)[pcells["task"].to_numpy()], pcells["pattern"], strict=True)
            pcells.loc[[pair in withhold for pair in pairs], "ok"] = False
        task_total = pd.Series(counts["conversations"].to_numpy(), index=pd.Index(
            counts["task"].to_numpy(dtype=np.int64), name="task"))
        ok_total = pcells[pcells["ok"]].groupby("task")["conversations"].sum().reindex(task_total.index).fillna(0)
        res_conv = task_total - ok_total
        res_acc = self._residual_pattern_accounts(pcells).reindex(task_total.index).fillna(0)
        res_ok = (res_conv == 0) | ((res_conv >= policy.min_conversations) & (res_acc >= policy.min_accounts))
        pcells.loc[~pcells["task"].map(res_ok).fillna(False).astype(bool).to_numpy(), "ok"] = False
        wide = pcells[pcells["ok"]].pivot_table(index="task", columns="pattern", values="conversations",
                                                aggfunc="sum", fill_value=0)
        wide = wide.reindex(index=task_total.index, columns=list(_PATTERNS), fill_value=0).astype(np.int64)
        wide["withheld"] = task_total - wide.sum(axis=1)
        wide.insert(0, "statement_key", np.asarray(labels, dtype=object)[wide.index.to_numpy()])
        overall = wide[[*_PATTERNS, "withheld"]].sum()
        patterns = pd.DataFrame({"pattern": overall.index, "conversations": overall.to_numpy()})
        patterns["pct"] = _released_share(patterns["conversations"], n_rel)
        return wide, patterns

    def _residual_pattern_accounts(self, pcells: pd.DataFrame) -> pd.Series:
        """Per released task, the distinct accounts among its conversations without a pattern or in a withheld
        task × pattern cell: the accounts whose pattern bits meet the task's withheld bits."""
        bad = pcells.loc[~pcells["ok"]]
        bits = np.left_shift(1, bad["pattern"].map(PATTERNS.index).to_numpy(dtype=np.int64) + 1)
        held = pd.Series(bits, index=bad["task"].to_numpy()).groupby(level=0).agg(np.bitwise_or.reduce)
        tasks = np.asarray(self._kept, dtype=np.int64)
        mask = pd.Series(1, index=tasks, dtype=np.int64) | held.reindex(tasks).fillna(0).astype(np.int64)
        found = self._sql("""
            SELECT p.task::BIGINT AS task, count(*) AS n FROM pairs p JOIN held h ON p.task = h.task
            WHERE p.pm & h.mask <> 0 GROUP BY p.task""",
                          held=pd.DataFrame({"task": tasks.astype(np.int32), "mask": mask.to_numpy(np.uint8)}))
        return pd.Series(found["n"].to_numpy(), index=found["task"].to_numpy())

    def _skill_table(self, policy: PrivacyPolicy, n_rel: int, withhold: frozenset[str]) -> pd.DataFrame:
        """Skills of released conversations behind their own wall (the pandas path's ``_skills``).

        Conversations per skill come from the conversations per skill list; distinct accounts from each account's
        skills as bits (an account counts for a set of skills when its bits meet the set's).
        """
        empty = pd.DataFrame({"skill": [], "conversations": [], "accounts": [], "pct": []})
        if not self._words or n_rel == 0:
            return empty
        lists = self._sql("""
            SELECT sid, count(*) AS n, min(pos) AS first FROM f SEMI JOIN kept USING (task) WHERE sid IS NOT NULL
            GROUP BY sid""").merge(self._skill_sets, on="sid")
        lists["conversations"] = lists["n"] * lists["times"]
        if not len(lists):
            return empty
        per_skill = lists.sort_values(["first", "k"]).groupby("skill", sort=False).agg(
            conversations=("conversations", "sum"), bit=("bit", "first"))  # rows in order of first appearance
        accounts = self._account_bits()
        per_skill["accounts"] = [int(_meets(accounts, _bits(self._words, [b])).sum()) for b in per_skill["bit"]]

        def residual(cells: list[Any]) -> tuple[int, int]:
            chosen = per_skill.loc[[*held, *cells]]
            mask = _bits(self._words, chosen["bit"])
            return int(chosen["conversations"].sum()), int(_meets(accounts, mask).sum())

        held = [skill for skill in per_skill.index if skill in withhold]
        support = per_skill.drop(index=held)[["conversations", "accounts"]].astype(np.int64)
        kept, residual_support = _wall(support, policy, residual)
        if residual_support is None:
            return empty
        out = support.loc[sorted(kept)].rename_axis("skill").reset_index()
        out["pct"] = _released_share(out["conversations"], n_rel)
        return out.sort_values(["conversations", "skill"], ascending=[False, True]).reset_index(drop=True)

    def _account_bits(self) -> np.ndarray:
        """The skills of each account's released conversations as bits: one row per account, one column per word."""
        words = ", ".join(f"bit_or(m{w}) AS m{w}" for w in range(self._words))
        found = self._con.execute(f"SELECT {words} FROM pairs SEMI JOIN kept USING (task) GROUP BY account")
        return np.column_stack([found.fetchnumpy()[f"m{w}"] for w in range(self._words)]).astype(np.uint64)

    # ------------------------------------------------------------------------------------------- the ledger

    def release_cells(self, aggregate: Aggregate) -> tuple[CellSet, CellSet]:
        """The cells ``aggregate`` (of this table) reported and those it withheld, as
        :func:`harness.aggregate._ledger.release_cells` finds them for a DataFrame."""
        labels = self._load()
        reported_tasks = set(aggregate.tasks.table["statement_key"])
        self._keep(np.flatnonzero(labels.isin(reported_tasks)).tolist())
        seen = self._sql("SELECT task::BIGINT AS task, bit_or(pm) AS pm FROM pairs SEMI JOIN kept USING (task) "
                         "GROUP BY task")
        keys = np.asarray(labels, dtype=object)[seen["task"].to_numpy(dtype=np.int64)]
        seen_patterns = {(key, pattern) for key, bits in zip(keys, seen["pm"].to_numpy(dtype=np.int64), strict=True)
                         for k, pattern in enumerate(PATTERNS, start=1) if bits & (1 << k)}
        wide = aggregate.patterns_by_task.table
        reported_patterns = {(key, pattern) for pattern in wide.columns if pattern not in ("statement_key", "withheld")
                             for key, count in zip(wide["statement_key"], wide[pattern], strict=True) if count > 0}
        seen_skills: set[str] = set()
        if self._words:
            union = np.bitwise_or.reduce(self._account_bits(), axis=0)
            seen_skills = {name for b, name in enumerate(self.skill_names) if int(union[b // 64]) >> (b % 64) & 1}
        reported = CellSet.of(reported_tasks, reported_patterns, set(aggregate.skills.table["skill"]))
        seen_cells = CellSet.of(set(labels), seen_patterns, seen_skills)
        return reported, CellSet(seen_cells.tasks - reported.tasks, seen_cells.patterns - reported.patterns,
                                 seen_cells.skills - reported.skills)


def _bits(words: int, positions: Iterable[int]) -> np.ndarray:
    """The given bit positions as a mask of ``words`` 64-bit words."""
    mask = np.zeros(words, dtype=np.uint64)
    for b in positions:
        mask[int(b) // 64] |= np.uint64(1) << np.uint64(int(b) % 64)
    return mask


def _meets(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which rows of bit words share at least one bit with ``mask``."""
    return (rows & mask).any(axis=1)


def _codes(values: Sequence[Any] | np.ndarray) -> pd.DataFrame:
    """Task codes as a one-column frame for DuckDB to join on."""
    return pd.DataFrame({"task": np.asarray(values, dtype=np.int32)})


def _task_table(counts: pd.DataFrame, labels: pd.Index, links: pd.DataFrame, n_rel: int,
                n_rel_accounts: int) -> pd.DataFrame:
    """The reported tasks, laid out as the pandas path's ``_task_table``."""
    index = pd.Index(counts["task"].to_numpy(dtype=np.int64), name="task")
    tasks = pd.DataFrame({"conversations": counts["conversations"].to_numpy(dtype=np.int64),
                          "accounts": counts["accounts"].to_numpy(dtype=np.int64)}, index=index)
    tasks.insert(0, "statement_key", np.asarray(labels, dtype=object)[index.to_numpy()])
    if "statement" in links.columns:
        tasks.insert(1, "statement", tasks["statement_key"].map(links.set_index("statement_key")["statement"]))
    tasks["pct"] = _released_share(tasks["conversations"], n_rel)
    tasks["pct_accounts"] = _released_share(tasks["accounts"], n_rel_accounts)
    return tasks.sort_values(["conversations", "statement_key"], ascending=[False, True])


def _wall(support: pd.DataFrame, policy: PrivacyPolicy, residual: Callable[[list[Any]], tuple[int, int]]) -> _Wall:
    """Secondary suppression as :func:`harness.aggregate.wall_cells` does it, over per-cell support.

    Args:
        support: ``conversations`` and ``accounts`` per cell, indexed by cell in order of first appearance.
        policy: The thresholds.
        residual: ``(conversations, distinct accounts)`` of the residual rows together with the given cells' rows.

    Returns:
        The cells that may be reported, and the residual's support or None when it cannot pass the wall.
    """
    ok = (support["conversations"] >= policy.min_conversations) & (support["accounts"] >= policy.min_accounts)
    kept = support[ok].sort_values(["conversations", "accounts"], kind="stable")
    cells = list(support.index[~ok])
    while True:
        n_conv, n_acc = residual(cells)
        if n_conv == 0 or policy.admits(n_conv, n_acc):
            return list(kept.index), (n_conv, n_acc)
        if kept.empty:
            return [], None
        cells.append(kept.index[0])  # the smallest reported cell joins the residual
        kept = kept.iloc[1:]


def _part_hashes(path: Path) -> np.ndarray:
    """The 64-bit BLAKE2b hashes of one part's conversation ids (the ledger's population fingerprint)."""
    ids = pq.read_table(path, columns=["conversation_id"]).column(0)
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    # text as UTF-8 bytes, a missing id as the text the pandas path hashes for it
    texts = [b"None" if cid is None else cid for cid in ids.cast(pa.binary()).to_pylist()]
    blake = functools.partial(hashlib.blake2b, digest_size=8)
    digests = b"".join(map(operator.methodcaller("digest"), map(blake, texts)))
    return np.frombuffer(digests, dtype="<u8")
