"""Ansible's builtin Jinja2 filters, written for miniplay: `FILTERS` (name → function).

`base` holds the plumbing every filter shares (`plugin()`, `register()`, `PluginFailed`); each
other file is one family of filters and registers its own names when imported, so a new filter
is a function with `@register("name")` in the family it fits. They are imported in the order the
names were registered before the split, so an alias registered twice keeps the same winner.
"""
from __future__ import annotations

from . import encoding, lists, numeric, paths, regex, serialize, types  # noqa: F401  (each registers its filters)
from .base import FILTERS, PluginFailed, is_list_like, plugin, require_defined, user_message
from .types import to_bool_loose

__all__ = ["FILTERS", "PluginFailed", "is_list_like", "plugin", "require_defined", "to_bool_loose", "user_message"]
