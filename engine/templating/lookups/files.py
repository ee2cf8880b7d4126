"""Lookups that read the controller: environment, files, templates, commands, globs, first_found."""
from __future__ import annotations

import glob
import os
import re
import subprocess
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from ...core.errors import TemplateError
from ..filters import is_list_like
from .base import LookupContext, candidates, find_file, read_text, register

# ---------------------------------------------------------------------------
# Environment, files, commands, variables
# ---------------------------------------------------------------------------


@register("env")
def lookup_env(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller environment variables; unset ones give `default` ('' unless set)."""
    default = kwargs.get("default", "")
    return [os.environ.get(str(term), default) for term in terms]


def _read_decrypted(path: str, vault: Any) -> str:
    """A controller file's text, decrypted if it is vault-encrypted (a failure fails the lookup)."""
    from ...core.errors import MiniplayError
    from ...core.vault_secrets import read_controller_file

    try:
        return read_controller_file(path, vault).decode("utf-8", "surrogateescape")
    except MiniplayError as exc:
        raise TemplateError(exc.message) from None


@register("file")
def lookup_file(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Contents of controller files, right-stripped unless rstrip=False."""
    lstrip = bool(kwargs.get("lstrip", False))
    rstrip = bool(kwargs.get("rstrip", True))
    contents = []
    for term in terms:
        path = find_file(ctx, term, "files")
        try:
            if path is None or os.path.isdir(path):
                raise OSError("not a file")
            text = _read_decrypted(path, ctx.vault)
        except OSError:
            raise TemplateError(f"Unable to access the file '{term}': File not found.") from None
        if lstrip:
            text = text.lstrip()
        if rstrip:
            text = text.rstrip()
        contents.append(text)
    return contents


@register("unvault")
def lookup_unvault(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Contents of controller files, decrypted if vault-encrypted, exactly as stored (no stripping)."""
    contents = []
    for term in terms:
        path = find_file(ctx, term, "files")
        if path is None or os.path.isdir(path):
            raise TemplateError(f'Unable to find file matching "{term}" ')
        try:
            contents.append(_read_decrypted(path, ctx.vault))
        except OSError as exc:
            raise TemplateError(f'Unable to find file matching "{term}" : {exc.strerror}') from None
    return contents


TEMPLATE_LOOKUP_OPTIONS = ("variable_start_string", "variable_end_string", "comment_start_string",
                           "comment_end_string", "trim_blocks")


@register("template")
def lookup_template(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller template files rendered with the host's variables (+ template_vars)."""
    extra = dict(kwargs.get("template_vars") or {})
    if "ansible_managed" not in ctx.variables:  # as for the template module
        extra.setdefault("ansible_managed", "Ansible managed")
    # ChainMap writes only to its first map: the host's variables behind it are only read.
    behind = cast("MutableMapping[str, Any]", ctx.variables)
    variables: Mapping[str, Any] = ChainMap(extra, behind) if extra else ctx.variables
    # the lookup's own Jinja options (delimiters, trim_blocks), as Ansible's template lookup takes them
    options = {key: kwargs[key] for key in TEMPLATE_LOOKUP_OPTIONS if kwargs.get(key) is not None}
    rendered = []
    for term in terms:
        path = find_file(ctx, term, "templates")
        if path is None or not os.path.isfile(path):
            raise TemplateError(f"the template file {term} could not be found for the lookup")
        if ctx.render_file is None:
            rendered.append(ctx.render(read_text(path), variables))
            continue
        # `{% include %}` looks beside the template, then in each search path's templates/ and itself
        searchpath = [os.path.dirname(path)]
        for base in ctx.search_paths:
            searchpath += [os.path.join(base, "templates"), base]
        rendered.append(ctx.render_file(read_text(path), variables, searchpath, options))
    return rendered


def _run_command(command: str, ctx: LookupContext, lookup_name: str) -> str:
    """Run a shell command on the controller from the playbook directory."""
    cwd = ctx.search_paths[-1] if ctx.search_paths else None
    if cwd is not None and not os.path.isdir(cwd):
        cwd = None
    completed = subprocess.run(command, shell=True, cwd=cwd, stdout=subprocess.PIPE, check=False)
    if completed.returncode != 0:
        raise TemplateError(f"lookup_plugin.{lookup_name}({command}) returned {completed.returncode}")
    return completed.stdout.decode("utf-8", errors="surrogateescape")


@register("pipe")
def lookup_pipe(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Standard output of shell commands, trailing whitespace removed."""
    return [_run_command(str(term), ctx, "pipe").rstrip() for term in terms]


@register("lines")
def lookup_lines(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Each line of the commands' output, as separate items."""
    lines: list = []
    for term in terms:
        lines.extend(_run_command(str(term), ctx, "lines").splitlines())
    return lines


# ---------------------------------------------------------------------------
# first_found and fileglob
# ---------------------------------------------------------------------------


def _split_option(value: Any, separators: str) -> list:
    """A files/paths option: a list, or text separated by any of `separators`."""
    if value is None:
        return []
    items = list(value) if is_list_like(value) else [value]
    split: list = []
    for item in items:
        split.extend(part for part in re.split(f"[{re.escape(separators)}]", str(item)) if part)
    return split


def _first_found_plan(terms: list, kwargs: dict) -> tuple[list[str], bool]:
    """Every path to try, in order, and whether a miss is allowed (skip)."""
    skip = bool(kwargs.get("skip", False))
    base_files = _split_option(kwargs.get("files"), ",;")
    base_paths = _split_option(kwargs.get("paths"), ",:;")
    groups: list[tuple[list, list]] = []
    for term in terms:
        if isinstance(term, Mapping):
            files = _split_option(term.get("files", base_files), ",;")
            paths = _split_option(term.get("paths", base_paths), ",:;")
            skip = skip or bool(term.get("skip", False))
            groups.append((files, paths))
        elif is_list_like(term):
            groups.extend(([str(item)], base_paths) for item in term)
        else:
            groups.append(([str(term)], base_paths))
    if not terms:
        groups.append((base_files, base_paths))
    plan: list[Any] = []
    for files, paths in groups:
        if paths:
            plan.extend(os.path.join(path, name) for name in files for path in paths)
        else:
            plan.extend(files)
    return plan, skip


@register("first_found")
def lookup_first_found(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """The first of several candidate files that exists, as an absolute path."""
    plan, skip = _first_found_plan(terms, kwargs)
    for candidate in plan:
        found = find_file(ctx, candidate, "files")
        if found is not None:
            return [found]
    if skip:
        return []
    raise TemplateError("No file was found when using first_found.")


@register("fileglob")
def lookup_fileglob(terms: list, ctx: LookupContext, kwargs: dict) -> list:
    """Controller files matching glob patterns; the first directory with matches wins."""
    matches: list = []
    for term in terms:
        pattern = os.path.expanduser(str(term))
        directory, name = os.path.split(pattern)
        if os.path.isabs(pattern):
            directories = [directory]
        else:
            directories = list(candidates(ctx, directory, "files"))
        for candidate in directories:
            found = [path for path in sorted(glob.glob(os.path.join(candidate, name))) if os.path.isfile(path)]
            if found:
                matches.extend(os.path.abspath(path) if not os.path.isabs(pattern) else path for path in found)
                break
    return matches
