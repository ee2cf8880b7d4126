"""Filters for paths, URLs, quoting and comments."""
from __future__ import annotations

import glob
import os.path
import shlex
from typing import Any
from urllib.parse import unquote_plus
from urllib.parse import urlsplit as _urlsplit

from ...core.errors import TemplateError
from .base import is_list_like, register

# ---------------------------------------------------------------------------
# Paths and URLs
# ---------------------------------------------------------------------------


@register("basename")
def basename(path: str) -> str:
    """Last path component ('' for a path ending in /)."""
    return os.path.basename(path)


@register("dirname")
def dirname(path: str) -> str:
    """Everything but the last path component."""
    return os.path.dirname(path)


@register("expanduser")
def expanduser(path: str) -> str:
    """~ expanded on the controller."""
    return os.path.expanduser(path)


@register("expandvars")
def expandvars(path: str) -> str:
    """$VAR expanded from the controller's environment."""
    return os.path.expandvars(path)


@register("realpath")
def realpath(path: str) -> str:
    """Canonical path on the controller, symlinks resolved."""
    return os.path.realpath(path)


@register("relpath")
def relpath(path: str, start: str = os.curdir) -> str:
    """Path relative to `start`."""
    return os.path.relpath(path, start)


@register("normpath")
def normpath(path: str) -> str:
    """Collapse a/./b and a/x/../b."""
    return os.path.normpath(path)


@register("commonpath")
def commonpath(paths: Any) -> str:
    """Longest common leading path of a list of paths."""
    if not is_list_like(paths):
        raise TemplateError(f"|commonpath expects sequence, got {type(paths)} instead.")
    return os.path.commonpath(list(paths))


@register("splitext")
def splitext(path: str) -> list:
    """[root, extension]."""
    return list(os.path.splitext(path))


@register("path_join")
def path_join(paths: Any) -> str:
    """os.path.join of a list (a later absolute part restarts the path)."""
    if isinstance(paths, str):
        return os.path.join(paths)
    if is_list_like(paths):
        return os.path.join(*paths)
    raise TemplateError(f"|path_join expects string or sequence, got {type(paths)} instead.")


@register("fileglob")
def fileglob(pattern: str) -> list:
    """Files (not directories) on the controller matching a glob."""
    return [path for path in sorted(glob.glob(pattern)) if os.path.isfile(path)]


_URL_PARTS = ("fragment", "hostname", "netloc", "password", "path", "port", "query", "scheme", "username")


@register("urlsplit")
def urlsplit(value: str, query: str = "") -> Any:
    """A URL's parts as a dict, or one part by name."""
    parts = _urlsplit(value)
    fields = {name: getattr(parts, name) for name in _URL_PARTS}
    if not query:
        return fields
    if query not in fields:
        raise TemplateError(f"urlsplit: unknown URL component: {query}")
    return fields[query]


@register("urldecode")
def urldecode(value: str) -> str:
    """Undo URL encoding (+ becomes a space)."""
    return unquote_plus(value)


@register("quote")
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


@register("comment")
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
