"""The offline default backend: walk the hierarchy by embedding similarity, with a beam.

How it decides (all documented parameters of :class:`EmbeddingConfig`):

* **Query** – the user's turns, not the assistant's: the first ``query_turns`` user turns, each cut to
  ``query_chars`` characters, embedded separately and averaged with the first turn weighted double (the opening
  request usually names the task; later turns refine it).
* **Base score** – cosine similarity of the query to the task's text (statement and occupations), plus
  ``activity_weight`` × the best similarity to the detailed work activities the task is linked to (short, generic
  phrases such as "Write computer programming code" that match how people phrase requests better than the task
  statements do), plus ``domain_boost`` when the task belongs to an SOC major group whose cue words the user wrote
  (:data:`harness.classify.DOMAIN_CUES`: programming terms for computer occupations, lesson plans for teaching...),
  or, with ``reply_code_cue``, the computer occupations when an assistant reply holds a fenced code block.
* **Lexical evidence** – ``lexical_weight`` × a BM25 score of the user's words against each task's statement,
  occupation titles and activity titles, scaled so the best task of each conversation scores 1. Sentence embeddings
  blur rare, exact terms (a tool's name, "invoice", "lesson plan") that a word match keeps.
* **Pooled evidence** – a conversation about one kind of work resembles many tasks of the occupations and broad
  activities that do it, while a stray topic word lifts one unrelated task. Each task therefore gets
  ``occupation_pool_weight`` × the mean of the ``pool_k`` best task scores of its best occupation, and
  ``activity_pool_weight`` × the same mean over its generalized work activity (the top level). These read the
  scores above and are added to them before the walk. The weights are large on purpose: with ``pool_k`` 100 the
  occupation term is close to the mean over all of an occupation's tasks, so the walk first settles which
  occupation and broad activity the conversation is about and then which task. The defaults were chosen by
  cross-validation on the goldset's dev split (``scripts/bench_offline_classifier.py`` prints the ablation).
* **Beam traversal** – a parent is scored by its best child plus ``parent_weights`` × the similarity to its own
  text; the walk keeps the ``beam_top`` best top-level nodes, then the ``beam_mid`` best mid-level nodes under them,
  and ranks the base tasks under those. With parent weights of zero (the default, chosen on the goldset's dev split,
  where the parents' own texts did not help) the walk returns the best-scoring base task and its ancestors.
* **Screening** – a logistic regression shipped for this configuration (:mod:`harness.classify._screening`;
  fitted on the goldset's dev split by ``scripts/fit_screening_model.py``) gives the probability that the
  conversation is plausibly paid work from the scores above, the conversation's features and its query embedding;
  occupational at or above the model's stated operating threshold (the one that maximised κ in cross-validation).
  Without a matching model (another configuration, hierarchy or a prior): occupational when the user's turns carry
  a domain cue or the best base similarity reaches ``occupational_threshold``, and fewer than
  ``max_personal_cues`` cues of personal or recreational use.
* **Pattern** – the ordered rules of :mod:`harness.classify._features`.
* **Skills** – O*NET skills whose description is within ``skill_margin`` of the most similar skill and above
  ``skill_min_similarity`` (at most ``max_skills``); none for non-occupational conversations.

* **Confidence** – the share of a softmax over all base-task scores that lands on the predicted task's SOC major
  group(s) (``confidence_score``), turned into the probability that the major group is right (``confidence``) by the
  calibration map shipped for this configuration (:mod:`harness.classify._confidence`). It reads the scores the
  walk already computed and changes no prediction; a configuration without a shipped map gets the score alone.

* **Usage prior (off by default)** – ``prior_weight`` > 0 with a ``prior`` (task statement → released usage share,
  e.g. from the Economic Index, see :func:`economic_index_prior`) adds ``prior_weight`` × the task's log-share scaled
  to 0–1. It favours tasks that were common in earlier releases and so pulls prevalence estimates toward them; when
  it is on, the classifier's ``spec`` says so (``embedding:<model>+prior:<name>``), and with it every manifest,
  metrics file and report.

* **Runtime** – ``runtime`` picks how the encoder runs (:data:`harness.llm.RUNTIMES`): PyTorch as shipped, or a
  local ONNX export, in float32 or with int8 weights. The runtimes' vectors differ (int8 by a cosine of about 0.99),
  so each is a configuration of its own, with its own digest and its own fitted screening model and confidence map;
  a runtime other than the default shows in the spec (``embedding:<model>+runtime:<runtime>``).

The domain cues pull toward the cued groups, by design and from the conversation's own words.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from harness.classify._confidence import (
    EMBEDDING_SIGNAL,
    ConfidenceCalibration,
    fitted_for,
    group_mass,
    shipped_calibration,
)
from harness.classify._features import (
    DOMAIN_CUES,
    PATTERN_RULES_VERSION,
    ConversationFeatures,
    domain_cues,
    extract_features,
    replies_with_code,
    rule_pattern,
)
from harness.classify._pooling import Bm25, Membership
from harness.classify._screening import screening_features, screening_model_for
from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.llm import DEFAULT_RUNTIME, Embedder, Runtime, canonical_model_name, check_runtime, runtime_tag
from harness.taxonomy import Hierarchy, Node, normalise_statement

__all__ = ["EmbeddingClassifier", "EmbeddingConfig", "ScreeningInputs"]

METHOD_VERSION = "embedding-beam/3"
_QUERY_BATCH = 16  # texts per forward pass when embedding conversations (speed only; see _queries)


@dataclass(frozen=True)
class EmbeddingConfig:
    """Settings of :class:`EmbeddingClassifier` (see the module docstring for what each does)."""

    model: str = "all-MiniLM-L6-v2"
    beam_top: int = 6
    beam_mid: int = 15
    parent_weights: tuple[float, float] = (0.0, 0.0)
    activity_weight: float = 0.5
    domain_boost: float = 0.3
    top_k: int = 5
    query_turns: int = 2
    query_chars: int = 300
    node_chars: int = 600
    base_node_chars: int = 200
    occupational_threshold: float = 0.50
    max_personal_cues: int = 2
    skill_margin: float = 0.03
    skill_min_similarity: float = 0.15
    max_skills: int = 3
    batch_size: int = 64
    prior_weight: float = 0.0
    reply_code_cue: bool = True
    lexical_weight: float = 0.1
    occupation_pool_weight: float = 12.0
    activity_pool_weight: float = 5.0
    pool_k: int = 100
    runtime: Runtime = DEFAULT_RUNTIME

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", canonical_model_name(self.model))
        check_runtime(self.runtime, installed=False)
        if self.beam_top < 1 or self.beam_mid < 1 or self.top_k < 1:
            raise ValueError("beam_top, beam_mid and top_k must be >= 1")
        if len(self.parent_weights) != 2 or any(w < 0 for w in self.parent_weights):
            raise ValueError(f"parent_weights must be two non-negative numbers, got {self.parent_weights}")
        object.__setattr__(self, "parent_weights", tuple(float(w) for w in self.parent_weights))
        weights = ("activity_weight", "domain_boost", "prior_weight", "lexical_weight", "occupation_pool_weight",
                   "activity_pool_weight")
        if any(getattr(self, name) < 0 for name in weights):
            raise ValueError(f"{', '.join(weights)} must be >= 0")
        if self.pool_k < 1:
            raise ValueError(f"pool_k must be >= 1, got {self.pool_k}")

    @property
    def shipped_name(self) -> str:
        """Name of the files fitted for this model and runtime under ``harness/classify/calibration/``."""
        return f"embedding-{self.model.replace('/', '_')}-{self.runtime}"

    def digest(self) -> str:
        # the pattern rules are part of what this configuration produces, so a change to them is a new digest
        fields = asdict(self)
        if fields["runtime"] == "torch":
            # the field came after the first shipped fits, all made with torch; leaving it out keeps those
            # configurations' digests (and the files fitted for them) as they were
            del fields["runtime"]
        else:
            fields["runtime"] = runtime_tag(self.runtime)  # a new ONNX recipe makes new vectors: a new digest
        payload = json.dumps({"method": METHOD_VERSION, "pattern_rules": PATTERN_RULES_VERSION, **fields},
                             sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ScreeningInputs:
    """What the screening step reads of a batch of conversations (:meth:`EmbeddingClassifier.screening_inputs`).

    Attributes:
        features: One row of :data:`harness.classify._screening.SCREENING_FEATURES` per conversation.
        queries: The conversations' unit-length query embeddings (the model's other input).
        rule: The screening rule's call per conversation (what the backend decides without a matching model).
    """

    features: np.ndarray
    queries: np.ndarray
    rule: np.ndarray


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
        prior: Released usage shares by normalised task statement, used only when ``config.prior_weight`` > 0.
        prior_name: Label of the prior for the spec and manifests (e.g. ``"economic-index-2025_03_27-v2"``).
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        config: EmbeddingConfig | None = None,
        *,
        skills: Sequence[tuple[str, str]] = (),
        embedder: Embedder | None = None,
        prior: Mapping[str, float] | None = None,
        prior_name: str = "prior",
    ):
        if len(hierarchy.levels) != 3:
            raise ValueError(f"the embedding backend walks three levels; {hierarchy.id} has {hierarchy.levels}")
        self.hierarchy = hierarchy
        self.config = config or EmbeddingConfig()
        if self.config.prior_weight > 0 and not prior:
            raise ValueError("prior_weight > 0 needs a prior (task statement -> usage share)")
        self.prior = dict(prior or {}) if self.config.prior_weight > 0 else {}
        self.prior_name = prior_name
        self.embedder = embedder or Embedder(self.config.model, batch_size=self.config.batch_size,
                                             runtime=self.config.runtime)
        if (self.embedder.model, self.embedder.runtime) != (self.config.model, self.config.runtime):
            # the digest, the spec and the fitted files all speak for the config: the encoder must be the one it names
            raise ValueError(f"the embedder runs {self.embedder.model} in {self.embedder.runtime}, but the config "
                             f"names {self.config.model} in {self.config.runtime}")
        self.skill_names = [name for name, _ in skills]
        self._skill_texts = [f"{name}: {description}" for name, description in skills]
        self._levels: list[_Level] | None = None
        self._skill_vectors: np.ndarray | None = None
        self.calibration = self._calibration()
        self.screening = screening_model_for(self.config.shipped_name, backend=self.spec,
                                             config_digest=self.config.digest(), hierarchy_id=self.hierarchy.id)

    def _calibration(self) -> ConfidenceCalibration | None:
        """The shipped calibration map, when one was fitted for exactly this configuration and hierarchy (and no
        prior)."""
        if self.prior:
            return None
        return fitted_for(shipped_calibration(self.config.shipped_name), backend=self.spec,
                          config_digest=self.config.digest(), hierarchy_id=self.hierarchy.id)

    @property
    def spec(self) -> str:
        runtime = f"+runtime:{self.config.runtime}" if self.config.runtime != DEFAULT_RUNTIME else ""
        return f"embedding:{self.config.model}{runtime}" + (f"+prior:{self.prior_name}" if self.prior else "")

    def describe(self) -> dict[str, object]:
        return {
            "backend": "embedding",
            "model": self.config.model,
            "runtime": runtime_tag(self.config.runtime),
            "method": METHOD_VERSION,
            "pattern_rules": PATTERN_RULES_VERSION,
            "config": asdict(self.config),
            "config_digest": self.config.digest(),
            "hierarchy_id": self.hierarchy.id,
            "prior": (f"{self.prior_name}, weight {self.config.prior_weight} (pulls estimates toward released shares)"
                      if self.prior else "none (no usage-share prior is applied)"),
            "prior_digest": _digest_mapping(self.prior) if self.prior else None,
            "prompt_hashes": self._hashes(),
            "screening": (f"logistic model {self.screening.sha256()}, threshold {self.screening.threshold}"
                          if self.screening is not None else "rule (no model shipped for this configuration)"),
            "confidence": {
                "signal": EMBEDDING_SIGNAL,
                "calibration": (f"{self.calibration.map.method} map fitted on {self.calibration.fitted_on} "
                                f"({self.calibration.sha256()})" if self.calibration
                                else "none shipped for this configuration: confidence is left empty"),
            },
        }

    def _hashes(self) -> dict[str, str]:
        digest = self.config.digest()
        screening = digest if self.screening is None else f"{digest}+{self.screening.sha256()}"
        return {"traversal": digest, "screening": screening, "pattern": digest, "skills": digest}

    def _node_text(self, node_id: str) -> str:
        node = self.hierarchy[node_id]
        text = f"{node.name}. {node.description}" if node.description else node.name
        # Base nodes are many: a shorter text keeps the one-off embedding of a full release affordable on a CPU.
        limit = self.config.base_node_chars if node.level == self.hierarchy.base else self.config.node_chars
        return text[:limit]

    def prepare(self) -> None:
        """Embed the hierarchy, the base tasks' activities and the skills (cached on disk); called on first use."""
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
        base_nodes = [self.hierarchy[i] for i in levels[-1].ids]
        # (base, activity) pairs sorted by base, so a per-base maximum is one np.maximum.reduceat
        activity_texts = sorted({a for node in base_nodes for a in node.meta.get("activities", ())})
        position = {text: k for k, text in enumerate(activity_texts)}
        pairs = [(b, position[a]) for b, node in enumerate(base_nodes) for a in node.meta.get("activities", ())]
        self._activity_vectors = self.embedder.encode_cached(activity_texts) if activity_texts else None
        self._pair_base = np.array([p[0] for p in pairs], dtype=np.int64)
        self._pair_activity = np.array([p[1] for p in pairs], dtype=np.int64)
        self._pair_starts = np.flatnonzero(np.r_[True, np.diff(self._pair_base) != 0]) if pairs else np.zeros(0, int)
        # which base tasks belong to each cued major group
        groups = [{soc[:2] for soc in node.meta.get("soc_codes", ())} for node in base_nodes]
        self._group_members = {g: np.array([g in gs for gs in groups]) for g in DOMAIN_CUES}
        # every base task's major groups as a matrix, for the confidence signal
        all_groups = sorted({g for gs in groups for g in gs})
        self._members = np.array([[g in gs for g in all_groups] for gs in groups], dtype=bool).reshape(
            len(groups), len(all_groups))
        # children of each parent as contiguous runs, for the "parent = best child" scores
        self._runs = [_runs(level.parent_index) for level in levels[1:]]
        self._skill_vectors = self.embedder.encode_cached(self._skill_texts) if self._skill_texts else None
        self._lexical = Bm25([_lexical_text(n) for n in base_nodes]) if self.config.lexical_weight > 0 else None
        top_of_base = levels[1].parent_index[levels[2].parent_index]
        self._top_members = Membership([[int(t)] for t in top_of_base], len(levels[0].ids))
        occupations = sorted({soc for node in base_nodes for soc in node.meta.get("soc_codes", ())})
        occ_pos = {soc: k for k, soc in enumerate(occupations)}
        self._occupation_members = Membership(
            [[occ_pos[soc] for soc in node.meta.get("soc_codes", ())] for node in base_nodes], len(occupations))
        self._prior_vector = _prior_scale([self.prior.get(normalise_statement(n.name), 0.0) for n in base_nodes]) \
            if self.prior else None

    def _queries(self, conversations: Sequence[Conversation]) -> np.ndarray:
        texts: list[str] = []
        owners: list[int] = []
        weights: list[float] = []
        for k, conv in enumerate(conversations):
            for j, turn in enumerate(self._query_turns(conv) or [""]):
                texts.append(turn)
                owners.append(k)
                weights.append(2.0 if j == 0 else 1.0)
        # small length-sorted batches: the turns range from a word to query_chars, and a batch is padded to its
        # longest (ShareGPT, 32 conversations a call: 3.4 padded tokens per real one at 64 a batch, 1.6 at 16)
        vectors = self.embedder.encode(texts, batch_size=_QUERY_BATCH, distinct=True)
        out = np.zeros((len(conversations), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, np.array(owners), vectors * np.array(weights, dtype=np.float32)[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def _query_turns(self, conversation: Conversation) -> list[str]:
        """The user's first ``query_turns`` non-empty turns, each cut to ``query_chars``: what the query reads."""
        turns = [m.content.strip() for m in conversation.messages if m.role == "user" and m.content.strip()]
        return [turn[: self.config.query_chars] for turn in turns[: self.config.query_turns]]

    def _cues(self, conversation: Conversation) -> frozenset[str]:
        """Major groups cued by the user's words, plus the computer occupations when a reply holds code."""
        cues = domain_cues(conversation)
        if self.config.reply_code_cue and "15" in DOMAIN_CUES and replies_with_code(conversation):
            cues |= {"15"}
        return cues

    def _scores(self, conversations: Sequence[Conversation]) -> _Scores:
        """Every node's score for each conversation, and the plain similarity to each base task's text."""
        assert self._levels is not None
        top, mid, _ = self._levels
        queries = self._queries(conversations)
        cues = [self._cues(c) for c in conversations]
        base_score, base_sim = self._base_scores(queries, cues)
        if self._lexical is not None and self.config.lexical_weight > 0:
            lexical = self._lexical.scores([" ".join(self._query_turns(c)) for c in conversations])
            base_score += self.config.lexical_weight * lexical
        # both pools read the same scores (so their order does not matter)
        pooled = base_score.copy()
        for weight, members in ((self.config.occupation_pool_weight, self._occupation_members),
                                (self.config.activity_pool_weight, self._top_members)):
            if weight > 0:
                pooled += weight * members.pool(base_score, self.config.pool_k)
        w_top, w_mid = self.config.parent_weights
        mid_score = _best_child(pooled, self._runs[1], len(mid.ids)) + w_mid * (queries @ mid.vectors.T)
        top_score = _best_child(mid_score, self._runs[0], len(top.ids)) + w_top * (queries @ top.vectors.T)
        return _Scores(queries, cues, pooled, base_sim, mid_score, top_score)

    def _base_scores(self, queries: np.ndarray, cues: Sequence[frozenset[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Base-task scores (module docstring) and the plain similarity to each task's text."""
        assert self._levels is not None
        similarity = queries @ self._levels[-1].vectors.T
        scores = similarity.copy()
        if self._activity_vectors is not None and self.config.activity_weight > 0:
            activity_sim = queries @ self._activity_vectors.T
            best = np.maximum.reduceat(activity_sim[:, self._pair_activity], self._pair_starts, axis=1)
            with_activity = self._pair_base[self._pair_starts]
            per_base = similarity.copy()  # tasks without linked activities fall back to their own similarity
            per_base[:, with_activity] = best
            scores += self.config.activity_weight * per_base
        if self._prior_vector is not None:
            scores += self.config.prior_weight * self._prior_vector
        if self.config.domain_boost > 0:
            for i, groups in enumerate(cues):
                if groups:
                    mask = np.logical_or.reduce([self._group_members[g] for g in groups])
                    scores[i] += self.config.domain_boost * mask
        return scores, similarity

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        if not conversations:
            return []
        self.prepare()
        assert self._levels is not None
        started = time.perf_counter()
        top, mid, base = self._levels
        scores = self._scores(conversations)
        base_score, mid_score, top_score = scores.base, scores.mid, scores.top
        features = [extract_features(conv) for conv in conversations]
        occupational_calls = self._occupational(self._screening_inputs(conversations, scores, features))
        sim_skill = scores.queries @ self._skill_vectors.T if self._skill_vectors is not None else None
        per_item = (time.perf_counter() - started) / len(conversations)
        hashes = self._hashes()
        results = []
        for i, conv in enumerate(conversations):
            keep_top = np.zeros(len(top.ids), dtype=bool)
            keep_top[np.argsort(-top_score[i], kind="stable")[: self.config.beam_top]] = True
            in_beam_mid = np.where(keep_top[mid.parent_index], mid_score[i], -np.inf)
            keep_mid = np.zeros(len(mid.ids), dtype=bool)
            keep_mid[np.argsort(-in_beam_mid, kind="stable")[: self.config.beam_mid]] = True
            keep_mid &= np.isfinite(in_beam_mid)
            ranked_scores = np.where(keep_mid[base.parent_index], base_score[i], -np.inf)
            ranked = np.argsort(-ranked_scores, kind="stable")[: self.config.top_k]
            path = self.hierarchy.path(base.ids[int(ranked[0])])
            occupational = bool(occupational_calls[i])
            score = group_mass(base_score[i], int(ranked[0]), self._members) if self._members.size else None
            results.append(
                Classification(
                    conversation_id=conv.id,
                    account_id=conv.account_id,
                    occupational=occupational,
                    path=path,
                    top_k=tuple(base.ids[int(j)] for j in ranked if np.isfinite(ranked_scores[j])),
                    pattern=rule_pattern(features[i]),
                    skills=self._skills(sim_skill[i]) if (sim_skill is not None and occupational) else (),
                    latency_s=per_item,
                    prompt_hashes=hashes,
                    confidence_score=score,
                    confidence=self._calibrated(score),
                )
            )
        return results

    def screening_inputs(self, conversations: Sequence[Conversation]) -> ScreeningInputs:
        """What screening reads of each conversation; ``scripts/fit_screening_model.py`` fits the shipped model on
        exactly these, so the fit and the backend cannot read different features."""
        if not conversations:
            raise ValueError("no conversations to screen")
        self.prepare()
        return self._screening_inputs(conversations, self._scores(conversations),
                                      [extract_features(conv) for conv in conversations])

    def _screening_inputs(self, conversations: Sequence[Conversation], scores: _Scores,
                          features: Sequence[ConversationFeatures]) -> ScreeningInputs:
        best_similarity, best_score = scores.similarity.max(1), scores.base.max(1)
        rows, rule = [], []
        for i, (conv, f) in enumerate(zip(conversations, features, strict=True)):
            # the best score over all tasks, and the cues including reply code
            rows.append(screening_features(
                base_similarity=float(best_similarity[i]), best_score=float(best_score[i]),
                domain_cues=len(scores.cues[i]), personal_cues=f.personal_cues, has_code=f.has_code,
                replies_with_code=replies_with_code(conv), n_user_turns=f.n_user_turns,
                first_turn_chars=f.first_turn_chars, asks_deliverable=f.asks_deliverable,
                opens_with_question=f.opens_with_question))
            rule.append(bool((scores.cues[i] or best_similarity[i] >= self.config.occupational_threshold)
                             and f.personal_cues < self.config.max_personal_cues))
        return ScreeningInputs(np.array(rows), scores.queries, np.array(rule, dtype=bool))

    def _occupational(self, inputs: ScreeningInputs) -> np.ndarray:
        """Screening: the shipped model's probability at its operating threshold, or the rule without a model."""
        if self.screening is None:
            return inputs.rule
        return np.asarray(self.screening.occupational(self.screening.probability(inputs.features, inputs.queries)),
                          dtype=bool).reshape(-1)

    def _calibrated(self, score: float | None) -> float | None:
        if score is None or self.calibration is None:
            return None
        return float(self.calibration.confidence([score])[0])

    def _skills(self, similarity: np.ndarray) -> tuple[str, ...]:
        order = np.argsort(-similarity, kind="stable")
        best = similarity[order[0]]
        chosen = [
            self.skill_names[int(j)]
            for j in order[: self.config.max_skills]
            if similarity[j] >= best - self.config.skill_margin and similarity[j] >= self.config.skill_min_similarity
        ]
        return tuple(chosen)


_Runs = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Scores:
    """Scores of one batch: the query vectors, the major groups each conversation cues, each base task's final
    score, its plain similarity, and the mid and top nodes' scores (best child plus the optional parent terms)."""

    queries: np.ndarray
    cues: list[frozenset[str]]
    base: np.ndarray
    similarity: np.ndarray
    mid: np.ndarray
    top: np.ndarray


def _lexical_text(node: Node) -> str:
    """What the lexical index reads of a base task: statement, occupations and linked activity titles."""
    return " ".join([node.name, node.description, *node.meta.get("activities", ())])


def _runs(parent_index: np.ndarray) -> _Runs:
    """Order that groups children by parent, the start of each group, and the parent of each group."""
    order = np.argsort(parent_index, kind="stable")
    sorted_parents = parent_index[order]
    starts = np.flatnonzero(np.r_[True, np.diff(sorted_parents) != 0])
    return order, starts, sorted_parents[starts]


def _best_child(child_scores: np.ndarray, runs: _Runs, n_parents: int) -> np.ndarray:
    """Each parent's score as the maximum of its children's (parents without children get -inf)."""
    order, starts, parents = runs
    out = np.full((child_scores.shape[0], n_parents), -np.inf, dtype=child_scores.dtype)
    out[:, parents] = np.maximum.reduceat(child_scores[:, order], starts, axis=1)
    return out


def _prior_scale(shares: Sequence[float]) -> np.ndarray:
    """Log-shares scaled to 0–1 over the tasks that have a share; tasks without one get 0."""
    values = np.asarray(shares, dtype=np.float64)
    out = np.zeros(len(values), dtype=np.float32)
    present = values > 0
    if present.any():
        logs = np.log(values[present])
        span = logs.max() - logs.min()
        out[present] = (logs - logs.min()) / span if span > 0 else 1.0
    return out


def _digest_mapping(mapping: Mapping[str, float]) -> str:
    payload = json.dumps(sorted(mapping.items()), separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def economic_index_prior(
    release: str = "2025_03_27", version: str = "v2", *, data_dir: str | None = None
) -> tuple[str, dict[str, float]]:
    """Task shares of a released Economic Index version, keyed by normalised statement text (for ``prior``).

    Returns:
        The prior's name (for the classifier's spec) and the shares (percent of conversations per statement).
    """
    from harness.taxonomy import load_economic_index

    shares = load_economic_index(release, data_dir=data_dir).shares(version)  # type: ignore[arg-type]
    matched = shares[shares["matched"]] if "matched" in shares.columns else shares
    table = matched.groupby("statement_key")["pct"].sum()
    return f"economic-index-{release}-{version}", {str(k): float(v) for k, v in table.items()}
