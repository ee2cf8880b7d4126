"""wait_for — wait until a TCP port answers (or stops answering), a file appears (or goes), or a text shows up.

Arguments:
  host              the address to check ports on (default 127.0.0.1)
  port              a TCP port to wait for
  path              a file to wait for (not together with port)
  state             started / present (default started): the port accepts connections or the
                    path exists; stopped / absent: the port refuses or the path is gone;
                    drained: no active connections to the port any more (Linux /proc/net/tcp)
  search_regex      with path or port: wait until this regexp matches the file's content or
                    what the port sends
  timeout           give up after this many seconds (default 300)
  delay             wait this long before the first check (default 0)
  sleep             pause between checks (default 1)
  connect_timeout   seconds for one connection attempt (default 5)
  exclude_hosts     with drained: connections from these hosts do not count
  active_connection_states   TCP states that count as active for drained
  msg               the failure message to use instead of the default

Without port and path it simply sleeps `timeout` seconds. Timeouts and sleeps may be
fractions of a second in miniplay. Like Ansible, the task is skipped in check mode.

Returns: elapsed (whole seconds), state, port, path, search_regex, match_groups,
match_groupdict. On timeout it fails with e.g. "Timeout when waiting for 127.0.0.1:8080".

Example:
  - name: Wait for the app to listen
    wait_for:
      port: 8080
      timeout: 60
"""
from __future__ import annotations

import os
import re
import socket
import time
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._files import path_info

ARGUMENT_SPEC = {
    "host": {"type": "str", "default": "127.0.0.1"},
    "timeout": {"type": "float", "default": 300},
    "connect_timeout": {"type": "float", "default": 5},
    "delay": {"type": "float", "default": 0},
    "port": {"type": "int"},
    "active_connection_states": {"type": "list", "elements": "str",
                                 "default": ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT",
                                             "TIME_WAIT"]},
    "path": {"type": "path"},
    "search_regex": {"type": "str"},
    "state": {"type": "str", "default": "started",
              "choices": ["absent", "drained", "present", "started", "stopped"]},
    "exclude_hosts": {"type": "list", "elements": "str"},
    "sleep": {"type": "float", "default": 1},
    "msg": {"type": "str"},
}
SUPPORTS_CHECK_MODE = False

# Kernel TCP state numbers as /proc/net/tcp shows them (hex).
TCP_STATES = {"ESTABLISHED": "01", "SYN_SENT": "02", "SYN_RECV": "03", "FIN_WAIT1": "04", "FIN_WAIT2": "05",
              "TIME_WAIT": "06", "CLOSE": "07", "CLOSE_WAIT": "08", "LAST_ACK": "09", "LISTEN": "0A",
              "CLOSING": "0B"}


class _Waiter:
    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        self.ctx = ctx
        self.start = time.monotonic()
        self.deadline = self.start + args["timeout"]
        self.groups: tuple = ()
        self.groupdict: dict = {}
        regex = args["search_regex"]
        self.pattern: re.Pattern[bytes] | None = None
        if regex is not None:
            try:
                self.pattern = re.compile(regex.encode(), re.MULTILINE)
            except re.error as exc:
                ctx.fail(f"Invalid regular expression: {exc}")

    def elapsed(self) -> int:
        return int(time.monotonic() - self.start)

    def fail(self, default: str) -> None:
        raise ModuleFailed(self.args["msg"] or default, elapsed=self.elapsed())

    def loop(self, check) -> bool:
        """Call `check` every `sleep` seconds until it says True or time runs out."""
        while time.monotonic() < self.deadline:
            if check():
                return True
            time.sleep(max(0.0, min(self.args["sleep"], self.deadline - time.monotonic())))
        return False

    def remember(self, hit: re.Match[bytes]) -> None:
        self.groups = tuple(g.decode("utf-8", "replace") if g is not None else None for g in hit.groups())
        self.groupdict = {k: (v.decode("utf-8", "replace") if v is not None else None)
                          for k, v in hit.groupdict().items()}

    # ------------------------------------------------------------------ checks
    def path_present(self) -> bool:
        path = self.args["path"]
        try:
            os.stat(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            self.fail(f"Failed to stat {path}, {exc.strerror}")
        if self.pattern is None:
            return True
        try:
            with open(path, "rb") as handle:
                hit = self.pattern.search(handle.read())
        except OSError:
            return False
        if hit:
            self.remember(hit)
            return True
        return False

    def path_absent(self) -> bool:
        return not os.path.exists(self.args["path"])

    def connect(self, limit: float) -> socket.socket | None:
        try:
            return socket.create_connection((self.args["host"], self.args["port"]), max(limit, 0.01))
        except OSError:
            return None

    def port_open(self) -> bool:
        remaining = self.deadline - time.monotonic()
        sock = self.connect(min(self.args["connect_timeout"], remaining))
        if sock is None:
            return False
        with sock:
            if self.pattern is None:
                return True
            data = b""
            while time.monotonic() < self.deadline:
                sock.settimeout(max(0.01, self.deadline - time.monotonic()))
                try:
                    chunk = sock.recv(1024)
                except socket.timeout:
                    break
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
                hit = self.pattern.search(data)
                if hit:
                    self.remember(hit)
                    return True
        return False

    def port_closed(self) -> bool:
        sock = self.connect(self.args["connect_timeout"])
        if sock is None:
            return True
        sock.close()
        return False

    def drained(self) -> bool:
        return _active_connections(self.args) == 0


def _hex_addresses(host: str) -> set[tuple[int, str]]:
    """(family, address as /proc/net/tcp writes it) for every address `host` resolves to."""
    found: set[tuple[int, str]] = set()
    try:
        infos = socket.getaddrinfo(host, 80, 0, 0, socket.SOL_TCP)
    except OSError:
        return found
    for family, _, _, _, sockaddr in infos:
        packed = socket.inet_pton(family, str(sockaddr[0]))
        if family == socket.AF_INET:
            found.add((family, packed[::-1].hex().upper()))
            # an IPv4 peer seen on an IPv6 socket: ::ffff:a.b.c.d
            mapped = b"\0" * 10 + b"\xff\xff" + packed
            found.add((socket.AF_INET6, _proc_v6(mapped)))
        else:
            found.add((family, _proc_v6(packed)))
    return found


def _proc_v6(packed: bytes) -> str:
    # /proc/net/tcp6 prints the address as four host-order 32-bit words
    return "".join(packed[i:i + 4][::-1].hex().upper() for i in range(0, 16, 4))


def _active_connections(args: dict[str, Any]) -> int:
    wanted_states = {TCP_STATES[name] for name in args["active_connection_states"]}
    port = "{:04X}".format(int(args["port"]))
    listen_on = _hex_addresses(args["host"])
    any_v4, any_v6 = "0" * 8, "0" * 32
    mapped_prefix = "0000000000000000FFFF0000"
    excluded: set[tuple[int, str]] = set()
    for host in args["exclude_hosts"] or []:
        excluded |= _hex_addresses(host)
    count = 0
    for family, table in ((socket.AF_INET, "/proc/net/tcp"), (socket.AF_INET6, "/proc/net/tcp6")):
        try:
            with open(table) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 4 or fields[3] not in wanted_states:
                continue
            local_ip, local_port = fields[1].split(":")
            remote_ip = fields[2].split(":")[0]
            if local_port != port or (family, remote_ip) in excluded:
                continue
            if ((family, local_ip) in listen_on or (family, any_v4 if family == socket.AF_INET else any_v6) in listen_on
                    or (local_ip.startswith(mapped_prefix) and (family, mapped_prefix + "0" * 8) in listen_on)):
                count += 1
    return count


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    port, path, state = args["port"], args["path"], args["state"]
    if port and path:
        ctx.fail("port and path parameter can not both be passed to wait_for", elapsed=0)
    if path and state in ("stopped", "drained"):
        ctx.fail(f"state={state} should only be used for checking a port in the wait_for module", elapsed=0)
    if args["exclude_hosts"] is not None and state != "drained":
        ctx.fail("exclude_hosts should only be with state=drained", elapsed=0)
    for name in args["active_connection_states"]:
        if name not in TCP_STATES:
            ctx.fail(f"unknown active_connection_state ({name}) defined", elapsed=0)
    waiter = _Waiter(args, ctx)
    if args["delay"]:
        time.sleep(args["delay"])
    host, regex = args["host"], args["search_regex"]

    if not port and not path and state != "drained":
        time.sleep(args["timeout"])
    elif state in ("absent", "stopped"):
        if not waiter.loop(waiter.path_absent if path else waiter.port_closed):
            waiter.fail(f"Timeout when waiting for {host}:{port} to stop." if port
                        else f"Timeout when waiting for {path} to be absent.")
    elif state in ("started", "present"):
        if not waiter.loop(waiter.path_present if path else waiter.port_open):
            if port:
                waiter.fail(f"Timeout when waiting for search string {regex} in {host}:{port}" if regex
                            else f"Timeout when waiting for {host}:{port}")
            waiter.fail(f"Timeout when waiting for search string {regex} in {path}" if regex
                        else f"Timeout when waiting for file {path}")
    elif state == "drained":
        if port is None:
            ctx.fail("port is required with state=drained", elapsed=0)
        if not waiter.loop(waiter.drained):
            waiter.fail(f"Timeout when waiting for {host}:{port} to drain")

    result = {"changed": False, "state": state, "port": port, "search_regex": regex,
              "match_groups": list(waiter.groups), "match_groupdict": waiter.groupdict, "path": path,
              "elapsed": waiter.elapsed()}
    if path:
        result.update(path_info(path))  # as Ansible: a result naming a path describes it
    return result
