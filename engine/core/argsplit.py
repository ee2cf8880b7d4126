"""Split free-form module arguments (`command: make all`, `debug: msg="hi there"`).

The rules follow what Ansible users rely on: spaces separate words except inside
quotes and inside Jinja2 `{{ }}` / `{% %}` / `{# #}`; `key=value` words become
arguments; for command-like modules only their own option names are pulled out
and the rest stays the command line, exactly as written.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import Location, ParseError

# Options the command-like modules accept inside their free-form line.
RAW_OPTION_KEYS = frozenset(
    {"creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends"}
)
_ESCAPE = re.compile(r"""\\(?:U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|N\{[^}]+\}|[\\'"abfnrtv])""")


def decode_escapes(word: str) -> str:
    r"""Backslash escapes in a free-form word mean what they mean in Python (`\\d` → `\d`), except
    octal ones: `\1` stays a regex backreference, as Ansible keeps it."""
    import codecs
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _ESCAPE.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), word)


def split_args(text: str, location: Location | None = None) -> list[str]:
    """Split on whitespace outside quotes and Jinja2 blocks, keeping each word's quotes."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        pair = text[i : i + 2]
        if quote:
            current.append(char)
            if char == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 2
                continue
            if char == quote:
                quote = ""
        elif pair in ("{{", "{%", "{#"):
            depth += 1
            current.append(pair)
            i += 2
            continue
        elif pair in ("}}", "%}", "#}") and depth:
            depth -= 1
            current.append(pair)
            i += 2
            continue
        elif char in "\"'" and not depth:
            quote = char
            current.append(char)
        elif char.isspace() and not depth:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if quote:
        raise ParseError(f"failed at splitting arguments, either an unbalanced jinja2 block or quotes: {text}", location)
    if current:
        words.append("".join(current))
    return words


def unquote(word: str) -> str:
    """Strip one pair of matching outer quotes and undo backslash-escaped quotes."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        inner = word[1:-1]
        return inner.replace("\\" + word[0], word[0])
    return word


def _split_key(word: str) -> tuple[str | None, str]:
    """`key=value` at the first `=` that is neither the word's first character nor escaped.

    The key may be a template (`set_fact: "{{ item }}=moo"`): it is rendered when the task
    runs, as Ansible does. A word whose every `=` is escaped is free text, `\\=` unescaped.
    """
    position = word.find("=", 1)
    while position > 0 and word[position - 1] == "\\":
        position = word.find("=", position + 1)
    if position < 0:
        return None, word.replace("\\=", "=") if "=" in word[1:] else word
    return word[:position], word[position + 1:]


def parse_kv(text: str, raw_params: bool, location: Location | None = None) -> dict[str, Any]:
    """`a=1 b="x y" rest` → {"a": "1", "b": "x y", "_raw_params": "rest"}.

    With `raw_params` (command, shell, raw, script, include_*), only the known
    command options are taken as key=value; everything else is the raw line, with
    its original spacing kept.
    """
    if text is None:
        return {}
    text = str(text)
    options: dict[str, Any] = {}
    raw_words: list[str] = []
    for word in split_args(text, location):
        word = decode_escapes(word)
        key, value = _split_key(word)
        if key is not None and (not raw_params or key in RAW_OPTION_KEYS):
            options[key.strip()] = unquote(value.strip())
        else:
            raw_words.append(word)
    if raw_words:
        if raw_params and len(raw_words) == len(split_args(text, location)):
            options["_raw_params"] = text.strip()
        else:
            options["_raw_params"] = " ".join(raw_words)
    return options
