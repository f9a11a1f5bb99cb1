# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""``server`` and ``server_info``: identity by name, create/update/delete, bounded waits."""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Resource, create_once, reconcile, wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import Server, key_material, split_public_key
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import provider_class
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.tag import sync_tags
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.common import (
    ambiguous,
    find_server,
    wait_unlocked,
)

# Options that only some providers take: provider -> option -> reason it cannot.
UNSUPPORTED_OPTIONS = {
    'glesys': {
        'plan': 'GleSYS has no plans; set cpu, memory_mb and disk_gb',
        'tags': 'GleSYS servers have no tags or labels',
        'ports': 'port bindings are a Skyport feature',
        'user': 'server owners are a Skyport feature',
        'hostname': 'GleSYS keeps no hostname apart from the name',
    },
    'hostkey': {
        'cpu': 'HOSTKEY sizes servers by preset; set plan',
        'memory_mb': 'HOSTKEY sizes servers by preset; set plan',
        'disk_gb': 'HOSTKEY sizes servers by preset; set plan',
        'bandwidth': 'HOSTKEY sets bandwidth through traffic plans (extra.traffic_plan)',
        'platform': 'HOSTKEY has no platform choice',
        'ports': 'port bindings are a Skyport feature',
        'user': 'server owners are a Skyport feature',
        'hostname': 'HOSTKEY keeps the hostname as the name',
        'keep_ips': 'HOSTKEY releases the addresses with the server',
    },
    'serverspace': {
        'plan': 'Serverspace has no plans; set cpu, memory_mb and disk_gb',
        'platform': 'Serverspace has no platform choice',
        'root_password': 'the Serverspace API takes no root password (it generates one; use ssh_keys)',
        'ports': 'port bindings are a Skyport feature',
        'user': 'server owners are a Skyport feature',
        'hostname': 'Serverspace keeps the hostname as the name',
        'keep_ips': 'Serverspace releases the addresses with the server',
    },
    'hostup': {
        'location': 'HostUp VPS are ordered in the customer portal; the API manages existing VPS only',
        'image': 'HostUp installs the OS when a VPS is ordered in the customer portal; reinstalls are not offered here',
        'plan': 'HostUp VPS are ordered in the customer portal; the API manages existing VPS only',
        'cpu': 'HostUp VPS are resized in the customer portal',
        'memory_mb': 'HostUp VPS are resized in the customer portal',
        'disk_gb': 'HostUp VPS are resized in the customer portal',
        'bandwidth': 'HostUp sets bandwidth with the product ordered in the customer portal',
        'platform': 'HostUp has no platform choice',
        'ssh_keys': 'HostUp installs SSH keys when a VPS is ordered (manage stored keys with hostcraft.cloud.sshkey)',
        'root_password': 'HostUp VPS are ordered in the customer portal; the API manages existing VPS only',
        'tags': 'the HostUp API shows VPS tags but cannot set them',
        'extra': 'HostUp VPS are ordered in the customer portal; there are no create arguments',
        'ports': 'port bindings are a Skyport feature',
        'user': 'server owners are a Skyport feature',
        'allow_paid': 'HostUp orders and cancels nothing over the API',
        'keep_ips': 'HostUp cancels VPS in the customer portal only',
    },
    'skyport': {
        'plan': 'Skyport instances have no plans; set memory_mb and cpu',
        'disk_gb': 'the Skyport deploy takes no disk size',
        'bandwidth': 'the Skyport deploy takes no bandwidth',
        'platform': 'Skyport has no platform choice',
        'ssh_keys': 'Skyport instances are containers on a node; there are no SSH keys to install',
        'root_password': 'Skyport instances are containers on a node; there is no root password',
        'tags': 'Skyport instances have no tags',
        'hostname': 'Skyport keeps no hostname apart from the name',
        'allow_paid': 'a Skyport panel charges nothing through its API',
        'keep_ips': 'Skyport instances use their node\'s address',
    },
}
SIZE_FIELDS = ('cpu', 'memory_mb', 'disk_gb', 'bandwidth')


def diff_view(server):
    """The normalized server without ``provider_data`` (results carry it, diffs do not)."""
    if server is None:
        return {}
    data = server.to_dict()
    data.pop('provider_data', None)
    return data


def _same_key(stored, text):
    try:
        return key_material(stored) == key_material(text)
    except ValidationError:
        return False


def _is_key_text(value):
    return len(value.split()) >= 2 and value.split()[0].startswith(('ssh-', 'ecdsa-', 'sk-'))


class ServerResource(Resource):

    def __init__(self, provider, params, check_mode):
        self.provider = provider
        self.api = provider.servers
        self.params = params
        self.check_mode = check_mode
        self.name = params['name']
        self.timeout = params['wait_timeout']
        self.extra = dict(params.get('extra') or {})
        self.hostname_change = None  # what the API reported when the hostname was set (HostUp)
        self.shown = None  # the last server turned into a view: the after-state once reconcile is done

    def find(self):
        matches = self.api.by_name(self.name)
        if len(matches) > 1 and hasattr(self.api, 'narrow'):
            matches = self.api.narrow(matches, self.params)  # Skyport: names repeat across nodes and owners
        if len(matches) > 1:
            raise ambiguous(self.provider, self.name, matches)
        if not matches:
            return None
        found = self.api.detailed(matches[0])
        if self.params.get('hostname') is not None:
            # Providers that keep a hostname apart from the name (HostUp) read it only when it is managed.
            found.provider_data = dict(found.provider_data or {}, hostname=self.api.read_hostname(found))
        return found

    def view(self, obj):
        self.shown = obj
        data = diff_view(obj)
        if data and self.params.get('hostname') is not None:
            data['hostname'] = (obj.provider_data or {}).get('hostname')
        return data

    # --- create ----------------------------------------------------------------------------

    def spec(self):
        return dict((k, self.params.get(k)) for k in ('name', 'location', 'image', 'plan', 'cpu', 'memory_mb', 'disk_gb',
                                                      'bandwidth', 'platform', 'root_password', 'extra', 'wait',
                                                      'wait_timeout', 'tags', 'ports', 'user'))

    def check_create(self):
        self.api.validate_create(self.spec())

    def _ssh_keys(self):
        """Public key texts (and stored ids) for ``ssh_keys``: names resolved through the key store."""
        texts, ids, names = [], [], []
        for entry in self.params.get('ssh_keys') or []:
            (texts if _is_key_text(entry) else names).append(entry.strip())
        by_id = getattr(self.api, 'ssh_keys_by_id', False)
        if names or (texts and by_id):
            stored = self.provider.sshkeys.list()
            if by_id:
                for text in texts:
                    found = [k for k in stored if k.public_key and _same_key(k.public_key, text)]
                    if not found:
                        raise NotFound('%s installs only stored SSH keys, and this public key is not stored; add it with '
                                       'hostcraft.cloud.sshkey first, or name a stored key.' % self.provider.title)
                    ids.append(str(found[0].id))
            for name in names:
                found = [k for k in stored if k.name == name]
                if not found:
                    raise NotFound('SSH key "%s" not found at %s (ssh_keys names a stored key or gives a public key).'
                                   % (name, self.provider.title))
                texts.append(found[0].public_key)
                ids.append(str(found[0].id))
        return texts, ids

    def predict_create(self):
        self._ssh_keys()  # an unknown key name fails in check mode too
        return Server(provider=self.provider.name, id=None, name=self.name, status=None, power_state='running',
                      location=self.params.get('location'), image=self.params.get('image'), plan=self.params.get('plan'),
                      cpu=self.params.get('cpu'), memory_mb=self.params.get('memory_mb'), disk_gb=self.params.get('disk_gb'),
                      ipv4=[], ipv6=[], public_ipv4=None, tags=self.params.get('tags') or {}, created=None,
                      provider_data={})

    def create(self):
        spec = self.spec()
        spec['ssh_key_texts'], spec['ssh_key_ids'] = self._ssh_keys()
        return self.api.create(spec)

    def after_create(self, created):
        if created is None:  # ordered, not waited for: nothing to show yet
            return self.predict_create()
        if self.params.get('tags') and not getattr(self.api, 'tags_on_create', False):
            self._sync_tags(created, self.params['tags'])
        if not self.params['wait']:
            return self.api.get(created.id)
        return wait_for(lambda: self.api.get(created.id), self.api.ready, self.timeout,
                        lambda s: 'status %s, power %s' % (s.status, s.power_state),
                        'new server %s (%s) to be running and unlocked' % (self.name, created.id))

    # --- update ----------------------------------------------------------------------------

    def changes(self, current):
        if getattr(self.api, 'replace_only', False):
            return self._replacement(current)
        data = current.provider_data or {}
        for option, have in (('location', current.location), ('platform', data.get('platform'))):
            want = self.params.get(option)
            if want is not None and str(want).lower() != str(have or '').lower():
                raise ValidationError('server "%s" is in %s %s; %s cannot move it to %s (delete and recreate it).'
                                      % (self.name, option, have, self.provider.title, want))
        plan = self.params.get('plan')
        if plan is not None and plan not in (current.plan, (current.provider_data or {}).get('preset_id')):
            raise ValidationError('server "%s" has plan %s; %s cannot change the plan in place (change it in the '
                                  'provider\'s panel, or delete and recreate the server).'
                                  % (self.name, current.plan, self.provider.title))
        changes = {}
        image = self.params.get('image')
        if image is not None and not self.api.image_matches(current, image):
            if not self.api.can_reinstall:
                raise ValidationError('server "%s" runs image "%s"; changing it to "%s" needs a reinstall, which %s does '
                                      'not offer through this collection (delete and recreate it).'
                                      % (self.name, current.image, image, self.provider.title))
            if not self.params['force']:
                raise ValidationError('server "%s" runs image "%s"; changing it to "%s" reinstalls the server and wipes '
                                      'its disks. Set force: true to do that.' % (self.name, current.image, image))
            changes['image'] = image
        wanted_tags = self.params.get('tags')
        if wanted_tags:
            wanted = dict((str(k), '' if v is None else str(v)) for k, v in wanted_tags.items())
            if any((current.tags or {}).get(k) != v for k, v in wanted.items()):
                changes['tags'] = wanted
        editable = self.api.editable(current)
        for option in SIZE_FIELDS:
            want = self.params.get(option)
            if want is None or want == getattr(current, option, data.get(option)):
                continue
            if option == 'bandwidth':
                if 'bandwidth' not in editable or want == data.get('bandwidth'):
                    continue
            if option == 'disk_gb' and current.disk_gb is not None and want < current.disk_gb:
                raise ValidationError('server "%s" has a %d GB disk; disks can only grow, not shrink to %d GB.'
                                      % (self.name, current.disk_gb, want))
            changes[option] = want
        description = self.extra.get('description')
        if description is not None and description != (data.get('description') or ''):
            changes['description'] = description
        hostname = self.params.get('hostname')
        if hostname is not None and not self.api.same_hostname(data.get('hostname'), hostname):
            changes['hostname'] = hostname
        return changes

    def _replacement(self, current):
        """Providers without an update route (Skyport): drift fails, or with ``force`` replaces the server."""
        drift = self.api.drift(current, self.params)
        if not drift:
            return {}
        listed = '; '.join('%s is %s, wanted %s' % (k, '(none)' if have in (None, '') else have, want)
                           for k, (have, want) in sorted(drift.items()))
        if not self.params['force']:
            raise ValidationError('server "%s" (%s) differs: %s. %s cannot change a server in place; set force: true to '
                                  'replace it (delete and deploy again: it gets a new ID and its data is lost).'
                                  % (self.name, current.id, listed, self.provider.title))
        spec = self.api.replacement_spec(current, self.params)
        self.api.validate_create(spec)
        self.api.check_delete(current, True)
        return {'replace': spec}

    def predict_update(self, current, changes):
        if 'replace' in changes:
            spec = changes['replace']
            predicted = Server(**current.to_dict())
            predicted.id, predicted.status, predicted.power_state = None, None, 'running'
            for key in ('image', 'cpu', 'memory_mb', 'location'):
                if self.params.get(key) is not None:
                    setattr(predicted, key, spec[key])
            predicted.provider_data = {}
            return predicted
        predicted = Server(**current.to_dict())
        for key, value in changes.items():
            if key == 'tags':
                predicted.tags = dict(current.tags or {}, **value)
            elif key == 'hostname':
                predicted.provider_data = dict(current.provider_data or {}, hostname=value)
            elif key in Server.FIELDS:
                setattr(predicted, key, value)
        return predicted

    def _sync_tags(self, server, wanted):
        sync_tags(self.provider, server.id, wanted, check_mode=False)

    def update(self, current, changes):
        if 'replace' in changes:
            self.delete(current)
            spec = dict(self.spec(), **changes['replace'])
            return self.after_create(create_once(lambda: self.api.create(spec), self.find, self.provider.retries()))
        changes = dict(changes)
        current = wait_unlocked(self.provider, current, self.timeout, 'before editing')
        if 'image' in changes:
            spec = self.spec()
            spec['image'] = changes.pop('image')
            spec['ssh_key_texts'], spec['ssh_key_ids'] = self._ssh_keys()
            current = self.api.reinstall(current, spec)
        if 'tags' in changes:
            self._sync_tags(current, changes.pop('tags'))
        if 'hostname' in changes:
            self.hostname_change = self.api.set_hostname(current, changes.pop('hostname'))
        if changes:
            self.api.update(current, changes)
        fresh = self.api.get(current.id)
        if self.hostname_change is not None:
            fresh.provider_data = dict(fresh.provider_data or {}, hostname=self.hostname_change.get('hostname'))
        if self.params['wait']:
            fresh = wait_unlocked(self.provider, fresh, self.timeout, 'the edit to apply')
        return fresh

    # --- delete ----------------------------------------------------------------------------

    def delete(self, current):
        current = wait_unlocked(self.provider, current, self.timeout, 'before deleting')
        self.api.delete(current, {'keep_ips': self.params.get('keep_ips'), 'wait': self.params['wait'],
                                  'wait_timeout': self.timeout, 'force': self.params['force']})
        if self.params['wait']:
            wait_for(lambda: [s for s in self.api.list() if s.id == current.id], lambda found: not found, self.timeout,
                     lambda found: 'still listed' if found else 'gone', 'server %s (%s) to disappear' % (self.name, current.id))


def _validate(hm):
    params = hm.params
    reasons = UNSUPPORTED_OPTIONS.get(params['provider'], {})
    for option, reason in sorted(reasons.items()):
        if params.get(option) not in (None, {}, [], False):
            raise ValidationError('provider %s cannot use %s: %s.' % (params['provider'], option, reason))
    for entry in params.get('ssh_keys') or []:
        if _is_key_text(entry):
            split_public_key(entry, 'ssh_keys entry')
    for option in SIZE_FIELDS + ('wait_timeout',):
        if params.get(option) is not None and params[option] <= 0:
            raise ValidationError('%s must be a positive number.' % option)
    if not params['name'].strip():
        raise ValidationError('name must not be empty.')
    provider_class(params['provider']).validate_server_params(params)


def ensure(hm):
    """``hostcraft.cloud.server``."""
    _validate(hm)
    state = hm.params['state']
    provider = hm.provider('server')
    provider.capabilities.require('server.delete' if state == 'absent' else 'server')
    if hm.params.get('hostname') is not None:
        check = getattr(provider.servers, 'validate_hostname', None)
        if check is None:  # the adapter has no set_hostname/read_hostname either
            raise ValidationError('provider %s cannot use hostname: it keeps no hostname apart from the name.'
                                  % provider.name)
        check(hm.params['hostname'])
    resource = ServerResource(provider, hm.params, hm.check_mode)
    current = resource.find()
    if current is not None and state == 'absent' and provider.servers.deleting(current):
        current = None  # its cancellation is already under way
    if current is None and state == 'present':
        provider.capabilities.require('server.create')
        if provider.servers.paid and not hm.params['allow_paid']:
            raise ValidationError('server "%s" does not exist; ordering a %s server costs money, so set allow_paid: true '
                                  'to order it.' % (hm.params['name'], provider.title))
    if current is not None and state == 'absent':
        provider.servers.check_delete(current, hm.params['force'])  # refusals are predicted in check mode too
    if current is not None and state == 'absent' and provider.servers.paid and not hm.params['allow_paid']:
        raise ValidationError('deleting server "%s" (%s) cancels a paid %s service; set allow_paid: true to request the '
                              'cancellation.' % (hm.params['name'], current.id, provider.title))
    outcome = reconcile(resource, state, hm.check_mode, retries=provider.retries(), current=current)
    result = outcome.result('server', diff=hm.diff)
    result['server'] = _final(resource, outcome)
    if result['server'] and 'hostname' in outcome.after:
        result['server'].pop('hostname', None)  # the diff shows it; the server carries it in provider_data
        result['server']['provider_data'] = dict(result['server'].get('provider_data') or {},
                                                 hostname=outcome.after['hostname'])
    if resource.hostname_change is not None:
        result['hostname_change'] = resource.hostname_change
    if getattr(provider.servers, 'warnings', None):
        result['warnings'] = list(provider.servers.warnings)
    return result


def _final(resource, outcome):
    """The after-state with ``provider_data`` (diffs leave it out): the server the resource last showed."""
    if not outcome.after:
        return {}
    return resource.shown.to_dict()


def info(hm):
    """``hostcraft.cloud.server_info``."""
    provider = hm.provider('server_info')
    params = hm.params
    if params.get('server'):
        servers = [find_server(provider, params['server'])]
    else:
        servers = provider.servers.by_name(params['name']) if params.get('name') else provider.servers.list()
        if params.get('location'):
            servers = [s for s in servers if (s.location or '').lower() == params['location'].lower()]
        servers = [provider.servers.detailed(s) for s in servers]
        for key, value in (params.get('tags') or {}).items():
            servers = [s for s in servers if key in (s.tags or {}) and (value in (None, '') or s.tags[key] == str(value))]
    return {'changed': False, 'servers': [s.to_dict() for s in sorted(servers, key=lambda s: ((s.name or ''), str(s.id)))]}
