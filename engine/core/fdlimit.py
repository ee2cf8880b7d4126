"""The controller's open-files limit: raised toward the hard limit at start, checked against the inventory.

Each host holds one controller file descriptor for the whole run (its SSH socket, or its local
worker's socket pair end), whatever `--forks` says, so a large inventory under the common soft
limit of 1024 can still fail hosts with "Too many open files". The soft limit is an arbitrary default the
process may raise up to the hard limit by itself, so the CLI does that first; when even the
hard limit is too low for the inventory, the run says so once, with the numbers, before the
first play.
"""
from __future__ import annotations

import errno

try:
    import resource
except ImportError:  # not on this platform: nothing to raise, nothing to check
    resource = None  # type: ignore[assignment]

FDS_PER_HOST = 1      # an ssh socket, or a local worker's socket (its stderr pipe is released once it starts)
FDS_BASE = 64         # the controller's own: std streams, event log, trace, epoll, listening sockets
UNLIMITED_TARGET = 1 << 20


def raise_open_files_limit() -> tuple[int, int] | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit; (soft, hard) afterwards, None if unknown."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # e.g. a container that refuses: keep the soft limit and let the check speak
    return soft, hard


def needed_descriptors(hosts: int) -> int:
    return FDS_BASE + FDS_PER_HOST * hosts


def shortfall_warning(hosts: int) -> str | None:
    """A one-paragraph warning when the current soft limit is too low for `hosts`, else None."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = needed_descriptors(hosts)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    shown_hard = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    return (f"The open-files limit is too low for this inventory: {hosts} hosts may need about {needed} file "
            f"descriptors ({FDS_PER_HOST} per host), and the limit is {soft} (hard limit {shown_hard}). Hosts past "
            f"the limit will fail with 'Too many open files'; raise it before the run (ulimit -n {needed}).")


def out_of_descriptors_message(exc: BaseException) -> str | None:
    """The host's failure message when `exc` is the controller running out of descriptors."""
    if not isinstance(exc, OSError) or exc.errno not in (errno.EMFILE, errno.ENFILE):
        return None
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if resource is not None else "unknown"
    return (f"The controller ran out of file descriptors (open-files limit {limit}) while starting work on this "
            f"host: raise the limit (ulimit -n) or run fewer hosts at once")
