"""A `notify:` that names no handler is refused when the playbook loads, as ansible-playbook does."""
from __future__ import annotations

from ..core.errors import MiniplayError
from ..core.model import Play, iter_tasks


class HandlerNotFound(MiniplayError):
    """A task notifies a handler the play does not define (ansible-playbook exits 1)."""


def check_notified_handlers(play: Play) -> None:
    """Refuse, before running, a `notify:` naming no handler or listen topic of the play.

    Skipped when the play includes roles at run time: their handlers are only known then.
    """
    if any(t.module == "include_role" for section in play.sections() for t in iter_tasks(section)):
        return
    known: set[str] = set()
    for handler in play.handlers:
        known.update(n for n in (handler.name, handler.display_name) if n)
        if handler.name:
            known.update(f"{prefix} : {handler.name}" for prefix in handler.role_prefixes)
        known.update(handler.listen)
    for section in play.sections() + [play.handlers]:
        for task in iter_tasks(section):
            for name in task.get("notify") or []:
                if isinstance(name, str) and "{{" not in name and name not in known:
                    raise HandlerNotFound(f"The requested handler '{name}' was not found in either the main "
                                          "handlers list nor in the listening handlers list",
                                          task.where("notify"))
