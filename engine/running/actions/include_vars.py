"""include_vars — load variables from a YAML/JSON file or a directory of them.

Arguments: file (or the free-form name), dir, name (put everything under one
key), depth, files_matching, ignore_files, extensions. The values outrank
play and task vars for the rest of the run on this host.
"""
from __future__ import annotations

import os
import re
from typing import Any

from ...core.errors import MiniplayError
from ...core.yamlfile import drain_warnings
from ...loading.varsfiles import load_vars_file
from . import ActionContext


def _files_in(directory: str, args: dict[str, Any]) -> list[str]:
    extensions = args.get("extensions") or ["yaml", "yml", "json"]
    depth = int(args.get("depth", 0) or 0)
    pattern = re.compile(args["files_matching"]) if args.get("files_matching") else None
    ignored = set(args.get("ignore_files") or [])
    found = []
    for root, dirs, files in os.walk(directory):
        level = root[len(directory):].count(os.sep)
        if depth and level >= depth:
            dirs[:] = []
        dirs.sort()
        for name in sorted(files):
            if name.rsplit(".", 1)[-1] not in extensions or name in ignored:
                continue
            if pattern and not pattern.search(name):
                continue
            found.append(os.path.join(root, name))
    return found


def run(ctx: ActionContext) -> dict[str, Any]:
    args = ctx.args
    try:
        if args.get("dir"):
            directory = ctx.search("vars", str(args["dir"]))
            files = _files_in(directory, args)
        else:
            name = args.get("file") or args.get("_raw_params")
            if not name:
                return {"failed": True, "changed": False, "msg": "include_vars needs a file or a dir"}
            files = [ctx.search("vars", str(name))]
        loaded: dict[str, Any] = {}
        for path in files:
            loaded.update(load_vars_file(path, ctx.services.yaml_warnings, ctx.services.options.vault_secrets))
    except MiniplayError as exc:
        _announce_load_warnings(ctx)
        return {"failed": True, "changed": False, "msg": exc.message}
    _announce_load_warnings(ctx)
    if args.get("name"):
        loaded = {str(args["name"]): loaded}
    ctx.state.include_vars.update(loaded)
    return {"changed": False, "ansible_facts": loaded, "ansible_included_var_files": files, "failed": False}


def _announce_load_warnings(ctx: ActionContext) -> None:
    """Duplicate keys in the files just read are reported while the task runs, as Ansible does."""
    for text in drain_warnings(ctx.services.yaml_warnings):
        ctx.warn(text)
