# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: capabilities
short_description: What a provider can do, from the collection's own capability objects
version_added: 0.1.0
description:
  - Returns, for each provider named in the terms, a dictionary that maps every feature of the collection
    (C(server), C(server.create), C(server.delete), C(power), C(power.restart), C(ptr), C(dns_record), C(sshkey),
    C(api_key), C(tag), C(user), C(node_info), C(image_info), C(inventory) and their C(_info) forms) to V(true)
    when the provider can do it, or to a sentence saying why it cannot.
  - The modules refuse an unsupported combination before any API call with exactly that sentence; this lookup
    lets a play or role skip such a step instead (the roles of this collection do).
  - Makes no API call and needs no credentials.
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  _terms:
    description:
      - Provider names.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Set reverse DNS only where the provider has an API for it
  hostcraft.cloud.ptr:
    provider: "{{ item.provider }}"
    ip: "{{ item.ip }}"
    ptr: "{{ item.name }}"
  loop: "{{ servers }}"
  when: (query('hostcraft.cloud.capabilities', item.provider) | first).ptr is true

- name: Say why a provider cannot do something
  ansible.builtin.debug:
    msg: "{{ query('hostcraft.cloud.capabilities', 'hostup')[0]['server.create'] }}"
'''

RETURN = r'''
_list:
  description:
    - One dictionary per term, C(feature -> true | reason).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import PROVIDERS
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import ADAPTERS


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        result = []
        for term in terms:
            name = str(term).strip().lower()
            if name not in ADAPTERS:
                raise AnsibleLookupError('unknown provider %r; choose one of %s.' % (term, ', '.join(PROVIDERS)))
            result.append(ADAPTERS[name].capabilities.as_dict())
        return result
