#!/usr/bin/python
# WANT_JSON
"""A module that lives beside an imported playbook, in its library/ folder."""
import json
import sys

args = json.load(open(sys.argv[1])) if len(sys.argv) > 1 else {}
print(json.dumps({"changed": False, "greeting": "hello %s" % args.get("name", "nobody")}))
