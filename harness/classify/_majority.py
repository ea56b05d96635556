"""``majority-baseline:<goldset | default>``: the floor any classifier has to clear.

It reads nothing of the conversation. Over the goldset's dev split (another split is an option), taking each
item's strict majority label, it counts the screening verdicts, the collaboration patterns and the base nodes of
the hierarchy that the labels' first tasks map to (tasks of several occupations that share a statement are one
node), and predicts the most frequent of each for every conversation, with the next most frequent base nodes as
the rest of ``top_k``. Ties go to the value met first in file order, so the goldset alone fixes the prediction.

A backend that does not beat it on the test split has learnt nothing about the conversations. Its numbers on the
dev split flatter it, since that is where the prediction came from. ``default`` names the shipped goldset.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.errors import InputError
from harness.llm import BackendSpec
from harness.run import SPLIT_CHOICES, SplitChoice
from harness.taxonomy import Hierarchy

if TYPE_CHECKING:
    from harness.classify._registry import BuildContext
    from harness.evaluate import GoldItem

__all__ = ["MajorityBaselineClassifier", "MajorityBaselineConfig", "build_majority_baseline"]

METHOD_VERSION = "majority-baseline/1"


@dataclass(frozen=True)
class MajorityBaselineConfig:
    """Settings of the majority baseline.

    Attributes:
        split: The goldset split whose labels are counted (one of :data:`harness.run.SPLITS`, or ``"all"``).
        top_k: Base nodes listed in ``top_k``, most frequent first.
    """

    split: SplitChoice = "dev"
    top_k: int = 5

    def __post_init__(self) -> None:
        if self.split not in SPLIT_CHOICES:
            raise ValueError(f"split must be one of {', '.join(SPLIT_CHOICES)}, got {self.split!r}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {self.top_k!r}")


class MajorityBaselineClassifier:
    """Predicts the goldset's most frequent answers for every conversation (module docstring has the rule).

    Args:
        hierarchy: The hierarchy whose base nodes the gold tasks map onto.
        items: The goldset's items (all splits; ``config.split`` chooses among them).
        goldset: The goldset file, for the manifest.
        name: The spec's name as written (``"default"`` or the path), so :attr:`spec` gives it back.
        config: Settings.

    Raises:
        InputError: The chosen split is empty, or none of its gold tasks is in ``hierarchy``.
    """

    def __init__(self, hierarchy: Hierarchy, items: Sequence[GoldItem], *, goldset: Path, name: str,
                 config: MajorityBaselineConfig | None = None):
        from harness.evaluate import majority_label  # deferred: harness.evaluate imports this package

        self.hierarchy = hierarchy
        self.config = config or MajorityBaselineConfig()
        self.goldset = goldset
        self._name = name
        chosen = [item for item in items if self.config.split in ("all", item.split)]
        if not chosen:
            raise InputError(goldset, f"the goldset has no {self.config.split} items to count")
        labels = [majority_label(item) for item in chosen]
        task_to_base = hierarchy.base_for_task_ids()
        bases = Counter(task_to_base[lb.tasks[0]] for lb in labels if lb.tasks and lb.tasks[0] in task_to_base)
        if not bases:
            raise InputError(goldset, f"none of the {self.config.split} split's gold tasks is in {hierarchy.id}")
        self.n_items = len(chosen)
        self.occupational = Counter(lb.occupational for lb in labels).most_common(1)[0][0]
        self.pattern = Counter(lb.pattern for lb in labels).most_common(1)[0][0]
        self.top_k = tuple(node for node, _ in bases.most_common(self.config.top_k))
        self.path = hierarchy.path(self.top_k[0])

    @property
    def spec(self) -> str:
        return f"majority-baseline:{self._name}"

    def describe(self) -> dict[str, Any]:
        from harness.classify._pipeline import sha256_file

        return {
            "backend": "majority-baseline",
            "model": "majority-baseline",
            "method": METHOD_VERSION,
            "hierarchy_id": self.hierarchy.id,
            "config": dataclasses.asdict(self.config),
            "goldset": {"path": str(self.goldset), "sha256": sha256_file(self.goldset), "n_items": self.n_items},
            "prediction": {"occupational": self.occupational, "pattern": self.pattern, "path": list(self.path),
                           "base_name": self.hierarchy[self.path[-1]].name, "top_k": list(self.top_k)},
            "prompt_hashes": {},
        }

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        return [
            Classification(conv.id, conv.account_id, self.occupational, path=self.path, top_k=self.top_k,
                           pattern=self.pattern)
            for conv in conversations
        ]


def build_majority_baseline(
    spec: BackendSpec, config: MajorityBaselineConfig, context: BuildContext
) -> MajorityBaselineClassifier:
    """Registry factory: read the goldset the spec names and count its answers."""
    from harness.evaluate import default_goldset_path, load_goldset

    path = default_goldset_path() if spec.name == "default" else Path(spec.name)
    if not path.is_file():
        raise InputError(path, "goldset not found (majority-baseline:<goldset path> or majority-baseline:default)")
    task_ids = None if context.release is None else set(context.release.tasks["task_id"].astype(int))
    items = load_goldset(path, onet_task_ids=task_ids)
    return MajorityBaselineClassifier(context.hierarchy, items, goldset=path, name=spec.name, config=config)
