"""The `ini` lookup: a value (or, with re=true, every matching value) from an INI or Java
properties file on the controller, as ansible-core's `ansible.builtin.ini` reads it."""
from __future__ import annotations

import configparser
import re
from typing import Any

from ...core.errors import TemplateError
from ..filters import to_bool_loose
from .base import LookupContext, find_file, register

DEFAULTS: dict[str, Any] = {"file": "ansible.ini", "section": "global", "default": "", "re": False, "type": "ini",
                            "encoding": "utf-8", "case_sensitive": False, "allow_no_value": False,
                            "interpolation": True}
FLAGS = ("re", "case_sensitive", "allow_no_value", "interpolation")


def _inline_words(term: str) -> list[str]:
    """`key section=s file=f` split as Ansible does: a word with no known `name=` continues the
    value before it, so a key or value may hold spaces."""
    words: list[str] = []
    current = "key"
    seen: dict[str, int] = {}
    for index, phrase in enumerate(term.split()):
        if "=" in phrase:
            current = next((name for name in DEFAULTS if f"{name}=" in phrase), current)
        if index == 0 or current not in seen:
            seen[current] = len(words)
            words.append(phrase)
        else:
            words[seen[current]] += " " + phrase
    return words


def _term_options(term: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The key a term names, and the options its inline `name=value` words set."""
    if "=" not in term and " " not in term.strip():
        return term, options
    options = dict(options)
    key = None
    for word in _inline_words(term):
        if "=" in word:
            name, _, value = word.partition("=")
            if name not in DEFAULTS:
                raise TemplateError(f"{name!r} is not a valid option.")
            options[name] = value
        elif key is None:
            key = word
    if key is None:
        raise TemplateError(f"No key to look up was provided as first term within string inline options: {term}")
    return key, options


def _parser(options: dict[str, Any]) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        allow_no_value=to_bool_loose(options["allow_no_value"]),
        interpolation=configparser.BasicInterpolation() if to_bool_loose(options["interpolation"]) else None)
    if to_bool_loose(options["case_sensitive"]):
        parser.optionxform = str  # type: ignore[assignment,method-assign]
    return parser


@register("ini")
def lookup_ini(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    unknown = sorted(set(kwargs) - set(DEFAULTS))
    if unknown:
        raise TemplateError(f"{unknown[0]!r} is not a valid option.")
    base = {**DEFAULTS, **kwargs}
    values: list[Any] = []
    for term in terms:
        key, options = _term_options(str(term), base)
        path = find_file(ctx, str(options["file"]), "files")
        if path is None:
            raise TemplateError(f"Unable to find file matching \"{options['file']}\"")
        with open(path, encoding=str(options["encoding"]), errors="surrogateescape") as handle:
            text = handle.read()
        section = str(options["section"])
        if options["type"] == "properties":
            text, section = "[java_properties]\n" + text, "java_properties"
        parser = _parser(options)
        try:
            parser.read_string(text, source=path)
        except configparser.DuplicateOptionError:
            raise TemplateError(f"Duplicate option in {options['file']!r}.") from None
        if not parser.has_section(section):
            raise TemplateError(f"No section {section!r} in {options['file']!r}.")
        if to_bool_loose(options["re"]):
            values += [value for name, value in parser.items(section) if re.match(key, name)]
        elif parser.has_option(section, key):
            values.append(parser.get(section, key))
        elif options["default"] is not None:
            values.append(options["default"])
    return values
