"""copy — put a file on the target: from inline content, from the controller, or from another path on the target.

Arguments:
  dest              where to write (required). Ending in '/' means "into this directory"
                    (created, with directory_mode, when missing).
  content           the file's text, written as is (a dict or list is written as JSON)
  src               with remote_src: a file or directory already on the target. (A file on
                    the controller is read there and arrives as _miniplay_content_b64.)
  remote_src        src is on the target (default false)
  mode, owner, group  attributes of the file; mode may be 'preserve' (take src's mode; for a
                    controller file the controller puts the local file's mode in its place)
  backup            keep the old file as <dest>.<pid>.<date>@<time>~ (result: backup_file)
  force             replace a different existing file (default true); false: only create
  validate          command run on the new file before it replaces dest; %s is its path
  directory_mode    mode of directories this task creates
  follow            when dest is a symlink, write through it to its target (default false)
  checksum          expected sha1 of the source; the task fails when it does not match

Internal (set by the controller): _miniplay_content_b64 (the bytes of a controller-side src),
_miniplay_src_name (its name relative to src, used when dest is a directory).

Returns: changed, dest, src, checksum (sha1), md5sum, size, mode, uid, gid, owner, group,
state, and backup_file with backup. The write is atomic: temp file beside dest, then rename.
A second run with the same content reports changed false. Supports check mode and diff.

Example:
  - name: Install the motd
    copy:
      content: "Welcome to {{ inventory_hostname }}\\n"
      dest: /etc/motd
      mode: "0644"
      backup: true
"""
from __future__ import annotations

import base64
import filecmp
import json
import os
import shutil
import stat
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._files import (
    FILE_COMMON_SPEC,
    FileAttrs,
    apply_attrs,
    digest_bytes,
    digest_file,
    make_backup,
    md5_or_none,
    path_info,
    read_bytes,
    write_atomically,
)

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "src": {"type": "path"},
    "content": {"type": "raw", "no_log": True},
    "remote_src": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": True},
    "validate": {"type": "str"},
    "directory_mode": {"type": "raw"},
    "follow": {"type": "bool", "default": False},
    "local_follow": {"type": "bool"},
    "checksum": {"type": "str"},
    "decrypt": {"type": "bool", "default": True},
    "_original_basename": {"type": "str"},
    "_miniplay_content_b64": {"type": "str", "no_log": True},
    "_miniplay_src_name": {"type": "str"},
    **FILE_COMMON_SPEC,
}
SUPPORTS_CHECK_MODE = True

_DIR_DEST = "can not use content with a dir as dest"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    content = args["content"]
    encoded = args["_miniplay_content_b64"]
    src = args["src"]
    if content is not None and encoded is not None:
        ctx.fail("src and content are mutually exclusive")
    if content is not None and src is not None and not args["remote_src"]:
        ctx.fail("src and content are mutually exclusive")
    if content is None and encoded is None and not src:
        ctx.fail("src (or content) is required")
    if content is not None:
        if isinstance(content, (dict, list)):
            content = json.dumps(content)
        elif not isinstance(content, str):
            content = str(content)
        return _with_checksum(content.encode("utf-8"), args, ctx, inline=True)
    if encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            ctx.fail(f"could not decode the file content sent by the controller: {exc}")
        return _with_checksum(data, args, ctx, inline=False)
    return _copy_path(src, args, ctx)


# --------------------------------------------------------------------------- data from the controller
def _with_checksum(data: bytes, args: dict[str, Any], ctx: ModuleContext, inline: bool) -> dict[str, Any]:
    """Like Ansible's action, every answer about sent data carries its checksum, failures too."""
    try:
        result = _copy_data(data, args, ctx, inline)
    except ModuleFailed as exc:
        if not exc.result.get("checksum") and exc.result["msg"] != _DIR_DEST:
            exc.result["checksum"] = digest_bytes(data)
        raise
    return result


def _copy_data(data: bytes, args: dict[str, Any], ctx: ModuleContext, inline: bool) -> dict[str, Any]:
    """Content (or a controller file's bytes): decide, diff, and write — Ansible's action and module in one."""
    dest = args["dest"]
    name = args["_miniplay_src_name"] or args["_original_basename"]
    if inline and dest.endswith("/"):
        ctx.fail(_DIR_DEST)
    dest_file = os.path.join(dest, name) if dest.endswith("/") and name else dest
    if os.path.isdir(dest_file):
        if inline or not name:
            ctx.fail(_DIR_DEST)
        dest_file = os.path.join(dest_file, name)
    if args["follow"] and os.path.islink(dest_file):
        dest_file = os.path.realpath(dest_file)
    attrs = _attrs(args, None)
    shown_src = {"src": name} if name else {}

    if os.path.lexists(dest_file) and not args["force"]:
        return {"changed": False, "dest": dest_file, **shown_src}
    checksum_src = digest_bytes(data)
    if args["checksum"] and args["checksum"] != checksum_src:
        ctx.fail("Copied file does not match the expected checksum. Transfer failed.",
                 checksum=checksum_src, expected_checksum=args["checksum"])
    is_file = os.path.isfile(dest_file) and not os.path.islink(dest_file)
    checksum_dest = digest_file(dest_file) if is_file and os.access(dest_file, os.R_OK) else None

    if checksum_src == checksum_dest:
        # Same content: only the attributes may need work (Ansible hands this to the file module).
        diff: dict[str, Any] = {"before": {"path": dest_file}, "after": {"path": dest_file}}
        changed = apply_attrs(dest_file, attrs, ctx, diff)
        same: dict[str, Any] = {"changed": changed, "dest": dest_file, "path": dest_file, "checksum": checksum_src}
        if ctx.diff:
            same["diff"] = diff
        same.update(path_info(dest_file))
        return same

    result: dict[str, Any] = {"changed": True}
    if ctx.diff:
        result["diff"] = _diff(dest_file, data, dest_file if inline else (name or dest_file))
    if ctx.check_mode:
        return result
    parent = os.path.dirname(dest_file)
    if dest.endswith("/") and parent and not os.path.exists(parent):
        _make_parents(parent, args, ctx)
    _check_parent(parent, ctx, checksum=checksum_src)
    backup_file = make_backup(dest_file, ctx) if args["backup"] and is_file else ""
    write_atomically(dest_file, data, ctx, attrs=attrs, validate=args["validate"])
    result.update(dest=dest_file, **shown_src, md5sum=_md5(data), checksum=checksum_src)
    if backup_file:
        result["backup_file"] = backup_file
    apply_attrs(dest_file, attrs, ctx)
    result.update(path_info(dest_file))
    return result


def _md5(data: bytes) -> str | None:
    try:
        return digest_bytes(data, "md5")
    except ValueError:  # FIPS systems forbid md5
        return None


def _diff(dest_file: str, data: bytes, after_header: str) -> dict[str, Any]:
    before = read_bytes(dest_file) if os.path.isfile(dest_file) else None
    diff: dict[str, Any] = {}
    if before is None:
        diff["before"] = ""
    elif b"\x00" in before[:8192]:
        diff["dst_binary"] = 1
    else:
        diff.update(before_header=dest_file, before=before.decode("utf-8", errors="replace"))
    if b"\x00" in data:
        diff["src_binary"] = 1
    else:
        diff.update(after_header=after_header, after=data.decode("utf-8", errors="replace"))
    return diff


def _attrs(args: dict[str, Any], src: str | None) -> FileAttrs:
    mode = args["mode"]
    if mode == "preserve":
        mode = f"0{stat.S_IMODE(os.stat(src).st_mode):03o}" if src else None
    return FileAttrs(mode, args["owner"], args["group"], args["attributes"])


def _make_parents(directory: str, args: dict[str, Any], ctx: ModuleContext) -> None:
    """mkdir -p for a dest ending in '/'; new directories get directory_mode and owner/group."""
    missing = []
    current = directory
    while current and not os.path.exists(current):
        missing.append(current)
        current = os.path.dirname(current)
        if current == "/" and not os.path.exists(current):
            ctx.fail(f"The '/' directory doesn't exist on this machine. Could not copy to {directory}")
    dir_attrs = FileAttrs(args["directory_mode"], args["owner"], args["group"])
    for path in reversed(missing):
        os.mkdir(path)
        apply_attrs(path, dir_attrs, ctx)


def _check_parent(parent: str, ctx: ModuleContext, **fields: Any) -> None:
    parent = parent or "."
    if not os.path.exists(parent):
        try:
            os.stat(parent)
        except PermissionError:
            ctx.fail(f"Destination directory {parent} is not accessible", **fields)
        except OSError:
            pass
        ctx.fail(f"Destination directory {parent} does not exist", **fields)
    if not os.access(parent, os.W_OK):
        ctx.fail(f"Destination {parent} not writable", **fields)


# --------------------------------------------------------------------------- src already on the target
def _copy_path(src: str, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    dest = args["dest"]
    if os.path.sep not in dest:
        dest = os.path.join(".", dest)
    if not os.path.exists(src):
        ctx.fail(f"Source {src} not found")
    if not os.access(src, os.R_OK):
        ctx.fail(f"Source {src} not readable")
    attrs = _attrs(args, src)
    name = args["_original_basename"] or args["_miniplay_src_name"]
    checksum_src = md5sum_src = None
    if os.path.isfile(src):
        checksum_src = digest_file(src)
        md5sum_src = md5_or_none(src)
    elif not os.path.isdir(src):
        ctx.fail(f"Cannot copy invalid source '{src}': not a file")
    if args["checksum"] and checksum_src != args["checksum"]:
        ctx.fail("Copied file does not match the expected checksum. Transfer failed.",
                 checksum=checksum_src, expected_checksum=args["checksum"])

    changed = False
    if dest.endswith(os.sep):
        if name:
            dest = os.path.join(dest, name)
        parent = os.path.dirname(dest)
        if not os.path.exists(parent):
            if ctx.check_mode:
                return {"msg": f"dest directory {parent} would be created", "changed": True, "src": src}
            _make_parents(parent, args, ctx)
            changed = True
    if os.path.isdir(dest):
        dest = os.path.join(dest, name or os.path.basename(src))

    checksum_dest = None
    if os.path.exists(dest):
        if os.path.islink(dest) and args["follow"]:
            dest = os.path.realpath(dest)
        if not args["force"]:
            return {"msg": "file already exists", "src": src, "dest": dest, "changed": False}
        if os.path.isfile(dest) and os.access(dest, os.R_OK):
            checksum_dest = digest_file(dest)
    elif checksum_src is not None:
        _check_parent(os.path.dirname(dest), ctx)

    result: dict[str, Any] = {}
    if checksum_src is not None and (checksum_src != checksum_dest or os.path.islink(dest)):
        if ctx.diff:
            result["diff"] = _diff(dest, read_bytes(src) or b"", src)
        if not ctx.check_mode:
            if args["backup"] and os.path.exists(dest):
                result["backup_file"] = make_backup(dest, ctx)
            write_atomically(dest, b"", ctx, attrs=attrs, validate=args["validate"], source=src, source_stat=True)
        changed = True
    if checksum_src is None:  # a directory, copied recursively
        changed |= _copy_tree(src, args["dest"], args, ctx)
    result.update(dest=dest, src=src, md5sum=md5sum_src, checksum=checksum_src)
    changed |= apply_attrs(dest, attrs, ctx) if os.path.lexists(dest) or ctx.check_mode else False
    result["changed"] = changed
    result.update(path_info(dest))
    return result


def _copy_tree(src: str, dest: str, args: dict[str, Any], ctx: ModuleContext) -> bool:  # noqa: C901  (existing; split when next touched)
    """Recursive copy on the target, like `cp -r`: 'dir' copies the directory, 'dir/' its contents."""
    if not src.endswith(os.sep):
        dest = os.path.join(dest, os.path.basename(src))
    owner_group = FileAttrs(None, args["owner"], args["group"])
    keep_links = not args["local_follow"]
    if not os.path.exists(dest):
        if not ctx.check_mode:
            shutil.copytree(src, dest, symlinks=keep_links)
            _chown_tree(dest, owner_group, ctx)
        return True
    changed = False
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        target_root = os.path.normpath(os.path.join(dest, rel))
        for name in dirs:
            source, target = os.path.join(root, name), os.path.join(target_root, name)
            if not os.path.lexists(target):
                changed = True
                if not ctx.check_mode:
                    if os.path.islink(source) and keep_links:
                        os.symlink(os.readlink(source), target)
                    else:
                        os.mkdir(target)
                        shutil.copymode(source, target)
        for name in files:
            source, target = os.path.join(root, name), os.path.join(target_root, name)
            if os.path.islink(source) and keep_links:
                if os.path.islink(target) and os.readlink(target) == os.readlink(source):
                    continue
                changed = True
                if not ctx.check_mode:
                    if os.path.lexists(target):
                        os.unlink(target)
                    os.symlink(os.readlink(source), target)
                continue
            if os.path.isfile(target) and filecmp.cmp(source, target, shallow=False):
                continue
            changed = True
            if not ctx.check_mode:
                write_atomically(target, b"", ctx, source=source, source_stat=True)
        if keep_links:
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    changed |= _chown_tree(dest, owner_group, ctx)
    return changed


def _chown_tree(top: str, attrs: FileAttrs, ctx: ModuleContext) -> bool:
    if not attrs.any() or not os.path.exists(top):
        return False
    changed = apply_attrs(top, attrs, ctx)
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            changed |= apply_attrs(os.path.join(root, name), attrs, ctx)
    return changed
