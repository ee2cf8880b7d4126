"""reboot — reboot the host, wait until it is back, and carry on with a fresh login.

How this works
--------------
1. Read the boot time (boot_time_command, default the kernel's boot_id).
2. Run the reboot command over the connection (as the become user when the task becomes);
   a connection that drops while it runs is expected.
3. Drop the host's worker and connection (as `meta: reset_connection` does), wait
   post_reboot_delay, then log in again and again (back-off 1, 2, 4 ... 12 s) until the
   boot time differs from the one read before, and then until test_command succeeds.
Later tasks start a new worker on the new connection.

Arguments:
  reboot_command     the command (default `shutdown -r 0 "<msg>"`); a program name without a
                     `/` is looked up in search_paths (default /sbin, /bin, /usr/sbin, /usr/bin,
                     /usr/local/sbin)
  msg                the message for shutdown (default "Reboot initiated by Ansible")
  pre_reboot_delay   seconds, given to shutdown as whole minutes (default 0; not used with
                     reboot_command, as in Ansible)
  post_reboot_delay  seconds to wait after the reboot command before checking (default 0)
  reboot_timeout     seconds to wait for the boot time to change and for test_command (default 600)
  connect_timeout    seconds each login may take while waiting
  test_command       must succeed once the host is back (default whoami)
  boot_time_command  prints something that changes with each boot
                     (default `cat /proc/sys/kernel/random/boot_id`)

Refused on the local connection (it would reboot the controller). Check mode reports
changed without rebooting.

Returns: rebooted, changed, elapsed (seconds); on failure msg.

Example:
  - name: Reboot after a kernel upgrade
    reboot:
      reboot_timeout: 900
    when: kernel.changed
"""
from __future__ import annotations

import datetime
import secrets
import time
from collections.abc import Callable
from typing import Any

from ...core.errors import MiniplayError
from ...transport.worker import WorkerError
from . import ActionContext

VALID_ARGS = frozenset({"boot_time_command", "connect_timeout", "msg", "post_reboot_delay", "pre_reboot_delay",
                        "reboot_command", "reboot_timeout", "search_paths", "test_command"})
DEFAULT_SEARCH_PATHS = ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"]
DEFAULT_BOOT_TIME_COMMAND = "cat /proc/sys/kernel/random/boot_id"
DEFAULT_MESSAGE = "Reboot initiated by Ansible"
# Per distribution or family (lower case), as Ansible's reboot action knows them.
BOOT_TIME_COMMANDS = {"freebsd": "/sbin/sysctl kern.boottime", "openbsd": "/sbin/sysctl kern.boottime",
                      "macosx": "who -b", "solaris": "who -b", "sunos": "who -b", "aix": "who -b",
                      "vmkernel": "grep booted /var/log/vmksummary.log | tail -n 1"}
SHUTDOWN_COMMANDS = {"alpine": "reboot", "vmkernel": "reboot"}
SHUTDOWN_ARGS = {"alpine": "", "void": '-r +{delay_min} "{message}"', "freebsd": '-r +{delay_sec}s "{message}"',
                 "linux": '-r {delay_min} "{message}"', "macosx": '-r +{delay_min} "{message}"',
                 "openbsd": '-r +{delay_min} "{message}"', "solaris": '-y -g {delay_sec} -i 6 "{message}"',
                 "sunos": '-y -g {delay_sec} -i 6 "{message}"', "vmkernel": "-d {delay_sec}", "aix": "-Fr"}
TEST_COMMANDS = {"solaris": "who", "vmkernel": "who"}
MAX_BACKOFF = 12


class ActionError(Exception):
    """A mistake Ansible raises as an error of the task ("Task failed: ...")."""


class TimedOut(Exception):
    pass


class ConnectionDropped(Exception):
    """The connection went away while a command ran (what a reboot does)."""


def for_distribution(table: dict[str, str], distribution: dict[str, str], default: str) -> str:
    return table.get(distribution["name"] + distribution["version"],
                     table.get(distribution["name"], table.get(distribution["family"], default)))


class Rebooter:
    """One reboot of one host: its commands, its settings, its connection resets."""

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx
        self.args = ctx.args
        self.name = ctx.task.action
        timeout = self.args.get("connect_timeout", self.args.get("connect_timeout_sec"))
        self.login_vars = ctx.vars if not timeout else \
            ctx.vars.child({"ansible_ssh_timeout": timeout, "ansible_timeout": timeout}, label="connect_timeout")

    # ------------------------------------------------------------------ settings
    def delay(self, key: str) -> int:
        value = int(self.args.get(key, self.args.get(key + "_sec", 0)))
        return max(value, 0)

    def text_arg(self, key: str) -> str | None:
        value = self.args.get(key)
        if value is not None and not isinstance(value, str):
            raise ActionError(f"Invalid value given for '{key}': '{value!r}' is not a string and conversion "
                              "is not allowed.")
        return value

    # ------------------------------------------------------------------ running things
    def raw(self, command: str, view=None) -> tuple[int, str, str]:
        """Run a command line over the connection (become applies), like Ansible's low-level execute."""
        connections = self.ctx.services.connections
        connection = connections.connection(self.ctx.host, view or self.ctx.vars, self.ctx.task)
        plan = connections.become_plan(self.ctx.host, view or self.ctx.vars, self.ctx.task)
        try:
            done = plan.run(connection, command) if plan is not None else connection.exec_command(command)
        except WorkerError as exc:
            raise ActionError(str(exc.result.get("msg") if exc.result else exc)) from None
        if done.rc == 255 and not getattr(connection, "alive", True):
            raise ConnectionDropped(f"the connection to {self.ctx.host} dropped")
        return done.rc, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")

    def reset(self) -> None:
        """Drop the worker and connection of the host the task really runs on (delegate_to too)."""
        connections = self.ctx.services.connections
        connections.reset(connections.target_for(self.ctx.host, self.ctx.vars, self.ctx.task)[0])

    def distribution(self) -> dict[str, str]:
        result = self.ctx.module("setup", {"gather_subset": "min"}, label="ansible.legacy.setup")
        if result.get("failed"):
            raise ActionError(f"Failed to determine system distribution. {str(result.get('module_stdout', '')).strip()}, "
                              f"{str(result.get('module_stderr', result.get('msg', ''))).strip()}")
        facts = result.get("ansible_facts") or {}
        try:
            return {"name": str(facts["ansible_distribution"]).lower(),
                    "version": str(facts["ansible_distribution_version"]).split(".")[0],
                    "family": str(facts["ansible_os_family"]).lower()}
        except KeyError as exc:
            raise ActionError(f'Failed to get distribution information. Missing "{exc.args[0]}" in output.') from None

    def boot_time(self, distribution: dict[str, str], view=None) -> str:
        command = for_distribution(BOOT_TIME_COMMANDS, distribution, DEFAULT_BOOT_TIME_COMMAND)
        command = self.text_arg("boot_time_command") or command
        rc, out, err = self.raw(command, view)
        if rc != 0:
            raise ActionError(f"{self.name}: failed to get host boot time info, rc: {rc}, stdout: {out}, "
                              f"stderr: {err}")
        return out.strip()

    def shutdown_command(self, distribution: dict[str, str]) -> str:
        given = self.text_arg("reboot_command")
        if given is not None:
            program, _, arguments = given.partition(" ")
        else:
            program = for_distribution(SHUTDOWN_COMMANDS, distribution, "shutdown")
            template = for_distribution(SHUTDOWN_ARGS, distribution, SHUTDOWN_ARGS["linux"])
            delay = self.delay("pre_reboot_delay")
            arguments = template.format(delay_sec=delay, delay_min=delay // 60,
                                        message=self.args.get("msg", DEFAULT_MESSAGE))
        return f"{self.find_program(program)} {arguments}"

    def find_program(self, program: str) -> str:
        if program.startswith("/"):
            return program
        paths = self.args.get("search_paths", DEFAULT_SEARCH_PATHS)
        if isinstance(paths, str):
            paths = paths.split(",")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ActionError(f"'search_paths' must be a string or flat list of strings, got {paths}")
        for folder in paths:
            found = self.ctx.module("stat", {"path": f"{folder.rstrip('/')}/{program}", "get_checksum": False,
                                             "get_mime": False, "get_attributes": False})
            if found.get("stat", {}).get("exists"):
                return f"{folder.rstrip('/')}/{program}"
        raise ActionError(f'Unable to find command "{program}" in search paths: {paths}')

    # ------------------------------------------------------------------ waiting
    def until_success(self, attempt: Callable[[], None], timeout: int, what: str) -> None:
        deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=timeout)
        failures = 0
        while datetime.datetime.now(datetime.timezone.utc) < deadline:
            try:
                attempt()
                return
            except Exception:  # the host is not back yet: log in afresh next time
                self.reset()
            jitter = secrets.randbelow(1000) / 1000
            time.sleep(min(2 ** failures, MAX_BACKOFF) + jitter)
            failures += 1
        raise TimedOut(f"Timed out waiting for {what} (timeout={timeout})")

    def check_boot_time(self, distribution: dict[str, str], before: str) -> None:
        now = self.boot_time(distribution, self.login_vars)
        if not now or now == before:
            raise ValueError("boot time has not changed")

    def check_test_command(self, distribution: dict[str, str]) -> None:
        command = self.args.get("test_command", for_distribution(TEST_COMMANDS, distribution, "whoami"))
        rc, out, err = self.raw(str(command), self.login_vars)
        if rc != 0:
            raise RuntimeError(f"Test command failed: {err} {out}")


def run(ctx: ActionContext) -> dict[str, Any]:
    try:
        transport = ctx.services.connections.connection(ctx.host, ctx.vars, ctx.task).transport
    except MiniplayError as exc:
        return {"unreachable": True, "changed": False, "msg": exc.message}
    if transport == "local":
        return {"changed": False, "elapsed": 0, "rebooted": False, "failed": True,
                "msg": f"Running {ctx.task.action} with local connection would reboot the control node."}
    if ctx.check_mode:
        return {"changed": True, "elapsed": 0, "rebooted": True}
    unknown = sorted(set(ctx.args) - VALID_ARGS)
    if unknown:
        message = f"Invalid options for {ctx.task.action}: {', '.join(unknown)}"
        return {"failed": True, "changed": False, "msg": message, "_miniplay_header": f"Task failed: {message}"}
    rebooter = Rebooter(ctx)
    try:
        return reboot(rebooter)
    except (ActionError, ValueError) as exc:
        return {"failed": True, "changed": False, "msg": f"Task failed: {exc}"}


def reboot(rebooter: Rebooter) -> dict[str, Any]:
    distribution = rebooter.distribution()
    try:
        before = rebooter.boot_time(distribution)
    except Exception as exc:
        return {"failed": True, "changed": False, "reboot": False, "msg": str(exc)}
    command = rebooter.shutdown_command(distribution)
    post_delay = rebooter.delay("post_reboot_delay")
    timeout = int(rebooter.args.get("reboot_timeout", rebooter.args.get("reboot_timeout_sec", 600)))
    try:
        rc, out, err = rebooter.raw(command)
    except ActionError:
        raise
    except Exception:  # the connection dropped under the reboot: expected
        rc, out, err = 0, "", ""
    start = datetime.datetime.now(datetime.timezone.utc)
    if rc != 0:
        return {"failed": True, "changed": False, "rebooted": False,
                "msg": f"Reboot command failed. Error was: '{out.strip()}, {err.strip()}'",
                "elapsed": (datetime.datetime.now(datetime.timezone.utc) - start).seconds}
    rebooter.reset()
    if post_delay:
        time.sleep(post_delay)
    result: dict[str, Any] = {"changed": False}
    try:
        rebooter.until_success(lambda: rebooter.check_boot_time(distribution, before), timeout,
                               "last boot time check")
        rebooter.until_success(lambda: rebooter.check_test_command(distribution), timeout,
                               "post-reboot test command")
        result.update(rebooted=True, changed=True)
    except TimedOut as exc:
        result.update(failed=True, rebooted=True, msg=str(exc))
    result["elapsed"] = (datetime.datetime.now(datetime.timezone.utc) - start).seconds
    return result
