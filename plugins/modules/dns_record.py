#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: dns_record
short_description: Manage DNS record sets
version_added: 0.1.0
description:
  - Create, update and delete a DNS record set, that is every record of one zone with the same name and type.
  - With O(state=present) the set holds exactly O(values) afterwards. Records whose value is still wanted are
    kept, records whose value is no longer wanted are changed in place to a missing value where possible,
    the rest are deleted or added.
  - With O(state=absent) the whole set is deleted, or only the records holding O(values) when they are given.
  - Values are a set; their order and duplicates do not matter. They are compared after normalization, so
    C(10 Mail.Example.COM) equals C(10 mail.example.com.), C("v=spf1 -all") equals C(v=spf1 -all), and
    C(2001:DB8::0:1) equals C(2001:db8::1). The TTL is compared only when O(ttl) is given.
  - Input is validated before any API call.
  - The zone must exist at the provider; a missing zone fails with a message that names it.
  - "Supported providers: C(glesys), C(hostkey), C(serverspace) (whole record sets are written with C(pdns/add_dns) and verified
    by a re-read), C(hostup) (v2 zones; one C(PUT) per changed record, C(POST) for missing values, C(DELETE) for extra
    ones; TTLs from 60 s). Other providers fail before any API call with a message saying why."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  zone:
    description:
      - The DNS zone (domain) that holds the record set, for example V(example.com). A trailing dot is ignored.
    type: str
    required: true
  record:
    description:
      - Name of the record set relative to O(zone), for example V(www) or V(_sip._tcp). V(@) is the apex of the zone.
      - An FQDN inside the zone is accepted with or without a trailing dot (V(www.example.com.) is V(www) in zone
        V(example.com), and the zone name itself is the apex). A name with a trailing dot outside the zone fails.
      - Names are case-insensitive and returned in lower case.
    type: str
    required: true
  type:
    description:
      - Record type.
    type: str
    required: true
    choices: [A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT]
  values:
    description:
      - The values of the set in zone-file presentation form.
      - V(A) and V(AAAA) values are IP addresses of that family. V(MX) values are C(<priority> <host>), for example
        V(10 mail.example.com.); V(SRV) values are C(<priority> <weight> <port> <target>), for example
        V(0 5 5060 sip.example.com.); V(CAA) values are C(<flags> <tag> <value>), for example
        V(0 issue "letsencrypt.org").
      - Target host names (V(CNAME), V(NS), V(PTR), V(MX), V(SRV)) are always absolute; the trailing dot is optional.
      - One pair of double quotes around a V(TXT) value is removed; TXT values are stored without them.
      - Required with O(state=present), where it must hold at least one value (exactly one for V(CNAME)).
      - With O(state=absent), only the records holding these values are deleted. An empty list deletes nothing.
    type: list
    elements: str
  ttl:
    description:
      - Time to live of the records in seconds.
      - When given, every record of the set gets this TTL. When omitted, the TTL of existing records is left alone
        and new records get the lowest TTL of the set, or V(3600) for a new set.
      - Ignored with O(state=absent).
    type: int
  state:
    description:
      - Whether the record set should exist (with exactly O(values)) or not.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
notes:
  - GleSYS stores one record per value; a changed value is updated in place rather than deleted and added.
seealso:
  - module: hostcraft.cloud.dns_record_info
'''

EXAMPLES = r'''
- name: Point www at two web servers
  hostcraft.cloud.dns_record:
    provider: glesys
    glesys_project: cl12345
    glesys_api_key: "{{ vault_glesys_api_key }}"
    zone: example.com
    record: www
    type: A
    values:
      - 203.0.113.10
      - 203.0.113.11
    ttl: 300

- name: Address of the zone apex
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: "@"
    type: A
    values:
      - 203.0.113.10

- name: Mail exchangers of the zone
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: "@"
    type: MX
    values:
      - 10 mail.example.com.
      - 20 backup-mail.example.net.

- name: SPF record (the surrounding quotes are optional)
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: "@"
    type: TXT
    values:
      - '"v=spf1 mx include:spf.example.net -all"'

- name: SIP service record
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: _sip._tcp
    type: SRV
    values:
      - 0 5 5060 sip.example.com.

- name: An FQDN inside the zone works as the record name
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: docs.example.com.
    type: CNAME
    values:
      - www.example.com.

- name: Take one web server out of the set, keep the others
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: www
    type: A
    values:
      - 203.0.113.11
    state: absent

- name: Delete the whole record set
  hostcraft.cloud.dns_record:
    provider: glesys
    zone: example.com
    record: www
    type: A
    state: absent
'''

RETURN = r'''
record:
  description:
    - The record set after the task (in check mode, the predicted set).
    - Empty when no record of the set is left.
  returned: always
  type: dict
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
      sample: ["203.0.113.10", "203.0.113.11"]
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import dns_record


def main():
    module = HostcraftModule(
        dict(
            zone=dict(type='str', required=True),
            record=dict(type='str', required=True),
            type=dict(type='str', required=True, choices=list(dns_record.RECORD_TYPES)),
            values=dict(type='list', elements='str'),
            ttl=dict(type='int'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        ),
        required_if=[('state', 'present', ['values'])],
    )
    module.run(dns_record.ensure)


if __name__ == '__main__':
    main()
