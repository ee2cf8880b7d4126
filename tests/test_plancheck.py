"""`miniplay check` and `miniplay run --check-plan`: one purpose-made bad playbook per mistake.

Each case is a small playbook, the finding codes `check` must report, and the
line each finding must point at (the `# <-` comment in the playbook).
"""
from __future__ import annotations

import json
import textwrap

import pytest

from helpers import REPO, miniplay, write

HEAD = "- hosts: localhost\n  gather_facts: false\n"

CASES = {
    "unjoined-job: nothing reads the job id": ("unjoined-job", """
        tasks:
          - name: Start the backup
            command: /usr/local/bin/backup   # <-
            async: 600
            poll: 0
            register: backup
          - name: Say done
            debug: msg=started
    """),
    "unjoined-job: no register at all": ("unjoined-job", """
        tasks:
          - name: Fire and forget
            shell: sleep 100   # <-
            async: 600
            poll: 0
    """),
    "join-gives-up-early": ("join-gives-up-early", """
        tasks:
          - name: Long job
            command: /opt/build
            async: 600
            poll: 0
            register: build
          - name: Wait for it
            async_status: jid={{ build.ansible_job_id }}   # <-
            register: built
            until: built.finished
            retries: 10
            delay: 5
    """),
    "job-limit-too-short: the command sleeps longer": ("job-limit-too-short", """
        tasks:
          - name: Sleeps past its limit
            shell: sleep 120 && echo done   # <-
            async: 60
            poll: 5
    """),
    "job-limit-too-short: wait_for's default timeout": ("job-limit-too-short", """
        tasks:
          - name: Wait for the port
            wait_for: port=8080   # <-
            async: 60
            poll: 5
    """),
    "package-lock": ("package-lock", """
        tasks:
          - name: Upgrade everything in the background
            apt: upgrade=dist
            async: 3600
            poll: 0
            register: upgrade
          - name: Install nginx meanwhile
            ansible.builtin.package: name=nginx   # <-
          - name: Join the upgrade
            async_status: jid={{ upgrade.ansible_job_id }}
            register: upgraded
            until: upgraded.finished
            retries: 360
            delay: 10
    """),
    "async-check-mode": ("async-check-mode", """
        tasks:
          - name: Dry run in the background
            command: /opt/migrate   # <-
            check_mode: true
            async: 60
            poll: 5
    """),
    "handler-on-launch": ("handler-on-launch", """
        tasks:
          - name: Deploy in the background
            command: /opt/deploy   # <-
            async: 60
            poll: 0
            register: deploy
            notify: restart app
          - name: Join
            async_status: jid={{ deploy.ansible_job_id }}
            register: deployed
            until: deployed.finished
            retries: 12
            delay: 5
        handlers:
          - name: restart app
            command: /opt/restart
    """),
    "until-never-changes: another name": ("until-never-changes", """
        tasks:
          - name: Poll the service
            command: curl -s localhost:8080/health   # <-
            register: health
            until: result.rc == 0
            retries: 5
    """),
    "until-never-changes: nothing registered": ("until-never-changes", """
        vars:
          ready: false
        tasks:
          - name: Wait to be ready
            command: /opt/check   # <-
            until: ready
            retries: 5
    """),
}


def playbook(tmp_path, body: str, name: str = "site.yml"):
    text = HEAD + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ") + "\n"
    path = tmp_path / name
    path.write_text(text)
    marked = [n for n, line in enumerate(text.splitlines(), start=1) if "# <-" in line]
    return path, marked


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict[str, tuple[list[str], list[int]]]:
    """Every case checked by one `miniplay check` call: case → (its output lines, its marked lines)."""
    tmp = tmp_path_factory.mktemp("cases")
    files = {}
    for number, case in enumerate(sorted(CASES)):
        _, marked = playbook(tmp, CASES[case][1], f"case{number}.yml")
        files[f"case{number}.yml"] = (case, marked)
    result = miniplay("check", *files, cwd=tmp)
    assert result.rc == 2, result.stdout + result.stderr
    out: dict[str, tuple[list[str], list[int]]] = {}
    lines: list[str] = []
    for line in result.stdout.splitlines():
        lines.append(line)
        if line.startswith("check: "):
            case, marked = files[line.rsplit(" ", 1)[1]]
            out[case] = (lines, marked)
            lines = []
    assert set(out) == set(CASES)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_is_found_at_its_line(checked, case):
    code = CASES[case][0]
    lines, marked = checked[case]
    findings, summary = lines[:-1], lines[-1]
    assert len(findings) == 1, lines
    name = summary.rsplit(" ", 1)[1]
    # the task's line (the `- name:` line above the marked one) and the code
    assert findings[0].startswith(f"{name}:{marked[0] - 1}:"), findings[0]
    assert f": {code}: " in findings[0]
    assert summary == f"check: 1 async mistake found in {name}"


def test_messages_say_what_and_why(tmp_path):
    path, _ = playbook(tmp_path, CASES["join-gives-up-early"][1])
    text = miniplay("check", str(path), cwd=tmp_path).stdout
    assert "waits at most 10 × 5s = 50s for the job of 'Long job' (site.yml:4:7)" in text
    assert "may run for up to 600s (async: 600)" in text
    path, _ = playbook(tmp_path, CASES["package-lock"][1])
    text = miniplay("check", str(path), cwd=tmp_path).stdout
    assert "runs package while the poll: 0 job 'Upgrade everything in the background'" in text
    assert "before the job is joined" in text


def test_a_join_that_waits_longer_than_the_limit_is_not_a_finding(tmp_path):
    """The safe direction: the join outlives the job, sees it killed at its limit and fails cleanly."""
    path, _ = playbook(tmp_path, """
        tasks:
          - name: Short limit
            command: /opt/build
            async: 30
            poll: 0
            register: build
          - name: Wait for it
            async_status: jid={{ build.ansible_job_id }}
            register: built
            until: built is finished
            retries: 60
            delay: 10
    """)
    result = miniplay("check", str(path), cwd=tmp_path)
    assert result.rc == 0 and result.stdout.startswith("check: no async mistakes found in "), result.stdout


def test_clean_playbooks_pass(tmp_path):
    demo = REPO / "playbooks" / "visibility-demo.yml"
    result = miniplay("check", str(demo), "-i", "web1,web2,web3")
    assert result.rc == 0, result.stdout
    assert result.stdout.startswith("check: no async mistakes found in ")
    assert "(12 tasks on 3 hosts checked)" in result.stdout
    good = write(tmp_path / "good.yml", HEAD + """  tasks:
    - name: Upgrade in the background
      apt: upgrade=dist
      async: 600
      poll: 0
      register: upgrade
    - name: Unrelated work meanwhile
      command: /opt/work
    - name: Join the upgrade
      async_status: jid={{ upgrade.ansible_job_id }}
      register: upgraded
      until: upgraded is finished
      retries: 60
      delay: 10
    - name: Now another package
      apt: name=nginx
    - name: Poll a service
      command: /opt/check
      register: health
      until: health.rc == 0
""")
    result = miniplay("check", str(good))
    assert result.rc == 0, result.stdout


def test_values_from_play_vars_and_extra_vars_are_compared(tmp_path):
    book = write(tmp_path / "site.yml", HEAD + """  vars:
    job_limit: 600
    wait_retries: 10
  tasks:
    - name: Job
      command: /opt/x
      async: "{{ job_limit }}"
      poll: 0
      register: job
    - name: Join
      async_status: jid={{ job.ansible_job_id }}
      register: done
      until: done.finished
      retries: "{{ wait_retries }}"
      delay: 6
""")
    result = miniplay("check", str(book), cwd=tmp_path)
    assert result.rc == 2 and "join-gives-up-early" in result.stdout and "= 60s" in result.stdout
    fixed = miniplay("check", str(book), "-e", "wait_retries=100", cwd=tmp_path)
    assert fixed.rc == 0, fixed.stdout
    # a value only a run can know is not guessed
    unknown = miniplay("check", str(book), "-e", "job_limit={{ lookup('env', 'LIMIT') }}", cwd=tmp_path)
    assert unknown.rc == 0, unknown.stdout


def test_check_mode_flag_and_json_format(tmp_path):
    book = write(tmp_path / "site.yml", HEAD + """  tasks:
    - name: Background job
      command: /opt/x
      async: 60
      poll: 5
""")
    assert miniplay("check", str(book)).rc == 0
    result = miniplay("check", str(book), "-C", "--format", "json", cwd=tmp_path)
    assert result.rc == 2
    payload = json.loads(result.stdout)
    assert payload[0]["playbook"] == str(book)
    finding = payload[0]["findings"][0]
    assert finding["code"] == "async-check-mode" and finding["location"] == f"{book}:4:7"
    assert finding["task"] == "Background job" and finding["hosts"] == ["localhost"]
    assert "the run uses --check" in finding["message"]


def test_findings_name_the_hosts_when_hosts_differ(tmp_path):
    inv = write(tmp_path / "hosts.ini", "[web]\nweb1\n[db]\ndb1\n")
    book = write(tmp_path / "site.yml", """
- hosts: web
  gather_facts: false
  tasks:
    - name: Orphan job
      command: /opt/x
      async: 60
      poll: 0
- hosts: db
  gather_facts: false
  tasks:
    - debug: msg=hi
""")
    result = miniplay("check", str(book), "-i", str(inv), cwd=tmp_path)
    assert result.rc == 2
    assert result.stdout.splitlines()[0].endswith("[hosts: web1]")


def test_run_check_plan_stops_before_running(tmp_path):
    marker = tmp_path / "ran"
    book = write(tmp_path / "site.yml", HEAD + f"""  tasks:
    - name: Leave a mark
      file: path={marker} state=touch
    - name: Orphan job
      command: sleep 1
      async: 10
      poll: 0
""")
    result = miniplay("run", str(book), "--check-plan", cwd=tmp_path)
    assert result.rc == 2
    assert "unjoined-job" in result.stderr and "--check-plan found async mistakes: nothing was run" in result.stderr
    assert "PLAY [" not in result.stdout and not marker.exists()


def test_run_check_plan_runs_a_clean_playbook(tmp_path):
    result = miniplay("run", str(REPO / "playbooks" / "hello.yml"), "--check-plan", cwd=tmp_path)
    assert result.rc == 0, result.stderr
    assert "PLAY RECAP" in result.stdout and result.stderr == ""


def test_a_broken_playbook_is_a_load_error(tmp_path):
    book = write(tmp_path / "site.yml", "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      asnyc: 10\n")
    result = miniplay("check", str(book))
    assert result.rc == 4
    assert "'asnyc' is not a valid attribute" in result.stderr and "Did you mean 'async'?" in result.stderr
