"""The loaded playbook as small dataclasses.

The loader builds these once; nothing here is templated. Keyword values are the
raw YAML values (templates included), already merged with what the enclosing
blocks and the play pass down, so the executor never walks up the tree.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import Location


@dataclass
class Task:
    """One task (or handler) as written, plus the keywords it inherited."""

    action: str                      # as written: "command", "ansible.builtin.command"
    module: str                      # canonical short name: "command"
    args: dict[str, Any]
    location: Location
    name: str | None = None
    keywords: dict[str, Any] = field(default_factory=dict)
    keyword_locations: dict[str, Location] = field(default_factory=dict)
    value_locations: dict[str, Location] = field(default_factory=dict)  # where each keyword's value starts
    role: str | None = None       # role name, for "TASK [role : name]"
    role_path: str | None = None  # role directory, for files/ and templates/ lookups
    is_handler: bool = False
    uid: int = 0                     # position in play order, set by the loader

    def get(self, key: str, default: Any = None) -> Any:
        return self.keywords.get(key, default)

    @property
    def display_name(self) -> str:
        """The banner text before templating: the name, else the action as written."""
        if not self.name and self.module == "include_role" and self.args.get("name"):
            return f"{self.action} : {self.args['name']}"  # Ansible names it after the role, no prefix
        base = self.name if self.name else self.action
        return f"{self.role} : {base}" if self.role else base

    @property
    def when(self) -> list[Any]:
        return self.keywords.get("when", [])

    @property
    def register(self) -> str | None:
        return self.keywords.get("register")

    @property
    def listen(self) -> list[str]:
        """The topics a handler answers to: as written and, in a role, each as `role : topic`."""
        topics = self.keywords.get("listen", [])
        return topics + [f"{prefix} : {topic}" for prefix in self.role_prefixes for topic in topics]

    @property
    def role_prefixes(self) -> list[str]:
        """How a notify may name this task's role: its name and, for a collection's role
        (`ns.col.role`), its short name too, as Ansible accepts both."""
        if not self.role:
            return []
        short = self.role.rsplit(".", 1)[-1]
        in_collection = short != self.role and "/ansible_collections/" in (self.role_path or "")
        return [self.role, short] if in_collection else [self.role]

    def where(self, key: str | None = None) -> Location:
        """Location of a keyword when known, else of the task."""
        if key and key in self.keyword_locations:
            return self.keyword_locations[key]
        return self.location

    def value_where(self, *keys: str) -> Location:
        """Where the value of the first of `keys` written on this task starts (Ansible's Origin
        for an error in that value), else the task itself."""
        for key in keys:
            if key in self.value_locations:
                return self.value_locations[key]
        return self.location


@dataclass
class Block:
    """block/rescue/always; keywords already pushed down into the tasks."""

    block: list[Node]
    rescue: list[Node] = field(default_factory=list)
    always: list[Node] = field(default_factory=list)
    location: Location | None = None
    name: str | None = None
    keywords: dict[str, Any] = field(default_factory=dict)


Node = Task | Block


@dataclass
class Play:
    """One play: hosts pattern, variables and the task sections."""

    hosts: str
    location: Location
    name: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    vars_files: list[Any] = field(default_factory=list)
    vars_files_where: list[Location] = field(default_factory=list)  # where each vars_files entry is written
    vars_prompt: list[dict[str, Any]] = field(default_factory=list)  # asked when the play starts
    pre_tasks: list[Node] = field(default_factory=list)
    tasks: list[Node] = field(default_factory=list)
    post_tasks: list[Node] = field(default_factory=list)
    handlers: list[Task] = field(default_factory=list)
    keywords: dict[str, Any] = field(default_factory=dict)
    basedir: str = "."
    value_locations: dict[str, Location] = field(default_factory=dict)  # where each keyword's value starts

    def get(self, key: str, default: Any = None) -> Any:
        return self.keywords.get(key, default)

    @property
    def display_name(self) -> str:
        return self.name if self.name else self.hosts

    def sections(self) -> list[list[Node]]:
        """pre_tasks, then roles+tasks, then post_tasks: handlers flush after each."""
        return [self.pre_tasks, self.tasks, self.post_tasks]


@dataclass
class Playbook:
    """A loaded playbook file: its plays, in order."""

    path: str
    plays: list[Play]
    written_path: str = ""  # as given on the command line, for Ansible's `N plays in site.yml`

    @property
    def basedir(self) -> str:
        import os

        return os.path.dirname(os.path.abspath(self.path))


def iter_tasks(nodes: Sequence[Node]):
    """Every task under these nodes, depth first, in source order."""
    for node in nodes:
        if isinstance(node, Block):
            yield from iter_tasks(node.block)
            yield from iter_tasks(node.rescue)
            yield from iter_tasks(node.always)
        else:
            yield node
