"""`miniplay run a.yml b.yml` runs several playbooks as `ansible-playbook a.yml b.yml` does.

One run for all of them: variables, facts and registered values set by one playbook are seen by
the next; each playbook ends with a recap of the counts so far; a playbook whose last play ended
with a failed host stops the ones after it. Side by side with ansible-core.
"""
from __future__ import annotations

from pathlib import Path

from helpers import miniplay, write
from reference import ansible_playbook, normalise

SETS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - set_fact: {plain: 1}
    - set_fact: {cached: 2, cacheable: true}
    - command: echo from-the-first
      register: said
"""

READS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ plain | default('none') }} {{ cached | default('none') }} {{ said.stdout | default('none') }}"
"""

FAILS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - fail: {msg: stop here}
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: a later play of the same playbook}
"""


def _both(tmp_path: Path, *playbooks: str) -> None:
    ours = miniplay("run", *playbooks, cwd=tmp_path)
    theirs = ansible_playbook(*playbooks, cwd=tmp_path)
    assert (ours.rc, normalise(ours.stdout)) == (theirs.rc, normalise(theirs.stdout))


def test_what_one_playbook_sets_the_next_sees_and_recaps_count_on(tmp_path: Path) -> None:
    write(tmp_path / "sets.yml", SETS)
    write(tmp_path / "reads.yml", READS)
    run = miniplay("run", "sets.yml", "reads.yml", cwd=tmp_path)
    assert run.rc == 0, run.stdout
    assert '"msg": "1 2 from-the-first"' in run.stdout
    recaps = [line for line in run.lines() if line.startswith("localhost ")]
    assert [line.split()[2] for line in recaps] == ["ok=3", "ok=4"]
    _both(tmp_path, "sets.yml", "reads.yml")


def test_a_failed_playbook_stops_the_ones_after_it(tmp_path: Path) -> None:
    write(tmp_path / "fails.yml", FAILS)
    write(tmp_path / "reads.yml", READS)
    run = miniplay("run", "fails.yml", "reads.yml", cwd=tmp_path)
    assert run.rc == 2
    assert "TASK [debug]" not in run.stdout and run.stdout.count("PLAY RECAP") == 1
    _both(tmp_path, "fails.yml", "reads.yml")


def test_each_playbook_runs_from_its_own_folder(tmp_path: Path) -> None:
    shows = "    - debug: {msg: \"{{ playbook_dir | basename }} {{ lookup('file', 'data.txt') }} {{ plain | default('none') }}\"}\n"
    write(tmp_path / "top.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - set_fact: {plain: 1}\n" + shows)
    write(tmp_path / "sub" / "second.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + shows)
    write(tmp_path / "data.txt", "top-data\n")
    write(tmp_path / "sub" / "data.txt", "sub-data\n")
    run = miniplay("run", "top.yml", "sub/second.yml", cwd=tmp_path)
    assert run.rc == 0, run.stdout
    assert f'"msg": "{tmp_path.name} top-data 1"' in run.stdout and '"msg": "sub sub-data 1"' in run.stdout
    _both(tmp_path, "top.yml", "sub/second.yml")
