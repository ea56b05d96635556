"""The task hierarchy that classification walks: a tree with named levels and content-derived ids."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.errors import InputError, clip_text

__all__ = ["Hierarchy", "Node"]

_SCHEMA = "harness.hierarchy/1"


def _freeze(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Node:
    """One node of a hierarchy.

    Attributes:
        id: Stable id, unique in the hierarchy (e.g. ``gwa:4.A.1.a.1``, ``iwa:4.A.1.a.1.I01``, ``task:8823``).
        level: Name of the node's level (one of :attr:`Hierarchy.levels`).
        name: Short label shown to a classifier as an option.
        description: Longer text that explains the node (may be empty).
        parent: Id of the parent node, ``None`` for the top level.
        alternates: Other nodes of the parent level that would also have been a correct parent (e.g. the other
            IWAs a task is linked to). Evaluation accepts them; traversal follows ``parent`` only.
        meta: JSON-serialisable extras, e.g. ``task_ids`` and ``soc_codes`` of a base task statement.
    """

    id: str
    level: str
    name: str
    description: str = ""
    parent: str | None = None
    alternates: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alternates", tuple(self.alternates))
        object.__setattr__(self, "meta", _freeze(self.meta))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "level": self.level, "name": self.name}
        if self.description:
            out["description"] = self.description
        if self.parent is not None:
            out["parent"] = self.parent
        if self.alternates:
            out["alternates"] = list(self.alternates)
        if self.meta:
            out["meta"] = _jsonable(self.meta)
        return out


def _check_layout(data: Mapping[str, Any], source: str | Path) -> None:
    """Refuse header and node fields of the wrong JSON type, naming the field (the constructor checks the tree)."""
    levels = data.get("levels")
    if not isinstance(levels, list) or not all(isinstance(level, str) for level in levels):
        raise InputError(source, "expected a list of level names", field="levels")
    if not isinstance(data.get("metadata", {}), Mapping | None):
        raise InputError(source, "expected an object", field="metadata")
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise InputError(source, f"expected a list of node objects, got {type(nodes).__name__}", field="nodes")
    for i, node in enumerate(nodes):
        if not isinstance(node, Mapping):
            raise InputError(source, f"expected a node object, got {type(node).__name__}", field=f"nodes[{i}]")
        for key, kinds in (("id", str), ("level", str), ("name", str), ("description", str),
                           ("parent", str | None), ("alternates", list), ("meta", Mapping)):
            if key in node and not isinstance(node[key], kinds):
                raise InputError(source, f"got {clip_text(repr(node[key]), 80)} ({type(node[key]).__name__})",
                                 field=f"nodes[{i}].{key}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


class Hierarchy:
    """An immutable tree of :class:`Node` objects with named levels, top first.

    The id is derived from the content (levels and nodes, not the build metadata), so two builds that produce the
    same tree share an id and any change to a name, description or parent link gives a new one.

    Args:
        levels: Level names from the top down, e.g. ``("top", "mid", "base")``.
        nodes: Every node. Top-level nodes have no parent; every other node's parent is on the level above.
        name: A short label that prefixes the id (e.g. ``"onet-wa-29.3"``).
        metadata: What produced the hierarchy (release, builder, seeds, timings); not part of the id.

    Raises:
        ValueError: duplicate ids, unknown levels, or a parent that is missing or on the wrong level.
    """

    def __init__(
        self,
        levels: Iterable[str],
        nodes: Iterable[Node],
        *,
        name: str = "hierarchy",
        metadata: Mapping[str, Any] | None = None,
    ):
        self.levels: tuple[str, ...] = tuple(levels)
        self.name = name
        self.metadata: Mapping[str, Any] = _freeze(metadata)
        if len(set(self.levels)) != len(self.levels) or not self.levels:
            raise ValueError(f"levels must be distinct and non-empty, got {self.levels}")
        self._nodes: dict[str, Node] = {}
        for node in nodes:
            if node.id in self._nodes:
                raise ValueError(f"duplicate node id {node.id!r}")
            self._nodes[node.id] = node
        self._children: dict[str | None, list[str]] = {}
        depth = {lvl: i for i, lvl in enumerate(self.levels)}
        for node in self._nodes.values():
            if node.level not in depth:
                raise ValueError(f"node {node.id!r} has unknown level {node.level!r}; levels are {self.levels}")
            if depth[node.level] == 0:
                if node.parent is not None:
                    raise ValueError(f"top-level node {node.id!r} must not have a parent")
            else:
                expected = self.levels[depth[node.level] - 1]
                for ref in (node.parent, *node.alternates):
                    target = self._nodes.get(ref) if ref is not None else None
                    if target is None or target.level != expected:
                        raise ValueError(f"node {node.id!r}: parent/alternate {ref!r} is not a {expected!r} node")
            self._children.setdefault(node.parent, []).append(node.id)
        self.id = f"{name}-{self.content_hash()[:12]}"
        self._task_index: dict[int, str] | None = None  # built on first use

    # -- identity -------------------------------------------------------------------------------------------
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of levels and nodes."""
        payload = json.dumps(
            {"levels": self.levels, "nodes": [n.to_json() for n in self._ordered()]},
            sort_keys=True, ensure_ascii=False, separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _ordered(self) -> list[Node]:
        depth = {lvl: i for i, lvl in enumerate(self.levels)}
        return sorted(self._nodes.values(), key=lambda n: (depth[n.level], n.id))

    # -- navigation -----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(self._ordered())

    def __getitem__(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in hierarchy {self.id}") from None

    @property
    def top(self) -> str:
        return self.levels[0]

    @property
    def base(self) -> str:
        return self.levels[-1]

    def roots(self) -> list[Node]:
        """Top-level nodes, sorted by id."""
        return self.children(None)

    def children(self, node_id: str | None) -> list[Node]:
        """Children of ``node_id`` (``None`` → the top level), sorted by id."""
        if node_id is not None and node_id not in self._nodes:
            raise KeyError(f"no node {node_id!r} in hierarchy {self.id}")
        return [self._nodes[c] for c in sorted(self._children.get(node_id, ()))]

    def level_nodes(self, level: str) -> list[Node]:
        """All nodes on ``level``, sorted by id."""
        if level not in self.levels:
            raise ValueError(f"unknown level {level!r}; levels are {self.levels}")
        return sorted((n for n in self._nodes.values() if n.level == level), key=lambda n: n.id)

    def ancestors(self, node_id: str) -> list[Node]:
        """Parent chain of ``node_id``, nearest first (excludes the node itself)."""
        out = []
        parent = self[node_id].parent
        while parent is not None:
            node = self._nodes[parent]
            out.append(node)
            parent = node.parent
        return out

    def path(self, node_id: str) -> tuple[str, ...]:
        """Ids from the top level down to ``node_id`` inclusive."""
        return (*(n.id for n in reversed(self.ancestors(node_id))), node_id)

    def at_level(self, node_id: str, level: str) -> str:
        """The node on ``level`` on the path to ``node_id`` (the node itself when it is on that level)."""
        depth = self.levels.index(level)
        path = self.path(node_id)
        if depth >= len(path):
            raise ValueError(f"{node_id!r} is above level {level!r}")
        return path[depth]

    def acceptable_at_level(self, node_id: str, level: str) -> frozenset[str]:
        """Nodes on ``level`` that count as correct for a true node ``node_id``.

        Follows the primary parent and every alternate parent upward, so a task linked to several IWAs accepts
        each of those IWAs and each of their GWAs.
        """
        target = self.levels.index(level)
        frontier = {node_id}
        while frontier:
            sample = self._nodes[next(iter(frontier))]
            if self.levels.index(sample.level) <= target:
                return frozenset(frontier)
            nxt: set[str] = set()
            for nid in frontier:
                node = self._nodes[nid]
                nxt.update(p for p in (node.parent, *node.alternates) if p is not None)
            frontier = nxt
        raise ValueError(f"{node_id!r} is above level {level!r}")

    def base_for_task_ids(self) -> Mapping[int, str]:
        """O*NET Task ID → the base node that holds it (from the base nodes' ``meta["task_ids"]``).

        Empty for hierarchies whose base nodes do not record Task IDs. Built once, returned read-only.
        """
        if self._task_index is None:
            self._task_index = {
                int(t): node.id for node in self.level_nodes(self.base) for t in node.meta.get("task_ids", ())
            }
        return MappingProxyType(self._task_index)

    def sizes(self) -> dict[str, int]:
        """Number of nodes per level."""
        return {lvl: sum(1 for n in self._nodes.values() if n.level == lvl) for lvl in self.levels}

    # -- persistence ----------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schema": _SCHEMA,
            "id": self.id,
            "name": self.name,
            "levels": list(self.levels),
            "sizes": self.sizes(),
            "metadata": _jsonable(self.metadata),
            "nodes": [n.to_json() for n in self._ordered()],
        }

    def save(self, path: str | Path) -> Path:
        """Write the hierarchy as JSON atomically (a crash never leaves a half-written file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, ensure_ascii=False, indent=1)
                fh.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str | Path = "<hierarchy>") -> Hierarchy:
        """Rebuild a hierarchy from :meth:`to_json` output, checking the recorded id against the content."""
        if not isinstance(data, Mapping):
            raise InputError(source, f"expected a JSON object (a hierarchy), got {type(data).__name__}")
        if data.get("schema") != _SCHEMA:
            raise InputError(source, f"expected schema {_SCHEMA!r}, got {clip_text(repr(data.get('schema')), 80)}",
                             field="schema")
        _check_layout(data, source)
        try:
            nodes = [
                Node(
                    id=n["id"], level=n["level"], name=n["name"], description=n.get("description", ""),
                    parent=n.get("parent"), alternates=tuple(n.get("alternates", ())), meta=n.get("meta", {}),
                )
                for n in data["nodes"]
            ]
            hierarchy = cls(data["levels"], nodes, name=data.get("name", "hierarchy"),
                            metadata=data.get("metadata"))
        except KeyError as exc:
            raise InputError(source, f"missing field {exc.args[0]!r} in a node or the header") from None
        except ValueError as exc:
            raise InputError(source, str(exc), field="nodes") from None
        if data.get("id") not in (None, hierarchy.id):
            raise InputError(
                source, f"recorded id {data['id']!r} does not match the content ({hierarchy.id}); the file was edited",
                field="id",
            )
        return hierarchy

    @classmethod
    def load(cls, path: str | Path) -> Hierarchy:
        """Read a hierarchy JSON file written by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(path, "hierarchy file not found") from None
        except OSError as exc:  # a directory, an unreadable file
            raise InputError(path, f"cannot read the hierarchy file: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8 text; a hierarchy file is UTF-8 JSON") from None
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        except RecursionError:
            raise InputError(path, "not a hierarchy: JSON nested too deeply to read") from None
        return cls.from_json(data, source=path)

    def __repr__(self) -> str:
        return f"Hierarchy(id={self.id!r}, levels={self.levels}, sizes={self.sizes()})"
