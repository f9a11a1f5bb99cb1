#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: server_info
short_description: List servers
version_added: 0.1.0
description:
  - Return one server (O(server)) or every server matching the filters, normalized, with the provider's own
    record (minus secrets) under C(provider_data).
  - "Supported providers: C(glesys), C(hostkey), C(serverspace), C(hostup) (terminated, cancelled and fraud-flagged services are left
    out), C(skyport) (instances from C(GET /api/instances); the node daemon keys are left out of C(provider_data))."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  server:
    description:
      - ID or name of one server. A name more than one server has fails; use the ID.
    type: str
  name:
    description:
      - Only servers with this name (case-insensitive).
    type: str
  location:
    description:
      - Only servers in this location.
    type: str
  tags:
    description:
      - Only servers that have all these tags (an empty value matches any value).
    type: dict
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
'''

EXAMPLES = r'''
- name: Every GleSYS server in Falkenberg
  hostcraft.cloud.server_info:
    provider: glesys
    location: Falkenberg
  register: falkenberg

- name: One server by ID
  hostcraft.cloud.server_info:
    provider: glesys
    server: kvm1000123
'''

RETURN = r'''
servers:
  description: The servers, sorted by name; each shaped like the C(server) return value of M(hostcraft.cloud.server).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import server


def main():
    module = HostcraftModule(dict(
        server=dict(type='str'),
        name=dict(type='str'),
        location=dict(type='str'),
        tags=dict(type='dict'),
    ), mutually_exclusive=[('server', 'name')])
    module.run(server.info)


if __name__ == '__main__':
    main()
