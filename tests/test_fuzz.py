"""Run the hostile-input fuzz corpus (tests/fuzz_corpus.py) through the real CLI.

Every input must end within its time bound with no Python traceback, no "this is probably a
bug" / "Unexpected failure in miniplay (a bug)", and no exit 250; a load error (exit 4) must
name one of the case's files or the command-line option it came from. Where ansible-core is
installed, a small fixed sample is also run there and miniplay may not exit 0 where
ansible-core exits non-zero.

CI runs a fixed sample of the corpus (about 150 inputs, two at a time, ~1 minute); set
MINIPLAY_FUZZ_ALL=1 to run every input.
"""
from __future__ import annotations

import concurrent.futures
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fuzz_corpus import Case, generate, write_case
from reference import ansible_playbook, ansible_playbook_path

PER_CASE_SECONDS = 30          # a case still running after this is a hang
SAMPLE = 150
REFERENCE_SAMPLE = 10
REFERENCE_CLASSES = ("keyword-types", "broken-yaml", "limit", "sandbox", "extra-vars")
BUG_MARKERS = ("Traceback (most recent call last)", "this is probably a bug", "(a bug)")


def _selected() -> list[Case]:
    corpus = generate()
    if os.environ.get("MINIPLAY_FUZZ_ALL"):
        return corpus
    rng = random.Random(7)
    by_class: dict[str, list[Case]] = {}
    for case in corpus:
        by_class.setdefault(case.klass, []).append(case)
    chosen: list[Case] = []
    for cases in by_class.values():  # every class, in proportion, at least a few each
        share = max(4, round(SAMPLE * len(cases) / len(corpus)))
        chosen.extend(rng.sample(cases, min(share, len(cases))))
    return chosen


def _run_case(case: Case, root: Path) -> tuple[Case, int, str, float]:
    folder = root / case.id
    folder.mkdir()
    write_case(case, folder)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
           "PYTHONPATH": "", "ANSIBLE_ASYNC_DIR": str(folder / ".async")}
    started = time.monotonic()
    try:
        argv = [arg.encode("utf-8", "surrogatepass") for arg in case.args]  # lone surrogates reach argv as bytes
        proc = subprocess.run([sys.executable.encode(), b"-m", b"miniplay", *argv], cwd=folder, env=env,
                              capture_output=True, timeout=PER_CASE_SECONDS, stdin=subprocess.DEVNULL)
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        return case, proc.returncode, output, time.monotonic() - started
    except subprocess.TimeoutExpired:
        return case, -1, "HANG", time.monotonic() - started


def _problems(case: Case, rc: int, output: str) -> list[str]:
    found = []
    if rc == -1:
        found.append(f"hang (over {PER_CASE_SECONDS}s)")
    if rc == 250 or any(marker in output for marker in BUG_MARKERS):
        found.append("internal error")
    if case.klass == "event-files" and rc not in (0, 1):
        found.append(f"exit {rc}")
    if case.klass == "event-files" and "[ERROR]" in output and not re.search(r"events\.jsonl(:\d+)?: ", output):
        found.append("error without the events file (and line)")
    if rc == 4 and "[ERROR]" in output:
        names = list(case.files) + [a.lstrip("@") for a in case.args] + ["<CLI option", "/dev/", "site.yml"]
        if not any(name in output for name in names if name):
            found.append("load error without a file")
    return found


def test_fuzz_corpus_has_no_tracebacks_bugs_or_hangs(tmp_path: Path) -> None:
    cases = _selected()
    failures: list[str] = []
    slowest = 0.0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for case, rc, output, seconds in pool.map(lambda c: _run_case(c, tmp_path), cases):
            slowest = max(slowest, seconds)
            for problem in _problems(case, rc, output):
                failures.append(f"{case.id} ({' '.join(case.args)[:80]}): {problem}\n{output[-600:]}")
    assert not failures, f"{len(failures)} of {len(cases)} inputs failed:\n\n" + "\n\n".join(failures[:10])


def test_no_exit_0_where_ansible_core_refuses(tmp_path: Path) -> None:
    if ansible_playbook_path() is None:
        pytest.skip("ansible-core is not installed: the reference verdicts cannot be computed")
    rng = random.Random(11)
    pool = [c for c in generate() if c.klass in REFERENCE_CLASSES and c.comparable]
    disagreements = []
    for case in rng.sample(pool, REFERENCE_SAMPLE):
        folder = tmp_path / case.id
        _, ours, output, _ = _run_case(case, tmp_path)
        theirs = ansible_playbook(*case.args[1:], cwd=folder, timeout=120)
        if ours == 0 and theirs.rc != 0:
            disagreements.append(f"{case.id}: miniplay 0, ansible-core {theirs.rc}\n{theirs.stderr[-400:]}")
    assert not disagreements, "\n\n".join(disagreements)
