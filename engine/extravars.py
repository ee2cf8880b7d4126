"""Parse `-e` values: key=value pairs, @file (YAML/JSON), or inline JSON/YAML."""
from __future__ import annotations

import json
import os
from typing import Any

from .argsplit import parse_kv
from .errors import MiniplayError


class ExtraVarsError(MiniplayError):
    """A bad -e value (ansible-playbook exits 1)."""
from .yamlfile import load_yaml_file, load_yaml_text, to_plain


def parse_extra_vars(values: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for raw in values:
        merged.update(_one(raw))
    return merged


def _one(raw: str) -> dict[str, Any]:
    text = raw.strip()
    if text.startswith("@"):
        path = os.path.expanduser(text[1:])
        if not os.path.exists(path):
            raise ExtraVarsError(f"the file_name '{os.path.abspath(path)}' does not exist, or is not readable")
        data = to_plain(load_yaml_file(path), path)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ExtraVarsError(f"Invalid extra vars data in '{path}': it must be a mapping, got a {type(data).__name__}")
        return data
    if text.startswith("{") or text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError:
            try:
                data = to_plain(load_yaml_text(text, "<extra vars>"))
            except MiniplayError:
                raise ExtraVarsError(f"Invalid extra vars data supplied: '{raw}' is neither JSON nor YAML") from None
        if not isinstance(data, dict):
            raise ExtraVarsError(f"Invalid extra vars data supplied. '{raw}' could not be made into a dictionary")
        return data
    if not text:
        return {}
    parsed = parse_kv(text, raw_params=False)
    if "_raw_params" in parsed:
        raise ExtraVarsError(f"Invalid extra vars data supplied. '{raw}' could not be made into a dictionary "
                       "(use key=value, @file.yml or a JSON object)")
    return parsed
