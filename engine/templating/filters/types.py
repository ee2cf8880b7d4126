"""Filters for booleans and types: bool, type_debug, ternary, mandatory."""
from __future__ import annotations

from typing import Any

from jinja2 import Undefined

from ...core.errors import TemplateError
from ...core.fieldtypes import FALSE_WORDS, TRUE_WORDS
from .base import register, type_name

# ---------------------------------------------------------------------------
# Booleans and types
# ---------------------------------------------------------------------------

_BOOL_FILTER_TRUE = frozenset({"yes", "on", "true", "1"})


@register("bool")
def to_bool(value: Any) -> bool:
    """Ansible 2.19's `bool`: yes/on/true/1 are true; anything unrecognised is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in _BOOL_FILTER_TRUE
    if isinstance(value, (int, float)):
        return value == 1
    return False




def to_bool_loose(value: Any) -> Any:
    """Ansible's non-strict boolean(): a recognised word becomes a bool, else unchanged.

    Used by `truthy(convert_bool=true)`, where 'y' and 't' count as true.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
    elif isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return value


@register("type_debug")
def type_debug(value: Any) -> str:
    """The Python type name, with miniplay's lazy containers shown as dict/list."""
    return type_name(value)


@register("ternary")
def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    """Pick by truthiness; a None value picks `none_val` when one is given."""
    if value is None and none_val is not None:
        return none_val
    return true_val if value else false_val


@register("mandatory", allow_undefined=True)
def mandatory(value: Any, msg: str | None = None) -> Any:
    """Fail the template when the value is undefined, naming the variable."""
    if not isinstance(value, Undefined):
        return value
    if msg is not None:
        raise TemplateError(str(msg))
    name = getattr(value, "_undefined_name", None)
    if name is None:
        raise TemplateError("Mandatory variable not defined.")
    raise TemplateError(f"Mandatory variable '{name}' not defined.")
