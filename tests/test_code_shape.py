"""Code shape: no function in the package is longer than the style guide allows.

A function's length is the number of source lines its body spans, from its first statement (the docstring
included, as Python counts it part of the body) to its last line, blank lines and comments included. The signature
and decorators are not counted. Nested functions count inside their parent and are also checked on their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MAX_BODY_LINES = 80
PACKAGE = Path(__file__).resolve().parents[1] / "harness"


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines spanned by the body of ``node``."""
    return node.end_lineno - node.body[0].lineno + 1


def long_functions(source: str, filename: str = "<source>", limit: int = MAX_BODY_LINES) -> list[str]:
    """``"<file>:<line> <name> (<n> lines)"`` for every function in ``source`` whose body is over ``limit``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and body_lines(node) > limit:
            found.append(f"{filename}:{node.lineno} {node.name} ({body_lines(node)} lines)")
    return found


def test_the_counter_sees_a_long_function_and_spares_a_short_one() -> None:
    statements = "\n".join(f"    x{i} = {i}" for i in range(MAX_BODY_LINES))
    at_limit = f"def f():\n{statements}\n"
    over = f"class C:\n    async def g(self):\n        '''Doc.'''\n{statements.replace('    ', '        ')}\n"
    assert long_functions(at_limit) == []
    assert long_functions(over) == [f"<source>:2 g ({MAX_BODY_LINES + 1} lines)"]


def test_no_function_body_is_over_the_limit() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert files, f"no Python files under {PACKAGE}"
    offenders = []
    for path in files:
        offenders += long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    if offenders:
        pytest.fail(f"function bodies over {MAX_BODY_LINES} lines (split them):\n" + "\n".join(offenders))
