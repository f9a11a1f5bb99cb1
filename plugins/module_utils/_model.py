# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""The normalized records every adapter returns (DESIGN.md section 3), and value coercion helpers.

Adapters build these from the providers' own shapes; modules, the engine and the inventory
plugin only ever see these. ``provider_data`` carries the API's own record minus secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ValidationError

_TRUE = frozenset(('1', 'true', 'yes', 'on', 'y', 't'))
_FALSE = frozenset(('0', 'false', 'no', 'off', 'n', 'f', ''))


# --- coercion of API values (JSON and XML shapes alike) ---------------------------------

def as_str(value):
    """A string, or None for null/absent. Numbers become their decimal text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def as_int(value):
    """An int from int, float or numeric string; None when absent or not numeric."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    try:
        text = str(value).strip()
        if not text:
            return None
        return int(float(text)) if '.' in text else int(text)
    except (TypeError, ValueError):
        return None


def as_bool(value):
    """A bool from JSON booleans, ``yes``/``no``, ``true``/``false``, ``1``/``0``; None when unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def as_list(value):
    """A list from a list, a single item (XML collapsed a one-element list), or None."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and set(value.keys()) == {'item'}:
        return as_list(value['item'])
    return [value]


# --- SSH keys -----------------------------------------------------------------------------

_KEY_RE = re.compile(r'^\s*(?P<type>\S+)\s+(?P<blob>[A-Za-z0-9+/=]+)(?:\s+(?P<comment>.*?))?\s*$')


def split_public_key(public_key, what='public_key'):
    """Return ``(type, base64 blob, comment)``; fail when the base64 part does not decode."""
    if public_key is None:
        raise ValidationError('%s is required.' % what)
    match = _KEY_RE.match(str(public_key).replace('\r', ' ').replace('\n', ' '))
    if not match:
        raise ValidationError(
            '%s is not an OpenSSH public key: expected "<type> <base64> [comment]".' % what)
    blob = match.group('blob')
    try:
        base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            "%s is not an OpenSSH public key: its base64 part does not decode." % what)
    return match.group('type'), blob, match.group('comment') or ''


def key_material(public_key):
    """``"<type> <base64>"`` without the comment: what makes two keys the same key."""
    key_type, blob, dummy = split_public_key(public_key)
    return '%s %s' % (key_type, blob)


def fingerprint(public_key):
    """OpenSSH's SHA256 fingerprint (``ssh-keygen -lf``), from the decoded blob; no key parsing."""
    dummy, blob, dummy2 = split_public_key(public_key)
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return 'SHA256:' + base64.b64encode(digest).decode('ascii').rstrip('=')


def safe_fingerprint(public_key):
    """Like :func:`fingerprint` but None for key text the API holds that does not decode."""
    try:
        return fingerprint(public_key)
    except ValidationError:
        return None


# --- records ------------------------------------------------------------------------------

class Record:
    """Base: a fixed set of fields, ``to_dict`` in that order."""

    FIELDS = ()

    def __init__(self, **kwargs):
        unknown = set(kwargs) - set(self.FIELDS)
        if unknown:
            raise TypeError('unknown fields for %s: %s' % (type(self).__name__, ', '.join(sorted(unknown))))
        for name in self.FIELDS:
            setattr(self, name, kwargs.get(name))

    def to_dict(self):
        return dict((name, getattr(self, name)) for name in self.FIELDS)

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.to_dict())

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Server(Record):
    FIELDS = ('provider', 'id', 'name', 'status', 'power_state', 'location', 'image', 'plan', 'cpu',
              'memory_mb', 'disk_gb', 'ipv4', 'ipv6', 'public_ipv4', 'tags', 'created', 'provider_data')

    def to_dict(self):
        data = super().to_dict()
        data['ipv4'] = list(data['ipv4'] or [])
        data['ipv6'] = list(data['ipv6'] or [])
        data['tags'] = dict(data['tags'] or {})
        data['provider_data'] = dict(data['provider_data'] or {})
        return data


class PowerState(Record):
    FIELDS = ('server_id', 'power_state', 'locked')


class Ptr(Record):
    FIELDS = ('ip', 'ptr')


class RecordSet(Record):
    FIELDS = ('zone', 'record', 'type', 'ttl', 'values')


class SshKey(Record):
    FIELDS = ('id', 'name', 'fingerprint', 'public_key')


class ApiKey(Record):
    FIELDS = ('id', 'name', 'server', 'allowed_ips', 'active', 'scopes', 'notify_method', 'notify_address',
              'secret', 'provider_data')


class Tag(Record):
    FIELDS = ('server', 'name', 'value')
