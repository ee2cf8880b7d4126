"""`miniplay graph`: the per-host task graph, through the real CLI (and one timing in process)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from generated_playbooks import big_playbook
from helpers import REPO, miniplay, write

DEMO = REPO / "playbooks" / "visibility-demo.yml"
INVENTORY = "web1,web2,web3"


def graph_json(*args: str, cwd=None) -> dict:
    result = miniplay("graph", *args, "--format", "json", cwd=cwd)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def edges_of(group: dict, kind: str) -> list[tuple[str, str]]:
    labels = {n["id"]: n["label"] for n in group["nodes"]}
    return [(labels[e["source"]], labels[e["target"]]) for e in group["edges"] if e["kind"] == kind]


def test_demo_graph_nodes_and_edges():
    data = graph_json(str(DEMO), "-i", INVENTORY)
    assert len(data["groups"]) == 1 and data["groups"][0]["hosts"] == ["web1", "web2", "web3"]
    group = data["groups"][0]
    nodes = {n["label"]: n for n in group["nodes"]}
    assert nodes["PLAY [Roll out the web tier]"]["kind"] == "play"
    assert nodes["Migrate and record"]["kind"] == "block"
    assert nodes["Reload the service"]["kind"] == "handler"
    warm = nodes["Warm the cache in the background"]
    assert warm["async_role"] == "launch" and warm["async"] == 10 and warm["poll"] == 0
    assert nodes["Wait for the cache"]["async_role"] == "join"
    assert nodes["Render the configuration"]["location"] == f"{DEMO}:34:7"
    # order, the block's branches, notify, the job edge and a plain data edge
    order = edges_of(group, "order")
    assert ("Build the release (web2 is the slow one)", "Warm the cache in the background") in order
    assert ("Migrate and record", "Migrate the database (fails on web2)") in order
    assert edges_of(group, "rescue") == [("Migrate and record", "Roll back the migration")]
    assert set(edges_of(group, "always")) == {("Announce the migration", "Record the attempt"),
                                              ("Roll back the migration", "Record the attempt")}
    assert edges_of(group, "notify") == [("Render the configuration", "Reload the service")]
    assert edges_of(group, "job") == [("Warm the cache in the background", "Wait for the cache")]
    assert ("Wait until the service answers (web1 needs three tries)" not in [s for s, _ in edges_of(group, "data")])
    # what only a run can know is marked
    assert any(note.startswith("when: inventory_hostname == 'web3'") for note in nodes["Only on web3"]["runtime"])
    assert any(note.startswith("until: health.rc == 0") for note in
               nodes["Wait until the service answers (web1 needs three tries)"]["runtime"])
    assert group["order"][0] == "p0_t1"  # gather_facts: false, so the first task comes first


def test_mermaid_output():
    result = miniplay("graph", str(DEMO), "-i", INVENTORY, "--host", "web2")
    assert result.rc == 0, result.stderr
    text = result.stdout
    assert text.startswith("flowchart TD\n")
    assert 'subgraph g0["host: web2"]' in text
    assert "==>|\"job id: warm_job\"|" in text
    assert "-->|\"rescue\"|" in text and "-->|\"always\"|" in text and "-.->|\"notify\"|" in text
    assert "? when: inventory_hostname is match('web')" in text
    assert "async 10s, poll 0 → job (warm_job)" in text
    # every node id is defined once, and every edge joins defined nodes
    edge = re.compile(r"^    (g0_\w+) (-->|==>|-\.->)(\|[^|]*\|)? (g0_\w+)$")
    lines = [line for line in text.splitlines() if line.startswith("    g0_")]
    defined = [re.match(r"\s+(g0_\w+)", line).group(1) for line in lines if not edge.match(line)]
    assert len(defined) == len(set(defined)) == 14  # play + 11 tasks + the handler + the block
    edges = [edge.match(line) for line in lines if edge.match(line)]
    assert len(edges) == len(lines) - 14
    for match in edges:
        assert {match.group(1), match.group(4)} <= set(defined)
    for line in lines:
        if not edge.match(line):  # a label is quoted once and holds no raw quote, brace or pipe
            label = line[line.index('"') + 1:line.rindex('"')]
            assert not set(label) & set('"{}|'), line


def test_dot_output_renders_with_graphviz(tmp_path):
    out = tmp_path / "g.dot"
    result = miniplay("graph", str(DEMO), "-i", INVENTORY, "--format", "dot", "-o", str(out))
    assert result.rc == 0 and result.stdout == ""
    text = out.read_text()
    assert text.startswith("digraph miniplay {") and "cluster_0" in text and 'label="rescue"' in text
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("graphviz `dot` is not installed: the DOT text was checked, not rendered")
    svg = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True, timeout=30)
    assert svg.returncode == 0, svg.stderr
    assert "<svg" in svg.stdout and "Wait for the cache" in svg.stdout


def test_hosts_running_different_plays_get_their_own_graphs(tmp_path):
    inv = write(tmp_path / "hosts.ini", """
        [web]
        web1
        web2
        [db]
        db1
    """)
    book = write(tmp_path / "site.yml", """
        - hosts: web
          gather_facts: false
          tasks:
            - name: Web task
              debug: msg=web
        - hosts: all
          gather_facts: false
          tasks:
            - name: Everyone
              debug: msg=all
    """)
    data = graph_json(str(book), "-i", str(inv))
    groups = {tuple(g["hosts"]): g for g in data["groups"]}
    assert set(groups) == {("web1", "web2"), ("db1",)}
    web = [n["label"] for n in groups[("web1", "web2")]["nodes"]]
    db = [n["label"] for n in groups[("db1",)]["nodes"]]
    assert "Web task" in web and "Everyone" in web and "Web task" not in db
    only = graph_json(str(book), "-i", str(inv), "--host", "db1")
    assert [g["hosts"] for g in only["groups"]] == [["db1"]]
    # the second play follows the first on web hosts
    assert ("Web task", "PLAY [all]") in edges_of(groups[("web1", "web2")], "order")


def test_without_inventory_the_pattern_stands_for_the_hosts(tmp_path):
    book = write(tmp_path / "site.yml", """
        - hosts: webservers
          tasks:
            - ping:
    """)
    result = miniplay("graph", str(book))
    assert result.rc == 0
    assert 'subgraph g0["host: [webservers] (no inventory host matched: run with -i)"]' in result.stdout
    assert "Gathering Facts" in result.stdout


def test_unknown_host_is_an_error():
    result = miniplay("graph", str(DEMO), "-i", INVENTORY, "--host", "nope")
    assert result.rc == 1
    assert "host 'nope' runs no play" in result.stderr and "web1, web2, web3" in result.stderr


def test_static_include_is_expanded_and_dynamic_one_marked(tmp_path):
    write(tmp_path / "inc.yml", """
        - name: Included one
          debug: msg=one
        - name: Included two
          command: echo two
          async: 30
          poll: 0
          register: bg
    """)
    book = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Static include
              include_tasks: inc.yml
            - name: Dynamic include
              include_tasks: "{{ which }}.yml"
            - name: Join
              async_status: jid={{ bg.ansible_job_id }}
              register: joined
              until: joined.finished
              retries: 30
              delay: 1
            - name: Looped
              debug: msg={{ item }}
              loop: "{{ things }}"
    """)
    group = graph_json(str(book))["groups"][0]
    nodes = {n["label"]: n for n in group["nodes"]}
    assert nodes["Static include"]["kind"] == "include" and nodes["Static include"]["expanded"].endswith("inc.yml")
    assert edges_of(group, "include") == [("Static include", "Included one")]
    assert ("Included two", "Dynamic include") in edges_of(group, "order")
    assert nodes["Dynamic include"]["runtime"] == ["file chosen at run time: {{ which }}.yml"]
    assert edges_of(group, "job") == [("Included two", "Join")]
    assert nodes["Looped"]["loop"] == "{{ things }}"
    assert nodes["Looped"]["runtime"] == ["loop items: {{ things }}"]


def test_modules_miniplay_lacks_are_still_planned(tmp_path):
    book = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Install nginx
              ansible.builtin.apt: name=nginx
    """)
    nodes = {n["label"]: n for n in graph_json(str(book))["groups"][0]["nodes"]}
    assert nodes["Install nginx"]["module"] == "apt"
    # a real typo is still refused, with the loader's message
    bad = write(tmp_path / "bad.yml", "- hosts: localhost\n  tasks:\n    - aptt: name=nginx\n")
    result = miniplay("graph", str(bad))
    assert result.rc == 4 and "couldn't resolve module/action 'aptt'" in result.stderr


def test_a_thousand_task_playbook_is_planned_and_checked(tmp_path):
    """Every task of a large mixed playbook becomes a node and the checker finds nothing wrong.
    How long it takes is a benchmark figure: python tests/bench/bench_visibility.py."""
    from miniplay.planning.graph import build_plan, load_for_plan
    from miniplay.planning.plancheck import check_plan

    book = tmp_path / "big.yml"
    big_playbook(book, 1000)
    inventory = ",".join(f"h{n}" for n in range(20))
    plan = build_plan(load_for_plan(str(book)), [inventory])
    assert sum(1 for _ in plan.groups[0].task_nodes()) >= 1000
    assert check_plan(plan) == []
