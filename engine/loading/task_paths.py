"""Where a static `import_tasks` inside a role finds its file.

Ansible looks in more places than the role's own `tasks/`: a role's handlers file may import
`handlers.yml` from the role's `handlers/`, and a file a role does not hold is taken from the
playbook's folder (ansible-core's `path_dwim_relative`, the order written out below).
"""
from __future__ import annotations

import os


def role_import_candidates(role_path: str, target: str, handlers: bool, playbook_dir: str | None) -> list[str]:
    """The paths tried, in order, for `import_tasks: target` in a role's tasks (or handlers)."""
    if os.path.isabs(target) or target.startswith("~"):
        return [os.path.expanduser(target)]
    section = "handlers" if handlers else "tasks"
    candidates = [os.path.join(role_path, section, target)]
    if not target.endswith(section):
        candidates.append(os.path.join(role_path, "tasks", target))
    candidates += [os.path.abspath(os.path.join(section, target)), os.path.join(role_path, target)]
    if playbook_dir:
        candidates += [os.path.join(playbook_dir, section, target), os.path.join(playbook_dir, target)]
    return list(dict.fromkeys(candidates))


def first_existing(candidates: list[str]) -> str:
    """The first candidate that exists; the first one when none does (the error then names it)."""
    return next((path for path in candidates if os.path.exists(path)), candidates[0])
