# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""API keys: the logic behind ``api_key`` and ``api_key_info`` for every provider.

Identity is the name, plus the server when ``server`` is given (per-server keys). Only the
options the user set are compared: ``allowed_ips`` as a set of normalized networks
(``10.0.0.2`` equals ``10.0.0.2/32``), ``scopes`` as a set, ``active``, ``notify_method``
(case-insensitive) and ``notify_address``. An option the provider's keys do not have
(``ApiKeyAPI.fields``) fails before any call.

The secret exists only in the answer to ``create``: it is written to ``secret_file`` (mode
0600, replaced atomically) or returned once as ``api_key.secret``; it never appears in a
diff, in ``api_key_info``, or on a run that did not create the key. The key this collection
authenticates with (``ApiKeyAPI.in_use``) is never deleted or deactivated.

Optional adapter hooks, looked up with ``getattr``: ``ApiKeyAPI.reasons`` ({field: why the
provider lacks it}) and ``ApiKeyAPI.validate_create(spec)`` (raise ValidationError when a
create needs more than the user gave, e.g. HostUp's required scopes).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Resource, reconcile
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    HostcraftError,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import ApiKey, as_bool, as_str
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.common import find_server

# The optional fields (ApiKeyAPI.fields) and what a provider that lacks them "cannot" do.
FIELDS = ('server', 'allowed_ips', 'active', 'scopes', 'notify_method', 'notify_address')
THINGS = {
    'server': 'manage per-server API keys (server)',
    'allowed_ips': 'restrict API keys to IP addresses (allowed_ips)',
    'active': 'enable or disable API keys (active)',
    'scopes': 'limit API keys to scopes (scopes)',
    'notify_method': 'notify about the use of API keys (notify_method)',
    'notify_address': 'notify about the use of API keys (notify_address)',
}

# provider_data entries that may hold a secret (besides any value equal to the secret itself).
_SECRET_NAMES = frozenset(('api_key', 'apikey', 'key', 'secret', 'token', 'password'))
_SPLIT = re.compile(r'[\s,;]+')


# --- normalization ------------------------------------------------------------------------

def normalize_network(text, strict=True):
    """``10.0.0.2`` and ``10.0.0.2/32`` -> ``10.0.0.2``; ``10.4.6.3/24`` -> ``10.4.6.0/24``.

    With ``strict`` a value that is no address or network fails (user input); without, it is
    kept as lower-case text (a value the API holds that this collection does not understand).
    """
    value = str(text).strip()
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        if strict:
            raise ValidationError('allowed_ips: %r is not an IP address or network.' % value)
        return value.lower()
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _network_sort_key(text):
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return (9, 0, 0, text)
    return (network.version, int(network.network_address), network.prefixlen, text)


def normalize_ips(values, strict=True):
    """A sorted list of unique normalized networks; None stays None.

    Accepts a list or a string separated by commas or white space (as some APIs return it).
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = _SPLIT.split(values)
    items = []
    for value in values:
        if value is None or not str(value).strip():
            if strict:
                raise ValidationError('allowed_ips must not contain empty items.')
            continue
        items.extend(normalize_network(part, strict) for part in _SPLIT.split(str(value).strip()))
    return sorted(set(items), key=_network_sort_key)


def normalize_scopes(values, strict=True):
    """A sorted list of unique scopes (exact text, surrounding white space removed); None stays None."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    scopes = set()
    for value in values:
        text = as_str(value)
        if text is None or not text.strip():
            if strict:
                raise ValidationError('scopes must not contain empty items.')
            continue
        scopes.add(text.strip())
    return sorted(scopes)


def _text(value):
    text = as_str(value)
    return (text or '').strip()


def scrub(data, secret=None):
    """A copy of the provider's record without anything that may be a secret."""
    if not isinstance(data, dict):
        return {}
    clean = {}
    for name, value in data.items():
        if str(name).lower() in _SECRET_NAMES:
            continue
        if secret and isinstance(value, str) and secret in value:
            continue
        clean[name] = scrub(value, secret) if isinstance(value, dict) else value
    return clean


def view(key):
    """The key as results, diffs and ``api_key_info`` show it: normalized, never the secret."""
    server = key.server
    return {
        'id': as_str(key.id),
        'name': key.name,
        'server': None if server is None or server == '' else as_str(server),
        'allowed_ips': normalize_ips(key.allowed_ips, strict=False),
        'active': as_bool(key.active),
        'scopes': normalize_scopes(key.scopes, strict=False),
        'notify_method': key.notify_method,
        'notify_address': key.notify_address,
        'provider_data': scrub(key.provider_data, key.secret),
    }


# --- input checks (before any call) -------------------------------------------------------

def check_secret_file(path):
    """Fail unless ``path`` can be written: its directory exists and is writable, it is no directory."""
    if not path or not str(path).strip():
        raise ValidationError('secret_file must not be empty.')
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ValidationError('secret_file %s: the directory %s does not exist.' % (path, directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValidationError('secret_file %s: the directory %s is not writable.' % (path, directory))
    if os.path.isdir(path):
        raise ValidationError('secret_file %s is a directory.' % path)
    return path


def write_secret(path, secret):
    """Write ``secret`` and a newline to ``path``: a 0600 temp file in the same directory, then rename."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as handle:
            fd = None
            handle.write(secret + '\n')
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_fields(provider, api, names, listing=False):
    """Fail before any call for every option in ``names`` the provider's keys do not have."""
    fields = frozenset(getattr(api, 'fields', ()) or ())
    reasons = getattr(api, 'reasons', None) or {}
    for name in FIELDS:
        if name in names and name not in fields:
            thing = 'list per-server API keys (server)' if listing and name == 'server' else THINGS[name]
            reason = reasons.get(name) or '%s API keys have no such setting' % provider.title
            raise Unsupported('provider %s cannot %s: %s' % (provider.name, thing, reason), provider=provider.name)


def wanted(params):
    """The key fields the user set, normalized and validated (no call)."""
    want = {}
    if params.get('allowed_ips') is not None:
        want['allowed_ips'] = normalize_ips(params['allowed_ips'])
    if params.get('scopes') is not None:
        want['scopes'] = normalize_scopes(params['scopes'])
    if params.get('active') is not None:
        want['active'] = bool(params['active'])
    if params.get('notify_method') is not None:
        method = params['notify_method'].strip().lower()
        if not method:
            raise ValidationError('notify_method must not be empty.')
        want['notify_method'] = method
    if params.get('notify_address') is not None:
        want['notify_address'] = params['notify_address'].strip()
    return want


def _describe(key):
    text = 'API key "%s" (id %s' % (key.name, key.id)
    if key.server not in (None, ''):
        text += ', server %s' % key.server
    return text + ')'


def refuse_in_use(api, provider, key, action):
    if api.in_use(key):
        raise ValidationError(
            '%s is the key this task authenticates with at %s; %s it would cut this and every later task off. '
            'Run the task with another key, or %s it in the control panel.'
            % (_describe(key), provider.title, action, 'delete' if action == 'deleting' else 'deactivate'))


# --- the resource ---------------------------------------------------------------------------

class ApiKeyResource(Resource):

    def __init__(self, api, provider, name, server_id, want, secret_file=None):
        self.api = api
        self.provider = provider
        self.name = name
        self.server_id = server_id
        self.want = want
        self.secret_file = secret_file
        self.secret = None

    def find(self):
        if self.server_id is None:
            keys = self.api.list()
        else:
            keys = [k for k in self.api.list(self.server_id) if as_str(k.server) == as_str(self.server_id)]
        matches = [k for k in keys if k.name == self.name]
        if len(matches) > 1:
            hint = ''
            if self.server_id is None and len(set(as_str(k.server) for k in matches)) > 1:
                hint = ' Set server to pick a per-server key, or remove the duplicates in the provider\'s panel.'
            else:
                hint = ' Remove the duplicates in the provider\'s panel.'
            raise ValidationError('API key name "%s" is ambiguous at %s: %d keys have it (ids %s); the name must '
                                  'identify one key.%s' % (self.name, self.provider.title, len(matches),
                                                           ', '.join(str(k.id) for k in matches), hint))
        return matches[0] if matches else None

    def view(self, obj):
        return view(obj)

    def spec(self):
        spec = dict(self.want, name=self.name)
        if self.server_id is not None:
            spec['server'] = self.server_id
        return spec

    def check_create(self):
        check = getattr(self.api, 'validate_create', None)
        if check is not None:
            check(self.spec())

    def predict_create(self):
        want = self.want
        return ApiKey(id=None, name=self.name, server=self.server_id, allowed_ips=want.get('allowed_ips'),
                      active=want.get('active', True), scopes=want.get('scopes'),
                      notify_method=want.get('notify_method'), notify_address=want.get('notify_address'),
                      secret=None, provider_data={})

    def create(self):
        key = self.api.create(self.spec())
        if key is not None:
            self.secret = key.secret
        return key

    def after_create(self, created):
        if not self.secret:
            raise ApiError(
                '%s was created at %s, but the answer that carries its secret was lost; the secret cannot be read '
                'again. Delete the key (state=absent) and run the task again.' % (_describe(created), self.provider.title),
                provider=self.provider.name)
        if self.secret_file:
            try:
                write_secret(self.secret_file, self.secret)
            except OSError as exc:
                raise HostcraftError(
                    '%s was created at %s, but its secret could not be written to %s: %s. The secret cannot be read '
                    'again: delete the key (state=absent) and run the task again.'
                    % (_describe(created), self.provider.title, self.secret_file, exc.strerror or exc),
                    provider=self.provider.name)
        return created

    def changes(self, current):
        changes = {}
        want = self.want
        if 'allowed_ips' in want and normalize_ips(current.allowed_ips or [], strict=False) != want['allowed_ips']:
            changes['allowed_ips'] = want['allowed_ips']
        if 'scopes' in want and set(normalize_scopes(current.scopes or [], strict=False)) != set(want['scopes']):
            changes['scopes'] = want['scopes']
        if 'active' in want and as_bool(current.active) is not want['active']:
            changes['active'] = want['active']
        if 'notify_method' in want and _text(current.notify_method).lower() != want['notify_method']:
            changes['notify_method'] = want['notify_method']
        if 'notify_address' in want and _text(current.notify_address) != want['notify_address']:
            changes['notify_address'] = want['notify_address']
        if changes.get('active') is False:
            refuse_in_use(self.api, self.provider, current, 'deactivating')
        return changes

    def predict_update(self, current, changes):
        predicted = ApiKey(**current.to_dict())
        predicted.secret = None
        for name, value in changes.items():
            setattr(predicted, name, value)
        return predicted

    def update(self, current, changes):
        return self.api.update(current, dict(changes))

    def delete(self, current):
        # ensure() has refused a key in use before reconcile (so check mode refuses it too).
        self.api.delete(current)


def ensure(hm):
    """``hostcraft.cloud.api_key``."""
    params = hm.params
    name = params['name']
    if name is None or not name.strip():
        raise ValidationError('name must not be empty.')
    state = params['state']
    server = params.get('server')
    if server is not None and not str(server).strip():
        raise ValidationError('server must not be empty.')
    want = wanted(params) if state == 'present' else {}
    secret_file = None
    if state == 'present' and params.get('secret_file') is not None:
        secret_file = check_secret_file(params['secret_file'])
    provider = hm.provider('api_key')
    api = provider.api_keys
    check_fields(provider, api, set(want) | ({'server'} if server is not None else set()))
    server_id = find_server(provider, server, details=False).id if server is not None else None
    resource = ApiKeyResource(api, provider, name, server_id, want, secret_file)
    current = resource.find()
    if state == 'absent' and current is not None:
        refuse_in_use(api, provider, current, 'deleting')
    outcome = reconcile(resource, state, hm.check_mode, retries=provider.retries(), current=current)
    result = outcome.result('api_key', diff=hm.diff)
    if 'create' in outcome.actions and not secret_file:
        # Once, in clear, only here (never in the diff); None in check mode: nothing was created.
        result['api_key'] = dict(result['api_key'], secret=resource.secret)
    return result


def info(hm):
    """``hostcraft.cloud.api_key_info``: never secrets."""
    params = hm.params
    server = params.get('server')
    if server is not None and not str(server).strip():
        raise ValidationError('server must not be empty.')
    provider = hm.provider('api_key_info')
    api = provider.api_keys
    if server is not None:
        check_fields(provider, api, {'server'}, listing=True)
        server_id = find_server(provider, server, details=False).id
        keys = [k for k in api.list(server_id) if as_str(k.server) == as_str(server_id)]
    else:
        keys = api.list()
    if params.get('name'):
        keys = [k for k in keys if k.name == params['name']]
    items = sorted((view(k) for k in keys), key=lambda k: (k['name'] or '', k['id'] or ''))
    return {'changed': False, 'api_keys': items}
