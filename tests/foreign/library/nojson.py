#!/usr/bin/python
import sys
print("this is not json")
sys.stderr.write("some stderr\n")
sys.exit(3)
