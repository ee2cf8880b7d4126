"""A play's templated scalar keywords, checked when the play starts, as Ansible does when it loads it.

`gather_facts: "{{ x }}"`, `force_handlers` and `max_fail_percentage` may be templates;
Ansible renders them with the play's variables and refuses the playbook (exit 4) when the
result is not of the keyword's type. The loader never templates, so a template is checked
here, before the play's first task; plain values were already checked at load
(`loading.keyword_check`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import fieldtypes as ft
from ..core.errors import ParseError, TemplateError
from ..core.model import Play


def check_play_scalars(play: Play, render: Callable[[Any], Any]) -> None:
    """Raise ParseError (exit 4) for a templated play scalar that renders to the wrong type."""
    for name in ft.PLAY_LOAD_SCALARS:
        value = play.keywords.get(name)
        if not ft.is_templated(value):
            continue
        where = play.value_locations.get(name, play.location)
        try:
            ft.convert(ft.FIELD_TYPES[name], render(value))
        except TemplateError as exc:
            raise ParseError(f"Error processing keyword '{name}': {exc.message}", where) from None
        except ft.FieldTypeError as exc:
            raise ParseError(f"Error processing keyword '{name}': {exc}", where) from None
