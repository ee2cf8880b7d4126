"""Roles: find a role, read its layout, and turn it into ordinary tasks and handlers.

How this works
--------------
A role is a directory: tasks/main.yml, handlers/main.yml, defaults/main.yml,
vars/main.yml, meta/main.yml (dependencies, allow_duplicates), files/ and
templates/. Nothing about roles survives into the run as a separate object:
loading a role produces plain `Task`s whose `role`/`role_path` say where they
came from (for the `TASK [role : name]` banner and for files/ and templates/
lookups) and whose keywords carry the role's variables:

* `_role_defaults`  defaults of the role and its dependencies (lowest precedence)
* `_role_vars`      vars/main.yml and the entry's `vars:` (above play vars_files)
* `_role_params`    extra keys of the entry, `- role: x`, `port: 80` (above set_fact)

The entry's keywords (`when`, `tags`, `become`, ...) are pushed down into every
task of the role and of its dependencies, like a block's. A play's roles and
imported roles also export their defaults and vars to the whole play (Ansible's
public roles): the play keeps them merged in `_role_export_defaults` /
`_role_export_vars`, which the variable manager reads.

Each role use (a `roles:` entry or a meta dependency) is wrapped in a Block
marked with its identity: path, params, when, tags, vars and the files it was
loaded from. When a host reaches a marked block whose identity already ran on
it in this play, the strategy skips the block silently (Ansible's `has_run`),
unless the role's meta says `allow_duplicates: true` (then it is not marked).
`import_role` / `include_role` themselves always run.

Search order for a role name (Ansible's): <playbook dir>/roles, roles_path
(ansible.cfg `[defaults] roles_path` or $ANSIBLE_ROLES_PATH, else
~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles), the directory
holding the role that asks (for dependencies), the playbook dir itself, and
finally the name as a path.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..core import keywords as kw
from ..core.errors import Location, MiniplayError, ParseError
from ..core.fieldtypes import loose_bool
from ..core.model import Block, Node, Play, Task, iter_tasks
from ..core.yamlfile import item_location, key_location, load_yaml_file, to_plain, value_location
from .keyword_check import check_keyword_types
from .role_names import templated_role_name
from .varsfiles import load_vars_file

DEFAULT_ROLES_PATH = ("~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles")
# Keys of a role entry that are keywords; every other key is a role parameter.
ENTRY_KEYWORDS = kw.INHERITED | {"role", "name", "when", "tags", "vars"}
INCLUDE_ROLE_ARGS = frozenset({"name", "role", "tasks_from", "vars_from", "defaults_from", "handlers_from",
                               "apply", "public", "allow_duplicates", "rolespec_validate"})
ROLE_MARK = "_miniplay_role"          # Block keyword: the identity of the role instance inside
FILE_EXTENSIONS = ("", ".yml", ".yaml", ".json")


if TYPE_CHECKING:
    from .foreign_modules import ForeignModules


class TasksFileLoader(Protocol):
    """What roles need from the playbook loader (playbook.Loader), which in turn calls this file."""

    role_state: RoleLoadState | None   # what import_role leaves for the play being loaded
    vault: Any                               # decrypts vault-encrypted role vars, defaults and meta
    warnings: list[str]                     # where duplicate YAML keys are reported
    foreign: ForeignModules                # a role's library/ and collections: are added to it

    @property
    def top_file(self) -> str | None:
        """The playbook file being loaded (the first file of the include chain)."""

    def load_tasks_file(self, path: str, inherited: dict[str, Any], role: str | None = None,
                        role_path: str | None = None, handlers: bool = False) -> list[Node]:
        """The nodes of a tasks (or handlers) file, with the inherited keywords pushed down."""

    def load_task_list(self, data: Any, path: str, inherited: dict[str, Any], where: Location,
                       role: str | None = None, role_path: str | None = None,
                       handlers: bool = False) -> list[Node]:
        """The nodes of a list of tasks given as data (a role's implicit argument check)."""

    def load_time_vars(self, task: Task) -> dict[str, Any]:
        """What a static import's name may use: the play's vars, the task's, then extra vars."""


class RoleNotFound(ParseError):
    """No directory for the role in any search path (ansible-playbook exits 1 for this)."""

    exit_code = 1


@dataclass
class RoleInstance:
    """One use of a role: where it lives, what the entry gave it, and its dependencies."""

    name: str
    path: str
    location: Location
    params: dict[str, Any] = field(default_factory=dict)
    entry_vars: dict[str, Any] = field(default_factory=dict)
    entry_keywords: dict[str, Any] = field(default_factory=dict)
    when: list[Any] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    from_files: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    allow_duplicates: bool = False
    deps: list[RoleInstance] = field(default_factory=list)

    def exported_defaults(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for dep in self.deps:
            merged.update(dep.exported_defaults())
        merged.update(self.defaults)
        return merged

    def dependency_names(self) -> list[str]:
        """Every role this one depends on, directly or not, dependencies of dependencies first."""
        names: list[str] = []
        for dep in self.deps:
            names += dep.dependency_names() + [dep.name]
        return list(dict.fromkeys(names))

    def exported_vars(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for dep in self.deps:
            merged.update(dep.exported_vars())
        merged.update(self.vars)
        return merged


# --------------------------------------------------------------------------- search paths
def configured_roles_path(config: dict[str, Any] | None = None, config_file: str | None = None) -> list[str]:
    """roles_path from $ANSIBLE_ROLES_PATH or ansible.cfg, else Ansible's default list."""
    if config is None:
        from .config import load_config

        config, config_file = load_config()
    value = os.environ.get("ANSIBLE_ROLES_PATH")
    base = os.getcwd()
    if not value:
        value = (config or {}).get("roles_path")
        if config_file:
            base = os.path.dirname(os.path.abspath(config_file))
    if not value:
        return [os.path.expanduser(p) for p in DEFAULT_ROLES_PATH]
    return [os.path.normpath(os.path.join(base, os.path.expanduser(p))) for p in str(value).split(os.pathsep) if p]


def _unique(paths: list[str]) -> list[str]:
    seen: list[str] = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen


def role_search_paths(basedirs: list[str], roles_path: list[str], role_basedir: str | None = None) -> list[str]:
    paths = [os.path.join(b, "roles") for b in basedirs] + list(roles_path)
    if role_basedir:
        paths.append(role_basedir)
    return _unique(paths + list(basedirs))


def _find_file(directory: str, name: str) -> str | None:
    """`name` in `directory`, with or without .yml/.yaml/.json, like Ansible."""
    for extension in FILE_EXTENSIONS:
        candidate = os.path.join(directory, name + extension)
        if os.path.isfile(candidate):
            return candidate
    return None


def _load_vars_part(role_path: str, kind: str, name: str | None, location: Location,
                    warnings: list[str], vault: Any = None) -> dict[str, Any]:
    """defaults/ or vars/: a file (main by default) or a directory of files named that way."""
    directory = os.path.join(role_path, kind)
    wanted = name or "main"
    found = _find_file(directory, wanted)
    if found is None and os.path.isdir(os.path.join(directory, wanted)):
        merged: dict[str, Any] = {}
        folder = os.path.join(directory, wanted)
        for entry in sorted(os.listdir(folder)):
            if entry.rsplit(".", 1)[-1] in ("yml", "yaml", "json") or "." not in entry:
                path = os.path.join(folder, entry)
                if os.path.isfile(path):
                    merged.update(load_vars_file(path, warnings, vault))
        return merged
    if found is None:
        if name:
            raise ParseError(f"Could not find specified file in role: {kind}/{name}", location)
        return {}
    return load_vars_file(found, warnings, vault)


# --------------------------------------------------------------------------- building roles
class RoleBuilder:
    """Finds and loads roles for one playbook file; compiles them into tasks."""

    def __init__(self, loader: TasksFileLoader, basedirs: list[str], roles_path: list[str]) -> None:
        self.loader = loader
        self.basedirs = _unique([os.path.abspath(b) for b in basedirs])
        self.roles_path = roles_path

    # ---------------------------------------------------------------- entries
    def parse_entry(self, entry: Any, location: Location, path: str) -> dict[str, Any]:
        """A `roles:` or `dependencies:` item → name, keywords, when, tags, vars, params."""
        if isinstance(entry, str):
            return {"name": entry, "keywords": {}, "when": [], "tags": [], "vars": {}, "params": {},
                    "name_location": location}
        if not isinstance(entry, dict):
            raise ParseError(f"A role entry must be a role name or a mapping, got {to_plain(entry)!r}", location)
        name = entry.get("role", entry.get("name"))
        if name in (None, ""):
            raise ParseError("role definitions must contain a role name", location)
        name_key = "role" if "role" in entry else "name"
        data = to_plain(entry, path)
        for key, why in kw.UNSUPPORTED.items():
            if key in data and why:
                raise ParseError(f"miniplay does not support '{key}': {why}", key_location(entry, key, path))
        vars_value = data.get("vars") or {}
        if not isinstance(vars_value, dict):
            raise ParseError("A role's vars must be a mapping", key_location(entry, "vars", path))
        return {
            "name": to_plain(name, path),
            "keywords": {k: v for k, v in data.items() if k in kw.INHERITED},
            "when": _as_list(data.get("when")),
            "tags": _tags(data.get("tags")),
            "vars": vars_value,
            "params": {k: v for k, v in data.items() if k not in ENTRY_KEYWORDS},
            "name_location": value_location(entry, name_key, path),
        }

    def find(self, name: Any, location: Location, role_basedir: str | None = None) -> tuple[str, str]:
        """(display name, directory) of a role, or RoleNotFound listing where it looked."""
        text = str(name)
        if "{{" in text or "{%" in text:
            raise ParseError(f"miniplay loads roles before the run, so a role name cannot use variables: "
                             f"'{text}'; use include_role for a name chosen at run time", location)
        searched = role_search_paths(self.basedirs, self.roles_path, role_basedir)
        in_collection = self.loader.foreign.collection_role(text)  # ns.col.role
        if in_collection is not None:
            return text, in_collection
        for directory in searched:
            candidate = os.path.normpath(os.path.join(directory, os.path.expanduser(text)))
            if os.path.isdir(candidate):
                return os.path.basename(text.rstrip("/")) if "/" in text else text, candidate
        as_path = os.path.abspath(os.path.expanduser(text))
        if os.path.isdir(as_path):
            return os.path.basename(as_path), as_path
        missing = self.loader.foreign.missing_collection(text)  # ns.col.role of a collection not installed
        raise RoleNotFound(f"the role '{text}' was not found in {':'.join(searched)}"
                           + (f". {missing}" if missing else ""), location)

    def load(self, spec: dict[str, Any], location: Location, from_files: dict[str, str] | None = None,
             role_basedir: str | None = None, chain: tuple[str, ...] = ()) -> RoleInstance:
        """Read the role's defaults, vars and meta, and its dependencies (recursively)."""
        name, path = self.find(spec["name"], spec.get("name_location", location), role_basedir)
        if path in chain:
            raise ParseError(f"the role '{name}' depends on itself: "
                             f"{' -> '.join(os.path.basename(p) for p in chain + (path,))}", location)
        from_files = {k: str(v) for k, v in (from_files or {}).items() if v}
        role = RoleInstance(name=name, path=path, location=location, params=spec["params"],
                            entry_vars=spec["vars"], entry_keywords=spec["keywords"], when=spec["when"],
                            tags=spec["tags"], from_files=from_files)
        self.loader.foreign.add_role_library(path)
        role.defaults = _load_vars_part(path, "defaults", from_files.get("defaults"), location, self.loader.warnings,
                                        self.loader.vault)
        role.vars = _load_vars_part(path, "vars", from_files.get("vars"), location, self.loader.warnings,
                                    self.loader.vault)
        meta_file = _find_file(os.path.join(path, "meta"), "main")
        if meta_file:
            meta = load_yaml_file(meta_file, self.loader.warnings, vault=self.loader.vault)
            plain = to_plain(meta, meta_file) or {}
            if not isinstance(plain, dict):
                raise ParseError("the role's meta/main.yml must be a mapping", Location(meta_file))
            role.allow_duplicates = loose_bool(plain.get("allow_duplicates", False))
            if plain.get("collections"):  # the role's own search list for short module names
                role.entry_keywords = {**role.entry_keywords, "collections": _as_list(plain["collections"])}
            deps = meta.get("dependencies") if isinstance(meta, dict) else None
            if deps:
                if not isinstance(deps, list):
                    raise ParseError("dependencies in meta/main.yml must be a list",
                                     key_location(meta, "dependencies", meta_file))
                for index, dep in enumerate(deps):
                    where = item_location(deps, index, meta_file)
                    dep_spec = self.parse_entry(dep, where, meta_file)
                    role.deps.append(self.load(dep_spec, where, None, os.path.dirname(path), chain + (path,)))
        return role

    # ---------------------------------------------------------------- compiling
    def compile(self, role: RoleInstance, inherited: dict[str, Any], parent: dict[str, Any] | None = None,
                mark_self: bool = True) -> tuple[Block, list[Task]]:
        """The role as one Block (dependencies first, then its tasks) and its handlers.

        `parent` holds the calling role's vars/params/defaults (a dependency sees
        them beneath its own), `mark_self` marks the block for de-duplication.
        """
        parent = parent or {}
        child = dict(inherited)
        child.update(role.entry_keywords)
        from .foreign_modules import collection_of

        own = collection_of(role.path)  # a collection's role finds its collection's modules by short name
        if own:
            child["collections"] = [own] + [c for c in child.get("collections") or [] if c != own]
        child["when"] = list(inherited.get("when", [])) + list(role.when)
        child["tags"] = list(inherited.get("tags", [])) + list(role.tags)
        dep_vars: dict[str, Any] = {}
        dep_defaults: dict[str, Any] = {}
        for dep in role.deps:
            dep_vars.update(dep.exported_vars())
            dep_defaults.update(dep.exported_defaults())
        role_vars = {**parent.get("vars", {}), **dep_vars, **role.vars, **role.entry_vars}
        defaults = {**dep_defaults, **parent.get("defaults", {}), **role.defaults}
        params = {**parent.get("params", {}), **role.params}
        child["_role_vars"] = role_vars
        child["_role_defaults"] = defaults
        child["_role_params"] = params
        child["_role_tags"] = list(child["tags"])  # dynamic includes inside the role inherit these
        # the role paths from this role up to the play's role (Ansible's ansible_search_path)
        child["_role_chain"] = [role.path, *inherited.get("_role_chain", [])]
        context = {"vars": role_vars, "params": params, "defaults": {**parent.get("defaults", {}), **role.defaults}}

        nodes: list[Node] = []
        handlers: list[Task] = []
        for dep in role.deps:
            dep_block, dep_handlers = self.compile(dep, child, context, True)
            nodes.append(dep_block)
            handlers += dep_handlers
        tasks_name = role.from_files.get("tasks")
        tasks_file = _find_file(os.path.join(role.path, "tasks"), tasks_name or "main")
        if tasks_file is None and tasks_name:
            raise ParseError(f"Could not find specified file in role: tasks/{tasks_name}", role.location)
        validation = self._validation_task(role, tasks_name or "main")
        if validation is not None:
            nodes += self.loader.load_task_list([validation], "<unknown>", child, Location("<unknown>"),
                                                role=role.name, role_path=role.path)
        if tasks_file is not None:
            nodes += self.loader.load_tasks_file(tasks_file, child, role.name, role.path)
        handlers_name = role.from_files.get("handlers")
        handlers_file = _find_file(os.path.join(role.path, "handlers"), handlers_name or "main")
        if handlers_file is None and handlers_name:
            raise ParseError(f"Could not find specified file in role: handlers/{handlers_name}", role.location)
        if handlers_file is not None:
            handler_nodes = self.loader.load_tasks_file(handlers_file, child, role.name, role.path, handlers=True)
            handlers += list(iter_tasks(handler_nodes))
        keywords: dict[str, Any] = {}
        if mark_self and not role.allow_duplicates:
            keywords = {ROLE_MARK: identity(role), "_role_when": list(child["when"])}
        return Block(block=nodes, location=role.location, keywords=keywords), handlers


    def _validation_task(self, role: RoleInstance, entry_point: str) -> dict[str, Any] | None:
        """The task Ansible puts first in a role whose meta/argument_specs.yml (or meta/main.yml
        `argument_specs`) describes this entry point: validate_argument_spec on the role's
        options, with the role's parameters as provided arguments."""
        specs = _argument_specs(role.path)
        entry = specs.get(entry_point) if isinstance(specs, dict) else None
        if not isinstance(entry, dict):
            return None
        name = f"Validating arguments against arg spec '{entry_point}'"
        if entry.get("short_description"):
            name += f" - {entry['short_description']}"
        return {"name": name, "tags": ["always"],
                "ansible.builtin.validate_argument_spec": {
                    "argument_spec": entry.get("options") or {}, "provided_arguments": dict(role.params),
                    "validate_args_context": {"type": "role", "name": role.name, "argument_spec_name": entry_point,
                                              "path": role.path}}}


def _argument_specs(role_path: str) -> Any:
    """The role's `argument_specs`: from meta/argument_specs.yml (or .yaml), else meta/main.yml."""
    for name in ("argument_specs.yml", "argument_specs.yaml", "main.yml", "main.yaml", "main"):
        path = os.path.join(role_path, "meta", name)
        if os.path.isfile(path):
            data = to_plain(load_yaml_file(path), path)
            if isinstance(data, dict) and "argument_specs" in data:
                return data["argument_specs"]
            if name.startswith("argument_specs"):
                return {}
    return {}


def identity(role: RoleInstance) -> str:
    """What makes two uses of a role the same use (then the second does not run), as Ansible hashes a role."""
    return json.dumps({"path": role.path, "params": role.params, "when": role.when, "tags": role.tags,
                       "vars": role.entry_vars, "from": role.from_files}, sort_keys=True, default=str)


def first_run_of_role(ran: set[str], block: Block, holds: Callable[[list[Any], Task | None], bool]) -> bool:
    """False when this use of a role already ran on the host in this play; else True.

    The strategy asks before walking a marked role block: a second identical use is
    skipped silently, as Ansible skips a role that `has_run` on the host. A use only
    counts as run when its `when` (the entry's and the enclosing ones) held for the
    host, as Ansible's role_complete step checks it. `ran` holds the uses that ran on the
    host in this play; `holds(conditions, first_task)` renders the conditions for the host.
    """
    mark = block.keywords[ROLE_MARK]
    if mark in ran:
        return False
    conditions = block.keywords.get("_role_when") or []
    if conditions:
        try:
            held = holds(conditions, next(iter_tasks(block.block), None))
        except MiniplayError:
            held = False
        if not held:
            return True
    ran.add(mark)
    return True


# --------------------------------------------------------------------------- load time (loader hooks)
@dataclass
class RoleLoadState:
    """What import_role leaves for the play being loaded: its handlers and exported variables."""

    handlers: list[Task] = field(default_factory=list)
    exports: list[RoleInstance] = field(default_factory=list)
    _roles_path: list[str] | None = None

    @property
    def roles_path(self) -> list[str]:
        if self._roles_path is None:  # read ansible.cfg only when a role is really used
            self._roles_path = configured_roles_path()
        return self._roles_path


def _load_state(loader: TasksFileLoader) -> RoleLoadState:
    if loader.role_state is None:
        loader.role_state = RoleLoadState()
    return loader.role_state


def load_play_roles(loader: TasksFileLoader, roles_data: Any, path: str, inherited: dict[str, Any], play: Play) -> list[Node]:
    """A play's `roles:` as nodes to run before its tasks; also wires handlers and exported vars."""
    state = _load_state(loader)
    roles_data = roles_data or []
    if not isinstance(roles_data, list):
        raise ParseError("A malformed role declaration was encountered: 'roles' must be a list",
                         play.location)
    builder = RoleBuilder(loader, [os.path.dirname(os.path.abspath(path))], state.roles_path)
    nodes: list[Node] = []
    handlers: list[Task] = []
    exports: list[RoleInstance] = []
    for index, entry in enumerate(roles_data):
        location = item_location(roles_data, index, path)
        if isinstance(entry, dict):  # a role entry's keywords (become, tags, vars, when...) have their types too
            check_keyword_types(entry, "RoleInclude", path)
        spec = builder.parse_entry(entry, location, path)
        spec["name"] = templated_role_name(spec["name"], {**play.vars, **getattr(loader, "extra_vars", {})},
                                            spec["name_location"])
        role = builder.load(spec, location)
        block, role_handlers = builder.compile(role, inherited, None, True)
        nodes.append(block)
        handlers += role_handlers
        exports.append(role)
    exports += state.exports
    handlers += state.handlers
    state.exports, state.handlers = [], []
    play.handlers = _add_handlers(handlers, play.handlers)
    play.keywords["_role_names"] = list(dict.fromkeys(role.name for role in exports))  # role_names magic
    # ansible_dependent_role_names / ansible_role_names: Ansible builds them from sets, so its order
    # varies from run to run; here dependencies come first, in the order the roles load
    dependent: list[str] = []
    every: list[str] = []
    for role in exports:
        dependent += role.dependency_names()
        every += role.dependency_names() + [role.name]
    play.keywords["_dependent_role_names"] = list(dict.fromkeys(dependent))
    play.keywords["_all_role_names"] = list(dict.fromkeys(every))
    if exports:
        defaults: dict[str, Any] = {}
        role_vars: dict[str, Any] = {}
        for role in exports:
            defaults.update(role.exported_defaults())
            role_vars.update(role.exported_vars())
        play.keywords["_role_export_defaults"] = defaults
        play.keywords["_role_export_vars"] = role_vars
    return nodes


def import_role(loader: TasksFileLoader, task: Task, inherited: dict[str, Any]) -> list[Node]:
    """`import_role` (static): the role's tasks in place of the task, with its keywords pushed down."""
    state = _load_state(loader)
    args = task.args
    name = args.get("name", args.get("role"))
    if not name:
        raise ParseError("'name' is a required field for import_role.", task.location)
    name = templated_role_name(name, loader.load_time_vars(task), task.where("_args"))
    unknown = sorted(set(args) - INCLUDE_ROLE_ARGS - {"_raw_params"})
    if unknown:
        raise ParseError(f"Invalid options for import_role: {', '.join(unknown)}", task.where("_args"))
    if "apply" in args:
        raise ParseError("Invalid options for import_role: apply", task.where("_args"))
    top = loader.top_file or task.location.path
    basedirs = [os.path.dirname(os.path.abspath(task.location.path))] if not task.role_path else []
    basedirs.append(os.path.dirname(top))
    builder = RoleBuilder(loader, basedirs, state.roles_path)
    role_basedir = os.path.dirname(task.role_path) if task.role_path else None
    spec = {"name": name, "keywords": {}, "when": [], "tags": [], "vars": {}, "params": {},
            "name_location": task.where("_args")}
    role = builder.load(spec, task.location, role_file_names(args), role_basedir)
    child = {k: v for k, v in task.keywords.items() if k in kw.INHERITED}
    child["when"] = list(task.when)
    child["tags"] = list(task.get("tags", []))
    child["vars"] = dict(task.get("vars") or {})
    if "notify" in task.keywords:
        child["notify"] = list(task.keywords["notify"])
    parent = parent_role_context(task)
    block, handlers = builder.compile(role, child, parent, mark_self=False)
    state.handlers += handlers
    if loose_bool(args.get("public", True)):
        state.exports.append(role)
    return block.block


def role_file_names(args: dict[str, Any]) -> dict[str, str]:
    return {kind: str(args[f"{kind}_from"]) for kind in ("tasks", "vars", "defaults", "handlers")
            if args.get(f"{kind}_from")}


def parent_role_context(task: Task) -> dict[str, Any] | None:
    """A role used from inside another role sees that role's vars, params and defaults beneath its own,
    and, as in Ansible, `ansible_parent_role_names`/`_paths`: the including role first, then its own parents."""
    if not task.role:
        return None
    params = dict(task.get("_role_params") or {})
    params["ansible_parent_role_names"] = [task.role, *params.get("ansible_parent_role_names", [])]
    params["ansible_parent_role_paths"] = [task.role_path, *params.get("ansible_parent_role_paths", [])]
    return {"vars": task.get("_role_vars") or {}, "params": params, "defaults": task.get("_role_defaults") or {}}


# --------------------------------------------------------------------------- run time (include_role)
# --------------------------------------------------------------------------- small helpers
def _add_handlers(first: list[Task], more: list[Task]) -> list[Task]:
    """first + more, with one copy of a role handler loaded by several uses of the role.

    The last one loaded wins (it takes the first one's place), as Ansible notifies the
    last handler defined with a name: it runs once, with the last use's params.
    """
    out: list[Task] = []
    where: dict[tuple[str | None, str], int] = {}
    for handler in list(first) + list(more):
        key = (handler.role_path, str(handler.location))
        if handler.role_path and key in where:
            out[where[key]] = handler
            continue
        where[key] = len(out)
        out.append(handler)
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [t.strip() for t in str(value).split(",") if t.strip()]
