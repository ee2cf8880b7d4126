"""slurp — read a file on the target and return its bytes, base64-encoded.

Arguments:
  src / path   the file to read (required)

Returns: content (base64 text), encoding ('base64'), source (the path).
Decode it with the `b64decode` filter.

Example:
  - name: Read the host's SSH public key
    slurp:
      src: /etc/ssh/ssh_host_ed25519_key.pub
    register: hostkey
  - debug:
      msg: "{{ hostkey.content | b64decode }}"
"""
from __future__ import annotations

import base64
import errno
from typing import Any

from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True, "aliases": ["path"]},
}
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    source = args["src"]
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        reasons: dict[int | None, str] = {errno.ENOENT: "File not found", errno.EACCES: "File is not readable",
                   errno.EISDIR: "Source is a directory and must be a file"}
        ctx.fail(f"{reasons.get(exc.errno, 'Unable to slurp file')}: {source}", _miniplay_exception=str(exc))
    return {"content": base64.b64encode(data).decode("ascii"), "source": source, "encoding": "base64",
            "changed": False}
