"""Filters for dictionaries and lists: combine, dict2items, flatten, unique, zip, product, subelements..."""
from __future__ import annotations

import itertools
import random as _random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from jinja2 import Environment, pass_environment

from ...core.errors import TemplateError
from .base import is_list_like, register, type_name

# ---------------------------------------------------------------------------
# Dictionaries and lists
# ---------------------------------------------------------------------------

_LIST_MERGE_MODES = ("replace", "keep", "append", "prepend", "append_rp", "prepend_rp")


def _merge_lists(low: list, high: list, mode: str) -> list:
    if mode == "replace":
        return high
    if mode == "keep":
        return low
    if mode == "append":
        return low + high
    if mode == "prepend":
        return high + low
    kept = [item for item in low if item not in high]  # the *_rp modes drop repeats from low
    return kept + high if mode == "append_rp" else high + kept


def _merge_dicts(low: Any, high: Any, recursive: bool, list_merge: str) -> dict:
    """Merge `high` over `low` (both mappings) without touching either."""
    if not isinstance(low, Mapping) or not isinstance(high, Mapping):
        raise TemplateError(
            "failed to combine variables, expected dicts but got "
            f"a '{type_name(low)}' and a '{type_name(high)}'."
        )
    merged = dict(low)
    for key, high_value in high.items():
        low_value = merged.get(key)
        if key not in merged:
            merged[key] = high_value
        elif isinstance(low_value, Mapping) and isinstance(high_value, Mapping):
            merged[key] = _merge_dicts(low_value, high_value, recursive, list_merge) if recursive else high_value
        elif is_list_like(low_value) and is_list_like(high_value):
            merged[key] = _merge_lists(list(merged[key]), list(high_value), list_merge)
        else:
            merged[key] = high_value
    return merged


@register("combine")
def combine(*terms: Any, **kwargs: Any) -> Any:
    """Merge dicts left to right (later wins); lists of dicts are accepted too."""
    recursive = bool(kwargs.pop("recursive", False))
    list_merge = kwargs.pop("list_merge", "replace")
    if kwargs:
        raise TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments")
    if list_merge not in _LIST_MERGE_MODES:
        raise TemplateError(
            "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', "
            "'append', 'prepend', 'append_rp' or 'prepend_rp'"
        )
    dicts = _flatten(terms, levels=1, skip_nulls=False)
    if not dicts:
        return {}
    if len(dicts) == 1:
        return dicts[0]
    # Merged from the highest priority down, so errors name the types as Ansible does.
    result = dicts[-1]
    for lower in reversed(dicts[:-1]):
        result = _merge_dicts(lower, result, recursive, list_merge)
    return result


@register("dict2items")
def dict2items(value: Any, key_name: str = "key", value_name: str = "value") -> list:
    """{'a': 1} -> [{'key': 'a', 'value': 1}], in the dict's order."""
    if not isinstance(value, Mapping):
        raise TemplateError(f"dict2items requires a dictionary, got {type(value)} instead.")
    return [{key_name: key, value_name: item} for key, item in value.items()]


@register("items2dict")
def items2dict(value: Any, key_name: str = "key", value_name: str = "value") -> dict:
    """The reverse of dict2items."""
    if not is_list_like(value):
        raise TemplateError(f"items2dict requires a list, got {type(value)} instead.")
    if not all(isinstance(item, Mapping) for item in value):
        raise TemplateError(f"items2dict requires a list of dictionaries, got {value!r} instead.")
    try:
        return {item[key_name]: item[value_name] for item in value}
    except KeyError:
        raise TemplateError(
            f"items2dict requires each dictionary in the list to contain the keys "
            f"'{key_name}' and '{value_name}', got {value!r} instead."
        ) from None


_NULLS = (None, "None", "null")


def _is_null(item: Any) -> bool:
    return item is None or (isinstance(item, str) and item in _NULLS)


def _flatten(items: Iterable, levels: int | None, skip_nulls: bool) -> list:
    flat: list = []
    for item in items:
        if skip_nulls and _is_null(item):
            continue
        if is_list_like(item) and (levels is None or levels >= 1):
            flat.extend(_flatten(item, None if levels is None else levels - 1, skip_nulls))
        else:
            flat.append(item)
    return flat


@register("flatten")
def flatten(value: Any, levels: int | None = None, skip_nulls: bool = True) -> list:
    """Flatten nested lists (all the way, or `levels` deep); drops None/'None'/'null'."""
    return _flatten(value, None if levels is None else int(levels), bool(skip_nulls))


def _lookup_attribute(environment: Environment, item: Any, attribute: Any) -> Any:
    """Jinja's `attribute=` rule: dotted path, digits as list indexes."""
    if not isinstance(attribute, str):
        return environment.getitem(item, attribute)
    for part in attribute.split("."):
        item = environment.getitem(item, int(part) if part.isdigit() else part)
    return item


def _unique(items: Iterable, key: Callable[[Any], Any] = lambda item: item) -> list:
    """Order-kept de-duplication that also copes with unhashable items."""
    seen: set = set()
    seen_unhashable: list = []
    kept: list = []
    for item in items:
        marker = key(item)
        try:
            if marker in seen:
                continue
            seen.add(marker)
        except TypeError:
            if marker in seen_unhashable:
                continue
            seen_unhashable.append(marker)
        kept.append(item)
    return kept


@register("unique")
@pass_environment
def unique(environment: Environment, value: Any, case_sensitive: bool | None = None,
           attribute: Any = None) -> list:
    """Drop repeats, keeping order; like Jinja, text compares case-insensitively by default."""

    def marker(item: Any) -> Any:
        if attribute is not None:
            item = _lookup_attribute(environment, item, attribute)
        if not case_sensitive and isinstance(item, str):
            return item.lower()
        return item

    return _unique(value, marker)


@register("union")
def union(first: Any, second: Any) -> list:
    """Items of both lists, once each, in order of appearance."""
    return _unique(itertools.chain(first, second))


@register("intersect")
def intersect(first: Any, second: Any) -> list:
    """Items of the first list that are also in the second, once each."""
    others = list(second)
    return [item for item in _unique(first) if item in others]


@register("difference")
def difference(first: Any, second: Any) -> list:
    """Items of the first list that are not in the second, once each."""
    others = list(second)
    return [item for item in _unique(first) if item not in others]


@register("symmetric_difference")
def symmetric_difference(first: Any, second: Any) -> list:
    """Items in exactly one of the lists."""
    first, second = list(first), list(second)
    common = [item for item in _unique(first) if item in second]
    return [item for item in _unique(first + second) if item not in common]


@register("zip")
def zip_lists(*lists: Any) -> list:
    """Pair up items; stops at the shortest list."""
    return [list(group) for group in zip(*lists, strict=False)]


@register("zip_longest")
def zip_longest(*lists: Any, fillvalue: Any = None) -> list:
    """Pair up items; short lists are padded with `fillvalue`."""
    return [list(group) for group in itertools.zip_longest(*lists, fillvalue=fillvalue)]


@register("product")
def product(*lists: Any, repeat: int = 1) -> list:
    """Cartesian product of the lists."""
    return [list(group) for group in itertools.product(*lists, repeat=int(repeat))]


@register("permutations")
def permutations(value: Any, r: int | None = None) -> list:
    """All orderings (of length r)."""
    return [list(group) for group in itertools.permutations(value, None if r is None else int(r))]


@register("combinations")
def combinations(value: Any, r: int) -> list:
    """All r-long selections, in input order."""
    return [list(group) for group in itertools.combinations(value, int(r))]


@register("subelements")
def subelements(value: Any, subelement: Any, skip_missing: bool = False) -> list:
    """[parent, child] for every child in each parent's list at `subelement` (a.b path)."""
    if isinstance(value, Mapping):
        parents = list(value.values())
    elif is_list_like(value):
        parents = list(value)
    else:
        raise TemplateError("obj must be a list of dicts or a nested dict")
    if isinstance(subelement, str):
        path = subelement.split(".")
    elif is_list_like(subelement):
        path = list(subelement)
    else:
        raise TemplateError("subelements must be a list or a string")
    pairs: list[Any] = []
    for parent in parents:
        children = _walk_subelement(parent, path, subelement, skip_missing)
        pairs.extend([parent, child] for child in children)
    return pairs


def _walk_subelement(parent: Any, path: list, subelement: Any, skip_missing: bool) -> Any:
    children = parent
    for key in path:
        if not isinstance(children, Mapping):
            raise TemplateError(f"the key {key} should point to a dictionary, got '{children}'")
        if key not in children:
            if skip_missing:
                return []
            raise TemplateError(f"could not find {key!r} key in iterated item {parent!r}")
        children = children[key]
    if not is_list_like(children):
        raise TemplateError(f"the key {subelement!r} should point to a list, got {children!r}")
    return children


@register("extract")
@pass_environment
def extract(environment: Environment, item: Any, container: Any, morekeys: Any = None) -> Any:
    """container[item], then further keys; used as map('extract', container)."""
    value = environment.getitem(container, item)
    if morekeys is None:
        return value
    for key in morekeys if is_list_like(morekeys) else [morekeys]:
        value = environment.getitem(value, key)
    return value


@register("split")
def split(value: str, separator: str | None = None, maxsplit: int = -1) -> list:
    """Python's str.split."""
    return str.split(value, separator, maxsplit)


@register("random")
def random_pick(value: Any, start: int | None = None, step: int | None = None,
                seed: Any = None) -> Any:
    """A random int below `value` (from start, by step) or a random element."""
    generator = _random.Random(seed) if seed is not None else _random.SystemRandom()
    if isinstance(value, int) and not isinstance(value, bool):
        return generator.randrange(start or 0, value, step or 1)
    if hasattr(value, "__iter__"):
        return generator.choice(list(value) if not isinstance(value, Sequence) else value)
    raise TemplateError("random can only be used on sequences and integers")


@register("shuffle")
def shuffle(value: Any, seed: Any = None) -> Any:
    """A shuffled copy of the list (anything else comes back unchanged)."""
    try:
        items = list(value)
    except TypeError:
        return value
    generator = _random.Random(seed) if seed is not None else _random.SystemRandom()
    generator.shuffle(items)
    return items
