"""Build docs/modules.md from the modules' and actions' own docstrings.

    python -m miniplay.cli.docgen > docs/modules.md

The docstrings are the reference: this only collects them, so the page cannot drift
from the code (a test checks the committed page is current).
"""
from __future__ import annotations

import ast
import os
import sys

from ..core.registry import actions_dir, controller_actions, modules_dir, target_modules


def _docstring(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return (ast.get_docstring(tree) or "").strip()


def render() -> str:
    lines = ["# Modules reference", "",
             "Generated from the modules' docstrings by `python -m miniplay.cli.docgen`; do not edit by hand.", "",
             "Target modules run on the host inside its worker (standard library only). Controller actions run",
             "in miniplay itself; some (copy, template, fetch, script) are the controller half of a module.", ""]
    names = sorted(target_modules() | controller_actions())
    lines.append("| name | where | summary |")
    lines.append("| --- | --- | --- |")
    docs = {}
    for name in names:
        where = []
        text = ""
        if name in controller_actions():
            where.append("controller")
            text = _docstring(os.path.join(actions_dir(), f"{name}.py"))
        if name in target_modules():
            where.append("target")
            text = _docstring(os.path.join(modules_dir(), f"{name}.py")) or text
        docs[name] = text
        summary = text.splitlines()[0] if text else ""
        lines.append(f"| [{name}](#{name}) | {' + '.join(where)} | {summary.split(' — ', 1)[-1]} |")
    for name in names:
        lines += ["", f"## {name}", "", "```text", docs[name] or "(no description)", "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
