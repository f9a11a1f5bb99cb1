# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""HostUp adapter (providers/hostup.md): v2 for VPS, power, PTR, DNS and SSH keys; v1 for API keys.

HostUp has no API to order or cancel a VPS: ``server`` manages what exists (its hostname), every other
module works on existing VPS. Power actions answer 202 with an operation whose job is followed, then the
state is read again. While a VPS is in a transition (``starting``, ``stopping``, ``provisioning``) or the
API answers 409 ``vps_not_ready``, nothing is sent: the adapter waits, reads again and decides again.
Terminated, cancelled and fraud-flagged services are left out of every list (inventory, ``server_info``).
"""

from __future__ import annotations

import datetime
import ipaddress
import re

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    Conflict,
    NotFound,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import Redactor, backoff_delay
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
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._hostup_client import (
    JOB_TIMEOUT,
    NOT_READY,
    HostupClient,
)

NO_ORDERS = 'HostUp has no API to order/cancel a VPS; order and cancel in the customer portal'
CAPABILITIES = Capabilities(
    'hostup',
    supported=('server', 'server_info', 'power', 'power.restart', 'ptr', 'ptr_info', 'dns_record', 'dns_record_info', 'sshkey',
               'sshkey_info', 'api_key', 'api_key_info', 'inventory'),
    unsupported={
        'server.create': NO_ORDERS,
        'server.delete': NO_ORDERS,
        'tag': 'the HostUp API shows VPS tags but has no route to set them; set tags in the customer portal',
        'image_info': 'the HostUp API has no public OS image or plan catalog; VPS are ordered in the customer portal',
        'user': 'panel users are a Skyport feature',
        'node_info': 'nodes are a Skyport feature',
    })

VPS_PAGE = 100
KEY_PAGE = 100
ZONE_PAGE = 1000
HIDDEN_STATUSES = frozenset(('terminated', 'cancelled', 'fraud'))
TRANSITIONS = frozenset(('starting', 'stopping', 'provisioning'))
POWER_STATES = {'running': 'running', 'stopped': 'stopped'}
# Normalized action -> (route, gate under details.actions)
ACTIONS = {
    'start': ('start', 'canStart'),
    'shutdown': ('shutdown', 'canShutdown'),
    'stop': ('stop', 'canStop'),
    'restart': ('restart', 'canRestart'),
    'reset': ('reset', 'canReset'),
}
DEFAULT_PTR = re.compile(r'^\d+\.hostup\.se\.?$')
HOSTNAME_RE = re.compile(r'^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$')
RECORD_TYPES = frozenset(('A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT'))
MIN_TTL = 60
SCOPE_RE = re.compile(r'^[a-z][a-z_]*:[a-z][a-z_]*$')
SECRET_FIELDS = frozenset(('key', 'secret', 'api_key', 'apikey', 'token', 'password', 'rootpassword', 'root_password'))
# Fields of an API key record that may show the start or end of the secret (the list never shows the secret).
PREVIEW_FIELDS = ('key_prefix', 'keyPrefix', 'prefix', 'key_preview', 'keyPreview', 'preview', 'masked_key',
                  'maskedKey', 'key_last4', 'last4', 'key_suffix', 'suffix')


def _scrub(value):
    if isinstance(value, dict):
        return dict((k, _scrub(v)) for k, v in value.items() if str(k).lower() not in SECRET_FIELDS)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _gate(data, *names):
    """``(allowed, reason, code)`` of the first gate of ``names`` under ``actions``; unknown gates allow.

    A closed gate that means "wait" (code ``vps_not_ready``, or no code and a reason saying "not ready")
    comes back with the code ``vps_not_ready``.
    """
    actions = data.get('actions') if isinstance(data, dict) else None
    gate = None
    for name in names:
        if isinstance(actions, dict) and isinstance(actions.get(name), dict):
            gate = actions[name]
            break
    if not isinstance(gate, dict) or as_bool(gate.get('allowed')) is not False:
        return True, None, None
    reason, code = as_str(gate.get('reason')), as_str(gate.get('code'))
    if code is None and 'not ready' in (reason or '').lower():
        code = NOT_READY
    return False, reason, code


def _when(text):
    """An aware datetime from an ISO-8601 text (``...Z``), or None."""
    value = as_str(text)
    if not value:
        return None
    try:
        when = datetime.datetime.fromisoformat(value.strip().replace('Z', '+00:00'))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def _norm_ip(text):
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        return str(text).strip().lower()


def _norm_host(text):
    value = (as_str(text) or '').strip().lower().rstrip('.')
    return value + '.' if value else None


def addresses(network):
    """``[(ip, 'ipv4'|'ipv6', rdns or None)]`` from R1, reading both PTR shapes (per-IP ``rdns`` or ``reverseDns``)."""
    network = network if isinstance(network, dict) else {}
    extra = {}
    for item in as_list(network.get('reverseDns')):
        if isinstance(item, dict) and as_str(item.get('ip')):
            extra[_norm_ip(item['ip'])] = as_str(item.get('rdns') or item.get('ptr') or item.get('hostname'))
    found = []
    for interface in as_list(network.get('interfaces')):
        if not isinstance(interface, dict):
            continue
        for item in as_list(interface.get('ip')) + as_list(interface.get('ips')):
            if not isinstance(item, dict) or not as_str(item.get('ip')):
                continue
            ip = _norm_ip(item['ip'])
            kind = (as_str(item.get('type')) or '').lower()
            if kind not in ('ipv4', 'ipv6'):
                kind = 'ipv6' if ':' in ip else 'ipv4'
            rdns = as_str(item.get('rdns')) or as_str(item.get('reverseDns')) or as_str(item.get('ptr')) or extra.get(ip)
            found.append((ip, kind, rdns))
    known = set(ip for ip, dummy, dummy2 in found)
    for ip, rdns in sorted(extra.items()):
        if ip not in known:
            found.append((ip, 'ipv6' if ':' in ip else 'ipv4', rdns))
    return found


def to_server(item, network=None):
    """The normalized server of a v2 VPS item (section 8.6a); ``network`` (R1) fills ipv4/ipv6."""
    power = (as_str(item.get('powerState')) or '').lower()
    system = item.get('operatingSystem') if isinstance(item.get('operatingSystem'), dict) else {}
    resources = item.get('resources') if isinstance(item.get('resources'), dict) else {}
    memory = resources.get('memoryGb')
    primary = as_str(item.get('primaryIp'))
    ipv4, ipv6 = ([primary] if primary and ':' not in primary else []), ([primary] if primary and ':' in primary else [])
    for ip, kind, dummy in addresses(network):
        target = ipv6 if kind == 'ipv6' else ipv4
        if ip not in target:
            target.append(ip)
    tags = {}
    for tag in as_list(item.get('tags')):
        if isinstance(tag, dict):
            key = as_str(tag.get('name') or tag.get('key'))
            if key:
                tags[key] = as_str(tag.get('value')) or ''
        elif as_str(tag):
            tags[as_str(tag)] = ''
    memory_mb = None
    if isinstance(memory, (int, float)) and not isinstance(memory, bool):
        memory_mb = int(round(memory * 1024))
    elif as_int(memory) is not None:
        memory_mb = as_int(memory) * 1024
    return Server(
        provider='hostup', id=as_str(item.get('id')), name=as_str(item.get('name')),
        status=(as_str(item.get('serviceStatus')) or '').lower() or None,
        power_state=POWER_STATES.get(power, 'unknown'),
        location=None, image=as_str(system.get('displayName')) or as_str(system.get('family')), plan=None,
        cpu=as_int(resources.get('cpuCores')), memory_mb=memory_mb, disk_gb=as_int(resources.get('storageGb')),
        ipv4=ipv4, ipv6=ipv6, public_ipv4=primary if primary and ':' not in primary else None, tags=tags,
        created=as_str(item.get('createdAt')), provider_data=_scrub(item))


def hidden(item):
    """Services that are gone (terminated, cancelled, fraud) are left out of every list."""
    return (as_str(item.get('serviceStatus')) or '').lower() in HIDDEN_STATUSES


class HostupServers(ServerAPI):
    """VPS that exist; HostUp offers no create or delete (capabilities fail first)."""

    def __init__(self, client, networks, timeout=JOB_TIMEOUT):
        self.client = client
        self.networks = networks
        self.timeout = timeout

    def list(self):
        return [to_server(i) for i in self.client.pages('vps', VPS_PAGE) if not hidden(i)]

    def details_complete(self):
        return False  # addresses beyond primaryIp come from the network route

    def raw(self, server_id):
        try:
            item = self.client.call('GET', 'vps/%s' % server_id)
        except NotFound:
            raise NotFound('HostUp VPS %s not found.' % server_id, provider='hostup')
        return item.get('data', item) if isinstance(item.get('data'), dict) else item

    def get(self, server_id):
        item = self.raw(server_id)
        return to_server(item, self.networks.get(server_id))

    def detailed(self, server):
        # the VPS item is in hand; only its network (the full address lists) is missing
        return to_server(server.provider_data, self.networks.get(server.id))

    def by_id(self, ref):
        ref = str(ref).strip()
        if not ref.startswith('vps_'):
            return None
        try:
            item = self.raw(ref)
        except NotFound:
            return None
        return None if hidden(item) else to_server(item)

    def by_name(self, name):
        wanted = name.strip().lower()
        items = [i for i in self.client.pages('vps', VPS_PAGE, params={'name': name.strip()}) if not hidden(i)]
        found = [to_server(i) for i in items if (as_str(i.get('name')) or '').strip().lower() == wanted]
        if not found and wanted.startswith('vps_'):
            server = self.by_id(name)
            found = [server] if server is not None else []
        return found

    @staticmethod
    def ready(server):
        return server.status == 'active' and server.power_state == 'running'

    def details(self, server_id):
        """V3 ``/details``: hostname and action gates."""
        body = self.client.call('GET', 'vps/%s/details' % server_id)
        return body.get('data', body) if isinstance(body.get('data'), dict) else body

    # --- hostname (HostUp keeps it apart from the name) -------------------------------------------

    @staticmethod
    def validate_hostname(hostname):
        text = str(hostname or '').strip()
        if not text or len(text.rstrip('.')) > 253 or not HOSTNAME_RE.match(text.rstrip('.')):
            raise ValidationError('hostname %r is not valid at HostUp: an FQDN of at most 253 characters, labels of 1-63 '
                                  'letters, digits and hyphens, no leading or trailing hyphen.' % hostname)
        return text.rstrip('.')

    def read_hostname(self, server):
        return as_str(self.details(server.id).get('hostname'))

    @staticmethod
    def same_hostname(have, want):
        return _norm_host(have) == _norm_host(want)

    def set_hostname(self, server, hostname):
        """``PUT /vps/{id}/hostname``; return what the API did: hostname and the reverse-DNS protection report."""
        hostname = self.validate_hostname(hostname)
        allowed, reason, code, dummy = open_gate(self.client, lambda: self.details(server.id),
                                                 ('canChangeHostname', 'canChange'), self.timeout,
                                                 'VPS %s to be ready for a hostname change' % server.id)
        if not allowed:
            raise ApiError('HostUp does not allow changing the hostname of VPS %s (%s) now: %s%s.' % (
                server.name, server.id, reason or 'no reason given', ' (%s)' % code if code else ''), provider='hostup')
        body = self._retry_not_ready(lambda: self.client.call('PUT', 'vps/%s/hostname' % server.id, {'hostname': hostname}),
                                     server.id, 'the hostname change of %s' % server.id)
        self.networks.forget(server.id)  # rDNS protection may have rewritten default PTRs
        report = {'hostname': as_str(body.get('hostname')) or hostname,
                  'normalized': as_bool(body.get('hostnameNormalized')),
                  'reload_recommended': as_bool(body.get('reloadRecommended')),
                  'reverse_dns': body.get('reverseDnsProtection')}
        return report

    def _retry_not_ready(self, send, server_id, what):
        return retry_not_ready(self.client, send, lambda: self.power_state(server_id), self.timeout, what)

    def power_state(self, server_id):
        body = self.client.call('GET', 'vps/%s/status' % server_id)
        return (as_str(body.get('powerState')) or '').lower()

    def update(self, server, changes):
        raise Unsupported('provider hostup cannot change %s: HostUp resizes and reinstalls VPS in the customer portal'
                          % ', '.join(sorted(changes)), provider='hostup')


def open_gate(client, read, names, timeout, what):
    """Poll ``read()`` (a body with ``actions``) with backoff while the gate says "not ready".

    Return ``(allowed, reason, code, waited)``; a timeout fails naming the gate's last reason.
    """
    reads = []

    def fetch():
        reads.append(1)
        return _gate(read(), *names)

    allowed, reason, code = wait_for(fetch, lambda g: g[0] or g[2] != NOT_READY, timeout,
                                     lambda g: '%s closed (%s)' % (names[0], g[1] or g[2]), what, sleep=client.sleep,
                                     clock=client.clock)
    return allowed, reason, code, len(reads) > 1


def retry_not_ready(client, send, read_state, timeout, what):
    """Call ``send``; on 409 ``vps_not_ready`` wait until the VPS leaves its transition and send again (bounded)."""
    deadline = client.clock() + timeout
    while True:
        try:
            return send()
        except Conflict as exc:
            if exc.code != NOT_READY or client.clock() >= deadline:
                raise
        remaining = max(deadline - client.clock(), 1)
        wait_for(read_state, lambda s: s not in TRANSITIONS, remaining, lambda s: 'power state %s' % s,
                 'the VPS to be ready for %s' % what, sleep=client.sleep, clock=client.clock)
        client.sleep(1.0)


class Networks:
    """R1 reads, shared by servers and PTRs within one run; forgotten after a write."""

    def __init__(self, client):
        self.client = client
        self._cache = {}

    def get(self, server_id, fresh=False):
        if fresh or server_id not in self._cache:
            body = self.client.call('GET', 'vps/%s/network' % server_id)
            self._cache[server_id] = body.get('data', body) if isinstance(body.get('data'), dict) else body
        return self._cache[server_id]

    def forget(self, server_id):
        self._cache.pop(server_id, None)


class HostupPower(PowerAPI):
    """``/status`` for the state, ``/actions/<x>`` (202 + job) for changes, gated by ``details.actions``."""

    def __init__(self, client, servers, timeout=JOB_TIMEOUT):
        self.client = client
        self.servers = servers
        self.timeout = timeout

    def state(self, server_id):
        body = self.client.call('GET', 'vps/%s/status' % server_id)
        power = (as_str(body.get('powerState')) or '').lower()
        return PowerState(server_id=server_id, power_state=POWER_STATES.get(power, 'unknown'), locked=power in TRANSITIONS)

    def _act(self, server_id, action, needed=None):
        """Send ``action`` once its gate is open. A gate that says "not ready", a 409 ``vps_not_ready`` or a lost
        answer is waited out, then the state is read again and the decision made again with ``needed(state)``."""
        route, gate_name = ACTIONS[action]
        deadline = self.client.clock() + self.timeout
        what = '%s of VPS %s' % (action, server_id)
        recheck, attempt = False, 0
        while True:
            remaining = max(deadline - self.client.clock(), 1)
            allowed, reason, code, waited = open_gate(self.client, lambda: self.servers.details(server_id), (gate_name,),
                                                      remaining, 'VPS %s to be ready for %s' % (server_id, action))
            if (waited or recheck) and needed is not None and not needed(self.state(server_id)):
                return  # the transition we waited for already got the VPS there
            if not allowed:
                raise ApiError('HostUp does not allow %s on VPS %s now: %s%s.' % (
                    action, server_id, reason or 'no reason given', ' (%s)' % code if code else ''), provider='hostup')
            try:
                answer = self.client.call('POST', 'vps/%s/actions/%s' % (server_id, route), None, idempotent=False)
            except Conflict as exc:
                if exc.code != NOT_READY or self.client.clock() >= deadline:
                    raise
                delay = backoff_delay(attempt)
            except AmbiguousError as exc:
                # Never repeated blindly: read the state again and decide again (a restart cannot be judged so).
                if needed is None or self.client.clock() >= deadline:
                    raise
                delay = exc.retry_after or backoff_delay(attempt)
            else:
                operation = answer.get('operation') if isinstance(answer.get('operation'), dict) else answer
                self.client.follow(operation, what, timeout=max(deadline - self.client.clock(), 1))
                return
            self.client.sleep(delay)
            recheck, attempt = True, attempt + 1

    def check(self, server_id, state, hard=False):
        """Check mode: a closed gate (other than "not ready", which a real run waits out) fails as the run would."""
        action = {'running': 'start', 'stopped': 'stop' if hard else 'shutdown',
                  'restarted': 'reset' if hard else 'restart'}[state]
        allowed, reason, code = _gate(self.servers.details(server_id), ACTIONS[action][1])
        if not allowed and code != NOT_READY:
            raise ApiError('HostUp does not allow %s on VPS %s now: %s%s.' % (
                action, server_id, reason or 'no reason given', ' (%s)' % code if code else ''), provider='hostup')

    def start(self, server_id):
        self._act(server_id, 'start', lambda p: p.power_state != 'running')

    def stop(self, server_id, hard=False):
        self._act(server_id, 'stop' if hard else 'shutdown', lambda p: p.power_state != 'stopped')

    def restart(self, server_id, hard=False):
        self._act(server_id, 'reset' if hard else 'restart')


class HostupPtrs(PtrAPI):
    """PTRs over ``/vps/{id}/network``: read from R1 (both shapes), set with ``update_rdns``."""

    def __init__(self, client, servers, networks, timeout=JOB_TIMEOUT):
        self.client = client
        self.servers = servers
        self.networks = networks
        self.timeout = timeout
        self._owners = {}

    def server_of(self, ip):
        ip = _norm_ip(ip)
        if ip not in self._owners:
            self._owners[ip] = self._find_owner(ip)
        return self._owners[ip]

    def _find_owner(self, ip):
        for item in self.client.pages('vps', VPS_PAGE, params={'primaryIp': ip}):
            if not hidden(item) and _norm_ip(item.get('primaryIp') or '') == ip:
                return as_str(item.get('id'))
        for server in self.servers.list():
            if any(a == ip for a, dummy, dummy2 in addresses(self.networks.get(server.id))):
                return server.id
        raise NotFound('IP address %s is not an address of any HostUp VPS of this account.' % ip, provider='hostup')

    def _entry(self, ip, server_id, fresh=False):
        ip = _norm_ip(ip)
        server_id = server_id or self.server_of(ip)
        network = self.networks.get(server_id, fresh=fresh)
        for address, dummy, rdns in addresses(network):
            if address == ip:
                return server_id, network, rdns
        raise NotFound('IP address %s is not assigned to HostUp VPS %s.' % (ip, server_id), provider='hostup')

    def get(self, ip, server_id=None):
        dummy, dummy2, rdns = self._entry(ip, server_id)
        return Ptr(ip=_norm_ip(ip), ptr=_norm_host(rdns))

    def set(self, ip, ptr, server_id=None):
        server_id, network, dummy = self._entry(ip, server_id)
        reads = [network]

        def read():
            if not reads:
                reads.append(self.networks.get(server_id, fresh=True))
            return reads.pop()

        allowed, reason, code, dummy = open_gate(self.client, read, ('canUpdateRdns',), self.timeout,
                                                 'VPS %s to be ready for a PTR change' % server_id)
        if not allowed:
            raise ApiError('HostUp does not allow changing reverse DNS on VPS %s now: %s%s.' % (
                server_id, reason or 'no reason given', ' (%s)' % code if code else ''), provider='hostup')
        name = str(ptr).strip().rstrip('.')
        body = {'action': 'update_rdns', 'ip': _norm_ip(ip), 'rdns': name}
        answer = retry_not_ready(self.client, lambda: self.client.call('POST', 'vps/%s/network' % server_id, body,
                                                                       idempotent=True),
                                 lambda: self.servers.power_state(server_id), self.timeout, 'the PTR of %s' % ip)
        self.networks.forget(server_id)
        if isinstance(answer, dict) and as_bool(answer.get('updated')) is False:
            raise ApiError('HostUp did not update the PTR of %s: %s' % (ip, answer.get('message') or answer),
                           provider='hostup')
        return Ptr(ip=_norm_ip(ip), ptr=_norm_host(answer.get('rdns') if isinstance(answer, dict) else None) or _norm_host(name))

    def default_for(self, server_id, network=None):
        """The provider default ``<proxmox id>.hostup.se``: held by another address of the VPS, or built from a
        Proxmox id the API shows; else None (the v2 API does not document it)."""
        for dummy, dummy2, rdns in addresses(network):
            if rdns and self.is_default(rdns):
                return rdns.strip().lower().rstrip('.')
        for read in (self.servers.details, self.servers.raw):
            source = read(server_id)
            for field in ('proxmoxVmId', 'proxmoxId', 'vmId', 'vmid'):
                value = as_str(source.get(field))
                if value and value.isdigit():
                    return '%s.hostup.se' % value
        return None

    def reset(self, ip, server_id=None):
        server_id, network, dummy = self._entry(ip, server_id)
        default = self.default_for(server_id, network)
        if default is None:
            raise Unsupported('provider hostup cannot reset a PTR to its default: the API has no reset call and does not '
                              'show the default name (<vm id>.hostup.se) of VPS %s; set the PTR you want with '
                              'state=present, or reset it in the customer portal' % server_id, provider='hostup')
        return self.set(ip, default, server_id)

    def is_default(self, ptr):
        return not ptr or bool(DEFAULT_PTR.match(str(ptr).strip().lower()))


# --- DNS ---------------------------------------------------------------------------------------

def _unquote_txt(text):
    """``"a" "b"`` -> ``ab`` (chunks rejoined), ``"a"`` -> ``a``; anything else unchanged."""
    value = (text or '').strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        chunks = re.findall(r'"((?:[^"\\]|\\.)*)"', value)
        if chunks and re.sub(r'"((?:[^"\\]|\\.)*)"', '', value).strip() == '':
            return ''.join(chunks)
    return value


def _relative(name, zone):
    text = (as_str(name) or '').strip().lower().rstrip('.')
    if text in ('', '@', zone):
        return '@'
    if text.endswith('.' + zone):
        return text[:-len(zone) - 1]
    return text


def _host(value):
    return (value or '').strip().rstrip('.') + '.' if (value or '').strip() not in ('', '.') else (value or '').strip()


def record_value(item):
    rtype = (as_str(item.get('type')) or '').upper()
    value = as_str(item.get('value')) or ''
    if rtype == 'TXT':
        return _unquote_txt(value)
    if rtype == 'MX':
        parts = value.split()
        if len(parts) == 2 and parts[0].isdigit():  # already "prio host"
            return '%s %s' % (parts[0], _host(parts[1]))
        return '%s %s' % (as_int(item.get('priority')) or 0, _host(value))
    if rtype == 'SRV':
        parts = value.split()
        if len(parts) == 4:
            return '%s %s %s %s' % (parts[0], parts[1], parts[2], _host(parts[3]))
        return '%s %s %s %s' % (as_int(item.get('priority')) or 0, as_int(item.get('weight')) or 0,
                                as_int(item.get('port')) or 0, _host(value.split()[-1] if value.split() else ''))
    if rtype in ('CNAME', 'NS'):
        return _host(value)
    return value


def record_body(name, rtype, value, ttl):
    """A flat v2 record body: relative name (``@`` = apex), unquoted TXT, host names without a trailing dot."""
    body = {'type': rtype, 'name': name if name not in ('', None) else '@'}
    parts = value.split()
    if rtype == 'MX':
        body['value'], body['priority'] = parts[1].rstrip('.') or '.', int(parts[0])
    elif rtype == 'SRV':
        body['value'] = parts[3].rstrip('.') or '.'
        body['priority'], body['weight'], body['port'] = int(parts[0]), int(parts[1]), int(parts[2])
    elif rtype in ('CNAME', 'NS'):
        body['value'] = value.rstrip('.')
    else:
        body['value'] = value
    if ttl is not None:
        body['ttl'] = ttl
    return body


class HostupDns(DnsAPI):
    types = RECORD_TYPES

    def __init__(self, client):
        self.client = client
        self._zones = {}

    @staticmethod
    def check_ttl(ttl):
        if ttl is not None and ttl < MIN_TTL:
            raise ValidationError('HostUp cannot use ttl %s: its DNS takes at least %d seconds.' % (ttl, MIN_TTL))

    def zone_id(self, zone):
        zone = zone.rstrip('.').lower()
        if zone not in self._zones:
            found = [z for z in self.client.pages('dns-zones', ZONE_PAGE, params={'name': zone})
                     if (as_str(z.get('name')) or '').rstrip('.').lower() == zone]
            if not found:
                raise NotFound('DNS zone %s not found at HostUp (no zone of this account has that name).' % zone,
                               provider='hostup')
            if len(found) > 1:
                raise ApiError('HostUp lists %d DNS zones named %s (ids %s).' % (
                    len(found), zone, ', '.join(as_str(z.get('id')) for z in found)), provider='hostup')
            self._zones[zone] = as_str(found[0].get('id'))
        return self._zones[zone]

    def _record(self, zone, item):
        return DnsRecord(as_str(item.get('id')), _relative(item.get('name'), zone), (as_str(item.get('type')) or '').upper(),
                         record_value(item), as_int(item.get('ttl')), item)

    def list_records(self, zone):
        zone = zone.rstrip('.').lower()
        zone_id = self.zone_id(zone)
        try:
            body = self.client.call('GET', 'dns-zones/%s/records' % zone_id)
        except NotFound:
            self._zones.pop(zone, None)
            raise NotFound('DNS zone %s not found at HostUp.' % zone, provider='hostup')
        return [self._record(zone, i) for i in as_list(body.get('records')) if isinstance(i, dict)
                and (as_str(i.get('type')) or '').upper() != 'SOA']

    def add(self, zone, name, rtype, value, ttl):
        body = self.client.call('POST', 'dns-zones/%s/records' % self.zone_id(zone), record_body(name, rtype, value, ttl),
                                idempotent=False)
        item = body.get('record', body) if isinstance(body.get('record'), dict) else body
        return self._record(zone.rstrip('.').lower(), item) if item.get('id') is not None else None

    def update(self, zone, record, value, ttl):
        body = record_body(record.name, record.type, value if value is not None else record.value,
                           ttl if ttl is not None else record.ttl)
        answer = self.client.call('PUT', 'dns-zones/%s/records/%s' % (self.zone_id(zone), record.id), body)
        item = answer.get('record', answer) if isinstance(answer.get('record'), dict) else answer
        return self._record(zone.rstrip('.').lower(), item) if item.get('id') is not None else None

    def delete(self, zone, record):
        try:
            self.client.call('DELETE', 'dns-zones/%s/records/%s' % (self.zone_id(zone), record.id))
        except NotFound:
            pass


# --- SSH keys ----------------------------------------------------------------------------------

class HostupSshKeys(SshKeyAPI):
    """Account keys (v2 ``/ssh-keys``); the material is immutable, a rename is a PATCH."""

    def __init__(self, client):
        self.client = client
        self._raw = {}

    def _to_key(self, item):
        public_key = as_str(item.get('publicKey'))
        key = SshKey(id=as_str(item.get('id')), name=as_str(item.get('name')),
                     fingerprint=safe_fingerprint(public_key) if public_key else as_str(item.get('fingerprint')),
                     public_key=public_key)
        self._raw[key.id] = item
        return key

    def list(self):
        return [self._to_key(i) for i in self.client.pages('ssh-keys', KEY_PAGE)]

    def create(self, name, public_key):
        body = self.client.call('POST', 'ssh-keys', {'name': name, 'publicKey': public_key}, idempotent=False)
        item = body.get('data', body) if isinstance(body.get('data'), dict) else body
        if item.get('id') is None:
            return None
        key = self._to_key(item)
        key.public_key = key.public_key or public_key
        key.fingerprint = safe_fingerprint(key.public_key)
        return key

    def _check(self, key, gate, action):
        allowed, reason, code = _gate(self._raw.get(key.id) or {}, gate)
        if not allowed:
            raise ApiError('HostUp does not allow %s the SSH key "%s" (%s): %s%s.' % (
                action, key.name, key.id, reason or 'no reason given', ' (%s)' % code if code else ''), provider='hostup')

    def rename(self, key, name):
        """``PATCH /ssh-keys/{id}`` with the new name (the material cannot change)."""
        self._check(key, 'canRename', 'renaming')
        return self._to_key(self.client.call('PATCH', 'ssh-keys/%s' % key.id, {'name': name}, idempotent=True))

    def delete(self, key):
        self._check(key, 'canDelete', 'deleting')
        try:
            self.client.call('DELETE', 'ssh-keys/%s' % key.id)
        except NotFound:
            pass


# --- API keys (v1) -------------------------------------------------------------------------------

class HostupApiKeys(ApiKeyAPI):
    """``/api/keys`` (v1): create returns the secret once; update is a full replace (read-modify-write)."""

    fields = frozenset(('active', 'scopes'))
    reasons = {
        'server': 'HostUp API keys belong to the account, not to a VPS',
        'allowed_ips': 'no HostUp API field sets an IP allow-list on a key (set it in the panel, if offered)',
        'notify_method': 'HostUp has no usage notifications for API keys',
        'notify_address': 'HostUp has no usage notifications for API keys',
    }

    def __init__(self, client, api_key):
        self.client = client
        self.api_key = api_key or ''
        self._in_use = {}

    @staticmethod
    def _to_key(item):
        return ApiKey(id=as_str(item.get('key_id') or item.get('id')), name=as_str(item.get('name')), server=None,
                      allowed_ips=None, active=as_bool(item.get('is_active', True)),
                      scopes=[as_str(s) for s in as_list(item.get('scopes')) if as_str(s)], notify_method=None,
                      notify_address=None, secret=None, provider_data=_scrub(item))

    def list(self, server_id=None):
        body = self.client.call('GET', 'keys', v1=True)
        items = body.get('keys', body.get('api_keys')) if isinstance(body, dict) else body
        return [self._to_key(i) for i in as_list(items) if isinstance(i, dict)]

    @staticmethod
    def _check_scopes(scopes):
        bad = [s for s in scopes or [] if not SCOPE_RE.match(s)]
        if bad:
            raise ValidationError('scopes %s are not HostUp scopes (form "<action>:<area>", for example read:dns, write:dns, '
                                  'read:vm, power:vm).' % ', '.join(bad))

    def validate_create(self, spec):
        if not spec.get('scopes'):
            raise ValidationError('HostUp needs scopes to create the API key "%s" (for example [read:dns, write:dns, '
                                  'read:domains]).' % spec.get('name'))
        self._check_scopes(spec['scopes'])

    def _by_name(self, name):
        found = [k for k in self.list() if k.name == name]
        return found[0] if len(found) == 1 else None

    def _with_secret(self, data, fallback_name=None):
        secret = as_str(data.get('key'))
        if secret:
            self.client.http.redact.add(secret)
        key = self._to_key(data)
        key.name = key.name or fallback_name
        key.secret = secret
        return key

    def create(self, spec):
        self.validate_create(spec)
        body = {'name': spec['name'], 'scopes': list(spec['scopes']), 'is_test': False}
        try:
            data = self.client.call('POST', 'keys', body, idempotent=False, v1=True)
        except AmbiguousError:
            # The answer (the only copy of the secret) was lost: if the key exists now, roll it for a new secret.
            found = self._by_name(spec['name'])
            if found is None:
                raise
            data = dict(self.client.call('POST', 'keys/%s/roll' % found.id, {}, idempotent=False, v1=True))
            data.setdefault('key_id', found.id)
        data = data if isinstance(data, dict) else {}
        if data.get('key_id') is None and data.get('id') is None:
            return None
        key = self._with_secret(data, spec['name'])
        if key.active is None:
            key.active = True
        if spec.get('active') is False:
            secret = key.secret
            key = self.update(key, {'active': False}) or key
            key.secret = secret
        return key

    def update(self, key, spec):
        data = key.provider_data or {}
        scopes = spec.get('scopes', key.scopes or [])
        self._check_scopes(scopes)
        active = spec.get('active', key.active if key.active is not None else True)
        if active is False and self.in_use(key):
            raise ValidationError('API key "%s" (id %s) is the key this task authenticates with; it is not deactivated.'
                                  % (key.name, key.id))
        body = {'name': key.name, 'scopes': sorted(set(scopes)), 'is_active': bool(active),
                'allowed_dns_zones': list(as_list(data.get('allowed_dns_zones'))),
                'dns_permissions': list(as_list(data.get('dns_permissions')))}
        if data.get('description') is not None:
            body['description'] = data['description']
        self.client.call('PUT', 'keys/%s' % key.id, body, v1=True)
        updated = ApiKey(**key.to_dict())
        updated.scopes, updated.active, updated.secret = body['scopes'], body['is_active'], None
        updated.provider_data = dict(data, scopes=body['scopes'], is_active=body['is_active'])
        return updated

    def delete(self, key):
        if self.in_use(key):
            raise ValidationError('API key "%s" (id %s) is the key this task authenticates with; it is not deleted.'
                                  % (key.name, key.id))
        try:
            self.client.call('DELETE', 'keys', params={'key_id': key.id}, v1=True)
        except NotFound:
            pass

    def in_use(self, key):
        """True when ``key`` may be the key this collection authenticates with.

        The list never shows secrets. A key is in use when its record shows a part of our key (a prefix or
        suffix field), or when it is the key the API just saw: list the keys twice; our second call is
        authenticated after the first answer's ``timestamp``, so our key's ``last_used_at`` moves past it
        (a key used by someone else at that very moment counts as in use too: the safe side).
        """
        secret = self.api_key
        if not secret or not key.id:
            return False
        if key.id not in self._in_use:
            shown = self._shows_secret(key)
            self._in_use[key.id] = self._used_now(key) if shown is None else shown
        return self._in_use[key.id]

    def _shows_secret(self, key):
        """True/False when the record shows a part of a secret (or its id is inside ours); None when it shows none."""
        secret = self.api_key
        if len(str(key.id)) >= 4 and str(key.id) in secret:
            return True
        data = key.provider_data or {}
        seen = None
        for field in PREVIEW_FIELDS:
            shown = (as_str(data.get(field)) or '').replace('*', '').replace('\u2026', '').replace('...', '').strip()
            if len(shown) >= 4:
                seen = bool(seen) or secret.startswith(shown) or secret.endswith(shown)
        return seen

    def _used_now(self, key):
        first = self.client.call('GET', 'keys', v1=True, envelope=True)
        stamp = _when(first.get('timestamp'))
        before = self._last_used(first.get('data'), key.id)
        after = self._last_used(self.client.call('GET', 'keys', v1=True), key.id)
        if after is None:
            return False
        return (stamp is not None and after >= stamp) or (before is not None and after > before)

    @staticmethod
    def _last_used(body, key_id):
        items = body.get('keys', body.get('api_keys')) if isinstance(body, dict) else body
        for item in as_list(items):
            if isinstance(item, dict) and as_str(item.get('key_id') or item.get('id')) == key_id:
                return _when(item.get('last_used_at') or item.get('lastUsedAt'))
        return None


class HostupProvider(Provider):
    name = 'hostup'
    title = 'HostUp'
    default_url = 'https://cloud.hostup.se'
    credentials = (Credential('hostup_api_key', 'HOSTUP_API_KEY'),)
    capabilities = CAPABILITIES

    def __init__(self, options, pool_size=10):
        super().__init__(options)
        key = options.get('hostup_api_key') or ''
        self.http = self.http_client('HostUp', pool_size, headers={'Authorization': 'Bearer %s' % key},
                                     redactor=Redactor([key]))
        self.client = HostupClient(self.http)
        self.networks = Networks(self.client)
        self._servers = None
        self._dns = None
        self._sshkeys = None

    @property
    def servers(self):
        if self._servers is None:
            self._servers = HostupServers(self.client, self.networks)
        return self._servers

    @property
    def power(self):
        return HostupPower(self.client, self.servers)

    @property
    def ptrs(self):
        return HostupPtrs(self.client, self.servers, self.networks)

    @property
    def dns(self):
        if self._dns is None:
            self._dns = HostupDns(self.client)
        return self._dns

    @property
    def sshkeys(self):
        if self._sshkeys is None:
            self._sshkeys = HostupSshKeys(self.client)
        return self._sshkeys

    @property
    def api_keys(self):
        return HostupApiKeys(self.client, self.options.get('hostup_api_key'))
