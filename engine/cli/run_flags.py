"""ansible-playbook's connection, password and run-control flags, and what they turn into.

Kept apart from main.py so the parser stays readable: `-c/--connection`, the scp/sftp
argument flags, `-k | --connection-password-file`, `-K | --become-password-file` (each pair
excludes the other, as in Ansible), and `miniplay run`'s `--step` and `--flush-cache`.
A password file is read as Ansible reads one (an executable file is run and its output
taken, `-` is standard input); the password goes into the run's options and nowhere else.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from ..core.errors import CliError, MiniplayError
from ..core.version import __version__

CONNECTIONS = {"local": "local", "ssh": "ssh", "smart": "ssh", "paramiko": "ssh", "paramiko_ssh": "ssh"}
# connection plugins Ansible knows (ansible-core's and common collections'), which miniplay does not implement
FOREIGN_CONNECTIONS = ("winrm", "psrp", "docker", "community.docker.docker", "podman", "containers.podman.podman",
                       "kubectl", "kubernetes.core.kubectl", "lxd", "community.general.lxd", "lxc", "chroot",
                       "community.general.chroot", "jail", "zone", "buildah", "qubes", "saltstack", "funcd", "iocage",
                       "network_cli", "ansible.netcommon.network_cli", "netconf", "httpapi", "aws_ssm",
                       "community.aws.aws_ssm", "incus", "wsl")
NO_SCP = ("miniplay copies files over its own SSH connection, never with scp or sftp, so {flag} "
          "has nothing to apply to; it is ignored")


class UsageError(CliError):
    """A flag value miniplay cannot honour: exit 2, as ansible-playbook's usage errors."""

    exit_code = 2


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """-c, the scp/sftp argument flags and the two password pairs (every command that connects)."""
    parser.add_argument("-c", "--connection", default=None, metavar="CONNECTION",
                        help="connection type for hosts that set none: local or ssh (default ssh); "
                             "Ansible's others (winrm, docker, ...) are refused")
    parser.add_argument("--scp-extra-args", default=None, metavar="ARGS",
                        help="accepted for ansible-playbook's sake and ignored: miniplay does not use scp")
    parser.add_argument("--sftp-extra-args", default=None, metavar="ARGS",
                        help="accepted for ansible-playbook's sake and ignored: miniplay does not use sftp")
    conn = parser.add_mutually_exclusive_group()
    conn.add_argument("-k", "--ask-pass", action="store_true", help="ask for the connection password")
    conn.add_argument("--connection-password-file", "--conn-pass-file", default=None, metavar="FILE",
                      help="connection password file (an executable one is run; - reads standard input)")
    become = parser.add_mutually_exclusive_group()
    become.add_argument("-K", "--ask-become-pass", action="store_true", help="ask for the become password")
    become.add_argument("--become-password-file", "--become-pass-file", default=None, metavar="FILE",
                        help="become password file (an executable one is run; - reads standard input)")


def add_run_control_flags(parser: argparse.ArgumentParser) -> None:
    """`miniplay run` only: --step and --flush-cache."""
    parser.add_argument("--step", action="store_true",
                        help="one step at a time: confirm each task on standard input, (N)o/(y)es/(c)ontinue")
    parser.add_argument("--flush-cache", action="store_true",
                        help="clear the fact cache for every host in the inventory")


def add_adhoc_flags(parser: argparse.ArgumentParser) -> None:
    """`miniplay adhoc` only: what `ansible` has beyond the common flags."""
    parser.add_argument("--version", action="version", version=f"miniplay {__version__}")
    parser.add_argument("--list-hosts", action="store_true", help="list the matching hosts; run nothing")
    parser.add_argument("--flush-cache", action="store_true",
                        help="clear the fact cache for every host in the inventory")
    parser.add_argument("--playbook-dir", default=None, metavar="BASEDIR",
                        help="act as if this were the playbook's directory (library/, group_vars/, roles/)")
    parser.add_argument("--task-timeout", type=int, default=0, metavar="SECONDS",
                        help="fail the module's task after this many seconds (the task's timeout keyword); 0: no limit")
    parser.add_argument("-t", "--tree", default=None, metavar="TREE",
                        help="not supported by miniplay: refused (Ansible writes one output file per host there)")


def connection_values(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    """Options values from these flags: the connection, the passwords (asked or read from files)."""
    values: dict[str, Any] = {"connection": _connection(args, config)}
    for flag in ("scp_extra_args", "sftp_extra_args"):
        if getattr(args, flag, None) is not None:
            sys.stderr.write(f"[WARNING]: {NO_SCP.format(flag='--' + flag.replace('_', '-'))}\n")
    if args.ask_pass:
        values["connection_password"] = getpass.getpass("SSH password: ")
    elif args.connection_password_file:
        values["connection_password"] = read_password_file(args.connection_password_file)
    if args.ask_become_pass:
        values["become_password"] = getpass.getpass("BECOME password: ")
    elif args.become_password_file:
        values["become_password"] = read_password_file(args.become_password_file)
    return values


def _connection(args: argparse.Namespace, config: dict[str, Any]) -> str | None:
    """-c, else ANSIBLE_TRANSPORT, else `transport` in ansible.cfg; refused when miniplay has no such connection."""
    name = args.connection or os.environ.get("ANSIBLE_TRANSPORT") or config.get("transport")
    if not name:
        return None
    short = name[len("ansible.builtin."):] if name.startswith("ansible.builtin.") else name
    if short in CONNECTIONS:
        return CONNECTIONS[short]
    if name in FOREIGN_CONNECTIONS:
        raise UsageError(f"miniplay does not implement Ansible's '{name}' connection: -c/--connection takes "
                         "local or ssh")
    raise UsageError(f"the connection plugin '{name}' was not found: -c/--connection takes local or ssh")


def read_password_file(path: str) -> str:
    """A connection or become password from a file, as Ansible reads it (the text stripped of
    line ends; an executable file is run and its output taken; `-` reads standard input)."""
    if path != "-":
        path = os.path.abspath(os.path.expanduser(path))  # named in errors as Ansible names it
    if path == "-":
        secret = sys.stdin.buffer.read()
    elif not os.path.exists(path):
        raise MiniplayError(f"The password file {path} was not found")
    elif os.access(path, os.X_OK) and not os.path.isdir(path):
        secret = _run_password_script(path)
    else:
        try:
            with open(path, "rb") as handle:
                secret = handle.read().strip()
        except OSError as exc:
            raise MiniplayError(f"Could not read password file {path!r}: {exc.strerror}") from None
    secret = secret.strip(b"\r\n")
    if not secret:
        raise MiniplayError(f"Empty password was provided from file ({path})")
    return secret.decode("utf-8", "replace")


def _run_password_script(path: str) -> bytes:
    import subprocess  # here: few runs read a password from a script

    try:
        done = subprocess.run([path], capture_output=True, check=False)
    except OSError as exc:
        raise MiniplayError(f"Problem occurred when trying to run the password script {path} ({exc.strerror}). "
                            "If this is not a script, remove the executable bit from the file.") from None
    if done.returncode != 0:  # its stderr is the script's own message, never the password
        raise MiniplayError(f"The password script {path} returned an error (rc={done.returncode}): "
                            f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
