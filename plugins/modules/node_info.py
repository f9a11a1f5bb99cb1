#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: node_info
short_description: List the nodes of a Skyport panel
version_added: 0.1.0
description:
  - List the nodes (hosts running the Skyport daemon) a panel knows, optionally only the one named O(name).
  - The daemon keys (C(apiKey), C(configureKey)) are never returned.
  - The status is the one the panel stored last (C(Unconfigured), C(Configured), C(Online), C(Offline), C(Unknown));
    the API does not check the daemon live.
  - Nodes cannot be created over the panel's API (its route never answers), so there is no module to manage them;
    add nodes in the admin UI.
  - "Supported providers: C(skyport). Other providers fail before any API call."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Only return the node with this name or id.
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
seealso:
  - module: hostcraft.cloud.server
'''

EXAMPLES = r'''
- name: List the nodes
  hostcraft.cloud.node_info:
    provider: skyport
    skyport_url: https://panel.example.com
  register: panel

- name: Names of the nodes that are configured
  ansible.builtin.debug:
    msg: "{{ panel.nodes | selectattr('status', 'equalto', 'Configured') | map(attribute='name') | list }}"
'''

RETURN = r'''
nodes:
  description: The nodes, in the panel's order. Dangling entries of the panel's node list are left out.
  returned: always
  type: list
  elements: dict
  contains:
    provider:
      description: Always V(skyport).
      type: str
    id:
      description: The node's id (a UUID).
      type: str
    name:
      description: Name of the node (the O(hostcraft.cloud.server#module:location) of instances).
      type: str
      sample: eu-node-1
    address:
      description: Host or IP address of the daemon (and of the node's instances).
      type: str
      sample: 10.0.0.21
    port:
      description: Port of the daemon.
      type: int
      sample: 3002
    status:
      description: Status the panel stored last.
      type: str
      sample: Configured
    tags:
      description: The node's tags (the panel keeps one comma-separated string).
      type: list
      elements: str
    ram:
      description: Memory the panel was told the node has.
      type: int
    disk:
      description: Disk the panel was told the node has.
      type: int
    processor:
      description: Processor description.
      type: str
    provider_data:
      description: The panel's node record without the daemon keys.
      type: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import user


def main():
    module = HostcraftModule(dict(name=dict(type='str')))
    module.run(user.nodes)


if __name__ == '__main__':
    main()
