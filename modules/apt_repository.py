"""apt_repository — add or remove an APT repository line (`deb ...`, `deb-src ...`, `ppa:...`).

Arguments:
  repo              the source line, e.g. `deb [signed-by=/etc/apt/keyrings/x.gpg] https://x.example stable main`,
                    or `ppa:owner/name` (required)
  state             present (default) or absent; absent removes every enabled line like it,
                    in every file
  filename          the file for a new line, without `.list`: a name in sources.list.d, or a
                    path when it holds a `/` (default: made from the URL, like
                    `ppa_launchpadcontent_net_owner_name_jammy.list`)
  mode              permissions of a newly created file (default: 0666 less the umask)
  update_cache / update-cache
                    run `apt-get update` after a change (default true)
  update_cache_retries, update_cache_retry_max_delay
                    retries with back-off when that update fails (default 5, 12 s)
  codename          the release for a PPA line (default: the host's VERSION_CODENAME)
  validate_certs    check TLS certificates when asking Launchpad about a PPA (default true)
  install_python_apt
                    accepted for compatibility: miniplay needs no python3-apt

A commented-out line that matches is enabled again instead of added twice. Only
`sources.list` and `sources.list.d/*.list` are read (deb822 `.sources` files are
deb822_repository's); where those are comes from `apt-config` (Dir::Etc::sourcelist and
Dir::Etc::sourceparts), so APT_CONFIG in the task's environment is honoured.

Returns: changed, repo, state, sources_added, sources_removed (file names), diff (a list of
before/after per file added or removed) with --diff.

Example:
  - name: The vendor's repository, in its own file
    apt_repository:
      repo: deb [signed-by=/etc/apt/keyrings/vendor.asc] https://apt.vendor.example stable main
      filename: vendor
"""
from __future__ import annotations

import copy
import json
import os
import random
import re
import shlex
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from miniplay.modules._common import ModuleContext, atomic_write
from miniplay.modules._files import parse_mode
from miniplay.modules._pkg import find_program, with_env

ARGUMENT_SPEC = {
    "repo": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "mode": {"type": "raw"},
    "update_cache": {"type": "bool", "default": True, "aliases": ["update-cache"]},
    "update_cache_retries": {"type": "int", "default": 5},
    "update_cache_retry_max_delay": {"type": "int", "default": 12},
    "filename": {"type": "str"},
    "install_python_apt": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "codename": {"type": "str"},
}
SUPPORTS_CHECK_MODE = True

SOURCE_TYPES = ("deb", "deb-src")
APT_KEY_DIRS = ("/etc/apt/keyrings", "/etc/apt/trusted.gpg.d", "/usr/share/keyrings")
LAUNCHPAD_API = "https://api.launchpad.net/1.0/~%s/+archive/%s"
PPA_URI = "https://ppa.launchpadcontent.net"
KEYSERVER = "hkp://keyserver.ubuntu.com:80"
C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LC_CTYPE": "C", "LANGUAGE": "C"}


class InvalidSource(Exception):
    """A repo string that is not an enabled `deb`/`deb-src` line."""


@dataclass
class Line:
    """One line of a sources file; `source` is the line with its whitespace normalised."""

    valid: bool
    enabled: bool
    source: str
    comment: str

    def render(self) -> str:
        return ("# " if not self.enabled else "") + self.source + (f" # {self.comment}" if self.comment else "") + "\n"


def parse_line(text: str, strict: bool = False) -> Line:
    """Split a line into (valid, enabled, source, comment) the way apt_repository reads it."""
    text = text.strip()
    enabled = True
    comment = ""
    if text.startswith("#"):
        enabled = False
        text = text[1:]
    cut = text.find("#")
    if cut > 0:
        comment = text[cut + 1:].strip()
        text = text[:cut]
    source = text.strip()
    valid = False
    if source:
        words = source.split()
        if words[0] in SOURCE_TYPES:
            valid = True
            source = " ".join(words)
    if strict and (not valid or not enabled):
        raise InvalidSource(text)
    return Line(valid, enabled, source, comment)


def apt_locations(ctx: ModuleContext) -> tuple[str, str]:
    """(sources.list, sources.list.d) as apt is configured (APT_CONFIG included)."""
    program = find_program("apt-config")
    if program is not None:
        rc, out, _ = with_env(ctx, C_LOCALE).run_command(
            [program, "shell", "LIST", "Dir::Etc::sourcelist/f", "PARTS", "Dir::Etc::sourceparts/d"])
        if rc == 0:
            values = dict(shlex.split(line)[0].split("=", 1) for line in out.splitlines() if "=" in line)
            if values.get("LIST") and values.get("PARTS"):
                return values["LIST"], values["PARTS"].rstrip("/")
    return "/etc/apt/sources.list", "/etc/apt/sources.list.d"


class SourcesList:
    """Every sources file apt reads, as lines, plus the new files this task adds."""

    def __init__(self, ctx: ModuleContext, filename: str | None, codename: str,
                 validate_certs: bool = True) -> None:
        self.ctx = ctx
        self.validate_certs = validate_certs
        self.filename = filename
        self.codename = codename
        self.files: dict[str, list[Line]] = {}
        self.links: dict[str, str] = {}
        self.new_files: set[str] = set()
        self.default_file, self.parts_dir = apt_locations(ctx)
        if os.path.isfile(self.default_file):
            self.load(self.default_file)
        if os.path.isdir(self.parts_dir):
            for name in sorted(os.listdir(self.parts_dir)):
                path = os.path.join(self.parts_dir, name)
                if name.endswith(".list") and not name.startswith("."):
                    if os.path.islink(path):
                        self.links[path] = os.readlink(path)
                    if os.path.isfile(path):
                        self.load(path)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            self.files[path] = [parse_line(text) for text in handle]

    def enabled_sources(self):
        for path, lines in self.files.items():
            for index, line in enumerate(lines):
                if line.valid:
                    yield path, index, line

    def dump(self) -> dict[str, str]:
        return {path: "".join(line.render() for line in lines) for path, lines in self.files.items() if lines}

    # ------------------------------------------------------------------ changes
    def suggested_file(self, source: str) -> str:
        if self.filename is not None:
            return self.filename + ".list"
        text = re.sub(r"\[[^\]]+\]", "", source)
        text = re.sub(r"\w+://", "", text)
        parts = [p for p in text.split() if p not in SOURCE_TYPES]
        first = parts[0].split("@", 1)[-1] if parts else ""
        return "_".join(re.sub("[^a-zA-Z0-9]", " ", first).split()) + ".list"

    def _path_for(self, name: str) -> str:
        return name if "/" in name else os.path.abspath(os.path.join(self.parts_dir, name))

    def _add(self, source: str, name: str) -> None:
        found = False
        for _, _, line in list(self.enabled_sources()):
            if line.source == source:
                line.enabled = True  # a commented-out copy is enabled again
                found = True
        if found:
            return
        path = self._path_for(name)
        self.files.setdefault(path, []).append(Line(True, True, source, ""))
        self.new_files.add(path)

    def add(self, repo: str) -> None:
        if repo.startswith("ppa:"):
            source, owner, name = self.expand_ppa(repo)
            if source in self.enabled_lines():
                return
            self.ensure_ppa_key(source, owner, name)
            self._add(source, self.suggested_file(f"{repo}_{self.codename}"))
            return
        source = parse_line(repo, strict=True).source
        self._add(source, self.suggested_file(source))

    def remove(self, repo: str) -> None:
        source = self.expand_ppa(repo)[0] if repo.startswith("ppa:") else parse_line(repo, strict=True).source
        for path, lines in self.files.items():
            self.files[path] = [line for line in lines if not (line.valid and line.enabled and line.source == source)]

    def enabled_lines(self) -> list[str]:
        return [line.source for _, _, line in self.enabled_sources() if line.enabled]

    # ------------------------------------------------------------------ PPAs
    def expand_ppa(self, repo: str) -> tuple[str, str, str]:
        ppa = repo.split(":", 1)[1]
        owner, _, name = ppa.partition("/")
        name = name.split("/")[0] or "ppa"
        return f"deb {PPA_URI}/{owner}/{name}/ubuntu {self.codename} main", owner, name

    def ensure_ppa_key(self, source: str, owner: str, name: str) -> None:
        """Fetch the PPA's signing key unless apt already trusts it (never in check mode)."""
        apt_key, gpg = find_program("apt-key"), find_program("gpg")
        if not apt_key and not gpg:
            self.ctx.fail("Either apt-key or gpg binary is required, but neither could be found."
                          "The apt-key CLI has been deprecated and removed in modern Debian and derivatives, "
                          'you might want to use "deb822_repository" instead.')
        fingerprint = ppa_info(self.ctx, owner, name, self.validate_certs)["signing_key_fingerprint"]
        if self.key_known(fingerprint, apt_key, gpg) or self.ctx.check_mode:
            return
        if apt_key:
            command = [apt_key, "adv", "--recv-keys", "--no-tty", "--keyserver", KEYSERVER, fingerprint]
            self.ctx.run_command(command, check_rc=True)
            return
        keydir = next((d for d in APT_KEY_DIRS if os.path.exists(d)), None)
        if keydir is None:
            self.ctx.fail("Unable to find any existing apt gpgp repo directories, tried the following: "
                          + ", ".join(APT_KEY_DIRS))
        keyfile = f"{keydir}/{os.path.basename(source).replace(' ', '-')}-{owner}-{name}.gpg"
        command = [gpg, "--no-tty", "--keyserver", KEYSERVER, "--export", fingerprint]
        import subprocess

        proc = subprocess.run(command, capture_output=True, env=self.ctx.environ())
        if proc.returncode != 0 or not proc.stdout:
            self.ctx.fail("Unable to get required signing key", rc=proc.returncode,
                          stderr=proc.stderr.decode("utf-8", "replace"), command=command)
        with open(keyfile, "wb") as handle:
            handle.write(proc.stdout)

    def key_known(self, fingerprint: str, apt_key: str | None, gpg: str | None) -> bool:
        if apt_key:
            _, _, err = with_env(self.ctx, C_LOCALE).run_command([apt_key, "export", fingerprint], check_rc=True)
            return not err or "nothing exported" not in err
        files = ["/etc/apt/trusted.gpg"] + [os.path.join(d, n) for d in APT_KEY_DIRS if os.path.isdir(d)
                                            for n in os.listdir(d) if not n.startswith(".")]
        for path in files:
            if os.path.exists(path):
                _, out, _ = self.ctx.run_command([str(gpg), "--list-packets", path])
                if fingerprint in out:
                    return True
        return False

    # ------------------------------------------------------------------ writing
    def save(self, mode: Any) -> None:
        for path, lines in list(self.files.items()):
            if not lines:
                del self.files[path]
                if os.path.exists(path):
                    os.remove(path)
                continue
            folder = os.path.dirname(path)
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                self.ctx.fail(f"Failed to create directory {folder}: {exc}")
            target = self.links.get(path, path)
            if path in self.links and not os.path.isabs(target):
                target = os.path.join(folder, target)
            data = "".join(line.render() for line in lines).encode("utf-8", "surrogateescape")
            atomic_write(target, data)
            if path in self.new_files and mode is not None:
                current = os.stat(path).st_mode
                wanted = parse_mode(mode, current, False)
                if wanted != current & 0o7777:
                    os.chmod(path, wanted)


def ppa_info(ctx: ModuleContext, owner: str, name: str, validate_certs: bool) -> dict[str, Any]:
    request = urllib.request.Request(LAUNCHPAD_API % (owner, name), headers={"Accept": "application/json"})
    context = None if validate_certs else ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            info = json.loads(response.read().decode("utf-8"))
    except Exception as exc:
        ctx.fail(f"failed to fetch PPA information, error was: {getattr(exc, 'reason', exc)}")
    return info


def host_codename() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for text in handle:
                if text.startswith(("VERSION_CODENAME=", "UBUNTU_CODENAME=")):
                    return text.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


def update_cache(ctx: ModuleContext, retries: int, max_delay: int) -> str | None:
    """`apt-get update` with exponential back-off; None when it worked, else the reason.

    Like python-apt's FetchFailedException, a download that failed gives an empty reason
    (Ansible's message then ends in ': '); apt-get failing outright gives its error output.
    """
    apt_get = find_program("apt-get")
    if apt_get is None:
        return "apt-get not found"
    run = with_env(ctx, {**C_LOCALE, "DEBIAN_FRONTEND": "noninteractive"})
    jitter = random.randrange(1000) / 1000.0
    reason = None
    for attempt in range(retries):
        rc, out, err = run.run_command([apt_get, "update", "-q"])
        fetch_failed = "Failed to fetch" in out + err or "index files failed to download" in out + err
        if rc == 0 and not fetch_failed:
            return None
        reason = "" if rc == 0 else (err or out).strip()
        ctx.warn(f"Failed to update cache after {attempt + 1} due to {reason} retry, retrying")
        delay = min(2 ** attempt + jitter, max_delay + jitter)
        time.sleep(delay)
        ctx.warn(f"Sleeping for {int(round(delay))} seconds, before attempting to update the cache again")
    return reason if reason is not None else "unknown reason"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    repo, state = args["repo"], args["state"]
    if not repo:
        ctx.fail("Please set argument 'repo' to a non-empty value")
    sources = SourcesList(ctx, args["filename"], args["codename"] or host_codename(), args["validate_certs"])
    original = copy.deepcopy(sources.files)
    before = sources.dump()
    try:
        sources.add(repo) if state == "present" else sources.remove(repo)
    except InvalidSource as exc:
        ctx.fail(f"Invalid repository string: {exc}")
    after = sources.dump()
    changed = before != after
    added = sorted(set(after) - set(before)) if changed else []
    removed = sorted(set(before) - set(after)) if changed else []
    diff = []
    if changed and ctx.diff:
        for path in sorted(set(added) | set(removed)):
            diff.append({"before": before.get(path, ""), "after": after.get(path, ""),
                         "before_header": path if path in before else "/dev/null",
                         "after_header": path if path in after else "/dev/null"})
    if changed and not ctx.check_mode:
        sources.save(args["mode"])
        if args["update_cache"]:
            error = update_cache(ctx, args["update_cache_retries"], args["update_cache_retry_max_delay"])
            if error is not None:
                for path in added:  # put the sources back as they were
                    if os.path.exists(path):
                        os.remove(path)
                sources.files = original
                sources.save(None)
                ctx.fail(f"Failed to update apt cache after {args['update_cache_retries']} retries: {error}")
    return {"changed": changed, "repo": repo, "sources_added": added, "sources_removed": removed,
            "state": state, "diff": diff}
