"""getent — read a system database (passwd, group, hosts, services, ...) with `getent` into facts.

Sets the fact `getent_<database>`: a dict from each record's first field to the list of its
other fields (split on ':' for passwd, shadow, group and gshadow, on whitespace otherwise, or on
`split`). A key seen twice holds a list of such lists. Changes nothing; runs in check mode.

Arguments:
  database   the database to read, as `getent` names it (required)
  key        only this record (default: the whole database)
  service    the NSS service to ask (`getent -s`)
  split      the field separator (default: ':' for the colon databases, whitespace otherwise)
  fail_key   fail when `key` is not found (default true); false sets `getent_<db>: {key: null}`

Fails with getent's meaning of its exit code: 1 "Missing arguments, or database unknown.",
2 "One or more supplied key could not be found in the database.", 3 "Enumeration not
supported on this database."

Example:
  - name: Does the deploy user exist?
    getent:
      database: passwd
      key: deploy
      fail_key: false
  - debug:
      msg: "home is {{ getent_passwd.deploy[4] }}"
    when: getent_passwd.deploy
"""
from __future__ import annotations

from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program

ARGUMENT_SPEC = {
    "database": {"type": "str", "required": True},
    "key": {"type": "str"},
    "service": {"type": "str"},
    "split": {"type": "str"},
    "fail_key": {"type": "bool", "default": True},
}
SUPPORTS_CHECK_MODE = True

COLON_DATABASES = ("passwd", "shadow", "group", "gshadow")
EXIT_MEANINGS = {
    1: "Missing arguments, or database unknown.",
    2: "One or more supplied key could not be found in the database.",
    3: "Enumeration not supported on this database.",
}


def parse_records(text: str, separator: str | None) -> dict[str, Any]:
    """First field -> other fields; a repeated first field collects every record in a list."""
    table: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split(separator)
        head, rest = fields[0], fields[1:]
        if head not in seen:
            table[head] = rest
            seen[head] = 1
            continue
        if seen[head] == 1:
            table[head] = [table[head]]
        table[head].append(rest)
        seen[head] += 1
    return table


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    database, key = args["database"], args["key"]
    argv = [require_program(ctx, "getent"), database] + ([key] if key is not None else [])
    if args["service"] is not None:
        argv += ["-s", args["service"]]
    separator = args["split"]
    if separator is None and database in COLON_DATABASES:
        separator = ":"
    rc, out, _err = ctx.run_command(argv)
    fact = f"getent_{database}"
    if rc == 2 and not args["fail_key"]:
        return {"ansible_facts": {fact: {key: None}}, "msg": EXIT_MEANINGS[2]}
    if rc != 0:
        ctx.fail(EXIT_MEANINGS.get(rc, "Unexpected failure!"))
    return {"ansible_facts": {fact: parse_records(out, separator)}}
