"""Where the user's ansible-core (and pip-installed collections) live on the controller.

miniplay never ships Ansible's code; to run a module written for Ansible it takes the
`ansible.module_utils` files from the copy the user installed. That copy is found, in
order:

1. `MINIPLAY_ANSIBLE_PYTHON`: the Python interpreter of an Ansible installation (a venv's
   `bin/python`), or `none` to use no ansible-core at all;
2. the controller's own Python, when it can import `ansible`;
3. the interpreter named on the shebang line of `ansible-playbook` / `ansible` found on PATH.

Each candidate interpreter is asked once for its `site-packages` directories; the result
is cached per process (it describes the machine, not a run).
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

ENV_PYTHON = "MINIPLAY_ANSIBLE_PYTHON"
INSTALL_HINT = ("Install ansible-core on the controller (`pip install ansible-core`, or `pip install ansible` for the "
                f"collections too), or point {ENV_PYTHON} at the Python of an existing installation "
                "(e.g. /opt/ansible-venv/bin/python).")

_PROBE = ("import json,site,sys,sysconfig;"
          "p=[sysconfig.get_paths()['purelib'],sysconfig.get_paths()['platlib']]+list(site.getsitepackages() if "
          "hasattr(site,'getsitepackages') else [])+[x for x in sys.path if x.endswith('-packages')];"
          "print(json.dumps({'paths':p,'python':sys.executable}))")


@dataclass(frozen=True)
class AnsibleInstall:
    """One ansible-core installation: its package directory and the site dirs around it."""

    python: str                      # the interpreter that owns it ("" for the controller's own)
    package_dir: str | None       # .../site-packages/ansible, None when only collections are there
    site_dirs: tuple[str, ...]       # where `ansible_collections` may also sit
    how: str                         # how it was found, for messages

    @property
    def version(self) -> str:
        if not self.package_dir:
            return ""
        return read_version(self.package_dir)

    @property
    def module_utils(self) -> str | None:
        return os.path.join(self.package_dir, "module_utils") if self.package_dir else None

    @property
    def modules_dir(self) -> str | None:
        return os.path.join(self.package_dir, "modules") if self.package_dir else None


@functools.lru_cache(maxsize=16)
def read_version(package_dir: str) -> str:
    """ansible-core's version from its release.py, read as text (never imported)."""
    try:
        with open(os.path.join(package_dir, "release.py"), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("__version__"):
                    return line.split("=", 1)[1].strip().strip("'\"")
    except OSError:
        pass
    return ""


def find_ansible(environ: dict[str, str] | None = None) -> AnsibleInstall | None:
    """The ansible-core to take module_utils from, or None (see the module docstring)."""
    env = os.environ if environ is None else environ
    return _find(env.get(ENV_PYTHON, ""), env.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _find(setting: str, path: str) -> AnsibleInstall | None:
    if setting.strip().lower() in ("none", "off", "no", "0"):
        return None
    if setting.strip():
        return _from_python(setting.strip(), f"{ENV_PYTHON}={setting.strip()}")
    spec = importlib.util.find_spec("ansible")
    if spec is not None and spec.submodule_search_locations:
        package = list(spec.submodule_search_locations)[0]
        if os.path.isdir(os.path.join(package, "module_utils")):
            site_dir = os.path.dirname(package)
            return AnsibleInstall("", package, (site_dir,), f"the controller's Python ({sys.executable})")
    for program in ("ansible-playbook", "ansible"):
        found = shutil.which(program, path=path or None)
        interpreter = _shebang_python(found) if found else None
        if interpreter:
            install = _from_python(interpreter, f"the Python of {found}")
            if install is not None:
                return install
    return None


def _shebang_python(program: str) -> str | None:
    try:
        with open(program, "rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        return shutil.which(words[1])
    return words[0]


def _from_python(interpreter: str, how: str) -> AnsibleInstall | None:
    try:
        probe = subprocess.run([interpreter, "-c", _PROBE], capture_output=True, timeout=30, check=False)
        info = json.loads(probe.stdout.decode() or "{}")
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    site_dirs: list[str] = []
    for directory in info.get("paths", []):
        if directory and os.path.isdir(directory) and directory not in site_dirs:
            site_dirs.append(directory)
    package = next((os.path.join(d, "ansible") for d in site_dirs
                    if os.path.isdir(os.path.join(d, "ansible", "module_utils"))), None)
    if package is None and not site_dirs:
        return None
    return AnsibleInstall(interpreter, package, tuple(site_dirs), how)


def controller_site_dirs() -> list[str]:
    """site-packages directories of miniplay's own Python (collections installed with pip)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]
