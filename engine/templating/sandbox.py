"""The safety policy every template runs under: Jinja2's sandbox plus limits on work.

Templates come from playbooks, inventories, vars files and `-e`, so none of them may reach
Python internals: attribute access goes through Jinja2's `SandboxedEnvironment` rules (no
`_private` or dunder attributes, no `mro`, no function globals, `str.format` through the
sandboxed formatter), and an unsafe access fails the task with Ansible's wording ("access to
attribute '__class__' of 'str' object is unsafe."). On top of the sandbox, work a template
asks for is bounded so a typo or a hostile value answers at once instead of eating the
controller: `range()` is capped, and so are `*` repetition and `**` results.
"""
from __future__ import annotations

import math
import re
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..core.errors import TemplateError
from .bounds import MAX_POWER_DIGITS, MAX_RANGE, MAX_REPEAT, range_size


class TemplateLimitError(TemplateError):
    """A template asked for more work than the limits allow (a huge range or repetition)."""


def bounded_range(*args: int) -> range:
    """range() that refuses more than MAX_RANGE items, saying which call did it."""
    numbers = range(*args)
    if range_size(numbers) > MAX_RANGE:
        shown = ", ".join(str(a) for a in args)
        raise TemplateLimitError(f"range({shown}) is too big: templates may make at most {MAX_RANGE} items")
    return numbers


def _too_big_repeat(left: Any, right: Any) -> bool:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int) and not isinstance(count, bool):
            return len(sequence) * count > MAX_REPEAT
    return False


def _too_big_power(base: Any, exponent: Any) -> bool:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0 or abs(base) <= 1:
        return False
    return exponent * math.log10(abs(base)) > MAX_POWER_DIGITS


_PERCENT_WIDTHS = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d+))?")
_FORMAT_WIDTHS = re.compile(r"\{[^{}]*:[^{}\d]*(\d+)(?:[,_]?\.(\d+))?")


def _check_widths(template: str, pattern: re.Pattern[str]) -> None:
    """Refuse a %-format or str.format template that pads or cuts to more than MAX_REPEAT characters."""
    for match in pattern.finditer(template):
        for number in match.groups():
            if number and int(number) > MAX_REPEAT:
                raise TemplateLimitError(f"the format {template[:40]!r} asks for a width of {number}: templates may "
                                         f"make at most {MAX_REPEAT} characters")


def _bounded_width(filter_function: Any, position: int, name: str) -> Any:
    """A filter whose argument at `position` (or `width=`) is a width, refused past MAX_REPEAT."""
    def bounded(*args: Any, **kwargs: Any) -> Any:
        width = kwargs.get("width", args[position] if len(args) > position else 0)
        if isinstance(width, int) and width > MAX_REPEAT:
            raise TemplateLimitError(f"{name}({width}) is too big: templates may make at most {MAX_REPEAT} characters")
        return filter_function(*args, **kwargs)

    bounded.__name__ = getattr(filter_function, "__name__", name)
    for marker in ("jinja_pass_arg",):
        if hasattr(filter_function, marker):
            setattr(bounded, marker, getattr(filter_function, marker))
    return bounded


class SandboxPolicy(SandboxedEnvironment):
    """Jinja2's sandbox with miniplay's limits; mixed into both the native and text environments."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = bounded_range
        self.filters["center"] = _bounded_width(self.filters["center"], 1, "center")
        self.filters["indent"] = _bounded_width(self.filters["indent"], 1, "indent")
        plain_format = self.filters["format"]

        def bounded_format(value: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(value, str):
                _check_widths(value, _PERCENT_WIDTHS)
            return plain_format(value, *args, **kwargs)

        self.filters["format"] = bounded_format

    def getattr(self, obj: Any, attribute: str) -> Any:
        value = super().getattr(obj, attribute)
        if isinstance(obj, str) and attribute in ("format", "format_map") and callable(value):
            _check_widths(obj, _FORMAT_WIDTHS)
        return value

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*" and _too_big_repeat(left, right):
            raise TemplateLimitError(f"{_short(left)} * {_short(right)} is too big: templates may make at most "
                                     f"{MAX_REPEAT} items or characters")
        if operator == "%" and isinstance(left, str):
            _check_widths(left, _PERCENT_WIDTHS)
        if operator == "**" and _too_big_power(left, right):
            raise TemplateLimitError(f"{_short(left)} ** {_short(right)} is too big: templates may make numbers of "
                                     f"at most {MAX_POWER_DIGITS} digits")
        return super().call_binop(context, operator, left, right)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Fail at once, as Ansible does, rather than hand back an undefined value."""
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
