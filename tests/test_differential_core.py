"""Differential tests: the project's own playbooks under ansible-core and miniplay.

Each `tests/differential/*.yml` runs under both engines against the same inventory
(this machine, local connection); stdout must match line for line once timestamps
and temp paths are normalised, and the exit codes must be equal. A case's first line may
be `# args: ...` (extra command-line arguments); a `# needs: passlib` line names Python
modules ansible-core's own venv must have for that case, and `# needs-program: svn` programs
this machine must have.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reference import TARGET_PYTHON, compare, require_ansible, require_reference_module

CASES = sorted((Path(__file__).parent / "differential").glob("*.yml"))


@pytest.mark.parametrize("playbook", CASES, ids=[c.stem for c in CASES])
def test_same_output_as_ansible(playbook: Path, tmp_path: Path) -> None:
    require_ansible()
    work = tmp_path / "work"
    shutil.copytree(playbook.parent, work)
    inventory = work / "inventory.ini"
    inventory.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
        "[pair]\n"
        f"h1 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON} colour=red\n"
        f"h2 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON} colour=blue\n"
        "[pair:vars]\nshape=round\n"
        "[quad]\n" + "".join(f"q{i} ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
                              for i in range(1, 5))
    )
    own_inventory = work / f"{playbook.stem}.ini"  # a case may bring its own inventory
    if own_inventory.exists():
        inventory = own_inventory
    header = [line for line in playbook.read_text().splitlines() if line.startswith("#")]
    for line in header:
        if line.startswith("# needs:"):  # modules ansible-core itself must import, e.g. passlib
            for module in line.split(":", 1)[1].split():
                require_reference_module(module)
        if line.startswith("# needs-program:"):  # programs the case runs on this machine, e.g. svn
            missing = [p for p in line.split(":", 1)[1].split() if shutil.which(p) is None]
            if missing:
                pytest.skip(f"{', '.join(missing)} not installed here (.ci/run installs them)")
    first = playbook.read_text().splitlines()[0]
    extra = first.split("# args:", 1)[1].split() if first.startswith("# args:") else []
    compare(work / playbook.name, inventory, "-f", "1", *extra)
