"""A cheap, dependency-free guess of whether a text is English.

It is a heuristic, good enough to filter a sample for labelling, not a language identifier: a text passes when
nearly all of its letters are Latin ASCII letters and its common function words are English rather than
Spanish, French, German, Portuguese or Italian ones. Very short texts with no function words pass on the
letter test alone, and prompts that are mostly code pass when their prose is English.
"""

from __future__ import annotations

import re

__all__ = ["looks_english"]

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent English function words that are rare as words in the other languages checked below.
# fmt: off
_ENGLISH = frozenset(
    (
        "the", "and", "of", "to", "is", "are", "was", "were", "be", "been", "you", "your", "it", "its", "this",
        "that", "these", "those", "what", "which", "who", "how", "why", "when", "where", "with", "for", "from", "on",
        "at", "by", "an", "as", "or", "not", "can", "could", "would", "should", "will", "shall", "do", "does", "did",
        "have", "has", "had", "my", "me", "we", "our", "they", "their", "them", "he", "she", "his", "her", "i", "if",
        "then", "than", "there", "here", "about", "into", "please", "write", "make", "give", "explain", "want",
        "need", "using", "use", "help", "some", "any", "all", "more", "most", "other", "also", "just", "like"
    )
)
# fmt: on
# Frequent function words of languages that also write mostly in ASCII letters.
# fmt: off
_OTHER = frozenset(
    (
        "el", "la", "los", "las", "del", "que", "en", "un", "una", "por", "para", "con", "es", "son", "pero", "como",
        "más", "está", "y", "o", "se", "lo", "le", "su", "sus", "les", "des", "du", "est", "une", "pour", "avec",
        "dans", "sur", "pas", "qui", "vous", "nous", "sont", "au", "aux", "ce", "cette", "et", "ou", "je", "tu", "il",
        "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "von", "zu", "den", "dem", "sich", "auf",
        "für", "ich", "wir", "sie", "auch", "wie", "não", "uma", "com", "os", "é", "são", "em", "da", "dos", "mas",
        "você", "di", "che", "non", "per", "sono", "della", "delle", "gli", "io"
    )
)
# fmt: on


def looks_english(text: str, *, min_ascii_share: float = 0.9) -> bool:
    """Guess whether ``text`` is English.

    Args:
        text: The text (for a conversation, usually the user's turns).
        min_ascii_share: Share of letters that must be ASCII ``a-z``/``A-Z``.

    Returns:
        ``False`` for text without letters; otherwise whether the letter test passes and English function
        words are at least as frequent as those of the other languages listed in this module.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    ascii_share = sum(1 for c in letters if c.isascii()) / len(letters)
    if ascii_share < min_ascii_share:
        return False
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in _ENGLISH)
    other = sum(1 for w in words if w in _OTHER)
    return english >= other
