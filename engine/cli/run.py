"""`miniplay run`: load every playbook first (errors before anything runs), then run them."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.events import EventBus
from ..core.options import Options
from ..loading.config import config_banner
from ..loading.playbook import Loader
from ..running.run import Run
from ..views.console import ConsoleRenderer


def run_cli(args: argparse.Namespace, option_values: dict[str, Any]) -> int:
    options = Options(**option_values)
    if options.verbosity:
        sys.stdout.write(config_banner(option_values.get("config_file"), options.verbosity))
    loader = Loader(options.yaml_warnings, vault=options.vault_secrets, module_paths=options.module_path,
                    config=options.config, extra_vars=options.extra_vars)
    playbooks = [loader.load_playbook(path) for path in args.playbooks]
    if args.syntax_check:
        for shown in args.playbooks:
            sys.stdout.write(f"\nplaybook: {shown}\n")
        return 0
    if args.list_hosts or args.list_tasks or args.list_tags:
        from ..planning.listing import list_playbook

        for shown, playbook in zip(args.playbooks, playbooks, strict=False):
            list_playbook(playbook, shown, options, sys.stdout, args.list_hosts, args.list_tasks, args.list_tags)
        return 0
    if args.check_plan:
        from .visibility import check_before_run

        if check_before_run(args.playbooks, option_values):
            return 2
    bus = EventBus()
    console: Any = ConsoleRenderer(sys.stdout, sys.stderr, verbosity=options.verbosity)
    if sys.stdout.isatty():
        from ..views.live import LiveStatus

        console = LiveStatus(console, sys.stdout)  # the status line; redirected output stays plain
    bus.subscribe(console)
    if args.events:
        from ..views.jsonlog import JsonLogWriter

        bus.subscribe(JsonLogWriter(args.events))
    if args.trace:
        from ..views.trace import TraceWriter

        bus.subscribe(TraceWriter(args.trace))
    # One run for all the playbooks, as ansible-playbook has: what one sets, the next sees.
    run = Run(options, bus, playbook_dir=playbooks[0].basedir, loader=loader)
    return run.run_playbooks(playbooks).exit_code
