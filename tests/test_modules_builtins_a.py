"""Builtins added for issue 12 (group A), through the real CLI, on this machine and over SSH.

Each test runs a playbook against `target1` (the `target` fixture: local connection, then an
OpenSSH lab host) and checks what the module reported *and* what really happened: files
found on disk, packages really installed in a throwaway virtualenv, lines really added to a
known_hosts file. Nothing is faked. Side-by-side comparisons with ansible-core for the
deterministic outputs are in tests/differential/ (find_getent.yml, ...).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import write

LOCAL_PYTHON = "/usr/bin/python3"


def values(run) -> dict:
    assert run.rc == 0, run.stdout + run.stderr
    return run.debug_values()


# =========================================================================== find
def test_find_reports_matches_on_the_target(target) -> None:
    tree = target.workdir / "tree"
    (tree / "sub" / "deep").mkdir(parents=True)
    (tree / "a.txt").write_text("alpha\n")
    (tree / "b.log").write_text("b" * 5000)
    (tree / ".hidden.txt").write_text("h\n")
    (tree / "sub" / "c.txt").write_text("gamma\n")
    (tree / "sub" / "deep" / "d.txt").write_text("delta\n")
    os.utime(tree / "a.txt", (1_000_000_000, 1_000_000_000))  # 2001: old
    target.chown(tree)
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - find: {{paths: "{tree}", patterns: "*.txt", recurse: true}}
              register: txt
            - find: {{paths: "{tree}", age: 4w}}
              register: old
            - find: {{paths: "{tree}", size: 4k}}
              register: big
            - find: {{paths: "{tree}", contains: "gam", recurse: true, depth: 2}}
              register: has
            - find: {{paths: "{tree}", file_type: directory, recurse: true}}
              register: dirs
            - debug:
                msg:
                  txt: "{{{{ txt.files | map(attribute='path') | sort }}}}"
                  counts: "{{{{ [txt.matched, txt.examined] }}}}"
                  old: "{{{{ old.files | map(attribute='path') | list }}}}"
                  big: "{{{{ big.files | map(attribute='size') | list }}}}"
                  has: "{{{{ has.files | map(attribute='path') | list }}}}"
                  dirs: "{{{{ dirs.files | map(attribute='path') | sort }}}}"
                  owner: "{{{{ txt.files[0].pw_name }}}}"
    """)
    msg = values(run)["msg"]
    assert msg["txt"] == [str(tree / "a.txt"), str(tree / "sub" / "c.txt"), str(tree / "sub" / "deep" / "d.txt")]
    assert msg["counts"] == [3, 7]  # .hidden.txt is examined but not matched
    assert msg["old"] == [str(tree / "a.txt")]
    assert msg["big"] == [5000]
    assert msg["has"] == [str(tree / "sub" / "c.txt")]
    assert msg["dirs"] == [str(tree / "sub"), str(tree / "sub" / "deep")]
    assert msg["owner"] == target.user


def test_find_missing_path_warns_and_bad_size_fails(target) -> None:
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - find: {{paths: ["{target.workdir}", "{target.workdir}/nowhere"]}}
              register: r
            - debug: msg="{{{{ r.msg }}}} {{{{ r.skipped_paths | list }}}}"
            - find: {{paths: "{target.workdir}", size: lots}}
    """)
    assert run.rc == 2
    assert f"[WARNING]: Skipped '{target.workdir}/nowhere' path due to this access issue: " \
           f"'{target.workdir}/nowhere' is not a directory" in run.stderr
    assert f"Not all paths examined, check warnings for details ['{target.workdir}/nowhere']" in run.stdout
    assert 'FAILED! => {"changed": false, "msg": "failed to process size", "size": "lots"}' in run.stdout


# =========================================================================== getent
def test_getent_sets_facts_from_the_target_databases(target) -> None:
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - getent: {{database: passwd, key: "{target.user}"}}
            - set_fact: {{me: "{{{{ getent_passwd['{target.user}'] }}}}"}}
            - getent: {{database: passwd, key: nobody-here-mp, fail_key: false}}
            - getent: {{database: hosts, key: localhost}}
            - debug:
                msg:
                  me: "{{{{ me }}}}"
                  facts: "{{{{ ansible_facts.getent_passwd }}}}"
                  hosts: "{{{{ getent_hosts | list | length }}}}"
            - getent: {{database: passwd, key: nobody-here-mp}}
    """)
    assert run.rc == 2
    msg = run.debug_values()["msg"]
    import pwd

    entry = pwd.getpwnam(target.user)
    assert msg["me"] == ["x", str(entry.pw_uid), str(entry.pw_gid), entry.pw_gecos, entry.pw_dir, entry.pw_shell]
    assert msg["facts"] == {"nobody-here-mp": None}  # the later getent replaced the whole fact
    assert int(msg["hosts"]) >= 1
    assert "One or more supplied key could not be found in the database." in run.stdout


# =========================================================================== pip
def build_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, so pip installs offline with --no-index."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: miniplay-tests\nRoot-Is-Purelib: true\n"
                              "Tag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{k},,\n" for k in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def installed_version(venv: Path) -> str:
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", "import mpdemo; print(mpdemo.VERSION)"],
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "absent"


@pytest.mark.skipif(subprocess.run([LOCAL_PYTHON, "-c", "import ensurepip"]).returncode != 0,
                    reason="the system Python has no venv/ensurepip (apt-get install python3-venv)")
def test_pip_manages_packages_in_a_fresh_virtualenv(target) -> None:
    wheels = target.workdir / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "mpdemo", "1.0")
    build_wheel(wheels, "mpdemo", "2.0")
    target.chown(wheels)
    venv = target.workdir / "venv"
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          vars:
            offline: "--no-index --find-links {wheels}"
          tasks:
            - pip: {{name: mpdemo, version: "1.0", virtualenv: "{venv}",
                     virtualenv_command: "{LOCAL_PYTHON} -m venv", extra_args: "{{{{ offline }}}}"}}
              register: first
            - pip: {{name: "mpdemo==1.0", virtualenv: "{venv}"}}
              check_mode: true
              register: again
            - pip: {{name: "mpdemo>=2", virtualenv: "{venv}"}}
              check_mode: true
              register: newer
            - debug:
                msg: "{{{{ [first.changed, first.cmd[-1], again.changed, newer.changed, first.virtualenv] }}}}"
    """)
    assert values(run)["msg"] == [True, "mpdemo==1.0", False, True, str(venv)]
    assert installed_version(venv) == "1.0"

    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - pip: {{name: mpdemo, state: latest, virtualenv: "{venv}", extra_args: "--no-index --find-links {wheels}"}}
            - pip: {{name: mpdemo, state: absent, virtualenv: "{venv}"}}
              check_mode: true
    """)
    assert run.rc == 0 and run.stdout.count("changed: [target1]") == 2
    assert installed_version(venv) == "2.0"  # check mode removed nothing

    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - pip: {{name: mpdemo, state: absent, virtualenv: "{venv}"}}
            - pip: {{name: mpdemo, state: absent, virtualenv: "{venv}"}}
            - pip: {{name: [mpdemo, other], version: "1.0", virtualenv: "{venv}"}}
    """)
    assert run.rc == 2
    assert "changed: [target1]" in run.stdout and "ok: [target1]" in run.stdout
    assert "'version' argument is ambiguous when installing multiple package distributions." in run.stdout
    assert installed_version(venv) == "absent"


# =========================================================================== package_facts, service_facts
def dpkg_version(name: str) -> str:
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True).stdout


@pytest.mark.skipif(not os.path.exists("/var/lib/dpkg/status"), reason="not a dpkg host")
def test_package_facts_match_the_dpkg_database(target) -> None:
    run = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - package_facts: {manager: [apt]}
            - debug:
                msg:
                  dpkg: "{{ ansible_facts.packages['dpkg'] }}"
                  count: "{{ packages | length }}"
            - package_facts: {manager: [pacman]}
    """)
    assert run.rc == 2
    msg = run.debug_values()["msg"]
    assert msg["dpkg"][0]["version"] == dpkg_version("dpkg") and msg["dpkg"][0]["source"] == "apt"
    installed = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}\n"], capture_output=True,
                               text=True).stdout.split()
    assert int(msg["count"]) == sum(1 for s in installed if s[1] not in "nc")
    assert "Could not detect a supported package manager from the following list: ['pacman']" in run.stdout
    assert "[WARNING]: Requested package manager pacman was not usable by this module" in run.stderr


@pytest.mark.skipif(not os.path.exists("/etc/init.d/ssh"), reason="no ssh init script to look for")
def test_service_facts_report_init_scripts_and_their_state(target) -> None:
    run = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - service_facts:
            - debug: msg="{{ ansible_facts.services['ssh'] }}"
    """)
    status = subprocess.run(["/etc/init.d/ssh", "status"], capture_output=True).returncode
    entry = values(run)["msg"]
    assert entry["name"] == "ssh" and entry["source"] in ("sysv", "systemd")
    assert entry["state"] == ("running" if status == 0 else "stopped")


# =========================================================================== hostname
def test_hostname_check_mode_changes_nothing(target) -> None:
    before = Path("/etc/hostname").read_text() if Path("/etc/hostname").exists() else None
    run = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - hostname: {name: mp-never-set.example}
              check_mode: true
              diff: true
              register: would
            - debug: msg="{{ would.changed }} {{ ansible_hostname }} {{ ansible_nodename }}"
    """)
    assert values(run)["msg"] == "True mp-never-set mp-never-set.example"
    assert "+hostname = mp-never-set.example" in run.stdout
    assert (Path("/etc/hostname").read_text() if Path("/etc/hostname").exists() else None) == before


UNSHARE = "/usr/bin/unshare"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(UNSHARE) or os.path.isdir("/run/systemd/system"),
                    reason="needs root, unshare and a host without systemd (the name must be changed in a "
                           "private mount/UTS namespace, never on the real machine)")
def test_hostname_really_changes_the_name_file_inside_a_private_namespace(tmp_path: Path) -> None:
    """/etc/hostname is bind-mounted from a scratch file inside `unshare --mount --uts`: the real
    machine's name and file are never touched, but the module writes a real /etc/hostname."""
    scratch = tmp_path / "hostname"
    scratch.write_text("old-name\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - hostname: {name: mp-new-name}
              register: first
            - hostname: {name: mp-new-name}
              register: second
            - debug: msg="{{ first.changed }} {{ first.diff.before | trim }} {{ second.changed }}"
    """)
    import shlex
    import sys

    script = (f"mount --bind {shlex.quote(str(scratch))} /etc/hostname && "
              f"{shlex.quote(sys.executable)} -m miniplay run -D {shlex.quote(str(playbook))}")
    before = Path("/etc/hostname").read_text()
    proc = subprocess.run([UNSHARE, "--mount", "--uts", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"msg": "True hostname = old-name False"' in proc.stdout
    assert "-hostname = old-name\n+hostname = mp-new-name" in proc.stdout
    assert scratch.read_text() == "mp-new-name\n"
    assert Path("/etc/hostname").read_text() == before


# =========================================================================== known_hosts
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7++0PweTJK831v49WQxV3i6cJphs5nF1u4LdWoOsg3"
ED25519_NEW = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFN7neDErHaeJjknoFoR7AlNCoP9nMVimkxkizxA6v93"


def test_known_hosts_adds_replaces_and_removes_keys(target) -> None:
    path = target.workdir / "known_hosts"
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - known_hosts: {{name: git.example, key: "git.example {ED25519}", path: "{path}"}}
              register: added
            - known_hosts: {{name: git.example, key: "git.example {ED25519}", path: "{path}"}}
            - known_hosts: {{name: hidden.example, key: "hidden.example {ED25519}", path: "{path}", hash_host: true}}
            - known_hosts: {{name: git.example, key: "git.example {ED25519_NEW}", path: "{path}"}}
              check_mode: true
            - debug: msg="{{{{ [added.owner, added.mode, added.state, added.path] }}}}"
    """)
    assert values(run)["msg"] == [target.user, "0644" if target.kind == "ssh" else added_mode(), "file", str(path)]
    lines = path.read_text().splitlines()
    assert lines[0] == f"git.example {ED25519}"
    assert lines[1].startswith("|1|") and lines[1].endswith(ED25519)  # hashed, and ssh-keygen finds it
    assert subprocess.run(["ssh-keygen", "-F", "hidden.example", "-f", str(path)], capture_output=True,
                          text=True).stdout.count(ED25519) == 1
    assert len(lines) == 2  # check mode replaced nothing

    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - known_hosts: {{name: git.example, key: "git.example {ED25519_NEW}", path: "{path}"}}
            - known_hosts: {{name: hidden.example, path: "{path}", state: absent}}
            - known_hosts: {{name: hidden.example, path: "{path}", state: absent}}
            - known_hosts: {{name: git.example, key: "other.example {ED25519}", path: "{path}"}}
    """)
    assert run.rc == 2
    assert run.stdout.count("changed: [target1]") == 2 and run.stdout.count("ok: [target1]") == 1
    assert "Host parameter does not match hashed host field in supplied key" in run.stdout
    assert path.read_text() == f"git.example {ED25519_NEW}\n"


def added_mode() -> str:
    umask = os.umask(0)
    os.umask(umask)
    return "0%03o" % (0o666 & ~umask)


# =========================================================================== assemble
def test_assemble_joins_fragments_on_the_target_and_from_the_controller(target) -> None:
    fragments = target.workdir / "conf.d"
    fragments.mkdir()
    (fragments / "10-first").write_text("first\n")
    (fragments / "20-second").write_text("second")  # no newline: one is added before the next
    (fragments / "30-third").write_text("third\n")
    (fragments / ".swap").write_text("junk\n")
    target.chown(fragments)
    local = target.tmp_path / "files" / "motd.d"
    local.mkdir(parents=True)
    (local / "a").write_text("controller a\n")
    (local / "b").write_text("controller b\n")
    dest, motd = target.workdir / "app.conf", target.workdir / "motd"
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - assemble: {{src: "{fragments}", dest: "{dest}", ignore_hidden: true, delimiter: "# --", mode: "0640"}}
              register: first
            - assemble: {{src: "{fragments}", dest: "{dest}", ignore_hidden: true, delimiter: "# --", mode: "0640"}}
              register: second
            - assemble: {{src: "{fragments}", dest: "{dest}", regexp: "^[13]", backup: true}}
              check_mode: true
              register: would
            - assemble: {{src: motd.d, dest: "{motd}", remote_src: false}}
            - debug: msg="{{{{ [first.changed, second.changed, would.changed, first.mode, first.owner] }}}}"
    """)
    assert values(run)["msg"] == [True, False, True, "0640", target.user]
    assert dest.read_text() == "first\n# --\nsecond\n# --\nthird\n"
    assert [p.name for p in target.workdir.iterdir() if p.name.startswith("app.conf.")] == []  # check mode
    assert motd.read_text() == "controller a\ncontroller b\n"
    assert motd.stat().st_uid == dest.stat().st_uid


# =========================================================================== expect
def test_expect_answers_prompts_on_a_real_terminal(target) -> None:
    script = target.workdir / "ask.sh"
    script.write_text("#!/bin/sh\n"
                      "[ -t 0 ] || { echo 'no terminal'; exit 9; }\n"  # only a real tty will do
                      "printf 'User: '; read u\nprintf 'PIN: '; read p\nprintf 'PIN: '; read q\n"
                      "echo \"$u $p $q\" > \"$(dirname \"$0\")/answers\"\necho done\n")
    script.chmod(0o755)
    target.chown(script)
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - expect:
                command: {script}
                responses: {{"User:": alice, "PIN:": ["1111", "2222"]}}
                creates: {target.workdir}/never-there
              register: asked
            - debug: msg="{{{{ [asked.rc, asked.changed, asked.stdout_lines] }}}}"
            - expect:
                command: {script}
                responses: {{"User:": alice}}
                timeout: 1
    """)
    assert run.rc == 2
    assert run.debug_values()["msg"] == [0, True, ["User: PIN: PIN: done"]]
    assert (target.workdir / "answers").read_text() == "alice 1111 2222\n"
    assert '"msg": "command exceeded timeout", "rc": null' in run.stdout


# =========================================================================== mount_facts
def test_mount_facts_report_the_real_mount_table(target) -> None:
    run = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - mount_facts: {sources: [/proc/mounts]}
            - debug:
                msg: "{{ [ansible_facts.mount_points['/'].device, ansible_facts.mount_points['/'].fstype,
                          ansible_facts.mount_points['/'].size_total, mount_points | length] }}"
    """)
    device, fstype, size_total, count = values(run)["msg"]
    root = next(line.split() for line in Path("/proc/mounts").read_text().splitlines() if line.split()[1] == "/")
    assert [device, fstype] == root[:1] + root[2:3]
    st = os.statvfs("/")
    assert size_total == st.f_frsize * st.f_blocks
    assert count == len({line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()})


# =========================================================================== sysvinit
def test_sysvinit_starts_and_stops_an_init_script_service(target) -> None:
    marker = f"mp-sysv-{target.kind}-{os.getpid()}"
    script = target.workdir / "mysvc"
    script.write_text("#!/bin/sh\ncase \"$1\" in\n"
                      f"  start) nohup python3 -c 'import time; time.sleep(120)' {marker} >/dev/null 2>&1 &"
                      " echo started;;\n"
                      f"  stop) pkill -f {marker}; echo stopped;;\n"
                      "esac\n")
    script.chmod(0o755)
    target.chown(script)
    playbook = f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - sysvinit: {{name: "{script}", state: STATE, pattern: {marker}}}
              register: r
            - debug: msg="{{{{ [r.changed, r.status.STATE.stdout] }}}}"
    """
    try:
        run = target.run(playbook.replace("STATE", "started"))
        assert values(run)["msg"] == [True, "started\n"]
        assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0
        run = target.run(playbook.replace("STATE", "started"))
        assert values(run)["msg"] == [False, None]
        run = target.run(playbook.replace("STATE", "stopped"))
        assert values(run)["msg"] == [True, "stopped\n"]
        assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
    finally:
        subprocess.run(["pkill", "-f", marker])


# =========================================================================== subversion
needs_svn = pytest.mark.skipif(not (shutil.which("svn") and shutil.which("svnadmin")),
                               reason="subversion is not installed (apt-get install subversion; .ci/run does)")


@needs_svn
def test_subversion_checks_out_and_updates_a_working_copy(target) -> None:
    repo, seed, wc = target.workdir / "repo", target.workdir / "seed", target.workdir / "wc"
    url = f"file://{repo}/trunk"
    run = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - command: svnadmin create {repo}
            - command: svn mkdir -q -m init {url}
            - shell: svn checkout -q {url} {seed} && echo one > {seed}/a.txt && svn add -q {seed}/a.txt
                     && svn commit -q -m one {seed}
            - subversion: {{repo: "{url}", dest: "{wc}"}}
              register: first
            - shell: echo two > {seed}/a.txt && svn commit -q -m two {seed}
            - subversion: {{repo: "{url}", dest: "{wc}"}}
              check_mode: true
              register: would
            - subversion: {{repo: "{url}", dest: "{wc}"}}
              register: updated
            - debug: msg="{{{{ [first.changed, first.after, would.changed, would.after, updated.before, updated.after] }}}}"
    """)
    first_changed, first_after, would_changed, would_after, before, after = values(run)["msg"]
    assert first_changed is True and first_after == ["Revision: 2", f"URL: {url}"]
    assert would_changed is True and would_after == "Revision: 3"
    assert before == ["Revision: 2", f"URL: {url}"] and after == ["Revision: 3", f"URL: {url}"]
    assert (wc / "a.txt").read_text() == "two\n"



# =========================================================================== systemd_service
def test_systemd_service_is_the_systemd_module_under_its_other_name(tmp_path: Path) -> None:
    """Ansible 2.19's `systemd_service` is its `systemd` module; the same task gives the same result."""
    from helpers import miniplay

    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - systemd: {name: mp-no-such-unit, state: started}
              check_mode: true
              ignore_errors: true
              register: one
            - ansible.builtin.systemd_service: {name: mp-no-such-unit, state: started}
              check_mode: true
              ignore_errors: true
              register: two
            - debug: msg="{{ one == two }} {{ one.msg | default('') }}"
            - systemd_service: {name: x, bogus: 1}
    """)
    run = miniplay("run", str(playbook), cwd=tmp_path)
    assert run.rc == 2
    assert '"msg": "True ' in run.stdout
    assert "Unsupported parameters for (systemd_service) module: bogus." in run.stdout
