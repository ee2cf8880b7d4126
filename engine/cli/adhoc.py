"""`miniplay adhoc PATTERN -m MODULE -a ARGS [-B SECONDS] [-P POLL]`: Ansible's `ansible` command.

It builds the same one-task play `ansible` builds ("Ansible Ad-Hoc", no fact
gathering), with `-B` as the task's `async` and `-P` as its `poll` (default 15),
runs it with the normal strategy — so `-B/-P` jobs are launched on every host
before any polling, whatever `--forks` is — and prints with the minimal renderer.
Exit codes follow `ansible`: 0 ok, 2 a host failed, 4 a host was unreachable.

Examples:
    miniplay adhoc all -i hosts.ini -a "uptime"
    miniplay adhoc web -i hosts.ini -B 3600 -P 0 -a "/usr/bin/long_job --all"
    miniplay adhoc web -i hosts.ini -m async_status -a "jid=j123456789.4242"
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from ..core.argsplit import parse_kv
from ..core.errors import CliError, Location
from ..core.events import EventBus
from ..core.model import Play, Playbook, Task
from ..core.options import Options
from ..core.registry import all_names, canonical_name, supports_async
from ..loading.config import config_banner
from ..running.run import Run
from ..views.minimal import MinimalRenderer

NEEDS_ARGS = frozenset({"command", "shell", "raw", "script"})


def module_args(module: str, text: str) -> dict[str, Any]:
    """`-a` text as module arguments: JSON, `key=value` words, or a command line."""
    text = text or ""
    if text.strip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise CliError(f"-a looks like JSON but is not: {exc}") from None
        if not isinstance(value, dict):
            raise CliError("-a as JSON must be an object")
        return value
    if not text.strip():
        return {}
    # as `ansible` does: only the modules that require arguments take free-form words (include_role does not)
    return parse_kv(text, module in NEEDS_ARGS, Location("<CLI option '-a'>"))


def build_play(pattern: str, written: str, args: dict[str, Any], background: int, poll: int,
               module: str | None = None, basedir: str | None = None, task_timeout: int = 0) -> Play:
    module = module or canonical_name(written)
    assert module is not None
    keywords: dict[str, Any] = {"when": [], "tags": [], "vars": {}}
    if task_timeout:  # --task-timeout is the task's `timeout` keyword, as in `ansible`
        keywords["timeout"] = task_timeout
    if background:
        keywords.update({"async": background, "poll": poll})
    task = Task(action=written, module=module, args=args, location=Location(f"<adhoc '{written}' task>"),
                keywords=keywords, uid=1)
    return Play(hosts=pattern, location=Location("<adhoc>"), name="Ansible Ad-Hoc",
                keywords={"gather_facts": False}, tasks=[task], basedir=basedir or os.getcwd())


def run_adhoc(args: argparse.Namespace, option_values: dict[str, Any], stdout: TextIO | None = None) -> int:
    """Run one module on the hosts matching args.pattern; return `ansible`'s exit code."""
    if option_values.get("verbosity"):
        (stdout or sys.stdout).write(config_banner(option_values.get("config_file"), option_values["verbosity"],
                                                   "miniplay adhoc"))
    written = args.module_name
    from ..loading.playbook import Loader

    loader = Loader(module_paths=option_values.get("module_path"), config=option_values.get("config"),
                    vault=option_values.get("vault_secrets"))
    basedir = os.path.abspath(getattr(args, "playbook_dir", None) or os.getcwd())
    loader.foreign.set_playbook_dir(basedir)  # library/ and collections/ of the current directory (--playbook-dir)
    if getattr(args, "list_hosts", False):  # before the module and its arguments are looked at, as `ansible` does
        return _list_hosts(Run(Options(**option_values), EventBus(), playbook_dir=basedir, loader=loader),
                           args.pattern, stdout or sys.stdout)
    module = loader.module_name(written)  # native, or a module file (library/, -M, a collection, ansible-core)
    if module is None:
        raise CliError(loader.not_found_message(written, all_names()))
    if args.background < 0:
        raise CliError(f"-B/--background must be a non-negative integer, got {args.background}")
    if args.poll < 0:
        raise CliError(f"-P/--poll must be a non-negative integer, got {args.poll}")
    parsed = module_args(module, args.args)
    if module in NEEDS_ARGS and not parsed:
        raise CliError(f"No argument passed to {module} module")
    task_timeout = getattr(args, "task_timeout", 0) or 0
    if task_timeout < 0:
        raise CliError(f"--task-timeout must be a non-negative integer, got {task_timeout}")
    origin = repr({"action": written, "args": parsed, "timeout": task_timeout, "async_val": args.background,
                   "poll": args.poll})
    renderer = MinimalRenderer(stdout or sys.stdout, sys.stderr, verbosity=option_values.get("verbosity", 0),
                               one_line=getattr(args, "one_line", False), origin=origin)
    bus = EventBus()
    bus.subscribe(renderer)
    options = Options(**option_values)
    run = Run(options, bus, playbook_dir=basedir, loader=loader)
    if args.background and not supports_async(module):
        return _refuse_async(run, renderer, args.pattern, written, module)
    play = build_play(args.pattern, written, parsed, args.background, args.poll, module, basedir=basedir,
                      task_timeout=task_timeout)
    result = run.run_playbook(Playbook(path=os.path.join(os.getcwd(), "<adhoc>"), plays=[play]))
    return result.exit_code


def _list_hosts(run: Run, pattern: str, out: TextIO) -> int:
    """`--list-hosts`: the hosts the pattern and --limit select, in `ansible`'s form; nothing runs."""
    match = run.inventory.match_patterns(pattern, run.options.limit)
    for term in match.unmatched:
        sys.stderr.write(f"[WARNING]: Could not match supplied host pattern, ignoring: {term}\n")
    if not match.hosts:
        sys.stderr.write("[WARNING]: No hosts matched, nothing to do\n")
    out.write(f"  hosts ({len(match.hosts)}):\n" + "".join(f"    {host.name}\n" for host in match.hosts))
    return 0


def _refuse_async(run: Run, renderer: MinimalRenderer, pattern: str, written: str, module: str) -> int:
    """`-B` with an action that cannot run as a job: every host fails, as in Ansible."""
    import time

    from ..core.events import HostResult, WarningEvent

    hosts = [h.name for h in run.inventory.select(pattern)]
    if run.options.limit:
        allowed = {h.name for h in run.inventory.select(run.options.limit)}
        hosts = [h for h in hosts if h in allowed]
    if not hosts:
        renderer(WarningEvent(time=time.time(), text=f"Could not match supplied host pattern, ignoring: {pattern}"))
        return 0
    task = Task(action=written, module=module, args={}, location=Location(f"<adhoc '{written}' task>"))
    result = {"changed": False, "failed": True, "msg": f"This action ({module}) does not support async."}
    for host in hosts:
        renderer(HostResult(time=time.time(), host=host, task=task, result=result, status="failed",
                            target_module=False, error_text=f"Task failed: {result['msg']}"))
    return 2
