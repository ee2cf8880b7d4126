"""Lookups that read variables and the inventory: vars, varnames, inventory_hostnames."""
from __future__ import annotations

import re

from ...core.errors import TemplateError, UndefinedVariableError
from .base import LookupContext, register

_MISSING = object()


@register("vars")
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


@register("varnames")
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


@register("inventory_hostnames")
def lookup_inventory_hostnames(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Inventory hosts matching host patterns (`web:&prod`, `all:!db`), in inventory order."""
    if ctx.select_hosts is None:
        raise TemplateError("the inventory_hostnames lookup needs an inventory")
    hosts: list[str] = []
    for term in terms:
        hosts += [host for host in ctx.select_hosts(str(term)) if host not in hosts]
    return hosts
