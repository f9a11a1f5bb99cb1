#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: api_key
short_description: Manage API keys
version_added: 0.1.0
description:
  - Create, change and delete API keys of the account, or of one server.
  - The secret of a new key is returned once, in clear, as C(api_key.secret); set C(no_log=true) on the task,
    or use O(secret_file) to have it written to a file (mode 0600) instead.
  - "No provider supports it in this release: GleSYS offers no API-key management over its API (create keys in
    the control panel; M(hostcraft.cloud.api_key_info) shows what the current key may do). The module fails
    before any API call and says so."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Name of the key; identifies it.
    type: str
    required: true
  state:
    description:
      - Whether the key should exist.
    type: str
    choices: [present, absent]
    default: present
  server:
    description:
      - ID or name of the server the key is for (per-server keys).
    type: str
  allowed_ips:
    description:
      - Addresses or networks the key may be used from.
    type: list
    elements: str
  active:
    description:
      - Whether the key is enabled.
    type: bool
  scopes:
    description:
      - What the key may do.
    type: list
    elements: str
  notify_method:
    description:
      - How the provider notifies about the key's use.
    type: str
  notify_address:
    description:
      - Where such notifications go.
    type: str
  secret_file:
    description:
      - Write the secret of a newly created key to this file (mode 0600) instead of returning it.
    type: path
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
'''

EXAMPLES = r'''
- name: A read-only key written to a file
  hostcraft.cloud.api_key:
    provider: hostup
    name: monitoring
    scopes: [read]
    secret_file: /etc/monitoring/hostup.key
'''

RETURN = r'''
api_key:
  description: The key after the task; C(secret) only on creation and only without O(secret_file).
  returned: always
  type: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule


def _ensure(hm):
    hm.provider('api_key')
    return {'changed': False, 'api_key': {}}  # pragma: no cover - no provider supports it yet


def main():
    module = HostcraftModule(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        server=dict(type='str'),
        allowed_ips=dict(type='list', elements='str'),
        active=dict(type='bool'),
        scopes=dict(type='list', elements='str'),
        notify_method=dict(type='str'),
        notify_address=dict(type='str'),
        secret_file=dict(type='path'),
    ))
    module.run(_ensure)


if __name__ == '__main__':
    main()
