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

import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.errors import TemplateError, UndefinedVariableError
from ..core.vault import VaultValue
from ..core.yamlfile import UnsafeText

if TYPE_CHECKING:
    import jinja2

OMIT = "__omit_place_holder__" + os.urandom(20).hex()  # os, not secrets: the same bytes, without hmac's import
_TEMPLATE_START = re.compile(r"{{|{%|{#")


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


class Templar:
    """Renders templates and evaluates conditionals; one per run (it caches compiled templates)."""

    def __init__(self, select_hosts: Callable[[str], list[str]] | None = None, vault: Any = None) -> None:
        """`select_hosts(pattern)`: the inventory's host names for a pattern (inventory_hostnames lookup);
        `vault`: the run's VaultSecrets (inline vault values are decrypted when read)."""
        self.collection_plugins: Any = None  # set by the run: filters/tests from installed collections
        self._envs: dict[bool, jinja2.Environment] = {}  # built on first use: a run may template nothing
        self._envs_lock = threading.Lock()
        self._compiled: dict[tuple[bool, bool, str], jinja2.Template] = {}
        self._compiled_files: dict[Any, jinja2.Template] = {}  # render_text's, by (text, settings)
        self.warnings: list[str] = []
        self.select_hosts = select_hosts
        self.vault = vault  # the run's VaultSecrets: inline vault values are decrypted when read

    @property
    def native_env(self) -> jinja2.Environment:
        return self._env(native=True)

    @property
    def text_env(self) -> jinja2.Environment:
        return self._env(native=False)

    def _env(self, native: bool) -> jinja2.Environment:
        """The native or text environment, made once: Jinja2, the filters, tests and sandbox cost
        some 30 ms that a run with nothing to template (an empty playbook) need not pay."""
        env = self._envs.get(native)
        if env is None:
            with self._envs_lock:
                env = self._envs.get(native)
                if env is None:
                    from . import jinja_env

                    env = self._make_env(jinja_env.NativeEnvironment if native else jinja_env.TextEnvironment)
                    self._envs[native] = env
        return env

    def _make_env(self, cls: type) -> jinja2.Environment:
        from . import jinja_env

        env = cls(undefined=jinja_env.StrictChainableUndefined, keep_trailing_newline=True,
                  extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
        if cls is jinja_env.TextEnvironment:  # text output (template files): the same rules as text around `{{ }}`
            env.finalize = jinja_env.as_text
        from . import filters, jinja_tests

        env.filters.update(filters.FILTERS)
        jinja_tests.strict_about_undefined(env.tests)  # Jinja's own, before Ansible's are added
        env.tests.update(jinja_tests.TESTS)
        for plugins in (env.filters, env.tests):  # Jinja's own ones answer to `ansible.builtin.` too
            plugins.update({f"ansible.builtin.{name}": plugin for name, plugin in list(plugins.items())
                            if "." not in name and f"ansible.builtin.{name}" not in plugins})
        lookup = jinja_env.pass_context(lambda ctx, *a, **k: self._lookup_impl(ctx, *a, **k))
        query = jinja_env.pass_context(lambda ctx, *a, **k: self._query_impl(ctx, *a, **k))
        env.globals.update(lookup=lookup, query=query, q=query, now=_now, omit=OMIT)
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
            from . import jinja_env

            env = self._env(native)
            try:
                template = env.from_string(jinja_env.escape_backslashes(text, env) if escape_backslashes else text)
            except jinja_env.TemplateSyntaxError as exc:
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
        from . import jinja_env

        template = self._compile(text, native, escape_backslashes)
        # jinja2 types vars as a dict, but with shared=True it only reads it as a mapping: Scope is one.
        context = template.new_context(vars=jinja_env.Scope(variables, template.environment.globals),  # type: ignore[arg-type]
                                       shared=True)
        try:
            if native:
                return jinja_env.native_concat(template.root_render_func(context))
            return template.environment.concat(template.root_render_func(context))
        except TemplateError:
            raise
        except jinja_env.UndefinedError as exc:
            raise UndefinedVariableError(str(exc.message)) from None
        except jinja_env.JinjaTemplateError as exc:
            raise TemplateError(jinja_env.describe_jinja_error(exc)) from None
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
        from . import jinja_env

        template = self._compile_file(text, options) if options else self._compile(text, native=False)
        # jinja2 types vars as a dict, but with shared=True it only reads it as a mapping: Scope is one.
        context = template.new_context(vars=jinja_env.Scope(variables, template.environment.globals),  # type: ignore[arg-type]
                                       shared=True)
        try:
            return "".join(template.root_render_func(context))
        except jinja_env.UndefinedError as exc:
            raise UndefinedVariableError(str(exc.message)) from None
        except jinja_env.JinjaTemplateError as exc:
            raise TemplateError(jinja_env.describe_jinja_error(exc)) from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
            raise TemplateError(f"Error rendering template: {type(exc).__name__}: {exc}") from None

    def _compile_file(self, text: str, options: dict[str, Any]) -> jinja2.Template:
        """A file's text compiled under its own settings, once per (text, settings): twenty hosts
        rendering one template file compile it once. The overlay keeps no cache of the files it
        `{% include %}`s, so an included file is read afresh on every render, as before."""
        from . import jinja_env

        try:
            key: Any = (text, tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                                           for name, value in options.items())))
            hash(key)
        except TypeError:  # an unhashable option value: compiled each time (the overlay reports it)
            key = None
        template = self._compiled_files.get(key) if key is not None else None
        if template is not None:
            return template
        settings = dict(options)
        searchpath = settings.pop("searchpath", None)
        if searchpath:
            settings["loader"] = jinja_env.FileSystemLoader(searchpath)
        try:
            template = self.text_env.overlay(cache_size=0, **settings).from_string(text)
        except jinja_env.TemplateSyntaxError as exc:
            raise TemplateError(f"Syntax error in template: {exc.message}") from None
        if key is not None:
            if len(self._compiled_files) > 500:
                self._compiled_files.clear()
            self._compiled_files[key] = template
        return template

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
            from .plugin_errors import PluginFailed

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


def remove_omitted(value: Any) -> Any:
    """Drop dict entries whose value is the `omit` placeholder, at any depth."""
    if isinstance(value, dict):
        return {k: remove_omitted(v) for k, v in value.items() if v != OMIT}
    if isinstance(value, list):
        return [remove_omitted(v) for v in value if v != OMIT]
    return value


def first_line(text: str | None) -> str:
    return (text or "").splitlines()[0] if text else ""
