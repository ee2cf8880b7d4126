"""Filters, tests and lookups, checked through a real Jinja2 environment.

Every expected value below is what ansible-core 2.19 returned for the same
expression (`ansible localhost -m debug` / its Templar). One difference in
spelling: Ansible does not unescape backslashes in string literals that come
from YAML, so Ansible's `'\\1'` is written `'\\\\1'` here (plain Jinja).
"""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time
from typing import Any

import jinja2
import pytest

from miniplay.core.errors import TemplateError, UndefinedVariableError
from miniplay.templating.filters import FILTERS, PluginFailed
from miniplay.templating.jinja_tests import TESTS
from miniplay.templating.lookups import LOOKUPS, LookupContext, run_lookup


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.tests.update(TESTS)
    return env


ENV = _environment()


def evaluate(expression: str, variables: dict | None = None) -> Any:
    """The Python value of a bare Jinja expression (what Ansible's native mode returns)."""
    return ENV.compile_expression(expression, undefined_to_none=False)(**(variables or {}))


def _case_id(case: tuple) -> str:
    return case[0][:60]


# ---------------------------------------------------------------------------
# Filters: (expression, variables, expected)
# ---------------------------------------------------------------------------

LONG = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr"
QUOTING = {"a": "it's", "b": "'x", "c": "a\tb", "d": "x: y", "e": "yes", "f": "on", "g": "y", "h": "n",
           "i": "0o17", "j": "017", "k": "1:20", "l": "1_000", "m": "null", "n": "~", "o": "True",
           "p": "0x1f", "q": "2001-01-01", "r": "1e3", "s": ".inf", "t": "é"}

FILTER_CASES = [
    # JSON
    ("{'b': 1, 'a': 2} | to_json", {}, '{"b": 1, "a": 2}'),
    ("{'b': 'héllo', 'a': [1, 2]} | to_json", {}, '{"b": "h\\u00e9llo", "a": [1, 2]}'),
    ("s | to_json", {"s": [1.5, True, None, "x"]}, '[1.5, true, null, "x"]'),
    ("s | to_json(sort_keys=true)", {"s": {"b": "é", "a": 1}}, '{"a": 1, "b": "\\u00e9"}'),
    ("s | to_json(indent=2)", {"s": {"b": "é", "a": 1}}, '{\n  "b": "\\u00e9",\n  "a": 1\n}'),
    ("{1: 2, 'a': 3} | to_json", {}, '{"1": 2, "a": 3}'),
    ("'2020-01-02 03:04:05' | to_datetime | to_json", {}, '"2020-01-02T03:04:05"'),
    ("{'b': 1, 'a': {'d': 1, 'c': 2}} | to_nice_json", {},
     '{\n    "a": {\n        "c": 2,\n        "d": 1\n    },\n    "b": 1\n}'),
    ("s | to_nice_json", {"s": {"b": "é", "a": [1, 2]}},
     '{\n    "a": [\n        1,\n        2\n    ],\n    "b": "\\u00e9"\n}'),
    ("s | to_nice_json(indent=2)", {"s": {"b": "é", "a": 1}}, '{\n  "a": 1,\n  "b": "\\u00e9"\n}'),
    ("[] | to_nice_json", {}, "[]"),
    ("{1: 2, 'a': 3} | to_nice_json", {}, '{\n    "1": 2,\n    "a": 3\n}'),
    ("'{\"a\": [1, 2]}' | from_json", {}, {"a": [1, 2]}),
    # YAML out
    ("{'b': 1, 'a': [1, 2, {'x': 'y'}]} | to_yaml", {}, "a:\n- 1\n- 2\n- {x: y}\nb: 1\n"),
    ("{'b': 1, 'a': 2} | to_yaml", {}, "{a: 2, b: 1}\n"),
    ("'hello' | to_yaml", {}, "hello\n"),
    ("42 | to_yaml", {}, "42\n"),
    ("none | to_yaml", {}, "null\n"),
    ("[1, 'a', none, true] | to_yaml", {}, "[1, a, null, true]\n"),
    ("s | to_yaml", {"s": {"a": "multi\nline", "b": "x"}}, "{a: 'multi\n\n    line', b: x}\n"),
    ("s | to_yaml", {"s": "multi\nline\n"}, "'multi\n\n  line\n\n  '\n"),
    ("s | to_yaml", {"s": {"long": LONG}},
     "{long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n    pppp qqqq rrrr}\n"),
    ("s | to_yaml", {"s": QUOTING},
     "{a: it's, b: '''x', c: \"a\\tb\", d: 'x: y', e: 'yes', f: 'on', g: y, h: n, i: 0o17,\n"
     "  j: '017', k: '1:20', l: '1_000', m: 'null', n: '~', o: 'True', p: '0x1f', q: '2001-01-01',\n"
     "  r: 1e3, s: '.inf', t: é}\n"),
    ("s | to_yaml", {"s": {"a": 1e20, "b": 0.1, "c": 1e-7}}, "{a: 1.0e+20, b: 0.1, c: 1.0e-07}\n"),
    ("s | to_yaml", {"s": [["a", ["b", "c"]], {"k": [[1]]}]}, "- - a\n  - [b, c]\n- k:\n  - [1]\n"),
    ("s | to_yaml(indent=4)", {"s": {"a": [{"b": 1, "c": 2}]}}, "a:\n- {b: 1, c: 2}\n"),
    ("s | to_yaml(explicit_start=true)", {"s": {"b": 1, "a": 2}}, "--- {a: 2, b: 1}\n"),
    ("{1: 2, 'a': 3} | to_yaml", {}, "{1: 2, a: 3}\n"),
    ("{'b': 1, 'a': [1, 2, {'x': 'y'}]} | to_nice_yaml", {}, "a:\n- 1\n- 2\n-   x: y\nb: 1\n"),
    ("{'b': {'c': [1, 2]}, 'a': 'text'} | to_nice_yaml(indent=2)", {}, "a: text\nb:\n  c:\n  - 1\n  - 2\n"),
    ("[{'a': 1, 'b': [1, 2]}, 'x'] | to_nice_yaml", {}, "-   a: 1\n    b:\n    - 1\n    - 2\n- x\n"),
    ("s | to_nice_yaml", {"s": [["a", ["b", "c"]], {"k": [[1]]}]},
     "-   - a\n    -   - b\n        - c\n-   k:\n    -   - 1\n"),
    ("s | to_nice_yaml", {"s": {"k": "line1\nline2\n"}}, "k: 'line1\n\n    line2\n\n    '\n"),
    ("s | to_nice_yaml", {"s": {"a": "", "b": " ", "c": None, "d": True, "e": 1.0, "f": -3}},
     "a: ''\nb: ' '\nc: null\nd: true\ne: 1.0\nf: -3\n"),
    ("s | to_nice_yaml", {"s": {"a b": 1, "1": 2, "": 3}}, "'': 3\n'1': 2\na b: 1\n"),
    ("s | to_nice_yaml", {"s": {"a": "héllo", "b": "ünïcode"}}, "a: héllo\nb: ünïcode\n"),
    ("s | to_nice_yaml", {"s": {"long": LONG}},
     "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n    qqqq rrrr\n"),
    ("s | to_nice_yaml(width=20)", {"s": {"long": "aaaa bbbb cccc dddd eeee ffff"}},
     "long: aaaa bbbb cccc dddd\n    eeee ffff\n"),
    ("s | to_nice_yaml(sort_keys=false)", {"s": {"b": 1, "a": 2}}, "b: 1\na: 2\n"),
    ("s | to_nice_yaml", {"s": "'quoted'"}, "'''quoted'''\n"),
    ("[] | to_nice_yaml", {}, "[]\n"),
    # YAML in
    ("s | from_yaml",
     {"s": "a: yes\nb: on\nc: 0o17\nd: 017\ne: 1_000\nf: 2001-01-01\ng: ~\nh: Off\ni: y\nj: 1:20\nk: 0x1f"},
     {"a": True, "b": True, "c": "0o17", "d": 15, "e": 1000, "f": datetime.date(2001, 1, 1), "g": None,
      "h": False, "i": "y", "j": 80, "k": 31}),
    ("s | from_yaml", {"s": ""}, None),
    ("{'a': 1} | from_yaml", {}, {"a": 1}),
    ("s | from_yaml_all", {"s": "---\na: 1\n---\nb: 2"}, [{"a": 1}, {"b": 2}]),
    # Regular expressions
    ("'abc' | regex_search('z')", {}, None),
    ("'abc' | regex_search('b.')", {}, "bc"),
    ("'ABC' | regex_search('b', ignorecase=true)", {}, "B"),
    ("s | regex_search('^b', multiline=true)", {"s": "a\nb"}, "b"),
    ("'abc' | regex_search('(?P<x>b)c', '\\\\g<x>')", {}, ["b"]),
    ("'abc' | regex_search('(?P<x>b)(c)', '\\\\g<x>', '\\\\2')", {}, ["b", "c"]),
    ("'abc' | regex_search('(b)(c)', '\\\\2')", {}, ["c"]),
    ("'abc' | regex_search('(z)(c)', '\\\\2')", {}, None),
    ("'x' | regex_search('(?P<n>x)', '\\\\g<n>', '\\\\0')", {}, ["x", "x"]),
    ("12 | regex_search('(b)')", {}, None),
    ("'abc' | regex_replace('(b)', '[\\\\1]')", {}, "a[b]c"),
    ("'aaa' | regex_replace('a', 'b', count=2)", {}, "bba"),
    ("'ABC' | regex_replace('b', 'x', ignorecase=true)", {}, "AxC"),
    ("12 | regex_replace('x', 'y')", {}, "12"),
    ("'a1b22c' | regex_findall('\\\\d+')", {}, ["1", "22"]),
    ("'a1b22c' | regex_findall('([a-z])(\\\\d+)')", {}, [["a", "1"], ["b", "22"]]),
    ("'a.b*c' | regex_escape", {}, "a\\.b\\*c"),
    ("'a[b]^$' | regex_escape(re_type='posix_basic')", {}, "a\\[b\\]\\^\\$"),
    # combine
    ("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}})", {}, {"a": 1, "b": {"y": 2}}),
    ("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=true)", {}, {"a": 1, "b": {"x": 1, "y": 2}}),
    ("[{'a': 1}, {'b': 2}, {'a': 3}] | combine", {}, {"a": 3, "b": 2}),
    ("{'a': 1} | combine({'b': 2}, {'c': 3})", {}, {"a": 1, "b": 2, "c": 3}),
    ("{'a': 1} | combine([{'b': 2}, {'c': 3}])", {}, {"a": 1, "b": 2, "c": 3}),
    ("{'a': [1, 2]} | combine({'a': [3]}, list_merge='append')", {}, {"a": [1, 2, 3]}),
    ("{'a': [1, 2]} | combine({'a': [3]}, list_merge='prepend')", {}, {"a": [3, 1, 2]}),
    ("{'a': [1, 2]} | combine({'a': [3]}, list_merge='keep')", {}, {"a": [1, 2]}),
    ("{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='append_rp')", {}, {"a": [1, 2, 3]}),
    ("{'a': [1, 2]} | combine({'a': [2, 3]}, list_merge='prepend_rp')", {}, {"a": [2, 3, 1]}),
    ("{'a': {'b': [1]}} | combine({'a': {'b': [2]}}, recursive=true, list_merge='append')", {}, {"a": {"b": [1, 2]}}),
    # dict2items / items2dict
    ("{'b': 1, 'a': 2} | dict2items", {}, [{"key": "b", "value": 1}, {"key": "a", "value": 2}]),
    ("{'b': 1} | dict2items(key_name='k', value_name='v')", {}, [{"k": "b", "v": 1}]),
    ("[{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}] | items2dict", {}, {"a": 1, "b": 2}),
    ("[{'k': 'a', 'v': 1}] | items2dict(key_name='k', value_name='v')", {}, {"a": 1}),
    # flatten
    ("[1, [2, [3, [4]]], 5] | flatten", {}, [1, 2, 3, 4, 5]),
    ("[1, [2, [3, [4]]], 5] | flatten(levels=1)", {}, [1, 2, [3, [4]], 5]),
    ("[1, [2, [3, [4]]], 5] | flatten(1)", {}, [1, 2, [3, [4]], 5]),
    ("[[1, [2]], [3]] | flatten(levels=2)", {}, [1, 2, 3]),
    ("[1, [], none, 'None', 'null', '', [none]] | flatten", {}, [1, ""]),
    ("[1, [], none, [none, 2]] | flatten(skip_nulls=false)", {}, [1, None, None, 2]),
    ("[[1, [2]], {'a': [1]}, 'ab'] | flatten", {}, [1, 2, {"a": [1]}, "ab"]),
    # ternary, mandatory, bool, type_debug
    ("'x' | mandatory", {}, "x"),
    ("true | ternary('y', 'n')", {}, "y"),
    ("'' | ternary('y', 'n')", {}, "n"),
    ("none | ternary('y', 'n')", {}, "n"),
    ("none | ternary('y', 'n', 'z')", {}, "z"),
    ("'yes' | bool", {}, True),
    ("'On' | bool", {}, True),
    ("'TRUE' | bool", {}, True),
    ("'1' | bool", {}, True),
    ("1 | bool", {}, True),
    ("1.0 | bool", {}, True),
    ("2 | bool", {}, False),
    ("'no' | bool", {}, False),
    ("'maybe' | bool", {}, False),
    ("'y' | bool", {}, False),
    ("' yes ' | bool", {}, False),
    ("'1.0' | bool", {}, False),
    ("none | bool", {}, False),
    ("[] | bool", {}, False),
    ("1 | type_debug", {}, "int"),
    ("'x' | type_debug", {}, "str"),
    ("[1] | type_debug", {}, "list"),
    ("{'a': 1} | type_debug", {}, "dict"),
    ("none | type_debug", {}, "NoneType"),
    ("true | type_debug", {}, "bool"),
    # paths and URLs
    ("'/a/b/c.txt' | basename", {}, "c.txt"),
    ("'/a/b/' | basename", {}, ""),
    ("'/a/b/c.txt' | dirname", {}, "/a/b"),
    ("'/a/b/c' | relpath('/a')", {}, "b/c"),
    ("'/a/b/c.tar.gz' | splitext", {}, ["/a/b/c.tar", ".gz"]),
    ("['/a', 'b', 'c'] | path_join", {}, "/a/b/c"),
    ("['a', '/b', 'c'] | path_join", {}, "/b/c"),
    ("'a/b' | path_join", {}, "a/b"),
    ("'/etc/../etc/hostname' | realpath", {}, os.path.realpath("/etc/hostname")),
    ("\"it's\" | quote", {}, "'it'\"'\"'s'"),
    ("'abc' | quote", {}, "abc"),
    ("'' | quote", {}, "''"),
    ("none | quote", {}, "''"),
    ("'http://user:pw@example.com:8080/p/a?q=1#frag' | urlsplit", {},
     {"fragment": "frag", "hostname": "example.com", "netloc": "user:pw@example.com:8080", "password": "pw",
      "path": "/p/a", "port": 8080, "query": "q=1", "scheme": "http", "username": "user"}),
    ("'http://user:pw@example.com:8080/p' | urlsplit('hostname')", {}, "example.com"),
    ("'http://example.com/p' | urlsplit('port')", {}, None),
    # encodings and hashes
    ("'hello' | b64encode", {}, "aGVsbG8="),
    ("'aGVsbG8=' | b64decode", {}, "hello"),
    ("'hé' | b64encode(encoding='utf-16-le')", {}, "aADpAA=="),
    ("'aADpAA==' | b64decode(encoding='utf-16-le')", {}, "hé"),
    ("'hello' | hash", {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("'hello' | hash('md5')", {}, "5d41402abc4b2a76b9719d911017c592"),
    ("'hello' | hash('sha256')", {}, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    ("'hello' | checksum", {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("'hello' | md5", {}, "5d41402abc4b2a76b9719d911017c592"),
    ("'hello' | sha1", {}, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ("42 | sha1", {}, "92cfceb39d57d914ed8b14d0e37643de0797ae56"),
    ("'example.com' | to_uuid", {}, "ae780c3a-a3ab-53c2-bfb4-098da300b3fe"),
    ("'example.com' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8')", {},
     "cfbff0d1-9375-5685-968c-48ce8b15ae17"),
    # dates
    ("('2020-01-02 03:04:05' | to_datetime).year", {}, 2020),
    ("'2020-01-02' | to_datetime('%Y-%m-%d')", {}, datetime.datetime(2020, 1, 2)),
    ("(('2020-01-02 03:04:05' | to_datetime) - ('2020-01-01 00:00:00' | to_datetime)).total_seconds()", {}, 97445.0),
    ("'%Y-%m-%d' | strftime(1700000000, utc=true)", {}, "2023-11-14"),
    ("'%Y-%m-%d %H:%M:%S' | strftime(1700000000, utc=true)", {}, "2023-11-14 22:13:20"),
    # set theory and itertools
    ("[1, 2, 2, 3, 1] | unique", {}, [1, 2, 3]),
    ("['a', 'A', 'b'] | unique", {}, ["a", "b"]),
    ("['a', 'A', 'b'] | unique(case_sensitive=true)", {}, ["a", "A", "b"]),
    ("[{'a': 1}, {'a': 1}, {'a': 2}] | unique", {}, [{"a": 1}, {"a": 2}]),
    ("[{'n': 'a', 'v': 1}, {'n': 'a', 'v': 2}] | unique(attribute='n')", {}, [{"n": "a", "v": 1}]),
    ("[1, 2, 3] | union([3, 4, 1])", {}, [1, 2, 3, 4]),
    ("['a'] | union(['A'])", {}, ["a", "A"]),
    ("[{'a': 1}] | union([{'a': 1}, {'b': 2}])", {}, [{"a": 1}, {"b": 2}]),
    ("[1, 2, 2, 3] | intersect([3, 2, 2, 5])", {}, [2, 3]),
    ("[1, 1, 3] | difference([2])", {}, [1, 3]),
    ("[1, 2, 3] | symmetric_difference([3, 4])", {}, [1, 2, 4]),
    ("[1, 1, 2] | symmetric_difference([2, 2, 5, 5])", {}, [1, 5]),
    ("[1, 2, 3] | zip(['a', 'b'])", {}, [[1, "a"], [2, "b"]]),
    ("[1, 2, 3] | zip(['a', 'b'], ['x', 'y']) | list", {}, [[1, "a", "x"], [2, "b", "y"]]),
    ("[1, 2, 3] | zip_longest(['a', 'b'])", {}, [[1, "a"], [2, "b"], [3, None]]),
    ("[1, 2, 3] | zip_longest(['a', 'b'], fillvalue='-')", {}, [[1, "a"], [2, "b"], [3, "-"]]),
    ("[1, 2] | product(['a', 'b'])", {}, [[1, "a"], [1, "b"], [2, "a"], [2, "b"]]),
    ("[1, 2] | product(repeat=2)", {}, [[1, 1], [1, 2], [2, 1], [2, 2]]),
    ("[1, 2, 3] | permutations(2)", {}, [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]),
    ("[1, 2] | permutations(5)", {}, []),
    ("[1, 2, 3] | combinations(2)", {}, [[1, 2], [1, 3], [2, 3]]),
    ("[3, 1, 2] | shuffle(seed='x')", {}, [3, 1, 2]),
    ("[3, 1, 2] | random(seed='x')", {}, 2),
    ("10 | random(seed='x')", {}, 5),
    ("10 | random(start=5, step=2, seed='x')", {}, 9),
    ("'abc' | random(seed='x')", {}, "c"),
    ("1 | shuffle", {}, 1),
    # maths and sizes
    ("8 | log(2)", {}, 3.0),
    ("100 | log(10)", {}, 2.0),
    ("1 | log", {}, 0.0),
    ("2 | pow(10)", {}, 1024.0),
    ("27 | root(3)", {}, 3.0),
    ("16 | root", {}, 4.0),
    ("1024 | human_readable", {}, "1.00 KB"),
    ("1000 | human_readable", {}, "1000.00 Bytes"),
    ("0 | human_readable", {}, "0.00 Bytes"),
    ("1536 | human_readable", {}, "1.50 KB"),
    ("123456789012 | human_readable", {}, "114.98 GB"),
    ("1500000 | human_readable(isbits=true)", {}, "1.43 Mb"),
    ("1500000 | human_readable(unit='K')", {}, "1464.84 KB"),
    ("1000 | human_readable(unit='G')", {}, "0.00 GB"),
    ("'10 MB' | human_to_bytes", {}, 10485760),
    ("'10M' | human_to_bytes", {}, 10485760),
    ("'1.5K' | human_to_bytes", {}, 1536),
    ("'.5K' | human_to_bytes", {}, 512),
    ("'10 k' | human_to_bytes", {}, 10240),
    ("'10B' | human_to_bytes", {}, 10),
    ("'100' | human_to_bytes", {}, 100),
    ("10 | human_to_bytes", {}, 10),
    ("'10Mb' | human_to_bytes(isbits=true)", {}, 10485760),
    ("'10' | human_to_bytes(default_unit='K')", {}, 10240),
    # strings and containers
    ("'a,b,,c' | split(',')", {}, ["a", "b", "", "c"]),
    ("'a b  c' | split", {}, ["a", "b", "c"]),
    ("'a,b,c' | split(',', 1)", {}, ["a", "b,c"]),
    ("[0, 2] | map('extract', ['a', 'b', 'c']) | list", {}, ["a", "c"]),
    ("'k' | extract({'k': {'x': {'y': 2}}}, ['x', 'y'])", {}, 2),
    ("'k' | extract({'k': {'x': 1}}, 'x')", {}, 1),
    ("users | subelements('groups')", {"users": [{"name": "a", "groups": ["x", "y"]}, {"name": "b", "groups": []}]},
     [[{"name": "a", "groups": ["x", "y"]}, "x"], [{"name": "a", "groups": ["x", "y"]}, "y"]]),
    ("users | subelements('groups', skip_missing=true)", {"users": [{"name": "a", "groups": ["x"]}, {"name": "b"}]},
     [[{"name": "a", "groups": ["x"]}, "x"]]),
    ("users | subelements('g.h')", {"users": [{"name": "a", "g": {"h": [1]}}]}, [[{"name": "a", "g": {"h": [1]}}, 1]]),
    ("users | subelements('groups')", {"users": {"u1": {"name": "a", "groups": [1]}}},
     [[{"name": "a", "groups": [1]}, 1]]),
    # FQCN spelling
    ("{'b': 1} | ansible.builtin.to_json", {}, '{"b": 1}'),
    ("'yes' | ansible.builtin.bool", {}, True),
]


@pytest.mark.parametrize("expression,variables,expected", FILTER_CASES, ids=[_case_id(c) for c in FILTER_CASES])
def test_filter(expression: str, variables: dict, expected: Any) -> None:
    result = evaluate(expression, variables)
    assert result == expected
    assert type(result) is type(expected)


# ---------------------------------------------------------------------------
# Tests: (expression, variables, expected)
# ---------------------------------------------------------------------------

TEST_CASES = [
    ("{'failed': true} is failed", {}, True),
    ("{} is failed", {}, False),
    ("{'failed': 'false'} is failed", {}, True),
    ("{'failed': false, 'rc': 1} is failed", {}, False),
    ("{'failed': true} is failure", {}, True),
    ("{} is succeeded", {}, True),
    ("{'failed': true} is success", {}, False),
    ("{} is successful", {}, True),
    ("{'results': [{'changed': false}, {'changed': true}]} is changed", {}, True),
    ("{'results': [{'changed': false}]} is changed", {}, False),
    ("{'changed': false, 'results': [{'changed': true}]} is changed", {}, False),
    ("{'results': 'x'} is changed", {}, False),
    ("{'results': ['x']} is changed", {}, False),
    ("{} is changed", {}, False),
    ("{'changed': 1} is change", {}, True),
    ("{'skipped': true} is skipped", {}, True),
    ("{} is skip", {}, False),
    ("{} is finished", {}, True),
    ("{'finished': 0} is finished", {}, False),
    ("{'finished': 1} is finished", {}, True),
    ("{'finished': 'false'} is finished", {}, True),
    ("{} is started", {}, True),
    ("{'started': 0} is started", {}, False),
    ("{} is reachable", {}, True),
    ("{'unreachable': true} is reachable", {}, False),
    ("{'unreachable': true} is unreachable", {}, True),
    ("{} is unreachable", {}, False),
    ("{} is timedout", {}, False),
    ("{'timedout': {'period': 5}} is timedout", {}, True),
    ("{'timedout': {}} is timedout", {}, False),
    ("'abc' is match('b')", {}, False),
    ("'abc' is match('a')", {}, True),
    ("12 is match('1')", {}, True),
    ("none is match('x')", {}, False),
    ("'abc' is search('b')", {}, True),
    ("'ABC' is search('b', ignorecase=true)", {}, True),
    ("'abc' is regex('b')", {}, True),
    ("'abc' is regex('b', match_type='match')", {}, False),
    ("'abc' is regex('abc', match_type='fullmatch')", {}, True),
    ("'abc' is regex('ab', match_type='fullmatch')", {}, False),
    ("'1.2.3' is version('1.2.10', '<')", {}, True),
    ("'1.2.3' is version('1.2.3', '==')", {}, True),
    ("'1.2.3' is version('1.2.3')", {}, True),
    ("'1.2.3' is version('1.2', '>')", {}, True),
    ("'1.2.3' is version('1.2.3', 'eq')", {}, True),
    ("'1.2.3' is version('1.2.3', '=')", {}, True),
    ("'1.2.3' is version('1.2.3', '<>')", {}, False),
    ("'1.2' is version('1.2.0', '==')", {}, False),
    ("'1.0.0-alpha' is version('1.0.0', '<')", {}, False),
    ("'abc' is version('abd', '<')", {}, True),
    ("'v1.2' is version('v1.10', '<')", {}, True),
    ("1.2 is version(1.10, '<')", {}, False),
    ("'2.0' is version_compare('1.9', '>=')", {}, True),
    ("'2.0' is version('1.9', 'ge', version_type='loose')", {}, True),
    ("'1.2' is version('1.2.0', '==', strict=true)", {}, True),
    ("'1.2a1' is version('1.2', '<', strict=true)", {}, True),
    ("'1.2b3' is version('1.2a4', '>', strict=true)", {}, True),
    ("'1.0.0-alpha' is version('1.0.0', '<', version_type='semver')", {}, True),
    ("'1.0.0-alpha.1' is version('1.0.0-alpha.beta', '<', version_type='semver')", {}, True),
    ("'1.0.0-2' is version('1.0.0-10', '<', version_type='semver')", {}, True),
    ("'1.0.0-a' is version('1.0.0-1', '>', version_type='semver')", {}, True),
    ("'1.0.0-a' is version('1.0.0-a.1', '<', version_type='semver')", {}, True),
    ("'1.0.0+build' is version('1.0.0', '==', version_type='semver')", {}, True),
    ("'1.0.0-rc.1' is version('1.0.0-rc.1+b', '==', version_type='semantic')", {}, True),
    ("'1.2.3-1' is version('1.2.3-2', '<', version_type='pep440')", {}, True),
    ("'1.0a1' is version('1.0', '<', version_type='pep440')", {}, True),
    ("'1.0.post1' is version('1.0', '>', version_type='pep440')", {}, True),
    ("'1.0.dev1' is version('1.0a1', '<', version_type='pep440')", {}, True),
    ("'1!0.1' is version('2.0', '>', version_type='pep440')", {}, True),
    ("'1.0' is version('1.0.0', '==', version_type='pep440')", {}, True),
    ("'1.0+local' is version('1.0', '>', version_type='pep440')", {}, True),
    ("'x' is truthy", {}, True),
    ("'' is truthy", {}, False),
    ("'no' is truthy", {}, True),
    ("'no' is truthy(convert_bool=true)", {}, False),
    ("'y' is truthy(convert_bool=true)", {}, True),
    ("'f' is truthy(convert_bool=true)", {}, False),
    ("'x' is truthy(convert_bool=true)", {}, True),
    ("'' is falsy", {}, True),
    ("[] is falsy", {}, True),
    ("'no' is falsy(convert_bool=true)", {}, True),
    ("[true, false] is any", {}, True),
    ("[true, false] is all", {}, False),
    ("[] is all", {}, True),
    ("[] is any", {}, False),
    ("'/tmp' is abs", {}, True),
    ("'tmp' is abs", {}, False),
    ("'/' is exists", {}, True),
    ("'/nope/nothing/here' is exists", {}, False),
    ("'~' is exists", {}, False),
    ("'/' is directory", {}, True),
    ("'/' is is_dir", {}, True),
    ("'/' is file", {}, False),
    ("'/' is link", {}, False),
    ("'/tmp' is same_file('/tmp/')", {}, True),
    ("[1, 2] is contains(1)", {}, True),
    ("'abc' is contains('b')", {}, True),
    ("[1, 2] is subset([1, 2, 3])", {}, True),
    ("[1, 4] is issubset([1, 2, 3])", {}, False),
    ("[1, 2, 3] is superset([1, 2])", {}, True),
    ("[1, 2, 3] is issuperset([4])", {}, False),
    ("('nan' | float) is nan", {}, True),
    ("1 is nan", {}, False),
    ("'x' is nan", {}, False),
    ("'x' is vault_encrypted", {}, False),
    ("{} is ansible.builtin.succeeded", {}, True),
    ("[[1], [2]] | select('ansible.builtin.contains', 1) | list == [[1]]", {}, True),
]


@pytest.mark.parametrize("expression,variables,expected", TEST_CASES, ids=[_case_id(c) for c in TEST_CASES])
def test_jinja_test(expression: str, variables: dict, expected: bool) -> None:
    assert evaluate(expression, variables) is expected


def test_file_link_tests(tmp_path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x")
    (tmp_path / "l").symlink_to(target)
    paths = {"f": str(target), "l": str(tmp_path / "l"), "d": str(tmp_path)}
    assert evaluate("f is file and f is is_file and f is exists", paths) is True
    assert evaluate("l is link and d is directory and f is not directory", paths) is True


# ---------------------------------------------------------------------------
# Errors: (expression, variables, message); all are TemplateErrors naming the plugin
# ---------------------------------------------------------------------------

ERROR_CASES = [
    ("nope | mandatory", {}, "Mandatory variable 'nope' not defined."),
    ("nope | mandatory('nope must be set')", {}, "nope must be set"),
    ("nope.bar | mandatory", {"nope": {}}, "Mandatory variable 'bar' not defined."),
    ("'x' is failed", {}, "The 'failed' test expects a dictionary"),
    ("'x' is changed", {}, "The 'changed' test expects a dictionary"),
    ("'x' is finished", {}, "The 'finished' test expects a dictionary"),
    ("s | from_json", {"s": "not json"}, "Expecting value: line 1 column 1 (char 0)"),
    ("'x' | regex_search('x', 'bad')", {}, "Unknown argument"),
    ("'a.b' | regex_escape(re_type='posix_extended')", {}, "Regex type (posix_extended) not yet implemented"),
    ("{'a': 1} | combine({'b': 2}, bogus=1)", {}, "'recursive' and 'list_merge' are the only valid keyword arguments"),
    ("{'a': 1} | combine({'b': 2}, list_merge='bogus')", {},
     "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', "
     "'append_rp' or 'prepend_rp'"),
    ("{'a': 1} | combine('x')", {}, "failed to combine variables, expected dicts but got a 'dict' and a 'str'."),
    ("[1] | dict2items", {}, "dict2items requires a dictionary, got <class 'list'> instead."),
    ("[1] | items2dict", {}, "items2dict requires a list of dictionaries, got [1] instead."),
    ("[{'key': 'a'}] | items2dict", {},
     "items2dict requires each dictionary in the list to contain the keys 'key' and 'value', "
     "got [{'key': 'a'}] instead."),
    ("users | subelements('groups')", {"users": [{"name": "a", "groups": ["x"]}, {"name": "b"}]},
     "could not find 'groups' key in iterated item {'name': 'b'}"),
    ("users | subelements('groups')", {"users": [{"name": "a", "groups": "x"}]},
     "the key 'groups' should point to a list, got 'x'"),
    ("'aGVsbG8' | b64decode", {}, "Incorrect padding"),
    ("'hello' | hash('nope')", {}, "unsupported hash type nope"),
    ("'2020-13-45' | to_datetime", {}, "time data '2020-13-45' does not match format '%Y-%m-%d %H:%M:%S'"),
    ("'%Y' | strftime('x')", {}, "Invalid value for epoch value (x)"),
    ("'x' | log", {}, "log() can only be used on numbers: must be real number, not str"),
    ("-1 | log", {}, "math domain error"),
    ("'junk' | human_to_bytes", {},
     "human_to_bytes() can't interpret the input: human_to_bytes() can't interpret following string: junk"),
    ("'1 KiB' | human_to_bytes", {},
     "human_to_bytes() can't interpret the input: human_to_bytes() failed to convert 1 KiB. "
     "Value is not a valid string (expect KB or K)"),
    ("'10Mb' | human_to_bytes", {},
     "human_to_bytes() can't interpret the input: human_to_bytes() failed to convert 10Mb. "
     "Value is not a valid string (expect MB or M)"),
    ("'10 bytes' | human_to_bytes", {},
     "human_to_bytes() can't interpret the input: human_to_bytes() failed to convert 10 bytes. "
     "Value is not a valid string (expect B or byte)"),
    ("'http://example.com/p' | urlsplit('nope')", {}, "urlsplit: unknown URL component: nope"),
    ("5 | random(start=5)", {}, "empty range for randrange() (5, 5, 0)"),
    ("'1.2a' is version('1.2', '>', strict=true)", {}, "Version comparison failed: invalid version number '1.2a'"),
    ("'1.0' is version('1.0.0', '<', version_type='semver')", {},
     "Version comparison failed: invalid semantic version '1.0'"),
    ("'01.0.0' is version('1.0.0', '==', version_type='semver')", {},
     "Version comparison failed: invalid semantic version '01.0.0'"),
    ("'junk' is version('1.0', '>', version_type='pep440')", {}, "Version comparison failed: Invalid version: 'junk'"),
    ("'1.a' is version('1.1', '<')", {},
     "Version comparison failed: '<' not supported between instances of 'str' and 'int'"),
    ("'1.2.3' is version('1.2.3', 'foo')", {},
     "Invalid operator type (foo). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', "
     "'ge', '!=', '<>', 'ne'"),
    ("'1.2.3' is version('1.2.3', '==', version_type='nope')", {},
     "Invalid version type (nope). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'"),
    ("'' is version('1', '<')", {}, "Input version value cannot be empty"),
    ("'1.2.3' is version('', '<')", {}, "Version parameter to compare against cannot be empty"),
    ("'1.2' is version('1.2', '<', strict=true, version_type='loose')", {},
     "Cannot specify both 'strict' and 'version_type'"),
    ("1 is contains(1)", {}, "argument of type 'int' is not iterable"),
    ("5 is any", {}, "'int' object is not iterable"),
]


@pytest.mark.parametrize("expression,variables,message", ERROR_CASES, ids=[_case_id(c) for c in ERROR_CASES])
def test_error(expression: str, variables: dict, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        evaluate(expression, variables)
    assert caught.value.message == message
    assert isinstance(caught.value, PluginFailed)


def test_error_names_the_plugin_like_ansible() -> None:
    with pytest.raises(PluginFailed) as caught:
        evaluate("nope | mandatory")
    assert caught.value.full_message == (
        "The filter plugin 'ansible.builtin.mandatory' failed: Mandatory variable 'nope' not defined."
    )
    with pytest.raises(PluginFailed) as caught:
        evaluate("'x' is failed")
    assert caught.value.full_message == (
        "The test plugin 'ansible.builtin.failed' failed: The 'failed' test expects a dictionary"
    )


@pytest.mark.parametrize("expression", ["nope | to_json", "nope | ternary('a', 'b')", "nope is failed",
                                        "[nope] | to_nice_yaml", "{} | combine(nope)"])
def test_undefined_input_is_jinjas_undefined_error(expression: str) -> None:
    """A plugin given an undefined argument hands that undefined value on (Ansible 2.19), so
    any use of the result fails with Jinja's own message, naming the variable."""
    with pytest.raises(jinja2.UndefinedError, match="'nope' is undefined"):
        str(evaluate(expression))


@pytest.mark.parametrize("expression", ["'k' | extract(nope) | default('a')", "nope | to_json | default('a')",
                                        "(nope is failed) | default('a')", "{} | combine(nope) | default('a')"])
def test_undefined_argument_reaches_default(expression: str) -> None:
    assert evaluate(expression) == "a"


def test_strftime_uses_local_time_by_default() -> None:
    assert evaluate("'%H:%M' | strftime(1700000000)") == time.strftime("%H:%M", time.localtime(1700000000))
    assert evaluate("'%Y' | strftime") == time.strftime("%Y")


def test_every_filter_and_test_has_an_fqcn_alias() -> None:
    for table in (FILTERS, TESTS):
        for name, fn in table.items():
            if not name.startswith("ansible.builtin."):
                assert table[f"ansible.builtin.{name}"] is fn


def test_jinja_builtins_are_left_alone() -> None:
    for name in ("default", "d", "int", "float", "batch", "min", "max", "map", "list", "dict", "items"):
        assert name not in FILTERS
    assert evaluate("'' | default('X')") == ""
    assert evaluate("[1, 2, 3] | batch(2) | list") == [[1, 2], [3]]


# ---------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------


@pytest.fixture
def playbook_dir(tmp_path):
    """A playbook directory with a few files, the way the reference runs used one."""
    (tmp_path / "a.txt").write_text("  hello world  \n\n")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "b.txt").write_text("x\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.j2").write_text("Hi {{ who }}\n")
    (tmp_path / "g1.cfg").write_text("")
    (tmp_path / "g2.cfg").write_text("")
    return tmp_path


def _render(text: str, variables: Any) -> str:
    return ENV.from_string(text).render(variables)


@pytest.fixture
def lookup_env(playbook_dir, monkeypatch):
    """A Jinja environment with lookup()/query() bound to a context on playbook_dir."""
    monkeypatch.setenv("MINIPLAY_TEST_VAR", "/root")
    monkeypatch.delenv("MINIPLAY_TEST_UNSET", raising=False)
    warnings: list[str] = []
    variables = {"who": "bob", "x": [1, 2], "users": [{"name": "a", "groups": ["x", "y"]}, {"name": "b", "groups": []}],
                 "users_missing": [{"name": "a", "groups": ["x"]}, {"name": "b"}]}
    ctx = LookupContext(variables=variables, search_paths=[str(playbook_dir)], render=_render, warn=warnings.append)

    def lookup(name: str, *terms: Any, **kwargs: Any) -> Any:
        return run_lookup(name, list(terms), ctx, kwargs, wantlist=False)

    def query(name: str, *terms: Any, **kwargs: Any) -> Any:
        return run_lookup(name, list(terms), ctx, kwargs, wantlist=True)

    def run(expression: str) -> Any:
        return ENV.compile_expression(expression, undefined_to_none=False)(lookup=lookup, query=query, **variables)

    run.warnings = warnings  # type: ignore[attr-defined]
    run.dir = str(playbook_dir)  # type: ignore[attr-defined]
    return run


LOOKUP_CASES = [
    ("lookup('env', 'MINIPLAY_TEST_VAR')", "/root"),
    ("lookup('env', 'MINIPLAY_TEST_UNSET')", ""),
    ("lookup('env', 'MINIPLAY_TEST_UNSET', default='dflt')", "dflt"),
    ("lookup('env', 'MINIPLAY_TEST_VAR', 'MINIPLAY_TEST_UNSET')", "/root,"),
    ("query('env', 'MINIPLAY_TEST_VAR', 'MINIPLAY_TEST_UNSET')", ["/root", ""]),
    ("lookup('env')", []),
    ("lookup('file', 'a.txt')", "  hello world"),
    ("lookup('file', 'a.txt', lstrip=true)", "hello world"),
    ("lookup('file', 'a.txt', rstrip=false)", "  hello world  \n\n"),
    ("lookup('file', 'a.txt', 'files/b.txt')", "  hello world,x"),
    ("query('file', 'a.txt', 'b.txt')", ["  hello world", "x"]),
    ("lookup('file', 'nope.txt', errors='ignore')", None),
    ("query('file', 'nope.txt', errors='ignore')", []),
    ("lookup('template', 't.j2')", "Hi bob\n"),
    ("lookup('template', 't.j2', template_vars={'who': 'zed'})", "Hi zed\n"),
    ("lookup('pipe', 'echo hi; echo there')", "hi\nthere"),
    ("lookup('pipe', 'echo a', 'echo b')", "a,b"),
    ("query('lines', 'printf \"a\\\\nb\\\\n\"')", ["a", "b"]),
    ("lookup('lines', 'printf \"a\\\\nb\\\\n\"')", "a,b"),
    ("lookup('vars', 'who')", "bob"),
    ("lookup('vars', 'who', 'x')", ["bob", [1, 2]]),
    ("lookup('vars', 'x')", [1, 2]),
    ("lookup('vars', 'x', wantlist=true)", [[1, 2]]),
    ("lookup('vars', 'nope', default='d')", "d"),
    ("query('vars', 'who', 'nope', default='d')", ["bob", "d"]),
    ("lookup('first_found', 'nope', skip=true)", []),
    ("query('first_found', 'nope', skip=true)", []),
    ("lookup('first_found', 'nope', errors='ignore')", None),
    ("query('first_found', '/etc/hostname')", ["/etc/hostname"]),
    ("lookup('fileglob', '/nonexistent/*.nope')", []),
    ("lookup('items', [1, [2, [3]]], 4)", [1, [2, [3]], 4]),
    ("query('items', [1, none, [none]])", [1, None, [None]]),
    ("query('items', 'a')", ["a"]),
    ("lookup('items', 'a', 'b')", "a,b"),
    ("lookup('items', 1)", 1),
    ("lookup('list', 'a', 'b')", "a,b"),
    ("lookup('list', 'a')", "a"),
    ("lookup('list', 1, 2)", [1, 2]),
    ("lookup('list')", []),
    ("query('list', [1, 2], 3)", [[1, 2], 3]),
    ("lookup('list', 'a', 'b', wantlist=true)", ["a", "b"]),
    ("query('dict', {'b': 1, 'a': 2})", [{"key": "b", "value": 1}, {"key": "a", "value": 2}]),
    ("lookup('dict', {'b': 1})", {"key": "b", "value": 1}),
    ("query('sequence', 'start=1 end=5')", ["1", "2", "3", "4", "5"]),
    ("lookup('sequence', 'start=1 end=5')", "1,2,3,4,5"),
    ("query('sequence', 'start=0 end=10 stride=3')", ["0", "3", "6", "9"]),
    ("query('sequence', 'count=3')", ["1", "2", "3"]),
    ("query('sequence', 'start=2 count=3 format=host%02d')", ["host02", "host03", "host04"]),
    ("query('sequence', '4')", ["1", "2", "3", "4"]),
    ("query('sequence', '1-4/2')", ["1", "3"]),
    ("query('sequence', '2-4:v%d')", ["v2", "v3", "v4"]),
    ("query('sequence', start=1, end=3)", ["1", "2", "3"]),
    ("query('sequence', start=5, end=1, stride=-2)", ["5", "3", "1"]),
    ("query('sequence', 'start=10 count=3 stride=-2')", ["10", "8", "6", "4"]),
    ("query('sequence', 'start=1 end=3 format=%s-x')", ["1-x", "2-x", "3-x"]),
    ("query('sequence', 'start=1 end=3', 'start=7 end=8')", ["1", "2", "3", "7", "8"]),
    ("query('sequence', 'count=0')", []),
    ("query('sequence', 'start=1 end=5 stride=0')", []),
    ("query('indexed_items', ['a', 'b'])", [[0, "a"], [1, "b"]]),
    ("query('indexed_items', 'x')", [[0, "x"]]),
    ("lookup('indexed_items', ['a'])", [0, "a"]),
    ("query('flattened', [1, [2, [3]]], 4)", [1, 2, 3, 4]),
    ("query('nested', [1, 2], ['a', 'b'])", [[1, "a"], [1, "b"], [2, "a"], [2, "b"]]),
    ("query('nested', [1, 2], 'ab')", [[1, "a"], [1, "b"], [2, "a"], [2, "b"]]),
    ("query('nested', [1, 2], [])", []),
    ("query('cartesian', [1, 2], ['a'])", [[1, "a"], [2, "a"]]),
    ("query('together', [1, 2], ['a'])", [[1, "a"], [2, None]]),
    ("query('together', [1, 2], 'ab')", [[1, "a"], [2, "b"]]),
    ("query('subelements', users, 'groups')", [[{"name": "a"}, "x"], [{"name": "a"}, "y"]]),
    ("query('subelements', users_missing, 'groups', {'skip_missing': true})", [[{"name": "a"}, "x"]]),
    ("query('subelements', [{'name': 'a', 'g': {'h': [1]}}], 'g.h')", [[{"name": "a", "g": {}}, 1]]),
    ("query('subelements', {'u1': {'name': 'a', 'groups': [1]}, 'u2': {'groups': [2], 'skipped': true}}, 'groups')",
     [[{"name": "a"}, 1]]),
    ("query('random_choice', 'a')", ["a"]),
    ("query('random_choice')", []),
    ("query('ansible.builtin.list', 1)", [1]),
]


@pytest.mark.parametrize("expression,expected", LOOKUP_CASES, ids=[c[0][:60] for c in LOOKUP_CASES])
def test_lookup(lookup_env, expression: str, expected: Any) -> None:
    assert lookup_env(expression) == expected


def test_file_paths_come_back_absolute(lookup_env) -> None:
    base = lookup_env.dir
    assert lookup_env("lookup('first_found', 'nope', 'a.txt')") == os.path.join(base, "a.txt")
    assert lookup_env("query('first_found', 'a.txt', 'files/b.txt')") == [os.path.join(base, "a.txt")]
    assert lookup_env(f"lookup('first_found', files=['nope', 'b.txt'], paths=['{base}/files'])") == \
        os.path.join(base, "files", "b.txt")
    assert lookup_env(f"lookup('first_found', {{'files': ['nope', 'b.txt'], 'paths': ['{base}/files']}})") == \
        os.path.join(base, "files", "b.txt")
    assert lookup_env(f"query('first_found', files='nope,b.txt', paths='/x:{base}/files')") == \
        [os.path.join(base, "files", "b.txt")]
    globbed = [os.path.join(base, "g1.cfg"), os.path.join(base, "g2.cfg")]
    assert lookup_env("query('fileglob', '*.cfg')") == globbed
    assert lookup_env(f"lookup('fileglob', '{base}/*.cfg')") == ",".join(globbed)
    assert lookup_env(f"query('fileglob', '{base}/*.cfg', '{base}/*.txt')") == globbed + [os.path.join(base, "a.txt")]


LOOKUP_ERROR_CASES = [
    ("lookup('file', 'nope.txt')", "Unable to access the file 'nope.txt': File not found."),
    ("lookup('pipe', 'exit 3')", "lookup_plugin.pipe(exit 3) returned 3"),
    ("query('lines', 'exit 2')", "lookup_plugin.lines(exit 2) returned 2"),
    ("lookup('template', 'nope.j2')", "the template file nope.j2 could not be found for the lookup"),
    ("lookup('first_found', 'nope')", "No file was found when using first_found."),
    ("query('sequence', 'start=1 end=3 stride=-1')", "to count forward don't make stride negative"),
    ("query('sequence', start=5, end=1)", "to count backwards make stride negative"),
    ("query('sequence', 'end=0')", "to count backwards make stride negative"),
    ("query('sequence', 'start=1')", "must specify count or end in with_sequence"),
    ("query('sequence', 'start=1 end=5 count=2')", "can't specify both count and end in with_sequence"),
    ("query('sequence', 'start=1 end=3 bogus=2')", "unrecognized arguments to with_sequence: ['bogus']"),
    ("query('sequence', '5-1/-2')", "unrecognized arguments to with_sequence: ['_raw_params']"),
    ("query('subelements', users_missing, 'groups')", "could not find 'groups' key in iterated item '{'name': 'b'}'"),
    ("query('subelements', [{'name': 'a', 'groups': 'x'}], 'groups')",
     "the key groups should point to a list, got 'x'"),
    ("query('subelements', ['notadict'], 'groups')", "subelements lookup expects a dictionary, got 'notadict'"),
    ("query('nested')", "with_nested requires at least one element in the nested list"),
    ("query('together')", "with_together requires at least one element in each list"),
    ("query('dict', 'x')", "the 'dict' lookup plugin expects a dictionary, got 'x' of type <class 'str'>"),
]


@pytest.mark.parametrize("expression,message", LOOKUP_ERROR_CASES, ids=[c[0][:60] for c in LOOKUP_ERROR_CASES])
def test_lookup_error(lookup_env, expression: str, message: str) -> None:
    with pytest.raises(PluginFailed) as caught:
        lookup_env(expression)
    assert caught.value.message == message
    assert caught.value.plugin_kind == "lookup"


def test_lookup_error_full_message(lookup_env) -> None:
    with pytest.raises(PluginFailed) as caught:
        lookup_env("lookup('pipe', 'exit 3')")
    assert caught.value.full_message == "The lookup plugin 'pipe' failed: lookup_plugin.pipe(exit 3) returned 3"


def test_unknown_lookup_and_missing_variable(lookup_env) -> None:
    with pytest.raises(TemplateError, match=r"^The lookup plugin 'nope_lookup' was not found\.$"):
        lookup_env("lookup('nope_lookup', 'a')")
    with pytest.raises(UndefinedVariableError, match=r"No variable named 'nope' was found\."):
        lookup_env("lookup('vars', 'nope')")


def test_errors_warn_reports_and_returns_none(lookup_env) -> None:
    assert lookup_env("lookup('file', 'nope.txt', errors='warn')") is None
    assert lookup_env.warnings == [
        "An error occurred while running the lookup plugin 'file': "
        "Unable to access the file 'nope.txt': File not found."
    ]


def test_with_items_flattens_one_level() -> None:
    ctx = LookupContext(variables={}, search_paths=[], render=_render)
    assert run_lookup("items", [[1, 2], [3], 4], ctx, {}, wantlist=True) == [1, 2, 3, 4]
    assert run_lookup("items", [[1, [2]]], ctx, {}, wantlist=True) == [1, [2]]
    assert run_lookup("dict", [{"a": 1}], ctx, {}, wantlist=True) == [{"key": "a", "value": 1}]


def test_random_choice_picks_a_term() -> None:
    ctx = LookupContext(variables={}, search_paths=[], render=_render)
    assert run_lookup("random_choice", ["a", "b", "c"], ctx, {}, wantlist=False) in ("a", "b", "c")


def test_lookup_names() -> None:
    expected = {"env", "file", "template", "pipe", "vars", "first_found", "fileglob", "items", "list", "dict",
                "sequence", "lines", "indexed_items", "flattened", "nested", "cartesian", "together",
                "subelements", "random_choice"}
    assert expected <= set(LOOKUPS)
    for name in expected:
        assert LOOKUPS[f"ansible.builtin.{name}"] is LOOKUPS[name]


# ---- comment: vectors printed by ansible-core 2.19 ------------------------------------------

@pytest.mark.parametrize("expression,want", [
    ("'a\nb' | comment", "#\n# a\n# b\n#"),
    ("'a\nb' | comment('cblock')", "/*\n *\n * a\n * b\n *\n */"),
    ("'a' | comment('xml')", "<!--\n -\n - a\n -\n-->"),
    ("'a' | comment('c')", "//\n// a\n//"),
    ("'a' | comment('erlang')", "%\n% a\n%"),
    ("'a\n\nb\n' | comment", "#\n# a\n#\n# b\n# \n#"),
    ("'x' | comment(decoration='! ')", "!\n! x\n!"),
    ("'x' | comment('plain', prefix='#####', prefix_count=2, postfix_count=0)", "#####\n#####\n# x"),
])
def test_comment_styles(expression: str, want: str) -> None:
    assert evaluate(expression) == want


def test_comment_refuses_an_unknown_style() -> None:
    with pytest.raises(PluginFailed) as caught:
        evaluate("'x' | comment('bogus')")
    assert caught.value.full_message == "The filter plugin 'ansible.builtin.comment' failed: Invalid style 'bogus'."


# ---- password_hash: checked against openssl's own SHA-crypt and MD5-crypt ---------------

OPENSSL = shutil.which("openssl")


@pytest.mark.parametrize("scheme,flag", [("sha512", "-6"), ("sha256", "-5"), ("md5", "-1")])
@pytest.mark.parametrize("password,salt", [("secret", "saltsalt"), ("a", "x"), ("pässwörd €" * 9, "./09AZaz"),
                                           ("long salt is cut", "abcdefghijklmnopqrstuvwxyz")])
def test_password_hash_matches_openssl(scheme: str, flag: str, password: str, salt: str) -> None:
    if OPENSSL is None:
        pytest.skip("openssl is not installed: it is the reference for SHA-crypt")
    want = subprocess.run([OPENSSL, "passwd", flag, "-salt", salt, "-stdin"], input=password, text=True,
                          capture_output=True, check=True).stdout.strip()
    # 5000 is the algorithm's own default: openssl leaves it out and so do Ansible and miniplay
    assert evaluate(f"password | password_hash('{scheme}', '{salt}', rounds=5000)", {"password": password}) == want


# Reference vectors printed by ansible-core 2.19 (passlib) for 'secret' with salt 'abcdefgh'.
@pytest.mark.parametrize("expression,want", [
    ("password_hash('sha512', 'abcdefgh')", "$6$rounds=656000$abcdefgh$/Ei/7YaGhLUaj/.Vzhbn8/qTav7snBIiSWc4ltNfH"
                                            "/h5CKGCnV8KtAzHxd56WDXc3DF7SfbULGkU/EoGIlOV70"),
    ("password_hash('sha256_crypt', 'abcdefgh')", "$5$rounds=535000$abcdefgh$QXIhOR7fttJ4bdMfcw7BEvHVCsepCVESzLPmE9hth51"),
    ("password_hash('sha512', 'abcdefgh', rounds=10000)", "$6$rounds=10000$abcdefgh$dtkgtX8ow6kub/Iulo6m6YRiWBlfmJEeD"
                                                          "mTXbQPwlPu6qBjkZV2Ix8CeH0sE3NMp3Sq63bHshmKLBUGe7mWYy/"),
    ("password_hash('md5', 'abcdefgh')", "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"),
])
def test_password_hash_gives_what_ansible_gives(expression: str, want: str) -> None:
    assert evaluate(f"'secret' | {expression}") == want


def test_password_hash_random_salt() -> None:
    first, second = evaluate("'secret' | password_hash"), evaluate("'secret' | password_hash")
    assert first != second, "each call draws a new salt"
    ident, rounds, salt, digest = first.split("$")[1:]
    assert (ident, rounds) == ("6", "rounds=656000") and len(salt) == 16 and len(digest) == 86
    assert evaluate("'secret' | password_hash('sha256', salt_size=8, rounds=5000)").split("$")[2].__len__() == 8
    assert len(evaluate("'secret' | password_hash('md5')").split("$")[2]) == 8


@pytest.mark.parametrize("expression,message", [
    ("'x' | password_hash('bcrypt')", "password_hash: unsupported hash type 'bcrypt'"),
    ("'x' | password_hash('sha512', 'bad$salt')", "invalid characters in sha512_crypt salt"),
])
def test_password_hash_refuses_what_it_cannot_do(expression: str, message: str) -> None:
    with pytest.raises(PluginFailed) as caught:
        evaluate(expression)
    assert message in caught.value.message
    assert caught.value.full_message.startswith("The filter plugin 'ansible.builtin.password_hash' failed: ")
