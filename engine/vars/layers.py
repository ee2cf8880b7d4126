"""Variable layers, Ansible's precedence, and the lazy view templates read from.

How this works
--------------
For one host and one task, the variables are a stack of layers (see
`docs/variables.md` for the table). `VarsView` looks a name up from the top
layer down. Layers written by the user (inventory, play vars, vars files, task
vars, extra vars) are *lazy*: a value holding a template is rendered when it is
read, against the same view, every time — so `greeting: "hi {{ who }}"` follows
`who` wherever it is used. Layers produced by running (facts, registered
results) are plain data and never re-rendered. Building a view only collects
references, so it costs next to nothing per task.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import TemplateError
from ..core.vault_reveal import holds_vault, reveal
from ..templating.templar import contains_template

if TYPE_CHECKING:
    from ..templating.templar import Templar


@dataclass
class Layer:
    """One source of variables; `lazy` layers hold user templates to render on read."""

    label: str
    values: Mapping[str, Any]
    lazy: bool = True


class VarsView(Mapping[str, Any]):
    """Read-only merged view over layers given from highest precedence to lowest."""

    __slots__ = ("layers", "templar", "search_paths", "_resolving")

    def __init__(self, layers: list[Layer], templar: Templar, search_paths: list[str] | None = None) -> None:
        self.layers = layers
        self.templar = templar
        self.search_paths = search_paths or []
        self._resolving: set[str] = set()

    def child(self, top: Mapping[str, Any], label: str = "loop", lazy: bool = False) -> VarsView:
        """A view with one more layer on top (loop variables, registered item results)."""
        return VarsView([Layer(label, top, lazy)] + self.layers, self.templar, self.search_paths)

    def find(self, key: str) -> Layer | None:
        for layer in self.layers:
            if key in layer.values:
                return layer
        return None

    def __getitem__(self, key: str) -> Any:
        for layer in self.layers:
            values = layer.values
            if key in values:
                value = values[key]
                if layer.lazy and contains_template(value):
                    return self._render(key, value)
                if layer.lazy and holds_vault(value):  # inline vault values: decrypted now they are used
                    return reveal(value, self.templar.vault)
                return value
        if key == "vars":  # Ansible's `vars` magic variable: this very view (`vars['name_' ~ x]`)
            return self
        raise KeyError(key)

    def _render(self, key: str, value: Any) -> Any:
        if key in self._resolving:
            raise TemplateError(f"Recursive loop detected in template: the variable '{key}' refers to itself")
        self._resolving.add(key)
        try:
            return self.templar.template(value, self)
        finally:
            self._resolving.discard(key)

    def __contains__(self, key: object) -> bool:
        return key == "vars" or any(key in layer.values for layer in self.layers)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for layer in self.layers:
            for key in layer.values:
                if key not in seen:
                    seen.add(key)
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def resolved(self, keys: list[str] | None = None) -> dict[str, Any]:
        """Plain dict of (some) rendered values; undefined-in-template entries are skipped."""
        out: dict[str, Any] = {}
        for key in keys if keys is not None else list(self):
            try:
                out[key] = self[key]
            except (TemplateError, KeyError):
                continue
        return out


@dataclass
class HostState:
    """What a run learns about one host: facts, registered results and set_facts."""

    facts: dict[str, Any] = field(default_factory=dict)          # ansible_facts (unprefixed keys inside)
    fact_vars: dict[str, Any] = field(default_factory=dict)      # injected ansible_* names from facts
    registered: dict[str, Any] = field(default_factory=dict)     # register: and set_fact (same layer)
    include_vars: dict[str, Any] = field(default_factory=dict)
    notified: dict[int, str] = field(default_factory=dict)       # handler uid → name, in notification order
    roles_ran: dict[int, set[str]] = field(default_factory=dict)  # play id → the role uses that ran here

    def add_facts(self, facts: Mapping[str, Any]) -> None:
        """Facts as a module returns them: `ansible_x` is `ansible_facts.x`, and is also injected
        under its own name (as is any other key: getent_passwd), as Ansible does."""
        for key, value in facts.items():
            self.facts[key[len("ansible_"):] if key.startswith("ansible_") else key] = value
            self.fact_vars[key] = value


class HostVars(Mapping[str, Any]):
    """The `hostvars` magic variable: every host's variables at play level, lazily."""

    def __init__(self, build_view, host_names, also_known: tuple[str, ...] = ()) -> None:
        """`also_known`: names that are hosts without being listed (Ansible's implicit localhost:
        `hostvars['localhost']` works, though iterating hostvars does not show it)."""
        self._build_view = build_view
        self._host_names = host_names
        self._also_known = also_known

    def __getitem__(self, host: str) -> Any:
        if host not in self:
            raise KeyError(host)
        return self._build_view(host)

    def __contains__(self, host: object) -> bool:
        return host in self._also_known or host in self._host_names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._host_names())

    def __len__(self) -> int:
        return len(self._host_names())
