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
             "in miniplay itself; some (copy, template, fetch, script) are the controller half of a module.", "",
             "As in Ansible, a `library/` module named like a target module here shadows it (where Ansible has no",
             "action of its own for it), and your action plugin named like a module runs in front of it; see",
             "[collections.md](collections.md#action-plugins).", "",
             "A task's `timeout: N` holds for every module that runs on the target: at N seconds the module and",
             "the processes it started are killed, and the task fails with Ansible's `Task failed: Timed out after",
             "N second(s).` (and `timedout: {period: N}`). Controller-side actions are not timed.", ""]
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
    lines += _ansible_core_table(set(names))
    for name in names:
        lines += ["", f"## {name}", "", "```text", docs[name] or "(no description)", "```"]
    return "\n".join(lines) + "\n"


def _ansible_core_table(native: set[str]) -> list[str]:
    """Each module of ansible-core 2.19: native here, or run from the user's ansible-core, or refused."""
    from ..core.registry import canonical_name
    from ..loading.foreign_modules import ANSIBLE_CORE_MODULES, BUILTIN_ROUTES, CONTROLLER_ONLY

    lines = ["", "## ansible-core's modules: native or foreign", "",
             "Every module of ansible-core 2.19 (`ansible.builtin.*`). **native**: miniplay's own code, above. "
             "**foreign**: runs the module file of the ansible-core installed on the controller, on the target, "
             "the way Ansible runs it (see [foreign modules](collections.md#foreign-modules-library-and-ansible-core)); "
             "without ansible-core the task is refused, saying what to install. **refused**: an ansible-core action "
             "whose code runs inside Ansible's controller; miniplay does not run it.", "",
             "| ansible.builtin | here |", "| --- | --- |"]
    for name in sorted(ANSIBLE_CORE_MODULES | set(BUILTIN_ROUTES)):
        if name in native or canonical_name(name) is not None:
            how = "native"
        elif name in CONTROLLER_ONLY:
            how = "refused (controller-side action)"
        elif name in BUILTIN_ROUTES:
            how = f"foreign, routed to {BUILTIN_ROUTES[name]} as ansible-core does"
        else:
            how = "foreign" + (" (backend chosen as Ansible's dnf action does)" if name == "dnf" else "")
        lines.append(f"| {name} | {how} |")
    return lines


if __name__ == "__main__":
    sys.stdout.write(render())
