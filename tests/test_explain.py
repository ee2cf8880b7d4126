"""`miniplay explain`: why a task ran, was skipped, retried or failed, and where its variables came from."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REPO, miniplay, write

DEMO = REPO / "playbooks" / "visibility-demo.yml"
HOSTS = "web1,web2,web3"


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("explain")
    result = miniplay("run", str(DEMO), "-i", HOSTS, "-e", f"workdir={tmp}", "--events", "run.jsonl", cwd=tmp,
                      env={"ANSIBLE_ASYNC_DIR": str(tmp / "async")})
    assert result.rc == 0, result.stdout + result.stderr
    return tmp / "run.jsonl"


def explain(events: Path, *args: str) -> str:
    result = miniplay("explain", str(events), *args, cwd=REPO)
    assert result.rc == 0, result.stdout + result.stderr
    return result.stdout


def test_skipped_task_shows_every_when_clause(demo_events):
    text = explain(demo_events, "--host", "web1", "--task", "Only on web3")
    assert text.splitlines()[0].startswith("TASK [Only on web3] playbooks/visibility-demo.yml:57:7 on web1: skipped")
    assert "  when did not hold, clause by clause:" in text
    assert "    inventory_hostname is match('web')  →  True" in text
    assert "    inventory_hostname == 'web3'  →  False" in text
    assert "inventory_hostname: a magic variable miniplay sets" in text
    ran = explain(demo_events, "--host", "web3", "--task", "Only on web3")
    assert ": ok" in ran.splitlines()[0] and "  when held, clause by clause:" in ran


def test_retried_task_shows_each_attempt(demo_events):
    text = explain(demo_events, "--host", "web1", "--task", "Wait until the service")
    assert "on web1: ok after 3 attempts" in text.splitlines()[0]
    assert "  retried until health.rc == 0 (retries: 5, delay: 0.2)" in text
    assert "    attempt 1: health.rc == 0 → False" in text
    assert "    attempt 2: health.rc == 0 → False" in text
    assert "    attempt 3: health.rc == 0 → True" in text
    assert "health: this task's own registered result" in text
    once = explain(demo_events, "--host", "web2", "--task", "Wait until the service")
    assert "    attempt 1: health.rc == 0 → True" in once and "attempt 2" not in once


def test_failed_task_says_why_and_what_followed(demo_events):
    text = explain(demo_events, "--host", "web2", "--task", "Migrate the database")
    assert "on web2: failed" in text.splitlines()[0]
    assert "  why it failed:" in text and "    msg: non-zero return code" in text and "    rc: 1" in text
    assert "the host went on with 'Roll back the migration'" in text and "a rescue or always section" in text
    assert "  changed_when: False → False" in text


def test_variable_sources_with_file_and_line(demo_events):
    text = explain(demo_events, "--host", "web1", "--task", "Render the configuration")
    release = line_of(DEMO, 'release: "2024.06"')
    workdir = line_of(DEMO, "workdir: /tmp")
    assert f"    release: play vars (playbooks/visibility-demo.yml:{release})" in text
    # -e beats the play's vars, and says so
    assert "    workdir: extra vars (-e on the command line)" in text
    assert f"{workdir}" not in text.split("workdir:")[1].splitlines()[0]
    cache = explain(demo_events, "--host", "web3", "--task", "Wait for the cache")
    assert "warm_job: set_fact / register: 'Warm the cache in the background' (playbooks/visibility-demo.yml:28:7)" \
        in cache


def test_handler_says_who_notified_it(demo_events):
    text = explain(demo_events, "--host", "web2", "--task", "Reload the service")
    assert text.startswith("RUNNING HANDLER [Reload the service]")
    assert "notified by 'Render the configuration' (playbooks/visibility-demo.yml:34:7)" in text


def test_selecting_by_location_and_no_match(demo_events):
    text = explain(demo_events, "--task", "playbooks/visibility-demo.yml:57")
    assert sorted(line.rsplit(" on ", 1)[1].split(":")[0] for line in text.splitlines() if line.startswith("TASK")) \
        == ["web1", "web2", "web3"]
    result = miniplay("explain", str(demo_events), "--host", "db9")
    assert result.rc == 1
    assert "no task run matches host 'db9' (hosts in this run: web1, web2, web3)" in result.stdout


def test_inventory_and_vars_file_sources(tmp_path):
    inv = write(tmp_path / "hosts.ini", """
        [app]
        node1 ansible_connection=local colour=blue

        [app:vars]
        size=3
    """)
    write(tmp_path / "vars" / "common.yml", """
        # shared settings
        owner: ops
        retries_allowed: 2
    """)
    book = write(tmp_path / "site.yml", """
        - hosts: app
          gather_facts: false
          vars_files:
            - vars/common.yml
          tasks:
            - name: Show
              debug:
                msg: "{{ colour }} {{ size }} {{ owner }} {{ greeting }}"
              vars:
                greeting: "hello {{ owner }}"
    """)
    run = miniplay("run", str(book), "-i", str(inv), "--events", "ev.jsonl", cwd=tmp_path)
    assert run.rc == 0, run.stdout + run.stderr
    text = miniplay("explain", "ev.jsonl", "--task", "Show", cwd=tmp_path).stdout
    assert f"    colour: inventory {inv}: host node1 vars (hosts.ini:2)" in text
    assert f"    size: inventory {inv}: group app vars (hosts.ini:5)" in text
    assert f"    owner: vars file {tmp_path / 'vars' / 'common.yml'} (vars/common.yml:2)" in text
    assert "    greeting: task vars (site.yml:10)" in text
    assert "    owner (read through greeting)" not in text  # read directly too: shown once, directly


def test_undefined_variable_failure(tmp_path):
    book = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Uses a missing variable
              debug: msg={{ nowhere }}
    """)
    run = miniplay("run", str(book), "--events", "ev.jsonl", cwd=tmp_path)
    assert run.rc == 2
    text = miniplay("explain", "ev.jsonl", cwd=tmp_path).stdout
    assert "on localhost: failed" in text and "'nowhere' is undefined" in text
    assert "    nowhere: not defined when the task started" in text
    assert "the host ran no further task" in text
