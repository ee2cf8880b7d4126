"""The `password` lookup through real playbooks: files on the controller, reuse, salts, races.

Byte-for-byte agreement with ansible-core (seeded passwords, hashes) is checked by
tests/differential/passwords.yml; these tests cover what a user sees in the files.
"""
from __future__ import annotations

import json
import stat
from pathlib import Path

from helpers import miniplay, write

from miniplay.templating.crypt.scheme import crypt_hash

INVENTORY = "".join(f"node{i} ansible_connection=local\n" for i in range(1, 9))


def _messages(stdout: str) -> dict[str, str]:
    """host → msg from each `ok: [host] => {...}` block a debug task prints."""
    found = {}
    for block in stdout.split("\nok: [")[1:]:
        host, _, rest = block.partition("] => ")
        found[host] = json.loads(rest[:rest.index("\n}") + 2])["msg"]
    return found


def _run(tmp_path: Path, expression: str, *extra: str) -> dict[str, str]:
    write(tmp_path / "inventory.ini", INVENTORY)
    write(tmp_path / "site.yml", f"""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{expression}"
        """)
    result = miniplay("run", "-i", "inventory.ini", "site.yml", "-f", "8", *extra, cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    return _messages(result.stdout)


def test_each_host_gets_its_own_file_and_keeps_it(tmp_path: Path) -> None:
    expression = "{{ lookup('password', 'credentials/' ~ inventory_hostname ~ ' length=15 chars=ascii_letters,digits') }}"
    first = _run(tmp_path, expression)
    assert len(first) == 8 and len(set(first.values())) == 8, "every host has its own password"
    for host, password in first.items():
        assert len(password) == 15 and password.isalnum()
        stored = tmp_path / "credentials" / host
        assert stored.read_text() == password + "\n"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "credentials").stat().st_mode) == 0o700
    assert _run(tmp_path, expression) == first, "a second run reads the stored passwords back"
    assert not [p for p in (tmp_path / "credentials").iterdir() if p.name.startswith(".")], "no temp files left"


def test_hosts_asking_for_one_file_at_once_all_get_the_same_password(tmp_path: Path) -> None:
    passwords = _run(tmp_path, "{{ lookup('password', 'shared/db_password') }}")
    assert len(passwords) == 8
    assert len(set(passwords.values())) == 1, passwords
    assert (tmp_path / "shared" / "db_password").read_text() == next(iter(passwords.values())) + "\n"


def test_dev_null_stores_nothing_and_chars_take_a_literal_comma(tmp_path: Path) -> None:
    passwords = _run(tmp_path, "{{ lookup('password', '/dev/null length=40 chars=digits,,') }}")
    assert len(set(passwords.values())) == 8, "a fresh password every time"
    assert all(len(p) == 40 and set(p) <= set("0123456789,") for p in passwords.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.ini", "site.yml"]


def test_encrypt_keeps_the_salt_so_the_hash_is_stable(tmp_path: Path) -> None:
    expression = "{{ lookup('password', 'credentials/' ~ inventory_hostname ~ ' encrypt=md5_crypt') }}"
    first = _run(tmp_path, expression)
    for host, hashed in first.items():
        plaintext, salt = (tmp_path / "credentials" / host).read_text().rstrip("\n").rsplit(" salt=", 1)
        assert len(plaintext) == 20 and len(salt) == 8
        assert hashed == crypt_hash(plaintext, "md5", salt=salt)
    assert _run(tmp_path, expression) == first


def test_a_stored_plain_password_gains_a_salt_when_encrypt_is_asked(tmp_path: Path) -> None:
    write(tmp_path / "credentials" / "node1", "opensesame\n")
    hashed = _run(tmp_path, "{{ lookup('password', 'credentials/node1 encrypt=sha256_crypt') }}")["node1"]
    plaintext, salt = (tmp_path / "credentials" / "node1").read_text().rstrip("\n").rsplit(" salt=", 1)
    assert plaintext == "opensesame" and len(salt) == 16
    assert hashed.startswith(f"$5$rounds=535000${salt}$") and hashed == crypt_hash("opensesame", "sha256", salt=salt)


def test_bad_options_fail_the_task_with_the_lookup_named(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - debug: msg="{{ lookup('password', 'creds/x lenght=8') }}"
              ignore_errors: true
            - debug: msg="{{ lookup('password', 'creds/x length=many') }}"
              ignore_errors: true
            - debug: msg="{{ lookup('password', 'creds/x encrypt=bcrypt') }}"
        """)
    result = miniplay("run", "site.yml", cwd=tmp_path)
    assert result.rc == 2
    assert "The lookup plugin 'password' failed: Unrecognized parameter(s) given to password lookup: lenght" \
        in result.stdout
    assert "The lookup plugin 'password' failed: the password lookup's length must be an integer, got 'many'" \
        in result.stdout
    assert "password_hash: unsupported hash type 'bcrypt'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
