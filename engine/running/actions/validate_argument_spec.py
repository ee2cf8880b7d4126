"""validate_argument_spec — check variables against an argument spec (what a role's
meta/argument_specs.yml does for its entry point), with Ansible's messages.

Arguments:
  argument_spec       the spec: {name: {type, required, default, choices, aliases, elements,
                      options, mutually_exclusive, required_together, required_one_of,
                      required_if, required_by, apply_defaults}} (required)
  provided_arguments  values to check; they win over the task's variables of the same names
                      (by default the variables named in the spec are checked)
  validate_args_context  any data, returned as is, to say what was checked

A role whose meta/argument_specs.yml (or `argument_specs` in meta/main.yml) describes the entry
point being run (main, or tasks_from) gets this check as its first task, named "Validating
arguments against arg spec 'main' - <short_description>", with the role's parameters as
provided_arguments, as in Ansible.

Returns: msg ("The arg spec validation passed", or "Validation of arguments failed:" and one
line per problem), argument_errors, argument_spec_data, validate_args_context.

Example:
  - validate_argument_spec:
      argument_spec:
        port: {type: int, required: true}
        mode: {choices: [fast, safe], default: safe}
"""
from __future__ import annotations

import textwrap
from typing import Any

from ...core.argspec import class_text, validate
from ...core.errors import TemplateError
from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    args = ctx.args
    result: dict[str, Any] = {"validate_args_context": args.get("validate_args_context", {})}
    if "argument_spec" not in args:
        return {"failed": True, "changed": False, "msg": f'Task failed: "argument_spec" arg is required in args: {args}'}
    spec = args["argument_spec"]
    provided = args.get("provided_arguments", {})
    for name, value in (("argument_spec", spec), ("provided_arguments", provided)):
        if not isinstance(value, dict):  # Ansible raises here: no result keys besides msg
            return {"failed": True, "changed": False,
                    "msg": f"Task failed: Incorrect type for {name}, expected dict and got {class_text(value)}"}
    values: dict[str, Any] = {}
    for name in spec:
        if name in ctx.vars:
            try:
                values[name] = ctx.vars[name]
            except (TemplateError, KeyError):
                continue
    values.update(provided)
    checked = validate(spec, values)
    for text in checked.warnings:
        ctx.warn(text)
    if checked.errors:
        failure = {**result, "failed": True, "changed": False,
                   "msg": "Validation of arguments failed:\n" + "\n".join(checked.errors),
                   "argument_spec_data": spec, "argument_errors": checked.errors}
        if ctx.task.location.path == "<unknown>":  # a role's implicit check: Ansible shows the task itself
            failure["_miniplay_origin_text"] = textwrap.shorten(
                str({"action": "ansible.builtin.validate_argument_spec", "args": dict(ctx.task.args),
                     "name": ctx.task.name, "tags": ["always"]}), width=120)
        return failure
    return {**result, "changed": False, "msg": "The arg spec validation passed"}
