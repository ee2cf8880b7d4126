"""Filters for dates and numbers: to_datetime, strftime, log, pow, root, human_readable, human_to_bytes."""
from __future__ import annotations

import datetime
import math
import re
import time
from collections.abc import Callable
from typing import Any

from ...core.errors import TemplateError
from .base import register

# ---------------------------------------------------------------------------
# Dates and numbers
# ---------------------------------------------------------------------------


@register("to_datetime")
def to_datetime(value: Any, format: str = "%Y-%m-%d %H:%M:%S") -> datetime.datetime:
    """Parse text into a datetime (subtract two to get a timedelta)."""
    return datetime.datetime.strptime(str(value), format)


@register("strftime")
def strftime(string_format: str, second: Any = None, utc: bool = False) -> str:
    """Format epoch seconds (default: now) in local time, or UTC."""
    if second is not None:
        try:
            second = float(second)
        except (TypeError, ValueError):
            raise TemplateError(f"Invalid value for epoch value ({second})") from None
    converter = time.gmtime if utc else time.localtime
    return time.strftime(string_format, converter(second))


def _number_op(name: str, operation: Callable[[], float]) -> float:
    try:
        return operation()
    except TypeError as exc:
        raise TemplateError(f"{name}() can only be used on numbers: {exc}") from None


@register("log")
def log(value: Any, base: float = math.e) -> float:
    """Logarithm (natural by default)."""
    if base == 10:
        return _number_op("log", lambda: math.log10(value))
    return _number_op("log", lambda: math.log(value, base))


@register("pow")
def power(value: Any, exponent: Any) -> float:
    """value ** exponent, as a float."""
    return _number_op("pow", lambda: math.pow(value, exponent))


@register("root")
def root(value: Any, base: Any = 2) -> float:
    """Square root, or the base-th root."""
    if base == 2:
        return _number_op("root", lambda: math.sqrt(value))
    return _number_op("root", lambda: math.pow(value, 1.0 / float(base)))


# Largest first, so the first limit a size reaches names its unit.
_SIZE_UNITS = (("Y", 1 << 80), ("Z", 1 << 70), ("E", 1 << 60), ("P", 1 << 50),
               ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1))


@register("human_readable")
def human_readable(size: Any, isbits: bool = False, unit: str | None = None) -> str:
    """1536 -> '1.50 KB' (binary multiples); isbits says 'Mb' instead of 'MB'."""
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise TemplateError(f"human_readable() failed on bad input: {size!r} is not a number")
    base = "bits" if isbits else "Bytes"
    for letter, limit in _SIZE_UNITS:
        wanted = letter == unit[0].upper() if unit else size >= limit
        if wanted:
            break
    suffix = base if limit == 1 else letter + base[0]
    return f"{size / limit:.2f} {suffix}"


_HUMAN_SIZE = re.compile(r"^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$")


@register("human_to_bytes")
def human_to_bytes(size: Any, default_unit: str | None = None, isbits: bool = False) -> int:
    """'10 MB' -> 10485760; a bare number is already bytes (or `default_unit`)."""
    try:
        return _human_to_bytes(size, default_unit, isbits)
    except TemplateError as exc:
        raise TemplateError(f"human_to_bytes() can't interpret the input: {exc.message}") from None


def _human_to_bytes(size: Any, default_unit: str | None, isbits: bool) -> int:
    if isinstance(size, (int, float)) and not isinstance(size, bool) and default_unit is None:
        return int(round(size))
    match = _HUMAN_SIZE.match(str(size))
    if not match or match.group(1) in ("", "."):
        raise TemplateError(f"human_to_bytes() can't interpret following string: {size}")
    number = float(match.group(1))
    unit = match.group(2) or default_unit
    if unit is None:
        return int(round(number))
    limits = dict(_SIZE_UNITS)
    letter = unit[0].upper()
    if letter not in limits:
        raise TemplateError(f"human_to_bytes() can't interpret following string: {size}")
    if len(unit) > 1:
        unit_char, word = ("b", "bit") if isbits else ("B", "byte")
        accepted = unit.lower() == word if letter == "B" else unit == letter + unit_char
        if not accepted:
            expected = f"{unit_char} or {word}" if letter == "B" else f"{letter}{unit_char} or {letter}"
            raise TemplateError(
                f"human_to_bytes() failed to convert {size}. Value is not a valid string (expect {expected})"
            )
    return int(round(number * limits[letter]))
