"""The Debian system builtins (dpkg_selections, debconf, apt_key, apt_repository,
deb822_repository, iptables) and the controller actions gather_facts, set_stats,
validate_argument_spec, wait_for_connection and reboot, through the real CLI.

Nothing here leaves this machine changed: debconf works on a database of its own
(`DEBCONF_SYSTEMRC` in the task's environment points debconf at files in tmp_path), keys
and repositories go to files under tmp_path (or are removed again), a held package is
released in a `finally`, and iptables works in a network namespace of its own. Where the
output is deterministic the same playbook also runs under ansible-core and must print the
same lines (tests/reference.py).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import miniplay, write
from reference import TARGET_PYTHON, compare, require_ansible

LOCAL_INVENTORY = f"localhost ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
DPKG = shutil.which("dpkg") is not None
needs_dpkg = pytest.mark.skipif(not DPKG, reason="not a Debian-family host (no dpkg)")


def side_by_side(tmp_path: Path, playbook: str, files: dict[str, str] | None = None,
                 *extra: str, inventory: str = LOCAL_INVENTORY, env: dict[str, str] | None = None) -> tuple:
    """Run one playbook under ansible-core and miniplay (local connection); same output."""
    require_ansible()
    case = tmp_path / "case"
    write(case / "site.yml", playbook)
    for name, text in (files or {}).items():
        write(case / name, text)
    (case / "hosts.ini").write_text(inventory)
    return compare(case / "site.yml", case / "hosts.ini", *extra, env=env)


def run_local(tmp_path: Path, playbook: str, *extra: str):
    write(tmp_path / "site.yml", playbook)
    (tmp_path / "hosts.ini").write_text(LOCAL_INVENTORY)
    return miniplay("run", "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "site.yml"), *extra, cwd=tmp_path)


# =========================================================================== dpkg_selections
def installed_package() -> str:
    """A package installed here whose hold is harmless for the few seconds a test holds it."""
    for name in ("less", "nano", "file", "dpkg"):
        proc = subprocess.run(["dpkg", "--get-selections", name], capture_output=True, text=True)
        if proc.stdout.split()[1:2] == ["install"]:
            return name
    pytest.skip("no installed package with selection 'install' found")


def wait_for_dpkg_lock(limit: float = 300) -> None:
    """Wait while another apt/dpkg run (another test, an install) holds dpkg's lock."""
    import fcntl
    import time

    deadline = time.monotonic() + limit
    while True:
        with open("/var/lib/dpkg/lock", "a") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(handle, fcntl.LOCK_UN)
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("dpkg's lock stayed held by another process")
        time.sleep(1)


def selection_of(name: str) -> str:
    return subprocess.run(["dpkg", "--get-selections", name], capture_output=True, text=True).stdout.split()[1]


@needs_dpkg
class TestDpkgSelections:
    def test_hold_then_release_changes_the_real_selection(self, tmp_path: Path) -> None:
        if os.geteuid() != 0:
            pytest.skip("setting a dpkg selection needs root")
        name = installed_package()
        wait_for_dpkg_lock()
        try:
            run = run_local(tmp_path, f"""
                - hosts: localhost
                  gather_facts: false
                  tasks:
                    - dpkg_selections: name={name} selection=hold
                      register: held
                    - command: dpkg --get-selections {name}
                      register: seen
                    - dpkg_selections: name={name} selection=hold
                      register: again
                    - dpkg_selections: name={name} selection=install
                      register: released
                    - debug: msg="{{{{ held.before }}}}>{{{{ held.after }}}} {{{{ seen.stdout.split()[1] }}}} {{{{ again.changed }}}} {{{{ released.changed }}}}"
                """)
        finally:
            subprocess.run(["dpkg", "--set-selections"], input=f"{name} install\n", text=True, check=True)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": "install>hold hold False True"' in run.stdout
        assert selection_of(name) == "install"

    def test_check_mode_and_errors_match_ansible(self, tmp_path: Path) -> None:
        name = installed_package()
        side_by_side(tmp_path, f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - dpkg_selections: name={name} selection=hold
                  check_mode: true
                  register: r
                - debug: var=r
                - dpkg_selections: name={name} selection=install
                - dpkg_selections: name=miniplay-no-such-package selection=hold
                  ignore_errors: true
                - dpkg_selections: name={name} selection=bogus
                  ignore_errors: true
                - dpkg_selections: selection=hold
                  ignore_errors: true
            """)
        assert selection_of(name) == "install"


    def test_reading_and_check_mode_over_both_connections(self, target) -> None:
        name = installed_package()
        run = target.run(f"""
            - hosts: all
              gather_facts: false
              tasks:
                - dpkg_selections: name={name} selection=hold
                  check_mode: true
                  register: would
                - dpkg_selections: name={name} selection=install
                  register: same
                - debug: msg="{{{{ would.changed }}}} {{{{ would.before }}}} {{{{ same.changed }}}} {{{{ same.after }}}}"
            """)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": "True install False install"' in run.stdout
        assert selection_of(name) == "install"


# =========================================================================== debconf
DEBCONF_RC = """
Config: configdb
Templates: templatedb

Name: config
Driver: File
Mode: 644
Reject-Type: password
Filename: {dir}/config.dat

Name: passwords
Driver: File
Mode: 600
Backup: false
Required: false
Accept-Type: password
Filename: {dir}/passwords.dat

Name: configdb
Driver: Stack
Stack: config, passwords

Name: templatedb
Driver: File
Mode: 644
Filename: {dir}/templates.dat
"""

DEBCONF_PLAY = """
- hosts: all
  gather_facts: false
  environment:
    DEBCONF_SYSTEMRC: "{{ debconf_rc }}"
  tasks:
    - debconf: name=mptest
      register: r
    - debug: var=r
    - debconf: name=mptest question=mptest/greeting vtype=string value=hello
      register: r
      diff: true
    - debug: var=r
    - debconf: name=mptest question=mptest/greeting vtype=string value=hello
      register: r
    - debug: var=r
    - debconf: name=mptest question=mptest/flag vtype=boolean value=True
    - debconf: name=mptest question=mptest/flag vtype=boolean value=true
      register: r
    - debug: var=r
    - debconf:
        name: mptest
        question: mptest/many
        vtype: multiselect
        value: [b, a]
      register: r
    - debug: var=r
    - debconf:
        name: mptest
        question: mptest/many
        vtype: multiselect
        value: [a, b]
      register: r
    - debug: var=r
    - debconf: name=mptest question=mptest/greeting vtype=string value=bye
      check_mode: true
      register: r
    - debug: var=r
    - debconf: name=mptest question=mptest/greeting
      ignore_errors: true
    - debconf: pkg=mptest
      register: r
    - debug: var=r
"""

needs_debconf = pytest.mark.skipif(shutil.which("debconf-set-selections") is None, reason="debconf is not installed")


def real_debconf_db() -> dict[str, bytes]:
    folder = Path("/var/cache/debconf")
    return {p.name: p.read_bytes() for p in folder.glob("*.dat")} if folder.is_dir() else {}


@needs_debconf
class TestDebconf:
    def test_same_results_as_ansible_on_a_private_database(self, tmp_path: Path) -> None:
        before = real_debconf_db()
        case = tmp_path / "case"
        rc_text = DEBCONF_RC.format(dir="{{ playbook_dir }}/db")  # each engine gets its own copy
        files = {"debconf.conf.j2": rc_text, "db/.keep": ""}
        # the rc file must hold real paths: render it per engine with a first task
        playbook = """
            - hosts: localhost
              gather_facts: false
              tasks:
                - template: src=debconf.conf.j2 dest={{ playbook_dir }}/debconf.conf
            """ + textwrap.indent(DEBCONF_PLAY, "            ").replace("hosts: all", "hosts: localhost") \
            .replace('"{{ debconf_rc }}"', '"{{ playbook_dir }}/debconf.conf"')
        side_by_side(tmp_path, playbook, files)
        assert (tmp_path / "case-miniplay" / "db" / "config.dat").read_text().count("Name: mptest/") == 3
        assert real_debconf_db() == before
        assert not case.joinpath("db", "config.dat").exists()

    def test_over_both_connections(self, target, tmp_path: Path) -> None:
        db = target.workdir / "db"
        db.mkdir()
        target.chown(db)
        (target.workdir / "debconf.conf").write_text(DEBCONF_RC.format(dir=db))
        run = target.run(DEBCONF_PLAY, "-e", f"debconf_rc={target.workdir / 'debconf.conf'}")
        assert run.rc == 0, run.stdout + run.stderr
        assert "target1                    : ok=18   changed=4 " in run.stdout
        stored = (db / "config.dat").read_text()
        assert "Name: mptest/greeting\nTemplate: mptest/greeting\nValue: hello" in stored
        assert "Value: b, a" in stored and "Value: true" in stored


# =========================================================================== apt_key
needs_apt_key = pytest.mark.skipif(shutil.which("apt-key") is None or shutil.which("gpg") is None,
                                   reason="apt-key and gpg are needed")


@pytest.fixture(autouse=True)
def _no_gpg_agent_left(tmp_path: Path) -> Iterator[None]:
    """gpg starts an agent for each GNUPGHOME it uses and leaves it running: stop this test's."""
    yield
    if shutil.which("gpgconf"):
        for home in tmp_path.rglob("gnupg"):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True)


def make_key(folder: Path) -> str:
    """A fresh signing key exported to folder/key.asc and key.gpg; returns its long id."""
    home = folder / "gnupg"
    home.mkdir(mode=0o700, parents=True)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Miniplay Test <mp@example.invalid>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    (folder / "key.asc").write_bytes(subprocess.run(["gpg", "--armor", "--export"], env=env, check=True,
                                                    capture_output=True).stdout)
    (folder / "key.gpg").write_bytes(subprocess.run(["gpg", "--export"], env=env, check=True,
                                                    capture_output=True).stdout)
    listing = subprocess.run(["gpg", "--with-colons", "--list-keys"], env=env, check=True, capture_output=True,
                             text=True).stdout
    return next(line.split(":")[4] for line in listing.splitlines() if line.startswith("pub"))


APT_KEY_PLAY = """
- hosts: all
  gather_facts: false
  environment:
    GNUPGHOME: "{{ keydir }}/gnupg"
  vars:
    ring: "{{ keydir }}/ring.gpg"
  tasks:
    - apt_key: file={{ keydir }}/key.asc keyring={{ ring }}
      check_mode: true
      register: r
    - debug: var=r
    - apt_key: file={{ keydir }}/key.gpg keyring={{ ring }}
      register: r
    - debug: var=r
    - apt_key: data="{{ lookup('file', keydir + '/key.asc') }}" keyring={{ ring }}
      register: r
    - debug: var=r
    - apt_key: id={{ keyid }} keyring={{ ring }} state=absent
      register: r
      check_mode: true
    - debug: var=r
    - apt_key: id=0x{{ keyid[-8:] | lower }} keyring={{ ring }} state=absent
      register: r
    - debug: var=r
    - apt_key: id={{ keyid[-8:] }} keyring={{ ring }} state=absent
      register: r
    - debug: var=r
    - apt_key: id=xyz keyring={{ ring }}
      ignore_errors: true
    - apt_key: id=ABCDEF keyring={{ ring }}
      ignore_errors: true
    - apt_key: keyring={{ ring }} state=absent
      ignore_errors: true
    - apt_key: file=/nonexistent/key.asc keyring={{ ring }}
      ignore_errors: true
    - apt_key: id=ABCDEF12 keyserver=x data=y
      ignore_errors: true
    - apt_key: keyserver=keyserver.invalid
      ignore_errors: true
"""


@needs_apt_key
class TestAptKey:
    def test_same_results_as_ansible_on_a_private_keyring(self, tmp_path: Path) -> None:
        keydir = tmp_path / "keys"
        keyid = make_key(keydir)
        ours, _ = side_by_side(tmp_path, APT_KEY_PLAY, None, "-e", f"keydir={keydir}", "-e", f"keyid={keyid}")
        assert f'"fp": "{keyid}"' in ours.stdout
        assert "changed=4 " in ours.stdout

    def test_keys_from_urls_match_ansible(self, tmp_path: Path) -> None:
        import http.server
        import threading

        keydir = tmp_path / "keys"
        keyid = make_key(keydir)
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(keydir))  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            ours, _ = side_by_side(tmp_path, """
                - hosts: all
                  gather_facts: false
                  environment:
                    GNUPGHOME: "{{ keydir }}/gnupg"
                  tasks:
                    - apt_key: url={{ base }}/key.asc keyring={{ playbook_dir }}/ring.gpg
                      register: r
                    - debug: var=r
                    - apt_key: id={{ keyid }} url={{ base }}/key.asc keyring={{ playbook_dir }}/ring.gpg
                      register: r
                    - debug: var=r.changed
                    - apt_key: url={{ base }}/missing.asc keyring={{ playbook_dir }}/ring.gpg
                      ignore_errors: true
                    - apt_key: url=http://127.0.0.1:9/key.asc keyring={{ playbook_dir }}/ring.gpg
                      ignore_errors: true
                """, None, "-e", f"keydir={keydir}", "-e", f"keyid={keyid}", "-e", f"base={base}")
        finally:
            server.shutdown()
            server.server_close()
        assert "Failed to download key at " in ours.stdout and "HTTP Error 404: File not found" in ours.stdout

    def test_key_lands_in_the_keyring_over_both_connections(self, target, tmp_path: Path) -> None:
        keydir = target.workdir / "keys"
        keyid = make_key(keydir)
        target.chown(keydir)
        run = target.run("""
            - hosts: all
              gather_facts: false
              become: true  # apt-key add refuses anyone but root
              environment:
                GNUPGHOME: "{{ keydir }}/gnupg"
              tasks:
                - apt_key: file={{ keydir }}/key.asc keyring={{ keydir }}/ring.gpg
                - apt_key: file={{ keydir }}/key.asc keyring={{ keydir }}/ring.gpg
                  register: again
                - assert:
                    that:
                      - not again.changed
                      - again.before == [keyid]
            """, "-e", f"keydir={keydir}", "-e", f"keyid={keyid}")
        assert run.rc == 0, run.stdout + run.stderr
        listing = subprocess.run(["gpg", "--no-default-keyring", "--keyring", str(keydir / "ring.gpg"),
                                  "--with-colons", "--list-keys"], capture_output=True, text=True,
                                 env={**os.environ, "GNUPGHOME": str(keydir / "gnupg")}).stdout
        assert f":{keyid}:" in listing


# =========================================================================== apt_repository
@pytest.fixture(scope="session")
def python_apt(tmp_path_factory: pytest.TempPathFactory) -> str:
    """python3-apt and python3-debian unpacked into a folder (never installed), for ansible-core's
    apt_repository and deb822_repository, which import them: the folder goes on PYTHONPATH through
    the task's environment."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        pytest.skip("not a Debian-family host")
    folder = tmp_path_factory.mktemp("python-apt")
    proc = subprocess.run(["apt-get", "download", "python3-apt", "python3-debian", "python3-chardet"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    debs = list(folder.glob("*.deb"))
    if proc.returncode != 0 or len(debs) != 3:
        pytest.skip(f"could not download python3-apt for ansible-core's side: {proc.stderr.strip()[-300:]}")
    for deb in debs:
        subprocess.run(["dpkg", "-x", str(deb), str(folder / "root")], check=True)
    return str(folder / "root" / "usr" / "lib" / "python3" / "dist-packages")


def apt_tree(folder: Path) -> Path:
    """A private apt configuration (APT_CONFIG) whose Dir::Etc is folder/etc, with a sources.list."""
    etc = folder / "etc"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "apt.conf.d").mkdir()
    (etc / "sources.list").write_text("deb http://deb.example.invalid/debian bookworm main\n"
                                      "# deb http://old.example.invalid/debian bookworm main # disabled\n"
                                      "deb https://ppa.launchpadcontent.net/miniplay/test/ubuntu jammy main\n")
    (folder / "apt.conf").write_text(f'Dir::Etc "{etc}";\n')
    return folder / "apt.conf"


def real_apt_sources() -> dict[str, bytes]:
    """This machine's apt sources, less the throwaway repositories of test runs in other
    processes (other checkouts run these tests at the same time on the same machine)."""
    found = {}
    for path in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        if path.name.startswith("miniplay-test-") and path.name != f"miniplay-test-{os.getpid()}.sources":
            continue
        if path.is_file():
            found[str(path)] = path.read_bytes()
    return found


APT_REPOSITORY_PLAY = """
- hosts: all
  gather_facts: false
  environment:
    APT_CONFIG: "{{ apt_config }}"
    PYTHONPATH: "{{ python_apt | default('') }}"
  tasks:
    - apt_repository: repo="deb [arch=amd64] https://user:pw@repo.example.invalid/apt  stable main" update_cache=false
      register: r
      diff: true
    - debug: var=r
    - apt_repository: repo="deb [arch=amd64] https://user:pw@repo.example.invalid/apt stable main" update_cache=false
      register: r
    - debug: var=r
    - name: a commented-out line is enabled again, not added twice
      apt_repository: repo="deb http://old.example.invalid/debian bookworm main" update_cache=false
      register: r
    - debug: var=r
    - apt_repository:
        repo: deb-src http://x.example.invalid/ sid main
        filename: "{{ own_file }}"
        mode: "0600"
        update_cache: false
      check_mode: true
      register: r
    - debug: var=r
    - apt_repository:
        repo: deb-src http://x.example.invalid/ sid main
        filename: "{{ own_file }}"
        mode: "0600"
        update-cache: false
    - stat: path={{ own_file }}.list
      register: st
    - debug: var=st.stat.mode
    - apt_repository: repo="deb [arch=amd64] https://user:pw@repo.example.invalid/apt stable main" state=absent update_cache=false
      register: r
      diff: true
    - debug: var=r
    - name: a PPA is expanded with the codename (no network needed to remove one)
      apt_repository: repo=ppa:miniplay/test state=absent codename=jammy update_cache=false
      register: r
    - debug: var=r
    - apt_repository: repo=ppa:miniplay/other state=absent codename=jammy update_cache=false
      register: r
    - debug: var=r.changed
    - apt_repository: repo="garbage here" update_cache=false
      ignore_errors: true
    - apt_repository: repo="# deb http://a b c" update_cache=false
      ignore_errors: true
    - apt_repository: repo="" update_cache=false
      ignore_errors: true
    - apt_repository: repo="deb http://a b c" state=gone
      ignore_errors: true
    - command: cat {{ apt_config | dirname }}/etc/sources.list
"""


@needs_dpkg
class TestAptRepository:
    def test_same_results_as_ansible_on_a_private_apt_tree(self, tmp_path: Path, python_apt: str) -> None:
        """Each engine works on its own copy of the folder: a first task writes the apt.conf
        that points apt at that copy's etc/."""
        before = real_apt_sources()
        config = apt_tree(tmp_path / "apt")
        require_ansible()
        case = tmp_path / "case"
        write(case / "site.yml", """
            - hosts: all
              gather_facts: false
              tasks:
                - copy:
                    dest: "{{ playbook_dir }}/apt.conf"
                    content: 'Dir::Etc "{{ playbook_dir }}/etc";'
            """ + textwrap.indent(APT_REPOSITORY_PLAY, "            ")
              .replace("{{ apt_config }}", "{{ playbook_dir }}/apt.conf")
              .replace("{{ own_file }}", "{{ playbook_dir }}/own")
              .replace("{{ apt_config | dirname }}", "{{ playbook_dir }}"))
        shutil.copytree(config.parent / "etc", case / "etc")
        (case / "hosts.ini").write_text(LOCAL_INVENTORY)
        ours, _ = compare(case / "site.yml", case / "hosts.ini", "-e", f"python_apt={python_apt}")
        work = tmp_path / "case-miniplay"
        assert (work / "etc" / "sources.list").read_text().splitlines()[1] == \
            "deb http://old.example.invalid/debian bookworm main # disabled"
        assert list((work / "etc" / "sources.list.d").iterdir()) == []
        assert (work / "own.list").read_text() == "deb-src http://x.example.invalid/ sid main\n"
        assert real_apt_sources() == before

    def test_a_failed_cache_update_puts_the_sources_back(self, tmp_path: Path) -> None:
        """apt-get update runs against a private state and cache too (never this machine's lists)."""
        before = real_apt_sources()
        lists = sorted(os.listdir("/var/lib/apt/lists")) if os.path.isdir("/var/lib/apt/lists") else []
        config = apt_tree(tmp_path / "apt")
        for folder in ("state/lists/partial", "cache/archives/partial"):
            (tmp_path / "apt" / folder).mkdir(parents=True)
        with open(config, "a") as handle:
            handle.write(f'Dir::State "{tmp_path}/apt/state";\nDir::Cache "{tmp_path}/apt/cache";\n'
                         'Acquire::Retries "0";\n')
        run = run_local(tmp_path, f"""
            - hosts: all
              gather_facts: false
              environment:
                APT_CONFIG: {config}
              tasks:
                - apt_repository:
                    repo: deb http://127.0.0.1:9/debian stable main
                    filename: broken
                    update_cache_retries: 2
                    update_cache_retry_max_delay: 0
                  register: r
                  ignore_errors: true
                - debug: var=r
            """)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": "Failed to update apt cache after 2 retries: "' in run.stdout
        assert '"Failed to update cache after 2 due to  retry, retrying",' in run.stdout
        assert list((tmp_path / "apt" / "etc" / "sources.list.d").iterdir()) == []
        assert real_apt_sources() == before
        assert (sorted(os.listdir("/var/lib/apt/lists")) if lists else []) == lists

    def test_over_both_connections(self, target) -> None:
        before = real_apt_sources()
        config = apt_tree(target.workdir / "apt")
        target.chown(target.workdir)
        run = target.run("""
            - hosts: all
              gather_facts: false
              environment:
                APT_CONFIG: "{{ apt_config }}"
              tasks:
                - apt_repository: repo="deb https://repo.example.invalid/apt stable main" filename=vendor update_cache=false
                - apt_repository: repo="deb https://repo.example.invalid/apt stable main" filename=vendor update_cache=false
                  register: again
                - assert:
                    that: not again.changed
            """, "-e", f"apt_config={config}")
        assert run.rc == 0, run.stdout + run.stderr
        written = config.parent / "etc" / "sources.list.d" / "vendor.list"
        assert written.read_text() == "deb https://repo.example.invalid/apt stable main\n"
        assert real_apt_sources() == before


# =========================================================================== deb822_repository
def deb822_play(name: str, keydir: Path) -> str:
    """Writes /etc/apt/sources.list.d/<slug>.sources (always `Enabled: no`) and removes it at the end."""
    repo = f"""
        name: {name}
        types: [deb, deb-src]
        uris: http://repo.example.invalid/debian
        suites: [stable]
        components: main contrib
        enabled: false
        signed_by: "{{{{ lookup('file', '{keydir}/key.asc') }}}}"
        date_max_future: 10
        check_valid_until: false
        trusted: true"""
    return f"""
- hosts: all
  gather_facts: false
  environment:
    PYTHONPATH: "{{{{ python_apt | default('') }}}}"
  tasks:
    - deb822_repository:{repo}
      check_mode: true
      register: r
      diff: true
    - debug: var=r
    - deb822_repository:{repo}
      register: r
    - debug: var=r
    - deb822_repository:{repo}
        mode: "0600"
      register: r
    - debug: var=r
    - deb822_repository:{repo}
        mode: "0600"
      register: r
    - debug: var=r
    - deb822_repository:
        name: {name}
        uris: http://repo.example.invalid/debian
        suites: [stable]
        signed_by: {keydir}/key.asc
        enabled: no
      register: r
    - debug: var=r
    - deb822_repository: name="{name}" state=absent
      check_mode: true
      register: r
    - debug: var=r
    - deb822_repository: name="{name}" state=absent
      register: r
    - debug: var=r
    - deb822_repository: name="{name}" state=absent
      register: r
    - debug: var=r
    - deb822_repository: name=x types=rpm
      ignore_errors: true
    - deb822_repository: name=x date_max_future=soon
      ignore_errors: true
    - deb822_repository: types=deb
      ignore_errors: true
"""


@pytest.fixture
def deb822_name(request: pytest.FixtureRequest):
    """A repository name no one else uses; its files are removed whatever the test does."""
    if os.geteuid() != 0:
        pytest.skip("deb822_repository writes /etc/apt/sources.list.d: needs root")
    name = f"Miniplay Test_{os.getpid()}"
    slug = f"miniplay-test-{os.getpid()}"
    yield name, slug
    for path in (Path(f"/etc/apt/sources.list.d/{slug}.sources"), Path(f"/etc/apt/keyrings/{slug}.asc"),
                 Path(f"/etc/apt/keyrings/{slug}.gpg")):
        path.unlink(missing_ok=True)


@needs_dpkg
class TestDeb822Repository:
    def test_same_results_as_ansible(self, tmp_path: Path, python_apt: str, deb822_name) -> None:
        if shutil.which("gpg") is None:
            pytest.skip("gpg is needed to make a test key")
        before = real_apt_sources()
        name, slug = deb822_name
        make_key(tmp_path / "keys")
        ours, _ = side_by_side(tmp_path, deb822_play(name, tmp_path / "keys"), None, "-e", f"python_apt={python_apt}")
        assert "Signed-By:\\n    -----BEGIN PGP PUBLIC KEY BLOCK-----\\n    .\\n" in ours.stdout
        assert f'"dest": "/etc/apt/sources.list.d/{slug}.sources"' in ours.stdout
        assert real_apt_sources() == before

    def test_over_both_connections_with_become(self, target, deb822_name) -> None:
        before = real_apt_sources()
        name, slug = deb822_name
        run = target.run(f"""
            - hosts: all
              gather_facts: false
              become: true
              tasks:
                - deb822_repository:
                    name: {name}
                    uris: ["http://repo.example.invalid/debian"]
                    suites: stable
                    components: [main]
                    enabled: false
                  register: written
                - command: cat /etc/apt/sources.list.d/{slug}.sources
                  register: text
                - deb822_repository: name="{name}" state=absent
                  register: gone
                - debug: msg="{{{{ written.changed }}}} {{{{ written.mode }}}} {{{{ gone.changed }}}}"
                - debug: var=text.stdout_lines
            """)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": "True 0644 True"' in run.stdout
        assert '"Components: main",\n        "Enabled: no",\n        "X-Repolib-Name: ' + name + '",' in run.stdout
        assert real_apt_sources() == before

    def test_key_from_a_url_goes_to_etc_apt_keyrings(self, tmp_path: Path, deb822_name) -> None:
        import http.server
        import threading

        if shutil.which("gpg") is None:
            pytest.skip("gpg is needed to make a test key")
        name, slug = deb822_name
        make_key(tmp_path / "keys")
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "keys"))  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            run = run_local(tmp_path, f"""
                - hosts: all
                  gather_facts: false
                  tasks:
                    - deb822_repository:
                        name: {name}
                        uris: http://repo.example.invalid/debian
                        suites: stable
                        enabled: false
                        signed_by: http://127.0.0.1:{server.server_port}/key.gpg
                      register: first
                    - command: cat /etc/apt/sources.list.d/{slug}.sources
                      register: written
                    - deb822_repository:
                        name: {name}
                        uris: http://repo.example.invalid/debian
                        suites: stable
                        enabled: false
                        signed_by: http://127.0.0.1:{server.server_port}/key.gpg
                      register: again
                    - deb822_repository: name="{name}" state=absent
                      register: gone
                    - debug:
                        msg: "{{{{ first.changed }}}} {{{{ first.key_filename }}}} {{{{ again.changed }}}} {{{{ gone.changed }}}}"
                    - debug: var=written.stdout_lines
                """)
        finally:
            server.shutdown()
            server.server_close()
        assert run.rc == 0, run.stdout + run.stderr
        assert f'"msg": "True /etc/apt/keyrings/{slug}.gpg False True"' in run.stdout
        assert f'"Signed-By: /etc/apt/keyrings/{slug}.gpg"' in run.stdout
        assert not Path(f"/etc/apt/keyrings/{slug}.gpg").exists()
        assert not Path(f"/etc/apt/sources.list.d/{slug}.sources").exists()


# =========================================================================== iptables
IPTABLES_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - iptables: chain=MPTEST chain_management=true
      check_mode: true
      register: r
    - debug: var=r
    - iptables: chain=MPTEST chain_management=true
      register: r
    - iptables: chain=MPTEST chain_management=true
      register: r
    - debug: var=r
    - iptables:
        chain: MPTEST
        protocol: tcp
        destination_port: "22"
        ctstate: [NEW, ESTABLISHED]
        jump: ACCEPT
        comment: ssh in
      register: r
    - debug: var=r
    - iptables:
        chain: MPTEST
        protocol: tcp
        destination_port: "22"
        ctstate: [NEW, ESTABLISHED]
        jump: ACCEPT
        comment: ssh in
      register: r
    - debug: var=r
    - iptables:
        chain: MPTEST
        source: "!10.0.0.0/8"
        destination_ports: ["80", "443:445"]
        protocol: tcp
        jump: DROP
        action: insert
        rule_num: "1"
        syn: match
        limit: 10/second
        limit_burst: "20"
    - iptables:
        chain: MPTEST
        protocol: icmp
        icmp_type: echo-request
        log_prefix: "ICMP "
        log_level: info
    - iptables:
        chain: MPTEST
        src_range: 192.168.1.100-192.168.1.199
        tcp_flags:
          flags: [ALL]
          flags_set: [ACK, RST, SYN, FIN]
        protocol: tcp
        jump: REJECT
        reject_with: tcp-reset
        uid_owner: "0"
    - command: iptables -S MPTEST
      register: listing
    - debug: var=listing.stdout_lines
    - iptables: chain=INPUT policy=DROP
      register: r
    - debug: var=r
    - iptables: chain=INPUT policy=DROP numeric=true
      register: r
    - debug: var=r
    - iptables: chain=INPUT policy=ACCEPT
    - iptables:
        chain: MPTEST
        protocol: tcp
        destination_port: "22"
        ctstate: [NEW, ESTABLISHED]
        jump: ACCEPT
        comment: ssh in
        state: absent
      register: r
    - debug: var=r
    - iptables: chain=MPTEST flush=true
      register: r
    - debug: var=r
    - iptables: chain=MPTEST state=absent
      register: r
    - debug: var=r
    - iptables: chain=MPTEST state=absent chain_management=true
    - iptables: chain=MPTEST state=absent chain_management=true
      register: r
    - debug: var=r
    - iptables: chain=NOPE protocol=tcp jump=ACCEPT
      ignore_errors: true
    - iptables: protocol=tcp
      ignore_errors: true
    - iptables: chain=INPUT jump=TEE
      ignore_errors: true
    - iptables: chain=INPUT set_dscp_mark=8
      ignore_errors: true
    - iptables: chain=INPUT jump=ACCEPT log_prefix=x
      ignore_errors: true
    - iptables: chain=INPUT flush=true policy=DROP
      ignore_errors: true
    - iptables: chain=INPUT destination_ports=a,b,c table=bogus
      ignore_errors: true
"""


@pytest.fixture
def netns_iptables(tmp_path: Path):
    """A PATH folder whose `iptables` runs the real one inside a network namespace of its own
    (`ip netns`), so rules, chains and policies never reach this machine's firewall."""
    iptables = shutil.which("iptables", path="/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
    if iptables is None or shutil.which("ip") is None or shutil.which("nsenter") is None:
        pytest.skip("iptables, ip and nsenter are needed (apt-get install iptables iproute2 util-linux)")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"miniplay-test-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    folder = tmp_path / "netns-bin"
    folder.mkdir()
    wrapper = folder / "iptables"
    wrapper.write_text(f"#!/bin/sh\nexec nsenter --net=/run/netns/{name} {iptables} \"$@\"\n")
    wrapper.chmod(0o755)
    try:
        yield {"PATH": f"{folder}:{os.environ.get('PATH', '')}"}
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def firewall() -> str:
    """`iptables -S`, less the dedicated chains of test runs in other processes."""
    import re

    if not shutil.which("iptables"):
        return ""
    text = subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
    own = re.compile(rf"\bMPT{os.getpid()}[LS]\b")
    return "".join(line + "\n" for line in text.splitlines()
                   if not re.search(r"\bMPT\d+[LS]\b", line) or own.search(line))


class TestIptables:
    def test_same_results_as_ansible_in_a_network_namespace(self, tmp_path: Path, netns_iptables) -> None:
        before = firewall()
        require_ansible()
        case = tmp_path / "case"
        write(case / "site.yml", IPTABLES_PLAY)
        (case / "hosts.ini").write_text(LOCAL_INVENTORY)
        ours, _ = compare(case / "site.yml", case / "hosts.ini", env=netns_iptables)
        assert '"-A MPTEST -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,ESTABLISHED -m comment ' \
               '--comment \\"ssh in\\" -j ACCEPT",' in ours.stdout
        assert "ok=35   changed=13   unreachable=0    failed=0    skipped=0    rescued=0    ignored=7" in ours.stdout
        assert firewall() == before

    def test_a_dedicated_chain_over_both_connections(self, target) -> None:
        """Over SSH the rules go to this machine's firewall (as root, through become), in a chain
        of the test's own that the play creates and deletes again."""
        if shutil.which("iptables", path="/usr/sbin:/sbin") is None:
            pytest.skip("iptables is not installed")
        chain = f"MPT{os.getpid()}{target.kind[:1].upper()}"
        before = firewall()
        try:
            run = target.run(f"""
                - hosts: all
                  gather_facts: false
                  become: true
                  tasks:
                    - iptables: chain={chain} chain_management=true
                    - iptables: chain={chain} protocol=tcp destination_port=2222 jump=ACCEPT comment=miniplay
                      register: added
                    - command: /usr/sbin/iptables -S {chain}
                      register: listed
                    - iptables: chain={chain} protocol=tcp destination_port=2222 jump=ACCEPT comment=miniplay
                      register: again
                    - iptables: chain={chain} flush=true
                    - iptables: chain={chain} state=absent chain_management=true
                      register: deleted
                    - debug:
                        msg: "{{{{ added.changed }}}} {{{{ again.changed }}}} {{{{ deleted.changed }}}} {{{{ listed.stdout_lines[1] }}}}"
                """)
        finally:
            subprocess.run(["iptables", "-F", chain], capture_output=True)
            subprocess.run(["iptables", "-X", chain], capture_output=True)
        assert run.rc == 0, run.stdout + run.stderr
        assert f'"msg": "True False True -A {chain} -p tcp -m tcp --dport 2222 -m comment --comment miniplay -j ACCEPT"' \
            in run.stdout
        assert firewall() == before


# =========================================================================== gather_facts
class TestGatherFacts:
    def test_same_results_as_ansible(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, """
            - hosts: all
              gather_facts: false
              tasks:
                - gather_facts:
                    gather_subset: [min]
                    parallel: false
                  register: r
                - debug:
                    msg: >-
                      {{ r.keys() | sort }} {{ r.ansible_facts.keys() | length > 5 }}
                      {{ '_ansible_facts_gathered' in r.ansible_facts }} {{ ansible_facts.keys() | length > 5 }}
                      {{ ansible_system }} {{ ansible_processor_count is defined }}
                - gather_facts:
                    gather_subset: ["!all"]
                    filter: ["ansible_system", "ansible_os_family"]
                  register: r
                - debug: var=r
                - gather_facts:
                  check_mode: true
                  register: r
                - debug: msg="{{ r.ansible_facts.ansible_processor_count is defined }}"
                - ansible.builtin.gather_facts:
                    gather_subset: [hardware]
                    gather_timeout: 5
            """, None, "-v")
        assert '"msg": "[\'ansible_facts\', \'changed\', \'failed\'] True False True Linux False"' in ours.stdout
        assert "ansible_distribution" not in ours.stdout  # -v never dumps gathered facts

    def test_play_keywords_shape_the_implicit_fact_gathering(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, """
            - hosts: all
              gather_subset: [min]
              gather_timeout: 5
              tasks:
                - debug: msg="{{ ansible_processor_count is defined }} {{ ansible_system }} {{ ansible_facts.gather_subset }}"
            - hosts: all
              gather_subset: "!all,network"
              module_defaults:
                setup:
                  fact_path: /nonexistent
              tasks:
                - debug: msg="{{ ansible_processor_count is defined }} {{ ansible_default_ipv4 is defined }}"
                - gather_facts:
                - debug: msg="{{ ansible_processor_count is defined }}"
            """)
        assert "\"msg\": \"False Linux ['min']\"" in ours.stdout

    def test_a_failing_setup_is_reported_as_ansible_does(self, target) -> None:
        run = target.run("""
            - hosts: all
              gather_facts: false
              tasks:
                - gather_facts:
                    nonsense: 1
                  register: r
                  ignore_errors: true
                - debug: msg="{{ r.failed_modules.keys() | list }} {{ r.msg }}"
                - gather_facts:
                    parallel: maybe
                  ignore_errors: true
            """)
        assert run.rc == 0, run.stdout + run.stderr
        assert "<<< caused by >>>\n\nThe following modules failed to execute: ansible.legacy.setup.\n\n" \
               "+--[ Sub-Event 1 of 1 ]---\n| \n| Unsupported parameters for (ansible.legacy.setup) module: " \
               "nonsense." in run.stdout
        assert "\"msg\": \"['ansible.legacy.setup'] The following modules failed to execute: " \
               "ansible.legacy.setup.\"" in run.stdout
        assert "[ERROR]: Task failed: The value 'maybe' is not a valid boolean." in run.stdout


# =========================================================================== set_stats
SET_STATS_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - set_stats:
        data:
          packages: 3
          names: ["{{ inventory_hostname }}"]
          info: {a: 1}
      register: r
    - debug: var=r
    - set_stats:
        data:
          packages: 2
          info: {b: 2}
          mine: "{{ inventory_hostname }}"
        per_host: true
    - set_stats:
        data:
          last: "{{ inventory_hostname }}"
        aggregate: false
      run_once: true
    - set_stats:
        data:
          packages: "not a number"
    - set_stats:
        data: notadict
      ignore_errors: true
      register: r
    - debug: var=r
    - set_stats:
        data:
          "bad name": 1
      ignore_errors: true
    - set_stats:
        data: {x: 1}
        other: 1
      ignore_errors: true
    - set_stats:
        data: {x: 1}
        per_host: maybe
      register: r
    - debug: var=r
"""
PAIR_INVENTORY = "".join(f"{h} ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
                         for h in ("h1", "h2"))


class TestSetStats:
    def test_custom_stats_block_matches_ansible(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, SET_STATS_PLAY, None, "-f", "1", inventory=PAIR_INVENTORY,
                               env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})
        assert ('\tRUN: { "info": {  "a": 1 }, "last": "h1", "names": [  "h1",  "h2" ], "packages": 6, "x": 2}'
                in ours.stdout)

    def test_stats_are_stored_but_not_shown_by_default(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, SET_STATS_PLAY, None, "-f", "1", inventory=PAIR_INVENTORY)
        assert "CUSTOM STATS" not in ours.stdout

    def test_api_returns_the_stored_stats(self, tmp_path: Path) -> None:
        import io

        import miniplay

        playbook = write(tmp_path / "site.yml", SET_STATS_PLAY)
        (tmp_path / "hosts.ini").write_text(PAIR_INVENTORY)
        result = miniplay.run_playbook(str(playbook), inventory=[str(tmp_path / "hosts.ini")], forks=1,
                                       stdout=io.StringIO())
        assert result.custom_stats["_run"] == {"packages": 6, "names": ["h1", "h2"], "info": {"a": 1},
                                               "last": "h1", "x": 2}
        assert result.custom_stats["h2"] == {"packages": 2, "info": {"b": 2}, "mine": "h2"}

    def test_show_custom_stats_from_ansible_cfg(self, tmp_path: Path) -> None:
        write(tmp_path / "ansible.cfg", "[defaults]\nshow_custom_stats = True\n")
        run = run_local(tmp_path, """
            - hosts: localhost
              gather_facts: false
              tasks:
                - set_stats: {data: {deployed: 1}}
                - set_stats: {data: {deployed: 1}}
            """)
        assert run.rc == 0, run.stdout + run.stderr
        assert run.stdout.rstrip().endswith('CUSTOM STATS: ' + '*' * 66 + '\n\n\tRUN: { "deployed": 2}')


# =========================================================================== validate_argument_spec
VALIDATE_PLAY = """
- hosts: all
  gather_facts: false
  vars:
    listen_port: "8080"
    mode: fast
    spec:
      listen_port: {type: int, required: true}
      mode: {choices: [fast, safe], default: safe}
      names: {type: list, elements: int}
      user:
        type: dict
        options:
          name: {required: true, aliases: [login]}
          shell: {default: /bin/sh}
          uid: {type: int}
        mutually_exclusive: [[uid, shell]]
      servers:
        type: list
        elements: dict
        options:
          host: {required: true}
          port: {type: int, default: 22}
        required_together: [[host, port]]
      size: {type: float}
  tasks:
    - name: the task's variables named in the spec are checked
      validate_argument_spec:
        argument_spec: "{{ spec }}"
      register: r
    - debug: var=r
    - validate_argument_spec:
        argument_spec: "{{ spec }}"
        provided_arguments:
          listen_port: eighty
          mode: slow
          names: [1, "2", x]
          user: {login: bob, uid: nope, shell: /bin/bash}
          servers: [{host: a}, {port: 1}, 7]
          size: big
          bogus: 1
        validate_args_context: {name: my_role}
      register: r
      ignore_errors: true
    - debug: var=r
    - validate_argument_spec:
        argument_spec:
          a: {type: str, required: true}
          b: {type: dict}
          c: {type: list, choices: [x, y]}
          d: {type: bool, choices: [yes, no]}
          e: {required: true, default: 1}
          f: {type: dict, apply_defaults: true, options: {g: {default: 1}}}
          h: {type: str, required_by: {}}
        provided_arguments:
          b: "k=v, j=w"
          c: [x, z]
          d: "True"
      ignore_errors: true
      register: r
    - debug: var=r
    - validate_argument_spec:
        provided_arguments: {}
      ignore_errors: true
    - validate_argument_spec:
        argument_spec: [1]
      ignore_errors: true
    - validate_argument_spec:
        argument_spec:
          b: {type: dict}
          n: {type: int}
          m: {type: int}
        provided_arguments:
          b: "garbage"
          n: 1.5
          m: 2.0
      ignore_errors: true
"""


class TestValidateArgumentSpec:
    def test_same_messages_as_ansible(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, VALIDATE_PLAY)
        assert '"msg": "The arg spec validation passed"' in ours.stdout
        assert "missing required arguments: host found in servers\\nparameters are required together: host, port " \
               "found in servers" in ours.stdout

    def test_role_style_check_stops_the_host(self, target) -> None:
        run = target.run("""
            - hosts: all
              gather_facts: false
              vars:
                app_port: 80
              tasks:
                - validate_argument_spec:
                    argument_spec:
                      app_port: {type: int, required: true}
                      app_name: {type: str, required: true}
                - debug: msg=never
            """)
        assert run.rc == 2
        assert "Validation of arguments failed:\\nmissing required arguments: app_name" in run.stdout
        assert "never" not in run.stdout


# =========================================================================== wait_for_connection, reboot
WAIT_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - shell: echo $PPID
      register: before
    - wait_for_connection:
      register: r
    - debug: msg="{{ r.keys() | sort }} {{ r.elapsed is number }}"  # elapsed itself depends on timing
    - shell: echo $PPID
      register: after
    - debug: msg="{{ before.stdout != after.stdout }}"
    - wait_for_connection: timeout=5 delay=1 sleep=1 connect_timeout=3
      check_mode: true
      register: r
    - debug: var=r
    - wait_for_connection: bogus=1
      ignore_errors: true
    - wait_for_connection: timeout=abc
      ignore_errors: true
    - reboot:
      ignore_errors: true
      register: r
    - debug: var=r
"""


def in_background(work, delay: float = 0.0):
    import threading

    def later() -> None:
        time.sleep(delay)
        work()

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


class TestWaitForConnection:
    def test_same_results_as_ansible_on_the_local_connection(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, WAIT_PLAY)
        assert '"msg": "Running reboot with local connection would reboot the control node."' in ours.stdout

    def test_waits_while_sshd_is_down_then_logs_in_afresh(self, ssh_lab, ssh_host, tmp_path: Path) -> None:
        """A task touches a marker; the test then stops the host's sshd for three seconds,
        while the play pauses on the controller, so wait_for_connection meets a dead host."""
        inventory = tmp_path / "hosts.ini"
        inventory.write_text(ssh_host.inventory_line("target1") + "\n")
        marker = ssh_host.workdir / f"sshd-down-{os.getpid()}"
        marker.unlink(missing_ok=True)
        write(tmp_path / "site.yml", f"""
            - hosts: all
              gather_facts: false
              tasks:
                - shell: echo $PPID; touch {marker}
                  register: before
                - pause: seconds=2
                - wait_for_connection: sleep=1 timeout=60 connect_timeout=2
                  register: waited
                - shell: echo $PPID
                  register: after
                - debug: msg="{{{{ waited.elapsed >= 1 }}}} {{{{ before.stdout != after.stdout }}}}"
            """)

        def outage() -> None:
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            ssh_lab.stop_host(ssh_host)
            time.sleep(3)
            ssh_lab.restart_host(ssh_host)

        down = in_background(outage)
        try:
            run = miniplay("run", "-i", str(inventory), str(tmp_path / "site.yml"), cwd=tmp_path)
        finally:
            down.join(90)
            marker.unlink(missing_ok=True)
            if ssh_host.pid is None:
                ssh_lab.restart_host(ssh_host)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": "True True"' in run.stdout

    def test_delegated_wait_resets_the_delegated_hosts_worker(self, ssh_host, tmp_path: Path) -> None:
        inventory = tmp_path / "hosts.ini"
        inventory.write_text(ssh_host.inventory_line("target1") + "\n" + LOCAL_INVENTORY)
        write(tmp_path / "site.yml", """
            - hosts: localhost
              gather_facts: false
              tasks:
                - shell: echo $PPID
                  delegate_to: target1
                  register: before
                - wait_for_connection:
                  delegate_to: target1
                - shell: echo $PPID
                  delegate_to: target1
                  register: after
                - debug: msg="{{ before.stdout != after.stdout }}"
            """)
        run = miniplay("run", "-i", str(inventory), str(tmp_path / "site.yml"), cwd=tmp_path)
        assert run.rc == 0, run.stdout + run.stderr
        assert '"msg": true' in run.stdout, run.stdout  # a new worker (a new PID) on the delegated host

    def test_times_out_with_ansibles_message(self, ssh_lab, ssh_host, tmp_path: Path) -> None:
        inventory = tmp_path / "hosts.ini"
        inventory.write_text(ssh_host.inventory_line("target1") + "\n")
        write(tmp_path / "site.yml", """
            - hosts: all
              gather_facts: false
              tasks:
                - wait_for_connection: sleep=1 timeout=3 connect_timeout=1
            """)
        stop = in_background(lambda: ssh_lab.stop_host(ssh_host), delay=0)
        try:
            stop.join(10)
            run = miniplay("run", "-i", str(inventory), str(tmp_path / "site.yml"), cwd=tmp_path)
        finally:
            ssh_lab.restart_host(ssh_host)
        assert run.rc == 2, run.stdout + run.stderr
        assert "timed out waiting for ping module test: " in run.stdout


@pytest.fixture
def reboot_lab(ssh_lab, ssh_host, tmp_path: Path):
    """A host whose `reboot` is a restart of its sshd: the reboot command (a script on the
    target) asks for it, the test restarts the sshd and changes the file standing in for
    the boot id while it is down."""
    import threading

    work = ssh_host.workdir / f"reboot-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "boot_id").write_text("boot-1\n")
    script = work / "fake-reboot"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {work}/requested\n")
    script.chmod(0o755)
    entry = __import__("pwd").getpwnam(ssh_host.user)
    for path in (work, work / "boot_id", script):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if (work / "requested").exists():
                time.sleep(0.3)  # let the command return first, as a real shutdown does
                ssh_lab.stop_host(ssh_host)
                (work / "boot_id").write_text("boot-2\n")
                time.sleep(1.5)
                ssh_lab.restart_host(ssh_host)
                return
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(ssh_host.inventory_line("target1") + "\n")
    try:
        yield work, inventory
    finally:
        done.set()
        watcher.join(30)
        if ssh_host.pid is None:
            ssh_lab.restart_host(ssh_host)
        shutil.rmtree(work, ignore_errors=True)


class TestReboot:
    def test_reboot_waits_for_a_new_boot_id_and_a_new_login(self, reboot_lab, tmp_path: Path) -> None:
        work, inventory = reboot_lab
        write(tmp_path / "site.yml", f"""
            - hosts: all
              gather_facts: false
              tasks:
                - shell: echo $PPID
                  register: before
                - reboot:
                    reboot_command: {work}/fake-reboot now please
                    boot_time_command: cat {work}/boot_id
                    test_command: test -f {work}/boot_id
                    reboot_timeout: 60
                    connect_timeout: 2
                  become: true  # as a real reboot needs: every command goes through sudo
                  register: rebooted
                - shell: echo $PPID; cat {work}/requested
                  register: after
                - debug: msg="{{{{ rebooted.rebooted }}}} {{{{ rebooted.changed }}}} {{{{ rebooted.elapsed >= 1 }}}} {{{{ before.stdout != after.stdout_lines[0] }}}} {{{{ after.stdout_lines[1] }}}}"
            """)
        run = miniplay("run", "-i", str(inventory), str(tmp_path / "site.yml"), cwd=tmp_path)
        assert run.rc == 0, run.stdout + run.stderr
        assert "changed: [target1]" in run.stdout
        assert '"msg": "True True True True now please"' in run.stdout
        assert (work / "requested").stat().st_uid == 0  # the reboot command ran as root
        assert (work / "boot_id").read_text() == "boot-2\n"

    def test_check_mode_failures_and_timeouts(self, reboot_lab, tmp_path: Path) -> None:
        work, inventory = reboot_lab
        write(tmp_path / "site.yml", f"""
            - hosts: all
              gather_facts: false
              tasks:
                - reboot:
                    reboot_command: {work}/fake-reboot
                  check_mode: true
                  register: checked
                - reboot:
                    reboot_command: /bin/false
                  register: refused
                  ignore_errors: true
                - reboot:
                    reboot_command: no-such-reboot-program
                  ignore_errors: true
                - reboot:
                    boot_time_command: "false"
                  register: no_boot_time
                  ignore_errors: true
                - reboot:
                    reboot_command: /bin/true
                    boot_time_command: echo same
                    reboot_timeout: 2
                  register: timed_out
                  ignore_errors: true
                - reboot: bogus=1
                  ignore_errors: true
                - reboot:
                    reboot_command: false
                  ignore_errors: true
                - debug: var=checked
                - debug: var=refused.msg
                - debug: var=no_boot_time
                - debug: var=timed_out.msg
            """)
        run = miniplay("run", "-i", str(inventory), str(tmp_path / "site.yml"), cwd=tmp_path)
        assert run.rc == 0, run.stdout + run.stderr
        assert not (work / "requested").exists()
        values = run.debug_values()
        assert values["checked"] == {"changed": True, "elapsed": 0, "rebooted": True, "failed": False}
        assert values["refused.msg"] == "Reboot command failed. Error was: ', '"
        assert values["no_boot_time"]["reboot"] is False
        assert values["no_boot_time"]["msg"].startswith("reboot: failed to get host boot time info, rc: 1")
        assert values["timed_out.msg"] == "Timed out waiting for last boot time check (timeout=2)"
        assert 'Unable to find command "no-such-reboot-program" in search paths: ' \
               "['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin']" in run.stdout
        assert "[ERROR]: Task failed: Invalid options for reboot: bogus" in run.stdout
        assert "Invalid value given for 'reboot_command': 'False' is not a string and conversion is not allowed." \
            in run.stdout


ROLE_SPECS = {
    "roles/web/meta/argument_specs.yml": """
        argument_specs:
          main:
            short_description: The web role
            options:
              web_port:
                type: int
                required: true
              web_mode:
                choices: [fast, safe]
                default: safe
          other:
            options:
              other_name: {type: str, required: true}
        """,
    "roles/web/tasks/main.yml": '- debug: msg="{{ web_port }} {{ web_mode }}"\n',
    "roles/web/tasks/other.yml": '- debug: msg="other {{ other_name }}"\n',
    "roles/web/defaults/main.yml": "web_mode: fast\n",
    "roles/db/meta/main.yml": """
        dependencies: []
        argument_specs:
          main:
            options:
              db_name: {type: str, required: true}
        """,
    "roles/db/tasks/main.yml": '- debug: msg="db {{ db_name }}"\n',
}


class TestRoleArgumentSpecs:
    def test_roles_check_their_arguments_first_as_ansible_does(self, tmp_path: Path) -> None:
        ours, _ = side_by_side(tmp_path, """
            - hosts: all
              gather_facts: false
              roles:
                - role: web
                  web_port: "8080"
                - role: db
                  db_name: main
            - hosts: all
              gather_facts: false
              tasks:
                - include_role:
                    name: web
                  vars:
                    web_port: 1
                - include_role:
                    name: web
                    tasks_from: other
                  vars:
                    other_name: x
                - import_role:
                    name: web
                  ignore_errors: true
                - include_role:  # the last task: it fails the host (ignore_errors is not inherited here)
                    name: db
            """, ROLE_SPECS)
        assert "TASK [web : Validating arguments against arg spec 'main' - The web role]" in ours.stdout
        assert "TASK [web : Validating arguments against arg spec 'other']" in ours.stdout
        assert "missing required arguments: db_name" in ours.stdout
