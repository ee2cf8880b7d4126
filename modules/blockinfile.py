"""blockinfile — keep a block of lines between two marker lines in a text file (insert, update, or remove it).

Arguments:
  path / dest / destfile / name   the file (required)
  block / content   the text between the markers (default ''; empty with state=present removes
                    the block)
  marker            the marker line template; {mark} becomes marker_begin / marker_end
                    (default '# {mark} ANSIBLE MANAGED BLOCK')
  marker_begin, marker_end   default BEGIN and END
  state             present (default) or absent
  insertafter       EOF (default) or a regexp: a new block goes after its last matching line
  insertbefore      BOF or a regexp: a new block goes before its last matching line
                    (a regexp with (?m) is matched against the whole file, first match)
  create            create the file when missing (default false: fail)
  backup            keep the old file as <path>.<pid>.<date>@<time>~ (result: backup_file)
  append_newline, prepend_newline   put a blank line after / before the block
  validate          command run on the new file before it replaces the old one (%s = its path)
  mode, owner, group  attributes of the file

Returns: changed, msg ('Block inserted', 'Block removed', 'File created', ''), backup_file.
An existing block (both markers found) is replaced where it stands. Supports check mode and diff.

Example:
  - name: Static hosts for the lab
    blockinfile:
      path: /etc/hosts
      marker: "# {mark} lab hosts"
      block: |
        10.0.0.10 web1
        10.0.0.11 web2
"""
from __future__ import annotations

import os
import re
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, attrs_after_edit, content_diff, save_edit

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "marker": {"type": "str", "default": "# {mark} ANSIBLE MANAGED BLOCK"},
    "block": {"type": "str", "default": "", "aliases": ["content"]},
    "insertafter": {"type": "str"},
    "insertbefore": {"type": "str"},
    "create": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "marker_begin": {"type": "str", "default": "BEGIN"},
    "marker_end": {"type": "str", "default": "END"},
    "append_newline": {"type": "bool", "default": False},
    "prepend_newline": {"type": "bool", "default": False},
    **FILE_COMMON_SPEC,
}
MUTUALLY_EXCLUSIVE = (("insertbefore", "insertafter"),)
SUPPORTS_CHECK_MODE = True

NEWLINE = os.linesep.encode()


def _enc(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def _insert_position(lines: list[bytes], original: bytes, after: Any, before: Any, ctx: ModuleContext) -> int:
    """Index where a new block goes when the file has no complete block yet."""
    pattern_text = after if after not in (None, "EOF") else before if before not in (None, "BOF") else None
    if pattern_text is None:
        return 0 if before is not None else len(lines)  # BOF / EOF
    try:
        pattern = re.compile(_enc(pattern_text))
    except re.error as exc:
        ctx.fail(f"Invalid regular expression {pattern_text!r}: {exc}")
    found = None
    if pattern.flags & re.MULTILINE:
        hit = pattern.search(original)
        if hit:
            found = original.count(b"\n", 0, hit.end() if after else hit.start())
    else:
        for number, line in enumerate(lines):
            if pattern.search(line):
                found = number
    if found is None:
        return len(lines)
    return found + 1 if after is not None else found


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    path = args["path"]
    if os.path.isdir(path):
        ctx.fail(f"Path {path} is a directory !", rc=256)
    present = args["state"] == "present"
    exists = os.path.exists(path)
    if not exists:
        if not args["create"]:
            ctx.fail(f"Path {path} does not exist !", rc=257)
        parent = os.path.dirname(path)
        if parent and not os.path.exists(parent) and not ctx.check_mode:
            try:
                os.makedirs(parent)
            except OSError as exc:
                ctx.fail(f"Error creating {parent} Error code: {exc.errno} Error description: {exc.strerror}")
        original = None
        lines: list[bytes] = []
    else:
        with open(path, "rb") as handle:
            original = handle.read()
        lines = original.splitlines(True)
    if not present and not exists:
        return {"changed": False, "msg": f"File {path} not present"}

    after, before = args["insertafter"], args["insertbefore"]
    if after is None and before is None:
        after = "EOF"
    marker = _enc(args["marker"])
    begin = marker.replace(b"{mark}", _enc(args["marker_begin"])) + NEWLINE
    end = marker.replace(b"{mark}", _enc(args["marker_end"])) + NEWLINE
    block = _enc(args["block"])
    if present and block:
        if not block.endswith(NEWLINE):
            block += NEWLINE
        block_lines = [begin] + block.splitlines(True) + [end]
    else:
        block_lines = []

    # The last begin and last end marker, as Ansible finds them.
    first = last = None
    for number, line in enumerate(lines):
        if line == begin:
            first = number
        if line == end:
            last = number
    if first is None or last is None:
        at = _insert_position(lines, original or b"", after, before, ctx)
    else:
        low, high = min(first, last), max(first, last)
        del lines[low:high + 1]
        at = low

    if at > 0 and not lines[at - 1].endswith(NEWLINE):
        lines[at - 1] += NEWLINE
    if args["prepend_newline"] and present and at != 0 and lines[at - 1] != NEWLINE:
        lines.insert(at, NEWLINE)
        at += 1
    lines[at:at] = block_lines
    if args["append_newline"] and present:
        following = at + len(block_lines)
        if following < len(lines) and lines[following] != NEWLINE:
            lines.insert(following, NEWLINE)
    updated = b"".join(lines)

    if original == updated:
        msg, changed = "", False
    elif original is None:
        msg, changed = "File created", True
    elif not block_lines:
        msg, changed = "Block removed", True
    else:
        msg, changed = "Block inserted", True

    result: dict[str, Any] = {}
    if ctx.diff:
        header = f"{path} (content)"
        result["diff"] = content_diff(original, updated, header, header)
    backup_file = ""
    if changed and not ctx.check_mode:
        backup_file = save_edit(path, updated, ctx, args["backup"] and exists, args["validate"])
    if ctx.check_mode and not exists:
        return {"changed": changed, "msg": msg, **result}
    msg, changed = attrs_after_edit(path, FileAttrs.from_args(args), ctx, changed, msg)
    result.update(changed=changed, msg=msg)
    if backup_file:
        result["backup_file"] = backup_file
    return result
