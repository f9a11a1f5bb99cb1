#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: image_info
short_description: List the provider's images, templates and presets
version_added: 0.1.0
description:
  - Return the provider's catalog of what a server can be created from.
  - "Supported providers: C(glesys) (templates per platform from C(server/templates)), C(hostkey) (OS images and presets, told apart by C(kind)),
    C(serverspace) (images with their locations, and the locations with their size options), C(skyport) (the panel's
    images; C(image) is the Docker reference, C(name) what O(hostcraft.cloud.server#module:image) takes)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Only the image with this name or ID (case-insensitive).
    type: str
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
'''

EXAMPLES = r'''
- name: GleSYS templates
  hostcraft.cloud.image_info:
    provider: glesys
  register: templates

- name: Names of the KVM templates
  ansible.builtin.debug:
    msg: "{{ templates.images | selectattr('platform', 'equalto', 'KVM') | map(attribute='name') | list }}"
'''

RETURN = r'''
images:
  description: The catalog, sorted by platform and name.
  returned: always
  type: list
  elements: dict
  contains:
    provider:
      description: Provider name.
      type: str
      sample: glesys
    id:
      description: Image ID.
      type: str
      sample: 5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31
    name:
      description: Image name.
      type: str
      sample: Debian 12 (Bookworm)
    platform:
      description: Platform the image is for (GleSYS).
      type: str
      sample: KVM
    os:
      description: Operating system family.
      type: str
      sample: linux
    min_disk_gb:
      description: Smallest disk the image fits on.
      type: int
      sample: 5
    min_memory_mb:
      description: Least memory the image needs.
      type: int
      sample: 512
    provider_data:
      description: The provider's own record.
      type: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import catalog


def main():
    module = HostcraftModule(dict(name=dict(type='str')))
    module.run(catalog.images)


if __name__ == '__main__':
    main()
