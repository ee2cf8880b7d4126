"""Inventory loading, variables and host patterns.

Expected values were taken from ansible-core 2.19 (`ansible-inventory --list`,
`ansible PATTERN --list-hosts`) run on the same small inventories; the last test
repeats that comparison live when the reference install is present.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from reference import reference_tool

from miniplay.core.errors import InventoryError
from miniplay.loading.inventory import (
    Inventory,
    UnknownHostError,
    expand_host_range,
    parse_ini_value,
    split_host_port,
    split_patterns,
)

def write(base: Path, name: str, text: str) -> str:
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return str(path)


def names(hosts) -> list[str]:
    return [host.name for host in hosts]


def merged_vars(inv: Inventory, host: str) -> dict:
    result: dict = {}
    for _label, layer in inv.vars_layers(host):
        result.update(layer)
    return result


# ---------------------------------------------------------------- INI format


BASIC_INI = """
    # comment
    ; another comment
    top1 a=1
    top2:2222 ansible_host=1.2.3.4

    [web]
    web[01:03].example.com x=1
    db-[a:c]

    [web:vars]
    role=frontend

    [prod:children]
    web
    dbs

    [dbs]
    db1   # trailing comment
    db2

    [all:vars]
    env=test
"""


def test_ini_hosts_groups_and_order(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", BASIC_INI)])
    assert list(inv.hosts) == [
        "top1", "top2", "web01.example.com", "web02.example.com", "web03.example.com",
        "db-a", "db-b", "db-c", "db1", "db2",
    ]
    assert list(inv.groups) == ["all", "ungrouped", "web", "prod", "dbs"]
    assert inv.groups["all"].children == ["ungrouped", "prod"]
    assert inv.groups["prod"].children == ["web", "dbs"]
    assert inv.groups["web"].parents == ["prod"]
    assert inv.groups["ungrouped"].hosts == ["top1", "top2"]
    assert inv.get_host("top2").vars == {"ansible_port": 2222, "ansible_host": "1.2.3.4"}
    assert inv.group_names("db-a") == ["prod", "web"]
    assert inv.get_host("db-a").groups == ["prod", "web"]
    assert inv.group_names("top1") == ["ungrouped"]  # Ansible keeps 'ungrouped' in group_names
    assert inv.get_host("db1").inventory_file == str(tmp_path / "hosts.ini")


def test_groups_map_is_breadth_first_like_ansible(tmp_path: Path) -> None:
    # Ansible lists a group's own hosts, then its children's, then grandchildren's.
    path = write(tmp_path, "hosts", """
        [a:children]
        b
        [b]
        h1
        [c]
        h2
        [a]
        h3
    """)
    inv = Inventory.load([path])
    assert inv.groups_map() == {
        "all": ["h3", "h2", "h1"],
        "ungrouped": [],
        "a": ["h3", "h1"],
        "b": ["h1"],
        "c": ["h2"],
    }
    assert names(inv.select("all")) == ["h3", "h2", "h1"]
    assert names(inv.select("h*")) == ["h1", "h2", "h3"]  # host globs follow definition order


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", 1),
        ("-1", -1),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("0x10", 16),
        ("1_000", 1000),
        ("0777", "0777"),
        ("True", True),
        ("true", "true"),
        ("yes", "yes"),
        ("None", None),
        ("[1, 2]", [1, 2]),
        ("1,2", [1, 2]),
        ("(1,2)", [1, 2]),
        ('{"k": 1}', {"k": 1}),
        ('"1"', "1"),
        ("'it''s'", "its"),
        ("1.0.0", "1.0.0"),
        ("10.0.0.1", "10.0.0.1"),
        ("1j", "1j"),
        ("b'x'", "x"),
        ("", ""),
        ("web01", "web01"),
    ],
)
def test_ini_values_are_python_literals(text: str, expected: object) -> None:
    assert parse_ini_value(text) == expected
    assert type(parse_ini_value(text)) is type(expected)


def test_ini_host_line_and_vars_section_typing(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts.ini", """
        h1 a=1 b=yes c=True d="quoted str" e=[1,2] f={'k':1} n="1" l=a\\ b k=hello#comment m=gone
        [g]
        h2
        [g:vars]
        a="1"
        s = spaced = eq
        h=x # not a comment here
        t=a b c
        d={"k": 1}
        e=
    """)
    inv = Inventory.load([path])
    # Host lines are split like a shell line first, so quotes are gone before typing.
    assert inv.get_host("h1").vars == {
        "a": 1, "b": "yes", "c": True, "d": "quoted str", "e": [1, 2], "f": "{k:1}", "k": "hello", "n": 1, "l": "a b",
    }
    # [group:vars] values are the rest of the line, typed as a whole.
    assert inv.groups["g"].vars == {
        "a": "1", "s": "spaced = eq", "h": "x # not a comment here", "t": "a b c", "d": {"k": 1}, "e": "",
    }


def test_ini_duplicate_host_lines_merge(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", "h1 x=1\nh1 y=2\n[g]\nh1 x=3\n")])
    assert inv.get_host("h1").vars == {"x": 3, "y": 2}
    assert inv.groups["ungrouped"].hosts == []  # in a real group now


def test_host_port_counts_only_where_the_host_is_first_defined(tmp_path: Path) -> None:
    # Ansible sets ansible_port from "host:port" only when it creates the host.
    inv = Inventory.load([write(tmp_path, "hosts.ini", "h1:22\n[g]\nh1:33\nh2\n[k]\nh2:44\n")])
    assert inv.get_host("h1").vars == {"ansible_port": 22}
    assert inv.get_host("h2").vars == {}


def test_ini_sections_may_come_before_their_group(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts.ini", "[p:children]\nc\n[c:vars]\nx=1\n[c]\nh1\n")
    inv = Inventory.load([path])
    assert inv.groups["p"].children == ["c"]
    assert merged_vars(inv, "h1") == {"x": 1}


def test_ini_all_section_and_explicit_ungrouped(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", "[all]\nh1\n[ungrouped]\nh2\n[g]\nh2\n")])
    assert inv.groups_map()["ungrouped"] == ["h1"]
    assert inv.group_names("h2") == ["g"]


# ---------------------------------------------------------------- ranges and ports


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("web[01:03].example.com", ["web01.example.com", "web02.example.com", "web03.example.com"]),
        ("db-[a:c]", ["db-a", "db-b", "db-c"]),
        ("s[1:10:3]", ["s1", "s4", "s7", "s10"]),
        ("w[001:010:3]", ["w001", "w004", "w007", "w010"]),
        ("w[1:010]", [f"w{n}" for n in range(1, 11)]),  # no zero on the start: no padding
        ("w[:2]", ["w0", "w1", "w2"]),
        ("w[A:C]", ["wA", "wB", "wC"]),
        ("w[a:e:2]", ["wa", "wc", "we"]),
        ("w[1:2]-[a:b]", ["w1-a", "w1-b", "w2-a", "w2-b"]),
        ("10.0.0.[1:3]", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
        ("w[3:1]", []),
        ("w[1:3:-1]", []),
        ("plain", ["plain"]),
    ],
)
def test_host_ranges(pattern: str, expected: list[str]) -> None:
    assert expand_host_range(pattern) == expected


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("w[1:]", "must specify end value"),
        ("w[01:100]", "equal-length"),
        ("w[z:x]", "begin <= end"),
        ("w[aa:ac]", "numbers or both single letters"),
        ("w[a:3]", "numbers or both single letters"),
        ("w[1:3:0]", "must not be zero"),
        ("w[1]", "begin:end"),
        ("w[1:3", "unbalanced"),
    ],
)
def test_bad_host_ranges(pattern: str, message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        expand_host_range(pattern)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("h1:22", ("h1", 22)),
        ("h:x", ("h:x", None)),
        ("h:22:33", ("h:22:33", None)),
        ("w[1:2]:22", ("w[1:2]", 22)),
        ("w[1:2]", ("w[1:2]", None)),
        ("::1", ("::1", None)),
        ("fe80::1:22", ("fe80::1:22", None)),
        ("[fe80::1]:22", ("fe80::1", 22)),
        ("10.0.0.1:2222", ("10.0.0.1", 2222)),
    ],
)
def test_host_and_port(text: str, expected: tuple) -> None:
    assert split_host_port(text) == expected


def test_ranges_in_ini_and_port_for_every_host(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", "[g]\nw[1:2]:2222 x=1\n")])
    assert inv.groups["g"].hosts == ["w1", "w2"]
    assert inv.get_host("w2").vars == {"ansible_port": 2222, "x": 1}


def test_explicit_ansible_port_beats_host_port(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", "h1:22 ansible_port=33\n")])
    assert inv.get_host("h1").vars == {"ansible_port": 33}


# ---------------------------------------------------------------- YAML format


YAML_INV = """
    all:
      vars:
        av: 1
      hosts:
        top1:
        top2:
          ansible_port: 22
          flag: yes
        web[1:2]:
          r: 1
      children:
        web:
          hosts:
            w1:
            top1:
              why: 2
          vars:
            g: web
          children:
            inner:
              hosts:
                i1:
        db:
    other:
      hosts:
        o1:2200:
    ungrouped:
      hosts:
        u1:
"""


def test_yaml_inventory(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "inv.yml", YAML_INV)])
    assert list(inv.groups) == ["all", "ungrouped", "web", "inner", "db", "other"]
    assert inv.groups["web"].children == ["inner"]
    assert inv.groups["ungrouped"].hosts == ["u1", "top2", "web1", "web2"]
    assert names(inv.select("all")) == ["top1", "top2", "web1", "web2", "u1", "w1", "o1", "i1"]
    assert inv.get_host("top2").vars == {"ansible_port": 22, "flag": True}
    assert inv.get_host("o1").vars == {"ansible_port": 2200}
    assert merged_vars(inv, "top1") == {"av": 1, "g": "web", "why": 2}
    assert merged_vars(inv, "i1") == {"av": 1, "g": "web"}
    assert inv.group_names("i1") == ["inner", "web"]


def test_yaml_string_hosts_and_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "inv.yaml", """
        all:
          hosts: h1
          host:
            h2:
        broken: [1]
        empty:
    """)
    inv = Inventory.load([path])
    assert list(inv.hosts) == ["h1"]
    assert "empty" in inv.groups and "broken" not in inv.groups
    assert any("unexpected key (host)" in w and "inv.yaml:3" in w for w in inv.warnings)
    assert any("Skipping 'broken'" in w and "inv.yaml:5" in w for w in inv.warnings)


def test_format_is_sniffed_without_extension(tmp_path: Path) -> None:
    yaml_inv = Inventory.load([write(tmp_path, "a", "all:\n  hosts:\n    h1:\n")])
    assert list(yaml_inv.hosts) == ["h1"]
    ini_inv = Inventory.load([write(tmp_path, "b", "h1:22\nh2\n[g]\nh3\n")])
    assert list(ini_inv.hosts) == ["h1", "h2", "h3"]
    assert ini_inv.get_host("h1").vars == {"ansible_port": 22}


def test_json_inventory(tmp_path: Path) -> None:
    path = write(tmp_path, "inv.json", '{"web": {"hosts": {"h1": {"x": 1}}, "vars": {"y": 2}}}')
    inv = Inventory.load([path])
    assert merged_vars(inv, "h1") == {"y": 2, "x": 1}


# ---------------------------------------------------------------- sources


def test_host_list_source(tmp_path: Path) -> None:
    inv = Inventory.load(["a,b:22,c"])
    assert inv.groups["ungrouped"].hosts == ["a", "b", "c"]
    assert inv.get_host("b").vars == {"ansible_port": 22}
    assert list(Inventory.load(["solo,"]).hosts) == ["solo"]


def test_directory_source_skips_what_ansible_skips(tmp_path: Path) -> None:
    write(tmp_path, "inv/01-hosts.ini", "[web]\nw1\n")
    write(tmp_path, "inv/02.yml", "all:\n  children:\n    db:\n      hosts:\n        d1:\n")
    write(tmp_path, "inv/sub/more", "[web]\nw2\n")
    write(tmp_path, "inv/README.md", "not [ an inventory\n")
    write(tmp_path, "inv/.hidden", "not [ an inventory\n")
    write(tmp_path, "inv/old~", "not [ an inventory\n")
    write(tmp_path, "inv/group_vars/web.yml", "v: 1\n")
    inv = Inventory.load([str(tmp_path / "inv")])
    assert list(inv.hosts) == ["w1", "d1", "w2"]
    assert merged_vars(inv, "w2") == {"v": 1}


def test_several_sources_merge(tmp_path: Path) -> None:
    first = write(tmp_path, "a.ini", "[web]\nh1 x=1\n[web:vars]\ng=a\n")
    second = write(tmp_path, "b.yml", "web:\n  hosts:\n    h1:\n      z: 2\n    h2:\n  vars:\n    g: b\n")
    inv = Inventory.load([first, second])
    assert inv.groups["web"].hosts == ["h1", "h2"]
    assert inv.get_host("h1").vars == {"x": 1, "z": 2}
    assert [label for label, _ in inv.vars_layers("h1")] == [
        f"inventory {first}: group web vars",
        f"inventory {second}: group web vars",
        f"inventory {first}: host h1 vars",
        f"inventory {second}: host h1 vars",
    ]
    assert merged_vars(inv, "h1")["g"] == "b"


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.ini")
    with pytest.raises(InventoryError, match=f"Unable to parse {missing} as an inventory source"):
        Inventory.load([missing])


# ---------------------------------------------------------------- variables


@pytest.fixture
def layered(tmp_path: Path) -> tuple[Inventory, Path]:
    """An inventory and a playbook dir with a value for `src` at every level."""
    inv_dir, play_dir = tmp_path / "inv", tmp_path / "play"
    write(inv_dir, "hosts.ini", """
        h1 src=ini_host
        [web]
        h1
        h2
        [web:vars]
        src=ini_web
        [prod:children]
        web
        [prod:vars]
        src=ini_prod
        [all:vars]
        src=ini_all
    """)
    write(inv_dir, "group_vars/all.yml", "src: inv_gv_all\n")
    write(inv_dir, "group_vars/prod.yaml", "src: inv_gv_prod\n")
    write(inv_dir, "group_vars/web/a.yml", "src: inv_gv_web_a\na: 1\n")
    write(inv_dir, "group_vars/web/b.yml", "src: inv_gv_web_b\n")
    write(inv_dir, "group_vars/web/.hidden.yml", "src: never\n")
    write(inv_dir, "host_vars/h1.json", '{"src": "inv_hv_h1"}')
    write(play_dir, "group_vars/all", "src: play_gv_all\n")
    write(play_dir, "group_vars/web.yml", "src: play_gv_web\n")
    write(play_dir, "host_vars/h1.yml", "src: play_hv_h1\n")
    return Inventory.load([str(inv_dir / "hosts.ini")], playbook_dir=str(play_dir)), tmp_path


def test_vars_layers_follow_ansible_precedence(layered: tuple[Inventory, Path]) -> None:
    inv, base = layered
    layers = inv.vars_layers("h1")
    assert [values["src"] for _label, values in layers] == [
        "ini_all",        # inventory file: group all
        "ini_prod",       # inventory file: other groups, parents first
        "ini_web",
        "inv_gv_all",     # inventory group_vars/all
        "play_gv_all",    # playbook group_vars/all (Ansible puts it below group_vars/<group>)
        "inv_gv_prod",    # inventory group_vars/<group>, by depth
        "inv_gv_web_a",   # a directory of files, in name order
        "inv_gv_web_b",
        "play_gv_web",    # playbook group_vars/<group>
        "ini_host",       # inventory file host vars
        "inv_hv_h1",      # inventory host_vars
        "play_hv_h1",     # playbook host_vars
    ]
    labels = [label for label, _ in layers]
    assert labels[0] == f"inventory {base / 'inv' / 'hosts.ini'}: group all vars"
    assert labels[3] == f"inventory group_vars: {base / 'inv' / 'group_vars' / 'all.yml'}"
    assert labels[-1] == f"playbook host_vars: {base / 'play' / 'host_vars' / 'h1.yml'}"
    assert inv.get_host("h1").vars["src"] == "play_hv_h1"
    assert merged_vars(inv, "h2") == {"src": "play_gv_web", "a": 1}


def test_group_order_by_depth_priority_then_name(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts.ini", """
        [zeta]
        h1
        [alpha]
        h1
        [beta]
        h1
        [beta:vars]
        x=beta
        ansible_group_priority=5
        [alpha:vars]
        x=alpha
        y=alpha
        [zeta:vars]
        y=zeta
        z=zeta
        [top:children]
        zeta
        [top:vars]
        z=top
    """)
    inv = Inventory.load([path])
    # Depth first (top is zeta's parent), then priority (beta 5 beats alpha 1), then name.
    assert merged_vars(inv, "h1") == {"x": "beta", "y": "zeta", "z": "zeta"}
    assert inv.groups["beta"].priority == 5
    assert "ansible_group_priority" not in inv.groups["beta"].vars


def test_vars_file_lookup_takes_the_first_suffix(tmp_path: Path) -> None:
    write(tmp_path, "hosts.ini", "[web]\nh1\n")
    write(tmp_path, "group_vars/web", "v: bare\n")
    write(tmp_path, "group_vars/web.yml", "v: yml\n")
    inv = Inventory.load([str(tmp_path / "hosts.ini")])
    assert merged_vars(inv, "h1") == {"v": "bare"}


def test_vars_file_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "hosts.ini", "[web]\nh1\n")
    bad = write(tmp_path, "group_vars/web.yml", "- a\n- b\n")
    with pytest.raises(InventoryError, match="must be a mapping") as info:
        Inventory.load([str(tmp_path / "hosts.ini")])
    assert str(info.value.location) == f"{bad}:1:1"


def test_yaml_error_in_vars_file_has_location(tmp_path: Path) -> None:
    write(tmp_path, "hosts.ini", "h1\n")
    bad = write(tmp_path, "host_vars/h1.yml", "a: 1\nb: [\n")
    with pytest.raises(InventoryError) as info:
        Inventory.load([str(tmp_path / "hosts.ini")])
    assert info.value.location.path == bad and info.value.location.line == 3


# ---------------------------------------------------------------- implicit localhost


def test_no_inventory_means_implicit_localhost_only(tmp_path: Path) -> None:
    for sources in (None, []):
        inv = Inventory.load(sources)
        assert inv.hosts == {} and list(inv.groups) == ["all", "ungrouped"]
        match = inv.match_patterns("all")
        assert match.hosts == [] and match.unmatched == []
        local = inv.select("localhost")
        assert names(local) == ["localhost"] and local[0].implicit
        assert local[0].vars == {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        assert inv.group_names("localhost") == []
        assert inv.select("127.0.0.1") == local  # one implicit host for every spelling


def test_implicit_localhost_gets_all_group_vars_but_not_all(tmp_path: Path) -> None:
    write(tmp_path, "play/group_vars/all.yml", "v: 1\n")
    path = write(tmp_path, "hosts.ini", "h1\n[all:vars]\nw=2\n")
    inv = Inventory.load([path], playbook_dir=str(tmp_path / "play"))
    assert merged_vars(inv, "localhost")["v"] == 1
    assert merged_vars(inv, "localhost")["w"] == 2
    assert names(inv.select("all:localhost")) == ["h1", "localhost"]
    assert names(inv.select("localhost:&all")) == []
    assert names(inv.select("localhost:!all")) == ["localhost"]
    assert "localhost" not in inv.groups_map()["all"]


def test_explicit_localhost_is_a_normal_host(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", "localhost ansible_connection=local\n")])
    host = inv.select("localhost")[0]
    assert not host.implicit and names(inv.select("all")) == ["localhost"]


def test_unknown_host_is_a_key_error(tmp_path: Path) -> None:
    inv = Inventory.load(["a,"])
    with pytest.raises(UnknownHostError) as info:
        inv.get_host("nope")
    assert isinstance(info.value, KeyError) and isinstance(info.value, InventoryError)
    assert str(info.value) == "Unknown host 'nope': it is not in the inventory"


# ---------------------------------------------------------------- patterns


PATTERN_INI = "[g]\nh[1:5]\n[k]\nh2\nh4\nx1\n"

# (pattern, hosts, unmatched) as printed by `ansible -i PATTERN_INI PATTERN --list-hosts`.
PATTERN_CASES = [
    ("all", ["h1", "h2", "h3", "h4", "h5", "x1"], []),
    ("*", ["h1", "h2", "h3", "h4", "h5", "x1"], []),
    ("g", ["h1", "h2", "h3", "h4", "h5"], []),
    ("h3", ["h3"], []),
    ("g[0]", ["h1"], []),
    ("g[-1]", ["h5"], []),
    ("g[0:2]", ["h1", "h2", "h3"], []),
    ("g[1:]", ["h2", "h3", "h4", "h5"], []),
    ("g[0-1]", ["h1", "h2"], []),
    ("g[0:99]", ["h1", "h2", "h3", "h4", "h5"], []),
    ("g[7]", [], []),
    ("g[-9]", [], []),
    ("g[3:1]", [], []),
    ("g[:2]", [], ["g[:2]"]),
    ("g[-2:]", [], ["g[-2:]"]),
    ("all[-1]", ["x1"], []),
    ("?[5]", ["h2"], []),  # a subscript counts a host again when two groups list it
    ("?[6]", ["h4"], []),
    ("g[0],k[0]", ["h1", "h2"], []),
    ("h[1:2]", [], ["h"]),
    ("h?", ["h1", "h2", "h3", "h4", "h5"], []),
    ("*1", ["h1", "x1"], []),
    ("H*", [], ["H*"]),
    ("~h[13]", ["h1", "h3"], []),
    ("~(h1|x1)", ["h1", "x1"], []),
    ("~x", ["x1"], []),
    ("~1", [], ["~1"]),
    ("g:&k", ["h2", "h4"], []),
    ("k:&g", ["h2", "h4"], []),
    ("g:!k", ["h1", "h3", "h5"], []),
    ("&k,g", ["h2", "h4"], []),
    ("!k,g", ["h1", "h3", "h5"], []),
    ("!k", ["h1", "h3", "h5"], []),
    ("&k", ["h2", "h4", "x1"], []),
    ("k:!h2:x1", ["h4", "x1"], []),
    ("g:!k:&h*", ["h1", "h3", "h5"], []),
    ("x*:g", ["x1", "h1", "h2", "h3", "h4", "h5"], []),
    ("g,k", ["h1", "h2", "h3", "h4", "h5", "x1"], []),
    (" g , k ", ["h1", "h2", "h3", "h4", "h5", "x1"], []),
    ("g k", ["h1", "h2", "h3", "h4", "h5", "x1"], []),
    ("g,", ["h1", "h2", "h3", "h4", "h5"], []),
    ("g:k,x1", ["x1"], ["g:k"]),
    ("g[0:1]:k", ["h1", "h2", "h4", "x1"], []),
    ("all:!g[0]", ["h2", "h3", "h4", "h5", "x1"], []),
    ("nope", [], ["nope"]),
    ("g:nope", ["h1", "h2", "h3", "h4", "h5"], ["nope"]),
    ("k:!nope", ["h2", "h4", "x1"], ["nope"]),
    ("k:&nope", [], ["nope"]),
    ("G", [], ["G"]),
    ("ungrouped", [], []),
    ("h1,h1", ["h1"], []),
    ("fe80::1", [], ["fe80::1"]),
    ("localhost", ["localhost"], []),
    ("k:!localhost", ["h2", "h4", "x1"], []),
]


@pytest.mark.parametrize("pattern, expected, unmatched", PATTERN_CASES)
def test_patterns(tmp_path: Path, pattern: str, expected: list[str], unmatched: list[str]) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", PATTERN_INI)])
    match = inv.match_patterns(pattern)
    assert names(match.hosts) == expected
    assert match.unmatched == unmatched
    assert names(inv.select(pattern)) == expected


def test_pattern_lists_and_splitting() -> None:
    assert split_patterns("web[0:2]:db:&prod:!web1") == ["web[0:2]", "db", "&prod", "!web1"]
    assert split_patterns("a:b,c") == ["a:b", "c"]
    assert split_patterns(["a:b", "c"]) == ["a", "b", "c"]
    assert split_patterns("fe80::1") == ["fe80::1"]
    assert split_patterns("") == []


def test_bad_regex_pattern_is_an_error(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", PATTERN_INI)])
    with pytest.raises(InventoryError, match="Invalid host pattern"):
        inv.select("~web(")


def test_limit_and_limit_file(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", PATTERN_INI)])
    assert names(inv.select("all", limit="g:!h1")) == ["h2", "h3", "h4", "h5"]
    limit_file = write(tmp_path, "retry", "h5\n\nx1\nh2\n")
    assert names(inv.select("all", limit=f"@{limit_file}")) == ["h2", "h5", "x1"]
    assert names(inv.select("k", limit=f"@{limit_file},h4")) == ["h2", "h4", "x1"]
    assert names(inv.select("localhost", limit="localhost")) == ["localhost"]
    assert names(inv.select("localhost", limit="all")) == []
    with pytest.raises(InventoryError, match="Unable to find limit file"):
        inv.select("all", limit=f"@{tmp_path / 'missing'}")


# ---------------------------------------------------------------- runtime changes


def test_add_host_and_group_by_match_ansible(tmp_path: Path) -> None:
    inv = Inventory.load([write(tmp_path, "hosts.ini", PATTERN_INI)])
    new1 = inv.add_host("new1", ["k", "newg"], {"foo": 1})
    inv.add_host("new2", [], {})
    inv.add_host("h1", ["k"], {"bar": "2"})
    inv.get_host("localhost")
    inv.add_group_membership("localhost", "gb")
    # Observed with ansible-playbook 2.19: added hosts are listed directly under
    # 'all', so they come first; the implicit localhost joins 'gb' but not 'all'.
    assert inv.groups_map() == {
        "all": ["new1", "new2", "h1", "h2", "h3", "h4", "h5", "x1"],
        "ungrouped": ["new2"],
        "g": ["h1", "h2", "h3", "h4", "h5"],
        "k": ["h2", "h4", "x1", "new1", "h1"],
        "newg": ["new1"],
        "gb": ["localhost"],
    }
    assert new1.vars == {"foo": 1} and new1.groups == ["k", "newg"]
    assert inv.group_names("new2") == ["ungrouped"]
    assert inv.group_names("localhost") == ["gb"]
    assert inv.vars_layers("h1") == [("add_host", {"bar": "2"})]
    assert names(inv.select("gb")) == ["localhost"]
    assert names(inv.select("all")) == ["new1", "new2", "h1", "h2", "h3", "h4", "h5", "x1"]
    assert inv.add_host("new3:2222", ["g"], {}).vars == {"ansible_port": 2222}


def test_group_by_moves_host_out_of_ungrouped_and_reads_group_vars(tmp_path: Path) -> None:
    write(tmp_path, "group_vars/os_linux.yml", "family: linux\n")
    inv = Inventory.load([write(tmp_path, "hosts.ini", "h1\n")])
    inv.add_group_membership("h1", "os_linux")
    assert inv.groups_map()["ungrouped"] == []
    assert inv.group_names("h1") == ["os_linux"]
    assert merged_vars(inv, "h1") == {"family": "linux"}
    with pytest.raises(UnknownHostError):
        inv.add_group_membership("nope", "os_linux")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name, text, message, line",
    [
        ("a.ini", "[g]\nh1\n[g:bad]\nx\n", "Section [g:bad] has unknown type: bad", 3),
        ("a.ini", "[g:vars]\nx=1\n", "Section [g:vars] not valid for undefined group 'g'", 1),
        ("a.ini", "[p:children]\nc\n", "Section [p:children] includes undefined group 'c'", 2),
        ("a.ini", "[p:children]\nc x=1\n", "Expected group name, got: c x=1", 2),
        ("a.ini", "h0\n[g\nh1\n", "Invalid section entry: '[g'", 2),
        ("a.ini", "[ g2 ]\nh2\n", "Invalid section entry: '[ g2 ]'", 1),
        ("a.ini", "[g:children]\ng\n", "cannot be a child of itself", 2),
        ("a.ini", "[a:children]\nb\n[b:children]\na\n", "creates a recursive dependency loop", 4),
        ("a.ini", "[g:children]\nall\n", "creates a recursive dependency loop", 2),
        ("a.ini", '[g]\nh1 x="unterminated\n', "No closing quotation", 2),
        ("a.ini", "[g]\nh1:\n", "ending in ':' is not allowed", 2),
        ("a.ini", "[g]\n\nh1 foo\n", "Expected key=value host variable assignment, got: foo", 3),
        ("a.ini", "[g]\nh\n[g:vars]\nf\n", "Expected key=value, got: f", 4),
        ("a.ini", "[g]\nw[01:100]\n", "equal-length", 2),
        ("a.ini", "[g]\nh\n[g:vars]\nansible_group_priority=high\n", "must be an integer", 4),
        ("a.yml", "- a\n- b\n", "must map group names", 1),
        ("a.yml", "all:\n  hosts:\n    - h1\n", 'Invalid "hosts" entry for "all" group', 2),
        ("a.yml", "all:\n  vars: [1]\n", 'Invalid "vars" entry for "all" group', 2),
        ("a.yml", "all:\n  children:\n    - web\n", 'Invalid "children" entry for "all" group', 2),
        ("a.yml", "web:\n  hosts:\n    h1: 5\n", "Invalid entry for host 'h1' in group 'web'", 3),
        ("a.yml", "all:\n  children:\n    g:\n      children:\n        all:\n", "recursive dependency loop", 5),
        ("a.yml", "all:\n  hosts:\n    w[1:]:\n", "must specify end value", 3),
        ("a.yml", "all:\n  hosts: {\n", "YAML parsing failed", 3),
        ("noext", "all:\n  hosts: [a]\n", 'Invalid "hosts" entry for "all" group', 2),
        ("noext", "[web]\nh1 x\n", "Expected key=value host variable assignment", 2),
        ("a.json", '{"all": {"hosts": {"h1": 1}}}', "Invalid entry for host 'h1'", 0),  # JSON: no lines
        ("a.json", '{"all": \n {"hosts": }', "Invalid JSON", 2),
    ],
)
def test_bad_input_names_file_and_line(tmp_path: Path, name: str, text: str, message: str, line: int) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InventoryError) as info:
        Inventory.load([path])
    assert message in info.value.message
    assert info.value.location is not None
    assert info.value.location.path == path
    assert info.value.location.line == line
    assert (f"{path}:{line}" if line else path) in info.value.describe()


def test_odd_variable_names_warn_like_ansible(tmp_path: Path) -> None:
    path = write(tmp_path, "a.ini", "[g]\nh1 =x\n")
    inv = Inventory.load([path])
    assert inv.get_host("h1").vars == {"": "x"}
    assert any("Invalid variable name ''" in w and f"{path}:2" in w for w in inv.warnings)


# ---------------------------------------------------------------- live cross-check


def test_matches_ansible_inventory_list(tmp_path: Path) -> None:
    """Hostvars and group membership agree with `ansible-inventory --list`."""
    ansible_inventory = reference_tool("ansible-inventory")
    write(tmp_path, "inv/hosts.ini", BASIC_INI)
    write(tmp_path, "inv/extra.yml", YAML_INV.replace("flag: yes", "flag: true"))
    write(tmp_path, "inv/group_vars/web.yml", "gv: 1\n")
    write(tmp_path, "inv/host_vars/top1.yml", "hv: 1\n")
    write(tmp_path, "play/group_vars/all.yml", "pv: 1\n")
    source, play = str(tmp_path / "inv"), str(tmp_path / "play")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # never read the developer's ~/.ansible
        "ANSIBLE_CONFIG": str(tmp_path / "none.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "PYTHONWARNINGS": "ignore",
    }
    out = subprocess.run(
        [ansible_inventory, "-i", source, "--playbook-dir", play, "--list"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    ).stdout
    data = json.loads(out)
    inv = Inventory.load([source], playbook_dir=play)
    for host, expected in data["_meta"]["hostvars"].items():
        assert merged_vars(inv, host) == expected, host
    for group, body in data.items():
        if group == "_meta":
            continue
        assert inv.groups[group].hosts == body.get("hosts", []) or group == "all", group
        assert sorted(inv.groups[group].children) == sorted(body.get("children", [])), group
