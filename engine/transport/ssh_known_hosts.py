"""known_hosts files parsed once per run, not once per connection.

paramiko parses a whole known_hosts file into key objects every time a client loads it:
~40-100 ms for a 500-line file, paid again by every host's connection (20 hosts: one to
two seconds of CPU). Here each file is parsed once and each connection is given only the
entries for its own host. The parse is keyed by the file's path, size and modification
time, so a file that changes (an `accept-new` elsewhere, a user's edit) is read again.
"""
from __future__ import annotations

import functools
import os
import threading
from typing import Any


def keys_for(path: str, name: str) -> list[tuple[str, Any]]:
    """(key type, key) for `name` (`host` or `[host]:port`, hashed entries included) in the
    known_hosts file at `path`, in file order; [] when the file is missing or unreadable."""
    try:
        info = os.stat(path)
    except OSError:
        return []
    with _PARSING:  # the hosts of a play connect at the same moment: one parses, the others wait for it
        host_keys = _parsed(path, info.st_size, info.st_mtime_ns)
    found = host_keys.lookup(name)
    return list(found.items()) if found is not None else []


_PARSING = threading.Lock()


@functools.lru_cache(maxsize=16)
def _parsed(path: str, size: int, mtime_ns: int) -> Any:
    """The parsed file (size and mtime are part of the key, so an edited file is read again)."""
    import paramiko

    host_keys = paramiko.HostKeys()
    try:
        host_keys.load(path)
    except Exception:  # noqa: S110  (an unreadable file is ssh's warning, not our failure: the lines read so far count)
        pass
    return host_keys
