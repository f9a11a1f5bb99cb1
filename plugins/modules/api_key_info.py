#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: api_key_info
short_description: Read API keys (never their secrets)
version_added: 0.1.0
description:
  - Return the account's API keys (or those of one server) without secrets, sorted by name.
  - "Supported providers: C(glesys), C(hostkey), C(hostup)."
  - "GleSYS: there is no key management over the API, so this returns one item for the key in use: the project
    as C(name) and what the key may call (C(api/listfunctions)) as C(scopes)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Only the key with this name.
    type: str
  server:
    description:
      - Only the per-server keys of this server (ID or name; a name must match exactly one server).
      - Providers without per-server keys (GleSYS, HostUp) fail before any API call.
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
'''

EXAMPLES = r'''
- name: What may the GleSYS key do?
  hostcraft.cloud.api_key_info:
    provider: glesys
  register: key

- name: Fail early when the key may not create servers
  ansible.builtin.assert:
    that: "'server/create' in key.api_keys[0].scopes"
'''

RETURN = r'''
api_keys:
  description: The keys, without secrets, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Key ID (V(null) for GleSYS).
      type: str
    name:
      description: Key name (GleSYS, the project).
      type: str
      sample: cl12345
    active:
      description: Whether the key is enabled.
      type: bool
      sample: true
    scopes:
      description: What the key may do (GleSYS, C(module/function) names).
      type: list
      elements: str
      sample: ["server/list"]
    allowed_ips:
      description: Where the key may be used from (normalized, sorted), where known.
      type: list
      elements: str
    server:
      description: ID of the server of a per-server key; V(null) for a key of the account.
      type: str
    notify_method:
      description: Notification method, where the provider has one.
      type: str
    notify_address:
      description: Notification address.
      type: str
    provider_data:
      description: The provider's own record, minus secrets.
      type: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import api_key


def main():
    module = HostcraftModule(dict(
        name=dict(type='str'),
        server=dict(type='str'),
    ))
    module.run(api_key.info)


if __name__ == '__main__':
    main()
