"""Run the real `miniplay` CLI in a subprocess and hand back what a user would see."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent


@dataclass
class CliRun:
    rc: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def debug_values(self) -> dict[str, object]:
        """The values printed by `debug: var=...` tasks, by name (last one wins)."""
        values: dict[str, object] = {}
        text = self.stdout
        start = 0
        while True:
            index = text.find("] => {\n", start)
            if index < 0:
                return values
            end = text.find("\n}\n", index)
            block = text[index + 5:end + 2]
            try:
                values.update(json.loads(block))
            except ValueError:
                pass
            start = end + 1


def miniplay(*args: str, cwd: Optional[Path] = None, env: Optional[dict[str, str]] = None,
             timeout: float = 120, stdin: Optional[str] = None) -> CliRun:
    """`miniplay ARGS...` through `python -m miniplay`, never through a shell."""
    full_env = dict(os.environ)
    full_env.pop("ANSIBLE_CONFIG", None)
    full_env["PYTHONPATH"] = ""
    if env:
        full_env.update(env)
    proc = subprocess.run([sys.executable, "-m", "miniplay", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, input="" if stdin is None else stdin)  # never a terminal
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


def write(path: Path, text: str) -> Path:
    """Write a dedented file (creating folders) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path
