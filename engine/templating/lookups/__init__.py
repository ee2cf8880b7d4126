"""Lookups: the data sources behind `lookup()`, `query()` and `with_<name>` loops.

How this works
--------------
A lookup is a function `fn(terms, ctx, kwargs) -> list`: it gets the positional
terms, a `LookupContext` (the host's variables, where to find relative files,
how to render a template) and the keyword options, and always returns a list.
`LOOKUPS` maps names (also `ansible.builtin.<name>`) to these functions.

`run_lookup()` is what the template globals call; it adds what every lookup
shares in Ansible:

* `query()` / `wantlist=True` return the list as it is; `lookup()` turns a
  list of strings into one comma-joined string, a one-item list into that item,
  and leaves any other list alone (`lookup('env')` with no terms gives `[]`);
* `errors=strict|warn|ignore`: on failure, raise, or warn / stay quiet and
  give `None` (`lookup`) or `[]` (`query`).

`with_items: [...]` is `run_lookup('items', the_list, ctx, {}, wantlist=True)`,
and the same goes for every other `with_<name>`.

Relative files are looked for in each of `ctx.search_paths` in order, first in
its `files/` (or `templates/`) subdirectory, then in the directory itself.
"""
from __future__ import annotations

import glob
import itertools
import os
import random
import re
import shlex
import subprocess
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from jinja2.exceptions import TemplateError as JinjaTemplateError

from ..sandbox import MAX_RANGE, range_size
from ...core.errors import MiniplayError, TemplateError, UndefinedVariableError
from ..filters import PluginFailed, is_list_like
from .password import lookup_password

__all__ = ["LOOKUPS", "LookupContext", "run_lookup"]


@dataclass
class LookupContext:
    """What a lookup may use besides its terms."""

    variables: Mapping[str, Any]  # the host's variables (lazy mapping)
    search_paths: list[str]  # role dir, task file dir, playbook dir: where relative files are found
    render: Callable[[str, Mapping[str, Any]], Any]  # renders template text with variables
    render_file: Optional[Callable[[str, Mapping[str, Any]], str]] = None  # a template file, as the module does
    warn: Optional[Callable[[str], None]] = None  # shows a warning (errors=warn); silent when None
    select_hosts: Optional[Callable[[str], list[str]]] = None  # inventory host pattern → host names


LookupFn = Callable[[list, LookupContext, dict], list]
LOOKUPS: dict[str, LookupFn] = {}


def _lookup(name: str, *aliases: str) -> Callable[[LookupFn], LookupFn]:
    """Register a lookup under its names and their `ansible.builtin.` forms."""

    def register(fn: LookupFn) -> LookupFn:
        for alias in (name, *aliases):
            LOOKUPS.setdefault(alias, fn)
            LOOKUPS.setdefault(f"ansible.builtin.{alias}", fn)
        return fn

    return register


def run_lookup(name: str, terms: list, ctx: LookupContext, kwargs: dict, wantlist: bool) -> Any:
    """Run a lookup and shape its result as `lookup()` (wantlist False) or `query()` does."""
    options = dict(kwargs)
    errors = options.pop("errors", "strict")
    wantlist = bool(options.pop("wantlist", wantlist))
    fn = LOOKUPS.get(name)
    if fn is None:
        raise TemplateError(f"The lookup plugin '{name}' was not found.")
    short_name = name.rsplit(".", 1)[-1]
    try:
        results = fn(list(terms), ctx, options)
    except Exception as exc:
        failure = _as_failure(exc, short_name)
        if errors not in ("warn", "ignore"):
            if failure is exc:
                raise
            raise failure from exc
        if errors == "warn" and ctx.warn is not None:
            ctx.warn(f"An error occurred while running the lookup plugin '{short_name}': {failure.message}")
        return [] if wantlist else None
    return results if wantlist else _single_value(results)


def _as_failure(exc: Exception, name: str) -> Any:
    """The error to report: ours as raised, anything else as a failure of this lookup."""
    if isinstance(exc, (PluginFailed, JinjaTemplateError)):
        return exc
    if isinstance(exc, MiniplayError) and type(exc) is not TemplateError:
        return exc  # e.g. an undefined variable met while rendering: not the lookup's fault
    message = exc.message if isinstance(exc, MiniplayError) else str(exc)
    return PluginFailed(message, "lookup", name)


def _single_value(results: Any) -> Any:
    """Ansible's `lookup()` rule: join strings with ',', unwrap a single item."""
    if not isinstance(results, list) or not results:
        return results
    if all(isinstance(item, str) for item in results):
        return ",".join(results)
    if len(results) == 1:
        return results[0]
    return results


# ---------------------------------------------------------------------------
# Finding files
# ---------------------------------------------------------------------------


def _candidates(ctx: LookupContext, relative: str, subdir: Optional[str]) -> Iterable[str]:
    """Where a relative path may live, most specific first."""
    for base in ctx.search_paths:
        if subdir:
            yield os.path.join(base, subdir, relative)
        yield os.path.join(base, relative)


def find_file(ctx: LookupContext, path: str, subdir: Optional[str] = "files") -> Optional[str]:
    """The first existing path for `path`: itself when absolute, else via search_paths."""
    path = os.path.expanduser(str(path))
    if os.path.isabs(path):
        return path if os.path.exists(path) else None
    for candidate in _candidates(ctx, path, subdir):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read()


# ---------------------------------------------------------------------------
# Environment, files, commands, variables
# ---------------------------------------------------------------------------


@_lookup("env")
def lookup_env(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller environment variables; unset ones give `default` ('' unless set)."""
    default = kwargs.get("default", "")
    return [os.environ.get(str(term), default) for term in terms]


@_lookup("file")
def lookup_file(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Contents of controller files, right-stripped unless rstrip=False."""
    lstrip = bool(kwargs.get("lstrip", False))
    rstrip = bool(kwargs.get("rstrip", True))
    contents = []
    for term in terms:
        path = find_file(ctx, term, "files")
        try:
            if path is None or os.path.isdir(path):
                raise OSError("not a file")
            text = _read_text(path)
        except OSError:
            raise TemplateError(f"Unable to access the file '{term}': File not found.") from None
        if lstrip:
            text = text.lstrip()
        if rstrip:
            text = text.rstrip()
        contents.append(text)
    return contents


@_lookup("template")
def lookup_template(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller template files rendered with the host's variables (+ template_vars)."""
    extra = dict(kwargs.get("template_vars") or {})
    if "ansible_managed" not in ctx.variables:  # as for the template module
        extra.setdefault("ansible_managed", "Ansible managed")
    variables: Mapping[str, Any] = ChainMap(extra, ctx.variables) if extra else ctx.variables
    rendered = []
    for term in terms:
        path = find_file(ctx, term, "templates")
        if path is None or not os.path.isfile(path):
            raise TemplateError(f"the template file {term} could not be found for the lookup")
        render = ctx.render_file or ctx.render
        rendered.append(render(_read_text(path), variables))
    return rendered


def _run_command(command: str, ctx: LookupContext, lookup_name: str) -> str:
    """Run a shell command on the controller from the playbook directory."""
    cwd = ctx.search_paths[-1] if ctx.search_paths else None
    if cwd is not None and not os.path.isdir(cwd):
        cwd = None
    completed = subprocess.run(command, shell=True, cwd=cwd, stdout=subprocess.PIPE, check=False)
    if completed.returncode != 0:
        raise TemplateError(f"lookup_plugin.{lookup_name}({command}) returned {completed.returncode}")
    return completed.stdout.decode("utf-8", errors="surrogateescape")


@_lookup("pipe")
def lookup_pipe(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Standard output of shell commands, trailing whitespace removed."""
    return [_run_command(str(term), ctx, "pipe").rstrip() for term in terms]


@_lookup("lines")
def lookup_lines(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Each line of the commands' output, as separate items."""
    lines: list = []
    for term in terms:
        lines.extend(_run_command(str(term), ctx, "lines").splitlines())
    return lines


_MISSING = object()


@_lookup("vars")
def lookup_vars(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Variables by (possibly computed) name; `default` for missing ones."""
    default = kwargs.get("default", _MISSING)
    values = []
    for term in terms:
        if not isinstance(term, str):
            raise TemplateError(f'Invalid setting identifier, "{term}" is not a string, it is a {type(term).__name__}')
        if term in ctx.variables:
            values.append(ctx.variables[term])
        elif default is not _MISSING:
            values.append(default)
        else:
            raise UndefinedVariableError(f"No variable named '{term}' was found.")
    return values


# ---------------------------------------------------------------------------
# first_found and fileglob
# ---------------------------------------------------------------------------


def _split_option(value: Any, separators: str) -> list:
    """A files/paths option: a list, or text separated by any of `separators`."""
    if value is None:
        return []
    items = list(value) if is_list_like(value) else [value]
    split: list = []
    for item in items:
        split.extend(part for part in re.split(f"[{re.escape(separators)}]", str(item)) if part)
    return split


def _first_found_plan(terms: list, kwargs: dict) -> tuple[list[str], bool]:
    """Every path to try, in order, and whether a miss is allowed (skip)."""
    skip = bool(kwargs.get("skip", False))
    base_files = _split_option(kwargs.get("files"), ",;")
    base_paths = _split_option(kwargs.get("paths"), ",:;")
    groups: list[tuple[list, list]] = []
    for term in terms:
        if isinstance(term, Mapping):
            files = _split_option(term.get("files", base_files), ",;")
            paths = _split_option(term.get("paths", base_paths), ",:;")
            skip = skip or bool(term.get("skip", False))
            groups.append((files, paths))
        elif is_list_like(term):
            groups.extend(([str(item)], base_paths) for item in term)
        else:
            groups.append(([str(term)], base_paths))
    if not terms:
        groups.append((base_files, base_paths))
    plan = []
    for files, paths in groups:
        if paths:
            plan.extend(os.path.join(path, name) for name in files for path in paths)
        else:
            plan.extend(files)
    return plan, skip


@_lookup("first_found")
def lookup_first_found(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The first of several candidate files that exists, as an absolute path."""
    plan, skip = _first_found_plan(terms, kwargs)
    for candidate in plan:
        found = find_file(ctx, candidate, "files")
        if found is not None:
            return [found]
    if skip:
        return []
    raise TemplateError("No file was found when using first_found.")


@_lookup("varnames")
def lookup_varnames(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Names of the variables that match regular expressions (searched anywhere in the name)."""
    names: list[str] = []
    for term in terms:
        try:
            pattern = re.compile(str(term))
        except re.error as exc:
            raise TemplateError(f"Unable to use \"{term}\" as a search parameter: {exc}") from None
        names += [name for name in ctx.variables if isinstance(name, str) and pattern.search(name)
                  and name not in names]
    return names


@_lookup("inventory_hostnames")
def lookup_inventory_hostnames(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Inventory hosts matching host patterns (`web:&prod`, `all:!db`), in inventory order."""
    if ctx.select_hosts is None:
        raise TemplateError("the inventory_hostnames lookup needs an inventory")
    hosts: list[str] = []
    for term in terms:
        hosts += [host for host in ctx.select_hosts(str(term)) if host not in hosts]
    return hosts


@_lookup("fileglob")
def lookup_fileglob(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller files matching glob patterns; the first directory with matches wins."""
    matches: list = []
    for term in terms:
        pattern = os.path.expanduser(str(term))
        directory, name = os.path.split(pattern)
        if os.path.isabs(pattern):
            directories = [directory]
        else:
            directories = list(_candidates(ctx, directory, "files"))
        for candidate in directories:
            found = [path for path in sorted(glob.glob(os.path.join(candidate, name))) if os.path.isfile(path)]
            if found:
                matches.extend(os.path.abspath(path) if not os.path.isabs(pattern) else path for path in found)
                break
    return matches


# ---------------------------------------------------------------------------
# List shaping (with_items, with_dict, with_nested, ...)
# ---------------------------------------------------------------------------


def _flatten_once(terms: Iterable) -> list:
    flat: list = []
    for term in terms:
        if is_list_like(term):
            flat.extend(term)
        else:
            flat.append(term)
    return flat


def _flatten_all(terms: Iterable) -> list:
    flat: list = []
    for term in terms:
        if is_list_like(term):
            flat.extend(_flatten_all(term))
        else:
            flat.append(term)
    return flat


def _as_list(term: Any) -> list:
    return list(term) if is_list_like(term) or isinstance(term, str) else [term]


@_lookup("items")
def lookup_items(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms with nested lists flattened one level (with_items)."""
    return _flatten_once(terms)


@_lookup("list")
def lookup_list(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms exactly as given."""
    return list(terms)


@_lookup("flattened", "community.general.flattened")
def lookup_flattened(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms with every level of nesting flattened."""
    return _flatten_all(terms)


@_lookup("indexed_items")
def lookup_indexed_items(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """[index, item] pairs of the (one level flattened) terms."""
    return [[index, item] for index, item in enumerate(_flatten_once(terms))]


@_lookup("dict")
def lookup_dict(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """{'key': k, 'value': v} for every entry of the given dicts (with_dict)."""
    entries = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise TemplateError(f"the 'dict' lookup plugin expects a dictionary, got '{term}' of type {type(term)}")
        entries.extend({"key": key, "value": value} for key, value in term.items())
    return entries


@_lookup("nested", "cartesian", "community.general.cartesian")
def lookup_nested(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Every combination of one item from each list (with_nested)."""
    if not terms:
        raise TemplateError("with_nested requires at least one element in the nested list")
    return [list(combination) for combination in itertools.product(*(_as_list(term) for term in terms))]


@_lookup("together")
def lookup_together(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The lists zipped, short ones padded with None (with_together)."""
    if not terms:
        raise TemplateError("with_together requires at least one element in each list")
    return [list(group) for group in itertools.zip_longest(*(_as_list(term) for term in terms))]


_lookup("password")(lookup_password)


@_lookup("random_choice")
def lookup_random_choice(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """One of the terms, picked at random."""
    return [random.choice(terms)] if terms else []


# ---------------------------------------------------------------------------
# subelements
# ---------------------------------------------------------------------------


def _subelements_args(terms: list, kwargs: dict) -> tuple[list, list[str], bool]:
    """The parents, the key path and skip_missing from the lookup's terms."""
    if len(terms) not in (2, 3) or not isinstance(terms[1], str):
        raise TemplateError("subelements lookup expects a list of two or three items, "
                            "the second being a string (the key)")
    flags = terms[2] if len(terms) == 3 else {}
    if not isinstance(flags, Mapping) or set(flags) - {"skip_missing"}:
        raise TemplateError("the optional third item must be a dict with flags ['skip_missing']")
    skip_missing = bool(flags.get("skip_missing", kwargs.get("skip_missing", False)))
    parents = terms[0]
    if isinstance(parents, Mapping):
        parents = list(parents.values())
    if not is_list_like(parents):
        raise TemplateError("subelements lookup expects a list of dicts as its first item")
    return list(parents), terms[1].split("."), skip_missing


def _without_subkey(parent: Mapping, path: list[str]) -> dict:
    """A copy of the parent without the list being iterated (as Ansible shows it)."""
    trimmed = dict(parent)
    if len(path) == 1:
        trimmed.pop(path[0], None)
    else:
        trimmed[path[0]] = _without_subkey(trimmed[path[0]], path[1:])
    return trimmed


@_lookup("subelements")
def lookup_subelements(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """[parent, child] for each child in each parent's list at the key (with_subelements)."""
    parents, path, skip_missing = _subelements_args(terms, kwargs)
    pairs = []
    for parent in parents:
        if not isinstance(parent, Mapping):
            raise TemplateError(f"subelements lookup expects a dictionary, got '{parent}'")
        if parent.get("skipped") not in (None, False):
            continue  # a skipped result in a registered loop
        children: Any = parent
        for key in path:
            if not isinstance(children, Mapping) or key not in children:
                if skip_missing:
                    children = None
                    break
                raise TemplateError(f"could not find '{key}' key in iterated item '{children}'")
            children = children[key]
        if children is None:
            continue
        if not is_list_like(children):
            raise TemplateError(f"the key {'.'.join(path)} should point to a list, got '{children}'")
        trimmed = _without_subkey(parent, path)
        pairs.extend([trimmed, child] for child in children)
    return pairs


# ---------------------------------------------------------------------------
# sequence
# ---------------------------------------------------------------------------

_SEQUENCE_OPTIONS = ("start", "end", "count", "stride", "format")
_SEQUENCE_SHORTCUT = re.compile(r"^(?:(\w+)-)?(\w+)(?:/(\w+))?(?::(.+))?$")


def _parse_sequence_term(term: str) -> dict:
    """'start=1 end=5 format=h%02d' or the shortcut '[start-]end[/stride][:format]'."""
    term = term.strip()
    if "=" in term:
        options = {}
        for word in shlex.split(term):
            key, sep, value = word.partition("=")
            if not sep:
                raise TemplateError(f"unrecognized arguments to with_sequence: ['{word}']")
            options[key] = value
        return options
    found = _SEQUENCE_SHORTCUT.match(term)
    if not found:
        raise TemplateError("unrecognized arguments to with_sequence: ['_raw_params']")
    start, end, stride, fmt = found.groups()
    options = {"end": end}
    if start is not None:
        options["start"] = start
    if stride is not None:
        options["stride"] = stride
    if fmt is not None:
        options["format"] = fmt
    return options


def _sequence_int(options: dict, name: str, default: Optional[int]) -> Optional[int]:
    value = options.get(name)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text, 10) if text.lstrip("+-").isdigit() else int(text, 0)  # 08 is eight, 0x1f hex
    except ValueError:
        raise TemplateError(f"can't parse {name}={value} as integer") from None


def _sequence(options: dict) -> list[str]:
    unknown = [key for key in options if key not in _SEQUENCE_OPTIONS]
    if unknown:
        raise TemplateError(f"unrecognized arguments to with_sequence: {unknown}")
    start = _sequence_int(options, "start", 1)
    end = _sequence_int(options, "end", None)
    count = _sequence_int(options, "count", None)
    stride = _sequence_int(options, "stride", 1)
    fmt = str(options.get("format") or "%d")
    if count is not None and end is not None:
        raise TemplateError("can't specify both count and end in with_sequence")
    if count is None and end is None:
        raise TemplateError("must specify count or end in with_sequence")
    if count is not None:
        if count == 0:
            return []
        end = start + count * stride - 1  # Ansible's arithmetic, kept for negative strides too
    if stride == 0:
        return []
    if stride > 0 and end < start:
        raise TemplateError("to count backwards make stride negative")
    if stride < 0 and end > start:
        raise TemplateError("to count forward don't make stride negative")
    stop = end + 1 if stride > 0 else end - 1
    size = range_size(range(start, stop, stride))
    if size > MAX_RANGE:
        raise TemplateError(f"with_sequence would make {size} items: templates may make at most {MAX_RANGE}")
    try:
        return [fmt % number for number in range(start, stop, stride)]
    except (TypeError, ValueError):
        raise TemplateError(f"bad formatting string: {fmt}") from None


@_lookup("sequence")
def lookup_sequence(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Numbers as formatted strings: 'start=1 end=5', '1-5/2:h%d', or keyword options."""
    if not terms:
        return _sequence(dict(kwargs)) if kwargs else []
    numbers: list = []
    for term in terms:
        options = {**kwargs, **_parse_sequence_term(str(term))}
        numbers.extend(_sequence(options))
    return numbers
