"""subversion — check out, update, switch or export a Subversion working copy with the `svn` program.

Needs `svn` on the target (Debian: apt-get install subversion); without it the task fails with
Ansible's 'Failed to find required executable "svn" in paths: ...'.

Arguments:
  repo / name / repository   the repository URL (required)
  dest            the working copy (required unless checkout, update and export are all false)
  revision / rev / version   the revision to have (default HEAD)
  force           discard local modifications (svn revert) / overwrite on export
  username, password   credentials (the password goes on stdin with svn >= 1.10)
  executable      the svn program to use
  export          export instead of checking out (no .svn, always 'changed')
  checkout        check out when dest does not exist (default true)
  update          update an existing working copy (default true)
  switch          svn switch to `repo` first (default true)
  in_place        check out over an existing directory that is not a working copy
  validate_certs  false (default) adds --trust-server-cert

With checkout, update and export all false, only reports the repository's revision (after).
Check mode: a missing dest would be checked out (changed); an existing one is compared with
the wanted revision; a modified working copy without force fails, as in Ansible.

Returns: changed, before and after ('Revision: N', 'URL: ...' as svn info shows them).

Example:
  - subversion:
      repo: https://svn.example.org/project/trunk
      dest: /srv/project
"""
from __future__ import annotations

import os
import re
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program, with_env

ARGUMENT_SPEC = {
    "dest": {"type": "path"},
    "repo": {"type": "str", "required": True, "aliases": ["name", "repository"]},
    "revision": {"type": "str", "default": "HEAD", "aliases": ["rev", "version"]},
    "force": {"type": "bool", "default": False},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "executable": {"type": "path"},
    "export": {"type": "bool", "default": False},
    "checkout": {"type": "bool", "default": True},
    "update": {"type": "bool", "default": True},
    "switch": {"type": "bool", "default": True},
    "in_place": {"type": "bool", "default": False},
    "validate_certs": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True

REVISION_LINE = r"^\w+\s?:\s+\d+$"
_CHANGE_LINE = re.compile(r"^[ABDUCGE]\s")


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


class Svn:
    """The svn program with the task's credentials; each call fails the task like check_rc."""

    def __init__(self, ctx: ModuleContext, program: str, args: dict[str, Any]) -> None:
        self.ctx = ctx
        self.program = program
        self.args = args
        self._stdin_password: bool | None = None

    def password_on_stdin(self) -> bool:
        if self._stdin_password is None:
            rc, out, err = self.ctx.run_command([self.program, "--version", "--quiet"])
            if rc != 0:
                self.ctx.fail(err.strip() or out.strip(), rc=rc, stdout=out, stderr=err)
            self._stdin_password = version_tuple(out) >= (1, 10, 0)
        return self._stdin_password

    def run(self, words: list[str], check: bool = True) -> Any:
        argv = [self.program, "--non-interactive", "--no-auth-cache"]
        if not self.args["validate_certs"]:
            argv.append("--trust-server-cert")
        data = None
        if self.args["username"]:
            argv += ["--username", self.args["username"]]
        if self.args["password"]:
            if self.password_on_stdin():
                argv.append("--password-from-stdin")
                data = self.args["password"]
            else:
                self.ctx.warn("The authentication provided will be used on the svn command line and is not secure. "
                              "To securely pass credentials, upgrade svn to version 1.10.0 or greater.")
                argv += ["--password", self.args["password"]]
        argv += words
        rc, out, err = self.ctx.run_command(argv, data=data)
        if not check:
            return rc
        if rc != 0:
            shown = [w if w != self.args["password"] else "********" for w in argv]
            self.ctx.fail(err.strip() or out.strip(), cmd=" ".join(shown), rc=rc, stdout=out, stderr=err)
        return out.splitlines()

    def revision_and_url(self, target: str) -> tuple[str, str]:
        text = "\n".join(self.run(["info", target]))
        rev = re.search(REVISION_LINE, text, re.M)
        url = re.search(r"^URL\s?:.*$", text, re.M)
        return (rev.group(0) if rev else "Unable to get revision", url.group(0) if url else "Unable to get URL")

    def remote_revision(self) -> str:
        found = re.search(REVISION_LINE, "\n".join(self.run(["info", self.args["repo"]])), re.M)
        return found.group(0) if found else "Unable to get remote revision"

    def has_local_mods(self, dest: str) -> bool:
        return any(re.match(r"^[^?X]", line) for line in self.run(["status", "--quiet", "--ignore-externals", dest]))

    def changed_files(self, words: list[str]) -> bool:
        return any(_CHANGE_LINE.search(line) for line in self.run(words))

    def needs_update(self, dest: str) -> tuple[bool, str, str]:
        current = self.revision_and_url(dest)[0]
        found = re.search(REVISION_LINE, "\n".join(self.run(["info", "-r", self.args["revision"], dest])), re.M)
        head = found.group(0) if found else "Unable to get revision"
        return int(current.split(":")[1]) < int(head.split(":")[1]), current, head


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    dest = args["dest"]
    program = args["executable"] or require_program(ctx, "svn")
    ctx = with_env(ctx, {"LANG": "C", "LC_MESSAGES": "C"})  # svn's output is parsed
    export, checkout, update = args["export"], args["checkout"], args["update"]
    if not dest and (checkout or update or export):
        ctx.fail("the destination directory must be specified unless checkout=no, update=no, and export=no")
    svn = Svn(ctx, program, args)
    if not export and not update and not checkout:
        return {"changed": False, "after": svn.remote_revision()}
    if export or not os.path.exists(dest):
        return _fetch_new(svn, args, ctx)
    if svn.run(["info", dest], check=False) == 0:
        if not update:
            return {"changed": False}
        if ctx.check_mode:
            return _pending_update(svn, args, ctx)
        return _update_working_copy(svn, args, ctx)
    if not args["in_place"]:
        ctx.fail(f"ERROR: {dest} folder already exists, but its not a subversion repository.")
    return _checkout_in_place(svn, args)


def _fetch_new(svn: Svn, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """`export`, or `dest` does not exist yet: export or check out the repository there (if asked to)."""
    dest, repo, revision, export = args["dest"], args["repo"], args["revision"], args["export"]
    if ctx.check_mode:
        return {"changed": True}
    if not export and not args["checkout"]:
        return {"changed": False}
    if export:
        svn.run(["export"] + (["--force"] if args["force"] else []) + ["-r", revision, repo, dest])
        return {"changed": True}
    svn.run(["checkout", "-r", revision, repo, dest])
    return {"changed": True, "before": None, "after": svn.revision_and_url(dest)}


def _pending_update(svn: Svn, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """Check mode on a working copy: whether an update would change it (local changes fail without force)."""
    dest = args["dest"]
    if svn.has_local_mods(dest) and not args["force"]:
        ctx.fail("ERROR: modified files exist in the repository.")
    changed, before, after = svn.needs_update(dest)
    return {"changed": changed, "before": before, "after": after}


def _update_working_copy(svn: Svn, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """Switch (if asked) and update an existing working copy; local changes are reverted with force, else fail."""
    dest, repo, revision = args["dest"], args["repo"], args["revision"]
    before = svn.revision_and_url(dest)
    local_mods = svn.has_local_mods(dest)
    files_changed = False
    if args["switch"]:
        files_changed = svn.changed_files(["switch", "--revision", revision, repo, dest])
    if local_mods:
        if not args["force"]:
            ctx.fail("ERROR: modified files exist in the repository.")
        reverted = svn.run(["revert", "-R", dest])
        files_changed = any(re.search(r"^Reverted ", line) is None for line in reverted) or files_changed
    files_changed = svn.changed_files(["update", "-r", revision, dest]) or files_changed
    return {"changed": files_changed or local_mods, "before": before, "after": svn.revision_and_url(dest)}


def _checkout_in_place(svn: Svn, args: dict[str, Any]) -> dict[str, Any]:
    """`in_place`: check out over a folder that is not a working copy; with force, revert what differs."""
    dest = args["dest"]
    svn.run(["checkout", "--force", "-r", args["revision"], args["repo"], dest])
    if svn.has_local_mods(dest) and args["force"]:
        svn.run(["revert", "-R", dest])
    return {"changed": True, "before": None, "after": svn.revision_and_url(dest)}
