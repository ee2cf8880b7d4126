"""template — render a Jinja2 file on the controller and put the result on the target.

Arguments: src (found in templates/: the role's first, then beside the task, then
the playbook dir), dest, and everything the target `copy` module takes (mode —
'preserve' keeps the template's mode —, owner, group, backup, force, validate,
follow ...). Rendering options, as in Ansible: trim_blocks (default true),
lstrip_blocks (false), newline_sequence ('\\n', '\\r' or '\\r\\n'),
variable/block/comment start and end strings, output_encoding (utf-8). A first
line `#jinja2: trim_blocks: False, lstrip_blocks: True` overrides them for the file.

Besides the host's variables the template sees template_host, template_path,
template_fullpath, template_destpath, template_mtime, template_uid,
template_run_date and ansible_managed. `{% include %}` finds files beside the
template and in the templates/ folders. Check mode and diff work as for copy:
the target compares checksums and reports, without writing.

Example:
  - name: Configure nginx
    template:
      src: nginx.conf.j2
      dest: /etc/nginx/nginx.conf
      mode: "0644"
      validate: nginx -t -c %s
"""
from __future__ import annotations

import datetime
import os
import pwd
from typing import Any, cast

from ...core.errors import MiniplayError, TemplateError
from ...core.fieldtypes import loose_bool
from . import ActionContext
from .copy import _as_diff_list, fail, find_needle, send_bytes

TEMPLATE_ONLY = ("newline_sequence", "block_start_string", "block_end_string", "variable_start_string",
                 "variable_end_string", "comment_start_string", "comment_end_string", "trim_blocks",
                 "lstrip_blocks", "output_encoding")
STRING_ARGS = ("src", "dest", "state", "newline_sequence", "variable_start_string", "variable_end_string",
               "block_start_string", "block_end_string", "comment_start_string", "comment_end_string")
DELIMITERS = {"variable_start_string": "{{", "variable_end_string": "}}", "block_start_string": "{%",
              "block_end_string": "%}", "comment_start_string": "{#", "comment_end_string": "#}"}
NEWLINES = {"\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n"}
HEADER = "#jinja2:"


def _header_overrides(text: str) -> tuple[str, dict[str, Any]]:
    """A leading `#jinja2: key: value, ...` line sets environment options for this file only."""
    if not text.startswith(HEADER):
        return text, {}
    line, _, rest = text.partition("\n")
    overrides: dict[str, Any] = {}
    for part in line[len(HEADER):].split(","):
        key, sep, value = part.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if value.lower() in ("true", "false"):
            overrides[key] = value.lower() == "true"
        else:
            overrides[key] = value.strip("'\"").encode().decode("unicode_escape")
    return rest, overrides


def _trailing_newlines(text: str) -> int:
    return len(text) - len(text.rstrip("\n"))


def template_vars(src: str, fullpath: str, dest: str, existing: Any) -> dict[str, Any]:
    info = os.stat(fullpath)
    try:
        owner: Any = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = info.st_uid
    values: dict[str, Any] = {
        "template_host": os.uname()[1],
        "template_path": src,
        "template_mtime": datetime.datetime.fromtimestamp(info.st_mtime),
        "template_uid": owner,
        "template_run_date": datetime.datetime.now(),
        "template_destpath": dest,
        "template_fullpath": fullpath,
    }
    if "ansible_managed" not in existing:
        values["ansible_managed"] = "Ansible managed"
    return values


def search_path(ctx: ActionContext, source: str) -> list[str]:
    """Where `{% include %}` and `{% import %}` look: templates/ folders and the template's own folder."""
    bases = []
    if ctx.task.role_path:
        bases.append(ctx.task.role_path)
    bases += [os.path.dirname(os.path.abspath(ctx.task.location.path)), ctx.services.playbook_dir,
              os.path.dirname(source)]
    paths: list[str] = []
    for base in bases:
        for path in (os.path.join(base, "templates"), base):
            if path not in paths:
                paths.append(path)
    return paths


def _argument_problem(args: dict[str, Any], newline: str) -> str | None:
    """Why the task's arguments cannot make a template, as Ansible words it; None when they can."""
    for key in STRING_ARGS:
        if key in args and args[key] is not None and not isinstance(args[key], str):
            return f"{key} is expected to be a string, but got {type(args[key])} instead"
    if args.get("state") is not None:
        return "'state' cannot be specified on a template"
    if args.get("src") is None or args.get("dest") is None:
        return "src and dest are required"
    if newline not in ("\n", "\r", "\r\n"):
        return "newline_sequence needs to be one of: \n, \r or \r\n"
    return None


def run(ctx: ActionContext) -> dict[str, Any]:
    args = dict(ctx.args)
    src, dest = args.get("src"), args.get("dest")
    newline = NEWLINES.get(args.get("newline_sequence", "\n"), args.get("newline_sequence", "\n"))
    problem = _argument_problem(args, newline)
    if problem:
        return fail(problem)
    src, dest = cast(str, src), cast(str, dest)  # both given (checked above)
    try:
        source = find_needle(ctx, "templates", src)
    except TemplateError as exc:
        return fail(exc.message)
    mode = args.get("mode")
    if mode == "preserve":
        mode = "0%03o" % (os.stat(source).st_mode & 0o7777)
    try:
        from ...core.vault_secrets import read_controller_file

        text = read_controller_file(source, ctx.services.options.vault_secrets).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"Could not read the template '{source}': {exc}")
    except MiniplayError as exc:  # a vault-encrypted template that cannot be decrypted
        return fail(exc.message)

    options: dict[str, Any] = {key: args.get(key, default) for key, default in DELIMITERS.items()}
    options.update(trim_blocks=loose_bool(args.get("trim_blocks"), True),
                   lstrip_blocks=loose_bool(args.get("lstrip_blocks")),
                   newline_sequence=newline, keep_trailing_newline=False)
    text, overrides = _header_overrides(text)
    options.update(overrides)
    options["searchpath"] = search_path(ctx, source)
    view = ctx.vars.child(template_vars(src, source, dest, ctx.vars), label="template", lazy=False)
    try:
        rendered = ctx.templar.render_text(text, view, options)
    except TemplateError as exc:
        return fail(f"Task failed: {exc.message}")
    except (TypeError, ValueError) as exc:  # a bad option value (e.g. from #jinja2:)
        return fail(f"Error in template options: {exc}")
    # Jinja drops the file's last newline (and included files' too); give back as many as the file ends with.
    missing = _trailing_newlines(text) - _trailing_newlines(rendered)
    if missing > 0:
        rendered += options["newline_sequence"] * missing
    encoding = args.get("output_encoding") or "utf-8"
    try:
        data = rendered.encode(encoding)
    except (LookupError, UnicodeEncodeError) as exc:
        return fail(f"Could not encode the rendered template as {encoding}: {exc}")
    copy_args = {k: v for k, v in args.items() if k not in TEMPLATE_ONLY and k != "src"}
    copy_args["mode"] = mode
    if copy_args["mode"] is None:
        del copy_args["mode"]
    result = send_bytes(ctx, data, os.path.basename(source), str(dest), copy_args)
    if "path" in result and "dest" not in result:
        result["dest"] = result["path"]
    return _as_diff_list(result)
