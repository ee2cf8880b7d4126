"""Generate the hostile-input fuzz corpus: >= 500 cases, deterministic for a given seed.

Each case is a small folder (playbook, maybe an inventory, vars files, task files, a role)
plus the `miniplay run` arguments, in one of these classes:

  keyword-types   a wrong-typed value for each play/block/task keyword (table-driven)
  broken-yaml     a valid playbook with characters deleted, doubled, swapped or cut short
  recursion       self-including tasks and roles, self-referencing vars, deep -e JSON, alias bombs
  huge-values     range(), repetition, powers, async, inventory ranges, big numbers
  bytes           undecodable bytes in a playbook, vars file, group_vars, -e @file, inventory, tasks
  inventory       broken INI/YAML inventories and host variables
  extra-vars      malformed -e values
  sandbox         template escapes (dunder attributes, globals, format strings)
  limit           --limit patterns that match nothing or are malformed
  special-files   devices and FIFOs where a playbook or include is expected
  event-files     `miniplay report` / `explain` on a broken events file: torn, wrong field types (top
                  level and nested), unknown kinds, not JSON objects, binary, empty, huge, deep

Run it as a script to write the corpus out (`python tests/fuzz_corpus.py OUT_DIR [SEED]`);
tests/test_fuzz.py builds the same cases in memory.
"""
from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 1414
HEAD = "- hosts: localhost\n  gather_facts: false\n"
VALID = HEAD + "  vars:\n    word: hello\n  tasks:\n    - name: say\n      debug: msg=\"{{ word }}\"\n" \
               "    - command: echo hi\n      register: out\n      changed_when: false\n"


@dataclass
class Case:
    """One input: files to write (path -> bytes), FIFOs to make, and the CLI arguments."""

    id: str
    klass: str
    files: dict[str, bytes]
    args: list[str] = field(default_factory=lambda: ["run", "site.yml"])
    fifos: list[str] = field(default_factory=list)
    comparable: bool = True  # ansible-core can run it the same way (no miniplay-only option)


def _case(cases: list[Case], klass: str, files: dict[str, str | bytes], args: list[str] | None = None,
          fifos: list[str] | None = None, comparable: bool = True) -> None:
    encoded = {name: text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
               for name, text in files.items()}
    cases.append(Case(f"{klass}-{sum(c.klass == klass for c in cases):03d}", klass, encoded,
                      args or ["run", "site.yml"], fifos or [], comparable))


KEYWORDS_TASK = ["run_once", "become", "no_log", "check_mode", "diff", "any_errors_fatal", "ignore_unreachable",
                 "ignore_errors", "delegate_facts", "timeout", "throttle", "retries", "delay", "port", "name",
                 "delegate_to", "become_user", "become_method", "connection", "remote_user", "tags", "vars",
                 "module_defaults", "environment", "when", "notify", "register", "loop", "loop_control",
                 "changed_when", "failed_when", "until", "args"]
KEYWORDS_PLAY = ["gather_facts", "force_handlers", "max_fail_percentage", "strategy", "order", "serial", "tags",
                 "vars", "name", "roles", "vars_files", "hosts", "become", "run_once", "connection",
                 "module_defaults", "throttle", "handlers", "pre_tasks", "tasks", "post_tasks", "any_errors_fatal"]
BAD_VALUES = ["abc", "[]", "{}", "-1", "1.5", "\"{{ 'abc' }}\"", "~", "99999999999999999999", "[1, [2]]",
              "{a: {b: c}}", "'yes'", "\"\"", "\"{{ undefined_var }}\"", "!!binary aGVsbG8="]


def keyword_types(cases: list[Case], rng: random.Random) -> None:
    pairs = [("task", k, v) for k in KEYWORDS_TASK for v in BAD_VALUES] + \
            [("play", k, v) for k in KEYWORDS_PLAY for v in BAD_VALUES]
    for where, keyword, value in rng.sample(pairs, 200):
        if where == "task":
            text = f"{HEAD}  tasks:\n    - debug: msg=hi\n      {keyword}: {value}\n    - debug: msg=after\n"
        else:
            hosts = "" if keyword == "hosts" else "- hosts: localhost\n"
            text = (hosts or "- ") + ("  " if hosts else "") + f"{keyword}: {value}\n" + \
                ("  gather_facts: false\n" if keyword != "gather_facts" else "") + \
                ("  tasks:\n    - debug: msg=hi\n" if keyword != "tasks" else "")
            if keyword == "hosts":
                text = f"- hosts: {value}\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"
        _case(cases, "keyword-types", {"site.yml": text})


def broken_yaml(cases: list[Case], rng: random.Random) -> None:
    noise = ["\t", ":", ": ", "'", "\"", "[", "]", "{", "}", "{{", "}}", "-", "&a", "*a", "!", "%", "@", "`", "|",
             ">", "\n", "#", "\\", "?", ",", "\x00", "\u2028", "\ufeff"]
    for _ in range(90):
        text = VALID
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            action = rng.choice(["insert", "delete", "cut", "swap"])
            if action == "insert":
                text = text[:at] + rng.choice(noise) + text[at:]
            elif action == "delete":
                text = text[:at] + text[at + rng.randint(1, 6):]
            elif action == "cut":
                text = text[:at]
            else:
                lines = text.splitlines(keepends=True)
                if len(lines) > 2:
                    i = rng.randrange(len(lines) - 1)
                    lines[i], lines[i + 1] = lines[i + 1], lines[i]
                    text = "".join(lines)
        _case(cases, "broken-yaml", {"site.yml": text})
    for text in ["~\n", "[]\n", "{}\n", "hello\n", "- ~\n", "- []\n", "- hosts:\n", "---\n...\n", "- 1\n",
                 "- hosts: localhost\n  tasks: 5\n", "- hosts: localhost\n  tasks:\n    - ~\n",
                 "- hosts: localhost\n  tasks:\n    - []\n", "- import_playbook: site.yml\n", ""]:
        _case(cases, "broken-yaml", {"site.yml": text})


def recursion(cases: list[Case], rng: random.Random) -> None:
    _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - include_tasks: again.yml\n",
                               "again.yml": "- debug: msg=again\n- include_tasks: again.yml\n"})
    _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - import_tasks: again.yml\n",
                               "again.yml": "- import_tasks: again.yml\n"})
    _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - include_role: name=loop\n",
                               "roles/loop/tasks/main.yml": "- include_role: name=loop\n"})
    _case(cases, "recursion", {"site.yml": HEAD + "  roles: [dep]\n  tasks: []\n",
                               "roles/dep/meta/main.yml": "dependencies: [dep]\n",
                               "roles/dep/tasks/main.yml": "- debug: msg=dep\n"})
    _case(cases, "recursion", {"site.yml": "- import_playbook: site.yml\n"})
    _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - include_tasks: a.yml\n",
                               "a.yml": "- include_tasks: b.yml\n", "b.yml": "- include_tasks: a.yml\n"})
    for expression in ["a", "b", "c.x", "a ~ b", "lookup('vars', 'a')"]:
        _case(cases, "recursion", {"site.yml": HEAD + "  vars:\n    a: '{{ b }}'\n    b: '{{ a }}'\n"
                                   "    c: {x: '{{ c.x }}'}\n  tasks:\n"
                                   f"    - debug: msg=\"{{{{ {expression} }}}}\"\n    - debug: var={expression.split()[0]}\n"})
    for depth in (50, 500, 1000, 5000, 20000):
        deep = '{"x": ' + "[" * depth + "]" * depth + "}"
        _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
              ["run", "site.yml", "-e", deep])
        _case(cases, "recursion", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n", "deep.json": deep},
              ["run", "site.yml", "-e", "@deep.json"])
        _case(cases, "recursion", {"site.yml": HEAD + "  vars:\n    x: " + "[" * depth + "]" * depth +
                                   "\n  tasks:\n    - debug: msg=hi\n"})
    for width, levels in ((9, 9), (10, 8), (4, 16), (2, 40), (3, 5)):
        lines = ["    l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
        for i in range(1, levels):
            lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
        use = rng.choice(["msg=hi", f"var=l{levels - 1}", "msg={{ l1 | length }}"])
        _case(cases, "recursion", {"site.yml": HEAD + "  vars:\n" + "\n".join(lines) +
                                   f"\n  tasks:\n    - debug: {use}\n"})


def huge_values(cases: list[Case], rng: random.Random) -> None:
    for expression in ["range(10**12) | list | length", "range(10**7 + 1) | list | length", "'a' * 10**10",
                       "[0] * 10**9", "7 ** 9999999", "'%s' % ('a' * 10**9)", "range(10**12) | length",
                       "lookup('sequence', 'start=1 end=100000000') | length", "query('sequence', 'count=99999999')",
                       "'x' | center(10**10)", "'abc' | truncate(10**12)", "99999999999999999999999 | int",
                       "(2**62) * (2**62)", "'{:>1000000000}'.format('x')", "'%1000000000d' % 1",
                       "range(0, 10**12, 10**6) | list | length", "'%1000000000d' | format(1)",
                       "'x' | indent(10**10)"]:
        _case(cases, "huge-values", {"site.yml": HEAD + "  tasks:\n    - debug:\n        msg: \"{{ " + expression
                                     + " }}\"\n      ignore_errors: true\n"})
    for value in ["10000000000", "99999999999999999999", "1e400", "-10000000000", "2147483648"]:
        _case(cases, "huge-values", {"site.yml": HEAD + f"  tasks:\n    - command: echo hi\n      async: {value}\n"
                                     "      poll: 1\n"})
        _case(cases, "huge-values", {"site.yml": HEAD + f"  tasks:\n    - command: echo hi\n      async: 5\n"
                                     f"      poll: {value}\n"})
    for line in ["h[1:99999999]", "h[1:100000][1:100000]", "h[0001:0040]", "h[a:Z]", "h[1:5:0]", "h[5:1]",
                 "h[1:3", "h[-5:5]", "h[1:999999999999999999999]"]:
        _case(cases, "huge-values", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                                     "hosts.ini": f"{line} ansible_connection=local\n"},
              ["run", "-i", "hosts.ini", "site.yml"])
    for value in ["99999999999999999999999", "1e999", "-0", "0x" + "f" * 200, "1" * 5000]:
        _case(cases, "huge-values", {"site.yml": HEAD + f"  tasks:\n    - debug: msg=hi\n      retries: {value}\n"
                                     "      until: true\n"})
        _case(cases, "huge-values", {"site.yml": HEAD + f"  serial: {value}\n  tasks:\n    - debug: msg=hi\n"})
    _case(cases, "huge-values", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n      loop: \"{{ range(10**8) }}\"\n"})
    for seconds in ("1e400", "nan", "-1e400"):
        _case(cases, "huge-values", {"site.yml": HEAD + f"  tasks:\n    - pause: seconds={seconds}\n"})


def _undecodable(rng: random.Random) -> bytes:
    return rng.choice([b"\xff", b"\xfe\xff", b"caf\xe9", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", bytes(rng.randrange(128, 256)
                                                                                                     for _ in range(8))])


def bytes_in(cases: list[Case], rng: random.Random) -> None:
    for _ in range(12):
        bad = _undecodable(rng)
        _case(cases, "bytes", {"site.yml": HEAD.encode() + b"  tasks:\n    - debug: msg=" + bad + b"\n"})
        _case(cases, "bytes", {"site.yml": HEAD + "  vars_files: [v.yml]\n  tasks:\n    - debug: msg=hi\n",
                               "v.yml": b"a: " + bad + b"\n"})
        _case(cases, "bytes", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                               "hosts.ini": "h1 ansible_connection=local\n", "group_vars/all.yml": b"a: " + bad + b"\n"},
              ["run", "-i", "hosts.ini", "site.yml"])
        _case(cases, "bytes", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n", "e.yml": b"a: " + bad + b"\n"},
              ["run", "site.yml", "-e", "@e.yml"])
        _case(cases, "bytes", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                               "hosts.ini": b"h1 ansible_connection=local x=" + bad + b"\n"},
              ["run", "-i", "hosts.ini", "site.yml"])
        _case(cases, "bytes", {"site.yml": HEAD + "  tasks:\n    - include_tasks: t.yml\n",
                               "t.yml": b"- debug: msg=" + bad + b"\n"})
    for escape in ["\\udcff", "\\ud800", "\\x00", "\\u0000", "\\U0010ffff", "\\udfff\\ud800"]:
        _case(cases, "bytes", {"site.yml": HEAD + f"  tasks:\n    - debug:\n        msg: \"a{escape}b\"\n"})
        decoded = escape.encode().decode("unicode_escape")
        if "\x00" not in decoded:  # argv cannot carry a NUL
            _case(cases, "bytes", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
                  ["run", "site.yml", "-e", f"x=a{decoded}b"])
    for _ in range(8):
        _case(cases, "bytes", {"site.yml": bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))})


def inventories(cases: list[Case], rng: random.Random) -> None:
    lines = ["[web", "web]", "[web:children]\nnothere", "[web:vars]\nx", "h1 ansible_port=abc ansible_connection=local",
             "h1 ansible_port=-1 ansible_connection=local", "h1 ansible_host= ansible_connection=local",
             "h1:abc ansible_connection=local", "h1 = = =", "h1 ansible_connection=nosuch", "[all:vars]\nx=1\n[all:vars",
             "h1 'unterminated", "h1 x=\"{{ ''.__class__ }}\" ansible_connection=local", "[g]\nh1\n[g:children]\ng",
             "h1 ansible_connection=local ansible_python_interpreter=/nonexistent/python",
             "h1 ansible_connection=local ansible_become=abc", "h1 ansible_connection=local ansible_timeout=abc"]
    for line in lines:
        _case(cases, "inventory", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                                   "hosts.ini": line + "\n"}, ["run", "-i", "hosts.ini", "site.yml"])
    yaml_inventories = ["all: 5", "all:\n  hosts: [a, b]", "all:\n  children: x", "all:\n  vars: [1]",
                        "all:\n  hosts:\n    h1:\n      ansible_port: abc\n      ansible_connection: local",
                        "{", "- a\n- b", "all:\n  hosts:\n    h[1:99999999]:", "all:\n  hosts: {h1: 5}",
                        "web:\n  children:\n    web:"]
    for text in yaml_inventories:
        _case(cases, "inventory", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                                   "hosts.yml": text + "\n"}, ["run", "-i", "hosts.yml", "site.yml"])
    for _ in range(12):
        text = "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local x=1\n[db:children]\nweb\n"
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(["[", "]", "=", ":", " ", "\n", "\\", "'", "\"", "#", ";"]) + text[at:]
        _case(cases, "inventory", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                                   "hosts.ini": text}, ["run", "-i", "hosts.ini", "site.yml"])


def extra_vars(cases: list[Case], rng: random.Random) -> None:
    values = ["{bad", "[1, 2]", "justaword", "@missing.yml", "@", "=", "a=", "=b", "a=b=c", "{\"a\": }", "a='x",
              "{{ x }}", "x={{ ''.__class__ }}", "1=2", "a-b=1", "a b", "@/dev/zero", "@.", "{\"a\": NaN}",
              "{\"a\": 1e400}", "\"string\"", "null", "~", "[]", "{}", "a=1 b", "hosts=x"]
    for value in values:
        _case(cases, "extra-vars", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
              ["run", "site.yml", "-e", value])
    for _ in range(8):
        junk = "".join(rng.choice("{}[]\"':=,@ab1 \\") for _ in range(rng.randint(1, 12)))
        _case(cases, "extra-vars", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
              ["run", "site.yml", "-e", junk])


def sandbox(cases: list[Case], rng: random.Random) -> None:
    escapes = ["''.__class__.__mro__[1].__subclasses__()", "cycler.__init__.__globals__", "joiner.__call__",
               "namespace.__init__.__globals__['__builtins__']", "lookup.__globals__", "''.__class__.mro()",
               "'{0.__class__}'.format('')", "'{a.__globals__}'.format_map({'a': lookup})", "self.__dict__",
               "omit.__class__", "(1).__class__.__base__", "hostvars.__class__.__init__", "vars.__class__",
               "range.__self__", "query.__code__", "dict.__subclasses__", "x.__len__()", "undefined.__class__",
               "lipsum.__globals__.os", "'abc'.__getattribute__('upper')"]
    for expression in escapes:
        _case(cases, "sandbox", {"site.yml": HEAD + "  vars:\n    x: s\n  tasks:\n    - debug:\n        msg: \"{{ "
                                 + expression + " }}\"\n"})


def limits(cases: list[Case], rng: random.Random) -> None:
    inventory = "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"
    for pattern in ["nomatch", "web[5]", "all:!", "@nofile", "!all", "&web", "web[1:", "web[-1]", "~[", ",", ":",
                    "web:&nomatch", "all:!web", "@", "web[0:1]", "*", "~web[12]", "web1,nomatch"]:
        _case(cases, "limit", {"site.yml": HEAD.replace("localhost", "all") + "  tasks:\n    - debug: msg=hi\n",
                               "hosts.ini": inventory}, ["run", "-i", "hosts.ini", "site.yml", "-l", pattern])


def special_files(cases: list[Case], rng: random.Random) -> None:
    _case(cases, "special-files", {}, ["run", "/dev/zero"])
    _case(cases, "special-files", {}, ["run", "/dev/null"])
    _case(cases, "special-files", {}, ["run", "pipe.yml"], fifos=["pipe.yml"])
    _case(cases, "special-files", {"site.yml": "- hosts: localhost\n"}, ["run", "."])
    for target in ["/dev/urandom", "/dev/zero", "pipe.yml", "/", "/dev/null"]:
        _case(cases, "special-files", {"site.yml": HEAD + f"  tasks:\n    - include_tasks: {target}\n"},
              fifos=["pipe.yml"])
        _case(cases, "special-files", {"site.yml": HEAD + f"  vars_files: [{target}]\n  tasks:\n    - debug: msg=hi\n"},
              fifos=["pipe.yml"])
        _case(cases, "special-files", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
              ["run", "site.yml", "-e", f"@{target}"], fifos=["pipe.yml"])
        _case(cases, "special-files", {"site.yml": HEAD + "  tasks:\n    - debug: msg=hi\n"},
              ["run", "-i", target, "site.yml"], fifos=["pipe.yml"])


EVENTS_SAMPLE = Path(__file__).with_name("fuzz_events.jsonl")   # a real run's events (loop, retry, async, handler)
EVENT_COMMANDS = (["report", "events.jsonl", "-o", "report.html"], ["explain", "events.jsonl"])
WRONG_VALUES: list[object] = [None, 0, -7, 2.5, True, "x", "", [], {}, [1, "a"], {"a": 1}, {"results": "x"},
                              [{"expr": 1}], "\u0000", 10**30]


def _mutated(value: object, rng: random.Random, depth: int = 0) -> object:
    """The value with one field somewhere inside replaced by a value of a random type."""
    if isinstance(value, dict) and value and (depth == 0 or rng.random() < 0.7):
        key = rng.choice(sorted(value))
        return {**value, key: _mutated(value[key], rng, depth + 1)}
    if isinstance(value, list) and value and rng.random() < 0.7:
        index = rng.randrange(len(value))
        return value[:index] + [_mutated(value[index], rng, depth + 1)] + value[index + 1:]
    return rng.choice(WRONG_VALUES)


def event_files(cases: list[Case], rng: random.Random) -> None:
    good = EVENTS_SAMPLE.read_text().splitlines()

    def add(data: str | bytes) -> None:
        command = EVENT_COMMANDS[sum(c.klass == "event-files" for c in cases) % 2]
        _case(cases, "event-files", {"events.jsonl": data}, list(command), comparable=False)

    for _ in range(60):  # one field somewhere in one record (a top-level, data or nested field)
        lines = list(good)
        index = rng.randrange(len(lines))
        lines[index] = json.dumps(_mutated(json.loads(lines[index]), rng))
        add("\n".join(lines) + "\n")
    nested = {"recap": ("stats", {"localhost": 5}), "conditional": ("clauses", ["x"]), "task_vars": ("vars", {"x": 5}),
              "play_start": ("play", {"name": 5, "hosts": [1]}), "host_result": ("result", {"results": "x"})}
    for kind, (name, value) in nested.items():   # nested fields the renderers read
        add("\n".join(json.dumps({**r, "data": {**r["data"], name: value}}) if r["kind"] == kind else json.dumps(r)
                      for r in map(json.loads, good)) + "\n")
    text = "\n".join(good) + "\n"
    for _ in range(8):  # cut anywhere: a torn last line, or a cut in the middle of the file
        cut = rng.randrange(1, len(text))
        add(text[:cut])
        add(text[:cut] + "\n" + text[cut:])
    for kind in ("no_such_kind", "", "HOST_RESULT"):
        add("\n".join(good[:5] + [json.dumps({"seq": 5, "time": 1.0, "kind": kind, "host": None, "task": None,
                                                "data": {}})] + good[5:]) + "\n")
    for line in ("[1, 2]", '"text"', "{}", "null", '{"kind": 5}', "{\"seq\": 1,", "\u0000"):
        add("\n".join(good[:3] + [line] + good[3:]) + "\n")
        add(line + "\n" + text)
    for _ in range(3):
        add(bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))))
        add(text.encode()[:rng.randrange(len(text))] + bytes([0xff, 0xfe, 0x80]) + b"\n" + text.encode())
    add("")
    add("\n\n   \n")
    add("\n".join(good[:4]) + "\n" + "[" * 50000 + "]" * 50000 + "\n")
    big = json.loads(good[-2])
    big["data"]["result"] = {"stdout": "x" * 3_000_000} if isinstance(big["data"].get("result"), dict) else big["data"]
    add("\n".join(good[:-2] + [json.dumps(big)] + good[-1:]) + "\n")
    add(text * 200)   # a long run: the same events again and again (seq and time going back)


GENERATORS = [keyword_types, broken_yaml, recursion, huge_values, bytes_in, inventories, extra_vars, sandbox, limits,
              special_files, event_files]


def generate(seed: int = SEED) -> list[Case]:
    """Every case, in a fixed order; the same seed gives the same cases."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for generator in GENERATORS:
        generator(cases, rng)
    return cases


def write_case(case: Case, folder: Path) -> None:
    """Write one case's files (and FIFOs) under `folder`."""
    import os

    for name, data in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name in case.fifos:
        if not (folder / name).exists():
            os.mkfifo(folder / name)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    corpus = generate(int(sys.argv[2]) if len(sys.argv) > 2 else SEED)
    for case in corpus:
        write_case(case, out / case.id)
        (out / case.id / "args.json").write_text(json.dumps(case.args))
    print(f"{len(corpus)} cases written to {out}")
