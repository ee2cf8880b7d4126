#!/bin/sh
# A module file with an extension: found by its name without it, as Ansible finds it.
echo "{\"changed\": false, \"msg\": \"found as shscript\"}"
