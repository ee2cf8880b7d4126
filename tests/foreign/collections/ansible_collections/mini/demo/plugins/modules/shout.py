#!/usr/bin/python
"""Return the text, shouted: a collection module using its collection's module_utils."""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.text import loud


def main():
    module = AnsibleModule(argument_spec=dict(text=dict(type='str', required=True)), supports_check_mode=True)
    module.exit_json(changed=False, shouted=loud(module.params['text']))


if __name__ == '__main__':
    main()
