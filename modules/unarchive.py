"""unarchive — unpack a .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz or .zip archive into a directory.

Arguments:
  src               the archive on the target (with remote_src: yes; the controller side of
                    unarchive copies a local archive there first), or an http(s)/ftp URL
                    with remote_src: yes (downloaded first)
  dest              an existing directory to unpack into (required)
  remote_src        src is already on the target (default no: the controller copied it)
  creates           do nothing when this path exists
  list_files        return the archive's member names in `files`
  include / exclude member names (globs) to extract only / to leave out (mutually exclusive)
  keep_newer        do not replace files that are newer than the archive's
  extra_opts        a few tar/unzip options: --strip-components=N (tar), --exclude=GLOB
                    (tar), -j (zip: drop folders); others are refused
  mode, owner, group   applied to dest and every unpacked path
  validate_certs    check HTTPS certificates when src is a URL (default true)
  io_buffer_size, copy, decrypt   accepted for compatibility

Archives are read with Python's tarfile and zipfile, not tar/unzip. Before unpacking,
the module compares each member with what is in dest (missing, type, size, content,
modification time, symlink target, mode, and owner when run as root) and does nothing
when all match, so it reports changed only when it unpacked. Check mode works for every
format (Ansible skips it for tar archives). Members with absolute paths lose the leading
/; a member that would land outside dest (.., or through a symlink in the archive)
fails the task.

Returns: changed, dest, src, handler (TgzArchive, TarArchive, TarBzipArchive, TarXzArchive
or ZipArchive), extract_results {cmd, rc, out, err} when it unpacked (cmd names the Python
reader, e.g. ["python:tarfile", "extract", "-C", DEST, SRC]: no program runs), files (with
list_files), and dest's uid, gid, owner, group, mode, state, size.

Example:
  - name: Unpack the release
    unarchive:
      src: /tmp/app-1.2.tar.gz
      dest: /opt/app
      remote_src: true
      extra_opts: [--strip-components=1]
      creates: /opt/app/bin/app
"""
from __future__ import annotations

import copy
import fnmatch
import grp
import os
import pwd
import shutil
import ssl
import stat
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Iterator

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, apply_attrs, path_info

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "remote_src": {"type": "bool", "default": False},
    "creates": {"type": "path"},
    "list_files": {"type": "bool", "default": False},
    "keep_newer": {"type": "bool", "default": False},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "include": {"type": "list", "elements": "str", "default": []},
    "extra_opts": {"type": "list", "elements": "str", "default": []},
    "validate_certs": {"type": "bool", "default": True},
    "io_buffer_size": {"type": "int", "default": 64 * 1024},
    "copy": {"type": "bool", "default": True},
    "decrypt": {"type": "bool", "default": True},
    **FILE_COMMON_SPEC,
}
MUTUALLY_EXCLUSIVE = (("include", "exclude"),)
SUPPORTS_CHECK_MODE = True

# Magic bytes of the compressions tarfile reads, and the handler name Ansible gives each.
_TAR_KINDS = ((b"\x1f\x8b", "gz", "TgzArchive"), (b"BZh", "bz2", "TarBzipArchive"),
              (b"\xfd7zXZ\x00", "xz", "TarXzArchive"))
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class Entry:
    """One archive member as it will land in dest."""

    listed: str          # the name as the archive lists it (for `files`)
    rel: str | None   # path below dest after strip/junk, None when it lands nowhere
    kind: str            # file, dir, symlink, hardlink, other
    size: int = 0
    mtime: float | None = None
    mode: int | None = None   # permission bits the archive stores, None when it stores none
    link: str = ""               # symlink target / hardlink source (rel path)
    uid: int | None = None
    gid: int | None = None
    crc: int | None = None    # zip only
    member: Any = None


class Options:
    """What extra_opts, include and exclude ask for."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext, is_zip: bool) -> None:
        self.strip = 0
        self.junk_paths = False
        self.excludes = [p.rstrip("/") for p in args["exclude"]]
        self.includes = list(args["include"])
        opts = list(args["extra_opts"])
        index = 0
        while index < len(opts):
            opt = opts[index]
            if not is_zip and opt.startswith(("--strip-components", "--strip")):
                if "=" in opt:
                    value = opt.split("=", 1)[1]
                else:
                    index += 1
                    value = opts[index] if index < len(opts) else ""
                try:
                    self.strip = int(value)
                except ValueError:
                    ctx.fail(f"extra_opts: {opt} needs a number, got {value!r}")
            elif not is_zip and opt.startswith("--exclude="):
                self.excludes.append(opt.split("=", 1)[1].rstrip("/"))
            elif is_zip and opt == "-j":
                self.junk_paths = True
            elif opt in (("-o", "-q", "-v") if is_zip else ("-v", "--verbose", "--show-transformed-names")):
                pass  # what we do anyway, or only about output
            else:
                supported = "-j" if is_zip else "--strip-components=N, --exclude=GLOB"
                ctx.fail(f"extra_opts: {opt!r} is not supported by miniplay's unarchive (supported: {supported})")
            index += 1

    def wanted(self, name: str) -> bool:
        clean = name.lstrip("/")
        if any(fnmatch.fnmatch(clean, p) or fnmatch.fnmatch(clean.rstrip("/"), p) for p in self.excludes):
            return False
        if self.includes:
            return any(fnmatch.fnmatch(clean, p) or fnmatch.fnmatch(clean.rstrip("/"), p)
                       or clean.rstrip("/").startswith(p.rstrip("/") + "/") for p in self.includes)
        return True

    def place(self, name: str) -> str | None:
        """Where a member goes below dest, or None (stripped away)."""
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if self.junk_paths:
            parts = parts[-1:]
        parts = parts[self.strip:]
        return "/".join(parts) if parts else (None if self.strip or self.junk_paths else ".")


# --------------------------------------------------------------------------- reading archives
def tar_kind(path: str) -> tuple[str | None, str]:
    """(tarfile compression, handler name) for a tar archive; (None, reason) when not one."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_ZSTD_MAGIC):
        return None, "zstd-compressed tar archives are not supported (Python's tarfile cannot read them)"
    compression, handler = "", "TarArchive"
    for magic, name, label in _TAR_KINDS:
        if head.startswith(magic):
            compression, handler = name, label
    try:
        with tarfile.open(path, f"r:{compression}") as archive:
            archive.next()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        return None, f"not a tar archive: {exc}"
    return compression, handler


def tar_entries(archive: tarfile.TarFile, opts: Options) -> list[Entry]:
    entries = []
    for member in archive.getmembers():
        listed = member.name + ("/" if member.isdir() and not member.name.endswith("/") else "")
        if not opts.wanted(listed):
            continue
        if member.isdir():
            kind = "dir"
        elif member.issym():
            kind = "symlink"
        elif member.islnk():
            kind = "hardlink"
        elif member.isfile():
            kind = "file"
        else:
            kind = "other"
        link = member.linkname
        if kind == "hardlink":
            link = opts.place(member.linkname) or ""
        uid, gid = _lookup_owner(member)
        entries.append(Entry(listed, opts.place(member.name), kind, member.size, member.mtime,
                             stat.S_IMODE(member.mode), link, uid, gid, member=member))
    return entries


def _lookup_owner(member: tarfile.TarInfo) -> tuple[int, int]:
    """The uid/gid tar gives a member when run as root: by name when known, else the number."""
    try:
        uid = pwd.getpwnam(member.uname).pw_uid if member.uname else member.uid
    except KeyError:
        uid = member.uid
    try:
        gid = grp.getgrnam(member.gname).gr_gid if member.gname else member.gid
    except KeyError:
        gid = member.gid
    return uid, gid


def zip_entries(archive: zipfile.ZipFile, opts: Options) -> list[Entry]:
    entries = []
    for info in archive.infolist():
        if not opts.wanted(info.filename):
            continue
        unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
        if info.is_dir():
            kind = "dir"
        elif stat.S_ISLNK(unix_mode):
            kind = "symlink"
        else:
            kind = "file"
        link = archive.read(info).decode("utf-8", errors="surrogateescape") if kind == "symlink" else ""
        mtime = time.mktime(info.date_time + (0, 0, -1))
        rel = opts.place(info.filename)
        if kind == "dir" and opts.junk_paths:
            rel = None
        entries.append(Entry(info.filename, rel, kind, info.file_size, mtime,
                             stat.S_IMODE(unix_mode) if unix_mode else None, link, crc=info.CRC, member=info))
    return entries


# --------------------------------------------------------------------------- comparing
def _file_matches(path: str, entry: Entry, reader: Any) -> bool:
    """Same bytes? tar: compare the stream; zip: compare the CRC."""
    if entry.crc is not None:
        crc = 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                crc = zlib.crc32(block, crc)
        return crc == entry.crc
    source = reader(entry)
    if source is None:
        return False
    with source, open(path, "rb") as handle:
        while True:
            left, right = source.read(1 << 16), handle.read(1 << 16)
            if left != right:
                return False
            if not left:
                return True


def differences(dest: str, entries: list[Entry], attrs: FileAttrs, keep_newer: bool, reader: Any,  # noqa: C901  (existing; split when next touched)
                is_zip: bool) -> list[str]:
    """What in dest does not match the archive, one line each (empty: already unpacked)."""
    found: list[str] = []
    root = os.geteuid() == 0
    for entry in entries:
        if entry.rel is None or entry.rel == "." or entry.kind == "other":
            continue  # dest itself keeps its own mode and times: it is the user's folder
        path = os.path.join(dest, entry.rel)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            found.append(f"{entry.listed}: missing")
            continue
        if entry.kind == "dir":
            if not stat.S_ISDIR(st.st_mode):
                found.append(f"{entry.listed}: file type differs")
                continue
        elif entry.kind == "symlink":
            if not stat.S_ISLNK(st.st_mode) or os.readlink(path) != entry.link:
                found.append(f"{entry.listed}: symlink differs")
            continue
        elif entry.kind == "hardlink":
            target = os.path.join(dest, entry.link)
            if not os.path.exists(target) or not os.path.samefile(path, target):
                found.append(f"{entry.listed}: hard link differs")
            continue
        else:
            if not stat.S_ISREG(st.st_mode):
                found.append(f"{entry.listed}: file type differs")
                continue
            newer = keep_newer and entry.mtime is not None and st.st_mtime >= entry.mtime
            if not newer:
                if st.st_size != entry.size:
                    found.append(f"{entry.listed}: size differs")
                    continue
                if not is_zip and entry.mtime is not None and int(st.st_mtime) != int(entry.mtime):
                    found.append(f"{entry.listed}: mod time differs")
                    continue
                if not _file_matches(path, entry, reader):
                    found.append(f"{entry.listed}: contents differ")
                    continue
        if attrs.mode is None and entry.mode is not None and stat.S_IMODE(st.st_mode) != entry.mode:
            found.append(f"{entry.listed}: mode differs")
        if root and not is_zip:
            if attrs.owner is None and entry.uid is not None and st.st_uid != entry.uid:
                found.append(f"{entry.listed}: uid differs")
            if attrs.group is None and entry.gid is not None and st.st_gid != entry.gid:
                found.append(f"{entry.listed}: gid differs")
    return found


# --------------------------------------------------------------------------- unpacking
def safe_target(dest: str, rel: str, links: set[str], ctx: ModuleContext, listed: str) -> str:
    """dest/rel, refusing anything that would escape dest."""
    parts = rel.split("/")
    if ".." in parts:
        ctx.fail(f"Archive member {listed!r} would be unpacked outside {dest} ('..' in its path)")
    for depth in range(1, len(parts)):
        if "/".join(parts[:depth]) in links:
            ctx.fail(f"Archive member {listed!r} would be unpacked through the symlink "
                     f"{'/'.join(parts[:depth])!r} in the same archive")
    return os.path.join(dest, rel)


def unpack_tar(archive: tarfile.TarFile, dest: str, entries: list[Entry], keep_newer: bool,
               ctx: ModuleContext) -> None:
    links = {e.rel for e in entries if e.kind == "symlink" and e.rel}
    chosen = []
    for entry in entries:
        if entry.rel is None or entry.rel == ".":
            continue
        target = safe_target(dest, entry.rel, links, ctx, entry.listed)
        if keep_newer and entry.kind == "file" and os.path.exists(target) and entry.mtime is not None \
                and os.path.getmtime(target) >= entry.mtime:
            continue
        member = copy.copy(entry.member)  # keeps where its data sits in the archive
        member.name = entry.rel
        if entry.kind == "hardlink":
            member.linkname = entry.link
        if entry.kind in ("file", "hardlink", "symlink") and os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)  # tar replaces files; tarfile would write through a symlink
        chosen.append(member)
    # extractall sets directory modes and times last, so read-only folders still fill up.
    extra = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
    archive.extractall(dest, members=chosen, **extra)


def unpack_zip(archive: zipfile.ZipFile, dest: str, entries: list[Entry], keep_newer: bool,
               ctx: ModuleContext) -> None:
    links = {e.rel for e in entries if e.kind == "symlink" and e.rel}
    umask = os.umask(0)
    os.umask(umask)
    dir_modes: list[tuple[str, int, float]] = []
    for entry in entries:
        if entry.rel is None or entry.rel == ".":
            continue
        target = safe_target(dest, entry.rel, links, ctx, entry.listed)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        if entry.kind == "dir":
            os.makedirs(target, exist_ok=True)
            dir_modes.append((target, entry.mode if entry.mode is not None else 0o777 & ~umask, entry.mtime or 0))
            continue
        if keep_newer and os.path.exists(target) and entry.mtime is not None \
                and os.path.getmtime(target) >= entry.mtime:
            continue
        if os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)
        if entry.kind == "symlink":
            os.symlink(entry.link, target)
            continue
        with archive.open(entry.member) as source, open(target, "wb") as handle:
            shutil.copyfileobj(source, handle)
        os.chmod(target, entry.mode if entry.mode is not None else 0o666 & ~umask)
        if entry.mtime is not None:
            os.utime(target, (entry.mtime, entry.mtime))
    for path, mode, mtime in reversed(dir_modes):
        os.chmod(path, mode)
        os.utime(path, (mtime, mtime))


@dataclass
class Archive:
    """An opened archive of either kind, with what the module needs from it."""

    handler: str
    entries: list[Entry]
    tar: tarfile.TarFile | None = None
    zip: zipfile.ZipFile | None = None

    def reader(self, entry: Entry) -> Any:
        assert self.tar is not None
        return self.tar.extractfile(entry.member)

    def close(self) -> None:
        for handle in (self.tar, self.zip):
            if handle is not None:
                handle.close()


def open_archive(src: str, args: dict[str, Any], ctx: ModuleContext) -> Archive:
    if zipfile.is_zipfile(src):
        archive = zipfile.ZipFile(src)
        try:
            return Archive("ZipArchive", zip_entries(archive, Options(args, ctx, True)), zip=archive)
        except Exception:
            archive.close()
            raise
    compression, handler = tar_kind(src)
    if compression is None:
        ctx.fail(f'Failed to find handler for "{src}". Make sure the required command to extract the file is '
                 f"installed.\nNot a zip archive; {handler}")
    tar = tarfile.open(src, f"r:{compression}")
    try:
        return Archive(handler, tar_entries(tar, Options(args, ctx, False)), tar=tar)
    except Exception:
        tar.close()
        raise


@dataclass
class Download:
    path: str
    folder: str


def download(url: str, validate_certs: bool, ctx: ModuleContext) -> Download:
    folder = tempfile.mkdtemp(prefix="miniplay-unarchive-")
    name = os.path.basename(urllib.parse.urlsplit(url).path) or "archive"
    path = os.path.join(folder, name)
    context = ssl.create_default_context()
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=30, context=context) as response, open(path, "wb") as handle:
            shutil.copyfileobj(response, handle)
    except (OSError, ValueError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        ctx.fail(f"Failure downloading {url}, {exc}")
    return Download(path, folder)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    creates = args["creates"]
    if creates and os.path.exists(creates):
        return {"changed": False, "skipped": True, "msg": f"skipped, since {creates} exists"}
    src, dest = args["src"], args["dest"]
    fetched: Download | None = None
    if not os.path.exists(src):
        if not args["remote_src"]:
            ctx.fail(f"Source '{src}' failed to transfer")
        if "://" not in src:
            ctx.fail(f"Source '{src}' does not exist")
        fetched = download(src, args["validate_certs"], ctx)
        src = fetched.path
    try:
        return _unarchive(args, ctx, os.path.abspath(src), dest)
    finally:
        if fetched is not None:
            shutil.rmtree(fetched.folder, ignore_errors=True)


def _unarchive(args: dict[str, Any], ctx: ModuleContext, src: str, dest: str) -> dict[str, Any]:
    if not os.access(src, os.R_OK):
        ctx.fail(f"Source '{src}' not readable")
    if os.path.getsize(src) == 0:
        ctx.fail(f"Invalid archive '{src}', the file is 0 bytes")
    abs_dest = os.path.abspath(dest)
    if not os.path.isabs(dest):
        ctx.warn(f"Relative destination path '{dest}' was resolved to absolute path '{abs_dest}'.")
    if not os.path.isdir(abs_dest):
        ctx.fail(f"dest '{dest}' must be an existing dir")
    attrs = FileAttrs.from_args(args)
    archive = open_archive(src, args, ctx)
    try:
        result: dict[str, Any] = {"handler": archive.handler, "dest": dest, "src": src}
        is_zip = archive.zip is not None
        diffs = differences(abs_dest, archive.entries, attrs, args["keep_newer"], archive.reader, is_zip)
        if ctx.check_mode:
            result["changed"] = bool(diffs)
        elif not diffs:
            result["changed"] = False
        else:
            try:
                if archive.tar is not None:
                    unpack_tar(archive.tar, abs_dest, archive.entries, args["keep_newer"], ctx)
                else:
                    assert archive.zip is not None
                    unpack_zip(archive.zip, abs_dest, archive.entries, args["keep_newer"], ctx)
            except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
                ctx.fail(f"failed to unpack {src} to {dest}: {exc}", **result)
            result["extract_results"] = {"cmd": ["python:tarfile" if not is_zip else "python:zipfile", "extract",
                                                 "-C", abs_dest, src], "rc": 0, "out": "", "err": ""}
            result["changed"] = True
        if attrs.any():
            for path in _attr_paths(abs_dest, archive.entries):
                if os.path.lexists(path) or ctx.check_mode:
                    result["changed"] = apply_attrs(path, attrs, ctx) or result["changed"]
        if args["list_files"]:
            result["files"] = [e.listed for e in archive.entries]
    finally:
        archive.close()
    result.update(path_info(abs_dest))
    return result


def _attr_paths(dest: str, entries: list[Entry]) -> Iterator[str]:
    """Every unpacked path, then each top folder (as Ansible applies mode/owner/group)."""
    tops: list[str] = []
    for entry in entries:
        if entry.rel is None or entry.kind == "symlink":
            continue
        yield os.path.normpath(os.path.join(dest, entry.rel))
        if "/" in entry.rel:
            top = entry.rel.split("/")[0]
            if top not in tops:
                tops.append(top)
    for top in tops:
        yield os.path.join(dest, top)
