"""The document model of a report: sections made of text, tables and figures, independent of the output format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

import pandas as pd

__all__ = ["Block", "Figure", "Report", "Section", "Table", "Text", "TextKind"]

TextKind = Literal["paragraph", "note", "absent", "verdict"]
_TEXT_KINDS: tuple[str, ...] = get_args(TextKind)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _check_name(name: str) -> None:
    # Names become file stems and HTML ids, so keep them to a safe alphabet.
    if not _NAME.match(name):
        raise ValueError(f"name must match {_NAME.pattern} (it becomes a file name), got {name!r}")


@dataclass(frozen=True)
class Text:
    """A paragraph.

    Attributes:
        text: Plain text (escaped by every renderer; no markup).
        kind: ``"paragraph"``; ``"note"`` (method or caveat); ``"absent"`` (what the run does not have);
            ``"verdict"`` (the model-swap verdict, emphasised).
    """

    text: str
    kind: TextKind = "paragraph"

    def __post_init__(self) -> None:
        if self.kind not in _TEXT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(_TEXT_KINDS)}, got {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """A table, written to ``tables/<name>.csv`` in full and shown (up to ``max_rows``) in the documents.

    Attributes:
        name: File stem and anchor; lower-case letters, digits, ``_ . -``.
        title: Caption shown above the table.
        frame: The data; columns are shown in order.
        note: Optional sentence shown under the table.
        digits: Decimal places of float columns in the documents (the CSV keeps full precision).
        max_rows: Rows shown in the documents; the rest is only in the CSV (the documents say so).
    """

    name: str
    title: str
    frame: pd.DataFrame = field(repr=False)
    note: str = ""
    digits: int = 3
    max_rows: int = 40

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.digits < 0 or self.max_rows < 1:
            raise ValueError(f"digits must be >= 0 and max_rows >= 1, got {self.digits} and {self.max_rows}")


@dataclass(frozen=True)
class Figure:
    """A PNG figure, written to ``figures/<name>.png`` and embedded (base64) in the HTML.

    Attributes:
        name: File stem and anchor, as :attr:`Table.name`.
        title: Caption.
        png: The encoded image.
        alt: Text alternative describing what the figure shows.
    """

    name: str
    title: str
    png: bytes = field(repr=False)
    alt: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not self.png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(f"figure {self.name!r} is not PNG data")


Block = Text | Table | Figure


@dataclass(frozen=True)
class Section:
    """One numbered section of the report.

    Attributes:
        id: Anchor (e.g. ``"hierarchy"``).
        title: Heading.
        blocks: Content in reading order.
        present: False when the run has none of the data this section reports on (the section then only says
            what is missing).
    """

    id: str
    title: str
    blocks: tuple[Block, ...]
    present: bool = True

    def __post_init__(self) -> None:
        _check_name(self.id)

    @property
    def tables(self) -> tuple[Table, ...]:
        """The tables of this section."""
        return tuple(b for b in self.blocks if isinstance(b, Table))

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The figures of this section."""
        return tuple(b for b in self.blocks if isinstance(b, Figure))


@dataclass(frozen=True)
class Report:
    """A whole report.

    Attributes:
        title: Document title.
        subtitle: One line under the title (what was validated, when).
        sections: In order.
        summary: The short summary the report opens with, one plain-text point per entry: what was validated,
            the headline figures with intervals, the model-swap verdict, the caveats and what to do.
    """

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    summary: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Table | Figure):
                    key = f"{type(block).__name__}:{block.name}"
                    if key in seen:
                        raise ValueError(f"two {type(block).__name__.lower()}s are named {block.name!r}")
                    seen.add(key)

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table, in order."""
        return tuple(t for s in self.sections for t in s.tables)

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure, in order."""
        return tuple(f for s in self.sections for f in s.figures)
