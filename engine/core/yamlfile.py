"""Read YAML files the way Ansible does (YAML 1.1 booleans) while keeping file:line.

ruamel.yaml's round-trip constructor remembers the line and column of every
mapping key, which is what lets every later error point at the user's line.
Parsing goes through libyaml (ruamel.yaml.clib) when it is installed: it is
several times faster than the pure-Python scanner and gives the same marks and
the same wording of syntax errors that Ansible (which also uses libyaml) shows.
Values are handed on as plain Python types so nothing downstream sees ruamel
classes.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedKeyMap, CommentedKeySeq, CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

from .errors import LoadError, Location, ParseError, source_excerpt
from .textfile import read_text_file
from .yamlbounds import MAX_DEPTH, ExpansionTooLarge, check_expansion

try:
    from _ruamel_yaml import CParser
except ImportError:  # no wheel for this platform: the pure-Python parser does the same, slower
    CParser = None

warnings.filterwarnings("ignore", module="ruamel")


def drain_warnings(warnings: list[str]) -> list[str]:
    """Take the warnings collected in `warnings` so far (oldest first), leaving it empty.

    Loading YAML never prints: duplicate keys are appended to the list the caller passes
    (one list per run, `Options.yaml_warnings`), and the run shows them at the next step.
    """
    taken = warnings[:]
    del warnings[:len(taken)]
    return taken


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
                    self.add_version_implicit_resolver(version, tag, _BOOL_1_1, list("yYnNtTfFoO"))
                else:
                    self.add_version_implicit_resolver(version, tag, regexp, first)
        return self._version_implicit_resolver[version]


_BOOL_1_1 = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")


class _AnsibleConstructor(RoundTripConstructor):
    """Round-trip construction with Ansible's rules for keys: the last duplicate wins (with
    a warning), and a mapping or list used as a key is an error (usually an unquoted `{{ }}`)."""

    comment_handling = None  # read by RoundTripConstructor when it is its own loader
    source_path = "<yaml>"
    warnings: list[str] | None = None   # where duplicate keys are reported (None: nowhere)

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        if isinstance(key, (CommentedKeyMap, CommentedKeySeq)):
            raise ConstructorError("while constructing a mapping", node.start_mark,
                                   "found unhashable key", key_node.start_mark)
        if key not in mapping:
            return True
        line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        excerpt = "\n".join(source_excerpt(self.source_path, line, column))
        if self.warnings is not None:
            self.warnings.append(f"Found duplicate mapping key {key!r}.\nOrigin: {self.source_path}:{line}:{column}"
                                 + (f"\n\n{excerpt}" if excerpt else "") + "\n\nUsing last defined value only.\n")
        mapping[key] = value
        if isinstance(mapping, CommentedMap):
            value_mark = getattr(node.value[-1][1], "start_mark", key_node.start_mark)
            for key_n, value_n in node.value:
                if key_n is key_node:
                    value_mark = value_n.start_mark
            mapping.lc.add_kv_line_col(key, [line - 1, column - 1, value_mark.line, value_mark.column])
        return False


if CParser is not None:
    class _LibyamlLoader(CParser, _AnsibleConstructor, _AnsibleResolver):
        """libyaml's reader, scanner, parser and composer under our constructor and resolver."""

        def __init__(self, text: str, path: str, warnings: list[str] | None) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            _AnsibleConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = True
            self.source_path = path
            self.warnings = warnings
            _AnsibleResolver.__init__(self, version=(1, 1), loadumper=self)


def _parse(text: str, path: str, pure: bool, warnings: list[str] | None) -> Any:
    """Build the document; `pure` forces the pure-Python parser (used when libyaml is absent)."""
    if CParser is not None and not pure:
        loader = _LibyamlLoader(text, path, warnings)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    parser = YAML(typ="rt", pure=True)
    parser.Resolver = _AnsibleResolver
    parser.Constructor = type("_PathConstructor", (_AnsibleConstructor,), {"source_path": path, "warnings": warnings})
    parser.version = (1, 1)  # Ansible reads YAML 1.1: yes/no/on/off are booleans
    parser.allow_duplicate_keys = True
    return parser.load(text)


def load_yaml_text(text: str, path: str, pure: bool = False, warnings: list[str] | None = None) -> Any:
    """Parse YAML text; syntax errors become a ParseError in Ansible's words, at the right line.

    Duplicate keys (the last one wins) are reported into `warnings` when a list is given.
    """
    try:
        document = _parse(text, path, pure, warnings)
        check_expansion(document)
        return document
    except ExpansionTooLarge as exc:
        raise ParseError(f"YAML document refused: {exc}", Location(path)) from None
    except RecursionError:
        raise ParseError(f"YAML document refused: it nests more than {MAX_DEPTH} levels deep", Location(path)) from None
    except MarkedYAMLError as exc:
        message, line, column = describe_yaml_error(exc, text)
        raise ParseError(f"YAML parsing failed: {message}", Location(path, line, column),
                         hint=_FIXES.get(message, "")) from None
    except (YAMLError, ValueError, TypeError) as exc:  # e.g. `!!int x`: the tag's own constructor failed
        raise ParseError(f"YAML parsing failed: {exc}", Location(path)) from None


def describe_yaml_error(exc: MarkedYAMLError, text: str) -> tuple[str, int, int]:
    """(message, line, column) for a YAML error: the hint Ansible gives for the usual
    mistakes on the offending line (tabs, an unquoted template, a colon in an unquoted
    value, unbalanced quotes), else the parser's own context and problem as a sentence."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in source:
        return "Tabs are usually invalid in YAML.", line, source.index("\t") + 1
    hint = _value_hint(source)
    if hint is not None:
        message, hint_column = hint
        return message, line, hint_column or column
    sentence = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
    return sentence[0].upper() + sentence[1:] + ".", line, column


_TEMPLATE_HINT = "This may be an issue with missing quotes around a template block."
_COLON_HINT = "Colons in unquoted values must be followed by a non-space character."
_QUOTE_HINT = "Values starting with a quote must end with the same quote."
_INNER_QUOTE_HINT = "Values starting with a quote must end with the same quote, and not contain that quote."

_FIXES = {
    _TEMPLATE_HINT: "A value that starts with {{ must be quoted as a whole. Instead of:\n\n"
                    "    dest: {{ base_dir }}/app.conf\n\nwrite:\n\n    dest: \"{{ base_dir }}/app.conf\"",
    _COLON_HINT: "Quote a value that holds a colon followed by a space. Instead of:\n\n"
                 "    cmd: logger note: deploy done\n\nwrite:\n\n    cmd: \"logger note: deploy done\"",
    _QUOTE_HINT: "A quote that opens a value must close it. Instead of:\n\n"
                 "    when: \"web\" in group_names\n\nwrite:\n\n    when: '\"web\" in group_names'",
}
_FIXES[_INNER_QUOTE_HINT] = _FIXES[_QUOTE_HINT]


def _value_hint(source: str) -> tuple[str, int] | None:
    """Ansible's hint for the value on an offending `key: value` line, with the column to
    show (0: keep the parser's); None when the value does not look like a usual mistake."""
    match = re.match(r"^(\s*(?:-\s+)*[^\s:#'\"][^:#]*?:\s+)(\S.*?)\s*$", source)
    if not match:
        return None
    value, start = match.group(2), len(match.group(1)) + 1
    if value.startswith("{{"):
        return _TEMPLATE_HINT, start
    quote = value[0] if value[0] in "'\"" else ""
    properly_quoted = bool(quote) and len(value) > 1 and value.endswith(quote) and quote not in value[1:-1]
    if ": " in value and not properly_quoted:
        return _COLON_HINT, start + value.index(": ")
    if quote and (len(value) == 1 or not value.endswith(quote)):
        return _QUOTE_HINT, start
    if quote and not properly_quoted:
        return _INNER_QUOTE_HINT, start
    return None


def load_yaml_file(path: str, warnings: list[str] | None = None, vault: Any = None) -> Any:
    """Read and parse one YAML file; a missing file is a ParseError naming it (warnings: as load_yaml_text).
    A file that is vault-encrypted as a whole is decrypted with `vault` (a VaultSecrets) first."""
    try:
        text = read_text_file(path)
        if text.lstrip().startswith("$ANSIBLE_VAULT"):
            from .vault_secrets import decrypt_file_data

            text = decrypt_file_data(text.encode("utf-8"), path, vault).decode("utf-8")
    except FileNotFoundError:  # Ansible's three lines, and its exit code 1
        raise LoadError(f"Unable to retrieve file contents.\nCould not find or access '{path}' on the Ansible "
                        "Controller.\nIf you are using a module and expect the file to exist on the remote, see the "
                        f"remote_src option: [Errno 2] No such file or directory: '{path}'") from None
    except OSError as exc:
        raise ParseError(f"Unable to read '{path}': {exc.strerror}") from None
    return load_yaml_text(text, path, warnings=warnings)


def _mapping_position(mapping: Any, key: Any, part: str) -> tuple[int, int] | None:
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


def _is_vault(value: Any) -> bool:
    return isinstance(value, TaggedScalar) and str(getattr(value.tag, "value", value.tag)) == "!vault"


def _vault_value(mapping: Any, key: Any, value: Any, path: str) -> Any:
    """An inline `!vault` value, kept encrypted, with the line and column of its tag."""
    from .vault import VaultValue

    return VaultValue(str(value.value), value_location(mapping, key, path))


def to_plain(value: Any, path: str = "<yaml>") -> Any:
    """Deep-convert ruamel containers and scalars to plain Python types."""
    if isinstance(value, dict):
        return {to_plain(k, path): _vault_value(value, k, v, path) if _is_vault(v) else to_plain(v, path)
                for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v, path) for v in value]
    if isinstance(value, TaggedScalar):
        tag = str(value.tag.value if hasattr(value.tag, "value") else value.tag)
        if tag == "!unsafe":
            return UnsafeText(value.value)
        if tag == "!vault":
            from .vault import VaultValue

            return VaultValue(str(value.value), Location(path))
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
