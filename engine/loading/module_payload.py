"""Build what a foreign module needs on the target: its file, its kind, its module_utils.

How this works
--------------
Ansible decides how to run a module file by reading it (ansible-core's
`executor/module_common.py` is the reference; this is our own code):

* binary (not text)                               → exec'd, JSON arguments file
* Python importing `ansible.module_utils…` or a
  collection's `module_utils` ("new-style")       → run as `__main__`, JSON arguments
* text containing `WANT_JSON`                     → JSON arguments file
* anything else ("old-style")                     → key=value arguments file

A text module whose `#!` line names Python runs inside the (forked) worker; any other
`#!` (sh, bash, perl…) is exec'd. For a new-style module we walk its imports with `ast`,
find each `ansible.module_utils` file in the user's installed ansible-core and each
`ansible_collections.<ns>.<col>.plugins.module_utils` file in the installed collections,
then walk *their* imports, until nothing new turns up. The files, the module placed at its
Python name, and a few stubs form the payload; its SHA-256 names it on the target, so a
host that has it already is sent nothing.
"""
from __future__ import annotations

import ast
import base64
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

NEW_STYLE = re.compile(rb"(?:from +ansible\.module_utils|import +ansible\.module_utils|"
                       rb"from +ansible_collections\.[\w.]+\.plugins\.module_utils|"
                       rb"import +ansible_collections\.[\w.]+\.plugins\.module_utils|"
                       rb"from +\.{1,3}module_utils)")
REPLACER = b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>"
# Imported by name at run time by ansible-core 2.19 (never by an import statement): always sent.
ALWAYS = ("ansible.module_utils.basic", "ansible.module_utils._internal._ansiballz._loader",
          "ansible.module_utils._internal._json._profiles._module_legacy_c2m",
          "ansible.module_utils._internal._json._profiles._module_legacy_m2c")
TEXT_BYTES = bytes({7, 8, 9, 10, 12, 13, 27} | set(range(0x20, 0x100)) - {0x7f})


class PayloadError(Exception):
    """The module cannot be prepared (does not compile, needs code we cannot find)."""

    def __init__(self, message: str, where: tuple[str, int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where  # (file, line, column) of the cause, when it is in a file


@dataclass
class Payload:
    """A module ready to ship: everything the target needs, named by its content hash."""

    name: str
    style: str              # new | old | want_json | binary
    exec_: bool             # exec'd as a program (not Python, or binary)
    file: str               # the module's path inside the payload
    fqn: str                # the module's Python name (new-style)
    files: dict[str, dict] = field(default_factory=dict)
    hash: str = ""

    def spec(self, with_files: bool) -> dict:
        spec = {"name": self.name, "style": self.style, "exec": self.exec_, "file": self.file, "fqn": self.fqn,
                "hash": self.hash}
        if with_files:
            spec["files"] = self.files
        return spec


def classify(data: bytes) -> tuple[str, bool]:
    """(style, exec'd) for a module file's bytes, as Ansible decides them."""
    if data[:1024].translate(None, TEXT_BYTES):
        return "binary", True
    first = data.split(b"\n", 1)[0]
    python = not first.startswith(b"#!") or b"python" in first
    if python and (REPLACER in data or NEW_STYLE.search(data)):
        return "new", False
    if b"WANT_JSON" in data:
        return "want_json", not python
    return "old", not python


def build(name: str, path: str, fqn: str, module_utils_dir: str | None,
          collection_root: Callable[[str, str], str | None], version: str) -> Payload:
    """The payload for the module file at `path`, known on the target as `fqn`."""
    with open(path, "rb") as handle:
        data = handle.read()
    style, exec_ = classify(data)
    if style == "new" and REPLACER in data:
        data = data.replace(REPLACER, b"from ansible.module_utils.basic import *")
    rel = fqn.replace(".", "/") + ".py" if style == "new" else os.path.basename(path)
    payload = Payload(name=name, style=style, exec_=exec_, file=rel, fqn=fqn)
    payload.files[rel] = _entry(data, exec_)
    if style == "new":
        tree = _parse(name, data, path)
        finder = _UtilsFinder(module_utils_dir, collection_root)
        finder.walk(fqn, tree, is_package=False)
        payload.files.update(finder.files)
        payload.files["ansible/__init__.py"] = {"text": f"__version__ = {version!r}\n"}
        payload.files.setdefault("ansible/module_utils/__init__.py", {"text": ""})
        for package in _packages(fqn):
            payload.files.setdefault(package, {"text": ""})
    import hashlib  # here: only a module written for Ansible needs it, and every run imports this file

    digest = hashlib.sha256(json.dumps(payload.files, sort_keys=True).encode())
    digest.update(f"{style}{exec_}{rel}".encode())
    payload.hash = digest.hexdigest()[:32]
    return payload


def _packages(fqn: str) -> list[str]:
    """`__init__.py` for the module's own parent packages (ansible.legacy, ansible.modules)."""
    parts = fqn.split(".")[:-1]
    if parts[:1] != ["ansible"]:
        return []  # collections are namespace packages on the target, as on the controller
    return ["/".join(parts[:i]) + "/__init__.py" for i in range(2, len(parts) + 1)]


def _entry(data: bytes, executable: bool) -> dict:
    try:
        entry: dict = {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        entry = {"b64": base64.b64encode(data).decode()}
    if executable:
        entry["exec"] = True
    return entry


def _parse(name: str, data: bytes, path: str) -> ast.Module:
    try:
        return ast.parse(data, filename=path)
    except SyntaxError as exc:
        why = f"{exc.msg} ({os.path.basename(path)}, line {exc.lineno})"
        raise PayloadError(f"Unable to compile {name!r}: {why}", (path, exc.lineno or 0, exc.offset or 0)) from None
    except ValueError as exc:
        raise PayloadError(f"Unable to compile {name!r}: {exc}") from None


class _UtilsFinder:
    """Follows imports from a module into module_utils, collecting the files."""

    def __init__(self, module_utils_dir: str | None, collection_root: Callable[[str, str], str | None]) -> None:
        self.module_utils_dir = module_utils_dir
        self.collection_root = collection_root
        self.files: dict[str, dict] = {}
        self.seen: set[tuple[str, ...]] = set()

    def walk(self, fqn: str, tree: ast.Module, is_package: bool) -> None:
        pending = list(self._imports(fqn, tree, is_package)) + [(tuple(n.split(".")), False, False) for n in ALWAYS]
        while pending:
            parts, ambiguous, optional = pending.pop(0)
            if parts in self.seen:
                continue
            self.seen.add(parts)
            found = self._locate(parts, ambiguous)
            if found is None:
                if optional or not _interesting(parts):
                    continue
                wanted = ".".join(parts[:-1] if ambiguous and len(parts) > 3 else parts)
                if parts[0] == "ansible" and self.module_utils_dir is None:
                    raise PayloadError(_needs_ansible(fqn, wanted))
                if parts[0] == "ansible_collections" and not optional:
                    raise PayloadError(f"Could not find imported module support code for {fqn}. "
                                       f"Looked for ({wanted})")
                continue
            real_parts, file_path, rel, package = found
            self.seen.add(real_parts)
            if file_path is None or rel in self.files:  # a namespace package, or already taken
                continue
            with open(file_path, "rb") as handle:
                data = handle.read()
            self.files[rel] = _entry(data, False)
            try:
                tree = ast.parse(data, filename=file_path)
            except SyntaxError:
                continue
            pending += self._imports(".".join(real_parts), tree, package)
            for i in range(2, len(real_parts)):
                pending.append((real_parts[:i], False, optional))

    def _imports(self, fqn: str, tree: ast.Module, is_package: bool) -> list[tuple[tuple[str, ...], bool, bool]]:
        found: list[tuple[tuple[str, ...], bool, bool]] = []
        optional_lines = _optional_lines(tree)
        for node in ast.walk(tree):
            optional = getattr(node, "lineno", 0) in optional_lines
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = tuple(alias.name.split("."))
                    if _interesting(parts):
                        found.append((parts, False, optional))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = fqn.split(".")
                    base = base if is_package else base[:-1]
                    base = base[:len(base) - node.level + 1]
                    module = tuple(base) + (tuple(node.module.split(".")) if node.module else ())
                else:
                    module = tuple((node.module or "").split("."))
                if module[:1] not in (("ansible",), ("ansible_collections",)):
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        found.append((module, False, optional))
                    else:
                        found.append((module + (alias.name,), True, optional))
        return [entry for entry in found if _interesting(entry[0])]

    def _locate(self, parts: tuple[str, ...], ambiguous: bool):
        """(name parts, file, path in payload, is package) for an import, or None."""
        candidates = [parts, parts[:-1]] if ambiguous else [parts]
        for candidate in candidates:
            base = self._base_dir(candidate)
            if base is None:
                continue
            directory, prefix_len = base
            rest = candidate[prefix_len:]
            stem = os.path.join(directory, *rest)
            rel_stem = "/".join(candidate)
            if os.path.isfile(stem + ".py"):
                return candidate, stem + ".py", rel_stem + ".py", False
            if os.path.isfile(os.path.join(stem, "__init__.py")):
                return candidate, os.path.join(stem, "__init__.py"), rel_stem + "/__init__.py", True
            if os.path.isdir(stem) and rest:
                return candidate, None, None, True
        return None

    def _base_dir(self, parts: tuple[str, ...]) -> tuple[str, int] | None:
        if parts[:2] == ("ansible", "module_utils"):
            return (self.module_utils_dir, 2) if self.module_utils_dir else None
        if parts[:1] == ("ansible_collections",) and len(parts) >= 5 and parts[3:5] == ("plugins", "module_utils"):
            root = self.collection_root(parts[1], parts[2])
            return (os.path.join(root, "plugins", "module_utils"), 5) if root else None
        return None


def _interesting(parts: tuple[str, ...]) -> bool:
    return len(parts) > 2 and parts[:2] == ("ansible", "module_utils") or \
        len(parts) > 5 and parts[0] == "ansible_collections" and parts[3:5] == ("plugins", "module_utils")


def _optional_lines(tree: ast.Module) -> set[int]:
    """Lines of imports inside `try:` blocks that catch ImportError (best effort: may be absent)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for stmt in node.body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        lines.add(inner.lineno)
    return lines


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = []
    kind = handler.type
    if kind is None:
        return True
    for item in (kind.elts if isinstance(kind, ast.Tuple) else [kind]):
        if isinstance(item, ast.Name):
            names.append(item.id)
        elif isinstance(item, ast.Attribute):
            names.append(item.attr)
    return any(n in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException") for n in names)


def _needs_ansible(fqn: str, wanted: str) -> str:
    from .ansible_install import INSTALL_HINT

    return (f"The module {fqn.rsplit('.', 1)[-1]!r} is written for Ansible and imports {wanted}, which comes with "
            f"ansible-core; no ansible-core was found on the controller to take it from (miniplay never ships "
            f"Ansible's code). {INSTALL_HINT}")
