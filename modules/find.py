"""find — list the files, directories or links under some paths that match name, age, size, content or mode.

Never changes anything (runs in check mode too). Each match is described like `stat` does
(path, mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, size, mtime, ...).

Arguments:
  paths / path / name   directories to look in (required; a list, or comma-separated)
  patterns / pattern    shell globs (or regexes with use_regex) the base name must match (default all)
  excludes / exclude    globs (or regexes) that drop a name the patterns matched
  use_regex             patterns and excludes are Python regexes matched at the start (default false)
  file_type             file (default), directory, link or any
  contains              a regex some line of a file must match (files only); with read_whole_file,
                        searched anywhere in the whole text
  encoding              the files' encoding for `contains`
  age                   older than this (`2d`, `3h`, `5m`, `30s`, `1w`); negative: newer than
  age_stamp             mtime (default), atime or ctime
  size                  at least this (`10k`, `2m`, `1g`, bytes by default); negative: at most
  mode                  permissions the entry must have (octal or symbolic string); with
                        exact_mode false, any of these bits is enough
  recurse               descend into subdirectories (default false); depth limits how far
  hidden                include names starting with a dot (default false)
  follow                follow symlinked directories while walking
  get_checksum          add `checksum` for regular files (checksum_algorithm, default sha1)
  limit                 stop after this many matches

Returns: files (list), matched, examined, msg ('All paths examined', 'Limit of matches reached'
or 'Not all paths examined, check warnings for details'), skipped_paths ({path: reason}).

Example:
  - name: Old logs
    find:
      paths: /var/log/app
      patterns: '*.log'
      age: 2w
    register: old_logs
"""
from __future__ import annotations

import errno
import fnmatch
import grp
import os
import pwd
import re
import stat
import time
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import digest_file, parse_mode

ARGUMENT_SPEC = {
    "paths": {"type": "list", "required": True, "aliases": ["name", "path"], "elements": "path"},
    "patterns": {"type": "list", "default": [], "aliases": ["pattern"], "elements": "str"},
    "excludes": {"type": "list", "aliases": ["exclude"], "elements": "str"},
    "contains": {"type": "str"},
    "read_whole_file": {"type": "bool", "default": False},
    "file_type": {"type": "str", "default": "file", "choices": ["any", "directory", "file", "link"]},
    "age": {"type": "str"},
    "age_stamp": {"type": "str", "default": "mtime", "choices": ["atime", "ctime", "mtime"]},
    "size": {"type": "str"},
    "recurse": {"type": "bool", "default": False},
    "hidden": {"type": "bool", "default": False},
    "follow": {"type": "bool", "default": False},
    "get_checksum": {"type": "bool", "default": False},
    "checksum_algorithm": {"type": "str", "default": "sha1", "aliases": ["checksum", "checksum_algo"],
                           "choices": ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]},
    "use_regex": {"type": "bool", "default": False},
    "depth": {"type": "int"},
    "mode": {"type": "raw"},
    "exact_mode": {"type": "bool", "default": True},
    "encoding": {"type": "str"},
    "limit": {"type": "int"},
}
SUPPORTS_CHECK_MODE = True

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_BYTES = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_amount(text: str, units: dict[str, int], first_units: str) -> int | None:
    """'-2d' -> -172800 with `units`; None when the text is not a number with a known unit."""
    found = re.match(rf"^(-?\d+)([{first_units}])?$", text.lower())
    if not found:
        return None
    return int(found.group(1)) * units.get(found.group(2) or "", 1)


def name_matches(name: str, patterns: list[str], excludes: list[str] | None, use_regex: bool) -> bool:
    """A pattern matches the base name and no exclude does (regexes are anchored at the start)."""
    def hit(pattern: str) -> bool:
        return bool(re.match(pattern, name)) if use_regex else fnmatch.fnmatch(name, pattern)

    if not any(hit(p) for p in patterns):
        return False
    return not any(hit(e) for e in excludes or ())


def old_enough(st: os.stat_result, now: float, age: int | None, stamp: str) -> bool:
    if age is None:
        return True
    elapsed = now - getattr(st, f"st_{stamp}")
    return elapsed >= abs(age) if age >= 0 else elapsed <= abs(age)


def big_enough(st: os.stat_result, size: int | None) -> bool:
    if size is None:
        return True
    return st.st_size >= abs(size) if size >= 0 else st.st_size <= abs(size)


def content_matches(path: str, pattern: str | None, encoding: str | None, whole: bool) -> bool:
    """Does a line of the file match (re.match), or the whole text contain (re.search), the pattern?"""
    if pattern is None:
        return True
    regex = re.compile(pattern)
    try:
        with open(path, encoding=encoding) as handle:
            if whole:
                return bool(regex.search(handle.read()))
            return any(regex.match(line) for line in handle)
    except LookupError:
        raise
    except UnicodeDecodeError as exc:
        shown = encoding or 'None (default determined by the Python built-in function "open")'
        raise RuntimeError(f"Failed to read the file {path} due to an encoding error. current encoding: {shown}") \
            from exc
    except OSError:
        return False


def mode_matches(st: os.stat_result, wanted: Any, exact: bool) -> bool:
    if not wanted:
        return True
    bits = stat.S_IMODE(parse_mode(wanted, 0, False))  # symbolic modes read from 0, as Ansible reads them
    have = stat.S_IMODE(st.st_mode)
    return have == bits if exact else bool(have & bits)


def describe(path: str, st: os.stat_result) -> dict[str, Any]:
    """Ansible's per-match dict: the path and its stat fields with owner names."""
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = ""
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = ""
    mode = st.st_mode
    info: dict[str, Any] = {
        "path": path, "mode": f"{stat.S_IMODE(mode):04o}", "isdir": stat.S_ISDIR(mode),
        "ischr": stat.S_ISCHR(mode), "isblk": stat.S_ISBLK(mode), "isreg": stat.S_ISREG(mode),
        "isfifo": stat.S_ISFIFO(mode), "islnk": stat.S_ISLNK(mode), "issock": stat.S_ISSOCK(mode),
        "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size, "inode": st.st_ino, "dev": st.st_dev,
        "nlink": st.st_nlink, "atime": st.st_atime, "mtime": st.st_mtime, "ctime": st.st_ctime,
        "gr_name": group, "pw_name": owner,
    }
    for who, shift in (("usr", 6), ("grp", 3), ("oth", 0)):
        info["w" + who] = bool(mode & (2 << shift))
        info["r" + who] = bool(mode & (4 << shift))
        info["x" + who] = bool(mode & (1 << shift))
    info["isuid"] = bool(mode & stat.S_ISUID)
    info["isgid"] = bool(mode & stat.S_ISGID)
    return info


class Search:
    """One find run: the filters from the arguments, and what was matched and skipped."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext, age: int | None, size: int | None) -> None:
        self.args = args
        self.ctx = ctx
        self.age = age
        self.size = size
        self.now = time.time()
        self.files: list[dict[str, Any]] = []
        self.skipped: dict[str, str] = {}
        self.examined = 0
        self.warned = False

    def common_filters(self, name: str, st: os.stat_result) -> bool:
        a = self.args
        return (name_matches(name, a["patterns"], a["excludes"], a["use_regex"])
                and old_enough(st, self.now, self.age, a["age_stamp"])
                and mode_matches(st, a["mode"], a["exact_mode"]))

    def consider(self, name: str, path: str) -> None:
        a = self.args
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.ctx.warn(f"Skipped entry {path!r} due to access issue: {exc}")
            self.skipped[path] = str(exc)
            self.warned = True
            return
        kind = a["file_type"]
        checksum = a["get_checksum"] and stat.S_ISREG(st.st_mode)
        if kind == "any":
            wanted = self.common_filters(name, st) and (not stat.S_ISREG(st.st_mode) or big_enough(st, self.size))
        elif kind == "directory":
            wanted = stat.S_ISDIR(st.st_mode) and self.common_filters(name, st)
            checksum = False
        elif kind == "file":
            wanted = (stat.S_ISREG(st.st_mode) and self.common_filters(name, st) and big_enough(st, self.size)
                      and content_matches(path, a["contains"], a["encoding"], a["read_whole_file"]))
        else:
            wanted = stat.S_ISLNK(st.st_mode) and self.common_filters(name, st)
            checksum = False
        if wanted:
            entry = describe(path, st)
            if checksum:
                entry["checksum"] = digest_file(path, a["checksum_algorithm"])
            self.files.append(entry)

    def at_limit(self) -> bool:
        return len(self.files) == self.args["limit"]

    def walk(self, top: str) -> None:
        a = self.args

        def on_error(exc: OSError) -> None:
            if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOENT):
                self.skipped[exc.filename] = str(exc)
                return
            raise exc

        if not os.path.isdir(top):
            raise RuntimeError(f"'{top}' is not a directory")
        base_depth = (top.rstrip(os.sep) + os.sep).count(os.sep)
        for root, dirs, files in os.walk(top, onerror=on_error, followlinks=a["follow"]):
            self.examined += len(files) + len(dirs)
            for name in files + dirs:
                path = os.path.normpath(os.path.join(root, name))
                if a["depth"] and path.count(os.sep) - base_depth + 1 > a["depth"]:
                    del dirs[:]
                    continue
                if name.startswith(".") and not a["hidden"]:
                    continue
                self.consider(name, path)
                if self.at_limit():
                    break
            if not a["recurse"] or self.at_limit():
                break


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    mode = args["mode"]
    if mode and not isinstance(mode, str):
        ctx.fail("argument 'mode' is not a string and conversion is not allowed, value is of type "
                 f"{type(mode).__name__}")
    if not args["patterns"]:
        args["patterns"] = [".*"] if args["use_regex"] else ["*"]
    age = size = None
    if args["age"] is not None:
        age = parse_amount(args["age"], _SECONDS, "smhdw")
        if age is None:
            ctx.fail("failed to process age", age=args["age"])
    if args["size"] is not None:
        size = parse_amount(args["size"], _BYTES, "bkmgt")
        if size is None:
            ctx.fail("failed to process size", size=args["size"])
    if args["limit"] is not None and args["limit"] <= 0:
        ctx.fail(f"limit cannot be {args['limit']} (use None for unlimited)")

    search = Search(args, ctx, age, size)
    for top in args["paths"]:
        try:
            search.walk(top)
        except Exception as exc:  # one bad path is a warning, as in Ansible; the others are still searched
            search.skipped[top] = str(exc)
            ctx.warn(f"Skipped '{top}' path due to this access issue: {exc}\n")
            search.warned = True
        if search.at_limit():
            break
    msg = "Limit of matches reached" if search.at_limit() else "All paths examined"
    if search.warned:
        msg = "Not all paths examined, check warnings for details"
    return {"files": search.files, "changed": False, "msg": msg, "matched": len(search.files),
            "examined": search.examined, "skipped_paths": search.skipped}
