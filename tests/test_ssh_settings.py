"""How SSH settings are chosen (no server needed): variables, options, ssh args, ssh config."""
from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from miniplay.transport.become import Become
from miniplay.transport.ssh import ISOLATED_ENV, jump_settings, parse_ssh_args, resolve_settings
from miniplay.core.errors import ConnectionFailed
from miniplay.core.options import Options


def test_ssh_args_are_parsed_like_ssh_does():
    options, flags = parse_ssh_args("-C -o ProxyJump=a@b:2 -oUserKnownHostsFile=/x -o 'ConnectTimeout 5' "
                                    "-o ProxyJump=ignored -J c -F none -i key -p 2222 -l bob -o ControlMaster=auto")
    assert options == {"proxyjump": "a@b:2", "userknownhostsfile": "/x", "connecttimeout": "5",
                       "controlmaster": "auto"}
    assert flags == {"J": ["c"], "F": ["none"], "i": ["key"], "p": ["2222"], "l": ["bob"]}


def test_inventory_vars_win_over_options_and_options_over_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv(ISOLATED_ENV, "1")
    key = tmp_path / "k"
    key.write_text("x")
    options = Options(remote_user="cli-user", private_key_file=str(key), timeout=7, host_key_checking=False)
    from_options = resolve_settings("web1", {"_options": options})
    assert (from_options.address, from_options.port, from_options.user) == ("web1", 22, "cli-user")
    assert from_options.key_files == [str(key)] and from_options.timeout == 7
    assert from_options.host_key_mode == "no"
    from_vars = resolve_settings("web1", {"_options": options, "ansible_host": "10.1.1.1", "ansible_port": "2222",
                                          "ansible_user": "var-user", "ansible_ssh_timeout": 3,
                                          "ansible_host_key_checking": "yes"})
    assert (from_vars.address, from_vars.port, from_vars.user, from_vars.timeout) == ("10.1.1.1", 2222, "var-user", 3)
    assert from_vars.host_key_mode == "yes"
    bare = resolve_settings("web1", {})
    assert bare.user == getpass.getuser() and bare.timeout == 10 and bare.host_key_mode == "yes"
    assert bare.known_hosts == [] and not bare.look_for_keys and not bare.allow_agent  # isolated


def test_missing_key_files_are_remembered_for_the_message(monkeypatch):
    monkeypatch.setenv(ISOLATED_ENV, "1")
    settings = resolve_settings("h", {"ansible_ssh_private_key_file": "/no/such/key"})
    assert settings.key_files == [] and settings.missing_keys == ["/no/such/key"]


def test_a_bad_port_is_a_connection_failure():
    with pytest.raises(ConnectionFailed, match="Bad port 'x'"):
        resolve_settings("h", {"ansible_port": "x"})


def test_ssh_config_from_dash_F_and_command_line_options_win(monkeypatch, tmp_path):
    monkeypatch.setenv(ISOLATED_ENV, "1")
    config = tmp_path / "cfg"
    config.write_text("Host alias\n  HostName 10.9.9.9\n  Port 2200\n  User cfguser\n  ProxyJump jump1\n"
                      "  StrictHostKeyChecking no\n  UserKnownHostsFile /cfg/known\n")
    settings = resolve_settings("alias", {"ansible_ssh_common_args": f"-F {config} -o Port=2300"})
    assert (settings.address, settings.port, settings.user) == ("10.9.9.9", 2300, "cfguser")
    assert settings.proxy_jump == "jump1" and settings.host_key_mode == "no"
    assert settings.known_hosts == ["/cfg/known"]
    over = resolve_settings("alias", {"ansible_ssh_common_args": f"-F {config}", "ansible_port": 22,
                                      "ansible_ssh_known_hosts_file": "/mine", "ansible_host_key_checking": True})
    assert over.port == 22 and over.known_hosts == ["/mine"] and over.host_key_mode == "yes"


def test_the_users_ssh_config_is_read_unless_isolated(monkeypatch, tmp_path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host box\n  HostName 10.2.2.2\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(ISOLATED_ENV, "")
    settings = resolve_settings("box", {})
    assert settings.address == "10.2.2.2"
    assert str(home / ".ssh" / "known_hosts") in settings.known_hosts
    monkeypatch.setenv(ISOLATED_ENV, "1")
    assert resolve_settings("box", {}).address == "box"


def test_accept_new_and_jump_hops(monkeypatch):
    monkeypatch.setenv(ISOLATED_ENV, "1")
    settings = resolve_settings("h", {"ansible_ssh_extra_args": "-o StrictHostKeyChecking=accept-new "
                                                                "-J u1@j1:2201,[::1]:2202"})
    assert settings.host_key_mode == "accept-new"
    hops = jump_settings(settings.proxy_jump or "", settings)
    assert [(h.user, h.address, h.port) for h in hops] == [("u1", "j1", 2201), (settings.user, "::1", 2202)]
    assert all(h.password is None for h in hops)


def test_the_become_prefix_never_holds_the_password():
    sudo = Become(method="sudo", user="app user", password="s3cret!", flags="-H")
    assert "s3cret" not in sudo.prefix
    assert sudo.prefix.startswith("sudo -H -S -p ") and "-u 'app user' /bin/sh -c " in sudo.prefix
    assert sudo.marker in sudo.prefix and sudo.prompt in sudo.prefix
    su = Become(method="su", user="app", password="s3cret!")
    assert su.prefix.startswith("su app -c ") and su.prefix.endswith(" -- ") and "s3cret" not in su.prefix
    assert "s3cret" not in repr(sudo)


def test_become_prefix_runs_the_command_as_given(tmp_path: Path):
    """The prefix hands the worker command to `exec "$0" "$@"` unchanged (checked with a fake sudo)."""
    import subprocess

    fake = tmp_path / "fakesudo"
    fake.write_text("#!/bin/sh\nwhile [ \"$1\" != /bin/sh ]; do shift; done\nexec \"$@\"\n")
    fake.chmod(0o755)
    plan = Become(method="sudo", user="root", exe=str(fake))
    result = subprocess.run(plan.prefix + "printf '%s|' 'a b' \"c'd\"", shell=True, capture_output=True, text=True)
    assert result.stdout == "a b|c'd|"
    assert result.stderr.strip() == plan.marker
