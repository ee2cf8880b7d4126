"""group_vars/ and host_vars/ directories beside an inventory source or a playbook."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ...core.errors import InventoryError, Location, ParseError
from ...core.yamlfile import load_yaml_file, node_location, to_plain
from .model import _VARS_SUFFIXES, _YAML_SUFFIXES, VarsLayer, _kind, _read_text

# --------------------------------------------------------------------------
# group_vars/ and host_vars/ directories
# --------------------------------------------------------------------------


def _vars_dir_files(directory: str) -> list[str]:
    """Every vars file under a ``group_vars/NAME/`` directory, in name order."""
    found: list[str] = []
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return found
    for entry in entries:
        if entry.startswith(".") or entry.endswith("~"):
            continue  # hidden files and editor backups
        full = os.path.join(directory, entry)
        suffix = os.path.splitext(entry)[1]
        if os.path.isdir(full):
            if not suffix:
                found.extend(_vars_dir_files(full))
        elif not suffix or suffix in _YAML_SUFFIXES:
            found.append(full)
    return found


def _load_vars_file(path: str, warnings: list[str], vault: Any = None) -> dict[str, Any]:
    """Read one vars file; it must hold a mapping (or nothing). `vault` decrypts an encrypted one."""
    if path.endswith(".json"):
        data = _load_json(path)
    else:
        try:
            data = load_yaml_file(path, warnings, vault=vault)
        except InventoryError:
            raise
        except ParseError as exc:
            raise InventoryError(exc.message, exc.location) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        where = node_location(data, path)
        raise InventoryError(
            f"Variables in '{path}' must be a mapping (key: value), got {_kind(data)}",
            where if where.line else Location(path, 1),
        )
    return to_plain(data, path)


def _load_json(path: str) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise InventoryError(f"Invalid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)) from None


class _VarsDir:
    """One ``group_vars/`` or ``host_vars/`` directory.

    It is listed once, so looking up a name that has no file costs no system
    call; a name's files are read on first use and kept.
    """

    def __init__(self, path: str, label: str, warnings: list[str], vault: Any = None) -> None:
        self.path = path
        self.label = label  # "inventory group_vars", "playbook host_vars", ...
        self.warnings = warnings  # where duplicate YAML keys are reported
        self.vault = vault        # VaultSecrets for vault-encrypted files
        try:
            self.entries = frozenset(os.listdir(path)) if os.path.isdir(path) else frozenset()
        except OSError:
            self.entries = frozenset()
        self._layers: dict[str, list[VarsLayer]] = {}

    def layers(self, name: str) -> list[VarsLayer]:
        cached = self._layers.get(name)
        if cached is None:
            cached = self._layers[name] = self._read(name)
        return cached

    def _read(self, name: str) -> list[VarsLayer]:
        if not self.entries or not name or name.startswith(os.sep):
            return []  # Ansible skips names like chroot paths
        for suffix in _VARS_SUFFIXES:
            if name + suffix in self.entries:
                full = os.path.join(self.path, name + suffix)
                files = _vars_dir_files(full) if os.path.isdir(full) else [full]
                break
        else:
            return []
        layers = [(f"{self.label}: {path}", _load_vars_file(path, self.warnings, self.vault)) for path in files]
        return [layer for layer in layers if layer[1]]


@dataclass
class _VarsDirs:
    """The group_vars/ and host_vars/ beside one inventory source or playbook."""

    basedir: str
    group_vars: _VarsDir
    host_vars: _VarsDir

    @classmethod
    def beside(cls, basedir: str, kind: str, warnings: list[str], vault: Any = None) -> _VarsDirs:
        return cls(
            basedir,
            _VarsDir(os.path.join(basedir, "group_vars"), f"{kind} group_vars", warnings, vault),
            _VarsDir(os.path.join(basedir, "host_vars"), f"{kind} host_vars", warnings, vault),
        )
