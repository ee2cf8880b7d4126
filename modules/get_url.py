"""get_url — download a file over HTTP(S) or FTP to the target (the target makes the request).

Arguments:
  url               http://, https://, ftp:// or file:// address (required)
  dest              where to save it (required); a directory means "use the server's or URL's
                    file name"
  force             download again even when dest exists (default false: an existing dest is
                    only replaced if the server says it changed — If-Modified-Since — or its
                    checksum does not match)
  checksum          '<algorithm>:<hex digest>' (or '<algorithm>:<url of a checksum file>'); the
                    download must match it, and a matching dest is not downloaded again
  timeout           seconds for the request (default 10)
  headers           a dict of extra request headers
  url_username / username, url_password / password   HTTP basic auth (password is no_log)
  force_basic_auth  send the credentials without waiting for a 401 challenge
  validate_certs    check HTTPS certificates (default true)
  use_proxy         honour *_proxy environment variables (default true)
  http_agent        the User-Agent (default 'ansible-httpget')
  backup            keep the old dest as <dest>.<pid>.<date>@<time>~ (result: backup_file)
  tmp_dest          accepted for compatibility; miniplay downloads next to dest so the final
                    rename is atomic
  mode, owner, group  attributes of the file

Returns: changed, dest, url, status_code, msg ('OK (N bytes)'), elapsed, checksum_src,
checksum_dest, md5sum, size, mode, uid, gid, owner, group, state, backup_file. In check mode
only a HEAD request is made, as Ansible does.

Example:
  - name: Fetch the release
    get_url:
      url: https://example.com/app-1.2.tar.gz
      dest: /opt/app-1.2.tar.gz
      checksum: sha256:0c7c...e5
      mode: "0644"
"""
from __future__ import annotations

import email.message
import email.utils
import gzip
import hashlib
import os
import re
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._files import (
    FILE_COMMON_SPEC,
    FileAttrs,
    apply_attrs,
    digest_file,
    make_backup,
    md5_or_none,
    path_info,
)
from miniplay.modules._http import prepare

ARGUMENT_SPEC = {
    "url": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "force": {"type": "bool", "default": False, "aliases": ["thirsty"]},
    "backup": {"type": "bool", "default": False},
    "checksum": {"type": "str", "default": ""},
    "timeout": {"type": "float", "default": 10},
    "headers": {"type": "dict"},
    "tmp_dest": {"type": "path"},
    "http_agent": {"type": "str", "default": "ansible-httpget"},
    "use_proxy": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "url_username": {"type": "str", "aliases": ["username"]},
    "url_password": {"type": "str", "no_log": True, "aliases": ["password"]},
    "force_basic_auth": {"type": "bool", "default": False},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path"},
    "use_gssapi": {"type": "bool", "default": False},
    "unredirected_headers": {"type": "list", "elements": "str", "default": []},
    "decompress": {"type": "bool", "default": True},
    "ciphers": {"type": "list", "elements": "str"},
    "use_netrc": {"type": "bool", "default": True},
    **FILE_COMMON_SPEC,
}
SUPPORTS_CHECK_MODE = True


def mask_url(url: str) -> str:
    """The URL with any user and password in it shown as ****."""
    parts = urllib.parse.urlsplit(url)
    if not parts.username and not parts.password:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    masked = f"****:****@{host}" if parts.password else f"****@{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=masked))


def url_filename(url: str) -> str:
    return os.path.basename(urllib.parse.urlsplit(url).path) or "index.html"


class _Response:
    """What a request gave: status, message, headers, final url, and the open body (or None)."""

    def __init__(self, status: int, msg: str, headers: dict[str, str], url: str, body: Any = None) -> None:
        self.status, self.msg, self.headers, self.url, self.body = status, msg, headers, url, body


def _request(args: dict[str, Any], url: str, method: str = "GET",
             modified_since: float | None = None) -> _Response:
    url, handlers, headers, _ = prepare(args, url)
    for key, value in (args["headers"] or {}).items():
        headers[str(key)] = str(value)
    if modified_since is not None and not args["force"]:
        headers["If-Modified-Since"] = email.utils.formatdate(modified_since, usegmt=True)
    request = urllib.request.Request(url, method=method)
    for key, value in headers.items():
        if key in args["unredirected_headers"]:
            request.add_unredirected_header(key, value)
        else:
            request.add_header(key, value)
    opener = urllib.request.build_opener(*handlers)
    try:
        response = opener.open(request, timeout=args["timeout"])
    except urllib.error.HTTPError as exc:
        status = exc.code
        reply = _Response(status, f"HTTP Error {status}: {exc.reason}", dict(exc.headers or {}), url)
        exc.close()
        return reply
    except urllib.error.URLError as exc:
        return _Response(-1, f"Request failed: {exc}", {}, url)
    except (OSError, ValueError, ssl.SSLError) as exc:
        return _Response(-1, f"Request failed: {exc}", {}, url)
    found_headers = {k.lower(): v for k, v in response.headers.items()}
    status = getattr(response, "status", None) or 200
    length = found_headers.get("content-length", "unknown")
    return _Response(status, f"OK ({length} bytes)", found_headers, response.geturl() or url, response)


def _download(args: dict[str, Any], ctx: ModuleContext, url: str, directory: str, result: dict,
              method: str = "GET", modified_since: float | None = None) -> tuple[str, _Response]:
    """Fetch `url` into a temp file in `directory`; exits early for 304, fails like Ansible."""
    started = time.monotonic()
    reply = _request(args, url, method, modified_since)
    elapsed = int(time.monotonic() - started)
    if reply.status == 304:
        raise _Done({"changed": False, "url": mask_url(url), "dest": result["dest"], "msg": reply.msg,
                     "status_code": 304, "elapsed": elapsed})
    if reply.status == -1:
        ctx.fail(reply.msg, url=mask_url(url), dest=result["dest"], elapsed=elapsed)
    scheme = urllib.parse.urlsplit(url).scheme
    if reply.status != 200 and scheme not in ("file", "ftp"):
        ctx.fail("Request failed", status_code=reply.status, response=reply.msg, url=mask_url(url),
                 dest=result["dest"], elapsed=elapsed)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".miniplay-get_url-", dir=directory)
    except OSError as exc:
        reply.body.close()
        ctx.fail(f"failed to create temporary content file: {exc}", elapsed=elapsed)
    try:
        with os.fdopen(fd, "wb") as handle:
            body = reply.body
            if args["decompress"] and reply.headers.get("content-encoding") == "gzip":
                body = gzip.GzipFile(fileobj=body)
            shutil.copyfileobj(body, handle)
    except Exception as exc:
        os.unlink(tmp)
        ctx.fail(f"failed to create temporary content file: {exc}", elapsed=elapsed)
    finally:
        reply.body.close()
    expected = reply.headers.get("content-length")
    if (method == "GET" and expected and expected.isdigit() and reply.headers.get("content-encoding") != "gzip"
            and os.path.getsize(tmp) != int(expected)):
        got = os.path.getsize(tmp)
        os.unlink(tmp)
        ctx.fail(f"Incomplete read, ({expected=}, {got=}) failed to read remaining {int(expected) - got} bytes")
    return tmp, reply


class _Done(Exception):
    """A successful early end (304 Not Modified)."""

    def __init__(self, result: dict) -> None:
        super().__init__("done")
        self.result = result


def _digest_lines(filename: str, lines: list[str]) -> list[tuple[str, str]]:
    """(digest, file name) pairs from a GNU or BSD style checksum file."""
    if len(lines) == 1 and len(lines[0].split()) == 1:
        return [(lines[0], filename)]
    pairs = []
    bsd = re.compile(r"^(\w+) ?\((?P<path>.+)\) ?= (?P<digest>[\w.]+)$")
    gnu = re.compile(r"^(?P<digest>[\w.]+)\s+(\*|\./|\.)?(?P<path>.+)$")
    for line in lines:
        hit = bsd.match(line)
        if hit:
            pairs.append((hit.group("digest"), hit.group("path")))
            continue
        hit = gnu.match(line)
        if hit:
            pairs.append((hit.group("digest"), hit.group("path").lstrip("./")))
    return pairs


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    try:
        return _main(args, ctx)
    except _Done as done:
        done.result.update(path_info(done.result["dest"]))
        return done.result


def _main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    url, dest = args["url"], args["dest"]
    result: dict[str, Any] = {"changed": False, "checksum_dest": None, "checksum_src": None, "dest": dest,
                              "elapsed": 0, "url": mask_url(url)}
    dest_is_dir = os.path.isdir(dest)
    work_dir = dest if dest_is_dir else (os.path.dirname(dest) or ".")
    if args["tmp_dest"] and not os.path.isdir(args["tmp_dest"]):
        what = "is a file but should be a directory." if os.path.exists(args["tmp_dest"]) else "directory does not exist."
        ctx.fail(f"{args['tmp_dest']} {what}", elapsed=0)

    algorithm, checksum = None, args["checksum"]
    if checksum:
        try:
            algorithm, checksum = checksum.split(":", 1)
        except ValueError:
            ctx.fail("The checksum parameter has to be in format <algorithm>:<checksum>", **result)
        if urllib.parse.urlsplit(checksum).scheme in ("http", "https", "ftp", "file"):
            checksum = _checksum_from_url(args, ctx, checksum, url, work_dir, result)
        checksum = re.sub(r"\W+", "", checksum).lower()
        try:
            int(checksum, 16)
        except ValueError:
            ctx.fail("The checksum format is invalid", **result)
        if algorithm not in hashlib.algorithms_available:
            ctx.fail(f"Unsupported checksum algorithm: {algorithm}", **result)

    force = args["force"]
    modified_since = None
    attrs = FileAttrs.from_args(args)
    if not dest_is_dir and os.path.exists(dest):
        mismatch = False
        if not force and checksum:
            if digest_file(dest, algorithm) != checksum:
                mismatch = True
            else:
                result["changed"] = apply_attrs(dest, attrs, ctx)
                msg = "file already exists but file attributes changed" if result["changed"] else "file already exists"
                return {**result, "msg": msg, **path_info(dest)}
        modified_since = os.path.getmtime(dest)
        if mismatch:
            force = True
    fetch_args = dict(args, force=force)

    started = time.monotonic()
    if not os.path.isdir(work_dir):
        ctx.fail(f"Destination {work_dir} does not exist", **result)
    tmp, reply = _download(fetch_args, ctx, url, work_dir, result, "HEAD" if ctx.check_mode else "GET",
                           modified_since)
    try:
        result["elapsed"] = int(time.monotonic() - started)
        result["src"] = tmp
        if dest_is_dir:
            message = email.message.Message()
            message["content-disposition"] = reply.headers.get("content-disposition", "")
            filename = message.get_param("filename", header="content-disposition")
            filename = os.path.basename(str(filename)) if filename else url_filename(reply.url)
            dest = os.path.join(dest, filename)
            result["dest"] = dest
        result["checksum_src"] = digest_file(tmp)
        if os.path.exists(dest):
            if not os.access(dest, os.W_OK):
                ctx.fail(f"Destination {dest} is not writable", **result)
            if not os.access(dest, os.R_OK):
                ctx.fail(f"Destination {dest} is not readable", **result)
            result["checksum_dest"] = digest_file(dest)
        elif not os.access(os.path.dirname(dest) or ".", os.W_OK):
            ctx.fail(f"Destination {os.path.dirname(dest)} is not writable", **result)

        if ctx.check_mode:
            result["changed"] = result["checksum_src"] != result["checksum_dest"]
            return {**result, "msg": reply.msg}
        if checksum:
            got = digest_file(tmp, algorithm)
            if got != checksum:
                ctx.fail(f"The checksum for {tmp} did not match {checksum}; it was {got}.", **result)
        if result["checksum_src"] != result["checksum_dest"]:
            if args["backup"] and os.path.exists(dest):
                result["backup_file"] = make_backup(dest, ctx)
            _install(tmp, dest, attrs)
            result["changed"] = True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    result["changed"] = apply_attrs(dest, attrs, ctx) or result["changed"]
    result["md5sum"] = md5_or_none(dest)
    result.update(msg=reply.msg, status_code=reply.status)
    result.update(path_info(dest))
    return result


def _install(tmp: str, dest: str, attrs: FileAttrs) -> None:
    """Give the downloaded temp file its final attributes and rename it over dest."""
    try:
        old = os.stat(dest)
        os.chmod(tmp, old.st_mode & 0o7777)
        try:
            os.chown(tmp, old.st_uid, old.st_gid)
        except PermissionError:
            pass
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    apply_attrs(tmp, attrs, ModuleContext())
    try:
        os.replace(tmp, dest)
    except OSError as exc:
        raise ModuleFailed(f"failed to copy {tmp} to {dest}: {exc}") from None


def _checksum_from_url(args: dict[str, Any], ctx: ModuleContext, checksum_url: str, url: str, work_dir: str,
                       result: dict) -> str:
    tmp, _ = _download(dict(args, force=True), ctx, checksum_url, work_dir if os.path.isdir(work_dir) else
                       tempfile.gettempdir(), result)
    try:
        with open(tmp, encoding="utf-8", errors="replace") as handle:
            lines = [line.rstrip("\n") for line in handle]
    finally:
        os.unlink(tmp)
    filename = url_filename(url)
    for digest, name in _digest_lines(filename, lines):
        if name == filename:
            return digest
    ctx.fail(f"Unable to find a checksum for file '{filename}' in '{mask_url(checksum_url)}'")
