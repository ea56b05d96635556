"""The backend spec string, read in one place into a typed value.

Grammar: ``<scheme>:<name>[+<modifier>:<value>]...``

* ``scheme`` – lower-case letters, digits and dashes before the first colon (``embedding``, ``anthropic-batch``).
* ``name`` – everything after the first colon: a model id, an inspect ``provider/model`` (which may itself hold a
  colon, e.g. ``ollama/llama3:8b``) or a file path. Only a scheme that declares modifiers has its name cut at the
  first ``+``; for every other scheme a ``+`` is part of the name (file paths may contain one).
* ``modifier`` – a named variation of the backend, declared by its scheme, each at most once; today only the
  embedding backend's ``prior`` (``embedding:all-MiniLM-L6-v2+prior:economic-index:2025_03_27``).

``str(spec)`` gives the text back unchanged, so a spec recorded in a manifest parses to the same value. Which
schemes exist and which modifiers each takes is the registries' business (:mod:`harness.llm` for model clients,
:mod:`harness.classify` for classifiers); :func:`parse_spec` takes that table as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.errors import UsageError

__all__ = ["BackendSpec", "parse_spec"]

_SCHEME = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class BackendSpec:
    """A parsed backend spec (the grammar is in the module docstring).

    Attributes:
        scheme: Which backend, e.g. ``"anthropic"``.
        name: What it runs: a model id, an inspect model name, a file path.
        modifiers: ``(key, value)`` pairs in the order written.

    Raises:
        UsageError: A scheme that is not lower-case letters, digits and dashes, an empty name, or an empty or
            repeated modifier.
    """

    scheme: str
    name: str
    modifiers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, str) or not _SCHEME.fullmatch(self.scheme):
            raise UsageError(f"backend scheme must be lower-case letters, digits and dashes, got {self.scheme!r}")
        if not isinstance(self.name, str) or not self.name:
            raise UsageError(f"backend spec '{self.scheme}:' needs a name after the colon")
        modifiers = tuple((str(key), str(value)) for key, value in self.modifiers)
        keys = [key for key, _ in modifiers]
        if len(set(keys)) != len(keys):
            raise UsageError(f"backend spec repeats a modifier: {keys}")
        for key, value in modifiers:
            if not _SCHEME.fullmatch(key) or not value:
                raise UsageError(f"backend modifier must read '+<name>:<value>', got '+{key}:{value}'")
        object.__setattr__(self, "modifiers", modifiers)

    def __str__(self) -> str:
        return f"{self.scheme}:{self.name}" + "".join(f"+{key}:{value}" for key, value in self.modifiers)

    def modifier(self, key: str) -> str | None:
        """The value of modifier ``key``, or None when the spec does not set it."""
        return dict(self.modifiers).get(key)

    def with_modifier(self, key: str, value: str) -> BackendSpec:
        """This spec with modifier ``key`` set to ``value`` (e.g. from a command-line flag).

        Raises:
            UsageError: The spec already sets ``key`` to another value.
        """
        current = self.modifier(key)
        if current is not None and current != value:
            raise UsageError(f"the backend spec {str(self)!r} already sets {key} to {current!r}, not {value!r}")
        if current is not None:
            return self
        return BackendSpec(self.scheme, self.name, (*self.modifiers, (key, value)))


def parse_spec(text: str | BackendSpec, schemes: Mapping[str, Sequence[str]], *, kind: str = "backend") -> BackendSpec:
    """Read ``text`` into a :class:`BackendSpec`, checking the scheme and its modifiers against ``schemes``.

    Args:
        text: The spec string (a :class:`BackendSpec` is checked and returned as it is).
        schemes: Known scheme → the modifier keys it takes, in the order to list them in messages.
        kind: What the spec names, for messages (``"backend"``, ``"model backend"``).

    Raises:
        UsageError: An unknown scheme, a missing colon or name, or a modifier the scheme does not take. The
            message is one line and lists the known schemes.
    """
    known = ", ".join(schemes)
    if isinstance(text, BackendSpec):
        if text.scheme not in schemes:
            raise UsageError(f"unknown {kind} scheme {text.scheme!r} in {str(text)!r}; known schemes: {known}")
        spec = text
    else:
        scheme, colon, rest = str(text).partition(":")
        if not colon or not scheme:
            raise UsageError(f"malformed {kind} spec {text!r}: expected <scheme>:<name>; known schemes: {known}")
        if scheme not in schemes:
            raise UsageError(f"unknown {kind} scheme {scheme!r} in {text!r}; known schemes: {known}")
        if not rest:
            raise UsageError(f"malformed {kind} spec {text!r}: nothing after '{scheme}:'; known schemes: {known}")
        name, modifiers = rest, []
        if schemes[scheme]:
            name, *parts = rest.split("+")
            for part in parts:
                key, colon, value = part.partition(":")
                if not colon:
                    raise UsageError(f"malformed {kind} spec {text!r}: '+{part}' should read '+<name>:<value>'; "
                                     f"known schemes: {known}")
                modifiers.append((key, value))
        try:
            spec = BackendSpec(scheme, name, tuple(modifiers))
        except UsageError as exc:
            raise UsageError(f"malformed {kind} spec {text!r}: {exc}; known schemes: {known}") from None
    allowed = tuple(schemes[spec.scheme])
    for key, _ in spec.modifiers:
        if key not in allowed:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes none"
            raise UsageError(f"unknown modifier {key!r} in {kind} spec {str(spec)!r}; {spec.scheme} {takes}")
    return spec
