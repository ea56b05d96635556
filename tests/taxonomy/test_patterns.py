"""Collaboration patterns: one canonical order, and the mode groupings derived from it."""

from __future__ import annotations

from typing import get_args

import pytest

from harness.taxonomy import AUGMENTATION, AUTOMATION, COLLABORATION_PATTERNS, PATTERNS, Mode, Pattern, pattern_mode


def test_groupings_are_ordered_slices_of_the_canonical_order() -> None:
    assert get_args(Pattern) == PATTERNS
    assert AUTOMATION == ("directive", "feedback_loop")
    assert AUGMENTATION == ("task_iteration", "learning", "validation")
    assert (*AUTOMATION, *AUGMENTATION) == COLLABORATION_PATTERNS == PATTERNS[:-1]
    assert isinstance(AUTOMATION, tuple) and isinstance(AUGMENTATION, tuple)


def test_pattern_mode() -> None:
    assert [pattern_mode(p) for p in PATTERNS] == ["automation"] * 2 + ["augmentation"] * 3 + ["none"]
    assert {pattern_mode(p) for p in PATTERNS} == set(get_args(Mode))
    for bad in ("Directive", "", None, float("nan"), ["directive"]):
        with pytest.raises(ValueError, match="unknown collaboration pattern"):
            pattern_mode(bad)
