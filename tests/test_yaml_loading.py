"""YAML as Ansible reads it: the same syntax-error wording and hints, the last duplicate
key wins with a warning, and the pure-Python fallback reads files the same as libyaml."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, error_block, require_ansible

# (id, file text, the [ERROR] line ansible-core 2.19 prints, its Origin line:col)
SYNTAX_ERRORS = [
    ("unclosed flow", "a: [1,\n", "While parsing a flow node did not find expected node content.", "2:1"),
    ("tab indent", "a:\n\t- b\n", "Tabs are usually invalid in YAML.", "2:1"),
    ("tab inside a line", "a:\n  b: 1\n  c: x\t y: 2\n", "Tabs are usually invalid in YAML.", "3:7"),
    ("unclosed quote", "a: 'x\n", "While scanning a quoted scalar found unexpected end of stream.", "2:1"),
    ("colon in value", "a: b: c\n", "Colons in unquoted values must be followed by a non-space character.", "1:5"),
    ("colon after quoted", "b: 1\na: \"x\" y: z\n",
     "Colons in unquoted values must be followed by a non-space character.", "2:9"),
    ("undefined alias", "a: *nope\n", "Found undefined alias.", "1:4"),
    ("two documents", "a: 1\n---\nb: 2\n", "Expected a single document in the stream but found another document.", "2:1"),
    ("bad character", "a: @x\n", "While scanning for the next token found character that cannot start any token.", "1:4"),
    ("unquoted template", "- hosts: localhost\n  tasks:\n    - debug:\n        msg: {{ x }}\n",
     "This may be an issue with missing quotes around a template block.", "4:14"),
    ("text after quote", "- hosts: localhost\n  tasks:\n    - debug:\n        msg: \"a\" b\n",
     "Values starting with a quote must end with the same quote.", "4:14"),
    ("two quoted parts", "a: 'x' 'y'\n",
     "Values starting with a quote must end with the same quote, and not contain that quote.", "1:4"),
    ("bad escape", "a: \"x\\q: y\"\n", "While parsing a quoted scalar found unknown escape character.", "1:6"),
    ("mapping in a plain value", "- hosts: localhost\n  tasks:\n    - debug: msg=x\n        name: y\n",
     "Mapping values are not allowed in this context.", "4:13"),
]


def _inventory(tmp_path: Path) -> Path:
    return write(tmp_path / "hosts", "localhost ansible_connection=local\n")


@pytest.mark.parametrize("name,text,message,where", SYNTAX_ERRORS, ids=[c[0] for c in SYNTAX_ERRORS])
def test_syntax_errors_read_as_ansible_words_them(tmp_path: Path, name: str, text: str, message: str,
                                                  where: str) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(text)
    result = miniplay("run", "-i", str(_inventory(tmp_path)), str(playbook))
    assert result.rc == 4
    assert result.stderr.startswith(f"[ERROR]: YAML parsing failed: {message}\nOrigin: {playbook}:{where}\n"), \
        result.stderr
    assert result.stderr.endswith("\n\n"), "an error block ends with a blank line"
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("name,text,message,where", SYNTAX_ERRORS, ids=[c[0] for c in SYNTAX_ERRORS])
def test_syntax_errors_match_ansible_core(tmp_path: Path, name: str, text: str, message: str, where: str) -> None:
    require_ansible()
    playbook = tmp_path / "site.yml"
    playbook.write_text(text)
    inventory = _inventory(tmp_path)
    theirs = ansible_playbook("-i", str(inventory), str(playbook), cwd=tmp_path)
    ours = miniplay("run", "-i", str(inventory), str(playbook), cwd=tmp_path)
    assert ours.rc == theirs.rc
    # the message, Origin and source excerpt agree; the worked example under it is our own text
    assert error_block(ours.stderr) == error_block(theirs.stderr)


def test_a_hint_shows_how_to_fix_the_line(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          tasks:
            - copy:
                dest: {{ target }}/app.conf
                content: x
        """)
    result = miniplay("run", str(playbook))
    assert "4         dest: {{ target }}/app.conf\n                ^ column 15" in result.stderr
    assert 'write:\n\n    dest: "{{ base_dir }}/app.conf"\n\n' in result.stderr


def test_a_tab_is_shown_as_one_space_under_the_caret(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: localhost\n  tasks:\n  \t- debug: msg=x\n")
    result = miniplay("run", str(playbook))
    assert "Tabs are usually invalid in YAML.\nOrigin: " + f"{playbook}:3:3" in result.stderr
    assert "3    - debug: msg=x\n    ^ column 3" in result.stderr


def test_the_last_duplicate_key_wins_with_a_warning(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars:
            port: 80
            port: 8080
          tasks:
            - debug: var=port
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0
    assert result.debug_values()["port"] == 8080
    assert (f"[WARNING]: Found duplicate mapping key 'port'.\nOrigin: {playbook}:5:5\n\n"
            "3   vars:\n4     port: 80\n5     port: 8080\n      ^ column 5\n\n"
            "Using last defined value only.\n\n") in result.stderr


def test_a_duplicate_in_an_included_vars_file_is_reported_by_that_task(tmp_path: Path) -> None:
    write(tmp_path / "more.yml", "colour: red\ncolour: blue\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - include_vars: more.yml
            - debug: var=colour
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0 and result.debug_values()["colour"] == "blue"
    assert f"Found duplicate mapping key 'colour'.\nOrigin: {tmp_path / 'more.yml'}:2:1" in result.stderr


def test_inventory_warnings_are_shown(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts", """
        [web]
        web ansible_connection=local
        """)
    playbook = write(tmp_path / "site.yml", """
        - hosts: web
          gather_facts: false
          tasks:
            - ping:
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook))
    assert result.rc == 0
    assert "[WARNING]: Found both group and host with same name: web" in result.stderr


def test_the_pure_python_parser_reads_the_same_values_and_lines(tmp_path: Path) -> None:
    """Where libyaml has no wheel, ruamel's own parser must give the same data and positions."""
    from miniplay.core import yamlfile

    text = ("- hosts: all  # a comment\n  vars:\n    yes_word: yes\n    y_word: y\n    octal: 0o17\n"
            "    legacy_octal: 017\n    merged:\n      <<: &base {k: 1}\n      z: 2\n    again: *base\n"
            "    raw: !unsafe '{{ x }}'\n    day: 2024-01-31\n  tasks:\n    - name: one\n      command: echo\n"
            "    -   debug:\n          msg: >\n            folded\n            text\n")
    fast = yamlfile.load_yaml_text(text, "t.yml")
    pure = yamlfile.load_yaml_text(text, "t.yml", pure=True)
    assert yamlfile.to_plain(fast) == yamlfile.to_plain(pure)
    assert yamlfile.to_plain(fast)[0]["vars"]["yes_word"] is True
    assert yamlfile.to_plain(fast)[0]["vars"]["y_word"] == "y"

    def positions(node: object) -> list[object]:
        found: list[object] = []
        if isinstance(node, dict):
            for key, value in node.items():
                found += [str(yamlfile.key_location(node, key, "t")), str(yamlfile.value_location(node, key, "t"))]
                found += positions(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += [str(yamlfile.item_location(node, index, "t"))] + positions(value)
        return found

    assert positions(fast) == positions(pure)
    assert "t:16:9" in positions(fast)  # `debug` after the wide `-   `
