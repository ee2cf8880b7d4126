"""command — run a program on the target, without a shell.

Arguments:
  _raw_params / cmd   the command line, split like a shell would (no pipes, no $VARS)
  argv                the command as a list, no splitting
  chdir               change into this directory first
  creates             skip the command when this path exists
  removes             skip the command unless this path exists
  stdin               text to feed on standard input
  stdin_add_newline   add a newline after stdin (default true)
  strip_empty_ends    strip trailing newlines from stdout/stderr (default true)
  expand_argument_vars  expand $VARS and ~ in the arguments (default true)

Example:
  - name: Build the site
    command: make html
    args:
      chdir: /srv/site
      creates: /srv/site/_build/index.html
"""
from __future__ import annotations

import datetime
import glob
import os
import shlex
import subprocess
from typing import Any

from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {
    "_raw_params": {"type": "str"},
    "_uses_shell": {"type": "bool", "default": False},
    "cmd": {"type": "str"},
    "argv": {"type": "list", "elements": "str"},
    "chdir": {"type": "path"},
    "executable": {"type": "path"},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "stdin": {"type": "str"},
    "stdin_add_newline": {"type": "bool", "default": True},
    "strip_empty_ends": {"type": "bool", "default": True},
    "expand_argument_vars": {"type": "bool", "default": True},
}
SUPPORTS_CHECK_MODE = True


def _strip(text: str, enabled: bool) -> str:
    return text.rstrip("\r\n") if enabled else text


def _check_command(args: dict[str, Any], ctx: ModuleContext, shell: bool, command_line: Any, argv: Any) -> None:
    """Ansible's argument checks, in its order and words: one command, given one way."""
    if command_line and argv:
        ctx.fail("parameters are mutually exclusive: argv|cmd|_raw_params")
    if not command_line and argv is None:  # Ansible's required_one_of: an empty command line counts as none
        ctx.fail("one of the following is required: _raw_params, cmd, argv")
    if not command_line and not argv:
        ctx.fail("no command given", rc=256)
    if not shell and args["executable"]:
        ctx.warn("As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. "
                 f"Not using '{args['executable']}'.")


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    shell = args["_uses_shell"]
    command_line = args["_raw_params"] or args["cmd"]
    argv = args["argv"]
    _check_command(args, ctx, shell, command_line, argv)
    chdir = args["chdir"]
    if chdir:
        chdir = os.path.abspath(chdir)
        if not os.path.isdir(chdir):
            ctx.fail(f"Unable to change directory before execution: [Errno 2] No such file or directory: '{chdir}'",
                     rc=None)
    if shell:
        shown_cmd: Any = command_line if command_line else " ".join(shlex.quote(a) for a in argv)
        run_args: Any = shown_cmd
    else:
        run_args = list(argv) if argv else shlex.split(command_line)
        if args["expand_argument_vars"]:
            run_args = [os.path.expandvars(os.path.expanduser(a)) for a in run_args]
        shown_cmd = run_args

    result: dict[str, Any] = {"cmd": shown_cmd, "stdout": "", "stderr": "", "rc": 0,
                              "start": None, "end": None, "delta": None, "msg": "", "changed": False}
    for key, wanted in (("creates", True), ("removes", False)):
        path = args[key]
        if path is None:
            continue
        base = os.path.join(chdir, path) if chdir else path
        found = bool(glob.glob(base))
        if found == wanted:
            state = "exists" if wanted else "does not exist"
            verb = "Would not run" if ctx.check_mode else "Did not run"
            result.update(msg=f"{verb} command since '{path}' {state}", stdout=f"skipped, since {path} {state}")
            return result
    if ctx.check_mode:
        # with creates/removes the module can tell it would change something; without, it cannot know
        guarded = args["creates"] is not None or args["removes"] is not None
        result.update(msg="Command would have run if not in check mode",
                      **({"changed": True} if guarded else {"skipped": True}))
        return result

    data = args["stdin"]
    if data is not None and args["stdin_add_newline"]:
        data += "\n"
    started = datetime.datetime.now()
    try:
        proc = subprocess.run(
            run_args, shell=shell, cwd=chdir, executable=args["executable"] if shell else None,
            input=data.encode() if data is not None else None,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True, env=ctx.environ(),
        )
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except (FileNotFoundError, PermissionError) as exc:
        # Ansible's shape: the command as written, a short msg, the OS error in the [ERROR] header only
        ctx.fail("Error executing command.", rc=exc.errno, cmd=command_line or argv, stdout="", stderr="",
                 _miniplay_exception=f"[Errno {exc.errno}] {exc.strerror}: b'{exc.filename}'")
    ended = datetime.datetime.now()
    result.update(
        stdout=_strip(out.decode("utf-8", errors="replace"), args["strip_empty_ends"]),
        stderr=_strip(err.decode("utf-8", errors="replace"), args["strip_empty_ends"]),
        rc=rc, start=str(started), end=str(ended), delta=str(ended - started), changed=True,
    )
    if rc != 0:
        result.update(failed=True, msg="non-zero return code")
    return result
