# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HostUp adapter against recorded conversations (fixtures of providers/hostup.md section 9)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    AuthError,
    NotFound,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import CALL_HOOKS
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import ApiKey, Server
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import open_provider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.hostup import (
    HostupProvider,
    addresses,
    record_body,
    record_value,
    to_server,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import api_key, dns_record, power, ptr, server, sshkey
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

KEY = 'hu_live_0123456789abcdefABCDEF0123456789'
ROOT = 'https://cloud.hostup.se'
V2 = ROOT + '/api/v2/'
V1 = ROOT + '/api/'
VPS = 'vps_01jtestvps00000000000000a1'
VPS2 = 'vps_01jtestvps00000000000000a2'
WEB = {"id": VPS, "name": "web-01", "primaryIp": "203.0.113.10", "serviceStatus": "active", "powerState": "running",
       "operatingSystem": {"displayName": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04", "variant": None},
       "billing": {"amount": 199, "currencyCode": "SEK", "billingCycle": "monthly", "isPayg": False, "periodYears": None},
       "resources": {"cpuCores": 2, "memoryGb": 4, "storageGb": 80}, "tags": ["web"], "pinned": False}
DB = {"id": VPS2, "name": "db-01", "primaryIp": "203.0.113.11", "serviceStatus": "active", "powerState": "stopped",
      "operatingSystem": {"displayName": "Debian 12", "family": "debian", "version": "12", "variant": None},
      "billing": {"amount": 0, "currencyCode": "SEK", "billingCycle": "monthly", "isPayg": True, "periodYears": None},
      "resources": {"cpuCores": 4, "memoryGb": 8, "storageGb": 160}, "tags": [], "pinned": True}
GONE = dict(DB, id='vps_01jtestvps00000000000000a3', name='old-01', serviceStatus='terminated', primaryIp='203.0.113.12')
STATUS = {"id": VPS, "powerState": "running", "uptimeSeconds": 86400, "cpuUsagePercent": 3.2, "cpuCores": 2,
          "memory": {"usedGb": 1.1, "totalGb": 4, "usagePercent": 27.5},
          "storage": {"usedGb": 12.4, "totalGb": 80, "usagePercent": 15.5},
          "network": {"inboundGb": 1.25, "outboundGb": 0.8, "totalGb": 2.05}, "pendingTasks": []}
OPERATION = {"operation": {"status": "queued", "jobId": "job_01jtestjob00000000000000a1",
                           "pollUrl": "/api/jobs/job_01jtestjob00000000000000a1", "result": None}}
JOB_DONE = {"success": True, "timestamp": "2026-05-04T10:16:40.000Z", "requestId": "6f1c2b7e-0d5a-4c1e-9a34-2b8f7c1d0e11",
            "data": {"jobId": "job_01jtestjob00000000000000a1", "queueType": "vm", "type": "shutdown", "state": "completed",
                     "status": "completed", "progress": 100, "result": {"success": True}, "isCompleted": True,
                     "isFailed": False, "isRunning": False, "isWaiting": False}}
JOB_RUNNING = {"success": True, "data": {"jobId": "job_01jtestjob00000000000000a1", "status": "active", "isCompleted": False,
                                         "isFailed": False, "isRunning": True}}
NOT_READY = {"type": "https://developer.hostup.se/errors/vps_not_ready", "title": "VPS not ready", "status": 409,
             "detail": "VPS not ready.", "code": "vps_not_ready", "instance": "/api/v2/vps/%s/actions/restart" % VPS,
             "requestId": "req_01jtestreq000000000000000c3", "timestamp": "2026-05-04T10:16:05.000Z"}
VPS_404 = {"type": "https://developer.hostup.se/errors/vps_not_found", "title": "VPS not found", "status": 404,
           "detail": "No VPS matching the given ID was found.", "code": "vps_not_found", "instance": "/api/v2/vps/vps_unknown",
           "requestId": "req_01jtestreq000000000000000c2", "timestamp": "2026-05-04T10:16:00.000Z"}
V1_401 = {"error": "Unauthorized", "message": "Authentication required", "code": "UNAUTHORIZED",
          "timestamp": "2026-05-04T10:00:06.000Z", "requestId": "61c2d3e4-9a1c-4d7e-8b8f-1c9d5e7a8b87"}
V1_429 = {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later.", "retryAfter": "30",
          "requestId": "72d3e4f5-0b2d-4e8f-9c9a-2d0e6f8b9c98"}
V2_429 = {"type": "https://developer.hostup.se/errors/rate_limited", "title": "Rate limit exceeded", "status": 429,
          "detail": "Rate limit exceeded. Please try again later.", "code": "rate_limited", "instance": "/api/v2/vps",
          "requestId": "req_01jtestreq000000000000000c4", "timestamp": "2026-05-04T10:17:00.000Z"}
NETWORK = {"interfaces": [{"id": "net0", "model": "virtio", "mac": "52:54:00:aa:bb:01", "bridge": "vmbr0", "vlan": None,
                           "firewallEnabled": True, "linkDown": False,
                           "ip": [{"id": "ip_01jtestip000000000000000a1", "type": "ipv4", "ip": "203.0.113.10", "mask": "24",
                                   "gateway": "203.0.113.1", "rdns": "10001.hostup.se"},
                                  {"id": "ip_01jtestip000000000000000a2", "type": "ipv6", "ip": "2001:db8::10",
                                   "mask": "64", "rdns": None}]}],
           "actions": {"canUpdateRdns": {"allowed": True, "reason": None}}}
NETWORK_LIST = {"interfaces": [{"id": "net0", "ip": [{"id": "ip_01jtestip000000000000000a1", "type": "ipv4",
                                                      "ip": "203.0.113.10", "mask": "24"}]}],
                "reverseDns": [{"ip": "203.0.113.10", "rdns": "web-01.example.com"}]}
ZONE = 'zone_01jtestzone0000000000000a1'
ZONES = {"data": [{"id": ZONE, "name": "example.com", "zoneStatus": "active", "isDnsOnly": False, "kind": "linked",
                   "recordCount": 4}], "hasMore": False, "nextCursor": None}
RECORDS = {"zone": {"id": ZONE, "name": "example.com", "zoneStatus": "active", "recordCount": 4}, "records": [
    {"id": "drr_01jtestrec00000000000000a1", "type": "A", "name": "example.com", "value": "203.0.113.10", "ttl": 3600,
     "priority": None, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a2", "type": "A", "name": "www.example.com", "value": "203.0.113.10", "ttl": 3600,
     "priority": None, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a3", "type": "MX", "name": "example.com", "value": "mail.example.com", "ttl": 3600,
     "priority": 10, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a4", "type": "TXT", "name": "_dmarc.example.com", "value": "\"v=DMARC1; p=none\"",
     "ttl": 3600, "priority": None, "weight": None, "port": None, "status": "active"}]}
ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD ops@example.com'
ED2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzX5q3tJbM0bEJ7wR2P6Jf0m0Qk3V9cC1pS2Q9h0A1x ci@example.com'
SSH = {"id": "ssh_01jtestssh00000000000000a1", "displayId": "ops-laptop", "name": "ops-laptop", "publicKey": ED,
       "fingerprint": "SHA256:FakeFingerprintForTestsOnly0000000000000000", "keyType": "ed25519",
       "createdAt": "2026-03-01T08:00:00.000Z", "actions": {"canRename": {"allowed": True, "reason": None, "code": None},
                                                            "canDelete": {"allowed": True, "reason": None, "code": None}}}
SECRET = 'hu_test_secret_value_do_not_use_0000000000'
CREATED = {"success": True, "timestamp": "2026-05-04T13:00:00.000Z", "requestId": "f0f1a2b3-8d0f-4a6b-9e12-0f8a4b6d7e10",
           "data": {"key_id": "key_TESTKEY0001", "key": SECRET, "name": "ansible-dns", "description": "managed by ansible",
                    "scopes": ["read:dns", "write:dns", "read:domains"], "dns_permissions": [],
                    "created_at": "2026-05-04T13:00:00.000Z", "message": "API key created"}}
LISTED = {"key_id": "key_TESTKEY0001", "name": "ansible-dns", "description": "managed by ansible",
          "scopes": ["read:dns", "write:dns", "read:domains"], "dns_permissions": [], "allowed_dns_zones": ["example.com"],
          "is_active": True, "is_test": False, "created_at": "2026-05-04T13:00:00.000Z", "expires_at": None,
          "last_used_at": None}
OK = {"success": True, "timestamp": "2026-05-04T13:00:01.000Z", "requestId": "01a2b3c4-9e1a-4b7c-8f23-1a9b5c7e8f21",
      "data": {"message": "API key updated"}}


def envelope(data):
    return {"success": True, "timestamp": "2026-05-04T13:00:00.000Z", "requestId": "12b3c4d5-0f2b-4c8d-9a34-2b0c6d8f9a32",
            "data": data}


def page(items, cursor=None):
    return {"data": items, "hasMore": cursor is not None, "nextCursor": cursor}


def details(**gates):
    actions = dict((name, {"allowed": allowed, "reason": reason, "code": code})
                   for name, (allowed, reason, code) in gates.items())
    return {"id": VPS, "productName": "VPS S", "hostname": "web-01.example.com", "serviceStatus": "active",
            "cpuCores": 2, "memoryGb": 4, "storageGb": 80, "actions": actions}


def provider(**options):
    opts = dict(hostup_api_key=KEY, api_url=None, api_timeout=30, api_retries=2, validate_certs=True)
    opts.update(options)
    hu = HostupProvider(opts)
    clock = {'t': 0.0}

    def sleep(seconds):
        clock['t'] += seconds
        hu.slept.append(seconds)

    hu.slept = []
    hu.client.sleep = sleep
    hu.client.clock = lambda: clock['t']
    return hu


def conversation(hu, steps):
    conv = attach(hu.http, steps)
    hu.http.sleep = hu.client.sleep
    return conv


class Module:
    """Just enough of HostcraftModule for the resources' ensure()/info()."""

    def __init__(self, hu, params, check_mode=False, diff=True):
        self._hu = hu
        self.params = params
        self.check_mode = check_mode
        self.diff = diff

    def provider(self, feature, thing=None):
        self._hu.capabilities.require(feature, thing)
        return self._hu


# --- transport -----------------------------------------------------------------------------------

def test_registry_capabilities_and_bearer_auth():
    with pytest.raises(Unsupported, match='provider hostup cannot create servers: HostUp has no API to order/cancel a VPS; '
                                          'order and cancel in the customer portal'):
        open_provider('hostup', {'hostup_api_key': KEY}, 'server.create')
    with pytest.raises(Unsupported, match='provider hostup cannot delete servers'):
        open_provider('hostup', {'hostup_api_key': KEY}, 'server.delete')
    for feature in ('tag', 'image_info'):
        with pytest.raises(Unsupported, match='provider hostup cannot'):
            open_provider('hostup', {'hostup_api_key': KEY}, feature)
    hu = provider()
    assert hu.http.base_url == ROOT
    assert provider(api_url='http://127.0.0.1:9/').http.base_url == 'http://127.0.0.1:9'
    conv = conversation(hu, [Step('GET', V2 + 'vps/%s/status' % VPS, json_body=STATUS,
                                  expect_headers={'Authorization': 'Bearer ' + KEY, 'Accept': 'application/json'})])
    assert hu.power.state(VPS).power_state == 'running'
    conv.done()


def test_v2_problem_document_is_mapped():
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'vps/vps_unknown', status=404, json_body=VPS_404)])
    with pytest.raises(NotFound) as info:
        hu.servers.get('vps_unknown')
    assert 'HostUp VPS vps_unknown not found' in str(info.value)
    conversation(hu, [Step('GET', V2 + 'vps/vps_unknown', status=404, json_body=VPS_404)])
    with pytest.raises(NotFound) as info:
        hu.client.call('GET', 'vps/vps_unknown')
    assert info.value.code == 'vps_not_found' and 'No VPS matching' in str(info.value) and 'req_01jtest' in str(info.value)


def test_v1_error_envelope_is_mapped_and_the_key_redacted():
    hu = provider()
    body = dict(V1_401, message='Authentication required for %s' % KEY)
    conversation(hu, [Step('GET', V1 + 'keys', status=401, json_body=body)])
    with pytest.raises(AuthError) as info:
        hu.api_keys.list()
    assert info.value.code == 'UNAUTHORIZED' and 'HOSTUP_API_KEY' in str(info.value) and KEY not in str(info.value)


def test_validation_errors_name_the_fields():
    hu = provider()
    dup = {"type": "https://developer.hostup.se/errors/invalid_request", "title": "Validation failed", "status": 400,
           "detail": "An identical record already exists in this zone.", "code": "invalid_request",
           "errors": [{"pointer": "/value", "detail": "Duplicate record.", "code": "duplicate"}]}
    conversation(hu, [Step('POST', V2 + 'dns-zones/%s/records' % ZONE, status=400, json_body=dup)])
    hu.dns._zones['example.com'] = ZONE
    with pytest.raises(ApiError) as info:
        hu.dns.add('example.com', 'www', 'A', '203.0.113.10', 300)
    assert 'identical record' in str(info.value) and '/value: Duplicate record.' in str(info.value)
    assert info.value.code == 'invalid_request' and info.value.status == 400


def test_v2_429_honours_retry_after():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/status' % VPS, status=429, json_body=V2_429,
             headers={'Retry-After': '30', 'X-RateLimit-Limit': '120', 'X-RateLimit-Remaining': '0',
                      'X-RateLimit-Reset': '2026-05-04T10:17:30.000Z'}),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=STATUS)])
    hu.power.state(VPS)
    conv.done()
    assert hu.slept == [30.0]


def test_v1_429_takes_the_wait_from_the_body():
    hu = provider()
    conv = conversation(hu, [Step('GET', V1 + 'keys', status=429, json_body=V1_429),
                             Step('GET', V1 + 'keys', json_body=envelope({"keys": [LISTED]}))])
    [key] = hu.api_keys.list()
    conv.done()
    assert hu.slept == [30.0] and key.id == 'key_TESTKEY0001'


def test_a_create_answered_429_is_not_retried_blindly():
    hu = provider()
    conversation(hu, [Step('POST', V2 + 'ssh-keys', status=429, json_body=V2_429, headers={'Retry-After': '7'})])
    with pytest.raises(AmbiguousError) as info:
        hu.sshkeys.create('ci', ED)
    assert info.value.retry_after == 7.0


def test_html_on_a_read_is_retried_then_an_error():
    hu = provider(api_retries=1)
    conversation(hu, [Step('GET', V2 + 'vps/%s/status' % VPS, body='<html>oops</html>', content_type='text/html'),
                      Step('GET', V2 + 'vps/%s/status' % VPS, body='<html>oops</html>', content_type='text/html')])
    with pytest.raises(ApiError, match='not in its format'):
        hu.power.state(VPS)


def test_v1_success_false_is_an_error():
    hu = provider()
    conversation(hu, [Step('GET', V1 + 'keys', json_body={"success": False, "message": "nope", "data": {}})])
    with pytest.raises(ApiError, match='success=false'):
        hu.api_keys.list()


# --- servers -----------------------------------------------------------------------------------

def test_list_is_paged_with_the_largest_page_and_hides_gone_services():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps?limit=100', json_body=page([WEB, GONE], 'eyJvZmZzZXQiOjEwMH0')),
        Step('GET', V2 + 'vps?limit=100&cursor=eyJvZmZzZXQiOjEwMH0', json_body=page([DB])),
    ])
    servers = hu.servers.list()
    conv.done()
    assert [s.name for s in servers] == ['web-01', 'db-01']
    assert not hu.servers.details_complete()


def test_normalized_server_follows_the_fact_sheet():
    data = to_server(WEB, NETWORK).to_dict()
    assert (data['id'], data['name'], data['status'], data['power_state'], data['image'], data['cpu'], data['memory_mb'],
            data['disk_gb']) == (VPS, 'web-01', 'active', 'running', 'Ubuntu 24.04', 2, 4096, 80)
    assert data['public_ipv4'] == '203.0.113.10' and data['ipv4'] == ['203.0.113.10'] and data['ipv6'] == ['2001:db8::10']
    assert data['tags'] == {'web': ''} and data['location'] is None and data['plan'] is None
    assert data['provider_data']['billing']['isPayg'] is False
    assert to_server(dict(WEB, powerState='starting')).power_state == 'unknown'
    assert to_server(dict(WEB, operatingSystem={'family': 'ubuntu'})).image == 'ubuntu'


def test_get_reads_the_vps_and_its_network():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps/' + VPS, json_body=WEB),
                             Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])
    assert hu.servers.get(VPS).ipv6 == ['2001:db8::10']
    conv.done()


def test_identity_by_name_or_vps_id():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps?name=web-01&limit=100', json_body=page([WEB]))])
    assert [s.id for s in hu.servers.by_name('web-01')] == [VPS]
    conv.done()
    conv = conversation(hu, [Step('GET', V2 + 'vps/' + VPS, json_body=WEB)])
    assert hu.servers.by_id(VPS).name == 'web-01'
    conv.done()
    conv = conversation(hu, [Step('GET', V2 + 'vps/vps_unknown', status=404, json_body=VPS_404)])
    assert hu.servers.by_id('vps_unknown') is None
    conv.done()
    assert hu.servers.by_id('web-01') is None  # no call: not an id


def test_server_present_on_an_existing_vps_reads_only():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps?name=web-01&limit=100', json_body=page([WEB])),
                             Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])  # the list item is reused
    result = server.ensure(Module(hu, params(name='web-01')))
    conv.done()
    assert result['changed'] is False and result['server']['id'] == VPS


def params(**kwargs):
    base = dict(provider='hostup', state='present', location=None, image=None, plan=None, cpu=None, memory_mb=None,
                disk_gb=None, bandwidth=None, platform=None, ssh_keys=None, root_password=None, tags=None, extra=None,
                ports=None, user=None, hostname=None, allow_paid=False, force=False, keep_ips=False, wait=True,
                wait_timeout=600)
    base.update(kwargs)
    return base


@pytest.mark.parametrize('check_mode', [False, True])
def test_missing_vps_and_absent_fail_without_writes(check_mode):
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'vps?name=new-01&limit=100', json_body=page([]))])
    with pytest.raises(Unsupported, match='provider hostup cannot create servers: HostUp has no API'):
        server.ensure(Module(hu, params(name='new-01'), check_mode=check_mode))
    conv = conversation(hu, [])
    with pytest.raises(Unsupported, match='provider hostup cannot delete servers'):
        server.ensure(Module(hu, params(name='web-01', state='absent'), check_mode=check_mode))
    conv.done()


def test_create_only_options_fail_before_any_call():
    hu = provider()
    conv = conversation(hu, [])
    for option, value in (('cpu', 4), ('image', 'Debian 12'), ('tags', {'a': 'b'}), ('location', 'sto'),
                          ('ssh_keys', ['ops']), ('allow_paid', True)):
        with pytest.raises(ValidationError, match='provider hostup cannot use %s' % option):
            server.ensure(Module(hu, params(name='web-01', **{option: value})))
    with pytest.raises(ValidationError, match='hostname'):
        server.ensure(Module(hu, params(name='web-01', hostname='-bad-.example.com')))
    conv.done()


def vps_reads(hostname='web-01.example.com'):
    return [Step('GET', V2 + 'vps?name=web-01&limit=100', json_body=page([WEB])),
            Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK),
            Step('GET', V2 + 'vps/%s/details' % VPS, json_body=dict(details(), hostname=hostname))]


HOSTNAME_ANSWER = {"hostname": "app.example.com", "reloadRecommended": True, "accountInactive": False,
                   "accountStatus": "active", "cacheCleared": True,
                   "actions": {"canChange": {"allowed": True, "reason": None}},
                   "hostnameNormalized": False, "serviceRecordSynced": True,
                   "reverseDnsProtection": {"status": "restored", "monitoredIpCount": 1, "changesDetected": 1,
                                            "restoredIps": ["203.0.113.10"]}}


def test_hostname_change_check_mode_apply_and_rerun():
    hu = provider()
    conv = conversation(hu, vps_reads())
    result = server.ensure(Module(hu, params(name='web-01', hostname='App.Example.com.'), check_mode=True))
    conv.done()
    assert result['changed'] is True
    assert result['diff']['before']['hostname'] == 'web-01.example.com' and result['diff']['after']['hostname'] == \
        'App.Example.com.'
    hu = provider()
    conv = conversation(hu, vps_reads() + [
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canChange=(True, None, None))),
        Step('PUT', V2 + 'vps/%s/hostname' % VPS, json_body=HOSTNAME_ANSWER, expect_json={'hostname': 'App.Example.com'}),
        Step('GET', V2 + 'vps/' + VPS, json_body=WEB),
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])  # read again: rDNS protection may have changed it
    result = server.ensure(Module(hu, params(name='web-01', hostname='App.Example.com.')))
    conv.done()
    assert result['changed'] is True and result['server']['provider_data']['hostname'] == 'app.example.com'
    assert result['hostname_change']['reverse_dns']['status'] == 'restored'
    hu = provider()
    conv = conversation(hu, vps_reads('app.example.com'))
    result = server.ensure(Module(hu, params(name='web-01', hostname='app.example.com')))
    conv.done()
    assert result['changed'] is False and 'hostname_change' not in result


def test_hostname_gate_refuses_without_a_write():
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'vps/%s/details' % VPS,
                           json_body=details(canChange=(False, 'The service is suspended', 'service_suspended')))])
    with pytest.raises(ApiError, match='The service is suspended'):
        hu.servers.set_hostname(to_server(WEB), 'app.example.com')


# --- power -----------------------------------------------------------------------------------------

def power_params(**kwargs):
    base = dict(provider='hostup', server='web-01', state='stopped', force=False, wait=True, wait_timeout=600)
    base.update(kwargs)
    return base


def test_power_check_mode_reads_only():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps?name=web-01&limit=100', json_body=page([WEB])),
                             Step('GET', V2 + 'vps/%s/status' % VPS, json_body=STATUS),
                             Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canShutdown=(True, None, None))),
                             Step('GET', V2 + 'vps/' + VPS, json_body=WEB),
                             Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])
    result = power.ensure(Module(hu, power_params(), check_mode=True))
    conv.done()
    assert result['changed'] is True and result['power_state'] == 'stopped'


def test_shutdown_follows_the_job_then_confirms():
    hu = provider()
    stopped = dict(STATUS, powerState='stopped')
    conv = conversation(hu, [
        Step('GET', V2 + 'vps?name=web-01&limit=100', json_body=page([WEB])),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=STATUS),
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canShutdown=(True, None, None))),
        Step('POST', V2 + 'vps/%s/actions/shutdown' % VPS, status=202, json_body=OPERATION),
        Step('GET', ROOT + '/api/jobs/job_01jtestjob00000000000000a1', json_body=JOB_RUNNING),
        Step('GET', ROOT + '/api/jobs/job_01jtestjob00000000000000a1', json_body=JOB_DONE),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=stopped),
        Step('GET', V2 + 'vps/' + VPS, json_body=dict(WEB, powerState='stopped')),
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])
    result = power.ensure(Module(hu, power_params()))
    conv.done()
    assert result['changed'] is True and result['power_state'] == 'stopped' and result['server']['power_state'] == 'stopped'
    assert conv.requests[3].body in (None, b'', '')  # no body for shutdown


@pytest.mark.parametrize('method, hard, route', [('stop', True, 'stop'), ('restart', False, 'restart'),
                                                 ('restart', True, 'reset'), ('start', None, 'start')])
def test_action_routes(method, hard, route):
    hu = provider()
    gate = 'can' + route.capitalize()
    conv = conversation(hu, [Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(**{gate: (True, None, None)})),
                             Step('POST', V2 + 'vps/%s/actions/%s' % (VPS, route), status=202,
                                  json_body={"operation": {"status": "completed", "jobId": "job_x", "pollUrl": None}})])
    getattr(hu.power, method)(*((VPS,) if hard is None else (VPS, hard)))
    conv.done()


def test_job_in_a_bare_body_and_a_failed_job():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details()),
        Step('POST', V2 + 'vps/%s/actions/start' % VPS, status=202, json_body=OPERATION),
        Step('GET', ROOT + '/api/jobs/job_01jtestjob00000000000000a1', json_body={"status": "in_progress"}),
        Step('GET', ROOT + '/api/jobs/job_01jtestjob00000000000000a1', json_body={"status": "completed"})])
    hu.power.start(VPS)
    conv.done()
    failed = {"success": True, "data": {"jobId": "job_01jtestjob00000000000000a1", "isCompleted": False, "isFailed": True,
                                        "progressMessage": "Hypervisor refused"}}
    conversation(hu, [Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details()),
                      Step('POST', V2 + 'vps/%s/actions/start' % VPS, status=202, json_body=OPERATION),
                      Step('GET', ROOT + '/api/jobs/job_01jtestjob00000000000000a1', json_body=failed)])
    with pytest.raises(ApiError, match='failed: Hypervisor refused'):
        hu.power.start(VPS)


def test_a_closed_gate_fails_with_its_reason_and_makes_no_call():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps/%s/details' % VPS,
                                  json_body=details(canRestart=(False, 'Unpaid invoice', 'existing_invoice_blocking')))])
    with pytest.raises(ApiError, match='Unpaid invoice'):
        hu.power.restart(VPS)
    conv.done()
    assert all(r.method == 'GET' for r in conv.requests)


def test_409_not_ready_waits_and_decides_again():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details()),
        Step('POST', V2 + 'vps/%s/actions/shutdown' % VPS, status=409, json_body=NOT_READY),
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canShutdown=(False, 'VPS not ready.', 'vps_not_ready'))),
        Step('GET', V2 + 'vps/%s/details' % VPS,
             json_body=details(canShutdown=(False, 'The VPS is not running.', 'vps_not_running'))),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=dict(STATUS, powerState='stopped'))])
    hu.power.stop(VPS)  # someone else's shutdown got there first: nothing is sent again
    conv.done()
    assert [r.method for r in conv.requests].count('POST') == 1


def test_not_ready_gate_waits_then_acts():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canStart=(False, 'VPS not ready', 'vps_not_ready'))),
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canStart=(False, 'VPS not ready.', None))),
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details(canStart=(True, None, None))),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=dict(STATUS, powerState='stopped')),
        Step('POST', V2 + 'vps/%s/actions/start' % VPS, status=202,
             json_body={"operation": {"status": "completed", "jobId": "job_y"}})])
    hu.power.start(VPS)
    conv.done()
    assert hu.slept == [1.0, 1.5]  # backoff while the gate says "not ready"


def test_transition_is_reported_as_locked():
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'vps/%s/status' % VPS, json_body=dict(STATUS, powerState='starting'))])
    state = hu.power.state(VPS)
    assert state.locked is True and state.power_state == 'unknown'


# --- PTR ---------------------------------------------------------------------------------------------

def test_ptr_reads_both_shapes():
    assert addresses(NETWORK)[0] == ('203.0.113.10', 'ipv4', '10001.hostup.se')
    assert addresses(NETWORK_LIST) == [('203.0.113.10', 'ipv4', 'web-01.example.com')]
    assert addresses({"interfaces": [], "reverseDns": [{"ip": "2001:DB8::10", "rdns": "v6.example.com"}]}) == [
        ('2001:db8::10', 'ipv6', 'v6.example.com')]


def test_ptr_found_from_the_ip_then_set_and_rerun():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps?primaryIp=203.0.113.10&limit=100', json_body=page([WEB])),
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK),
        Step('POST', V2 + 'vps/%s/network' % VPS, expect_json={'action': 'update_rdns', 'ip': '203.0.113.10',
                                                               'rdns': 'web-01.example.com'},
             json_body={"action": "update_rdns", "ip": "203.0.113.10", "rdns": "web-01.example.com", "updated": True})])
    result = ptr.ensure(Module(hu, dict(provider='hostup', ip='203.0.113.10', ptr='Web-01.Example.com.', state='present',
                                        server=None)))
    conv.done()
    assert result['changed'] is True and result['ptr'] == {'ip': '203.0.113.10', 'ptr': 'web-01.example.com.'}
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'vps?primaryIp=203.0.113.10&limit=100', json_body=page([WEB])),
                             Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK_LIST)])
    result = ptr.ensure(Module(hu, dict(provider='hostup', ip='203.0.113.10', ptr='web-01.example.com', state='present',
                                        server=None)))
    conv.done()
    assert result['changed'] is False


def test_ptr_of_a_secondary_address_is_found_through_the_networks():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps?primaryIp=2001%3Adb8%3A%3A10&limit=100', json_body=page([])),
        Step('GET', V2 + 'vps?limit=100', json_body=page([DB, WEB])),
        Step('GET', V2 + 'vps/%s/network' % VPS2, json_body={"interfaces": []}),
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK)])
    assert hu.ptrs.get('2001:db8::10').ptr is None
    conv.done()


def test_ptr_absent_restores_the_default_only_when_the_api_shows_it():
    hu = provider()
    custom = json.loads(json.dumps(NETWORK))
    custom['interfaces'][0]['ip'][0]['rdns'] = 'web-01.example.com'
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=custom),
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=details()),
        Step('GET', V2 + 'vps/' + VPS, json_body=WEB)])
    with pytest.raises(Unsupported, match='provider hostup cannot reset a PTR'):
        hu.ptrs.reset('203.0.113.10', VPS)
    conv.done()
    conv = conversation(hu, [  # the network read is kept within the run
        Step('GET', V2 + 'vps/%s/details' % VPS, json_body=dict(details(), proxmoxVmId='10001')),
        Step('POST', V2 + 'vps/%s/network' % VPS, expect_json={'action': 'update_rdns', 'ip': '203.0.113.10',
                                                               'rdns': '10001.hostup.se'},
             json_body={"action": "update_rdns", "ip": "203.0.113.10", "rdns": "10001.hostup.se", "updated": True})])
    assert hu.ptrs.reset('203.0.113.10', VPS).ptr == '10001.hostup.se.'
    conv.done()
    assert hu.ptrs.is_default('10001.hostup.se.') and not hu.ptrs.is_default('web-01.example.com.')


def test_ptr_write_waits_out_not_ready():
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V2 + 'vps/%s/network' % VPS, json_body=NETWORK),
        Step('POST', V2 + 'vps/%s/network' % VPS, status=409, json_body=NOT_READY),
        Step('GET', V2 + 'vps/%s/status' % VPS, json_body=STATUS),
        Step('POST', V2 + 'vps/%s/network' % VPS, json_body={"updated": True})])
    assert hu.ptrs.set('203.0.113.10', 'web-01.example.com.', VPS).ptr == 'web-01.example.com.'
    conv.done()


# --- DNS -------------------------------------------------------------------------------------------------

def zone_steps():
    return [Step('GET', V2 + 'dns-zones?name=example.com&limit=1000', json_body=ZONES),
            Step('GET', V2 + 'dns-zones/%s/records' % ZONE, json_body=RECORDS)]


def test_records_read_relative_with_txt_unquoted():
    hu = provider()
    conv = conversation(hu, zone_steps())
    records = hu.dns.list_records('example.com')
    conv.done()
    assert [(r.name, r.type, r.value, r.ttl) for r in records] == [
        ('@', 'A', '203.0.113.10', 3600), ('www', 'A', '203.0.113.10', 3600), ('@', 'MX', '10 mail.example.com.', 3600),
        ('_dmarc', 'TXT', 'v=DMARC1; p=none', 3600)]
    assert record_value({'type': 'TXT', 'value': '"%s" "%s"' % ('a' * 255, 'b')}) == 'a' * 255 + 'b'
    assert record_value({'type': 'SRV', 'value': 'sip.example.com', 'priority': 0, 'weight': 5, 'port': 5060}) == \
        '0 5 5060 sip.example.com.'
    assert record_body('@', 'SRV', '0 5 5060 sip.example.com.', 300) == {
        'type': 'SRV', 'name': '@', 'value': 'sip.example.com', 'priority': 0, 'weight': 5, 'port': 5060, 'ttl': 300}


def test_missing_zone():
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'dns-zones?name=missing.example&limit=1000', json_body=page([]))])
    with pytest.raises(NotFound, match='DNS zone missing.example not found at HostUp'):
        hu.dns.list_records('missing.example')


def rr(**kwargs):
    base = dict(provider='hostup', zone='example.com', record='www', type='A', values=['203.0.113.20'], ttl=300,
                state='present')
    base.update(kwargs)
    return base


def test_dns_update_is_one_put_per_changed_record_and_pending_is_no_difference():
    hu = provider()
    conv = conversation(hu, zone_steps() + [
        Step('PUT', V2 + 'dns-zones/%s/records/drr_01jtestrec00000000000000a2' % ZONE,
             expect_json={'type': 'A', 'name': 'www', 'value': '203.0.113.20', 'ttl': 300},
             json_body={"id": "drr_01jtestrec00000000000000a2", "type": "A", "name": "www.example.com",
                        "value": "203.0.113.20", "ttl": 300, "status": "pending"})])
    result = dns_record.ensure(Module(hu, rr()))
    conv.done()
    assert result['changed'] is True and result['record'] == {'zone': 'example.com', 'record': 'www', 'type': 'A',
                                                              'ttl': 300, 'values': ['203.0.113.20']}
    after = json.loads(json.dumps(RECORDS))
    after['records'][1].update(value='203.0.113.20', ttl=300, status='pending')
    conv = conversation(hu, [Step('GET', V2 + 'dns-zones/%s/records' % ZONE, json_body=after)])
    assert dns_record.ensure(Module(hu, rr()))['changed'] is False  # zone id cached within the run
    conv.done()


def test_dns_post_missing_values_delete_extra_ones_txt_sent_unquoted():
    hu = provider()
    created = {"id": "drr_01jtestrec00000000000000b7", "type": "TXT", "name": "_acme-challenge.example.com",
               "value": "\"token-value-123\"", "ttl": 60, "priority": None, "weight": None, "port": None,
               "status": "pending"}
    conv = conversation(hu, zone_steps() + [
        Step('POST', V2 + 'dns-zones/%s/records' % ZONE, status=201, json_body=created,
             expect_json={'type': 'TXT', 'name': '_acme-challenge', 'value': 'token-value-123', 'ttl': 60})])
    result = dns_record.ensure(Module(hu, rr(record='_acme-challenge', type='TXT', values=['"token-value-123"'], ttl=60)))
    conv.done()
    assert result['changed'] is True and result['record']['values'] == ['token-value-123']
    hu = provider()
    conv = conversation(hu, zone_steps() + [
        Step('PUT', V2 + 'dns-zones/%s/records/drr_01jtestrec00000000000000a1' % ZONE,
             expect_json={'type': 'A', 'name': '@', 'value': '203.0.113.30', 'ttl': 3600}, json_body={}),
        Step('POST', V2 + 'dns-zones/%s/records' % ZONE, status=201,
             expect_json={'type': 'A', 'name': '@', 'value': '203.0.113.31', 'ttl': 3600},
             json_body={"id": "drr_new", "type": "A", "name": "example.com", "value": "203.0.113.31", "ttl": 3600})])
    result = dns_record.ensure(Module(hu, rr(record='@', values=['203.0.113.30', '203.0.113.31'], ttl=None)))
    conv.done()
    assert result['record']['values'] == ['203.0.113.30', '203.0.113.31']
    hu = provider()
    conv = conversation(hu, zone_steps() + [
        Step('DELETE', V2 + 'dns-zones/%s/records/drr_01jtestrec00000000000000a3' % ZONE, status=204)])
    result = dns_record.ensure(Module(hu, rr(record='@', type='MX', values=None, state='absent')))
    conv.done()
    assert result['changed'] is True and result['record'] == {}


def test_dns_mx_body_and_404_on_delete_is_absent():
    hu = provider()
    hu.dns._zones['example.com'] = ZONE
    conv = conversation(hu, [
        Step('POST', V2 + 'dns-zones/%s/records' % ZONE, status=201,
             expect_json={'type': 'MX', 'name': '@', 'value': 'mx2.example.com', 'priority': 20, 'ttl': 3600},
             json_body={"id": "drr_mx2", "type": "MX", "name": "example.com", "value": "mx2.example.com", "priority": 20,
                        "ttl": 3600}),
        Step('DELETE', V2 + 'dns-zones/%s/records/drr_gone' % ZONE, status=404,
             json_body=dict(VPS_404, code='not_found'))])
    assert hu.dns.add('example.com', '@', 'MX', '20 mx2.example.com.', 3600).value == '20 mx2.example.com.'
    hu.dns.delete('example.com', record_for('drr_gone'))
    conv.done()


def record_for(record_id):
    return hu_record(record_id)


def hu_record(record_id):
    from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import DnsRecord
    return DnsRecord(record_id, 'www', 'A', '203.0.113.10', 300)


def test_dns_limits_fail_before_any_call():
    hu = provider()
    conv = conversation(hu, [])
    with pytest.raises(ValidationError, match='at least 60'):
        dns_record.ensure(Module(hu, rr(ttl=30)))
    with pytest.raises(ValidationError, match='cannot manage PTR records'):
        dns_record.ensure(Module(hu, rr(type='PTR', values=['web.example.com.'])))
    conv.done()


# --- SSH keys ----------------------------------------------------------------------------------------------

def key_params(**kwargs):
    base = dict(provider='hostup', name='ops-laptop', public_key=ED, state='present', force=False)
    base.update(kwargs)
    return base


def test_sshkey_list_paged_create_and_rerun():
    hu = provider()
    new = dict(SSH, id='ssh_01jtestssh00000000000000b2', name='ci-deploy', publicKey=ED2)
    conv = conversation(hu, [
        Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH], 'c2')),
        Step('GET', V2 + 'ssh-keys?limit=100&cursor=c2', json_body=page([])),
        Step('POST', V2 + 'ssh-keys', status=201, json_body=new, expect_json={'name': 'ci-deploy', 'publicKey': ED2})])
    result = sshkey.ensure(Module(hu, key_params(name='ci-deploy', public_key=ED2)))
    conv.done()
    assert result['changed'] is True and result['sshkey']['id'] == 'ssh_01jtestssh00000000000000b2'
    assert result['sshkey']['fingerprint'].startswith('SHA256:')
    conv = conversation(hu, [Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH, new]))])
    assert sshkey.ensure(Module(hu, key_params(name='ci-deploy', public_key=ED2)))['changed'] is False
    conv.done()


def test_sshkey_other_material_needs_force_then_delete_and_create():
    hu = provider()
    conversation(hu, [Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH]))])
    with pytest.raises(ValidationError, match='force'):
        sshkey.ensure(Module(hu, key_params(public_key=ED2)))
    new = dict(SSH, id='ssh_new', publicKey=ED2)
    conv = conversation(hu, [
        Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH])),
        Step('DELETE', V2 + 'ssh-keys/' + SSH['id'], status=204),
        Step('POST', V2 + 'ssh-keys', status=201, json_body=new, expect_json={'name': 'ops-laptop', 'publicKey': ED2})])
    result = sshkey.ensure(Module(hu, key_params(public_key=ED2, force=True)))
    conv.done()
    assert result['changed'] is True and result['sshkey']['id'] == 'ssh_new'


def test_sshkey_delete_gate_and_rename():
    hu = provider()
    locked = dict(SSH, actions={"canDelete": {"allowed": False, "reason": "Used by a pending order", "code": "pending_order"}})
    conv = conversation(hu, [Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([locked]))])
    with pytest.raises(ApiError, match='Used by a pending order.*pending_order'):
        sshkey.ensure(Module(hu, key_params(state='absent')))
    conv.done()
    conv = conversation(hu, [
        Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH])),
        Step('PATCH', V2 + 'ssh-keys/' + SSH['id'], expect_json={'name': 'ops-2026'}, json_body=dict(SSH, name='ops-2026'))])
    [key] = hu.sshkeys.list()
    assert hu.sshkeys.rename(key, 'ops-2026').name == 'ops-2026'
    conv.done()


def test_sshkey_absent_404_is_gone():
    hu = provider()
    conv = conversation(hu, [Step('GET', V2 + 'ssh-keys?limit=100', json_body=page([SSH])),
                             Step('DELETE', V2 + 'ssh-keys/' + SSH['id'], status=404, json_body=dict(VPS_404, code='not_found'))])
    assert sshkey.ensure(Module(hu, key_params(state='absent')))['changed'] is True
    conv.done()


# --- API keys ---------------------------------------------------------------------------------------------------

def ak_params(**kwargs):
    base = dict(provider='hostup', name='ansible-dns', state='present', server=None, allowed_ips=None, active=None,
                scopes=['read:dns', 'write:dns', 'read:domains'], notify_method=None, notify_address=None, secret_file=None)
    base.update(kwargs)
    return base


def test_api_key_create_returns_the_secret_once_and_redacts_it():
    hu = provider()
    events = []
    CALL_HOOKS.append(events.append)
    try:
        conv = conversation(hu, [
            Step('GET', V1 + 'keys', json_body=envelope({"keys": []})),
            Step('POST', V1 + 'keys', json_body=CREATED,
                 expect_json={'name': 'ansible-dns', 'scopes': ['read:dns', 'read:domains', 'write:dns'], 'is_test': False})])
        result = api_key.ensure(Module(hu, ak_params()))
        conv.done()
    finally:
        CALL_HOOKS.remove(events.append)
    assert result['changed'] is True and result['api_key']['secret'] == SECRET
    assert result['api_key']['id'] == 'key_TESTKEY0001' and SECRET not in json.dumps(result['diff'])
    assert SECRET not in json.dumps(result['api_key']['provider_data'])
    assert hu.http.redact('echo ' + SECRET) == 'echo ********'
    assert KEY not in json.dumps(events)


def test_api_key_secret_file_0600(tmp_path):
    hu = provider()
    path = tmp_path / 'dns.key'
    conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": []})), Step('POST', V1 + 'keys', json_body=CREATED)])
    result = api_key.ensure(Module(hu, ak_params(secret_file=str(path))))
    assert path.read_text() == SECRET + '\n' and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert 'secret' not in result['api_key']


def test_api_key_update_is_a_full_replace_with_scopes_as_sets():
    hu = provider()
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [LISTED]}))])
    result = api_key.ensure(Module(hu, ak_params(scopes=['read:domains', 'write:dns', 'read:dns', 'read:dns'])))
    conv.done()
    assert result['changed'] is False and 'secret' not in result['api_key']
    conv = conversation(hu, [
        Step('GET', V1 + 'keys', json_body=envelope({"keys": [LISTED]})),
        Step('PUT', V1 + 'keys/key_TESTKEY0001', json_body=OK, expect_json={
            'name': 'ansible-dns', 'scopes': ['read:dns', 'read:vm'], 'is_active': True,
            'allowed_dns_zones': ['example.com'], 'dns_permissions': [], 'description': 'managed by ansible'})])
    result = api_key.ensure(Module(hu, ak_params(scopes=['read:dns', 'read:vm'])))
    conv.done()
    assert result['changed'] is True and result['api_key']['scopes'] == ['read:dns', 'read:vm']


def test_api_key_bad_input_fails_before_any_call():
    hu = provider()
    conv = conversation(hu, [])
    with pytest.raises(Unsupported, match='provider hostup cannot restrict API keys to IP addresses'):
        api_key.ensure(Module(hu, ak_params(allowed_ips=['203.0.113.5'])))
    with pytest.raises(Unsupported, match='provider hostup cannot manage per-server API keys'):
        api_key.ensure(Module(hu, ak_params(server='web-01')))
    with pytest.raises(Unsupported, match='notify'):
        api_key.ensure(Module(hu, ak_params(notify_method='email')))
    conv.done()
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": []}))])
    with pytest.raises(ValidationError, match='HostUp needs scopes'):
        api_key.ensure(Module(hu, ak_params(scopes=None)))
    conv.done()
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": []}))])
    with pytest.raises(ValidationError, match='not HostUp scopes'):
        api_key.ensure(Module(hu, ak_params(scopes=['everything'])))
    conv.done()


def test_api_key_lost_create_answer_is_re_read_and_rolled():
    hu = provider()
    rolled = envelope(dict(CREATED['data'], key='hu_rolled_secret_value_000000000000', message='API key rolled'))
    conv = conversation(hu, [
        Step('GET', V1 + 'keys', json_body=envelope({"keys": []})),
        Step('POST', V1 + 'keys', status=502, body='Bad gateway', content_type='text/plain'),
        Step('GET', V1 + 'keys', json_body=envelope({"keys": [LISTED]})),
        Step('POST', V1 + 'keys/key_TESTKEY0001/roll', json_body=rolled)])
    result = api_key.ensure(Module(hu, ak_params()))
    conv.done()
    assert result['api_key']['secret'] == 'hu_rolled_secret_value_000000000000'
    hu = provider()
    conv = conversation(hu, [
        Step('GET', V1 + 'keys', json_body=envelope({"keys": []})),
        Step('POST', V1 + 'keys', status=502, body='Bad gateway', content_type='text/plain'),
        Step('GET', V1 + 'keys', json_body=envelope({"keys": []})),
        Step('GET', V1 + 'keys', json_body=envelope({"keys": []})),
        Step('POST', V1 + 'keys', json_body=CREATED)])
    result = api_key.ensure(Module(hu, ak_params()))
    conv.done()
    assert result['api_key']['secret'] == SECRET


def test_the_key_in_use_is_never_deleted_or_deactivated():
    hu = provider()
    mine = dict(LISTED, key_id='key_MINE0001', name='ansible-ci', key_prefix=KEY[:12] + '****')
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [mine, LISTED]}))])
    with pytest.raises(ValidationError, match='authenticates with'):
        api_key.ensure(Module(hu, ak_params(name='ansible-ci', state='absent', scopes=None)))
    conv.done()
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [mine]}))])
    with pytest.raises(ValidationError, match='authenticates with'):
        api_key.ensure(Module(hu, ak_params(name='ansible-ci', active=False, scopes=None)))
    conv.done()
    probe = dict(envelope({"keys": [mine, LISTED]}), timestamp='2026-05-04T13:00:05.000Z')
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [mine, LISTED]})),
                             Step('GET', V1 + 'keys', json_body=probe),
                             Step('GET', V1 + 'keys', json_body=envelope({"keys": [mine, dict(LISTED, last_used_at='2026-05-01T00:00:00.000Z')]})),
                             Step('DELETE', V1 + 'keys?key_id=key_TESTKEY0001', json_body=envelope({"message": "API key revoked"}))])
    assert api_key.ensure(Module(hu, ak_params(state='absent', scopes=None)))['changed'] is True
    conv.done()


def test_the_key_just_seen_by_the_api_is_in_use():
    hu = provider()
    probe = dict(envelope({"keys": [LISTED]}), timestamp='2026-05-04T13:00:05.000Z')
    conv = conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [LISTED]})),
                             Step('GET', V1 + 'keys', json_body=probe),
                             Step('GET', V1 + 'keys', json_body=envelope({"keys": [dict(LISTED, last_used_at='2026-05-04T13:00:05.004Z')]}))])
    with pytest.raises(ValidationError, match='authenticates with'):
        api_key.ensure(Module(hu, ak_params(state='absent', scopes=None), check_mode=True))
    conv.done()
    assert hu.api_keys.in_use(ApiKey(id='key_x', name='x', provider_data={'key_last4': KEY[-4:]}))
    assert not hu.api_keys.in_use(ApiKey(id='key_x', name='x', provider_data={'key_prefix': 'hu_live_9999'}))


def test_api_key_info_never_shows_secrets():
    hu = provider()
    conversation(hu, [Step('GET', V1 + 'keys', json_body=envelope({"keys": [dict(LISTED, key=SECRET)]}))])
    result = api_key.info(Module(hu, dict(provider='hostup', name=None, server=None)))
    assert SECRET not in json.dumps(result) and result['api_keys'][0]['active'] is True


def test_server_model_is_plain():
    assert isinstance(to_server(WEB), Server)
