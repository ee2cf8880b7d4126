#!/usr/bin/python
# An old-style module: its arguments come as key=value pairs in the file named by argv[1].
import json
import shlex
import sys

with open(sys.argv[1]) as handle:
    text = handle.read()
pairs = dict(item.split('=', 1) for item in shlex.split(text) if '=' in item)
print(json.dumps({"changed": False, "a": pairs.get("a"), "b": pairs.get("b"),
                  "check": pairs.get("_ansible_check_mode"), "module_name": pairs.get("_ansible_module_name")}))
