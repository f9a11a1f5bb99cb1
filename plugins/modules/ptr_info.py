#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ptr_info
short_description: Read reverse DNS (PTR) of IP addresses
version_added: 0.1.0
description:
  - Return the PTR of O(ip), or of every address of O(server).
  - "Supported providers: C(glesys), C(hostkey) (one item per PTR; an IP may have several), C(hostup)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  ip:
    description:
      - One IPv4 or IPv6 address.
    type: str
  server:
    description:
      - ID or name of a server; all its addresses are read.
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
'''

EXAMPLES = r'''
- name: PTRs of every address of a server
  hostcraft.cloud.ptr_info:
    provider: glesys
    server: web01.example.com
  register: ptrs
'''

RETURN = r'''
ptrs:
  description: One item per address.
  returned: always
  type: list
  elements: dict
  contains:
    ip:
      description: The address.
      type: str
      sample: 203.0.113.10
    ptr:
      description: The PTR, lower case with a trailing dot.
      type: str
      sample: web01.example.com.
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import ptr


def main():
    module = HostcraftModule(dict(
        ip=dict(type='str'),
        server=dict(type='str'),
    ), required_one_of=[('ip', 'server')])
    module.run(ptr.info)


if __name__ == '__main__':
    main()
