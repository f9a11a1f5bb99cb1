#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ptr
short_description: Set or reset reverse DNS (PTR) of an IP address
version_added: 0.1.0
description:
  - Set the PTR of O(ip) to O(ptr), or with O(state=absent) restore the provider's default.
  - PTRs are compared lower case with exactly one trailing dot, so C(Web01.Example.com) equals C(web01.example.com.).
  - "Supported providers: C(glesys), C(hostkey), C(hostup). GleSYS generates its default PTRs (C(...-static.glesys.net.)); a PTR that
    does not look like one is treated as custom, so O(state=absent) resets it (C(ip/resetptr)) and check mode
    predicts that without calling it."
  - "HOSTKEY: an IP may have several PTRs; O(ptr) becomes the only one. O(state=absent) clears them (HOSTKEY has no
    generated default). The server holding O(ip) is looked up when O(server) is not given."
  - "HostUp: PTRs are read from and set over the VPS network route (C(update_rdns)). Its defaults look like
    C(<number>.hostup.se.); O(state=absent) sets that default again when another address of the VPS still shows it,
    and otherwise fails with C(provider hostup cannot reset a PTR ...) (the API has no reset call)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  ip:
    description:
      - The IPv4 or IPv6 address. It must belong to the account.
    type: str
    required: true
  ptr:
    description:
      - Fully qualified host name. Required with O(state=present).
    type: str
  state:
    description:
      - C(present) sets O(ptr); C(absent) restores the provider default.
    type: str
    choices: [present, absent]
    default: present
  server:
    description:
      - ID or name of the server that holds O(ip); when given, the module checks that it does.
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
'''

EXAMPLES = r'''
- name: Reverse DNS for the web server
  hostcraft.cloud.ptr:
    provider: glesys
    ip: 203.0.113.10
    ptr: web01.example.com

- name: Back to the provider default
  hostcraft.cloud.ptr:
    provider: glesys
    ip: 203.0.113.10
    state: absent
'''

RETURN = r'''
ptr:
  description: The address and its PTR after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    ip:
      description: The address.
      type: str
      sample: 203.0.113.10
    ptr:
      description: "The PTR, lower case with a trailing dot; V(null) where check mode predicts a reset."
      type: str
      sample: web01.example.com.
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import ptr


def main():
    module = HostcraftModule(dict(
        ip=dict(type='str', required=True),
        ptr=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        server=dict(type='str'),
    ), required_if=[('state', 'present', ['ptr'])])
    module.run(ptr.ensure)


if __name__ == '__main__':
    main()
