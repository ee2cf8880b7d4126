"""Benchmark: a 30-task playbook over SSH against N local sshd hosts, miniplay vs ansible-core.

For each N (default 1, 5, 20) it starts N real OpenSSH test hosts on 127.0.0.2... (see
tests/sshd.py; needs root and /usr/sbin/sshd), then times:

* miniplay   — `miniplay run -f N` (one fabric connection and one worker per host);
* ansible    — `ansible-playbook -f N` with pipelining on and ControlPersist on (a fresh
               ControlPath directory per run, so no master from an earlier run is reused);
* raw floor  — the same target commands sent with plain `ssh` over one ControlMaster
               connection per host (opening the masters included), hosts in parallel.

It prints the wall times, the ratios, miniplay's controller peak memory (max RSS) and the
largest resident size any target worker reached (VmHWM, sampled while the run goes).

The playbook cycles through command, shell, copy, template, set_fact and debug (5 each).
Both engines get the same inventory (ansible_ssh_common_args with -F /dev/null and the
lab's known_hosts), so neither reads the user's ssh files.

    python tests/bench/bench_ssh.py [--hosts 1,5,20] [--repeat 1] [--no-ansible]

Targets: >= 10x faster than ansible-core at N = 20, within 3x of the raw floor, controller
peak under 150 MB at N = 20, each worker under 25 MB resident.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sshd import SSHLab, TestHost  # noqa: E402

ANSIBLE = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook")
TASKS = 30
KINDS = ("command", "shell", "copy", "template", "set_fact", "debug")


# ---------------------------------------------------------------------- the playbook
def playbook() -> str:
    lines = ["- hosts: all", "  gather_facts: false", "  tasks:"]
    for number in range(TASKS):
        kind = KINDS[number % len(KINDS)]
        lines.append({
            "command": f"    - command: echo task {number}",
            "shell": f"    - shell: echo task {number} | tr a-z A-Z",
            "copy": f"    - copy:\n        content: \"copy {number} for {{{{ inventory_hostname }}}}\\n\"\n"
                    f"        dest: \"{{{{ bench_dir }}}}/copy{number}.txt\"",
            "template": f"    - template:\n        src: page.j2\n        dest: \"{{{{ bench_dir }}}}/page{number}.txt\"",
            "set_fact": f"    - set_fact:\n        fact{number}: \"{{{{ inventory_hostname }}}}-{number}\"",
            "debug": f"    - debug:\n        msg: \"{{{{ fact{number - 1} }}}}\"",
        }[kind])
    return "\n".join(lines) + "\n"


TEMPLATE = "host {{ inventory_hostname }}\n{% for i in range(5) %}line {{ i }}\n{% endfor %}"


def raw_commands(host: TestHost) -> list[tuple[str, bytes]]:
    """What the targets really do, as plain shell commands (set_fact/debug touch no target)."""
    commands: list[tuple[str, bytes]] = []
    bench_dir = f"{host.home}/bench"
    rendered = ("host " + host.name + "\n" + "".join(f"line {i}\n" for i in range(5))).encode()
    for number in range(TASKS):
        kind = KINDS[number % len(KINDS)]
        if kind == "command":
            commands.append((f"echo task {number}", b""))
        elif kind == "shell":
            commands.append((f"echo task {number} | tr a-z A-Z", b""))
        elif kind == "copy":
            commands.append((f"cat > {bench_dir}/raw-copy{number}.txt", f"copy {number} for {host.name}\n".encode()))
        elif kind == "template":
            commands.append((f"cat > {bench_dir}/raw-page{number}.txt", rendered))
    return commands


def inventory(hosts: list[TestHost]) -> str:
    lines = []
    for host in hosts:
        common = f"-F /dev/null -o UserKnownHostsFile={host.known_hosts} -o IdentitiesOnly=yes"
        lines.append(f"{host.name} ansible_host={host.address} ansible_port={host.port} ansible_user={host.user} "
                     f"ansible_ssh_private_key_file={host.key} ansible_python_interpreter=/usr/bin/python3 "
                     f"ansible_ssh_common_args='{common}' bench_dir={host.home}/bench")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- measuring
class WorkerWatch:
    """Samples the peak resident size (VmHWM) of the miniplay workers of the lab users."""

    def __init__(self, users: set[str]) -> None:
        import pwd

        self.uids = {pwd.getpwnam(u).pw_uid for u in users}
        self.peak_kb = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "WorkerWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.05)

    def sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if os.stat(entry.path).st_uid not in self.uids:
                    continue
                with open(f"{entry.path}/cmdline", "rb") as handle:
                    if b"__miniplay_worker__" not in handle.read():
                        continue
                with open(f"{entry.path}/status") as handle:
                    for line in handle:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                            self.seen.add(int(entry.name))
            except OSError:
                continue


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (KiB) of the command (and its waited children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-3000:])
    return elapsed, proc.returncode, usage.ru_maxrss


def run_miniplay(work: Path, forks: int, users: set[str]) -> tuple[float, int, int, int]:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", MINIPLAY_SSH_ISOLATED="1", PYTHONPATH="")
    env.pop("ANSIBLE_CONFIG", None)
    with WorkerWatch(users) as watch:
        elapsed, rc, peak = timed([sys.executable, "-m", "miniplay", "run", "-i", "inv.ini", "-f", str(forks),
                                   "site.yml"], work, env)
    return elapsed, rc, peak, watch.peak_kb


def run_ansible(work: Path, forks: int) -> tuple[float, int]:
    control = Path(tempfile.mkdtemp(prefix="cp-", dir=work))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True", ANSIBLE_HOST_KEY_CHECKING="True",
               ANSIBLE_SSH_ARGS="-C -o ControlMaster=auto -o ControlPersist=60s",
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(control), ANSIBLE_LOCAL_TEMP=str(work / ".ansible-tmp"),
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", PYTHONPATH="")
    try:
        elapsed, rc, _ = timed([ANSIBLE, "-i", "inv.ini", "-f", str(forks), "site.yml"], work, env)
    finally:
        for socket_path in control.glob("*"):
            subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "x"], capture_output=True)
        shutil.rmtree(control, ignore_errors=True)
    return elapsed, rc


def raw_floor(hosts: list[TestHost], forks: int, work: Path) -> float:
    """Open one ControlMaster per host, send each host's commands over it; hosts in parallel."""
    control = Path(tempfile.mkdtemp(prefix="raw-", dir="/tmp"))

    def ssh(host: TestHost, *extra: str) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-i", str(host.key), "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={host.known_hosts}", "-o", f"ControlPath={control}/{host.name}",
                "-p", str(host.port), *extra, f"{host.user}@{host.address}"]

    def one_host(host: TestHost) -> None:
        subprocess.run(ssh(host, "-o", "ControlMaster=yes", "-o", "ControlPersist=60", "-f", "-N"), check=True)
        for command, data in raw_commands(host):
            subprocess.run(ssh(host) + [command], input=data, capture_output=True, check=True)

    start = time.perf_counter()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=forks) as pool:
            list(pool.map(one_host, hosts))
        return time.perf_counter() - start
    finally:
        for host in hosts:
            subprocess.run(ssh(host, "-O", "exit"), capture_output=True)
        shutil.rmtree(control, ignore_errors=True)


# ---------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="1,5,20", help="comma-separated host counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the best is kept)")
    parser.add_argument("--no-ansible", action="store_true", help="skip ansible-core")
    args = parser.parse_args()
    sizes = [int(n) for n in args.hosts.split(",") if n.strip()]
    reason = SSHLab.available()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    have_ansible = not args.no_ansible and os.path.exists(ANSIBLE)
    root = Path(tempfile.mkdtemp(prefix="miniplay-bench-ssh-"))
    os.chmod(root, 0o755)
    lab = SSHLab(root / "lab", max(sizes))
    lab.start()
    failures = []
    try:
        work = root / "work"
        work.mkdir()
        (work / "site.yml").write_text(playbook())
        (work / "page.j2").write_text(TEMPLATE)
        print(f"playbook: {TASKS} tasks ({', '.join(KINDS)}, 5 each); forks = N; best of {args.repeat}")
        print(f"{'N':>3} {'miniplay':>9} {'ansible':>9} {'ratio':>7} {'raw floor':>10} {'vs floor':>9} "
              f"{'ctl peak':>9} {'worker peak':>12}")
        for size in sizes:
            hosts = lab.hosts[:size]
            users = {h.user for h in hosts}
            (work / "inv.ini").write_text(inventory(hosts))
            for host in hosts:
                bench = host.home / "bench"
                bench.mkdir(exist_ok=True)
                shutil.chown(bench, host.user, host.user)
            mini = min((run_miniplay(work, size, users) for _ in range(args.repeat)), key=lambda r: r[0])
            if mini[1] != 0:
                failures.append(f"miniplay failed at N={size} (rc {mini[1]})")
            floor = min(raw_floor(hosts, size, work) for _ in range(args.repeat))
            ansible_text, ratio_text = "-", "-"
            if have_ansible:
                ans = min((run_ansible(work, size) for _ in range(args.repeat)), key=lambda r: r[0])
                if ans[1] != 0:
                    failures.append(f"ansible-playbook failed at N={size} (rc {ans[1]})")
                ansible_text, ratio_text = f"{ans[0]:.2f}s", f"{ans[0] / mini[0]:.1f}x"
            print(f"{size:>3} {mini[0]:>8.2f}s {ansible_text:>9} {ratio_text:>7} {floor:>9.2f}s "
                  f"{mini[0] / floor:>8.2f}x {mini[2] / 1024:>7.0f}MB {mini[3] / 1024:>10.1f}MB", flush=True)
        print("targets: ratio >= 10x at N=20; miniplay within 3x of the raw floor; "
              "controller peak < 150 MB at N=20; worker peak < 25 MB")
    finally:
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
