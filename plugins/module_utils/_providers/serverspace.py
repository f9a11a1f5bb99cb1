# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Serverspace adapter (``/api/v1``, ``X-API-KEY``; providers/serverspace.md).

Every mutation answers ``{"task_id"}``; :meth:`ServerspaceClient.wait_task` follows it (``is_completed``
is a string enum). Code -4000/-19803 means "another change of this object is running": the API refused
the call, so it is retried for any method. Server reads carry ``login``/``password``: stripped here.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFound,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import MalformedResponse, Redactor
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    PowerState,
    Server,
    SshKey,
    as_bool,
    as_int,
    as_list,
    as_str,
    safe_fingerprint,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    Capabilities,
    Credential,
    DnsAPI,
    DnsRecord,
    PowerAPI,
    Provider,
    ServerAPI,
    SshKeyAPI,
    TagAPI,
)

CAPABILITIES = Capabilities(
    'serverspace',
    supported=('server', 'server.create', 'server.delete', 'server_info', 'power', 'power.restart', 'dns_record', 'dns_record_info',
               'sshkey', 'sshkey_info', 'tag', 'image_info', 'inventory'),
    unsupported={
        'ptr': 'Serverspace has no public reverse-DNS API; set PTR records in the control panel',
        'ptr_info': 'Serverspace has no public reverse-DNS API; PTR records are only visible in the control panel',
        'api_key': 'Serverspace API keys are issued in the control panel only',
        'api_key_info': 'Serverspace API keys are issued in the control panel only and cannot be listed over the API',
        'user': 'panel users are a Skyport feature',
        'node_info': 'nodes are a Skyport feature',
    })

# The first two characters of a key name the regional API host (section 1).
KEY_HOSTS = {
    '08': 'https://api.serverspace.us', '04': 'https://api.serverspace.io', '06': 'https://api.serverspace.ru',
    '02': 'https://api.serverspace.by', '09': 'https://api.serverspace.com.tr', '0a': 'https://api.serverspace.in',
    '14': 'https://api.serverspace.kz', '21': 'https://api.serverspace.ca', '22': 'https://api.serverspace.com.br',
    '0f': 'https://api.itglobal.com',
}
BUSY_CODES = (-4000, -19803)
EXISTS_CODE = -5542
TTLS = {1: '1s', 5: '5s', 30: '30s', 60: '1m', 300: '5m', 600: '10m', 900: '15m', 1800: '30m', 3600: '1h',
        7200: '2h', 21600: '6h', 43200: '12h', 86400: '1d'}
TTL_SECONDS = dict((v, k) for k, v in TTLS.items())
RECORD_TYPES = frozenset(('A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV'))
SECRET_FIELDS = frozenset(('password', 'login', 'app_password', 'app_login'))
TASK_DONE = 'completed'
TASK_FAILED = ('failed', 'canceled', 'cancelled')


def _codes(body):
    if isinstance(body, dict) and isinstance(body.get('errors'), list):
        return [as_int(e.get('code')) for e in body['errors'] if isinstance(e, dict)]
    return []


def _message(body, text=''):
    if isinstance(body, dict):
        for error in as_list(body.get('errors')):
            if isinstance(error, dict) and error.get('message'):
                return as_str(error['message'])
        for field in ('error', 'message'):
            if isinstance(body.get(field), str):
                return body[field]
    return ' '.join((text or '').split())[:200] or 'no message'


def _decode(text):
    if not (text or '').strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return None


class ServerspaceClient:

    def __init__(self, http, sleep=None):
        self.http = http
        self.sleep = sleep or http.sleep

    @staticmethod
    def _parse(response):
        body = _decode(response.text)
        if body is None or not isinstance(body, dict):
            raise MalformedResponse('not a JSON object')
        return body

    @staticmethod
    def _refused(response):
        return any(code in BUSY_CODES for code in _codes(_decode(response.text)))

    def call(self, method, path, body=None, idempotent=None):
        response = self.http.request(method, '/api/v1/' + path.lstrip('/'), json_body=body, idempotent=idempotent,
                                     parse=self._parse, refused=self._refused,
                                     headers={'Accept': 'application/json'})
        if 200 <= response.status < 300:
            return response.data if response.data is not None else {}
        body = _decode(response.text)
        message = self.http.redact(_message(body, response.text))
        codes = _codes(body)
        where = '%s %s' % (method, path)
        if response.status == 401 or response.status == 403:
            raise AuthError('cannot authenticate to Serverspace: %s. Check serverspace_api_key (SERVERSPACE_API_KEY).'
                            % message, provider='serverspace', status=response.status)
        if response.status == 404:
            raise NotFound('Serverspace %s: %s' % (where, message), provider='serverspace', status=404)
        if EXISTS_CODE in codes:
            raise Conflict('Serverspace %s: %s' % (where, message), provider='serverspace', status=response.status,
                           code=EXISTS_CODE)
        if any(code in BUSY_CODES for code in codes):
            raise Conflict('Serverspace %s: the object is still busy with another change: %s' % (where, message),
                           provider='serverspace', status=response.status, code=codes[0])
        raise ApiError('Serverspace %s failed (HTTP %s%s): %s' % (
            where, response.status, ', code %s' % codes[0] if codes else '', message), provider='serverspace',
            status=response.status, code=codes[0] if codes else None)

    def wait_task(self, task_id, timeout, what):
        """Poll ``tasks/{id}`` until ``is_completed`` is terminal; return the task (fail on Failed/Canceled)."""
        def fetch():
            task = self.call('GET', 'tasks/%s' % task_id).get('task')
            return task if isinstance(task, dict) else {}

        task = wait_for(fetch, lambda t: (as_str(t.get('is_completed')) or '').lower() in (TASK_DONE,) + TASK_FAILED,
                        timeout, lambda t: 'task %s %s' % (task_id, t.get('is_completed')), what, sleep=self.sleep)
        state = (as_str(task.get('is_completed')) or '').lower()
        if state != TASK_DONE:
            raise ApiError('Serverspace task %s for %s ended %s.' % (task_id, what, task.get('is_completed')),
                           provider='serverspace')
        return task

    def mutate(self, method, path, body, timeout, what, idempotent=None):
        """A mutation that may answer ``{"task_id"}``: wait for the task; return (answer, task or None)."""
        answer = self.call(method, path, body, idempotent=idempotent)
        task_id = as_str(answer.get('task_id')) if isinstance(answer, dict) else None
        return answer, (self.wait_task(task_id, timeout, what) if task_id else None)


def _scrub(value):
    if isinstance(value, dict):
        return dict((k, _scrub(v)) for k, v in value.items() if str(k).lower() not in SECRET_FIELDS)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def tags_to_dict(tags):
    result = {}
    for tag in as_list(tags):
        text = as_str(tag)
        if text is None:
            continue
        key, sep, value = text.partition('=')
        result[key] = value if sep else ''
    return result


def tag_string(key, value):
    return '%s=%s' % (key, value) if value not in (None, '') else key


def public_nic(item):
    nics = sorted((n for n in as_list(item.get('nics')) if isinstance(n, dict)), key=lambda n: as_int(n.get('id')) or 0)
    for nic in nics:
        if as_str(nic.get('network_type')) == 'PublicShared':
            return nic
    return None


def to_server(item):
    nics = sorted((n for n in as_list(item.get('nics')) if isinstance(n, dict)), key=lambda n: as_int(n.get('id')) or 0)
    main = public_nic(item)
    ipv4 = [as_str(n.get('ip_address')) for n in ([main] if main else []) + [n for n in nics if n is not main]
            if as_str(n.get('ip_address'))]
    boot = [v for v in as_list(item.get('volumes')) if isinstance(v, dict) and as_str(v.get('name')) == 'boot']
    size = as_int(boot[0].get('size_mb')) if boot else None
    power = as_bool(item.get('is_power_on'))
    return Server(
        provider='serverspace', id=as_str(item.get('id')), name=as_str(item.get('name')),
        status=(as_str(item.get('state')) or '').lower() or None,
        power_state='unknown' if power is None else ('running' if power else 'stopped'),
        location=as_str(item.get('location_id')), image=as_str(item.get('image_id')), plan=None,
        cpu=as_int(item.get('cpu')), memory_mb=as_int(item.get('ram_mb')),
        disk_gb=size // 1024 if size is not None else None, ipv4=ipv4, ipv6=[],
        public_ipv4=as_str(main.get('ip_address')) if main else None, tags=tags_to_dict(item.get('tags')),
        created=as_str(item.get('created')), provider_data=_scrub(item))


class ServerspaceServers(ServerAPI):
    ssh_keys_by_id = True
    tags_on_create = True

    def __init__(self, client, timeout=600):
        self.client = client
        self.timeout = timeout

    def list(self):
        return [to_server(i) for i in as_list(self.client.call('GET', 'servers').get('servers')) if isinstance(i, dict)]

    def details_complete(self):
        return True

    def raw(self, server_id):
        try:
            item = self.client.call('GET', 'servers/%s' % server_id).get('server')
        except NotFound:
            raise NotFound('Serverspace server %s not found.' % server_id, provider='serverspace')
        if not isinstance(item, dict):
            raise NotFound('Serverspace server %s not found.' % server_id, provider='serverspace')
        return item

    def get(self, server_id):
        return to_server(self.raw(server_id))

    @staticmethod
    def ready(server):
        return server.status == 'active'

    def wait_active(self, server_id, timeout, what):
        return wait_for(lambda: self.get(server_id), lambda s: s.status in ('active', 'blocked'), timeout,
                        lambda s: 'state %s' % s.status, what, sleep=self.client.sleep)

    @staticmethod
    def validate_create(spec):
        missing = [opt for opt in ('location', 'image', 'cpu', 'memory_mb', 'disk_gb') if spec.get(opt) in (None, '')]
        if missing:
            raise ValidationError('Serverspace needs %s to create server "%s".' % (', '.join(missing), spec['name']))

    def create(self, spec):
        extra = dict(spec.get('extra') or {})
        body = {
            'name': spec['name'], 'location_id': spec['location'], 'image_id': spec['image'], 'cpu': spec['cpu'],
            'ram_mb': spec['memory_mb'], 'volumes': [{'name': 'boot', 'size_mb': spec['disk_gb'] * 1024}],
            'networks': extra.pop('networks', None) or [{'bandwidth_mbps': spec.get('bandwidth') or 50}],
        }
        if spec.get('ssh_key_ids'):
            body['ssh_key_ids'] = [as_int(i) for i in spec['ssh_key_ids']]
        if spec.get('tags'):
            body['tags'] = [tag_string(k, v) for k, v in sorted(spec['tags'].items())]
        volumes = extra.pop('volumes', None)
        if volumes:
            body['volumes'].extend(volumes)
        body.update(extra)
        timeout = spec.get('wait_timeout') or self.timeout
        answer = self.client.call('POST', 'servers', body, idempotent=False)
        server_id = as_str(answer.get('server_id'))
        task_id = as_str(answer.get('task_id'))
        if not spec.get('wait', True):
            return self.get(server_id) if server_id else None
        if task_id:
            task = self.client.wait_task(task_id, timeout, 'the creation of server %s' % spec['name'])
            server_id = server_id or as_str(task.get('server_id'))
        if not server_id:
            return None
        return self.wait_active(server_id, timeout, 'server %s (%s) to become Active' % (spec['name'], server_id))

    def update(self, server, changes):
        timeout = self.timeout
        data = server.provider_data or {}
        resize = dict((api, changes[ours]) for ours, api in (('cpu', 'cpu'), ('memory_mb', 'ram_mb')) if ours in changes)
        if resize:
            self.client.mutate('PATCH', 'servers/%s' % server.id, resize, timeout, 'resizing %s' % server.id)
            self.wait_active(server.id, timeout, 'server %s to become Active after the resize' % server.id)
        if 'disk_gb' in changes:
            boot = [v for v in as_list(data.get('volumes')) if isinstance(v, dict) and as_str(v.get('name')) == 'boot']
            if not boot:
                raise ApiError('Serverspace server %s has no volume named boot to grow.' % server.id, provider='serverspace')
            self.client.mutate('PUT', 'servers/%s/volumes/%s' % (server.id, boot[0].get('id')),
                               {'size_mb': changes['disk_gb'] * 1024}, timeout, 'growing the boot volume of %s' % server.id)
            self.wait_active(server.id, timeout, 'server %s to become Active after the disk change' % server.id)
        if 'bandwidth' in changes:
            nic = public_nic(data)
            if nic is None:
                raise ApiError('Serverspace server %s has no public network interface.' % server.id, provider='serverspace')
            self.client.mutate('PUT', 'servers/%s/nics/%s' % (server.id, nic.get('id')),
                               {'bandwidth_mbps': changes['bandwidth']}, timeout, 'changing the bandwidth of %s' % server.id)
            self.wait_active(server.id, timeout, 'server %s to become Active after the bandwidth change' % server.id)

    @staticmethod
    def editable(server):
        return {'cpu', 'memory_mb', 'disk_gb', 'bandwidth'} if public_nic(server.provider_data or {}) else \
            {'cpu', 'memory_mb', 'disk_gb'}

    def delete(self, server, options):
        timeout = options.get('wait_timeout') or self.timeout
        try:
            self.client.mutate('DELETE', 'servers/%s' % server.id, None, timeout, 'deleting %s' % server.id)
        except NotFound:
            return
        if options.get('wait', True):
            def gone():
                try:
                    self.raw(server.id)
                    return False
                except NotFound:
                    return True
            wait_for(gone, lambda done: done, timeout, lambda done: 'still there', 'server %s to disappear' % server.id,
                     sleep=self.client.sleep)


class ServerspacePower(PowerAPI):

    def __init__(self, client, servers, timeout=600):
        self.client = client
        self.servers = servers
        self.timeout = timeout

    def state(self, server_id):
        server = self.servers.get(server_id)
        return PowerState(server_id=server_id, power_state=server.power_state, locked=server.status not in ('active', None))

    def _act(self, server_id, action):
        self.client.mutate('POST', 'servers/%s/power/%s' % (server_id, action), {}, self.timeout,
                           'power %s of %s' % (action, server_id))

    def start(self, server_id):
        self._act(server_id, 'on')

    def stop(self, server_id, hard=False):
        self._act(server_id, 'off' if hard else 'shutdown')

    def restart(self, server_id, hard=False):
        self._act(server_id, 'reset' if hard else 'reboot')


class ServerspaceTags(TagAPI):

    def __init__(self, client, servers):
        self.client = client
        self.servers = servers

    def _raw(self, server_id):
        return [as_str(t) for t in as_list(self.servers.raw(server_id).get('tags')) if as_str(t) is not None]

    def list(self, server_id):
        return tags_to_dict(self._raw(server_id))

    def set(self, server_id, name, value):
        for tag in self._raw(server_id):
            if tag.partition('=')[0] == name:
                self._delete(server_id, tag)
        self.client.call('POST', 'servers/%s/tags' % server_id, {'value': tag_string(name, value)}, idempotent=True)

    def _delete(self, server_id, tag):
        try:
            self.client.call('DELETE', 'servers/%s/tags/%s' % (server_id, quote(tag, safe='')))
        except NotFound:
            pass

    def remove(self, server_id, name):
        for tag in self._raw(server_id):
            if tag.partition('=')[0] == name:
                self._delete(server_id, tag)


class ServerspaceSshKeys(SshKeyAPI):

    def __init__(self, client):
        self.client = client

    @staticmethod
    def _to_key(item):
        public_key = as_str(item.get('public_key'))
        return SshKey(id=as_str(item.get('id')), name=as_str(item.get('name')),
                      fingerprint=safe_fingerprint(public_key) if public_key else None, public_key=public_key)

    def list(self):
        body = self.client.call('GET', 'ssh-keys')
        items = body.get('ssh_keys') if 'ssh_keys' in body else body.get('ssh_key')
        if items is None and body:
            raise ApiError('Serverspace GET ssh-keys answered without ssh_keys (keys seen: %s).' % ', '.join(sorted(body)),
                           provider='serverspace')
        return [self._to_key(i) for i in as_list(items) if isinstance(i, dict)]

    def create(self, name, public_key):
        body = self.client.call('POST', 'ssh-keys', {'name': name, 'public_key': public_key}, idempotent=False)
        item = body.get('ssh_key', body) if isinstance(body, dict) else {}
        return self._to_key(item) if isinstance(item, dict) and item.get('id') is not None else None

    def delete(self, key):
        try:
            self.client.call('DELETE', 'ssh-keys/%s' % key.id)
        except NotFound:
            pass


def check_ttl(ttl):
    if ttl is not None and ttl not in TTLS:
        raise ValidationError('provider serverspace cannot use ttl %s: its TTLs are %s seconds.'
                              % (ttl, ', '.join(str(t) for t in sorted(TTLS))))


def _fqdn(name, zone):
    zone = zone.rstrip('.').lower()
    if name in ('@', '', None):
        return zone + '.'
    name = name.rstrip('.').lower()
    if name == zone or name.endswith('.' + zone):
        return name + '.'
    return '%s.%s.' % (name, zone)


class ServerspaceDns(DnsAPI):
    types = RECORD_TYPES

    def __init__(self, client, timeout=600):
        self.client = client
        self.timeout = timeout

    @staticmethod
    def check_ttl(ttl):
        check_ttl(ttl)

    @staticmethod
    def _value(item):
        rtype = (as_str(item.get('type')) or '').upper()
        if rtype in ('A', 'AAAA'):
            return as_str(item.get('ip'))
        if rtype == 'CNAME':
            return as_str(item.get('canonical_name'))
        if rtype == 'NS':
            return as_str(item.get('name_server_host'))
        if rtype == 'MX':
            return '%s %s' % (as_int(item.get('priority')) or 0, as_str(item.get('mail_host')))
        if rtype == 'TXT':
            text = as_str(item.get('text')) or ''
            return text[1:-1] if len(text) >= 2 and text[0] == '"' and text[-1] == '"' else text
        if rtype == 'SRV':
            return '%s %s %s %s' % (as_int(item.get('priority')) or 0, as_int(item.get('weight')) or 0,
                                    as_int(item.get('port')) or 0, as_str(item.get('target')))
        return as_str(item.get('value'))

    def list_records(self, zone):
        try:
            body = self.client.call('GET', 'domains/%s/records' % _fqdn('@', zone))
        except NotFound:
            raise NotFound('DNS zone %s not found at Serverspace.' % zone, provider='serverspace')
        records = []
        for item in as_list(body.get('records')):
            if not isinstance(item, dict):
                continue
            ttl = as_str(item.get('ttl'))
            records.append(DnsRecord(as_str(item.get('id')), as_str(item.get('name')), (as_str(item.get('type')) or '').upper(),
                                     self._value(item), TTL_SECONDS.get(ttl, as_int(ttl)), item))
        return records

    @staticmethod
    def _body(zone, name, rtype, value, ttl):
        body = {'name': _fqdn(name, zone), 'type': rtype, 'ttl': TTLS.get(ttl, '1h')}
        parts = value.split()
        if rtype in ('A', 'AAAA'):
            body['ip'] = value
        elif rtype == 'CNAME':
            body['canonical_name'] = value
        elif rtype == 'NS':
            body['name_server_host'] = value
        elif rtype == 'MX':
            body['priority'], body['mail_host'] = int(parts[0]), parts[1]
        elif rtype == 'TXT':
            body['text'] = value
        elif rtype == 'SRV':
            labels = body['name'].split('.')
            if len(labels) > 2 and labels[0].startswith('_') and labels[1].startswith('_'):
                body['service'], body['protocol'] = labels[0][1:], labels[1][1:].upper()
                body['name'] = '.'.join(labels[2:])
            body['priority'], body['weight'], body['port'], body['target'] = int(parts[0]), int(parts[1]), int(parts[2]), parts[3]
        return body

    def add(self, zone, name, rtype, value, ttl):
        try:
            self.client.mutate('POST', 'domains/%s/records' % _fqdn('@', zone), self._body(zone, name, rtype, value, ttl),
                               self.timeout, 'adding %s %s' % (name, rtype), idempotent=False)
        except Conflict as exc:
            if exc.code != EXISTS_CODE:
                raise
        return None  # re-read by the caller

    def update(self, zone, record, value, ttl):
        raw = record.raw or {}
        current_ttl = TTL_SECONDS.get(as_str(raw.get('ttl')), record.ttl)
        body = self._body(zone, record.name, record.type, value if value is not None else record.value,
                          ttl if ttl is not None else current_ttl)
        self.client.mutate('PUT', 'domains/%s/records/%s' % (_fqdn('@', zone), record.id), body, self.timeout,
                           'updating %s %s' % (record.name, record.type))
        return None

    def delete(self, zone, record):
        try:
            self.client.mutate('DELETE', 'domains/%s/records/%s' % (_fqdn('@', zone), record.id), None, self.timeout,
                               'deleting %s %s' % (record.name, record.type))
        except NotFound:
            pass


class ServerspaceProvider(Provider):
    name = 'serverspace'
    title = 'Serverspace'
    default_url = 'https://api.serverspace.us'
    credentials = (Credential('serverspace_api_key', 'SERVERSPACE_API_KEY'),)
    capabilities = CAPABILITIES

    def __init__(self, options, pool_size=10):
        super().__init__(options)
        key = options.get('serverspace_api_key') or ''
        self.http = self.http_client('Serverspace', pool_size, headers={'X-API-KEY': key}, redactor=Redactor([key]))
        self.client = ServerspaceClient(self.http)
        self._servers = None

    def api_url(self):
        import os  # pylint: disable=import-outside-toplevel
        explicit = self.options.get('api_url') or os.environ.get(self.url_env())
        if explicit:
            return explicit.rstrip('/')
        key = (self.options.get('serverspace_api_key') or '')[:2].lower()
        return KEY_HOSTS.get(key, self.default_url)

    @property
    def servers(self):
        if self._servers is None:
            self._servers = ServerspaceServers(self.client)
        return self._servers

    @property
    def power(self):
        return ServerspacePower(self.client, self.servers)

    @property
    def tags(self):
        return ServerspaceTags(self.client, self.servers)

    @property
    def sshkeys(self):
        return ServerspaceSshKeys(self.client)

    @property
    def dns(self):
        return ServerspaceDns(self.client)

    def images(self):
        images = {}
        for item in as_list(self.client.call('GET', 'images').get('images')):
            if not isinstance(item, dict):
                continue
            image = images.setdefault(as_str(item.get('id')), {
                'provider': 'serverspace', 'kind': 'image', 'id': as_str(item.get('id')), 'name': as_str(item.get('id')),
                'os': as_str(item.get('type')), 'os_version': as_str(item.get('os_version')), 'locations': [],
                'provider_data': item})
            if as_str(item.get('location_id')):
                image['locations'].append(as_str(item.get('location_id')))
        result = sorted(images.values(), key=lambda i: i['name'] or '')
        for item in as_list(self.client.call('GET', 'locations').get('locations')):
            if isinstance(item, dict):
                result.append({'provider': 'serverspace', 'kind': 'location', 'id': as_str(item.get('id')),
                               'name': as_str(item.get('id')), 'provider_data': item})
        return result
