"""Lookups that shape lists (with_items, with_dict, with_nested, subelements, ...)."""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from typing import Any

from ...core.errors import TemplateError
from ..filters import is_list_like
from .base import LookupContext, register

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


@register("items")
def lookup_items(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms with nested lists flattened one level (with_items)."""
    return _flatten_once(terms)


@register("list")
def lookup_list(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms exactly as given."""
    return list(terms)


@register("flattened", "community.general.flattened")
def lookup_flattened(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The terms with every level of nesting flattened."""
    return _flatten_all(terms)


@register("indexed_items")
def lookup_indexed_items(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """[index, item] pairs of the (one level flattened) terms."""
    return [[index, item] for index, item in enumerate(_flatten_once(terms))]


@register("dict")
def lookup_dict(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """{'key': k, 'value': v} for every entry of the given dicts (with_dict)."""
    entries: list[Any] = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise TemplateError(f"the 'dict' lookup plugin expects a dictionary, got '{term}' of type {type(term)}")
        entries.extend({"key": key, "value": value} for key, value in term.items())
    return entries


@register("nested", "cartesian", "community.general.cartesian")
def lookup_nested(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Every combination of one item from each list (with_nested)."""
    if not terms:
        raise TemplateError("with_nested requires at least one element in the nested list")
    return [list(combination) for combination in itertools.product(*(_as_list(term) for term in terms))]


@register("together")
def lookup_together(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The lists zipped, short ones padded with None (with_together)."""
    if not terms:
        raise TemplateError("with_together requires at least one element in each list")
    return [list(group) for group in itertools.zip_longest(*(_as_list(term) for term in terms))]



@register("random_choice")
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


@register("subelements")
def lookup_subelements(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """[parent, child] for each child in each parent's list at the key (with_subelements)."""
    parents, path, skip_missing = _subelements_args(terms, kwargs)
    pairs: list[Any] = []
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
