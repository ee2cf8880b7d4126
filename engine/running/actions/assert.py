"""assert — check expressions on the controller; fail with fail_msg if one is false.

Arguments: that (an expression or a list), fail_msg/msg, success_msg, quiet.
"""
from __future__ import annotations

from typing import Any

from ...core.errors import TemplateError
from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    that = ctx.task.args.get("that")  # the raw expressions, not pre-rendered
    if that is None:
        return {"failed": True, "changed": False, "msg": "conditional required in \"that\" string"}
    expressions = that if isinstance(that, list) else [that]
    fail_msg = ctx.args.get("fail_msg", ctx.args.get("msg"))
    quiet = bool(ctx.args.get("quiet", False))
    for expression in expressions:
        try:
            holds = ctx.templar.conditional(expression, ctx.vars)
        except TemplateError as exc:
            return {"failed": True, "changed": False, "msg": exc.message, "assertion": expression}
        if not holds:
            return {"failed": True, "changed": False, "assertion": expression, "evaluated_to": False,
                    "msg": fail_msg if fail_msg is not None else "Assertion failed", "_ansible_verbose_always": True}
    result: dict[str, Any] = {"changed": False, "msg": ctx.args.get("success_msg", "All assertions passed"),
                              "failed": False}
    if not quiet:
        result["_ansible_verbose_always"] = True
    return result
