"""The Jinja2 half of the templar: its environments, strict-but-chainable undefined values,
native-type rendering and the scope a template reads its variables through.

Apart from templar.py so that importing the templar (every run does) does not import Jinja2
(about 20 ms): the templar imports this module the first time something is really templated.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import nativetypes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined

from ..core.errors import TemplateError, UndefinedVariableError
from .sandbox import SandboxPolicy

pass_context = jinja2.pass_context
FileSystemLoader = jinja2.FileSystemLoader
TemplateSyntaxError = jinja2.TemplateSyntaxError
UndefinedError = jinja2.UndefinedError
JinjaTemplateError = jinja2.TemplateError


class StrictChainableUndefined(jinja2.ChainableUndefined, jinja2.StrictUndefined):
    """Fails on any real use, but lets `a.b.c` chain so `| default()` can catch it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is jinja2.utils.missing:
            return f"'{self._undefined_name}' is undefined"
        kind = type(self._undefined_obj).__name__
        if isinstance(self._undefined_name, str):
            return f"object of type '{kind}' has no attribute '{self._undefined_name}'"
        return f"object of type '{kind}' has no item {self._undefined_name!r}"


class _NativeCodeGenerator(nativetypes.NativeCodeGenerator):
    """Never fold an output expression into a string constant: `{{ 1 == 2 }}` must stay a bool."""

    def _output_child_to_const(self, node, frame, finalize):
        if isinstance(node, jinja2.nodes.TemplateData):
            return node.as_const(frame.eval_ctx)
        raise jinja2.nodes.Impossible()


class NativeEnvironment(SandboxPolicy, nativetypes.NativeEnvironment):
    """Lone expressions keep their Python type; sandboxed and bounded (see sandbox.py)."""

    code_generator_class = _NativeCodeGenerator


class TextEnvironment(SandboxPolicy, jinja2.Environment):
    """Text output (template files, text around `{{ }}`); sandboxed and bounded."""


def escape_backslashes(text: str, env: jinja2.Environment) -> str:
    """Keep a YAML backslash literal inside the string literals of `{{ }}` (`'\\1'` stays
    backslash-1), as Ansible does: YAML already processed the escapes once. `{% %}` blocks
    and bare conditionals keep Jinja's own escapes (`'a\\nb'` is three characters there)."""
    if "\\" not in text:
        return text
    try:
        tokens = list(env.lex(text))
    except jinja2.TemplateSyntaxError:
        return text
    out = []
    in_expression = False
    for _, kind, value in tokens:
        if kind == "variable_begin":
            in_expression = True
        elif kind == "variable_end":
            in_expression = False
        elif kind == "string" and in_expression:
            value = value.replace("\\", "\\\\")
        out.append(value)
    return "".join(out)


def native_concat(chunks: Iterable[Any]) -> Any:
    head = list(itertools.islice(chunks, 2))
    if not head:
        return ""
    if len(head) == 1:
        value = head[0]
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return _plain_output(value)
    return "".join(as_text(v) for v in itertools.chain(head, chunks))


def _lists_for_tuples(value: Any) -> Any:
    """Tuples (dictsort, zip, items()) become lists, as everything Ansible hands on does."""
    if isinstance(value, (tuple, list)):
        return [_lists_for_tuples(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists_for_tuples(v) for k, v in value.items()}
    return value


def _plain_output(value: Any) -> Any:
    """A lone expression's value as a task sees it: a lazy variable mapping (`hostvars[h]`,
    `vars`) becomes a plain dict of what renders, a tuple a list."""
    if isinstance(value, tuple):
        return _lists_for_tuples(value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        resolved = getattr(value, "resolved", None)
        return resolved() if resolved is not None else {k: _plain_output(value[k]) for k in value}
    return value


def as_text(value: Any) -> str:
    """One piece of a template with text around it: None is empty (Ansible's rule), and
    containers print with lists for tuples (`[['a', 1]]`, not `[('a', 1)]`)."""
    if value is None:
        return ""
    if isinstance(value, (tuple, list, dict)):
        return str(_lists_for_tuples(value))
    if isinstance(value, Mapping):
        return str(_plain_output(value))
    return str(value)


def describe_jinja_error(exc: Exception) -> str:
    """The user-facing text of a Jinja2 error, in Ansible's words."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"Syntax error in template: {exc.message}"
    if isinstance(exc, (jinja2.UndefinedError, SecurityError)):
        return str(exc.message)
    if isinstance(exc, TemplateError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


class Scope(Mapping[str, Any]):
    """The variables Jinja sees: the host's VarsView first, then the Jinja globals."""

    __slots__ = ("variables", "globals")

    def __init__(self, variables: Mapping[str, Any], globals_: Mapping[str, Any]) -> None:
        self.variables = variables
        self.globals = globals_

    def __getitem__(self, key: str) -> Any:
        try:
            return self.variables[key]
        except UndefinedVariableError as exc:
            # a variable whose own template is undefined (`d: "{{ nested_undefined }}"`) is itself
            # undefined, as in Ansible: `d is undefined` holds, `d | default(x)` is x, any other
            # use fails with the inner variable's message
            return StrictChainableUndefined(hint=exc.message, name=key)
        except KeyError:
            return self.globals[key]

    def __contains__(self, key: object) -> bool:
        return key in self.variables or key in self.globals

    def __iter__(self):
        seen = set()
        for key in itertools.chain(self.variables, self.globals):
            if key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return len(set(self.variables) | set(self.globals))
