#!/usr/bin/python
"""A new-style test module: AnsibleModule, check mode, diff, and a file it really writes."""
from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type='str', default='world', aliases=['who']),
                           path=dict(type='path'),
                           fail=dict(type='bool', default=False),
                           secret=dict(type='str', no_log=True)),
        supports_check_mode=True)
    params = module.params
    if params['fail']:
        module.fail_json(msg='asked to fail', name=params['name'])
    text = 'hello %s\n' % params['name']
    changed = True
    if params['path']:
        old = open(params['path']).read() if os.path.exists(params['path']) else ''
        changed = old != text
        if changed and not module.check_mode:
            with open(params['path'], 'w') as handle:
                handle.write(text)
    module.exit_json(changed=changed, greeting=text.strip(), check=module.check_mode, diff_mode=module._diff,
                     verbosity=module._verbosity, tmpdir_exists=os.path.isdir(module.tmpdir),
                     has_secret=params['secret'] is not None)


if __name__ == '__main__':
    main()
