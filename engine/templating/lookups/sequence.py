"""The sequence lookup: numbers as formatted strings (with_sequence)."""
from __future__ import annotations

import re
import shlex
from typing import overload

from ...core.errors import TemplateError
from ..bounds import MAX_RANGE, range_size
from .base import LookupContext, register

# ---------------------------------------------------------------------------
# sequence
# ---------------------------------------------------------------------------

_SEQUENCE_OPTIONS = ("start", "end", "count", "stride", "format")
_SEQUENCE_SHORTCUT = re.compile(r"^(?:(\w+)-)?(\w+)(?:/(\w+))?(?::(.+))?$")


def _parse_sequence_term(term: str) -> dict:
    """'start=1 end=5 format=h%02d' or the shortcut '[start-]end[/stride][:format]'."""
    term = term.strip()
    if "=" in term:
        options = {}
        for word in shlex.split(term):
            key, sep, value = word.partition("=")
            if not sep:
                raise TemplateError(f"unrecognized arguments to with_sequence: ['{word}']")
            options[key] = value
        return options
    found = _SEQUENCE_SHORTCUT.match(term)
    if not found:
        raise TemplateError("unrecognized arguments to with_sequence: ['_raw_params']")
    start, end, stride, fmt = found.groups()
    options = {"end": end}
    if start is not None:
        options["start"] = start
    if stride is not None:
        options["stride"] = stride
    if fmt is not None:
        options["format"] = fmt
    return options


@overload
def _sequence_int(options: dict, name: str, default: int) -> int: ...
@overload
def _sequence_int(options: dict, name: str, default: None) -> int | None: ...


def _sequence_int(options: dict, name: str, default: int | None) -> int | None:
    value = options.get(name)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text, 10) if text.lstrip("+-").isdigit() else int(text, 0)  # 08 is eight, 0x1f hex
    except ValueError:
        raise TemplateError(f"can't parse {name}={value} as integer") from None


def _sequence(options: dict) -> list[str]:
    unknown = [key for key in options if key not in _SEQUENCE_OPTIONS]
    if unknown:
        raise TemplateError(f"unrecognized arguments to with_sequence: {unknown}")
    start = _sequence_int(options, "start", 1)
    end = _sequence_int(options, "end", None)
    count = _sequence_int(options, "count", None)
    stride = _sequence_int(options, "stride", 1)
    fmt = str(options.get("format") or "%d")
    if count is not None and end is not None:
        raise TemplateError("can't specify both count and end in with_sequence")
    if count is not None:
        if count == 0:
            return []
        end = start + count * stride - 1  # Ansible's arithmetic, kept for negative strides too
    elif end is None:
        raise TemplateError("must specify count or end in with_sequence")
    if stride == 0:
        return []
    if stride > 0 and end < start:
        raise TemplateError("to count backwards make stride negative")
    if stride < 0 and end > start:
        raise TemplateError("to count forward don't make stride negative")
    stop = end + 1 if stride > 0 else end - 1
    size = range_size(range(start, stop, stride))
    if size > MAX_RANGE:
        raise TemplateError(f"with_sequence would make {size} items: templates may make at most {MAX_RANGE}")
    try:
        return [fmt % number for number in range(start, stop, stride)]
    except (TypeError, ValueError):
        raise TemplateError(f"bad formatting string: {fmt}") from None


@register("sequence")
def lookup_sequence(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Numbers as formatted strings: 'start=1 end=5', '1-5/2:h%d', or keyword options."""
    if not terms:
        return _sequence(dict(kwargs)) if kwargs else []
    numbers: list = []
    for term in terms:
        options = {**kwargs, **_parse_sequence_term(str(term))}
        numbers.extend(_sequence(options))
    return numbers
