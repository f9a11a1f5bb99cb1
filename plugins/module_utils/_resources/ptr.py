# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""``ptr`` and ``ptr_info``: reverse DNS per IP, compared lower case with one trailing dot."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Outcome
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.common import find_server

_LABEL = re.compile(r'^(?!-)[a-z0-9_-]{1,63}(?<!-)$')


def normalize_ip(ip):
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        raise ValidationError('ip %r is not an IPv4 or IPv6 address.' % ip)


def normalize_ptr(ptr):
    """Lower case with exactly one trailing dot; None stays None. Several PTRs stay newline-joined, sorted."""
    if ptr is None:
        return None
    names = sorted(set(n.strip().lower().rstrip('.') + '.' for n in str(ptr).split('\n') if n.strip().rstrip('.')))
    return '\n'.join(names) or None


def validate_ptr(ptr):
    name = normalize_ptr(ptr)
    labels = (name or '').rstrip('.').split('.')
    if not name or len(name) > 254 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError('ptr %r is not a fully qualified host name.' % ptr)
    return name


def view(ptr):
    return {'ip': ptr.ip, 'ptr': normalize_ptr(ptr.ptr)}


def ensure(hm):
    """``hostcraft.cloud.ptr``."""
    params = hm.params
    ip = normalize_ip(params['ip'])
    state = params['state']
    if state == 'present':
        if not params.get('ptr'):
            raise ValidationError('ptr is required with state=present.')
        want = validate_ptr(params['ptr'])
    provider = hm.provider('ptr')
    where = {}
    if params.get('server'):
        server = find_server(provider, params['server'])
        if ip not in [normalize_ip(a) for a in (server.ipv4 or []) + (server.ipv6 or [])]:
            raise ValidationError('IP address %s is not an address of server %s (%s) at %s.'
                                  % (ip, server.name, server.id, provider.title))
        where['server_id'] = server.id
    api = provider.ptrs
    current = api.get(ip, **where)
    before = view(current)
    if state == 'present':
        changed = before['ptr'] != want
        after = {'ip': ip, 'ptr': want}
        if changed and not hm.check_mode:
            after = view(api.set(ip, want, **where))
    else:
        changed = not api.is_default(before['ptr'])
        after = {'ip': ip, 'ptr': None} if changed else before
        if changed and not hm.check_mode:
            after = view(api.reset(ip, **where))
    outcome = Outcome(changed, before, after, after)
    return outcome.result('ptr', diff=hm.diff)


def info(hm):
    """``hostcraft.cloud.ptr_info``."""
    params = hm.params
    if not params.get('ip') and not params.get('server'):
        raise ValidationError('one of ip or server is required.')
    ips = [normalize_ip(params['ip'])] if params.get('ip') else []
    provider = hm.provider('ptr_info')
    where = {}
    if params.get('server'):
        server = find_server(provider, params['server'])
        addresses = [normalize_ip(a) for a in (server.ipv4 or []) + (server.ipv6 or [])]
        if ips and ips[0] not in addresses:
            raise ValidationError('IP address %s is not an address of server %s (%s).' % (ips[0], server.name, server.id))
        ips = ips or addresses
        where['server_id'] = server.id
    ptrs = []
    for ip in ips:
        names = (normalize_ptr(provider.ptrs.get(ip, **where).ptr) or '').split('\n')
        ptrs.extend({'ip': ip, 'ptr': name or None} for name in names)
    return {'changed': False, 'ptrs': ptrs}
