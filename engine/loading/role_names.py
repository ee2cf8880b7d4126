"""Role names written as templates (`roles: ["{{ rn }}"]`), rendered when the play loads.

Ansible renders them with the play's vars and extra vars only: hosts and inventory variables
are not known yet at that point.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core.errors import Location, ParseError, TemplateError
from ..templating.templar import Templar, contains_template, is_template


class LazyPlayVars(Mapping[str, Any]):
    """Play vars (with extra vars) as a role name sees them at load time: a value that is itself
    a template renders when read, so `rn: "{{ base }}-web"` works too."""

    def __init__(self, values: dict[str, Any], templar: Templar) -> None:
        self._values = values
        self._templar = templar

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        return self._templar.template(value, self) if contains_template(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def templated_role_name(name: Any, play_vars: dict[str, Any], location: Location, what: str = "role name") -> Any:
    """A role name from a variable (`roles: ["{{ rn }}"]`), rendered with the play's vars and
    extra vars as Ansible does when it loads the play (host and inventory vars are not known yet).
    The file names of import_playbook and import_tasks are rendered the same way (`what` says which)."""
    if not is_template(name):
        return name
    templar = Templar()
    try:
        return str(templar.template(name, LazyPlayVars(play_vars, templar)))
    except TemplateError as exc:
        raise ParseError(f"The {what} {name!r} could not be templated with the play's vars and extra vars: "
                         f"{exc.message}", location) from None
