"""A run: one playbook against one inventory, as an object (no global state).

`Run` owns what lives for the whole run — inventory, templar, event bus,
per-host state, connections and workers, async jobs, stats — and hands plays to
the linear strategy. `run_playbook()` is the public API; the CLI calls it.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Optional, TextIO

from ..transport.pool import Connections
from ..core.errors import MiniplayError
from ..core.events import EventBus
from ..loading.inventory import Inventory
from .limit_check import check_limit_leaves_hosts
from ..core.fdlimit import shortfall_warning
from ..loading.playbook import Loader
from ..core.model import Play, Playbook, Task
from ..core.options import Options
from ..templating.templar import Templar
from ..vars.manager import VariableManager, resolve_vars_files
from ..vars.layers import HostState, Layer
from ..core.yamlfile import drain_warnings

STAT_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


@dataclass
class RunResult:
    """What a run returns: per-host recap counts and ansible-playbook's exit code."""

    stats: dict[str, dict[str, int]]
    exit_code: int
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)


class FairSlots:
    """A counting semaphore that admits waiters in ticket order (inventory order, like Ansible's queue)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[int] = []
        self._cond = threading.Condition()

    def acquire(self, ticket: int) -> None:
        with self._cond:
            heapq.heappush(self._waiting, ticket)
            while not (self._free > 0 and self._waiting[0] == ticket):
                self._cond.wait()
            heapq.heappop(self._waiting)
            self._free -= 1
            self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()


class PlayState:
    """One play (one serial batch) in progress: its hosts and which are still in it."""

    def __init__(self, run: "Run", play: Play, hosts: list[str], all_hosts: list[str]) -> None:
        self.run = run
        self.play = play
        self.hosts = list(hosts)
        self.all_hosts = list(all_hosts)
        self.removed: set[str] = set()      # failed, unreachable or ended hosts
        self.hostvars = run.vars.make_hostvars(self)
        self._vars_files: dict[str, list[Layer]] = {}
        self._lock = threading.Lock()

    def active_hosts(self) -> list[str]:
        return [h for h in self.hosts if h not in self.removed]

    def vars_files_layers(self, host: str) -> list[Layer]:
        layers = self._vars_files.get(host)
        if layers is None:
            if not self.play.vars_files:
                layers = []
            else:
                base = self.run.vars.view(host, None)
                base.layers.insert(2, Layer("play vars", self.play.vars))
                loaded = resolve_vars_files(self.play.vars_files, self.play.basedir, base,
                                            self.play.value_locations.get("vars_files"))
                layers = [Layer(f"vars file {path}", values) for path, values in reversed(loaded)]
            with self._lock:
                self._vars_files[host] = layers
        return layers

    def task_name(self, task: Task, view: Any = None) -> str:
        """The banner name, templated with the host's vars when that works."""
        name = task.display_name
        if task.name and view is not None and "{{" in task.name:
            try:
                rendered = self.run.templar.template(task.name, view)
                base = str(rendered)
                name = f"{task.role} : {base}" if task.role else base
            except MiniplayError:
                pass
        return name


class Run:
    """Everything one run owns. Two runs in one process never share state."""

    def __init__(self, options: Options, bus: Optional[EventBus] = None, playbook_dir: str = ".",
                 loader: Optional[Loader] = None) -> None:
        self.options = options
        self.bus = bus or EventBus()
        self.templar = Templar()
        self.loader = loader or Loader()
        self.playbook_dir = os.path.abspath(playbook_dir)
        self.inventory_sources = list(options.inventory)
        self.inventory = Inventory.load(self.inventory_sources, playbook_dir=self.playbook_dir)
        self.templar.select_hosts = lambda pattern: [host.name for host in self.inventory.select(pattern)]
        self.vars = VariableManager(self)
        self.connections = Connections(self)
        self._host_states: dict[str, HostState] = {}
        self._state_lock = threading.Lock()
        self.stats: dict[str, dict[str, int]] = {}
        self.dead_hosts: set[str] = set()       # failed or unreachable: out of later plays
        self.unreachable_hosts: set[str] = set()
        self.failed_any = False
        self._groups_cache: Optional[dict[str, list[str]]] = None
        self._start_reached = False
        self._inventory_warnings_shown = 0
        self._slots = FairSlots(max(1, options.forks))
        self._tickets = itertools.count()
        self._holding = threading.local()
        from .jobs import JobManager

        self.jobs = JobManager(self)

    # ------------------------------------------------------------------ fork slots
    def take_ticket(self) -> int:
        """A place in the queue for a fork slot: hosts start in the order they were queued."""
        return next(self._tickets)

    @contextlib.contextmanager
    def fork_slot(self, ticket: Optional[int] = None):
        """Hold one of the `--forks` slots while this thread works on a host."""
        self._slots.acquire(self.take_ticket() if ticket is None else ticket)
        self._holding.active = True
        try:
            yield
        finally:
            self._holding.active = False
            self._slots.release()

    @contextlib.contextmanager
    def slot_released(self):
        """Give the slot back while waiting (for an async job), so other hosts can start."""
        holding = getattr(self._holding, "active", False)
        if holding:
            self._holding.active = False
            self._slots.release()
        try:
            yield
        finally:
            if holding:
                self._slots.acquire(self.take_ticket())
                self._holding.active = True

    # ------------------------------------------------------------------ state
    def host_state(self, host: str) -> HostState:
        state = self._host_states.get(host)
        if state is None:
            with self._state_lock:
                state = self._host_states.setdefault(host, HostState())
        return state

    def groups_map(self) -> dict[str, list[str]]:
        if self._groups_cache is None:
            self._groups_cache = self.inventory.groups_map()
        return self._groups_cache

    def refresh_inventory(self) -> None:
        """Read the inventory sources again (`meta: refresh_inventory`): new hosts, groups and
        variables are seen from the next task; add_host additions are dropped, as in Ansible."""
        self.inventory = Inventory.load(self.inventory_sources, playbook_dir=self.playbook_dir)
        self.inventory_changed()

    def inventory_changed(self) -> None:
        self._groups_cache = None
        self.vars.forget_inventory()

    def count(self, host: str, key: str, amount: int = 1) -> None:
        with self._state_lock:
            counts = self.stats.setdefault(host, {k: 0 for k in STAT_KEYS})
            counts[key] += amount

    def load_include(self, path: str, inherited: dict[str, Any], role: Optional[str],
                     role_path: Optional[str]) -> list:
        """Load an included tasks file once per distinct (file, inherited keywords)."""
        import json

        key = (path, json.dumps(inherited, sort_keys=True, default=str), role)
        with self._state_lock:
            cache = self.__dict__.setdefault("_include_cache", {})
        nodes = cache.get(key)
        if nodes is None:
            nodes = self.loader.load_tasks_file(path, inherited, role, role_path)
            with self._state_lock:
                nodes = cache.setdefault(key, nodes)
        return nodes

    def selected(self, task: Task) -> bool:
        """Whether --tags / --skip-tags (and --start-at-task) let this task run."""
        from ..planning.tags import selected

        start = self.options.start_at_task
        if start and not self._start_reached and not task.get("_facts"):
            import fnmatch

            names = {task.name or "", task.display_name}
            if not any(n == start or fnmatch.fnmatchcase(n, start) for n in names):
                return False
            self._start_reached = True
        return selected(task.keywords.get("tags", []), self.options.tags, self.options.skip_tags)

    def search_paths(self, task: Optional[Task], play: Any) -> list[str]:
        """Where relative files, templates and vars files are looked up, in order."""
        dirs: list[str] = []
        if task is not None and task.role_path:
            dirs.append(task.role_path)
        if task is not None and task.location.path:
            dirs.append(os.path.dirname(os.path.abspath(task.location.path)))
        dirs.append(self.playbook_dir)
        paths: list[str] = []
        for directory in dirs:
            for sub in ("files", "templates", "vars", ""):
                path = os.path.join(directory, sub) if sub else directory
                if path not in paths:
                    paths.append(path)
        return paths

    def find_file(self, task: Task, kind: str, name: str, view: Any) -> str:
        """A controller-side file for copy/template/script/include_vars: role dir first, like Ansible."""
        from ..core.errors import TemplateError

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
        from .strategy import LinearStrategy

        check_limit_leaves_hosts(self.inventory, self.options.limit)
        self.announce_load_warnings()
        short = shortfall_warning(len(self.inventory.select("all", self.options.limit)))
        if short:
            self.bus.emit("warning", text=short)
        self.bus.emit("playbook_start", path=playbook.path, plays=len(playbook.plays),
                      written=playbook.written_path or playbook.path)
        try:
            strategy = LinearStrategy(self)
            for play in playbook.plays:
                if not strategy.run_play(play):
                    break
        finally:
            self.jobs.close()
            self.connections.close_all()
        self.bus.emit("recap", stats=self.stats)
        return RunResult(stats=self.stats, exit_code=self.exit_code(),
                         registered={h: dict(s.registered) for h, s in self._host_states.items()})

    def announce_load_warnings(self) -> None:
        """Show what loading found but did not refuse (duplicate YAML keys, inventory oddities),
        once each, before the output that follows the load."""
        for text in self.inventory.warnings[self._inventory_warnings_shown:] + drain_warnings():
            self.bus.emit("warning", text=text)
        self._inventory_warnings_shown = len(self.inventory.warnings)

    def exit_code(self) -> int:
        if self.unreachable_hosts:
            return 4
        if self.failed_any:
            return 2
        return 0


def run_playbook(path: str, inventory: Optional[list[str]] = None, extra_vars: Optional[dict[str, Any]] = None,
                 stdout: Optional[TextIO] = None, events: Optional[EventBus] = None, console: bool = True,
                 **option_values: Any) -> RunResult:
    """Load and run a playbook; see `miniplay.run_playbook` for the options."""
    options = Options(inventory=list(inventory or []), extra_vars=dict(extra_vars or {}), **option_values)
    bus = events or EventBus()
    if console:
        from ..views.console import ConsoleRenderer

        bus.subscribe(ConsoleRenderer(stdout or sys.stdout, verbosity=options.verbosity))
    loader = Loader()
    playbook = loader.load_playbook(path)
    run = Run(options, bus, playbook_dir=playbook.basedir, loader=loader)
    return run.run_playbook(playbook)
