"""Command-line parsing only: every command is a thin layer on the Python API.

miniplay run PLAYBOOK...      run playbooks (ansible-playbook's flags)
miniplay adhoc PATTERN ...    one module on many hosts (ansible's flags)
miniplay jobs list|status|wait|kill|clean   the async jobs on the hosts
miniplay graph|check|report|explain         plan, check, and look back at a run (visibility_cli.py)
miniplay vault create|encrypt|decrypt|view|edit|rekey|encrypt_string   Ansible Vault (vault_cli.py)
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..core.errors import CliError, MiniplayError
from ..core.fdlimit import raise_open_files_limit
from ..core.version import __version__
from .run_flags import UsageError, add_adhoc_flags, add_connection_flags, add_run_control_flags, connection_values
from .vault import add_vault_flags, secrets_from_args
from .visibility import COMMANDS as VISIBILITY_COMMANDS


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option exits 2 like ansible-playbook's usage errors, with one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"[ERROR]: {message}\n")
        raise SystemExit(2)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", "--inventory-file", action="append", default=[], metavar="INVENTORY",
                        help="inventory file, directory or comma-separated host list (repeatable)")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS",
                        help="key=value, @file.yml or a JSON object (repeatable; highest precedence)")
    parser.add_argument("-f", "--forks", type=int, default=None, help="hosts worked on at once (default 5)")
    parser.add_argument("-l", "--limit", default=None, help="further limit the hosts with a pattern")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output (-vvv for tracebacks)")
    parser.add_argument("-C", "--check", action="store_true", help="report what would change, change nothing")
    parser.add_argument("-D", "--diff", action="store_true", help="show the differences in changed files")
    parser.add_argument("-u", "--user", dest="remote_user", default=None, help="connect as this user")
    parser.add_argument("--private-key", "--key-file", dest="private_key_file", default=None)
    parser.add_argument("-T", "--timeout", type=int, default=None, help="connection timeout in seconds")
    parser.add_argument("-b", "--become", action="store_true", help="run operations with become")
    parser.add_argument("--become-user", default=None)
    parser.add_argument("--become-method", default=None)
    parser.add_argument("--ssh-common-args", default=None)
    parser.add_argument("--ssh-extra-args", default=None)
    add_connection_flags(parser)
    add_vault_flags(parser)
    parser.add_argument("-M", "--module-path", action="append", default=[], metavar="PATH",
                        help="directories of modules written for Ansible (repeatable, or ':'-separated)")


class _Unused:
    """Stands in for the parser of a command this invocation does not run: every call is accepted
    and ignored, so its flags are never built (400 add_argument calls cost ~10 ms at every start)."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _OnlyCommand:
    """The subcommands, each named with its help (`miniplay --help` and a mistyped command list
    them all), but with flags only for `command`, the one that runs."""

    def __init__(self, sub: Any, command: str) -> None:
        self.sub = sub
        self.command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self.command or self.command in kwargs.get("aliases", ()):
            return self.sub.add_parser(name, **kwargs)
        self.sub.add_parser(name, **{key: kwargs[key] for key in ("help", "aliases") if key in kwargs})
        return _Unused()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the `command` about to run, only its flags are built."""
    parser = _Parser(prog="miniplay", description="Run Ansible-style playbooks, fast and visibly.")
    parser.add_argument("--version", action="version", version=f"miniplay {__version__}")
    sub: Any = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    if command is not None:
        sub = _OnlyCommand(sub, command)

    run = sub.add_parser("run", help="run playbooks")
    run.add_argument("playbooks", nargs="+", metavar="PLAYBOOK")
    run.add_argument("--version", action="version", version=f"miniplay {__version__}")
    _add_common(run)
    run.add_argument("-t", "--tags", action="append", default=[])
    run.add_argument("--skip-tags", action="append", default=[])
    run.add_argument("--start-at-task", default=None)
    run.add_argument("--force-handlers", action="store_true")
    run.add_argument("--list-tasks", action="store_true")
    run.add_argument("--list-hosts", action="store_true")
    run.add_argument("--list-tags", action="store_true")
    run.add_argument("--syntax-check", action="store_true")
    run.add_argument("--events", default=None, metavar="FILE", help="write every event as JSON lines")
    run.add_argument("--trace", default=None, metavar="FILE", help="write a Chrome/Perfetto trace")
    add_run_control_flags(run)
    run.add_argument("--check-plan", action="store_true", help="check the plan for async mistakes first")

    adhoc = sub.add_parser("adhoc", help="run one module on the hosts matching PATTERN")
    adhoc.add_argument("pattern")
    _add_common(adhoc)
    adhoc.add_argument("-m", "--module-name", default="command")
    adhoc.add_argument("-a", "--args", default="")
    adhoc.add_argument("-B", "--background", type=int, default=0, help="run as an async job with this limit")
    adhoc.add_argument("-P", "--poll", type=int, default=15, help="poll interval for -B (0: fire and forget)")
    adhoc.add_argument("-o", "--one-line", action="store_true")
    add_adhoc_flags(adhoc)

    from .jobs import add_parser as add_jobs_parser

    add_jobs_parser(sub, _add_common)
    from .visibility import add_parsers as add_visibility_parsers

    add_visibility_parsers(sub)
    from .vault import add_parser as add_vault_parser

    add_vault_parser(sub)
    return parser


def _split_tags(values: list[str]) -> list[str]:
    return [t.strip() for value in values for t in value.split(",") if t.strip()]


def _inventory_sources(value: Any) -> list[str]:
    """-i values as given; from ANSIBLE_INVENTORY or ansible.cfg, a comma list of paths ("h1,h2," stays a host list)."""
    if not value:
        return []
    if isinstance(value, list):
        return value
    text = str(value)
    if "," in text and not text.endswith(",") and all(os.path.exists(p) for p in text.split(",")):
        return text.split(",")
    return [text]


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for Options from the parsed flags (config file values underneath)."""
    from ..loading.config import load_config
    from ..loading.extravars import parse_extra_vars

    config, config_file = load_config()

    def setting(flag: Any, env: str, key: str) -> Any:
        """Ansible's order: the command line, then ANSIBLE_* in the environment, then ansible.cfg."""
        if flag:
            return flag
        return os.environ.get(env) or config.get(key)

    secrets = secrets_from_args(args, config)
    inventory = setting(args.inventory, "ANSIBLE_INVENTORY", "inventory")
    yaml_warnings: list[str] = []
    timeout = setting(args.timeout, "ANSIBLE_TIMEOUT", "timeout")
    values: dict[str, Any] = {
        "inventory": _inventory_sources(inventory),
        "extra_vars": parse_extra_vars(args.extra_vars, yaml_warnings, secrets),
        "vault_secrets": secrets,
        "yaml_warnings": yaml_warnings,
        "limit": args.limit,
        "verbosity": args.verbose,
        "check": args.check,
        "diff": args.diff,
        "remote_user": setting(args.remote_user, "ANSIBLE_REMOTE_USER", "remote_user"),
        "private_key_file": setting(args.private_key_file, "ANSIBLE_PRIVATE_KEY_FILE", "private_key_file"),
        "become": args.become,
        "become_user": args.become_user,
        "become_method": args.become_method,
        "timeout": int(timeout) if timeout else None,
        "ssh_common_args": args.ssh_common_args,
        "ssh_extra_args": args.ssh_extra_args,
        "config": config,
        "config_file": config_file,
        "module_path": [p for entry in args.module_path for p in entry.split(os.pathsep) if p],
    }
    forks = args.forks if args.forks is not None else (os.environ.get("ANSIBLE_FORKS") or config.get("forks"))
    if forks is not None:
        values["forks"] = int(forks)
        if values["forks"] < 1:
            raise CliError(f"forks must be a positive number, got {forks}")
    if config.get("poll_interval") and "ANSIBLE_POLL_INTERVAL" not in os.environ:
        values["poll_interval"] = int(config["poll_interval"])
    hkc = os.environ.get("ANSIBLE_HOST_KEY_CHECKING", config.get("host_key_checking"))
    if hkc is not None:
        values["host_key_checking"] = str(hkc).strip().lower() not in ("false", "no", "0", "off")
    values.update(_fact_cache_settings(config))
    values.update(connection_values(args, config))
    return values


def _fact_cache_settings(config: dict[str, Any]) -> dict[str, Any]:
    """fact_caching* from ANSIBLE_CACHE_PLUGIN* or ansible.cfg (memory, unless one says otherwise)."""
    values: dict[str, Any] = {}
    for option, env, key in (("fact_caching", "ANSIBLE_CACHE_PLUGIN", "fact_caching"),
                             ("fact_caching_connection", "ANSIBLE_CACHE_PLUGIN_CONNECTION", "fact_caching_connection"),
                             ("fact_caching_prefix", "ANSIBLE_CACHE_PLUGIN_PREFIX", "fact_caching_prefix"),
                             ("fact_caching_timeout", "ANSIBLE_CACHE_PLUGIN_TIMEOUT", "fact_caching_timeout")):
        value = os.environ.get(env, config.get(key))
        if value is not None:
            values[option] = value
    if "fact_caching_timeout" in values:
        try:
            values["fact_caching_timeout"] = int(values["fact_caching_timeout"])
        except ValueError:
            raise CliError(f"fact_caching_timeout must be a whole number of seconds, got "
                           f"{values['fact_caching_timeout']!r}") from None
    return values


def cmd_run(args: argparse.Namespace) -> int:
    from ..core.fieldtypes import loose_bool
    from .run import run_cli

    options = options_from_args(args)
    # --force-handlers, else ANSIBLE_FORCE_HANDLERS, else ansible.cfg's force_handlers
    configured = os.environ.get("ANSIBLE_FORCE_HANDLERS") or options["config"].get("force_handlers")
    options.update(tags=_split_tags(args.tags), skip_tags=_split_tags(args.skip_tags),
                   start_at_task=args.start_at_task, force_handlers=args.force_handlers or loose_bool(configured),
                   step=args.step, flush_cache=args.flush_cache)
    return run_cli(args, options)


def cmd_adhoc(args: argparse.Namespace) -> int:
    from .adhoc import run_adhoc

    if args.tree:
        raise UsageError("miniplay adhoc does not write -t/--tree output files; use --one-line, or miniplay run "
                         "with --events FILE for every result as JSON")
    options = options_from_args(args)
    options["flush_cache"] = args.flush_cache
    return run_adhoc(args, options)


def cmd_jobs(args: argparse.Namespace) -> int:
    from .jobs import run_jobs

    return run_jobs(args, options_from_args(args))


def cmd_vault(args: argparse.Namespace) -> int:
    from .vault import run_vault

    return run_vault(args)


COMMANDS = {"run": cmd_run, "adhoc": cmd_adhoc, "jobs": cmd_jobs, "vault": cmd_vault}
COMMANDS.update(VISIBILITY_COMMANDS)  # graph, check, report, explain


def _print_traceback() -> None:
    """-vvv: the traceback of the error being handled (traceback is imported only then)."""
    import traceback

    traceback.print_exc()


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words and not words[0].startswith("-") else None)
    args = parser.parse_args(words)
    verbosity = getattr(args, "verbose", 0)
    raise_open_files_limit()  # many hosts hold many descriptors: take what the hard limit allows
    try:
        return COMMANDS[args.command](args)
    except MiniplayError as exc:
        if verbosity >= 3:
            _print_traceback()
        sys.stdout.flush()
        text = exc.describe()   # a block with its source lines ends with a blank line; one line does not (as Ansible)
        sys.stderr.write(text + ("\n\n" if "\n" in text.strip("\n") else "\n"))
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("[ERROR]: User interrupted execution\n")
        return 99
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug in miniplay: say so plainly, traceback only on request
        if verbosity >= 3:
            _print_traceback()
        sys.stderr.write(f"[ERROR]: Unexpected Exception, this is probably a bug: {type(exc).__name__}: {exc}\n"
                         "to see the full traceback, use -vvv\n")
        return 250


def entry() -> None:
    """The `miniplay` command (and `python -m miniplay`): main(), with the garbage collector set
    for one short-lived process. Not in main(): a program that calls main() in its own process
    keeps its garbage collector as it was.

    Start: the modules the command runs are imported with the collector off, then frozen. What
    importing makes (functions, classes, module tables) lives until exit, so collections while
    it loads, and every full collection after, would only walk it again: ~10 ms at each start.
    During the run a collection waits for 50,000 new objects, not 700 (the older generations
    keep their default ratios, so cyclic garbage of a long run is still collected).

    Exit: Python's own shutdown runs full garbage collections over every object the run left,
    two or three times. One collection here (garbage found now still has its finalizers run:
    files flushed, processes reaped), then the survivors are frozen so that shutdown does not
    walk them again; what shutdown really does (joining the threads that end the workers, the
    atexit hooks that close the views' files, flushing stdout) is untouched."""
    import gc

    gc.disable()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in _PRELOADED:
        _PRELOADED[command]()
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)
    gc.enable()
    code = main()
    gc.collect()
    gc.freeze()
    raise SystemExit(code)


def _preload_run() -> None:
    from . import run  # noqa: F401  (imports every module a run uses)


def _preload_adhoc() -> None:
    from . import adhoc  # noqa: F401


# The commands whose modules entry() loads before main(), to freeze them with the rest.
_PRELOADED = {"run": _preload_run, "adhoc": _preload_adhoc}
