"""lineinfile — make sure one line is in a text file (or is not), replacing a matching line if there is one.

Arguments:
  path / dest / destfile / name   the file (required)
  line / value      the line to put in (required with state=present)
  regexp / regex    a Python regular expression; the last line it matches is replaced
                    (state=present) or every line it matches is removed (state=absent)
  search_string     like regexp, but a plain substring
  state             present (default) or absent
  insertafter       where to add the line when nothing matches: EOF (default), or a regexp
                    (after its last match; after the first with firstmatch)
  insertbefore      BOF, or a regexp (before its last match; first with firstmatch)
  create            create the file when missing (default false: fail)
  backrefs          with regexp: `line` may use \\1 / \\g<name>; when nothing matches the
                    file is left alone
  firstmatch        use the first match of regexp/insertafter/insertbefore instead of the last
  backup            keep the old file as <path>.<pid>.<date>@<time>~ (result: backup)
  validate          command run on the new file before it replaces the old one (%s = its path)
  mode, owner, group  attributes of the file

Returns: changed, msg ('line added', 'line replaced', 'N line(s) removed', ''), backup,
and found (number of lines removed) with state=absent. Supports check mode and diff.

Example:
  - name: Only key logins
    lineinfile:
      path: /etc/ssh/sshd_config
      regexp: '^#?PasswordAuthentication'
      line: PasswordAuthentication no
      validate: /usr/sbin/sshd -t -f %s
"""
from __future__ import annotations

import io
import os
import re
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, attrs_after_edit, content_diff, save_edit

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "regexp": {"type": "str", "aliases": ["regex"]},
    "search_string": {"type": "str"},
    "line": {"type": "str", "aliases": ["value"]},
    "insertafter": {"type": "str"},
    "insertbefore": {"type": "str"},
    "backrefs": {"type": "bool", "default": False},
    "create": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "firstmatch": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    **FILE_COMMON_SPEC,
}
MUTUALLY_EXCLUSIVE = (("insertbefore", "insertafter"), ("regexp", "search_string"), ("backrefs", "search_string"))
SUPPORTS_CHECK_MODE = True

NEWLINE = os.linesep.encode()


def _lines(data: bytes) -> list[bytes]:
    return io.BytesIO(data).readlines()  # splits on \n only, keeping it


def _bare(line: bytes) -> bytes:
    return line.rstrip(b"\r\n")


def _ends_line(line: bytes) -> bool:
    return line[-1:] in (b"\n", b"\r")


def _compile(ctx: ModuleContext, pattern: str) -> re.Pattern[bytes]:
    try:
        return re.compile(pattern.encode("utf-8", errors="surrogateescape"))
    except re.error as exc:
        ctx.fail(f"Invalid regular expression {pattern!r}: {exc}")


def _place_line(lines: list[bytes], args: dict[str, Any], ctx: ModuleContext, after: str | None,  # noqa: C901  (existing; split when next touched)
                before: str | None) -> str:
    """Edit `lines` in place for state=present; returns Ansible's message ('' for no change)."""
    line = args["line"].encode("utf-8", errors="surrogateescape")
    regexp, search = args["regexp"], args["search_string"]
    firstmatch = args["firstmatch"]
    found_at = -1
    match: re.Match[bytes] | bool | None = None  # True for a search_string hit
    if regexp is not None:
        pattern = _compile(ctx, regexp)
        for number, current in enumerate(lines):
            hit = pattern.search(current)
            if hit:
                found_at, match = number, hit
                if firstmatch:
                    break
    if search is not None:
        needle = search.encode("utf-8", errors="surrogateescape")
        for number, current in enumerate(lines):
            if needle in current:
                found_at, match = number, True
                if firstmatch:
                    break

    anchor = None
    if after not in (None, "BOF", "EOF"):
        anchor = _compile(ctx, after)
    elif before not in (None, "BOF"):
        anchor = _compile(ctx, before)
    insert_at = -1
    if not match:
        # No regexp/search hit: is the line already there, and where would it go?
        for number, current in enumerate(lines):
            if _bare(current) == line:
                found_at = number
            elif anchor is not None and anchor.search(current):
                insert_at = number + 1 if after else number
                if firstmatch:
                    break

    if found_at != -1:
        new = match.expand(line) if args["backrefs"] and isinstance(match, re.Match) else line
        if not new.endswith(NEWLINE):
            new += NEWLINE
        if lines[found_at] != new:
            lines[found_at] = new
            return "line replaced"
        return ""
    if args["backrefs"]:
        return ""  # backrefs: no match, no change
    if before == "BOF" or after == "BOF":
        lines.insert(0, line + NEWLINE)
        return "line added"
    if after == "EOF" or insert_at == -1:
        if lines and not _ends_line(lines[-1]):
            lines[-1] += NEWLINE
        lines.append(line + NEWLINE)
        return "line added"
    if after:
        if insert_at == len(lines):
            if _bare(lines[-1]) == line:
                return ""
            if not _ends_line(lines[-1]):
                lines[-1] += NEWLINE
            lines.append(line + NEWLINE)
            return "line added"
        if _bare(lines[insert_at]) == line:
            return ""
    lines.insert(insert_at, line + NEWLINE)
    return "line added"


def _remove_lines(lines: list[bytes], args: dict[str, Any], ctx: ModuleContext) -> tuple[list[bytes], int]:
    regexp, search, line = args["regexp"], args["search_string"], args["line"]
    if regexp is not None:
        pattern = _compile(ctx, regexp)
        hit = lambda current: pattern.search(current) is not None  # noqa: E731
    elif search is not None:
        needle = search.encode("utf-8", errors="surrogateescape")
        hit = lambda current: needle in current  # noqa: E731
    else:
        wanted = line.encode("utf-8", errors="surrogateescape")
        hit = lambda current: _bare(current) == wanted  # noqa: E731
    kept = [current for current in lines if not hit(current)]
    return kept, len(lines) - len(kept)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    path = args["path"]
    regexp, search = args["regexp"], args["search_string"]
    if "" in (regexp, search):
        what = "regular expression" if regexp == "" else "search string"
        text = (f"The {what} is an empty string, which will match every line in the file. This may have "
                "unintended consequences, such as replacing the last line in the file rather than appending.")
        if regexp == "":
            text += " If this is desired, use '^' to match every line in the file and avoid this warning."
        ctx.warn(text)
    if os.path.isdir(path):
        ctx.fail(f"Path {path} is a directory !", rc=256)
    attrs = FileAttrs.from_args(args)
    header = f"{path} (content)"

    if args["state"] == "present":
        if args["backrefs"] and regexp is None:
            ctx.fail("regexp is required with backrefs=true")
        if args["line"] is None:
            ctx.fail("line is required with state=present")
        after, before = args["insertafter"], args["insertbefore"]
        if after is None and before is None:
            after = "EOF"
        exists = os.path.exists(path)
        if not exists:
            if not args["create"]:
                ctx.fail(f"Destination {path} does not exist !", rc=257)
            parent = os.path.dirname(path)
            if parent and not os.path.exists(parent) and not ctx.check_mode:
                try:
                    os.makedirs(parent)
                except OSError as exc:
                    ctx.fail(f"Error creating {parent} ({exc})")
            original = b""
        else:
            with open(path, "rb") as handle:
                original = handle.read()
        lines = _lines(original)
        msg = _place_line(lines, args, ctx, after, before)
        changed = bool(msg)
        updated = b"".join(lines)
        result: dict[str, Any] = {}
        if ctx.diff:
            result["diff"] = content_diff(original, updated, header, header)
        backup = ""
        if changed and not ctx.check_mode:
            backup = save_edit(path, updated, ctx, args["backup"], args["validate"])
        if ctx.check_mode and not exists:
            return {"changed": changed, "msg": msg, "backup": backup, **result}
        msg, changed = attrs_after_edit(path, attrs, ctx, changed, msg)
        return {"changed": changed, "msg": msg, "backup": backup, **result}

    if (regexp, search, args["line"]) == (None, None, None):
        ctx.fail("one of line, search_string, or regexp is required with state=absent")
    if not os.path.exists(path):
        return {"changed": False, "msg": "file not present"}
    with open(path, "rb") as handle:
        original = handle.read()
    kept, found = _remove_lines(_lines(original), args, ctx)
    updated = b"".join(kept)
    changed = found > 0
    result = {}
    if ctx.diff:
        result["diff"] = content_diff(original, updated, header, header)
    backup = ""
    if changed and not ctx.check_mode:
        backup = save_edit(path, updated, ctx, args["backup"], args["validate"])
    msg = f"{found} line(s) removed" if changed else ""
    msg, changed = attrs_after_edit(path, attrs, ctx, changed, msg)
    return {"changed": changed, "found": found, "msg": msg, "backup": backup, **result}
