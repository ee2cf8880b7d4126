"""Ansible's builtin Jinja2 filters, written for miniplay.

How this works
--------------
`FILTERS` maps a filter name (and its `ansible.builtin.` alias) to a plain
Python function; the templating layer does `env.filters.update(FILTERS)`.
Filters that Jinja2 already has with Ansible's behaviour (`default`/`d`,
`int`, `float`, `batch`, `min`, `max`, `map`, `list`, ...) are left to Jinja.

Every filter is wrapped by `_plugin()`, which does two things Ansible does for
every plugin call:

* a plugin given an undefined argument is not called: that `Undefined` is its
  result, so `'k' | extract(missing) | default('a')` is `a` and any other use fails
  with Jinja's own "'missing' is undefined" (only `mandatory` and the
  defined/undefined tests see the `Undefined` itself), as in Ansible 2.19, and
* any other failure becomes a `PluginFailed` (a `TemplateError`) carrying the
  plugin's kind and name, so the caller can print Ansible's
  "The filter plugin 'ansible.builtin.NAME' failed: MESSAGE" around it.

Results are plain Python values (lists, dicts, str), never generators, because
Ansible 2.19 hands back lists for `zip`, `product` and friends.

YAML output imitates PyYAML's emitter, which Ansible uses, on top of
ruamel.yaml: see `_PyYamlEmitter` for the three places where they differ.
"""
from __future__ import annotations

import base64
import datetime
import functools
import glob
import hashlib
import io
import itertools
import json
import math
import os.path
import random as _random
import re
import shlex
import time
import uuid
from collections.abc import Mapping, Sequence, Set
from typing import Any, Callable, Iterable, Optional
from urllib.parse import unquote_plus, urlsplit as _urlsplit

from jinja2 import Environment, Undefined, pass_environment
from jinja2.exceptions import TemplateError as JinjaTemplateError
from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter, Indents
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import BaseResolver
from ruamel.yaml.util import RegExp

from ...core.errors import MiniplayError, TemplateError
from ..crypt.scheme import crypt_hash

__all__ = ["FILTERS", "PluginFailed", "is_list_like", "plugin", "require_defined", "to_bool_loose", "user_message"]


# ---------------------------------------------------------------------------
# Plugin plumbing shared with jinja_tests.py and lookups.py
# ---------------------------------------------------------------------------


class PluginFailed(TemplateError):
    """A filter, test or lookup failed; remembers which one, as Ansible reports it."""

    def __init__(self, message: str, kind: str, name: str) -> None:
        super().__init__(message)
        self.plugin_kind = kind
        self.plugin_name = name

    @property
    def full_message(self) -> str:
        """Ansible 2.19's wording: "The filter plugin 'ansible.builtin.x' failed: ..."."""
        return f"The {self.plugin_kind} plugin '{self.plugin_name}' failed: {self.message}"


def user_message(exc: MiniplayError) -> str:
    """What the user reads for a template failure: a plugin's own failure names the plugin."""
    return exc.full_message if isinstance(exc, PluginFailed) else exc.message


def require_defined(value: Any) -> None:
    """Raise Jinja's own undefined error for an `Undefined` value (as Ansible does)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


def _first_undefined(args: tuple, kwargs: dict) -> Optional[Undefined]:
    for value in itertools.chain(args, kwargs.values()):
        if isinstance(value, Undefined):
            return value
    return None


def plugin(kind: str, name: str, *, allow_undefined: bool = False) -> Callable[[Callable], Callable]:
    """Wrap a filter/test so it fails like an Ansible plugin (see module docstring).

    Errors that come from elsewhere (Jinja's undefined errors, a lazy variable
    failing to render while the filter reads it) pass through untouched.
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            if not allow_undefined:
                undefined = _first_undefined(args, kwargs)
                if undefined is not None:  # not called: the undefined value is the result (Ansible 2.19)
                    return undefined
            try:
                return fn(*args, **kwargs)
            except (JinjaTemplateError, PluginFailed):
                raise
            except MiniplayError as exc:
                if type(exc) is TemplateError:  # raised by the plugin itself
                    raise PluginFailed(exc.message, kind, name) from exc
                raise
            except Exception as exc:  # Ansible reports any plugin crash the same way
                raise PluginFailed(str(exc), kind, name) from exc

        return call

    return decorate


FilterFn = Callable[..., Any]
FILTERS: dict[str, FilterFn] = {}


def _filter(name: str, *aliases: str, allow_undefined: bool = False) -> Callable[[FilterFn], FilterFn]:
    """Register a filter under its name, its aliases and their `ansible.builtin.` forms."""

    def register(fn: FilterFn) -> FilterFn:
        wrapped = plugin("filter", f"ansible.builtin.{name}", allow_undefined=allow_undefined)(fn)
        for alias in (name, *aliases):
            FILTERS[alias] = wrapped
            FILTERS[f"ansible.builtin.{alias}"] = wrapped
        return wrapped

    return register


def is_list_like(value: Any) -> bool:
    """A sequence that is not text: what Ansible treats as a list."""
    return isinstance(value, (Sequence, Set)) and not isinstance(value, (str, bytes, bytearray))


def _type_name(value: Any) -> str:
    """The name a user knows: every mapping is a 'dict', every sequence a 'list'."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return "dict"
    if is_list_like(value) and not isinstance(value, list):
        return "list"
    return type(value).__name__


def _plain(value: Any) -> Any:
    """Deep copy into builtin types so json/yaml can write it; fails on Undefined."""
    require_defined(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if is_list_like(value):
        return [_plain(item) for item in value]
    return value


# ---------------------------------------------------------------------------
# Booleans and types
# ---------------------------------------------------------------------------

_BOOL_FILTER_TRUE = frozenset({"yes", "on", "true", "1"})


@_filter("bool")
def to_bool(value: Any) -> bool:
    """Ansible 2.19's `bool`: yes/on/true/1 are true; anything unrecognised is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in _BOOL_FILTER_TRUE
    if isinstance(value, (int, float)):
        return value == 1
    return False


_LOOSE_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
_LOOSE_FALSE = frozenset({"n", "no", "off", "0", "false", "f"})


def to_bool_loose(value: Any) -> Any:
    """Ansible's non-strict boolean(): a recognised word becomes a bool, else unchanged.

    Used by `truthy(convert_bool=true)`, where 'y' and 't' count as true.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _LOOSE_TRUE:
            return True
        if lowered in _LOOSE_FALSE:
            return False
    elif isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return value


@_filter("type_debug")
def type_debug(value: Any) -> str:
    """The Python type name, with miniplay's lazy containers shown as dict/list."""
    return _type_name(value)


@_filter("ternary")
def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    """Pick by truthiness; a None value picks `none_val` when one is given."""
    if value is None and none_val is not None:
        return none_val
    return true_val if value else false_val


@_filter("mandatory", allow_undefined=True)
def mandatory(value: Any, msg: Optional[str] = None) -> Any:
    """Fail the template when the value is undefined, naming the variable."""
    if not isinstance(value, Undefined):
        return value
    if msg is not None:
        raise TemplateError(str(msg))
    name = getattr(value, "_undefined_name", None)
    if name is None:
        raise TemplateError("Mandatory variable not defined.")
    raise TemplateError(f"Mandatory variable '{name}' not defined.")


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def _json_key(key: Any) -> Any:
    """Turn keys into strings the way json would, so sort_keys works on mixed keys."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    return key


def _json_ready(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, dict):
        return {_json_key(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    """Values json cannot write: dates as ISO text, like Ansible's encoder."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@_filter("to_json")
def to_json(value: Any, *args: Any, **kwargs: Any) -> str:
    """Compact JSON, ASCII-escaped, keys in their original order."""
    kwargs.setdefault("default", _json_default)
    return json.dumps(_json_ready(value), *args, **kwargs)


@_filter("to_nice_json")
def to_nice_json(value: Any, indent: int = 4, sort_keys: bool = True, *args: Any, **kwargs: Any) -> str:
    """Indented JSON with sorted keys, for humans."""
    kwargs.setdefault("default", _json_default)
    kwargs.setdefault("separators", (",", ": "))
    return json.dumps(_json_ready(value), *args, indent=indent, sort_keys=sort_keys, **kwargs)


@_filter("from_json")
def from_json(value: Any, *args: Any, **kwargs: Any) -> Any:
    """Parse JSON text."""
    return json.loads(value, *args, **kwargs)


# ---------------------------------------------------------------------------
# YAML: ruamel.yaml made to read and write like PyYAML (which Ansible uses)
# ---------------------------------------------------------------------------

# YAML 1.1 implicit types as PyYAML knows them: unlike ruamel's 1.1 rules, 'y'
# and 'n' stay strings, and a float needs a dot ('1e3' is a string).
_YAML11_RESOLVERS = (
    ("tag:yaml.org,2002:bool",
     r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
     list("yYnNtTfFoO")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
     r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
     r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("tag:yaml.org,2002:int",
     r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
     r"|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp",
     r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
     r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
     r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
     r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
     list("0123456789")),
    ("tag:yaml.org,2002:value", r"^(?:=)$", ["="]),
)


class _Yaml11Resolver(BaseResolver):
    """Resolves plain scalars with PyYAML's YAML 1.1 rules, for reading and writing."""

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loader if loader is not None else loadumper)

    @property
    def processing_version(self) -> Any:
        return (1, 1)  # makes the constructor read 017 as octal and 1:20 as base 60


for _tag, _pattern, _first in _YAML11_RESOLVERS:
    _Yaml11Resolver.add_implicit_resolver_base(_tag, RegExp(_pattern), _first)


class _PyYamlIndents(Indents):
    """No extra spaces before a flow collection that is a block sequence item."""

    def seq_flow_align(self, seq_indent: int, column: int, pre_comment: Optional[bool] = False) -> int:
        return 0


class _PyYamlEmitter(Emitter):
    """ruamel's emitter, put back to PyYAML's layout where the two differ.

    1. Indentation: every nested level adds the same step (ruamel indents a
       top-level flow collection by its own `requested_indent`).
    2. Scalars in a block sequence follow the dash (`- x`, not `-   x`).
    3. Scalar style: quotes or newlines do not force double quotes, and plain
       text wraps only once a line is *past* the width.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indents = _PyYamlIndents()

    def increase_indent(self, flow: bool = False, sequence: Any = None, indentless: bool = False) -> None:
        self.indents.append(self.indent, sequence)
        if self.indent is None:
            self.indent = self.best_map_indent if flow else 0
        elif not indentless:
            self.indent += self.best_map_indent

    def process_scalar(self) -> None:
        in_sequence = self.sequence_context
        self.sequence_context = False  # ruamel would pad the item to the sequence indent
        try:
            super().process_scalar()
        finally:
            self.sequence_context = in_sequence

    def choose_scalar_style(self) -> Any:
        event = self.event
        if self.analysis is None:
            self.analysis = self.analyze_scalar(event.value)
        analysis = self.analysis
        if event.style == '"' or self.canonical:
            return '"'
        if not event.style and event.implicit[0]:
            awkward_key = self.simple_key_context and (analysis.empty or analysis.multiline)
            plain_ok = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
            if not awkward_key and plain_ok:
                return ""
        if event.style and event.style in "|>":
            if not self.flow_level and not self.simple_key_context and analysis.allow_block:
                return event.style
        if not event.style or event.style == "'":
            if analysis.allow_single_quoted and not (self.simple_key_context and analysis.multiline):
                return "'"
        return '"'

    def write_plain(self, text: Any, split: Any = True) -> None:
        if self.root_context:
            self.open_ended = True
        if not text:
            return
        if not self.whitespace:
            self._write_raw(" ")
        self.whitespace = False
        self.indention = False
        breaks_chars = "\n\x85\u2028\u2029"
        spaces = breaks = False
        start = end = 0
        while end <= len(text):
            char = text[end] if end < len(text) else None
            if spaces:
                if char != " ":
                    if start + 1 == end and self.column > self.best_width and split:
                        self.write_indent()
                        self.whitespace = False
                        self.indention = False
                    else:
                        self._write_raw(text[start:end])
                    start = end
            elif breaks:
                if char is None or char not in breaks_chars:
                    if text[start] == "\n":
                        self.write_line_break()
                    for line_break in text[start:end]:
                        self.write_line_break(None if line_break == "\n" else line_break)
                    self.write_indent()
                    self.whitespace = False
                    self.indention = False
                    start = end
            elif char is None or char in " " + breaks_chars:
                self._write_raw(text[start:end])
                start = end
            if char is not None:
                spaces = char == " "
                breaks = char in breaks_chars
            end += 1

    def _write_raw(self, data: str) -> None:
        self.column += len(data)
        self.stream.write(data.encode(self.encoding) if self.encoding else data)


class _PyYamlRepresenter(SafeRepresenter):
    """Floats written as YAML 1.1 needs them: 1e+20 becomes 1.0e+20."""

    def represent_float(self, data: Any) -> Any:
        node = super().represent_float(data)
        if "." not in node.value and "e" in node.value:
            node.value = node.value.replace("e", ".0e", 1)
        return node


_PyYamlRepresenter.add_representer(float, _PyYamlRepresenter.represent_float)

_YAML_DUMP_OPTIONS = frozenset(
    {"indent", "width", "default_flow_style", "sort_keys", "explicit_start", "explicit_end", "allow_unicode"}
)


def _dump_yaml(value: Any, *, indent: int = 2, default_flow_style: Optional[bool] = None,
               **options: Any) -> str:
    unknown = sorted(set(options) - _YAML_DUMP_OPTIONS)
    if unknown:
        raise TemplateError(f"unsupported YAML option(s): {', '.join(unknown)}")
    writer = YAML(typ="safe", pure=True)
    writer.Resolver = _Yaml11Resolver
    writer.Emitter = _PyYamlEmitter
    writer.Representer = _PyYamlRepresenter
    writer.default_flow_style = default_flow_style
    writer.allow_unicode = bool(options.get("allow_unicode", True))
    writer.width = int(options.get("width", 80))
    writer.explicit_start = bool(options.get("explicit_start", False))
    writer.explicit_end = bool(options.get("explicit_end", False))
    writer.indent(mapping=int(indent), sequence=int(indent), offset=0)
    writer.representer.sort_base_mapping_type_on_output = bool(options.get("sort_keys", True))
    stream = io.StringIO()
    writer.dump(_plain(value), stream)
    text = stream.getvalue()
    if text.endswith("\n...\n") and not writer.explicit_end:
        text = text[: -len("...\n")]  # Ansible's output has no end marker after a bare scalar
    return text


@_filter("to_yaml")
def to_yaml(value: Any, **options: Any) -> str:
    """YAML with sorted keys; innermost collections in flow style ({a: 1})."""
    return _dump_yaml(value, **options)


@_filter("to_nice_yaml")
def to_nice_yaml(value: Any, indent: int = 4, **options: Any) -> str:
    """Block-style YAML indented by 4, with sorted keys."""
    options.setdefault("default_flow_style", False)
    return _dump_yaml(value, indent=indent, **options)


def _yaml_reader() -> YAML:
    reader = YAML(typ="safe", pure=True)
    reader.Resolver = _Yaml11Resolver
    reader.allow_duplicate_keys = True  # the last one wins, as with PyYAML
    return reader


def _yaml_error_text(exc: YAMLError) -> str:
    """PyYAML-style text: what went wrong and where, without ruamel's source excerpt."""
    if not isinstance(exc, MarkedYAMLError):
        return str(exc)
    lines = []
    for text, mark in ((exc.context, exc.context_mark), (exc.problem, exc.problem_mark)):
        if text:
            lines.append(text)
        if mark is not None:
            lines.append(f'  in "<unicode string>", line {mark.line + 1}, column {mark.column + 1}')
    return "\n".join(lines) or str(exc)


@_filter("from_yaml")
def from_yaml(value: Any) -> Any:
    """Parse YAML 1.1 text (yes/no are booleans); non-text is returned as it is."""
    if not isinstance(value, str):
        return value
    try:
        return _yaml_reader().load(value)
    except YAMLError as exc:
        raise TemplateError(_yaml_error_text(exc)) from None


@_filter("from_yaml_all")
def from_yaml_all(value: Any) -> Any:
    """Parse every document of a YAML stream into a list."""
    if not isinstance(value, str):
        return value
    try:
        return list(_yaml_reader().load_all(value))
    except YAMLError as exc:
        raise TemplateError(_yaml_error_text(exc)) from None


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


@_filter("regex_search")
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


@_filter("regex_replace")
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


@_filter("regex_findall")
def regex_findall(value: Any, regex: str, multiline: bool = False, ignorecase: bool = False) -> list:
    """All matches; with several groups each match is a list of the groups."""
    found = re.findall(regex, str(value), _regex_flags(ignorecase, multiline))
    return [list(item) if isinstance(item, tuple) else item for item in found]


_POSIX_BASIC_SPECIAL = re.compile(r"([\[\].^$*\\])")


@_filter("regex_escape")
def regex_escape(value: Any, re_type: str = "python") -> str:
    """Escape text for use in a Python (or POSIX basic) regular expression."""
    text = str(value)
    if re_type == "python":
        return re.escape(text)
    if re_type == "posix_basic":
        return _POSIX_BASIC_SPECIAL.sub(r"\\\1", text)
    if re_type == "posix_extended":
        raise TemplateError("Regex type (posix_extended) not yet implemented")
    raise TemplateError("Invalid regex type (%s)" % re_type)


# ---------------------------------------------------------------------------
# Dictionaries and lists
# ---------------------------------------------------------------------------

_LIST_MERGE_MODES = ("replace", "keep", "append", "prepend", "append_rp", "prepend_rp")


def _merge_lists(low: list, high: list, mode: str) -> list:
    if mode == "replace":
        return high
    if mode == "keep":
        return low
    if mode == "append":
        return low + high
    if mode == "prepend":
        return high + low
    kept = [item for item in low if item not in high]  # the *_rp modes drop repeats from low
    return kept + high if mode == "append_rp" else high + kept


def _merge_dicts(low: Any, high: Any, recursive: bool, list_merge: str) -> dict:
    """Merge `high` over `low` (both mappings) without touching either."""
    if not isinstance(low, Mapping) or not isinstance(high, Mapping):
        raise TemplateError(
            "failed to combine variables, expected dicts but got "
            f"a '{_type_name(low)}' and a '{_type_name(high)}'."
        )
    merged = dict(low)
    for key, high_value in high.items():
        low_value = merged.get(key)
        if key not in merged:
            merged[key] = high_value
        elif isinstance(low_value, Mapping) and isinstance(high_value, Mapping):
            merged[key] = _merge_dicts(low_value, high_value, recursive, list_merge) if recursive else high_value
        elif is_list_like(low_value) and is_list_like(high_value):
            merged[key] = _merge_lists(list(low_value), list(high_value), list_merge)
        else:
            merged[key] = high_value
    return merged


@_filter("combine")
def combine(*terms: Any, **kwargs: Any) -> Any:
    """Merge dicts left to right (later wins); lists of dicts are accepted too."""
    recursive = bool(kwargs.pop("recursive", False))
    list_merge = kwargs.pop("list_merge", "replace")
    if kwargs:
        raise TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments")
    if list_merge not in _LIST_MERGE_MODES:
        raise TemplateError(
            "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', "
            "'append', 'prepend', 'append_rp' or 'prepend_rp'"
        )
    dicts = _flatten(terms, levels=1, skip_nulls=False)
    if not dicts:
        return {}
    if len(dicts) == 1:
        return dicts[0]
    # Merged from the highest priority down, so errors name the types as Ansible does.
    result = dicts[-1]
    for lower in reversed(dicts[:-1]):
        result = _merge_dicts(lower, result, recursive, list_merge)
    return result


@_filter("dict2items")
def dict2items(value: Any, key_name: str = "key", value_name: str = "value") -> list:
    """{'a': 1} -> [{'key': 'a', 'value': 1}], in the dict's order."""
    if not isinstance(value, Mapping):
        raise TemplateError(f"dict2items requires a dictionary, got {type(value)} instead.")
    return [{key_name: key, value_name: item} for key, item in value.items()]


@_filter("items2dict")
def items2dict(value: Any, key_name: str = "key", value_name: str = "value") -> dict:
    """The reverse of dict2items."""
    if not is_list_like(value):
        raise TemplateError(f"items2dict requires a list, got {type(value)} instead.")
    if not all(isinstance(item, Mapping) for item in value):
        raise TemplateError(f"items2dict requires a list of dictionaries, got {value!r} instead.")
    try:
        return {item[key_name]: item[value_name] for item in value}
    except KeyError:
        raise TemplateError(
            f"items2dict requires each dictionary in the list to contain the keys "
            f"'{key_name}' and '{value_name}', got {value!r} instead."
        ) from None


_NULLS = (None, "None", "null")


def _is_null(item: Any) -> bool:
    return item is None or (isinstance(item, str) and item in _NULLS)


def _flatten(items: Iterable, levels: Optional[int], skip_nulls: bool) -> list:
    flat: list = []
    for item in items:
        if skip_nulls and _is_null(item):
            continue
        if is_list_like(item) and (levels is None or levels >= 1):
            flat.extend(_flatten(item, None if levels is None else levels - 1, skip_nulls))
        else:
            flat.append(item)
    return flat


@_filter("flatten")
def flatten(value: Any, levels: Optional[int] = None, skip_nulls: bool = True) -> list:
    """Flatten nested lists (all the way, or `levels` deep); drops None/'None'/'null'."""
    return _flatten(value, None if levels is None else int(levels), bool(skip_nulls))


def _lookup_attribute(environment: Environment, item: Any, attribute: Any) -> Any:
    """Jinja's `attribute=` rule: dotted path, digits as list indexes."""
    if not isinstance(attribute, str):
        return environment.getitem(item, attribute)
    for part in attribute.split("."):
        item = environment.getitem(item, int(part) if part.isdigit() else part)
    return item


def _unique(items: Iterable, key: Callable[[Any], Any] = lambda item: item) -> list:
    """Order-kept de-duplication that also copes with unhashable items."""
    seen: set = set()
    seen_unhashable: list = []
    kept: list = []
    for item in items:
        marker = key(item)
        try:
            if marker in seen:
                continue
            seen.add(marker)
        except TypeError:
            if marker in seen_unhashable:
                continue
            seen_unhashable.append(marker)
        kept.append(item)
    return kept


@_filter("unique")
@pass_environment
def unique(environment: Environment, value: Any, case_sensitive: Optional[bool] = None,
           attribute: Any = None) -> list:
    """Drop repeats, keeping order; like Jinja, text compares case-insensitively by default."""

    def marker(item: Any) -> Any:
        if attribute is not None:
            item = _lookup_attribute(environment, item, attribute)
        if not case_sensitive and isinstance(item, str):
            return item.lower()
        return item

    return _unique(value, marker)


@_filter("union")
def union(first: Any, second: Any) -> list:
    """Items of both lists, once each, in order of appearance."""
    return _unique(itertools.chain(first, second))


@_filter("intersect")
def intersect(first: Any, second: Any) -> list:
    """Items of the first list that are also in the second, once each."""
    others = list(second)
    return [item for item in _unique(first) if item in others]


@_filter("difference")
def difference(first: Any, second: Any) -> list:
    """Items of the first list that are not in the second, once each."""
    others = list(second)
    return [item for item in _unique(first) if item not in others]


@_filter("symmetric_difference")
def symmetric_difference(first: Any, second: Any) -> list:
    """Items in exactly one of the lists."""
    first, second = list(first), list(second)
    common = [item for item in _unique(first) if item in second]
    return [item for item in _unique(first + second) if item not in common]


@_filter("zip")
def zip_lists(*lists: Any) -> list:
    """Pair up items; stops at the shortest list."""
    return [list(group) for group in zip(*lists)]


@_filter("zip_longest")
def zip_longest(*lists: Any, fillvalue: Any = None) -> list:
    """Pair up items; short lists are padded with `fillvalue`."""
    return [list(group) for group in itertools.zip_longest(*lists, fillvalue=fillvalue)]


@_filter("product")
def product(*lists: Any, repeat: int = 1) -> list:
    """Cartesian product of the lists."""
    return [list(group) for group in itertools.product(*lists, repeat=int(repeat))]


@_filter("permutations")
def permutations(value: Any, r: Optional[int] = None) -> list:
    """All orderings (of length r)."""
    return [list(group) for group in itertools.permutations(value, None if r is None else int(r))]


@_filter("combinations")
def combinations(value: Any, r: int) -> list:
    """All r-long selections, in input order."""
    return [list(group) for group in itertools.combinations(value, int(r))]


@_filter("subelements")
def subelements(value: Any, subelement: Any, skip_missing: bool = False) -> list:
    """[parent, child] for every child in each parent's list at `subelement` (a.b path)."""
    if isinstance(value, Mapping):
        parents = list(value.values())
    elif is_list_like(value):
        parents = list(value)
    else:
        raise TemplateError("obj must be a list of dicts or a nested dict")
    if isinstance(subelement, str):
        path = subelement.split(".")
    elif is_list_like(subelement):
        path = list(subelement)
    else:
        raise TemplateError("subelements must be a list or a string")
    pairs = []
    for parent in parents:
        children = _walk_subelement(parent, path, subelement, skip_missing)
        pairs.extend([parent, child] for child in children)
    return pairs


def _walk_subelement(parent: Any, path: list, subelement: Any, skip_missing: bool) -> Any:
    children = parent
    for key in path:
        if not isinstance(children, Mapping):
            raise TemplateError(f"the key {key} should point to a dictionary, got '{children}'")
        if key not in children:
            if skip_missing:
                return []
            raise TemplateError(f"could not find {key!r} key in iterated item {parent!r}")
        children = children[key]
    if not is_list_like(children):
        raise TemplateError(f"the key {subelement!r} should point to a list, got {children!r}")
    return children


@_filter("extract")
@pass_environment
def extract(environment: Environment, item: Any, container: Any, morekeys: Any = None) -> Any:
    """container[item], then further keys; used as map('extract', container)."""
    value = environment.getitem(container, item)
    if morekeys is None:
        return value
    for key in morekeys if is_list_like(morekeys) else [morekeys]:
        value = environment.getitem(value, key)
    return value


@_filter("split")
def split(value: str, separator: Optional[str] = None, maxsplit: int = -1) -> list:
    """Python's str.split."""
    return str.split(value, separator, maxsplit)


@_filter("random")
def random_pick(value: Any, start: Optional[int] = None, step: Optional[int] = None,
                seed: Any = None) -> Any:
    """A random int below `value` (from start, by step) or a random element."""
    generator = _random.Random(seed) if seed is not None else _random.SystemRandom()
    if isinstance(value, int) and not isinstance(value, bool):
        return generator.randrange(start or 0, value, step or 1)
    if hasattr(value, "__iter__"):
        return generator.choice(list(value) if not isinstance(value, Sequence) else value)
    raise TemplateError("random can only be used on sequences and integers")


@_filter("shuffle")
def shuffle(value: Any, seed: Any = None) -> Any:
    """A shuffled copy of the list (anything else comes back unchanged)."""
    try:
        items = list(value)
    except TypeError:
        return value
    generator = _random.Random(seed) if seed is not None else _random.SystemRandom()
    generator.shuffle(items)
    return items


# ---------------------------------------------------------------------------
# Paths and URLs
# ---------------------------------------------------------------------------


@_filter("basename")
def basename(path: str) -> str:
    """Last path component ('' for a path ending in /)."""
    return os.path.basename(path)


@_filter("dirname")
def dirname(path: str) -> str:
    """Everything but the last path component."""
    return os.path.dirname(path)


@_filter("expanduser")
def expanduser(path: str) -> str:
    """~ expanded on the controller."""
    return os.path.expanduser(path)


@_filter("expandvars")
def expandvars(path: str) -> str:
    """$VAR expanded from the controller's environment."""
    return os.path.expandvars(path)


@_filter("realpath")
def realpath(path: str) -> str:
    """Canonical path on the controller, symlinks resolved."""
    return os.path.realpath(path)


@_filter("relpath")
def relpath(path: str, start: str = os.curdir) -> str:
    """Path relative to `start`."""
    return os.path.relpath(path, start)


@_filter("normpath")
def normpath(path: str) -> str:
    """Collapse a/./b and a/x/../b."""
    return os.path.normpath(path)


@_filter("commonpath")
def commonpath(paths: Any) -> str:
    """Longest common leading path of a list of paths."""
    if not is_list_like(paths):
        raise TemplateError(f"|commonpath expects sequence, got {type(paths)} instead.")
    return os.path.commonpath(list(paths))


@_filter("splitext")
def splitext(path: str) -> list:
    """[root, extension]."""
    return list(os.path.splitext(path))


@_filter("path_join")
def path_join(paths: Any) -> str:
    """os.path.join of a list (a later absolute part restarts the path)."""
    if isinstance(paths, str):
        return os.path.join(paths)
    if is_list_like(paths):
        return os.path.join(*paths)
    raise TemplateError(f"|path_join expects string or sequence, got {type(paths)} instead.")


@_filter("fileglob")
def fileglob(pattern: str) -> list:
    """Files (not directories) on the controller matching a glob."""
    return [path for path in sorted(glob.glob(pattern)) if os.path.isfile(path)]


_URL_PARTS = ("fragment", "hostname", "netloc", "password", "path", "port", "query", "scheme", "username")


@_filter("urlsplit")
def urlsplit(value: str, query: str = "") -> Any:
    """A URL's parts as a dict, or one part by name."""
    parts = _urlsplit(value)
    fields = {name: getattr(parts, name) for name in _URL_PARTS}
    if not query:
        return fields
    if query not in fields:
        raise TemplateError(f"urlsplit: unknown URL component: {query}")
    return fields[query]


@_filter("urldecode")
def urldecode(value: str) -> str:
    """Undo URL encoding (+ becomes a space)."""
    return unquote_plus(value)


@_filter("quote")
def quote(value: Any) -> str:
    """Quote for a POSIX shell; None quotes as ''."""
    return shlex.quote("" if value is None else str(value))


# Each style's opening line, decoration before every line of text, and closing line.
COMMENT_STYLES: dict[str, dict[str, str]] = {
    "plain": {"decoration": "# "},
    "erlang": {"decoration": "% "},
    "c": {"decoration": "// "},
    "cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
    "xml": {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}


@_filter("comment")
def comment(value: Any, style: str = "plain", **options: Any) -> str:
    """Text as a comment block for a config file: `{{ ansible_managed | comment }}`.

    Options as Ansible names them: decoration, beginning, end, prefix/prefix_count (lines
    above the text, default the bare decoration), postfix/postfix_count (below), newline."""
    if style not in COMMENT_STYLES:
        raise TemplateError(f"Invalid style '{style}'.")
    settings = {"beginning": "", "end": "", "newline": "\n", "prefix_count": 1, "postfix_count": 1,
                **COMMENT_STYLES[style], **options}
    decoration, newline = str(settings["decoration"]), str(settings["newline"])
    bare = settings.get("prefix", decoration), settings.get("postfix", decoration)
    prefix, postfix = (str(part).rstrip() for part in bare)
    text = str(value).split(newline)
    last = len(text) - 1  # Ansible strips the decoration of empty lines, except the last one
    lines = [f"{decoration}{line}" if line or number == last else decoration.rstrip()
             for number, line in enumerate(text)]
    block = ([settings["beginning"]] if settings["beginning"] else []) + [prefix] * int(settings["prefix_count"])
    block += lines + [postfix] * int(settings["postfix_count"])
    block += [settings["end"]] if settings["end"] else []
    return newline.join(str(line) for line in block)


# ---------------------------------------------------------------------------
# Encoding and hashing
# ---------------------------------------------------------------------------


def _to_bytes(value: Any, encoding: str = "utf-8") -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode(encoding)


@_filter("b64encode")
def b64encode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Base64 of the text encoded with `encoding`."""
    raw = _to_bytes(value, encoding)
    encoded = base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)
    return encoded.decode("ascii")


@_filter("b64decode")
def b64decode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Text from base64, decoded with `encoding`."""
    raw = _to_bytes(value)
    decoded = base64.urlsafe_b64decode(raw) if urlsafe else base64.b64decode(raw)
    return decoded.decode(encoding)


@_filter("hash")
def hash_text(value: Any, hashtype: str = "sha1") -> str:
    """Hex digest of the text with any hashlib algorithm."""
    try:
        digest = hashlib.new(hashtype)
    except (ValueError, TypeError):
        raise TemplateError(f"unsupported hash type {hashtype}") from None
    digest.update(_to_bytes(value))
    return digest.hexdigest()


@_filter("password_hash")
def password_hash(value: Any, hashtype: str = "sha512", salt: Optional[str] = None, salt_size: Optional[int] = None,
                  rounds: Optional[int] = None, ident: Optional[str] = None) -> str:
    """A crypt(3) hash for /etc/shadow and the `user` module: `$6$…`, `$5$…` or `$1$…`.

    The same password, salt and rounds give the string Ansible gives (with passlib), so a
    `user: password=` stays unchanged when a playbook moves between the two. `ident` only
    matters for bcrypt, which miniplay does not do."""
    return crypt_hash(str(value), str(hashtype), salt=None if salt is None else str(salt),
                      salt_size=None if salt_size is None else int(salt_size),
                      rounds=None if rounds is None else int(rounds))


@_filter("checksum")
def checksum(value: Any) -> str:
    """SHA-1 of the text (what Ansible's copy/stat call a checksum)."""
    return hashlib.sha1(_to_bytes(value)).hexdigest()


@_filter("sha1")
def sha1(value: Any) -> str:
    """SHA-1 hex digest."""
    return hashlib.sha1(_to_bytes(value)).hexdigest()


@_filter("md5")
def md5(value: Any) -> str:
    """MD5 hex digest."""
    return hashlib.md5(_to_bytes(value)).hexdigest()


# A fixed namespace, so the same name gives the same UUID on every controller.
_UUID_NAMESPACE = uuid.UUID("361E6D51-FAEC-444A-9079-341386DA8E2E")


@_filter("to_uuid")
def to_uuid(value: Any, namespace: Any = _UUID_NAMESPACE) -> str:
    """Name-based (v5) UUID of the text."""
    space = namespace if isinstance(namespace, uuid.UUID) else uuid.UUID(str(namespace))
    return str(uuid.uuid5(space, str(value)))


# ---------------------------------------------------------------------------
# Dates and numbers
# ---------------------------------------------------------------------------


@_filter("to_datetime")
def to_datetime(value: Any, format: str = "%Y-%m-%d %H:%M:%S") -> datetime.datetime:
    """Parse text into a datetime (subtract two to get a timedelta)."""
    return datetime.datetime.strptime(str(value), format)


@_filter("strftime")
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


@_filter("log")
def log(value: Any, base: float = math.e) -> float:
    """Logarithm (natural by default)."""
    if base == 10:
        return _number_op("log", lambda: math.log10(value))
    return _number_op("log", lambda: math.log(value, base))


@_filter("pow")
def power(value: Any, exponent: Any) -> float:
    """value ** exponent, as a float."""
    return _number_op("pow", lambda: math.pow(value, exponent))


@_filter("root")
def root(value: Any, base: Any = 2) -> float:
    """Square root, or the base-th root."""
    if base == 2:
        return _number_op("root", lambda: math.sqrt(value))
    return _number_op("root", lambda: math.pow(value, 1.0 / float(base)))


# Largest first, so the first limit a size reaches names its unit.
_SIZE_UNITS = (("Y", 1 << 80), ("Z", 1 << 70), ("E", 1 << 60), ("P", 1 << 50),
               ("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1))


@_filter("human_readable")
def human_readable(size: Any, isbits: bool = False, unit: Optional[str] = None) -> str:
    """1536 -> '1.50 KB' (binary multiples); isbits says 'Mb' instead of 'MB'."""
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise TemplateError(f"human_readable() failed on bad input: {size!r} is not a number")
    base = "bits" if isbits else "Bytes"
    for letter, limit in _SIZE_UNITS:
        wanted = letter == unit[0].upper() if unit else size >= limit
        if wanted:
            break
    suffix = base if limit == 1 else letter + base[0]
    return "%.2f %s" % (size / limit, suffix)


_HUMAN_SIZE = re.compile(r"^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$")


@_filter("human_to_bytes")
def human_to_bytes(size: Any, default_unit: Optional[str] = None, isbits: bool = False) -> int:
    """'10 MB' -> 10485760; a bare number is already bytes (or `default_unit`)."""
    try:
        return _human_to_bytes(size, default_unit, isbits)
    except TemplateError as exc:
        raise TemplateError(f"human_to_bytes() can't interpret the input: {exc.message}") from None


def _human_to_bytes(size: Any, default_unit: Optional[str], isbits: bool) -> int:
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
