"""git — check out a git repository at a branch, tag or commit, with the git program.

Arguments:
  repo / name       the repository URL (required); a plain /path means file:///path
  dest              where to check it out (required unless clone=no)
  version           branch, tag or commit to check out (default HEAD: the remote's default branch)
  remote            the remote's name (default origin)
  force             throw away local changes to tracked files (otherwise they make the task fail)
  depth             shallow clone/fetch of this many commits (HEAD, branches and tags only)
  clone             clone when dest is missing (default yes); no: only report the remote head
  update            fetch and check out the version (default yes); no: leave an existing clone
  bare              a bare repository in dest
  single_branch     clone only the history of version
  refspec           an extra refspec to fetch (e.g. refs/pull/*)
  reference         clone with --reference REPO
  recursive         also init/update submodules (default yes); track_submodules: follow their
                    remote branches
  accept_hostkey / accept_newhostkey   add StrictHostKeyChecking=no / accept-new for ssh URLs
  key_file, ssh_opts   ssh identity and options (through GIT_SSH_COMMAND)
  executable        the git program to use
  umask             octal umask (as a quoted string) for the files git writes
  archive, archive_prefix   also write `git archive` of the version to this .zip/.tar/.tar.gz/.tgz
  separate_git_dir  keep the repository data in this directory (on clone)
  verify_commit, gpg_allowlist   check the commit's GPG signature (git verify-commit)

Returns: before (commit before, null for a new clone), after (commit after), changed,
remote_url_changed, msg when local changes were discarded; diff.prepared with --diff.
In check mode nothing is cloned or fetched: after is what the remote reports (ls-remote).

Example:
  - name: The app at its release tag
    git:
      repo: https://git.example.com/app.git
      dest: /srv/app
      version: v1.4.2
      depth: 1
"""
from __future__ import annotations

import filecmp
import os
import re
import shlex
import shutil
import tempfile
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program, with_env

ARGUMENT_SPEC = {
    "dest": {"type": "path"},
    "repo": {"type": "str", "required": True, "aliases": ["name"]},
    "version": {"type": "str", "default": "HEAD"},
    "remote": {"type": "str", "default": "origin"},
    "refspec": {"type": "str"},
    "reference": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "depth": {"type": "int"},
    "clone": {"type": "bool", "default": True},
    "update": {"type": "bool", "default": True},
    "verify_commit": {"type": "bool", "default": False},
    "gpg_allowlist": {"type": "list", "elements": "str", "default": [], "aliases": ["gpg_whitelist"]},
    "accept_hostkey": {"type": "bool", "default": False},
    "accept_newhostkey": {"type": "bool", "default": False},
    "key_file": {"type": "path"},
    "ssh_opts": {"type": "str"},
    "executable": {"type": "path"},
    "bare": {"type": "bool", "default": False},
    "recursive": {"type": "bool", "default": True},
    "single_branch": {"type": "bool", "default": False},
    "track_submodules": {"type": "bool", "default": False},
    "umask": {"type": "raw"},
    "archive": {"type": "path"},
    "archive_prefix": {"type": "str"},
    "separate_git_dir": {"type": "path"},
}
MUTUALLY_EXCLUSIVE = (("separate_git_dir", "bare"), ("accept_hostkey", "accept_newhostkey"))
SUPPORTS_CHECK_MODE = True

ARCHIVE_FORMATS = {".zip": "zip", ".gz": "tar.gz", ".tar": "tar", ".tgz": "tgz"}


def same_path(left: str | None, right: str | None) -> bool:
    """Do two repository locations name the same place? (URLs compare as text.)"""
    if left is None or right is None:
        return left == right

    def norm(path: str) -> str:
        return os.path.normpath(os.path.realpath(os.path.expanduser(os.path.expandvars(path))))

    return left == right or norm(left) == norm(right)


def head_branch_from(headfile: str, remote: str) -> str | None:
    """The branch a HEAD file (or refs/remotes/R/HEAD) points at."""
    try:
        with open(headfile, encoding="utf-8") as handle:
            line = handle.readline()
    except OSError:
        return None
    if not line:
        return None
    line = line.replace(f"refs/remotes/{remote}", "", 1)
    return line.split(" ")[-1].split("/", 2)[-1].rstrip("\n")


class Git:
    """One run of the module: the git program, the destination, and the steps."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext, repo: str, dest: str | None) -> None:
        self.args = args
        self.git = args["executable"] or require_program(ctx, "git")
        self.repo = repo
        self.dest = dest
        self.remote = args["remote"]
        env = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LANGUAGE": "C"}
        ssh = self._ssh_command(ctx)
        if ssh:
            env["GIT_SSH_COMMAND"] = ssh
        self.ctx = with_env(ctx, env)

    def _ssh_command(self, ctx: ModuleContext) -> str | None:
        args = self.args
        opts = args["ssh_opts"]
        for flag, value in (("accept_hostkey", "no"), ("accept_newhostkey", "accept-new")):
            if args[flag]:
                extra = f"-o StrictHostKeyChecking={value}"
                if opts is None:
                    opts = extra
                elif "-o StrictHostKeyChecking=no" not in opts and "-o StrictHostKeyChecking=accept-new" not in opts:
                    opts += " " + extra
        if not (opts or args["key_file"]):
            return None
        words = ["ssh"]
        if args["key_file"]:
            words += ["-i", shlex.quote(args["key_file"]), "-o", "IdentitiesOnly=yes"]
        return " ".join(words + ([opts] if opts else []))

    # ------------------------------------------------------------------ commands
    def run(self, *words: str, cwd: str | None = None, check: bool = False) -> tuple[int, str, str]:
        rc, out, err = self.ctx.run_command([self.git, *words], cwd=cwd)
        if check and rc != 0:
            self.ctx.fail(err.strip() or out.strip() or f"git {words[0]} failed with rc {rc}",
                          cmd=" ".join([self.git, *words]), rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def in_dest(self, *words: str, check: bool = False) -> tuple[int, str, str]:
        return self.run(*words, cwd=self.dest, check=check)

    def version_at(self, ref: str = "HEAD") -> str:
        return self.in_dest("rev-parse", ref)[1].rstrip("\n")

    def repo_path(self) -> str:
        assert self.dest is not None
        path = self.dest if self.args["bare"] else os.path.join(self.dest, ".git")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                prefix, _, gitdir = handle.read().rstrip().partition("gitdir: ")
            if prefix:
                raise ValueError(".git file has invalid git dir reference format")
            path = gitdir if os.path.isabs(gitdir) else os.path.join(self.dest, gitdir)
            if not os.path.isdir(path):
                raise ValueError(f"{path} is not a directory")
        return path

    def is_remote_branch(self, remote: str, version: str, cwd: str | None) -> bool:
        out = self.run("ls-remote", remote, "-h", f"refs/heads/{version}", cwd=cwd, check=True)[1]
        return version in out

    def is_remote_tag(self, remote: str, version: str, cwd: str | None) -> bool:
        out = self.run("ls-remote", remote, "-t", f"refs/tags/{version}", cwd=cwd, check=True)[1]
        return version in out

    def branches(self) -> list[str]:
        rc, out, err = self.in_dest("branch", "--no-color", "-a")
        if rc != 0:
            self.ctx.fail(f"Could not determine branch data - received {out}", stdout=out, stderr=err)
        return [line.strip() for line in out.splitlines() if line.strip()]

    def is_local_branch(self, branch: str) -> bool:
        found = self.branches()
        return branch in found or f"* {branch}" in found

    def detached(self) -> bool:
        return any(b.startswith("* ") and ("no branch" in b or "detached from" in b or "detached at" in b)
                   for b in self.branches())

    def head_branch(self) -> str:
        try:
            path = self.repo_path()
        except (OSError, ValueError) as exc:
            self.ctx.fail("Current repo does not have a valid reference to a separate Git dir or it refers to the "
                          "invalid path", details=str(exc))
        headfile = os.path.join(path, "HEAD")
        if self.detached():
            headfile = os.path.join(path, "refs", "remotes", self.remote, "HEAD")
        branch = head_branch_from(headfile, self.remote)
        if branch is None:
            self.ctx.fail(f"Unable to read {headfile}")
        return branch

    def remote_head(self, version: str, remote: str) -> str:
        """The commit `version` names on `remote` (or version itself when it is a commit)."""
        cloning = remote in (self.args["repo"], "file://" + os.path.expanduser(self.args["repo"]))
        cwd = None if cloning else self.dest
        tag = False
        if version == "HEAD":
            if cloning:
                words = ["ls-remote", remote, "-h", "HEAD"]
            else:
                words = ["ls-remote", remote, "-h", f"refs/heads/{self.head_branch()}"]
        elif self.is_remote_branch(remote, version, cwd):
            words = ["ls-remote", remote, "-h", f"refs/heads/{version}"]
        elif self.is_remote_tag(remote, version, cwd):
            tag = True
            words = ["ls-remote", remote, "-t", f"refs/tags/{version}*"]
        else:
            return version
        rc, out, err = self.run(*words, cwd=cwd, check=True)
        if not out:
            self.ctx.fail(f"Could not determine remote revision for {version}", stdout=out, stderr=err, rc=rc)
        if tag:
            for line in out.split("\n"):
                if line.endswith(version + "^{}"):
                    out = line
                    break
                if line.endswith(version):
                    out = line
        return out.split()[0]

    def local_mods(self) -> bool:
        if self.args["bare"]:
            return False
        out = self.in_dest("status", "--porcelain")[1]
        return any(not line.startswith("??") for line in out.splitlines())

    def remote_url(self) -> str | None:
        rc, out, _ = self.in_dest("ls-remote", "--get-url", self.remote)
        return out.rstrip("\n") if rc == 0 else None

    def set_remote_url(self) -> bool:
        current = self.remote_url()
        if current == self.repo or same_path(current, self.repo):
            return False
        rc, out, err = self.in_dest("remote", "set-url", self.remote, self.repo)
        if rc != 0:
            self.ctx.fail(f"Failed to set a new url {self.repo} for {self.remote}: {out} {err}")
        return current is not None

    # ------------------------------------------------------------------ steps
    def clone(self, version: str, result: dict[str, Any]) -> None:
        args = self.args
        assert self.dest is not None
        parent = os.path.dirname(self.dest)
        os.makedirs(parent, exist_ok=True)
        argv = ["clone"] + (["--bare"] if args["bare"] else ["--origin", self.remote])
        branch_or_tag = (self.is_remote_branch(self.repo, version, None)
                         or self.is_remote_tag(self.repo, version, None))
        depth = args["depth"]
        if depth:
            if version == "HEAD" or args["refspec"]:
                argv += ["--depth", str(depth)]
            elif branch_or_tag:
                argv += ["--depth", str(depth), "--branch", version]
            else:
                self.ctx.warn("Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags "
                              "or in combination with refspec.")
        if args["reference"]:
            argv += ["--reference", args["reference"]]
        if args["single_branch"]:
            argv.append("--single-branch")
            if branch_or_tag and "--branch" not in argv:
                argv += ["--branch", version]
        if args["separate_git_dir"]:
            argv.append(f"--separate-git-dir={args['separate_git_dir']}")
        argv += [self.repo, self.dest]
        self.run(*argv, cwd=parent, check=True)
        if args["bare"] and self.remote != "origin":
            self.in_dest("remote", "add", self.remote, self.repo, check=True)
        if args["refspec"]:
            self.in_dest("fetch", *(["--depth", str(depth)] if depth else []), self.remote, args["refspec"],
                         check=True)
        if args["verify_commit"]:
            self.verify(version)

    def fetch(self, version: str) -> None:
        args = self.args
        self.set_remote_url()
        words = ["fetch"]
        refspecs: list[str] = []
        depth = args["depth"]
        if depth:
            current = self.head_branch()
            if args["refspec"]:
                refspecs.append(args["refspec"])
            elif version == "HEAD":
                refspecs.append(current)
            elif self.is_remote_branch(self.repo, version, self.dest):
                if current != version:
                    refspecs.append(f"+refs/heads/{version}:refs/heads/{version}")
                refspecs.append(f"+refs/heads/{version}:refs/remotes/{self.remote}/{version}")
            elif self.is_remote_tag(self.repo, version, self.dest):
                refspecs.append(f"+refs/tags/{version}:refs/tags/{version}")
            if refspecs:
                words += ["--depth", str(depth)]
        if not depth or not refspecs:
            if args["bare"]:
                refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
            else:
                words.append("--tags")
            if args["refspec"]:
                refspecs.append(args["refspec"])
        if args["force"]:
            words.append("--force")
        words.append(self.remote)
        rc, out, err = self.in_dest(*words, *refspecs)
        if rc != 0:
            self.ctx.fail(f"Failed to download remote objects and refs: {out} {err}",
                          cmd=[self.git, *words, *refspecs])

    def switch_version(self, version: str) -> None:
        depth = self.args["depth"]
        if version == "HEAD":
            branch = self.head_branch()
            rc, out, err = self.in_dest("checkout", "--force", branch)
            if rc != 0:
                self.ctx.fail(f"Failed to checkout branch {branch}", stdout=out, stderr=err, rc=rc)
            words = ["reset", "--hard", f"{self.remote}/{branch}", "--"]
        elif self.is_remote_branch(self.remote, version, self.dest):
            if depth and not self.is_local_branch(version):
                refs = [f"+refs/heads/{version}:refs/heads/{version}",
                        f"+refs/heads/{version}:refs/remotes/{self.remote}/{version}"]
                rc, out, err = self.in_dest("fetch", f"--depth={depth}", self.remote, *refs)
                if rc != 0:
                    self.ctx.fail(f"Failed to fetch branch from remote: {version}", stdout=out, stderr=err, rc=rc)
            if not self.is_local_branch(version):
                words = ["checkout", "--track", "-b", version, f"{self.remote}/{version}"]
            else:
                rc, out, err = self.in_dest("checkout", "--force", version)
                if rc != 0:
                    self.ctx.fail(f"Failed to checkout branch {version}", stdout=out, stderr=err, rc=rc)
                words = ["reset", "--hard", f"{self.remote}/{version}"]
        else:
            words = ["checkout", "--force", version]
        rc, out, err = self.in_dest(*words)
        if rc != 0:
            what = f"{version}" if version != "HEAD" else f"branch {self.head_branch()}"
            self.ctx.fail(f"Failed to checkout {what}", stdout=out, stderr=err, rc=rc,
                          cmd=" ".join([self.git, *words]))
        if self.args["verify_commit"]:
            self.verify(version)

    def verify(self, version: str) -> None:
        kind = "tag" if self.in_dest("cat-file", "-t", version)[1].strip() == "tag" else "commit"
        rc, out, err = self.in_dest(f"verify-{kind}", "--raw", version)
        if rc != 0:
            self.ctx.fail(f"Failed to verify GPG signature of commit/tag \"{version}\"", stdout=out, stderr=err,
                          rc=rc)
        allowed = self.args["gpg_allowlist"]
        if allowed:
            match = re.search(r"VALIDSIG\s+(\w+)", err)
            fingerprint = match.group(1) if match else None
            if fingerprint not in allowed:
                self.ctx.fail(f"The gpg_allowlist does not include the public key \"{fingerprint}\" for this "
                              f"commit", stdout=out, stderr=err, rc=rc)

    def submodules_changed(self) -> bool:
        assert self.dest is not None
        modules_file = os.path.join(self.dest, ".gitmodules")
        if not os.path.exists(modules_file):
            return False
        with open(modules_file, encoding="utf-8") as handle:
            for line in handle:
                if line.strip().startswith("path"):
                    path = line.split("=", 1)[1].strip()
                    if not os.path.exists(os.path.join(self.dest, path, ".git")):
                        return True
        before = self.in_dest("submodule", "foreach", self.git, "rev-parse", "HEAD", check=True)[1]
        self.in_dest("submodule", "foreach", self.git, "fetch", check=True)
        if self.args["track_submodules"]:
            after = self.in_dest("submodule", "foreach", self.git, "rev-parse", f"{self.remote}/master",
                                 check=True)[1]
            return before != after
        out = self.in_dest("submodule", "status", check=True)[1]
        return any(line and line[0] != " " for line in out.splitlines())

    def submodule_update(self) -> None:
        assert self.dest is not None
        if not os.path.exists(os.path.join(self.dest, ".gitmodules")):
            return
        self.in_dest("submodule", "sync", check=True)
        words = ["submodule", "update", "--init", "--recursive"]
        if self.args["track_submodules"]:
            words.append("--remote")
        if self.args["force"]:
            words.append("--force")
        rc, out, err = self.in_dest(*words)
        if rc != 0:
            self.ctx.fail(f"Failed to init/update submodules: {out}{err}")

    def diff(self, before: str | None, after: str | None) -> dict[str, str]:
        if before is None:
            return {"prepared": f">> Newly checked out {after}"}
        if before == after:
            return {}
        rc, out, err = self.in_dest("diff", str(before), str(after))
        if rc == 0 and out:
            return {"prepared": out}
        if rc == 0:
            return {"prepared": f">> No visual differences between {before} and {after}"}
        tail = f":\n>> {err}" if err else ""
        return {"prepared": f">> Failed to get proper diff between {before} and {after}{tail}"}

    def archive(self, version: str, result: dict[str, Any]) -> None:
        archive, prefix = self.args["archive"], self.args["archive_prefix"]
        fmt = ARCHIVE_FORMATS.get(os.path.splitext(archive)[1])
        if fmt is None:
            self.ctx.fail(f"Unable to get file extension from archive file name : {archive}",
                          details="Please specify archive as filename with extension. File extension can be one "
                                  "of ['tar', 'tar.gz', 'zip', 'tgz']")

        def make(target: str) -> None:
            words = ["archive", "--format", fmt, "--output", target] + (["--prefix", prefix] if prefix else [])
            rc, _, err = self.in_dest(*words, version)
            if rc != 0:
                self.ctx.fail("Failed to perform archive operation",
                              details=f"Git archive command failed to create archive {target} using {self.dest} "
                                      f"directory.Error: {err}")

        if not os.path.exists(archive):
            make(archive)
            result["changed"] = True
            return
        folder = tempfile.mkdtemp()
        try:
            fresh = os.path.join(folder, f"new.{fmt}")
            make(fresh)
            if filecmp.cmp(fresh, archive, shallow=False):
                result["changed"] = False
            else:
                shutil.move(fresh, archive)
                result["changed"] = True
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    if args["archive_prefix"] is not None and args["archive"] is None:
        ctx.fail("missing parameter(s) required by 'archive_prefix': archive")
    umask = args["umask"]
    old_umask = None
    if umask is not None:
        if not isinstance(umask, str):
            ctx.fail("umask must be defined as a quoted octal integer")
        try:
            new_umask = int(umask, 8)
        except ValueError as exc:
            ctx.fail("umask must be an octal integer", details=str(exc))
        old_umask = os.umask(new_umask)
    try:
        return _main(args, ctx)
    finally:
        if old_umask is not None:  # the worker lives on: give it its umask back
            os.umask(old_umask)


def _main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    repo = args["repo"]
    if os.path.expanduser(repo).startswith("/"):
        repo = "file://" + os.path.expanduser(repo)
    dest = os.path.abspath(args["dest"]) if args["dest"] else None
    if args["separate_git_dir"]:
        args = dict(args, separate_git_dir=os.path.realpath(args["separate_git_dir"]))
    if not dest and args["clone"]:
        ctx.fail("the destination directory must be specified unless clone=no")
    git = Git(args, ctx, repo, dest)
    version, bare = args["version"], args["bare"]
    result: dict[str, Any] = {"changed": False, "before": None}

    gitconfig = None
    if dest:
        try:
            gitconfig = os.path.join(git.repo_path(), "config")
        except (OSError, ValueError) as exc:
            ctx.fail("Current repo does not have a valid reference to a separate Git dir or it refers to the "
                     "invalid path", details=str(exc))
    local_mods = False
    remote_url_changed = False
    if (dest and not os.path.exists(str(gitconfig))) or (not dest and not args["clone"]):
        if ctx.check_mode or not args["clone"]:
            result.update(changed=True, after=git.remote_head(version, repo))
            if ctx.diff:
                result["diff"] = git.diff(None, result["after"])
            return result
        git.clone(version, result)
    elif not args["update"]:
        result["before"] = git.version_at()
        result["after"] = result["before"]
        if args["archive"]:
            if ctx.check_mode:
                result["changed"] = True
                return result
            git.archive(version, result)
        return result
    else:
        local_mods = git.local_mods()
        result["before"] = git.version_at()
        if local_mods:
            if not args["force"]:
                ctx.fail(f"Local modifications exist in the destination: {dest} (force=no).", **result)
            if not ctx.check_mode:
                git.in_dest("reset", "--hard", "HEAD", check=True)
                result.update(changed=True, msg=f"Local modifications exist in the destination: {dest}")
        if ctx.check_mode:
            url = git.remote_url()
            remote_url_changed = bool(url and url != repo and not same_path(url, repo))
        else:
            remote_url_changed = git.set_remote_url()
        result["remote_url_changed"] = remote_url_changed
        if ctx.check_mode:
            head = git.remote_head(version, git.remote)
            result.update(changed=result["before"] != head or remote_url_changed, after=head)
            if ctx.diff and result["before"] != head:
                result["diff"] = {"prepared": f">> Would update {result['before']} to {head}"}
            return result
        git.fetch(version)
        result["after"] = git.version_at()

    if not bare:
        git.switch_version(version)
    submodules_updated = False
    if args["recursive"] and not bare:
        submodules_updated = git.submodules_changed()
        if submodules_updated:
            result["submodules_changed"] = True
            git.submodule_update()
    result["after"] = git.version_at()
    if result["before"] != result["after"] or local_mods or submodules_updated or remote_url_changed:
        result["changed"] = True
        if ctx.diff:
            diff = git.diff(result["before"], result["after"])
            if diff:
                result["diff"] = diff
    if args["archive"]:
        if ctx.check_mode:
            result["changed"] = True
            return result
        git.archive(version, result)
    return result
