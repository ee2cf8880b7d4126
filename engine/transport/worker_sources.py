"""Which target-module sources a worker request needs, so a worker holds only the code it runs.

The worker starts with its own source only; each request carries the sources of the
module it runs and of the `miniplay.modules` files that module imports (found by reading
the import lines), minus those this worker was already sent. A host that only pings never
receives, decodes or keeps the other fifty modules.

When the worker's interpreter reads the controller's bytecode (same magic number: the
same Python minor version), a module goes as its compiled code, taken from the
controller's own `__pycache__` (written there by the first run, as for any import), so
no target compiles anything; otherwise as source.
"""
from __future__ import annotations

import binascii
import functools
import importlib.util
import marshal
import os
import re
from importlib.machinery import SourceFileLoader
from types import CodeType
from typing import Any

# `from miniplay.modules._files import x`, `from miniplay.modules import command, apt`
_DOTTED = re.compile(r"\bminiplay\.modules\.(\w+)")
_FROM_PACKAGE = re.compile(r"\bfrom\s+miniplay\.modules\s+import\s+\(?\s*([\w\s,]+)")
ALWAYS = ("_common",)  # every module run builds a ModuleContext


class ModuleSources:
    """The module sources of one directory, read once, with each module's import closure."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
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

    def payload(self, names: list[str], magic: object) -> dict[str, dict[str, str]]:
        """What a request carries for modules the worker lacks: `code` when the worker
        reads our bytecode (its ready line's `magic`), `sources` for the rest."""
        if magic != importlib.util.MAGIC_NUMBER.hex():
            return {"sources": {name: self.sources[name] for name in names}}
        code = {name: self.code_of(name) for name in names}
        missing = [name for name, value in code.items() if value is None]
        carried: dict[str, dict[str, str]] = {"code": {k: v for k, v in code.items() if v is not None}}
        if missing:
            carried["sources"] = {name: self.sources[name] for name in missing}
        return carried

    @functools.lru_cache(maxsize=256)  # noqa: B019  (as closure above)
    def code_of(self, name: str) -> str | None:
        """The module's code object, marshalled and base64'd; None when it cannot be compiled
        here (the worker then compiles the source and reports the error as it would)."""
        path = os.path.join(self.directory, name + ".py")
        try:
            code = SourceFileLoader(f"miniplay.modules.{name}", path).get_code(f"miniplay.modules.{name}")
        except (OSError, SyntaxError, ImportError):
            return None
        if code is None:
            return None
        code = _renamed(code, f"<miniplay>/modules/{name}.py")  # as a source compiled there would be named
        return binascii.b2a_base64(marshal.dumps(code), newline=False).decode("ascii")

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


def _renamed(code: CodeType, filename: str) -> CodeType:
    """The code object and every one nested in it, with `filename` as the file tracebacks name."""
    consts = tuple(_renamed(const, filename) if isinstance(const, CodeType) else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


@functools.lru_cache(maxsize=4)
def sources_of(directory: str) -> ModuleSources:
    """The sources of a modules directory, read once per controller process."""
    return ModuleSources(directory)
