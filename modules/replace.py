"""replace — replace every match of a regular expression in a file (like sed s///g, multi-line aware).

Arguments:
  path / dest / destfile / name   the file (required)
  regexp        a Python regular expression, matched in MULTILINE mode (required)
  replace       the replacement; may use \\1 and \\g<name> (default '': delete the matches)
  after         only replace in the text after the first match of this regexp
  before        only replace in the text before the last match of this regexp (both together:
                the text between them; DOTALL)
  backup        keep the old file as <path>.<pid>.<date>@<time>~ (result: backup_file)
  encoding      the file's encoding (default utf-8)
  validate      command run on the new file before it replaces the old one (%s = its path)
  mode, owner, group  attributes of the file

Returns: changed, msg ('N replacements made', ''), rc 0, backup_file.
Supports check mode and diff.

Example:
  - name: Point the app at the new database host
    replace:
      path: /etc/app.ini
      regexp: '^(db_host\\s*=\\s*).*$'
      replace: '\\1db2.internal'
"""
from __future__ import annotations

import os
import re
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, attrs_after_edit, make_backup, write_atomically

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "regexp": {"type": "str", "required": True},
    "replace": {"type": "str", "default": ""},
    "after": {"type": "str"},
    "before": {"type": "str"},
    "backup": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "encoding": {"type": "str", "default": "utf-8"},
    **FILE_COMMON_SPEC,
}
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    path, encoding = args["path"], args["encoding"]
    result: dict[str, Any] = {"rc": 0}
    if os.path.isdir(path):
        ctx.fail(f"Path {path} is a directory !", rc=256)
    if not os.path.exists(path):
        ctx.fail(f"Path {path} does not exist !", rc=257)
    try:
        with open(path, "rb") as handle:
            contents = handle.read().decode(encoding, errors="surrogateescape")
    except (OSError, LookupError) as exc:
        ctx.fail(f"Unable to read the contents of {path!r}.", details=str(exc))

    # The part of the file to work on: between `after` and `before` when given.
    section_pattern = ""
    if args["after"] and args["before"]:
        section_pattern = f"{args['after']}(?P<subsection>.*?){args['before']}"
    elif args["after"]:
        section_pattern = f"{args['after']}(?P<subsection>.*)"
    elif args["before"]:
        section_pattern = f"(?P<subsection>.*){args['before']}"
    start, stop = 0, len(contents)
    if section_pattern:
        try:
            found = re.search(section_pattern, contents, re.DOTALL)
        except re.error as exc:
            ctx.fail(f"Unable to process replace due to error: {exc}")
        if not found:
            result.update(changed=False,
                          msg=f"Pattern for before/after params did not match the given file: {section_pattern}")
            return result
        start, stop = found.start("subsection"), found.end("subsection")
    section = contents[start:stop]
    try:
        new_section, count = re.subn(re.compile(args["regexp"], re.MULTILINE), args["replace"], section)
    except re.error as exc:
        ctx.fail(f"Unable to process replace due to error: {exc}")

    changed = count > 0 and new_section != section
    msg = ""
    if changed:
        updated = contents[:start] + new_section + contents[stop:]
        msg = f"{count} replacements made"
        if ctx.diff:
            result["diff"] = {"before_header": path, "before": contents, "after_header": path, "after": updated}
        if not ctx.check_mode:
            if args["backup"]:
                result["backup_file"] = make_backup(path, ctx)
            write_atomically(os.path.realpath(path), updated.encode(encoding, errors="surrogateescape"), ctx,
                             validate=args["validate"], validate_short_msg=True)
    result["msg"], result["changed"] = attrs_after_edit(path, FileAttrs.from_args(args), ctx, changed, msg)
    return result
