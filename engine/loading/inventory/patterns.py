"""Host patterns: `web:&prod:!db`, globs, `~regex`, `group[0:2]` subscripts."""
from __future__ import annotations

import re

from .model import _SUBSCRIPT_RE, _TERM_RE, Host, _is_ipv6

# --------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------


def split_patterns(pattern: str | list[str] | None) -> list[str]:
    """Split a host pattern into terms: ``"a:&b,!c"`` style text, or a list of them.

    With a comma anywhere, commas alone separate (so ``a:b,c`` is the terms
    ``a:b`` and ``c``, as in Ansible); otherwise colons and spaces do, except
    inside ``[...]`` and within a bare IPv6 address.
    """
    if pattern is None:
        return []
    if isinstance(pattern, (list, tuple)):
        return [term for item in pattern for term in split_patterns(item)]
    text = str(pattern)
    if "," in text:
        return [term.strip() for term in text.split(",") if term.strip()]
    text = text.strip()
    if _is_ipv6(text) or re.fullmatch(r"\[[^\[\]]+\](?::[0-9]+)?", text):
        return [text]
    return _TERM_RE.findall(text)


def _split_subscript(term: str) -> tuple[str, tuple[int, int | None] | None]:
    """``web[1:3]`` -> ("web", (1, 3)); ``web[-1]`` -> ("web", (-1, None)).

    An open end (``web[2:]``) is stored as -1. A regex term keeps its brackets.
    """
    if term.startswith("~"):
        return term, None
    match = _SUBSCRIPT_RE.fullmatch(term)
    if match is None:
        return term, None
    name, index, start, _sep, end = match.groups()
    if index is not None:
        return name, (int(index), None)
    return name, (int(start), int(end) if end else -1)


def _apply_subscript(hosts: list[Host], subscript: tuple[int, int | None] | None) -> list[Host]:
    """Ansible's subscripts: ``[i]`` one host, ``[i:j]`` inclusive, out of range is empty."""
    if subscript is None or not hosts:
        return hosts
    start, end = subscript
    if end is None:
        if -len(hosts) <= start < len(hosts):
            return [hosts[start]]
        return []
    if end == -1:
        end = len(hosts) - 1
    return hosts[start : end + 1]
