"""fetch — copy a file from the target to the controller.

Arguments:
  src               the file on the target (required; directories are refused)
  dest              a directory on the controller (required): the file lands in
                    <dest>/<inventory_hostname>/<src path>. Relative to the playbook dir.
  flat              put the file at dest itself (or into dest when it ends in '/')
  fail_on_missing   fail when src is missing or unreadable (default true)
  validate_checksum check the written file against the target's sha1 (default true)

The target `slurp` module reads the file; the controller compares sha1 checksums
and rewrites the local copy only when they differ (changed). Check mode is not
supported: the task is skipped, as in Ansible.

Example:
  - name: Collect every host's sshd_config
    fetch:
      src: /etc/ssh/sshd_config
      dest: collected/
"""
from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from ...core.fieldtypes import loose_bool
from . import ActionContext
from .copy import fail

MISSING = "the remote file does not exist, not transferring, ignored"
IS_DIR = "remote file is a directory, fetch cannot work on directories"


def _digest(path: str, name: str) -> str | None:
    if not os.path.exists(path) or os.path.isdir(path):
        return None
    try:
        digest = hashlib.new(name)
    except ValueError:  # md5 on a FIPS system
        return None
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def local_dest(ctx: ActionContext, source: str, dest: str, flat: bool) -> str:
    """Where the file lands on the controller (raises ValueError with Ansible's message)."""
    base = ctx.services.playbook_dir
    if flat:
        if os.path.isdir(dest) and not dest.endswith(os.sep):
            raise ValueError("dest is an existing directory, use a trailing slash if you want to fetch src into "
                             "that directory")
        if dest.endswith(os.sep):
            dest = os.path.join(dest, os.path.basename(source))
            if os.path.isdir(dest):
                raise ValueError(f"calculated dest '{dest}' is an existing directory, use another path that does "
                                 "not point to an existing directory")
        if not dest.startswith("/"):
            dest = os.path.join(base, os.path.expanduser(dest))
    else:
        host = str(ctx.vars.get("inventory_hostname", ctx.host))
        dest = f"{os.path.join(base, os.path.expanduser(dest))}/{host}/{source}"
    return os.path.normpath(dest)


def run(ctx: ActionContext) -> dict[str, Any]:
    if ctx.check_mode:
        return {"changed": False, "skipped": True, "msg": "check mode not (yet) supported for this module"}
    args = ctx.args
    source, dest = args.get("src"), args.get("dest")
    if source is None or dest is None:
        return fail("src and dest are required")
    if not isinstance(source, str):
        return fail("Invalid type supplied for source option, it must be a string")
    if not isinstance(dest, str):
        return fail("Invalid type supplied for dest option, it must be a string")
    flat = loose_bool(args.get("flat"))
    fail_on_missing = loose_bool(args.get("fail_on_missing"), True)
    validate = loose_bool(args.get("validate_checksum"), True)

    slurped = ctx.module("slurp", {"src": source})
    if slurped.get("unreachable"):
        return slurped
    if slurped.get("failed"):
        text = str(slurped.get("msg", ""))
        if "not found" in text.lower():
            text = MISSING
        elif text.lower().startswith("source is a directory"):
            text = IS_DIR
        if not fail_on_missing:
            if text == IS_DIR:
                return {"msg": IS_DIR + ", not transferring, ignored"}
            return {"changed": False, "file": source, "msg": text}
        return fail(text)
    data = base64.b64decode(slurped.get("content", ""))
    source = str(slurped.get("source") or source)  # '~' expanded on the target
    remote_checksum = hashlib.sha1(data).hexdigest()

    try:
        target = local_dest(ctx, source, dest, flat)
    except ValueError as exc:
        return fail(str(exc))
    local_checksum = _digest(target, "sha1")
    if remote_checksum == local_checksum:
        return {"changed": False, "md5sum": _digest(target, "md5"), "file": source, "dest": target,
                "checksum": local_checksum}
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        return fail(f"Failed to fetch the file: {exc.strerror}: {target}")
    new_checksum = _digest(target, "sha1")
    md5sum = _digest(target, "md5")
    if validate and new_checksum != remote_checksum:
        return fail("checksum mismatch", md5sum=md5sum, file=source, dest=target, remote_md5sum=None,
                    checksum=new_checksum, remote_checksum=remote_checksum)
    return {"changed": True, "md5sum": md5sum, "dest": target, "remote_md5sum": None, "checksum": new_checksum,
            "remote_checksum": remote_checksum}
