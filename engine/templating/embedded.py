"""Templates inside a conditional's string constants: `when: '"{{ x }}" == "1"'`.

ansible-core 2.19 reads a conditional as one Jinja expression. A string constant in it that
holds `{{ }}` is rendered on its own (natively: `"{{ 1 }}"` is the number 1) before the
expression is evaluated; an expression that only parses as text around templates (`"{{ "a" }}"`)
is a syntax error. Rendering the whole text first, as older versions did, gives other answers.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2

from ..core.errors import TemplateError

SYNTAX = "Syntax error in expression. Template delimiters are not supported in expressions: "


class ExpressionSyntaxError(TemplateError):
    """Not an expression: Ansible reports it as is, not as an error while evaluating a conditional."""


class Overlay(Mapping[str, Any]):
    """`values` over `below`: the rendered constants, named, over the task's variables."""

    def __init__(self, values: dict[str, Any], below: Mapping[str, Any]) -> None:
        self._values = values
        self._below = below

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        return self._below[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self._below

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield from (key for key in self._below if key not in self._values)

    def __len__(self) -> int:
        return len(set(self._values) | set(self._below))


def lift_embedded(env: jinja2.Environment, text: str, render: Callable[[str], Any]) -> tuple[str, dict[str, Any]]:
    """The expression with each templated string constant replaced by a name, and those names'
    values (`render` renders one constant's text); a TemplateError when it is not an expression."""
    try:
        tokens = list(env.lexer.tokeniter(text, None, state="variable"))  # read as Jinja reads an expression
    except jinja2.TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(SYNTAX + str(exc.message)) from None
    pieces: list[str] = []
    constants: dict[str, str] = {}
    for _line, kind, raw in tokens:
        if kind == "string":
            constant = env.compile_expression(raw)()
            if isinstance(constant, str) and ("{{" in constant or "{%" in constant):
                name = f"__miniplay_embedded_{len(constants)}"
                constants[name] = constant
                pieces.append(name)
                continue
        pieces.append(raw)
    rewritten = "".join(pieces).strip()
    try:  # the expression must parse before any constant is rendered
        env.compile_expression(rewritten)
    except jinja2.TemplateSyntaxError as exc:
        raise ExpressionSyntaxError(SYNTAX + str(exc.message)) from None
    return rewritten, {name: render(constant) for name, constant in constants.items()}
