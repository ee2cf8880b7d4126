"""Which variables a template reads, found by parsing it (nothing is rendered).

Used by the plan (`graph.py`: who reads a registered job id, what an `until`
looks at) and by the executor's `task_vars` event (where each variable a task
used came from, for `miniplay explain`). Parsing a string costs tens of
microseconds, so results are memoized per string: the same text always gives
the same answer, whichever run asks.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

# Names Jinja or miniplay provide themselves: never a user's variable.
GLOBALS = frozenset({"lookup", "query", "q", "now", "omit", "range", "dict", "lipsum", "cycler", "joiner",
                     "namespace", "true", "false", "none", "True", "False", "None"})
CONDITIONAL_KEYWORDS = ("when", "until", "changed_when", "failed_when")
TEMPLATED_KEYWORDS = ("loop", "delegate_to", "async", "poll", "retries", "delay", "environment", "become_user",
                      "notify", "run_once", "ignore_errors", "no_log", "check_mode", "loop_control")

class _AnyName(dict):
    """Every filter and test name exists: parsing must not depend on which ones are installed."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def get(self, name: str, default: Any = None) -> Any:
        return self[name]


@functools.cache
def _parser() -> jinja2.Environment:
    """The parsing-only environment, made on the first template that needs parsing: Jinja2 costs
    ~20 ms to import, and a run whose tasks hold no template (or that runs none) never needs it."""
    import jinja2

    env = jinja2.Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
    env.filters = _AnyName()
    env.tests = _AnyName()
    return env


@dataclass(frozen=True)
class Refs:
    """What one template reads: variable names, `name.attr` pairs, and whether it calls a lookup."""

    names: frozenset[str] = frozenset()
    attrs: frozenset[tuple[str, str]] = frozenset()
    lookups: bool = False

    def __or__(self, other: Refs) -> Refs:
        return Refs(self.names | other.names, self.attrs | other.attrs, self.lookups or other.lookups)

    def reads_attr(self, attr: str) -> bool:
        return any(a == attr for _, a in self.attrs)


EMPTY = Refs()


@functools.lru_cache(maxsize=8192)
def template_refs(text: str, conditional: bool = False) -> Refs:
    """Refs of one string; a conditional is a bare expression (`r.rc == 0`)."""
    if not conditional and "{" not in text:
        return EMPTY
    source = text
    if conditional:
        stripped = text.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
            stripped = stripped[2:-2]
        source = "{{ (" + stripped + ") }}"
    import jinja2
    from jinja2 import nodes

    try:
        tree = _parser().parse(source)
    except jinja2.TemplateError:
        return EMPTY
    # Names read minus names the template itself sets (for/set/macro). jinja2.meta's
    # find_undeclared_variables is exact about scopes but runs the compiler: 6x slower.
    loaded: set[str] = set()
    stored: set[str] = set()
    for node in tree.find_all(nodes.Name):
        (loaded if node.ctx == "load" else stored).add(node.name)
    names = frozenset(n for n in loaded - stored if n not in GLOBALS)
    attrs = set()
    for access in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(access, nodes.Getattr):
            attr = access.attr
        elif isinstance(access, nodes.Getitem) and isinstance(access.arg, nodes.Const) \
                and isinstance(access.arg.value, str):
            attr = access.arg.value
        else:
            continue
        base = access.node
        while isinstance(base, (nodes.Getattr, nodes.Getitem)):
            base = base.node
        owner = base.name if isinstance(base, nodes.Name) else ""
        attrs.add((owner, attr))
    lookups = any(isinstance(call.node, nodes.Name) and call.node.name in ("lookup", "query", "q", "now")
                  for call in tree.find_all(nodes.Call))
    return Refs(names, frozenset(attrs), lookups)


def value_refs(value: Any, conditional: bool = False) -> Refs:
    """Refs of any YAML value: strings inside lists and dicts (keys too)."""
    if isinstance(value, str):
        return template_refs(value, conditional)
    if isinstance(value, dict):
        found = EMPTY
        for key, item in value.items():
            found = found | value_refs(key) | value_refs(item, conditional)
        return found
    if isinstance(value, (list, tuple)):
        found = EMPTY
        for item in value:
            found = found | value_refs(item, conditional)
        return found
    return EMPTY


def task_refs(task: Any, keywords: Iterable[str] = ()) -> Refs:
    """Everything a task's own text reads: its name, arguments and templated keywords."""
    found = value_refs(task.args)
    if task.name:
        found = found | template_refs(task.name)
    for key in CONDITIONAL_KEYWORDS:
        value = task.keywords.get(key)
        if value:
            found = found | value_refs(value, conditional=True)
    for key in tuple(TEMPLATED_KEYWORDS) + tuple(keywords):
        value = task.keywords.get(key)
        if value is not None:
            found = found | value_refs(value)
    return found
