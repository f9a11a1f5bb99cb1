#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: tag
short_description: Set or remove one tag of a server
version_added: 0.1.0
description:
  - Make the tag O(name) of a server hold O(value), or remove it. Tags are key/value pairs; other tags of the server
    are left alone.
  - The tag is identified by the server and O(name); the value is compared as a string (empty when not set).
  - Tags the provider keeps for itself (HOSTKEY, for example, C(hostname), C(OS), C(Password)) are refused before
    any change, with a message saying why.
  - Names longer than 32 characters and values longer than 256 characters fail before any API call; a provider
    may have stricter rules.
  - "Supported providers: those with server tags (C(hostkey), C(serverspace) — stored there as C(k=v) strings). GleSYS servers have no
    tags: the module fails before any API call."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  server:
    description:
      - ID or name of the server. A name must match exactly one server.
    type: str
    required: true
  name:
    description:
      - Name of the tag.
    type: str
    required: true
  value:
    description:
      - Value of the tag. With O(state=absent) it is ignored.
    type: str
    default: ''
  state:
    description:
      - Whether the tag should exist (with O(value)).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
seealso:
  - module: hostcraft.cloud.server
'''

EXAMPLES = r'''
- name: Mark the server as production
  hostcraft.cloud.tag:
    provider: hostkey
    server: web01.example.com
    name: env
    value: prod

- name: A tag without value
  hostcraft.cloud.tag:
    provider: hostkey
    server: "40001"
    name: monitored

- name: Remove the tag
  hostcraft.cloud.tag:
    provider: hostkey
    server: web01.example.com
    name: env
    state: absent
'''

RETURN = r'''
tag:
  description:
    - The tag after the task (in check mode, the predicted tag). Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    server:
      description: ID of the server.
      type: str
      sample: "40001"
    name:
      description: Name of the tag.
      type: str
      sample: env
    value:
      description: Value of the tag (empty string for a tag without value).
      type: str
      sample: prod
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import tag


def main():
    module = HostcraftModule(dict(
        server=dict(type='str', required=True),
        name=dict(type='str', required=True),
        value=dict(type='str', default=''),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ))
    module.run(tag.ensure)


if __name__ == '__main__':
    main()
