"""Filters of the mini.demo test collection."""
from __future__ import annotations


def double(value):
    return value * 2


def keys_upper(value):
    return {str(k).upper(): v for k, v in value.items()}


class FilterModule:
    def filters(self):
        return {"double": double, "keys_upper": keys_upper}
