"""Ansible's builtin Jinja2 filters, written for miniplay.

How this works
--------------
`FILTERS` maps a filter name (and its `ansible.builtin.` alias) to a plain
Python function; the templating layer does `env.filters.update(FILTERS)`.
Filters that Jinja2 already has with Ansible's behaviour (`default`/`d`,
`int`, `float`, `batch`, `min`, `max`, `map`, `list`, ...) are left to Jinja.

Every filter is wrapped by `plugin()`, which does two things Ansible does for
every plugin call:

* an undefined argument fails at once with Jinja's own "'x' is undefined"
  error (only `mandatory` sees the `Undefined` itself), and
* any other failure becomes a `PluginFailed` (a `TemplateError`) carrying the
  plugin's kind and name, so the caller can print Ansible's
  "The filter plugin 'ansible.builtin.NAME' failed: MESSAGE" around it.

Results are plain Python values (lists, dicts, str), never generators, because
Ansible 2.19 hands back lists for `zip`, `product` and friends.

YAML output imitates PyYAML's emitter, which Ansible uses, on top of
ruamel.yaml: see `_PyYamlEmitter` for the three places where they differ.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import TemplateError as JinjaTemplateError

from ...core.errors import MiniplayError, TemplateError
from ..plugin_errors import PluginFailed, user_message  # noqa: F401  (filters' own names for them)

# ---------------------------------------------------------------------------
# Plugin plumbing shared with jinja_tests.py and lookups.py
# ---------------------------------------------------------------------------


def require_defined(value: Any) -> None:
    """Raise Jinja's own undefined error for an `Undefined` value (as Ansible does)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


def _first_undefined(args: tuple, kwargs: dict) -> Undefined | None:
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


def register(name: str, *aliases: str, allow_undefined: bool = False) -> Callable[[FilterFn], FilterFn]:
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


def type_name(value: Any) -> str:
    """The name a user knows: every mapping is a 'dict', every sequence a 'list'."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return "dict"
    if is_list_like(value) and not isinstance(value, list):
        return "list"
    return type(value).__name__


def plain(value: Any) -> Any:
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
        return {plain(key): plain(item) for key, item in value.items()}
    if is_list_like(value):
        return [plain(item) for item in value]
    return value
