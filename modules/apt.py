"""apt — install, upgrade and remove Debian/Ubuntu packages with apt-get and dpkg.

Arguments:
  name / pkg / package  package names (a list or comma-separated); `foo=1.2*` asks for a
                        version (a glob), `foo>=1.2` for at least that version, `apt*` expands
                        a glob over the known package names; with state=latest, `*` upgrades all
  state                 present (default), absent, latest, build-dep or fixed
  update_cache / update-cache
                        run `apt-get update` first (changed when the lists changed)
  cache_valid_time      seconds: skip the update while the cache is younger than this
                        (also turns update_cache on, like Ansible)
  update_cache_retries, update_cache_retry_max_delay
                        retries with back-off when the update fails (default 5, 12 s)
  upgrade               no (default), yes / safe (`upgrade --with-new-pkgs`, or aptitude
                        safe-upgrade when aptitude exists), full, dist (`dist-upgrade`)
  force_apt_get         use apt-get even when aptitude is installed
  autoremove            remove packages nothing needs any more (alone: `apt-get autoremove`)
  autoclean, clean      `apt-get autoclean` / `apt-get clean`
  purge                 with state=absent (or autoremove): remove configuration files too
  install_recommends    yes/no: override APT::Install-Recommends (default: the system's)
  default_release / default-release   `-t RELEASE` for candidates and installs
  deb                   a .deb file (path or URL) to install with its dependencies
  only_upgrade          upgrade only packages that are already installed
  dpkg_options          comma-separated dpkg --force options (default force-confdef,force-confold)
  policy_rc_d           while apt runs, /usr/sbin/policy-rc.d exits with this code
                        (101: do not start services)
  allow_unauthenticated, allow_downgrade, allow_change_held_packages, fail_on_autoremove,
  force, lock_timeout (seconds to wait for the dpkg lock, default 60)

Installed state comes from dpkg-query and candidates from apt-cache policy, so a package
that is already installed costs one dpkg-query and no apt call. Changes run
`apt-get -y -q -o Dpkg::Options::=--force-confdef ...` with DEBIAN_FRONTEND=noninteractive;
check mode runs the same command with `--simulate`.

Returns: changed, cache_updated, cache_update_time, stdout, stderr, msg (on failure or for
upgrades); diff.prepared (the summary apt printed) with --diff.

Example:
  - name: Web server, fresh lists at most an hour old
    apt:
      name: [nginx, "python3-venv"]
      state: present
      update_cache: true
      cache_valid_time: 3600
"""
from __future__ import annotations

import contextlib
import datetime
import fnmatch
import os
import random
import re
import shutil
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterator

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import command_text, find_program, with_env

ARGUMENT_SPEC = {
    "package": {"type": "list", "elements": "str", "aliases": ["pkg", "name"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "build-dep", "fixed", "latest", "present"]},
    "update_cache": {"type": "bool", "aliases": ["update-cache"]},
    "update_cache_retries": {"type": "int", "default": 5},
    "update_cache_retry_max_delay": {"type": "int", "default": 12},
    "cache_valid_time": {"type": "int", "default": 0},
    "purge": {"type": "bool", "default": False},
    "deb": {"type": "path"},
    "default_release": {"type": "str", "aliases": ["default-release"]},
    "install_recommends": {"type": "bool", "aliases": ["install-recommends"]},
    "force": {"type": "bool", "default": False},
    "upgrade": {"type": "str", "default": "no", "choices": ["dist", "full", "no", "safe", "yes"]},
    "dpkg_options": {"type": "str", "default": "force-confdef,force-confold"},
    "autoremove": {"type": "bool", "default": False},
    "autoclean": {"type": "bool", "default": False},
    "fail_on_autoremove": {"type": "bool", "default": False},
    "policy_rc_d": {"type": "int"},
    "only_upgrade": {"type": "bool", "default": False},
    "force_apt_get": {"type": "bool", "default": False},
    "clean": {"type": "bool", "default": False},
    "allow_unauthenticated": {"type": "bool", "default": False, "aliases": ["allow-unauthenticated"]},
    "allow_downgrade": {"type": "bool", "default": False,
                        "aliases": ["allow-downgrade", "allow_downgrades", "allow-downgrades"]},
    "allow_change_held_packages": {"type": "bool", "default": False},
    "lock_timeout": {"type": "int", "default": 60},
    "auto_install_module_deps": {"type": "bool", "default": True},  # miniplay needs no python3-apt
}
MUTUALLY_EXCLUSIVE = (("deb", "package", "upgrade"),)
REQUIRED_ONE_OF = (("autoremove", "deb", "package", "update_cache", "upgrade"),)
SUPPORTS_CHECK_MODE = True

# apt's output is parsed, so it must not be translated; nothing may prompt.
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "DEBIAN_PRIORITY": "critical", "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8", "LC_MESSAGES": "C.UTF-8", "LC_CTYPE": "C.UTF-8", "LANGUAGE": "C.UTF-8"}
APT_GET_ZERO = "\n0 upgraded, 0 newly installed, 0 to remove"
APTITUDE_ZERO = "\n0 packages upgraded, 0 newly installed, 0 to remove"
LISTS_PATH = "/var/lib/apt/lists"
UPDATE_STAMP = "/var/lib/apt/periodic/update-success-stamp"
EXTENDED_STATES = "/var/lib/apt/extended_states"
POLICY_RC_D = "/usr/sbin/policy-rc.d"


@dataclass
class Policy:
    """What `apt-cache policy` says about one name."""

    installed: str | None = None
    candidate: str | None = None
    versions: list[str] = field(default_factory=list)


@dataclass
class Status:
    """One requested package: installed at all, in the wanted version, what could be installed."""

    installed: bool
    version_ok: bool
    installable: Any  # a version string, True (let apt choose: a virtual package) or None
    has_files: bool


def split_spec(spec: str) -> tuple[str, str | None, str | None]:
    """'foo=1.2*' -> ('foo', '=', '1.2*'); 'foo>=1' -> ('foo', '>=', '1'); 'foo' -> ('foo', None, None)."""
    parts = re.split(r"(>?=)", spec, maxsplit=1)
    if len(parts) > 1:
        return parts[0], parts[1], parts[2]
    return spec, None, None


def parse_policy(text: str) -> dict[str, Policy]:
    """`apt-cache policy a b ...` output by package name (names apt does not know are absent)."""
    found: dict[str, Policy] = {}
    current: Policy | None = None
    in_table = False
    for line in text.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = found.setdefault(line[:-1], Policy())
            in_table = False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith("Installed:"):
            value = stripped.split(":", 1)[1].strip()
            current.installed = None if value == "(none)" else value
        elif stripped.startswith("Candidate:"):
            value = stripped.split(":", 1)[1].strip()
            current.candidate = None if value == "(none)" else value
        elif stripped.startswith("Version table:"):
            in_table = True
        elif in_table:
            match = re.match(r"^ (?:\*\*\*| {3}) (\S+) -?\d+$", line)
            if match:
                current.versions.append(match.group(1))
    return found


def parse_dpkg(text: str) -> dict[str, tuple[str, str]]:
    """dpkg-query lines -> {name: (status word, version)}; 'name:arch' keys too."""
    table: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 5:
            continue
        binary, package, arch, status, version = parts
        entry = (status.split()[-1] if status.split() else "not-installed", version)
        table[binary] = entry
        table[f"{package}:{arch}"] = entry
        if binary == package:
            table[package] = entry
    return table


def auto_installed(names: list[str]) -> list[str]:
    """Those of `names` apt marked as automatically installed (from extended_states)."""
    try:
        with open(EXTENDED_STATES, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return []
    auto: set[str] = set()
    for stanza in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line)
        if fields.get("Auto-Installed") == "1" and "Package" in fields:
            auto.add(fields["Package"])
            auto.add(f"{fields['Package']}:{fields.get('Architecture', '')}")
    return [n for n in names if n in auto]


def parse_diff(output: str) -> dict[str, str]:
    """The part of apt's output worth showing in --diff: from the state line to the summary."""
    lines = output.splitlines()
    start = -1
    for marker in ("Resolving dependencies...", "Reading state information..."):
        if marker in lines:
            start = lines.index(marker)
            break
    end = next((i for i, line in enumerate(lines) if re.match(r"[0-9]+ (packages )?upgraded", line)), len(lines))
    return {"prepared": "\n".join(lines[start + 1:end + 1])}


def cache_mtime() -> int:
    """When the package lists were last updated, as Ansible reports it (seconds, local time)."""
    stamp = 0.0
    if os.path.exists(UPDATE_STAMP):
        stamp = os.stat(UPDATE_STAMP).st_mtime
    elif os.path.exists(LISTS_PATH):
        stamp = os.stat(LISTS_PATH).st_mtime
    return int(time.mktime(datetime.datetime.fromtimestamp(stamp).timetuple()))


class Apt:
    """One run of the module: its arguments, an apt-flavoured context, and the steps."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        self.ctx = ctx
        self.run_ctx = with_env(ctx, APT_ENV)
        self.apt_get = find_program("apt-get") or "apt-get"
        self.aptitude = find_program("aptitude")
        self.dpkg_opts: list[str] = []
        for option in (args["dpkg_options"] or "").split(","):
            if option.strip():
                self.dpkg_opts += ["-o", f"Dpkg::Options::=--{option.strip()}"]
        self.dpkg_opts += ["-o", f"DPkg::Lock::Timeout={args['lock_timeout']}"]

    # ------------------------------------------------------------------ running apt
    def run(self, argv: list[str]) -> tuple[int, str, str]:
        return self.run_ctx.run_command(argv)

    def run_changing(self, argv: list[str]) -> tuple[int, str, str]:
        """Run a command that may start or stop services, under policy_rc_d if asked."""
        with self.policy_rc_d():
            return self.run(argv)

    @contextlib.contextmanager
    def policy_rc_d(self) -> Iterator[None]:
        code = self.args["policy_rc_d"]
        if code is None or self.ctx.check_mode:
            yield
            return
        backup = None
        if os.path.exists(POLICY_RC_D):
            backup = tempfile.mkdtemp(prefix="miniplay-policy-rc.d-")
            shutil.move(POLICY_RC_D, backup)
        try:
            with open(POLICY_RC_D, "w", encoding="utf-8") as handle:
                handle.write(f"#!/bin/sh\nexit {code}\n")
            os.chmod(POLICY_RC_D, 0o755)
        except OSError as exc:
            self.ctx.fail(f"Failed to create or chmod {POLICY_RC_D}: {exc}")
        try:
            yield
        finally:
            try:
                os.unlink(POLICY_RC_D)
                if backup is not None:
                    shutil.move(os.path.join(backup, "policy-rc.d"), POLICY_RC_D)
                    os.rmdir(backup)
            except OSError as exc:
                self.ctx.fail(f"Failed to restore {POLICY_RC_D} after package manipulation: {exc}")

    def diff_of(self, out: str) -> dict[str, Any]:
        return {"diff": parse_diff(out) if self.ctx.diff else {}}

    # ------------------------------------------------------------------ what is there
    def dpkg_table(self, names: list[str]) -> dict[str, tuple[str, str]]:
        if not names:
            return {}
        fmt = "${binary:Package}\t${Package}\t${Architecture}\t${Status}\t${Version}\n"
        _, out, _ = self.run(["dpkg-query", "-W", f"-f={fmt}", *names])
        return parse_dpkg(out)

    def policies(self, names: list[str]) -> dict[str, Policy]:
        if not names:
            return {}
        argv = ["apt-cache"]
        if self.args["default_release"]:
            argv += ["-t", self.args["default_release"]]
        rc, out, err = self.run([*argv, "policy", *names])
        if rc != 0:
            self.ctx.fail(f"'{command_text([*argv, 'policy', *names])}' failed: {err}", rc=rc, stdout=out, stderr=err)
        return parse_policy(out)

    def providers(self, name: str) -> list[str]:
        """Packages that provide the virtual package `name` (apt-cache showpkg)."""
        _, out, _ = self.run(["apt-cache", "showpkg", name])
        found, in_section = [], False
        for line in out.splitlines():
            if line.startswith("Reverse Provides:"):
                in_section = True
            elif in_section and line.strip():
                found.append(line.split()[0])
        return found

    def expand(self, specs: list[str]) -> list[str]:
        """Replace name globs ('apt*') by the matching package names."""
        expanded: list[str] = []
        names: list[str] | None = None
        for spec in specs:
            name, _, _ = split_spec(spec)
            if not frozenset("*?[]!").intersection(name):
                expanded.append(spec)
                continue
            if names is None:
                _, out, _ = self.run(["apt-cache", "pkgnames"])
                names = sorted(set(out.split()))
            pool = names if ":" in name else [n for n in names if ":" not in n]
            matches = fnmatch.filter(pool, name)
            if not matches:
                self.ctx.fail(f"No package(s) matching '{name}' available")
            expanded.extend(matches)
        return expanded

    def status(self, spec: str, dpkg: dict[str, tuple[str, str]], policy: dict[str, Policy],
               installing: bool) -> Status:
        """Ansible's package_status, from dpkg-query and apt-cache policy."""
        name, cmp, version = split_spec(spec)
        state, installed_version = dpkg.get(name, ("not-installed", ""))
        installed = state == "installed"
        has_files = state not in ("not-installed", "")
        info = policy.get(name) or (policy.get(name.split(":")[0]) if ":" in name else None)
        if info is None or (not info.versions and info.candidate is None and not installed):
            if not installing:
                return Status(installed, installed and self._version_matches(installed_version, cmp, version),
                              None, has_files)
            # Not a real package: a virtual one, or unknown.
            providers = self.providers(name) if info is not None else []
            if not providers:
                self.ctx.fail(f"No package matching '{name}' is available")
            if len(providers) == 1:
                sub = self.dpkg_table(providers)
                if sub.get(providers[0], ("", ""))[0] == "installed":
                    return self.status(providers[0] + (f"{cmp}{version}" if cmp else ""), sub,
                                       self.policies(providers), installing)
            return Status(False, False, True, False)
        best = self._best(info, cmp, version)
        if not installed:
            return Status(False, False, best, has_files)
        version_ok = self._version_matches(installed_version, cmp, version)
        installable = None
        if best and best != installed_version:
            if cmp == "=":
                installable = best if fnmatch.fnmatch(best, version or "") else None
            elif cmp == ">=":
                installable = best if self._compare(best, version or "") >= 0 else None
            else:
                installable = best
        return Status(True, version_ok, installable, has_files)

    @staticmethod
    def _best(info: Policy, cmp: str | None, version: str | None) -> str | None:
        if cmp == "=":
            # An explicit version outranks every pin: the newest version matching the glob.
            return next((v for v in info.versions if fnmatch.fnmatch(v, version or "")), None)
        return info.candidate

    def _version_matches(self, installed: str, cmp: str | None, version: str | None) -> bool:
        if cmp == "=":
            return fnmatch.fnmatch(installed, version or "")
        if cmp == ">=":
            return self._compare(installed, version or "") >= 0
        return True

    def _compare(self, left: str, right: str) -> int:
        for op, answer in (("lt", -1), ("eq", 0)):
            rc, _, _ = self.run(["dpkg", "--compare-versions", left, op, right])
            if rc == 0:
                return answer
        return 1

    # ------------------------------------------------------------------ steps
    def update_cache(self) -> tuple[bool, int]:
        """Refresh the lists when asked and stale; (updated, cache time)."""
        args = self.args
        cache_time = cache_mtime()
        if not (args["update_cache"] or args["cache_valid_time"]):
            return False, cache_time
        valid_until = datetime.datetime.fromtimestamp(cache_time) + datetime.timedelta(seconds=args["cache_valid_time"])
        if valid_until >= datetime.datetime.now():
            return False, cache_time
        error = ""
        retries = args["update_cache_retries"]
        for attempt in range(retries):
            if self.ctx.check_mode:
                break
            rc, out, err = self.run([self.apt_get, "update", "-q"])
            failed = rc != 0 or "Some index files failed to download" in out + err
            if not failed:
                break
            error = (err or out).strip()
            self.ctx.warn(f"Failed to update cache after {attempt + 1} retries due to {error}, retrying")
            jitter = random.random()
            delay = min(2 ** attempt + jitter, args["update_cache_retry_max_delay"] + jitter)
            time.sleep(delay)
            self.ctx.warn(f"Sleeping for {int(round(delay))} seconds, before attempting to refresh the cache again")
        else:
            self.ctx.fail(f"Failed to update apt cache after {retries} retries: {error or 'unknown reason'}")
        after = cache_mtime()
        return self.ctx.check_mode or after != cache_time, after

    def upgrade(self, mode: str) -> dict[str, Any]:
        args = self.args
        use_apt_get = args["force_apt_get"] or not self.aptitude
        prog = self.apt_get if use_apt_get else self.aptitude
        if mode == "dist" or (mode == "full" and use_apt_get):
            prog, words = self.apt_get, ["dist-upgrade"] + (["--auto-remove"] if args["autoremove"] else [])
        elif mode == "full":
            words = ["full-upgrade"]
        elif use_apt_get:
            words = ["upgrade", "--with-new-pkgs"] + (["--auto-remove"] if args["autoremove"] else [])
        else:
            words = ["safe-upgrade"]
        is_apt_get = prog == self.apt_get
        argv = [prog, "-y", *self.dpkg_opts]
        if args["force"]:
            argv += ["--force-yes"] if is_apt_get else ["--assume-yes", "--allow-untrusted"]
        if args["fail_on_autoremove"]:
            if is_apt_get:
                argv.append("--no-remove")
            else:
                self.ctx.warn("APTITUDE does not support '--no-remove', ignoring the 'fail_on_autoremove' parameter.")
        if args["allow_unauthenticated"]:
            argv.append("--allow-unauthenticated")
        if args["allow_downgrade"]:
            if is_apt_get:
                argv.append("--allow-downgrades")
            else:
                self.ctx.warn("APTITUDE does not support '--allow-downgrades', ignoring the 'allow_downgrade' parameter.")
        if self.ctx.check_mode:
            argv.append("--simulate")
        argv += words
        if args["default_release"]:
            argv += ["-t", args["default_release"]]
        rc, out, err = self.run_changing(argv)
        name = "apt-get" if is_apt_get else "aptitude"
        if rc:
            self.ctx.fail(f"'{name} {' '.join(words)}' failed: {err}", stdout=out, rc=rc)
        zero = APT_GET_ZERO if is_apt_get else APTITUDE_ZERO
        if zero in out:
            return {"changed": False, "msg": out, "stdout": out, "stderr": err}
        return {"changed": True, "msg": out, "stdout": out, "stderr": err, **self.diff_of(out)}

    def cleanup(self, operation: str) -> dict[str, Any]:
        argv = [self.apt_get, "-y", *self.dpkg_opts]
        if self.args["purge"]:
            argv.append("--purge")
        if self.args["force"]:
            argv.append("--force-yes")
        argv.append(operation)
        if self.ctx.check_mode:
            argv.append("--simulate")
        rc, out, err = self.run_changing(argv)
        if rc:
            self.ctx.fail(f"'apt-get {operation}' failed: {err}", stdout=out, stderr=err, rc=rc)
        marker = "The following packages will be REMOVED" if operation == "autoremove" else "Del "
        return {"changed": marker in out, "stdout": out, "stderr": err, **self.diff_of(out)}

    def install(self, specs: list[str], latest: bool, build_dep: bool, fixed: bool) -> tuple[bool, dict[str, Any]]:  # noqa: C901  (existing; split when next touched)
        args = self.args
        specs = self.expand(specs)
        wanted: list[str] = []
        names: list[str] = []
        if build_dep:
            wanted = list(specs)
        else:
            dpkg = self.dpkg_table([split_spec(s)[0] for s in specs])
            need_policy = []
            for spec in specs:
                name, cmp, _ = split_spec(spec)
                if latest or cmp or dpkg.get(name, ("",))[0] != "installed":
                    need_policy.append(name)
            policy = self.policies(need_policy)
            for spec in specs:
                name, cmp, version = split_spec(spec)
                names.append(name)
                if name not in need_policy:
                    continue  # installed, no version asked, not 'latest': nothing to do
                found = self.status(spec, dpkg, policy, installing=True)
                if not found.installed and args["only_upgrade"]:
                    continue
                if not found.version_ok and not found.installable:
                    return False, {"msg": f"no available installation candidate for {spec}"}
                if found.installable and ((not found.installed and not args["only_upgrade"]) or latest
                                          or not found.version_ok):
                    if found.installable is not True:
                        wanted.append(f"{name}={found.installable}")
                    elif version:
                        wanted.append(f"{name}={version}")
                    else:
                        wanted.append(name)
                elif found.version_ok and found.installable and cmp == "=":
                    wanted.append(f"{name}={version}")
        if not wanted:
            self.mark_manual(names, build_dep)
            return True, {"changed": False}
        argv = [self.apt_get, "-y", *self.dpkg_opts]
        for flag, on in (("--only-upgrade", args["only_upgrade"]), ("--fix-broken", fixed),
                         ("--force-yes", args["force"]), ("--auto-remove", args["autoremove"] and not build_dep),
                         ("--no-remove", args["fail_on_autoremove"]), ("--simulate", self.ctx.check_mode)):
            if on:
                argv.append(flag)
        argv += ["build-dep" if build_dep else "install", *wanted]
        if args["default_release"]:
            argv += ["-t", args["default_release"]]
        if args["install_recommends"] is not None:
            argv += ["-o", f"APT::Install-Recommends={'yes' if args['install_recommends'] else 'no'}"]
        for flag, on in (("--allow-unauthenticated", args["allow_unauthenticated"]),
                         ("--allow-downgrades", args["allow_downgrade"]),
                         ("--allow-change-held-packages", args["allow_change_held_packages"])):
            if on:
                argv.append(flag)
        rc, out, err = self.run_changing(argv)
        if rc:
            return False, {"msg": f"'{command_text(argv)}' failed: {err}", "stdout": out, "stderr": err, "rc": rc}
        changed = APT_GET_ZERO not in out if build_dep else True
        self.mark_manual(names, build_dep)
        return True, {"changed": changed, "stdout": out, "stderr": err, **self.diff_of(out)}

    def mark_manual(self, names: list[str], build_dep: bool) -> None:
        """Packages named in a task count as wanted, not as dependencies (as with Ansible)."""
        if build_dep or self.ctx.check_mode or not names:
            return
        auto = auto_installed(names)
        if not auto:
            return
        apt_mark = find_program("apt-mark")
        if apt_mark is None:
            self.ctx.warn("Could not find apt-mark binary, not marking package(s) as manually installed.")
            return
        rc, out, err = self.run([apt_mark, "manual", *auto])
        if rc != 0:
            self.ctx.fail(f"'{command_text([apt_mark, 'manual', *auto])}' failed: {err}", stdout=out, stderr=err,
                          rc=rc)

    def remove(self, specs: list[str]) -> dict[str, Any]:
        args = self.args
        specs = self.expand(specs)
        dpkg = self.dpkg_table([split_spec(s)[0] for s in specs])
        doomed = []
        for spec in specs:
            found = self.status(spec, dpkg, {}, installing=False)
            if found.version_ok or (found.has_files and args["purge"]):
                doomed.append(spec)
        if not doomed:
            return {"changed": False}
        argv = [self.apt_get, "-q", "-y", *self.dpkg_opts]
        for flag, on in (("--purge", args["purge"]), ("--force-yes", args["force"]),
                         ("--auto-remove", args["autoremove"]), ("--simulate", self.ctx.check_mode),
                         ("--allow-change-held-packages", args["allow_change_held_packages"])):
            if on:
                argv.append(flag)
        argv += ["remove", *doomed]
        rc, out, err = self.run_changing(argv)
        if rc:
            self.ctx.fail(f"'apt-get remove {' '.join(doomed)}' failed: {err}", stdout=out, stderr=err, rc=rc)
        return {"changed": True, "stdout": out, "stderr": err, **self.diff_of(out)}

    def install_deb(self, deb: str) -> dict[str, Any]:
        """Install a .deb file; apt-get resolves its dependencies from the archive."""
        downloaded = None
        if "://" in deb:
            downloaded = tempfile.mkdtemp(prefix="miniplay-deb-")
            target = os.path.join(downloaded, os.path.basename(deb.split("?")[0]) or "package.deb")
            try:
                with urllib.request.urlopen(deb, timeout=30) as response, open(target, "wb") as handle:
                    shutil.copyfileobj(response, handle)
            except OSError as exc:
                shutil.rmtree(downloaded, ignore_errors=True)
                self.ctx.fail(f"Failure downloading {deb}, {exc}")
            deb = target
        try:
            return self._install_deb_file(os.path.abspath(deb))
        finally:
            if downloaded:
                shutil.rmtree(downloaded, ignore_errors=True)

    def _install_deb_file(self, deb: str) -> dict[str, Any]:
        if not os.path.isfile(deb):
            self.ctx.fail(f"Unable to install package: '{deb}' does not exist")
        rc, out, err = self.run(["dpkg-deb", "-f", deb, "Package", "Version"])
        fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        if rc != 0 or "Package" not in fields:
            self.ctx.fail(f"dpkg-deb -f {deb} failed", stdout=out, stderr=err)
        dpkg = self.dpkg_table([fields["Package"]])
        state, version = dpkg.get(fields["Package"], ("not-installed", ""))
        if state == "installed" and version and self._compare(version, fields.get("Version", "")) == 0:
            return {"changed": False, "stdout": "", "stderr": ""}
        argv = [self.apt_get, "-y", *self.dpkg_opts]
        if self.ctx.check_mode:
            argv.append("--simulate")
        if self.args["force"]:
            argv.append("--force-yes")
        if self.args["allow_downgrade"]:
            argv.append("--allow-downgrades")
        argv += ["install", deb]
        rc, out, err = self.run_changing(argv)
        if rc != 0:
            self.ctx.fail(f"{command_text(argv)} failed", stdout=out, stderr=err, rc=rc)
        return {"changed": True, "stdout": out, "stderr": err, **self.diff_of(out)}


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    if find_program("apt-get") is None:
        ctx.fail("apt-get was not found: the apt module needs a Debian-family system")
    apt = Apt(args, ctx)
    specs_given = args["package"] or []
    if args["clean"]:
        if ctx.check_mode:
            out, err = "", ""
        else:
            rc, out, err = apt.run([apt.apt_get, "clean"])
            if rc or err:
                ctx.fail(f"apt-get clean failed{': ' + err if err else ''}", stdout=out, rc=rc)
        if not specs_given and args["upgrade"] == "no" and not args["deb"]:
            return {"changed": True, "msg": out, "stdout": out, "stderr": err}

    upgrade = None if args["upgrade"] == "no" else args["upgrade"]
    updated, cache_time = apt.update_cache()
    if (args["update_cache"] or args["cache_valid_time"]) and not specs_given and not upgrade and not args["deb"]:
        return {"changed": updated, "cache_updated": updated, "cache_update_time": cache_time}

    if upgrade:
        return apt.upgrade(upgrade)
    if args["deb"]:
        if args["state"] != "present":
            ctx.fail("deb only supports state=present")
        return apt.install_deb(args["deb"])

    specs = [s.strip() for s in specs_given if s != "*"]
    latest = args["state"] == "latest"
    if latest and "*" in specs_given:
        if specs:
            ctx.fail("unable to install additional packages when upgrading all installed packages")
        return apt.upgrade("yes")
    for spec in specs:
        if spec.count("=") > 1:
            ctx.fail(f"invalid package spec: {spec}")
    if not specs:
        if args["autoclean"]:
            return apt.cleanup("autoclean")
        if args["autoremove"]:
            return apt.cleanup("autoremove")

    if args["state"] == "absent":
        return apt.remove(specs)
    ok, result = apt.install(specs, latest=latest, build_dep=args["state"] == "build-dep",
                             fixed=args["state"] == "fixed")
    result.update(cache_updated=updated, cache_update_time=cache_time)
    if not ok:
        ctx.fail(result.pop("msg"), **result)
    return result
