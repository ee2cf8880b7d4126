"""debconf — preseed a package's debconf question, or read all of its answers.

Debian packages ask their install-time questions through debconf; answering them first
(`debconf-set-selections`) makes an install non-interactive.

Arguments:
  name / pkg                  the package that owns the questions (required)
  question / selection / setting
                              the question, e.g. tzdata/Areas
  vtype                       its type: boolean, error, multiselect, note, password, seen,
                              select, string, text or title
  value / answer              the answer (a list is accepted for multiselect)
  unseen                      keep the question marked unseen, so the package still asks it
                              (`debconf-set-selections -u`)
question, vtype and value go together; with none of them the module only reads.

Current answers come from `debconf-show NAME`; passwords (which debconf-show hides) from
`debconf-get-selections` (package debconf-utils). The task's `environment:` reaches these
programs, so `DEBCONF_SYSTEMRC` can point them at another debconf database.

Returns: changed, msg (what debconf-set-selections printed), current ({question: value};
without a question: every answer of the package), previous (the answer before, '' when
there was none), diff (before/after) with --diff.

Example:
  - name: Answer tzdata's area question before installing it
    debconf:
      name: tzdata
      question: tzdata/Areas
      vtype: select
      value: Europe
"""
from __future__ import annotations

from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["pkg"]},
    "question": {"type": "str", "aliases": ["selection", "setting"]},
    "vtype": {"type": "str", "choices": ["boolean", "error", "multiselect", "note", "password", "seen", "select",
                                        "string", "text", "title"]},
    "value": {"type": "raw", "aliases": ["answer"]},
    "unseen": {"type": "bool", "default": False},
}
REQUIRED_TOGETHER = (("question", "vtype", "value"),)
SUPPORTS_CHECK_MODE = True


def current_answers(ctx: ModuleContext, package: str) -> dict[str, str]:
    """{question: value} as `debconf-show` prints them ('* ' marks a seen question)."""
    rc, out, err = ctx.run_command([require_program(ctx, "debconf-show"), package])
    if rc != 0:
        ctx.fail(err)
    answers: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        answers[key.strip("*").strip()] = value.strip()
    return answers


def stored_password(ctx: ModuleContext, package: str, question: str) -> str:
    """A password answer, which debconf-show does not reveal ('' when none is stored)."""
    rc, out, err = ctx.run_command([require_program(ctx, "debconf-get-selections")])
    if rc != 0:
        ctx.fail(f"Failed to get the value '{question}' from '{package}': {err}")
    for line in out.split("\n"):
        fields = line.split("\t")
        if fields[0] != package:
            continue
        if len(fields) <= 3:
            return ""
        if fields[1] == question and fields[2] == "password":
            return fields[3]
    return ""


def wanted_differs(ctx: ModuleContext, package: str, question: str, vtype: str, value: Any,
                   answers: dict[str, str]) -> tuple[bool, Any]:
    """Whether the stored answer differs from `value`, and the value in debconf's own form."""
    if vtype == "boolean":
        value = _text(value).lower()
    if question not in answers:
        return True, value
    existing: Any = answers[question]
    if vtype == "boolean":
        existing = existing.lower()
    elif vtype == "password":
        existing = stored_password(ctx, package, question)
    elif vtype == "multiselect" and isinstance(value, list):
        try:
            value = sorted(value)
        except TypeError as exc:
            ctx.fail(f"Invalid value provided for 'multiselect': {exc}")
        existing = sorted(part.strip() for part in existing.split(","))
    return value != existing, value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    package, question, vtype, value = args["name"], args["question"], args["vtype"], args["value"]
    answers = current_answers(ctx, package)
    if question is None:
        return {"changed": False, "msg": "", "current": answers}
    changed, value = wanted_differs(ctx, package, question, vtype, value, answers)
    if not changed:
        return {"changed": False, "msg": "", "current": answers}
    msg = ""
    if not ctx.check_mode:
        if vtype == "multiselect" and isinstance(value, list):
            value = ", ".join(_text(v) for v in value)
        command = [require_program(ctx, "debconf-set-selections")] + (["-u"] if args["unseen"] else [])
        rc, msg, err = ctx.run_command(command, data=" ".join([package, question, vtype, _text(value)]))
        if rc:
            ctx.fail(err)
    current = {question: value}
    # Like Ansible: `previous` is just the question's old answer when it had one, otherwise
    # every answer of the package plus the question with an empty answer.
    previous = {question: answers[question]} if question in answers else {**answers, question: ""}
    diff = {"before": previous, "after": {**previous, **current}} if ctx.diff else {}
    return {"changed": True, "msg": msg, "current": current, "previous": previous, "diff": diff}
