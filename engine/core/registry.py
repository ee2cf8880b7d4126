"""Which module and action names exist, and what each can do.

Target modules are the files in `miniplay.modules` (one module a file); controller
actions live in `miniplay.running.actions`. Both are found the same way a third-party
module would be: by name, from the package directory, so adding a file adds a
module. Fully qualified names (`ansible.builtin.copy`) map to the short name.
"""
from __future__ import annotations

import functools
import os

FQCN_PREFIXES = ("ansible.builtin.", "ansible.legacy.", "ansible.posix.", "community.general.")

# Modules whose free-form text is a command line or a file name, not key=value pairs.
RAW_PARAMS_MODULES = frozenset(
    {"command", "shell", "raw", "script", "include_tasks", "import_tasks", "include_vars",
     "include_role", "import_role", "add_host", "group_by", "meta", "set_fact", "import_playbook"}
)

# Actions that Ansible lets run as async jobs; everything else refuses `async`.
ASYNC_ACTIONS_EXCLUDED = frozenset(
    {"copy", "template", "fetch", "script", "slurp", "raw", "async_status"}
)

MODULE_ALIASES = {"systemd_service": "systemd"}
# `action: "{{ pkg_mgr }} name=x"`: the loader's module name for an action known only when the task
# runs; its arguments stay one string under TEMPLATED_ACTION_ARGS until then.
TEMPLATED_ACTION = "_templated_action"
TEMPLATED_ACTION_ARGS = "_templated_action_args"
# Actions Ansible has removed: the loader refuses them with Ansible's message.
REMOVED_ACTIONS = {"include": "Use include_tasks or import_tasks instead. This feature was removed from "
                              "ansible-core in a release after 2023-05-16."}


def modules_dir() -> str:
    """Directory of the target-side module sources (shipped to each worker)."""
    import miniplay.modules as pkg  # installed location wins over the source tree

    return os.path.dirname(os.path.abspath(pkg.__file__))


@functools.cache
def target_modules() -> frozenset[str]:
    names = {f[:-3] for f in os.listdir(modules_dir()) if f.endswith(".py") and not f.startswith("_")}
    return frozenset(names)


def actions_dir() -> str:
    """Directory of the controller-side actions (`miniplay.running.actions`).

    Found by path, not by import: the actions live in a higher layer (running/) than this registry.
    """
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "running", "actions")


@functools.cache
def controller_actions() -> frozenset[str]:
    folder = actions_dir()
    names = {f[:-3] for f in os.listdir(folder) if f.endswith(".py") and not f.startswith("_")}
    return frozenset(names)


# Expanded by the loader; never reach the executor.
LOAD_TIME_ACTIONS = frozenset({"import_tasks", "import_role", "import_playbook"})


def all_names() -> frozenset[str]:
    return target_modules() | controller_actions() | LOAD_TIME_ACTIONS


def canonical_name(written: str) -> str | None:
    """Short module name for `written`, or None when no such module exists."""
    name = written
    for prefix in FQCN_PREFIXES:
        if written.startswith(prefix):
            name = written[len(prefix):]
            break
    name = MODULE_ALIASES.get(name, name)
    return name if name in all_names() else None


def supports_async(module: str) -> bool:
    if module in LOAD_TIME_ACTIONS or (module in controller_actions() and module not in target_modules()):
        return False
    return module not in ASYNC_ACTIONS_EXCLUDED


def suggest(word: str, choices) -> str:
    """A ' Did you mean ...?' hint, or an empty string."""
    import difflib  # here: only a mistyped name needs it

    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.75)
    return f" Did you mean '{close[0]}'?" if close else ""
