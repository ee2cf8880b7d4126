"""YAML → model: plays, blocks and tasks, checked before anything runs.

The loader never templates. It resolves module names (short or FQCN), splits
free-form arguments, pushes block and play keywords down into each task, and
refuses unknown keywords and modules with a "did you mean" hint and the
file:line of the offending key. `import_*` is expanded here (static);
`include_*` stays a task and is expanded by the strategy when a host reaches it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..core import keywords as kw
from ..core.argsplit import parse_kv, split_args
from ..core.errors import LoadError, Location, ParseError
from ..core.model import Block, Node, Play, Playbook, Task
from ..core.registry import (
    LOAD_TIME_ACTIONS,
    RAW_PARAMS_MODULES,
    REMOVED_ACTIONS,
    TEMPLATED_ACTION,
    TEMPLATED_ACTION_ARGS,
    all_names,
    canonical_name,
    suggest,
)
from ..core.textfile import NotARegularFile
from ..core.yamlfile import item_location, key_location, load_yaml_file, node_location, to_plain, value_location
from ..templating.templar import is_template
from .foreign_modules import ForeignModule, ForeignModules
from .handler_check import check_notified_handlers
from .keyword_check import check_keyword_types
from .role_names import templated_role_name
from .roles import RoleLoadState, import_role, load_play_roles  # roles are their own room
from .task_paths import first_existing, role_import_candidates

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LIST_KEYWORDS = ("when", "changed_when", "failed_when", "until")
LOOP_LOOKUPS = frozenset(
    {"items", "list", "dict", "sequence", "nested", "together", "subelements", "fileglob", "indexed_items",
     "flattened", "first_found", "lines", "file", "env", "random_choice", "cartesian", "inventory_hostnames",
     "ini"}
)


DEBUGGER_WARNING = ("'debugger' is accepted and ignored: miniplay has no task debugger, so a failed task "
                    "fails as it would without one")


# Task-list keywords dressed as actions: no action plugin stands in front of them.
RUN_TIME_INCLUDES = frozenset({"include_tasks", "include_role", "meta"})


@dataclass
class IncludedBy:
    """What an `import_playbook` (and those around it) pass to each play it imports."""

    when: list[Any] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


class Loader:
    """Loads playbooks and task files; remembers the include chain to refuse loops."""

    def __init__(self, warnings: list[str] | None = None, vault: Any = None,
                 module_paths: list[str] | None = None, config: dict[str, Any] | None = None,
                 extra_vars: dict[str, Any] | None = None) -> None:
        """`warnings`: where duplicate YAML keys are reported (the run's `Options.yaml_warnings`);
        `vault` (VaultSecrets) decrypts vault-encrypted playbooks, task and vars files;
        `module_paths` (-M) and `config` (ansible.cfg) say where modules written for Ansible are;
        `extra_vars` (-e): role names may use them."""
        self.warnings: list[str] = warnings if warnings is not None else []
        self.vault = vault
        self.extra_vars: dict[str, Any] = dict(extra_vars or {})
        self._chain: list[str] = []
        self._next_uid = 0
        self.role_state: RoleLoadState | None = None   # what import_role leaves for the play being loaded
        self.foreign = ForeignModules(module_paths, config)   # modules miniplay lacks: library/, collections
        self._task_context: tuple[str | None, list[str]] = (None, [])
        self.play_vars: dict[str, Any] = {}     # the vars of the play being loaded, for static imports' names
        self.playbook_dir: str | None = None   # the folder of the playbook being loaded (of the last, after)

    @property
    def top_file(self) -> str | None:
        """The playbook file being loaded (the first of the include chain), None between loads."""
        return self._chain[0] if self._chain else None

    # ------------------------------------------------------------------ playbooks
    def load_playbook(self, path: str) -> Playbook:
        full = os.path.abspath(path)
        if not os.path.exists(full):
            raise LoadError(f"the playbook: {path} could not be found")
        if not os.path.isfile(full):  # /dev/zero, a FIFO: never opened
            raise NotARegularFile(f"the playbook: {path} does not appear to be a file")
        self.foreign.set_playbook_dir(os.path.dirname(full))
        return Playbook(path=full, plays=self._load_plays(full, {}, top=True), written_path=path)

    def _load_plays(self, path: str, extra_vars: dict[str, Any], top: bool = False,
                    included: IncludedBy | None = None) -> list[Play]:
        real = os.path.realpath(path)
        if real in self._chain:
            raise ParseError(f"import_playbook loop: '{path}' imports itself")
        data = load_yaml_file(path, self.warnings, vault=self.vault)
        if top and data is None:
            raise ParseError(f"Empty playbook, nothing to do: {path}")
        if top and data == []:
            raise ParseError(f"A playbook must contain at least one play: {path}")
        if data is None:
            return []
        if not isinstance(data, list):
            raise ParseError("A playbook must be a list of plays, got a "
                             f"{type(to_plain(data)).__name__} instead", node_location(data, path))
        self._chain.append(real)
        outer_dir, self.playbook_dir = self.playbook_dir, os.path.dirname(os.path.abspath(path))
        if not top:  # as in Ansible, an imported playbook's library/ serves the whole run
            self.foreign.add_role_library(self.playbook_dir)
        plays: list[Play] = []
        try:
            for index, entry in enumerate(data):
                if not isinstance(entry, dict):
                    raise ParseError(f"A play must be a mapping, got {to_plain(entry)!r}", item_location(data, index, path))
                if "import_playbook" in entry:
                    plays += self._import_playbook(entry, data, index, path, extra_vars, included)
                    continue
                plays.append(self._load_play(entry, path, extra_vars, included))
        finally:
            self._chain.pop()
            if outer_dir is not None:  # an imported playbook's folder ends with it
                self.playbook_dir = outer_dir
        return plays

    def _import_playbook(self, entry: dict, data: list, index: int, path: str, extra_vars: dict[str, Any],
                         included: IncludedBy | None) -> list[Play]:
        """The plays of `import_playbook: file`: its vars, `when` and tags reach every play it holds."""
        imported_vars = {**extra_vars, **to_plain(entry.get("vars") or {}, path)}
        target = str(templated_role_name(to_plain(entry["import_playbook"], path), {**imported_vars, **self.extra_vars},
                                         item_location(data, index, path), "playbook name"))
        target_path = target if os.path.isabs(target) else os.path.join(os.path.dirname(path), target)
        outer = included or IncludedBy()
        inner = IncludedBy(when=outer.when + self._as_list(to_plain(entry.get("when"), path)),
                           tags=outer.tags + self._tags(entry.get("tags")))
        return self._load_plays(target_path, imported_vars, included=inner)

    def _load_play(self, data: dict, path: str, extra_vars: dict[str, Any], included: IncludedBy | None = None) -> Play:
        location = node_location(data, path)
        self._check_keys(data, kw.PLAY, "Play", path)
        if "hosts" not in data or data["hosts"] in (None, ""):
            raise ParseError("the field 'hosts' is required but was not set", location)
        check_keyword_types(data, "Play", path)
        hosts = to_plain(data["hosts"], path)
        if isinstance(hosts, list):
            hosts = ",".join(str(h) for h in hosts)
        play_vars = self._vars_dict(data.get("vars"), path, key_location(data, "vars", path))
        play_vars.update(extra_vars)
        self.play_vars = play_vars
        inherited = {k: to_plain(data[k], path) for k in kw.INHERITED if k in data}
        inherited["tags"] = (included.tags if included else []) + self._tags(data.get("tags"))
        if included and included.when:  # an import_playbook's `when` guards every task of the play, facts too
            inherited["when"] = list(included.when)
        basedir = os.path.dirname(os.path.abspath(path))
        play = Play(
            hosts=str(hosts),
            location=location,
            name=to_plain(data.get("name"), path),
            vars=play_vars,
            vars_files=to_plain(data.get("vars_files") or [], path),
            keywords={k: to_plain(v, path) for k, v in data.items()
                      if k not in ("tasks", "pre_tasks", "post_tasks", "handlers", "roles", "vars", "vars_files")},
            basedir=basedir,
            value_locations={str(k): value_location(data, k, path) for k in data},
        )
        play.keywords.setdefault("gather_facts", True)
        if included and included.when:
            play.keywords["_included_when"] = list(included.when)
        play.vars_prompt = self._vars_prompt(data, path)
        play.keywords.pop("vars_prompt", None)
        if not isinstance(play.vars_files, list):
            play.vars_files = [play.vars_files]
            play.vars_files_where = [value_location(data, "vars_files", path)]
        else:
            play.vars_files_where = [item_location(data["vars_files"], i, path) for i in range(len(play.vars_files))]
        for section in ("pre_tasks", "tasks", "post_tasks"):
            setattr(play, section, self.load_task_list(data.get(section), path, inherited, key_location(data, section, path)))

        play.tasks = load_play_roles(self, data.get("roles"), path, inherited, play) + play.tasks
        play.handlers += [t for t in self._handlers(data.get("handlers"), path, inherited)]
        check_notified_handlers(play)
        return play

    def load_time_vars(self, task: Task) -> dict[str, Any]:
        return {**self.play_vars, **(task.get("vars") or {}), **self.extra_vars}

    # ------------------------------------------------------------------ task lists
    def load_tasks_file(self, path: str, inherited: dict[str, Any], role: str | None = None,
                        role_path: str | None = None, handlers: bool = False) -> list[Node]:
        """Load a tasks file (import_tasks, include_tasks, a role's tasks/main.yml)."""
        path = os.path.abspath(path)
        real = os.path.realpath(path)
        if self._chain.count(real) > 0:
            raise ParseError(f"recursive include of '{path}': a tasks file includes itself")
        data = load_yaml_file(path, self.warnings, vault=self.vault)
        self._chain.append(real)
        try:
            return self.load_task_list(data, path, inherited, Location(path), role=role, role_path=role_path,
                                       handlers=handlers)
        finally:
            self._chain.pop()

    def load_task_list(self, data: Any, path: str, inherited: dict[str, Any], where: Location,
                       role: str | None = None, role_path: str | None = None,
                       handlers: bool = False) -> list[Node]:
        if data is None:
            return []
        if not isinstance(data, list):
            raise ParseError("A list of tasks is expected here, got a "
                             f"{type(to_plain(data)).__name__} instead", where)
        nodes: list[Node] = []
        for index, entry in enumerate(data):
            if not isinstance(entry, dict):
                raise ParseError(f"A task must be a mapping, got {to_plain(entry)!r}", item_location(data, index, path))
            nodes.extend(self._load_entry(entry, path, inherited, role, role_path, handlers))
        return nodes

    def _handlers(self, data: Any, path: str, inherited: dict[str, Any]) -> list[Task]:
        nodes = self.load_task_list(data, path, inherited, Location(path), handlers=True)
        handlers = []
        for node in nodes:
            if isinstance(node, Block):
                raise ParseError("miniplay does not support blocks inside handlers", node.location)
            handlers.append(node)
        return handlers

    def _load_entry(self, data: dict, path: str, inherited: dict[str, Any], role: str | None,
                    role_path: str | None, handlers: bool) -> list[Node]:
        if "block" in data:
            return [self._load_block(data, path, inherited, role, role_path, handlers)]
        task = self._load_task(data, path, inherited, role, role_path, handlers)
        if task.module in ("import_tasks", "import_role") and task.get("loop") is not None:
            dynamic = task.module.replace("import_", "include_")
            raise ParseError(f"You cannot use loops on '{task.module}' statements. You should use '{dynamic}' "
                             "instead.", task.location)
        if task.module == "import_tasks":
            return self._import_tasks(task, inherited, role, role_path, handlers)
        if task.module == "import_role":
            return import_role(self, task, inherited)
        return [task]

    def _load_block(self, data: dict, path: str, inherited: dict[str, Any], role: str | None,
                    role_path: str | None, handlers: bool) -> Block:
        location = node_location(data, path)
        self._check_keys(data, kw.BLOCK, "Block", path)
        check_keyword_types(data, "Block", path)
        child = self._merge_inherited(inherited, data, path)
        block = Block(block=[], location=location, name=to_plain(data.get("name"), path),
                      keywords={k: to_plain(v, path) for k, v in data.items() if k not in ("block", "rescue", "always")})
        for section in ("block", "rescue", "always"):
            setattr(block, section, self.load_task_list(data.get(section), path, child,
                                                        key_location(data, section, path), role, role_path, handlers))
        return block

    def _import_tasks(self, task: Task, inherited: dict[str, Any], role: str | None,
                      role_path: str | None, handlers: bool) -> list[Node]:
        target = task.args.get("_raw_params") or task.args.get("file")
        if not target:
            raise ParseError("import_tasks needs a file name", task.location)
        if "{{" in str(target):
            raise ParseError("import_tasks is static: its file name cannot use variables; use include_tasks",
                             task.location)
        if role_path:
            file_path = first_existing(role_import_candidates(role_path, str(target), handlers, self.playbook_dir))
        else:
            file_path = os.path.join(os.path.dirname(task.location.path), str(target))
        child = dict(task.keywords)
        child.pop("name", None)
        child["when"] = list(task.when)
        try:
            return self.load_tasks_file(file_path, child, role, role_path, handlers)
        except ParseError as exc:
            if exc.location is None:  # a missing or unreadable file: point at the import that names it
                exc.location = task.value_where("_args")
            raise

    def _merge_inherited(self, inherited: dict[str, Any], data: dict, path: str) -> dict[str, Any]:
        """Keywords a block passes to its tasks: its own over its parents'."""
        child = dict(inherited)
        for key in kw.INHERITED:
            if key in data:
                child[key] = to_plain(data[key], path)
        if "environment" in data and "environment" in inherited:
            child["environment"] = self._as_list(inherited["environment"]) + self._as_list(child["environment"])
        child["when"] = list(inherited.get("when", [])) + self._as_list(to_plain(data.get("when"), path))
        child["tags"] = list(inherited.get("tags", [])) + self._tags(data.get("tags"))
        own_vars = self._vars_dict(data.get("vars"), path, key_location(data, "vars", path))
        child["vars"] = {**inherited.get("vars", {}), **own_vars}
        if "notify" in data:
            child["notify"] = self._as_list(to_plain(data["notify"], path))
        return child

    # ------------------------------------------------------------------ one task
    def _load_task(self, data: dict, path: str, inherited: dict[str, Any], role: str | None,
                   role_path: str | None, handler: bool) -> Task:
        """One task (or handler) from its YAML mapping, with the keywords it inherits from its blocks and role."""
        location = node_location(data, path)
        allowed = kw.HANDLER if handler else kw.TASK
        collections = to_plain(data.get("collections", inherited.get("collections")) or [], path)
        self._task_context = (role_path, [str(c) for c in collections] if isinstance(collections, list) else [])
        self._refuse_removed_action(data, location)
        action_key = self._action_key(data, path, location, allowed, handler)
        check_keyword_types(data, "Handler" if handler else "Task", path)
        written, args = self._action_and_args(action_key, data[action_key], path, key_location(data, action_key, path))
        module = TEMPLATED_ACTION if is_template(written) else self.module_name(written)
        if module is None:
            raise ParseError(self.not_found_message(written, all_names()), key_location(data, action_key, path))
        if "args" in data:
            extra = to_plain(data["args"], path)
            if not isinstance(extra, dict):
                raise ParseError("'args' must be a mapping of module arguments", key_location(data, "args", path))
            args = {**extra, **args}
        keywords = self._task_keywords(data, inherited, action_key, module, path)
        if module in ("include_role", "import_role"):  # Ansible checks these when it loads the play
            for key in ("tasks_from", "vars_from", "defaults_from", "handlers_from"):
                if key in args and not isinstance(args[key], str):
                    raise ParseError(f"Expected a string for {key} but got <class '{type(args[key]).__name__}'> "
                                     "instead", key_location(data, action_key, path))

        task = Task(action=str(written), module=module, args=args, location=location,
                    name=None if data.get("name") in (None, "") else str(to_plain(data.get("name"), path)),
                    keywords=keywords,
                    keyword_locations={**{str(k): key_location(data, k, path) for k in data},
                                       "_args": value_location(data, action_key, path),
                                       "_action": key_location(data, action_key, path)},
                    value_locations={**{str(k): value_location(data, k, path) for k in data},
                                     **self._arg_value_locations(data, action_key, path)},
                    role=role, role_path=role_path, is_handler=handler, uid=self._take_uid())
        return task

    def _action_key(self, data: dict, path: str, location: Location, allowed: frozenset[str] | set[str],
                    handler: bool) -> Any:
        """The one key of the task that names its action (a module name, action or local_action);
        a ParseError for an unknown keyword, no action or more than one."""
        action_keys: list[Any] = []  # the task's keys as written (YAML keys need not be strings)
        unknown: list[Any] = []
        for key in data:
            if key in allowed or (isinstance(key, str) and key.startswith("with_")):
                continue
            (action_keys if self.module_name(str(key)) else unknown).append(key)
        if "action" in data or "local_action" in data:
            action_keys = [k for k in ("action", "local_action") if k in data] + action_keys
        if unknown:
            key = unknown[0]
            where = key_location(data, key, path)
            if not action_keys:
                raise ParseError(self.not_found_message(str(key), all_names() | allowed), where)
            raise ParseError(f"'{key}' is not a valid attribute for a {'Handler' if handler else 'Task'}."
                             f"{suggest(key, allowed)}", where)
        if not action_keys:
            raise ParseError("no module/action detected in task.", location)
        if len(action_keys) > 1:
            raise ParseError(f"conflicting action statements: {', '.join(map(str, action_keys))}", location)
        return action_keys[0]

    def _task_keywords(self, data: dict, inherited: dict[str, Any], action_key: Any, module: str,
                       path: str) -> dict[str, Any]:
        """The task's keywords: the inherited ones, then its own; list-valued ones as lists, when and tags
        appended to the parents', vars merged over them, the loop normalized and the values checked."""
        keywords = {k: v for k, v in inherited.items() if k not in ("when", "tags", "vars", "notify")}
        if "notify" in inherited:
            keywords["notify"] = list(inherited["notify"])
        if action_key == "local_action":
            keywords["delegate_to"] = "localhost"
        for key, value in data.items():
            if key in (action_key, "args") or key in ("action", "local_action"):
                continue
            keywords[key] = to_plain(value, path)
        if "environment" in data and "environment" in inherited:  # a task's environment extends its parents'
            keywords["environment"] = self._as_list(inherited["environment"]) + self._as_list(keywords["environment"])
        keywords["when"] = list(inherited.get("when", [])) + self._as_list(keywords.get("when"))
        for key in LIST_KEYWORDS[1:]:
            if key in keywords:
                keywords[key] = self._as_list(keywords[key])
        keywords["tags"] = list(inherited.get("tags", [])) + self._tags(data.get("tags"))
        if module in ("include_tasks", "include_role"):  # what the included tasks inherit: not the include's own tags
            keywords["_parent_tags"] = list(inherited.get("tags", []))
        keywords["vars"] = {**inherited.get("vars", {}),
                            **self._vars_dict(data.get("vars"), path, key_location(data, "vars", path))}
        if "notify" in data:
            keywords["notify"] = self._as_list(keywords["notify"])
        if "listen" in keywords:
            keywords["listen"] = [str(x) for x in self._as_list(keywords["listen"])]
        self._normalize_loop(data, keywords, path)
        self._check_task_values(data, keywords, module, path)
        return keywords

    @staticmethod
    def _arg_value_locations(data: Any, action_key: Any, path: str) -> dict[str, Location]:
        """`arg:<name>` → where each module argument's value starts (from `args:` too), so
        an error in one argument points at that argument; `argname:<name>` → where its name is
        (a templated name that renders to something invalid is shown there)."""
        found: dict[str, Location] = {}
        for holder in (data.get("args"), data.get(action_key)):
            if isinstance(holder, dict):
                found.update({f"arg:{k}": value_location(holder, k, path) for k in holder})
                found.update({f"argname:{k}": key_location(holder, k, path) for k in holder})
        return found

    def _take_uid(self) -> int:
        self._next_uid += 1
        return self._next_uid

    def module_name(self, written: str) -> str | None:
        """Short module name for `written`, or None (the plan loader also knows modules miniplay lacks).

        A name miniplay does not implement may still be a module file (library/, a collection,
        ansible-core): then its key in `self.foreign` is the task's module.
        """
        name = canonical_name(written)
        if not written or written.startswith("_") or name in LOAD_TIME_ACTIONS or name in RUN_TIME_INCLUDES:
            return name
        role_path, collections = self._task_context
        if name is None:
            found = self.foreign.resolve(written, role_path, collections)
            name = found.key if isinstance(found, ForeignModule) else None
        elif (mine := self.foreign.library_override(written, name, role_path)) is not None:
            name = mine.key  # a library/ module of a native module's name shadows it, as in Ansible
        plugin = self.foreign.action_plugin(written, name, role_path, collections)  # the user's action wins
        return plugin.key if plugin is not None else name

    def not_found_message(self, written: str, choices: Any) -> str:
        """Why `written` names nothing that can run: a misspelling, something missing, or a broken collection."""
        role_path, collections = self._task_context
        found = self.foreign.resolve(written, role_path, collections)
        if not isinstance(found, ForeignModule) and found.kind != "nothing":
            return found.message
        choices = set(choices) | set(self.foreign.nearby_names(written))
        return (f"couldn't resolve module/action '{written}'. This often indicates a misspelling, missing "
                f"collection, or incorrect module path.{suggest(written, choices)}")

    def _action_and_args(self, key: str, value: Any, path: str, where: Location) -> tuple[str, dict[str, Any]]:
        """Module name as written and its arguments, for both `mod: args` and `action: mod args`."""
        value = to_plain(value, path)
        if key in ("action", "local_action"):
            if isinstance(value, dict):
                value = dict(value)
                written = value.pop("module", None)
                if not written:
                    raise ParseError(f"'{key}' as a mapping needs a 'module' key", where)
                return str(written), value
            if not isinstance(value, str) or not value.strip():
                raise ParseError(f"'{key}' needs a module name", where)
            written, _, rest = value.strip().partition(" ")
            if is_template(written):  # `action: "{{ pkg_mgr }} name=x"`: the module is known when the task runs
                written = split_args(value.strip(), where)[0]
                return written, {TEMPLATED_ACTION_ARGS: value.strip()[len(written):].strip()}
            module = self.module_name(written)
            return written, parse_kv(rest, module in RAW_PARAMS_MODULES, where) if rest.strip() else {}
        module = self.module_name(key)
        if value is None:
            return key, {}
        if isinstance(value, dict):
            return key, dict(value)
        if isinstance(value, (str, int, float, bool)):
            if module in RAW_PARAMS_MODULES and module not in ("set_fact",):
                parsed = parse_kv(str(value), True, where)
                if module in ("include_tasks", "import_tasks", "include_vars", "include_role", "import_role",
                              "meta", "add_host", "group_by"):
                    parsed = parse_kv(str(value), False, where)
                return key, parsed
            return key, parse_kv(str(value), False, where)
        raise ParseError(f"The arguments of '{key}' must be a mapping or a string, got a {type(value).__name__}",
                         where)

    def _normalize_loop(self, data: dict, keywords: dict[str, Any], path: str) -> None:
        loops = [k for k in data if k == "loop" or (isinstance(k, str) and k.startswith("with_"))]
        if len(loops) > 1:
            raise ParseError(f"conflicting loop keywords: {', '.join(loops)}; use only one",
                             key_location(data, loops[1], path))
        if not loops:
            return
        key = loops[0]
        if key != "loop":
            lookup = key[len("with_"):]
            if lookup not in LOOP_LOOKUPS:
                raise ParseError(f"'{key}' is not a valid attribute for a Task: there is no lookup named "
                                 f"'{lookup}'.{suggest(lookup, LOOP_LOOKUPS)}", key_location(data, key, path))
            keywords["loop"] = keywords.pop(key)
            keywords["loop_with"] = lookup
        control = keywords.get("loop_control")
        if control is not None and not isinstance(control, dict):
            raise ParseError("loop_control must be a mapping (loop_var, index_var, label, pause, extended, "
                             "break_when)", key_location(data, "loop_control", path))
        if isinstance(control, dict):
            allowed = {"loop_var", "index_var", "label", "pause", "extended", "extended_allitems", "break_when"}
            for name in control:
                if name not in allowed:
                    raise ParseError(f"'{name}' is not a valid attribute for a LoopControl.{suggest(name, allowed)}",
                                     key_location(data, "loop_control", path))
            if "break_when" in control:
                control["break_when"] = self._as_list(control["break_when"])

    def _check_task_values(self, data: dict, keywords: dict[str, Any], module: str, path: str) -> None:
        register = keywords.get("register")
        if register is not None and (not isinstance(register, str) or not IDENTIFIER.match(register)):
            raise ParseError(f"Invalid 'register' specified: {register!r}. Variable names must be strings starting "
                             "with a letter or underscore character, and contain only letters, numbers and "
                             "underscores.", key_location(data, "register", path))
        for key in ("async",):  # a value that is not a number fails the task on each host, as in Ansible
            # (a negative `poll` is no error there: the job is not polled, as with `poll: 0`)
            value = keywords.get(key)
            if value is None or (isinstance(value, str) and "{{" in value):
                continue
            try:
                number = int(str(value))
            except (TypeError, ValueError):
                continue
            if number < 0:
                raise ParseError(f"'{key}' must be a non-negative integer, got {value!r}", key_location(data, key, path))
        async_value = keywords.get("async")
        # an action that cannot run async fails when it runs (ignore_errors, when and rescue apply), as in
        # Ansible; only what is expanded while loading is refused here
        if async_value not in (None, 0, "0") and module in LOAD_TIME_ACTIONS:
            raise ParseError(f"This action ({module}) does not support async.", key_location(data, "async", path))
        for key, why in kw.UNSUPPORTED.items():
            if key in keywords and why:
                raise ParseError(f"miniplay does not support '{key}': {why}", key_location(data, key, path))
        if keywords.get("debugger") and DEBUGGER_WARNING not in self.warnings:
            self.warnings.append(DEBUGGER_WARNING)

    @staticmethod
    def _vars_prompt(data: dict, path: str) -> list[dict[str, Any]]:
        """A play's `vars_prompt`: a list of mappings, each with a `name` (asked when the play starts)."""
        entries = data.get("vars_prompt")
        if entries is None:
            return []
        where = key_location(data, "vars_prompt", path)
        if not isinstance(entries, list):
            raise ParseError("'vars_prompt' must be a list of mappings, each with a 'name'", where)
        prompts: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("name"):
                raise ParseError("Invalid vars_prompt data structure, missing 'name' key",
                                 item_location(entries, index, path))
            prompts.append(to_plain(entry, path))
        return prompts

    @staticmethod
    def _refuse_removed_action(data: dict, location: Location) -> None:
        """`include:` (removed in ansible-core 2.16): refused as 2.19 refuses it, exit 1."""
        for name in map(str, data):
            short = name.removeprefix("ansible.builtin.").removeprefix("ansible.legacy.")
            if short in REMOVED_ACTIONS:
                raise LoadError(f"The 'ansible.builtin.{short}' action plugin has been removed. "
                                f"{REMOVED_ACTIONS[short]}", location)

    # ------------------------------------------------------------------ helpers
    def _check_keys(self, data: dict, allowed: frozenset[str], what: str, path: str) -> None:
        for key in data:
            if key not in allowed:
                raise ParseError(f"'{key}' is not a valid attribute for a {what}.{suggest(key, allowed)}",
                                 key_location(data, key, path))
        for key, why in kw.UNSUPPORTED.items():
            if key in data and why:
                raise ParseError(f"miniplay does not support '{key}': {why}", key_location(data, key, path))

    @staticmethod
    def _as_list(value: Any) -> list[Any]:
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @staticmethod
    def _tags(value: Any) -> list[str]:
        value = to_plain(value)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        return [t.strip() for t in str(value).split(",") if t.strip()]

    @staticmethod
    def _vars_dict(value: Any, path: str, where: Location) -> dict[str, Any]:
        value = to_plain(value, path)
        if value is None:
            return {}
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            merged: dict[str, Any] = {}
            for part in value:
                merged.update(part)
            return merged
        if not isinstance(value, dict):
            raise ParseError(f"Vars in a Play must be specified as a dictionary, got {type(value).__name__}", where)
        for name in value:
            if not isinstance(name, str) or not IDENTIFIER.match(name):
                raise ParseError(f"Invalid variable name in vars specified: {name!r}", where)
        return value
