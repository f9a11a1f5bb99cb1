# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Serverspace adapter against recorded conversations (fixtures of providers/serverspace.md section 7)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    AuthError,
    NotFound,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.serverspace import (
    ServerspaceProvider,
    check_ttl,
    tags_to_dict,
    to_server,
)
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

KEY = '08' + 'a' * 62
URL = 'https://api.serverspace.us/api/v1/'
WEB = {"id": "l1s10001", "name": "web-01", "location_id": "nj3", "image_id": "Ubuntu-22.04-X64", "cpu": 2, "ram_mb": 4096,
       "state": "Active", "is_power_on": True, "created": "2024-05-14T09:21:33.1234567Z", "login": "root",
       "password": "REDACTED-example-1", "ssh_key_ids": [501], "tags": ["web", "prod", "env=prod"],
       "volumes": [{"id": 70001, "name": "boot", "size_mb": 30720}, {"id": 70002, "name": "data", "size_mb": 51200}],
       "nics": [{"id": 80002, "server_id": "l1s10001", "network_id": "l1n2001", "network_type": "Isolated",
                 "ip_address": "10.10.0.11", "mask": 24, "bandwidth_mbps": 0},
                {"id": 80001, "server_id": "l1s10001", "network_id": "l1pub1", "network_type": "PublicShared",
                 "ip_address": "203.0.113.10", "mask": 24, "gateway": "203.0.113.1", "bandwidth_mbps": 50}]}
BUSY = {"errors": [{"code": -4000, "message": "A conflict occurred during a concurrent change of the object"}]}


def provider(**options):
    opts = dict(serverspace_api_key=KEY, api_url=None, api_timeout=30, api_retries=2, validate_certs=True)
    opts.update(options)
    ss = ServerspaceProvider(opts)
    ss.client.sleep = lambda s: None
    return ss


def test_host_from_key_prefix_and_override():
    assert provider().http.base_url == 'https://api.serverspace.us'
    assert provider(serverspace_api_key='04' + 'b' * 62).http.base_url == 'https://api.serverspace.io'
    assert provider(api_url='http://127.0.0.1:9/').http.base_url == 'http://127.0.0.1:9'


def test_list_normalized_without_secrets():
    ss = provider()
    conv = attach(ss.http, [Step('GET', URL + 'servers', json_body={"servers": [WEB]},
                                 expect_headers={'X-API-KEY': KEY})])
    [server] = ss.servers.list()
    conv.done()
    data = server.to_dict()
    assert (data['id'], data['name'], data['location'], data['image'], data['cpu'], data['memory_mb'], data['disk_gb']) == (
        'l1s10001', 'web-01', 'nj3', 'Ubuntu-22.04-X64', 2, 4096, 30)
    assert data['public_ipv4'] == '203.0.113.10' and data['ipv4'] == ['203.0.113.10', '10.10.0.11'] and data['ipv6'] == []
    assert data['power_state'] == 'running' and data['status'] == 'active'
    assert data['tags'] == {'web': '', 'prod': '', 'env': 'prod'}
    assert 'REDACTED-example-1' not in json.dumps(data) and 'login' not in data['provider_data']
    assert ss.servers.details_complete()


def test_building_server_without_nics():
    server = to_server({"id": "l1s10003", "name": "build-01", "state": "New", "is_power_on": False, "volumes": [], "nics": []})
    assert server.public_ipv4 is None and server.disk_gb is None and server.power_state == 'stopped'


def test_busy_is_retried_even_for_a_write_then_task_followed():
    ss = provider()
    conv = attach(ss.http, [
        Step('PATCH', URL + 'servers/l1s10001', status=400, json_body=BUSY),
        Step('PATCH', URL + 'servers/l1s10001', json_body={"task_id": "l1t50004"}, expect_json={'cpu': 4}),
        Step('GET', URL + 'tasks/l1t50004', json_body={"task": {"id": "l1t50004", "is_completed": "InProgress"}}),
        Step('GET', URL + 'tasks/l1t50004', json_body={"task": {"id": "l1t50004", "is_completed": "Completed"}}),
        Step('GET', URL + 'servers/l1s10001', json_body={"server": dict(WEB, cpu=4)}),
    ])
    ss.servers.update(to_server(WEB), {'cpu': 4})
    conv.done()
    assert ss.http.slept and ss.http.slept[0] >= 1


def test_create_takes_the_id_from_the_task_and_waits_active():
    ss = provider()
    conv = attach(ss.http, [
        Step('POST', URL + 'servers', status=201, json_body={"task_id": "l1t50001"}, expect_json={
            'name': 'build-01', 'location_id': 'nj3', 'image_id': 'Ubuntu-24.04-X64', 'cpu': 1, 'ram_mb': 1024,
            'volumes': [{'name': 'boot', 'size_mb': 25600}], 'networks': [{'bandwidth_mbps': 50}],
            'ssh_key_ids': [501], 'tags': ['env=dev', 'web']}),
        Step('GET', URL + 'tasks/l1t50001', json_body={"task": {"id": "l1t50001", "is_completed": "InProgress"}}),
        Step('GET', URL + 'tasks/l1t50001', json_body={"task": {"id": "l1t50001", "server_id": "l1s10003",
                                                                "is_completed": "Completed"}}),
        Step('GET', URL + 'servers/l1s10003', json_body={"server": {"id": "l1s10003", "name": "build-01", "state": "New"}}),
        Step('GET', URL + 'servers/l1s10003', json_body={"server": dict(WEB, id="l1s10003", name="build-01")}),
    ])
    server = ss.servers.create({'name': 'build-01', 'location': 'nj3', 'image': 'Ubuntu-24.04-X64', 'cpu': 1,
                                'memory_mb': 1024, 'disk_gb': 25, 'ssh_key_ids': ['501'], 'tags': {'web': None, 'env': 'dev'}})
    conv.done()
    assert server.id == 'l1s10003' and server.status == 'active'


def test_create_is_never_retried_blindly():
    ss = provider()
    attach(ss.http, [Step('POST', URL + 'servers', status=503, body='busy', content_type='text/plain')])
    with pytest.raises(AmbiguousError):
        ss.servers.create({'name': 'x', 'location': 'nj3', 'image': 'i', 'cpu': 1, 'memory_mb': 1024, 'disk_gb': 25})


def test_failed_task_is_an_error():
    ss = provider()
    attach(ss.http, [
        Step('POST', URL + 'servers/l1s10001/power/shutdown', json_body={"task_id": "l1t50002"}, expect_json={}),
        Step('GET', URL + 'tasks/l1t50002', json_body={"task": {"id": "l1t50002", "is_completed": "Failed"}})])
    with pytest.raises(ApiError, match='ended Failed'):
        ss.power.stop('l1s10001')


def test_power_routes():
    ss = provider()
    steps = []
    for action in ('on', 'off', 'reboot', 'reset'):
        steps += [Step('POST', URL + 'servers/s1/power/%s' % action, json_body={"task_id": "t"}),
                  Step('GET', URL + 'tasks/t', json_body={"task": {"is_completed": "Completed"}})]
    conv = attach(ss.http, steps)
    ss.power.start('s1')
    ss.power.stop('s1', hard=True)
    ss.power.restart('s1')
    ss.power.restart('s1', hard=True)
    conv.done()


def test_errors():
    ss = provider()
    attach(ss.http, [Step('GET', URL + 'servers/nope', status=404, json_body={"errors": [{"code": -1, "message": "Server not found"}]}),
                     Step('GET', URL + 'servers', status=401, json_body={"errors": [{"code": -1, "message": "Invalid key %s" % KEY}]})])
    with pytest.raises(NotFound, match='Serverspace server nope not found'):
        ss.servers.get('nope')
    with pytest.raises(AuthError) as err:
        ss.servers.list()
    assert KEY not in str(err.value) and 'cannot authenticate to Serverspace' in str(err.value)


def test_ssh_keys_both_list_keys_and_bare_create():
    ss = provider()
    conv = attach(ss.http, [
        Step('GET', URL + 'ssh-keys', json_body={"ssh_keys": [{"id": 501, "name": "deploy", "public_key": "ssh-ed25519 AAAA deploy"}]}),
        Step('GET', URL + 'ssh-keys', json_body={"ssh_key": [{"id": 503, "name": "ops", "public_key": "ssh-rsa AAAA ops"}]}),
        Step('POST', URL + 'ssh-keys', status=201, json_body={"id": 504, "name": "new", "public_key": "ssh-ed25519 AAAA new"},
             expect_json={'name': 'new', 'public_key': 'ssh-ed25519 AAAA new'}),
        Step('DELETE', URL + 'ssh-keys/504', status=404, json_body={"errors": [{"code": -1, "message": "not found"}]}),
    ])
    assert [k.id for k in ss.sshkeys.list()] == ['501']
    assert [k.name for k in ss.sshkeys.list()] == ['ops']
    key = ss.sshkeys.create('new', 'ssh-ed25519 AAAA new')
    assert key.id == '504'
    ss.sshkeys.delete(key)
    conv.done()


RECORDS = {"records": [
    {"id": 66001, "name": "www.example.com.", "type": "A", "ttl": "1h", "ip": "203.0.113.10"},
    {"id": 66002, "name": "example.com.", "type": "MX", "ttl": "1h", "mail_host": "mail.example.com.", "priority": 10},
    {"id": 66003, "name": "example.com.", "type": "TXT", "ttl": "5m", "text": "\"v=spf1 -all\""},
    {"id": 66004, "name": "example.com.", "type": "NS", "ttl": "1d", "name_server_host": "ns01.serverspace.com."}]}


def test_dns_read_and_write_encodings():
    ss = provider()
    conv = attach(ss.http, [
        Step('GET', URL + 'domains/example.com./records', json_body=RECORDS),
        Step('POST', URL + 'domains/example.com./records', status=201, json_body={"task_id": "dns1"},
             expect_json={'name': 'example.com.', 'type': 'TXT', 'ttl': '5m', 'text': 'v=spf1 mx -all'}),
        Step('GET', URL + 'tasks/dns1', json_body={"task": {"is_completed": "Completed", "record_id": 66005}}),
        Step('POST', URL + 'domains/example.com./records', status=400,
             json_body={"errors": [{"code": -5542, "message": "Record already exists"}]}),
        Step('POST', URL + 'domains/example.com./records', status=201, json_body={"task_id": "dns2"},
             expect_json={'name': 'example.com.', 'type': 'SRV', 'ttl': '1h', 'service': 'sip', 'protocol': 'TCP',
                          'priority': 0, 'weight': 5, 'port': 5060, 'target': 'sip.example.com.'}),
        Step('GET', URL + 'tasks/dns2', json_body={"task": {"is_completed": "Completed"}}),
    ])
    records = ss.dns.list_records('example.com')
    assert [(r.name, r.type, r.value, r.ttl) for r in records] == [
        ('www.example.com.', 'A', '203.0.113.10', 3600), ('example.com.', 'MX', '10 mail.example.com.', 3600),
        ('example.com.', 'TXT', 'v=spf1 -all', 300), ('example.com.', 'NS', 'ns01.serverspace.com.', 86400)]
    ss.dns.add('example.com', '@', 'TXT', 'v=spf1 mx -all', 300)
    ss.dns.add('example.com', 'www', 'A', '203.0.113.10', 3600)  # -5542: already there, not an error
    ss.dns.add('example.com', '_sip._tcp', 'SRV', '0 5 5060 sip.example.com.', 3600)
    conv.done()


def test_missing_zone():
    ss = provider()
    attach(ss.http, [Step('GET', URL + 'domains/example.org./records', status=404,
                          json_body={"errors": [{"code": -1, "message": "Domain not found"}]})])
    with pytest.raises(NotFound, match='DNS zone example.org not found at Serverspace'):
        ss.dns.list_records('example.org')


@pytest.mark.parametrize('ttl', [1, 60, 3600, 86400, None])
def test_ttl_enum_ok(ttl):
    check_ttl(ttl)


@pytest.mark.parametrize('ttl', [2, 120, 3599, 100000])
def test_ttl_enum_refused(ttl):
    with pytest.raises(ValidationError, match='provider serverspace cannot use ttl .*1, 5, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400'):
        check_ttl(ttl)


def test_tags_k_v_strings():
    assert tags_to_dict(['a=b', 'c', 'd=', 'e=f=g']) == {'a': 'b', 'c': '', 'd': '', 'e': 'f=g'}
    ss = provider()
    conv = attach(ss.http, [
        Step('GET', URL + 'servers/l1s10001', json_body={"server": WEB}),
        Step('DELETE', URL + 'servers/l1s10001/tags/env%3Dprod', json_body={}),
        Step('POST', URL + 'servers/l1s10001/tags', json_body={}, expect_json={'value': 'env=staging'}),
    ])
    ss.tags.set('l1s10001', 'env', 'staging')
    conv.done()
