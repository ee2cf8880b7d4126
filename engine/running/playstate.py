"""One play (one serial batch) in progress: its hosts, which are still in it, its vars files.

Kept apart from the strategy, so another strategy (a `free` one) walks the same state.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.errors import MiniplayError, source_excerpt
from ..core.model import Play, Task
from ..loading.varsfiles import resolve_vars_files
from ..vars.layers import Layer

if TYPE_CHECKING:
    from ..templating.templar import Templar
    from ..vars.manager import VariableManager


class PlayState:
    """One play (one serial batch) in progress: its hosts and which are still in it."""

    def __init__(self, variables: VariableManager, templar: Templar, play: Play, hosts: list[str],
                 all_hosts: list[str], matched_hosts: list[str], yaml_warnings: list[str], vault: Any = None,
                 warn: Callable[[str], object] | None = None) -> None:
        self.variables = variables
        self.yaml_warnings = yaml_warnings   # the run's: duplicate keys in the play's vars_files
        self.vault = vault                   # decrypts vault-encrypted vars files
        self.warn = warn                     # shows a warning (a vars_files entry skipped)
        self.templar = templar
        self.play = play
        self.hosts = list(hosts)
        self.all_hosts = list(all_hosts)
        # every host the play's pattern matched, in inventory order, hosts failed in earlier plays
        # included: `ansible_play_hosts_all`, as Ansible has it
        self.matched_hosts = list(matched_hosts)
        self.removed: set[str] = set()      # failed, unreachable or ended hosts
        self.hostvars = variables.make_hostvars(self)
        self._vars_files: dict[str, list[Layer]] = {}
        self._active: tuple[frozenset[str], list[str]] | None = None   # (removed, active hosts)
        self._alive: tuple[frozenset[str], list[str]] | None = None    # (dead hosts, play hosts)
        self._lock = threading.Lock()

    def active_hosts(self) -> list[str]:
        """The batch's hosts still in the play (a fresh list). Every host's variables hold it for
        every task, so the walk over the batch is redone only when `removed` changed: comparing
        with the last copy of that set (few hosts fail) is cheap where walking 1,000 hosts for
        each of 1,000 hosts is not."""
        cached = self._active
        if cached is None or cached[0] != self.removed:
            removed = frozenset(self.removed)
            cached = self._active = (removed, [h for h in self.hosts if h not in removed])
        return list(cached[1])

    def play_hosts(self, dead_hosts: set[str]) -> list[str]:
        """The play's hosts (every batch: serial does not narrow it) minus the run's failed and
        unreachable ones, as `ansible_play_hosts` has them; redone only when `dead_hosts` changed."""
        cached = self._alive
        if cached is None or cached[0] != dead_hosts:
            dead = frozenset(dead_hosts)
            cached = self._alive = (dead, [h for h in self.all_hosts if h not in dead])
        return list(cached[1])

    def vars_files_layers(self, host: str) -> list[Layer]:
        layers = self._vars_files.get(host)
        if layers is None:
            if not self.play.vars_files:
                layers = []
            else:
                base = self.variables.view(host, None)
                base.layers.insert(2, Layer("play vars", self.play.vars))
                loaded = resolve_vars_files(self.play.vars_files, self.play.basedir,
                                            lambda name: base.templar.template(name, base), self.yaml_warnings,
                                            self.vault, self._skipped_vars_file,
                                            self.play.value_locations.get("vars_files"))
                layers = [Layer(f"vars file {path}", values) for path, values in reversed(loaded)]
            with self._lock:
                self._vars_files[host] = layers
        return layers

    def _skipped_vars_file(self, index: int) -> None:
        """Ansible's warning for a vars_files entry skipped for an undefined variable (once per run)."""
        if self.warn is None:
            return
        where = self.play.vars_files_where[index] if index < len(self.play.vars_files_where) else self.play.location
        excerpt = source_excerpt(where.path, where.line, where.column)
        self.warn("\n".join(["skipping vars_files item due to an undefined variable", f"Origin: {where}",
                             *([""] + excerpt if excerpt else []), ""]))

    def task_name(self, task: Task, view: Any = None) -> str:
        """The banner name, templated with the host's vars when that works."""
        name = task.display_name
        if task.name and view is not None and "{{" in task.name:
            try:
                rendered = self.templar.template(task.name, view)
                base = str(rendered)
                name = f"{task.role} : {base}" if task.role else base
            except MiniplayError:
                pass
        return name
