# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""GleSYS adapter (api.glesys.com): transport and resource APIs.

Transport facts (providers/glesys.md sections 1-4): every call is ``POST /<module>/<function>``
with a JSON body and HTTP basic auth (project key : API key); ``Accept: application/json``
asks for JSON, but an XML answer (the API's default) is parsed too. Everything lives under
``response``; ``status.code`` mirrors the HTTP status (sometimes as a string); ``debug.input``
echoes the arguments (secrets included) and is dropped here, never surfaced.
"""

from __future__ import annotations

import json
import re

try:
    import xmltodict
    HAS_XMLTODICT = True
except ImportError:  # pragma: no cover
    xmltodict = None
    HAS_XMLTODICT = False

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFound,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import (
    MalformedResponse,
    Redactor,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    SshKey,
    as_int,
    as_list,
    as_str,
    safe_fingerprint,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    Capabilities,
    Credential,
    Provider,
    SshKeyAPI,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._glesys_servers import (
    GlesysApiKeys,
    GlesysPower,
    GlesysPtrs,
    GlesysServers,
    list_images,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._glesys_dns import GlesysDns

CAPABILITIES = Capabilities(
    'glesys',
    supported=('server', 'server.create', 'server.delete', 'server_info', 'power', 'power.restart', 'ptr', 'ptr_info',
               'sshkey', 'sshkey_info', 'api_key_info', 'image_info', 'inventory', 'dns_record', 'dns_record_info'),
    unsupported={
        'api_key': 'GleSYS offers no API-key management over its API; create and delete keys in the control panel '
                   '(api_key_info shows what the current key may do)',
        'tag': 'GleSYS servers have no tags or labels',
        'user': 'panel users are a Skyport feature',
        'node_info': 'nodes are a Skyport feature',
    })

_INT_RE = re.compile(r'^-?(0|[1-9][0-9]{0,17})$')
_FLOAT_RE = re.compile(r'^-?[0-9]+\.[0-9]+$')


def _coerce_xml(value):
    """Turn an xmltodict tree into the JSON tree: ``item`` lists unwrapped, numbers as numbers.

    ``yes``/``no`` stay strings, as they are in the JSON answers; readers use ``as_bool``.
    """
    if isinstance(value, dict):
        if set(value.keys()) == {'item'}:
            return [_coerce_xml(v) for v in as_list(value['item'])]
        return dict((k, _coerce_xml(v)) for k, v in value.items() if not k.startswith('@'))
    if isinstance(value, list):
        return [_coerce_xml(v) for v in value]
    if isinstance(value, str):
        if _INT_RE.match(value):
            return int(value)
        if _FLOAT_RE.match(value):
            return float(value)
    return value


def decode_body(text, content_type=''):
    """Decode a GleSYS answer (JSON or XML) to the dict under ``response``.

    Raises :class:`MalformedResponse` for anything else (HTML error pages, truncated bodies).
    """
    body = (text or '').lstrip()
    if 'json' in (content_type or '').lower() or body.startswith('{'):
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MalformedResponse('invalid JSON: %s' % exc)
    elif body.startswith('<?xml') or body.startswith('<response'):
        if not HAS_XMLTODICT:
            raise MalformedResponse('an XML answer needs the Python library xmltodict')
        try:
            data = _coerce_xml(xmltodict.parse(body, force_list=('item',)))
        except Exception as exc:  # pylint: disable=broad-except  # expat raises several types
            raise MalformedResponse('invalid XML: %s' % exc)
    else:
        raise MalformedResponse('neither JSON nor XML (starts with %r)' % body[:40])
    if not isinstance(data, dict) or not isinstance(data.get('response'), dict):
        raise MalformedResponse('no "response" object')
    return data['response']


def _status(response):
    status = response.get('status')
    if not isinstance(status, dict):
        return None, None
    return as_int(status.get('code')), as_str(status.get('text'))


class GlesysClient:
    """Calls ``/<module>/<function>`` and returns the payload (``response`` minus status/debug)."""

    def __init__(self, http, project):
        self.http = http
        self.project = project

    def _parse(self, response):
        return decode_body(response.text, response.header('Content-Type', ''))

    def call(self, function, args=None, idempotent=True):
        """POST one function. ``idempotent`` is False for calls that create something."""
        response = self.http.request('POST', '/' + function, json_body=args or {},
                                     headers={'Accept': 'application/json'},
                                     idempotent=idempotent, parse=self._parse)
        data = response.data
        if data is None:
            try:
                data = decode_body(response.text, response.header('Content-Type', ''))
            except MalformedResponse:
                data = None
        code, text = _status(data) if data is not None else (None, None)
        http_ok = 200 <= response.status < 300
        if http_ok and (code is None or code == 200):
            return dict((k, v) for k, v in data.items() if k not in ('status', 'debug'))
        status = response.status if not http_ok else code
        self._raise(function, status, text, response)

    def _raise(self, function, status, text, response):
        redact = self.http.redact
        if not text:
            text = re.sub(r'<[^>]+>', ' ', response.text or '')
            text = ' '.join(text.split())[:200] or 'no message'
        text = redact(text)
        if status == 401:
            raise AuthError(
                'cannot authenticate to GleSYS as project %s: %s Check glesys_project and glesys_api_key '
                '(GLESYS_PROJECT / GLESYS_API_KEY).' % (self.project, text), provider='glesys', status=status)
        if status == 403:
            raise AuthError(
                'GleSYS refused %s for project %s: %s Check the API key\'s permissions and access list.'
                % (function, self.project, text), provider='glesys', status=status)
        if status == 404:
            raise NotFound('GleSYS %s: %s' % (function, text), provider='glesys', status=status)
        if status is not None and 'lock' in text.lower():
            raise Conflict('GleSYS %s failed: %s' % (function, text), provider='glesys', status=status)
        raise ApiError('GleSYS %s failed (HTTP %s): %s' % (function, status, text), provider='glesys', status=status)


def _describe_error(response):
    try:
        return _status(decode_body(response.text, response.header('Content-Type', '')))[1]
    except MalformedResponse:
        return None


# --- SSH keys (sshkey/list, sshkey/add, sshkey/remove; field names unverified, see 6.4) ------

_KEY_LIST_FIELDS = ('sshkeys', 'sshkey', 'keys')
_ID_FIELDS = ('id', 'sshkeyid', 'keyid')
_NAME_FIELDS = ('description', 'name')
_DATA_FIELDS = ('data', 'sshkey', 'publickey', 'key')


def _first(item, names):
    for name in names:
        if item.get(name) is not None:
            return item[name]
    return None


def _key_items(payload, function):
    for name in _KEY_LIST_FIELDS:
        if name in payload:
            value = payload[name]
            if isinstance(value, dict) and _first(value, _ID_FIELDS) is not None:
                return [value]
            return [v for v in as_list(value) if isinstance(v, dict)]
    lists = [v for v in payload.values() if isinstance(v, list)]
    if len(lists) == 1:
        return [v for v in lists[0] if isinstance(v, dict)]
    raise ApiError('GleSYS %s answered without a key list (payload keys: %s); this collection does not '
                   'know that shape.' % (function, ', '.join(sorted(payload)) or 'none'), provider='glesys')


def _to_sshkey(item):
    public_key = as_str(_first(item, _DATA_FIELDS))
    return SshKey(id=as_str(_first(item, _ID_FIELDS)), name=as_str(_first(item, _NAME_FIELDS)),
                  fingerprint=safe_fingerprint(public_key) if public_key else None, public_key=public_key)


class GlesysSshKeys(SshKeyAPI):

    def __init__(self, client):
        self.client = client

    def list(self):
        return [_to_sshkey(item) for item in _key_items(self.client.call('sshkey/list'), 'sshkey/list')]

    def create(self, name, public_key):
        payload = self.client.call('sshkey/add', {'sshkey': public_key, 'description': name}, idempotent=False)
        for field in ('sshkey', 'key'):
            item = payload.get(field)
            if isinstance(item, dict) and _first(item, _ID_FIELDS) is not None:
                key = _to_sshkey(item)
                key.name = key.name or name
                key.public_key = key.public_key or public_key
                key.fingerprint = key.fingerprint or safe_fingerprint(public_key)
                return key
        return None  # the engine re-reads by identity

    def delete(self, key):
        try:
            self.client.call('sshkey/remove', {'sshkeyids': key.id})
        except NotFound:
            pass


class GlesysProvider(Provider):
    name = 'glesys'
    title = 'GleSYS'
    default_url = 'https://api.glesys.com'
    credentials = (
        Credential('glesys_project', 'GLESYS_PROJECT', secret=False),
        Credential('glesys_api_key', 'GLESYS_API_KEY'),
    )
    capabilities = CAPABILITIES

    def __init__(self, options, pool_size=10):
        super().__init__(options)
        project = options.get('glesys_project')
        redactor = Redactor()
        redactor.add(options.get('glesys_api_key'), user=project)
        self.http = self.http_client('GleSYS', pool_size, auth=(project, options.get('glesys_api_key')), redactor=redactor,
                                     describe_error=_describe_error)
        self.client = GlesysClient(self.http, project)
        self.project = project
        self._sshkeys = None
        self._servers = None

    @property
    def sshkeys(self):
        if self._sshkeys is None:
            self._sshkeys = GlesysSshKeys(self.client)
        return self._sshkeys

    @property
    def servers(self):
        if self._servers is None:
            self._servers = GlesysServers(self.client)
        return self._servers

    @property
    def power(self):
        return GlesysPower(self.client)

    @property
    def ptrs(self):
        return GlesysPtrs(self.client)

    _dns = None

    @property
    def dns(self):
        if self._dns is None:
            self._dns = GlesysDns(self.client)
        return self._dns

    def images(self):
        return list_images(self.client)

    _api_keys = None

    @property
    def api_keys(self):
        if self._api_keys is None:
            self._api_keys = GlesysApiKeys(self.client, self.project)
        return self._api_keys
