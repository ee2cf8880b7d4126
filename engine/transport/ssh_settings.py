"""SSH connection settings for one host: inventory variables, run options, ssh arguments, ssh config.

Ansible hands these to the `ssh` binary; miniplay reads the same sources into one `SSHSettings`
for fabric (paramiko): `-o` options and -J/-F/-i/-p/-l flags out of ansible_ssh_*_args, the
user's ~/.ssh/config (unless MINIPLAY_SSH_ISOLATED is set, as the tests do), then defaults.
"""
from __future__ import annotations

import getpass
import os
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ConnectionFailed
from ..core.fieldtypes import FALSE_WORDS, TRUE_WORDS

DEFAULT_TIMEOUT = 10
ISOLATED_ENV = "MINIPLAY_SSH_ISOLATED"
USER_CONFIG = "~/.ssh/config"
SYSTEM_CONFIG = "/etc/ssh/ssh_config"
USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
FAILED = "Task failed: Failed to connect to the host via ssh: "



# ====================================================================== settings
@dataclass
class SSHSettings:
    """Everything needed to reach one host (or one jump host)."""

    alias: str                      # the name ssh would be given (ansible_host or the inventory name)
    address: str                    # after the ssh config's HostName
    port: int = 22
    user: str = ""
    key_files: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    host_key_mode: str = "yes"      # yes (strict), accept-new, no (off)
    known_hosts: list[str] = field(default_factory=list)
    proxy_jump: str | None = None
    proxy_command: str | None = None
    keepalive: int = 0
    look_for_keys: bool = True
    allow_agent: bool = True
    config_path: str | None = None

    @property
    def key_name(self) -> str:
        """How the host appears in known_hosts."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


def parse_ssh_args(text: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """`-o Key=Value`, `-J`, `-F`, `-i`, `-p`, `-l` out of ssh arguments: (options, flags).

    Option names are lower-cased; the first value wins, as with ssh. Flags keep every value.
    """
    options: dict[str, str] = {}
    flags: dict[str, list[str]] = {}
    if not text:
        return options, flags
    words = shlex.split(str(text)) if isinstance(text, str) else [str(w) for w in text]
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or len(word) < 2:
            continue
        letter = word[1]
        if letter not in "oJFiplcmDLRWbBEeIOQSw" or word.startswith("--"):
            continue
        value = word[2:]
        if not value:
            if index >= len(words):
                break
            value = words[index]
            index += 1
        if letter == "o":
            key, sep, rest = value.partition("=")
            if not sep:
                key, _, rest = value.strip().partition(" ")
            options.setdefault(key.strip().lower(), rest.strip())
        else:
            flags.setdefault(letter, []).append(value)
    return options, flags


def _as_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def _isolated() -> bool:
    return bool(_as_bool(os.environ.get(ISOLATED_ENV)))


_CONFIG_CACHE: dict[tuple[str, ...], tuple[tuple[float, ...], Any]] = {}
_CONFIG_LOCK = threading.Lock()


def load_ssh_config(paths: tuple[str, ...]) -> Any:
    """The parsed ssh config files (first match wins across them, as with ssh), cached by mtime."""
    from paramiko.config import SSHConfig

    existing = tuple(p for p in (os.path.expanduser(p) for p in paths) if os.path.isfile(p))
    stamps = tuple(os.path.getmtime(p) for p in existing)
    with _CONFIG_LOCK:
        cached = _CONFIG_CACHE.get(existing)
        if cached is not None and cached[0] == stamps:
            return cached[1]
        config = SSHConfig()
        text = ""
        for path in existing:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text += handle.read() + "\n"
            except OSError:
                continue
        if text:
            import io

            config.parse(io.StringIO(text))
        _CONFIG_CACHE[existing] = (stamps, config)
        return config


def _first_flag(flags: dict[str, list[str]], letter: str) -> str | None:
    """The first value given to an ssh flag (-p 2222 -> "2222"), None when it was not given."""
    values = flags.get(letter)
    return values[0] if values else None


def _first(variables: dict, *names: str) -> Any:
    for name in names:
        value = variables.get(name)
        if value is not None and value != "":
            return value
    return None


def _split_files(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [part for part in str(value).split() if part]


def resolve_settings(host: str, variables: dict) -> SSHSettings:
    """The host's connection settings: inventory vars, then run options, then ssh config."""
    options = variables.get("_options")
    opt = (lambda name: getattr(options, name, None)) if options is not None else (lambda name: None)
    isolated = _isolated()

    arg_text = " ".join(str(v) for v in (
        _first(variables, "ansible_ssh_common_args") or opt("ssh_common_args"),
        _first(variables, "ansible_ssh_extra_args") or opt("ssh_extra_args"),
        _first(variables, "ansible_ssh_args"),
    ) if v)
    ssh_opts, flags = parse_ssh_args(arg_text)

    alias = str(_first(variables, "ansible_host", "ansible_ssh_host") or host)
    config_files = _config_files(flags, isolated)
    found = dict(load_ssh_config(config_files).lookup(alias)) if config_files else {}
    # ssh: the command line's -o options come before (and so win over) the config files
    merged: dict[str, Any] = {**found, **ssh_opts}

    address = str(merged.get("hostname") or alias)
    port_value = _first(variables, "ansible_port", "ansible_ssh_port") or _first_flag(flags, "p") \
        or merged.get("port") or 22
    try:
        port = int(port_value)
    except (TypeError, ValueError):
        raise ConnectionFailed(f"{FAILED}Bad port '{port_value}'") from None
    user = _first(variables, "ansible_user", "ansible_ssh_user") or opt("remote_user") \
        or _first_flag(flags, "l") or merged.get("user") or getpass.getuser()
    key_files, missing = _key_files(variables, opt, flags, merged)
    password = _first(variables, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
    if password is None:
        password = opt("connection_password")

    jump = _first_flag(flags, "J") or merged.get("proxyjump")
    command = merged.get("proxycommand")
    only_identities = _as_bool(merged.get("identitiesonly")) is True
    agent = str(merged.get("identityagent", "")).lower() != "none"
    return SSHSettings(alias=alias, address=address, port=port, user=str(user), key_files=key_files,
                       missing_keys=missing, password=None if password is None else str(password),
                       timeout=_timeout(variables, opt, merged),
                       host_key_mode=_host_key_mode(variables, opt, ssh_opts, found),
                       known_hosts=_known_hosts(variables, merged, isolated),
                       proxy_jump=None if not jump or str(jump).lower() == "none" else str(jump),
                       proxy_command=None if not command or str(command).lower() == "none" else str(command),
                       keepalive=_int_or_zero(merged.get("serveraliveinterval") or 0),
                       look_for_keys=not isolated and not only_identities,
                       allow_agent=not isolated and agent, config_path=config_files[0] if config_files else None)


Option = Callable[[str], Any]   # a run option by name (None when unset)


def _config_files(flags: dict[str, list[str]], isolated: bool) -> tuple[str, ...]:
    """The ssh config files to read: -F's, none when isolated (tests), else the user's and the system's."""
    if flags.get("F"):
        chosen = flags["F"][0]
        return () if chosen in ("none", "/dev/null") else (chosen,)
    if isolated:
        return ()
    return (USER_CONFIG, SYSTEM_CONFIG)


def _key_files(variables: dict, opt: Option, flags: dict[str, list[str]],
               merged: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(existing, missing) private key files: the variable or --private-key, -i, then IdentityFile."""
    keys: list[str] = []
    explicit_key = _first(variables, "ansible_ssh_private_key_file", "ansible_private_key_file") \
        or opt("private_key_file")
    if explicit_key:
        keys.append(str(explicit_key))
    keys += flags.get("i", [])
    identity = merged.get("identityfile") or []
    keys += [identity] if isinstance(identity, str) else list(identity)
    key_files: list[str] = []
    missing: list[str] = []
    for key in keys:
        path = os.path.expanduser(str(key))
        if path in key_files or path in missing:
            continue
        (key_files if os.path.isfile(path) else missing).append(path)
    return key_files, missing


def _timeout(variables: dict, opt: Option, merged: dict[str, Any]) -> float:
    timeout_value = _first(variables, "ansible_ssh_timeout", "ansible_timeout") or opt("timeout") \
        or os.environ.get("ANSIBLE_TIMEOUT") or merged.get("connecttimeout") or DEFAULT_TIMEOUT
    try:
        timeout = float(timeout_value)
    except (TypeError, ValueError):
        timeout = DEFAULT_TIMEOUT
    return timeout if timeout > 0 else DEFAULT_TIMEOUT


def _host_key_mode(variables: dict, opt: Option, ssh_opts: dict[str, str], found: dict[str, Any]) -> str:
    """yes (strict), accept-new or no: the variable, then -o StrictHostKeyChecking, the run, the config."""
    checking = _as_bool(_first(variables, "ansible_host_key_checking", "ansible_ssh_host_key_checking"))
    strict = str(ssh_opts.get("stricthostkeychecking", "")).lower()
    if checking is not None:
        return "yes" if checking else "no"
    if strict:
        return "accept-new" if strict == "accept-new" else "no" if strict in ("no", "off") else "yes"
    if opt("host_key_checking") is not None:
        return "yes" if opt("host_key_checking") else "no"
    if str(found.get("stricthostkeychecking", "")).lower() in ("no", "off", "accept-new"):
        return "accept-new" if str(found["stricthostkeychecking"]).lower() == "accept-new" else "no"
    return "yes"


def _known_hosts(variables: dict, merged: dict[str, Any], isolated: bool) -> list[str]:
    known = _split_files(_first(variables, "ansible_ssh_known_hosts_file", "ansible_user_known_hosts_file"))
    if not known:
        known = _split_files(merged.get("userknownhostsfile"))
    if not known and not isolated:
        known = list(USER_KNOWN_HOSTS)
    if not isolated or merged.get("globalknownhostsfile"):
        known += _split_files(merged.get("globalknownhostsfile")) or list(GLOBAL_KNOWN_HOSTS)
    return [os.path.expanduser(p) for p in known if p not in ("/dev/null", "none")]


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def jump_settings(spec: str, parent: SSHSettings) -> list[SSHSettings]:
    """Settings for each hop of a ProxyJump spec (`user@host:port,host2`), first hop first."""
    hops = []
    config = load_ssh_config((parent.config_path,)) if parent.config_path else None
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        part = part.removeprefix("ssh://")
        user, _, rest = part.rpartition("@")
        name, port = rest, None
        if rest.startswith("["):
            name, _, tail = rest[1:].partition("]")
            port = tail[1:] if tail.startswith(":") else None
        elif rest.count(":") == 1:
            name, port = rest.split(":")
        found = dict(config.lookup(name)) if config is not None else {}
        identity = found.get("identityfile") or []
        keys = [os.path.expanduser(k) for k in ([identity] if isinstance(identity, str) else identity)]
        hops.append(SSHSettings(
            alias=name, address=str(found.get("hostname") or name), port=int(port or found.get("port") or 22),
            user=user or str(found.get("user") or parent.user),
            key_files=[k for k in keys if os.path.isfile(k)] + parent.key_files, timeout=parent.timeout,
            host_key_mode=parent.host_key_mode, known_hosts=parent.known_hosts, keepalive=parent.keepalive,
            look_for_keys=parent.look_for_keys, allow_agent=parent.allow_agent, config_path=parent.config_path))
    return hops
