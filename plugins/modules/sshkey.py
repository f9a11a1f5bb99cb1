#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: sshkey
short_description: Manage stored SSH public keys
version_added: 0.1.0
description:
  - Create, replace and delete SSH public keys stored in a provider account.
  - The key is identified by O(name). Key material is compared by key type and base64 blob; the comment does
    not count. Stored keys cannot be edited, so different material under the same name is replaced
    (delete, then add) only with O(force=true).
  - "Supported providers: C(glesys), C(hostkey), C(serverspace), C(hostup) (a key whose delete gate is closed, for example by a
    pending order, fails with the gate's reason). Other providers fail before any API call with a message saying why."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Name of the key (GleSYS calls it C(description)). Identifies the key.
    type: str
    required: true
  public_key:
    description:
      - The public key in OpenSSH form, C(<type> <base64> [comment]).
      - Required with O(state=present). A key whose base64 part does not decode fails before any API call.
    type: str
  state:
    description:
      - Whether the key should exist.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Replace (delete, then add) a key that exists under O(name) with different key material.
      - Without it, such a key makes the module fail with a message that names this option.
    type: bool
    default: false
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
seealso:
  - module: hostcraft.cloud.sshkey_info
'''

EXAMPLES = r'''
- name: Store the deploy key at GleSYS
  hostcraft.cloud.sshkey:
    provider: glesys
    glesys_project: cl12345
    glesys_api_key: "{{ vault_glesys_api_key }}"
    name: ci-deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/ci-deploy.pub') }}"

- name: Rotate the key material under the same name
  hostcraft.cloud.sshkey:
    provider: glesys
    name: ci-deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/ci-deploy-2026.pub') }}"
    force: true

- name: Remove the key
  hostcraft.cloud.sshkey:
    provider: glesys
    name: ci-deploy
    state: absent

- name: Credentials for all tasks of a play
  module_defaults:
    group/hostcraft.cloud.all:
      glesys_project: cl12345
      glesys_api_key: "{{ vault_glesys_api_key }}"
  block:
    - name: Store a key
      hostcraft.cloud.sshkey:
        provider: glesys
        name: alice-laptop
        public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1x2y3z4A5b6C7d8E9f0G1h2I3j4K5l6M7n8O9p0Q1r alice@example.com
'''

RETURN = r'''
sshkey:
  description:
    - The key after the task (in check mode, the predicted key). Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: The provider's id of the key; V(null) for a key that check mode predicts.
      type: str
      sample: "5011"
    name:
      description: Name of the key.
      type: str
      sample: ci-deploy
    fingerprint:
      description: OpenSSH SHA256 fingerprint, as C(ssh-keygen -lf) prints it.
      type: str
      sample: SHA256:uvh6hFHXPOd8cKdbSnLuMvy3LRCu59X6RgpEAYB7jP4
    public_key:
      description: The key as the provider stores it.
      type: str
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1x2y3z4A5b6C7d8E9f0G1h2I3j4K5l6M7n8O9p0Q1r ci@example.com
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import sshkey


def main():
    module = HostcraftModule(
        dict(
            name=dict(type='str', required=True),
            public_key=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            force=dict(type='bool', default=False),
        ),
        required_if=[('state', 'present', ['public_key'])],
    )
    module.run(sshkey.ensure)


if __name__ == '__main__':
    main()
