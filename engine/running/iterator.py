"""The host iterator: which task is next for one host, walking the play's blocks.

How this works
--------------
Each host walks the play with its own `Cursor`, a generator over blocks, rescue and always
branches and dynamic includes: it yields a step (the task's path in the play tree, the task,
its include params) and is sent the task's `Outcome` on that host, from which it decides where
the host goes next (on, into a rescue, out of the play). A strategy only chooses which cursors
to advance and when: the linear one takes the earliest step any host is waiting on and runs it
on every host waiting on that same step; a `free` one would advance each host on its own.
"""
from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

from ..core.model import Block, Node, Task
from ..core.results import Outcome, visible
from ..loading.roles import ROLE_MARK, first_run_of_role
from .playstate import PlayState

if TYPE_CHECKING:
    from ..templating.templar import Templar
    from ..vars.layers import HostState
    from ..vars.manager import VariableManager

Step = tuple[tuple[int, ...], Task, dict[str, Any]]
Walker = Generator[Step, Outcome, bool]


class IteratorServices(Protocol):
    """The parts of the run a host's walk reads and marks."""

    templar: Templar
    vars: VariableManager
    dead_hosts: set[str]
    unreachable_hosts: set[str]

    def host_state(self, host: str) -> HostState:
        """What the run learned about the host (registered values, roles run)."""

    def selected(self, task: Task) -> bool:
        """Whether --tags / --skip-tags / --start-at-task let the task run."""

    def count(self, host: str, key: str, amount: int = 1) -> None:
        """Add to the host's recap counts (rescued)."""


class Cursor:
    """One host's place in its walk: the step it waits on, or finished (ok or not)."""

    def __init__(self, walker: Walker) -> None:
        self.walker = walker
        self.current: Step | None = None
        self.finished = False
        self.ok = True
        self._advance(None)

    def _advance(self, outcome: Outcome | None) -> None:
        try:
            self.current = next(self.walker) if outcome is None else self.walker.send(outcome)
        except StopIteration as stop:
            self.current = None
            self.finished = True
            self.ok = bool(stop.value) if stop.value is not None else True

    def send(self, outcome: Outcome) -> None:
        self._advance(outcome)

    @property
    def step(self) -> Step:
        """The step the host waits on, for a cursor that has not finished."""
        if self.current is None:
            raise RuntimeError("the host's walk has finished: it waits on no step")
        return self.current



class HostIterator:
    """Makes the cursors; remembers each host's last failure for its rescue (ansible_failed_*)."""

    def __init__(self, run: IteratorServices) -> None:
        self.run = run
        self.last_failure: dict[str, Outcome] = {}   # per host: what a rescue sees as ansible_failed_*
        self.errors_cleared: set[str] = set()  # hosts a meta clear_host_errors reached while they were failing
        self.forced: set[str] = set()  # failed hosts walking what a forced handler included (force_handlers)

    def cursor(self, state: PlayState, host: str, nodes: list[Node]) -> Cursor:
        """A cursor over `nodes` (a play section, or handlers) for the host."""
        return Cursor(self._walk(state, host, nodes, (), {}))

    def includes_cursor(self, state: PlayState, host: str, includes: list, path: tuple[int, ...]) -> Cursor:
        """A cursor over what an include (run as a handler) loaded for the host."""
        return Cursor(self._walk_includes(state, host, includes, path))

    def _first_run_of_role(self, state: PlayState, host: str, block: Block) -> bool:
        """False when this use of a role already ran on the host in this play (Ansible's has_run)."""
        ran = self.run.host_state(host).roles_ran.setdefault(id(state.play), set())

        def holds(conditions: list[Any], first: Task | None) -> bool:
            return self.run.templar.all_true(conditions, self.run.vars.view(host, state, first))[0]

        return first_run_of_role(ran, block, holds)

    def _walk(self, state: PlayState, host: str, nodes: list[Node], path: tuple[int, ...],
              params: dict[str, Any]) -> Walker:
        for index, node in enumerate(nodes):
            step_path = path + (index,)
            if host in state.removed and host not in self.forced:
                return True
            if isinstance(node, Block):
                if ROLE_MARK in node.keywords and not self._first_run_of_role(state, host, node):
                    continue  # this use of the role already ran on this host (Ansible's has_run)
                ok = yield from self._walk_block(state, host, node, step_path, params)
                if not ok:
                    return False
                continue
            if not self.run.selected(node):
                continue
            outcome = yield (step_path, node, params)
            if outcome.unreachable and not outcome.ignored:
                self.run.unreachable_hosts.add(host)
                state.removed.add(host)
                self.run.dead_hosts.add(host)
                return False
            if outcome.fatal:
                self.last_failure[host] = outcome
                return False
            for number, (sub_nodes, sub_params) in enumerate(outcome.includes):
                ok = yield from self._walk(state, host, sub_nodes, step_path + (number,), {**params, **sub_params})
                if not ok:
                    return False
            if host in state.removed and host not in self.forced:
                return True
        return True

    def _walk_includes(self, state: PlayState, host: str, includes: list, path: tuple[int, ...]) -> Walker:
        for number, (sub_nodes, sub_params) in enumerate(includes):
            ok = yield from self._walk(state, host, sub_nodes, path + (number,), sub_params)
            if not ok:
                return False
        return True

    def _walk_block(self, state: PlayState, host: str, block: Block, path: tuple[int, ...],
                    params: dict[str, Any]) -> Walker:
        ok = yield from self._walk(state, host, block.block, path + (0,), params)
        if not ok and block.rescue and host not in self.run.unreachable_hosts:
            failure = self.last_failure.get(host)
            if failure is not None and failure.notes.peer_failed:
                failure = None  # failed with the batch, not by itself: no rescued count, no ansible_failed_*
            else:
                self.run.count(host, "rescued")
            if failure is not None:
                registered = self.run.host_state(host).registered
                registered["ansible_failed_task"] = {"name": failure.task.name or failure.task.action,
                                                     "action": failure.task.action,
                                                     "uuid": str(failure.task.uid)}
                registered["ansible_failed_result"] = {k: v for k, v in visible(failure.result).items()
                                                       if not k.startswith("_ansible")}
            ok = yield from self._walk(state, host, block.rescue, path + (1,), params)
        if block.always and host not in self.run.unreachable_hosts:
            self.errors_cleared.discard(host)
            always_ok = yield from self._walk(state, host, block.always, path + (2,), params)
            # a meta clear_host_errors in the always takes the block's failure back, as in Ansible
            # (the failure still counts in the recap; the host carries on and the exit code is 0)
            if not ok and host in self.errors_cleared:
                self.run.count(host, "failed")
                ok = True
            ok = ok and always_ok
            self.errors_cleared.discard(host)
        return ok
