"""YAML (and JSON) inventory files: `group: {hosts:, vars:, children:}`, nested."""
from __future__ import annotations

import os
from typing import Any

from ...core.errors import InventoryError, Location
from ...core.yamlfile import key_location, node_location, to_plain
from .model import _GROUP_SECTIONS, InventoryBuilder, _expand_host_entry, _kind


class _YamlInventoryReader:
    """Reads Ansible's YAML format: ``group: {hosts:, vars:, children:}``, nested.

    Hosts map to their vars (or nothing); host names may hold ranges and ports.
    A group that is not a mapping is skipped with a warning, as are unknown
    keys in a group; a wrongly typed ``hosts``/``vars``/``children`` is an error.
    """

    def __init__(self, inventory: InventoryBuilder, path: str) -> None:
        self.inventory = inventory
        self.path = path
        self.absolute_path = os.path.abspath(path)

    def read(self, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            raise InventoryError(
                f"A YAML inventory must map group names (all:, webservers:, ...) to their hosts, "
                f"vars and children; this file holds {_kind(data)}",
                self._where(data),
            )
        for name, body in data.items():
            self._group(str(name), body, key_location(data, name, self.path))

    def _where(self, node: Any) -> Location:
        location = node_location(node, self.path)
        return location if location.line else Location(self.path, 1)

    def _group(self, name: str, body: Any, location: Location) -> str | None:
        if body is not None and not isinstance(body, dict):
            self.inventory.warnings.append(
                f"Skipping '{name}' as this is not a valid group definition ({location})"
            )
            return None
        self.inventory._ensure_group(name)
        for key, value in (body or {}).items():
            key_where = key_location(body, key, self.path)
            if key not in _GROUP_SECTIONS:
                self.inventory.warnings.append(
                    f"Skipping unexpected key ({key}) in group ({name}), only \"vars\", \"children\" and "
                    f"\"hosts\" are valid ({key_where})"
                )
                continue
            if isinstance(value, str) and key != "vars":
                value = {value: None}  # "hosts: web1" is one host, as in Ansible
            if value is None:
                continue
            if not isinstance(value, dict):
                raise InventoryError(
                    f'Invalid "{key}" entry for "{name}" group, requires a mapping, found {_kind(value)} instead.',
                    key_where,
                )
            if key == "vars":
                label = f"inventory {self.path}: group {name} vars"
                self.inventory._set_group_vars(name, label, to_plain(value, self.path), key_where)
            elif key == "children":
                for child, child_body in value.items():
                    child_where = key_location(value, child, self.path)
                    child_name = self._group(str(child), child_body, child_where)
                    if child_name is not None:
                        self.inventory._add_child(name, child_name, child_where)
            else:
                for entry, host_vars in value.items():
                    self._hosts(name, str(entry), host_vars, key_location(value, entry, self.path))
        return name

    def _hosts(self, group: str, entry: str, host_vars: Any, location: Location) -> None:
        if host_vars is not None and not isinstance(host_vars, dict):
            raise InventoryError(
                f"Invalid entry for host '{entry}' in group '{group}': expected a mapping of variables "
                f"or nothing, found {_kind(host_vars)}",
                location,
            )
        names, port = _expand_host_entry(entry, location)
        for name in names:
            values = to_plain(host_vars or {}, self.path)
            self.inventory._add_new_host_vars(name, group, self.path, self.absolute_path, port, values)
