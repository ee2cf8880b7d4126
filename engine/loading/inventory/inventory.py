"""The inventory: hosts and groups from every source, their variable layers, host patterns."""
from __future__ import annotations

import fnmatch
import os
import re
import sys
from typing import Any

from ...core.errors import InventoryError, Location, ParseError
from ...core.yamlfile import load_yaml_text
from .hostvars import _load_json, _VarsDirs
from .ini import _IniInventoryReader
from .model import (
    _GLOB_CHARS,
    _YAML_SUFFIXES,
    LOCALHOST_NAMES,
    Group,
    Host,
    HostMatch,
    LimitFileMissing,
    UnknownHostError,
    VarsLayer,
    _first_significant_line,
    _looks_like_yaml_inventory,
    _merge,
    _read_text,
    _source_files,
    split_host_port,
)
from .patterns import _apply_subscript, _split_subscript, split_patterns
from .yamlsource import _YamlInventoryReader

# --------------------------------------------------------------------------
# The inventory
# --------------------------------------------------------------------------


class Inventory:
    """Hosts and groups from one or more sources, with patterns and variables."""

    def __init__(self) -> None:
        self.hosts: dict[str, Host] = {}
        self.groups: dict[str, Group] = {"all": Group("all"), "ungrouped": Group("ungrouped")}
        self.groups["all"].children.append("ungrouped")
        self.groups["ungrouped"].parents.append("all")
        self.sources: list[str] = []
        #: Non-fatal findings (skipped YAML keys, odd variable names), for the CLI to print.
        self.warnings: list[str] = []
        #: Duplicate YAML keys met while reading sources and vars files (the run's list, when given).
        self.yaml_warnings: list[str] = []
        self.vault: Any = None  # VaultSecrets: decrypts encrypted inventory and vars files
        self._member_of: dict[str, list[str]] = {}  # host -> groups listing it directly
        self._inventory_dirs: list[_VarsDirs] = []
        self._playbook_dirs: list[_VarsDirs] = []
        self._implicit: Host | None = None
        self._cache: dict[Any, Any] = {}

    # ---- loading ---------------------------------------------------------

    @classmethod
    def load(cls, sources: list[str] | None, playbook_dir: str | None = None,
             yaml_warnings: list[str] | None = None, vault: Any = None) -> Inventory:
        """Read the sources in order; none at all gives only the implicit localhost.

        A source is an INI or YAML file, a directory of them, or a host list
        with a comma (``"web1,web2,"``). A missing path raises InventoryError.
        """
        inventory = cls()
        if yaml_warnings is not None:
            inventory.yaml_warnings = yaml_warnings
        inventory.vault = vault
        for source in sources or []:
            inventory._load_source(source)
        inventory._reconcile()
        if playbook_dir is not None:
            inventory._playbook_dirs = [_VarsDirs.beside(playbook_dir, "playbook", inventory.yaml_warnings,
                                                               vault)]
        inventory._refresh_vars()
        return inventory

    def _load_source(self, source: str) -> None:
        path = os.path.expanduser(source)
        if os.path.isdir(path):
            self.sources.append(source)
            for file_path in _source_files(path):
                self._load_file(file_path)
            self._add_inventory_dir(path)
        elif os.path.isfile(path):
            self.sources.append(source)
            self._load_file(path)
            self._add_inventory_dir(os.path.dirname(path))
        elif "," in source:
            self.sources.append(source)
            self._load_host_list(source)
        else:
            raise InventoryError(f"Unable to parse {source} as an inventory source (no such file or directory)")

    def _add_inventory_dir(self, basedir: str) -> None:
        """Remember where group_vars/ live; a repeat moves to the end, which keeps
        the merged result the same as reading the directory twice."""
        real = os.path.realpath(basedir or ".")
        self._inventory_dirs = [d for d in self._inventory_dirs if os.path.realpath(d.basedir or ".") != real]
        self._inventory_dirs.append(_VarsDirs.beside(basedir, "inventory", self.yaml_warnings, self.vault))

    def _load_host_list(self, source: str) -> None:
        """``-i "web1,web2:2222,"``: ungrouped hosts, ports allowed, no ranges."""
        label = "inventory host list"
        for entry in source.split(","):
            entry = entry.strip()
            if not entry:
                continue
            name, port = split_host_port(entry)
            if self._add_host(name, "ungrouped", None) and port is not None:
                self._host_layer(name, label)["ansible_port"] = port

    def _load_file(self, path: str) -> None:
        """Pick the format: .yml/.yaml/.json are YAML, no suffix is sniffed, else INI."""
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".json":
            _YamlInventoryReader(self, path).read(_load_json(path))
            return
        text = _read_text(path)
        if text.lstrip().startswith("$ANSIBLE_VAULT"):
            from ...core.vault_secrets import decrypt_file_data

            text = decrypt_file_data(text.encode("utf-8"), path, self.vault).decode("utf-8")
        if suffix in _YAML_SUFFIXES:
            _YamlInventoryReader(self, path).read(self._yaml_data(text, path, self.yaml_warnings))
            return
        if not suffix and not _first_significant_line(text).startswith("["):
            try:
                data = load_yaml_text(text, path, warnings=self.yaml_warnings)
            except ParseError:
                data = None
            if _looks_like_yaml_inventory(data):
                _YamlInventoryReader(self, path).read(data)
                return
        _IniInventoryReader(self, path).read(text)

    @staticmethod
    def _yaml_data(text: str, path: str, warnings: list[str]) -> Any:
        try:
            return load_yaml_text(text, path, warnings=warnings)
        except InventoryError:
            raise
        except ParseError as exc:
            raise InventoryError(exc.message, exc.location) from None

    # ---- building blocks the readers use ---------------------------------

    def _ensure_group(self, name: str) -> Group:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = Group(name)
        return group

    def _add_host(self, name: str, group: str, source: str | None) -> bool:
        """Create the host if new (``source``: absolute path of its file) and join
        it to a group; True when it was created."""
        created = name not in self.hosts
        if created:
            self.hosts[name] = Host(name, inventory_file=source)
        self._join(name, group)
        return created

    def _add_new_host_vars(
        self, name: str, group: str, path: str, absolute_path: str, port: int | None, values: dict[str, Any]
    ) -> None:
        """One host entry of an inventory file. A ``host:port`` port counts only
        where the host is first defined, as in Ansible; later vars override."""
        created = self._add_host(name, group, absolute_path)
        layer = self._host_layer(name, f"inventory {path}: host {name} vars")
        if created and port is not None:
            layer["ansible_port"] = port
        layer.update(values)

    def _join(self, host: str, group: str) -> None:
        # _member_of mirrors Group.hosts; checking the host's short list keeps
        # building a group of thousands of hosts linear.
        memberships = self._member_of.setdefault(host, [])
        if group not in memberships:
            memberships.append(group)
            self._ensure_group(group).hosts.append(host)

    def _add_child(self, parent: str, child: str, location: Location | None) -> None:
        if parent == child:
            raise InventoryError(f"Group '{parent}' cannot be a child of itself", location)
        if child == "all" or parent in self._descendants(child):
            raise InventoryError(
                f"Adding group '{child}' as child to '{parent}' creates a recursive dependency loop.", location
            )
        parent_group, child_group = self._ensure_group(parent), self._ensure_group(child)
        if child not in parent_group.children:
            parent_group.children.append(child)
            child_group.parents.append(parent)

    def _set_group_vars(self, group: str, label: str, values: dict[str, Any], location: Location | None) -> None:
        """Add inventory-file vars to a group; ``ansible_group_priority`` is taken
        out as the group's priority, as Ansible does (it is not a variable)."""
        target = self._ensure_group(group)
        if "ansible_group_priority" in values:
            values = dict(values)
            raw = values.pop("ansible_group_priority")
            try:
                target.priority = int(raw)
            except (TypeError, ValueError):
                raise InventoryError(
                    f"ansible_group_priority of group '{group}' must be an integer, got {raw!r}", location
                ) from None
        target.inventory_layers.setdefault(label, {}).update(values)

    def _host_layer(self, host: str, label: str) -> dict[str, Any]:
        return self._lookup(host).inventory_layers.setdefault(label, {})

    def _descendants(self, group: str) -> list[str]:
        """The group and every group below it, breadth first (Ansible's host order)."""
        order, seen, frontier = [group], {group}, [group]
        while frontier:
            next_level: list[str] = []
            for name in frontier:
                for child in self.groups[name].children:
                    if child not in seen:
                        seen.add(child)
                        next_level.append(child)
            order.extend(next_level)
            frontier = next_level
        return order

    def _reconcile(self, only: list[str] | None = None) -> None:
        """Apply the rules about ``all`` and ``ungrouped`` after a change.

        ``only`` limits the host part to the hosts a runtime change touched, so
        an ``add_host`` loop over many hosts stays linear.
        """
        for name, group in list(self.groups.items()):
            if name != "all" and not group.parents:
                self._add_child("all", name, None)
        names = list(self.hosts) if only is None else [name for name in only if name in self.hosts]
        leaving: set[str] = set()
        for name in names:
            direct = self._member_of.get(name, [])
            in_ungrouped = "ungrouped" in direct
            elsewhere = any(group not in ("all", "ungrouped") for group in direct)
            if in_ungrouped and elsewhere:
                leaving.add(name)
                direct.remove("ungrouped")
            elif not in_ungrouped and not elsewhere:
                self._join(name, "ungrouped")
        if leaving:
            ungrouped = self.groups["ungrouped"]
            ungrouped.hosts = [name for name in ungrouped.hosts if name not in leaving]
        ancestors: dict[str, frozenset[str]] = {}
        targets = self._all_host_objects() if only is None else [self._lookup(name) for name in only]
        for host in targets:
            groups: set[str] = set()
            for group_name in self._member_of.get(host.name, []):
                groups |= self._ancestors(group_name, ancestors)
            groups.discard("all")
            host.groups = sorted(groups)
        self._cache.clear()

    def _ancestors(self, group: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
        found = memo.get(group)
        if found is None:
            names = {group}
            for parent in self.groups[group].parents:
                names |= self._ancestors(parent, memo)
            found = memo[group] = frozenset(names)
        return found

    def _all_host_objects(self) -> list[Host]:
        hosts = list(self.hosts.values())
        if self._implicit is not None:
            hosts.append(self._implicit)
        return hosts

    def _changed(self, hosts: list[str] | None = None, groups: list[str] | None = None) -> None:
        """Reconcile and refresh vars after a change; None means everything."""
        self._reconcile(hosts)
        self._refresh_vars(hosts, groups)

    def _refresh_vars(self, hosts: list[str] | None = None, groups: list[str] | None = None) -> None:
        """Fill Host.vars and Group.vars; this reads the vars files, so their errors show early."""
        host_objects = self._all_host_objects() if hosts is None else [self._lookup(name) for name in hosts]
        for host in host_objects:
            host.vars = _merge(self._host_level_layers(host))
        for name in self.groups if groups is None else groups:
            self.groups[name].vars = _merge(self._group_level_layers(name))
        self._warn_on_name_clashes()

    def _warn_on_name_clashes(self) -> None:
        for name in self.groups.keys() & self.hosts.keys():
            message = f"Found both group and host with same name: {name}"
            if message not in self.warnings:
                self.warnings.append(message)

    # ---- hosts -----------------------------------------------------------

    def _lookup(self, name: str) -> Host:
        host = self.hosts.get(name)
        if host is not None:
            return host
        if self._implicit is not None and self._implicit.name == name:
            return self._implicit
        raise UnknownHostError(f"Unknown host '{name}': it is not in the inventory")

    def _implicit_localhost(self, name: str) -> Host:
        """Ansible's implicit localhost: local connection, this Python, in no group.

        One object serves every localhost spelling, named after the first one asked for.
        """
        if self._implicit is None:
            host = Host(name, implicit=True)
            host.inventory_layers["implicit localhost"] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
            }
            host.vars = _merge(self._host_level_layers(host))
            self._implicit = host
        return self._implicit

    def get_host(self, name: str) -> Host:
        """The host called ``name``; localhost names give the implicit localhost.

        Raises UnknownHostError (an InventoryError and a KeyError) otherwise.
        """
        if name in self.hosts:
            return self.hosts[name]
        if name in LOCALHOST_NAMES:
            return self._implicit_localhost(name)
        return self._lookup(name)

    def __contains__(self, name: object) -> bool:
        return name in self.hosts

    def group_names(self, host: str) -> list[str]:
        """Ansible's ``group_names``: sorted, without ``all`` (``ungrouped`` is kept,
        as Ansible keeps it)."""
        return list(self.get_host(host).groups)

    def groups_map(self) -> dict[str, list[str]]:
        """Ansible's ``groups``: every group -> its host names, in inventory order."""
        return {name: [host.name for host in self._group_hosts(name)] for name in self.groups}

    def _group_hosts(self, group: str) -> list[Host]:
        """Hosts of a group and its descendants, breadth first, each once."""
        key = ("group_hosts", group)
        cached = self._cache.get(key)
        if cached is None:
            cached, seen = [], set()
            for name in self._descendants(group):
                for host_name in self.groups[name].hosts:
                    if host_name not in seen:
                        seen.add(host_name)
                        host = self._lookup(host_name)
                        if not (group == "all" and host.implicit):
                            cached.append(host)
            self._cache[key] = cached
        return cached

    # ---- changes while a playbook runs ------------------------------------

    def add_host(self, name: str, groups: list[str], vars: dict[str, Any]) -> Host:
        """The ``add_host`` action: create or update a host, put it in groups.

        Like Ansible, the host is also listed directly under ``all``, so it
        comes first in ``hosts: all`` from then on, and a ``name:port`` sets
        ``ansible_port``.
        """
        name, port = split_host_port(name)
        self._add_host(name, "all", None)
        host = self.hosts[name]
        for group in groups:
            self._join(name, group)
        layer = host.inventory_layers.setdefault("add_host", {})
        if port is not None:
            layer["ansible_port"] = port
        layer.update(vars)
        self._changed([name], groups)
        return host

    def add_group_membership(self, host: str, group: str) -> None:
        """The ``group_by`` action: put a host (even the implicit localhost) in a group."""
        name = self.get_host(host).name  # raises for an unknown host
        self._join(name, group)
        self._changed([name], [group])

    # ---- variables -------------------------------------------------------

    def _group_level_layers(self, group: str) -> list[VarsLayer]:
        layers = list(self.groups[group].inventory_layers.items())
        for dirs in self._inventory_dirs + self._playbook_dirs:
            layers.extend(dirs.group_vars.layers(group))
        return [layer for layer in layers if layer[1]]

    def _host_level_layers(self, host: Host) -> list[VarsLayer]:
        layers = list(host.inventory_layers.items())
        for dirs in self._inventory_dirs + self._playbook_dirs:
            layers.extend(dirs.host_vars.layers(host.name))
        return [layer for layer in layers if layer[1]]

    def _sorted_groups(self, host: Host) -> list[str]:
        """The host's groups in the order their vars apply: by depth, priority, name."""
        depths: dict[str, int] = {}
        return sorted(host.groups, key=lambda name: (self._depth(name, depths), self.groups[name].priority, name))

    def _depth(self, group: str, memo: dict[str, int]) -> int:
        """Longest distance from ``all``, so a child always sorts after its parents."""
        found = memo.get(group)
        if found is None:
            parents = self.groups[group].parents
            found = memo[group] = 1 + max(self._depth(p, memo) for p in parents) if parents else 0
        return found

    def vars_layers(self, host: str) -> list[VarsLayer]:
        """Every variable layer for a host, lowest precedence first.

        Ansible's order: inventory-file vars of ``all`` < inventory-file vars of
        the host's other groups < inventory ``group_vars/all`` < playbook
        ``group_vars/all`` < inventory ``group_vars/<group>`` < playbook
        ``group_vars/<group>`` < inventory-file host vars (and ``add_host``) <
        inventory ``host_vars/`` < playbook ``host_vars/``. Groups go parents
        first (by depth), then by ``ansible_group_priority``, then by name.
        Merge them in order; the labels say where each value came from.
        Layers are shared: do not modify them.
        """
        host_obj = self.get_host(host)
        key = ("vars_layers", host_obj.name)
        cached = self._cache.get(key)
        if cached is None:
            groups = self._sorted_groups(host_obj)
            layers: list[VarsLayer] = list(self.groups["all"].inventory_layers.items())
            for group in groups:
                layers.extend(self.groups[group].inventory_layers.items())
            for dirs in self._inventory_dirs + self._playbook_dirs:
                layers.extend(dirs.group_vars.layers("all"))
            for dirs in self._inventory_dirs:
                for group in groups:
                    layers.extend(dirs.group_vars.layers(group))
            for dirs in self._playbook_dirs:
                for group in groups:
                    layers.extend(dirs.group_vars.layers(group))
            layers.extend(self._host_level_layers(host_obj))
            cached = self._cache[key] = [layer for layer in layers if layer[1]]
        return list(cached)

    # ---- patterns --------------------------------------------------------

    def select(self, pattern: str | list[str], limit: str | None = None) -> list[Host]:
        """Hosts matching an Ansible host pattern (and ``--limit``), in inventory order."""
        return self.match_patterns(pattern, limit).hosts

    def match_patterns(self, pattern: str | list[str], limit: str | None = None) -> HostMatch:
        """Like `select`, and also report the terms that matched nothing.

        ``limit`` is a second pattern the result must also match; ``@file``
        terms in it name a file of host names or patterns, one per line.
        """
        unmatched: list[str] = []
        hosts = self._evaluate(split_patterns(pattern), unmatched)
        if limit is not None:
            allowed = {host.name for host in self._evaluate(self._limit_terms(limit), unmatched)}
            hosts = [host for host in hosts if host.name in allowed]
        return HostMatch(hosts, list(dict.fromkeys(unmatched)))

    @staticmethod
    def _limit_terms(limit: str) -> list[str]:
        terms: list[str] = []
        for term in split_patterns(limit):
            if not term.startswith("@"):
                terms.append(term)
                continue
            path = os.path.expanduser(term[1:])
            try:
                with open(path, encoding="utf-8") as handle:
                    terms.extend(line.strip() for line in handle if line.strip())
            except OSError:
                raise LimitFileMissing(f"Unable to find limit file {path}") from None
        return terms

    def _evaluate(self, terms: list[str], unmatched: list[str]) -> list[Host]:
        """Union the plain terms, then intersect the ``&`` ones, then drop the ``!`` ones."""
        plain = [t for t in terms if t and t[0] not in "&!"]
        intersect = [t[1:] for t in terms if t.startswith("&")]
        exclude = [t[1:] for t in terms if t.startswith("!")]
        result: list[Host] = []
        seen: set[str] = set()
        for term in plain or ["all"]:
            direct = self.hosts.get(term)
            for host in [direct] if direct is not None else self._match_term(term, unmatched):
                if host.name not in seen:
                    seen.add(host.name)
                    result.append(host)
        for term in intersect:
            keep = {host.name for host in self._match_term(term, unmatched)}
            result = [host for host in result if host.name in keep]
        for term in exclude:
            drop = {host.name for host in self._match_term(term, unmatched)}
            result = [host for host in result if host.name not in drop]
        return result

    def _match_term(self, term: str, unmatched: list[str]) -> list[Host]:
        """One term, without &/!: groups first, hosts when no group matched or a glob.

        The list may hold a host twice; a subscript counts those repeats, as
        Ansible's does.
        """
        expr, subscript = _split_subscript(term)
        if not expr:
            return []
        matcher = self._matcher(expr)
        groups = [name for name in self.groups if matcher(name)]
        hosts: list[Host] = []
        for group in groups:
            hosts.extend(self._group_hosts(group))
        if not groups or expr[0] == "~" or any(c in expr for c in (".",) + _GLOB_CHARS):
            hosts.extend(host for name, host in self.hosts.items() if matcher(name))
        if not hosts and expr in LOCALHOST_NAMES:
            hosts.append(self._implicit_localhost(expr))
        if not hosts and not groups and expr != "all":
            unmatched.append(expr)
        return _apply_subscript(hosts, subscript)

    @staticmethod
    def _matcher(expr: str) -> Any:
        """A name test: ``~regex`` (matched at the start), glob, or plain equality."""
        if expr.startswith("~"):
            try:
                regex = re.compile(expr[1:])
            except re.error as exc:
                raise InventoryError(f"Invalid host pattern '{expr}': {exc}") from None
            return lambda name: regex.match(name) is not None
        if any(c in expr for c in _GLOB_CHARS):
            return lambda name: fnmatch.fnmatchcase(name, expr)
        return lambda name: name == expr
