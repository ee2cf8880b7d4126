#!/usr/bin/python
import time

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(seconds=dict(type='float', default=1)))
    time.sleep(module.params['seconds'])
    module.exit_json(changed=True, slept=module.params['seconds'])


main()
