"""The collaboration patterns of the Economic Index and their automation/augmentation modes."""

from __future__ import annotations

from typing import Literal

__all__ = ["AUGMENTATION", "AUTOMATION", "PATTERNS", "Pattern", "pattern_mode"]

Pattern = Literal["directive", "feedback_loop", "task_iteration", "learning", "validation", "none"]

PATTERNS: tuple[str, ...] = ("directive", "feedback_loop", "task_iteration", "learning", "validation", "none")
# Automation: the model carries out the task; augmentation: the person stays in the loop and learns or checks.
AUTOMATION: frozenset[str] = frozenset({"directive", "feedback_loop"})
AUGMENTATION: frozenset[str] = frozenset({"task_iteration", "learning", "validation"})


def pattern_mode(pattern: str) -> Literal["automation", "augmentation", "none"]:
    """Map a pattern to ``"automation"``, ``"augmentation"`` or ``"none"``.

    Raises:
        ValueError: When ``pattern`` is not one of :data:`PATTERNS`.
    """
    if pattern in AUTOMATION:
        return "automation"
    if pattern in AUGMENTATION:
        return "augmentation"
    if pattern == "none":
        return "none"
    raise ValueError(f"unknown collaboration pattern {pattern!r}; expected one of {', '.join(PATTERNS)}")
