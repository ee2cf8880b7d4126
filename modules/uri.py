"""uri — make an HTTP(S) request from the target and check the answer (REST APIs, health checks).

Arguments:
  url               the address (required)
  method            GET (default), POST, PUT, DELETE, PATCH, HEAD, ... (one upper-case word)
  body              the request body; with body_format json a dict/list is JSON-encoded, with
                    form-urlencoded a dict (or list of pairs) is form-encoded
  body_format       raw (default), json, form-urlencoded or form-multipart (a dict of field:
                    text, or field: {content | filename, mime_type, filename}); json and the form
                    formats set Content-Type unless headers has one
  src               send this file on the target as the body (instead of body)
  headers           a dict of request headers
  status_code       the status codes that count as success (a list; default [200])
  return_content    add the body as `content` (a JSON body is always parsed into `json`)
  dest              save the body to this file (a directory: use the server's file name);
                    the request then sends If-Modified-Since for an existing file
  creates / removes skip the request when this path exists / does not exist
  timeout           seconds (default 30)
  follow_redirects  safe (default: only for GET and HEAD), all, none, urllib2 (Python's
                    default rules); yes/no are old spellings of all/none
  url_username / user, url_password / password   credentials (password is no_log); sent after a
                    401 challenge, or at once with force_basic_auth
  validate_certs    check HTTPS certificates (default true); ca_path: extra CA bundle;
                    client_cert / client_key: a TLS client certificate; ciphers: a list
  use_proxy         honour *_proxy variables (default true); use_netrc: read ~/.netrc
                    for credentials (default true)
  http_agent        User-Agent (default ansible-httpget); unredirected_headers: headers not
                    sent again after a redirect; decompress: undo gzip (default true);
                    force: ask caches for a fresh answer
  mode, owner, group   attributes of dest

The request is made with Python's urllib on the target. No check mode, as with Ansible.

Returns: status, url (after redirects), redirected, msg ('OK (N bytes)' or the error),
elapsed, every response header (lower case, - as _: content_type, ...), cookies,
cookies_string, json, content (with return_content or on failure), location (absolute);
with dest: path and its uid, gid, owner, group, mode, size; changed only when dest was
written.

Example:
  - name: Create the user through the API
    uri:
      url: https://api.example.com/users
      method: POST
      body_format: json
      body: {name: alice}
      status_code: [200, 201]
      return_content: true
    register: created
"""
from __future__ import annotations

import base64
import email.message
import email.utils
import gzip
import http.client
import http.cookies
import json
import mimetypes
import netrc
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import FILE_COMMON_SPEC, FileAttrs, apply_attrs, path_info
from miniplay.modules._http import prepare

ARGUMENT_SPEC = {
    "url": {"type": "str", "required": True},
    "force": {"type": "bool", "default": False, "aliases": ["thirsty"]},
    "http_agent": {"type": "str", "default": "ansible-httpget"},
    "use_proxy": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "url_username": {"type": "str", "aliases": ["user"]},
    "url_password": {"type": "str", "no_log": True, "aliases": ["password"]},
    "force_basic_auth": {"type": "bool", "default": False},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path"},
    "use_gssapi": {"type": "bool", "default": False},
    "dest": {"type": "path"},
    "body": {"type": "raw"},
    "body_format": {"type": "str", "default": "raw", "choices": ["form-urlencoded", "json", "raw", "form-multipart"]},
    "src": {"type": "path"},
    "method": {"type": "str", "default": "GET"},
    "return_content": {"type": "bool", "default": False},
    "follow_redirects": {"type": "str", "default": "safe", "choices": ["all", "no", "none", "safe", "urllib2", "yes"]},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "status_code": {"type": "list", "elements": "int", "default": [200]},
    "timeout": {"type": "int", "default": 30},
    "headers": {"type": "dict", "default": {}},
    "unix_socket": {"type": "path"},
    "remote_src": {"type": "bool", "default": False},
    "ca_path": {"type": "path"},
    "unredirected_headers": {"type": "list", "elements": "str", "default": []},
    "decompress": {"type": "bool", "default": True},
    "ciphers": {"type": "list", "elements": "str"},
    "use_netrc": {"type": "bool", "default": True},
    **FILE_COMMON_SPEC,
}
MUTUALLY_EXCLUSIVE = (("body", "src"),)
SUPPORTS_CHECK_MODE = False

JSON_SUBTYPES = {"json", "javascript"}


# --------------------------------------------------------------------------- request bodies
def form_urlencoded(body: Any) -> Any:
    """A dict or list of pairs as application/x-www-form-urlencoded text (lists repeat the key)."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        pairs = list(body.items())
    elif isinstance(body, (list, tuple)):
        pairs = list(body)
    else:
        return body
    flat = []
    for key, values in pairs:
        if isinstance(values, str) or not isinstance(values, (list, tuple, dict)):
            values = [values]
        for value in values:
            if value is not None:
                flat.append((str(key), str(value)))
    return urllib.parse.urlencode(flat, doseq=True)


def form_multipart(fields: Any) -> tuple[str, bytes]:
    """(content type, body) for multipart/form-data from {name: text | {content|filename, ...}}."""
    if not isinstance(fields, dict):
        raise TypeError(f"Mapping is required, cannot be type {type(fields).__name__}")
    boundary = f"===============miniplay{uuid.uuid4().hex}=="
    chunks: list[bytes] = []
    for name, value in fields.items():
        headers = f'Content-Disposition: form-data; name="{name}"'
        if isinstance(value, str):
            data = value.encode()
            content_type = "text/plain"
        elif isinstance(value, dict):
            filename = value.get("filename")
            content = value.get("content")
            if content is None:
                if filename is None:
                    raise ValueError("at least one of filename or content must be provided")
                with open(os.path.expanduser(filename), "rb") as handle:
                    data = handle.read()
            else:
                data = content.encode() if isinstance(content, str) else bytes(content)
            if filename:
                headers += f'; filename="{os.path.basename(filename)}"'
            guessed = mimetypes.guess_type(filename or "")[0]
            content_type = value.get("mime_type") or guessed or "application/octet-stream"
        else:
            raise TypeError(f"value must be a string, or mapping, cannot be type {type(value).__name__}")
        chunks.append(f"--{boundary}\r\n{headers}\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f'multipart/form-data; boundary="{boundary}"', b"".join(chunks)


# --------------------------------------------------------------------------- redirects
class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects the way follow_redirects says (urllib alone knows only its own rules)."""

    def __init__(self, mode: str, unredirected: list[str]) -> None:
        super().__init__()
        self.mode = {"yes": "all", "no": "none"}.get(mode, mode)
        self.unredirected = {h.lower() for h in unredirected}

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        method = req.get_method()
        if self.mode == "none":
            return None
        if self.mode == "urllib2":
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        if self.mode == "safe" and method not in ("GET", "HEAD"):
            return None
        if code not in (301, 302, 303, 307, 308):
            return None
        keep_body = code in (307, 308)
        new_method = method if keep_body or method == "HEAD" else "GET"
        kept = {k: v for k, v in req.header_items() if k.lower() not in self.unredirected}
        if not keep_body:
            kept = {k: v for k, v in kept.items() if k.lower() not in ("content-length", "content-type")}
        return urllib.request.Request(newurl.replace(" ", "%20"), data=req.data if keep_body else None,
                                      headers=kept, origin_req_host=req.origin_req_host, unverifiable=True,
                                      method=new_method)


# --------------------------------------------------------------------------- the request
class Reply:
    """What came back: the fetch_url-style info dict and the open response (or None)."""

    def __init__(self, info: dict[str, Any], response: Any = None, body: bytes = b"") -> None:
        self.info = info
        self.response = response
        self.body = body


def _netrc_auth(host: str) -> str | None:
    path = os.path.expanduser(os.environ.get("NETRC") or "~/.netrc")
    try:
        found = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if not found:
        return None
    user, _, password = found
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _cookies(headers: list[tuple[str, str]]) -> tuple[dict[str, str], str]:
    jar: dict[str, str] = {}
    for key, value in headers:
        if key.lower() != "set-cookie":
            continue
        parsed = http.cookies.SimpleCookie()
        try:
            parsed.load(value)
        except http.cookies.CookieError:
            continue
        for name, morsel in parsed.items():
            jar[name] = morsel.value
    return jar, "; ".join(f"{k}={v}" for k, v in jar.items())


def request(args: dict[str, Any], url: str, method: str, data: Any, headers: dict[str, str],
            modified_since: float | None) -> Reply:
    parts = urllib.parse.urlsplit(url)
    url, handlers, all_headers, credentials = prepare(args, url, cafile=args["ca_path"], digest=True)
    handlers.insert(0, _Redirects(args["follow_redirects"], args["unredirected_headers"]))
    if not credentials and args["use_netrc"] and parts.hostname:
        auth = _netrc_auth(parts.hostname)
        if auth:
            all_headers["Authorization"] = auth
    if args["force"]:
        all_headers["Cache-Control"] = "no-cache"
    if modified_since is not None:
        all_headers["If-Modified-Since"] = email.utils.formatdate(modified_since, usegmt=True)
    if args["decompress"]:
        all_headers["Accept-Encoding"] = "gzip"
    all_headers.update({str(k): str(v) for k, v in headers.items()})
    req = urllib.request.Request(url, data=data, method=method)
    for key, value in all_headers.items():
        if key.lower() in {h.lower() for h in args["unredirected_headers"]}:
            req.add_unredirected_header(key, value)
        else:
            req.add_header(key, value)
    opener = urllib.request.build_opener(*handlers)
    info: dict[str, Any] = {"url": url}
    try:
        response = opener.open(req, timeout=args["timeout"])
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read()
        except Exception:
            body = b""
        items = list(exc.headers.items()) if exc.headers else []
        info.update({k.lower(): v for k, v in items})
        cookies, cookie_text = _cookies(items)
        if cookies:
            info.update(cookies=cookies, cookies_string=cookie_text)
        info.update(status=exc.code, msg=f"HTTP Error {exc.code}: {exc.reason}")
        exc.close()
        return Reply(info, body=body)
    except urllib.error.URLError as exc:
        info.update(status=-1, msg=f"Request failed: {exc}")
        return Reply(info)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        info.update(status=-1, msg=f"Connection failure: {exc}")
        return Reply(info)
    items = list(response.headers.items())
    info.update({k.lower(): v for k, v in items})
    cookies, cookie_text = _cookies(items)
    info.update(cookies=cookies, cookies_string=cookie_text)
    info.update(url=response.geturl() or url, status=response.status,
                msg=f"OK ({info.get('content-length', 'unknown')} bytes)")
    return Reply(info, response)


def _response_stream(reply: Reply, decompress: bool) -> Any:
    stream = reply.response
    if decompress and reply.info.get("content-encoding") == "gzip":
        stream = gzip.GzipFile(fileobj=stream)
        reply.info.pop("content-encoding", None)
        reply.info.pop("content-length", None)
    return stream


def _filename_from(reply: Reply) -> str | None:
    message = email.message.Message()
    message["content-disposition"] = reply.info.get("content-disposition", "")
    name = message.get_param("filename", header="content-disposition")
    return os.path.basename(str(name)) if name else None


def _save(dest: str, content: Any, ctx: ModuleContext, result: dict[str, Any]) -> None:
    """Write the body beside dest and rename it into place when it differs."""
    folder = os.path.dirname(os.path.abspath(dest)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".miniplay-uri-", dir=folder)
    except OSError as exc:
        ctx.fail(f"Failed to create temporary content file: {exc}", **result)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            else:
                shutil.copyfileobj(content, handle)
        if os.path.exists(dest) and _same_file(tmp, dest):
            return
        if os.path.exists(dest):
            os.chmod(tmp, os.stat(dest).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dest)
    except OSError as exc:
        ctx.fail(f"failed to copy {tmp} to {dest}: {exc}", **result)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _same_file(left: str, right: str) -> bool:
    if os.path.getsize(left) != os.path.getsize(right):
        return False
    with open(left, "rb") as one, open(right, "rb") as two:
        while True:
            a, b = one.read(1 << 16), two.read(1 << 16)
            if a != b:
                return False
            if not a:
                return True


def _content_type(info: dict[str, Any]) -> tuple[str, str, str]:
    """(main type, sub type, charset) of the response."""
    message = email.message.Message()
    message["content-type"] = info.get("content-type", "application/octet-stream")
    main, _, sub = message.get_content_type().partition("/")
    return main, sub, message.get_content_charset() or "utf-8"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    url, body, dest = args["url"], args["body"], args["dest"]
    body_format = args["body_format"].lower()
    method = args["method"].upper()
    headers = dict(args["headers"] or {})
    status_codes = [int(c) for c in args["status_code"]]
    if not re.match(r"^[A-Z]+$", method):
        ctx.fail("Parameter 'method' needs to be a single word in uppercase, like GET or POST.")
    if args["unix_socket"]:
        ctx.fail("unix_socket is not supported by miniplay's uri module")
    if args["use_gssapi"]:
        ctx.fail("use_gssapi is not supported by miniplay's uri module")
    has_type = "content-type" in (h.lower() for h in headers)
    if body_format == "json":
        if not isinstance(body, str):
            body = json.dumps(body)
        if not has_type:
            headers["Content-Type"] = "application/json"
    elif body_format == "form-urlencoded":
        if not isinstance(body, str):
            try:
                body = form_urlencoded(body)
            except (TypeError, ValueError) as exc:
                ctx.fail(f"failed to parse body as form_urlencoded: {exc}", elapsed=0)
        if not has_type:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body_format == "form-multipart":
        try:
            headers["Content-Type"], body = form_multipart(body)
        except (TypeError, ValueError, OSError) as exc:
            ctx.fail(f"failed to parse body as form-multipart: {exc}")
    if args["creates"] is not None and os.path.exists(args["creates"]):
        return {"stdout": f"skipped, since '{args['creates']}' exists", "changed": False}
    if args["removes"] is not None and not os.path.exists(args["removes"]):
        return {"stdout": f"skipped, since '{args['removes']}' does not exist", "changed": False}

    data: Any = None
    source = None
    if args["src"]:
        try:
            headers["Content-Length"] = str(os.stat(args["src"]).st_size)
            source = open(args["src"], "rb")
        except OSError:
            ctx.fail(f"Unable to open source file {args['src']}", elapsed=0)
        data = source
    elif body is not None:
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
    modified_since = os.path.getmtime(dest) if dest is not None and os.path.isfile(dest) else None

    started = time.monotonic()
    try:
        reply = request(args, url, method, data, headers, modified_since)
    finally:
        if source is not None:
            source.close()
    elapsed = int(time.monotonic() - started)
    try:
        return _answer(args, ctx, reply, url, dest, status_codes, elapsed)
    finally:
        if reply.response is not None:
            reply.response.close()


def _answer(args: dict[str, Any], ctx: ModuleContext, reply: Reply, url: str, dest: str | None,
            status_codes: list[int], elapsed: int) -> dict[str, Any]:
    info = reply.info
    if reply.response is not None and dest is not None and os.path.isdir(dest):
        dest = os.path.join(dest, _filename_from(reply) or "index.html")
    _, sub, charset = _content_type(info) if reply.response is not None else ("application", "octet-stream",
                                                                                "utf-8")
    sub = sub.partition("+")[2] if "+" in sub else sub
    maybe_json = sub.lower() in JSON_SUBTYPES
    status = int(info["status"])
    wants_output = maybe_json or args["return_content"] or status not in status_codes
    content: Any = None
    if reply.response is not None:
        stream = _response_stream(reply, args["decompress"])
        if wants_output:
            try:
                content = stream.read()
            except (http.client.HTTPException, OSError) as exc:
                ctx.fail(f"HTTP Error while fetching {url}: {exc}")
        else:
            content = stream
    elif wants_output:
        content = reply.body

    result: dict[str, Any] = {"redirected": info["url"] != url}
    result.update(info)
    result.update(elapsed=elapsed, status=status, changed=False)
    if reply.response is not None and dest is not None:
        if status in status_codes and status != 304:
            _save(dest, content, ctx, result)
            result["changed"] = True
            result["changed"] = apply_attrs(dest, FileAttrs.from_args(args), ctx) or result["changed"]
            result.update(path_info(dest))
        result["path"] = dest

    answer = {key.replace("-", "_").lower(): value for key, value in result.items()}
    if "location" in answer:
        answer["location"] = urllib.parse.urljoin(url, answer["location"])
    text = None
    if isinstance(content, bytes):
        text = content.decode(charset, errors="replace")
        if maybe_json:
            try:
                answer["json"] = json.loads(text)
            except ValueError:
                pass
    if status not in status_codes:
        answer["msg"] = f"Status code was {status} and not {status_codes}: {answer.get('msg', '')}"
        if args["return_content"]:
            answer["content"] = text
        ctx.fail(answer.pop("msg"), **answer)
    if args["return_content"]:
        answer["content"] = text
    return answer
