"""file — make a path a file, directory, symlink or hard link, touch it, remove it, or set its attributes.

Arguments:
  path / dest / name  the path to manage (required)
  state               file (default when the path exists as a file: only set attributes; fails
                      if missing), directory (mkdir -p), link (symlink to src), hard (hard link
                      to src), touch (create if missing, update times), absent (remove, recursively
                      for directories). Without state: the path's current state, or file.
  mode                octal string ('0644'), integer (YAML 0644), or symbolic ('u+rwx,g-w')
  owner, group        user/group name or id
  src                 link target for state=link / state=hard
  recurse             with state=directory: apply owner/group/mode to everything below
  force               replace a file/empty directory with a link; create a link to a missing src
  follow              act on a symlink's target rather than the link (default true)
  modification_time, access_time
                      'preserve', 'now', or a time in *_time_format (default %Y%m%d%H%M.%S)

Returns: path (or dest for link/hard/touch), state, mode ('0644'), uid, gid, owner, group, size.
Supports check mode and diff (before/after dicts of path, state, mode, owner, group, src).

Example:
  - name: A private directory for the app
    file:
      path: /srv/app/secrets
      state: directory
      mode: "0700"
      owner: app
"""
from __future__ import annotations

import os
import shutil
import time
from typing import Any, NoReturn

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, apply_attrs, file_state, path_info

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "state": {"type": "str", "choices": ["absent", "directory", "file", "hard", "link", "touch"]},
    "src": {"type": "path"},
    "recurse": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "follow": {"type": "bool", "default": True},
    "modification_time": {"type": "str"},
    "modification_time_format": {"type": "str", "default": "%Y%m%d%H%M.%S"},
    "access_time": {"type": "str"},
    "access_time_format": {"type": "str", "default": "%Y%m%d%H%M.%S"},
    "_original_basename": {"type": "str"},
    "_diff_peek": {"type": "bool"},
    **FILE_COMMON_SPEC,
}
SUPPORTS_CHECK_MODE = True

_NOW = "now"


class _Run:
    """One invocation of the module: the arguments, the context, and the diff so far."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        self.ctx = ctx
        self.attrs = FileAttrs.from_args(args)

    def fail(self, msg: str, path: str | None = None, **fields: Any) -> NoReturn:
        if path is not None:
            fields = {"path": path, **fields}
        raise ModuleFailed(msg, **fields)

    def attr_target(self, path: str) -> str:
        """Where attributes go: the link's target when following links."""
        if self.args["follow"] and os.path.islink(path):
            return os.path.realpath(path)
        return path

    # ------------------------------------------------------------------ timestamps
    def wanted_time(self, which: str, state: str) -> Any:
        value = self.args[f"{which}_time"]
        if value is None:
            value = _NOW if state == "touch" else "preserve"
        if value == "preserve":
            return None
        if value == _NOW:
            return _NOW
        fmt = self.args[f"{which}_time_format"]
        try:
            return time.mktime(time.strptime(value, fmt))
        except (ValueError, OverflowError) as exc:
            self.fail(f"Error while obtaining timestamp for time {value} using format {fmt}: {exc}")

    def set_times(self, path: str, state: str, diff: dict) -> bool:
        mtime = self.wanted_time("modification", state)
        atime = self.wanted_time("access", state)
        if mtime is None and atime is None:
            return False
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return self.ctx.check_mode
        now = time.time()
        new_m = now if mtime == _NOW else st.st_mtime if mtime is None else mtime
        new_a = now if atime == _NOW else st.st_atime if atime is None else atime
        if mtime != _NOW and atime != _NOW and (new_m, new_a) == (st.st_mtime, st.st_atime):
            return False
        if not self.ctx.check_mode:
            try:
                os.utime(path, (new_a, new_m))
            except OSError as exc:
                self.fail(f"Error while updating modification or access time: {exc}", path=path)
        if new_m != st.st_mtime:
            diff["before"]["mtime"], diff["after"]["mtime"] = st.st_mtime, new_m
        if new_a != st.st_atime:
            diff["before"]["atime"], diff["after"]["atime"] = st.st_atime, new_a
        return True

    def finish_attrs(self, path: str, state: str, diff: dict, changed: bool) -> bool:
        target = self.attr_target(path)
        changed |= apply_attrs(target, self.attrs, self.ctx, diff)
        changed |= self.set_times(target, state, diff)
        return changed


def _initial_diff(path: str, state: str, prev: str) -> dict[str, Any]:
    diff: dict[str, Any] = {"before": {"path": path}, "after": {"path": path}}
    if prev != state:
        diff["before"]["state"] = prev
        diff["after"]["state"] = state
        if state == "absent" and prev == "directory":
            listing: dict[str, list[str]] = {"directories": [], "files": []}
            for root, dirs, files in os.walk(path):
                listing["directories"] += [os.path.join(root, d) for d in dirs]
                listing["files"] += [os.path.join(root, f) for f in files]
            diff["before"]["path_content"] = listing
    return diff


def _absent(run: _Run, path: str) -> dict[str, Any]:
    prev = file_state(path)
    if prev == "absent":
        return {"path": path, "changed": False, "state": "absent"}
    diff = _initial_diff(path, "absent", prev)
    if not run.ctx.check_mode:
        if prev == "directory":
            try:
                shutil.rmtree(path)
            except OSError as exc:
                run.fail(f"rmtree failed: {exc}")
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                run.fail("Unlinking failed.", path=path, details=str(exc))
    return {"path": path, "changed": True, "diff": diff, "state": "absent"}


def _touch(run: _Run, path: str) -> dict[str, Any]:
    prev = file_state(path)
    result: dict[str, Any] = {"dest": path}
    changed = False
    if prev == "absent":
        if run.ctx.check_mode:
            return {"dest": path, "changed": True}
        try:
            open(os.fsencode(path), "ab").close()
        except OSError as exc:
            run.fail("Error, could not touch target.", path=path, _miniplay_exception=str(exc))
        changed = True
    diff = _initial_diff(path, "touch", prev)
    try:
        changed = run.finish_attrs(path, "touch", diff, changed)
    except ModuleFailed:
        if prev == "absent":
            os.remove(path)  # do not leave a half-made file behind
        raise
    result.update(changed=changed, diff=diff)
    return result


def _file(run: _Run, path: str) -> dict[str, Any]:
    prev = file_state(path)
    if prev == "link" and run.args["follow"]:
        path = os.path.realpath(path)
        prev = file_state(path)
    if prev not in ("file", "hard"):
        run.fail(f"file ({path}) is {prev}, cannot continue", path=path, state=prev)
    diff = _initial_diff(path, "file", prev)
    changed = run.finish_attrs(path, "file", diff, False)
    return {"path": path, "changed": changed, "diff": diff}


def _directory(run: _Run, path: str) -> dict[str, Any]:
    prev = file_state(path)
    if prev == "link" and run.args["follow"]:
        path = os.path.realpath(path)
        prev = file_state(path)
    diff = _initial_diff(path, "directory", prev)
    if prev == "absent":
        if run.ctx.check_mode:
            return {"path": path, "changed": True, "diff": diff}
        # Make each missing level and give it the attrs, like mkdir -p with -m.
        current = ""
        absolute = os.path.isabs(path)
        try:
            for part in path.strip("/").split("/"):
                current = f"{current}/{part}" if current or absolute else part
                if not os.path.exists(current):
                    try:
                        os.mkdir(current)
                    except FileExistsError:
                        pass
                    apply_attrs(current, run.attrs, run.ctx, diff)
        except ModuleFailed:
            raise
        except OSError as exc:
            run.fail(f"There was an issue creating {current} as requested: {exc}", path=path)
        run.set_times(path, "directory", diff)
        return {"path": path, "changed": True, "diff": diff}
    if prev != "directory":
        run.fail(f"{path} already exists as a {prev}", path=path)
    changed = run.finish_attrs(path, "directory", diff, False)
    if run.args["recurse"]:
        changed |= _recurse(run, path)
    return {"path": path, "changed": changed, "diff": diff}


def _recurse(run: _Run, top: str) -> bool:
    changed = False
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            entry = os.path.join(root, name)
            changed |= apply_attrs(entry, run.attrs, run.ctx)
            if not os.path.islink(entry):
                changed |= run.set_times(entry, "directory", {"before": {}, "after": {}})
            elif run.args["follow"]:
                target = os.path.join(root, os.readlink(entry))
                if os.path.exists(target):
                    if os.path.isdir(target):
                        changed |= _recurse(run, target)
                    changed |= apply_attrs(target, run.attrs, run.ctx)
    return changed


def _replace_with_link(run: _Run, path: str, prev: str, make) -> None:
    """Swap whatever is at `path` for a new link via a temp name and one rename."""
    if prev == "absent":
        try:
            make(path)
        except OSError as exc:
            run.fail(f"Error while linking: {exc}", path=path)
        return
    tmp = os.path.join(os.path.dirname(path), f".{os.getpid()}.{time.time()}.tmp")
    try:
        if prev == "directory":
            os.rmdir(path)
        make(tmp)
        os.rename(tmp, path)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        run.fail(f"Error while replacing: {exc}", path=path)


def _link(run: _Run, path: str) -> dict[str, Any]:
    src = run.args["src"]
    force = run.args["force"]
    prev = file_state(path)
    if src is None and run.args["follow"] and os.path.exists(path) and os.path.islink(path):
        src = os.readlink(path)
    base = path if (not os.path.islink(path) and os.path.isdir(path)) else os.path.dirname(path)
    if src is not None and not force and not os.path.exists(os.path.join(base, src)):
        run.fail("src file does not exist, use 'force=yes' if you really want to create the link: "
                 f"{os.path.join(base, src)}", path=path, src=src)
    if prev == "directory":
        if not force:
            run.fail(f"refusing to convert from {prev} to symlink for {path}", path=path)
        if os.listdir(path):
            run.fail(f"the directory {path} is not empty, refusing to convert it", path=path)
    elif prev in ("file", "hard") and not force:
        run.fail(f"refusing to convert from {prev} to symlink for {path}", path=path)
    diff = _initial_diff(path, "link", prev)
    changed = False
    if prev != "link":
        if src is None:
            run.fail("src is required for creating new symlinks")
        changed = True
    elif src is not None:
        old = os.readlink(path)
        if old != src:
            diff["before"]["src"], diff["after"]["src"] = old, src
            changed = True
    if changed and not run.ctx.check_mode:
        _replace_with_link(run, path, prev, lambda where: os.symlink(src, where))
    if run.ctx.check_mode and not os.path.exists(path):
        return {"dest": path, "src": src, "changed": changed, "diff": diff}
    if run.args["follow"] and os.path.islink(path) and not os.path.exists(path):
        run.ctx.warn("Cannot set fs attributes on a non-existent symlink target. follow should be "
                     "set to False to avoid this.")
    else:
        changed = run.finish_attrs(path, "link", diff, changed)
    return {"dest": path, "src": src, "changed": changed, "diff": diff}


def _hard(run: _Run, path: str) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    src = run.args["src"]
    force = run.args["force"]
    prev = file_state(path)
    if prev != "hard" and src is None:
        run.fail("src is required for creating new hardlinks")
    if src is not None and not os.path.exists(src):
        run.fail("src does not exist", dest=path, src=src)
    diff = _initial_diff(path, "hard", prev)
    changed = False
    if prev == "absent":
        changed = True
    elif prev == "link":
        old = os.readlink(path)
        if old != src:
            diff["before"]["src"], diff["after"]["src"] = old, src
            changed = True
    elif prev == "hard":
        if src is not None and os.stat(path).st_ino != os.stat(src).st_ino:
            changed = True
            if not force:
                run.fail("Cannot link, different hard link exists at destination", dest=path, src=src)
    elif prev == "file":
        changed = True
        if not force:
            run.fail(f"Cannot link, {prev} exists at destination", dest=path, src=src)
    elif prev == "directory":
        changed = True
        if os.stat(path).st_ino == os.stat(src).st_ino:
            return {"path": path, "changed": False}
        if not force:
            run.fail("Cannot link: different hard link exists at destination", dest=path, src=src)
    if changed and not run.ctx.check_mode:
        target = os.readlink(src) if (prev == "absent" and run.args["follow"] and os.path.islink(src)) else src
        _replace_with_link(run, path, prev, lambda where: os.link(target, where))
    if run.ctx.check_mode and not os.path.exists(path):
        return {"dest": path, "src": src, "changed": changed, "diff": diff}
    changed = run.finish_attrs(path, "hard", diff, changed)
    return {"dest": path, "src": src, "changed": changed, "diff": diff}


def _warn_unknown_owners(run: _Run) -> None:
    """In check mode a user/group may be created by an earlier task: warn, don't fail."""
    import grp
    import pwd

    for value, lookup_id, lookup_name, word in (
            (run.args["owner"], pwd.getpwuid, pwd.getpwnam, "user"),
            (run.args["group"], grp.getgrgid, grp.getgrnam, "group")):
        if not value:
            continue
        try:
            try:
                lookup_id(int(value))
                continue
            except ValueError:
                lookup_name(value)
        except KeyError:
            label = f"{word} with {'uid' if word == 'user' else 'gid'} {value}" if value.isdigit() else f"{word} {value}"
            run.ctx.warn(f"failed to look up {label}. Create {word} up to this point in real play")


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    try:
        return _main(args, ctx)
    except ModuleFailed as exc:
        # Like Ansible, a failure that names a path tells what is there now.
        where = exc.result.get("path", exc.result.get("dest"))
        if where:
            exc.result.update(path_info(where))
        raise


def _main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    run = _Run(args, ctx)
    path = args["path"]
    state = args["state"]
    if args["_diff_peek"] is not None:
        return {"path": path, "changed": False, "appears_binary": _looks_binary(path)}
    if state not in ("link", "absent") and os.path.isdir(path):
        basename = args["_original_basename"] or (os.path.basename(args["src"]) if args["src"] else None)
        if basename:
            path = os.path.join(path, basename)
    prev = file_state(path)
    if state is None:
        state = prev if prev != "absent" else ("directory" if args["recurse"] else "file")
    if args["recurse"] and state != "directory":
        run.fail("recurse option requires state to be 'directory'", path=path)
    if args["src"] and state not in ("link", "hard"):
        run.fail("src option requires state to be 'link' or 'hard'", path=path)
    if ctx.check_mode and state != "absent":
        _warn_unknown_owners(run)

    handler = {"absent": _absent, "touch": _touch, "file": _file, "directory": _directory,
               "link": _link, "hard": _hard}[state]
    result = handler(run, path)
    if not ctx.diff:
        result.pop("diff", None)
    where = result.get("path", result.get("dest"))
    if where:  # as Ansible: even for absent in check mode, where the path is still there
        result.update(path_info(where))
    return result


def _looks_binary(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"\x00" in handle.read(8192)
    except OSError:
        return False
