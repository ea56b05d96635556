"""The collaboration patterns of the Economic Index and their automation/augmentation modes.

The order of :data:`Pattern` is the canonical order of the patterns (table columns, confusion matrices, figures);
:data:`PATTERNS`, :data:`AUTOMATION` and :data:`AUGMENTATION` are derived from it and from one pattern → mode
table, so they cannot disagree.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["AUGMENTATION", "AUTOMATION", "PATTERNS", "Mode", "Pattern", "pattern_mode"]

Pattern = Literal["directive", "feedback_loop", "task_iteration", "learning", "validation", "none"]
Mode = Literal["automation", "augmentation", "none"]

# Automation: the model carries out the task; augmentation: the person stays in the loop and learns or checks.
_MODE_OF: dict[str, Mode] = {
    "directive": "automation",
    "feedback_loop": "automation",
    "task_iteration": "augmentation",
    "learning": "augmentation",
    "validation": "augmentation",
    "none": "none",
}

PATTERNS: tuple[str, ...] = get_args(Pattern)
AUTOMATION: tuple[str, ...] = tuple(p for p in PATTERNS if _MODE_OF[p] == "automation")
AUGMENTATION: tuple[str, ...] = tuple(p for p in PATTERNS if _MODE_OF[p] == "augmentation")


def pattern_mode(pattern: str) -> Mode:
    """Map a pattern to ``"automation"``, ``"augmentation"`` or ``"none"``.

    Raises:
        ValueError: When ``pattern`` is not one of :data:`PATTERNS`.
    """
    try:
        return _MODE_OF[pattern]
    except (KeyError, TypeError):  # TypeError: an unhashable value is not a pattern either
        raise ValueError(
            f"unknown collaboration pattern {pattern!r}; expected one of {', '.join(PATTERNS)}"
        ) from None
