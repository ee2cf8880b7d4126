"""Ansible Vault through the CLI: `miniplay vault ...` against ansible-vault (both ways), and
playbooks holding vault data run side by side with ansible-playbook."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import compare, require_ansible

PASSWORD = "correct horse"
DEV_PASSWORD = "dev battery"
SECRET = "s3cr3t-Plaintext-4711"


def ansible_vault(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    tool = Path(require_ansible()).parent / "ansible-vault"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PYTHONWARNINGS="ignore", PYTHONPATH="")
    return subprocess.run([str(tool), *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin,
                          timeout=120)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """A folder with two password files: `pw` (default id) and `dev.pw` (vault id `dev`)."""
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    (tmp_path / "dev.pw").write_text(DEV_PASSWORD)
    return tmp_path


def encrypt_string(cwd: Path, value: str, name: str, *secret_args: str) -> str:
    done = miniplay("vault", "encrypt_string", *secret_args, value, "--name", name, cwd=cwd)
    assert done.rc == 0, done.stderr
    return done.stdout


# ----------------------------------------------------------------------------- the command
@pytest.mark.parametrize("ids", [["--vault-password-file", "pw"], ["--vault-id", "dev@dev.pw"]])
def test_files_encrypted_by_each_tool_decrypt_with_the_other(keys: Path, ids: list[str]) -> None:
    write(keys / "ours.txt", f"ours: {SECRET}\n")
    write(keys / "theirs.txt", f"theirs: {SECRET}\n")
    done = miniplay("vault", "encrypt", *ids, "ours.txt", cwd=keys)
    assert done.rc == 0 and "Encryption successful" in done.stderr
    header = (keys / "ours.txt").read_text().splitlines()[0]
    assert header == ("$ANSIBLE_VAULT;1.2;AES256;dev" if "dev@dev.pw" in ids else "$ANSIBLE_VAULT;1.1;AES256")
    assert SECRET not in (keys / "ours.txt").read_text()
    viewed = ansible_vault("view", *ids, "ours.txt", cwd=keys)
    assert viewed.returncode == 0, viewed.stderr
    assert viewed.stdout == f"ours: {SECRET}\n"

    assert ansible_vault("encrypt", *ids, "theirs.txt", cwd=keys).returncode == 0
    done = miniplay("vault", "view", *ids, "theirs.txt", cwd=keys)
    assert (done.rc, done.stdout) == (0, f"theirs: {SECRET}\n")
    done = miniplay("vault", "decrypt", *ids, "theirs.txt", "--output", "plain.txt", cwd=keys)
    assert done.rc == 0 and (keys / "plain.txt").read_text() == f"theirs: {SECRET}\n"
    assert (keys / "theirs.txt").read_text().startswith("$ANSIBLE_VAULT;")  # --output leaves the source


def test_encrypt_string_output_is_read_by_ansible_playbook_and_theirs_by_us(keys: Path) -> None:
    ours = encrypt_string(keys, SECRET, "from_us", "--vault-id", "dev@dev.pw")
    assert ours.startswith("from_us: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;dev\n")
    theirs = ansible_vault("encrypt_string", "--vault-password-file", "pw", "other-" + SECRET, "--name",
                           "from_them", cwd=keys)
    assert theirs.returncode == 0, theirs.stderr
    write(keys / "vars.yml", ours + theirs.stdout)
    write(keys / "hosts", "localhost ansible_connection=local\n")
    write(keys / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars_files: [vars.yml]
          tasks:
            - debug: var=from_us
            - debug: msg="{{ from_them | upper }}"
    """)
    ours_run, _ = compare(keys / "site.yml", keys / "hosts", "--vault-id", "dev@dev.pw",
                          "--vault-password-file", "pw")
    assert ours_run.debug_values() == {"from_us": SECRET, "msg": ("other-" + SECRET).upper()}


def test_encrypt_string_reads_stdin_and_names_it(keys: Path) -> None:
    done = miniplay("vault", "encrypt_string", "--vault-password-file", "pw", "--stdin-name", "token",
                    cwd=keys, stdin="from-stdin")
    assert done.rc == 0 and done.stdout.startswith("token: !vault |\n")
    block = "".join(line.strip() + "\n" for line in done.stdout.splitlines()[1:])
    write(keys / "raw.vault", block)
    viewed = ansible_vault("decrypt", "--vault-password-file", "pw", "--output", "-", "raw.vault", cwd=keys)
    assert (viewed.returncode, viewed.stdout) == (0, "from-stdin")
    shown = miniplay("vault", "view", "--vault-password-file", "pw", "raw.vault", cwd=keys)
    assert shown.stdout == ansible_vault("view", "--vault-password-file", "pw", "raw.vault", cwd=keys).stdout


def test_rekey_then_ansible_vault_reads_the_new_password_only(keys: Path) -> None:
    write(keys / "f.yml", f"x: {SECRET}\n")
    assert miniplay("vault", "encrypt", "--vault-password-file", "pw", "f.yml", cwd=keys).rc == 0
    done = miniplay("vault", "rekey", "--vault-password-file", "pw", "--new-vault-id", "dev@dev.pw", "f.yml",
                    cwd=keys)
    assert done.rc == 0 and "Rekey successful" in done.stderr
    assert (keys / "f.yml").read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;dev\n")
    assert ansible_vault("view", "--vault-password-file", "pw", "f.yml", cwd=keys).returncode != 0
    viewed = ansible_vault("view", "--vault-id", "dev@dev.pw", "f.yml", cwd=keys)
    assert viewed.stdout == f"x: {SECRET}\n"


def test_encrypt_and_decrypt_stdin_to_stdout(keys: Path) -> None:
    done = miniplay("vault", "encrypt", "--vault-password-file", "pw", "--output", "-", cwd=keys, stdin=SECRET)
    assert done.rc == 0 and done.stdout.startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    back = miniplay("vault", "decrypt", "--vault-password-file", "pw", "--output", "-", cwd=keys, stdin=done.stdout)
    assert (back.rc, back.stdout) == (0, SECRET)


def test_create_and_edit_go_through_the_editor(keys: Path) -> None:
    editor = write(keys / "editor.sh", """
        #!/bin/sh
        if [ -s "$1" ]; then sed -i 's/one/two/' "$1"; else printf 'value: one\\n' > "$1"; fi
    """)
    editor.chmod(0o755)
    env = {"EDITOR": str(editor)}
    done = miniplay("vault", "create", "--vault-id", "dev@dev.pw", "new.yml", cwd=keys, env=env)
    assert done.rc == 0, done.stderr
    assert stat.S_IMODE((keys / "new.yml").stat().st_mode) == 0o600
    assert ansible_vault("view", "--vault-id", "dev@dev.pw", "new.yml", cwd=keys).stdout == "value: one\n"
    done = miniplay("vault", "edit", "--vault-id", "dev@dev.pw", "new.yml", cwd=keys, env=env)
    assert done.rc == 0, done.stderr
    text = (keys / "new.yml").read_text()
    assert text.startswith("$ANSIBLE_VAULT;1.2;AES256;dev\n") and "two" not in text
    assert ansible_vault("view", "--vault-id", "dev@dev.pw", "new.yml", cwd=keys).stdout == "value: two\n"
    again = miniplay("vault", "create", "--vault-id", "dev@dev.pw", "new.yml", cwd=keys, env=env)
    assert again.rc == 1 and "new.yml exists, please use 'edit' instead" in again.stderr


def test_wrong_password_leaves_the_file_encrypted_and_names_it(keys: Path) -> None:
    write(keys / "f.yml", f"x: {SECRET}\n")
    assert miniplay("vault", "encrypt", "--vault-id", "dev@dev.pw", "f.yml", cwd=keys).rc == 0
    before = (keys / "f.yml").read_text()
    done = miniplay("vault", "decrypt", "--vault-password-file", "pw", "f.yml", cwd=keys)
    theirs = ansible_vault("decrypt", "--vault-password-file", "pw", "f.yml", cwd=keys)
    assert done.rc == theirs.returncode == 1
    assert "Decryption failed (no vault secrets were found that could decrypt) for vault id 'dev'" in done.stderr
    assert "vault ids tried: default" in done.stderr and "f.yml" in done.stderr
    assert (keys / "f.yml").read_text() == before and SECRET not in done.stdout + done.stderr


def test_two_vault_ids_need_encrypt_vault_id(keys: Path) -> None:
    write(keys / "f.yml", "x: 1\n")
    args = ("--vault-password-file", "pw", "--vault-id", "dev@dev.pw", "f.yml")
    done = miniplay("vault", "encrypt", *args, cwd=keys)
    assert done.rc == ansible_vault("encrypt", *args, cwd=keys).returncode == 5
    assert "Specify the vault-id to encrypt with --encrypt-vault-id" in done.stderr
    assert miniplay("vault", "encrypt", *args, "--encrypt-vault-id", "dev", cwd=keys).rc == 0
    assert (keys / "f.yml").read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;dev\n")


# ----------------------------------------------------------------------------- playbooks
def _vaulted_project(base: Path) -> Path:
    """A project with vault data in every place Ansible reads it, keyed by `pw` and `dev.pw`."""
    project = base / "project"
    project.mkdir()
    (project / "pw").write_text(PASSWORD + "\n")
    (project / "dev.pw").write_text(DEV_PASSWORD)
    dev = ("--vault-id", "dev@dev.pw")
    default = ("--vault-password-file", "pw")
    write(project / "inventory.yml", "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
          "  vars:\n" + "".join("    " + line + "\n" for line in
                                encrypt_string(project, "inv-" + SECRET, "inv_secret", *dev).splitlines()))
    write(project / "group_vars/all.yml", encrypt_string(project, "gv-" + SECRET, "gv_secret", *default))
    for name, text in {"host_vars/localhost.yml": "hv_secret: hv-whole-file\n",
                       "vars/included.yml": "inc_secret: included-whole-file\n",
                       "extra.yml": "ev_secret: extra-whole-file\n",
                       "files/payload.txt": "payload-whole-file\n",
                       "templates/t.j2": "rendered {{ gv_secret }}\n"}.items():
        write(project / name, text)
        assert miniplay("vault", "encrypt", *dev, name, cwd=project).rc == 0
    play_secret = "".join("      " + line + "\n" for line in
                          encrypt_string(project, "play-" + SECRET, "x", *dev).splitlines()[1:])
    (project / "site.yml").write_text(
        "- hosts: all\n"
        "  gather_facts: false\n"
        "  vars:\n"
        "    play_secret: !vault |\n" + play_secret +
        "    never_used: !vault |\n"
        "      $ANSIBLE_VAULT;1.2;AES256;nobody\n"
        "      3635\n" + textwrap.indent(textwrap.dedent("""\
          tasks:
            - debug: var=inv_secret
            - debug: var=gv_secret
            - debug: var=hv_secret
            - debug: var=play_secret
            - include_vars: included.yml
            - debug: var=inc_secret
            - debug: var=ev_secret
            - debug: msg="{{ lookup('file', 'payload.txt') }}"
            - copy: src=payload.txt dest={{ playbook_dir }}/out/copied.txt
            - template: src=t.j2 dest={{ playbook_dir }}/out/rendered.txt
            - debug: msg="{{ lookup('file', playbook_dir ~ '/out/copied.txt') }} / {{ lookup('file', playbook_dir ~ '/out/rendered.txt') }}"
        """), "  "))
    (project / "out").mkdir()
    return project


def test_vault_data_everywhere_matches_ansible_playbook(tmp_path: Path) -> None:
    project = _vaulted_project(tmp_path)
    ours, _ = compare(project / "site.yml", project / "inventory.yml", "-e", "@extra.yml",
                      "--vault-id", "dev@dev.pw", "--vault-password-file", "pw")
    values = ours.debug_values()
    assert values["inv_secret"] == "inv-" + SECRET and values["gv_secret"] == "gv-" + SECRET
    assert values["hv_secret"] == "hv-whole-file" and values["play_secret"] == "play-" + SECRET
    assert values["inc_secret"] == "included-whole-file" and values["ev_secret"] == "extra-whole-file"
    assert values["msg"] == f"payload-whole-file / rendered gv-{SECRET}"


def test_secrets_from_environment_config_and_scripts(tmp_path: Path) -> None:
    project = _vaulted_project(tmp_path)
    script = write(project / "dev-client.sh", f"""
        #!/bin/sh
        [ "$1" = --vault-id ] && [ "$2" = dev ] && echo '{DEV_PASSWORD}'
    """)
    script.chmod(0o755)
    write(project / "ansible.cfg", "[defaults]\nvault_password_file = pw\nvault_identity_list = dev@dev-client.sh\n")
    done = miniplay("run", "-i", "inventory.yml", "site.yml", "-e", "@extra.yml", cwd=project)
    assert done.rc == 0, done.stdout + done.stderr
    assert done.debug_values()["inv_secret"] == "inv-" + SECRET
    os.unlink(project / "ansible.cfg")
    done = miniplay("run", "-i", "inventory.yml", "site.yml", "-e", "@extra.yml", cwd=project,
                    env={"ANSIBLE_VAULT_PASSWORD_FILE": "pw", "ANSIBLE_VAULT_IDENTITY_LIST": "dev@dev.pw"})
    assert done.rc == 0, done.stdout + done.stderr
    done = miniplay("run", "-i", "inventory.yml", "site.yml", "-e", "@extra.yml", "--vault-id", "dev@dev.pw", "-J",
                    cwd=project, stdin=PASSWORD + "\n")
    assert done.rc == 0, done.stdout + done.stderr
    assert done.debug_values()["gv_secret"] == "gv-" + SECRET


def test_unused_vault_values_need_no_secret(tmp_path: Path) -> None:
    write(tmp_path / "pw", PASSWORD)
    block = encrypt_string(tmp_path, SECRET, "unused", "--vault-password-file", "pw")
    write(tmp_path / "p/hosts", "localhost ansible_connection=local\n")
    write(tmp_path / "p/site.yml", "- hosts: all\n  gather_facts: false\n  vars:\n" +
          "".join("    " + line + "\n" for line in block.splitlines()) + "  tasks:\n    - debug: msg=fine\n")
    compare(tmp_path / "p/site.yml", tmp_path / "p/hosts")


def test_wrong_password_for_an_inline_value_fails_the_task_naming_file_line_and_ids(tmp_path: Path) -> None:
    project = _vaulted_project(tmp_path)
    args = ("-i", "inventory.yml", "site.yml", "-e", "@extra.yml")
    (project / "wrong.pw").write_text("not it")
    secrets = ("--vault-id", "dev@dev.pw", "--vault-id", "other@wrong.pw")
    ours = miniplay("run", *args, *secrets, cwd=project)
    theirs = subprocess.run([require_ansible(), *args, *secrets], cwd=project, capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", "ANSIBLE_NOCOLOR": "1"})
    assert ours.rc == theirs.returncode == 2, ours.stdout + ours.stderr
    fatal = [line for line in ours.stdout.splitlines() if line.startswith("fatal:")]
    assert len(fatal) == 1 and "Attempt to use undecryptable variable: Decryption failed" in fatal[0]
    assert "inventory.yml:5:" in fatal[0] or "group_vars/all.yml:1:" in fatal[0]
    assert "vault ids tried: dev, other" in fatal[0]
    assert "gv-" + SECRET not in ours.stdout + ours.stderr  # inv_secret (other id) is printed by its debug


@pytest.mark.parametrize("secrets", [(), ("--vault-password-file", "wrong.pw")])
def test_undecryptable_vars_file_stops_the_run_with_exit_1_and_writes_nothing(tmp_path: Path, secrets) -> None:
    project = _vaulted_project(tmp_path)
    (project / "wrong.pw").write_text("not it")
    os.unlink(project / "host_vars/localhost.yml")
    write(project / "vaulted_play.yml", """
        - hosts: all
          gather_facts: false
          vars_files: [vars/included.yml]
          tasks:
            - copy: content="{{ inc_secret }}" dest={{ playbook_dir }}/out/leak.txt
    """)
    ours = miniplay("run", "-i", "inventory.yml", "vaulted_play.yml", *secrets, cwd=project)
    theirs = subprocess.run([require_ansible(), "-i", "inventory.yml", "vaulted_play.yml", *secrets], cwd=project,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", "ANSIBLE_NOCOLOR": "1"})
    assert ours.rc == theirs.returncode == 1
    assert "vars/included.yml" in ours.stderr and "for vault id 'dev'" in ours.stderr
    assert ("Attempting to decrypt but no vault secrets found" if not secrets else
            "Decryption failed (no vault secrets were found that could decrypt)") in ours.stderr
    assert not (project / "out/leak.txt").exists()


def test_decrypted_values_stay_out_of_events_traces_reports_and_job_files(tmp_path: Path) -> None:
    write(tmp_path / "pw", PASSWORD)
    block = encrypt_string(tmp_path, SECRET, "token", "--vault-password-file", "pw")
    home = tmp_path / "home"
    home.mkdir()
    write(tmp_path / "hosts", "localhost ansible_connection=local\n")
    write(tmp_path / "site.yml", "- hosts: all\n  gather_facts: false\n  vars:\n" +
          "".join("    " + line + "\n" for line in block.splitlines()) + f"""
  tasks:
    - copy: content="{{{{ token }}}}" dest={tmp_path}/token.txt mode=0600
    - assert: {{that: ["token | length == {len(SECRET)}"]}}
    - set_fact: {{digest: "{{{{ token | hash('sha1') }}}}"}}
    - command: test -s {tmp_path}/token.txt
      environment: {{TOKEN: "{{{{ token }}}}"}}
      async: 30
      poll: 1
    - shell: '[ "$TOKEN" = "$(cat {tmp_path}/token.txt)" ]'
      environment: {{TOKEN: "{{{{ token }}}}"}}
      async: 30
      poll: 0
      register: job
    - async_status: jid={{{{ job.ansible_job_id }}}}
      register: done
      until: done.finished
      retries: 20
      delay: 1
      when: token is defined
""")
    events, trace = tmp_path / "run.jsonl", tmp_path / "trace.json"
    done = miniplay("run", "-i", "hosts", "site.yml", "--vault-password-file", "pw", "-vvvv",
                    "--events", str(events), "--trace", str(trace), cwd=tmp_path, env={"HOME": str(home)})
    assert done.rc == 0, done.stdout + done.stderr
    assert (tmp_path / "token.txt").read_text() == SECRET  # the secret really was used
    report = tmp_path / "report.html"
    assert miniplay("report", str(events), "-o", str(report), cwd=tmp_path).rc == 0
    explained = miniplay("explain", str(events), cwd=tmp_path)
    outputs = {"stdout": done.stdout, "stderr": done.stderr, "events": events.read_text(),
               "trace": trace.read_text(), "report": report.read_text(), "explain": explained.stdout}
    async_dir = home / ".ansible_async"
    for job_file in async_dir.iterdir() if async_dir.exists() else []:
        outputs[f"job file {job_file.name}"] = job_file.read_text()
    assert any(name.startswith("job file") for name in outputs), "the poll: 0 job left no job file to check"
    leaks = [name for name, text in outputs.items() if SECRET in text]
    assert leaks == [], f"the vault plaintext appears in: {leaks}"
    json.loads(events.read_text().splitlines()[0])  # the event log is still well-formed


def test_debug_var_prints_a_vault_value_as_ansible_does(tmp_path: Path) -> None:
    write(tmp_path / "pw", PASSWORD)
    block = encrypt_string(tmp_path, "{{ 40 + 2 }}", "shown", "--vault-password-file", "pw")
    write(tmp_path / "p/hosts", "localhost ansible_connection=local\n")
    (tmp_path / "p/pw").write_text(PASSWORD)
    write(tmp_path / "p/site.yml", "- hosts: all\n  gather_facts: false\n  vars:\n" +
          "".join("    " + line + "\n" for line in block.splitlines()) +
          "  tasks:\n    - debug: var=shown\n    - debug: msg='{{ shown }}'\n")
    ours, _ = compare(tmp_path / "p/site.yml", tmp_path / "p/hosts", "--vault-password-file", "pw")
    assert ours.debug_values() == {"shown": "{{ 40 + 2 }}", "msg": "{{ 40 + 2 }}"}  # never templated


def test_include_vars_result_shows_inline_values_redacted_as_ansible_does(tmp_path: Path) -> None:
    write(tmp_path / "pw", PASSWORD)
    block = encrypt_string(tmp_path, SECRET, "inc", "--vault-password-file", "pw")
    write(tmp_path / "p/hosts", "localhost ansible_connection=local\n")
    (tmp_path / "p/pw").write_text(PASSWORD)
    write(tmp_path / "p/inline.yml", block)
    write(tmp_path / "p/site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - include_vars: inline.yml
            - debug: msg="{{ inc | length }}"
    """)
    ours, _ = compare(tmp_path / "p/site.yml", tmp_path / "p/hosts", "--vault-password-file", "pw", "-v")
    assert '"inc": "<redacted>"' in ours.stdout and SECRET not in ours.stdout


def test_vault_encrypted_test_follows_the_value_as_ansible_does(tmp_path: Path) -> None:
    write(tmp_path / "pw", PASSWORD)
    block = encrypt_string(tmp_path, SECRET, "token", "--vault-password-file", "pw")
    write(tmp_path / "p/hosts", "localhost ansible_connection=local\n")
    (tmp_path / "p/pw").write_text(PASSWORD)
    write(tmp_path / "p/vars.yml", block)
    write(tmp_path / "p/site.yml", """
        - hosts: all
          gather_facts: false
          vars_files: [vars.yml]
          tasks:
            - debug: msg="{{ token is vault_encrypted }} {{ 'x' is vault_encrypted }}"
            - set_fact: copied="{{ token }}"
            - debug: msg="{{ copied is vault_encrypted }} {{ (token ~ '') is vault_encrypted }}"
    """)
    compare(tmp_path / "p/site.yml", tmp_path / "p/hosts", "--vault-password-file", "pw")


def test_a_missing_password_file_is_one_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "hosts", "localhost ansible_connection=local\n")
    write(tmp_path / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n")
    done = miniplay("run", "-i", "hosts", "site.yml", "--vault-password-file", "nope.txt", cwd=tmp_path)
    assert done.rc == 1 and done.stdout == ""
    assert done.stderr.startswith(f"[ERROR]: The vault password file {tmp_path}/nope.txt was not found")
    assert "Traceback" not in done.stderr


def test_encrypt_string_prompt_and_adhoc_with_encrypted_extra_vars(keys: Path) -> None:
    done = miniplay("vault", "encrypt_string", "--vault-password-file", "pw", "-p", "--show-input",
                    "--stdin-name", "typed", cwd=keys, stdin="typed-" + SECRET + "\n")
    assert done.rc == 0 and done.stdout.startswith("typed: !vault |\n") and "String to encrypt: " in done.stderr
    write(keys / "extra.yml", done.stdout)
    shown = miniplay("adhoc", "localhost", "-m", "debug", "-a", "msg={{ typed }}", "-e", "@extra.yml",
                     "--vault-password-file", "pw", cwd=keys)
    assert shown.rc == 0 and f'"msg": "typed-{SECRET}"' in shown.stdout, shown.stdout + shown.stderr
