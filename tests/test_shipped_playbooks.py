"""The shipped examples teach good habits: each passes `miniplay check`, except where a
finding is the lesson (async-failures.yml shows a job killed by its own time limit)."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import miniplay

REPO = Path(__file__).resolve().parent.parent
PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))
DELIBERATE = {"async-failures.yml": ["playbooks/async-failures.yml:29:7: job-limit-too-short:"]}


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.name for p in PLAYBOOKS])
def test_examples_pass_the_plan_check(playbook: Path) -> None:
    result = miniplay("check", str(playbook.relative_to(REPO)), cwd=REPO)
    expected = DELIBERATE.get(playbook.name, [])
    findings = [line for line in result.stdout.splitlines() if ": " in line and not line.startswith("check:")]
    assert [f for f in findings if not any(f.startswith(e) for e in expected)] == [], result.stdout
    assert len(findings) == len(expected), result.stdout
    assert result.rc == (2 if expected else 0)


def test_modules_reference_is_generated_from_the_docstrings() -> None:
    from miniplay.cli.docgen import render

    committed = (REPO / "docs" / "modules.md").read_text()
    assert committed == render(), "docs/modules.md is stale: run `python -m miniplay.cli.docgen > docs/modules.md`"
