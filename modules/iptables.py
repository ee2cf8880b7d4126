"""iptables — add or remove one firewall rule, set a chain's policy, flush, or create/delete a chain.

Each task is one rule, checked with `iptables -C` and added (-A/-I) or deleted (-D) only when
needed; nothing is saved across reboots (use iptables-save/netfilter-persistent for that).

Arguments (the common ones; every option of Ansible's module is accepted):
  chain             INPUT, OUTPUT, FORWARD, PREROUTING, POSTROUTING, SECMARK, CONNSECMARK or your own
  table             filter (default), nat, mangle, raw or security
  state             present (default) or absent
  action            append (default) or insert (rule_num: at that position)
  ip_version        ipv4 (default, iptables), ipv6 (ip6tables) or both
  protocol, source, destination, in_interface, out_interface, source_port, destination_port,
  destination_ports (a list: -m multiport --dports), match (a list of -m modules),
  ctstate (a list), jump, goto, to_ports, to_source, to_destination, comment, syn,
  tcp_flags {flags, flags_set}, src_range, dst_range, match_set, match_set_flags, limit,
  limit_burst, uid_owner, gid_owner, reject_with, icmp_type, log_prefix, log_level,
  set_dscp_mark, set_dscp_mark_class, set_counters, fragment, gateway (with jump TEE)
                    the rule itself, written as iptables flags in Ansible's order; a value
                    starting with `!` is negated
  policy            ACCEPT, DROP, QUEUE or RETURN: set the chain's policy instead
  flush             flush the chain (or the whole table without chain)
  chain_management  with no rule options: create (present) or delete (absent) the chain itself
  numeric           list with --numeric when reading a policy or looking for a chain
  wait              seconds to wait for the xtables lock (-w)

Check mode runs only the read-only commands (-C, -L).

Returns: changed, chain, table, ip_version, rule (the rule's flags as one line), state,
flush, chain_management, wait.

Example:
  - name: Let SSH in
    iptables:
      chain: INPUT
      protocol: tcp
      destination_port: "22"
      ctstate: [NEW]
      jump: ACCEPT
      comment: ssh
"""
from __future__ import annotations

import re
import shlex
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program

_STR: dict[str, Any] = {"type": "str"}
_LIST: dict[str, Any] = {"type": "list", "elements": "str", "default": []}
ARGUMENT_SPEC = {
    "table": {"type": "str", "default": "filter", "choices": ["filter", "nat", "mangle", "raw", "security"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "action": {"type": "str", "default": "append", "choices": ["append", "insert"]},
    "ip_version": {"type": "str", "default": "ipv4", "choices": ["ipv4", "ipv6", "both"]},
    "chain": dict(_STR), "rule_num": dict(_STR), "protocol": dict(_STR), "wait": dict(_STR),
    "source": dict(_STR), "to_source": dict(_STR), "destination": dict(_STR), "to_destination": dict(_STR),
    "match": dict(_LIST),
    "tcp_flags": {"type": "dict"},
    "jump": dict(_STR), "gateway": dict(_STR), "log_prefix": dict(_STR),
    "log_level": {"type": "str", "choices": ["0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit",
                                             "error", "warning", "notice", "info", "debug"]},
    "goto": dict(_STR), "in_interface": dict(_STR), "out_interface": dict(_STR), "fragment": dict(_STR),
    "set_counters": dict(_STR), "source_port": dict(_STR), "destination_port": dict(_STR),
    "destination_ports": dict(_LIST),
    "to_ports": dict(_STR), "set_dscp_mark": dict(_STR), "set_dscp_mark_class": dict(_STR), "comment": dict(_STR),
    "ctstate": dict(_LIST),
    "src_range": dict(_STR), "dst_range": dict(_STR), "match_set": dict(_STR),
    "match_set_flags": {"type": "str", "choices": ["src", "dst", "src,dst", "dst,src", "src,src", "dst,dst"]},
    "limit": dict(_STR), "limit_burst": dict(_STR), "uid_owner": dict(_STR), "gid_owner": dict(_STR),
    "reject_with": dict(_STR), "icmp_type": dict(_STR),
    "syn": {"type": "str", "default": "ignore", "choices": ["ignore", "match", "negate"]},
    "flush": {"type": "bool", "default": False},
    "policy": {"type": "str", "choices": ["ACCEPT", "DROP", "QUEUE", "RETURN"]},
    "chain_management": {"type": "bool", "default": False},
    "numeric": {"type": "bool", "default": False},
}
MUTUALLY_EXCLUSIVE = (("set_dscp_mark", "set_dscp_mark_class"), ("flush", "policy"))
SUPPORTS_CHECK_MODE = True

PROGRAMS = {"ipv4": "iptables", "ipv6": "ip6tables"}
ICMP_TYPE_FLAG = {"ipv4": "--icmp-type", "ipv6": "--icmpv6-type", "both": "--icmp-type --icmpv6-type"}
TCP_FLAGS_SPEC = {"flags": {"type": "list", "elements": "str"}, "flags_set": {"type": "list", "elements": "str"}}


class Rule:
    """Builds a rule's iptables flags in the order Ansible's module writes them."""

    def __init__(self) -> None:
        self.words: list[str] = []

    def param(self, value: str | None, flag: str) -> None:
        if value is None:
            return
        if value[:1] == "!":
            self.words += ["!", flag, value[1:]]
        else:
            self.words += [flag, value]

    def each(self, values: list[str], flag: str) -> None:
        for value in values:
            self.param(value, flag)

    def match_flag(self, value: str | None, flag: str, negatable: bool) -> None:
        if value == "match":
            self.words.append(flag)
        elif negatable and value == "negate":
            self.words += ["!", flag]

    def csv(self, values: list[str], flag: str) -> None:
        if values:
            self.words += [flag, ",".join(values)]

    def module(self, when: Any, name: str) -> None:
        if when:
            self.words += ["-m", name]

    def jump(self, when: Any, target: str) -> None:
        if when:
            self.words += ["-j", target]


def build_rule(p: dict[str, Any]) -> list[str]:
    rule = Rule()
    rule.param(p["protocol"], "-p")
    rule.param(p["source"], "-s")
    rule.param(p["destination"], "-d")
    rule.each(p["match"], "-m")
    flags = p["tcp_flags"] or {}
    if flags.get("flags") is not None and flags.get("flags_set") is not None:
        rule.words += ["--tcp-flags", ",".join(flags["flags"]), ",".join(flags["flags_set"])]
    rule.param(p["jump"], "-j")
    jump = (p["jump"] or "").lower()
    if jump == "tee":
        rule.param(p["gateway"], "--gateway")
    rule.param(p["log_prefix"], "--log-prefix")
    rule.param(p["log_level"], "--log-level")
    rule.param(p["to_destination"], "--to-destination")
    rule.module(p["destination_ports"], "multiport")
    rule.csv(p["destination_ports"], "--dports")
    rule.param(p["to_source"], "--to-source")
    rule.param(p["goto"], "-g")
    rule.param(p["in_interface"], "-i")
    rule.param(p["out_interface"], "-o")
    rule.param(p["fragment"], "-f")
    rule.param(p["set_counters"], "-c")
    rule.param(p["source_port"], "--source-port")
    rule.param(p["destination_port"], "--destination-port")
    rule.param(p["to_ports"], "--to-ports")
    rule.param(p["set_dscp_mark"], "--set-dscp")
    if p["set_dscp_mark"] and jump != "dscp":
        rule.jump(p["set_dscp_mark"], "DSCP")
    rule.param(p["set_dscp_mark_class"], "--set-dscp-class")
    if p["set_dscp_mark_class"] and jump != "dscp":
        rule.jump(p["set_dscp_mark_class"], "DSCP")
    rule.match_flag(p["syn"], "--syn", True)
    if "conntrack" in p["match"]:
        rule.csv(p["ctstate"], "--ctstate")
    elif "state" in p["match"]:
        rule.csv(p["ctstate"], "--state")
    elif p["ctstate"]:
        rule.module(True, "conntrack")
        rule.csv(p["ctstate"], "--ctstate")
    if "iprange" not in p["match"]:
        rule.module(p["src_range"] or p["dst_range"], "iprange")
    rule.param(p["src_range"], "--src-range")
    rule.param(p["dst_range"], "--dst-range")
    if "set" in p["match"] or p["match_set"]:
        if "set" not in p["match"]:
            rule.module(True, "set")
        rule.param(p["match_set"], "--match-set")
        if p["match_set_flags"] is not None:
            rule.words.append(p["match_set_flags"])
    rule.module(p["limit"] or p["limit_burst"], "limit")
    rule.param(p["limit"], "--limit")
    rule.param(p["limit_burst"], "--limit-burst")
    for option, flag in (("uid_owner", "--uid-owner"), ("gid_owner", "--gid-owner")):
        rule.module(p[option], "owner")
        rule.match_flag(p[option], flag, True)
        rule.param(p[option], flag)
    if p["jump"] is None:
        rule.jump(p["reject_with"], "REJECT")
        rule.jump(p["set_dscp_mark_class"], "DSCP")
        rule.jump(p["set_dscp_mark"], "DSCP")
    rule.param(p["reject_with"], "--reject-with")
    rule.param(p["icmp_type"], ICMP_TYPE_FLAG[p["ip_version"]])
    rule.module(p["comment"], "comment")
    rule.param(p["comment"], "--comment")
    return rule.words


def check_combinations(p: dict[str, Any], ctx: ModuleContext) -> None:
    """required_by and required_if of Ansible's spec, with its messages."""
    for option in ("set_dscp_mark", "set_dscp_mark_class"):
        if p[option] is not None and p["jump"] is None:
            ctx.fail(f"missing parameter(s) required by '{option}': jump")
    if p["jump"] in ("TEE", "tee") and p["gateway"] is None:
        ctx.fail(f"jump is {p['jump']} but all of the following are missing: gateway")
    if p["flush"] is False and p["chain"] is None:
        ctx.fail("flush is False but all of the following are missing: chain")
    flags = p["tcp_flags"]
    if flags is not None:
        unknown = sorted(k for k in flags if k not in TCP_FLAGS_SPEC)
        if unknown:
            ctx.fail(f"Unsupported parameters for (iptables) module: {', '.join('tcp_flags.' + k for k in unknown)}. "
                     "Supported parameters include: flags, flags_set.")
        for key in TCP_FLAGS_SPEC:
            value = flags.get(key)
            if isinstance(value, str):
                flags[key] = value.split(",")
            elif value is not None and not isinstance(value, list):
                flags[key] = [str(value)]


class Iptables:
    """One iptables (or ip6tables) program and the task's table, chain and wait."""

    def __init__(self, ctx: ModuleContext, path: str, p: dict[str, Any]) -> None:
        self.ctx, self.path, self.p = ctx, path, p

    def command(self, action: str, with_rule: bool = True) -> list[str]:
        words = [self.path, "-t", self.p["table"], action, self.p["chain"]]
        if action == "-I" and self.p["rule_num"]:
            words.append(self.p["rule_num"])
        if self.p["wait"]:
            words += ["-w", self.p["wait"]]
        if with_rule:
            words += build_rule(self.p)
        return [w for w in words if w is not None]

    def run(self, words: list[str], check: bool = True) -> tuple[int, str, str]:
        rc, out, err = self.ctx.run_command(words)
        if check and rc != 0:
            self.ctx.fail(err.rstrip(), cmd=" ".join(shlex.quote(w) for w in words), rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def listing(self, check: bool) -> tuple[int, str, str]:
        words = self.command("-L", with_rule=False)
        if self.p["numeric"]:
            words.append("--numeric")
        return self.run(words, check)

    def version(self) -> tuple[int, ...]:
        _, out, _ = self.run([self.path, "--version"])
        text = out.split("v", 1)[1] if "v" in out else ""
        return tuple(int(n) for n in re.findall(r"\d+", text.split()[0] if text.split() else "")[:3])

    def policy(self) -> str | None:
        _, out, _ = self.listing(True)
        found = re.search(r"\(policy ([A-Z]+)\)", out.split("\n")[0])
        return found.group(1) if found else None


def apply(tool: Iptables, p: dict[str, Any], rule_text: str, ctx: ModuleContext) -> bool:
    """Bring one iptables program in line with the task; whether that changed (or would change) anything."""
    if p["flush"]:
        if not ctx.check_mode:
            tool.run(tool.command("-F", with_rule=False))
        return True
    if p["policy"]:
        current = tool.policy()
        if not current:
            ctx.fail("Can't detect current policy")
        changed = current != p["policy"]
        if changed and not ctx.check_mode:
            tool.run(tool.command("-P", with_rule=False) + [p["policy"]])
        return changed
    if not rule_text:
        # No rule options: the chain itself. Like Ansible, absent/present report a change
        # even when chain_management is off and nothing is done.
        present = tool.listing(False)[0] == 0
        if p["state"] == "absent":
            if present and p["chain_management"] and not ctx.check_mode:
                tool.run(tool.command("-X", with_rule=False))
            return present
        if not present and p["chain_management"] and not ctx.check_mode:
            tool.run(tool.command("-N", with_rule=False))
        return not present
    present = tool.run(tool.command("-C"), check=False)[0] == 0
    wanted = p["state"] == "present"
    if present == wanted:
        return False
    if not ctx.check_mode:
        action = ("-I" if p["action"] == "insert" else "-A") if wanted else "-D"
        tool.run(tool.command(action))
    return True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    p = dict(args)
    check_combinations(p, ctx)
    rule_text = " ".join(build_rule(p))
    result = {"changed": False, "failed": False, "ip_version": p["ip_version"], "table": p["table"],
              "chain": p["chain"], "flush": p["flush"], "rule": rule_text, "state": p["state"],
              "chain_management": p["chain_management"], "wait": p["wait"]}
    versions = ["ipv4", "ipv6"] if p["ip_version"] == "both" else [p["ip_version"]]
    programs = [require_program(ctx, PROGRAMS[v]) for v in versions]
    changed = False
    for path in programs:
        if p["log_prefix"] or p["log_level"]:
            if p["jump"] is None:
                p["jump"] = "LOG"
            elif p["jump"] != "LOG":
                ctx.fail("Logging options can only be used with the LOG jump target.")
        tool = Iptables(ctx, path, p)
        version = tool.version()
        if version < (1, 4, 20):
            p["wait"] = None
        elif version < (1, 6, 0):
            p["wait"] = ""
        changed = apply(tool, p, rule_text, ctx) or changed
    result["changed"] = changed
    return result
