# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""HOSTKEY (invapi) adapter: servers, power, PTR, DNS, tags, SSH keys, API keys, catalog.

Transport, tokens and callbacks live in ``_hostkey_client.py``; facts in providers/hostkey.md.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    NotFound,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import Redactor
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    ApiKey,
    PowerState,
    Ptr,
    Server,
    SshKey,
    as_bool,
    as_int,
    as_list,
    as_str,
    safe_fingerprint,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    ApiKeyAPI,
    Capabilities,
    Credential,
    DnsAPI,
    DnsRecord,
    PowerAPI,
    Provider,
    PtrAPI,
    ServerAPI,
    SshKeyAPI,
    TagAPI,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._hostkey_client import (
    HostkeyClient,
    parse_scope,
)

CAPABILITIES = Capabilities(
    'hostkey',
    supported=('server', 'server.create', 'server.delete', 'server_info', 'power', 'power.restart', 'ptr', 'ptr_info', 'dns_record',
               'dns_record_info', 'sshkey', 'sshkey_info', 'api_key', 'api_key_info', 'tag', 'image_info', 'inventory'),
    unsupported={
        'user': 'panel users are a Skyport feature',
        'node_info': 'nodes are a Skyport feature',
    })

SYSTEM_TAGS = frozenset(('hostname', 'os', 'password', 'user_name', 'order_origin', 'webpanel'))
SECRET_KEYS = re.compile(r'pass(word)?|root_pass|secret|api_key|token', re.I)
LOCATIONS = ('NL', 'US', 'FI', 'DE', 'IS', 'TR', 'UK')
ACTION_TIMEOUT = 600
DEPLOY_TIMEOUT = 5400


def _key(data, *names):
    """``data[name]`` with the key matched case-insensitively (HOSTKEY mixes ``IP`` and ``ip``)."""
    if not isinstance(data, dict):
        return None
    lowered = dict((str(k).lower(), v) for k, v in data.items())
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _scrub(value):
    """A copy of an API record without secrets: the ``Password`` tag and any password-like key."""
    if isinstance(value, dict):
        return dict((k, _scrub(v)) for k, v in value.items() if not SECRET_KEYS.search(str(k)))
    if isinstance(value, list):
        return [_scrub(v) for v in value
                if not (isinstance(v, dict) and str(_key(v, 'tag') or '').lower() == 'password')]
    return value


def _tags(show):
    system, user = {}, {}
    for item in as_list(_key(show, 'tags')):
        if not isinstance(item, dict):
            continue
        name = as_str(item.get('tag'))
        if not name:
            continue
        value = as_str(item.get('value')) or ''
        if name.lower() in SYSTEM_TAGS or as_bool(item.get('internal')):
            system[name.lower()] = value
        else:
            user[name] = value
    return system, user


def to_server(show, server_id=None):
    """Normalize an ``eq/show`` answer."""
    data = _key(show, 'server_data') or {}
    hardware = _key(show, 'hardware') or {}
    location = _key(show, 'location') or {}
    sid = as_str(_key(data, 'id')) or as_str(server_id)
    system, user = _tags(show)
    ipv4, ipv6, main = [], [], None
    for item in as_list(_key(show, 'IP')):
        address = as_str(_key(item, 'IP', 'ip')) if isinstance(item, dict) else as_str(item)
        if not address:
            continue
        (ipv6 if ':' in address else ipv4).append(address)
        if isinstance(item, dict) and as_bool(_key(item, 'main_ip')) and ':' not in address:
            main = address
    ram = as_int(_key(hardware, 'ram'))
    name = system.get('hostname') or as_str(_key(data, 'hostname')) or as_str(_key(data, 'server_name')) or \
        ('hostkey%s' % sid)
    return Server(
        provider='hostkey', id=sid, name=name, status=(as_str(_key(data, 'status', 'Condition_Component')) or '').lower() or None,
        power_state='unknown', location=as_str(_key(location, 'dc_location')),
        image=system.get('os') or as_str(_key(show, 'OS')), plan=as_str(_key(show, 'preset')),
        cpu=as_int(_key(hardware, 'cpu_count')), memory_mb=ram * 1024 if ram is not None else None,
        disk_gb=as_int(_key(hardware, 'hdd')), ipv4=ipv4, ipv6=ipv6, public_ipv4=main or (ipv4[0] if ipv4 else None),
        tags=user, created=None, provider_data=_scrub(dict((k, v) for k, v in show.items() if k not in ('result',))))


def _stub(server_id):
    return Server(provider='hostkey', id=str(server_id), name=None, status=None, power_state='unknown', location=None,
                  image=None, plan=None, cpu=None, memory_mb=None, disk_gb=None, ipv4=[], ipv6=[], public_ipv4=None,
                  tags={}, created=None, provider_data={})


def _ids(values):
    ids = []
    for value in as_list(values):
        if isinstance(value, dict):
            value = value.get('id')
        value = as_str(value)
        if value:
            ids.append(value)
    return ids


class HostkeyServers(ServerAPI):
    paid = True
    can_reinstall = True

    def __init__(self, client, provider):
        self.client = client
        self.provider = provider

    def list(self):
        body = self.refresh()
        ids = _ids(body.get('servers'))
        if 'servers' not in body:
            ids = _ids(self.client.call('eq', 'list').get('servers'))
        return [_stub(i) for i in ids]

    def get(self, server_id):
        try:
            body = self.client.call('eq', 'show', fields={'id': server_id})
        except NotFound:
            raise NotFound('HOSTKEY server %s not found.' % server_id, provider='hostkey')
        return to_server(body, server_id)

    def detailed(self, server):
        # by_id/by_name answer from eq/show already; only list() stubs carry no provider data
        return server if server.provider_data else self.get(server.id)

    def by_id(self, ref):
        if not re.match(r'^[0-9]+$', str(ref)):
            return None
        try:
            return self.get(ref)
        except NotFound:
            return None

    @staticmethod
    def ready(server):
        # eq/show carries no power state; the deploy callback already said the server is up
        return True

    def refresh(self):
        """``eq/update_servers``: the token learns servers ordered since it was issued; returns the answer."""
        return self.client.call('eq', 'update_servers')

    def by_name(self, name):
        wanted = name.strip().lower()
        self.refresh()
        ids = None
        for action in ('user_search', 'search_user'):
            try:
                ids = _ids(self.client.call('tags', action, fields={'value': name.strip()}).get('servers'))
                break
            except ApiError as exc:
                if 'unknown' not in str(exc).lower() and 'action' not in str(exc).lower():
                    raise
        candidates = ids if ids is not None else [s.id for s in self.list()]
        found = []
        for server_id in candidates:
            try:
                server = self.get(server_id)
            except NotFound:
                continue
            if (server.name or '').lower() == wanted:
                found.append(server)
        return found

    def deleting(self, server):
        try:
            body = self.client.call('whmcs', 'get_cancellation_requests', fields={'id': server.id})
        except (NotFound, ApiError):
            return False
        requests = [r for r in as_list(body.get('message')) if isinstance(r, dict)]
        return any(as_str(r.get('relid')) in (None, server.id) for r in requests)

    # --- create / reinstall / cancel ----------------------------------------------------------

    @staticmethod
    def validate_create(spec):
        missing = [opt for opt in ('location', 'image', 'plan', 'root_password') if not spec.get(opt)]
        if missing:
            raise ValidationError('HOSTKEY needs %s to order server "%s".' % (', '.join(missing), spec['name']))
        validate_root_password(spec['root_password'])

    def _os_id(self, image, location=None, preset=None):
        if re.match(r'^[0-9]+$', str(image)):
            return str(image)
        fields = {}
        if preset:
            fields['instance_id'] = preset
        items = as_list(self.client.call('os', 'list', fields=fields, auth=False).get('os_list'))
        wanted = str(image).strip().lower()
        for item in items:
            if isinstance(item, dict) and (as_str(item.get('name')) or '').lower() == wanted:
                return as_str(item.get('id'))
        raise NotFound('image "%s" not found in the HOSTKEY OS list (image_info lists them).' % image, provider='hostkey')

    def _preset(self, plan, location):
        items = as_list(self.client.call('presets', 'list', fields={'location': location}, auth=False).get('presets'))
        for item in items:
            if isinstance(item, dict) and plan in (as_str(item.get('name')), as_str(item.get('id'))):
                return item
        raise NotFound('plan "%s" not found among the HOSTKEY presets of location %s.' % (plan, location),
                       provider='hostkey')

    def _traffic_plan(self, location, preset_id):
        body = self.client.call('traffic_plans', 'list', fields={'location': location, 'instance': preset_id}, auth=False)
        plans = [p for p in as_list(body.get('traffic_plans')) if isinstance(p, dict)]
        for plan in plans:
            if as_bool(plan.get('main_plan')):
                return as_str(plan.get('id'))
        if plans:
            return as_str(plans[0].get('id'))
        raise NotFound('no HOSTKEY traffic plan for location %s; set extra.traffic_plan.' % location, provider='hostkey')

    def image_matches(self, server, image):
        """The server's OS tag against an image name, or the name of an OS id."""
        wanted = str(image).strip()
        if re.match(r'^[0-9]+$', wanted):
            items = as_list(self.client.call('os', 'list', auth=False).get('os_list'))
            names = [as_str(i.get('name')) for i in items if isinstance(i, dict) and as_str(i.get('id')) == wanted]
            wanted = names[0] if names else wanted
        return (server.image or '').strip().lower() == wanted.lower()

    def create(self, spec):
        extra = dict(spec.get('extra') or {})
        preset = self._preset(spec['plan'], spec['location'])
        preset_id = as_str(preset.get('id'))
        fields = {
            'preset': spec['plan'], 'location_name': spec['location'],
            'os_id': self._os_id(spec['image'], spec['location'], preset_id),
            'traffic_plan': extra.pop('traffic_plan', None) or self._traffic_plan(spec['location'], preset_id),
            'root_pass': spec['root_password'], 'deploy_period': extra.pop('deploy_period', 'monthly'),
            'hostname': spec['name'],
        }
        keys = spec.get('ssh_key_texts') or []
        if len(keys) > 1:
            raise ValidationError('HOSTKEY installs one SSH key when it deploys a server; ssh_keys has %d.' % len(keys))
        if keys:
            fields['ssh_key'] = keys[0]
        if self.client.pin:
            fields['pin'] = self.client.pin
        fields.update(extra)
        snapshot = self.refresh()
        pending = sorted(snapshot.get('deploy_keys') or {}) if isinstance(snapshot.get('deploy_keys'), dict) else []
        if pending:
            raise ApiError('HOSTKEY is still deploying invoice(s) %s; ordering now could buy a second server. Wait until '
                           'the deploy is done and rerun: the server is then found by its hostname.' % ', '.join(pending),
                           provider='hostkey')
        before = set(_ids(snapshot.get('servers')))
        try:
            body = self.client.call('eq', 'order_instance', fields=fields, idempotent=False)
        except AmbiguousError as exc:
            raise ApiError('%s A paid order is never sent twice: check the invoices in the HOSTKEY panel; a rerun finds '
                           'the server by its hostname once it is deployed.' % exc, provider='hostkey')
        invoice = as_str(body.get('invoice'))
        status = (as_str(body.get('status')) or '').lower()
        if status == 'unpaid':
            raise ApiError('HOSTKEY accepted the order as invoice %s but it is unpaid; the server is deployed after '
                           'payment. Pay the invoice, then rerun (the server is found by its hostname).' % invoice,
                           provider='hostkey')
        if not spec.get('wait', True):
            return None
        return self._deployed(invoice, before, spec)

    def _deployed(self, invoice, before, spec):
        timeout = spec.get('wait_timeout') or DEPLOY_TIMEOUT
        key = {}

        def poll():
            body = self.refresh()
            deploy = body.get('deploy_keys')
            if isinstance(deploy, dict) and invoice and as_str(deploy.get(invoice)):
                key['callback'] = as_str(deploy.get(invoice))
            new = [i for i in _ids(body.get('servers')) if i not in before]
            return new

        new = wait_for(poll, lambda ids: bool(ids) or 'callback' in key, timeout,
                       lambda ids: 'invoice %s, no deploy started yet' % invoice, 'HOSTKEY to start deploying invoice %s' % invoice,
                       sleep=self.client.sleep, clock=self.client.clock)
        server_id = None
        if 'callback' in key:
            body = self.client.wait_callback(key['callback'], timeout, 'the deploy of invoice %s' % invoice)
            context = body.get('context') if isinstance(body.get('context'), dict) else {}
            server_id = as_str(context.get('id'))
            new = [i for i in _ids(self.refresh().get('servers')) if i not in before]
        if not server_id:
            matches = [s for s in (self.get(i) for i in new) if (s.name or '').lower() == spec['name'].lower()]
            server_id = matches[0].id if matches else (new[0] if len(new) == 1 else None)
        if not server_id:
            raise ApiError('HOSTKEY deployed invoice %s but the new server cannot be identified; find it in the panel.'
                           % invoice, provider='hostkey')
        server = self.get(server_id)
        if (server.name or '').lower() != spec['name'].lower():
            self.client.call('eq', 'rename_server', fields={'id': server_id, 'hostname': spec['name']})
            TagsOf(self.client).set(server_id, 'hostname', spec['name'], system=True)
            server = self.get(server_id)
        return server

    def reinstall(self, server, spec):
        validate_root_password(spec.get('root_password'))
        fields = {'id': server.id, 'os_id': self._os_id(spec['image']), 'root_pass': spec['root_password'],
                  'hostname': server.name}
        keys = spec.get('ssh_key_texts') or []
        if keys:
            fields['ssh_key'] = keys[0]
        if self.client.pin:
            fields['pin'] = self.client.pin
        self.refresh()
        body = self.client.call('eq', 'order_instance', fields=fields, idempotent=False)
        key = as_str(body.get('callback'))
        if key and spec.get('wait', True):
            self.client.wait_callback(key, spec.get('wait_timeout') or DEPLOY_TIMEOUT, 'the reinstall of %s' % server.id)
        return self.get(server.id)

    def delete(self, server, options):
        fields = {'id': server.id, 'cancellation_type': options.get('cancellation_type', 1),
                  'cancellation_reason': 'hostcraft.cloud state=absent',
                  'terminate_reason_custom': 'hostcraft.cloud state=absent'}
        body = self.client.call('whmcs', 'request_cancellation', fields=fields, idempotent=False)
        key = as_str(body.get('callback'))
        if key and options.get('wait', True):
            self.client.wait_callback(key, options.get('wait_timeout') or ACTION_TIMEOUT,
                                      'the cancellation of %s' % server.id)

    @staticmethod
    def editable(server):
        return set()


def validate_root_password(password):
    """HOSTKEY's rules (section 5.1): 8-30 characters, upper, lower, digit and special; no @ or #."""
    if not password:
        raise ValidationError('HOSTKEY needs root_password here.')
    text = str(password)
    if not (8 <= len(text) <= 30) or not re.search(r'[A-Z]', text) or not re.search(r'[a-z]', text) \
            or not re.search(r'[0-9]', text) or not re.search(r'[^A-Za-z0-9]', text) or re.search(r'[@#\s]', text):
        raise ValidationError('root_password does not meet HOSTKEY\'s rules: 8-30 characters with upper and lower case '
                              'letters, a digit and a special character, and no @, # or spaces.')


class HostkeyPower(PowerAPI):

    def __init__(self, client, timeout=ACTION_TIMEOUT):
        self.client = client
        self.timeout = timeout

    def state(self, server_id):
        body = self.client.action('eq', 'status', {'id': server_id}, self.timeout, 'the power status of %s' % server_id)
        text = (parse_scope(body).get('text') or as_str(body.get('debug')) or '').lower()
        if re.search(r'\b(up|is on|power is on|running)\b', text):
            state = 'running'
        elif re.search(r'\b(down|is off|power is off|stopped)\b', text):
            state = 'stopped'
        else:
            state = 'unknown'
        return PowerState(server_id=server_id, power_state=state, locked=False)

    def start(self, server_id):
        self.client.action('eq', 'on', {'id': server_id}, self.timeout, 'powering on %s' % server_id, pin=True)

    def stop(self, server_id, hard=False):
        self.client.action('eq', 'hard_off' if hard else 'off', {'id': server_id}, self.timeout,
                           'powering off %s' % server_id, pin=True)

    def restart(self, server_id, hard=False):
        if hard:
            self.client.action('eq', 'hard_off', {'id': server_id}, self.timeout, 'powering off %s' % server_id, pin=True)
            self.client.action('eq', 'on', {'id': server_id}, self.timeout, 'powering on %s' % server_id, pin=True)
        else:
            self.client.action('eq', 'reboot', {'id': server_id}, self.timeout, 'rebooting %s' % server_id, pin=True)


def _normalize_ptr(value):
    text = (value or '').strip().lower().rstrip('.')
    return text + '.' if text else None


class HostkeyPtrs(PtrAPI):
    """PTRs are per (server, IP); several PTRs per IP are one newline-separated set."""

    needs_server = True

    def __init__(self, client, servers):
        self.client = client
        self.servers = servers

    def server_of(self, ip):
        ids = _ids(self.client.call('eq', 'list', fields={'ip': ip}).get('servers'))
        if not ids:
            raise NotFound('IP address %s not found on any HOSTKEY server of this account.' % ip, provider='hostkey')
        return ids[0]

    def get_all(self, ip, server_id=None):
        server_id = server_id or self.server_of(ip)
        body = self.client.call('ip', 'get_ptr', fields={'id': server_id, 'ip': ip})
        message = body.get('message')
        values = message if isinstance(message, list) else str(message or '').split('\n')
        return server_id, sorted(set(v for v in (_normalize_ptr(as_str(x)) for x in values) if v))

    def get(self, ip, server_id=None):
        dummy, values = self.get_all(ip, server_id)
        return Ptr(ip=ip, ptr='\n'.join(values) or None)

    def set(self, ip, ptr, server_id=None):
        server_id = server_id or self.server_of(ip)
        self.client.call('ip', 'update_ptr', fields={'id': server_id, 'ip': ip, 'ptr': ptr})
        return Ptr(ip=ip, ptr=_normalize_ptr(ptr))

    def reset(self, ip, server_id=None):
        server_id = server_id or self.server_of(ip)
        self.client.call('ip', 'update_ptr', fields={'id': server_id, 'ip': ip, 'ptr': ''})
        return Ptr(ip=ip, ptr=None)

    def is_default(self, ptr):
        return not ptr


class TagsOf(TagAPI):

    def __init__(self, client):
        self.client = client

    def _rows(self, server_id):
        body = self.client.call('tags', 'list', fields={'id': server_id, 'component': 'eq'})
        return [t for t in as_list(body.get('tags')) if isinstance(t, dict)]

    def list(self, server_id):
        user = {}
        for row in self._rows(server_id):
            name = as_str(row.get('tag'))
            if name and name.lower() not in SYSTEM_TAGS and not as_bool(row.get('internal')):
                user[name] = as_str(row.get('value')) or ''
        return user

    def set(self, server_id, name, value, system=False):
        if not system and self.protected(name):
            raise ValidationError('the HOSTKEY tag "%s" %s.' % (name, self.protected(name)))
        self.client.call('tags', 'add', fields={'id': server_id, 'tag': name, 'value': value or '', 'component': 'eq'},
                         idempotent=True)  # an upsert: safe to repeat

    def remove(self, server_id, name):
        try:
            self.client.call('tags', 'remove', fields={'id': server_id, 'tag': name, 'component': 'eq',
                                                       'component_id': server_id})
        except NotFound:
            pass

    def protected(self, name):
        if name.lower() in SYSTEM_TAGS:
            return 'is a system tag HOSTKEY maintains itself (hostname, OS, Password, user_name, order_origin, webpanel)'
        if len(name) > 32:
            return 'is longer than the 32 characters HOSTKEY allows'
        return None


class HostkeySshKeys(SshKeyAPI):

    def __init__(self, client):
        self.client = client

    @staticmethod
    def _to_key(item):
        public_key = as_str(item.get('key'))
        return SshKey(id=as_str(item.get('id')), name=as_str(item.get('name')),
                      fingerprint=safe_fingerprint(public_key) if public_key else None, public_key=public_key)

    def list(self):
        body = self.client.call('ssh_keys', 'list')
        items = body.get('sshkeys', body.get('data'))
        return [self._to_key(i) for i in as_list(items) if isinstance(i, dict)]

    def create(self, name, public_key):
        body = self.client.call('ssh_keys', 'add', params={'name': name, 'key': public_key, 'default': 0}, idempotent=False)
        item = body.get('sshkey', body.get('data'))
        if isinstance(item, dict) and item.get('id') is not None:
            key = self._to_key(item)
            key.public_key = key.public_key or public_key
            key.fingerprint = safe_fingerprint(public_key)
            return key
        return None

    def delete(self, key):
        try:
            self.client.call('ssh_keys', 'delete', fields={'id': key.id})
        except NotFound:
            pass


class HostkeyApiKeys(ApiKeyAPI):
    fields = frozenset(('server', 'allowed_ips', 'active', 'notify_method', 'notify_address'))

    def __init__(self, client, api_key):
        self.client = client
        self.api_key = api_key or ''

    @staticmethod
    def _to_key(item):
        ips = [ip for ip in re.split(r'[\s,]+', as_str(item.get('ip')) or '') if ip]
        server = as_str(item.get('server_id'))
        data = dict((k, v) for k, v in item.items() if k != 'api_key')
        return ApiKey(id=as_str(item.get('id')), name=as_str(item.get('name')),
                      server=None if server in (None, '0', '') else server, allowed_ips=ips,
                      active=as_bool(item.get('active')), scopes=None,
                      notify_method=as_str(item.get('login_notify_method')),
                      notify_address=as_str(item.get('login_notify_address')) or None, secret=None, provider_data=data)

    def list(self, server_id=None):
        if server_id:
            body = self.client.call('api_keys', 'list_for_server', params={'server_id': server_id})
        else:
            body = self.client.call('api_keys', 'list')
        return [self._to_key(i) for i in as_list(body.get('data')) if isinstance(i, dict)]

    @staticmethod
    def _params(spec, current=None):
        def pick(field, default):
            if spec.get(field) is not None:
                return spec[field]
            if current is not None and getattr(current, field) is not None:
                return getattr(current, field)
            return default
        params = {
            'name': spec.get('name') or (current.name if current else None),
            'login_notify_method': pick('notify_method', 'none'),
            'active': 1 if pick('active', True) else 0,
        }
        ips = pick('allowed_ips', None)
        if ips is not None:
            params['ip'] = ', '.join(ips)
        address = pick('notify_address', None)
        if address is not None:
            params['login_notify_address'] = address
        return params

    def create(self, spec):
        params = self._params(spec)
        if spec.get('server'):
            params['server_id'] = spec['server']
        body = self.client.call('api_keys', 'add', params=params, idempotent=False)
        data = body.get('data') if isinstance(body.get('data'), dict) else {}
        key = self._to_key(data) if data.get('id') is not None else None
        if key is None:
            return None
        key.secret = as_str(data.get('api_key'))
        if key.secret:
            self.client.http.redact.add(key.secret)
        return key

    def update(self, key, spec):
        params = self._params(spec, key)
        params['id'] = key.id
        if key.server:
            params['server_id'] = key.server
        self.client.call('api_keys', 'edit', params=params)
        return None

    def delete(self, key):
        try:
            self.client.call('api_keys', 'delete', params={'id': key.id})
        except NotFound:
            pass

    def in_use(self, key):
        view = as_str((key.provider_data or {}).get('token_view')) or ''
        return bool(view) and self.api_key.startswith(view)


class HostkeyDns(DnsAPI):
    """pdns.php: reads two zone shapes; writes whole record sets (``set_writes``)."""

    set_writes = True

    def __init__(self, client):
        self.client = client

    def _zone_data(self, zone):
        try:
            body = self.client.call('pdns', 'view_zone', params={'zone': zone})
        except NotFound:
            raise NotFound('DNS zone %s not found at HOSTKEY.' % zone, provider='hostkey')
        data = body.get('data')
        if isinstance(data, list):
            data = data[0] if data else None
        if not isinstance(data, dict):
            raise NotFound('DNS zone %s not found at HOSTKEY.' % zone, provider='hostkey')
        return data

    def list_records(self, zone):
        data = self._zone_data(zone)
        records = []
        if 'rrsets' in data:  # PowerDNS shape
            for rrset in as_list(data.get('rrsets')):
                rtype = (as_str(rrset.get('type')) or '').upper()
                for row in as_list(rrset.get('records')):
                    if not isinstance(row, dict) or as_bool(row.get('disabled')):
                        continue
                    records.append(DnsRecord(None, as_str(rrset.get('name')), rtype, _unquote_txt(rtype, as_str(row.get('content'))),
                                             as_int(rrset.get('ttl')), row))
        else:  # flat shape
            for row in as_list(data.get('records')):
                if not isinstance(row, dict):
                    continue
                rtype = (as_str(row.get('type')) or '').upper()
                value = _unquote_txt(rtype, as_str(row.get('content')))
                priority = as_int(row.get('priority'))
                if rtype in ('MX', 'SRV') and priority is not None and not re.match(r'^[0-9]+\s', value or ''):
                    value = '%d %s' % (priority, value)
                records.append(DnsRecord(as_str(row.get('id')), as_str(row.get('name')), rtype, value,
                                         as_int(row.get('ttl')), row))
        return records

    @staticmethod
    def _params(zone, name, rtype, values, ttl=None):
        # PowerDNS keeps TXT content quoted; the module speaks unquoted values.
        values = ['"%s"' % v.replace('"', '\\"') if rtype == 'TXT' else v for v in values]
        params = {'zone': zone, 'name': name, 'type': rtype}
        if rtype in ('A', 'AAAA', 'NS', 'MX'):
            params['content'] = list(values)
        else:
            params['content'] = values[0] if len(values) == 1 else list(values)
        if ttl is not None:
            params['ttl'] = ttl
        return params

    def replace_set(self, zone, name, rtype, values, ttl):
        """Make (name, type) hold exactly ``values`` with one ``add_dns``; verified by a re-read."""
        self.client.call('pdns', 'add_dns', params=self._params(zone, name, rtype, values, ttl), idempotent=False)

    def delete_set(self, zone, name, rtype, values=None):
        params = {'zone': zone, 'name': name, 'type': rtype}
        if values:
            params['content'] = self._params(zone, name, rtype, values)['content']
            params['content'] = params['content'] if isinstance(params['content'], list) else [params['content']]
        try:
            self.client.call('pdns', 'delete_dns', params=params)
        except NotFound:
            pass


def _unquote_txt(rtype, value):
    if rtype == 'TXT' and value and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


class HostkeyProvider(Provider):
    name = 'hostkey'
    title = 'HOSTKEY'
    default_url = 'https://invapi.hostkey.com'
    credentials = (
        Credential('hostkey_api_key', 'HOSTKEY_API_KEY'),
        Credential('hostkey_pin', 'HOSTKEY_PIN', required=False),
    )
    capabilities = CAPABILITIES

    def __init__(self, options, pool_size=10):
        super().__init__(options)
        redactor = Redactor([options.get('hostkey_api_key'), options.get('hostkey_pin')])
        self.http = self.http_client('HOSTKEY', pool_size, redactor=redactor)
        self.client = HostkeyClient(self.http, options.get('hostkey_api_key'), options.get('hostkey_pin'))
        self.http.redact = redactor
        self._servers = None

    @property
    def servers(self):
        if self._servers is None:
            self._servers = HostkeyServers(self.client, self)
        return self._servers

    @property
    def power(self):
        return HostkeyPower(self.client)

    @property
    def ptrs(self):
        return HostkeyPtrs(self.client, self.servers)

    @property
    def dns(self):
        return HostkeyDns(self.client)

    @property
    def tags(self):
        return TagsOf(self.client)

    @property
    def sshkeys(self):
        return HostkeySshKeys(self.client)

    @property
    def api_keys(self):
        return HostkeyApiKeys(self.client, self.options.get('hostkey_api_key'))

    def images(self, location=None):
        images = []
        for item in as_list(self.client.call('os', 'list', auth=False).get('os_list')):
            if isinstance(item, dict) and as_bool(item.get('active')) is not False:
                images.append({'provider': 'hostkey', 'kind': 'os', 'id': as_str(item.get('id')),
                               'name': as_str(item.get('name')), 'locations': None, 'provider_data': copy.deepcopy(item)})
        presets = {}
        for loc in ([location] if location else LOCATIONS):
            try:
                body = self.client.call('presets', 'list', fields={'location': loc}, auth=False)
            except ApiError:
                continue
            for item in as_list(body.get('presets')):
                if isinstance(item, dict) and as_str(item.get('id')) not in presets:
                    presets[as_str(item.get('id'))] = {
                        'provider': 'hostkey', 'kind': 'preset', 'id': as_str(item.get('id')), 'name': as_str(item.get('name')),
                        'locations': [x for x in (as_str(item.get('locations')) or '').split(',') if x] or None,
                        'provider_data': item}
        images.extend(presets.values())
        return sorted(images, key=lambda i: (i['kind'], i['name'] or ''))
