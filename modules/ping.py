"""ping — check that the target answers and can run modules; returns `ping: pong`.

This is not ICMP ping: it proves the connection and the worker's Python work.

Arguments:
  data   what to return as `ping` (default 'pong'); the value 'crash' makes the module raise,
         to see how a module failure looks

Example:
  - name: Can we reach the web servers?
    ping:
"""
from __future__ import annotations

from typing import Any

from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {
    "data": {"type": "str", "default": "pong"},
}
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    if args["data"] == "crash":
        raise Exception("boom")
    return {"ping": args["data"], "changed": False}
