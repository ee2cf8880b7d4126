"""The keywords Ansible accepts on plays, blocks and tasks, and which ones miniplay runs.

A keyword Ansible knows but miniplay does not implement is refused at load time
with a clear message, so a playbook never half-runs because a keyword was
silently ignored.
"""
from __future__ import annotations

# Keywords a task, block or play may carry and that pass down to the tasks inside.
INHERITED = frozenset(
    {"become", "become_user", "become_method", "become_flags", "become_exe", "check_mode", "diff",
     "environment", "ignore_errors", "ignore_unreachable", "no_log", "any_errors_fatal", "delegate_to",
     "delegate_facts", "run_once", "throttle", "timeout", "module_defaults", "remote_user", "port",
     "connection", "collections", "debugger"}
)

TASK = frozenset(
    {"name", "action", "local_action", "args", "async", "poll", "changed_when", "failed_when", "delay",
     "retries", "until", "loop", "loop_control", "notify", "register", "tags", "vars", "when"}
) | INHERITED

HANDLER = TASK | {"listen"}

BLOCK = frozenset({"block", "rescue", "always", "name", "when", "tags", "vars", "notify"}) | INHERITED

PLAY = frozenset(
    {"name", "hosts", "gather_facts", "gather_subset", "gather_timeout", "fact_path", "vars", "vars_files",
     "vars_prompt", "tasks", "pre_tasks", "post_tasks", "handlers", "roles", "serial", "strategy", "order",
     "max_fail_percentage", "force_handlers", "tags"}
) | INHERITED

# Known to Ansible, not run by miniplay: refused at load time, naming the keyword.
UNSUPPORTED = {
    "gather_subset": None,
    "gather_timeout": None,
    "fact_path": None,
    "become_flags": None,
    "become_exe": None,
}

# Accepted and stored, with no effect yet (documented in docs/).
STORED_ONLY = frozenset({"become_flags", "become_exe"})
