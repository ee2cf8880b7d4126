"""Jinja2 templating with Ansible's rules.

How this works
--------------
* Native types: a value that is exactly one `{{ expr }}` renders to the Python
  value (int, list, dict...); anything with surrounding text renders to a string.
* Lazy variables: templates are rendered against a `VarsView` (see vars.py), a
  mapping that renders a variable's own template only when it is read. Jinja is
  handed that mapping directly (a shared context), never a copy, so an unused
  variable that would fail never fails.
* Undefined values are strict (any use fails) but chainable (`a.b.c | default()`
  works), as in Ansible.
* Conditionals (`when`, `until`, `changed_when`...) are bare expressions and must
  give a real boolean.
"""
from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import nativetypes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined

from ..core.errors import TemplateError, UndefinedVariableError
from ..core.vault import VaultValue
from ..core.yamlfile import UnsafeText
from .sandbox import SandboxPolicy

OMIT = "__omit_place_holder__" + os.urandom(20).hex()  # os, not secrets: the same bytes, without hmac's import
_TEMPLATE_START = re.compile(r"{{|{%|{#")


class StrictChainableUndefined(jinja2.ChainableUndefined, jinja2.StrictUndefined):
    """Fails on any real use, but lets `a.b.c` chain so `| default()` can catch it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is jinja2.utils.missing:
            return f"'{self._undefined_name}' is undefined"
        kind = type(self._undefined_obj).__name__
        if isinstance(self._undefined_name, str):
            return f"object of type '{kind}' has no attribute '{self._undefined_name}'"
        return f"object of type '{kind}' has no item {self._undefined_name!r}"


class _NativeCodeGenerator(nativetypes.NativeCodeGenerator):
    """Never fold an output expression into a string constant: `{{ 1 == 2 }}` must stay a bool."""

    def _output_child_to_const(self, node, frame, finalize):
        if isinstance(node, jinja2.nodes.TemplateData):
            return node.as_const(frame.eval_ctx)
        raise jinja2.nodes.Impossible()


class _NativeEnvironment(SandboxPolicy, nativetypes.NativeEnvironment):
    """Lone expressions keep their Python type; sandboxed and bounded (see sandbox.py)."""

    code_generator_class = _NativeCodeGenerator


class _TextEnvironment(SandboxPolicy, jinja2.Environment):
    """Text output (template files, text around `{{ }}`); sandboxed and bounded."""


def _escape_backslashes(text: str, env: jinja2.Environment) -> str:
    """Keep a YAML backslash literal inside the string literals of `{{ }}` (`'\\1'` stays
    backslash-1), as Ansible does: YAML already processed the escapes once. `{% %}` blocks
    and bare conditionals keep Jinja's own escapes (`'a\\nb'` is three characters there)."""
    if "\\" not in text:
        return text
    try:
        tokens = list(env.lex(text))
    except jinja2.TemplateSyntaxError:
        return text
    out = []
    in_expression = False
    for _, kind, value in tokens:
        if kind == "variable_begin":
            in_expression = True
        elif kind == "variable_end":
            in_expression = False
        elif kind == "string" and in_expression:
            value = value.replace("\\", "\\\\")
        out.append(value)
    return "".join(out)


def _native_concat(chunks: Iterable[Any]) -> Any:
    head = list(itertools.islice(chunks, 2))
    if not head:
        return ""
    if len(head) == 1:
        value = head[0]
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return _plain_output(value)
    return "".join(_as_text(v) for v in itertools.chain(head, chunks))


def _lists_for_tuples(value: Any) -> Any:
    """Tuples (dictsort, zip, items()) become lists, as everything Ansible hands on does."""
    if isinstance(value, (tuple, list)):
        return [_lists_for_tuples(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists_for_tuples(v) for k, v in value.items()}
    return value


def _plain_output(value: Any) -> Any:
    """A lone expression's value as a task sees it: a lazy variable mapping (`hostvars[h]`,
    `vars`) becomes a plain dict of what renders, a tuple a list."""
    if isinstance(value, tuple):
        return _lists_for_tuples(value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        resolved = getattr(value, "resolved", None)
        return resolved() if resolved is not None else {k: _plain_output(value[k]) for k in value}
    return value


def _as_text(value: Any) -> str:
    """One piece of a template with text around it: None is empty (Ansible's rule), and
    containers print with lists for tuples (`[['a', 1]]`, not `[('a', 1)]`)."""
    if value is None:
        return ""
    if isinstance(value, (tuple, list, dict)):
        return str(_lists_for_tuples(value))
    if isinstance(value, Mapping):
        return str(_plain_output(value))
    return str(value)


def is_template(value: Any) -> bool:
    """True for a string that holds Jinja2 syntax (and was not marked !unsafe)."""
    return isinstance(value, str) and not isinstance(value, UnsafeText) and bool(_TEMPLATE_START.search(value))


def contains_template(value: Any) -> bool:
    if isinstance(value, str):
        return is_template(value)
    if isinstance(value, dict):
        return any(contains_template(k) or contains_template(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_template(v) for v in value)
    return False


def describe_jinja_error(exc: Exception) -> str:
    """The user-facing text of a Jinja2 error, in Ansible's words."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"Syntax error in template: {exc.message}"
    if isinstance(exc, (jinja2.UndefinedError, SecurityError)):
        return str(exc.message)
    if isinstance(exc, TemplateError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


class Templar:
    """Renders templates and evaluates conditionals; one per run (it caches compiled templates)."""

    def __init__(self, select_hosts: Callable[[str], list[str]] | None = None, vault: Any = None) -> None:
        """`select_hosts(pattern)`: the inventory's host names for a pattern (inventory_hostnames lookup);
        `vault`: the run's VaultSecrets (inline vault values are decrypted when read)."""
        self.collection_plugins: Any = None  # set by the run: filters/tests from installed collections
        self._lookup = jinja2.pass_context(lambda ctx, *a, **k: self._lookup_impl(ctx, *a, **k))
        self._query = jinja2.pass_context(lambda ctx, *a, **k: self._query_impl(ctx, *a, **k))
        self._envs: dict[type, jinja2.Environment] = {}  # built on first use: a run may template nothing
        self._envs_lock = threading.Lock()
        self._compiled: dict[tuple[bool, bool, str], jinja2.Template] = {}
        self.warnings: list[str] = []
        self.select_hosts = select_hosts
        self.vault = vault  # the run's VaultSecrets: inline vault values are decrypted when read

    @property
    def native_env(self) -> jinja2.Environment:
        return self._env(_NativeEnvironment)

    @property
    def text_env(self) -> jinja2.Environment:
        return self._env(_TextEnvironment)

    def _env(self, cls: type) -> jinja2.Environment:
        """The environment of this class, made once: the filters, tests and sandbox cost a few
        milliseconds that a run with nothing to template (an empty playbook) need not pay."""
        env = self._envs.get(cls)
        if env is None:
            with self._envs_lock:
                env = self._envs.get(cls)
                if env is None:
                    env = self._envs[cls] = self._make_env(cls)
        return env

    def _make_env(self, cls: type) -> jinja2.Environment:
        env = cls(undefined=StrictChainableUndefined, keep_trailing_newline=True,
                  extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
        if cls is _TextEnvironment:  # text output (template files): the same rules as text around `{{ }}`
            env.finalize = _as_text
        from . import filters, jinja_tests

        env.filters.update(filters.FILTERS)
        jinja_tests.strict_about_undefined(env.tests)  # Jinja's own, before Ansible's are added
        env.tests.update(jinja_tests.TESTS)
        for plugins in (env.filters, env.tests):  # Jinja's own ones answer to `ansible.builtin.` too
            plugins.update({f"ansible.builtin.{name}": plugin for name, plugin in list(plugins.items())
                            if "." not in name and f"ansible.builtin.{name}" not in plugins})
        env.globals.update(lookup=self._lookup, query=self._query, q=self._query, now=_now, omit=OMIT)
        from .collection_plugins import PluginTable

        env.filters = PluginTable(env.filters, "filter", lambda: self.collection_plugins)
        env.tests = PluginTable(env.tests, "test", lambda: self.collection_plugins)
        return env

    # ------------------------------------------------------------------ lookups
    def run_lookup(self, name: str, terms: list[Any], variables: Mapping[str, Any], kwargs: dict[str, Any],
                   wantlist: bool) -> Any:
        """Run a lookup plugin with the task's variables and file search paths."""
        from .lookups import LOOKUPS, LookupContext, run_lookup

        context = LookupContext(variables=variables, search_paths=list(getattr(variables, "search_paths", [])),
                                render=self.render_string,
                                render_file=self._render_template_file,
                                select_hosts=self.select_hosts, vault=self.vault)
        plugin = self.collection_plugins.function("lookup", name) \
            if self.collection_plugins is not None and name.count(".") >= 2 and name not in LOOKUPS else None
        return run_lookup(name, list(terms), context, kwargs, wantlist, plugin)

    def _render_template_file(self, text: str, variables: Mapping[str, Any], searchpath: list[str],
                              options: dict[str, Any] | None = None) -> str:
        """A template file as lookup('template') renders it: trim_blocks, `{% include %}` found on
        `searchpath`, the lookup's delimiter options; Jinja drops the last newline of each file,
        the outer file's are given back."""
        settings = {"trim_blocks": True, **(options or {}), "keep_trailing_newline": False, "searchpath": searchpath}
        rendered = self.render_text(text, variables, settings)
        missing = (len(text) - len(text.rstrip("\n"))) - (len(rendered) - len(rendered.rstrip("\n")))
        return rendered + "\n" * missing if missing > 0 else rendered

    def _lookup_impl(self, context: Any, name: str, *terms: Any, **kwargs: Any) -> Any:
        wantlist = bool(kwargs.pop("wantlist", False))
        return self.run_lookup(name, list(terms), context.parent.variables, kwargs, wantlist)

    def _query_impl(self, context: Any, name: str, *terms: Any, **kwargs: Any) -> Any:
        kwargs.pop("wantlist", None)
        return self.run_lookup(name, list(terms), context.parent.variables, kwargs, True)

    # ------------------------------------------------------------------ rendering
    def _compile(self, text: str, native: bool, escape_backslashes: bool = True) -> jinja2.Template:
        key = (native, escape_backslashes, text)
        template = self._compiled.get(key)
        if template is None:
            env = self.native_env if native else self.text_env
            try:
                template = env.from_string(_escape_backslashes(text, env) if escape_backslashes else text)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"Syntax error in template: {exc.message}") from None
            if len(self._compiled) > 20000:
                self._compiled.clear()
            self._compiled[key] = template
        return template

    def render_string(self, text: str, variables: Mapping[str, Any], native: bool = True,
                      escape_backslashes: bool = True) -> Any:
        """Render one string; native keeps the Python type of a lone expression.

        As in Ansible, Jinja drops one final newline first: `"{{ [1] }}\n"` (a folded YAML
        scalar) is the list, and a string result gets its newline back (`"x {{ 1 }}\n"`)."""
        if not is_template(text):
            return text
        if native and text.endswith("\n"):
            value = self._render_once(text[:-1], variables, native, escape_backslashes)
            return value + "\n" if isinstance(value, str) else value
        return self._render_once(text, variables, native, escape_backslashes)

    def _render_once(self, text: str, variables: Mapping[str, Any], native: bool, escape_backslashes: bool) -> Any:
        template = self._compile(text, native, escape_backslashes)
        # jinja2 types vars as a dict, but with shared=True it only reads it as a mapping: _Scope is one.
        context = template.new_context(vars=_Scope(variables, template.environment.globals),  # type: ignore[arg-type]
                                       shared=True)
        try:
            if native:
                return _native_concat(template.root_render_func(context))
            return template.environment.concat(template.root_render_func(context))
        except TemplateError:
            raise
        except jinja2.UndefinedError as exc:
            raise UndefinedVariableError(str(exc.message)) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(describe_jinja_error(exc)) from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError) as exc:
            raise TemplateError(f"Error rendering template: {type(exc).__name__}: {exc}") from None

    def template(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """Render strings inside any structure (dicts, lists), keeping the structure."""
        if isinstance(value, str):
            return self.render_string(value, variables)
        if isinstance(value, dict):
            return {self.template(k, variables): self.template(v, variables) for k, v in value.items()}
        if isinstance(value, list):
            return [self.template(v, variables) for v in value]
        if isinstance(value, tuple):
            return tuple(self.template(v, variables) for v in value)
        if isinstance(value, VaultValue):  # decrypted, never templated (Ansible 2.19)
            from ..core.vault_reveal import reveal

            return reveal(value, self.vault)
        return value

    def render_text(self, text: str, variables: Mapping[str, Any],
                    options: dict[str, Any] | None = None) -> str:
        """Render a whole file's text (the template module): always a string.

        `options` are Jinja environment settings for this one file (trim_blocks,
        lstrip_blocks, newline_sequence, the delimiters, and `searchpath` for
        `{% include %}`); with them the text is compiled exactly as written, with no
        backslash escaping, as Ansible's template module does.
        """
        if options:
            settings = dict(options)
            searchpath = settings.pop("searchpath", None)
            if searchpath:
                settings["loader"] = jinja2.FileSystemLoader(searchpath)
            try:
                template = self.text_env.overlay(**settings).from_string(text)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"Syntax error in template: {exc.message}") from None
        else:
            template = self._compile(text, native=False)
        # jinja2 types vars as a dict, but with shared=True it only reads it as a mapping: _Scope is one.
        context = template.new_context(vars=_Scope(variables, template.environment.globals),  # type: ignore[arg-type]
                                       shared=True)
        try:
            return "".join(template.root_render_func(context))
        except jinja2.UndefinedError as exc:
            raise UndefinedVariableError(str(exc.message)) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(describe_jinja_error(exc)) from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
            raise TemplateError(f"Error rendering template: {type(exc).__name__}: {exc}") from None

    # ------------------------------------------------------------------ conditionals
    def evaluate(self, expression: Any, variables: Mapping[str, Any]) -> Any:
        """Value of a bare expression (`until: r.rc == 0`, `debug: var=`); `{{ }}` around it is tolerated.

        A bare expression keeps Jinja's own string escapes (`'a\\nb' | length == 3`), as Ansible
        does (its backslash escaping applies to `{{ }}` only); one written entirely inside
        `{{ }}` is a template, and escapes as one."""
        if isinstance(expression, bool) or expression is None or isinstance(expression, (int, float)):
            return expression
        text = _bare_expression(expression)
        wrapped = text != str(expression).strip()
        if is_template(text):  # `{{ }}` inside the expression's string constants: each rendered first (Ansible 2.19)
            from .embedded import Overlay, lift_embedded

            text, values = lift_embedded(self.native_env, text, lambda constant: self.render_string(constant, variables))
            variables = Overlay(values, variables)
        return self.render_string("{{ (" + text + ") }}", variables, escape_backslashes=wrapped)

    def conditional(self, expression: Any, variables: Mapping[str, Any]) -> bool:
        """Evaluate one `when`-style entry; the result must be a boolean (Ansible 2.19)."""
        try:
            value = self.evaluate(expression, variables)
        except TemplateError as exc:
            from .embedded import ExpressionSyntaxError
            from .filters import PluginFailed  # filters import the templar's helpers

            if isinstance(exc, PluginFailed):  # Ansible names the plugin, without the conditional wording
                raise TemplateError(exc.full_message) from None
            if isinstance(exc, ExpressionSyntaxError):
                raise TemplateError(exc.message) from None
            raise TemplateError(f"Error while evaluating conditional: {exc.message}") from None
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        raise TemplateError(f"Conditional result ({bool(value)}) was derived from value of type "
                            f"'{type(value).__name__}' at '{expression}'. Conditionals must have a boolean result.")

    def all_true(self, expressions: list[Any], variables: Mapping[str, Any]) -> tuple[bool, Any]:
        """(True, None) if every entry holds, else (False, the first false entry)."""
        for expression in expressions:
            if not self.conditional(expression, variables):
                return False, expression
        return True, None


def _bare_expression(expression: Any) -> str:
    """A conditional's text without one `{{ }}` wrapped around all of it."""
    text = str(expression).strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        text = text[2:-2].strip()
    return text


def has_embedded_template(expression: Any) -> bool:
    """`"'{{ x }}' == 'y'"`: a template inside a conditional expression (deprecated in Ansible)."""
    return isinstance(expression, str) and is_template(_bare_expression(expression))


def _now(utc: bool = False, fmt: str | None = None) -> Any:
    import datetime

    moment = datetime.datetime.now(datetime.timezone.utc) if utc else datetime.datetime.now()
    return moment.strftime(fmt) if fmt else moment


class _Scope(Mapping[str, Any]):
    """The variables Jinja sees: the host's VarsView first, then the Jinja globals."""

    __slots__ = ("variables", "globals")

    def __init__(self, variables: Mapping[str, Any], globals_: Mapping[str, Any]) -> None:
        self.variables = variables
        self.globals = globals_

    def __getitem__(self, key: str) -> Any:
        try:
            return self.variables[key]
        except UndefinedVariableError as exc:
            # a variable whose own template is undefined (`d: "{{ nested_undefined }}"`) is itself
            # undefined, as in Ansible: `d is undefined` holds, `d | default(x)` is x, any other
            # use fails with the inner variable's message
            return StrictChainableUndefined(hint=exc.message, name=key)
        except KeyError:
            return self.globals[key]

    def __contains__(self, key: object) -> bool:
        return key in self.variables or key in self.globals

    def __iter__(self):
        seen = set()
        for key in itertools.chain(self.variables, self.globals):
            if key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return len(set(self.variables) | set(self.globals))


def remove_omitted(value: Any) -> Any:
    """Drop dict entries whose value is the `omit` placeholder, at any depth."""
    if isinstance(value, dict):
        return {k: remove_omitted(v) for k, v in value.items() if v != OMIT}
    if isinstance(value, list):
        return [remove_omitted(v) for v in value if v != OMIT]
    return value


def first_line(text: str | None) -> str:
    return (text or "").splitlines()[0] if text else ""
