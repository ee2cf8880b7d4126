"""The inventory's model (hosts, groups, matches), host names with ranges and ports, small helpers."""
from __future__ import annotations

import ipaddress
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...core.errors import InventoryError, Location, ParseError
from ...core.textfile import NotARegularFile, read_text_file
from ...templating.bounds import range_size

#: Names that resolve to the implicit localhost when the inventory lacks them.
LOCALHOST_NAMES = ("localhost", "127.0.0.1", "::1")

VarsLayer = tuple[str, dict[str, Any]]

_YAML_SUFFIXES = (".yml", ".yaml", ".json")
# A vars file for NAME is the first of NAME, NAME.yml, NAME.yaml, NAME.json.
_VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
# Files a directory source skips, as Ansible does (editor backups, docs, ...).
_IGNORED_SOURCE_SUFFIXES = (
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
)
_IGNORED_SOURCE_NAMES = ("host_vars", "group_vars", "vars_plugins")
_GROUP_SECTIONS = ("vars", "children", "hosts")
_VAR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RANGE_RE = re.compile(r"\[([^\[\]]*)\]")
_DIGITS_RE = re.compile(r"[0-9]+")
_SECTION_RE = re.compile(r"\[([^\s\[\]:]+)(?::(\w+))?\]\s*(?:[#;].*)?")
_PLAIN_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*")
_ADDRESS_RE = re.compile(r"[0-9]+(?:\.[0-9]+){2,}")  # 10.0.0.1, 1.2.3: never a number
_DECIMAL_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_SUBSCRIPT_RE = re.compile(r"(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]")
# A pattern term is a run of anything but whitespace, ':' and brackets, or a
# whole bracketed expression, so "web[0:2]:db" splits into "web[0:2]", "db".
_TERM_RE = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
_GLOB_CHARS = ("*", "?", "[")


class UnknownHostError(InventoryError, KeyError):
    """A host name that is not in the inventory (also a KeyError, like a dict miss)."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


@dataclass
class Host:
    """One inventory host.

    ``vars`` merges every host-level layer (inventory line or ``hosts:`` entry,
    ``add_host``, then ``host_vars/`` files) for quick reading; precedence
    against group variables is `Inventory.vars_layers`' job. ``groups`` is the
    same list as `Inventory.group_names`: every group the host is in, directly
    or through children, sorted, without ``all``.
    """

    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    implicit: bool = False  # the implicit localhost, which 'all' never matches
    inventory_file: str | None = None  # absolute path of the source that defined it
    inventory_layers: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)


@dataclass
class Group:
    """One inventory group; ``hosts`` and ``children`` are direct members only.

    ``vars`` merges the group's inventory-file vars and its ``group_vars/``
    files, for reading; `Inventory.vars_layers` has the precedence.
    """

    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    priority: int = 1  # ansible_group_priority: among groups of one depth, higher wins
    inventory_layers: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)


@dataclass
class HostMatch:
    """What a pattern selected, and the terms that matched no group or host.

    The caller warns "Could not match supplied host pattern, ignoring: X" for
    each name in ``unmatched``, as Ansible does.
    """

    hosts: list[Host]
    unmatched: list[str]


# --------------------------------------------------------------------------
# Host names: ranges and ports
# --------------------------------------------------------------------------


MAX_RANGE_HOSTS = 100_000  # hosts one `name[a:b]` entry may make: a typo must not eat the controller


class LimitFileMissing(InventoryError):
    """`--limit @file` names a file that cannot be read (ansible-playbook exits 1)."""

    exit_code = 1


def expand_host_range(pattern: str, location: Location | None = None) -> list[str]:
    """Expand ``web[01:03]``, ``db-[a:c]`` and ``s[1:10:3]`` into host names.

    Ranges are inclusive; a zero-padded start (``01``) pads every number to its
    width and then the end must be as wide. Several ranges multiply, the
    leftmost varying slowest, the way the names are read.
    """
    match = _RANGE_RE.search(pattern)
    if match is None:
        if "[" in pattern or "]" in pattern:
            raise InventoryError(f"Invalid host range in '{pattern}': unbalanced brackets", location)
        return [pattern]
    values = _range_values(match.group(1), pattern, location)
    head = pattern[: match.start()]
    tails = expand_host_range(pattern[match.end():], location)
    if len(values) * len(tails) > MAX_RANGE_HOSTS:
        raise InventoryError(f"Invalid host range in '{pattern}': the ranges make {len(values) * len(tails):,} hosts; "
                             f"one entry may make at most {MAX_RANGE_HOSTS:,}", location)
    return [head + value + tail for value in values for tail in tails]


def _range_values(spec: str, pattern: str, location: Location | None) -> list[str]:
    """The values of one ``begin:end[:step]`` range."""

    def bad(reason: str) -> InventoryError:
        return InventoryError(f"Invalid host range in '{pattern}': {reason}", location)

    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise bad("host range must be begin:end or begin:end:step")
    begin, end = parts[0] or "0", parts[1]
    if not end:
        raise bad("host range must specify end value")
    step_text = parts[2] if len(parts) == 3 else "1"
    try:
        step = int(step_text)
    except ValueError:
        raise bad(f"range step '{step_text}' is not a number") from None
    if step == 0:
        raise bad("range step must not be zero")
    if _DIGITS_RE.fullmatch(begin) and _DIGITS_RE.fullmatch(end):
        width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
        if width and len(end) != width:
            raise bad("host range must specify equal-length begin and end formats")
        numbers = range(int(begin), int(end) + 1, step)
        size = range_size(numbers)
        if size > MAX_RANGE_HOSTS:
            raise bad(f"the range makes {size:,} hosts; one entry may make at most {MAX_RANGE_HOSTS:,}")
        return [str(number).zfill(width) for number in numbers]
    letters = string.ascii_letters
    if len(begin) == 1 and len(end) == 1 and begin in letters and end in letters:
        first, last = letters.index(begin), letters.index(end)
        if first > last:
            raise bad("host range must have begin <= end")
        return list(letters[first : last + 1 : step])
    raise bad("range bounds must both be numbers or both single letters")


def split_host_port(text: str, location: Location | None = None) -> tuple[str, int | None]:
    """Split ``host:2222`` into name and port; IPv6 addresses keep their colons.

    ``[fe80::1]:22`` gives the bracketed address and port; a bare IPv6 address
    (``fe80::1:22``) is all address, as in Ansible.
    """
    if text.endswith(":"):
        raise InventoryError(
            f"Invalid host pattern '{text}' supplied, ending in ':' is not allowed, "
            "this character is reserved to provide a port.",
            location,
        )
    if text.startswith("["):
        bracketed = re.fullmatch(r"\[([^\[\]]+)\](?::([0-9]+))?", text)
        if bracketed and _is_ipv6(bracketed.group(1)):
            port = bracketed.group(2)
            return bracketed.group(1), int(port) if port else None
    with_port = re.fullmatch(r"(.+):([0-9]+)", text)
    if with_port and ":" not in _RANGE_RE.sub("", with_port.group(1)):
        return with_port.group(1), int(with_port.group(2))
    return text, None


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _expand_host_entry(entry: str, location: Location | None) -> tuple[list[str], int | None]:
    """Host names and port of one inventory host entry (``web[1:3]:2222``)."""
    name, port = split_host_port(entry, location)
    return expand_host_range(name, location), port


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _read_text(path: str) -> str:
    try:
        return read_text_file(path)
    except ParseError as exc:
        raise InventoryError(exc.message, exc.location) from None
    except NotARegularFile as exc:
        raise InventoryError(exc.message) from None
    except OSError as exc:
        raise InventoryError(f"Unable to read '{path}': {exc.strerror}") from None


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "nothing"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _merge(layers: list[VarsLayer]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for _label, values in layers:
        merged.update(values)
    return merged


def _source_files(directory: str) -> Iterator[str]:
    """Inventory files in a directory source, recursively, in name order."""
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(".") or entry in _IGNORED_SOURCE_NAMES or entry.endswith(_IGNORED_SOURCE_SUFFIXES):
            continue
        full = os.path.join(directory, entry)
        if os.path.isdir(full):
            yield from _source_files(full)
        else:
            yield full


def _looks_like_yaml_inventory(data: Any) -> bool:
    """A YAML inventory maps group names to mappings (or to nothing)."""
    return isinstance(data, dict) and bool(data) and all(v is None or isinstance(v, dict) for v in data.values())


def _first_significant_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and stripped[0] not in "#;":
            return stripped
    return ""




class InventoryBuilder(Protocol):
    """What the file readers (ini, yamlsource) do to the inventory they fill (an `Inventory`)."""

    groups: dict[str, Group]
    warnings: list[str]

    def _ensure_group(self, name: str) -> Group: ...

    def _add_child(self, parent: str, child: str, location: Location | None) -> None: ...

    def _set_group_vars(self, group: str, label: str, values: dict[str, Any], location: Location | None) -> None: ...

    def _add_new_host_vars(self, name: str, group: str, path: str, absolute_path: str, port: int | None,
                           values: dict[str, Any]) -> None: ...
