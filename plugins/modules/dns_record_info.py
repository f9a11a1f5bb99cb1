#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: dns_record_info
short_description: List DNS record sets of a zone
version_added: 0.1.0
description:
  - List the record sets of a DNS zone, optionally only those with one name and/or one type.
  - One item per name and type, shaped like the RV(hostcraft.cloud.dns_record#module:record) that
    M(hostcraft.cloud.dns_record) returns.
  - The zone must exist at the provider; a missing zone fails with a message that names it.
  - "Supported providers: C(glesys), C(hostkey), C(serverspace), C(hostup). Other providers fail before any API call with a message saying why."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  zone:
    description:
      - The DNS zone (domain), for example V(example.com). A trailing dot is ignored.
    type: str
    required: true
  record:
    description:
      - Only return the record sets with this name, relative to O(zone); V(@) is the apex.
      - An FQDN inside the zone is accepted with or without a trailing dot.
    type: str
  type:
    description:
      - Only return the record sets of this type.
    type: str
    choices: [A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT]
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.INFO_MODULE
seealso:
  - module: hostcraft.cloud.dns_record
'''

EXAMPLES = r'''
- name: Every record set of the zone
  hostcraft.cloud.dns_record_info:
    provider: glesys
    glesys_project: cl12345
    glesys_api_key: "{{ vault_glesys_api_key }}"
    zone: example.com
  register: zone_records

- name: The mail exchangers of the apex
  hostcraft.cloud.dns_record_info:
    provider: glesys
    zone: example.com
    record: "@"
    type: MX
  register: mx

- name: Show them
  ansible.builtin.debug:
    msg: "{{ mx.records | map(attribute='values') | flatten }}"
'''

RETURN = r'''
records:
  description: The record sets, sorted by name (apex first) and type.
  returned: always
  type: list
  elements: dict
  contains:
    zone:
      description: The zone, in lower case without a trailing dot.
      type: str
      sample: example.com
    record:
      description: Name relative to the zone, V(@) for the apex.
      type: str
      sample: www
    type:
      description: Record type.
      type: str
      sample: A
    ttl:
      description: TTL in seconds (the lowest one when the records of the set differ).
      type: int
      sample: 300
    values:
      description: The values in normalized presentation form, sorted.
      type: list
      elements: str
      sample: ["203.0.113.10"]
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import dns_record


def main():
    module = HostcraftModule(
        dict(
            zone=dict(type='str', required=True),
            record=dict(type='str'),
            type=dict(type='str', choices=list(dns_record.RECORD_TYPES)),
        ),
    )
    module.run(dns_record.info)


if __name__ == '__main__':
    main()
