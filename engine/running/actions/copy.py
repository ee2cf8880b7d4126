"""copy (controller half) — send a controller file, a directory tree or inline content to the target.

Arguments are the target `copy` module's (dest, content, src, remote_src, mode,
owner, group, backup, force, validate, directory_mode, follow, local_follow ...).
What happens here:

* `content`, or `remote_src: true`: nothing to read here; the target module does it all.
* `src` a file: found in files/ (role first, then beside the task, then the
  playbook dir), read here, and sent as bytes (`_miniplay_content_b64`) in one
  call; the target decides changed/diff/check mode by checksum.
* `src` a directory: like rsync, `dir` copies the directory itself into dest and
  `dir/` only its contents. One target `copy` per file (dest with a trailing
  slash plus the file's relative path), then `file state=directory` for every
  subdirectory (so empty ones exist too) and `file state=link` for symlinks
  kept with `local_follow: false`.

The result of a single file is the target's result (with `diff` as a list, as
Ansible registers it); a tree gives `{changed, dest, src}`.

Example:
  - name: Ship the site
    copy:
      src: site/
      dest: /srv/www/
      mode: "0644"
"""
from __future__ import annotations

import base64
import os
import stat
from typing import Any

from ...core.errors import MiniplayError, TemplateError
from ...core.fieldtypes import loose_bool
from . import ActionContext

INTERNAL = ("_original_basename", "_diff_peek", "_miniplay_content_b64", "_miniplay_src_name")
# Arguments of the target file module that also make sense for directories and links made by a copy.
FILE_ARGS = ("owner", "group", "attributes", "seuser", "serole", "setype", "selevel", "unsafe_writes")


def fail(msg: str, **extra: Any) -> dict[str, Any]:
    return {"failed": True, "changed": False, "msg": msg, **extra}


def search_candidates(ctx: ActionContext, kind: str, name: str) -> list[str]:
    """Where `find_file` looks, in order (for the 'Searched in' message)."""
    dirs: list[str] = []
    task = ctx.task
    if task.role_path:
        dirs += [os.path.join(task.role_path, kind), task.role_path]
    task_dir = os.path.dirname(os.path.abspath(task.location.path))
    dirs += [os.path.join(task_dir, kind), task_dir, os.path.join(ctx.services.playbook_dir, kind), ctx.services.playbook_dir]
    return [os.path.join(d, name) for d in dirs]


def find_needle(ctx: ActionContext, kind: str, name: str) -> str:
    """A controller file or directory, or TemplateError worded as Ansible's."""
    try:
        return ctx.search(kind, name)
    except TemplateError:
        searched = "\n\t".join(search_candidates(ctx, kind, name)) if not os.path.isabs(name) else name
        raise TemplateError(f"Could not find or access '{name}'\nSearched in:\n\t{searched} on the Ansible "
                            "Controller.\nIf you are using a module and expect the file to exist on the remote, "
                            "see the remote_src option") from None


def send_bytes(ctx: ActionContext, data: bytes, name: str, dest: str, args: dict[str, Any],
               local_mode: int | None = None, local_path: str | None = None) -> dict[str, Any]:
    """One target `copy` of bytes read (or rendered) here; `name` is used when dest is a directory.

    `local_path` names the source in a diff's after_header, as Ansible shows it.
    """
    module_args = {k: v for k, v in args.items() if k not in ("src", "content", "remote_src", "local_follow")}
    module_args.update(dest=dest, _miniplay_content_b64=base64.b64encode(data).decode("ascii"),
                       _miniplay_src_name=name)
    if module_args.get("mode") == "preserve":
        module_args["mode"] = f"0{stat.S_IMODE(local_mode):03o}" if local_mode is not None else None
    result = ctx.module("copy", module_args)
    diff = result.get("diff")
    if local_path and isinstance(diff, dict) and "after_header" in diff:
        diff["after_header"] = local_path
    return result


def _as_diff_list(result: dict[str, Any]) -> dict[str, Any]:
    diff = result.get("diff")
    result["diff"] = [] if not diff else (diff if isinstance(diff, list) else [diff])
    return result


def _walk(source: str, local_follow: bool) -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """(files as (path, rel)), directories (rel) and symlinks ((target, rel)) under a source directory.

    Relative paths start with the directory's own name unless `source` ends in '/'.
    """
    top = source.rstrip(os.sep) or os.sep
    base = top if source.endswith(os.sep) else os.path.dirname(top)
    files: list[tuple[str, str]] = []
    dirs: list[str] = []
    links: list[tuple[str, str]] = []
    visited = {os.path.realpath(top)}
    for root, subdirs, names in os.walk(top, followlinks=local_follow):
        subdirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, base)
            if os.path.islink(path):
                real = os.path.realpath(path)
                if local_follow and os.path.isfile(real):
                    files.append((real, rel))
                else:
                    links.append((os.readlink(path), rel))
            else:
                files.append((path, rel))
        kept = []
        for name in subdirs:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, base)
            real = os.path.realpath(path)
            if os.path.islink(path) and (not local_follow or real in visited):
                links.append((os.readlink(path), rel))
                continue
            visited.add(real)
            dirs.append(rel)
            kept.append(name)
        subdirs[:] = kept
    return files, dirs, links


def _decrypted(ctx: ActionContext, data: bytes, path: str) -> bytes:
    """A vault-encrypted source file is sent decrypted, unless `decrypt: false` (as in Ansible)."""
    if not loose_bool(ctx.args.get("decrypt"), True):
        return data
    from ...core.vault_secrets import decrypt_file_data

    return decrypt_file_data(data, path, ctx.services.options.vault_secrets)


def run(ctx: ActionContext) -> dict[str, Any]:
    args = dict(ctx.args)
    for internal in INTERNAL:
        if args.get(internal) is not None:
            return fail(f'Invalid parameter specified: "{internal}"')
    src, content, dest = args.get("src"), args.get("content"), args.get("dest")
    if not src and content is None:
        return fail("src (or content) is required")
    if not dest:
        return fail("dest is required")
    if src and content is not None:
        return fail("src and content are mutually exclusive")
    dest = str(dest)
    if content is not None:
        if dest.endswith("/"):
            return fail("can not use content with a dir as dest")
        return _as_diff_list(ctx.module("copy", args))
    if loose_bool(args.get("remote_src")):
        result = ctx.module("copy", args)
        result.pop("diff", None)  # Ansible diffs only what the controller sends
        return result

    src = str(src)
    trailing_slash = src.endswith(os.sep)
    try:
        source = find_needle(ctx, "files", src)
    except TemplateError as exc:
        return fail(f"Unexpected AnsibleActionFail error: {exc.message}")
    if trailing_slash != source.endswith(os.sep):
        source = source + os.sep if trailing_slash else source.rstrip(os.sep)
    local_follow = loose_bool(args.get("local_follow"), True)

    if not os.path.isdir(source):
        try:
            with open(source, "rb") as handle:
                data = _decrypted(ctx, handle.read(), source)
            local_mode = os.stat(source).st_mode
        except OSError as exc:
            return fail(f"Could not read '{source}' on the controller: {exc.strerror}")
        except MiniplayError as exc:  # a vault-encrypted source that cannot be decrypted
            return fail(exc.message)
        result = send_bytes(ctx, data, os.path.basename(source), dest, args, local_mode, source)
        if "path" in result and "dest" not in result:
            result["dest"] = result["path"]
        return _as_diff_list(result)

    return _copy_tree(ctx, args, source, dest, local_follow)


def _copy_tree(ctx: ActionContext, args: dict[str, Any], source: str, dest: str, local_follow: bool) -> dict[str, Any]:
    """A controller directory: its files sent one by one, then its directories and links made."""
    files, dirs, links = _walk(source, local_follow)
    if not dest.endswith("/"):
        dest += "/"
    file_args = {k: args[k] for k in FILE_ARGS if k in args}
    changed = False
    last: dict[str, Any] = {}
    for path, rel in files:
        try:
            with open(path, "rb") as handle:
                data = _decrypted(ctx, handle.read(), path)
            local_mode = os.stat(path).st_mode
        except OSError as exc:
            return fail(f"Could not read '{path}' on the controller: {exc.strerror}")
        except MiniplayError as exc:
            return fail(exc.message)
        one = dict(args)
        one["follow"] = False if dirs else args.get("follow", False)
        last = send_bytes(ctx, data, rel, dest, one, local_mode, path)
        if last.get("failed"):
            return last
        changed = changed or bool(last.get("changed"))
    for rel in dirs:
        last = ctx.module("file", {**file_args, "path": os.path.join(dest, rel), "state": "directory",
                                   "mode": args.get("directory_mode"), "recurse": False})
        if last.get("failed"):
            return last
        changed = changed or bool(last.get("changed"))
    for target, rel in links:
        last = ctx.module("file", {**file_args, "path": os.path.join(dest, rel), "src": target, "state": "link",
                                   "force": True, "follow": False})
        if last.get("failed"):
            return last
        changed = changed or bool(last.get("changed"))
    if len(files) == 1 and not dirs and not links:
        if "path" in last and "dest" not in last:
            last["dest"] = last["path"]
        return _as_diff_list(last)
    # Like Ansible, a tree copy reports no diff of its files.
    return {"changed": changed, "dest": dest, "src": source}
