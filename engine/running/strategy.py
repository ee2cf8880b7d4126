"""The linear strategy: every host does task N before any host starts task N+1.

How this works
--------------
Each host walks the play with its own cursor (a generator over blocks, rescue
and always branches and dynamic includes), so hosts may diverge — one in a
rescue, another moving on — while the strategy keeps them in lockstep: at each
step it takes the earliest task (by its path in the play tree) that any host is
waiting on, runs it on every host waiting on that same task, up to `--forks` at
once, and feeds each outcome back to that host's cursor.

A fork slot is held only while a host is actively working; a host waiting for
an async job gives its slot back, so a polled async task is launched on every
host before any waiting starts, whatever `--forks` is.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import MiniplayError, TemplateError
from ..core.events import (
    HostResult,
    Included,
    NoHosts,
    NoMoreHosts,
    Notified,
    Notify,
    PlayStart,
    TaskStart,
    Verbose,
    WarningEvent,
)
from ..core.fieldtypes import as_flag
from ..core.model import Node, Play, Task
from ..core.results import Outcome, ResultNotes
from .executor import ExecutorServices, TaskExecutor
from .iterator import Cursor, HostIterator
from .keyword_types import throttle_limit
from .limit_check import UNMATCHED
from .play_keywords import check_play_scalars
from .playstate import PlayState

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from .slots import ForkSlots
    from .step import StepPrompt


META_ACTIONS = frozenset({"flush_handlers", "noop", "end_play", "end_host", "end_batch", "clear_host_errors",
                          "refresh_inventory", "reset_connection", "clear_facts", "end_role"})
# Decided once, by the batch's first host, for every host (Ansible's linear strategy does the same).
META_ONCE = frozenset({"end_play", "end_batch", "clear_host_errors", "clear_facts", "refresh_inventory"})
META_WITHOUT_WHEN = frozenset({"noop", "refresh_inventory", "reset_connection"})
# What a false `when` adds to "<action> conditional evaluated to False".
META_SKIP_REASONS = {"flush_handlers": ", not running handlers for {host}", "end_play": ", continuing play",
                     "end_batch": ", continuing current batch", "end_host": ", continuing execution for {host}",
                     "clear_host_errors": ", not clearing host error state for {host}",
                     "clear_facts": ", not clearing facts and fact cache for {host}",
                     "end_role": "continuing role for {host}"}


class StrategyServices(ExecutorServices, Protocol):
    """The parts of the run a strategy uses: the executor's, plus the run's fork slots and tallies."""

    slots: ForkSlots
    yaml_warnings: list[str]       # duplicate YAML keys met while running, until shown
    dead_hosts: set[str]           # failed or unreachable: out of later plays
    unreachable_hosts: set[str]
    failed_any: bool
    step: StepPrompt | None        # --step: asks before each task

    def count(self, host: str, key: str, amount: int = 1) -> None:
        """Add to the host's recap counts."""

    def selected(self, task: Task) -> bool:
        """Whether --tags / --skip-tags / --start-at-task let the task run."""

    def refresh_inventory(self) -> None:
        """`meta: refresh_inventory`."""

    def announce_load_warnings(self) -> None:
        """Show what loading found but did not refuse, once."""

    def store_facts(self, host: str, facts: dict[str, Any]) -> None:
        """Add facts to the host's (and to the fact cache)."""

    def clear_facts(self, host: str) -> None:
        """`meta: clear_facts`: the host's facts, here and in the fact cache."""


class LinearStrategy:
    def __init__(self, run: StrategyServices) -> None:
        self.run = run
        self.iterator = HostIterator(run)   # each host's walk through the play (which task is next)
        self.play_failed = False
        self._pool: ThreadPoolExecutor | None = None

    def _forks(self) -> ThreadPoolExecutor:
        """The threads tasks run in, made for the first task (a playbook with no task to run never
        imports concurrent.futures): one thread per host, so hosts waiting on async jobs never
        keep others from launching theirs."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=max(64, len(self.run.inventory.hosts) + 1),
                                            thread_name_prefix="fork")
        return self._pool

    # ------------------------------------------------------------------ plays
    def run_play(self, play: Play) -> bool:
        """Run one play; False means the playbook must stop (a whole batch failed)."""
        run = self.run
        pattern = play.hosts
        try:
            pattern = str(run.templar.template(play.hosts, run.vars.view("localhost", None)))
        except MiniplayError:
            pass
        check_play_scalars(play, lambda value: run.templar.template(value, run.vars.view("localhost", None).child(
            play.vars, label="play vars", lazy=True)))
        match = run.inventory.match_patterns(pattern)
        for term in match.unmatched:   # each term that names nothing, as Ansible warns (once a run)
            run.bus.emit(WarningEvent(text=UNMATCHED.format(term)))
        matched = [h.name for h in match.hosts]
        if run.options.limit:
            allowed = {h.name for h in run.inventory.select(run.options.limit)}
            matched = [h for h in matched if h in allowed]
        hosts = _ordered([h for h in matched if h not in run.dead_hosts], play.get("order"))
        run.bus.emit(PlayStart(name=play.name or pattern, play=play))
        if not hosts:
            run.bus.emit(NoHosts(pattern=pattern))
            return True
        run.connections.prepare(hosts)
        for index, batch in enumerate(self._batches(play, hosts)):
            if index:
                run.bus.emit(PlayStart(name=play.name or pattern, play=play))
            state = PlayState(run.vars, run.templar, play, batch, hosts, matched, run.yaml_warnings,
                               run.options.vault_secrets, warn=lambda text: run.bus.emit(WarningEvent(text=text)))
            if not self._run_batch(state):
                return False
        return True

    def _batches(self, play: Play, hosts: list[str]) -> list[list[str]]:
        from ..planning.serial import serial_batches

        return serial_batches(play.get("serial"), hosts, play.location)

    def _run_batch(self, state: PlayState) -> bool:
        executor = TaskExecutor(self.run, state)
        executor.before_result = lambda outcome: self._notify(state, outcome)
        play = state.play
        self.play_failed = False
        try:
            if self._gather_facts(state):
                self._run_nodes(state, executor, [self._facts_task(play)])
            for section in play.sections():
                self._run_nodes(state, executor, section)
                self.flush_handlers(state, executor, self._section_flush_hosts(state))
                if self.play_failed:
                    break
        except _StopPlay:
            if self._forces_handlers(play):
                # the play stopped (any_errors_fatal...): forced handlers still run for what was notified
                self.flush_handlers(state, executor, [h for h in state.hosts if h not in self.run.unreachable_hosts])
        batch_failed = [h for h in state.hosts if h in self.run.dead_hosts]
        return not (self.play_failed or (batch_failed and len(batch_failed) == len(state.hosts)))

    def _forces_handlers(self, play: Play) -> bool:
        """The play's force_handlers when it sets one (even `false` beats --force-handlers), else the run's."""
        value = play.get("force_handlers")
        return self.run.options.force_handlers if value is None else self._truthy(value)

    def _section_flush_hosts(self, state: PlayState) -> list[str]:
        """Who flushes handlers at the end of a section: the active hosts and, with force_handlers,
        the hosts that failed too (Ansible wraps each section in a block whose `always` flushes)."""
        if not self._forces_handlers(state.play):
            return state.active_hosts()
        return [h for h in state.hosts if h not in state.removed
                or (h in self.run.dead_hosts and h not in self.run.unreachable_hosts)]

    def _gather_facts(self, state: PlayState) -> bool:
        return as_flag(state.play.get("gather_facts", True))  # its type was checked at load

    def _facts_task(self, play: Play) -> Task:
        # the play's gather_subset, gather_timeout and fact_path are the implicit task's arguments
        args = {key: play.get(key) for key in ("gather_subset", "gather_timeout", "fact_path")
                if play.get(key) is not None}
        if isinstance(args.get("gather_subset"), str):  # a list keyword: one string is one item, not split
            args["gather_subset"] = [args["gather_subset"]]
        return Task(action="gather_facts", module="setup", args=args, location=play.location, name="Gathering Facts",
                    keywords={"when": list(play.get("_included_when") or []), "tags": ["always"], "_facts": True},
                    uid=-1)

    # ------------------------------------------------------------------ the lockstep loop
    def _run_nodes(self, state: PlayState, executor: TaskExecutor, nodes: list[Node]) -> None:
        cursors = {host: self.iterator.cursor(state, host, nodes) for host in state.active_hosts()}
        self._run_cursors(state, executor, cursors)

    def _run_cursors(self, state: PlayState, executor: TaskExecutor, cursors: dict[str, Cursor],
                     handler: bool = False, forced: frozenset[str] = frozenset()) -> None:
        """The linear strategy: each step runs on every host whose walk is at it, then the next.
        `forced`: failed hosts that walk on all the same (what a forced handler included)."""
        while True:
            for host, cursor in list(cursors.items()):
                if cursor.finished or (host in state.removed and host not in forced):
                    if cursor.finished and not cursor.ok:
                        self._host_failed(state, host)
                    del cursors[host]
            if not cursors:
                return
            path, task, _ = min((c.step for c in cursors.values()), key=lambda step: (step[0], step[1].uid))
            group = [h for h, c in cursors.items() if c.step[1] is task and c.step[0] == path]
            outcomes = self.run_task(state, executor, task, {h: cursors[h].step[2] for h in group}, handler)
            failing = [host for host in group if outcomes[host].fatal]
            for host in failing:
                cursors[host].send(outcomes[host])
            rescued = [host for host in failing if not cursors[host].finished]
            # any_errors_fatal and a rescue took a failure over: Ansible fails the whole batch at this
            # task, so every other host leaves the block too (into its rescue, if it has one)
            peer_failed = bool(rescued) and self._fatal_on_error(state, task)
            for host in group:
                if host not in failing:
                    cursors[host].send(_peer_failure(host, task) if peer_failed else outcomes[host])
            # a failure that a rescue took over is not a failure for any_errors_fatal/max_fail_percentage
            self._after_task(state, task, {host: outcome for host, outcome in outcomes.items()
                                           if host not in rescued})

    def run_task(self, state: PlayState, executor: TaskExecutor, task: Task,
                 params: dict[str, dict[str, Any]], handler: bool = False) -> dict[str, Outcome]:
        hosts = list(params)
        first_view = self.run.vars.view(hosts[0], state, task, params[hosts[0]])
        self.run.announce_load_warnings()
        name = state.task_name(task, first_view)
        if task.module == "meta":  # announced host by host, as Ansible does
            return self._meta(state, executor, task, params, name, handler)
        if self.run.step is not None and not self.run.step.allows(name, handler):  # --step, answered no
            return {host: Outcome(host=host, task=task, result={"skipped": True, "changed": False}) for host in hosts}
        self.run.bus.emit(TaskStart(task=task, name=name, handler=handler, hosts=hosts))
        run_once = executor.flag(task, "run_once", first_view)
        targets = hosts[:1] if run_once else hosts
        throttle = task.get("throttle")
        limit = throttle_limit(throttle, lambda value: self.run.templar.template(value, first_view))
        limiter = threading.BoundedSemaphore(limit) if limit else None

        tickets = {h: self.run.slots.take_ticket() for h in targets}

        def work(host: str) -> Outcome:
            # the first host's variables were just built for the banner: nothing it sees has changed since
            view = first_view if host == hosts[0] else None
            with self.run.slots.held(tickets[host]):
                if limiter is None:
                    return executor.execute(host, task, params[host], view)
                with limiter:
                    return executor.execute(host, task, params[host], view)

        from concurrent.futures import as_completed

        futures = {self._forks().submit(work, h): h for h in targets}
        outcomes: dict[str, Outcome] = {}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.host] = outcome
            self._count(outcome)
            facts = _cacheable_facts(outcome) if task.module == "set_fact" else \
                {} if task.module == "include_vars" else outcome.result.get("ansible_facts")  # those two store their own
            if facts and not outcome.failed:
                holder = outcome.delegated_to if outcome.delegated_to and self._truthy(task.get("delegate_facts")) \
                    else outcome.host
                self.run.store_facts(holder, facts)
        if task.module in ("include_tasks", "include_role"):
            self._announce_includes(task, [outcomes[h] for h in targets if h in outcomes])
        if run_once:
            first = outcomes[targets[0]]
            for host in hosts[1:]:
                outcomes[host] = Outcome(host=host, task=task, result=first.result, ignored=first.ignored)
                self._share_run_once_facts(task, host, first)
        return outcomes

    def _share_run_once_facts(self, task: Task, host: str, first: Outcome) -> None:
        """A run_once task's facts (set_fact, include_vars, a module's ansible_facts) reach every
        host of the batch, as in Ansible."""
        facts = first.result.get("ansible_facts")
        if not facts or first.failed or self._truthy(task.get("delegate_facts")):
            return
        if task.module == "set_fact":
            self.run.host_state(host).registered.update(facts)
            cacheable = _cacheable_facts(first)
            if cacheable:
                self.run.store_facts(host, cacheable)
        elif task.module == "include_vars":
            self.run.host_state(host).include_vars.update(facts)
        else:
            self._store_facts(host, first.result)

    def _announce_includes(self, task: Task, outcomes: list[Outcome]) -> None:
        """One `included: FILE for h1, h2` line per distinct file (and item), like Ansible."""
        grouped: dict[tuple[str, str, bool], list[str]] = {}
        for outcome in outcomes:
            for path, label, looped in outcome.included:
                grouped.setdefault((path, str(label), looped), []).append(outcome.host)
        for (path, label, looped), hosts in grouped.items():
            data: dict[str, Any] = {"path": path, "hosts": hosts}
            if looped:
                data["label"] = label
            self.run.bus.emit(Included(task=task, **data))

    def _store_facts(self, host: str, result: dict[str, Any]) -> None:
        self.run.store_facts(host, result.get("ansible_facts") or {})

    def _count(self, outcome: Outcome) -> None:
        run = self.run
        host = outcome.host
        if outcome.unreachable:
            if outcome.ignored:
                run.count(host, "ok")
                run.count(host, "ignored")
            else:
                run.count(host, "unreachable")
            return
        if outcome.failed:
            if outcome.ignored:
                run.count(host, "ok")
                run.count(host, "ignored")
                if outcome.changed:
                    run.count(host, "changed")
            return  # counted as failed only if no rescue catches it
        if outcome.skipped:
            run.count(host, "skipped")
            return
        includes = outcome.includes
        run.count(host, "ok", len(includes) if includes else 1)
        if outcome.changed:
            run.count(host, "changed")

    def _after_task(self, state: PlayState, task: Task, outcomes: dict[str, Outcome]) -> None:
        failures = [o for o in outcomes.values() if o.fatal]
        if not failures:
            return
        stops = self._truthy(task.get("any_errors_fatal")) or self._truthy(state.play.get("any_errors_fatal")) \
            or state.play.get("max_fail_percentage") is not None
        if stops:  # the play may end right here: count the real failures first
            for outcome in failures:
                if not outcome.unreachable:
                    self._host_failed(state, outcome.host)
        if self._fatal_on_error(state, task):
            for host in state.active_hosts():
                if host not in outcomes or not outcomes[host].fatal:
                    state.removed.add(host)
                    self.run.dead_hosts.add(host)
            self.run.failed_any = True
            self.play_failed = True
            raise _StopPlay()
        limit = state.play.get("max_fail_percentage")
        if limit is not None:
            failed = len([h for h in state.hosts if h in self.run.dead_hosts or outcomes.get(h) and outcomes[h].fatal])
            if failed / len(state.hosts) * 100 > float(limit):
                self.run.bus.emit(NoMoreHosts())
                self.run.bus.emit(NoMoreHosts())
                for host in state.active_hosts():
                    state.removed.add(host)
                    self.run.dead_hosts.add(host)
                self.play_failed = True
                raise _StopPlay()

    def _fatal_on_error(self, state: PlayState, task: Task) -> bool:
        return self._truthy(task.get("any_errors_fatal")) or self._truthy(state.play.get("any_errors_fatal"))

    @staticmethod
    def _truthy(value: Any) -> bool:
        """A boolean keyword's effect (its type was checked at load and after templating)."""
        return as_flag(value)

    def _host_failed(self, state: PlayState, host: str) -> None:
        if host in state.removed:
            return
        state.removed.add(host)
        self.run.dead_hosts.add(host)
        if host not in self.run.unreachable_hosts:
            self.run.count(host, "failed")
            self.run.failed_any = True

    # ------------------------------------------------------------------ one host's walk
    # ------------------------------------------------------------------ handlers
    def _notify(self, state: PlayState, outcome: Outcome) -> None:
        names = outcome.task.get("notify")
        if not names or not outcome.changed or outcome.failed:
            return
        view = self.run.vars.view(outcome.host, state, outcome.task)
        pending = self.run.host_state(outcome.host).notified
        for name in names:
            try:
                rendered = self.run.templar.template(name, view)
            except TemplateError:
                rendered = name
            for entry in rendered if isinstance(rendered, list) else [rendered]:
                matches = self._handlers_for(state.play, str(entry))
                if not matches:
                    raise MiniplayError(f"The requested handler '{entry}' was not found in either the main handlers "
                                        "list nor in the listening handlers list", outcome.task.location)
                for handler in matches:
                    pending.setdefault(handler.uid, handler.display_name)
                    self.run.bus.emit(Notify(host=outcome.host, task=outcome.task, handler=handler.display_name))

    @staticmethod
    def _handlers_for(play: Play, name: str) -> list[Task]:
        """Handlers a notify reaches: one handler by that name, and every listener of it.

        As in Ansible, whose handlers sit in blocks (one for the play's own handlers, one for each
        role's) searched last block first, in order within a block: among same-named handlers the
        last role (or the play) wins, and inside one handlers list the first one defined does."""
        named: Task | None = None
        listening: dict[str | None, Task] = {}
        for handler in play.handlers:
            names = {handler.name, handler.display_name, *(f"{prefix} : {handler.name}" for prefix in handler.role_prefixes)}
            if name in names and (named is None or named.role_path != handler.role_path):
                named = handler
            if name in handler.listen:
                same = listening.get(handler.name)
                if handler.name is None or same is None or same.role_path != handler.role_path:
                    listening[handler.name if handler.name is not None else f"#{handler.uid}"] = handler
        chosen = sorted(listening.values(), key=lambda h: h.uid)
        return ([named] if named is not None and named not in chosen else []) + chosen

    def announce_notified(self, host: str) -> None:
        """The handlers waiting on this host, in the order they were notified (Ansible's -vv
        `NOTIFIED HANDLER` lines, shown when a flush takes them)."""
        for name in self.run.host_state(host).notified.values():
            self.run.bus.emit(Notified(host=host, handler=name))

    def flush_handlers(self, state: PlayState, executor: TaskExecutor, hosts: list[str],
                       announced: bool = False) -> None:
        force = self._forces_handlers(state.play)
        if not announced:
            for host in hosts:
                self.announce_notified(host)
        for handler in state.play.handlers:
            targets = []
            for host in hosts:
                notified = self.run.host_state(host).notified
                if handler.uid in notified and (host not in state.removed or force):
                    targets.append(host)
            if not targets:
                continue
            names = {host: self.run.host_state(host).notified.pop(handler.uid, None) for host in targets}
            outcomes = self.run_task(state, executor, handler, {h: {} for h in targets}, handler=True)
            if self.run.step is not None and self.run.step.declined:  # --step said no: still notified
                for host, notified_as in names.items():
                    self.run.host_state(host).notified[handler.uid] = str(notified_as)
                continue
            for host, outcome in outcomes.items():
                if outcome.fatal:
                    if outcome.unreachable:
                        self.run.unreachable_hosts.add(host)
                        state.removed.add(host)
                        self.run.dead_hosts.add(host)
                    else:
                        self._host_failed(state, host)
            included = {host: outcome.includes for host, outcome in outcomes.items()
                        if outcome.includes and not outcome.fatal}
            if included:  # a handler that is an include_tasks/include_role runs what it included, as handlers
                forced = {host for host in included if force and host in state.removed}
                self.iterator.forced |= forced
                try:
                    self._run_cursors(state, executor, {
                        host: self.iterator.includes_cursor(state, host, includes, (handler.uid,))
                        for host, includes in included.items()}, handler=True, forced=frozenset(forced))
                finally:
                    self.iterator.forced -= forced

    # ------------------------------------------------------------------ meta
    def _meta(self, state: PlayState, executor: TaskExecutor, task: Task,
              params: dict[str, dict[str, Any]], name: str, handler: bool = False) -> dict[str, Outcome]:
        """Run a meta action as Ansible's linear strategy does: host by host, each with its own
        banner and `when`, except the play-wide actions, which the first host decides for all."""
        action = str(task.args.get("_raw_params", "")).strip()
        if action not in META_ACTIONS:
            raise MiniplayError(f"invalid meta action requested: {action}", task.location)
        if handler and action == "flush_handlers":  # Ansible stops the run here, exit 1
            self.run.bus.emit(TaskStart(task=task, name=name, handler=handler, hosts=list(params)[:1]))
            raise MiniplayError("flush_handlers cannot be used as a handler")
        hosts = list(params)
        deciding = hosts[:1] if action in META_ONCE else hosts
        outcomes: dict[str, Outcome] = {}
        flushing = []
        for host in deciding:
            self.run.bus.emit(TaskStart(task=task, name=name, handler=handler, hosts=[host]))
            holds = True
            if action in META_WITHOUT_WHEN and task.when:
                self.run.bus.emit(WarningEvent(text=f"{action} task does not support when conditional"))
            else:
                holds, _ = self.run.templar.all_true(task.when, self.run.vars.view(host, state, task, params[host]))
            if holds:
                result = {"msg": self._meta_act(state, action, host, hosts), "changed": False}
                if action == "flush_handlers":
                    flushing.append(host)
            else:
                reason = f"{action} conditional evaluated to False{META_SKIP_REASONS[action].format(host=host)}"
                result = {"msg": action, "skipped": True, "skip_reason": reason}
                if action == "end_host":  # Ansible keeps an older wording in msg for this one
                    result["msg"] = f"end_host conditional evaluated to false, continuing execution for {host}"
            header = result["skip_reason"] if result.get("skipped") else result["msg"]
            self.run.bus.emit(Verbose(host=host, task=task, level=2, text=f"META: {header}"))
            if result.get("skipped"):  # shown, but not counted in the recap, as in Ansible
                self.run.bus.emit(HostResult(host=host, task=task, result=result, status="skipped"))
            outcomes[host] = Outcome(host=host, task=task, result=result)
        for host in hosts[len(deciding):]:
            outcomes[host] = Outcome(host=host, task=task, result=outcomes[deciding[0]].result)
        if flushing:  # the handlers then run once, for every host that flushed, side by side
            self.flush_handlers(state, executor, flushing, announced=True)
        return outcomes

    def _meta_act(self, state: PlayState, action: str, host: str, hosts: list[str]) -> str:
        """Carry out one meta action for `host` (or, for play-wide ones, for all); its message.
        flush_handlers only announces here: the caller runs the handlers for all hosts at once."""
        if action == "flush_handlers":
            self.announce_notified(host)
            return f"triggered running handlers for {host}"
        if action in ("end_play", "end_batch"):
            for active in state.active_hosts():
                state.removed.add(active)
            return "ending play" if action == "end_play" else "ending batch"
        if action == "end_host":
            state.removed.add(host)
            return f"ending play for {host}"
        if action == "clear_host_errors":
            self.iterator.errors_cleared.update(hosts)  # those still in a failed block's always carry on after it
            for failed in list(self.run.dead_hosts):
                if failed in state.hosts and failed not in self.run.unreachable_hosts:
                    self.run.dead_hosts.discard(failed)
                    state.removed.discard(failed)
            return "cleared host errors"
        if action == "clear_facts":
            for each in hosts:
                self.run.clear_facts(each)
            return "facts cleared"
        if action == "reset_connection":
            return "reset connection" if self.run.connections.reset(host) else "no connection, nothing to reset"
        if action == "refresh_inventory":
            self.run.refresh_inventory()
            return "inventory successfully refreshed"
        return action  # noop, end_role (roles end with their block)


def _ordered(hosts: list[str], order: Any) -> list[str]:
    """The play's `order:` — inventory (default), reverse_inventory, sorted, reverse_sorted, shuffle."""
    if order in (None, "inventory"):
        return hosts
    if order == "reverse_inventory":
        return list(reversed(hosts))
    if order == "sorted":
        return sorted(hosts)
    if order == "reverse_sorted":
        return sorted(hosts, reverse=True)
    if order == "shuffle":
        import random

        shuffled = list(hosts)
        random.shuffle(shuffled)
        return shuffled
    raise MiniplayError(f"'order' must be one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle; "
                        f"got {order!r}")


def _peer_failure(host: str, task: Task) -> Outcome:
    """What a host's walk sees when any_errors_fatal fails it along with another host."""
    return Outcome(host=host, task=task, result={"failed": True, "_miniplay_peer_failed": True,
                                                 "msg": "another host failed and any_errors_fatal is set"})


class _StopPlay(Exception):
    """any_errors_fatal or max_fail_percentage ended the play."""


def _cacheable_facts(outcome: Outcome) -> dict[str, Any]:
    """What a set_fact with `cacheable: true` set (each item's, in a loop): host facts too, which
    the fact cache keeps."""
    items = outcome.result.get("results")
    facts: dict[str, Any] = {}
    for result in items if isinstance(items, list) else [outcome.result]:
        if isinstance(result, dict) and ResultNotes.of(result).facts_cacheable and not result.get("failed"):
            facts.update(result.get("ansible_facts") or {})
    return facts
