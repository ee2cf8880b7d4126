"""A run: one playbook against one inventory, as an object (no global state).

`Run` owns what lives for the whole run — inventory, templar, event bus,
per-host state, connections and workers, async jobs, stats — and hands plays to
the linear strategy. `miniplay.run_playbook()` (the public API) and the CLI build one.
"""
from __future__ import annotations

import fnmatch
import json
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import TemplateError
from ..core.events import Deprecation, EventBus, PlaybookStart, Recap, WarningEvent
from ..core.fdlimit import shortfall_warning
from ..core.model import Node, Playbook, Task
from ..core.options import Options
from ..core.yamlfile import drain_warnings
from ..loading.inventory import Inventory
from ..loading.playbook import Loader
from ..loading.role_includer import RoleIncluder
from ..planning.tags import selected
from ..templating.templar import Templar
from ..transport.pool import Connections
from ..vars.fact_cache import CorruptCacheFile, FactCache, FactCacheSettings
from ..vars.layers import HostState
from ..vars.manager import VariableManager
from .customstats import CustomStats
from .customstats import shown as show_custom_stats
from .jobs import JobManager
from .limit_check import check_limit_leaves_hosts
from .prompts import ask_play_prompts
from .slots import ForkSlots
from .step import StepPrompt
from .strategy import LinearStrategy

if TYPE_CHECKING:
    from ..loading.foreign_modules import ForeignModules
    from .action_bridge import ActionPluginBridge

STAT_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


@dataclass
class RunResult:
    """What a run returns: per-host recap counts and ansible-playbook's exit code."""

    stats: dict[str, dict[str, int]]
    exit_code: int
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # set_stats: per host, "_run"


class Run:
    """Everything one run owns. Two runs in one process never share state."""

    def __init__(self, options: Options, bus: EventBus | None = None, playbook_dir: str = ".",
                 loader: Loader | None = None) -> None:
        self.options = options
        self.bus = bus or EventBus()
        self.templar = Templar(select_hosts=lambda pattern: [host.name for host in self.inventory.select(pattern)],
                               vault=options.vault_secrets)
        self.loader = loader or Loader(options.yaml_warnings, vault=options.vault_secrets,
                                       module_paths=options.module_path, config=options.config,
                                       extra_vars=options.extra_vars)
        self.yaml_warnings = options.yaml_warnings   # duplicate YAML keys, until shown
        self.playbook_dir = os.path.abspath(playbook_dir)
        self.inventory_sources = list(options.inventory)
        self.inventory = Inventory.load(self.inventory_sources, playbook_dir=self.playbook_dir,
                                       yaml_warnings=self.yaml_warnings, vault=options.vault_secrets)
        from ..templating.collection_plugins import CollectionPlugins

        self.templar.collection_plugins = CollectionPlugins(self.loader.foreign,
                                                            warn=lambda text: self.bus.emit(WarningEvent(text=text)))
        self.vars = VariableManager(self)
        self.roles = RoleIncluder(self.loader, self.playbook_dir, options.config, options.config_file)
        self.slots = ForkSlots(options.forks)
        self.connections = Connections(options, self.templar, knows_host=lambda name: name in self.inventory.hosts,
                                       host_view=lambda name: self.vars.view(name, None),
                                       on_worker_event=lambda host, message: self.jobs.on_worker_event(host, message))
        self.jobs = JobManager(self.bus, self.connections, options, self.slots)
        self._action_plugins: ActionPluginBridge | None = None   # made when a task runs one
        self.fact_cache = FactCache(FactCacheSettings(options.fact_caching, options.fact_caching_connection,
                                                      options.fact_caching_prefix, options.fact_caching_timeout),
                                    warn=self._warn)
        self.step = StepPrompt(sys.stdin, sys.stdout) if options.step else None
        self._host_states: dict[str, HostState] = {}
        self._state_lock = threading.Lock()
        self.stats: dict[str, dict[str, int]] = {}
        self.custom_stats = CustomStats()       # set_stats
        self.dead_hosts: set[str] = set()       # failed or unreachable: out of later plays
        self.unreachable_hosts: set[str] = set()
        self.failed_any = False
        self._groups_cache: dict[str, list[str]] | None = None
        self._start_reached = False
        self._inventory_warnings_shown = 0
        self._include_cache: dict[tuple[str, str, str | None], list[Node]] = {}
        self._search_paths: dict[tuple[str | None, str | None, str], list[str]] = {}

    # ------------------------------------------------------------------ state
    def host_state(self, host: str) -> HostState:
        state = self._host_states.get(host)
        if state is None:
            with self._state_lock:
                state = self._host_states.get(host)
                if state is None:
                    state = self._host_states[host] = HostState()
                    try:  # a host met while running (add_host): a corrupt file was warned about, and is gone
                        state.add_facts(self.fact_cache.load(host))
                    except CorruptCacheFile:
                        pass
        return state

    def _load_cached_facts(self) -> None:
        """--flush-cache forgets the inventory hosts' cached facts; otherwise each host starts with
        them. Read up front, so a corrupt cache file stops the run before anything ran."""
        if not self.fact_cache.persistent:
            return
        for host in self.inventory.hosts:
            if self.options.flush_cache:
                self.fact_cache.delete(host)
            elif host not in self._host_states:
                state = HostState()
                state.add_facts(self.fact_cache.load(host))
                self._host_states[host] = state

    def store_facts(self, host: str, facts: dict[str, Any]) -> None:
        """New host facts (gathered, a module's, a cacheable set_fact), kept by the fact cache."""
        state = self.host_state(host)
        state.add_facts(facts)
        self.fact_cache.store(host, state.fact_vars)

    def clear_facts(self, host: str) -> None:
        """`meta: clear_facts`: the host's facts, and its fact cache entry, as Ansible clears both."""
        state = self.host_state(host)
        state.facts.clear()
        state.fact_vars.clear()
        self.fact_cache.delete(host)

    def groups_map(self) -> dict[str, list[str]]:
        if self._groups_cache is None:
            self._groups_cache = self.inventory.groups_map()
        return self._groups_cache

    def refresh_inventory(self) -> None:
        """Read the inventory sources again (`meta: refresh_inventory`): new hosts, groups and
        variables are seen from the next task; add_host additions are dropped, as in Ansible."""
        self.inventory = Inventory.load(self.inventory_sources, playbook_dir=self.playbook_dir,
                                       yaml_warnings=self.yaml_warnings, vault=self.options.vault_secrets)
        self.inventory_changed()

    def inventory_changed(self) -> None:
        self._groups_cache = None
        self.vars.forget_inventory()

    def count(self, host: str, key: str, amount: int = 1) -> None:
        with self._state_lock:
            counts = self.stats.setdefault(host, {k: 0 for k in STAT_KEYS})
            counts[key] += amount

    def load_include(self, path: str, inherited: dict[str, Any], role: str | None,
                     role_path: str | None) -> list[Node]:
        """Load an included tasks file once per distinct (file, inherited keywords)."""
        key = (path, json.dumps(inherited, sort_keys=True, default=str), role)
        nodes = self._include_cache.get(key)
        if nodes is None:
            nodes = self.loader.load_tasks_file(path, inherited, role, role_path)
            with self._state_lock:
                nodes = self._include_cache.setdefault(key, nodes)
        return nodes

    def selected(self, task: Task) -> bool:
        """Whether --tags / --skip-tags (and --start-at-task) let this task run."""
        start = self.options.start_at_task
        if start and not self._start_reached and not task.get("_facts"):
            names = {task.name or "", task.display_name}
            if not any(n == start or fnmatch.fnmatchcase(n, start) for n in names):
                return False
            self._start_reached = True
        return selected(task.keywords.get("tags", []), self.options.tags, self.options.skip_tags)

    def search_paths(self, task: Task | None, play: Any) -> list[str]:
        """Where relative files, templates and vars files are looked up, in order. Worked out
        once per (role, task file, playbook folder), which every host and task of a file share."""
        role_path = task.role_path if task is not None else None
        task_file = task.location.path if task is not None else None
        key = (role_path, task_file, self.playbook_dir)
        paths = self._search_paths.get(key)
        if paths is None:
            dirs: list[str] = []
            if role_path:
                dirs.append(role_path)
            if task_file:
                dirs.append(os.path.dirname(os.path.abspath(task_file)))
            dirs.append(self.playbook_dir)
            paths = []
            for directory in dirs:
                for sub in ("files", "templates", "vars", ""):
                    path = os.path.join(directory, sub) if sub else directory
                    if path not in paths:
                        paths.append(path)
            self._search_paths[key] = paths
        return list(paths)

    def find_file(self, task: Task, kind: str, name: str, view: Any) -> str:
        """A controller-side file for copy/template/script/include_vars: role dir first, like Ansible."""
        if os.path.isabs(name):
            if os.path.exists(name):
                return name
        else:
            dirs: list[str] = []
            if task.role_path:
                dirs += [os.path.join(task.role_path, kind), task.role_path]
            task_dir = os.path.dirname(os.path.abspath(task.location.path))
            dirs += [os.path.join(task_dir, kind), task_dir, os.path.join(self.playbook_dir, kind), self.playbook_dir]
            for directory in dirs:
                candidate = os.path.join(directory, name)
                if os.path.exists(candidate):
                    return candidate
        raise TemplateError(f"Could not find or access '{name}' on the Ansible Controller.")

    # ------------------------------------------------------------------ running
    def run_playbook(self, playbook: Playbook) -> RunResult:
        return self.run_playbooks([playbook])

    def run_playbooks(self, playbooks: Sequence[Playbook]) -> RunResult:
        """The playbooks of one `ansible-playbook a.yml b.yml`, as it runs them: in one run, so
        variables, facts, registered values and failed hosts carry from one to the next; a recap
        after each, with the counts so far; the next starts only if this one's last play ended
        with no host failed in it and none unreachable."""
        check_limit_leaves_hosts(self.inventory, self.options.limit, lambda text: self.bus.emit(WarningEvent(text=text)))
        self.announce_load_warnings()
        self._load_cached_facts()
        short = shortfall_warning(len(self.inventory.select("all", self.options.limit)))
        if short:
            self.bus.emit(WarningEvent(text=short))
        try:
            for index, playbook in enumerate(playbooks):
                ended_clean = self._run_plays(playbook)
                if index == len(playbooks) - 1 or not ended_clean:
                    break
                self._emit_recap()
        finally:
            self.jobs.close()
            if self._action_plugins is not None:
                self._action_plugins.close()
            self.connections.close_all()
            self.templar.collection_plugins.close()
        self._emit_recap()
        return RunResult(stats=self.stats, exit_code=self.exit_code(),
                         registered={h: dict(s.registered) for h, s in self._host_states.items()},
                         custom_stats=self.custom_stats.as_dict())

    def _run_plays(self, playbook: Playbook) -> bool:
        """Run one playbook's plays; whether its last play ended clean (no host failed in it,
        none unreachable so far), which is what lets ansible-playbook go on to the next."""
        self._enter_playbook_dir(playbook.basedir)
        self.bus.emit(PlaybookStart(path=playbook.path, plays=len(playbook.plays),
                      written=playbook.written_path or playbook.path))
        strategy = LinearStrategy(self)
        failed_in_play: set[str] = set()
        for play in playbook.plays:
            if play.vars_prompt:  # asked before the play starts, as ansible-playbook does
                play.vars.update(ask_play_prompts(play.vars_prompt, play.vars, self.options.extra_vars,
                                                  self.templar, self._warn))
            dead_before = set(self.dead_hosts)
            go_on = strategy.run_play(play)
            failed_in_play = self.dead_hosts - dead_before - self.unreachable_hosts
            if not go_on:
                return False
        return not failed_in_play and not self.unreachable_hosts

    def _enter_playbook_dir(self, directory: str) -> None:
        """While a playbook runs, its folder is `playbook_dir` and where roles, files, templates and
        library/ are looked for, as ansible-playbook sets its basedir per playbook. (The inventory's
        playbook-adjacent group_vars/host_vars stay those of the first playbook's folder.)"""
        self.playbook_dir = os.path.abspath(directory)
        self.roles.playbook_dir = self.playbook_dir
        self.loader.foreign.set_playbook_dir(self.playbook_dir)

    def _emit_recap(self) -> None:
        """The recap: the counts so far (a copy: a later playbook goes on counting)."""
        stats = {host: dict(counts) for host, counts in self.stats.items()}
        custom = self.custom_stats.as_dict()
        if custom:
            self.bus.emit(Recap(stats=stats, custom_stats=custom,
                                show_custom_stats=show_custom_stats(self.options.config or {})))
        else:
            self.bus.emit(Recap(stats=stats))

    def _warn(self, text: str) -> None:
        self.bus.emit(WarningEvent(text=text))

    @property
    def action_plugins(self) -> ActionPluginBridge:
        """The bridge to the user's Ansible action plugins, made for the first task that runs one
        (few runs do: its module and the plugin helpers stay unimported until then)."""
        with self._state_lock:
            if self._action_plugins is None:
                from .action_bridge import ActionPluginBridge

                self._action_plugins = ActionPluginBridge(self.loader.foreign, self.jobs)
            return self._action_plugins

    @property
    def foreign(self) -> ForeignModules:
        """Where modules written for Ansible are found (library/, -M, collections, ansible-core)."""
        return self.loader.foreign

    def announce_load_warnings(self) -> None:
        """Show what loading found but did not refuse (duplicate YAML keys, inventory oddities),
        once each, before the output that follows the load."""
        found = drain_warnings(self.loader.warnings) if self.loader.warnings is not self.yaml_warnings else []
        for text in self.inventory.warnings[self._inventory_warnings_shown:] + found + drain_warnings(self.yaml_warnings):
            self.bus.emit(WarningEvent(text=text))
        self._inventory_warnings_shown = len(self.inventory.warnings)
        for text in self.loader.foreign.take_deprecations():  # a collection's runtime.yml deprecation
            self.bus.emit(Deprecation(text=text))

    def exit_code(self) -> int:
        if self.unreachable_hosts:
            return 4
        if self.failed_any:
            return 2
        return 0
