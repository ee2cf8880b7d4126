"""`miniplay run`: load every playbook first (errors before anything runs), then run them."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from .events import EventBus
from .loader import Loader
from .options import Options
from .output.console import ConsoleRenderer
from .run import Run


def run_cli(args: argparse.Namespace, option_values: dict[str, Any]) -> int:
    options = Options(**option_values)
    loader = Loader()
    playbooks = [loader.load_playbook(path) for path in args.playbooks]
    if args.syntax_check:
        for playbook in playbooks:
            sys.stdout.write(f"\nplaybook: {playbook.path}\n")
        return 0
    bus = EventBus()
    bus.subscribe(ConsoleRenderer(sys.stdout, sys.stderr, verbosity=options.verbosity))
    if args.events:
        from .output.jsonlog import JsonLogWriter

        bus.subscribe(JsonLogWriter(args.events))
    exit_code = 0
    for playbook in playbooks:
        run = Run(options, bus, playbook_dir=playbook.basedir, loader=loader)
        result = run.run_playbook(playbook)
        exit_code = max(exit_code, result.exit_code) if result.exit_code != 4 else 4
    return exit_code
