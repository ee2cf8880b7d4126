"""`miniplay report`: a self-contained HTML page, checked as text and in a real headless browser."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO, miniplay, write

DEMO = REPO / "playbooks" / "visibility-demo.yml"
HOSTS = ["web1", "web2", "web3"]


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    result = miniplay("run", str(DEMO), "-i", ",".join(HOSTS), "-e", f"workdir={tmp}", "--events", "run.jsonl",
                      cwd=tmp, env={"ANSIBLE_ASYNC_DIR": str(tmp / "async")})
    assert result.rc == 0, result.stdout + result.stderr
    return tmp / "run.jsonl"


@pytest.fixture(scope="module")
def page(events) -> Path:
    out = events.parent / "report.html"
    result = miniplay("report", str(events), "-o", str(out))
    assert result.rc == 0, result.stderr
    assert result.stdout == f"report: {out}\n"
    return out


def test_report_is_self_contained(page):
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>")
    # nothing is fetched: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(http" not in text
    for host in HOSTS:
        assert f'data-host="{host}"' in text and f"<td>{host}</td>" in text
    assert "Migrate the database (fails on web2)" in text and "non-zero return code" in text
    assert "waiting for web2" in text            # a host waiting for the slowest one
    assert text.count('class="bar async"') == 3  # one async job per host
    assert "(attempt 3)" in text                 # web1's third attempt


def test_report_of_a_killed_run(events, tmp_path):
    lines = events.read_text().splitlines()
    cut = [n for n, line in enumerate(lines) if json.loads(line)["kind"] == "host_start"][10]
    torn = tmp_path / "torn.jsonl"
    torn.write_text("\n".join(lines[:cut + 1]) + "\n" + lines[cut + 1][:25])  # the last line torn mid-write
    result = miniplay("report", str(torn), "-o", str(tmp_path / "r.html"))
    assert result.rc == 0, result.stderr
    text = (tmp_path / "r.html").read_text()
    assert "no recap: the run did not finish" in text and "unfinished" in text


def test_report_refuses_what_is_not_an_events_file(tmp_path):
    other = write(tmp_path / "x.jsonl", '{"a": 1}\n')
    result = miniplay("report", str(other), "-o", str(tmp_path / "r.html"))
    assert result.rc == 1 and "not a miniplay events file" in result.stderr
    missing = miniplay("report", str(tmp_path / "none.jsonl"))
    assert missing.rc == 1 and "cannot read events file" in missing.stderr


# ---------------------------------------------------------------------- a real browser
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if _in_ci():
        pytest.fail("chromium is required in CI to check the HTML report (.ci/run installs it)", pytrace=False)
    pytest.skip("chromium is not installed, so the report is not opened in a browser "
                "(Debian: apt-get update && apt-get install -y chromium)")


def open_in_chromium(path: Path, profile: Path) -> tuple[str, list[str]]:
    """(the DOM after load, console messages) from headless chromium."""
    command = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom", path.as_uri()]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_report_loads_in_chromium_without_console_errors(page, tmp_path):
    dom, console = open_in_chromium(page, tmp_path / "profile")
    assert console == [], console
    for host in HOSTS:
        assert f'data-host="{host}"' in dom
        assert re.search(rf'<text class="host"[^>]*>{host}<title>', dom), host
    assert "Point at a bar" in dom  # the script ran without breaking the page


def test_the_browser_check_does_see_console_errors(tmp_path):
    bad = write(tmp_path / "bad.html", "<!DOCTYPE html><html><body><p>x</p>"
                                       "<script>console.error('boom'); missingFunction();</script></body></html>")
    _dom, console = open_in_chromium(bad, tmp_path / "profile")
    assert any("boom" in line for line in console)
    assert any("missingFunction is not defined" in line for line in console)
