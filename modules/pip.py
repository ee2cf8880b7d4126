"""pip — install, upgrade or remove Python packages with pip, optionally inside a virtualenv it creates.

Arguments:
  name          packages: names with optional version clauses (`Django>=4,<5`), paths,
                URLs or VCS URLs (`git+https://...`, installed editable); a list or comma-separated
  version       the version for a single `name` (`1.2` means ==1.2; `>=1.2` also works)
  requirements  a requirements file (mutually exclusive with name; one of them is required)
  state         present (default), absent, latest or forcereinstall
  virtualenv    a virtualenv to use, created with virtualenv_command when it has no bin/activate
  virtualenv_command         the program that makes it (default `virtualenv`; `python3 -m venv` works)
  virtualenv_python          the Python for `virtualenv -p` (not for venv)
  virtualenv_site_packages   let the virtualenv see the system site-packages
  executable    the pip to run (mutually exclusive with virtualenv); default: the target's
                Python's `-m pip`, else `pip3` on the PATH
  extra_args    more pip arguments (`--no-index --find-links /srv/wheels`)
  editable      pass `-e`
  chdir         run pip in this directory (and a relative virtualenv is taken from here)
  umask         the umask to install with (octal string, e.g. '0022')
  break_system_packages   set PIP_BREAK_SYSTEM_PACKAGES=1 (PEP 668 distributions)

Check mode compares the named packages with `pip list` and makes no changes; requirements,
extra_args and state=latest always report a change there, as in Ansible.

Returns: cmd, name, version, state, requirements, virtualenv, stdout, stderr, changed.

Example:
  - name: The app's libraries in its own virtualenv
    pip:
      name: [requests, 'Jinja2>=3']
      virtualenv: /srv/app/venv
      virtualenv_command: python3 -m venv
"""
from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from typing import Any, NoReturn

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._pep440 import OPERATORS, Requirement, canonical_name
from miniplay.modules._pkg import find_program, require_program, with_env

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["present", "absent", "latest", "forcereinstall"]},
    "name": {"type": "list", "elements": "str"},
    "version": {"type": "str"},
    "requirements": {"type": "str"},
    "virtualenv": {"type": "path"},
    "virtualenv_site_packages": {"type": "bool", "default": False},
    "virtualenv_command": {"type": "path", "default": "virtualenv"},
    "virtualenv_python": {"type": "str"},
    "extra_args": {"type": "str"},
    "editable": {"type": "bool", "default": False},
    "chdir": {"type": "path"},
    "executable": {"type": "path"},
    "umask": {"type": "str"},
    "break_system_packages": {"type": "bool", "default": False},
}
MUTUALLY_EXCLUSIVE = (("name", "requirements"), ("executable", "virtualenv"))
REQUIRED_ONE_OF = (("name", "requirements"),)
SUPPORTS_CHECK_MODE = True

STATE_ARGS = {
    "present": ["install"],
    "absent": ["uninstall", "-y"],
    "latest": ["install", "-U"],
    "forcereinstall": ["install", "-U", "--force-reinstall"],
}
_VCS = re.compile(r"(svn|git|hg|bzr)\+")
_LIST_ENV = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}


class PipRun:
    """The commands of one pip task, with the output gathered for the result."""

    def __init__(self, ctx: ModuleContext, chdir: str) -> None:
        self.ctx = ctx
        self.chdir = chdir
        self.out = ""
        self.err = ""

    def fail(self, cmd: Any, out: str, err: str) -> NoReturn:
        msg = f"stdout: {out}" if out else ""
        if err:
            msg += f"\n:stderr: {err}"
        raise ModuleFailed(msg, cmd=cmd)

    def run(self, argv: list[str], ctx: ModuleContext | None = None) -> tuple[int, str, str]:
        rc, out, err = (ctx or self.ctx).run_command(argv, cwd=self.chdir)
        self.out += out
        self.err += err
        return rc, out, err

    def installed(self, pip: list[str]) -> tuple[str, str]:
        """(command text, `name==version` lines) of what pip says is installed."""
        argv = pip + ["list", "--format=freeze"]
        rc, out, err = with_env(self.ctx, _LIST_ENV).run_command(argv, cwd=self.chdir)
        if rc != 0:
            argv = pip + ["freeze"]
            rc, out, err = self.ctx.run_command(argv, cwd=self.chdir)
            if rc != 0:
                self.fail(argv, out, err)
        return " ".join(argv), out


def split_names(names: list[str]) -> list[str]:
    """Rejoin what a comma split tore apart: ['django>1', '<2', 'six'] -> ['django>1,<2', 'six']."""
    pieces = [piece for text in names for piece in text.split(",")]
    joined: list[str] = []
    current: list[str] = []
    in_brackets = False
    for piece in pieces:
        starts_package = not piece.lstrip().startswith(OPERATORS)
        if starts_package and not in_brackets and current:
            joined.append(",".join(current))
            current = []
        if "[" in piece:
            in_brackets = True
        if in_brackets and "]" in piece:
            in_brackets = False
        current.append(piece)
    joined.append(",".join(current))
    return joined


def is_present(requirement: Requirement, installed_lines: list[str]) -> bool:
    for line in installed_lines:
        if "==" not in line:
            continue
        name, version = line.split("==", 1)
        if canonical_name(name) == requirement.name and requirement.satisfied_by(version):
            return True
    return False


def find_pip(ctx: ModuleContext, env: str | None, executable: str | None) -> list[str]:
    """The pip command: `executable`, the virtualenv's pip, this Python's `-m pip`, or pip3."""
    names: tuple[str, ...] = ("pip3",)
    if executable is not None:
        if os.path.isabs(executable):
            return [executable]
        names = (executable,)
    elif env is None and _python_has_pip():
        return [sys.executable, "-m", "pip"]
    if env is None:
        for name in names:
            found = find_program(name)
            if found:
                return [found]
        raise ModuleFailed(f"Unable to find any of {', '.join(names)} to use.  pip needs to be installed.")
    names = (names[0], "pip")
    for name in names:
        candidate = os.path.join(env, "bin", name)
        if os.path.exists(candidate) and os.access(candidate, os.X_OK):
            return [candidate]
    raise ModuleFailed(f"Unable to find pip in the virtualenv, {env}, under any of these names: {', '.join(names)}. "
                       "Make sure pip is present in the virtualenv.")


def _python_has_pip() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("pip") is not None
    except Exception:
        return False


def is_venv_command(command: str) -> bool:
    """`pyvenv` or `python -m venv`: these take no `-p`."""
    argv = shlex.split(command)
    if os.path.basename(argv[0]) == "pyvenv" or argv[0] == "pyvenv":
        return True
    for index, word in enumerate(argv[1:], start=1):
        if word == "-m" and index + 1 < len(argv):
            return argv[index + 1] == "venv"
        if word.startswith("-m") and len(word) > 2:
            return word[2:] == "venv"
    return False


def make_virtualenv(args: dict[str, Any], env: str, run: PipRun) -> None:
    ctx = run.ctx
    command = args["virtualenv_command"]
    argv = shlex.split(command)
    if os.path.basename(argv[0]) == argv[0]:
        argv[0] = require_program(ctx, argv[0])
    if args["virtualenv_site_packages"]:
        argv.append("--system-site-packages")
    else:
        rc, out, err = ctx.run_command([argv[0], "--help"])
        if rc != 0:
            ctx.fail(f"Could not get output from {argv[0]} --help: {out + err}")
        if "--no-site-packages" in out.split():
            argv.append("--no-site-packages")
    if not is_venv_command(command):
        argv.append(f"-p{args['virtualenv_python'] or sys.executable}")
    elif args["virtualenv_python"]:
        ctx.fail("virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command")
    argv.append(env)
    rc, _out, _err = run.run(argv)
    if rc != 0:
        run.fail(argv, run.out, run.err)


def requirements_from(args: dict[str, Any], ctx: ModuleContext) -> list[Requirement]:
    packages = [Requirement(text) for text in split_names(args["name"])]
    version = args["version"]
    if version is not None:
        if len(packages) > 1:
            ctx.fail("'version' argument is ambiguous when installing multiple package distributions. "
                     "Please specify version restrictions next to each package in 'name' argument.")
        if packages[0].has_version:
            ctx.fail("The 'version' argument conflicts with any version specifier provided along with a package "
                     "name. Please keep the version specifier, but remove the 'version' argument.")
        version = version.lstrip()
        separator = "==" if version[:1].isdigit() else " "
        packages[0] = Requirement(f"{packages[0]}{separator}{version}")
    return packages


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    umask = args["umask"]
    old_umask = None
    if umask is not None:
        try:
            old_umask = os.umask(int(umask, 8))
        except ValueError as exc:
            ctx.fail("umask must be an octal integer", details=str(exc))
    try:
        return install(args, ctx)
    finally:
        if old_umask is not None:
            os.umask(old_umask)


def _extra_args(args: dict[str, Any]) -> str | None:
    """`extra_args`, with `-e` added for `editable` when it is not there yet."""
    extra_args = args["extra_args"]
    if args["editable"]:
        words = extra_args.split(" ") if extra_args else []
        if "-e" not in words:
            extra_args = " ".join(words + ["-e"])
    return extra_args


def _check_installed(run: PipRun, pip: list[str], state: str, packages: list[Requirement]) -> dict[str, Any]:
    """Check mode for named packages: changed when one is missing (present) or installed (absent)."""
    listed, out = run.installed(pip)
    lines = [line for line in out.split("\n") if line and not line.startswith(("You are using",
                                                                              "You should consider"))]
    changed = any((state == "present" and not is_present(p, lines)) or (state == "absent" and is_present(p, lines))
                  for p in packages)
    return {"changed": changed, "cmd": listed, "stdout": run.out + out, "stderr": run.err}


def install(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    state, names, requirements = args["state"], args["name"], args["requirements"]
    env, chdir = args["virtualenv"], args["chdir"]
    if env and chdir:
        env = os.path.join(chdir, env)
    if state == "latest" and args["version"] is not None:
        ctx.fail("version is incompatible with state=latest")
    run = PipRun(ctx, chdir or tempfile.gettempdir())

    venv_created = False
    if env and not os.path.exists(os.path.join(env, "bin", "activate")):
        if ctx.check_mode:
            return {"changed": True}
        venv_created = True
        make_virtualenv(args, env, run)
    pip = find_pip(ctx, env, args["executable"])
    cmd = pip + STATE_ARGS[state]

    has_vcs = bool(names) and any(name and _VCS.match(name) for name in names)
    packages = requirements_from(args, ctx) if names else []
    extra_args = _extra_args(args)
    if extra_args:
        cmd += shlex.split(extra_args)
    pip_env = {"PIP_BREAK_SYSTEM_PACKAGES": "1"} if args["break_system_packages"] else {}
    if env:
        pip_env["PATH"] = os.path.join(env, "bin") + os.pathsep + os.environ.get("PATH", "")
    if names:
        cmd += [str(p) for p in packages]
    elif requirements:
        cmd += ["-r", requirements]
    else:
        ctx.warn("No valid name or requirements file found.")
        return {"changed": False}

    if ctx.check_mode:
        if extra_args or requirements or state == "latest" or not names:
            return {"changed": True}
        return _check_installed(run, pip, state, packages)

    before = run.installed(pip)[1] if requirements or has_vcs else None
    rc, out, err = run.run(cmd, with_env(ctx, pip_env) if pip_env else None)
    if rc == 1 and state == "absent" and ("not installed" in out or "not installed" in err):
        pass  # pip says rc 1 for removing what is not there: already absent
    elif rc != 0:
        run.fail(cmd, run.out, run.err)
    if state == "absent":
        changed = "Successfully uninstalled" in out
    elif before is None:
        changed = "Successfully installed" in out
    else:
        changed = before != run.installed(pip)[1]
    return {"changed": changed or venv_created, "cmd": cmd, "name": names, "version": args["version"],
            "state": state, "requirements": requirements, "virtualenv": env, "stdout": run.out, "stderr": run.err}
