"""vars_prompt: ask for a play's variables when the play starts, as ansible-playbook does.

How this works
--------------
Each entry (`name`, `prompt`, `default`, `private`, `confirm`, `encrypt`, `salt`,
`salt_size`, `unsafe`) is first templated with the play's vars and extra vars. A name given
with `-e` is not asked. On a terminal the question is `prompt [default]: ` (a private one
does not echo), asked twice with `confirm` until both answers match; an empty answer takes
the default. Without a terminal nothing is asked: one warning, and each variable takes its
default (None without one), exactly as Ansible does. `encrypt` hashes the value with the
`password_hash` filter's schemes. The values become play vars; an answer is a template
unless `unsafe: true` (Ansible's rule).
"""
from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from ..core.fieldtypes import loose_bool
from ..core.yamlfile import UnsafeText
from ..loading.role_names import LazyPlayVars
from ..templating.templar import Templar

NOT_INTERACTIVE = "Not prompting as we are not in interactive mode"
MISMATCH = "***** VALUES ENTERED DO NOT MATCH ****"


def ask_play_prompts(prompts: list[dict[str, Any]], play_vars: Mapping[str, Any], extra_vars: Mapping[str, Any],
                     templar: Templar, warn: Callable[[str], None], stdin: TextIO | None = None,
                     stdout: TextIO | None = None) -> dict[str, Any]:
    """The values of a play's vars_prompt entries (names given with -e are left out)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    values: dict[str, Any] = {}
    scope = LazyPlayVars({**play_vars, **extra_vars}, templar)
    for raw in prompts:
        entry = templar.template(raw, scope)
        name = str(entry["name"])
        if name in extra_vars:
            continue
        default = entry.get("default")
        if interactive:
            answer: Any = _ask(name, entry, default, stdin, stdout)
        else:
            warn(NOT_INTERACTIVE)
            answer = None
        if not answer and default is not None:
            answer = default
        if entry.get("encrypt"):
            from ..templating.filters import FILTERS  # here: importing every filter is a cost for every run

            answer = FILTERS["password_hash"](answer, str(entry["encrypt"]), salt=entry.get("salt"),
                                              salt_size=entry.get("salt_size"))
        answer = "None" if answer is None else str(answer)
        values[name] = UnsafeText(answer) if loose_bool(entry.get("unsafe"), False) else answer
    return values


def _ask(name: str, entry: dict[str, Any], default: Any, stdin: TextIO, stdout: TextIO) -> str:
    prompt = entry.get("prompt")
    if prompt and default is not None:
        question = f"{prompt} [{default}]: "
    elif prompt:
        question = f"{prompt}: "
    else:
        question = f"input for {name}: "
    private = loose_bool(entry.get("private"), True)

    def read(text: str) -> str:
        if private:
            return getpass.getpass(text)
        stdout.write(text)
        stdout.flush()
        return stdin.readline().rstrip("\n")

    if not loose_bool(entry.get("confirm"), False):
        return read(question)
    while True:
        first, second = read(question), read("confirm " + question)
        if first == second:
            return first
        stdout.write(MISMATCH + "\n")
