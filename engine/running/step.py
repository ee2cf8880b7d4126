"""--step: confirm each task before it runs, as ansible-playbook does.

How this works
--------------
Before a task (meta tasks excepted) runs on its hosts, the question
`Perform task: TASK: NAME (N)o/(y)es/(c)ontinue: ` is written to standard output and one
line is read from standard input — not from the terminal, as Ansible reads it with input(), so
answers can be piped in. `y`/`yes` runs the task, `c`/`continue` runs it and every later
task without asking, anything else skips it on every host (no result, nothing counted; a handler stays notified, and
is asked about again at the next flush, as in Ansible). The
question is then repeated as a banner. Standard input at its end is an error (Ansible
stops there too, with exit 250), said in one sentence.
"""
from __future__ import annotations

import shutil
from typing import TextIO

from ..core.errors import MiniplayError

YES = ("y", "yes")
CONTINUE = ("c", "continue")


class StepInputEnded(MiniplayError):
    """--step found no answer: standard input is at its end. Ansible exits 250 there."""

    exit_code = 250


class StepPrompt:
    """Asks before each task until answered `continue`; one per run."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.asking = True
        self.declined = False   # the last question was answered no (a declined handler stays notified)

    def allows(self, task_name: str, handler: bool = False) -> bool:
        """Whether the task runs (asking first while step mode lasts)."""
        self.declined = False
        if not self.asking:
            return True
        kind = "HANDLER" if handler else "TASK"
        question = f"Perform task: {kind}: {task_name} (N)o/(y)es/(c)ontinue: "
        self.stdout.write(question)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            raise StepInputEnded(f"--step: standard input ended with no answer to \"{question.strip()}\"; "
                                 "answer y, n or c on a line for each task")
        answer = line.strip().lower()
        if answer in CONTINUE:
            self.asking = False
        self.stdout.write(f"\n{_banner(question.strip(), self.stdout)}\n")
        self.stdout.flush()
        self.declined = answer not in YES and answer not in CONTINUE
        return not self.declined


def _banner(text: str, out: TextIO) -> str:
    """The question as a banner: stars to the console's width (79 columns off a terminal)."""
    columns = max(79, shutil.get_terminal_size().columns - 1) if out.isatty() else 79
    return f"{text} {'*' * max(3, columns - len(text))}"
