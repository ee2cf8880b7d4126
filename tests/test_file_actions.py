"""The controller halves of copy, template, fetch, script and raw, through the real CLI.

Each test runs a small playbook on the implicit localhost (local connection) and
checks what really landed on disk, the registered values (printed with debug)
and the output lines, against what ansible-core 2.19 shows for the same playbook.
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from helpers import miniplay, write

RECAP = "localhost                  : ok={ok:<4} changed={changed:<4} unreachable=0    failed={failed:<4} " \
        "skipped={skipped:<4} rescued=0    ignored={ignored:<4}"


def recap(ok: int, changed: int, failed: int = 0, skipped: int = 0, ignored: int = 0) -> str:
    return RECAP.format(ok=ok, changed=changed, failed=failed, skipped=skipped, ignored=ignored)


def statuses(stdout: str) -> list[str]:
    """The per-host status words in order (ok/changed/skipping/fatal), debug tasks left out."""
    words = []
    for line in stdout.splitlines():
        for word in ("ok: [", "changed: [", "skipping: [", "fatal: ["):
            if line.startswith(word) and not line.endswith("=> {"):
                words.append(word.split(":")[0])
    return words


# =========================================================================== copy
def test_copy_file_tree_and_content_then_idempotent(tmp_path: Path) -> None:
    write(tmp_path / "files" / "hello.txt", "hello\n")
    write(tmp_path / "files" / "tree" / "a.txt", "a\n")
    write(tmp_path / "files" / "tree" / "sub" / "b.txt", "b\n")
    (tmp_path / "files" / "tree" / "empty").mkdir()
    script = write(tmp_path / "files" / "run.sh", "#!/bin/sh\n")
    script.chmod(0o750)
    out = tmp_path / "out"
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - file: path={out} state=directory
            - copy: src=hello.txt dest={out}/
              register: one
            - copy: src=tree dest={out}
              register: tree
            - copy: src=tree/ dest={out}/flat/
            - copy: content="inline {{{{ 1 + 1 }}}}\\n" dest={out}/content.txt
            - copy: src=run.sh dest={out} mode=preserve
            - copy: src={out}/hello.txt dest={out}/again.txt remote_src=true
            - debug: var=one
            - debug: var=tree
        """)
    first = miniplay("run", str(playbook), cwd=tmp_path)
    assert first.rc == 0, first.stdout + first.stderr
    assert (out / "hello.txt").read_text() == "hello\n"
    assert (out / "tree" / "a.txt").read_text() == "a\n"
    assert (out / "tree" / "sub" / "b.txt").read_text() == "b\n"
    assert (out / "tree" / "empty").is_dir()
    assert (out / "flat" / "sub" / "b.txt").read_text() == "b\n" and not (out / "flat" / "tree").exists()
    assert (out / "content.txt").read_text() == "inline 2\n"
    assert stat.S_IMODE(os.stat(out / "run.sh").st_mode) == 0o750
    assert (out / "again.txt").read_text() == "hello\n"
    values = first.debug_values()
    one = values["one"]
    assert one["changed"] is True and one["dest"] == f"{out}/hello.txt" and one["diff"] == []
    assert one["checksum"] == "f572d396fae9206628714fb2ce00f72e94f2258f" and one["size"] == 6
    assert values["tree"] == {"changed": True, "dest": f"{out}/", "failed": False,
                              "src": f"{tmp_path}/files/tree"}
    assert statuses(first.stdout) == ["changed"] * 7
    assert recap(9, 7) in first.stdout

    second = miniplay("run", str(playbook), cwd=tmp_path)
    assert second.rc == 0, second.stdout + second.stderr
    assert statuses(second.stdout) == ["ok"] * 7
    again = second.debug_values()
    assert again["one"]["changed"] is False and again["one"]["path"] == f"{out}/hello.txt"
    assert again["tree"]["changed"] is False
    assert recap(9, 0) in second.stdout


def test_copy_refuses_bad_arguments_and_missing_source(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - copy: src=nope.txt dest={tmp_path}/x
              ignore_errors: true
            - copy: content=x dest={tmp_path}/dir/
              ignore_errors: true
            - copy: dest={tmp_path}/x
              ignore_errors: true
            - copy: src=a content=b dest={tmp_path}/x
              ignore_errors: true
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert ("Unexpected AnsibleActionFail error: Could not find or access 'nope.txt'\\nSearched in:\\n\\t"
            f"{tmp_path}/files/nope.txt\\n\\t{tmp_path}/nope.txt") in result.stdout
    assert '"msg": "can not use content with a dir as dest"' in result.stdout
    assert '"msg": "src (or content) is required"' in result.stdout
    assert '"msg": "src and content are mutually exclusive"' in result.stdout
    assert recap(4, 0, ignored=4) in result.stdout


# =========================================================================== template
def test_template_renders_host_vars_and_template_vars(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "app.conf.j2", """
        # {{ ansible_managed }}
        {% for port in ports %}
        listen {{ port }}
        {% endfor %}
        name={{ app_name }} src={{ template_path }} dest={{ template_destpath }}
        {% include 'footer.j2' %}
        """)
    write(tmp_path / "templates" / "footer.j2", "footer of {{ inventory_hostname }}\n")
    write(tmp_path / "templates" / "raw.j2", "#jinja2: trim_blocks: False\n{% if true %}\nX\n{% endif %}\n")
    write(tmp_path / "templates" / "dos.j2", "a\nb\n")
    out = tmp_path / "out"
    out.mkdir()
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          vars:
            app_name: demo
            ports: [80, 443]
          tasks:
            - template: src=app.conf.j2 dest={out}/app.conf mode=0600
              register: rendered
            - template: src=raw.j2 dest={out}/raw.txt
            - template: src=dos.j2 dest={out}/dos.txt newline_sequence='\\r\\n'
            - debug: var=rendered
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert (out / "app.conf").read_text() == (
        "# Ansible managed\nlisten 80\nlisten 443\n"
        f"name=demo src=app.conf.j2 dest={out}/app.conf\nfooter of localhost\n")
    assert stat.S_IMODE(os.stat(out / "app.conf").st_mode) == 0o600
    assert (out / "raw.txt").read_text() == "\nX\n"
    assert (out / "dos.txt").read_bytes() == b"a\r\nb\r\n"
    rendered = result.debug_values()["rendered"]
    assert rendered["changed"] is True and rendered["mode"] == "0600" and rendered["diff"] == []

    again = miniplay("run", str(playbook), cwd=tmp_path)
    assert statuses(again.stdout) == ["ok", "ok", "ok"]
    assert again.debug_values()["rendered"]["changed"] is False


def test_template_rendered_again_sees_changed_includes_and_per_host_values(tmp_path: Path) -> None:
    """The same template file rendered for several hosts and tasks (compiled once per run)
    still reads each host's variables and an included file as it is at that moment."""
    write(tmp_path / "templates" / "page.j2", "page of {{ inventory_hostname }}: {% include 'part.j2' %}\n")
    write(tmp_path / "templates" / "part.j2", "first {{ colour }}")
    write(tmp_path / "hosts", "one ansible_connection=local colour=red\ntwo ansible_connection=local colour=blue\n")
    out = tmp_path / "out"
    out.mkdir()
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: all
          gather_facts: false
          tasks:
            - template: src=page.j2 dest={out}/{{{{ inventory_hostname }}}}-1.txt
            - copy: content="second {{{{ '{{{{' }}}} colour {{{{ '}}}}' }}}}" dest={tmp_path}/templates/part.j2
              run_once: true
            - template: src=page.j2 dest={out}/{{{{ inventory_hostname }}}}-2.txt
        """)
    result = miniplay("run", "-i", "hosts", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert (tmp_path / "templates" / "part.j2").read_text() == "second {{ colour }}"
    assert [(out / f"{host}-{n}.txt").read_text() for host in ("one", "two") for n in (1, 2)] == [
        "page of one: first red\n", "page of one: second red\n",
        "page of two: first blue\n", "page of two: second blue\n"]


def test_template_check_mode_and_diff_do_not_write(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "motd.j2", "Hi {{ who }}\n")
    dest = tmp_path / "motd"
    dest.write_text("Hi bob\n")
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          vars:
            who: alice
          tasks:
            - template: src=motd.j2 dest={dest}
              register: t
            - debug: var=t.diff
            - template: src=missing.j2 dest={dest}
              ignore_errors: true
        """)
    result = miniplay("run", str(playbook), "--check", "--diff", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert dest.read_text() == "Hi bob\n"
    lines = result.lines()
    start = lines.index(f"--- before: {dest}")
    assert lines[start:start + 5] == [f"--- before: {dest}", "+++ after: motd.j2", "@@ -1 +1 @@", "-Hi bob",
                                      "+Hi alice"]
    assert "changed: [localhost]" in lines
    assert result.debug_values()["t.diff"] == [{"after": "Hi alice\n", "after_header": "motd.j2",
                                                "before": "Hi bob\n", "before_header": str(dest)}]
    assert "Could not find or access 'missing.j2'\\nSearched in:\\n\\t" in result.stdout

    real = miniplay("run", str(playbook), cwd=tmp_path)
    assert real.rc == 0 and dest.read_text() == "Hi alice\n"


def test_template_undefined_variable_fails_the_task(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "bad.j2", "v={{ nope }}\n")
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - template: src=bad.j2 dest={tmp_path}/bad.txt
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 2
    assert 'fatal: [localhost]: FAILED! => {"changed": false, "msg": "Task failed: \'nope\' is undefined"}' \
        in result.stdout
    assert not (tmp_path / "bad.txt").exists()


# =========================================================================== fetch
def test_fetch_per_host_tree_flat_and_missing(tmp_path: Path) -> None:
    source = tmp_path / "remote" / "app.log"
    source.parent.mkdir()
    source.write_text("log line\n")
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - fetch: src={source} dest=fetched
              register: tree
            - fetch: src={source} dest=flat/ flat=yes
            - fetch: src={tmp_path}/nope dest=fetched fail_on_missing=false
              register: soft
            - fetch: src={tmp_path}/nope dest=fetched
              ignore_errors: true
            - debug: var=tree
            - debug: var=soft
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    landed = tmp_path / "fetched" / "localhost" / str(source).lstrip("/")
    assert landed.read_text() == "log line\n"
    assert (tmp_path / "flat" / "app.log").read_text() == "log line\n"
    values = result.debug_values()
    sha1 = hashlib.sha1(b"log line\n").hexdigest()
    assert values["tree"] == {"changed": True, "checksum": sha1, "dest": str(landed), "failed": False,
                              "md5sum": hashlib.md5(b"log line\n").hexdigest(), "remote_checksum": sha1,
                              "remote_md5sum": None}
    assert values["soft"] == {"changed": False, "failed": False, "file": f"{tmp_path}/nope",
                              "msg": "the remote file does not exist, not transferring, ignored"}
    assert ('fatal: [localhost]: FAILED! => {"changed": false, "msg": "the remote file does not exist, '
            'not transferring, ignored"}') in result.stdout
    assert statuses(result.stdout) == ["changed", "changed", "ok", "fatal"]

    again = miniplay("run", str(playbook), cwd=tmp_path)
    assert statuses(again.stdout) == ["ok", "ok", "ok", "fatal"]
    assert again.debug_values()["tree"]["file"] == str(source)

    check = miniplay("run", str(playbook), "--check", cwd=tmp_path)
    assert statuses(check.stdout)[:2] == ["skipping", "skipping"]


# =========================================================================== script
def test_script_runs_with_args_chdir_creates_and_cleans_up(tmp_path: Path) -> None:
    write(tmp_path / "files" / "greet.sh", """
        #!/bin/sh
        echo "hello $1 in $(pwd)"
        echo oops >&2
        """).chmod(0o644)
    write(tmp_path / "files" / "fail.py", "import sys\nprint('py')\nsys.exit(3)\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - script: greet.sh world
              args:
                chdir: {tmp_path}
                executable: /bin/sh
              register: s
            - script: greet.sh
              args:
                creates: {tmp_path}
              register: s2
            - script: fail.py
              args:
                executable: python3
              register: bad
              ignore_errors: true
            - debug: var=s
            - debug: var=s2
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path, env={"TMPDIR": str(scratch)})
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values["s"] == {"changed": True, "failed": False, "rc": 0, "stderr": "oops\n", "stderr_lines": ["oops"],
                           "stdout": f"hello world in {tmp_path}\n", "stdout_lines": [f"hello world in {tmp_path}"]}
    assert values["s2"] == {"changed": False, "msg": f"{tmp_path} exists, matching creates option",
                                 "skipped": True}
    assert '"msg": "non-zero return code", "rc": 3' in result.stdout
    assert statuses(result.stdout) == ["changed", "skipping", "fatal"]
    assert list(scratch.iterdir()) == []  # the temporary copies are gone


# =========================================================================== raw
def test_raw_runs_over_the_connection(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - raw: echo hi; echo err >&2
              register: r
            - raw: echo $0
              args:
                executable: /bin/bash
              register: shell
            - raw: exit 3
              ignore_errors: true
            - debug: var=r
            - debug: var=shell.stdout
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values["r"] == {"changed": True, "failed": False, "rc": 0, "stderr": "err\n", "stderr_lines": ["err"],
                           "stdout": "hi\n", "stdout_lines": ["hi"]}
    assert values["shell.stdout"] == "/bin/bash\n"
    assert ('fatal: [localhost]: FAILED! => {"changed": true, "msg": "non-zero return code", "rc": 3, '
            '"stderr": "", "stderr_lines": [], "stdout": "", "stdout_lines": []}') in result.stdout
    assert recap(5, 3, ignored=1) in result.stdout

    check = miniplay("run", str(playbook), "--check", cwd=tmp_path)
    assert statuses(check.stdout) == ["skipping", "skipping", "skipping"]
