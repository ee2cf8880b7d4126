"""debug — print a message or a variable's value (controller only).

Arguments: msg (default "Hello world!"), var (a variable name or expression),
verbosity (only show at this -v level or above).
"""
from __future__ import annotations

from typing import Any

from ...core.errors import TemplateError
from ...core.vault import VaultValueError
from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    args = ctx.args
    unknown = sorted(set(args) - {"msg", "var", "verbosity"})
    if unknown:
        return {"failed": True, "changed": False,
                "msg": f"Invalid options for debug: {', '.join(unknown)}"}
    if "msg" in args and "var" in args:
        return {"failed": True, "changed": False, "msg": "'msg' and 'var' are incompatible options"}
    verbosity = int(args.get("verbosity", 0) or 0)
    if ctx.services.options.verbosity < verbosity:
        return {"changed": False, "skipped": True, "skipped_reason": "Verbosity threshold not met.",
                "_ansible_verbose_always": True}
    result: dict[str, Any] = {"changed": False, "_ansible_verbose_always": True, "failed": False}
    if "var" in args:
        name = args["var"]
        key = name if isinstance(name, str) else str(name)
        try:
            value = ctx.templar.evaluate(key, ctx.vars) if isinstance(name, str) else name
        except VaultValueError as exc:  # Ansible 2.19 fails the task for an undecryptable value
            return {"failed": True, "changed": False,
                    "msg": f"Error while resolving `var` expression: Error rendering expression: {exc.message}"}
        except TemplateError as exc:
            if exc.message.startswith("Recursive loop detected"):  # Ansible fails the task for this one
                return {"failed": True, "changed": False,
                        "msg": f"Task failed: Error while resolving `var` expression: {exc.message}"}
            value = f"<< error 1 - {exc.message} >>"
        result[key] = value
    else:
        result["msg"] = args.get("msg", "Hello world!")
    return result
