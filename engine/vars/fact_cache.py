"""The fact cache: facts that outlive a run, in ansible-core's own `jsonfile` layout.

How this works
--------------
`memory` (the default) keeps nothing beyond the run: the run's host states are the cache.
`jsonfile` keeps one file per host in `fact_caching_connection`, named
`<fact_caching_prefix>s1_<host>` and holding `{"__payload__": "<JSON of the facts>"}` — the
file ansible-core 2.19 writes, so either tool reads what the other wrote. ansible-core tags
its values inside the payload (`{"value": ..., "tags": [...], "__ansible_type": ...}`);
reading strips the tags, writing writes plain JSON, which ansible-core reads as untagged
values. A file older than `fact_caching_timeout` seconds (0: never) is not read. A file that
is not JSON is removed and the run stops (exit 1), with Ansible's warning and error.
An unknown plugin, or `jsonfile` without a directory, falls back to `memory` with a warning.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import MiniplayError

SCHEMA_PREFIX = "s1_"        # ansible-core 2.19's cache schema id, part of every key
PAYLOAD_KEY = "__payload__"
TYPE_KEY = "__ansible_type"
DEFAULT_TIMEOUT = 86400
FILE_PLUGINS = ("jsonfile", "ansible.builtin.jsonfile")
MEMORY_PLUGINS = ("memory", "ansible.builtin.memory")


@dataclass(frozen=True)
class FactCacheSettings:
    """`fact_caching*` from ansible.cfg or ANSIBLE_CACHE_PLUGIN*, as the CLI resolved them."""

    plugin: str = "memory"
    connection: str | None = None
    prefix: str = ""
    timeout: int = DEFAULT_TIMEOUT


class CorruptCacheFile(MiniplayError):
    """A cache file that is not JSON: it is removed, and the run stops as Ansible's does."""


class FactCache:
    """Where a host's facts persist between runs (nowhere, for `memory`)."""

    def __init__(self, settings: FactCacheSettings, warn: Callable[[str], None]) -> None:
        self.warn = warn
        self.directory: str | None = None
        self.prefix = settings.prefix or ""
        self.timeout = settings.timeout
        if settings.plugin in MEMORY_PLUGINS:
            return
        if settings.plugin not in FILE_PLUGINS:
            warn(f"Unable to load the cache plugin '{settings.plugin}'.")
            return
        if not settings.connection:
            warn("Required config '_uri' for 'jsonfile' cache plugin not provided.")
            return
        directory = os.path.expanduser(os.path.expandvars(settings.connection))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            warn(f"Error in 'jsonfile' cache plugin while trying to create cache dir {directory!r}: {exc}")
            return
        self.directory = directory

    @property
    def persistent(self) -> bool:
        return self.directory is not None

    def path(self, host: str) -> str:
        return os.path.join(self.directory or "", f"{self.prefix}{SCHEMA_PREFIX}{host}")

    def load(self, host: str) -> dict[str, Any]:
        """The host's cached facts ({} when none, expired, or not in the layout we read)."""
        if self.directory is None or not host:
            return {}
        path = self.path(host)
        try:
            if self.timeout and time.time() - os.stat(path).st_mtime > self.timeout:
                return {}
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            return {}
        try:
            payload = json.loads(text)[PAYLOAD_KEY]
            facts = json.loads(payload) if isinstance(payload, str) else payload
        except ValueError as exc:
            self.warn(f"error in 'jsonfile' cache plugin while trying to read {path} : {str(exc).encode()!r}. "
                      "Most likely a corrupt file, so erasing and failing.")
            self.delete(host)
            raise CorruptCacheFile(f"The cache file {path} was corrupt, or did not otherwise contain valid data. "
                                   "It has been removed, so you can re-run your command now.") from None
        except (KeyError, TypeError):
            return {}
        untagged = _untag(facts)
        return untagged if isinstance(untagged, dict) else {}

    def store(self, host: str, facts: dict[str, Any]) -> None:
        """Write the host's facts whole (atomically, as Ansible does: a temp file renamed)."""
        if self.directory is None or not host:
            return
        path = self.path(host)
        text = json.dumps({PAYLOAD_KEY: json.dumps(facts, default=_plain)})
        try:
            import tempfile  # here: only a persistent fact cache writes, and every run imports this file

            handle, temp = tempfile.mkstemp(dir=self.directory)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except OSError as exc:
            self.warn(f"Error in 'jsonfile' cache plugin while trying to write to {path!r}: {exc}")

    def delete(self, host: str) -> None:
        if self.directory is None:
            return
        try:
            os.remove(self.path(host))
        except OSError:
            pass


def _untag(value: Any) -> Any:
    """ansible-core's tagged values as plain ones: a tagged value's `value`, dates as their ISO text."""
    if isinstance(value, dict):
        if TYPE_KEY in value:
            if "value" in value:
                return _untag(value["value"])
            if "iso8601" in value:
                return value["iso8601"]
            return {k: _untag(v) for k, v in value.items() if k != TYPE_KEY}
        return {k: _untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untag(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """JSON for what json cannot write itself: sets and tuples as lists, the rest as text."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
