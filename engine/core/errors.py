"""Errors for mistakes in the user's input.

Every mistake in a playbook, inventory, template or command line is a
`MiniplayError` carrying a `Location`, so the CLI can print one clear paragraph
(file, line, the offending text) instead of a Python traceback. What happens on
a host (a module failing, a host unreachable) is never an exception: it is a
result value handed to the strategy and the event renderers.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where something came from: file and 1-based line (and column when known)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


def source_excerpt(path: str, line: int, column: int, before: int = 2) -> list[str]:
    """The offending line and two before it, numbered, with a caret under the column.

    Tabs are shown as one space each so the caret stays under the right character; a line
    past the end of the file (an error at end of input) says so instead, as Ansible does."""
    if not line:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read().splitlines()
    except OSError:
        return []
    if line > len(text):
        return ["(source not shown: file truncated)"]
    first = max(1, line - before)
    width = len(str(line))
    shown = [_cut(f"{n:>{width}} {text[n - 1]}".replace("\t", " ").rstrip()) for n in range(first, line + 1)]
    if column and width + 1 + column <= EXCERPT_WIDTH - len(" ..."):
        shown.append(" " * (width + column) + f"^ column {column}")
    return shown


EXCERPT_WIDTH = 120  # Ansible cuts longer source lines, and drops a caret that would fall past the cut


def _cut(line: str) -> str:
    return line if len(line) <= EXCERPT_WIDTH else line[:EXCERPT_WIDTH - len(" ...")] + " ..."


class MiniplayError(Exception):
    """Root of every user-facing error; `exit_code` follows ansible-playbook."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint  # a worked example of the fix, shown under the source lines

    def describe(self) -> str:
        """Ansible 2.19's form: the message, `Origin: file:line:col`, the source lines, then
        the hint, if any. The caller ends it with a blank line, as Ansible does."""
        text = f"[ERROR]: {self.message}"
        if self.location is not None:
            text += f"\nOrigin: {self.location}"
            excerpt = source_excerpt(self.location.path, self.location.line, self.location.column)
            if excerpt:
                text += "\n\n" + "\n".join(excerpt)
        if self.hint:
            text += "\n\n\n" + self.hint
        return text


class ParseError(MiniplayError):
    """A playbook, vars file or inventory that cannot be loaded (ansible exits 4)."""

    exit_code = 4


class LoadError(MiniplayError):
    """A playbook that parses but uses something Ansible refuses while loading it (a removed
    action, a missing imported file): ansible-playbook exits 1 for these, not 4."""

    exit_code = 1


class InventoryError(ParseError):
    """An inventory file that cannot be read or understood."""


class TemplateError(MiniplayError):
    """A Jinja2 template that cannot be rendered: syntax error, undefined variable."""


class UndefinedVariableError(TemplateError, KeyError):
    """A template used a variable that is not defined."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


class CliError(MiniplayError):
    """A bad command-line option or value (ansible exits 5)."""

    exit_code = 5


class ConnectionFailed(MiniplayError):
    """A host could not be reached; the strategy turns it into UNREACHABLE."""

    exit_code = 4
