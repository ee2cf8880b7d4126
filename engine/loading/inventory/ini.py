"""INI inventory files: sections, host lines, `key=value` values read as Ansible reads them."""
from __future__ import annotations

import ast
import os
import shlex
import warnings
from typing import Any

from ...core.errors import InventoryError, Location
from .model import (
    _ADDRESS_RE,
    _DECIMAL_RE,
    _GROUP_SECTIONS,
    _PLAIN_WORD_RE,
    _SECTION_RE,
    _VAR_NAME_RE,
    InventoryBuilder,
    _expand_host_entry,
)

# --------------------------------------------------------------------------
# INI values
# --------------------------------------------------------------------------


class _NotPlain(Exception):
    """A Python literal with no YAML/JSON counterpart (complex, Ellipsis)."""


def parse_ini_value(text: str) -> Any:
    """Type an INI value the way Ansible does: as a Python literal when it is one.

    ``1`` is an int, ``True`` a bool, ``[1, 2]`` a list, ``"x"`` the string x;
    anything else (``yes``, ``true``, ``web01``) stays the string as written.
    Tuples and sets become lists, so later layers see only plain data.
    """
    # Fast paths for the common cases: a bare word or address is never a
    # literal, and a plain decimal is an int; both skip the Python parser.
    if _PLAIN_WORD_RE.fullmatch(text) or _ADDRESS_RE.fullmatch(text):
        if text not in ("True", "False", "None"):
            return text
    elif len(text) < 100 and _DECIMAL_RE.fullmatch(text):
        return int(text)
    try:
        if "\\" in text:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "invalid escape sequence"
                value = ast.literal_eval(text)
        else:
            value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    try:
        return _plain_literal(value)
    except _NotPlain:
        return text


def _plain_literal(value: Any) -> Any:
    if isinstance(value, (tuple, list, set, frozenset)):
        return [_plain_literal(item) for item in value]
    if isinstance(value, dict):
        return {_plain_literal(key): _plain_literal(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise _NotPlain


# --------------------------------------------------------------------------
# Readers: one file in, hosts/groups/layers into the inventory
# --------------------------------------------------------------------------


class _IniInventoryReader:
    """Reads Ansible's INI format into an Inventory.

    ``[group]`` sections list hosts with inline ``key=value`` vars (split like a
    shell line, ``#`` starts a comment); ``[group:vars]`` lines are ``key = rest
    of line``; ``[group:children]`` names groups, which must be defined somewhere
    in the file (or an earlier source). Values are typed by `parse_ini_value`.
    Hosts before any section are ungrouped.
    """

    def __init__(self, inventory: InventoryBuilder, path: str) -> None:
        self.inventory = inventory
        self.path = path
        self.absolute_path = os.path.abspath(path)
        self.group_vars: dict[str, tuple[dict[str, Any], Location]] = {}
        self.vars_sections: list[tuple[str, Location]] = []
        self.children: list[tuple[str, str, Location]] = []

    def read(self, text: str) -> None:
        group, kind = "ungrouped", "hosts"
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            location = Location(self.path, number)
            if line.startswith("["):
                group, kind = self._section(line, location)
            elif kind == "hosts":
                self._host_line(line, group, location)
            elif kind == "vars":
                key, value = self._assignment(line, location)
                self.group_vars.setdefault(group, ({}, location))[0][key] = value
            else:
                self._child_line(line, group, location)
        self._finish()

    def _section(self, line: str, location: Location) -> tuple[str, str]:
        match = _SECTION_RE.fullmatch(line)
        if match is None:
            raise InventoryError(
                f"Invalid section entry: '{line}'. Please make sure that there are no spaces in the section "
                "entry, and that there are no other invalid characters",
                location,
            )
        group, kind = match.group(1), match.group(2) or "hosts"
        if kind not in _GROUP_SECTIONS:
            raise InventoryError(f"Section [{group}:{kind}] has unknown type: {kind}", location)
        if kind == "vars":
            self.vars_sections.append((group, location))
        else:
            self.inventory._ensure_group(group)
        return group, kind

    def _host_line(self, line: str, group: str, location: Location) -> None:
        if any(c in line for c in "\"'\\#"):
            try:
                words = shlex.split(line, comments=True)
            except ValueError as exc:
                raise InventoryError(f"Error parsing host definition '{line}': {exc}", location) from None
        else:
            words = line.split()
        if not words:
            return
        names, port = _expand_host_entry(words[0], location)
        values: dict[str, Any] = {}
        for word in words[1:]:
            if "=" not in word:
                raise InventoryError(f"Expected key=value host variable assignment, got: {word}", location)
            key, value = word.split("=", 1)
            self._check_name(key, location)
            values[key] = parse_ini_value(value)
        for name in names:
            self.inventory._add_new_host_vars(name, group, self.path, self.absolute_path, port, values)

    def _assignment(self, line: str, location: Location) -> tuple[str, Any]:
        if "=" not in line:
            raise InventoryError(f"Expected key=value, got: {line}", location)
        key, value = (part.strip() for part in line.split("=", 1))
        self._check_name(key, location)
        return key, parse_ini_value(value)

    def _child_line(self, line: str, group: str, location: Location) -> None:
        if len(line.split()) != 1:
            raise InventoryError(f"Expected group name, got: {line}", location)
        self.children.append((group, line, location))

    def _check_name(self, key: str, location: Location) -> None:
        if not _VAR_NAME_RE.fullmatch(key):
            self.inventory.warnings.append(
                f"Invalid variable name '{key}' ({location}): names start with a letter or underscore "
                "and contain only letters, numbers and underscores"
            )

    def _finish(self) -> None:
        """Children and vars may name groups defined further down; check them now."""
        groups = self.inventory.groups
        for parent, child, location in self.children:
            if child not in groups:
                raise InventoryError(f"Section [{parent}:children] includes undefined group '{child}'.", location)
            self.inventory._add_child(parent, child, location)
        for group, location in self.vars_sections:
            if group not in groups:
                raise InventoryError(f"Section [{group}:vars] not valid for undefined group '{group}'.", location)
        for group, (values, location) in self.group_vars.items():
            self.inventory._set_group_vars(group, f"inventory {self.path}: group {group} vars", values, location)
