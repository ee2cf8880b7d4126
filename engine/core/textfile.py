"""Read a user's text file safely: regular files only, bounded size, UTF-8 or a clear error.

Playbooks, task files, vars files, `-e @file` and inventories are all read through here so
hostile or mistaken input fails the same way everywhere: a device, FIFO or directory
(`/dev/zero`, `/dev/urandom`, a named pipe) is refused before it is opened (opening a FIFO
would block, reading /dev/zero never ends), a file too big to be a playbook is refused, and
bytes that are not UTF-8 name the file, the byte offset, line and column, instead of a
traceback.
"""
from __future__ import annotations

import os
import stat

from .errors import Location, MiniplayError, ParseError

MAX_TEXT_BYTES = 256 * 1024 * 1024


class NotARegularFile(MiniplayError):
    """A path that is a device, FIFO, socket or directory where a file was expected (exit 1)."""


def ensure_regular_file(path: str) -> None:
    """Raise NotARegularFile unless `path` is a regular file (FileNotFoundError if absent)."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "directory" if stat.S_ISDIR(mode) else "FIFO" if stat.S_ISFIFO(mode) else \
            "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "socket" if stat.S_ISSOCK(mode) else "special file"
        raise NotARegularFile(f"'{path}' does not appear to be a file: it is a {kind}, and only regular files "
                              "can be read here")


def decode_utf8(data: bytes, path: str) -> str:
    """`data` as text; undecodable bytes are a ParseError at their offset, line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(f"Invalid UTF-8 in {path}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                         f"(line {line}, column {column}) cannot be decoded ({exc.reason})",
                         Location(path, line, column)) from None


def read_text_file(path: str) -> str:
    """The text of a regular UTF-8 file; FileNotFoundError/OSError pass through for the caller's wording."""
    ensure_regular_file(path)
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise ParseError(f"'{path}' is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MiB: refused as input",
                         Location(path))
    return decode_utf8(data, path)
