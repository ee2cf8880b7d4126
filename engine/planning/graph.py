"""The per-host task graph: what will run, in which order, on which host — before anything runs.

How this works
--------------
`build_plan()` turns each loaded play into a networkx MultiDiGraph once (two tasks may be
linked twice: by order and by data):

* nodes are the play itself, its tasks (a looped task carries its loop), its
  blocks (with edges into their rescue and always branches), its includes (a
  static `include_tasks`, whose file name uses no variable, is loaded and
  expanded right here), and its handlers;
* edges have a `kind`: `order` (the next task a host walks to), `rescue` and
  `always` (a block's branches), `include` (an include to the first task it
  loads), `notify` (a task to the handlers it may notify).

Then, for every group of hosts that run the same plays, those play graphs are
composed in play order and the *data* edges are added along the hosts' walk:
a task that registers `x` gets an edge to every later task that reads `x` —
`job` when `x` is an async launch's result and the reader uses its
`ansible_job_id` (an `async_status` join), `data` otherwise.

What only a run can know (a `when`, a loop's items, an include whose file name
is a variable, a value held in a variable) is listed in each node's `runtime`
attribute, and drawn dashed. Nothing is templated against a host and nothing
runs; values that are plain numbers in the playbook (or in play vars / -e) are
read as numbers so `miniplay check` can compare them.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..core import keywords as kw
from ..core.errors import MiniplayError
from ..core.fieldtypes import FALSE_WORDS, TRUE_WORDS
from ..core.model import Block, Node, Play, Playbook, Task, iter_tasks
from ..loading.playbook import Loader
from ..templating.varrefs import EMPTY, Refs, task_refs, template_refs

if TYPE_CHECKING:
    from ..loading.inventory import Inventory

PACKAGE_MODULES = frozenset({"apt", "yum", "dnf", "dnf5", "package", "zypper", "apk", "pacman"})
INCLUDE_MODULES = frozenset({"include_tasks", "include_role"})

# Real Ansible modules miniplay does not ship: the plan still reads playbooks that use them,
# because `miniplay check` is useful before miniplay can run every task (and on playbooks that
# ansible-playbook will run).
KNOWN_ANSIBLE_MODULES = frozenset({
    "apt", "apt_key", "apt_repository", "yum", "yum_repository", "dnf", "dnf5", "package", "package_facts",
    "service", "service_facts", "systemd", "systemd_service", "sysvinit", "pip", "git", "uri", "user", "group",
    "cron", "mount", "unarchive", "template", "fetch", "script", "raw", "reboot", "async_status",
    "wait_for_connection", "hostname", "known_hosts", "iptables", "debconf", "rpm_key", "getent", "find",
    "expect", "assemble", "zypper", "apk", "pacman", "sysctl", "authorized_key", "synchronize", "archive",
    "docker_container", "k8s", "set_stats", "validate_argument_spec", "include_role", "import_role",
})


class PlanLoader(Loader):
    """The loader, but it also accepts real Ansible modules that miniplay does not ship."""

    def module_name(self, written: str) -> str | None:
        name = super().module_name(written)  # native, or a module file (library/, collection, ansible-core)
        if name is not None:
            return name
        short = written.rsplit(".", 1)[-1] if written.startswith(("ansible.", "community.")) else written
        return short if short in KNOWN_ANSIBLE_MODULES else None


def load_for_plan(path: str, extra_vars: dict[str, Any] | None = None) -> Playbook:
    return PlanLoader(extra_vars=extra_vars).load_playbook(path)


# ---------------------------------------------------------------------- values known before a run
def static_value(value: Any, variables: dict[str, Any]) -> Any:
    """The value when the playbook alone decides it (a literal, or a template over play vars / -e)."""
    if not isinstance(value, str) or "{" not in value:
        return value
    refs = template_refs(value)
    if not refs.names or not refs.names <= set(variables) or refs.lookups:
        return None
    try:
        return _templar().template(value, variables)
    except (MiniplayError, RecursionError):
        return None


@functools.lru_cache(maxsize=1)
def _templar() -> Any:
    """One Templar for the plan's few renderings (building one costs milliseconds); it only
    caches compiled templates, so sharing it between plans changes no result."""
    from ..templating.templar import Templar

    return Templar()


def static_number(value: Any, variables: dict[str, Any]) -> float | None:
    value = static_value(value, variables)
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def static_int(value: Any, variables: dict[str, Any]) -> int | None:
    number = static_number(value, variables)
    return None if number is None else int(number)


def truthy(value: Any) -> bool | None:
    """True/False for a literal flag, None when only a run can tell."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or text == "":
        return False
    return None


def short(text: Any, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------------- the plan
@dataclass
class HostGraph:
    """One graph, shared by the hosts that run the same plays."""

    hosts: list[str]
    graph: nx.MultiDiGraph
    order: list[str]                                 # task and handler nodes in walk order
    tasks: dict[str, Task] = field(default_factory=dict)
    refs: dict[str, Refs] = field(default_factory=dict)  # what each task's templates read
    matched: bool = True                             # False: a play's pattern matched no inventory host

    def task_nodes(self) -> Iterable[str]:
        return (n for n in self.order if n in self.tasks)


@dataclass
class Plan:
    playbook: Playbook
    groups: list[HostGraph]
    variables: dict[str, Any]

    @property
    def hosts(self) -> list[str]:
        return [h for g in self.groups for h in g.hosts]


@dataclass
class _PlayGraph:
    graph: nx.MultiDiGraph
    order: list[str]
    tasks: dict[str, Task]
    entry: str
    exits: list[str]


class _PlayBuilder:
    """Walks one play's sections, blocks and static includes into a graph."""

    def __init__(self, loader: Loader, play: Play, index: int, variables: dict[str, Any]) -> None:
        self.loader = loader
        self.play = play
        self.prefix = f"p{index}_"
        self.index = index
        self.variables = {**play.vars, **variables}
        self.graph = nx.MultiDiGraph()
        self.order: list[str] = []
        self.tasks: dict[str, Task] = {}
        self._blocks = 0
        self._depth = 0

    def build(self) -> _PlayGraph:
        play = self.play
        entry = self.prefix + "play"
        self.graph.add_node(entry, kind="play", label=f"PLAY [{play.display_name}]", location=str(play.location),
                            file=play.location.path, line=play.location.line, play=self.index,
                            hosts=play.hosts, runtime=[])
        exits = [entry]
        if truthy(play.get("gather_facts", True)) is not False:
            facts = self.prefix + "facts"
            self.graph.add_node(facts, kind="task", label="Gathering Facts", module="setup",
                                location=str(play.location), file=play.location.path, line=play.location.line,
                                play=self.index, runtime=[], branch="tasks")
            self.graph.add_edge(entry, facts, key="order", kind="order")
            self.order.append(facts)
            exits = [facts]
        for name, section in (("pre_tasks", play.pre_tasks), ("tasks", play.tasks), ("post_tasks", play.post_tasks)):
            exits = self._chain(section, exits, name, "order")
        for handler in play.handlers:
            self._task(handler, [], "handlers", "order")
        self._notify_edges()
        return _PlayGraph(self.graph, self.order, self.tasks, entry, exits)

    # ------------------------------------------------------------------ walking
    def _chain(self, nodes: list[Node], entries: list[str], branch: str, edge_kind: str) -> list[str]:
        for node in nodes:
            if isinstance(node, Block):
                entries = self._block(node, entries, branch, edge_kind)
            else:
                entries = self._task(node, entries, branch, edge_kind)
            edge_kind = "order"
        return entries

    def _link(self, entries: list[str], target: str, kind: str) -> None:
        for source in entries:
            self.graph.add_edge(source, target, key=kind, kind=kind)

    def _block(self, block: Block, entries: list[str], branch: str, edge_kind: str) -> list[str]:
        self._blocks += 1
        nid = f"{self.prefix}b{self._blocks}"
        where = block.location
        runtime = [f"when: {short(w)}" for w in _as_list(block.keywords.get("when"))]
        first = next(iter_tasks([block]), None)
        label = block.name or (f"role {first.role}" if first is not None and first.role else "block")
        self.graph.add_node(nid, kind="block", label=label, location=str(where) if where else "",
                            file=where.path if where else "", line=where.line if where else 0, play=self.index,
                            branch=branch, runtime=runtime, rescue=bool(block.rescue), always=bool(block.always))
        self._link(entries, nid, edge_kind)
        body = self._chain(block.block, [nid], "block", "order")
        rescue = self._chain(block.rescue, [nid], "rescue", "rescue") if block.rescue else []
        ends = body + rescue
        if block.always:
            return self._chain(block.always, ends, "always", "always")
        return ends

    def _task(self, task: Task, entries: list[str], branch: str, edge_kind: str) -> list[str]:
        base = f"{self.prefix}{'h' if task.is_handler else 't'}{task.uid}"
        nid, n = base, 1
        while nid in self.graph:
            n += 1
            nid = f"{base}_{n}"
        attrs = self._describe(task)
        attrs["branch"] = branch
        self.graph.add_node(nid, **attrs)
        self.tasks[nid] = task
        self.order.append(nid)
        self._link(entries, nid, edge_kind)
        if task.module == "include_tasks":
            return self._expand_include(task, nid, branch)
        if task.module == "include_role":
            self.graph.nodes[nid]["runtime"].append("the role's tasks are loaded at run time")
        return [nid]

    def _describe(self, task: Task) -> dict[str, Any]:
        runtime: list[str] = []
        for clause in task.when:
            runtime.append(f"when: {short(clause)}")
        loop = task.get("loop")
        loop_text = None
        if loop is not None:
            loop_text = short(loop if not task.get("loop_with") else f"with_{task.get('loop_with')}: {loop}")
            if isinstance(loop, list) and not task.get("loop_with"):
                loop_text = f"{len(loop)} items"
            else:
                runtime.append(f"loop items: {loop_text}")
        until = task.get("until")
        if until:
            runtime.append(f"until: {short(' and '.join(map(str, until)))}")
        async_raw = task.get("async")
        async_limit = static_int(async_raw, self.variables) if async_raw is not None else None
        poll_raw = task.get("poll")
        poll = static_int(poll_raw, self.variables) if poll_raw is not None else 15
        async_role = None
        if async_raw not in (None, 0, "0"):
            if async_limit is None:
                runtime.append(f"async limit: {short(async_raw)}")
            if poll is None:
                runtime.append(f"poll: {short(poll_raw)}")
            if async_limit is None or async_limit > 0:
                async_role = "launch" if poll == 0 else "polled"
        if task.module == "async_status":
            async_role = "join"
        kind = "handler" if task.is_handler else "include" if task.module in INCLUDE_MODULES else "task"
        return {
            "kind": kind, "label": task.display_name, "module": task.module, "action": task.action,
            "location": str(task.location), "file": task.location.path, "line": task.location.line,
            "play": self.index, "loop": loop_text, "when": [str(w) for w in task.when],
            "register": task.register, "async": async_limit if async_limit is not None else async_raw,
            "poll": poll if async_role in ("launch", "polled") else None, "async_role": async_role,
            "notify": [str(n) for n in task.get("notify") or []], "runtime": runtime,
        }

    def _expand_include(self, task: Task, nid: str, branch: str) -> list[str]:
        name = task.args.get("_raw_params") or task.args.get("file")
        node = self.graph.nodes[nid]
        if not name or "{" in str(name):
            node["runtime"].append(f"file chosen at run time: {short(name)}")
            return [nid]
        path = self._resolve(task, str(name))
        if path is None or self._depth > 20:
            node["runtime"].append(f"file not found before the run: {short(name)}")
            return [nid]
        inherited = {k: v for k, v in task.keywords.items() if k in kw.INHERITED}
        try:
            self._depth += 1
            nodes = self.loader.load_tasks_file(path, inherited, task.role, task.role_path)
        except MiniplayError as exc:
            node["runtime"].append(f"include fails: {short(exc.message, 120)}")
            return [nid]
        finally:
            self._depth -= 1
        node["expanded"] = path
        if task.get("loop") is not None:
            node["runtime"].append("included once per loop item")
        if task.when:
            node["runtime"].append("included only if its when holds")
        self._depth += 1
        try:
            exits = self._chain(nodes, [nid], branch, "include")
        finally:
            self._depth -= 1
        return exits

    @staticmethod
    def _resolve(task: Task, name: str) -> str | None:
        if os.path.isabs(name):
            return name if os.path.exists(name) else None
        candidates = []
        if task.role_path:
            candidates.append(os.path.join(task.role_path, "tasks", name))
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(task.location.path)), name))
        for candidate in candidates:
            if os.path.exists(candidate):
                return candidate
        return None

    # ------------------------------------------------------------------ notify → handler
    def _notify_edges(self) -> None:
        handlers = [(nid, t) for nid, t in self.tasks.items() if t.is_handler]
        for nid, task in list(self.tasks.items()):
            for raw in task.get("notify") or []:
                name = static_value(raw, self.variables)
                if name is None:
                    self.graph.nodes[nid]["runtime"].append(f"notifies a handler chosen at run time: {short(raw)}")
                    continue
                for entry in name if isinstance(name, list) else [name]:
                    for handler in [h for h, t in handlers if _handler_matches(t, str(entry))]:
                        self.graph.add_edge(nid, handler, key="notify", kind="notify")


def _handler_matches(handler: Task, name: str) -> bool:
    names = {handler.name, handler.display_name, f"{handler.role} : {handler.name}" if handler.role else None}
    return name in names or name in handler.listen


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ---------------------------------------------------------------------- per-host composition
def _add_data_edges(group: HostGraph, refs_of: dict[str, Refs]) -> None:
    """register → reader along the hosts' walk; `job` when the reader joins an async launch."""
    graph = group.graph
    registered: dict[str, str] = {}
    for nid in group.order:
        task = group.tasks.get(nid)
        if task is None:
            continue
        refs = refs_of.get(nid, EMPTY)
        for name in refs.names:
            source = registered.get(name)
            if source is None or source == nid:
                continue
            launch = graph.nodes[source].get("async_role") in ("launch", "polled")
            joins = launch and (task.module == "async_status" or refs.reads_attr("ansible_job_id"))
            kind = "job" if joins else "data"
            graph.add_edge(source, nid, key=f"{kind}:{name}", kind=kind, var=name)
            if joins:
                graph.nodes[nid].setdefault("joins", []).append(source)
        if task.register:
            registered[task.register] = nid


def build_plan(playbook: Playbook, inventory_sources: list[str] | None = None,
               extra_vars: dict[str, Any] | None = None, limit: str | None = None,
               only_host: str | None = None, loader: Loader | None = None) -> Plan:
    """Every host's graph for a loaded playbook; hosts running the same plays share one."""
    from ..loading.inventory import Inventory

    variables = dict(extra_vars or {})
    loader = loader or PlanLoader()
    inventory = Inventory.load(list(inventory_sources or []), playbook_dir=playbook.basedir)
    allowed = {h.name for h in inventory.select(limit)} if limit else None
    play_graphs: list[_PlayGraph] = []
    plays_of: dict[str, list[int]] = {}
    for index, play in enumerate(playbook.plays):
        play_graphs.append(_PlayBuilder(loader, play, index, variables).build())
        for host in _play_hosts(play, inventory, variables, allowed):
            plays_of.setdefault(host, []).append(index)
    if only_host is not None:
        if only_host not in plays_of:
            known = ", ".join(sorted(plays_of)) or "none"
            raise MiniplayError(f"host '{only_host}' runs no play of {playbook.path} (hosts: {known})")
        plays_of = {only_host: plays_of[only_host]}
    by_plays: dict[tuple[int, ...], list[str]] = {}
    for host, indexes in plays_of.items():
        by_plays.setdefault(tuple(indexes), []).append(host)
    refs_of: dict[str, Refs] = {}
    for pg in play_graphs:
        for nid, task in pg.tasks.items():
            refs_of[nid] = task_refs(task)
    groups = []
    for play_indexes, hosts in by_plays.items():
        group = _host_group(hosts, [play_graphs[index] for index in play_indexes], refs_of)
        _add_data_edges(group, refs_of)
        groups.append(group)
    return Plan(playbook=playbook, groups=groups, variables=variables)


def _play_hosts(play: Play, inventory: Inventory, variables: dict[str, Any], allowed: set[str] | None) -> list[str]:
    """The hosts a play runs on (within --limit); a play matching none is planned under its pattern's name."""
    pattern = static_value(play.hosts, variables)
    pattern = play.hosts if pattern is None else str(pattern)
    try:
        hosts = [h.name for h in inventory.select(pattern)]
    except MiniplayError:
        hosts = []
    if allowed is not None:
        hosts = [h for h in hosts if h in allowed]
    if not hosts:
        hosts = [f"[{pattern}]"]  # still planned and checked, under the pattern's name
    return hosts


def _host_group(hosts: list[str], plays: list[_PlayGraph], refs_of: dict[str, Refs]) -> HostGraph:
    """One graph for the hosts that run the same plays: the plays' graphs chained in order."""
    graph = nx.MultiDiGraph()
    order: list[str] = []
    tasks: dict[str, Task] = {}
    exits: list[str] = []
    for pg in plays:
        graph.add_nodes_from(pg.graph.nodes(data=True))
        graph.add_edges_from(pg.graph.edges(keys=True, data=True))
        for source in exits:
            graph.add_edge(source, pg.entry, key="order", kind="order")
        exits = pg.exits
        order += pg.order
        tasks.update(pg.tasks)
    # add_nodes_from copied the attribute dicts; copy their lists too, so per-group additions
    # (joins) never leak into the play graph other groups share
    for attrs in graph.nodes.values():
        for key, value in attrs.items():
            if isinstance(value, list):
                attrs[key] = list(value)
    return HostGraph(hosts=hosts, graph=graph, order=order, tasks=tasks, refs=refs_of,
                     matched=not all(h.startswith("[") for h in hosts))
