"""Lookups: the data sources behind `lookup()`, `query()` and `with_<name>` loops.

`base` holds what every lookup shares (`LookupContext`, the `LOOKUPS` table, `run_lookup()`,
finding relative files); each other file is one family of lookups and registers its own names
when imported, so a new lookup is a function with `@register("name")` in the family it fits.
"""
from __future__ import annotations

from . import csvfile, files, ini, lists, password, sequence, variables  # noqa: F401  (each registers its lookups)
from .base import LOOKUPS, LookupContext, run_lookup

__all__ = ["LOOKUPS", "LookupContext", "run_lookup"]
