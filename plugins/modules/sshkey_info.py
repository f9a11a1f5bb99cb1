#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: sshkey_info
short_description: List stored SSH public keys
version_added: 0.1.0
description:
  - List the SSH public keys stored in a provider account, optionally only the one named O(name).
  - "Supported providers: C(glesys), C(hostkey), C(serverspace), C(hostup). Other providers fail before any API call with a message saying why."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Only return the key with this name.
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
seealso:
  - module: hostcraft.cloud.sshkey
'''

EXAMPLES = r'''
- name: List every stored key
  hostcraft.cloud.sshkey_info:
    provider: glesys
  register: keys

- name: Show the fingerprints
  ansible.builtin.debug:
    msg: "{{ keys.sshkeys | map(attribute='fingerprint') | list }}"
'''

RETURN = r'''
sshkeys:
  description: The stored keys, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The provider's id of the key.
      type: str
      sample: "5011"
    name:
      description: Name of the key.
      type: str
      sample: ci-deploy
    fingerprint:
      description: OpenSSH SHA256 fingerprint; V(null) when the stored text is not a decodable key.
      type: str
      sample: SHA256:uvh6hFHXPOd8cKdbSnLuMvy3LRCu59X6RgpEAYB7jP4
    public_key:
      description: The key as the provider stores it.
      type: str
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import sshkey


def main():
    module = HostcraftModule(dict(name=dict(type='str')))
    module.run(sshkey.info)


if __name__ == '__main__':
    main()
