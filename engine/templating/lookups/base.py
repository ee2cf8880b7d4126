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

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import TemplateError as JinjaTemplateError

from ...core.errors import MiniplayError, TemplateError
from ..collection_plugins import TASK_VARIABLES
from ..filters import PluginFailed


@dataclass
class LookupContext:
    """What a lookup may use besides its terms."""

    variables: Mapping[str, Any]  # the host's variables (lazy mapping)
    search_paths: list[str]  # role dir, task file dir, playbook dir: where relative files are found
    render: Callable[[str, Mapping[str, Any]], Any]  # renders template text with variables
    # a template file, as the module does: (text, variables, search path for {% include %}, options)
    render_file: Callable[..., str] | None = None
    warn: Callable[[str], None] | None = None  # shows a warning (errors=warn); silent when None
    select_hosts: Callable[[str], list[str]] | None = None  # inventory host pattern → host names
    vault: Any = None  # the run's VaultSecrets: vault-encrypted files are read decrypted


LookupFn = Callable[[list, LookupContext, dict], list]
LOOKUPS: dict[str, LookupFn] = {}


def register(name: str, *aliases: str) -> Callable[[LookupFn], LookupFn]:
    """Register a lookup under its names and their `ansible.builtin.` forms."""

    def register(fn: LookupFn) -> LookupFn:
        for alias in (name, *aliases):
            LOOKUPS.setdefault(alias, fn)
            LOOKUPS.setdefault(f"ansible.builtin.{alias}", fn)
        return fn

    return register




def run_lookup(name: str, terms: list, ctx: LookupContext, kwargs: dict, wantlist: bool,
               plugin: Callable[..., Any] | None = None) -> Any:
    """Run a lookup and shape its result as `lookup()` (wantlist False) or `query()` does.
    `plugin`: a lookup from an installed collection (collection_plugins.py)."""
    options = dict(kwargs)
    errors = options.pop("errors", "strict")
    wantlist = bool(options.pop("wantlist", wantlist))
    fn = LOOKUPS.get(name)
    if fn is None and plugin is not None:
        def fn(terms_: list, ctx_: LookupContext, options_: dict) -> list:
            return plugin(terms_, **{TASK_VARIABLES: ctx_.variables}, **options_)  # run(terms, variables)
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


def candidates(ctx: LookupContext, relative: str, subdir: str | None) -> Iterable[str]:
    """Where a relative path may live, most specific first."""
    for base in ctx.search_paths:
        if subdir:
            yield os.path.join(base, subdir, relative)
        yield os.path.join(base, relative)


def find_file(ctx: LookupContext, path: str, subdir: str | None = "files") -> str | None:
    """The first existing path for `path`: itself when absolute, else via search_paths."""
    path = os.path.expanduser(str(path))
    if os.path.isabs(path):
        return path if os.path.exists(path) else None
    for candidate in candidates(ctx, path, subdir):
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read()
