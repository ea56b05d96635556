"""The offline default backend: walk the hierarchy by embedding similarity, with a beam.

How it decides (all documented parameters of :class:`EmbeddingConfig`):

* **Query** – the user's turns, not the assistant's: the first ``query_turns`` user turns, each cut to
  ``query_chars`` characters, embedded separately and averaged with the first turn weighted double (the opening
  request usually names the task; later turns refine it).
* **Node texts** – a node's name plus its description (for the work-activity hierarchy: the IWA with its detailed
  activities, the task statement with its occupations), so parents are described by what they hold.
* **Beam traversal** – keep the ``beam_top`` best top-level nodes, then the ``beam_mid`` best mid-level nodes under
  them by the running path score, then rank the base nodes under those. A path's score is the weighted sum of the
  query's cosine similarity to each node on it (``weights``, top → base), so a base task needs support from its
  parents as well as its own text, and one bad greedy step at the top cannot doom the path.
* **Screening** – occupational when the best base similarity reaches ``occupational_threshold`` and the user's turns
  carry fewer than ``max_personal_cues`` cues of personal or recreational use.
* **Pattern** – the ordered rules of :mod:`harness.classify._features`.
* **Skills** – O*NET skills whose description is within ``skill_margin`` of the most similar skill and above
  ``skill_min_similarity`` (at most ``max_skills``); none for non-occupational conversations.

It uses no prior from released usage shares, so its prevalence estimates are not pulled toward earlier results.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from harness.classify._features import extract_features, rule_pattern
from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.llm import Embedder, canonical_model_name
from harness.taxonomy import Hierarchy

__all__ = ["EmbeddingClassifier", "EmbeddingConfig"]

METHOD_VERSION = "embedding-beam/1"


@dataclass(frozen=True)
class EmbeddingConfig:
    """Settings of :class:`EmbeddingClassifier` (see the module docstring for what each does)."""

    model: str = "all-MiniLM-L6-v2"
    beam_top: int = 6
    beam_mid: int = 15
    weights: tuple[float, float, float] = (0.15, 0.25, 0.6)
    top_k: int = 5
    query_turns: int = 3
    query_chars: int = 1000
    node_chars: int = 600
    base_node_chars: int = 200
    occupational_threshold: float = 0.30
    max_personal_cues: int = 2
    skill_margin: float = 0.03
    skill_min_similarity: float = 0.15
    max_skills: int = 3
    batch_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", canonical_model_name(self.model))
        if self.beam_top < 1 or self.beam_mid < 1 or self.top_k < 1:
            raise ValueError("beam_top, beam_mid and top_k must be >= 1")
        if len(self.weights) != 3 or any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"weights must be three non-negative numbers, got {self.weights}")
        object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))

    def digest(self) -> str:
        payload = json.dumps({"method": METHOD_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class _Level:
    ids: list[str]
    vectors: np.ndarray
    parent_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class EmbeddingClassifier:
    """Offline classifier over a three-level hierarchy (module docstring has the method).

    Args:
        hierarchy: The hierarchy to walk (exactly three levels).
        config: Method settings.
        skills: Pairs of (skill name, description) to choose skills from; empty disables the skills facet.
        embedder: Encoder to use (default: one for ``config.model`` with the default cache).
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        config: EmbeddingConfig | None = None,
        *,
        skills: Sequence[tuple[str, str]] = (),
        embedder: Embedder | None = None,
    ):
        if len(hierarchy.levels) != 3:
            raise ValueError(f"the embedding backend walks three levels; {hierarchy.id} has {hierarchy.levels}")
        self.hierarchy = hierarchy
        self.config = config or EmbeddingConfig()
        self.embedder = embedder or Embedder(self.config.model, batch_size=self.config.batch_size)
        self.skill_names = [name for name, _ in skills]
        self._skill_texts = [f"{name}: {description}" for name, description in skills]
        self._levels: list[_Level] | None = None
        self._skill_vectors: np.ndarray | None = None

    @property
    def spec(self) -> str:
        return f"embedding:{self.config.model}"

    def describe(self) -> dict[str, object]:
        return {
            "backend": "embedding",
            "model": self.config.model,
            "method": METHOD_VERSION,
            "config": asdict(self.config),
            "config_digest": self.config.digest(),
            "hierarchy_id": self.hierarchy.id,
            "prior": "none (no usage-share prior is applied)",
            "prompt_hashes": self._hashes(),
        }

    def _hashes(self) -> dict[str, str]:
        digest = self.config.digest()
        return {"traversal": digest, "screening": digest, "pattern": digest, "skills": digest}

    def _node_text(self, node_id: str) -> str:
        node = self.hierarchy[node_id]
        text = f"{node.name}. {node.description}" if node.description else node.name
        # Base nodes are many: a shorter text keeps the one-off embedding of a full release affordable on a CPU.
        limit = self.config.base_node_chars if node.level == self.hierarchy.base else self.config.node_chars
        return text[:limit]

    def prepare(self) -> None:
        """Embed the hierarchy (cached on disk) and the skill descriptions; called on first use."""
        if self._levels is not None:
            return
        levels: list[_Level] = []
        for depth, level in enumerate(self.hierarchy.levels):
            ids = [n.id for n in self.hierarchy.level_nodes(level)]
            vectors = self.embedder.encode_cached([self._node_text(i) for i in ids])
            entry = _Level(ids, vectors)
            if depth > 0:
                parent_pos = {nid: k for k, nid in enumerate(levels[depth - 1].ids)}
                entry.parent_index = np.array([parent_pos[self.hierarchy[i].parent] for i in ids], dtype=np.int64)
            levels.append(entry)
        self._levels = levels
        self._skill_vectors = self.embedder.encode_cached(self._skill_texts) if self._skill_texts else None

    def _queries(self, conversations: Sequence[Conversation]) -> np.ndarray:
        texts: list[str] = []
        owners: list[int] = []
        weights: list[float] = []
        for k, conv in enumerate(conversations):
            turns = [m.content.strip() for m in conv.messages if m.role == "user" and m.content.strip()]
            turns = turns[: self.config.query_turns] or [""]
            for j, turn in enumerate(turns):
                texts.append(turn[: self.config.query_chars])
                owners.append(k)
                weights.append(2.0 if j == 0 else 1.0)
        vectors = self.embedder.encode(texts)
        out = np.zeros((len(conversations), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, np.array(owners), vectors * np.array(weights, dtype=np.float32)[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        if not conversations:
            return []
        self.prepare()
        assert self._levels is not None
        started = time.perf_counter()
        queries = self._queries(conversations)
        top, mid, base = self._levels
        sim_top, sim_mid, sim_base = (queries @ lvl.vectors.T for lvl in (top, mid, base))
        sim_skill = queries @ self._skill_vectors.T if self._skill_vectors is not None else None
        w_top, w_mid, w_base = self.config.weights
        per_item = (time.perf_counter() - started) / len(conversations)
        hashes = self._hashes()
        results = []
        for i, conv in enumerate(conversations):
            keep_top = np.zeros(len(top.ids), dtype=bool)
            keep_top[np.argsort(-sim_top[i], kind="stable")[: self.config.beam_top]] = True
            mid_score = w_top * sim_top[i][mid.parent_index] + w_mid * sim_mid[i]
            mid_score = np.where(keep_top[mid.parent_index], mid_score, -np.inf)
            keep_mid = np.zeros(len(mid.ids), dtype=bool)
            keep_mid[np.argsort(-mid_score, kind="stable")[: self.config.beam_mid]] = True
            keep_mid &= np.isfinite(mid_score)
            base_score = np.where(
                keep_mid[base.parent_index], mid_score[base.parent_index] + w_base * sim_base[i], -np.inf
            )
            ranked = np.argsort(-base_score, kind="stable")[: self.config.top_k]
            best = int(ranked[0])
            path = self.hierarchy.path(base.ids[best])
            features = extract_features(conv)
            occupational = bool(
                sim_base[i].max() >= self.config.occupational_threshold
                and features.personal_cues < self.config.max_personal_cues
            )
            results.append(
                Classification(
                    conversation_id=conv.id,
                    account_id=conv.account_id,
                    occupational=occupational,
                    path=path,
                    top_k=tuple(base.ids[int(j)] for j in ranked if np.isfinite(base_score[j])),
                    pattern=rule_pattern(features),
                    skills=self._skills(sim_skill[i]) if (sim_skill is not None and occupational) else (),
                    latency_s=per_item,
                    prompt_hashes=hashes,
                )
            )
        return results

    def _skills(self, similarity: np.ndarray) -> tuple[str, ...]:
        order = np.argsort(-similarity, kind="stable")
        best = similarity[order[0]]
        chosen = [
            self.skill_names[int(j)]
            for j in order[: self.config.max_skills]
            if similarity[j] >= best - self.config.skill_margin and similarity[j] >= self.config.skill_min_similarity
        ]
        return tuple(chosen)
