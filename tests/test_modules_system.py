"""System modules on this machine: apt, package, service, systemd, user, group, cron, git,
unarchive, uri.

Each test sends a request the way the controller does ({"module", "args", "check"}) to
`run_module`, or runs a real playbook through the CLI, and checks the result *and* what
really happened: the package database, the account files, the files on disk. Nothing is
faked: packages are never installed (check mode and already-installed packages against
the real dpkg database), services are never started (check mode and status reading of
a real init script), users and groups are throwaway `mpm_*` accounts removed afterwards,
git works on repositories made in tmp_path, and HTTP goes to a server on 127.0.0.1 started
by the test.
"""
from __future__ import annotations

import glob
import grp
import http.server
import io
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import miniplay, write

from miniplay.modules._worker import run_module

APT = shutil.which("apt-get") is not None and shutil.which("dpkg-query") is not None
SYSTEMD = os.path.isdir("/run/systemd/system")


def run(module: str, check: bool = False, diff: bool = False, task_env: dict | None = None, **args: Any) -> dict:
    """One task through the worker's entry point; task_env is the task's `environment:`."""
    return run_module({"module": module, "args": args, "check": check, "diff": diff, "env": task_env or {}})


def dpkg_state(name: str) -> tuple[str, str]:
    """(status word, version) of a package in the real dpkg database."""
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", name], capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout:
        return "not-installed", ""
    status, version = proc.stdout.split("\t")
    return status.split()[-1], version


def installable_package() -> str:
    """A package apt can install here but that is not installed (for check-mode installs)."""
    for name in ("sl", "cowsay", "figlet", "hello"):
        if dpkg_state(name)[0] == "installed":
            continue
        out = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True,
                             env={**os.environ, "LC_ALL": "C"}).stdout
        if "Candidate:" in out and "Candidate: (none)" not in out:
            return name
    pytest.skip("no package index with an installable package here")


# =========================================================================== apt, package
needs_apt = pytest.mark.skipif(not APT, reason="not a Debian-family host")


@needs_apt
class TestApt:
    def test_installed_package_is_ok_and_costs_no_apt_run(self) -> None:
        status, version = dpkg_state("dpkg")
        assert status == "installed"
        started = time.monotonic()
        result = run("apt", name="dpkg", state="present")
        assert result["changed"] is False and "failed" not in result
        assert result["cache_updated"] is False and isinstance(result["cache_update_time"], int)
        assert time.monotonic() - started < 2
        assert dpkg_state("dpkg") == (status, version)

    def test_versions_and_lists(self) -> None:
        # Check mode throughout: a version glob may legitimately upgrade (as with Ansible).
        _, version = dpkg_state("dpkg")
        assert run("apt", check=True, name=f"dpkg={version}")["changed"] is False
        assert run("apt", check=True, name="dpkg>=0.1", state="present")["changed"] is False
        assert run("apt", check=True, pkg="dpkg,apt")["changed"] is False
        policy = subprocess.run(["apt-cache", "policy", "dpkg"], capture_output=True, text=True,
                                env={**os.environ, "LC_ALL": "C"}).stdout
        candidate = policy.split("Candidate:")[1].split()[0]
        pattern = version.split(".")[0] + ".*"
        globbed = run("apt", check=True, name=f"dpkg={pattern}")
        # Ansible's rule: a glob matching a newer candidate upgrades to it.
        assert globbed["changed"] is (candidate != version and candidate.startswith(version.split(".")[0] + "."))
        assert dpkg_state("dpkg")[1] == version

    def test_check_mode_install_simulates_and_changes_nothing(self) -> None:
        name = installable_package()
        result = run("apt", check=True, diff=True, name=name)
        assert result["changed"] is True, result
        assert f"Inst {name} " in result["stdout"]
        assert "newly installed" in result["diff"]["prepared"]
        assert dpkg_state(name)[0] != "installed"

    def test_check_mode_remove_of_an_installed_package(self) -> None:
        name = "git" if dpkg_state("git")[0] == "installed" else pytest.skip("git is not installed")
        result = run("apt", check=True, name=name, state="absent")
        assert result["changed"] is True and f"Remv {name} " in result["stdout"]
        assert dpkg_state(name)[0] == "installed"

    def test_absent_package_that_is_not_installed(self) -> None:
        result = run("apt", name="mpm-no-such-package", state="absent")
        assert result["changed"] is False and "failed" not in result and "stdout" not in result

    def test_unknown_package_fails_like_ansible(self) -> None:
        result = run("apt", check=True, name="mpm-no-such-package")
        assert result["failed"] is True
        assert result["msg"] == "No package matching 'mpm-no-such-package' is available"

    def test_invalid_spec_and_argument_rules(self) -> None:
        assert run("apt", name="a=1=2")["msg"] == "invalid package spec: a=1=2"
        assert run("apt", state="present")["msg"].startswith("one of the following is required: autoremove")
        assert run("apt", name="dpkg", upgrade="dist")["msg"] == "parameters are mutually exclusive: deb|package|upgrade"

    def test_cache_valid_time_decides_whether_to_update(self) -> None:
        fresh = run("apt", update_cache=True, cache_valid_time=10 ** 9)
        assert fresh["changed"] is False and fresh["cache_updated"] is False
        stale = run("apt", check=True, update_cache=True, cache_valid_time=1)
        # In check mode a stale cache reports the update it would make (and makes none).
        assert stale["changed"] is True and stale["cache_updated"] is True
        assert stale["cache_update_time"] == fresh["cache_update_time"]

    def test_parsers(self) -> None:
        from miniplay.modules.apt import parse_dpkg, parse_policy, split_spec

        assert split_spec("foo=1.2*") == ("foo", "=", "1.2*")
        assert split_spec("foo>=1:2") == ("foo", ">=", "1:2")
        assert split_spec("foo") == ("foo", None, None)
        policy = parse_policy("git:\n  Installed: 1:2.39\n  Candidate: 1:2.40\n  Version table:\n"
                              "     1:2.40 500\n        500 http://x Packages\n *** 1:2.39 100\n"
                              "        100 /var/lib/dpkg/status\nawk:\n  Installed: (none)\n"
                              "  Candidate: (none)\n  Version table:\n")
        assert policy["git"].installed == "1:2.39" and policy["git"].versions == ["1:2.40", "1:2.39"]
        assert policy["awk"].candidate is None and policy["awk"].versions == []
        table = parse_dpkg("libc6\tlibc6\tamd64\tinstall ok installed\t2.36\n"
                           "libc6:i386\tlibc6\ti386\tdeinstall ok config-files\t2.36\n")
        assert table["libc6"] == ("installed", "2.36") and table["libc6:amd64"] == ("installed", "2.36")
        assert table["libc6:i386"] == ("config-files", "2.36")


@needs_apt
class TestPackage:
    def test_picks_apt_and_passes_its_arguments_on(self) -> None:
        result = run("package", name="dpkg", state="present", update_cache=True, cache_valid_time=10 ** 9)
        assert result["changed"] is False and result["cache_updated"] is False

    def test_manager_without_a_backend(self) -> None:
        result = run("package", name="dpkg", use="dnf")
        assert result["msg"] == 'Could not find a matching action for the "dnf" package manager.'

    def test_backend_checks_its_own_choices(self) -> None:
        assert run("package", name="dpkg", state="gone")["msg"].startswith("value of state must be one of:")


# =========================================================================== service, systemd
def init_script() -> str:
    """A real SysV script on this machine whose status we can read."""
    for name in ("ssh", "cron", "procps", "dbus", "sudo"):
        if os.access(f"/etc/init.d/{name}", os.X_OK):
            return name
    pytest.skip("no SysV init script to probe")


def script_running(name: str) -> bool:
    return subprocess.run([f"/etc/init.d/{name}", "status"], capture_output=True).returncode == 0


def boot_enabled(name: str) -> bool:
    return bool(glob.glob(f"/etc/rc?.d/S??{name}"))


@pytest.mark.skipif(SYSTEMD, reason="these read SysV scripts; systemd runs this host")
class TestServiceSysV:
    def test_reads_the_real_status(self) -> None:
        name = init_script()
        running = script_running(name)
        same = run("service", name=name, state="started" if running else "stopped")
        assert same == {**same, "changed": False, "name": name, "state": "started" if running else "stopped"}
        other = run("service", check=True, name=name, state="stopped" if running else "started")
        assert other["changed"] is True and other["msg"] == "service state changed"
        assert script_running(name) == running

    def test_restart_always_acts_in_check_mode(self) -> None:
        name = init_script()
        running = script_running(name)
        assert run("service", check=True, name=name, state="restarted")["changed"] is True
        assert script_running(name) == running

    def test_enabled_reads_and_would_change_the_boot_links(self) -> None:
        name = init_script()
        links = sorted(glob.glob(f"/etc/rc?.d/*{name}"))
        enabled = boot_enabled(name)
        assert run("service", name=name, enabled=enabled)["changed"] is False
        flipped = run("service", check=True, name=name, enabled=not enabled)
        assert flipped["changed"] is True and flipped["enabled"] is (not enabled)
        assert sorted(glob.glob(f"/etc/rc?.d/*{name}")) == links

    def test_missing_service_fails_clearly(self) -> None:
        result = run("service", name="mpm-no-such-service", state="started")
        assert result["msg"] == "Could not find the requested service mpm-no-such-service: host"
        assert run("service", name="x")["msg"] == "one of the following is required: state, enabled"

    def test_systemd_module_falls_back_to_the_init_script(self) -> None:
        name = init_script()
        running = script_running(name)
        result = run("systemd", check=True, name=f"{name}.service", state="started")
        assert result["changed"] is (not running) and result["status"] == {} and result["state"] == "started"
        assert any("systemd is not running" in w for w in result["warnings"])
        reload = run("systemd", daemon_reload=True)
        assert reload["changed"] is False and "daemon_reload skipped" in reload["warnings"][0]

    def test_systemd_unit_without_script_says_why(self) -> None:
        units = [os.path.basename(p)[:-8] for p in glob.glob("/lib/systemd/system/*.service")
                 if "@" not in p and not os.path.exists(f"/etc/init.d/{os.path.basename(p)[:-8]}")]
        if not units:
            pytest.skip("no systemd unit without an init script here")
        result = run("systemd", check=True, name=units[0], state="started")
        assert result["failed"] is True and "systemd is not running on this host" in result["msg"]

    def test_systemd_argument_rules(self) -> None:
        assert run("systemd", state="started")["msg"] == "missing parameter(s) required by 'state': name"
        assert "glob patterns" in run("systemd", name="ss*", state="started")["msg"]


def test_systemctl_show_parser() -> None:
    from miniplay.modules.systemd import is_running, parse_show

    parsed = parse_show("Id=ssh.service\nActiveState=active\nExecStart={ path=/usr/sbin/sshd ;\n"
                        " argv[]=/usr/sbin/sshd -D }\nLoadState=loaded\n")
    assert parsed["ActiveState"] == "active" and parsed["LoadState"] == "loaded"
    assert parsed["ExecStart"].startswith("{ path=/usr/sbin/sshd") and parsed["ExecStart"].endswith("}")
    assert is_running(parsed)


# =========================================================================== user, group
def free_id(used: set[int], start: int = 23000) -> int:
    candidate = start
    while candidate in used:
        candidate += 1
    return candidate


@pytest.fixture
def account() -> Iterator[dict[str, str]]:
    """Names for a throwaway user and group, removed whatever the test did."""
    tag = f"{os.getpid() % 100000}"
    names = {"user": f"mpm_u{tag}", "group": f"mpm_g{tag}", "extra": f"mpm_x{tag}"}
    try:
        yield names
    finally:
        subprocess.run(["userdel", "-r", "-f", names["user"]], capture_output=True)
        for group in (names["group"], names["extra"], names["user"]):
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(f"/home/{names['user']}", ignore_errors=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="needs root and the shadow tools")


@needs_root
class TestUsersAndGroups:
    def test_group_lifecycle(self, account: dict[str, str]) -> None:
        name = account["group"]
        gid = free_id({g.gr_gid for g in grp.getgrall()})
        assert run("group", check=True, name=name)["changed"] is True
        with pytest.raises(KeyError):
            grp.getgrnam(name)
        made = run("group", name=name, gid=gid)
        assert made["changed"] is True and made["gid"] == gid and grp.getgrnam(name).gr_gid == gid
        again = run("group", name=name, gid=gid)
        assert again["changed"] is False and again == {**again, "name": name, "state": "present", "system": False}
        assert run("group", check=True, name=name, gid=gid + 1)["changed"] is True
        assert grp.getgrnam(name).gr_gid == gid
        assert run("group", name=name, state="absent")["changed"] is True
        assert run("group", name=name, state="absent")["changed"] is False
        with pytest.raises(KeyError):
            grp.getgrnam(name)

    def test_user_lifecycle(self, account: dict[str, str]) -> None:
        user, extra = account["user"], account["extra"]
        assert run("group", name=extra)["changed"] is True
        assert run("user", check=True, name=user)["changed"] is True
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        made = run("user", name=user, shell="/bin/sh", groups=[extra], comment="Test user",
                   password="$6$salt$" + "a" * 86)
        assert made["changed"] is True and made["create_home"] is True and made["system"] is False
        assert made["password"] == "NOT_LOGGING_PASSWORD"
        assert made["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        entry = pwd.getpwnam(user)
        assert (made["uid"], made["shell"], made["home"], made["comment"]) == (entry.pw_uid, "/bin/sh",
                                                                                entry.pw_dir, "Test user")
        assert user in grp.getgrnam(extra).gr_mem and os.path.isdir(entry.pw_dir)
        assert os.stat(entry.pw_dir).st_uid == entry.pw_uid

        same = run("user", name=user, shell="/bin/sh", groups=extra, password="$6$salt$" + "a" * 86)
        assert same["changed"] is False and same["append"] is False and same["groups"] == extra
        assert run("user", check=True, name=user, shell="/bin/bash")["changed"] is True
        assert pwd.getpwnam(user).pw_shell == "/bin/sh"
        assert run("user", name=user, shell="/bin/bash")["changed"] is True
        assert pwd.getpwnam(user).pw_shell == "/bin/bash"
        assert run("user", name=user, groups=[])["changed"] is True
        assert user not in grp.getgrnam(extra).gr_mem

        assert run("user", check=True, name=user, state="absent")["changed"] is True
        assert pwd.getpwnam(user)
        gone = run("user", name=user, state="absent", remove=True)
        assert gone["changed"] is True and gone["remove"] is True
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        assert not os.path.exists(entry.pw_dir)
        assert run("user", name=user, state="absent")["changed"] is False

    def test_plain_password_warns_and_missing_group_fails(self, account: dict[str, str]) -> None:
        result = run("user", name=account["user"], group="mpm-no-such-group", create_home=False)
        assert result["msg"] == "Group mpm-no-such-group does not exist"
        warned = run("user", check=True, name=account["user"], password="plain")
        assert "appears not to have been hashed" in warned["warnings"][0]

    def test_playbook_creates_and_removes_an_account(self, tmp_path: Path, account: dict[str, str]) -> None:
        user, group = account["user"], account["group"]
        playbook = write(tmp_path / "accounts.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - group: name={group}
                - user:
                    name: {user}
                    group: {group}
                    shell: /bin/sh
                    create_home: false
                  register: created
                - user: name={user} group={group} shell=/bin/sh create_home=false
                  register: again
                - debug: var=created
                - debug: var=again
            """)
        result = miniplay("run", str(playbook))
        assert result.rc == 0, result.stdout + result.stderr
        values = result.debug_values()
        entry = pwd.getpwnam(user)
        assert entry.pw_gid == grp.getgrnam(group).gr_gid and entry.pw_shell == "/bin/sh"
        assert values["created"]["changed"] is True and values["created"]["uid"] == entry.pw_uid
        assert values["again"]["changed"] is False
        assert "changed=2" in result.stdout
        cleanup = write(tmp_path / "cleanup.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - user: name={user} state=absent
                - group: name={group} state=absent
            """)
        assert miniplay("run", str(cleanup)).rc == 0
        with pytest.raises(KeyError):
            pwd.getpwnam(user)


# =========================================================================== cron
class TestCron:
    def test_cron_file_jobs_and_variables(self, tmp_path: Path) -> None:
        path = tmp_path / "mpm-cron"
        first = run("cron", name="job1", minute="5", hour="2", job="echo hi", user="root", cron_file=str(path))
        assert first["changed"] is True and first["jobs"] == ["job1"] and first["cron_file"] == str(path)
        assert path.read_text() == "#Ansible: job1\n5 2 * * * root echo hi\n"
        assert os.stat(path).st_mode & 0o777 == 0o644  # cron ignores group/world-writable files
        again = run("cron", name="job1", minute="5", hour="2", job="echo hi", user="root", cron_file=str(path))
        assert again["changed"] is False
        run("cron", name="boot", special_time="reboot", job="echo b", user="root", cron_file=str(path),
            disabled=True)
        env = run("cron", name="PATH", env=True, job="/usr/bin:/bin", user="root", cron_file=str(path))
        assert env["envs"] == ["PATH"] and env["jobs"] == ["job1", "boot"]
        assert path.read_text() == ('PATH="/usr/bin:/bin"\n#Ansible: job1\n5 2 * * * root echo hi\n'
                                    "#Ansible: boot\n#@reboot root echo b\n")
        changed = run("cron", name="job1", minute="10", job="echo hi", user="root", cron_file=str(path))
        assert changed["changed"] is True and "10 * * * * root echo hi" in path.read_text()

    def test_check_mode_diff_and_removing_the_last_job_removes_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "mpm-cron"
        run("cron", name="only", job="true", user="root", cron_file=str(path))
        before = path.read_text()
        preview = run("cron", check=True, diff=True, name="only", state="absent", cron_file=str(path))
        assert preview["changed"] is True and preview["diff"]["after_header"] == "/dev/null"
        assert path.read_text() == before
        assert run("cron", name="only", state="absent", cron_file=str(path))["changed"] is True
        assert not path.exists()
        assert run("cron", name="only", state="absent", cron_file=str(path))["changed"] is False

    def test_mistakes(self, tmp_path: Path) -> None:
        path = str(tmp_path / "c")
        assert run("cron", name="j", job="x", cron_file=path)["msg"] == \
            "To use cron_file=... parameter you must specify user=... as well"
        assert run("cron", name="j", job="x", user="root", cron_file=path, minute="1", special_time="daily")[
            "msg"] == "You cannot combine special_time with any of the time or day/date parameters."
        assert run("cron", name="j", user="root", cron_file=path)["msg"] == \
            "You must specify 'job' to install a new cron job or variable"
        if shutil.which("crontab") is None:
            assert "crontab" in run("cron", name="j", job="x")["msg"]

    def test_playbook_with_a_cron_file(self, tmp_path: Path) -> None:
        path = tmp_path / "backup"
        playbook = write(tmp_path / "cron.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - cron:
                    name: nightly backup
                    minute: "30"
                    hour: "2"
                    job: /usr/local/bin/backup
                    user: root
                    cron_file: {path}
                  register: job
                - debug: var=job
            """)
        result = miniplay("run", str(playbook))
        assert result.rc == 0, result.stdout + result.stderr
        assert result.debug_values()["job"]["jobs"] == ["nightly backup"]
        assert path.read_text() == "#Ansible: nightly backup\n30 2 * * * root /usr/local/bin/backup\n"
        rerun = miniplay("run", str(playbook))
        assert "ok: [localhost]" in rerun.stdout and "changed=0" in rerun.stdout


# =========================================================================== git
@pytest.fixture
def origin(tmp_path: Path) -> dict[str, Any]:
    """A repository with two commits on main and a tag v1 on the first, plus a clean env."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    repo = tmp_path / "origin"

    def git(*words: str, cwd: Path = repo) -> str:
        return subprocess.run(["git", *words], cwd=cwd, env={**os.environ, **env}, check=True,
                              capture_output=True, text=True).stdout.strip()

    repo.mkdir()
    git("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("commit", "-qm", "one")
    git("tag", "v1")
    first = git("rev-parse", "HEAD")
    (repo / "a.txt").write_text("two\n")
    git("commit", "-qam", "two")
    return {"url": f"file://{repo}", "path": repo, "env": env, "first": first, "head": git("rev-parse", "HEAD"),
            "git": git}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
class TestGit:
    def test_clone_update_and_versions(self, tmp_path: Path, origin: dict[str, Any]) -> None:
        dest = tmp_path / "work" / "clone"
        env = origin["env"]
        preview = run("git", check=True, task_env=env, repo=origin["url"], dest=str(dest))
        assert preview["changed"] is True and preview["before"] is None and preview["after"] == origin["head"]
        assert not dest.exists()
        cloned = run("git", task_env=env, repo=origin["url"], dest=str(dest))
        assert cloned["changed"] is True and cloned["after"] == origin["head"]
        assert (dest / "a.txt").read_text() == "two\n"
        again = run("git", task_env=env, repo=origin["url"], dest=str(dest))
        assert again == {**again, "changed": False, "before": origin["head"], "after": origin["head"],
                         "remote_url_changed": False}
        tagged = run("git", task_env=env, diff=True, repo=str(origin["path"]), dest=str(dest), version="v1")
        assert tagged["changed"] is True and tagged["after"] == origin["first"]
        assert "-two\n+one" in tagged["diff"]["prepared"]
        assert (dest / "a.txt").read_text() == "one\n"

    def test_local_changes_need_force(self, tmp_path: Path, origin: dict[str, Any]) -> None:
        dest = tmp_path / "clone"
        env = origin["env"]
        run("git", task_env=env, repo=origin["url"], dest=str(dest))
        (dest / "a.txt").write_text("mine\n")
        refused = run("git", task_env=env, repo=origin["url"], dest=str(dest))
        assert refused["failed"] is True
        assert refused["msg"] == f"Local modifications exist in the destination: {dest} (force=no)."
        assert (dest / "a.txt").read_text() == "mine\n"
        forced = run("git", task_env=env, repo=origin["url"], dest=str(dest), force=True)
        assert forced["changed"] is True and (dest / "a.txt").read_text() == "two\n"

    def test_new_commits_upstream_and_update_no(self, tmp_path: Path, origin: dict[str, Any]) -> None:
        dest = tmp_path / "clone"
        env = origin["env"]
        run("git", task_env=env, repo=origin["url"], dest=str(dest))
        (origin["path"] / "a.txt").write_text("three\n")
        origin["git"]("commit", "-qam", "three")
        newest = origin["git"]("rev-parse", "HEAD")
        held = run("git", task_env=env, repo=origin["url"], dest=str(dest), update=False)
        assert held["changed"] is False and held["after"] == origin["head"]
        preview = run("git", check=True, task_env=env, repo=origin["url"], dest=str(dest))
        assert preview["changed"] is True and preview["after"] == newest
        assert (dest / "a.txt").read_text() == "two\n"
        pulled = run("git", task_env=env, repo=origin["url"], dest=str(dest))
        assert pulled["before"] == origin["head"] and pulled["after"] == newest
        assert (dest / "a.txt").read_text() == "three\n"

    def test_shallow_and_bare(self, tmp_path: Path, origin: dict[str, Any]) -> None:
        env = origin["env"]
        shallow = tmp_path / "shallow"
        assert run("git", task_env=env, repo=origin["url"], dest=str(shallow), depth=1)["changed"] is True
        count = origin["git"]("rev-list", "--count", "HEAD", cwd=shallow)
        assert count == "1"
        bare = tmp_path / "bare.git"
        result = run("git", task_env=env, repo=origin["url"], dest=str(bare), bare=True)
        assert result["after"] == origin["head"] and (bare / "HEAD").is_file() and not (bare / "a.txt").exists()

    def test_missing_dest_and_bad_repo(self, tmp_path: Path, origin: dict[str, Any]) -> None:
        assert run("git", repo=origin["url"])["msg"] == "the destination directory must be specified unless clone=no"
        bad = run("git", task_env=origin["env"], repo=f"file://{tmp_path}/nothing", dest=str(tmp_path / "x"))
        assert bad["failed"] is True and not (tmp_path / "x").exists()


# =========================================================================== unarchive
def make_tar(path: Path, members: dict[str, Any], mode: str = "w:gz") -> Path:
    """members: name -> bytes (a file), None (a folder), or ('link', target)."""
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.uname = info.gname = "root"
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o640 if name.endswith(".key") else 0o644
                archive.addfile(info, io.BytesIO(data))
    return path


TREE = {"app": None, "app/bin": None, "app/bin/run": b"#!/bin/sh\necho run\n", "app/conf.key": b"secret\n",
        "app/latest": ("link", "bin/run")}


class TestUnarchive:
    def test_tar_gz_check_then_unpack_then_nothing_to_do(self, tmp_path: Path) -> None:
        archive = make_tar(tmp_path / "app.tar.gz", TREE)
        dest = tmp_path / "dest"
        dest.mkdir()
        preview = run("unarchive", check=True, src=str(archive), dest=str(dest), remote_src=True)
        assert preview["changed"] is True and list(dest.iterdir()) == []
        done = run("unarchive", src=str(archive), dest=str(dest), remote_src=True, list_files=True)
        assert done["changed"] is True and done["handler"] == "TgzArchive" and done["state"] == "directory"
        assert done["files"] == ["app/", "app/bin/", "app/bin/run", "app/conf.key", "app/latest"]
        assert (dest / "app/bin/run").read_bytes() == b"#!/bin/sh\necho run\n"
        assert os.stat(dest / "app/conf.key").st_mode & 0o777 == 0o640
        assert os.readlink(dest / "app/latest") == "bin/run"
        assert int(os.stat(dest / "app/bin/run").st_mtime) == 1_700_000_000
        assert run("unarchive", src=str(archive), dest=str(dest), remote_src=True)["changed"] is False
        (dest / "app/conf.key").write_bytes(b"SECRET\n")  # same size, other content
        os.utime(dest / "app/conf.key", (1_700_000_000, 1_700_000_000))
        assert run("unarchive", check=True, src=str(archive), dest=str(dest), remote_src=True)["changed"] is True
        assert run("unarchive", src=str(archive), dest=str(dest), remote_src=True)["changed"] is True
        assert (dest / "app/conf.key").read_bytes() == b"secret\n"

    def test_zip(self, tmp_path: Path) -> None:
        archive = tmp_path / "site.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("site/", "")
            handle.writestr("site/index.html", "<h1>hi</h1>\n")
        dest = tmp_path / "www"
        dest.mkdir()
        done = run("unarchive", src=str(archive), dest=str(dest), remote_src=True, mode="0750")
        assert done["changed"] is True and done["handler"] == "ZipArchive"
        assert (dest / "site/index.html").read_text() == "<h1>hi</h1>\n"
        assert os.stat(dest / "site/index.html").st_mode & 0o777 == 0o750
        assert run("unarchive", src=str(archive), dest=str(dest), remote_src=True, mode="0750")["changed"] is False

    def test_strip_components_include_exclude_and_creates(self, tmp_path: Path) -> None:
        archive = make_tar(tmp_path / "app.tar", TREE, mode="w")
        dest = tmp_path / "flat"
        dest.mkdir()
        done = run("unarchive", src=str(archive), dest=str(dest), remote_src=True,
                   extra_opts=["--strip-components=1"], exclude=["app/conf.key"])
        assert done["handler"] == "TarArchive"
        assert (dest / "bin/run").exists() and not (dest / "conf.key").exists() and not (dest / "app").exists()
        skipped = run("unarchive", src=str(archive), dest=str(dest), remote_src=True, creates=str(dest / "bin"))
        assert skipped == {**skipped, "changed": False, "skipped": True,
                           "msg": f"skipped, since {dest / 'bin'} exists"}
        only = tmp_path / "only"
        only.mkdir()
        run("unarchive", src=str(archive), dest=str(only), remote_src=True, include=["app/bin/run"])
        assert sorted(str(p.relative_to(only)) for p in only.rglob("*")) == ["app", "app/bin", "app/bin/run"]
        assert "not supported" in run("unarchive", src=str(archive), dest=str(only), remote_src=True,
                                      extra_opts=["--wildcards"])["msg"]

    def test_refuses_to_write_outside_dest(self, tmp_path: Path) -> None:
        dest = tmp_path / "dest"
        dest.mkdir()
        evil = make_tar(tmp_path / "evil.tgz", {"ok.txt": b"fine\n", "../escaped.txt": b"bad\n"})
        result = run("unarchive", src=str(evil), dest=str(dest), remote_src=True)
        assert result["failed"] is True and "outside" in result["msg"]
        linked = make_tar(tmp_path / "linked.tgz", {"out": ("link", str(tmp_path)), "out/escaped.txt": b"bad\n"})
        assert "symlink" in run("unarchive", src=str(linked), dest=str(dest), remote_src=True)["msg"]
        assert not (tmp_path / "escaped.txt").exists()

    def test_bad_inputs(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.tgz"
        junk.write_text("not an archive\n")
        assert run("unarchive", src=str(junk), dest=str(tmp_path), remote_src=True)["msg"].startswith(
            f'Failed to find handler for "{junk}".')
        assert run("unarchive", src=str(tmp_path / "none.tgz"), dest=str(tmp_path), remote_src=True)["msg"] == \
            f"Source '{tmp_path / 'none.tgz'}' does not exist"
        archive = make_tar(tmp_path / "a.tgz", {"f": b"x"})
        assert run("unarchive", src=str(archive), dest=str(tmp_path / "nodir"), remote_src=True)["msg"] == \
            f"dest '{tmp_path / 'nodir'}' must be an existing dir"

    def test_playbook_unpacks_and_then_reports_ok(self, tmp_path: Path) -> None:
        archive = make_tar(tmp_path / "app.tgz", TREE)
        dest = tmp_path / "opt"
        dest.mkdir()
        playbook = write(tmp_path / "unpack.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - unarchive: src={archive} dest={dest} remote_src=yes
                  register: first
                - ansible.builtin.unarchive:
                    src: {archive}
                    dest: {dest}
                    remote_src: true
                  register: second
                - debug: var=first
                - debug: var=second
            """)
        result = miniplay("run", str(playbook))
        assert result.rc == 0, result.stdout + result.stderr
        values = result.debug_values()
        assert values["first"]["changed"] is True and values["second"]["changed"] is False
        assert (dest / "app/bin/run").read_text() == "#!/bin/sh\necho run\n"


# =========================================================================== uri
class _Handler(http.server.BaseHTTPRequestHandler):
    """Echoes requests as JSON; a few paths behave specially."""

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/echo")
            self.end_headers()
            return
        if self.path == "/file":
            data = b"file body\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if self.path == "/missing":
            self.send_error(404, "Nothing here")
            return
        data = json.dumps({"method": self.command, "path": self.path, "body": body,
                           "type": self.headers.get("Content-Type"), "auth": self.headers.get("Authorization"),
                           "x": self.headers.get("X-Test")}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _reply

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class TestUri:
    def test_get_json(self, server: str) -> None:
        result = run("uri", url=f"{server}/echo")
        assert result["status"] == 200 and result["changed"] is False and result["redirected"] is False
        assert result["json"] == {"method": "GET", "path": "/echo", "body": "", "type": None, "auth": None,
                                  "x": None}
        assert result["content_type"] == "application/json" and result["msg"] == f"OK ({result['content_length']} bytes)"
        assert result["cookies"] == {"session": "abc"} and result["cookies_string"] == "session=abc"
        assert "content" not in result

    def test_post_json_form_and_headers(self, server: str) -> None:
        posted = run("uri", url=f"{server}/echo", method="POST", body_format="json", body={"a": 1},
                     headers={"X-Test": "yes"}, status_code=[201], return_content=True)
        assert posted["status"] == 201 and json.loads(posted["json"]["body"]) == {"a": 1}
        assert posted["json"]["type"] == "application/json" and posted["json"]["x"] == "yes"
        assert json.loads(posted["content"]) == posted["json"]
        form = run("uri", url=f"{server}/echo", method="PUT", body_format="form-urlencoded",
                   body={"name": "a b", "tags": ["x", "y"]})
        assert form["json"]["body"] == "name=a+b&tags=x&tags=y"
        assert form["json"]["type"] == "application/x-www-form-urlencoded"

    def test_status_codes_and_failures(self, server: str) -> None:
        missing = run("uri", url=f"{server}/missing")
        assert missing["failed"] is True and missing["status"] == 404
        assert missing["msg"] == "Status code was 404 and not [200]: HTTP Error 404: Nothing here"
        assert run("uri", url=f"{server}/missing", status_code=[404]).get("failed") is None
        posted = run("uri", url=f"{server}/echo", method="POST")
        assert posted["msg"] == "Status code was 201 and not [200]: OK (" + posted["content_length"] + " bytes)"
        refused = run("uri", url="http://127.0.0.1:9/nothing", timeout=5)
        assert refused["status"] == -1 and refused["msg"].startswith("Status code was -1 and not [200]: Request failed")
        assert run("uri", url=f"{server}/echo", method="get me")["msg"].startswith("Parameter 'method' needs")

    def test_redirects(self, server: str) -> None:
        followed = run("uri", url=f"{server}/redirect")
        assert followed["redirected"] is True and followed["url"] == f"{server}/echo" and followed["status"] == 200
        stopped = run("uri", url=f"{server}/redirect", method="POST", body="x")
        assert stopped["status"] == 302 and stopped["location"] == f"{server}/echo"
        assert run("uri", url=f"{server}/redirect", follow_redirects="none")["status"] == 302
        everywhere = run("uri", url=f"{server}/redirect", method="POST", body="x", follow_redirects="all")
        assert everywhere["status"] == 200 and everywhere["json"]["method"] == "GET"

    def test_basic_auth_is_never_shown(self, server: str) -> None:
        result = run("uri", url=f"{server}/echo", url_username="alice", url_password="s3cret",
                     force_basic_auth=True)
        assert result["json"]["auth"] == "Basic YWxpY2U6czNjcmV0"
        assert result["invocation"]["module_args"]["url_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    def test_dest_creates_and_check_mode(self, server: str, tmp_path: Path) -> None:
        dest = tmp_path / "saved.txt"
        saved = run("uri", url=f"{server}/file", dest=str(dest), mode="0600")
        assert saved["changed"] is True and saved["path"] == str(dest) and dest.read_text() == "file body\n"
        assert saved["mode"] == "0600"
        folder = run("uri", url=f"{server}/file", dest=str(tmp_path))
        assert folder["path"] == str(tmp_path / "index.html") and (tmp_path / "index.html").exists()
        skipped = run("uri", url=f"{server}/file", creates=str(dest))
        assert skipped == {**skipped, "changed": False, "stdout": f"skipped, since '{dest}' exists"}
        assert run("uri", check=True, url=f"{server}/file")["skipped"] is True

    def test_playbook_calls_an_api(self, server: str, tmp_path: Path) -> None:
        playbook = write(tmp_path / "api.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - uri:
                    url: {server}/echo
                    method: POST
                    body_format: json
                    body: {{name: alice}}
                    status_code: [201]
                  register: created
                - debug: var=created.json
            """)
        result = miniplay("run", str(playbook))
        assert result.rc == 0, result.stdout + result.stderr
        assert json.loads(result.debug_values()["created.json"]["body"]) == {"name": "alice"}


# =========================================================================== packages and services by playbook
@needs_apt
def test_playbook_packages_and_services(tmp_path: Path) -> None:
    """An installed package is ok (not changed); a service's boot state is read, not changed."""
    tasks = ["- apt: name=dpkg state=present", "  register: pkg",
             "- package:", "    name: [dpkg, apt]", "  register: both",
             "- debug: var=pkg", "- debug: var=both"]
    name = None
    if not SYSTEMD:
        name = init_script()
        tasks += [f"- service: name={name} enabled={'yes' if boot_enabled(name) else 'no'}", "  register: svc",
                  "- debug: var=svc"]
    playbook = tmp_path / "base.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        + "".join(f"    {line}\n" for line in tasks))
    result = miniplay("run", str(playbook))
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values["pkg"]["changed"] is False and values["pkg"]["cache_updated"] is False
    assert values["both"]["changed"] is False
    if name:
        assert values["svc"] == {**values["svc"], "changed": False, "name": name}
    assert "changed=0" in result.stdout
