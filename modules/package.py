"""package — install or remove packages with whatever package manager the host uses.

Arguments:
  name      package name(s), as the host's manager spells them (the manager may not need one:
            `update_cache: true` alone refreshes apt's cache)
  state     present, absent, latest (whatever the manager supports)
  use       the manager module to use; auto (default) picks it like the `ansible_pkg_mgr`
            fact: apt on Debian-family hosts, dnf/dnf5 on Red Hat-family hosts, ...
  Every other argument goes unchanged to the manager's module (update_cache, ...).

miniplay ships the apt backend; on a host whose manager is another one the task fails
and says which manager it found.

Returns: what the manager's module returns (for apt: changed, cache_updated,
cache_update_time, stdout, stderr).

Example:
  - name: Tools every host needs
    package:
      name: [git, rsync]
      state: present
"""
from __future__ import annotations

from typing import Any

from miniplay.modules import apt
from miniplay.modules._common import ModuleContext, validate_args
from miniplay.modules._pkg import package_manager

# The manager modules miniplay has, by `ansible_pkg_mgr` name.
BACKENDS = {"apt": apt}

# name/state/use, plus the backend's own arguments so they reach it (as Ansible's
# package action passes every argument through); checked again by the backend's spec.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    **{key: dict(value) for key, value in apt.ARGUMENT_SPEC.items() if key != "package"},
    # not required here: the manager decides (apt updates its cache with no name, as in Ansible)
    "name": {"type": "raw"},
    "state": {"type": "str"},
    "use": {"type": "str", "default": "auto"},
}
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    manager = args["use"]
    if manager == "auto":
        manager = package_manager()
        if manager is None:
            ctx.fail('Could not detect which package manager to use. Try gathering facts or setting the "use" option.')
    backend = BACKENDS.get(str(manager))
    if backend is None:
        ctx.fail(f'Could not find a matching action for the "{manager}" package manager.')
    # Hand the backend only what the user wrote: defaults are the backend's business.
    given = {key: value for key, value in args.items() if key != "use" and value is not None
             and value != ARGUMENT_SPEC[key].get("default")}
    if args["name"] is not None:
        given["name"] = args["name"]
    params = validate_args(backend.ARGUMENT_SPEC, given, f"ansible.legacy.{manager}",
                           getattr(backend, "MUTUALLY_EXCLUSIVE", ()), getattr(backend, "REQUIRED_ONE_OF", ()))
    return backend.main(params, ctx)
