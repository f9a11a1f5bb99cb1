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
  - The key is identified by O(name), and by O(server) when that is given (per-server keys). Without O(server),
    a key of that name is found whether it belongs to the account or to a server; a name that more than one key
    has fails and names their IDs.
  - Only the options you set are compared. O(allowed_ips) is compared as a set of networks (C(10.0.0.2) equals
    C(10.0.0.2/32)), O(scopes) as a set, O(notify_method) without regard to case.
  - "The secret of a new key exists only in the provider's answer to the create call. It is returned once, in
    clear, as RV(api_key.secret), so B(set) C(no_log: true) B(on the task); or use O(secret_file) to have it
    written to a file (mode 0600) instead. Later runs, updates and M(hostcraft.cloud.api_key_info) never show it,
    and it is never part of the diff."
  - The key the task itself authenticates with is never deleted or deactivated (O(active=false)); the module fails
    and says so.
  - "Supported providers: C(hostkey), C(hostup) (O(scopes) required to create; O(active) and O(scopes) are
    written with a full replace of the key; O(server), O(allowed_ips) and O(notify_method) fail); GleSYS fails before any call
    (no key management over its API: create keys in the control panel; M(hostcraft.cloud.api_key_info) shows what
    the current key may do)."
  - An option the provider's keys do not have fails before any API call with C(provider X cannot ...).
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
      - ID or name of the server the key is for (per-server keys). Part of the key's identity when given.
      - A name must match exactly one server.
    type: str
  allowed_ips:
    description:
      - Addresses or networks the key may be used from. An empty list removes the restriction.
      - Compared as a set of networks; host bits of a network are ignored (C(10.4.6.3/24) means C(10.4.6.0/24)).
    type: list
    elements: str
  active:
    description:
      - Whether the key is enabled.
      - New keys are enabled unless this is V(false).
    type: bool
  scopes:
    description:
      - What the key may do, in the provider's words (HostUp, for example, C(read:dns)). Compared as a set.
    type: list
    elements: str
  notify_method:
    description:
      - How the provider notifies about the key's use (HOSTKEY, C(none), C(email) or C(webhook)).
    type: str
  notify_address:
    description:
      - Where such notifications go.
    type: str
  secret_file:
    description:
      - Write the secret of a newly created key to this file instead of returning it. The file holds only the
        secret and a newline, has mode 0600 and is replaced atomically.
      - Its directory must exist and be writable; otherwise the module fails before any API call.
      - Nothing is written when the key exists already, or in check mode.
    type: path
notes:
  - "The secret is returned in clear on creation (without O(secret_file)); set C(no_log: true) on the task."
  - If the provider's answer to the create call is lost, the key may exist without anyone knowing its secret; the
    module then fails and tells you to delete the key and run again.
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
seealso:
  - module: hostcraft.cloud.api_key_info
'''

EXAMPLES = r'''
- name: A DNS key for HostUp, secret written to a file
  hostcraft.cloud.api_key:
    provider: hostup
    name: acme-dns
    scopes: [read:dns, write:dns, read:domains]
    secret_file: /etc/acme/hostup.key

- name: A HOSTKEY key usable from the office network only; the secret is returned
  hostcraft.cloud.api_key:
    provider: hostkey
    name: backup-job
    allowed_ips: [203.0.113.0/28, 198.51.100.7]
    notify_method: email
    notify_address: ops@example.com
  register: backup_key
  no_log: true

- name: A key for one server only
  hostcraft.cloud.api_key:
    provider: hostkey
    name: web01-panel
    server: web01.example.com
    secret_file: "{{ lookup('ansible.builtin.env', 'HOME') }}/.config/web01.key"

- name: Disable a key
  hostcraft.cloud.api_key:
    provider: hostkey
    name: backup-job
    active: false

- name: Remove a key
  hostcraft.cloud.api_key:
    provider: hostup
    name: acme-dns
    state: absent
'''

RETURN = r'''
api_key:
  description:
    - The key after the task (in check mode, the predicted key). Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: The provider's ID of the key; V(null) for a key that check mode predicts.
      type: str
      sample: "803"
    name:
      description: Name of the key.
      type: str
      sample: backup-job
    server:
      description: ID of the server of a per-server key; V(null) for a key of the account.
      type: str
      sample: "40001"
    allowed_ips:
      description: Addresses and networks the key may be used from, normalized and sorted; V(null) where unknown.
      type: list
      elements: str
      sample: ["198.51.100.7", "203.0.113.0/28"]
    active:
      description: Whether the key is enabled.
      type: bool
      sample: true
    scopes:
      description: What the key may do, sorted; V(null) where the provider has no scopes.
      type: list
      elements: str
      sample: ["read:dns", "write:dns"]
    notify_method:
      description: Notification method, where the provider has one.
      type: str
      sample: email
    notify_address:
      description: Notification address.
      type: str
      sample: ops@example.com
    provider_data:
      description: The provider's own record, minus anything secret.
      type: dict
    secret:
      description:
        - The secret of the new key, in clear. Set C(no_log) on the task.
        - V(null) in check mode (nothing was created).
      returned: when the task created the key and O(secret_file) is not set
      type: str
      sample: c41d0a9e77b2f1e3-5a6b7c8d9e0f1a2b
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import api_key


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
    module.run(api_key.ensure)


if __name__ == '__main__':
    main()
