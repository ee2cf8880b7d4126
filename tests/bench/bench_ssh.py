"""Benchmark: many_small (a 30-task playbook) over SSH against N loopback sshd hosts.

For each N (default 1, 5, 20) it starts N real OpenSSH test hosts (tests/sshd.py; needs
root and /usr/sbin/sshd) and times, interleaved round after round (medians reported):

* miniplay       — `miniplay run -f N` (one fabric connection and one worker per host);
* raw-1ch        — the floor of a shell loop: one `ssh` per host, hosts in parallel, running
                   the same target commands one after the other through one shell channel;
* fabric-nodelay — the floor of a Python loop: one Python process (start-up and imports
                   included, as for miniplay) with one fabric connection per host (TCP_NODELAY
                   on its socket), hosts in parallel, one channel per command;
* ansible-core   — `ansible-playbook -f N`, pipelining and ControlPersist on (a fresh
                   ControlPath directory per run, so no master from an earlier run is reused).

The playbook cycles through command, shell, copy, template, set_fact and debug (5 each);
the floors do what the targets really do (set_fact and debug touch no target). Every engine
gets the lab's key and known_hosts only, never the user's ssh files.

    python tests/bench/bench_ssh.py [--hosts 1,5,20] [--rounds 5] [--quick] [--no-ansible]

Goals (issue 15): miniplay/raw-1ch <= 1 at N=1, <= 0.8 at 5 and 20; miniplay/fabric-nodelay <= 1.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import benchlib  # noqa: E402
from sshd import SSHLab, TestHost  # noqa: E402

TASKS = 30
KINDS = ("command", "shell", "copy", "template", "set_fact", "debug")
TEMPLATE = "host {{ inventory_hostname }}\n{% for i in range(5) %}line {{ i }}\n{% endfor %}"


# ---------------------------------------------------------------------- what is run
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


def target_commands(host: TestHost) -> list[tuple[str, bytes]]:
    """What the targets really do, as shell commands and their stdin."""
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


def shell_script(host: TestHost) -> bytes:
    """The same commands for one shell: file contents as here-documents."""
    parts = []
    for command, data in target_commands(host):
        if data:
            parts.append(f"printf %s {shlex.quote(data.decode())} | {command}")
        else:
            parts.append(command)
    return ("\n".join(parts) + "\nexit 0\n").encode()


def inventory(hosts: list[TestHost]) -> str:
    lines = []
    for host in hosts:
        common = f"-F /dev/null -o UserKnownHostsFile={host.known_hosts} -o IdentitiesOnly=yes"
        lines.append(f"{host.name} ansible_host={host.address} ansible_port={host.port} ansible_user={host.user} "
                     f"ansible_ssh_private_key_file={host.key} ansible_python_interpreter=/usr/bin/python3 "
                     f"ansible_ssh_common_args='{common}' bench_dir={host.home}/bench")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the engines
def miniplay(work: Path, forks: int, before: str | None = None) -> float:
    env = benchlib.environment(ANSIBLE_NOCOLOR="1", MINIPLAY_SSH_ISOLATED="1", PYTHONPATH="")
    env.pop("ANSIBLE_CONFIG", None)
    if before:
        env = benchlib.before_environment(env, before)
    return benchlib.wall(benchlib.MINIPLAY + ["-i", "inv.ini", "-f", str(forks), "site.yml"], work, env)


def ansible(work: Path, forks: int) -> float:
    control = Path(tempfile.mkdtemp(prefix="cp-", dir=work))
    env = {k: v for k, v in benchlib.environment().items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="True", ANSIBLE_HOST_KEY_CHECKING="True",
               ANSIBLE_SSH_ARGS="-C -o ControlMaster=auto -o ControlPersist=60s",
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(control), ANSIBLE_LOCAL_TEMP=str(work / ".ansible-tmp"),
               ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", PYTHONPATH="")
    try:
        return benchlib.wall([benchlib.ANSIBLE, "-i", "inv.ini", "-f", str(forks), "site.yml"], work, env)
    finally:
        for socket_path in control.glob("*"):
            subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "x"], capture_output=True)
        shutil.rmtree(control, ignore_errors=True)


def raw_one_channel(hosts: list[TestHost]) -> float:
    """One `ssh` per host, its commands through one shell channel; hosts in parallel."""
    def one_host(host: TestHost) -> None:
        subprocess.run(["ssh", "-F", "/dev/null", "-i", str(host.key), "-o", "IdentitiesOnly=yes",
                        "-o", f"UserKnownHostsFile={host.known_hosts}", "-p", str(host.port),
                        f"{host.user}@{host.address}", "sh", "-s"],
                       input=shell_script(host), capture_output=True, check=True)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        list(pool.map(one_host, hosts))
    return time.perf_counter() - start


def fabric_nodelay(hosts: list[TestHost]) -> float:
    """The fabric floor as a user would run it: one Python process (start-up and imports
    included) with one fabric connection per host (TCP_NODELAY), one channel per command."""
    spec = json.dumps([{"address": h.address, "port": h.port, "user": h.user, "key": str(h.key),
                        "known_hosts": str(h.known_hosts), "name": h.name,
                        "commands": [(c, d.decode()) for c, d in target_commands(h)]} for h in hosts])
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FABRIC_LOOP, spec], check=True, env=benchlib.environment())
    return time.perf_counter() - start


FABRIC_LOOP = """
import concurrent.futures, json, socket, sys
import fabric
from paramiko.config import SSHConfig

def one_host(host):
    sock = socket.create_connection((host["address"], host["port"]))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connection = fabric.Connection(host["address"], user=host["user"], port=host["port"],
                                   config=fabric.Config(ssh_config=SSHConfig(), lazy=True),
                                   connect_kwargs={"key_filename": [host["key"]], "sock": sock,
                                                   "look_for_keys": False, "allow_agent": False})
    connection.client.load_host_keys(host["known_hosts"])
    try:
        connection.open()
        for command, data in host["commands"]:
            channel = connection.transport.open_session()
            channel.exec_command(command)
            if data:
                channel.sendall(data.encode())
            channel.shutdown_write()
            while channel.recv(1 << 16):
                pass
            if channel.recv_exit_status() != 0:
                raise SystemExit(command + " failed on " + host["name"])
            channel.close()
    finally:
        connection.close()

hosts = json.loads(sys.argv[1])
with concurrent.futures.ThreadPoolExecutor(max_workers=len(hosts)) as pool:
    list(pool.map(one_host, hosts))
"""


# ---------------------------------------------------------------------- main
def main() -> int:
    parser = benchlib.arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default=None, help="comma-separated host counts (default 1,5,20; --quick 1,5)")
    args = parser.parse_args()
    sizes = [int(n) for n in (args.hosts or ("1,5" if args.quick else "1,5,20")).split(",") if n.strip()]
    rounds = benchlib.rounds_of(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # `kill PID` still stops the lab's hosts
    reason = SSHLab.available()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    with_ansible = benchlib.have_ansible(args)
    root = Path(tempfile.mkdtemp(prefix="miniplay-bench-ssh-"))
    os.chmod(root, 0o755)
    lab = SSHLab(root / "lab", max(sizes))
    lab.start()
    rows = []
    try:
        work = root / "work"
        work.mkdir()
        (work / "site.yml").write_text(playbook())
        (work / "page.j2").write_text(TEMPLATE)
        print(f"many_small: {TASKS} tasks ({', '.join(KINDS)}, 5 each); forks = N; "
              f"{rounds} interleaved rounds, medians (min-max) in seconds", flush=True)
        for size in sizes:
            hosts = lab.hosts[:size]
            (work / "inv.ini").write_text(inventory(hosts))
            for host in hosts:
                bench = host.home / "bench"
                bench.mkdir(exist_ok=True)
                shutil.chown(bench, host.user, host.user)
            engines = {"miniplay": lambda n=size: miniplay(work, n), "raw-1ch": lambda h=hosts: raw_one_channel(h),
                       "fabric-nodelay": lambda h=hosts: fabric_nodelay(h)}
            if args.before:
                engines["miniplay-before"] = lambda n=size: miniplay(work, n, args.before)
            if with_ansible:
                engines["ansible-core"] = lambda n=size: ansible(work, n)
            samples = benchlib.interleaved(engines, rounds)
            mini = samples["miniplay"]
            if args.before:
                before = samples["miniplay-before"]
                rows.append([f"{size} (before)", benchlib.spread(before), "", "", "",
                             benchlib.ratio(before, samples["raw-1ch"]), benchlib.ratio(before, samples["fabric-nodelay"]),
                             benchlib.ratio(samples.get("ansible-core", []), before)])
            rows.append([str(size), benchlib.spread(mini), benchlib.spread(samples["raw-1ch"]),
                         benchlib.spread(samples["fabric-nodelay"]),
                         benchlib.spread(samples.get("ansible-core", [])),
                         benchlib.ratio(mini, samples["raw-1ch"]), benchlib.ratio(mini, samples["fabric-nodelay"]),
                         benchlib.ratio(samples.get("ansible-core", []), mini)])
            print(f"N={size} done ({benchlib.load_line()})", flush=True)
    finally:
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(benchlib.table(f"many_small ({TASKS} tasks) x hosts, medians of {rounds}",
                         ["hosts", "miniplay s", "raw-1ch s", "fabric-nodelay s", "ansible-core s",
                          "miniplay / raw-1ch", "miniplay / fabric-nodelay", "ansible-core / miniplay"], rows))
    print("goals: miniplay / raw-1ch <= 1 at 1 host, <= 0.8 at 5 and 20; miniplay / fabric-nodelay <= 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
