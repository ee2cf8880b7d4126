"""Python package requirements and versions (PEP 508 names, PEP 440 versions), standard library only.

The `pip` module must decide, without installing anything, whether `Django>=4,<5` is already
satisfied by what `pip list` shows; Ansible uses the `packaging` library for that, which a
bare target may not have. This is the small part of it the decision needs: a requirement's
canonical name, its extras and version clauses, and ordering of release/pre/post/dev versions.
"""
from __future__ import annotations

import re

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")
_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]+)\s*$")
_VERSION = re.compile(
    r"^v?(?:(\d+)!)?(\d+(?:\.\d+)*)"
    r"(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?"
    r"(?:(?:-(\d+))|(?:[-_.]?(post|rev|r)[-_.]?(\d*)))?"
    r"(?:[-_.]?(dev)[-_.]?(\d*))?"
    r"(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$", re.I)
_PRE = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}
OPERATORS = ("===", "==", "!=", "~=", "<=", ">=", "<", ">")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: `Foo_Bar.baz` and `foo-bar-baz` are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def version_key(text: str) -> tuple | None:
    """A sortable key for a PEP 440 version, or None when the text is not one."""
    found = _VERSION.match(text.strip())
    if not found:
        return None
    epoch, release, pre_l, pre_n, post_dash, _post_l, post_n, dev_l, dev_n, local = found.groups()
    parts = [int(p) for p in release.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    post = int(post_dash) if post_dash else (int(post_n or 0) if _post_l else None)
    # ordering inside one release: dev < pre < final < post
    if pre_l:
        pre = (1, _PRE[pre_l.lower()], int(pre_n or 0))
    elif dev_l and post is None:
        pre = (0, "", 0)
    else:
        pre = (2, "", 0)
    return (int(epoch or 0), tuple(parts), pre, -1 if post is None else post,
            float("inf") if not dev_l else int(dev_n or 0), local or "")


def is_prefix_match(have: str, wanted: str) -> bool:
    """`==1.4.*` style: the release segments of `wanted` (without `.*`) start `have`'s."""
    head = wanted[:-2]
    have_parts = re.split(r"[.+-]", have)
    head_parts = head.split(".")
    return have_parts[:len(head_parts)] == head_parts


def clause_allows(operator: str, wanted: str, have: str) -> bool:
    if operator == "===":
        return have == wanted
    if wanted.endswith(".*") and operator in ("==", "!="):
        return is_prefix_match(have, wanted) == (operator == "==")
    have_key, wanted_key = version_key(have), version_key(wanted)
    if have_key is None or wanted_key is None:
        return False
    if operator == "==":
        return have_key[:5] == wanted_key[:5] and (not wanted_key[5] or have_key[5] == wanted_key[5])
    if operator == "!=":
        return have_key != wanted_key
    if operator == "~=":
        release = wanted.split(".")
        prefix = ".".join(release[:-1]) + ".*"
        return have_key >= wanted_key and is_prefix_match(have, prefix)
    return {"<": have_key < wanted_key, ">": have_key > wanted_key,
            "<=": have_key <= wanted_key, ">=": have_key >= wanted_key}[operator]


class Requirement:
    """`name[extras] clauses` as pip reads it; `plain` is False for paths and URLs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.plain = False
        self.name = text
        self.extras: list[str] = []
        self.clauses: list[tuple[str, str]] = []
        self.marker = text.split(";", 1)[1].strip() if ";" in text else ""
        found = _NAME.match(text.split(";", 1)[0])
        if not found:
            return
        name, extras, rest = found.groups()
        clauses = []
        rest = rest.strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1]
        for piece in filter(None, (p.strip() for p in rest.split(","))):
            clause = _CLAUSE.match(piece)
            if not clause:
                return
            clauses.append((clause.group(1), clause.group(2)))
        self.plain = True
        self.name = canonical_name(name)
        self.display_name = name
        self.extras = sorted(e.strip() for e in extras[1:-1].split(",") if e.strip()) if extras else []
        self.clauses = clauses

    @property
    def has_version(self) -> bool:
        return bool(self.clauses)

    def satisfied_by(self, version: str) -> bool:
        return self.plain and all(clause_allows(op, wanted, version) for op, wanted in self.clauses)

    def __str__(self) -> str:
        if not self.plain:
            return self.text
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        spec = ",".join(sorted(op + wanted for op, wanted in self.clauses))
        marker = f"; {self.marker}" if self.marker else ""
        return f"{self.display_name}{extras}{spec}{marker}"
