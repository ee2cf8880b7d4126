"""Collections: found where Ansible finds them; modules, routing, roles, filters and tests from them.

`tests/foreign/collections/ansible_collections/mini/demo` is our own small collection,
found beside the playbook. The `ansible` bundle (pip install --no-deps --target
/opt/ansible-collections 'ansible==11.13.0', which .ci/run does; or $MINIPLAY_TEST_COLLECTIONS)
brings the real ones; those cases skip without it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import compare
from test_foreign_modules import HERE, local_inventory, reference_env

BUNDLE = Path(os.environ.get("MINIPLAY_TEST_COLLECTIONS", "/opt/ansible-collections"))


def bundle_env() -> dict[str, str]:
    """Both engines see the bundle (and jmespath/netaddr installed beside it)."""
    if not (BUNDLE / "ansible_collections" / "community" / "general").is_dir():
        pytest.skip(f"the ansible collections bundle is not installed in {BUNDLE}: run .ci/run, or "
                    f"pip install --no-deps --target {BUNDLE} -r .ci/collections-constraints.txt")
    return {**reference_env(), "ANSIBLE_COLLECTIONS_PATH": str(BUNDLE), "PYTHONPATH": str(BUNDLE)}


def case(tmp_path: Path) -> Path:
    work = tmp_path / "case"
    shutil.copytree(HERE, work)
    local_inventory(work)
    return work


# ---------------------------------------------------------------------- side by side with ansible-core
def test_collection_beside_the_playbook_matches_ansible(tmp_path: Path) -> None:
    """FQCN module with relative module_utils, a redirect, roles ns.col.role (roles:, include_role,
    import_role), the collections keyword, filters and tests, a filter file that cannot be imported."""
    work = case(tmp_path)
    compare(work / "collections.yml", work / "hosts.ini", env=reference_env())


def test_bundle_modules_match_ansible(tmp_path: Path) -> None:
    """Ten modules from community.general, ansible.posix and community.crypto, on real files."""
    work = case(tmp_path)
    ours, _ = compare(work / "collection_modules.yml", work / "hosts.ini", env=bundle_env())
    scratch = tmp_path / "case-miniplay" / "scratch"
    assert "colour = red" in (scratch / "app.ini").read_text()
    assert (scratch / "built.txt").read_text() == "built\n"
    assert (scratch / "id_test.pub").read_text().startswith("ssh-ed25519 ")
    assert "alice soft nofile 4096" in " ".join((scratch / "limits.conf").read_text().split())


def test_bundle_filters_match_ansible(tmp_path: Path) -> None:
    """dict_kv, json_query (jmespath), ipaddr (netaddr), lists_mergeby, in_network, and a failing call."""
    work = case(tmp_path)
    compare(work / "collection_filters.yml", work / "hosts.ini", env=bundle_env())


# ---------------------------------------------------------------------- on the target
def test_collection_modules_on_the_target(target) -> None:
    env = bundle_env()
    shutil.copytree(HERE / "collections", target.tmp_path / "collections")
    ini = target.workdir / "app.ini"
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - mini.demo.shout: text=remote
              register: shouted
            - community.general.ini_file: path={ini} section=s option=o value=v
            - debug: var=shouted.shouted
        """, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values() == {"shouted.shouted": "REMOTE!"}
    assert ini.read_text().strip() == "[s]\no = v"


# ---------------------------------------------------------------------- where collections are found
@pytest.mark.parametrize("how", ["ANSIBLE_COLLECTIONS_PATH", "ansible.cfg collections_path", "beside the playbook"])
def test_collection_search_places(tmp_path: Path, how: str) -> None:
    env = reference_env()
    source = HERE / "collections"
    if how == "beside the playbook":
        shutil.copytree(source, tmp_path / "collections")
    else:
        shutil.copytree(source, tmp_path / "elsewhere")
        if how == "ANSIBLE_COLLECTIONS_PATH":
            env["ANSIBLE_COLLECTIONS_PATH"] = f"/nonexistent:{tmp_path / 'elsewhere'}"
        else:
            write(tmp_path / "ansible.cfg", "[defaults]\ncollections_path = elsewhere\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - mini.demo.shout: text=found
              register: r
            - debug: var=r.shouted
        """)
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values() == {"r.shouted": "FOUND!"}


# ---------------------------------------------------------------------- truthful "not found"
def run_one_task(tmp_path: Path, task: str, env: dict[str, str]):
    if not (tmp_path / "collections").exists():
        shutil.copytree(HERE / "collections", tmp_path / "collections")
    playbook = write(tmp_path / "site.yml", f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {task}\n")
    return miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path, env=env)


def test_a_collection_that_is_not_installed(tmp_path: Path) -> None:
    result = run_one_task(tmp_path, "acme.widgets.frob: size=1", {"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 4
    assert "couldn't resolve module/action 'acme.widgets.frob': the collection 'acme.widgets' is not installed." \
        in result.stderr
    assert f"Looked in: {tmp_path / 'collections' / 'ansible_collections'}, " in result.stderr
    assert "ansible-galaxy collection install acme.widgets" in result.stderr
    assert "Did you mean" not in result.stderr


def test_a_misspelt_module_of_an_installed_collection(tmp_path: Path) -> None:
    result = run_one_task(tmp_path, "mini.demo.shot: text=x", {"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 4
    assert "couldn't resolve module/action 'mini.demo.shot'. This often indicates a misspelling, missing " \
           "collection, or incorrect module path. Did you mean 'mini.demo.shout'?" in result.stderr


def test_a_removed_module_says_so_like_ansible(tmp_path: Path) -> None:
    result = run_one_task(tmp_path, "mini.demo.whisper: text=x", {"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 4
    assert result.stderr.startswith(
        "[ERROR]: The 'mini.demo.whisper' module has been removed. Use mini.demo.shout with quiet=true instead. "
        "This feature was removed from collection 'mini.demo' version 2.0.0.\n"
        f"Origin: {tmp_path / 'site.yml'}:4:7\n"), result.stderr


def test_a_broken_runtime_yml_names_the_file(tmp_path: Path) -> None:
    shutil.copytree(HERE / "collections", tmp_path / "collections")
    runtime = tmp_path / "collections" / "ansible_collections" / "mini" / "demo" / "meta" / "runtime.yml"
    runtime.write_text("plugin_routing:\n  modules:\n    yell: [unclosed\n")
    result = run_one_task(tmp_path, "mini.demo.yell: text=x", {"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 4
    assert f"The collection metadata file {runtime}:" in result.stderr and "cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_deprecated_name_runs_with_ansibles_notice(tmp_path: Path) -> None:
    result = run_one_task(tmp_path, "mini.demo.yell: text=x", reference_env())
    assert result.rc == 0, result.stdout + result.stderr
    assert "[DEPRECATION WARNING]: mini.demo.yell has been deprecated. Use mini.demo.shout instead. This feature " \
           "will be removed from collection 'mini.demo' version 3.0.0.\n" in result.stderr


def test_a_role_of_a_collection_that_is_not_installed(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  roles: [acme.widgets.setup]\n")
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path,
                      env={"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc != 0
    assert result.stderr.startswith("[ERROR]: the role 'acme.widgets.setup' was not found in "), result.stderr
    assert ". The collection 'acme.widgets' is not installed; looked in: " \
           f"{tmp_path / 'collections' / 'ansible_collections'}, " in result.stderr


def test_a_collection_lookup_sees_the_task_variables_as_in_ansible(tmp_path: Path) -> None:
    """run(terms, variables): play vars, set_fact, inventory vars, magic variables and the loop item."""
    write(tmp_path / "colls" / "ansible_collections" / "my" / "tools" / "plugins" / "lookup" / "fromvars.py", """
        from ansible.plugins.lookup import LookupBase


        class LookupModule(LookupBase):
            def run(self, terms, variables=None, **kwargs):
                return [str(variables.get(term, "undefined:" + term)) for term in terms]
        """)
    work = tmp_path / "case"
    write(work / "hosts.ini", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 "
                              "from_inventory=inv\n")
    write(work / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars:
            greeting: hello
          tasks:
            - set_fact:
                who: world
            - debug:
                msg: "{{ lookup('my.tools.fromvars', 'greeting', 'who', 'inventory_hostname', 'from_inventory', 'no') }}"
            - debug:
                msg: "{{ query('my.tools.fromvars', 'item') }}"
              loop: [1]
        """)
    env = {**reference_env(), "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "colls")}
    ours, _ = compare(work / "site.yml", work / "hosts.ini", env=env)
    assert '"msg": "hello,world,localhost,inv,undefined:no"' in ours.stdout
