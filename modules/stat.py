"""stat — facts about a path on the target: does it exist, what is it, who owns it, its checksum.

Arguments:
  path / dest / name   the path to look at (required)
  follow               look at a symlink's target instead of the link (default false)
  get_checksum         add `checksum` for readable regular files (default true)
  checksum_algorithm / checksum / checksum_algo
                       md5, sha1 (default), sha224, sha256, sha384 or sha512
  get_mime / mime      add `mimetype` and `charset`, from a quick look at the bytes
                       (miniplay does not run the `file` command)
  get_attributes / attr  add `attributes`, `attr_flags` and `version` as lsattr shows them
                       (read with an ioctl, Linux only; default true)

Returns: stat: {exists, path, mode ('0644'), isdir, isreg, islnk, ischr, isblk, isfifo, issock,
uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime, rusr/wusr/xusr,
rgrp/wgrp/xgrp, roth/woth/xoth, isuid, isgid, readable, writeable, executable, lnk_source and
lnk_target for links, checksum, ...}. For a missing path: stat: {exists: false}.

Example:
  - name: Is the app configured?
    stat:
      path: /etc/app.conf
    register: conf
  - name: Configure it
    command: app --init
    when: not conf.stat.exists
"""
from __future__ import annotations

import grp
import os
import pwd
import stat
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import digest_file

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "follow": {"type": "bool", "default": False},
    "get_checksum": {"type": "bool", "default": True},
    "get_mime": {"type": "bool", "default": True, "aliases": ["mime", "mime_type", "mime-type"]},
    "get_attributes": {"type": "bool", "default": True, "aliases": ["attr", "attributes"]},
    "checksum_algorithm": {"type": "str", "default": "sha1", "aliases": ["checksum", "checksum_algo"],
                           "choices": ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]},
}
SUPPORTS_CHECK_MODE = True

_EXTRA_FIELDS = (("st_blocks", "blocks"), ("st_blksize", "block_size"), ("st_rdev", "device_type"),
                 ("st_flags", "flags"), ("st_gen", "generation"), ("st_birthtime", "birthtime"))


def describe(path: str, st: os.stat_result) -> dict[str, Any]:
    """The stat dict for one stat result, with Ansible's key names."""
    mode = st.st_mode
    info: dict[str, Any] = {
        "exists": True, "path": path, "mode": f"{stat.S_IMODE(mode):04o}",
        "isdir": stat.S_ISDIR(mode), "ischr": stat.S_ISCHR(mode), "isblk": stat.S_ISBLK(mode),
        "isreg": stat.S_ISREG(mode), "isfifo": stat.S_ISFIFO(mode), "islnk": stat.S_ISLNK(mode),
        "issock": stat.S_ISSOCK(mode), "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size,
        "inode": st.st_ino, "dev": st.st_dev, "nlink": st.st_nlink, "atime": st.st_atime,
        "mtime": st.st_mtime, "ctime": st.st_ctime,
    }
    for who, shift in (("usr", 6), ("grp", 3), ("oth", 0)):
        info["r" + who] = bool(mode & (4 << shift))
        info["w" + who] = bool(mode & (2 << shift))
        info["x" + who] = bool(mode & (1 << shift))
    info["isuid"] = bool(mode & stat.S_ISUID)
    info["isgid"] = bool(mode & stat.S_ISGID)
    for attr, key in _EXTRA_FIELDS:
        if hasattr(st, attr):
            info[key] = getattr(st, attr)
    return info


# Linux inode flags (FS_IOC_GETFLAGS) in lsattr's letter order, and Ansible's names for them.
_FLAG_LETTERS = (("s", 0x1), ("u", 0x2), ("S", 0x8), ("D", 0x10000), ("i", 0x10), ("a", 0x20), ("d", 0x40),
                 ("A", 0x80), ("c", 0x4), ("E", 0x800), ("j", 0x4000), ("I", 0x1000), ("t", 0x8000),
                 ("T", 0x20000), ("e", 0x80000), ("C", 0x800000), ("x", 0x2000000), ("F", 0x40000000),
                 ("N", 0x10000000), ("P", 0x20000000), ("V", 0x100000), ("h", 0x40000))
_FLAG_NAMES = {"A": "noatime", "a": "append", "c": "compressed", "C": "nocow", "d": "nodump", "D": "dirsync",
               "e": "extents", "E": "encrypted", "h": "blocksize", "i": "immutable", "I": "indexed",
               "j": "journalled", "N": "inline", "s": "zero", "S": "synchronous", "t": "notail",
               "T": "blockroot", "u": "undelete", "X": "compressedraw", "Z": "compresseddirty"}
_FS_IOC_GETFLAGS = 0x80086601
_FS_IOC_GETVERSION = 0x80087601


def file_attributes(path: str) -> dict[str, Any]:
    """What `lsattr -vd` would say, read with two ioctls instead of a subprocess."""
    try:
        import fcntl
        import struct

        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except (ImportError, OSError):
        return {}
    try:
        flags = struct.unpack("I", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, b"\0" * 4))[0]
        try:
            version: Any = str(struct.unpack("I", fcntl.ioctl(fd, _FS_IOC_GETVERSION, b"\0" * 4))[0])
        except OSError:
            version = None
    except OSError:
        return {}
    finally:
        os.close(fd)
    letters = "".join(letter for letter, bit in _FLAG_LETTERS if flags & bit)
    return {"version": version, "attr_flags": letters,
            "attributes": [_FLAG_NAMES[c] for c in letters if c in _FLAG_NAMES]}


def _sniff_mime(path: str, st: os.stat_result) -> tuple[str, str]:
    """A cheap stand-in for `file --mime-type --mime-encoding` for the common cases."""
    if stat.S_ISDIR(st.st_mode):
        return "inode/directory", "binary"
    if stat.S_ISLNK(st.st_mode):
        return "inode/symlink", "binary"
    if not stat.S_ISREG(st.st_mode):
        return "unknown", "unknown"
    if st.st_size == 0:
        return "inode/x-empty", "binary"
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return "unknown", "unknown"
    if b"\x00" in head:
        return "application/octet-stream", "binary"
    try:
        head.decode("ascii")
        return "text/plain", "us-ascii"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("utf-8")
        return "text/plain", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut at the end of the sample
            return "text/plain", "utf-8"
    return "application/octet-stream", "binary"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    path = args["path"]
    try:
        st = os.stat(path) if args["follow"] else os.lstat(path)
    except FileNotFoundError:
        return {"changed": False, "stat": {"exists": False}}
    except NotADirectoryError:
        return {"changed": False, "stat": {"exists": False}}
    except OSError as exc:
        ctx.fail(exc.strerror or str(exc))
    info = describe(path, st)
    info["readable"] = os.access(path, os.R_OK)
    info["writeable"] = os.access(path, os.W_OK)
    info["executable"] = os.access(path, os.X_OK)
    if info["islnk"]:
        info["lnk_source"] = os.path.realpath(path)
        info["lnk_target"] = os.readlink(path)
    try:
        info["pw_name"] = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        pass
    try:
        info["gr_name"] = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        pass
    if info["isreg"] and info["readable"] and args["get_checksum"]:
        info["checksum"] = digest_file(path, args["checksum_algorithm"])
    if args["get_mime"]:
        # like `file` without -L: a link is a link even when following it
        info["mimetype"], info["charset"] = _sniff_mime(path, os.lstat(path))
    if args["get_attributes"]:
        info.update(version=None, attributes=[], attr_flags="")
        if info["isreg"] or info["isdir"]:
            info.update(file_attributes(path))
    return {"changed": False, "stat": info}
