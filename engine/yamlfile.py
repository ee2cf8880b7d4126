"""Read YAML files the way Ansible does (YAML 1.1 booleans) while keeping file:line.

ruamel.yaml's round-trip loader remembers the line and column of every mapping
key, which is what lets every later error point at the user's line. Values are
handed on as plain Python types so nothing downstream sees ruamel classes.
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

from .errors import Location, ParseError

warnings.filterwarnings("ignore", module="ruamel")


class UnsafeText(str):
    """A string tagged `!unsafe`: used as is, never templated."""

    __slots__ = ()


class _AnsibleResolver(VersionedResolver):
    """YAML 1.1 as PyYAML reads it: yes/no/on/off/true/false are booleans, but y/n stay strings."""

    @property
    def versioned_resolver(self) -> Any:
        version = self.processing_version
        if version not in self._version_implicit_resolver:
            for versions, tag, regexp, first in implicit_resolvers:
                if version not in versions:
                    continue
                if tag == "tag:yaml.org,2002:bool" and version == (1, 1):
                    regexp = _BOOL_1_1
                    first = list("yYnNtTfFoO")
                self.add_version_implicit_resolver(version, tag, regexp, first)
        return self._version_implicit_resolver[version]


_BOOL_1_1 = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")


def _new_parser() -> YAML:
    parser = YAML(typ="rt")
    parser.Resolver = _AnsibleResolver
    parser.version = (1, 1)  # Ansible reads YAML 1.1: yes/no/on/off are booleans
    parser.allow_duplicate_keys = True  # Ansible warns and keeps the last one
    return parser


def load_yaml_text(text: str, path: str) -> Any:
    """Parse YAML text; syntax errors become a ParseError at the right line."""
    try:
        return _new_parser().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "\t" in (text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""):
            hint = " (a tab character is used for indentation; YAML allows only spaces)"
        raise ParseError(f"Syntax Error while loading YAML: {problem}{hint}", Location(path, line, column)) from None
    except YAMLError as exc:
        raise ParseError(f"Syntax Error while loading YAML: {exc}", Location(path)) from None


def load_yaml_file(path: str) -> Any:
    """Read and parse one YAML file; a missing file is a ParseError naming it."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ParseError(f"Unable to retrieve file contents: could not find or access '{path}'") from None
    except OSError as exc:
        raise ParseError(f"Unable to read '{path}': {exc.strerror}") from None
    return load_yaml_text(text, path)


def _mapping_position(mapping: Any, key: Any, part: str) -> Optional[tuple[int, int]]:
    """ruamel's remembered (line, column) of a key or of its value, 1-based; None if unknown."""
    if isinstance(mapping, CommentedMap):
        try:
            line, column = getattr(mapping.lc, part)(key)
            return line + 1, column + 1
        except (KeyError, TypeError, AttributeError):
            return None
    return None


def key_location(mapping: Any, key: Any, path: str) -> Location:
    """Line and column of `key` inside a loaded mapping."""
    position = _mapping_position(mapping, key, "key")
    return Location(path, *position) if position else node_location(mapping, path)


def value_location(mapping: Any, key: Any, path: str) -> Location:
    """Line and column where the value of `key` starts."""
    position = _mapping_position(mapping, key, "value")
    return Location(path, *position) if position else key_location(mapping, key, path)


def node_location(node: Any, path: str) -> Location:
    """Line and column where a mapping or sequence starts."""
    if isinstance(node, (CommentedMap, CommentedSeq)):
        try:
            return Location(path, node.lc.line + 1, node.lc.col + 1)
        except (AttributeError, TypeError):
            pass
    return Location(path)


def item_location(seq: Any, index: int, path: str) -> Location:
    if isinstance(seq, CommentedSeq):
        try:
            line, column = seq.lc.item(index)
            return Location(path, line + 1, column + 1)
        except (KeyError, TypeError, AttributeError, IndexError):
            pass
    return node_location(seq, path)


def to_plain(value: Any, path: str = "<yaml>") -> Any:
    """Deep-convert ruamel containers and scalars to plain Python types."""
    if isinstance(value, dict):
        return {to_plain(k, path): to_plain(v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v, path) for v in value]
    if isinstance(value, TaggedScalar):
        tag = str(value.tag.value if hasattr(value.tag, "value") else value.tag)
        if tag == "!unsafe":
            return UnsafeText(value.value)
        if tag == "!vault":
            raise ParseError("miniplay does not support Ansible Vault (!vault values)", Location(path))
        return value.value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
