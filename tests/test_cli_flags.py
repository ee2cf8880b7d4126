"""ansible-playbook's flags on `miniplay run`: -c, --step, the password files, and the flags
miniplay refuses or ignores — each through the real CLI, beside ansible-core where the output
is deterministic. Passwords read from files never show up anywhere."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, normalise, reference_env, require_ansible
from test_ssh import debug_by_host

LOCAL_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - command: echo one
      changed_when: true
      notify: said
    - name: second
      debug: msg=two
  handlers:
    - name: said
      debug: msg=handled
"""


def _long_flags(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_text))


def test_every_ansible_playbook_flag_is_known_to_miniplay_run() -> None:
    theirs = subprocess.run([require_ansible(), "--help"], capture_output=True, text=True,
                            env=reference_env(Path("/tmp"))).stdout
    ours = miniplay("run", "--help").stdout
    missing = _long_flags(theirs) - _long_flags(ours)
    assert not missing, f"ansible-playbook flags miniplay run does not know: {sorted(missing)}"
    flat = " ".join(ours.split())
    assert "-c CONNECTION, --connection CONNECTION" in flat and "ignored: miniplay does not use scp" in flat


def test_connection_flag_local_runs_like_ansible(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    write(tmp_path / "hosts", "web1 ansible_python_interpreter=/usr/bin/python3\n")
    ours = miniplay("run", "-i", "hosts", "-c", "local", "site.yml", cwd=tmp_path)
    theirs = ansible_playbook("-i", "hosts", "--connection", "local", "site.yml", cwd=tmp_path)
    assert ours.rc == theirs.rc == 0, ours.stdout + ours.stderr
    assert normalise(ours.stdout) == normalise(theirs.stdout)


@pytest.mark.parametrize("name, words", [("winrm", "does not implement Ansible's 'winrm' connection"),
                                         ("bogus", "the connection plugin 'bogus' was not found")])
def test_a_connection_miniplay_lacks_is_one_clear_sentence_exit_2(tmp_path: Path, name: str, words: str) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    result = miniplay("run", "-i", "web1,", "-c", name, "site.yml", cwd=tmp_path)
    assert result.rc == 2 and words in result.stderr and "-c/--connection takes local or ssh" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_usage_errors_exit_2_like_ansible_playbook(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    write(tmp_path / "pw", "secret\n")
    for args in (["--no-such-flag"], ["-k", "--connection-password-file", "pw"], ["-f", "many"]):
        ours = miniplay("run", *args, "site.yml", cwd=tmp_path)
        theirs = ansible_playbook(*args, "site.yml", cwd=tmp_path)
        assert ours.rc == theirs.rc == 2, (args, ours.stderr)
        assert "[ERROR]:" in ours.stderr and "Traceback" not in ours.stderr


def test_scp_and_sftp_arguments_are_accepted_and_said_to_be_ignored(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    result = miniplay("run", "-i", "web1,", "-c", "local", "--scp-extra-args=-l 100",
                      "--sftp-extra-args=-l 100", "site.yml", cwd=tmp_path)
    assert result.rc == 0, result.stderr
    assert "--scp-extra-args has nothing to apply to" in result.stderr
    assert "--sftp-extra-args has nothing to apply to" in result.stderr


def _step(engine: str, cwd: Path, answers: str) -> tuple[int, str]:
    args = ["-i", "web1,", "-c", "local", "--step", "site.yml"]
    if engine == "ansible":
        proc = subprocess.run([require_ansible(), *args], cwd=cwd, env=reference_env(cwd), input=answers,
                              capture_output=True, text=True, timeout=300)
    else:
        proc = subprocess.run([sys.executable, "-m", "miniplay", "run", *args], cwd=cwd, input=answers,
                              capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout


@pytest.mark.parametrize("answers", ["y\nn\ny\n", "n\nc\n", "yes\ny\nno\nno\n", "y\ny\nn\ny\n"])
def test_step_asks_before_each_task_as_ansible_does(tmp_path: Path, answers: str) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY.replace("- hosts: all", "- hosts: all\n  vars:\n"
                                                    "    ansible_python_interpreter: /usr/bin/python3"))
    ours, theirs = _step("miniplay", tmp_path, answers), _step("ansible", tmp_path, answers)
    assert ours == theirs
    assert "Perform task: TASK: second (N)o/(y)es/(c)ontinue: " in ours[1] or answers.startswith("n\nc")


def test_step_without_answers_stops_with_one_sentence(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    result = miniplay("run", "-i", "web1,", "-c", "local", "--step", "site.yml", cwd=tmp_path, stdin="")
    assert result.rc == 250  # where ansible-playbook stops too (its input() meets the end of input)
    assert "--step: standard input ended with no answer" in result.stderr and "Traceback" not in result.stderr
    assert "TASK [" not in result.stdout


def test_password_files_missing_or_empty_are_ansibles_errors(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", LOCAL_PLAY)
    (tmp_path / "empty").write_text("\n")
    for flag in ("--become-password-file", "--conn-pass-file"):
        ours = miniplay("run", "-i", "web1,", flag, "nothere", "site.yml", cwd=tmp_path)
        theirs = ansible_playbook("-i", "web1,", flag, "nothere", "site.yml", cwd=tmp_path)
        assert ours.rc == theirs.rc == 1
        assert ours.stderr.strip() == theirs.stderr.strip() == \
            f"[ERROR]: The password file {tmp_path / 'nothere'} was not found"
        empty = miniplay("run", "-i", "web1,", flag, "empty", "site.yml", cwd=tmp_path)
        assert empty.rc == 1 and f"Empty password was provided from file ({tmp_path / 'empty'})" in empty.stderr


@pytest.mark.usefixtures("sudo")
def test_password_files_log_in_and_become_and_never_show(ssh_hosts, tmp_path: Path) -> None:
    host = ssh_hosts[0]
    write(tmp_path / "hosts.ini", host.inventory_line("h1", become_password=False, key=False) + "\n")
    write(tmp_path / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - command: id -un
              become: true
              register: who
            - debug: var=who.stdout
        """)
    (tmp_path / "conn.pw").write_text(host.password + "\n")
    script = write(tmp_path / "become.sh", f"#!/bin/sh\necho '{host.password}'\n")
    script.chmod(0o755)
    events, trace = tmp_path / "events.jsonl", tmp_path / "trace.json"
    result = miniplay("run", "-vvvv", "-i", "hosts.ini", "site.yml", "--conn-pass-file", "conn.pw",
                      "--become-pass-file", str(script), "--events", str(events), "--trace", str(trace),
                      cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h1"]["who.stdout"] == "root"
    for text in (result.stdout, result.stderr, events.read_text(), trace.read_text()):
        assert host.password not in text


def test_every_ansible_flag_is_known_to_miniplay_adhoc() -> None:
    ansible = str(Path(require_ansible()).with_name("ansible"))
    theirs = subprocess.run([ansible, "--help"], capture_output=True, text=True, env=reference_env(Path("/tmp"))).stdout
    ours = miniplay("adhoc", "--help").stdout
    assert not _long_flags(theirs) - _long_flags(ours)


@pytest.mark.parametrize("args", [["all", "-l", "w2"], ["nothing"], ["all:!w1"], ["localhost"], ["web", "-l", "@retry"]])
def test_adhoc_list_hosts_as_ansible_lists_them(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path / "inv", "[web]\nw1\nw2\n[db]\nd1\n")
    write(tmp_path / "retry", "w2\n")
    ours = miniplay("adhoc", *args, "-i", "inv", "--list-hosts", cwd=tmp_path)
    theirs = subprocess.run([str(Path(require_ansible()).with_name("ansible")), *args, "-i", "inv", "--list-hosts"],
                            cwd=tmp_path, env=reference_env(tmp_path), capture_output=True, text=True)
    assert (ours.rc, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def test_adhoc_tree_output_is_refused_exit_2(tmp_path: Path) -> None:
    result = miniplay("adhoc", "localhost", "-a", "true", "-t", "out", cwd=tmp_path)
    assert result.rc == 2 and "does not write -t/--tree output files" in result.stderr and result.stdout == ""


def test_adhoc_task_timeout_stops_the_module_as_ansible_does(tmp_path: Path) -> None:
    args = ["localhost", "-m", "command", "-a", "sleep 30", "--task-timeout", "1"]
    ours = miniplay("adhoc", *args, cwd=tmp_path)
    theirs = subprocess.run([str(Path(require_ansible()).with_name("ansible")), *args], cwd=tmp_path,
                            env=reference_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert (ours.rc, ours.stdout) == (theirs.returncode, theirs.stdout) == (2, theirs.stdout)
    assert "Task failed: Timed out after 1 second(s)." in ours.stdout


def test_playbook_list_hosts_takes_a_limit_file(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", "- hosts: web\n  tasks: []\n- hosts: all\n  tasks: []\n")
    write(tmp_path / "inv", "[web]\nw1\nw2\n[db]\nd1\n")
    write(tmp_path / "retry", "w2\n")
    ours = miniplay("run", "-i", "inv", "--list-hosts", "-l", "@retry", "site.yml", cwd=tmp_path)
    theirs = ansible_playbook("-i", "inv", "--list-hosts", "-l", "@retry", "site.yml", cwd=tmp_path)
    assert (ours.rc, ours.stdout) == (theirs.rc, theirs.stdout) == (0, theirs.stdout)
    assert ours.stdout.count("hosts (1):\n      w2\n") == 2
    missing = miniplay("run", "-i", "inv", "--list-hosts", "-l", "@nothere", "site.yml", cwd=tmp_path)
    assert missing.rc == 1 and missing.stdout == "" and "Unable to find limit file nothere" in missing.stderr


def test_step_on_a_terminal(tmp_path: Path) -> None:
    from test_vars_prompt import run_on_terminal

    write(tmp_path / "site.yml", LOCAL_PLAY)
    rc, seen = run_on_terminal(["run", "-i", "web1,", "-c", "local", "--step", "site.yml",
                                "-e", "ansible_python_interpreter=/usr/bin/python3"], tmp_path,
                               [("TASK: command (N)o/(y)es/(c)ontinue: ", "y"),
                                ("TASK: second (N)o/(y)es/(c)ontinue: ", "n"),
                                ("HANDLER: said (N)o/(y)es/(c)ontinue: ", "c")], timeout=60)
    assert rc == 0, seen
    assert "TASK [command]" in seen and "TASK [second]" not in seen and "RUNNING HANDLER [said]" in seen
    assert re.search(r"web1 +: ok=2 +changed=1 ", seen)


def test_passwords_from_files_never_show_on_a_local_run(tmp_path: Path) -> None:
    secret = "pw-Zq8-never-shown"
    write(tmp_path / "site.yml", LOCAL_PLAY)
    (tmp_path / "conn.pw").write_text(secret + "\n")
    (tmp_path / "become.pw").write_text(secret + "-b\n")
    events, trace = tmp_path / "events.jsonl", tmp_path / "trace.json"
    result = miniplay("run", "-vvvv", "-i", "web1,", "-c", "local", "site.yml", "--conn-pass-file", "conn.pw",
                      "--become-pass-file", "become.pw", "--events", str(events), "--trace", str(trace),
                      "-e", "ansible_python_interpreter=/usr/bin/python3", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert events.stat().st_size and trace.stat().st_size
    for text in (result.stdout, result.stderr, events.read_text(), trace.read_text()):
        assert secret not in text
