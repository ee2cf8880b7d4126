"""expect — run a command on a terminal and answer its prompts (no pexpect needed on the target).

The command runs without a shell on a pseudo-terminal (standard library `pty` machinery), so
programs that read passwords or confirmations from the tty work. Each key of `responses` is
a regular expression looked for in the output; its value is written back followed by a
newline. A list value gives successive answers to the same prompt (one per time it
appears; running out fails the task). Like Ansible, this module does not run in check mode
(the task is skipped).

Arguments:
  command    the command line (required; split like a shell would, but no shell runs it)
  responses  {prompt regex: answer or [answers...]} (required)
  chdir      run in this directory
  creates    skip when this path exists;  removes: skip when this path does not exist
  timeout    seconds to wait for each next prompt or the end (default 30; null: no limit)
  echo       let the terminal echo the answers into the output (default false)

Returns: cmd, stdout (the terminal's output: lines end in \\r\\n, as a tty writes them), rc,
start, end, delta, changed (always true when it ran). Fails with 'non-zero return code' or
'command exceeded timeout'.

Example:
  - name: Set a password interactively
    expect:
      command: passwd deploy
      responses:
        (?i)password: "{{ deploy_password }}"
    no_log: true
"""
from __future__ import annotations

import datetime
import os
import shlex
import shutil
from typing import Any, Callable

from miniplay.modules._common import ModuleContext
from miniplay.modules._ptyrun import run_with_answers

ARGUMENT_SPEC = {
    "command": {"type": "str", "required": True},
    "chdir": {"type": "path"},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "responses": {"type": "dict", "required": True},
    "timeout": {"type": "raw", "default": 30},
    "echo": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = False


def line_of(value: Any) -> bytes:
    text = value if isinstance(value, str) else str(value)
    return text.encode().rstrip(b"\n") + b"\n"


def successive(ctx: ModuleContext, question: str, answers: list[Any]) -> Callable[[list[bytes]], bytes]:
    """An answer that gives the next item each time the prompt comes back."""
    queue = [line_of(a) for a in answers]

    def next_answer(output: list[bytes]) -> bytes:
        if not queue:
            # Ansible formats the bytes themselves here (b'...'); the same text is kept
            ctx.fail(f"No remaining responses for '{question}', output was '{output[-1] if output else b''!r}'")
        return queue.pop(0)
    return next_answer


def as_timeout(ctx: ModuleContext, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        ctx.fail(f"argument 'timeout' is of type {type(value)} and we were unable to convert to int: "
                 f"{type(value).__name__} cannot be converted to an int")
    try:
        return int(value)
    except (TypeError, ValueError):
        ctx.fail(f"argument 'timeout' is of type {type(value)} and we were unable to convert to int: "
                 f"{type(value).__name__} cannot be converted to an int")


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    command, chdir = args["command"], args["chdir"]
    timeout = as_timeout(ctx, args["timeout"])
    answers = [(str(question).encode(),
                successive(ctx, str(question), value) if isinstance(value, list) else line_of(value))
               for question, value in args["responses"].items()]
    if command.strip() == "":
        ctx.fail("no command given", rc=256)
    if chdir:
        chdir = os.path.abspath(chdir)
    if args["creates"] and os.path.exists(os.path.join(chdir or "", args["creates"])):
        return {"cmd": command, "stdout": f"skipped, since {args['creates']} exists", "changed": False, "rc": 0}
    if args["removes"] and not os.path.exists(os.path.join(chdir or "", args["removes"])):
        return {"cmd": command, "stdout": f"skipped, since {args['removes']} does not exist", "changed": False,
                "rc": 0}
    argv = shlex.split(command)
    env = ctx.environ()
    program = argv[0] if os.sep in argv[0] else shutil.which(argv[0], path=env.get("PATH"))
    if program is None or not os.access(program, os.X_OK) or os.path.isdir(program):
        ctx.fail(f"The command was not found or was not executable: {argv[0]}.")
    started = datetime.datetime.now()
    out, rc = run_with_answers([program, *argv[1:]], answers, timeout, chdir, env, args["echo"])
    ended = datetime.datetime.now()
    result = {"cmd": command, "stdout": out.decode(errors="replace").rstrip("\r\n"), "rc": rc,
              "start": str(started), "end": str(ended), "delta": str(ended - started), "changed": True}
    if rc is None:
        ctx.fail("command exceeded timeout", **result)
    if rc != 0:
        ctx.fail("non-zero return code", **result)
    return result
