"""known_hosts — add, replace or remove a host's public key in an ssh known_hosts file.

Uses `ssh-keygen -F` to find the host's lines (plain or hashed) and `ssh-keygen -R` to remove
every key of a host when no key is given. One key per key type: a different key of the same
type replaces the old line; an identical key (hashed or not) changes nothing.

Arguments:
  name / host   the host as it appears in the key (required; lowercased; no comma lists)
  key           the known_hosts line: `host[,ip] type base64 [comment]` (or with @cert-authority
                / @revoked), as `ssh-keyscan` prints it; required for state=present
  path          the file (default ~/.ssh/known_hosts; its directory must exist)
  hash_host     write the host name hashed (`|1|salt|hash`), like `ssh-keygen -H`
  state         present (default) or absent

Check mode says whether it would change and changes nothing; --diff shows the file before
and after.

Returns: name, key, path, hash_host, state, changed (and diff).

Example:
  - name: Trust the git server's host key
    known_hosts:
      name: git.example.com
      key: "git.example.com ssh-ed25519 AAAAC3Nza..."
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed, atomic_write
from miniplay.modules._files import path_info
from miniplay.modules._pkg import require_program

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["host"]},
    "key": {"type": "str"},
    "path": {"type": "path", "default": "~/.ssh/known_hosts"},
    "hash_host": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
}
SUPPORTS_CHECK_MODE = True


def hashed(host: str, key: str) -> str:
    """The key line with its host field replaced by ssh's salted HMAC-SHA1 form."""
    salt = os.urandom(20)
    digest = hmac.new(salt, host.encode(), hashlib.sha1).digest()
    parts = key.strip().split()
    index = 1 if parts[0].startswith("@") else 0
    parts[index] = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    return " ".join(parts)


def fields(line: str) -> dict[str, str]:
    """host, type, key (and a leading @marker as options) of a known_hosts line; comments dropped."""
    words = line.strip().split()
    if words[0].startswith("@"):
        return {"options": words[0], "host": words[1], "type": words[2], "key": words[3]}
    return {"host": words[0], "type": words[1], "key": words[2]}


class KnownHosts:
    """One known_hosts file and the ssh-keygen that reads it."""

    def __init__(self, ctx: ModuleContext, path: str) -> None:
        self.ctx = ctx
        self.path = path
        self.keygen = require_program(ctx, "ssh-keygen")

    def key_matches_host(self, host: str, key: str) -> bool:
        """Does the supplied line name this host (hashed or not)? ssh-keygen -F on a scratch copy says."""
        with tempfile.NamedTemporaryFile("w+") as scratch:
            scratch.write(key)
            scratch.flush()
            _rc, out, _err = self.ctx.run_command([self.keygen, "-F", host, "-f", scratch.name])
        return out != ""

    def search(self, host: str, key: str | None) -> tuple[bool, bool, int | None]:
        """(host found, key must be replaced or added, line of the same-type key)."""
        if not os.path.exists(self.path):
            return False, False, None
        rc, out, err = self.ctx.run_command([self.keygen, "-F", host, "-f", self.path])
        if out == "" and err == "" and rc in (0, 1):
            return False, False, None
        if rc != 0:
            self.ctx.fail(f"ssh-keygen failed (rc={rc}, stdout='{out}',stderr='{err}')")
        if not key:
            return True, False, None
        wanted = fields(key)
        line_no: int | None = None
        for line in out.split("\n"):
            if not line:
                continue
            if line.startswith("#"):
                found = re.search(r"found: line (\d+)", line)
                if not found:
                    raise ModuleFailed(f"failed to parse output of ssh-keygen for line number: '{line}'")
                line_no = int(found.group(1))
                continue
            have = fields(line)
            if have.get("options", "").startswith(("@cert-authority", "@revoke")):
                if wanted == have:
                    return True, False, line_no
                continue
            if wanted["host"].startswith("|1|") and have["host"].startswith("|1|"):
                wanted["host"] = have["host"]  # an already hashed name is kept, not re-salted
            if wanted == have:
                return True, False, line_no
            if wanted["type"] == have["type"]:
                return True, True, line_no
        return True, True, None

    def current_text(self) -> str | None:
        try:
            with open(self.path) as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError:
            return ""

    def rewritten(self, line_no: int | None, drop: bool, add: str | None) -> str:
        lines = (self.current_text() or "").splitlines(True)
        if drop and line_no is not None and 1 <= line_no <= len(lines):
            del lines[line_no - 1]
        if add:
            lines.append(add)
        return "".join(lines)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    host, key, path, state = args["name"].lower(), args["key"], args["path"], args["state"]
    result: dict[str, Any] = {k: args[k] for k in ("name", "key", "path", "hash_host", "state")}
    result["changed"] = False
    hosts = KnownHosts(ctx, path)
    if not key and state != "absent":
        ctx.fail("No key specified when adding a host")
    if key and args["hash_host"]:
        key = hashed(host, key)
    if key and not key.endswith("\n"):
        key += "\n"
    if key:
        if re.search(r"\S+(\s+)?,(\s+)?", host):
            ctx.fail("Comma separated list of names is not supported. "
                     "Please pass a single name to lookup in the known_hosts file.")
        if not hosts.key_matches_host(host, key):
            ctx.fail("Host parameter does not match hashed host field in supplied key")

    found, replace, line_no = hosts.search(host, key)
    before = hosts.current_text()
    drop = (replace or state == "absent") and line_no is not None
    add = key if state == "present" and (replace or line_no is None) else None
    result["diff"] = {"before_header": path if before is not None else "/dev/null", "after_header": path,
                      "before": before or "", "after": hosts.rewritten(line_no, drop, add)}
    if state == "absent" and not line_no and key:
        result.update(path_info(path))
        return result
    if ctx.check_mode:
        result["changed"] = replace or (state == "present") != found
        result.update(path_info(path))
        return result
    if found and not key and state == "absent":
        rc, out, err = ctx.run_command([hosts.keygen, "-R", host, "-f", path])
        if rc != 0:
            ctx.fail(err.strip() or out.strip(), rc=rc, stdout=out, stderr=err)
        result["changed"] = True
    if replace or found != (state == "present"):
        text = hosts.rewritten(line_no, replace or state == "absent", key if state == "present" else None)
        try:
            atomic_write(path, text.encode())
        except OSError as exc:
            # Ansible raises here; its result reads as an unhandled module error, so ours does too
            ctx.fail(f"Task failed: Module failed: Failed to write to file {path!r}: {exc}")
        result["changed"] = True
    result.update(path_info(path))  # AnsibleModule adds these to any result with a `path`
    return result
