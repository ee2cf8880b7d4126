"""Checking values against an Ansible argument spec, on the controller, with Ansible's messages.

How this works
--------------
`validate(spec, values)` walks the spec the way Ansible's ArgumentSpecValidator does and
collects every problem instead of stopping at the first: aliases, unsupported names,
required options, types (with conversion: `"42"` for an int is fine), element types,
choices, then the per-option groups of a sub-spec (mutually_exclusive, required_together,
required_one_of, required_if, required_by), and finally each `options:` sub-spec, one level
at a time, naming the path ("found in outer -> inner"). Defaults fill in what was not given.

The spec is plain data (a role's meta/argument_specs.yml entry point, or what a task passes
to validate_argument_spec), so this module only needs the standard library.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .fieldtypes import FALSE_WORDS, TRUE_WORDS

BOOLEANS_TRUE = (*TRUE_WORDS, 1, 1.0, True)
BOOLEANS_FALSE = (*FALSE_WORDS, 0, 0.0, False)


@dataclass
class Validation:
    """The converted values and the error messages, in the order Ansible finds them."""

    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validate(spec: dict[str, Any], values: dict[str, Any]) -> Validation:
    result = Validation(dict(values))
    unsupported: list[str] = []
    supported: dict[str, tuple[list[str], list[str]]] = {}
    _check_level(spec, result.values, [], result, unsupported, supported, groups={})
    if unsupported:
        # Ansible names the options of whichever unsupported name its set yields last (an
        # order that changes from run to run): we name those of the first one found.
        names, aliases = supported.get(unsupported[0], ([], []))
        text = ", ".join(sorted(names)) + (f" ({', '.join(sorted(aliases))})" if aliases else "")
        result.errors.append(f"{', '.join(sorted(unsupported))}. Supported parameters include: {text}.")
    return result


def _found_in(message: str, context: list[str]) -> str:
    return f"{message} found in {' -> '.join(context)}" if context else message


def _apply_aliases(spec: dict[str, Any], params: dict[str, Any], context: list[str],
                   result: Validation) -> dict[str, str]:
    """Copy each alias's value to its option's name (changing `params`); alias -> option name."""
    aliases: dict[str, str] = {}
    for name, option in spec.items():
        option = option or {}
        if option.get("default") is not None and option.get("required"):
            result.errors.append(f"internal error: required and default are mutually exclusive for {name}")
        names = option.get("aliases")
        if names is None:
            continue
        if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
            result.errors.append("internal error: aliases must be a list or tuple")
            continue
        for alias in names:
            aliases[alias] = name
            if alias in params:
                if name in params:
                    result.warnings.append(f"Both option {'.'.join(context + [name])} and its alias "
                                           f"{'.'.join(context + [alias])} are set.")
                params[name] = params[alias]
    return aliases


def _check_level(spec: dict[str, Any], params: dict[str, Any], context: list[str], result: Validation,
                 unsupported: list[str], supported: dict, groups: dict[str, Any]) -> None:
    """One level: the options in `spec` against `params` (changed in place)."""
    errors = result.errors
    aliases = _apply_aliases(spec, params, context, result)
    problem = _sub_value_problem(spec, params)
    if problem:
        errors.append(problem)
    legal = set(aliases) | set(spec)
    for key in params:
        if key not in legal:
            label = ".".join(context + [key]) if context else key
            unsupported.append(label)
            supported[label] = ([k for k in legal if k not in aliases], list(aliases))
    _check_group(groups.get("mutually_exclusive"), params, context, errors, _mutually_exclusive)
    for name, option in spec.items():
        default = (option or {}).get("default")
        if name not in params and default is not None:
            params[name] = default
    missing = sorted(name for name, option in spec.items() if (option or {}).get("required") and name not in params)
    if missing:
        errors.append(_found_in(f"missing required arguments: {', '.join(missing)}", context))
    _check_types(spec, params, context, errors)
    _check_choices(spec, params, context, errors)
    _check_group(groups.get("required_together"), params, context, errors, _required_together)
    _check_group(groups.get("required_one_of"), params, context, errors, _required_one_of)
    _check_group(groups.get("required_if"), params, context, errors, _required_if)
    _check_required_by(groups.get("required_by"), params, context, errors)
    for name, option in spec.items():
        if name not in params:
            params[name] = (option or {}).get("default")
    for name, option in spec.items():
        _check_sub_spec(name, option or {}, params, context, result, unsupported, supported)


def _sub_value_problem(spec: dict[str, Any], params: dict[str, Any]) -> str | None:
    """The first sub-option value that is not a mapping (Ansible finds these while listing
    no_log values, before anything else, and stops there)."""
    for name, option in spec.items():
        option = option or {}
        wanted = option.get("type")
        value = params.get(name)
        if option.get("options") is None or value is None:
            continue
        if wanted == "dict" or (wanted == "list" and option.get("elements") == "dict"):
            for element in value if isinstance(value, list) else [value]:
                if isinstance(element, str):
                    try:
                        element = _dict(element)
                    except TypeError as exc:
                        return str(exc)
                if not isinstance(element, dict):
                    return f"Value '{element}' in the sub parameter field '{name}' must be a {wanted}, " \
                           f"not '{_tagged_name(element)}'"
                inner = _sub_value_problem(option["options"], element)
                if inner:
                    return inner
    return None


def _tagged_name(value: Any) -> str:
    """The class name Ansible 2.19 shows for a value read from YAML (it wraps them in tagged types)."""
    name = type(value).__name__
    return f"_AnsibleTagged{name.capitalize()}" if type(value) in (str, int, float, list, dict) else name


def class_text(value: Any) -> str:
    if type(value) in (str, int, float, list, dict):
        return f"<class 'ansible.module_utils._internal._datatag.{_tagged_name(value)}'>"
    return str(type(value))


def _check_sub_spec(name: str, option: dict[str, Any], params: dict[str, Any], context: list[str],
                    result: Validation, unsupported: list[str], supported: dict) -> None:
    wanted = option.get("type")
    if not (wanted == "dict" or (wanted == "list" and option.get("elements") == "dict")):
        return
    sub_spec = option.get("options")
    if option.get("apply_defaults"):
        if sub_spec is None:
            return
        if params.get(name) is None:
            params[name] = {}
    elif sub_spec is None or params.get(name) is None:
        return
    value = params[name]
    elements = value if isinstance(value, list) else [value]
    inner = context + [name]
    groups = {key: option.get(key) for key in ("mutually_exclusive", "required_together", "required_one_of",
                                               "required_if", "required_by")}
    for element in elements:
        if not isinstance(element, dict):
            result.errors.append(f"value of '{name}' must be of type dict or list of dicts")
            continue
        _check_level(sub_spec, element, inner, result, unsupported, supported, groups)


# ---------------------------------------------------------------------- groups of options
def _check_group(terms: Any, params: dict[str, Any], context: list[str], errors: list[str],
                 check: Callable[[Any, dict[str, Any]], str | None]) -> None:
    if not terms:
        return
    message = check(terms, params)
    if message:
        errors.append(_found_in(message, context))


def _given(names: Any, params: dict[str, Any]) -> int:
    names = [names] if isinstance(names, str) else list(names)
    return len(set(names) & set(params))


def _mutually_exclusive(terms: Any, params: dict[str, Any]) -> str | None:
    terms = [terms] if terms and isinstance(terms[0], str) else terms
    clashes = [term for term in terms if _given(term, params) > 1]
    if clashes:
        return "parameters are mutually exclusive: " + ", ".join("|".join(term) for term in clashes)
    return None


def _required_together(terms: Any, params: dict[str, Any]) -> str | None:
    for term in terms:
        count = _given(term, params)
        if count and count != len(term):
            return f"parameters are required together: {', '.join(term)}"
    return None


def _required_one_of(terms: Any, params: dict[str, Any]) -> str | None:
    for term in terms:
        if _given(term, params) == 0:
            return f"one of the following is required: {', '.join(term)}"
    return None


def _required_if(rules: Any, params: dict[str, Any]) -> str | None:
    for rule in rules:
        key, value, needed = rule[0], rule[1], list(rule[2])
        any_of = len(rule) > 3 and bool(rule[3])
        if key not in params or params[key] != value:
            continue
        missing = [name for name in needed if _given(name, params) == 0]
        if missing and len(missing) >= (len(needed) if any_of else 1):
            return f"{key} is {value} but {'any' if any_of else 'all'} of the following are missing: " \
                   f"{', '.join(missing)}"
    return None


def _check_required_by(rules: Any, params: dict[str, Any], context: list[str], errors: list[str]) -> None:
    for key, needed in (rules or {}).items():
        if key not in params or params[key] is None:
            continue
        needed = [needed] if isinstance(needed, str) else list(needed)
        missing = [name for name in needed if params.get(name) is None]
        if missing:
            errors.append(_found_in(f"missing parameter(s) required by '{key}': {', '.join(missing)}", context))
            return


# ---------------------------------------------------------------------- types and choices
def _check_types(spec: dict[str, Any], params: dict[str, Any], context: list[str], errors: list[str]) -> None:
    for name, option in spec.items():
        option = option or {}
        if name not in params:
            continue
        value = params[name]
        if value is None and not option.get("required") and option.get("default") is None:
            continue
        wanted = option.get("type") or "str"
        convert = CONVERTERS.get(wanted)
        if convert is None:
            errors.append(_found_in(f"argument '{name}' has an unknown type {wanted}", context))
            continue
        try:
            params[name] = convert(value)
        except (TypeError, ValueError) as exc:
            where = f" found in '{' -> '.join(context)}'." if context else ""
            errors.append(f"argument '{name}' is of type {_type_name(value)}{where} and we were unable to "
                          f"convert to {wanted}: {exc}")
            continue
        element_type = option.get("elements")
        if element_type:
            if not isinstance(params[name], list):
                where = f" found in '{' -> '.join(context)}'." if context else ""
                errors.append(f"Invalid type {wanted} for option '{params[name]}'{where}, elements value check is "
                              "supported only with 'list' type")
                continue
            params[name] = _check_elements(element_type, name, params[name], context, errors)


def _check_elements(wanted: str, name: str, values: list[Any], context: list[str], errors: list[str]) -> list[Any]:
    convert = CONVERTERS.get(wanted, _raw)
    checked = []
    for value in values:
        try:
            checked.append(convert(value))
        except (TypeError, ValueError) as exc:
            where = f" found in '{' -> '.join(context)}'" if context else ""
            errors.append(f"Elements value for option '{name}'{where} is of type {_type_name(value)} and we were "
                          f"unable to convert to {wanted}: {exc}")
    return checked


def _check_choices(spec: dict[str, Any], params: dict[str, Any], context: list[str], errors: list[str]) -> None:
    for name, option in spec.items():
        choices = (option or {}).get("choices")
        if choices is None or name not in params:
            continue
        if isinstance(choices, (str, bytes)) or not isinstance(choices, (list, tuple, set, frozenset)):
            errors.append(_found_in(f"internal error: choices for argument {name} are not iterable: {str(choices)}",
                                    context))
            continue
        value = params[name]
        listed = ", ".join(str(c) for c in choices)
        if isinstance(value, list):
            strays = [v for v in value if v not in choices]
            if strays:
                errors.append(_found_in(f"value of {name} must be one or more of: {listed}. Got no match for: "
                                        f"{', '.join(str(v) for v in strays)}", context))
            continue
        if value not in choices:
            for text, words in (("False", BOOLEANS_FALSE), ("True", BOOLEANS_TRUE)):
                overlap = [c for c in choices if c in words]
                if value == text and len(overlap) == 1:
                    params[name] = value = overlap[0]
            if value not in choices:
                errors.append(_found_in(f"value of {name} must be one of: {listed}, got: {value}", context))


def _type_name(value: Any) -> str:
    return type(value).__name__


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    import decimal

    try:
        number = decimal.Decimal(value)
        if number != int(number):
            raise ValueError("Significant decimal part found")
        return int(number)
    except (decimal.DecimalException, TypeError, ValueError):
        raise TypeError(f'"{value!r}" cannot be converted to an int') from None


def _float(value: Any) -> float:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{class_text(value)} cannot be converted to a float") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int, float)):
        key = value.strip().lower() if isinstance(value, str) else value
        if key in BOOLEANS_TRUE:
            return True
        if key in BOOLEANS_FALSE:
            return False
        words = ", ".join(repr(w) for w in (*BOOLEANS_TRUE[:6], *BOOLEANS_FALSE[:6], 1, 0))
        raise TypeError(f"The value '{value}' is not a valid boolean. Valid booleans include: {words}")
    raise TypeError(f"{class_text(value)} cannot be converted to a bool")


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, (int, float)):
        return [str(value)]
    raise TypeError(f"{class_text(value)} cannot be converted to a list")


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if value.startswith("{"):
            try:
                return json.loads(value)
            except ValueError:
                raise TypeError("unable to evaluate string as dictionary") from None
        if "=" in value:
            fields = [part for part in value.replace(",", " ").split() if part]
            try:
                return dict(part.split("=", 1) for part in fields)
            except ValueError:
                raise TypeError('unable to evaluate string in the "key=value" format as dictionary') from None
        raise TypeError("dictionary requested, could not parse JSON or key=value")
    raise TypeError(f"{class_text(value)} cannot be converted to a dict")


def _path(value: Any) -> str:
    return os.path.expanduser(os.path.expandvars(_str(value)))


def _raw(value: Any) -> Any:
    return value


def _jsonarg(value: Any) -> str:
    if isinstance(value, (str, bytes)):
        return value.strip() if isinstance(value, str) else value.decode().strip()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    raise TypeError(f"{class_text(value)} cannot be converted to a json string")


def _bytes(value: Any) -> int:
    return _human_size(value, "Byte", 1024)


def _bits(value: Any) -> int:
    return _human_size(value, "Bit", 1024)


def _human_size(value: Any, label: str, base: int) -> int:
    if isinstance(value, int):
        return value
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTPEZY]?)([bB]?)\s*", str(value))
    if not found:
        raise TypeError(f"{class_text(value)} cannot be converted to a {label} value")
    number, prefix = float(found.group(1)), found.group(2)
    return int(number * base ** ("KMGTPEZY".index(prefix) + 1 if prefix else 0))


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": _str, "int": _int, "float": _float, "bool": _bool, "list": _list, "dict": _dict, "path": _path,
    "raw": _raw, "jsonarg": _jsonarg, "json": _jsonarg, "bytes": _bytes, "bits": _bits,
}
