"""apt_key — add or remove an APT signing key with `apt-key` (deprecated by Debian).

Prefer keyring files in /etc/apt/keyrings with deb822_repository's signed_by; this module
exists for playbooks that still use apt-key, and behaves as Ansible's does.

Arguments:
  id          the key id: 8 or 16 hex digits, or a longer fingerprint (a leading 0x is fine);
              found from the key itself when file/data/url is given
  data        the key, armored or binary
  file        a key file on the target
  url         a URL to download the key from (validate_certs: check the TLS certificate,
              default true)
  keyserver   a keyserver to receive the key `id` from
  keyring     the keyring file to use instead of apt's own (`apt-key --keyring FILE`)
  state       present (default) or absent
data, file, keyserver and url exclude each other.

Key ids are compared in the long (16 digit) form, or in the short (8 digit) form when `id`
is written short. Keys are listed with `apt-key adv --list-public-keys`, a key's id is read
with `gpg --with-colons`; check mode lists but never adds or deletes.

Returns: changed, id (as given, or as found in the key), key_id, short_id, fp (the long id),
before (key ids in the keyring), after (key ids after a change).

Example:
  - name: Trust the vendor's key (into a keyring of its own)
    apt_key:
      url: https://vendor.example/key.asc
      keyring: /etc/apt/trusted.gpg.d/vendor.gpg
"""
from __future__ import annotations

import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import find_program, require_program, with_env

ARGUMENT_SPEC = {
    "id": {"type": "str"},
    "url": {"type": "str"},
    "data": {"type": "str"},
    "file": {"type": "path"},
    "keyring": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "keyserver": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
}
MUTUALLY_EXCLUSIVE = (("data", "file", "keyserver", "url"),)
SUPPORTS_CHECK_MODE = True

C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LANGUAGE": "C"}
NOT_THERE = "apt-key did not return an error, but %s (check that the id is correct and *not* a subkey)"


def split_key_id(key_id: Any) -> tuple[str, str, str]:
    """(short id, long id, whole id) of a key id as the user wrote it; ValueError when invalid."""
    text = str(key_id)
    int(text, 16)
    text = text.upper()
    if text.startswith("0X"):
        text = text[2:]
    if len(text) not in (8, 16) and len(text) <= 16:
        raise ValueError("key_id must be 8, 16, or 16+ hexadecimal characters in length")
    return text[-8:], text[-16:] if len(text) > 16 else text, text


def key_ids_in(listing: str, short: bool = False) -> list[str]:
    """Key ids of the unexpired pub/sub lines of `apt-key adv --list-public-keys` or `gpg --with-colons`."""
    found = []
    for line in listing.split("\n"):
        if not line.startswith(("pub", "sub")) or "expired" in line:
            continue
        tokens = line.split()
        if len(tokens) > 1 and tokens[1].count("/") == 1:
            found.append(tokens[1].split("/")[1])
            continue
        fields = line.split(":")
        if len(fields) > 4:
            found.append(fields[4])
    return [k[-8:] for k in found] if short else found


class AptKey:
    """apt-key (and gpg) calls for one keyring."""

    def __init__(self, ctx: ModuleContext, keyring: str | None) -> None:
        self.ctx = ctx
        self.apt_key = find_program("apt-key")
        if self.apt_key is None:
            ctx.fail('Failed to find required executable "apt-key". Apt-key has been deprecated. '
                     "See the deb822_repository as an alternative.")
        self.gpg = require_program(ctx, "gpg")
        self.base = [self.apt_key] + (["--keyring", keyring] if keyring else [])

    def listed(self, short: bool) -> list[str]:
        command = self.base + ["adv", "--list-public-keys", "--keyid-format=long"]
        rc, out, err = self.ctx.run_command(command)
        if rc != 0:
            self.ctx.fail("Unable to list public keys", cmd=" ".join(command), rc=rc, stdout=out, stderr=err)
        return key_ids_in(out, short)

    def id_of(self, path: str, data: bytes | None = None) -> str | None:
        """The first key id in a key file (or in `data`, with path '-')."""
        rc, out, err = _run_bytes(with_env(self.ctx, C_LOCALE), [self.gpg, "--with-colons", path], data)
        if rc != 0:
            self.ctx.fail(f"Unable to extract key from '{'inline data' if data is not None else path}'",
                          stdout=out, stderr=err)
        keys = key_ids_in(out)
        return keys[0] if keys else None

    def add(self, path: str, data: bytes | None = None) -> None:
        command = self.base + ["add", "-" if data is not None else path]
        rc, out, err = _run_bytes(self.ctx, command, data)
        if rc != 0:
            fields = {"keyfile": path} if data is None else {}
            message = "Unable to add a key from binary data" if data is not None else f"Unable to add a key from file {path}"
            self.ctx.fail(message, cmd=" ".join(command), rc=rc, stdout=out, stderr=err, **fields)

    def receive(self, keyserver: str, key_id: str) -> None:
        command = self.base + ["adv", "--no-tty", "--keyserver", keyserver]
        proxy = next((self.ctx.environ().get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
                      if self.ctx.environ().get(v)), None)
        if proxy:
            command += ["--keyserver-options", f"http-proxy={proxy}"]
        command += ["--recv", key_id]
        run = with_env(self.ctx, C_LOCALE)
        for _ in range(5):
            rc, out, err = run.run_command(command)
            if rc == 0:
                return
        if rc == 2 and "not found on keyserver" in out:
            self.ctx.fail(f"Key {key_id} not found on keyserver {keyserver}", cmd=" ".join(command),
                          forced_environment=C_LOCALE)
        self.ctx.fail(f"Error fetching key {key_id} from keyserver: {keyserver}", cmd=" ".join(command),
                      forced_environment=C_LOCALE, rc=rc, stdout=out, stderr=err)

    def delete(self, short_id: str) -> None:
        command = self.base + ["del", short_id]
        rc, out, err = self.ctx.run_command(command)
        if rc != 0:
            self.ctx.fail(f"Unable to remove a key with id {short_id}", cmd=" ".join(command), rc=rc,
                          key_id=short_id, stdout=out, stderr=err)


def _run_bytes(ctx: ModuleContext, command: list[str], data: bytes | None) -> tuple[int, str, str]:
    """run_command with binary input (a key may be binary)."""
    import subprocess

    proc = subprocess.run(command, input=data, stdin=None if data is not None else subprocess.DEVNULL,
                          capture_output=True, env=ctx.environ())
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def download(ctx: ModuleContext, url: str, validate_certs: bool) -> bytes:
    shown = _masked(url)
    context = None if validate_certs else ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            if response.status != 200:
                length = response.headers.get("Content-Length") or "unknown"
                ctx.fail(f"Failed to download key at {shown}: OK ({length} bytes)")
            body: bytes = response.read()
    except urllib.error.HTTPError as exc:  # what fetch_url puts in info['msg']
        ctx.fail(f"Failed to download key at {shown}: HTTP Error {exc.code}: {exc.reason}")
    except urllib.error.URLError as exc:
        ctx.fail(f"Failed to download key at {shown}: Request failed: {exc}")
    except Exception:
        ctx.fail(f"Error getting key id from url: {shown}")
    return body


def _masked(url: str) -> str:
    """The URL without its password, as Ansible shows it."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":********@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _bytes(data: Any) -> bytes:
    return data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogateescape")


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    key_id, data = args["id"], args["data"]
    tool = AptKey(ctx, args["keyring"])
    payload: bytes | None = _bytes(data) if data is not None else None
    if not key_id:
        key_id, payload = _id_from_key(args, ctx, tool, key_id, payload)
    result: dict[str, Any] = {"changed": False, "id": key_id}
    try:
        short_id, long_id, key_id = split_key_id(key_id)
    except ValueError:
        ctx.fail("Invalid key_id", **result)
    result.update(short_id=short_id, fp=long_id, key_id=key_id)
    short = len(key_id) == 8
    result["before"] = keys = tool.listed(short)
    wanted = short_id if short else long_id
    if args["state"] == "present":
        if wanted in keys:
            return result
        result["changed"] = True
        if ctx.check_mode:
            return result
        _add_key(args, ctx, tool, key_id, payload, result)
        result["after"] = tool.listed(short)
        if wanted not in result["after"]:
            ctx.fail(NOT_THERE % "failed to add the key", **result)
        return result
    if long_id in keys:
        result["changed"] = True
        if not ctx.check_mode:
            tool.delete(short_id)
            result["after"] = tool.listed(short)
            if long_id in result["after"]:
                ctx.fail(NOT_THERE % "the key was not removed", **result)
    return result


def _id_from_key(args: dict[str, Any], ctx: ModuleContext, tool: AptKey, key_id: Any,
                 payload: bytes | None) -> tuple[Any, bytes | None]:
    """No `id` given: (the id of the key in `file`, `data` or `url`, the key's bytes so far).

    A `url` is downloaded here; without a key to read, `key_id` comes back as it was.
    """
    if args["keyserver"]:
        ctx.fail("Missing key_id, required with keyserver.")
    if args["url"]:
        payload = download(ctx, args["url"], args["validate_certs"])
    if args["file"]:
        return tool.id_of(args["file"]), payload
    if payload is not None:
        return tool.id_of("-", payload), payload
    return key_id, payload


def _add_key(args: dict[str, Any], ctx: ModuleContext, tool: AptKey, key_id: str, payload: bytes | None,
             result: dict[str, Any]) -> None:
    """Add the key from `file`, from `keyserver`, or from its bytes (`data`, or `url` fetched now)."""
    path, keyserver, url = args["file"], args["keyserver"], args["url"]
    if path:
        tool.add(path)
    elif keyserver:
        tool.receive(keyserver, key_id)
    else:
        if payload is None:  # an id and a url: fetch it now
            payload = download(ctx, url, args["validate_certs"]) if url else None
        if payload is None:
            ctx.fail("No key to add: give file, data, url or keyserver", **result)
        tool.add("-", payload)
