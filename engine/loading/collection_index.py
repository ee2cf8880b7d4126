"""Installed Ansible collections: where they are, and how their names route.

Looked for where Ansible looks, in this order:

1. `collections/ansible_collections/` beside the playbook;
2. `collections_path` (or `collections_paths`) from ansible.cfg, else
   `ANSIBLE_COLLECTIONS_PATH` (or `..._PATHS`), else `~/.ansible/collections` and
   `/usr/share/ansible/collections`;
3. `ansible_collections` in the site-packages of the controller's Python and of the
   Python that owns the user's ansible-core (where `pip install ansible` puts 100+).

Each entry may name the directory that holds `ansible_collections/`, or that directory
itself. A collection's `meta/runtime.yml` `plugin_routing` says which names moved
(`redirect`), will go (`deprecation`) or are gone (`tombstone`); ansible-core's own
`config/ansible_builtin_runtime.yml` does the same for `ansible.builtin` (`yum` → `dnf`).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from ..core.errors import MiniplayError

DEFAULT_PATHS = ("~/.ansible/collections", "/usr/share/ansible/collections")


class CollectionError(MiniplayError):
    """A collection's metadata cannot be read (names the file)."""


@dataclass(frozen=True)
class Route:
    """What a collection's runtime.yml says about one plugin name."""

    redirect: str | None = None
    deprecation: dict[str, Any] | None = None
    tombstone: dict[str, Any] | None = None


def search_paths(playbook_dir: str | None, config: dict[str, Any], environ: dict[str, str],
                 site_dirs: list[str]) -> list[str]:
    """The directories that may hold `ansible_collections/`, in Ansible's order."""
    entries: list[str] = []
    if playbook_dir:
        entries.append(os.path.join(playbook_dir, "collections"))
    configured = (config.get("collections_path") or config.get("collections_paths")
                  or environ.get("ANSIBLE_COLLECTIONS_PATH") or environ.get("ANSIBLE_COLLECTIONS_PATHS"))
    entries += [p for p in str(configured).split(os.pathsep) if p] if configured else list(DEFAULT_PATHS)
    entries += site_dirs
    found: list[str] = []
    for entry in entries:
        path = os.path.abspath(os.path.expanduser(entry))
        if os.path.basename(path) == "ansible_collections":
            path = os.path.dirname(path)
        if path not in found:
            found.append(path)
    return found


class CollectionIndex:
    """Finds collections under the search paths; reads their routing once each."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self._roots: dict[tuple[str, str], str | None] = {}

    def root(self, namespace: str, name: str) -> str | None:
        """The collection's directory (`.../ansible_collections/ns/col`), first found wins."""
        key = (namespace, name)
        if key not in self._roots:
            self._roots[key] = next(
                (os.path.join(p, "ansible_collections", namespace, name) for p in self.paths
                 if os.path.isdir(os.path.join(p, "ansible_collections", namespace, name))), None)
        return self._roots[key]

    def route(self, namespace: str, name: str, kind: str, plugin: str) -> Route:
        root = self.root(namespace, name)
        if root is None:
            return Route()
        return route_in(os.path.join(root, "meta", "runtime.yml"), kind, plugin)

    def looked_in(self) -> str:
        return ", ".join(os.path.join(p, "ansible_collections") for p in self.paths)


def route_in(runtime_file: str, kind: str, plugin: str) -> Route:
    """One plugin's entry in a runtime.yml's plugin_routing."""
    routing = _routing(runtime_file, _mtime(runtime_file))
    entry = routing.get(kind, {}).get(plugin)
    if not isinstance(entry, dict):
        return Route()
    deprecation = entry.get("deprecation")
    tombstone = entry.get("tombstone")
    return Route(redirect=entry.get("redirect"),
                 deprecation=dict(deprecation) if isinstance(deprecation, dict) else None if deprecation is None else {},
                 tombstone=dict(tombstone) if isinstance(tombstone, dict) else None if tombstone is None else {})


def removal_text(written: str, entry: dict[str, Any], collection: str, removed: bool) -> str:
    """Ansible's sentence for a deprecated or removed plugin (`removed`: a tombstone)."""
    text = str(entry.get("warning_text") or "").strip()
    where = f"collection '{collection}'" if collection != "ansible.builtin" else "ansible-core"
    if entry.get("removal_version"):
        when = f"{where} version {entry['removal_version']}"
    elif entry.get("removal_date"):
        when = f"{where} in a release after {entry['removal_date']}"
    else:
        when = f"{where}"
    if removed:
        return f"The '{written}' module has been removed. {text} This feature was removed from {when}.".replace("  ", " ")
    return f"{written} has been deprecated. {text} This feature will be removed from {when}.".replace("  ", " ")


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@functools.lru_cache(maxsize=256)
def _routing(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    if mtime < 0:
        return {}
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        with open(path, encoding="utf-8") as handle:
            data = YAML(typ="safe").load(handle)
    except (OSError, YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise CollectionError(f"The collection metadata file {where} cannot be read: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("plugin_routing", {}) or {}, dict):
        raise CollectionError(f"The collection metadata file {path} is not a mapping with a plugin_routing mapping")
    routing = data.get("plugin_routing") or {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in routing.items()}
