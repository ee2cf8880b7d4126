"""assemble — build one file from the fragments in a directory, in name order (conf.d style).

The target half: with `remote_src: true` (the default) the fragments are read on the target.
(With `remote_src: false` the controller action assembles them from the controller's files/
and sends the result with `copy`.)

Arguments:
  src            the directory of fragments (required)
  dest           the file to write (required)
  delimiter      text put between fragments (backslash escapes such as \\n are understood; a
                 newline is added after it when it lacks one)
  regexp         only fragments whose name matches (re.search)
  ignore_hidden  skip fragments whose name starts with a dot
  backup         keep the old dest beside it with a timestamp
  validate       a command run on the new file before it replaces dest (`%s` is its path)
  remote_src     see above (default true)
  decrypt        accepted (vault decryption only applies to controller files)
  mode, owner, group, ...   the usual file attributes for dest

A fragment that does not end with a newline gets one before the next fragment. dest is
only replaced when the assembled bytes differ (sha1); check mode reports that and writes nothing.

Returns: src, dest, checksum (sha1), md5sum, msg 'OK', changed, backup_file, validation, and
dest's uid, gid, owner, group, mode, state and size.

Example:
  - assemble:
      src: /etc/someapp/conf.d
      dest: /etc/someapp/someapp.conf
      validate: someapp --check-config %s
"""
from __future__ import annotations

import codecs
import os
import re
import shlex
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import (
    FILE_COMMON_SPEC,
    FileAttrs,
    apply_attrs,
    digest_bytes,
    digest_file,
    make_backup,
    path_info,
    write_atomically,
)

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "delimiter": {"type": "str"},
    "dest": {"type": "path", "required": True},
    "backup": {"type": "bool", "default": False},
    "remote_src": {"type": "bool", "default": True},
    "regexp": {"type": "str"},
    "ignore_hidden": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "decrypt": {"type": "bool", "default": True},
    **FILE_COMMON_SPEC,
}
SUPPORTS_CHECK_MODE = True


def assemble(folder: str, delimiter: str | None, pattern: re.Pattern[str] | None,
             ignore_hidden: bool, read=None) -> bytes:
    """The fragments of `folder` joined in sorted name order, as Ansible joins them.

    `read(path) -> bytes` reads one fragment (the controller passes a vault-aware reader).
    """
    read = read or (lambda path: open(path, "rb").read())
    parts: list[bytes] = []
    separate = False
    needs_newline = False
    for name in sorted(os.listdir(folder)):
        if pattern is not None and not pattern.search(name):
            continue
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or (ignore_hidden and name.startswith(".")):
            continue
        content = read(path)
        if needs_newline:
            parts.append(b"\n")
        if separate and delimiter:
            raw = codecs.escape_decode(delimiter.encode())[0]
            parts.append(raw)
            if not raw.endswith(b"\n"):
                parts.append(b"\n")
        parts.append(content)
        separate = True
        needs_newline = not content.endswith(b"\n")
    return b"".join(parts)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    src, dest = args["src"], args["dest"]
    result: dict[str, Any] = {"src": src, "dest": dest}
    if not os.path.exists(src):
        ctx.fail(f"Source ({src}) does not exist")
    if not os.path.isdir(src):
        ctx.fail(f"Source ({src}) is not a directory")
    pattern = None
    if args["regexp"] is not None:
        try:
            pattern = re.compile(args["regexp"])
        except re.error as exc:
            ctx.fail(f'Invalid Regexp ({exc}) in "{args["regexp"]}"')
    validate = args["validate"]
    if validate and "%s" not in validate:
        ctx.fail(f"validate must contain %s: {validate}")
    data = assemble(src, args["delimiter"], pattern, args["ignore_hidden"])
    result["checksum"] = digest_bytes(data, "sha1")
    result["md5sum"] = digest_bytes(data, "md5")
    dest_sum = digest_file(dest, "sha1") if os.path.exists(dest) else None
    changed = False
    if result["checksum"] != dest_sum:
        if validate:
            check_validation(ctx, validate, data, dest, result)
        if args["backup"] and dest_sum is not None:
            result["backup_file"] = make_backup(dest, ctx)
        if not ctx.check_mode:
            write_atomically(dest, data, ctx)
        changed = True
    attrs = FileAttrs.from_args(args)
    result["changed"] = apply_attrs(dest, attrs, ctx) or changed
    result["msg"] = "OK"
    result.update(path_info(dest))
    return result


def check_validation(ctx: ModuleContext, validate: str, data: bytes, dest: str, result: dict[str, Any]) -> None:
    """Run `validate` on the assembled bytes in a scratch file; fail with Ansible's wording."""
    import tempfile

    fd, scratch = tempfile.mkstemp(prefix=".miniplay-assemble-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        rc, out, err = ctx.run_command(shlex.split(validate % scratch))
    finally:
        os.unlink(scratch)
    result["validation"] = {"rc": rc, "stdout": out, "stderr": err}
    if rc != 0:
        ctx.fail(f"failed to validate: rc:{rc} error:{err}")
