#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={})
    raise ValueError("the module broke")


main()
