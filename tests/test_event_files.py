"""`miniplay report` and `miniplay explain` on events files that are not what `run --events` writes.

Each bad file gets one clear error naming FILE:LINE (or the file, when it has no good line at
all), a non-zero exit and no traceback; the events before the bad line are still reported or
explained. A torn last line (a killed run) and a kind this version does not know (docs/events.md:
readers skip them) are not errors.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import miniplay

GOOD = (Path(__file__).parent / "fuzz_events.jsonl").read_text().splitlines()
COMMANDS = {"report": ["report", "events.jsonl", "-o", "report.html"], "explain": ["explain", "events.jsonl"]}


def _with(index: int, line: str) -> str:
    return "\n".join(GOOD[:index] + [line] + GOOD[index:]) + "\n"


def _nested(kind: str, name: str, value: object) -> str:
    records = [json.loads(line) for line in GOOD]
    return "\n".join(json.dumps({**r, "data": {**r["data"], name: value}} if r["kind"] == kind else r)
                     for r in records) + "\n"


def _line_of(kind: str) -> int:
    return next(number for number, line in enumerate(GOOD, start=1) if json.loads(line)["kind"] == kind)


BAD = {
    "a cut in the middle": (_with(6, GOOD[6][:40]), 7, "not valid JSON"),
    "a wrong top-level type": (_with(6, json.dumps({**json.loads(GOOD[6]), "time": "noon"})), 7,
                               "'time' must be a number, not \"noon\""),
    "a wrong data type": (_with(6, json.dumps({**json.loads(GOOD[6]), "kind": "host_result",
                                               "data": {"status": 5, "result": {}}})), 7,
                          "'data.status' of a 'host_result' record must be a string, not 5"),
    "a missing field": (_with(6, json.dumps({"seq": 6, "time": 1.0, "kind": "host_start", "host": "h"})), 7,
                        "the field 'task' is missing"),
    "a line that is no object": (_with(6, "[1, 2]"), 7, "a line must be a JSON object, not a list"),
    "a non-string kind": (_with(6, json.dumps({**json.loads(GOOD[6]), "kind": 5})), 7,
                          "'kind' must be a string, not 5"),
    "undecodable bytes": (_with(6, "caf\udce9").encode("utf-8", "surrogateescape"), 7, "not UTF-8 text (byte offset"),
    "a nested recap count": (_nested("recap", "stats", {"localhost": 5}), _line_of("recap"),
                             "this 'recap' record has fields of another shape than miniplay writes"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_line_is_named_and_the_events_before_it_still_render(tmp_path: Path, name: str, command: str) -> None:
    content, line, message = BAD[name]
    path = tmp_path / "events.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = miniplay(*COMMANDS[command], cwd=tmp_path)
    if name == "a nested recap count" and command == "explain":
        assert result.rc == 0   # explain does not read the recap's counts: nothing goes wrong
        return
    assert result.rc == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "probably a bug" not in result.stderr
    assert f"[ERROR]: events.jsonl:{line}: {message}" in result.stderr
    assert "before it." in result.stderr
    if command == "report":
        assert "<html" in (tmp_path / "report.html").read_text()
    else:
        assert result.stdout.strip()   # the tasks before the bad line are explained


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("content,message", [
    (b"", "events.jsonl: not a miniplay events file (it is empty"),
    (b"\n  \n", "events.jsonl: not a miniplay events file (it is empty"),
    (b"{}\n" + bytes(range(128, 256)) * 4, "events.jsonl:1: not a miniplay events file (the field 'seq' is missing)"),
    (b"ab" + bytes(range(128, 256)), "events.jsonl:1: not UTF-8 text (byte offset 2 of the file)"),
    (b'{"seq": 0, "time": 1, "kind": "host_start", "host": null, "task": null, "data": {}}\n',
     "events.jsonl:1: not a miniplay events file (it must start with a log_start record)"),
    (b"[" * 100000 + b"]" * 100000 + b"\n", "events.jsonl:1: JSON nested too deeply"),
])
def test_a_file_with_nothing_good_is_refused(tmp_path: Path, command: str, content: bytes, message: str) -> None:
    (tmp_path / "events.jsonl").write_bytes(content)
    result = miniplay(*COMMANDS[command], cwd=tmp_path)
    assert (result.rc, result.stdout) == (1, ""), result.stderr
    assert result.stderr.startswith(f"[ERROR]: {message}"), result.stderr
    assert not (tmp_path / "report.html").exists()


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    with (tmp_path / "events.jsonl").open("wb") as handle:
        handle.write(("\n".join(GOOD[:4]) + "\n").encode())
        handle.write(b'{"seq": 4, "data": "' + b"x" * (65 * 1024 * 1024) + b'"}\n')
    result = miniplay(*COMMANDS["explain"], cwd=tmp_path)
    assert result.rc == 1
    assert "[ERROR]: events.jsonl:5: a line longer than 64 MiB" in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_torn_last_line_and_unknown_kinds_are_no_errors(tmp_path: Path, command: str) -> None:
    future = json.dumps({"seq": 3, "time": 1.0, "kind": "from_a_later_version", "host": None, "task": None,
                         "data": {"anything": [1]}})
    (tmp_path / "events.jsonl").write_text("\n".join(GOOD[:3] + [future] + GOOD[3:]) + "\n" + GOOD[5][:30])
    result = miniplay(*COMMANDS[command], cwd=tmp_path)
    assert result.rc == 0, result.stderr
    assert result.stderr == "[WARNING]: events.jsonl: line 4: unknown event kind 'from_a_later_version', skipped\n"
