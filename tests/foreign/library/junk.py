#!/usr/bin/python
import json
print(json.dumps({"changed": False, "x": 1}))
print("garbage after")
