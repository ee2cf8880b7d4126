"""Regular expression filters: regex_search, regex_replace, regex_findall, regex_escape."""
from __future__ import annotations

import re
from typing import Any

from ...core.errors import TemplateError
from .base import register

# ---------------------------------------------------------------------------
# Regular expressions
# ---------------------------------------------------------------------------


def _regex_flags(ignorecase: bool = False, multiline: bool = False) -> int:
    flags = 0
    if ignorecase:
        flags |= re.IGNORECASE
    if multiline:
        flags |= re.MULTILINE
    return flags


_GROUP_NUMBER = re.compile(r"\\(\d+)$")
_GROUP_NAME = re.compile(r"\\g<(\w+)>$")


def _group_ref(arg: Any) -> Any:
    """'\\1' -> 1, '\\g<name>' -> 'name': which group a regex_search argument asks for."""
    text = str(arg)
    named = _GROUP_NAME.match(text)
    if named:
        return named.group(1)
    numbered = _GROUP_NUMBER.match(text)
    if numbered:
        return int(numbered.group(1))
    raise TemplateError("Unknown argument")


@register("regex_search")
def regex_search(value: Any, regex: str, *args: Any, **kwargs: Any) -> Any:
    """First match, or None; with group arguments a list of those groups."""
    groups = [_group_ref(arg) for arg in args]
    flags = _regex_flags(kwargs.get("ignorecase", False), kwargs.get("multiline", False))
    match = re.search(regex, str(value), flags)
    if match is None:
        return None
    if not groups:
        return match.group()
    return [match.group(group) for group in groups]


@register("regex_replace")
def regex_replace(value: Any = "", pattern: str = "", replacement: str = "", ignorecase: bool = False,
                  multiline: bool = False, count: int = 0, mandatory_count: int = 0) -> str:
    """re.sub with Ansible's flags; `mandatory_count` insists on that many matches."""
    text = str(value)
    compiled = re.compile(pattern, _regex_flags(ignorecase, multiline))
    result, made = compiled.subn(replacement, text, count=count)
    if mandatory_count and made != mandatory_count:
        raise TemplateError(
            f"'{pattern}' should match {mandatory_count} times, but matches {made} times in '{text}'"
        )
    return result


@register("regex_findall")
def regex_findall(value: Any, regex: str, multiline: bool = False, ignorecase: bool = False) -> list:
    """All matches; with several groups each match is a list of the groups."""
    found = re.findall(regex, str(value), _regex_flags(ignorecase, multiline))
    return [list(item) if isinstance(item, tuple) else item for item in found]


_POSIX_BASIC_SPECIAL = re.compile(r"([\[\].^$*\\])")


@register("regex_escape")
def regex_escape(value: Any, re_type: str = "python") -> str:
    """Escape text for use in a Python (or POSIX basic) regular expression."""
    text = str(value)
    if re_type == "python":
        return re.escape(text)
    if re_type == "posix_basic":
        return _POSIX_BASIC_SPECIAL.sub(r"\\\1", text)
    if re_type == "posix_extended":
        raise TemplateError("Regex type (posix_extended) not yet implemented")
    raise TemplateError(f"Invalid regex type ({re_type})")
