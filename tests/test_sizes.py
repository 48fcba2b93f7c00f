"""Small units: no module over 400 lines, no class over 250, no function over 60.

A function's docstring and decorators (click's options) do not count: they are
what a reader wants, not code to hold in mind.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    path for folder in ("sfy_pandas", "benchmarks") for path in (ROOT / folder).rglob("*.py")
)

MAX_MODULE = 400
MAX_CLASS = 250
MAX_FUNCTION = 60


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    """Lines from the first statement after the docstring to the last line of the body."""
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
        and len(body) > 1
    ):
        body = body[1:]
    end = node.end_lineno or node.lineno
    return end - body[0].lineno + 1


def _units(tree: ast.AST) -> Iterator[tuple[str, str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield "class", node.name, _body_lines(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield "function", node.name, _body_lines(node)


def _too_big(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(ROOT))
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE:
        found.append(f"{name}: module of {lines} lines (at most {MAX_MODULE})")
    limits = {"class": MAX_CLASS, "function": MAX_FUNCTION}
    for kind, unit, size in _units(ast.parse(text)):
        if size > limits[kind]:
            found.append(f"{name}: {kind} {unit} of {size} lines (at most {limits[kind]})")
    return found


def test_the_size_rule_catches_a_long_function(tmp_path: Path):
    long = tmp_path / "long.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION + 1))
    long.write_text(f'def f():\n    """Doc."""\n{body}\n', encoding="utf-8")
    sizes = list(_units(ast.parse(long.read_text())))
    assert sizes == [("function", "f", MAX_FUNCTION + 1)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_unit_is_small(path: Path):
    assert _too_big(path) == []
