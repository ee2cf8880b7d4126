#!/usr/bin/python
# WANT_JSON
import json
import sys

with open(sys.argv[1]) as handle:
    args = json.load(handle)
print(json.dumps({"changed": True, "numbers": args.get("numbers"), "check": args.get("_ansible_check_mode")}))
