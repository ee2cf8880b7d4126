"""Parse `-e` values: key=value pairs, @file (YAML/JSON), or inline JSON/YAML."""
from __future__ import annotations

import json
import os
from typing import Any

from ..core.argsplit import parse_kv
from ..core.errors import CliError, MiniplayError
from ..core.yamlbounds import check_expansion
from ..core.yamlfile import load_yaml_file, load_yaml_text, to_plain

CLI_ORIGIN = "<CLI option '-e'>"  # where Ansible says a bad inline -e value came from


class ExtraVarsError(CliError):
    """An -e value that is not a mapping (ansible-playbook exits 5; bad YAML exits 4, a missing file 1)."""


def _not_a_mapping(shown: str) -> ExtraVarsError:
    return ExtraVarsError(f"Invalid extra vars data supplied. '{shown}' could not be made into a dictionary")


def parse_extra_vars(values: list[str], warnings: list[str] | None = None, vault: Any = None) -> dict[str, Any]:
    """The -e values merged in order; duplicate YAML keys in them are reported into `warnings`;
    `vault` (VaultSecrets) decrypts a vault-encrypted @file."""
    merged: dict[str, Any] = {}
    for raw in values:
        merged.update(_one(raw, warnings, vault))
    return merged


def _one(raw: str, warnings: list[str] | None, vault: Any = None) -> dict[str, Any]:
    text = raw.strip()
    if text.startswith("@"):
        path = os.path.abspath(os.path.expanduser(text[1:]))
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise MiniplayError(f"Unable to retrieve file contents. Could not find or access '{path}' "
                                "on the Ansible Controller.")
        data = to_plain(load_yaml_file(path, warnings, vault=vault), path)  # a syntax error is a ParseError: exit 4
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise _not_a_mapping(f"@{path}")
        return data
    if text.startswith("{") or text.startswith("["):
        try:
            data = json.loads(text)
            check_expansion(data)
        except (ValueError, RecursionError):  # not JSON, or JSON nested too deep: YAML says which, with a line
            data = to_plain(load_yaml_text(text, CLI_ORIGIN, warnings=warnings))  # a syntax error is a ParseError: exit 4
        if not isinstance(data, dict):
            raise _not_a_mapping(raw)
        return data
    if not text:
        return {}
    parsed = parse_kv(text, raw_params=False)
    if "_raw_params" in parsed:
        raise ExtraVarsError(f"Invalid extra vars data supplied. '{raw}' could not be made into a dictionary "
                             "(use key=value, @file.yml or a JSON object)")
    return parsed
