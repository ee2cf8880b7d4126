"""The failure of one filter, test or lookup, and the message a user reads for it.

Apart from filters/ so that the executor can recognise such a failure without importing every
filter (and Jinja2) at start: a run that templates nothing never imports them.
"""
from __future__ import annotations

from ..core.errors import MiniplayError, TemplateError


class PluginFailed(TemplateError):
    """A filter, test or lookup failed; remembers which one, as Ansible reports it."""

    def __init__(self, message: str, kind: str, name: str) -> None:
        super().__init__(message)
        self.plugin_kind = kind
        self.plugin_name = name

    @property
    def full_message(self) -> str:
        """Ansible 2.19's wording: "The filter plugin 'ansible.builtin.x' failed: ..."."""
        return f"The {self.plugin_kind} plugin '{self.plugin_name}' failed: {self.message}"


def user_message(exc: MiniplayError) -> str:
    """What the user reads for a template failure: a plugin's own failure names the plugin."""
    return exc.full_message if isinstance(exc, PluginFailed) else exc.message
