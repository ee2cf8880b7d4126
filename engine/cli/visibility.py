"""The visibility commands: `graph`, `check`, `report`, `explain`, and the run's `--check-plan`.

Argument parsing and output only; the work is in graph.py, plancheck.py,
report.py and explain.py (each also usable from Python). Heavy imports
(networkx) happen inside the commands so `miniplay run` never pays for them.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..core.errors import CliError


def _plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                        help="inventory file, directory or host list (repeatable); without it, each play's "
                             "host pattern stands for its hosts")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                        help="key=value, @file.yml or JSON: values the plan may use (async limits, retries)")
    parser.add_argument("-l", "--limit", default=None, help="further limit the hosts with a pattern")


def add_parsers(sub: Any) -> None:
    """Register graph, check, report and explain on the `miniplay` subcommand parser."""
    graph = sub.add_parser("graph", help="draw each host's task graph (Mermaid, DOT or JSON) without running")
    graph.add_argument("playbook", metavar="PLAYBOOK")
    _plan_options(graph)
    graph.add_argument("--host", default=None, help="only this host's graph")
    graph.add_argument("--format", choices=("mermaid", "dot", "json"), default="mermaid")
    graph.add_argument("-o", "--output", default=None, metavar="FILE", help="write here instead of stdout")

    check = sub.add_parser("check", help="find async mistakes in playbooks before running them")
    check.add_argument("playbooks", nargs="+", metavar="PLAYBOOK")
    _plan_options(check)
    check.add_argument("-C", "--check", action="store_true", help="the run will use --check (check mode)")
    check.add_argument("--format", choices=("text", "json"), default="text")

    report = sub.add_parser("report", help="write a self-contained HTML report (Gantt chart, recap) of a run")
    report.add_argument("events", metavar="EVENTS.jsonl", help="an events file from `miniplay run --events`")
    report.add_argument("-o", "--output", default="report.html", metavar="FILE")

    explain = sub.add_parser("explain", help="why tasks ran, were skipped, retried or failed, from an events file")
    explain.add_argument("events", metavar="EVENTS.jsonl", help="an events file from `miniplay run --events`")
    explain.add_argument("--host", default=None, help="only this host")
    explain.add_argument("--task", default=None, help="only tasks whose name contains this (or at FILE:LINE)")


def _extra_vars(values: list[str]) -> dict[str, Any]:
    from ..loading.extravars import parse_extra_vars

    return parse_extra_vars(values)


def _write(text: str, path: str | None) -> None:
    if path:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def cmd_graph(args: argparse.Namespace) -> int:
    from ..planning.export import to_dot, to_json, to_mermaid
    from ..planning.graph import build_plan, load_for_plan

    extra_vars = _extra_vars(args.extra_vars)
    plan = build_plan(load_for_plan(args.playbook, extra_vars), args.inventory, extra_vars, args.limit,
                      only_host=args.host)
    if args.format == "json":
        import json  # here: only the json formats need it, and `miniplay run` imports this file

        text = json.dumps(to_json(plan), indent=2, default=str) + "\n"
    elif args.format == "dot":
        text = to_dot(plan)
    else:
        text = to_mermaid(plan)
    _write(text, args.output)
    return 0


def plan_findings(paths: list[str], inventory: list[str], extra_vars: dict[str, Any], limit: str | None,
                  check_mode: bool) -> list[tuple[Any, list[Any]]]:
    """(plan, findings) for each playbook."""
    from ..planning.graph import build_plan, load_for_plan
    from ..planning.plancheck import check_plan

    out = []
    for path in paths:
        plan = build_plan(load_for_plan(path, extra_vars), inventory, extra_vars, limit)
        out.append((plan, check_plan(plan, check_mode)))
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from ..planning.plancheck import report

    results = plan_findings(args.playbooks, args.inventory, _extra_vars(args.extra_vars), args.limit, args.check)
    found = sum(len(findings) for _, findings in results)
    if args.format == "json":
        import json

        payload = [{"playbook": plan.playbook.path, "findings": [f.as_dict() for f in findings]}
                   for plan, findings in results]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for plan, findings in results:
            sys.stdout.write(report(plan, findings))
    return 2 if found else 0


def check_before_run(paths: list[str], options: dict[str, Any]) -> int:
    """`miniplay run --check-plan`: 0 to go on, 2 (after printing the findings) to stop."""
    from ..planning.plancheck import report

    results = plan_findings(paths, list(options.get("inventory") or []), dict(options.get("extra_vars") or {}),
                            options.get("limit"), bool(options.get("check")))
    found = sum(len(findings) for _, findings in results)
    if not found:
        return 0
    for plan, findings in results:
        if findings:
            sys.stderr.write(report(plan, findings))
    sys.stderr.write("[ERROR]: --check-plan found async mistakes: nothing was run (fix them, or run without "
                     "--check-plan)\n")
    return 2


def _events(path: str) -> Any:
    """The checked records of an events file; nothing usable at all is an error (exit 1)."""
    from ..core.errors import MiniplayError
    from ..views.eventfile import read_events

    found = read_events(path)
    if not found.records:
        raise MiniplayError(found.problem or f"{path}: no events")
    for note in found.notes:
        sys.stderr.write(f"[WARNING]: {path}: {note}\n")
    return found


def _bad_tail(found: Any, what: str) -> int:
    """After rendering a good prefix: the line that stopped the reading, and exit 1."""
    if found.problem is None:
        return 0
    count = len(found.records)
    lines = "the event" if count == 1 else f"the {count} events"
    sys.stderr.write(f"[ERROR]: {found.problem}\n{what} {lines} before it.\n")
    return 1


def cmd_report(args: argparse.Namespace) -> int:
    from ..views.eventfile import render_checked
    from ..views.report import render_report

    found = _events(args.events)
    _write(render_checked(found, args.events, lambda records: render_report(records, source=args.events)), args.output)
    sys.stdout.write(f"report: {args.output}\n")
    return _bad_tail(found, "The report shows")


def cmd_explain(args: argparse.Namespace) -> int:
    from ..views.eventfile import render_checked
    from ..views.explain import explain

    found = _events(args.events)
    text, matched = render_checked(found, args.events, lambda records: explain(records, host=args.host, task=args.task))
    sys.stdout.write(text)
    return _bad_tail(found, "The explanation above covers") or (0 if matched else 1)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "graph": cmd_graph, "check": cmd_check, "report": cmd_report, "explain": cmd_explain,
}
