# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Skyport panel adapter (self-hosted; ``x-api-key``; providers/skyport.md).

The panel has defects a client must survive (fact sheet section 8); each is handled here:

* every POST shares a rate limit (6 per 6 s): a 429 is refused before the handler runs, so it is
  retried for any method after ``Retry-After``; lookups use the GET list routes, not the POST ones;
* 200 and 201 both mean success, ``message`` and ``Message`` both carry texts, and a body that is
  not JSON (an HTML page, also for unknown GET paths answered 200) is never taken for success;
* suspend/unsuspend persist the change and then answer 500: the result is judged by re-reading
  the instance (``POST /api/getInstance``, its ``suspended`` field);
* delete answers success even for an instance that is gone, and removes *every* instance whose
  ``ContainerId`` equals the target's (null for installs that are not finished): existence is
  checked in the list before, the deletion verified in the list after, and an installing instance
  is deleted only with ``force``;
* writes are read-modify-write of whole arrays, so concurrent writes get lost: every create is
  verified in the list it should appear in;
* instance records carry the node daemon's key and user records a password hash: stripped here,
  before anything reaches a result, a warning or the inventory.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    AuthError,
    Conflict,
    NotFound,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import MalformedResponse, Redactor
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import PowerState, Server, as_bool, as_int, as_list, as_str
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    Capabilities,
    Credential,
    PowerAPI,
    Provider,
    ServerAPI,
    host_lock,
)

PROVIDER = 'skyport'
NO_SSH = 'Skyport instances are containers on a node; there are no SSH keys to manage'
CAPABILITIES = Capabilities(
    PROVIDER,
    supported=('server', 'server.create', 'server.delete', 'server_info', 'power', 'user', 'node_info', 'image_info',
               'inventory'),
    unsupported={
        'ptr': 'Skyport instances share their node\'s address; the panel has no reverse DNS',
        'ptr_info': 'Skyport instances share their node\'s address; the panel has no reverse DNS',
        'dns_record': 'the Skyport panel has no DNS',
        'dns_record_info': 'the Skyport panel has no DNS',
        'sshkey': NO_SSH,
        'sshkey_info': NO_SSH,
        'api_key': 'Skyport API keys are made in the panel\'s admin UI only (there is no API route for them)',
        'api_key_info': 'Skyport API keys are made in the panel\'s admin UI only (there is no API route for them)',
        'tag': 'Skyport instances have no tags',
        'power.restart': 'the panel has no restart (suspend only sets a flag)',
    })

USER_SECRETS = frozenset(('password', 'resettoken', 'twofasecret', 'verificationtoken'))
NODE_SECRETS = frozenset(('apikey', 'configurekey'))
READY, INSTALLING, FAILED = 'READY', 'INSTALLING', 'FAILED'
EXTRA_KEYS = ('primary', 'variables')
_PORT_RE = re.compile(r'^\d{1,5}:\d{1,5}$')
# A deploy is answered only after the node has pulled the image: give it at least this long.
DEPLOY_TIMEOUT = 300
READ_POSTS = ('/api/getInstance', '/api/getUser', '/api/getUserInstance')
LOCK_TIMEOUT = DEPLOY_TIMEOUT + 60
THROTTLE_HINT = ('The panel stores each list as one value and loses writes made at the same time; run tasks that '
                 'write to one panel with throttle: 1 (see docs/skyport.md).')


# --- secrets ------------------------------------------------------------------------------

def scrub_node(node):
    if not isinstance(node, dict):
        return node
    return dict((k, v) for k, v in node.items() if str(k).lower() not in NODE_SECRETS)


def scrub_user(user):
    return dict((k, v) for k, v in user.items() if str(k).lower() not in USER_SECRETS)


def scrub_instance(item):
    data = dict(item)
    if isinstance(data.get('Node'), dict):
        data['Node'] = scrub_node(data['Node'])
    return data


# --- wire ---------------------------------------------------------------------------------

def _decode(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _is_json(response):
    return 'json' in (response.header('Content-Type') or '').lower()


def _body_message(body):
    """The text of a JSON body: ``error`` (plus ``details``), ``message``/``Message`` or ``success``; else None."""
    for field in ('error', 'message', 'Message', 'success'):
        text = body.get(field)
        if isinstance(text, str) and text:
            details = body.get('details')
            if field == 'error' and details not in (None, '', {}, []):
                return '%s (%s)' % (text, details if isinstance(details, str) else json.dumps(details, sort_keys=True))
            return text
    return None


def _message(response):
    """The panel's own words: those of its JSON body (see :func:`_body_message`), or the text of an HTML page."""
    body = _decode(response.text) if _is_json(response) else None
    if isinstance(body, dict):
        text = _body_message(body)
        if text is not None:
            return text
        if 'error' in body:
            return 'no message'
    text = re.sub(r'<[^>]+>', ' ', response.text or '')
    return ' '.join(text.split())[:200] or 'no message'


def is_ipv4(value):
    try:
        return isinstance(ipaddress.ip_address(str(value)), ipaddress.IPv4Address)
    except ValueError:
        return False


def is_ipv6(value):
    try:
        return isinstance(ipaddress.ip_address(str(value)), ipaddress.IPv6Address)
    except ValueError:
        return False


class SkyportClient:
    """``/api/*`` calls: JSON in, JSON out, errors as the collection's exceptions."""

    def __init__(self, http):
        self.http = http

    @staticmethod
    def _parse(response):
        if not _is_json(response):
            raise MalformedResponse('a %s page, not JSON' % (response.header('Content-Type') or 'non-JSON'))
        body = _decode(response.text)
        if body is None and (response.text or '').strip() not in ('null',):
            raise MalformedResponse('truncated or invalid JSON')
        return body

    @staticmethod
    def _refused(response):
        # The rate limiter answers 429 before any handler runs: nothing was done.
        return response.status == 429

    def call(self, method, path, body=None, idempotent=None, not_found=(404,), timeout=None):
        """Return the decoded body of a 2xx answer; raise for anything else."""
        response = self.raw(method, path, body, idempotent=idempotent, timeout=timeout)
        if 200 <= response.status < 300:
            return response.data
        raise self.error(method, path, response, not_found)

    def raw(self, method, path, body=None, idempotent=None, timeout=None):
        if method == 'GET' or path in READ_POSTS:
            return self._send(method, path, body, idempotent, timeout)
        # The panel loses concurrent writes: tasks on this host (parallel forks) write one at a time.
        with host_lock('skyport', self.http.base_url, LOCK_TIMEOUT, 'a write to the Skyport panel'):
            return self._send(method, path, body, idempotent, timeout)

    def _send(self, method, path, body, idempotent, timeout):
        return self.http.request(method, path, json_body=body, idempotent=idempotent, parse=self._parse,
                                 refused=self._refused, timeout=timeout, headers={'Accept': 'application/json'})

    def error(self, method, path, response, not_found=(404,)):
        message = self.http.redact(_message(response))
        where = '%s %s' % (method, path)
        if response.status == 401 or response.status == 403:
            return AuthError('cannot authenticate to the Skyport panel: %s. Check skyport_api_key (SKYPORT_API_KEY); keys '
                             'are made under Admin > API keys.' % message, provider=PROVIDER, status=response.status)
        if response.status in not_found:
            return NotFound('Skyport %s: %s' % (where, message), provider=PROVIDER, status=response.status)
        if response.status == 409:
            return Conflict('Skyport %s: %s' % (where, message), provider=PROVIDER, status=409)
        if response.status == 429:
            return ApiError('Skyport %s: the panel\'s rate limit (6 POST requests per 6 seconds) still refused the call '
                            'after %d retries: %s' % (where, self.http.retries, message), provider=PROVIDER, status=429)
        return ApiError('Skyport %s failed (HTTP %s): %s' % (where, response.status, message), provider=PROVIDER,
                        status=response.status)

    def get_list(self, path, what):
        body = self.call('GET', path)
        if not isinstance(body, list):
            raise ApiError('Skyport GET %s answered %s instead of a list of %s.' % (path, type(body).__name__, what),
                           provider=PROVIDER)
        return body


# --- servers (instances) ------------------------------------------------------------------

def power_of(item):
    if as_bool(item.get('suspended')):
        return 'stopped'
    if as_str(item.get('InternalState')) == READY:
        return 'running'
    return 'unknown'


def to_server(item):
    node = item.get('Node') if isinstance(item.get('Node'), dict) else {}
    address = as_str(node.get('address'))
    image_data = item.get('imageData') if isinstance(item.get('imageData'), dict) else {}
    state = as_str(item.get('InternalState'))
    return Server(
        provider=PROVIDER, id=as_str(item.get('Id')), name=as_str(item.get('Name')),
        status=state.lower() if state else None, power_state=power_of(item),
        location=as_str(node.get('name')) or as_str(node.get('id')),
        image=as_str(image_data.get('Name')) or as_str(item.get('Image')), plan=None,
        cpu=as_int(item.get('Cpu')), memory_mb=as_int(item.get('Memory')), disk_gb=None,
        ipv4=[address] if is_ipv4(address) else [], ipv6=[address] if is_ipv6(address) else [],
        public_ipv4=address if is_ipv4(address) else None, tags={}, created=None,
        provider_data=scrub_instance(item))


def ports_string(ports):
    """The panel's ``"<container>:<host>[,...]"`` from the ``ports`` option (a list of pairs or of such strings)."""
    if ports is None:
        return None
    parts = []
    for entry in ports:
        if isinstance(entry, bool):
            raise ValidationError('ports entries are "<container port>:<host port>" strings, not %r.' % entry)
        if isinstance(entry, int):
            entry = '%d:%d' % (entry, entry)
        for part in str(entry).split(','):
            part = part.strip()
            if not _PORT_RE.match(part) or not all(0 < int(p) < 65536 for p in part.split(':')):
                raise ValidationError('ports entry "%s" is not "<container port>:<host port>" (ports 1-65535), '
                                      'for example "25565:25565".' % part)
            parts.append(part)
    if not parts:
        raise ValidationError('ports must name at least one "<container port>:<host port>" pair.')
    return ','.join(parts)


def env_map(item):
    result = {}
    for entry in as_list(item.get('Env')):
        key, sep, value = str(entry).partition('=')
        if sep:
            result[key] = value
    return result


class SkyportServers(ServerAPI):
    """Instances. Every read is one ``GET /api/instances`` (not rate limited); the list carries everything."""

    tags_on_create = True
    replace_only = True  # the panel has no update route: a change means delete + deploy

    def __init__(self, client, provider):
        self.client = client
        self.provider = provider
        self.warnings = []

    # --- reads ------------------------------------------------------------------------

    def raw_list(self):
        return [i for i in self.client.get_list('/api/instances', 'instances') if isinstance(i, dict)]

    def list(self):
        return [to_server(i) for i in self.raw_list() if as_str(i.get('Id'))]

    def details_complete(self):
        return True

    def get(self, server_id):
        for server in self.list():
            if server.id == str(server_id):
                return server
        raise NotFound('Skyport instance %s not found (GET /api/instances does not list it).' % server_id, provider=PROVIDER)

    @staticmethod
    def name_matches(servers, name):
        """Instances whose name is exactly ``name`` (the panel's names are case-sensitive and not unique)."""
        return [s for s in servers if s.name == name]

    def narrow(self, matches, params):
        """When names repeat, the instance on ``location`` owned by ``user`` (either when set)."""
        location, user = params.get('location'), params.get('user')
        if location:
            matches = [s for s in matches if location in (s.location, (s.provider_data.get('Node') or {}).get('id'))]
        if user:
            owners = set([user] + self.provider.user_ids(user))
            matches = [s for s in matches if s.provider_data.get('User') in owners]
        return matches

    @staticmethod
    def ready(server):
        if server.status == FAILED.lower():
            raise ApiError('Skyport instance %s (%s) failed to install (InternalState FAILED); it is left in place: look '
                           'at the node\'s logs, then delete it or replace it with force: true.'
                           % (server.name, server.id), provider=PROVIDER)
        return server.status == READY.lower()

    @staticmethod
    def image_matches(server, image):
        data = server.provider_data or {}
        names = (server.image, as_str(data.get('Image')), as_str((data.get('imageData') or {}).get('Name')))
        return str(image) in [n for n in names if n]

    # --- checks before any call -------------------------------------------------------

    @staticmethod
    def validate_params(params):
        """Option checks that need no call (ports syntax, extra keys)."""
        extra = params.get('extra') or {}
        unknown = sorted(set(extra) - set(EXTRA_KEYS))
        if unknown:
            raise ValidationError('provider skyport cannot use extra key(s) %s: the deploy takes only %s.'
                                  % (', '.join(unknown), ', '.join(EXTRA_KEYS)))
        if extra.get('variables') is not None and not isinstance(extra['variables'], dict):
            raise ValidationError('extra.variables must be a dictionary of image variables, for example {Version: "1.21.1"}.')
        if isinstance(extra.get('primary'), (dict, list)):
            raise ValidationError('extra.primary must be a port number.')
        if params.get('ports') is not None:
            ports_string(params['ports'])

    @staticmethod
    def validate_create(spec):
        missing = [o for o in ('image', 'memory_mb', 'cpu', 'ports', 'location', 'user') if spec.get(o) in (None, '', [])]
        if missing:
            raise ValidationError('server "%s" does not exist; to deploy it Skyport needs image, memory_mb, cpu, ports, '
                                  'location (the node) and user (the owner); missing: %s.' % (spec['name'], ', '.join(missing)))

    def check_delete(self, server, force):
        """Refuse to delete an instance whose install is not finished, unless ``force`` (panel defect 4)."""
        data = server.provider_data or {}
        if data.get('ContainerId'):
            return []
        siblings = self.siblings(server)
        if not force:
            raise ValidationError(
                'Skyport instance %s (%s) is still installing (no container yet, InternalState %s). The panel would delete '
                'every instance without a container along with it%s. Wait until it is READY, or set force: true.'
                % (server.name, server.id, data.get('InternalState'),
                   ' (now: %s)' % ', '.join('%s (%s)' % (s.name, s.id) for s in siblings) if siblings else ''))
        return siblings

    def siblings(self, server):
        """Other instances the panel removes with ``server``: those with the same ``ContainerId`` (null or absent)."""
        data = server.provider_data or {}
        key = ('ContainerId' in data, data.get('ContainerId'))
        return [s for s in self.list() if s.id != server.id
                and ('ContainerId' in s.provider_data, s.provider_data.get('ContainerId')) == key]

    # --- drift (there is no update route) ---------------------------------------------

    def drift(self, server, params):
        """``{field: (have, want)}`` for every set option that differs from the instance."""
        data = server.provider_data or {}
        node = data.get('Node') or {}
        extra = params.get('extra') or {}
        found = {}
        image = params.get('image')
        if image is not None and not self.image_matches(server, image):
            found['image'] = (server.image, image)
        for option, have in (('memory_mb', server.memory_mb), ('cpu', server.cpu)):
            if params.get(option) is not None and params[option] != have:
                found[option] = (have, params[option])
        if params.get('ports') is not None:
            want = ports_string(params['ports'])
            if want != (as_str(data.get('Ports')) or '').replace(' ', ''):
                found['ports'] = (data.get('Ports'), want)
        location = params.get('location')
        if location and location not in (server.location, node.get('id')):
            found['location'] = (server.location, location)
        user = params.get('user')
        if user and data.get('User') not in [user] + self.provider.user_ids(user):
            found['user'] = (data.get('User'), user)
        if extra.get('primary') not in (None, '') and str(extra['primary']) != as_str(data.get('Primary')):
            found['primary'] = (data.get('Primary'), str(extra['primary']))
        env = env_map(data)
        for key, value in sorted((extra.get('variables') or {}).items()):
            want = '' if value is None else str(value)
            if env.get(str(key)) != want:
                found['variables.%s' % key] = (env.get(str(key)), want)
        return found

    def replacement_spec(self, server, params):
        """The deploy that replaces ``server``: the options set, else what the instance has."""
        data = server.provider_data or {}
        extra = dict(params.get('extra') or {})
        spec = {
            'name': server.name,
            'image': params.get('image') or server.image,
            'memory_mb': params.get('memory_mb') or server.memory_mb,
            'cpu': params.get('cpu') or server.cpu,
            'ports': params.get('ports') or ([data['Ports']] if data.get('Ports') else None),
            'location': params.get('location') or (data.get('Node') or {}).get('id'),
            'user': params.get('user') or data.get('User'),
        }
        variables = dict((k, v) for k, v in env_map(data).items()
                         if k in ((data.get('imageData') or {}).get('Variables') or {}))
        variables.update(extra.get('variables') or {})
        spec['extra'] = {'primary': extra.get('primary', data.get('Primary')), 'variables': variables}
        return spec

    # --- writes -----------------------------------------------------------------------

    def create(self, spec):
        self.validate_create(spec)
        image = self.provider.find_image(spec['image'])
        node = self.provider.find_node(spec['location'])
        user_id = self.provider.find_user_id(spec['user'])
        extra = spec.get('extra') or {}
        ports = ports_string(spec['ports'])
        primary = extra.get('primary')
        if primary in (None, ''):
            primary = ports.split(',', maxsplit=1)[0].split(':')[1]
        body = {
            'image': as_str(image.get('Image')), 'imagename': as_str(image.get('Name')),
            'memory': str(spec['memory_mb']), 'cpu': str(spec['cpu']), 'ports': ports,
            'nodeId': as_str(node.get('id')), 'name': spec['name'], 'user': user_id, 'primary': str(primary),
            'variables': dict((str(k), '' if v is None else str(v)) for k, v in (extra.get('variables') or {}).items()),
        }
        timeout = max(self.provider.timeout(), min(float(spec.get('wait_timeout') or DEPLOY_TIMEOUT), DEPLOY_TIMEOUT))
        try:
            answer = self.client.call('POST', '/api/instances/deploy', body, idempotent=False, timeout=timeout)
        except AmbiguousError as exc:
            # Never deploy twice: the panel may still be waiting for the node to pull the image.
            raise ApiError('%s The panel may still be deploying it (it answers only after the node has pulled the image); '
                           'nothing is sent again. Rerun the task later: it finds the instance by name.' % exc,
                           provider=PROVIDER)
        answer = answer if isinstance(answer, dict) else {}
        new_id = as_str(answer.get('volumeId')) or as_str(answer.get('VolumeId')) or as_str(answer.get('Id'))
        for _attempt in range(3):
            found = [s for s in self.list() if (new_id and s.id == new_id)
                     or (not new_id and s.name == spec['name'] and s.provider_data.get('User') == user_id)]
            if found:
                return found[-1]
            time.sleep(0.5)
        raise ApiError('Skyport accepted the deploy of "%s"%s (%s) but the instance is not in GET /api/instances: the panel '
                       'lost the write. The container may exist on node %s; check it there before deploying again. %s'
                       % (spec['name'], ' as %s' % new_id if new_id else '', _body_message(answer) or 'no message',
                          node.get('name'), THROTTLE_HINT), provider=PROVIDER)

    def delete(self, server, options):
        siblings = self.check_delete(server, options.get('force'))
        if siblings:
            self.warnings.append('Skyport removed these instances from its lists together with %s (%s), because none of '
                                 'them had a container yet (panel defect): %s. Their containers, if any, are left on the '
                                 'node.' % (server.name, server.id, ', '.join('%s (%s)' % (s.name, s.id) for s in siblings)))
        try:
            self.client.call('DELETE', '/api/instance/delete', {'id': server.id}, not_found=(400, 404))
        except NotFound:
            pass  # already gone from the panel's records; the list below decides
        if any(s.id == server.id for s in self.list()):
            raise ApiError('Skyport answered the delete of instance %s (%s) but still lists it; nothing is hidden: '
                           'delete it in the panel.' % (server.name, server.id), provider=PROVIDER)


# --- power (suspend / unsuspend) --------------------------------------------------------------

class SkyportPower(PowerAPI):
    """``running`` = not suspended and READY; ``stopped`` = suspended. Judged by re-reading the instance."""

    unsupported_states = {'restarted': ('restart an instance', CAPABILITIES.reason('power.restart'))}

    def __init__(self, client):
        self.client = client

    def _record(self, server_id):
        try:
            item = self.client.call('POST', '/api/getInstance', {'id': str(server_id)}, idempotent=True,
                                    not_found=(400, 404))
        except NotFound:
            raise NotFound('Skyport instance %s not found.' % server_id, provider=PROVIDER)
        if not isinstance(item, dict):
            raise ApiError('Skyport POST /api/getInstance answered %s instead of an instance.' % type(item).__name__,
                           provider=PROVIDER)
        return item

    def state(self, server_id):
        item = self._record(server_id)
        return PowerState(server_id=str(server_id), power_state=power_of(item),
                          locked=as_str(item.get('InternalState')) == INSTALLING and not as_bool(item.get('suspended')))

    def _set(self, server_id, suspend):
        action = 'suspend' if suspend else 'unsuspend'
        path = '/api/instances/%s/%s' % (action, server_id)
        try:
            response = self.client.raw('POST', path, idempotent=True)
        except ApiError as exc:  # AmbiguousError too: the record decides
            response, failure = None, str(exc)
        else:
            if 200 <= response.status < 300:
                return
            if response.status == 404:
                raise NotFound('Skyport instance %s not found (%s).' % (server_id, _message(response)), provider=PROVIDER)
            failure = 'HTTP %s: %s' % (response.status, self.client.http.redact(_message(response)))
        # The panel writes the flag and then answers 500 (fact sheet 4.10): the record decides.
        item = self._record(server_id)
        if as_bool(item.get('suspended')) != suspend:
            raise ApiError('Skyport could not %s instance %s: %s; the instance is %s.'
                           % (action, server_id, failure, 'suspended' if as_bool(item.get('suspended')) else 'not suspended'),
                           provider=PROVIDER)

    def start(self, server_id):
        self._set(server_id, False)

    def stop(self, server_id, hard=False):
        self._set(server_id, True)

    def restart(self, server_id, hard=False):
        raise Unsupported('provider skyport cannot restart an instance: the panel has no restart (suspend only sets a flag).',
                          provider=PROVIDER)


# --- provider ------------------------------------------------------------------------------

def to_node(item):
    data = scrub_node(item)
    return {
        'provider': PROVIDER, 'id': as_str(item.get('id')), 'name': as_str(item.get('name')),
        'address': as_str(item.get('address')), 'port': as_int(item.get('port')), 'status': as_str(item.get('status')),
        'tags': [t.strip() for t in (as_str(item.get('tags')) or '').split(',') if t.strip()],
        'ram': as_int(item.get('ram')), 'disk': as_int(item.get('disk')), 'processor': as_str(item.get('processor')),
        'provider_data': data,
    }


def to_user(item):
    return {
        'user_id': as_str(item.get('userId')), 'username': as_str(item.get('username')), 'email': as_str(item.get('email')),
        'admin': as_bool(item.get('admin')) is True, 'verified': as_bool(item.get('verified')),
        'access_to': [as_str(i) for i in as_list(item.get('accessTo'))],
        'provider_data': scrub_user(item),
    }


class SkyportProvider(Provider):
    name = PROVIDER
    title = 'Skyport'
    default_url = None
    credentials = (
        Credential('skyport_url', 'SKYPORT_URL', secret=False),
        Credential('skyport_api_key', 'SKYPORT_API_KEY'),
    )
    capabilities = CAPABILITIES

    def __init__(self, options, pool_size=10):
        super().__init__(options)
        key = options.get('skyport_api_key') or ''
        self.http = self.http_client('Skyport', pool_size, headers={'x-api-key': key}, redactor=Redactor([key]))
        self.client = SkyportClient(self.http)
        self._servers = None
        self._users = None

    @classmethod
    def check_options(cls, options):
        super().check_options(options)
        url = options.get('api_url') or options.get('skyport_url')
        if url and not re.match(r'^https?://[^/\s]+', str(url)):
            raise ValidationError('skyport_url must be the panel\'s base URL, such as https://panel.example.com, not "%s".'
                                  % url, provider=PROVIDER)

    def api_url(self):
        import os  # pylint: disable=import-outside-toplevel
        return (self.options.get('api_url') or os.environ.get(self.url_env()) or self.options.get('skyport_url')).rstrip('/')

    @property
    def servers(self):
        if self._servers is None:
            self._servers = SkyportServers(self.client, self)
        return self._servers

    @property
    def power(self):
        return SkyportPower(self.client)

    # --- users -------------------------------------------------------------------------

    def users(self, refresh=False):
        """Every user (secrets stripped), read once per task unless ``refresh``."""
        if self._users is None or refresh:
            self._users = [to_user(u) for u in self.client.get_list('/api/users', 'users') if isinstance(u, dict)]
        return self._users

    def user_ids(self, ref):
        """The userIds ``ref`` names: itself when it is one, else the user with that username."""
        users = self.users()
        ids = [u['user_id'] for u in users if u['user_id'] == ref]
        return ids or [u['user_id'] for u in users if u['username'] == ref]

    def find_user_id(self, ref):
        ids = self.user_ids(ref)
        if not ids:
            raise NotFound('Skyport user "%s" not found (user is a userId or a username).' % ref, provider=PROVIDER)
        return ids[0]

    def create_user(self, spec):
        body = {'username': spec['username'], 'email': spec['email'], 'password': spec['password'],
                'admin': bool(spec.get('admin'))}
        if spec.get('user_id'):
            body['userId'] = spec['user_id']
        answer = self.client.call('POST', '/api/auth/create-user', body, idempotent=False)
        return answer if isinstance(answer, dict) else {}

    # --- nodes and images -----------------------------------------------------------------

    def nodes(self):
        return [to_node(n) for n in self.client.get_list('/api/nodes', 'nodes') if isinstance(n, dict)]

    def find_node(self, ref):
        raw = [n for n in self.client.get_list('/api/nodes', 'nodes') if isinstance(n, dict)]
        found = [n for n in raw if as_str(n.get('id')) == ref] or [n for n in raw if as_str(n.get('name')) == ref]
        if not found:
            raise NotFound('Skyport node "%s" not found (location is a node name or id; nodes: %s).'
                           % (ref, ', '.join(sorted(as_str(n.get('name')) or '?' for n in raw)) or 'none'), provider=PROVIDER)
        if len(found) > 1:
            raise ValidationError('Skyport node name "%s" is ambiguous (ids %s); use the node id as location.'
                                  % (ref, ', '.join(as_str(n.get('id')) for n in found)), provider=PROVIDER)
        return found[0]

    def raw_images(self):
        return [i for i in self.client.get_list('/api/images', 'images') if isinstance(i, dict)]

    def find_image(self, ref):
        raw = self.raw_images()
        found = [i for i in raw if as_str(i.get('Name')) == ref] or [i for i in raw if as_str(i.get('Image')) == ref]
        if not found:
            raise NotFound('Skyport image "%s" not found (image is the Name of a panel image, or its Docker reference; '
                           'images: %s).' % (ref, ', '.join(sorted(as_str(i.get('Name')) or '?' for i in raw)) or 'none'),
                           provider=PROVIDER)
        return found[0]

    def images(self):
        return [{'provider': PROVIDER, 'id': as_str(i.get('Id')), 'name': as_str(i.get('Name')), 'image': as_str(i.get('Image')),
                 'provider_data': i} for i in self.raw_images()]

    @staticmethod
    def validate_server_params(params):
        SkyportServers.validate_params(params)

    # --- inventory -----------------------------------------------------------------------

    @staticmethod
    def inventory_groups(server):
        """Extra groups of an inventory host: the owner."""
        owner = (server.get('provider_data') or {}).get('User')
        return [('owner', owner)] if owner else []

    @staticmethod
    def inventory_vars(server):
        """Extra host variables (prefixed) and the address to connect to: the node's."""
        data = server.get('provider_data') or {}
        node = data.get('Node') or {}
        return {'primary_port': as_int(data.get('Primary'))}, as_str(node.get('address'))
