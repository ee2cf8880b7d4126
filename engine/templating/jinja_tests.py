"""Ansible's builtin Jinja2 tests (`x is failed`, `v is version('2.0', '>=')`, ...).

`TESTS` maps each test name (and its `ansible.builtin.` alias) to a function;
the templating layer does `env.tests.update(TESTS)`. Jinja's own tests
(`defined`, `string`, `number`, `in`, ...) are left to Jinja.

Every test is wrapped like a filter (see `filters.plugin`): an undefined
argument raises Jinja's undefined error, and any other failure becomes a
`PluginFailed` naming the test, e.g. "The 'failed' test expects a dictionary".

Result tests follow `plugins/test/core.py` semantics: they need a dict, and
they read keys by plain truthiness, so `{'failed': 'false'} is failed` is true.
"""
from __future__ import annotations

import math
import operator
import os.path
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..core.errors import TemplateError
from .filters import is_list_like, plugin, to_bool_loose

__all__ = ["TESTS", "compare_versions"]

TestFn = Callable[..., bool]
TESTS: dict[str, TestFn] = {}


def _test(name: str, *aliases: str) -> Callable[[TestFn], TestFn]:
    """Register a test under its name, its aliases and their `ansible.builtin.` forms."""

    def register(fn: TestFn) -> TestFn:
        wrapped = plugin("test", f"ansible.builtin.{name}")(fn)
        for alias in (name, *aliases):
            TESTS[alias] = wrapped
            TESTS[f"ansible.builtin.{alias}"] = wrapped
        return wrapped

    return register


# ---------------------------------------------------------------------------
# Task results
# ---------------------------------------------------------------------------


def _result(value: Any, test_name: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise TemplateError(f"The '{test_name}' test expects a dictionary")
    return value


@_test("failed", "failure")
def failed(result: Any) -> bool:
    """The task failed (an ignored failure still counts)."""
    return bool(_result(result, "failed").get("failed"))


@_test("succeeded", "success", "successful")
def succeeded(result: Any) -> bool:
    """The task did not fail."""
    return not _result(result, "succeeded").get("failed")


@_test("changed", "change")
def changed(result: Any) -> bool:
    """The task changed something; a loop result without `changed` asks its items."""
    result = _result(result, "changed")
    if "changed" in result:
        return bool(result["changed"])
    items = result.get("results")
    if not is_list_like(items):
        return False
    return any(isinstance(item, Mapping) and bool(item.get("changed")) for item in items)


@_test("skipped", "skip")
def skipped(result: Any) -> bool:
    """The task was skipped."""
    return bool(_result(result, "skipped").get("skipped"))


@_test("finished")
def finished(result: Any) -> bool:
    """An async job is done; results without the key (ordinary tasks) count as done."""
    return bool(_result(result, "finished").get("finished", True))


@_test("started")
def started(result: Any) -> bool:
    """An async job has started; results without the key count as started."""
    return bool(_result(result, "started").get("started", True))


@_test("unreachable")
def unreachable(result: Any) -> bool:
    """The host could not be reached."""
    return bool(_result(result, "unreachable").get("unreachable"))


@_test("reachable")
def reachable(result: Any) -> bool:
    """The host could be reached."""
    return not _result(result, "reachable").get("unreachable")


@_test("timedout")
def timedout(result: Any) -> bool:
    """The task hit its `timeout:`; Ansible stores {'period': N} under `timedout`."""
    value = _result(result, "timedout").get("timedout")
    if isinstance(value, Mapping):
        return bool(value.get("period"))
    return bool(value)


# ---------------------------------------------------------------------------
# Regular expressions
# ---------------------------------------------------------------------------

_MATCHERS: dict[str, Callable[..., Any]] = {"match": re.match, "search": re.search, "fullmatch": re.fullmatch}


@_test("regex")
def regex(value: Any = "", pattern: str = "", ignorecase: bool = False, multiline: bool = False,
          match_type: str = "search") -> bool:
    """The pattern matches the text (search by default; match/fullmatch anchor it)."""
    return _matches(value, pattern, ignorecase, multiline, match_type)


@_test("match")
def match(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    """The pattern matches at the start of the text."""
    return _matches(value, pattern, ignorecase, multiline, "match")


@_test("search")
def search(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    """The pattern matches anywhere in the text."""
    return _matches(value, pattern, ignorecase, multiline, "search")


def _matches(value: Any, pattern: str, ignorecase: bool, multiline: bool, match_type: str) -> bool:
    matcher = _MATCHERS.get(match_type)
    if matcher is None:
        raise TemplateError(f"Invalid match_type '{match_type}': expected 'match', 'search' or 'fullmatch'")
    flags = (re.IGNORECASE if ignorecase else 0) | (re.MULTILINE if multiline else 0)
    return matcher(pattern, str(value), flags) is not None


# ---------------------------------------------------------------------------
# Versions
# ---------------------------------------------------------------------------

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "=": operator.eq, "eq": operator.eq,
    "<": operator.lt, "lt": operator.lt,
    "<=": operator.le, "le": operator.le,
    ">": operator.gt, "gt": operator.gt,
    ">=": operator.ge, "ge": operator.ge,
    "!=": operator.ne, "<>": operator.ne, "ne": operator.ne,
}

_LOOSE_PART = re.compile(r"(\d+|[a-z]+|\.)")


def _loose_key(text: str) -> list:
    """distutils' LooseVersion: numbers and letter runs, compared left to right."""
    parts = [part for part in _LOOSE_PART.split(text) if part and part != "."]
    return [int(part) if part.isdigit() else part for part in parts]


_STRICT = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$", re.ASCII)


def _strict_key(text: str) -> tuple:
    """distutils' StrictVersion: N.N[.N][a|bN]; a pre-release sorts before its release."""
    found = _STRICT.match(text)
    if not found:
        raise ValueError(f"invalid version number '{text}'")
    major, minor, patch, letter, number = found.groups()
    release = (int(major), int(minor), int(patch or 0))
    if letter is None:
        return release, (1, "", 0)
    return release, (0, letter, int(number))


_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _semver_key(text: str) -> tuple:
    """Semantic Versioning 2.0 precedence; build metadata is ignored."""
    found = _SEMVER.match(text)
    if not found:
        raise ValueError(f"invalid semantic version '{text}'")
    major, minor, patch, prerelease, _build = found.groups()
    if prerelease is None:
        return int(major), int(minor), int(patch), (1,)
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in prerelease.split("."))
    return int(major), int(minor), int(patch), (0, identifiers)


_PEP440 = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_implicit>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n>\d+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


def _pep440_key(text: str) -> tuple:
    """PEP 440 ordering: epoch, release, dev < pre < final < post, then local."""
    found = _PEP440.match(text)
    if not found:
        raise ValueError(f"Invalid version: '{text}'")
    parts = found.groupdict()
    release = [int(piece) for piece in parts["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()  # 1.0 == 1.0.0
    has_post = parts["post_implicit"] is not None or parts["post_l"] is not None
    if parts["pre_l"] is not None:
        pre: tuple = (1, _PRE_RANK[parts["pre_l"].lower()], int(parts["pre_n"] or 0))
    elif parts["dev_l"] is not None and not has_post:
        pre = (0,)  # 1.0.dev1 comes before 1.0a1
    else:
        pre = (2,)
    post = (1, int(parts["post_implicit"] or parts["post_n"] or 0)) if has_post else (0,)
    dev = (0, int(parts["dev_n"] or 0)) if parts["dev_l"] is not None else (1,)
    local: tuple = (0,)
    if parts["local"]:
        segments = re.split(r"[-_.]", parts["local"].lower())
        local = (1, tuple((1, int(seg), "") if seg.isdigit() else (0, 0, seg) for seg in segments))
    return int(parts["epoch"] or 0), tuple(release), pre, post, dev, local


_VERSION_KEYS: dict[str, Callable[[str], Any]] = {
    "loose": _loose_key,
    "strict": _strict_key,
    "semver": _semver_key,
    "semantic": _semver_key,
    "pep440": _pep440_key,
}


def compare_versions(value: Any, version: Any, op: str = "eq", strict: bool | None = None,
                     version_type: str | None = None) -> bool:
    """Compare two version strings with one of Ansible's operators and version schemes."""
    if strict and version_type:
        raise TemplateError("Cannot specify both 'strict' and 'version_type'")
    if value is None or str(value) == "":
        raise TemplateError("Input version value cannot be empty")
    if version is None or str(version) == "":
        raise TemplateError("Version parameter to compare against cannot be empty")
    compare = _OPERATORS.get(op)
    if compare is None:
        raise TemplateError(
            f"Invalid operator type ({op}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', "
            "'>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
        )
    scheme = "strict" if strict else (version_type or "loose")
    key = _VERSION_KEYS.get(scheme)
    if key is None:
        raise TemplateError(
            f"Invalid version type ({scheme}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'"
        )
    try:
        return bool(compare(key(str(value)), key(str(version))))
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"Version comparison failed: {exc}") from None


@_test("version", "version_compare")
def version(value: Any, version: Any, operator: str = "eq", strict: bool | None = None,
            version_type: str | None = None) -> bool:
    """`'1.2.3' is version('1.10', '<')`; loose comparison unless told otherwise."""
    return compare_versions(value, version, operator, strict, version_type)


# ---------------------------------------------------------------------------
# Truth and collections
# ---------------------------------------------------------------------------


@_test("truthy")
def truthy(value: Any, convert_bool: bool = False) -> bool:
    """Python truthiness; with convert_bool, words like 'no' and 'off' count as false."""
    return _truthy(value, convert_bool)


@_test("falsy")
def falsy(value: Any, convert_bool: bool = False) -> bool:
    """The opposite of truthy."""
    return not _truthy(value, convert_bool)


def _truthy(value: Any, convert_bool: bool) -> bool:
    return bool(to_bool_loose(value) if convert_bool else value)


@_test("any")
def any_true(value: Iterable) -> bool:
    """At least one item is true."""
    return any(value)


@_test("all")
def all_true(value: Iterable) -> bool:
    """Every item is true (an empty list too)."""
    return all(value)


@_test("contains")
def contains(seq: Any, value: Any) -> bool:
    """`value in seq`, usable in select('contains', x)."""
    return value in seq


def _all_in(items: Iterable, container: Any) -> bool:
    """Set inclusion that also works for unhashable items such as dicts."""
    items, container = list(items), list(container)
    try:
        return set(items) <= set(container)
    except TypeError:
        return all(item in container for item in items)


@_test("subset", "issubset")
def subset(value: Iterable, other: Iterable) -> bool:
    """Every item of value is in other."""
    return _all_in(value, other)


@_test("superset", "issuperset")
def superset(value: Iterable, other: Iterable) -> bool:
    """Every item of other is in value."""
    return _all_in(other, value)


@_test("nan")
def nan(value: Any) -> bool:
    """A float NaN (anything that is not a number is simply not NaN)."""
    try:
        return math.isnan(value)
    except TypeError:
        return False


# ---------------------------------------------------------------------------
# Paths on the controller
# ---------------------------------------------------------------------------


@_test("abs", "is_abs")
def is_abs(path: str) -> bool:
    """The path is absolute."""
    return os.path.isabs(path)


@_test("exists")
def exists(path: str) -> bool:
    """The path exists on the controller (no ~ expansion, like Ansible)."""
    return os.path.exists(path)


@_test("file", "is_file")
def is_file(path: str) -> bool:
    """A regular file on the controller."""
    return os.path.isfile(path)


@_test("directory", "is_dir")
def is_dir(path: str) -> bool:
    """A directory on the controller."""
    return os.path.isdir(path)


@_test("link", "is_link")
def is_link(path: str) -> bool:
    """A symbolic link on the controller."""
    return os.path.islink(path)


@_test("mount", "is_mount")
def is_mount(path: str) -> bool:
    """A mount point on the controller."""
    return os.path.ismount(path)


@_test("same_file", "is_same_file")
def same_file(path: str, other: str) -> bool:
    """Both paths name the same file."""
    return os.path.samefile(path, other)


# ---------------------------------------------------------------------------
# Vault
# ---------------------------------------------------------------------------


@_test("vault_encrypted")
def vault_encrypted(value: Any) -> bool:
    """True for a value that came from an inline `!vault` (decrypted or not), and for copies of it."""
    from ..core.vault import VaultValue
    from ..core.vault_reveal import VaultedText

    return isinstance(value, (VaultValue, VaultedText))


@_test("vaulted_file")
def vaulted_file(path: str) -> bool:
    """The file starts with an Ansible vault header."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(b"$ANSIBLE_VAULT;")) == b"$ANSIBLE_VAULT;"
    except OSError as exc:
        raise TemplateError(f"Cannot test if the file '{path}' is a vault: {exc}") from None


def strict_about_undefined(jinja_tests: dict[str, Any]) -> None:
    """Jinja's own tests as Ansible 2.19 calls them: one given an undefined argument is not run,
    the undefined value is the result, so `x.missing is none` fails with the undefined error
    instead of being false. `defined` and `undefined` exist to look at undefined values."""
    from functools import wraps

    from jinja2 import Undefined

    def strict(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                if isinstance(value, Undefined):
                    return value
            return fn(*args, **kwargs)

        return call

    for name, fn in list(jinja_tests.items()):
        if name not in ("defined", "undefined"):
            jinja_tests[name] = strict(fn)
