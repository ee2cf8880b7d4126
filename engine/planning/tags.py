"""Tag selection (--tags / --skip-tags) with Ansible's special tags.

`always` runs unless skipped by name; `never` runs only when asked for by name;
`tagged` and `untagged` select by whether a task has any tag; `all` is the
default selection.
"""
from __future__ import annotations

from collections.abc import Iterable


def selected(task_tags: Iterable[str], only: Iterable[str], skip: Iterable[str]) -> bool:
    tags = set(task_tags)
    only = set(only) or {"all"}
    skip = set(skip)
    if skip:
        if "all" in skip and "always" not in tags:
            return False
        if tags & skip:
            return False
        if "tagged" in skip and tags:
            return False
        if "untagged" in skip and not tags:
            return False
    if "always" in tags and "always" not in skip:
        return True
    if "never" in tags and not tags & only:  # `--tags never` names it too
        return False
    if "all" in only and "never" not in tags:
        return True
    if "tagged" in only and tags - {"never"}:
        return True
    if "untagged" in only and not tags:
        return True
    return bool(tags & only)
