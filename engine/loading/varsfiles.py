"""Vars files: a play's `vars_files`, a role's vars/defaults and include_vars all read them here."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..core.errors import Location, ParseError, TemplateError, UndefinedVariableError
from ..core.yamlfile import load_yaml_file, to_plain


def load_vars_file(path: str, warnings: list[str] | None = None, vault: Any = None) -> dict[str, Any]:
    """A vars file (YAML or JSON) must hold a mapping (duplicate keys are reported into `warnings`);
    `vault` decrypts a vault-encrypted one."""
    data = to_plain(load_yaml_file(path, warnings, vault=vault), path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError(f"vars file {path} must contain a mapping of variable names to values, "
                         f"got a {type(data).__name__}")
    return data


def _first_existing(candidates: list[Any], basedir: str, render: Callable[[Any], Any]) -> str | None:
    """The first candidate file name (templated) that exists; an undefined variable propagates."""
    for candidate in candidates:
        try:
            name = str(render(candidate))
        except UndefinedVariableError:
            raise
        except TemplateError:
            continue
        paths = [name] if os.path.isabs(name) else [os.path.join(basedir, "vars", name), os.path.join(basedir, name)]
        for path in paths:   # a play's `vars/` folder first, as Ansible looks
            if os.path.exists(path):
                return path
    return None


def resolve_vars_files(entries: list[Any], basedir: str,
                       render: Callable[[Any], Any], warnings: list[str] | None = None,
                       vault: Any = None,
                       on_undefined: Callable[[int], None] | None = None,
                       where: Location | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(path, values) for each play vars_files entry; a list entry takes the first file that exists.

    `render` templates a file name with the host's variables (a name may use them). An entry
    whose name uses an undefined variable is skipped as a whole (`on_undefined` is told its
    index), even when a later candidate of a first-found list would exist: Ansible warns
    "skipping vars_files item due to an undefined variable" and does not fall back. A file
    that does not exist (in the play's `vars/` folder or beside it) is skipped without a word,
    as ansible-core 2.19 does. `where` is the play's `vars_files:` value.
    """
    loaded: list[tuple[str, dict[str, Any]]] = []
    for index, entry in enumerate(entries):
        candidates = entry if isinstance(entry, list) else [entry]
        try:
            found = _first_existing(candidates, basedir, render)
        except UndefinedVariableError:
            if on_undefined is not None:
                on_undefined(index)
            continue
        if found is None:
            continue   # ansible-core 2.19 skips a vars file it cannot find, without a word (exit 0)
        loaded.append((found, load_vars_file(found, warnings, vault)))
    return loaded
