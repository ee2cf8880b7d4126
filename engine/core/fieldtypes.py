"""The declared type of every play, block, task and role keyword, and Ansible's conversions.

One table drives every type check: the loader uses it to refuse what Ansible refuses when
it loads a playbook (a list where a string belongs, `gather_facts: abc` on a play), and the
executor uses it again after templating, where Ansible post-validates a task's keywords on
each host (`run_once: abc`, `become: "{{ word }}"`, `timeout: abc` fail that task). The
conversions are Ansible's: `yes`/`no`/`on`/`off`/`true`/`false`/`y`/`n`/`t`/`f`/`1`/`0`
(any case) are booleans, an int may be written `"5"` or `5.0` but not `1.5`, a percent may
end in `%`.
"""
from __future__ import annotations

from typing import Any

BOOL, INT, FLOAT, PERCENT, STRING, LIST, DICT, CLASS = "bool", "int", "float", "percent", "string", "list", "dict", "class"

# keyword -> declared type, as Ansible's playbook classes declare them
FIELD_TYPES: dict[str, str] = {
    # every playbook object
    "name": STRING, "connection": STRING, "port": INT, "remote_user": STRING, "vars": DICT,
    "module_defaults": LIST, "environment": LIST, "no_log": BOOL, "run_once": BOOL, "ignore_errors": BOOL,
    "ignore_unreachable": BOOL, "check_mode": BOOL, "diff": BOOL, "any_errors_fatal": BOOL, "throttle": INT,
    "timeout": INT, "debugger": STRING, "collections": LIST,
    # become
    "become": BOOL, "become_method": STRING, "become_user": STRING, "become_flags": STRING, "become_exe": STRING,
    # conditional, taggable, notifiable, delegatable
    "when": LIST, "tags": LIST, "notify": LIST, "delegate_to": STRING, "delegate_facts": BOOL,
    # task
    "action": STRING, "args": DICT, "async": INT, "changed_when": LIST, "delay": FLOAT, "failed_when": LIST,
    "loop": LIST, "loop_control": CLASS, "poll": INT, "register": STRING, "retries": INT, "until": LIST,
    # handler
    "listen": LIST,
    # block
    "block": LIST, "rescue": LIST, "always": LIST,
    # play
    "hosts": LIST, "gather_facts": BOOL, "gather_subset": LIST, "gather_timeout": INT, "fact_path": STRING,
    "vars_files": LIST, "vars_prompt": LIST, "roles": LIST, "handlers": LIST, "pre_tasks": LIST,
    "post_tasks": LIST, "tasks": LIST, "force_handlers": BOOL, "max_fail_percentage": PERCENT, "serial": LIST,
    "strategy": STRING, "order": STRING,
}

# Ansible's attribute name where it differs from the keyword (its messages use the attribute's)
ATTRIBUTE_NAMES = {"async": "async_val"}

# Scalar keywords of a task that Ansible converts after templating, on each host
TASK_SCALARS = tuple(name for name, kind in FIELD_TYPES.items() if kind in (BOOL, INT, FLOAT, PERCENT)
                     and name not in ("gather_facts", "force_handlers", "max_fail_percentage", "gather_timeout"))

# Scalar keywords of a play that Ansible converts when it loads the play (exit 4)
PLAY_LOAD_SCALARS = ("gather_facts", "force_handlers", "max_fail_percentage")

STRATEGIES = frozenset({"linear", "free", "host_pinned", "debug"})
ORDERS = frozenset({"inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle"})

# Ansible's boolean words (any case, surrounding space ignored), in the order its messages list them.
# Every boolean miniplay reads uses these; only the `bool` filter has a smaller set of its own.
TRUE_WORDS = ("y", "yes", "on", "1", "true", "t")
FALSE_WORDS = ("n", "no", "off", "0", "false", "f")


def loose_bool(value: Any, default: bool = False) -> bool:
    """Ansible's boolean(strict=False), as actions and settings read a flag: None is `default`, a
    bool is itself, a string is true when it is one of Ansible's true words, a number when it is 1;
    anything else is false."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return isinstance(value, (int, float)) and value == 1


class FieldTypeError(ValueError):
    """A value that cannot be converted to its keyword's declared type, in Ansible's words."""

    def __init__(self, value: Any, kind: str) -> None:
        super().__init__(f"The value {value!r} could not be converted to {kind!r}.")


def to_bool(value: Any) -> bool:
    """Ansible's strict boolean: a bool, 1/0, or one of its true/false words (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise FieldTypeError(value, BOOL)


def as_flag(value: Any) -> bool:
    """A boolean keyword's effect: Ansible's conversion, else the value's truthiness (Ansible
    masks output when `no_log` is not a valid boolean, and treats an invalid `ignore_errors`
    as set, while it fails the task for the bad value)."""
    try:
        return to_bool(value)
    except FieldTypeError:
        return bool(value)


def to_int(value: Any) -> int:
    """Ansible's int: an int, or anything Decimal reads as a whole number ("5", 5.0)."""
    if isinstance(value, bool) or isinstance(value, int):
        return int(value)
    import decimal  # here: most values are ints already

    try:
        number = decimal.Decimal(value if isinstance(value, (str, float)) else str(value))
        whole = int(number)
    except (decimal.DecimalException, TypeError, ValueError, OverflowError):
        raise FieldTypeError(value, INT) from None
    if number != whole:
        raise FieldTypeError(value, INT)
    return whole


def to_float(value: Any, kind: str = FLOAT) -> float:
    try:
        if isinstance(value, str) and kind == PERCENT:
            value = value.replace("%", "")
        if isinstance(value, (list, dict)) or value is None:
            raise TypeError
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldTypeError(value, kind) from None


def convert(kind: str, value: Any) -> Any:
    """`value` as its declared scalar type; FieldTypeError in Ansible's words if it cannot be."""
    if kind == BOOL:
        return to_bool(value)
    if kind == INT:
        return to_int(value)
    if kind in (FLOAT, PERCENT):
        return to_float(value, kind)
    return value


def is_templated(value: Any) -> bool:
    """Whether the value holds a template, so its type can only be known on a host."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def type_name(value: Any) -> str:
    """The YAML-level name of a value's type, as users read it."""
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "NoneType"
    return type(value).__name__
