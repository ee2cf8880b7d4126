"""Which target-module sources a worker request needs, so a worker holds only the code it runs.

The worker starts with its own source only; each request carries the sources of the
module it runs and of the `miniplay.modules` files that module imports (found by reading
the import lines), minus those this worker was already sent. A host that only pings never
receives, decodes or keeps the other fifty modules.
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any

# `from miniplay.modules._files import x`, `from miniplay.modules import command, apt`
_DOTTED = re.compile(r"\bminiplay\.modules\.(\w+)")
_FROM_PACKAGE = re.compile(r"\bfrom\s+miniplay\.modules\s+import\s+\(?\s*([\w\s,]+)")
ALWAYS = ("_common",)  # every module run builds a ModuleContext


class ModuleSources:
    """The module sources of one directory, read once, with each module's import closure."""

    def __init__(self, directory: str) -> None:
        self.sources: dict[str, str] = {}
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    self.sources[name[:-3]] = handle.read()

    def imports_of(self, name: str) -> set[str]:
        text = self.sources.get(name, "")
        found = set(_DOTTED.findall(text))
        for names in _FROM_PACKAGE.findall(text):
            found.update(part.strip() for part in names.replace("\n", ",").split(","))
        return {module for module in found if module in self.sources}

    @functools.lru_cache(maxsize=256)  # noqa: B019  (one instance per modules directory, kept for the process)
    def closure(self, roots: tuple[str, ...]) -> frozenset[str]:
        """The roots and everything they import, transitively."""
        seen: set[str] = set()
        todo = [root for root in roots if root in self.sources]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.imports_of(name) - seen)
        return frozenset(seen)

    def needed(self, request: dict[str, Any]) -> tuple[str, ...]:
        """The modules a request may import on the worker."""
        roots = list(ALWAYS)
        if request.get("module"):
            roots.append(str(request["module"]))
        if request.get("foreign"):
            roots.append("_foreign")
        if request.get("op") == "async":
            roots.append("_jobs")
        if request.get("timeout"):  # the task's `timeout:` runs the module in a fork (_timed)
            roots.append("_timed")
        return tuple(roots)


@functools.lru_cache(maxsize=4)
def sources_of(directory: str) -> ModuleSources:
    """The sources of a modules directory, read once per controller process."""
    return ModuleSources(directory)
