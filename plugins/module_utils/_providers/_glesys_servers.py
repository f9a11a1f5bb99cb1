# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""GleSYS servers, power, reverse DNS, catalog and API-key introspection (providers/glesys.md 6, 8, 9).

Every function takes a :class:`GlesysClient`; only the arguments each function declares are
sent (the API rejects undeclared ones with HTTP 400).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    ApiKey,
    PowerState,
    Ptr,
    Server,
    as_bool,
    as_int,
    as_list,
    as_str,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import ApiKeyAPI, PowerAPI, PtrAPI, ServerAPI

CREATE_ARGS = ('datacenter', 'platform', 'hostname', 'templatename', 'disksize', 'memorysize', 'cpucores', 'bandwidth',
               'description', 'ip', 'ipv6', 'users', 'rootpassword', 'sshkey', 'sshkeyids', 'backupschedules',
               'cloudconfig', 'cloudconfigparams', 'campaigncode')
# What ``extra`` may carry into server/create (the rest comes from the unified options).
EXTRA_CREATE_ARGS = ('description', 'ip', 'ipv6', 'backupschedules', 'cloudconfig', 'cloudconfigparams', 'campaigncode',
                     'username')
EDIT_FIELDS = {'cpu': 'cpucores', 'memory_mb': 'memorysize', 'disk_gb': 'disksize', 'bandwidth': 'bandwidth',
               'description': 'description'}


def _addresses(item):
    ipv4, ipv6 = [], []
    for entry in as_list(item.get('iplist')):
        if not isinstance(entry, dict):
            continue
        address = as_str(entry.get('ipaddress'))
        if not address:
            continue
        version = as_int(entry.get('version')) or as_int(entry.get('ipversion')) or (6 if ':' in address else 4)
        (ipv6 if version == 6 else ipv4).append(address)
    return ipv4, ipv6


def power_of(item):
    """``running``/``stopped``/``unknown`` from ``isrunning`` or the deprecated ``state``."""
    if item.get('isrunning') not in ('', None):
        return 'running' if as_bool(item.get('isrunning')) else 'stopped'
    state = (as_str(item.get('state')) or '').lower()
    if state in ('running', 'stopped'):
        return state
    return 'unknown'


def status_of(item):
    """``locked`` while a background job runs, else the power state; None when not known."""
    if as_bool(item.get('islocked')) or (as_str(item.get('state')) or '').lower() == 'locked':
        return 'locked'
    power = power_of(item)
    return None if power == 'unknown' else power


def to_server(item, server_id=None):
    """Normalize a ``server/list`` item or a ``server/details`` object."""
    ipv4, ipv6 = _addresses(item)
    template = item.get('initialtemplate') if isinstance(item.get('initialtemplate'), dict) else {}
    data = dict(item)
    if server_id and not data.get('serverid'):
        data['serverid'] = server_id
    return Server(
        provider='glesys', id=as_str(data.get('serverid')), name=as_str(item.get('hostname')),
        status=status_of(item), power_state=power_of(item), location=as_str(item.get('datacenter')),
        image=as_str(item.get('templatename')) or as_str(template.get('name')), plan=None,
        cpu=as_int(item.get('cpucores')), memory_mb=as_int(item.get('memorysize')), disk_gb=as_int(item.get('disksize')),
        ipv4=ipv4, ipv6=ipv6, public_ipv4=ipv4[0] if ipv4 else None, tags={}, created=None, provider_data=data)


class GlesysServers(ServerAPI):

    def __init__(self, client):
        self.client = client
        self._list_has_details = None

    def list(self):
        items = [i for i in as_list(self.client.call('server/list').get('servers')) if isinstance(i, dict)]
        self._list_has_details = bool(items) and all('iplist' in i and 'isrunning' in i for i in items)
        return [to_server(i) for i in items]

    def details_complete(self):
        return bool(self._list_has_details)

    def get(self, server_id):
        try:
            payload = self.client.call('server/details', {'serverid': server_id, 'includestate': 'yes'})
        except NotFound:
            raise NotFound('GleSYS server %s not found.' % server_id, provider='glesys')
        item = payload.get('server')
        if not isinstance(item, dict):
            raise NotFound('GleSYS server %s not found (server/details returned no server).' % server_id,
                           provider='glesys')
        return to_server(item, server_id)

    @staticmethod
    def validate_create(spec):
        """Everything server/create needs, checked before any call."""
        missing = [opt for opt in ('location', 'image', 'cpu', 'memory_mb', 'disk_gb') if spec.get(opt) in (None, '')]
        if missing:
            raise ValidationError('GleSYS needs %s to create server "%s".' % (', '.join(missing), spec['name']))
        extra = spec.get('extra') or {}
        unknown = sorted(set(extra) - set(EXTRA_CREATE_ARGS))
        if unknown:
            raise ValidationError('extra has keys GleSYS server/create does not take: %s (allowed: %s).'
                                  % (', '.join(unknown), ', '.join(EXTRA_CREATE_ARGS)))
        platform = (spec.get('platform') or 'KVM')
        if platform.lower() not in ('kvm', 'vmware'):
            raise ValidationError('platform must be KVM or VMware for GleSYS, not %s.' % platform)
        if platform.lower() == 'vmware' and not spec.get('root_password'):
            raise ValidationError('GleSYS needs root_password to create a VMware server.')

    def create(self, spec):
        extra = dict(spec.get('extra') or {})
        platform = 'VMware' if (spec.get('platform') or 'KVM').lower() == 'vmware' else 'KVM'
        args = {
            'datacenter': spec['location'], 'platform': platform, 'hostname': spec['name'],
            'templatename': spec['image'], 'disksize': spec['disk_gb'], 'memorysize': spec['memory_mb'],
            'cpucores': spec['cpu'], 'bandwidth': spec.get('bandwidth') or 100,
            'ip': extra.pop('ip', 'any'), 'ipv6': extra.pop('ipv6', 'any'),
        }
        username = extra.pop('username', None) or 'hostcraft'
        keys = spec.get('ssh_key_texts') or []
        if platform == 'KVM':
            user = {'username': username, 'sshkeys': keys}
            if spec.get('root_password'):
                user['password'] = spec['root_password']
            args['users'] = [user]
        else:
            args['rootpassword'] = spec['root_password']
            if spec.get('ssh_key_ids'):
                args['sshkeyids'] = ','.join(spec['ssh_key_ids'])
            elif keys:
                args['sshkey'] = keys[0]
        args.update(extra)
        payload = self.client.call('server/create', args, idempotent=False)
        item = payload.get('server')
        return to_server(item) if isinstance(item, dict) and item.get('serverid') else None

    def update(self, server, changes):
        args = {'serverid': server.id}
        for key, value in changes.items():
            args[EDIT_FIELDS[key]] = value
        payload = self.client.call('server/edit', args)
        item = payload.get('server')
        return to_server(item, server.id) if isinstance(item, dict) else None

    def delete(self, server, options):
        try:
            self.client.call('server/destroy', {'serverid': server.id, 'keepip': 'yes' if options.get('keep_ips') else 'no'})
        except NotFound:
            pass

    @staticmethod
    def image_matches(server, image):
        """Whether ``image`` names the server's template (name, initial template name/id or tag)."""
        data = server.provider_data or {}
        template = data.get('initialtemplate') if isinstance(data.get('initialtemplate'), dict) else {}
        names = [server.image, as_str(template.get('name')), as_str(template.get('id'))]
        names += [as_str(t) for t in as_list(template.get('currenttags'))]
        return image.lower() in [n.lower() for n in names if n]

    @staticmethod
    def editable(server):
        """Which normalized fields ``server/edit`` can change for this server."""
        fields = {'cpu', 'memory_mb', 'disk_gb', 'description'}
        data = server.provider_data or {}
        features = data.get('supportedfeatures') if isinstance(data.get('supportedfeatures'), dict) else {}
        if (server.provider_data or {}).get('platform', '').lower() != 'kvm' and as_bool(features.get('editbandwidth')):
            fields.add('bandwidth')
        return fields


class GlesysPower(PowerAPI):

    def __init__(self, client):
        self.client = client

    def state(self, server_id):
        try:
            payload = self.client.call('server/status', {'serverid': server_id})
        except NotFound:
            raise NotFound('GleSYS server %s not found.' % server_id, provider='glesys')
        item = payload.get('server') if isinstance(payload.get('server'), dict) else {}
        state = (as_str(item.get('state')) or '').lower()
        return PowerState(server_id=server_id, power_state=state if state in ('running', 'stopped') else 'unknown',
                          locked=state == 'locked')

    def start(self, server_id):
        self.client.call('server/start', {'serverid': server_id})

    def stop(self, server_id, hard=False):
        self.client.call('server/stop', {'serverid': server_id, 'type': 'hard' if hard else 'soft'})

    def restart(self, server_id, hard=False):
        if hard:
            self.client.call('server/reset', {'serverid': server_id})
        else:
            self.client.call('server/reboot', {'serverid': server_id})


def normalize_ip(ip):
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        raise ValidationError('%r is not an IP address.' % ip)


class GlesysPtrs(PtrAPI):

    def __init__(self, client):
        self.client = client

    def _details(self, function, args, ip):
        try:
            payload = self.client.call(function, args)
        except NotFound as exc:
            raise NotFound('IP address %s not found in the GleSYS project (%s).' % (ip, exc), provider='glesys')
        details = payload.get('details') if isinstance(payload.get('details'), dict) else {}
        return Ptr(ip=ip, ptr=as_str(details.get('ptr')) or None), details

    def get(self, ip, server_id=None):
        return self._details('ip/details', {'ipaddress': ip}, ip)[0]

    def details(self, ip):
        return self._details('ip/details', {'ipaddress': ip}, ip)[1]

    def set(self, ip, ptr, server_id=None):
        return self._details('ip/setptr', {'ipaddress': ip, 'data': ptr}, ip)[0]

    def reset(self, ip, server_id=None):
        return self._details('ip/resetptr', {'ipaddress': ip}, ip)[0]

    def is_default(self, ptr):
        return not ptr or '-static.' in ptr.lower()


def list_images(client):
    templates = client.call('server/templates').get('templates')
    images = []
    if isinstance(templates, dict):
        groups = templates.items()
    else:
        groups = [(None, as_list(templates))]
    for platform, items in groups:
        for item in as_list(items):
            if not isinstance(item, dict):
                continue
            images.append({
                'provider': 'glesys', 'id': as_str(item.get('id')), 'name': as_str(item.get('name')),
                'platform': as_str(item.get('platform')) or platform,
                'os': as_str(item.get('operatingsystem')),
                'min_disk_gb': as_int(item.get('minimumdisksize')), 'min_memory_mb': as_int(item.get('minimummemorysize')),
                'provider_data': item,
            })
    return sorted(images, key=lambda i: (i['platform'] or '', i['name'] or ''))


def api_key_info(client, project):
    """What the current key may do: ``api/listfunctions`` (no key management exists over the API)."""
    modules = client.call('api/listfunctions').get('modules')
    scopes = []
    if isinstance(modules, dict):
        for module, functions in sorted(modules.items()):
            for function in as_list(functions):
                name = as_str(function.get('function')) if isinstance(function, dict) else as_str(function)
                if name:
                    scopes.append('%s/%s' % (module, name))
    return ApiKey(id=None, name=project, server=None, allowed_ips=None, active=True, scopes=sorted(scopes),
                  notify_method=None, notify_address=None, secret=None, provider_data={'projectkey': project})


class GlesysApiKeys(ApiKeyAPI):
    """Read-only: the one key in use (no key management exists over the API; ``api_key`` fails first)."""

    fields = frozenset()

    def __init__(self, client, project):
        self.client = client
        self.project = project

    def list(self, server_id=None):
        if server_id is not None:
            return []  # GleSYS keys belong to the project, never to one server
        return [api_key_info(self.client, self.project)]
