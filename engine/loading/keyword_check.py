"""Refuse, when a playbook loads, the keyword values Ansible refuses when it loads one.

Driven by the one table in `core.fieldtypes`. What Ansible checks at load is checked here,
with its wording and exit code: a list or mapping where a string belongs (4), a play's
`gather_facts`/`force_handlers`/`max_fail_percentage` that is not of its type (4), `vars`
that is not a mapping (4), `tags` that is neither a list nor a string (1), `throttle` that
is not a number (1), an unknown `strategy` (1) or `order` (5), a malformed `roles`,
`vars_files`, `hosts`, `listen` or `module_defaults` (4). A task's scalar keywords
(`run_once: abc`) are Ansible's run-time errors: the executor checks them on each host
(`running.keyword_types`), after templating.
"""
from __future__ import annotations

from typing import Any

from ..core import fieldtypes as ft
from ..core.errors import CliError, MiniplayError, ParseError
from ..core.yamlfile import node_location, to_plain, value_location


class KeywordError(MiniplayError):
    """A keyword value ansible-playbook refuses with exit code 1 (tags, throttle, strategy)."""


class OrderError(CliError):
    """An unknown `order:` (ansible-playbook exits 5)."""


def check_keyword_types(data: dict, owner: str, path: str) -> None:
    """Check every keyword of one play, block, task or handler mapping (`owner` names it as
    Ansible does: Play, Block, Task, Handler)."""
    for key, raw in data.items():
        kind = ft.FIELD_TYPES.get(key) if isinstance(key, str) else None
        if kind is None:
            continue
        value = to_plain(raw, path)
        if kind == ft.STRING and isinstance(value, (list, dict)) and key not in ("action", "local_action"):
            raise ParseError(f"The field '{key}' is supposed to be a string type, however the incoming data "
                             f"structure is a {ft.type_name(value)}", node_location(data, path))
        check = _CHECKS.get(key)
        if check is not None:
            check(value, owner, data, key, path)
        if owner == "Play" and key in ft.PLAY_LOAD_SCALARS and value is not None and not ft.is_templated(value):
            try:
                ft.convert(kind, value)
            except ft.FieldTypeError as exc:
                raise ParseError(f"Error processing keyword '{key}': {exc}", value_location(data, key, path)) from None


def _vars(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not isinstance(value, dict):
        raise ParseError(f"Vars in a {owner} must be specified as a dictionary.", value_location(data, key, path))


def _tags(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not isinstance(value, (list, str)):
        raise KeywordError("tags must be specified as a list", value_location(data, key, path))


def _throttle(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is None or ft.is_templated(value) or isinstance(value, bool):
        return
    try:
        int(value)
    except (TypeError, ValueError) as exc:
        raise KeywordError(f"Failed to convert the throttle value to an integer: {exc}",
                           value_location(data, key, path)) from None


def _module_defaults(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    parts = value if isinstance(value, list) else [value]
    if value is None or all(isinstance(part, dict) and not any(ft.is_templated(k) for k in part) for part in parts):
        return
    raise ParseError("The field 'module_defaults' is supposed to be a dictionary or list of dictionaries, the keys "
                     "of which must be static action, module, or group names. Only the values may contain "
                     "templates. For example: {'ping': \"{{ ping_defaults }}\"}", value_location(data, key, path))


def _listen(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            raise ParseError(f"Keyword 'listen' items must be of type 'str', not '{ft.type_name(item)}'.",
                             value_location(data, key, path))


def _roles(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not isinstance(value, list):
        raise ParseError(f"A malformed role declaration was encountered: ds ({value!r}) should be a list but was "
                         f"a {ft.type_name(value)}", node_location(data, path))


def _vars_files(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not isinstance(value, (list, str)):
        raise ParseError(f"Invalid `vars_files` value of type '{ft.type_name(value)}'.",
                         value_location(data, key, path))


def _hosts(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if isinstance(value, dict) and value:
        raise ParseError("Hosts list must be a sequence or string. Please check your playbook.",
                         value_location(data, key, path))
    if value in (None, "", [], {}):
        raise ParseError("Hosts list cannot be empty. Please check your playbook", value_location(data, key, path))
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise ParseError("Hosts list contains an invalid host pattern: each must be a string, not a "
                             f"{ft.type_name(item)}", value_location(data, key, path))


def _strategy(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not ft.is_templated(value) and value not in ft.STRATEGIES:
        raise KeywordError(f"Invalid play strategy specified: {value}", node_location(data, path))


def _order(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not ft.is_templated(value) and value not in ft.ORDERS:
        raise OrderError(f"Invalid 'order' specified for inventory hosts: {value}", value_location(data, key, path))


def _loop_control(value: Any, owner: str, data: dict, key: str, path: str) -> None:
    if value is not None and not isinstance(value, dict):
        raise ParseError("the `loop_control` value must be specified as a dictionary and cannot be a variable itself "
                         "(though it can contain variables)", value_location(data, key, path))


_CHECKS = {"loop_control": _loop_control, "vars": _vars, "tags": _tags, "throttle": _throttle,
           "module_defaults": _module_defaults, "listen": _listen, "roles": _roles, "vars_files": _vars_files,
           "hosts": _hosts, "strategy": _strategy, "order": _order}
