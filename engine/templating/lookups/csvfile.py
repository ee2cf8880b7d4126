"""csvfile lookup: a column of the row whose key column matches each term.

`lookup('csvfile', 'Smith', file='people.csv', delimiter=',', col=1)` reads the file (found
like lookup('file'): `files/` first) with Python's csv reader and returns column `col` of the
first row whose column `keycol` equals the term; `default` when no row matches (nothing at all
without one). Options may also be written inside the term (`'Smith file=people.csv col=1'`),
Ansible's older form; `delimiter=TAB` is a tab.
"""
from __future__ import annotations

import csv
from typing import Any

from ...core.argsplit import parse_kv
from ...core.errors import TemplateError
from .base import LookupContext, find_file, register

DEFAULTS: dict[str, Any] = {"file": "ansible.csv", "delimiter": "TAB", "col": 1, "keycol": 0, "default": None,
                            "encoding": "utf-8"}


@register("csvfile")
def lookup_csvfile(terms: list, ctx: LookupContext, kwargs: dict) -> list:

    if not terms:
        raise TemplateError("Search key is required but was not found")
    found: list[Any] = []
    for term in terms:
        options = {**DEFAULTS, **kwargs}
        inline = parse_kv(str(term), False)
        if "_raw_params" not in inline:
            raise TemplateError("Search key is required but was not found")
        key = inline.pop("_raw_params")
        for name, value in inline.items():
            if name not in DEFAULTS:
                raise TemplateError(f"{name!r} is not a valid option")
            options[name] = value
        delimiter = "\t" if options["delimiter"] == "TAB" else str(options["delimiter"])
        path = find_file(ctx, str(options["file"]))
        if path is None:
            raise TemplateError(f"[Errno 2] No such file or directory: '{options['file']}'")
        value = _read(path, str(key), delimiter, str(options["encoding"]), options["default"],
                      int(options["col"]), int(options["keycol"]))
        if value is not None:
            found.append(value)
    return found


def _read(path: str, key: str, delimiter: str, encoding: str, default: Any | None, col: int, keycol: int) -> Any:
    try:
        with open(path, encoding=encoding, newline="") as handle:
            for row in csv.reader(handle, dialect=csv.excel, delimiter=delimiter):
                if row and row[keycol] == key:
                    return row[col]
    except (OSError, csv.Error, IndexError) as exc:
        raise TemplateError(f"csvfile: {exc}") from None
    return default
