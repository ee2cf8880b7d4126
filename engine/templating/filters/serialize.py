"""Filters that write and read JSON and YAML (YAML written the way PyYAML, which Ansible uses, writes it)."""
from __future__ import annotations

import datetime
import io
import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter, Indents
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import BaseResolver
from ruamel.yaml.util import RegExp

from ...core.errors import TemplateError
from .base import plain, register

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
    value = plain(value)
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


@register("to_json")
def to_json(value: Any, *args: Any, **kwargs: Any) -> str:
    """Compact JSON, ASCII-escaped, keys in their original order."""
    kwargs.setdefault("default", _json_default)
    return json.dumps(_json_ready(value), *args, **kwargs)


@register("to_nice_json")
def to_nice_json(value: Any, indent: int = 4, sort_keys: bool = True, *args: Any, **kwargs: Any) -> str:
    """Indented JSON with sorted keys, for humans."""
    kwargs.setdefault("default", _json_default)
    kwargs.setdefault("separators", (",", ": "))
    return json.dumps(_json_ready(value), *args, indent=indent, sort_keys=sort_keys, **kwargs)


@register("from_json")
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

    def seq_flow_align(self, seq_indent: int, column: int, pre_comment: bool | None = False) -> int:
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


def _dump_yaml(value: Any, *, indent: int = 2, default_flow_style: bool | None = None,
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
    writer.dump(plain(value), stream)
    text = stream.getvalue()
    if text.endswith("\n...\n") and not writer.explicit_end:
        text = text[: -len("...\n")]  # Ansible's output has no end marker after a bare scalar
    return text


@register("to_yaml")
def to_yaml(value: Any, **options: Any) -> str:
    """YAML with sorted keys; innermost collections in flow style ({a: 1})."""
    return _dump_yaml(value, **options)


@register("to_nice_yaml")
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


@register("from_yaml")
def from_yaml(value: Any) -> Any:
    """Parse YAML 1.1 text (yes/no are booleans); non-text is returned as it is."""
    if not isinstance(value, str):
        return value
    try:
        return _yaml_reader().load(value)
    except YAMLError as exc:
        raise TemplateError(_yaml_error_text(exc)) from None


@register("from_yaml_all")
def from_yaml_all(value: Any) -> Any:
    """Parse every document of a YAML stream into a list."""
    if not isinstance(value, str):
        return value
    try:
        return list(_yaml_reader().load_all(value))
    except YAMLError as exc:
        raise TemplateError(_yaml_error_text(exc)) from None
