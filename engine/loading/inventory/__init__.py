"""Inventories: hosts, groups, their variables, and host patterns.

An inventory is read from INI files, YAML files, directories of them, or a
comma-separated host list (``-i "web1,web2,"``), and behaves like Ansible's:

    inv = Inventory.load(["hosts.ini"], playbook_dir="site/")
    inv.select("web:&prod:!web3")      # -> [Host, ...] in Ansible's order
    inv.vars_layers("web1")            # -> [(label, vars), ...] lowest first
    inv.groups_map()["web"]            # -> ["web1", "web2"]

How this works
--------------
*Loading.* Each source adds hosts, groups and *inventory layers* of variables
(one layer per source file, labelled "inventory hosts.ini: group web vars").
After all sources, `_reconcile` applies Ansible's rules: a group with no parent
becomes a child of ``all``, and a host in no group but ``all`` joins
``ungrouped`` (and leaves it once it is in any other group). The same step runs
again after `add_host` and `add_group_membership`, which change the inventory
while a playbook runs.

*Variables.* ``group_vars/`` and ``host_vars/`` beside each inventory source and
beside the playbook are listed once and their files read when first needed.
`vars_layers` stacks every layer for one host in Ansible's precedence order
(``all`` before other groups, groups sorted by depth, ``ansible_group_priority``
and name, inventory files before ``*_vars`` files, playbook files last), so the
caller merges them in order and can say where each value came from.

*Patterns.* A pattern is split into terms (``a:b`` or ``a,b``); plain terms are
unioned in order, then ``&`` terms intersect and ``!`` terms exclude, whatever
order they were written in. A term matches group names first (glob or ``~regex``)
and host names when no group matched or it is a glob; ``[i]`` / ``[i:j]``
subscripts then pick from the result. ``localhost`` resolves to an *implicit*
localhost when the inventory does not define it; like Ansible's, that host is
not a member of ``all``.

*Order.* ``hosts`` keeps the order hosts were first seen. A group's host list,
and so ``all``, is breadth-first over the group tree: the group's own hosts,
then its children's, then grandchildren's. That is the order Ansible runs
``hosts: all`` in, and ``select`` returns.
"""
from __future__ import annotations

import ast
import fnmatch
import ipaddress
import json
import os
import re
import shlex
import string
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Union

from ...core.errors import InventoryError, Location, ParseError
from ...core.textfile import NotARegularFile, read_text_file
from ...templating.sandbox import range_size
from ...core.yamlfile import key_location, load_yaml_file, load_yaml_text, node_location, to_plain

__all__ = [
    "Group",
    "Host",
    "HostMatch",
    "Inventory",
    "LOCALHOST_NAMES",
    "UnknownHostError",
    "expand_host_range",
    "parse_ini_value",
    "split_host_port",
    "split_patterns",
]

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
    inventory_file: Optional[str] = None  # absolute path of the source that defined it
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


def expand_host_range(pattern: str, location: Optional[Location] = None) -> list[str]:
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


def _range_values(spec: str, pattern: str, location: Optional[Location]) -> list[str]:
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


def split_host_port(text: str, location: Optional[Location] = None) -> tuple[str, Optional[int]]:
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


def _expand_host_entry(entry: str, location: Optional[Location]) -> tuple[list[str], Optional[int]]:
    """Host names and port of one inventory host entry (``web[1:3]:2222``)."""
    name, port = split_host_port(entry, location)
    return expand_host_range(name, location), port


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
# Patterns
# --------------------------------------------------------------------------


class LimitFileMissing(InventoryError):
    """`--limit @file` names a file that cannot be read (ansible-playbook exits 1)."""

    exit_code = 1


def split_patterns(pattern: Union[str, list[str], None]) -> list[str]:
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


def _split_subscript(term: str) -> tuple[str, Optional[tuple[int, Optional[int]]]]:
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


def _apply_subscript(hosts: list[Host], subscript: Optional[tuple[int, Optional[int]]]) -> list[Host]:
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


# --------------------------------------------------------------------------
# group_vars/ and host_vars/ directories
# --------------------------------------------------------------------------


def _vars_dir_files(directory: str) -> list[str]:
    """Every vars file under a ``group_vars/NAME/`` directory, in name order."""
    found: list[str] = []
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return found
    for entry in entries:
        if entry.startswith(".") or entry.endswith("~"):
            continue  # hidden files and editor backups
        full = os.path.join(directory, entry)
        suffix = os.path.splitext(entry)[1]
        if os.path.isdir(full):
            if not suffix:
                found.extend(_vars_dir_files(full))
        elif not suffix or suffix in _YAML_SUFFIXES:
            found.append(full)
    return found


def _load_vars_file(path: str) -> dict[str, Any]:
    """Read one vars file; it must hold a mapping (or nothing)."""
    if path.endswith(".json"):
        data = _load_json(path)
    else:
        try:
            data = load_yaml_file(path)
        except InventoryError:
            raise
        except ParseError as exc:
            raise InventoryError(exc.message, exc.location) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        where = node_location(data, path)
        raise InventoryError(
            f"Variables in '{path}' must be a mapping (key: value), got {_kind(data)}",
            where if where.line else Location(path, 1),
        )
    return to_plain(data, path)


def _load_json(path: str) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise InventoryError(f"Invalid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)) from None


class _VarsDir:
    """One ``group_vars/`` or ``host_vars/`` directory.

    It is listed once, so looking up a name that has no file costs no system
    call; a name's files are read on first use and kept.
    """

    def __init__(self, path: str, label: str) -> None:
        self.path = path
        self.label = label  # "inventory group_vars", "playbook host_vars", ...
        try:
            self.entries = frozenset(os.listdir(path)) if os.path.isdir(path) else frozenset()
        except OSError:
            self.entries = frozenset()
        self._layers: dict[str, list[VarsLayer]] = {}

    def layers(self, name: str) -> list[VarsLayer]:
        cached = self._layers.get(name)
        if cached is None:
            cached = self._layers[name] = self._read(name)
        return cached

    def _read(self, name: str) -> list[VarsLayer]:
        if not self.entries or not name or name.startswith(os.sep):
            return []  # Ansible skips names like chroot paths
        for suffix in _VARS_SUFFIXES:
            if name + suffix in self.entries:
                full = os.path.join(self.path, name + suffix)
                files = _vars_dir_files(full) if os.path.isdir(full) else [full]
                break
        else:
            return []
        layers = [(f"{self.label}: {path}", _load_vars_file(path)) for path in files]
        return [layer for layer in layers if layer[1]]


@dataclass
class _VarsDirs:
    """The group_vars/ and host_vars/ beside one inventory source or playbook."""

    basedir: str
    group_vars: _VarsDir
    host_vars: _VarsDir

    @classmethod
    def beside(cls, basedir: str, kind: str) -> "_VarsDirs":
        return cls(
            basedir,
            _VarsDir(os.path.join(basedir, "group_vars"), f"{kind} group_vars"),
            _VarsDir(os.path.join(basedir, "host_vars"), f"{kind} host_vars"),
        )


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


# --------------------------------------------------------------------------
# The inventory
# --------------------------------------------------------------------------


class Inventory:
    """Hosts and groups from one or more sources, with patterns and variables."""

    def __init__(self) -> None:
        self.hosts: dict[str, Host] = {}
        self.groups: dict[str, Group] = {"all": Group("all"), "ungrouped": Group("ungrouped")}
        self.groups["all"].children.append("ungrouped")
        self.groups["ungrouped"].parents.append("all")
        self.sources: list[str] = []
        #: Non-fatal findings (skipped YAML keys, odd variable names), for the CLI to print.
        self.warnings: list[str] = []
        self._member_of: dict[str, list[str]] = {}  # host -> groups listing it directly
        self._inventory_dirs: list[_VarsDirs] = []
        self._playbook_dirs: list[_VarsDirs] = []
        self._implicit: Optional[Host] = None
        self._cache: dict[Any, Any] = {}

    # ---- loading ---------------------------------------------------------

    @classmethod
    def load(cls, sources: Optional[list[str]], playbook_dir: Optional[str] = None) -> "Inventory":
        """Read the sources in order; none at all gives only the implicit localhost.

        A source is an INI or YAML file, a directory of them, or a host list
        with a comma (``"web1,web2,"``). A missing path raises InventoryError.
        """
        inventory = cls()
        for source in sources or []:
            inventory._load_source(source)
        inventory._reconcile()
        if playbook_dir is not None:
            inventory._playbook_dirs = [_VarsDirs.beside(playbook_dir, "playbook")]
        inventory._refresh_vars()
        return inventory

    def use_playbook_dir(self, playbook_dir: str) -> None:
        """Read group_vars/ and host_vars/ beside this playbook directory from now on."""
        self._playbook_dirs = [_VarsDirs.beside(playbook_dir, "playbook")]
        self._changed()

    def _load_source(self, source: str) -> None:
        path = os.path.expanduser(source)
        if os.path.isdir(path):
            self.sources.append(source)
            for file_path in _source_files(path):
                self._load_file(file_path)
            self._add_inventory_dir(path)
        elif os.path.isfile(path):
            self.sources.append(source)
            self._load_file(path)
            self._add_inventory_dir(os.path.dirname(path))
        elif "," in source:
            self.sources.append(source)
            self._load_host_list(source)
        else:
            raise InventoryError(f"Unable to parse {source} as an inventory source (no such file or directory)")

    def _add_inventory_dir(self, basedir: str) -> None:
        """Remember where group_vars/ live; a repeat moves to the end, which keeps
        the merged result the same as reading the directory twice."""
        real = os.path.realpath(basedir or ".")
        self._inventory_dirs = [d for d in self._inventory_dirs if os.path.realpath(d.basedir or ".") != real]
        self._inventory_dirs.append(_VarsDirs.beside(basedir, "inventory"))

    def _load_host_list(self, source: str) -> None:
        """``-i "web1,web2:2222,"``: ungrouped hosts, ports allowed, no ranges."""
        label = "inventory host list"
        for entry in source.split(","):
            entry = entry.strip()
            if not entry:
                continue
            name, port = split_host_port(entry)
            if self._add_host(name, "ungrouped", None) and port is not None:
                self._host_layer(name, label)["ansible_port"] = port

    def _load_file(self, path: str) -> None:
        """Pick the format: .yml/.yaml/.json are YAML, no suffix is sniffed, else INI."""
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".json":
            _YamlInventoryReader(self, path).read(_load_json(path))
            return
        text = _read_text(path)
        if suffix in _YAML_SUFFIXES:
            _YamlInventoryReader(self, path).read(self._yaml_data(text, path))
            return
        if not suffix and not _first_significant_line(text).startswith("["):
            try:
                data = load_yaml_text(text, path)
            except ParseError:
                data = None
            if _looks_like_yaml_inventory(data):
                _YamlInventoryReader(self, path).read(data)
                return
        _IniInventoryReader(self, path).read(text)

    @staticmethod
    def _yaml_data(text: str, path: str) -> Any:
        try:
            return load_yaml_text(text, path)
        except InventoryError:
            raise
        except ParseError as exc:
            raise InventoryError(exc.message, exc.location) from None

    # ---- building blocks the readers use ---------------------------------

    def _ensure_group(self, name: str) -> Group:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = Group(name)
        return group

    def _add_host(self, name: str, group: str, source: Optional[str]) -> bool:
        """Create the host if new (``source``: absolute path of its file) and join
        it to a group; True when it was created."""
        created = name not in self.hosts
        if created:
            self.hosts[name] = Host(name, inventory_file=source)
        self._join(name, group)
        return created

    def _add_new_host_vars(
        self, name: str, group: str, path: str, absolute_path: str, port: Optional[int], values: dict[str, Any]
    ) -> None:
        """One host entry of an inventory file. A ``host:port`` port counts only
        where the host is first defined, as in Ansible; later vars override."""
        created = self._add_host(name, group, absolute_path)
        layer = self._host_layer(name, f"inventory {path}: host {name} vars")
        if created and port is not None:
            layer["ansible_port"] = port
        layer.update(values)

    def _join(self, host: str, group: str) -> None:
        # _member_of mirrors Group.hosts; checking the host's short list keeps
        # building a group of thousands of hosts linear.
        memberships = self._member_of.setdefault(host, [])
        if group not in memberships:
            memberships.append(group)
            self._ensure_group(group).hosts.append(host)

    def _add_child(self, parent: str, child: str, location: Optional[Location]) -> None:
        if parent == child:
            raise InventoryError(f"Group '{parent}' cannot be a child of itself", location)
        if child == "all" or parent in self._descendants(child):
            raise InventoryError(
                f"Adding group '{child}' as child to '{parent}' creates a recursive dependency loop.", location
            )
        parent_group, child_group = self._ensure_group(parent), self._ensure_group(child)
        if child not in parent_group.children:
            parent_group.children.append(child)
            child_group.parents.append(parent)

    def _set_group_vars(self, group: str, label: str, values: dict[str, Any], location: Optional[Location]) -> None:
        """Add inventory-file vars to a group; ``ansible_group_priority`` is taken
        out as the group's priority, as Ansible does (it is not a variable)."""
        target = self._ensure_group(group)
        if "ansible_group_priority" in values:
            values = dict(values)
            raw = values.pop("ansible_group_priority")
            try:
                target.priority = int(raw)
            except (TypeError, ValueError):
                raise InventoryError(
                    f"ansible_group_priority of group '{group}' must be an integer, got {raw!r}", location
                ) from None
        target.inventory_layers.setdefault(label, {}).update(values)

    def _host_layer(self, host: str, label: str) -> dict[str, Any]:
        return self._lookup(host).inventory_layers.setdefault(label, {})

    def _descendants(self, group: str) -> list[str]:
        """The group and every group below it, breadth first (Ansible's host order)."""
        order, seen, frontier = [group], {group}, [group]
        while frontier:
            next_level: list[str] = []
            for name in frontier:
                for child in self.groups[name].children:
                    if child not in seen:
                        seen.add(child)
                        next_level.append(child)
            order.extend(next_level)
            frontier = next_level
        return order

    def _reconcile(self, only: Optional[list[str]] = None) -> None:
        """Apply the rules about ``all`` and ``ungrouped`` after a change.

        ``only`` limits the host part to the hosts a runtime change touched, so
        an ``add_host`` loop over many hosts stays linear.
        """
        for name, group in list(self.groups.items()):
            if name != "all" and not group.parents:
                self._add_child("all", name, None)
        names = list(self.hosts) if only is None else [name for name in only if name in self.hosts]
        leaving: set[str] = set()
        for name in names:
            direct = self._member_of.get(name, [])
            in_ungrouped = "ungrouped" in direct
            elsewhere = any(group not in ("all", "ungrouped") for group in direct)
            if in_ungrouped and elsewhere:
                leaving.add(name)
                direct.remove("ungrouped")
            elif not in_ungrouped and not elsewhere:
                self._join(name, "ungrouped")
        if leaving:
            ungrouped = self.groups["ungrouped"]
            ungrouped.hosts = [name for name in ungrouped.hosts if name not in leaving]
        ancestors: dict[str, frozenset[str]] = {}
        targets = self._all_host_objects() if only is None else [self._lookup(name) for name in only]
        for host in targets:
            groups: set[str] = set()
            for group in self._member_of.get(host.name, []):
                groups |= self._ancestors(group, ancestors)
            groups.discard("all")
            host.groups = sorted(groups)
        self._cache.clear()

    def _ancestors(self, group: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
        found = memo.get(group)
        if found is None:
            names = {group}
            for parent in self.groups[group].parents:
                names |= self._ancestors(parent, memo)
            found = memo[group] = frozenset(names)
        return found

    def _all_host_objects(self) -> list[Host]:
        hosts = list(self.hosts.values())
        if self._implicit is not None:
            hosts.append(self._implicit)
        return hosts

    def _changed(self, hosts: Optional[list[str]] = None, groups: Optional[list[str]] = None) -> None:
        """Reconcile and refresh vars after a change; None means everything."""
        self._reconcile(hosts)
        self._refresh_vars(hosts, groups)

    def _refresh_vars(self, hosts: Optional[list[str]] = None, groups: Optional[list[str]] = None) -> None:
        """Fill Host.vars and Group.vars; this reads the vars files, so their errors show early."""
        host_objects = self._all_host_objects() if hosts is None else [self._lookup(name) for name in hosts]
        for host in host_objects:
            host.vars = _merge(self._host_level_layers(host))
        for name in self.groups if groups is None else groups:
            self.groups[name].vars = _merge(self._group_level_layers(name))
        self._warn_on_name_clashes()

    def _warn_on_name_clashes(self) -> None:
        for name in self.groups.keys() & self.hosts.keys():
            message = f"Found both group and host with same name: {name}"
            if message not in self.warnings:
                self.warnings.append(message)

    # ---- hosts -----------------------------------------------------------

    def _lookup(self, name: str) -> Host:
        host = self.hosts.get(name)
        if host is not None:
            return host
        if self._implicit is not None and self._implicit.name == name:
            return self._implicit
        raise UnknownHostError(f"Unknown host '{name}': it is not in the inventory")

    def _implicit_localhost(self, name: str) -> Host:
        """Ansible's implicit localhost: local connection, this Python, in no group.

        One object serves every localhost spelling, named after the first one asked for.
        """
        if self._implicit is None:
            host = Host(name, implicit=True)
            host.inventory_layers["implicit localhost"] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
            }
            host.vars = _merge(self._host_level_layers(host))
            self._implicit = host
        return self._implicit

    def get_host(self, name: str) -> Host:
        """The host called ``name``; localhost names give the implicit localhost.

        Raises UnknownHostError (an InventoryError and a KeyError) otherwise.
        """
        if name in self.hosts:
            return self.hosts[name]
        if name in LOCALHOST_NAMES:
            return self._implicit_localhost(name)
        return self._lookup(name)

    def __contains__(self, name: object) -> bool:
        return name in self.hosts

    def group_names(self, host: str) -> list[str]:
        """Ansible's ``group_names``: sorted, without ``all`` (``ungrouped`` is kept,
        as Ansible keeps it)."""
        return list(self.get_host(host).groups)

    def groups_map(self) -> dict[str, list[str]]:
        """Ansible's ``groups``: every group -> its host names, in inventory order."""
        return {name: [host.name for host in self._group_hosts(name)] for name in self.groups}

    def _group_hosts(self, group: str) -> list[Host]:
        """Hosts of a group and its descendants, breadth first, each once."""
        key = ("group_hosts", group)
        cached = self._cache.get(key)
        if cached is None:
            cached, seen = [], set()
            for name in self._descendants(group):
                for host_name in self.groups[name].hosts:
                    if host_name not in seen:
                        seen.add(host_name)
                        host = self._lookup(host_name)
                        if not (group == "all" and host.implicit):
                            cached.append(host)
            self._cache[key] = cached
        return cached

    # ---- changes while a playbook runs ------------------------------------

    def add_host(self, name: str, groups: list[str], vars: dict[str, Any]) -> Host:
        """The ``add_host`` action: create or update a host, put it in groups.

        Like Ansible, the host is also listed directly under ``all``, so it
        comes first in ``hosts: all`` from then on, and a ``name:port`` sets
        ``ansible_port``.
        """
        name, port = split_host_port(name)
        self._add_host(name, "all", None)
        host = self.hosts[name]
        for group in groups:
            self._join(name, group)
        layer = host.inventory_layers.setdefault("add_host", {})
        if port is not None:
            layer["ansible_port"] = port
        layer.update(vars)
        self._changed([name], groups)
        return host

    def add_group_membership(self, host: str, group: str) -> None:
        """The ``group_by`` action: put a host (even the implicit localhost) in a group."""
        name = self.get_host(host).name  # raises for an unknown host
        self._join(name, group)
        self._changed([name], [group])

    # ---- variables -------------------------------------------------------

    def _group_level_layers(self, group: str) -> list[VarsLayer]:
        layers = list(self.groups[group].inventory_layers.items())
        for dirs in self._inventory_dirs + self._playbook_dirs:
            layers.extend(dirs.group_vars.layers(group))
        return [layer for layer in layers if layer[1]]

    def _host_level_layers(self, host: Host) -> list[VarsLayer]:
        layers = list(host.inventory_layers.items())
        for dirs in self._inventory_dirs + self._playbook_dirs:
            layers.extend(dirs.host_vars.layers(host.name))
        return [layer for layer in layers if layer[1]]

    def _sorted_groups(self, host: Host) -> list[str]:
        """The host's groups in the order their vars apply: by depth, priority, name."""
        depths: dict[str, int] = {}
        return sorted(host.groups, key=lambda name: (self._depth(name, depths), self.groups[name].priority, name))

    def _depth(self, group: str, memo: dict[str, int]) -> int:
        """Longest distance from ``all``, so a child always sorts after its parents."""
        found = memo.get(group)
        if found is None:
            parents = self.groups[group].parents
            found = memo[group] = 1 + max(self._depth(p, memo) for p in parents) if parents else 0
        return found

    def vars_layers(self, host: str) -> list[VarsLayer]:
        """Every variable layer for a host, lowest precedence first.

        Ansible's order: inventory-file vars of ``all`` < inventory-file vars of
        the host's other groups < inventory ``group_vars/all`` < playbook
        ``group_vars/all`` < inventory ``group_vars/<group>`` < playbook
        ``group_vars/<group>`` < inventory-file host vars (and ``add_host``) <
        inventory ``host_vars/`` < playbook ``host_vars/``. Groups go parents
        first (by depth), then by ``ansible_group_priority``, then by name.
        Merge them in order; the labels say where each value came from.
        Layers are shared: do not modify them.
        """
        host_obj = self.get_host(host)
        key = ("vars_layers", host_obj.name)
        cached = self._cache.get(key)
        if cached is None:
            groups = self._sorted_groups(host_obj)
            layers: list[VarsLayer] = list(self.groups["all"].inventory_layers.items())
            for group in groups:
                layers.extend(self.groups[group].inventory_layers.items())
            for dirs in self._inventory_dirs + self._playbook_dirs:
                layers.extend(dirs.group_vars.layers("all"))
            for dirs in self._inventory_dirs:
                for group in groups:
                    layers.extend(dirs.group_vars.layers(group))
            for dirs in self._playbook_dirs:
                for group in groups:
                    layers.extend(dirs.group_vars.layers(group))
            layers.extend(self._host_level_layers(host_obj))
            cached = self._cache[key] = [layer for layer in layers if layer[1]]
        return list(cached)

    # ---- patterns --------------------------------------------------------

    def select(self, pattern: Union[str, list[str]], limit: Optional[str] = None) -> list[Host]:
        """Hosts matching an Ansible host pattern (and ``--limit``), in inventory order."""
        return self.match_patterns(pattern, limit).hosts

    def match_patterns(self, pattern: Union[str, list[str]], limit: Optional[str] = None) -> HostMatch:
        """Like `select`, and also report the terms that matched nothing.

        ``limit`` is a second pattern the result must also match; ``@file``
        terms in it name a file of host names or patterns, one per line.
        """
        unmatched: list[str] = []
        hosts = self._evaluate(split_patterns(pattern), unmatched)
        if limit is not None:
            allowed = {host.name for host in self._evaluate(self._limit_terms(limit), unmatched)}
            hosts = [host for host in hosts if host.name in allowed]
        return HostMatch(hosts, list(dict.fromkeys(unmatched)))

    @staticmethod
    def _limit_terms(limit: str) -> list[str]:
        terms: list[str] = []
        for term in split_patterns(limit):
            if not term.startswith("@"):
                terms.append(term)
                continue
            path = os.path.expanduser(term[1:])
            try:
                with open(path, encoding="utf-8") as handle:
                    terms.extend(line.strip() for line in handle if line.strip())
            except OSError:
                raise LimitFileMissing(f"Unable to find limit file {path}") from None
        return terms

    def _evaluate(self, terms: list[str], unmatched: list[str]) -> list[Host]:
        """Union the plain terms, then intersect the ``&`` ones, then drop the ``!`` ones."""
        plain = [t for t in terms if t and t[0] not in "&!"]
        intersect = [t[1:] for t in terms if t.startswith("&")]
        exclude = [t[1:] for t in terms if t.startswith("!")]
        result: list[Host] = []
        seen: set[str] = set()
        for term in plain or ["all"]:
            direct = self.hosts.get(term)
            for host in [direct] if direct is not None else self._match_term(term, unmatched):
                if host.name not in seen:
                    seen.add(host.name)
                    result.append(host)
        for term in intersect:
            keep = {host.name for host in self._match_term(term, unmatched)}
            result = [host for host in result if host.name in keep]
        for term in exclude:
            drop = {host.name for host in self._match_term(term, unmatched)}
            result = [host for host in result if host.name not in drop]
        return result

    def _match_term(self, term: str, unmatched: list[str]) -> list[Host]:
        """One term, without &/!: groups first, hosts when no group matched or a glob.

        The list may hold a host twice; a subscript counts those repeats, as
        Ansible's does.
        """
        expr, subscript = _split_subscript(term)
        if not expr:
            return []
        matcher = self._matcher(expr)
        groups = [name for name in self.groups if matcher(name)]
        hosts: list[Host] = []
        for group in groups:
            hosts.extend(self._group_hosts(group))
        if not groups or expr[0] == "~" or any(c in expr for c in (".",) + _GLOB_CHARS):
            hosts.extend(host for name, host in self.hosts.items() if matcher(name))
        if not hosts and expr in LOCALHOST_NAMES:
            hosts.append(self._implicit_localhost(expr))
        if not hosts and not groups and expr != "all":
            unmatched.append(expr)
        return _apply_subscript(hosts, subscript)

    @staticmethod
    def _matcher(expr: str) -> Any:
        """A name test: ``~regex`` (matched at the start), glob, or plain equality."""
        if expr.startswith("~"):
            try:
                regex = re.compile(expr[1:])
            except re.error as exc:
                raise InventoryError(f"Invalid host pattern '{expr}': {exc}") from None
            return lambda name: regex.match(name) is not None
        if any(c in expr for c in _GLOB_CHARS):
            return lambda name: fnmatch.fnmatchcase(name, expr)
        return lambda name: name == expr


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

    def __init__(self, inventory: Inventory, path: str) -> None:
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


class _YamlInventoryReader:
    """Reads Ansible's YAML format: ``group: {hosts:, vars:, children:}``, nested.

    Hosts map to their vars (or nothing); host names may hold ranges and ports.
    A group that is not a mapping is skipped with a warning, as are unknown
    keys in a group; a wrongly typed ``hosts``/``vars``/``children`` is an error.
    """

    def __init__(self, inventory: Inventory, path: str) -> None:
        self.inventory = inventory
        self.path = path
        self.absolute_path = os.path.abspath(path)

    def read(self, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            raise InventoryError(
                f"A YAML inventory must map group names (all:, webservers:, ...) to their hosts, "
                f"vars and children; this file holds {_kind(data)}",
                self._where(data),
            )
        for name, body in data.items():
            self._group(str(name), body, key_location(data, name, self.path))

    def _where(self, node: Any) -> Location:
        location = node_location(node, self.path)
        return location if location.line else Location(self.path, 1)

    def _group(self, name: str, body: Any, location: Location) -> Optional[str]:
        if body is not None and not isinstance(body, dict):
            self.inventory.warnings.append(
                f"Skipping '{name}' as this is not a valid group definition ({location})"
            )
            return None
        self.inventory._ensure_group(name)
        for key, value in (body or {}).items():
            key_where = key_location(body, key, self.path)
            if key not in _GROUP_SECTIONS:
                self.inventory.warnings.append(
                    f"Skipping unexpected key ({key}) in group ({name}), only \"vars\", \"children\" and "
                    f"\"hosts\" are valid ({key_where})"
                )
                continue
            if isinstance(value, str) and key != "vars":
                value = {value: None}  # "hosts: web1" is one host, as in Ansible
            if value is None:
                continue
            if not isinstance(value, dict):
                raise InventoryError(
                    f'Invalid "{key}" entry for "{name}" group, requires a mapping, found {_kind(value)} instead.',
                    key_where,
                )
            if key == "vars":
                label = f"inventory {self.path}: group {name} vars"
                self.inventory._set_group_vars(name, label, to_plain(value, self.path), key_where)
            elif key == "children":
                for child, child_body in value.items():
                    child_where = key_location(value, child, self.path)
                    child_name = self._group(str(child), child_body, child_where)
                    if child_name is not None:
                        self.inventory._add_child(name, child_name, child_where)
            else:
                for entry, host_vars in value.items():
                    self._hosts(name, str(entry), host_vars, key_location(value, entry, self.path))
        return name

    def _hosts(self, group: str, entry: str, host_vars: Any, location: Location) -> None:
        if host_vars is not None and not isinstance(host_vars, dict):
            raise InventoryError(
                f"Invalid entry for host '{entry}' in group '{group}': expected a mapping of variables "
                f"or nothing, found {_kind(host_vars)}",
                location,
            )
        names, port = _expand_host_entry(entry, location)
        for name in names:
            values = to_plain(host_vars or {}, self.path)
            self.inventory._add_new_host_vars(name, group, self.path, self.absolute_path, port, values)
