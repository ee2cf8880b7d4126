"""`miniplay check`: the async mistakes the plan shows before anything runs.

Each check walks the per-host graphs from `graph.py` and reports a `Finding`
with the file:line of the task to look at:

unjoined-job          a `poll: 0` job that no later task joins (no async_status
                      reads its `ansible_job_id`)
join-gives-up-early   an async_status join whose retries × delay is shorter than
                      the job's async limit: it stops waiting while the job runs on
job-limit-too-short   a job killed at its async limit before the work it is given can
                      end: the command itself sleeps (or a wait_for waits) longer than
                      the limit. (A join that waits longer than the limit is not a
                      finding: it sees the job killed and fails cleanly.)
package-lock          a `poll: 0` apt/yum/dnf/package job followed on the same host by
                      another package task before the job is joined: both want the
                      package manager's lock
async-check-mode      async on a task that runs in check mode (`check_mode: true`, or
                      `-C` given): check mode and async do not go together
handler-on-launch     a handler notified by a `poll: 0` task: it runs when the job is
                      launched, not when it is done
until-never-changes   an `until` that does not read the task's registered result, so its
                      value cannot change between attempts

Numbers are compared only when the playbook (or play vars / -e) gives them;
values only a run can know are left alone rather than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.locations import shown
from ..templating.varrefs import value_refs
from .graph import PACKAGE_MODULES, HostGraph, Plan, static_int, static_number, truthy

SLEEP = re.compile(r"\bsleep\s+(\d+)\b")
CODES = ("unjoined-job", "join-gives-up-early", "job-limit-too-short", "package-lock", "async-check-mode",
         "handler-on-launch", "until-never-changes")


@dataclass
class Finding:
    code: str
    location: str
    message: str
    task: str
    hosts: list[str] = field(default_factory=list)

    def line(self, show_hosts: bool = False) -> str:
        text = f"{_relative(self.location)}: {self.code}: {self.message}"
        if show_hosts and self.hosts:
            text += f" [hosts: {', '.join(self.hosts)}]"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "location": self.location, "message": self.message, "task": self.task,
                "hosts": self.hosts}


def _relative(location: str) -> str:
    return shown(location)


def _name(attrs: dict[str, Any]) -> str:
    return str(attrs.get("label", "?"))


class _Checker:
    def __init__(self, plan: Plan, group: HostGraph, check_mode: bool) -> None:
        self.plan = plan
        self.group = group
        self.graph = group.graph
        self.check_mode = check_mode
        self.found: list[Finding] = []

    def add(self, code: str, nid: str, message: str) -> None:
        attrs = self.graph.nodes[nid]
        self.found.append(Finding(code, attrs.get("location", ""), message, _name(attrs), list(self.group.hosts)))

    def joins_of(self, nid: str) -> list[str]:
        return [t for _, t, d in self.graph.out_edges(nid, data=True) if d["kind"] == "job"]

    def run(self) -> list[Finding]:
        for nid in self.group.order:
            task = self.group.tasks.get(nid)
            if task is None:
                continue
            attrs = self.graph.nodes[nid]
            role = attrs.get("async_role")
            if role == "launch":
                self.launch(nid, attrs)
            if role in ("launch", "polled"):
                self.work_fits(nid, attrs, task)
                self.async_check_mode(nid, attrs, task)
            if task.get("until"):
                self.until(nid, attrs, task)
        return self.found

    # ------------------------------------------------------------------ poll: 0 jobs
    def launch(self, nid: str, attrs: dict[str, Any]) -> None:
        joins = self.joins_of(nid)
        limit = attrs.get("async")
        if not joins:
            register = attrs.get("register")
            why = (f"no later task reads {register}.ansible_job_id (an async_status join)" if register
                   else "it registers nothing, so no async_status can find its job id")
            self.add("unjoined-job", nid, f"'{_name(attrs)}' starts an async job (async: {limit}, poll: 0) that "
                     f"nothing joins: {why}; its result and any failure go unseen and its job file is never "
                     "cleaned up")
        for join in joins:
            self.join_timing(nid, attrs, join)
        for _, handler, data in self.graph.out_edges(nid, data=True):
            if data["kind"] == "notify":
                self.add("handler-on-launch", nid, f"'{_name(attrs)}' (poll: 0) notifies handler "
                         f"'{_name(self.graph.nodes[handler])}': the handler runs once the job is launched "
                         "(the launch reports a change), not once the job has finished")
        if attrs.get("module") in PACKAGE_MODULES:
            self.package_lock(nid, attrs, joins)

    def join_timing(self, launch: str, attrs: dict[str, Any], join: str) -> None:
        task = self.group.tasks[join]
        jattrs = self.graph.nodes[join]
        variables = {**_play_vars(self.plan, jattrs), **self.plan.variables}
        until = task.get("until")
        retries_raw = task.get("retries")
        if not until and retries_raw is None:
            return  # one status read, not a wait
        retries = static_int(retries_raw, variables) if retries_raw is not None else 3
        delay_raw = task.get("delay", 5)
        delay = static_number(delay_raw, variables)
        limit = attrs.get("async") if isinstance(attrs.get("async"), int) else None
        if retries is None or delay is None or limit is None:
            return
        wait = retries * delay
        where = _relative(attrs.get("location", ""))
        if wait < limit:
            self.add("join-gives-up-early", join, f"'{_name(jattrs)}' waits at most {retries} × {delay:g}s = {wait:g}s "
                     f"for the job of '{_name(attrs)}' ({where}), which may run for up to {limit}s (async: {limit}): "
                     "the join gives up while the job still runs")
        # a join that waits longer than the limit is safe: it sees the job killed and fails cleanly

    def package_lock(self, nid: str, attrs: dict[str, Any], joins: list[str]) -> None:
        order = self.group.order
        start = order.index(nid)
        for other in order[start + 1:]:
            if other in joins:
                return
            task = self.group.tasks.get(other)
            if task is None or task.module not in PACKAGE_MODULES:
                continue
            oattrs = self.graph.nodes[other]
            when = "before the job is joined" if joins else "and the job is never joined"
            self.add("package-lock", other, f"'{_name(oattrs)}' runs {task.module} while the poll: 0 job "
                     f"'{_name(attrs)}' ({_relative(attrs.get('location', ''))}) may still hold the package "
                     f"manager's lock ({when}): it can fail or hang on the lock; join the job first")

    # ------------------------------------------------------------------ any async task
    def work_fits(self, nid: str, attrs: dict[str, Any], task: Any) -> None:
        limit = attrs.get("async") if isinstance(attrs.get("async"), int) else None
        if limit is None:
            return
        work: tuple[int, str] | None = None
        if task.module in ("command", "shell"):
            text = str(task.args.get("_raw_params") or task.args.get("cmd") or "")
            longest = max((int(m.group(1)) for m in SLEEP.finditer(text)), default=None)
            if longest is not None:
                work = (longest, f"its command sleeps {longest}s")
        elif task.module == "wait_for":
            variables = {**_play_vars(self.plan, attrs), **self.plan.variables}
            timeout = static_int(task.args.get("timeout", 300), variables)
            if timeout is not None:
                work = (timeout, f"its wait_for waits up to {timeout}s")
        if work is not None and work[0] >= limit:
            self.add("job-limit-too-short", nid, f"'{_name(attrs)}' is killed after {limit}s (async: {limit}), "
                     f"but {work[1]}: the job is killed before its work can end")

    def async_check_mode(self, nid: str, attrs: dict[str, Any], task: Any) -> None:
        flag = task.get("check_mode")
        on = truthy(flag) if flag is not None else self.check_mode
        if on:
            why = "check_mode: true" if flag is not None else "the run uses --check"
            self.add("async-check-mode", nid, f"'{_name(attrs)}' is async and runs in check mode ({why}): check "
                     "mode and async do not go together, so no job starts and nothing can be joined; set "
                     "check_mode: false on it or drop async")

    # ------------------------------------------------------------------ until
    def until(self, nid: str, attrs: dict[str, Any], task: Any) -> None:
        refs = value_refs(task.get("until"), conditional=True)
        register = task.register
        if refs.lookups or (register and register in refs.names):
            return
        reads = ", ".join(sorted(refs.names)) or "no variable"
        if register:
            why = f"but the task registers '{register}'"
        else:
            why = "but the task registers nothing"
        self.add("until-never-changes", nid, f"'{_name(attrs)}' retries until a condition that reads {reads}, {why}: "
                 "until sees each attempt's result only through the registered name, so its value never changes "
                 "between attempts")


def _play_vars(plan: Plan, attrs: dict[str, Any]) -> dict[str, Any]:
    index = attrs.get("play")
    if isinstance(index, int) and index < len(plan.playbook.plays):
        return dict(plan.playbook.plays[index].vars)
    return {}


def check_plan(plan: Plan, check_mode: bool = False) -> list[Finding]:
    """Every finding, once per task location (with every host it concerns), in file order."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for group in plan.groups:
        for finding in _Checker(plan, group, check_mode).run():
            key = (finding.code, finding.location, finding.message)
            if key in merged:
                merged[key].hosts += [h for h in finding.hosts if h not in merged[key].hosts]
            else:
                merged[key] = finding
    return sorted(merged.values(), key=lambda f: (_sort_key(f.location), CODES.index(f.code)))


def _sort_key(location: str) -> tuple[str, int]:
    parts = location.split(":")
    try:
        return parts[0], int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return parts[0], 0


def report(plan: Plan, findings: list[Finding]) -> str:
    show_hosts = len(plan.groups) > 1
    lines = [f.line(show_hosts) for f in findings]
    tasks = sum(len(g.tasks) for g in plan.groups)
    where = shown(plan.playbook.path)
    if findings:
        noun = "mistake" if len(findings) == 1 else "mistakes"
        lines.append(f"check: {len(findings)} async {noun} found in {where}")
    else:
        lines.append(f"check: no async mistakes found in {where} ({tasks} tasks on {len(plan.hosts)} "
                     f"host{'s' if len(plan.hosts) != 1 else ''} checked)")
    return "\n".join(lines) + "\n"
