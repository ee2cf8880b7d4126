"""Shared file handling for the target-side file modules (file, copy, lineinfile, ...).

How this works
--------------
Every module that writes a file goes through three steps, all here:

1. `FileAttrs.from_args(args)` reads the common `mode`/`owner`/`group` arguments.
2. `write_atomically()` writes new content to a temp file *beside* the destination,
   gives it the final mode/owner/group, optionally runs `validate`, and renames it
   over the destination: a reader never sees half a file or a file with the wrong
   permissions.
3. `apply_attrs()` brings mode/owner/group of an existing path in line and says
   whether anything changed (and, in check mode, whether anything would change),
   filling a diff dict the way Ansible does (`mode` as '0644', owner/group as ids).

`path_info()` builds the uid/gid/owner/group/mode/state/size fields Ansible adds to
every result that names a file.

Standard library only: this file runs on the target.
"""
from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import time
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed

_SYMBOLIC_RE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_OPERATOR_RE = re.compile(r"[-+=]")

# Arguments every file-writing module accepts, in ARGUMENT_SPEC form.
FILE_COMMON_SPEC: dict[str, dict[str, Any]] = {
    "mode": {"type": "raw"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "unsafe_writes": {"type": "bool", "default": False},
    "attributes": {"type": "str", "aliases": ["attr"]},
    "seuser": {"type": "str"},
    "serole": {"type": "str"},
    "setype": {"type": "str"},
    "selevel": {"type": "str"},
}


# --------------------------------------------------------------------------- modes
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _symbolic_clause(clause: str, current: int, is_dir: bool) -> int:  # noqa: C901  (existing; split when next touched)
    """Apply one chmod(1) clause such as 'u+rwx' or 'go=rX' to `current`."""
    match = _SYMBOLIC_RE.match(clause)
    if not match:
        raise ValueError(f"bad symbolic permission for mode: {clause}")
    who, actions = match.group(1), match.group(2)
    use_umask = who == ""
    if who in ("", "a") or "a" in who:
        who = "ugo"
    keep = ~_umask() & 0o777 if use_umask else 0o777
    shifts = {"u": 6, "g": 3, "o": 0}
    operators = _OPERATOR_RE.findall(actions)
    perm_groups = _OPERATOR_RE.split(actions)[1:]
    for operator, perms in zip(operators, perm_groups):
        for person in who:
            shift = shifts[person]
            bits = 0
            for perm in perms:
                if perm == "r":
                    bits |= (4 << shift) & keep
                elif perm == "w":
                    bits |= (2 << shift) & keep
                elif perm == "x":
                    bits |= (1 << shift) & keep
                elif perm == "X":
                    # X: execute only for directories or when someone already may execute
                    if is_dir or current & 0o111:
                        bits |= 1 << shift
                elif perm == "s":
                    bits |= {"u": stat.S_ISUID, "g": stat.S_ISGID, "o": 0}[person]
                elif perm == "t":
                    bits |= stat.S_ISVTX if person == "o" else 0
                elif perm in "ugo":  # copy another class's bits, e.g. g=u
                    bits |= ((current >> shifts[perm]) & 0o7) << shift
            if operator == "+":
                current |= bits
            elif operator == "-":
                current &= ~bits
            else:
                special = {"u": stat.S_ISUID, "g": stat.S_ISGID, "o": stat.S_ISVTX}[person]
                current = (current & ~((0o7 << shift) | special)) | bits
    return current


def parse_mode(mode: Any, current: int, is_dir: bool) -> int:
    """Turn a mode argument into permission bits.

    Like Ansible: an int is taken as is (so YAML `mode: 0644` works and `mode: 644`
    means decimal 644), a string is octal if it parses as octal, else symbolic.
    """
    if isinstance(mode, bool):
        raise ValueError(f"bad symbolic permission for mode: {mode}")
    if isinstance(mode, int):
        return mode
    text = str(mode).strip()
    try:
        return int(text, 8)
    except ValueError:
        pass
    new = stat.S_IMODE(current)
    for clause in text.split(","):
        new = _symbolic_clause(clause, new, is_dir)
    return new


def mode_text(mode: int) -> str:
    """Ansible's way of showing a mode: '0644', '01777'."""
    return f"0{stat.S_IMODE(mode):03o}"


# --------------------------------------------------------------------------- owners
def lookup_uid(owner: str, path: str) -> int:
    try:
        return int(owner)
    except ValueError:
        try:
            return pwd.getpwnam(owner).pw_uid
        except KeyError:
            raise ModuleFailed(f"chown failed: failed to look up user {owner}", path=path) from None


def lookup_gid(group: str, path: str) -> int:
    try:
        return int(group)
    except ValueError:
        try:
            return grp.getgrnam(group).gr_gid
        except KeyError:
            raise ModuleFailed(f"chgrp failed: failed to look up group {group}", path=path) from None


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


# --------------------------------------------------------------------------- attributes
class FileAttrs:
    """The wanted mode/owner/group of a path; None means 'leave as it is'.

    A plain class, not a dataclass: dataclasses imports inspect, which costs every worker
    that touches a file about a megabyte."""

    __slots__ = ("mode", "owner", "group", "attributes")

    def __init__(self, mode: Any = None, owner: str | None = None, group: str | None = None,
                 attributes: str | None = None) -> None:
        self.mode = mode
        self.owner = owner
        self.group = group
        self.attributes = attributes  # chattr flags: accepted, not applied (warned about)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileAttrs) and all(getattr(self, name) == getattr(other, name)
                                                    for name in self.__slots__)

    def __repr__(self) -> str:
        return f"FileAttrs({', '.join(f'{name}={getattr(self, name)!r}' for name in self.__slots__)})"

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> FileAttrs:
        return cls(args.get("mode"), args.get("owner"), args.get("group"), args.get("attributes"))

    def any(self) -> bool:
        return self.mode is not None or self.owner is not None or self.group is not None


def _note(diff: dict | None, key: str, before: Any, after: Any) -> None:
    if diff is None:
        return
    diff.setdefault("before", {})[key] = before
    diff.setdefault("after", {})[key] = after


def apply_attrs(path: str, attrs: FileAttrs, ctx: ModuleContext, diff: dict | None = None) -> bool:  # noqa: C901  (existing; split when next touched)
    """Give `path` the wanted owner, group and mode; True when something changed.

    In check mode nothing is touched and the answer is what *would* change; a path
    that does not exist yet in check mode counts as a change when attrs are asked for.
    Symlinks themselves are never chmod-ed (Linux cannot); owner/group use lchown.
    """
    if attrs.attributes:
        note = "miniplay does not set file attributes (chattr); 'attributes' was ignored"
        if note not in ctx.warnings:
            ctx.warn(note)
    if not attrs.any():
        return False
    if ctx.check_mode and not os.path.lexists(path):
        return True
    changed = False
    st = os.lstat(path)
    if attrs.owner is not None:
        uid = lookup_uid(str(attrs.owner), path)
        if uid != st.st_uid:
            _note(diff, "owner", st.st_uid, uid)
            if not ctx.check_mode:
                try:
                    os.lchown(path, uid, -1)
                except OSError as exc:
                    raise ModuleFailed("chown failed", path=path, details=str(exc)) from None
            changed = True
    if attrs.group is not None:
        gid = lookup_gid(str(attrs.group), path)
        if gid != st.st_gid:
            _note(diff, "group", st.st_gid, gid)
            if not ctx.check_mode:
                try:
                    os.lchown(path, -1, gid)
                except OSError as exc:
                    raise ModuleFailed("chgrp failed", path=path, details=str(exc)) from None
            changed = True
    if attrs.mode is not None and not stat.S_ISLNK(st.st_mode):
        try:
            wanted = parse_mode(attrs.mode, st.st_mode, stat.S_ISDIR(st.st_mode))
        except ValueError as exc:
            raise ModuleFailed("mode must be in octal or symbolic form", path=path, details=str(exc)) from None
        if wanted != stat.S_IMODE(wanted):
            raise ModuleFailed("Invalid mode supplied, only permission info is allowed", path=path, details=wanted)
        before = stat.S_IMODE(st.st_mode)
        if wanted != before:
            _note(diff, "mode", mode_text(before), mode_text(wanted))
            if not ctx.check_mode:
                try:
                    os.chmod(path, wanted)
                except OSError as exc:
                    raise ModuleFailed("chmod failed", path=path, details=str(exc)) from None
            changed = True
    return changed


def file_state(path: str) -> str:
    """absent | link | directory | hard | file, as Ansible's file module sees it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "absent"
    except NotADirectoryError:
        return "absent"
    if stat.S_ISLNK(st.st_mode):
        return "link"
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if st.st_nlink > 1:
        return "hard"
    return "file"


def path_info(path: str) -> dict[str, Any]:
    """uid, gid, owner, group, mode, state and size of `path` (empty when missing)."""
    if not os.path.exists(path):
        return {}
    st = os.stat(path)
    lst = os.lstat(path)
    info: dict[str, Any] = {"uid": st.st_uid, "gid": st.st_gid, "owner": user_name(st.st_uid),
                            "group": group_name(st.st_gid), "mode": mode_text(lst.st_mode)}
    if stat.S_ISLNK(lst.st_mode):
        info["state"] = "link"
    elif stat.S_ISDIR(st.st_mode):
        info["state"] = "directory"
    elif st.st_nlink > 1:
        info["state"] = "hard"
    else:
        info["state"] = "file"
    info["size"] = lst.st_size
    return info


# --------------------------------------------------------------------------- checksums
def digest_file(path: str, algorithm: str = "sha1") -> str:
    import hashlib  # here: it loads the OpenSSL library, megabytes a worker pays only when it digests

    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_bytes(data: bytes, algorithm: str = "sha1") -> str:
    import hashlib

    return hashlib.new(algorithm, data).hexdigest()


def md5_or_none(path: str) -> str | None:
    try:
        return digest_file(path, "md5")
    except ValueError:  # FIPS systems forbid md5
        return None


# --------------------------------------------------------------------------- writing
def backup_path(path: str) -> str:
    """Ansible's backup name: <path>.<pid>.<YYYY-MM-DD@HH:MM:SS~>."""
    return "{}.{}.{}".format(path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))


def make_backup(path: str, ctx: ModuleContext) -> str:
    """Copy `path` aside with its metadata; returns the backup's name ('' if none)."""
    if not os.path.exists(path):
        return ""
    dest = backup_path(path)
    if not ctx.check_mode:
        try:
            shutil.copy2(path, dest)
            st = os.stat(path)
            try:
                os.chown(dest, st.st_uid, st.st_gid)
            except PermissionError:
                pass
        except OSError as exc:
            raise ModuleFailed(f"Could not make backup of {path!r} to {dest!r}.", details=str(exc)) from None
    return dest


def run_validate(ctx: ModuleContext, validate: str, tmp: str, short: bool = False) -> None:
    """Run the user's `validate` command on the temp file; fail as Ansible does.

    The command is split like a shell would but run without one, as Ansible does.
    `short` picks lineinfile's one-line message over copy's message with fields.
    """
    if "%s" not in validate:
        ctx.fail(f"validate must contain %s: {validate}")
    try:
        argv = shlex.split(validate % tmp)
    except ValueError as exc:
        rc, out, err = 1, "", str(exc)
    else:
        rc, out, err = ctx.run_command(argv)
    if rc != 0:
        if short:
            ctx.fail(f"failed to validate: rc:{rc} error:{err}")
        ctx.fail("failed to validate", exit_status=rc, stdout=out, stderr=err)


def write_atomically(dest: str, data: bytes, ctx: ModuleContext, attrs: FileAttrs | None = None,
                     validate: str | None = None, validate_short_msg: bool = False,
                     source: str | None = None, source_stat: bool = False) -> None:
    """Replace `dest` with `data` (or a copy of file `source`) in one rename.

    The temp file sits beside `dest` so the rename stays on one filesystem. It gets
    the mode/owner/group of the old file (or the umask default), then the wanted
    attrs, and is validated before the rename; on any failure it is removed.
    A symlink at `dest` is replaced, not followed: callers that follow links pass
    the resolved path. With `source_stat` the copy takes the source's mode and
    times instead of the old file's (copy with remote_src does this).
    """
    directory = os.path.dirname(os.path.abspath(dest)) or "."
    try:
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".miniplay-", suffix=os.path.splitext(dest)[1], dir=directory)
    except OSError as exc:
        raise ModuleFailed(f"Destination {directory} not writable", details=str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if source is not None:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        old = None
        try:
            old = os.lstat(dest)
        except OSError:
            pass
        if source is not None and source_stat:
            shutil.copystat(source, tmp)
            if old is None:  # a new file gets the umask default, as Ansible does
                os.chmod(tmp, 0o666 & ~_umask())
        elif old is not None and stat.S_ISREG(old.st_mode):
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except PermissionError:
                    pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if attrs is not None and attrs.any():
            quiet = ModuleContext(check_mode=False)
            apply_attrs(tmp, attrs, quiet)
        if validate:
            run_validate(ctx, validate, tmp, short=validate_short_msg)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- diffs
def text_of(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", errors="replace")


def content_diff(before: bytes | None, after: bytes | None, before_header: str,
                 after_header: str) -> dict[str, str]:
    return {"before": text_of(before), "after": text_of(after),
            "before_header": before_header, "after_header": after_header}


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- text edits
def attrs_after_edit(path: str, attrs: FileAttrs, ctx: ModuleContext, changed: bool, msg: str,
                     diff: dict | None = None) -> tuple[str, bool]:
    """Apply attrs after an edit; Ansible's line/block/replace modules say so in `msg`."""
    if apply_attrs(path, attrs, ctx, diff):
        if changed:
            msg += " and "
        changed = True
        msg += "ownership, perms or SE linux context changed"
    return msg, changed


def save_edit(path: str, data: bytes, ctx: ModuleContext, backup: bool, validate: str | None) -> str:
    """Write an edited file (through a symlink, as Ansible does); returns the backup name or ''."""
    backup_file = make_backup(path, ctx) if backup and os.path.exists(path) else ""
    write_atomically(os.path.realpath(path), data, ctx, validate=validate, validate_short_msg=True)
    return backup_file
