"""Custom stats from `set_stats`: kept per host and for the whole run, like Ansible's.

`set` replaces a value; `update` (aggregate, the default) adds to it: numbers and lists
with `+`, dicts merged recursively; a value of another type than the one stored is
ignored, as Ansible ignores it. Ansible's default callback prints them after the recap
only when `show_custom_stats` is on (ansible.cfg [defaults] or ANSIBLE_SHOW_CUSTOM_STATS).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from ..core.fieldtypes import loose_bool

RUN_KEY = "_run"


class CustomStats:
    """Per-host (`host`) and whole-run (host None) values set by set_stats."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, name: str, value: Any, host: str | None, aggregate: bool) -> None:
        key = host or RUN_KEY
        with self._lock:
            bucket = self.values.setdefault(key, {})
            if not aggregate or name not in bucket:
                bucket[name] = value
                return
            current = bucket[name]
            if not isinstance(value, type(current)):
                return
            bucket[name] = merged(current, value) if isinstance(value, Mapping) else current + value

    def as_dict(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {host: dict(values) for host, values in self.values.items()}


def merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A recursive dict merge where `new` wins (Ansible's merge_hash)."""
    result = dict(old)
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def shown(config: Mapping[str, Any]) -> bool:
    """Whether the console prints custom stats: ANSIBLE_SHOW_CUSTOM_STATS, else ansible.cfg."""
    value = os.environ.get("ANSIBLE_SHOW_CUSTOM_STATS", config.get("show_custom_stats", "false"))
    return loose_bool(value)
