"""deb822_repository — write (or remove) an APT repository as a deb822 `.sources` file.

The modern replacement for apt_repository + apt_key: one file per repository in
/etc/apt/sources.list.d/NAME.sources, its key inline or in /etc/apt/keyrings.

Arguments:
  name              the repository's name (required); the file is named after it in lower
                    case, spaces and `_` as `-` (`X-Repolib-Name` in the file)
  types             deb and/or deb-src (default [deb])
  uris, suites, components, architectures, languages, targets   lists, written space-separated
  signed_by         a key: a file path (used as is), a URL (downloaded to
                    /etc/apt/keyrings/NAME.asc or .gpg), or the armored key itself (inline)
  enabled, trusted, pdiffs, by_hash, allow_insecure, allow_weak, allow_downgrade_to_insecure,
  check_date, check_valid_until   yes/no fields
  date_max_future   an int; inrelease_path a string
  mode              the file's permissions (default 0644)
  state             present (default) or absent (removes the file and NAME.asc/.gpg)
Fields are written in the order of their option names, as Ansible writes them.

Check mode reports the change without writing; the file is compared by content.

Returns: changed, repo (the file's text; null for absent), dest (its path), key_filename
(the key file, when signed_by named or fetched one), and dest's owner, group, mode, size.

Example:
  - name: Docker's repository, key fetched into /etc/apt/keyrings
    deb822_repository:
      name: docker
      uris: https://download.docker.com/linux/debian
      suites: "{{ ansible_distribution_release }}"
      components: stable
      signed_by: https://download.docker.com/linux/debian/gpg
"""
from __future__ import annotations

import hashlib
import os
import re
import textwrap
import urllib.parse
import urllib.request
from typing import Any

from miniplay.modules._common import ModuleContext, atomic_write
from miniplay.modules._files import parse_mode, path_info

_LIST = {"type": "list", "elements": "str"}
ARGUMENT_SPEC = {
    "allow_downgrade_to_insecure": {"type": "bool"},
    "allow_insecure": {"type": "bool"},
    "allow_weak": {"type": "bool"},
    "architectures": dict(_LIST),
    "by_hash": {"type": "bool"},
    "check_date": {"type": "bool"},
    "check_valid_until": {"type": "bool"},
    "components": dict(_LIST),
    "date_max_future": {"type": "int"},
    "enabled": {"type": "bool"},
    "inrelease_path": {"type": "str"},
    "languages": dict(_LIST),
    "name": {"type": "str", "required": True},
    "pdiffs": {"type": "bool"},
    "signed_by": {"type": "str"},
    "suites": dict(_LIST),
    "targets": dict(_LIST),
    "trusted": {"type": "bool"},
    "types": {"type": "list", "elements": "str", "choices": ["deb", "deb-src"], "default": ["deb"]},
    "uris": dict(_LIST),
    "mode": {"type": "raw", "default": "0644"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
SUPPORTS_CHECK_MODE = True

SOURCES_DIR = "/etc/apt/sources.list.d"
KEYRINGS_DIR = "/etc/apt/keyrings"
NOT_FIELDS = ("mode", "state")


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "", re.sub(r"[_\s]+", "-", name.lower()))


def field_name(option: str) -> str:
    if option == "name":
        return "X-Repolib-Name"
    if option == "uris":
        return "URIs"
    return option.replace("_", "-").title()


def field_value(value: Any) -> str:
    """A deb822 value: yes/no, a space-separated list, or an indented continuation block."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        text = " ".join(str(v) for v in value)
    else:
        text = str(value)
    if "\n" in text:
        lines = [line.strip() or "." for line in text.strip().splitlines()]
        text = "\n" + textwrap.indent("\n".join(lines), "    ")
    return text


def render(fields: list[tuple[str, str]]) -> str:
    """The deb822 paragraph; an empty or continued value leaves no space after the colon."""
    return "".join(f"{key}:{value}\n" if not value or value.startswith("\n") else f"{key}: {value}\n"
                   for key, value in fields)


def is_armored(data: bytes) -> bool:
    return b"-----BEGIN PGP PUBLIC KEY BLOCK-----" in data


def sha256_of(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def ensure_keyrings_dir(ctx: ModuleContext) -> bool:
    """/etc/apt/keyrings as apt wants it: a directory, root's, mode 0755."""
    changed = False
    if not os.path.isdir(KEYRINGS_DIR):
        changed = True
        if ctx.check_mode:
            return changed
        os.mkdir(KEYRINGS_DIR, 0o755)
    st = os.stat(KEYRINGS_DIR)
    if st.st_mode & 0o7777 != 0o755:
        changed = True
        if not ctx.check_mode:
            os.chmod(KEYRINGS_DIR, 0o755)
    if (st.st_uid, st.st_gid) != (0, 0):
        changed = True
        if not ctx.check_mode:
            os.chown(KEYRINGS_DIR, 0, 0)
    return changed


def signed_by_key(ctx: ModuleContext, value: str, slug: str) -> tuple[bool, str | None, str | None]:
    """(changed, key file, inline key): a file is used as is, a URL is fetched into
    /etc/apt/keyrings, anything else is the key itself."""
    if os.path.isfile(value):
        return False, value, None
    if not urllib.parse.urlsplit(value).scheme:
        return False, None, value
    try:
        with urllib.request.urlopen(value, timeout=30) as response:
            data = response.read()
    except Exception as exc:
        ctx.fail(f"Could not fetch signed_by key: {exc}")
    if not data:
        return False, value, None
    path = os.path.join(KEYRINGS_DIR, f"{slug}.{'asc' if is_armored(data) else 'gpg'}")
    changed = False
    if hashlib.sha256(data).hexdigest() != sha256_of(path):
        changed = ensure_keyrings_dir(ctx) or True
        if not ctx.check_mode:
            atomic_write(path, data, 0o644)
    if os.path.exists(path) and os.stat(path).st_mode & 0o7777 != 0o644:
        changed = True
        if not ctx.check_mode:
            os.chmod(path, 0o644)
    return changed, path, None


def remove(ctx: ModuleContext, slug: str, dest: str) -> dict[str, Any]:
    changed = False
    key_file = ""
    for path in [dest] + [os.path.join(KEYRINGS_DIR, f"{slug}.{ext}") for ext in ("asc", "gpg")]:
        key_file = path
        if os.path.exists(path):
            changed = True
            if not ctx.check_mode:
                os.unlink(path)
    return {"repo": None, "changed": changed, "dest": dest, "key_filename": key_file, **path_info(dest)}


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    slug = slug_of(args["name"])
    dest = os.path.join(SOURCES_DIR, f"{slug}.sources")
    if args["state"] == "absent":
        return remove(ctx, slug, dest)
    changed = False
    key_file = None
    fields: list[tuple[str, str]] = []
    for option in sorted(k for k in ARGUMENT_SPEC if k not in NOT_FIELDS):
        value = args.get(option)
        if value is None:
            continue
        if option == "signed_by":
            key_changed, key_file, inline = signed_by_key(ctx, value, slug)
            changed |= key_changed
            value = key_file or inline
        fields.append((field_name(option), field_value(value)))
    repo = render(fields)
    if hashlib.sha256(repo.encode()).hexdigest() != sha256_of(dest):
        changed = True
        if not ctx.check_mode:
            atomic_write(dest, repo.encode())
    if os.path.exists(dest):
        current = os.stat(dest).st_mode & 0o7777
        try:
            wanted = parse_mode(args["mode"], current, False)
        except ValueError as exc:
            ctx.fail(str(exc))
        if wanted != current:
            changed = True
            if not ctx.check_mode:
                os.chmod(dest, wanted)
    return {"repo": repo, "changed": changed, "dest": dest, "key_filename": key_file, **path_info(dest)}
