"""Run ansible-core's own integration targets under miniplay and under ansible-core, side by side.

Content nobody here wrote is the honest measure. This runs targets from ansible/ansible's
`test/integration/targets/` the way `ansible-test integration` runs them on one local host:

* a target with a `runme.sh` runs that script from its own folder, with `ansible-playbook`
  (and `ansible`) on PATH being the engine under test;
* any other target runs as a role: `- hosts: testhost, gather_facts: true, roles: [target]`
  with the targets folder as the roles path.

Both get ansible-test's inventory (`testhost` on the local connection, in group `testgroup`)
at `test/integration/inventory`, and its environment (OUTPUT_DIR, INVENTORY_PATH,
ANSIBLE_FORCE_HANDLERS, ...). Each engine gets a fresh copy of the targets for each target.

What is counted: the asserts that passed (`All assertions passed` in the output) and those
that failed (`Assertion failed`), and the exit code. An assert with `quiet: true` prints no
message and is not counted. A target passes when its exit code is 0.

    python tests/upstream/run_targets.py --source /path/to/ansible [TARGET ...]
        --source  a checkout of ansible/ansible, or its bare git directory
        --engine  both (default), miniplay or ansible
        --json    also write the figures to this file

With no TARGET it runs the list the team tracks (`TRACKED`). Not part of CI: it takes minutes.
ansible-core is taken from $MINIPLAY_ANSIBLE_PLAYBOOK or /opt/ansible-venv.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TRACKED = [
    "loops", "loop-until", "register", "handlers", "blocks", "include_import", "any_errors_fatal",
    "special_vars", "set_fact", "var_precedence", "filter_core", "templating", "template", "lineinfile",
    "command_shell", "check_mode", "tags", "async", "async_fail", "async_extra_data", "until",
    "lookup_config", "lookup_csvfile", "lookup_dict", "lookup_env", "lookup_file", "lookup_fileglob",
    "lookup_first_found", "lookup_indexed_items", "lookup_ini", "lookup_inventory_hostnames", "lookup_items",
    "lookup_lines", "lookup_list", "lookup_nested", "lookup_password", "lookup_pipe", "lookup_random_choice",
    "lookup_sequence", "lookup_subelements", "lookup_template", "lookup_together", "lookup_unvault",
    "lookup_varnames", "lookup_vars",
]
TARGET_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
INVENTORY = (f"[testgroup]\ntesthost ansible_connection=local ansible_pipelining=yes "
             f"ansible_python_interpreter={TARGET_PYTHON}\n")
PASSED = re.compile(r"All assertions passed")
FAILED = re.compile(r"Assertion failed")


@dataclass
class Outcome:
    target: str
    engine: str
    rc: int
    asserts_passed: int
    asserts_failed: int
    seconds: float


def export_targets(source: Path, into: Path) -> Path:
    """Copy test/integration/targets of `source` (a checkout or a git directory) under `into`."""
    if (source / "test" / "integration" / "targets").is_dir():
        shutil.copytree(source / "test" / "integration" / "targets", into / "test" / "integration" / "targets")
    else:
        archive = subprocess.run(["git", f"--git-dir={source}", "archive", "HEAD", "test/integration/targets"],
                                 capture_output=True, check=True).stdout
        with tempfile.TemporaryFile() as handle:
            handle.write(archive)
            handle.seek(0)
            with tarfile.open(fileobj=handle) as tar:
                tar.extractall(into, filter="data")
    return into / "test" / "integration"


def engine_bin(engine: str, folder: Path) -> Path:
    """A folder to put first on PATH: `ansible-playbook` and `ansible` as the engine under test."""
    folder.mkdir(parents=True, exist_ok=True)
    if engine == "ansible":
        reference = Path(os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook"))
        for tool in reference.parent.glob("ansible*"):
            (folder / tool.name).symlink_to(tool)
        return folder
    for name, command in (("ansible-playbook", "run"), ("ansible", "adhoc")):
        shim = folder / name
        shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m miniplay {command} \"$@\"\n")
        shim.chmod(0o755)
    return folder


def run_target(source: Path, target: str, engine: str, timeout: float) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix=f"upstream-{target}-{engine}-"))
    try:
        integration = export_targets(source, work)
        (integration / "inventory").write_text(INVENTORY)
        output_dir = work / "output_dir"
        output_dir.mkdir()
        target_dir = integration / "targets" / target
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env.update({
            "PATH": f"{engine_bin(engine, work / 'bin')}:{env.get('PATH', '')}",
            "OUTPUT_DIR": str(output_dir), "INVENTORY_PATH": str(integration / "inventory"),
            "ANSIBLE_FORCE_HANDLERS": "true", "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "false", "PYTHONWARNINGS": "ignore",
            "ANSIBLE_PLAYBOOK_DIR": str(target_dir), "ANSIBLE_LOCAL_TEMP": str(work / "local-tmp"),
        })
        if engine == "miniplay":  # modules in the targets' library/ take module_utils from the reference
            reference = Path(os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook"))
            env.setdefault("MINIPLAY_ANSIBLE_PYTHON", str(reference.parent / "python"))
        if (target_dir / "runme.sh").exists():
            command, cwd = ["bash", "./runme.sh"], target_dir
        else:
            playbook = integration / f"{target}-play.yml"
            playbook.write_text(json.dumps([{"hosts": "testhost", "gather_facts": True,
                                             "vars": {"output_dir": str(output_dir)}, "roles": [target]}]))
            env["ANSIBLE_ROLES_PATH"] = str(integration / "targets")
            command, cwd = ["ansible-playbook", playbook.name, "-i", "inventory"], integration
        started = time.monotonic()
        try:
            proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
            rc, text = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            rc = -1
            text = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        log = Path(tempfile.gettempdir()) / f"upstream-{target}-{engine}.log"
        log.write_text(text)
        return Outcome(target, engine, rc, len(PASSED.findall(text)), len(FAILED.findall(text)),
                       round(time.monotonic() - started, 1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*")
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--engine", choices=("both", "miniplay", "ansible"), default="both")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    engines = ["ansible", "miniplay"] if args.engine == "both" else [args.engine]
    outcomes: list[Outcome] = []
    print(f"{'target':28} " + "  ".join(f"{e + ' rc/ok/fail':>22}" for e in engines))
    for target in args.targets or TRACKED:
        row = [run_target(args.source, target, engine, args.timeout) for engine in engines]
        outcomes += row
        print(f"{target:28} " + "  ".join(f"{o.rc:>8}/{o.asserts_passed:>5}/{o.asserts_failed:>5}  {o.seconds:>5}s"
                                          for o in row), flush=True)
    for engine in engines:
        mine = [o for o in outcomes if o.engine == engine]
        print(f"{engine}: {sum(o.rc == 0 for o in mine)}/{len(mine)} targets exit 0, "
              f"{sum(o.asserts_passed for o in mine)} asserts passed, {sum(o.asserts_failed for o in mine)} failed")
    print(f"logs: {tempfile.gettempdir()}/upstream-TARGET-ENGINE.log")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
