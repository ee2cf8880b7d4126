"""`serial`: split a play's hosts into batches (a number, a percentage, or a list)."""
from __future__ import annotations

from typing import Any

from ..core.errors import Location, ParseError


def _batch_size(value: Any, total: int, where: Location) -> int:
    text = str(value).strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if percent <= 0 or percent > 100:
                raise ValueError
            return max(1, int(percent / 100.0 * total))
        size = int(text)
    except ValueError:
        raise ParseError(f"serial must be a positive number, a percentage such as '30%' or a list of them, "
                         f"got {value!r}", where) from None
    if size < 0:
        raise ParseError(f"serial must not be negative, got {value!r}", where)
    return size if size > 0 else total


def serial_batches(serial: Any, hosts: list[str], where: Location) -> list[list[str]]:
    if serial in (None, "", 0, "0", []):
        return [hosts]
    sizes = serial if isinstance(serial, list) else [serial]
    batches: list[list[str]] = []
    position = 0
    step = 0
    while position < len(hosts):
        size = _batch_size(sizes[min(step, len(sizes) - 1)], len(hosts), where)
        batches.append(hosts[position:position + size])
        position += size
        step += 1
    return batches
