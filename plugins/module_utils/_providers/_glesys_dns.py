# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""GleSYS DNS records (providers/glesys.md sections 6.3 and 9.4).

One GleSYS record per value: ``{recordid, domainname, host, type, data, ttl}``. There is no
single-record read, so reading is ``domain/listrecords`` and filtering. ``host`` is stored
literally: a host that ends in ``.<zone>`` (with or without a trailing dot) is the same name
as its relative form, and the zone itself (or an empty host) is the apex ``@``. Every call
sends only the arguments the API declares for it (it answers 400 to any other).
"""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import as_int, as_list, as_str
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import DnsAPI, DnsRecord

DEFAULT_TTL = 3600


def relative_host(host, zone):
    """GleSYS ``host`` -> name relative to ``zone``, lower case, ``@`` for the apex."""
    name = (as_str(host) or '').strip().lower()
    zone = (zone or '').strip().lower().rstrip('.')
    bare = name[:-1] if name.endswith('.') else name
    if bare in ('', '@', zone):
        return '@'
    if zone and bare.endswith('.' + zone):
        return bare[:-len(zone) - 1]
    return name


def _record_id(record_id):
    """Send ``recordid`` as the API's own type: an integer when it is one."""
    text = str(record_id)
    return int(text) if text.isdigit() else text


class GlesysDns(DnsAPI):
    """:class:`DnsAPI` over ``domain/listrecords``, ``addrecord``, ``updaterecord``, ``deleterecord``."""

    def __init__(self, client):
        self.client = client

    def to_record(self, item, zone):
        return DnsRecord(id=as_str(item.get('recordid')), name=relative_host(item.get('host'), zone),
                         type=(as_str(item.get('type')) or '').strip().upper(), value=as_str(item.get('data')) or '',
                         ttl=as_int(item.get('ttl')), raw=item)

    def _answer(self, payload, zone):
        item = payload.get('record') if isinstance(payload, dict) else None
        if isinstance(item, dict) and item.get('recordid') is not None:
            return self.to_record(item, zone)
        return None

    def list_records(self, zone):
        try:
            payload = self.client.call('domain/listrecords', {'domainname': zone})
        except NotFound as exc:
            text = str(exc)
            prefix = 'GleSYS domain/listrecords: '
            if text.startswith(prefix):
                text = text[len(prefix):]
            raise NotFound('DNS zone %s not found at GleSYS (project %s): %s Check zone; this module manages the '
                           'records of an existing zone.' % (zone, self.client.project, text),
                           provider='glesys', status=exc.status)
        items = as_list(payload.get('records'))
        return [self.to_record(item, zone) for item in items if isinstance(item, dict)]

    def add(self, zone, name, rtype, value, ttl):
        """``domain/addrecord``; never retried blindly. Returns the new record, or None to re-read."""
        args = {'domainname': zone, 'host': name, 'type': rtype, 'data': value,
                'ttl': int(ttl if ttl is not None else DEFAULT_TTL)}
        return self._answer(self.client.call('domain/addrecord', args, idempotent=False), zone)

    def update(self, zone, record, value, ttl):
        """``domain/updaterecord`` with only what changes; ``value``/``ttl`` None keep the record's own.

        Returns the updated record (the record itself when nothing changes), or None when
        the answer does not carry it.
        """
        args = {'recordid': _record_id(record.id)}
        if value is not None and value != record.value:
            args['data'] = value
        if ttl is not None and int(ttl) != record.ttl:
            args['ttl'] = int(ttl)
        if len(args) == 1:
            return record
        return self._answer(self.client.call('domain/updaterecord', args), zone)

    def delete(self, zone, record):
        """``domain/deleterecord``; a 404 means the record is already gone."""
        try:
            self.client.call('domain/deleterecord', {'recordid': _record_id(record.id)})
        except NotFound:
            pass
