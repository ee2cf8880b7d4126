"""A task's scalar keywords checked on each host after templating, as Ansible post-validates them.

Ansible converts a task's bool/int/float keywords (`run_once`, `become`, `no_log`,
`timeout`, `retries`, `async`, ...) when the task is about to run on a host, after
templating them with that host's variables; a value that does not convert fails the task on
that host with `Error processing keyword 'X': The value 'abc' could not be converted to
'bool'.` (exit 2), whether the value came from the task, its block or its play. The types
come from the one table in `core.fieldtypes`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core import fieldtypes as ft
from ..core.errors import TemplateError
from ..core.results import keyword_failure
from ..loading.keyword_check import KeywordError

if TYPE_CHECKING:
    from ..core.model import Task

# keywords the executor already evaluates with its own error (the loop's items, per item)
_LEFT_TO_THEIR_USERS = frozenset({"loop"})

# string keywords whose template Ansible renders before the task runs (a failing one fails the task)
_TEMPLATED_STRINGS = ("become_user", "become_method", "remote_user", "connection")


def keyword_type_failure(task: Task, render: Callable[[Any], Any],
                         host_var: Callable[[str], Any] | None = None) -> dict[str, Any] | None:
    """The task's failure result if one of its scalar keywords is not of its declared type on
    this host, else None. A keyword whose template fails is left to the code that uses it
    (its error names the template problem, and a loop variable may only exist per item).
    `host_var` reads the host's variables: `ansible_port` sets the `port` keyword there."""
    looped = task.keywords.get("loop") is not None
    for name in ft.TASK_SCALARS + _TEMPLATED_STRINGS:
        if name in _LEFT_TO_THEIR_USERS or name not in task.keywords:
            continue
        value = task.keywords[name]
        if value is None:
            continue
        try:
            rendered = render(value)
        except TemplateError as exc:
            if looped:  # the loop variable exists only per item: left to the code that uses it
                continue
            attribute = ft.ATTRIBUTE_NAMES.get(name, name)
            return keyword_failure(f"Error processing keyword '{attribute}': {exc.message}", task.value_where(name))
        if name in _TEMPLATED_STRINGS:
            continue
        try:
            ft.convert(ft.FIELD_TYPES[name], rendered)
        except ft.FieldTypeError as exc:
            attribute = ft.ATTRIBUTE_NAMES.get(name, name)
            return keyword_failure(f"Error processing keyword '{attribute}': {exc}", task.value_where(name))
    if host_var is not None and "port" not in task.keywords and _is_local(task, host_var):
        # ansible-core converts a local host's ansible_port as the `port` keyword; over ssh the
        # value goes to the ssh client, whose "Bad port" makes the host UNREACHABLE instead
        try:
            port = host_var("ansible_port")
            if port is not None:
                ft.to_int(port)
        except TemplateError:
            return None
        except ft.FieldTypeError as exc:
            return keyword_failure(f"Error processing keyword 'port': {exc}", task.location)
    return None


def _is_local(task: Task, host_var: Callable[[str], Any]) -> bool:
    try:
        connection = task.keywords.get("connection") or host_var("ansible_connection")
    except TemplateError:
        return False
    return connection == "local"


def throttle_limit(value: Any, render: Callable[[Any], Any]) -> int | None:
    """How many hosts may run the task at once (None: no limit). Ansible treats 0 and
    negative numbers as no limit and refuses a value that is not a number (exit 1)."""
    if value in (None, ""):
        return None
    rendered = render(value) if ft.is_templated(value) else value
    try:
        limit = int(rendered)
    except (TypeError, ValueError) as exc:
        raise KeywordError(f"Failed to convert the throttle value to an integer: {exc}") from None
    return limit if limit > 0 else None
