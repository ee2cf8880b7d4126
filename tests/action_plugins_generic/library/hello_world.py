#!/usr/bin/python
"""A new-style module of our own."""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"name": {"type": "str", "default": "world"}})
    module.exit_json(changed=False, greeting="hello " + module.params["name"])


main()
