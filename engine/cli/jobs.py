"""`miniplay jobs`: see and stop the async jobs on your hosts, from their job files.

    miniplay jobs list   [PATTERN] [-i INV]            every job file on the hosts, with its state
    miniplay jobs status JID [-i INV] [-l PATTERN]     what async_status would say, and where
    miniplay jobs wait   JID... [--max-wait S]         wait until the jobs end; exit 2 if one failed
    miniplay jobs kill   JID... [-i INV] [-l PATTERN]  stop a job and everything it started
    miniplay jobs clean  [PATTERN] [--older-than 1d]   remove the files of jobs that are over

Everything is read from the job files on the targets (over the usual connection and
worker), so it works for jobs another run started, or after the controller died.
Without an inventory, the implicit `localhost` is used, as with `ansible`.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from ..core.errors import CliError
from ..core.options import Options

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
FINAL_STATES = {"ok", "changed", "failed", "timeout", "killed", "skipped", "lost"}
FAILED_STATES = {"failed", "timeout", "killed", "lost"}


def parse_duration(text: str) -> float:
    """`90`, `30s`, `10m`, `2h`, `1d`, `1w` → seconds."""
    match = DURATION.match(text or "")
    if not match:
        raise CliError(f"--older-than: '{text}' is not a duration (use e.g. 30s, 10m, 2h, 1d)")
    return float(match.group(1)) * UNITS[match.group(2)]


def add_parser(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    jobs = sub.add_parser("jobs", help="list, inspect, wait for, stop and clean up async jobs")
    actions = jobs.add_subparsers(dest="jobs_action", required=True, parser_class=type(jobs))

    def common(parser: argparse.ArgumentParser) -> None:
        add_common(parser)
        parser.add_argument("--async-dir", default=None, help="job directory on the targets "
                            "(default: ansible_async_dir, ANSIBLE_ASYNC_DIR or ~/.ansible_async)")

    listing = actions.add_parser("list", help="every job on the hosts, with its state")
    listing.add_argument("pattern", nargs="?", default=None)
    listing.add_argument("--json", action="store_true", help="print the jobs as JSON")
    common(listing)
    status = actions.add_parser("status", help="the status of one job")
    status.add_argument("jids", nargs=1, metavar="JID")
    common(status)
    wait = actions.add_parser("wait", help="wait until the jobs end")
    wait.add_argument("jids", nargs="+", metavar="JID")
    wait.add_argument("--max-wait", type=float, default=None, metavar="SECONDS",
                      help="give up after this many seconds (exit 1)")
    common(wait)
    kill = actions.add_parser("kill", help="stop jobs and everything they started")
    kill.add_argument("jids", nargs="+", metavar="JID")
    common(kill)
    clean = actions.add_parser("clean", help="remove the files of jobs that are over")
    clean.add_argument("pattern", nargs="?", default=None)
    clean.add_argument("--older-than", default=None, metavar="AGE", help="only jobs that ended before AGE (1d, 2h, 30m)")
    common(clean)


# =========================================================================== talking to the hosts
class JobHosts:
    """The hosts to look at, and one `_jobs` call per host (in parallel)."""

    def __init__(self, option_values: dict[str, Any], pattern: str | None, async_dir: str | None) -> None:
        from ..core.events import EventBus
        from ..running.run import Run

        self.bus = EventBus()
        self.bus.subscribe(self._warn)
        options = Options(**option_values)
        self.run = Run(options, self.bus)
        inventory = self.run.inventory
        if inventory.hosts:
            hosts = [h.name for h in inventory.select(pattern or "all")]
        else:
            hosts = ["localhost"] if (pattern or "localhost") in ("localhost", "all", "127.0.0.1") else []
        if options.limit:
            allowed = {h.name for h in inventory.select(options.limit)} if inventory.hosts else {"localhost"}
            hosts = [h for h in hosts if h in allowed]
        if not hosts:
            raise CliError(f"no hosts matched '{pattern or 'all'}'")
        self.hosts = hosts
        self.async_dir = async_dir
        self.forks = max(1, options.forks)

    @staticmethod
    def _warn(event: Any) -> None:
        if event.kind == "warning":
            sys.stderr.write(f"[WARNING]: {event.data.get('text')}\n")

    def call(self, args: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Run the private `_jobs` module on every host: host → result (failed on trouble)."""
        from ..running.jobs import async_dir_for

        def one(host: str) -> dict[str, Any]:
            try:
                view = self.run.vars.view(host, None)
                directory = self.async_dir or async_dir_for(self.run.options, view)
                worker = self.run.connections.worker(host, view)
                return worker.call({"op": "run", "module": "_jobs", "args": args, "async_dir": directory,
                                    "no_invocation": True})
            except Exception as exc:  # unreachable, no python...: report it for this host only
                message = getattr(exc, "message", None) or str(exc)
                detail = getattr(exc, "detail", "")
                return {"failed": True, "unreachable": True,
                        "msg": message + (f": {detail.strip()}" if detail and detail.strip() else "")}

        import concurrent.futures  # here: the parser of every command imports this module

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(self.forks, len(self.hosts))) as pool:
            results = dict(zip(self.hosts, pool.map(one, self.hosts), strict=False))
        return results

    def close(self) -> None:
        self.run.connections.close_all()


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    import datetime

    return datetime.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    if value < 3600:
        return f"{value / 60:.1f}m"
    if value < 86400:
        return f"{value / 3600:.1f}h"
    return f"{value / 86400:.1f}d"


def _report_unreachable(results: dict[str, dict[str, Any]]) -> bool:
    trouble = False
    for host, result in results.items():
        if result.get("failed"):
            trouble = True
            sys.stderr.write(f"{host} | UNREACHABLE! {result.get('msg')}\n")
    return trouble


# =========================================================================== the actions
def cmd_list(args: argparse.Namespace, hosts: JobHosts) -> int:
    results = hosts.call({"action": "list"})
    trouble = _report_unreachable(results)
    rows: list[dict[str, Any]] = []
    for host in hosts.hosts:
        found = results[host].get("jobs", []) if not results[host].get("failed") else []
        for job in sorted(found, key=lambda j: (j.get("start") or j.get("mtime") or 0, j["jid"])):
            rows.append({"host": host, **job})
    if args.json:
        import json  # here: `miniplay run` imports this file too (for the parser)

        sys.stdout.write(json.dumps(rows, indent=2, sort_keys=True, default=str) + "\n")
        return 1 if trouble and not rows else 0
    if not rows:
        sys.stdout.write("No async jobs found.\n")
        return 1 if trouble else 0
    now = time.time()
    table = [("HOST", "JID", "STATE", "STARTED", "ELAPSED", "LIMIT", "TASK", "COMMAND")]
    for row in rows:
        start = row.get("start")
        end = row.get("end") or (now if row.get("state") == "running" else None)
        elapsed = (end - start) if start and end else None
        table.append((row["host"], row["jid"], row["state"], _when(start), _seconds(elapsed),
                      f"{row['async']}s" if row.get("async") else "-", str(row.get("task") or "-"),
                      (str(row.get("command")) if row.get("command") else "-").replace("\n", "; ")))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for cells in table:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:-1])) + "  " + cells[-1]
        sys.stdout.write(line.rstrip() + "\n")
    return 0


def _found(results: dict[str, dict[str, Any]], jid: str) -> list[tuple[str, dict[str, Any]]]:
    """(host, {"summary", "result"}) for every host that has this job."""
    found = []
    for host, result in results.items():
        if result.get("failed"):
            continue
        for entry in result.get("jobs", []):
            if entry["summary"]["jid"] == jid and entry["summary"]["state"] != "missing":
                found.append((host, entry))
    return found


def _print_status(host: str, entry: dict[str, Any]) -> None:
    import json

    from ..core.results import for_display

    summary = entry["summary"]
    shown = for_display(entry["result"])
    state = summary["state"].upper()
    sys.stdout.write(f"{host} | {state} => {json.dumps(shown, indent=4, sort_keys=True, ensure_ascii=False, default=str)}\n")


def cmd_status(args: argparse.Namespace, hosts: JobHosts) -> int:
    jid = args.jids[0]
    results = hosts.call({"action": "status", "jids": [jid]})
    _report_unreachable(results)
    found = _found(results, jid)
    if not found:
        sys.stderr.write(f"could not find job {jid} on {', '.join(hosts.hosts)}\n")
        return 1
    for host, entry in found:
        _print_status(host, entry)
    return 2 if any(e["summary"]["state"] in FAILED_STATES for _, e in found) else 0


def cmd_wait(args: argparse.Namespace, hosts: JobHosts) -> int:
    pending = list(dict.fromkeys(args.jids))
    deadline = time.monotonic() + args.max_wait if args.max_wait else None
    done: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    first = True
    while pending:
        results = hosts.call({"action": "status", "jids": pending})
        if first:
            _report_unreachable(results)
        for jid in list(pending):
            found = _found(results, jid)
            if not found:
                if first:
                    sys.stderr.write(f"could not find job {jid} on {', '.join(hosts.hosts)}\n")
                    pending.remove(jid)
                    done[jid] = []
                continue
            if all(e["summary"]["state"] in FINAL_STATES for _, e in found):
                pending.remove(jid)
                done[jid] = found
                for host, entry in found:
                    _print_status(host, entry)
        first = False
        if not pending:
            break
        if deadline is not None and time.monotonic() >= deadline:
            sys.stderr.write(f"gave up waiting after {args.max_wait:g}s for: {', '.join(pending)}\n")
            return 1
        time.sleep(0.2)
    if any(not found for found in done.values()):
        return 1
    failed = any(e["summary"]["state"] in FAILED_STATES for found in done.values() for _, e in found)
    return 2 if failed else 0


def cmd_kill(args: argparse.Namespace, hosts: JobHosts) -> int:
    results = hosts.call({"action": "kill", "jids": list(args.jids)})
    _report_unreachable(results)
    killed: set[str] = set()
    for host in hosts.hosts:
        result = results[host]
        if result.get("failed"):
            continue
        for entry in result.get("jobs", []):
            if entry.get("killed"):
                killed.add(entry["jid"])
                sys.stdout.write(f"{host} | KILLED | jid={entry['jid']}\n")
            elif entry.get("msg") != "could not find job":
                sys.stdout.write(f"{host} | NOT KILLED | jid={entry['jid']}: {entry.get('msg')}\n")
    missing = [j for j in args.jids if j not in killed]
    for jid in missing:
        if not any(e.get("jid") == jid and e.get("msg") != "could not find job"
                   for r in results.values() for e in r.get("jobs", [])):
            sys.stderr.write(f"could not find job {jid} on {', '.join(hosts.hosts)}\n")
    return 0 if not missing else 1


def cmd_clean(args: argparse.Namespace, hosts: JobHosts) -> int:
    older = parse_duration(args.older_than) if args.older_than else None
    results = hosts.call({"action": "clean", "older_than": older})
    trouble = _report_unreachable(results)
    for host in hosts.hosts:
        result = results[host]
        if result.get("failed"):
            continue
        removed = result.get("removed", [])
        text = f"{host} | removed {len(removed)} job file{'s' if len(removed) != 1 else ''}"
        if result.get("running"):
            text += f" (kept {result['running']} running)"
        sys.stdout.write(text + "\n")
        for name in removed:
            sys.stdout.write(f"    {name}\n")
    return 1 if trouble else 0


ACTIONS = {"list": cmd_list, "status": cmd_status, "wait": cmd_wait, "kill": cmd_kill, "clean": cmd_clean}


def run_jobs(args: argparse.Namespace, option_values: dict[str, Any]) -> int:
    pattern = getattr(args, "pattern", None)
    hosts = JobHosts(option_values, pattern, args.async_dir)
    try:
        return ACTIONS[args.jobs_action](args, hosts)
    finally:
        hosts.close()
