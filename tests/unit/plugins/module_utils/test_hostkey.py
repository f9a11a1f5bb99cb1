# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HOSTKEY adapter against recorded conversations (fixtures of providers/hostkey.md section 9)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ApiError, AuthError, NotFound
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers import _hostkey_client
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._hostkey_client import classify, encode
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.hostkey import HostkeyProvider, to_server
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

URL = 'https://invapi.hostkey.com'
KEY = '0f3c9a1be27d4c5a-8e61b2f4d9a07c13'
TOKEN = '0f3c9a1be27d4c5a8e61b2f4d9a07c13'
LOGIN = {"result": {"token": TOKEN, "role": "Customer billing", "role_type": "Customer", "whmcs_id": 1201,
                    "servers": [40001, 40002, 40003], "customer_id": 9001, "permissions": ["eq/list"],
                    "token_expire": 4102444800, "new": 1}}
SHOW = {"result": "OK",
        "server_data": {"id": 40001, "ref_tableName": "VPS", "Condition_Component": "rent", "status": "rent",
                        "type": "VPS", "hwconfig": "2 vCore/4Gb/40Gb SSD", "days_left": 21, "due_date": "2026-02-01"},
        "hardware": {"config": "2 vCore/4Gb/40Gb SSD", "vm": 1, "gpu": 0, "cpu_count": 2, "ram": 4, "hdd": 40},
        "location": {"dc_location": "NL", "location_id": 1}, "OS": None,
        "IP": [{"port": "eth0", "MAC": "52:54:00:aa:bb:01", "IP": "203.0.113.10", "main_ip": 1},
               {"port": "eth0", "MAC": "52:54:00:aa:bb:01", "IP": "203.0.113.11", "main_ip": 0}],
        "tags": [{"id": 500001, "component": "eq", "component_id": 40001, "tag": "hostname", "value": "web01.example.com",
                  "extra": "", "internal": 0},
                 {"id": 500002, "component": "eq", "component_id": 40001, "tag": "OS", "value": "Ubuntu 24.04", "internal": 0},
                 {"id": 500003, "component": "eq", "component_id": 40001, "tag": "Password", "value": "Cl3ar-Root-Pw!",
                  "internal": 0},
                 {"id": 500004, "component": "eq", "component_id": 40001, "tag": "env", "value": "prod", "internal": 0}],
        "preset": "vm.v2-small", "preset_description": "VM instance 2/4/40 SSD"}
PHP = URL + '/%s.php'


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    return tmp_path / 'cache'


def provider(**options):
    opts = dict(hostkey_api_key=KEY, hostkey_pin=None, api_url=None, api_timeout=30, api_retries=1, validate_certs=True)
    opts.update(options)
    hk = HostkeyProvider(opts)
    hk.client.sleep = lambda s: None
    return hk


def login_step():
    return Step('POST', PHP % 'auth', json_body=LOGIN, expect_form=[('action', 'login'), ('key', KEY), ('ttl', '3600')])


def test_encode_flat_params_and_arrays():
    assert encode('add_dns', 'tok', {'id': 5}, {'zone': 'example.com', 'content': ['a', 'b'], 'active': True}) == [
        ('action', 'add_dns'), ('token', 'tok'), ('id', '5'), ('params[zone]', 'example.com'),
        ('params[content][]', 'a'), ('params[content][]', 'b'), ('params[active]', '1')]


@pytest.mark.parametrize('body,kind', [
    ({"result": "OK"}, 'ok'), ({"result": "Not ready", "key": "k"}, 'pending'), ({"result": {"token": "x"}}, 'ok'),
    ({"result": -1, "error": "x"}, 'error'), ({"result": "-2", "error": "auth: invalid token #13"}, 'error'),
    ({"code": -1, "message": "AsyncKey not found"}, 'error'), ({"result": "Fail", "scope": "bad"}, 'error'),
    ({"result": "success"}, 'ok'), ({"network": "x"}, 'ok'), ({"result": "Stage", "scope": "(1/5)"}, 'pending'),
])
def test_classifier(body, kind):
    assert classify(body).kind == kind


def test_login_then_token_cached_in_a_0600_file(cache_home):
    hk = provider()
    conv = attach(hk.http, [login_step(),
                            Step('POST', PHP % 'eq', json_body={"servers": [40001], "result": "OK"},
                                 expect_form=[('action', 'update_servers'), ('token', TOKEN)])])
    assert [s.id for s in hk.servers.list()] == ['40001']
    conv.done()
    files = list((cache_home / 'hostcraft').iterdir())
    assert len(files) == 1 and stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert KEY not in files[0].read_text() and json.loads(files[0].read_text())['token'] == TOKEN
    # a second provider (the next task) reuses the token: no login call
    hk2 = provider()
    conv = attach(hk2.http, [Step('POST', PHP % 'eq', json_body={"servers": [40001], "result": "OK"})])
    hk2.servers.list()
    conv.done()
    assert hk2.client.logins == 0


def test_invalid_token_relogs_in_once_and_replays():
    hk = provider()
    conv = attach(hk.http, [login_step(),
                            Step('POST', PHP % 'eq', json_body={"result": -2, "error": "auth: invalid token #13"}),
                            login_step(),
                            Step('POST', PHP % 'eq', json_body={"servers": [40002], "result": "OK"})])
    assert [s.id for s in hk.servers.list()] == ['40002']
    conv.done()
    assert hk.client.logins == 2


def test_invalid_token_twice_fails():
    hk = provider()
    bad = {"result": -2, "error": "auth: invalid token #13"}
    attach(hk.http, [login_step(), Step('POST', PHP % 'eq', json_body=bad), login_step(), Step('POST', PHP % 'eq', json_body=bad)])
    with pytest.raises(AuthError, match='invalid token'):
        hk.servers.list()


def test_wrong_key_error_is_redacted():
    hk = provider()
    attach(hk.http, [Step('POST', PHP % 'auth', json_body={"result": -1, "error": "Invalid API key %s" % KEY})])
    with pytest.raises(AuthError) as err:
        hk.servers.list()
    assert KEY not in str(err.value) and 'cannot authenticate to HOSTKEY: Invalid API key ********' in str(err.value)


def test_empty_account_is_explained():
    hk = provider()
    attach(hk.http, [Step('POST', PHP % 'auth', json_body={"result": -1, "error": "No appropriate servers found",
                                                           "code": "NO_APPROPRIATE_SERVERS"})])
    with pytest.raises(AuthError, match='order the first server in the panel'):
        hk.servers.list()


def test_show_normalized_without_password():
    server = to_server(SHOW)
    data = server.to_dict()
    assert (data['id'], data['name'], data['location'], data['plan'], data['image']) == (
        '40001', 'web01.example.com', 'NL', 'vm.v2-small', 'Ubuntu 24.04')
    assert data['cpu'] == 2 and data['memory_mb'] == 4096 and data['disk_gb'] == 40 and data['status'] == 'rent'
    assert data['ipv4'] == ['203.0.113.10', '203.0.113.11'] and data['public_ipv4'] == '203.0.113.10'
    assert data['tags'] == {'env': 'prod'}
    assert 'Cl3ar-Root-Pw!' not in json.dumps(data)


def test_lower_case_ip_keys_are_read():
    show = dict(SHOW, IP=None)
    show['ip'] = [{"ip": "198.51.100.7", "main_ip": 1}]
    del show['IP']
    assert to_server(show).public_ipv4 == '198.51.100.7'


def test_power_status_is_async_and_parsed():
    hk = provider()
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'eq', json_body={"result": "OK", "action": "status", "callback": "cb1"},
             expect_form=[('action', 'status'), ('token', TOKEN), ('id', '40002')]),
        Step('POST', PHP % 'eq_callback', json_body={"result": "Not ready", "key": "cb1"},
             expect_form=[('action', 'check'), ('key', 'cb1')]),
        Step('POST', PHP % 'eq_callback', json_body={"result": "OK", "scope": "Chassis Power is off", "key": "cb1",
                                                     "context": {"action": "status", "id": "40002"}}),
    ])
    assert hk.power.state('40002').power_state == 'stopped'
    conv.done()


def test_power_on_sends_pin_when_set_and_failure_in_scope_is_an_error():
    hk = provider(hostkey_pin='4321')
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'eq', json_body={"result": "OK", "action": "on", "callback": "cb2"},
             expect_form=[('action', 'on'), ('token', TOKEN), ('id', '40001'), ('pin', '4321')]),
        Step('POST', PHP % 'eq_callback', json_body={"result": "Error", "scope": "cancelled", "debug": "order cancelled"}),
    ])
    with pytest.raises(ApiError, match='cancelled') as err:
        hk.power.start('40001')
    assert '4321' not in str(err.value)
    conv.done()


def test_consumed_callback_key_is_a_clear_error():
    hk = provider()
    attach(hk.http, [Step('POST', PHP % 'eq_callback', json_body={"code": -1, "message": "AsyncKey not found", "key": "k"})])
    with pytest.raises(ApiError, match='unknown or was already read'):
        hk.client.wait_callback('k', 10, 'x')


def test_ptr_multiple_and_update():
    hk = provider()
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'ip', json_body={"result": "OK", "message": ["b.example.com.", "A.example.com"]},
             expect_form=[('action', 'get_ptr'), ('token', TOKEN), ('id', '40001'), ('ip', '203.0.113.10')]),
        Step('POST', PHP % 'ip', json_body={"result": "OK", "message": ""},
             expect_form=[('action', 'update_ptr'), ('token', TOKEN), ('id', '40001'), ('ip', '203.0.113.10'),
                          ('ptr', 'web01.example.com.')]),
        Step('POST', PHP % 'eq', json_body={"servers": [40001], "result": "OK"},
             expect_form=[('action', 'list'), ('token', TOKEN), ('ip', '203.0.113.10')]),
        Step('POST', PHP % 'ip', json_body={"result": "OK", "message": []}),
    ])
    assert hk.ptrs.get('203.0.113.10', server_id='40001').ptr == 'a.example.com.\nb.example.com.'
    hk.ptrs.set('203.0.113.10', 'web01.example.com.', server_id='40001')
    assert hk.ptrs.get('203.0.113.10').ptr is None
    conv.done()


def test_ip_of_no_server_is_not_found():
    hk = provider()
    attach(hk.http, [login_step(), Step('POST', PHP % 'eq', json_body={"servers": [], "result": "OK"})])
    with pytest.raises(NotFound, match='not found on any HOSTKEY server'):
        hk.ptrs.get('198.51.100.1')


ZONE_A = {"result": "OK", "module": "pdns", "action": "view_zone", "data": [
    {"id": "example.com.", "name": "example.com.", "kind": "Master", "rrsets": [
        {"name": "example.com.", "type": "A", "ttl": 3600, "records": [{"content": "203.0.113.10", "disabled": False}]},
        {"name": "www.example.com.", "type": "A", "ttl": 300, "records": [
            {"content": "203.0.113.10", "disabled": False}, {"content": "203.0.113.11", "disabled": False}]},
        {"name": "example.com.", "type": "MX", "ttl": 3600, "records": [{"content": "10 mail.example.com.", "disabled": False}]},
        {"name": "example.com.", "type": "TXT", "ttl": 3600, "records": [{"content": "\"v=spf1 mx -all\"", "disabled": False}]}]}]}
ZONE_B = {"result": "OK", "module": "pdns", "action": "view_zone", "data": {"id": 77, "name": "example.com", "records": [
    {"id": 9101, "name": "www", "type": "A", "content": "203.0.113.10", "ttl": 300, "priority": 0},
    {"id": 9102, "name": "@", "type": "MX", "content": "mail.example.com.", "ttl": 3600, "priority": 10}]}}


def test_view_zone_both_shapes():
    hk = provider()
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'pdns', json_body=ZONE_A,
             expect_form=[('action', 'view_zone'), ('token', TOKEN), ('params[zone]', 'example.com')]),
        Step('POST', PHP % 'pdns', json_body=ZONE_B)])
    records = hk.dns.list_records('example.com')
    assert [(r.name, r.type, r.value, r.ttl) for r in records] == [
        ('example.com.', 'A', '203.0.113.10', 3600), ('www.example.com.', 'A', '203.0.113.10', 300),
        ('www.example.com.', 'A', '203.0.113.11', 300), ('example.com.', 'MX', '10 mail.example.com.', 3600),
        ('example.com.', 'TXT', 'v=spf1 mx -all', 3600)]
    records = hk.dns.list_records('example.com')
    assert [(r.id, r.name, r.type, r.value) for r in records] == [
        ('9101', 'www', 'A', '203.0.113.10'), ('9102', '@', 'MX', '10 mail.example.com.')]
    conv.done()


def test_add_dns_sends_the_whole_set():
    hk = provider()
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'pdns', json_body={"result": "OK", "data": None}, expect_form=[
            ('action', 'add_dns'), ('token', TOKEN), ('params[zone]', 'example.com'), ('params[name]', 'www'),
            ('params[type]', 'A'), ('params[content][]', '203.0.113.10'), ('params[content][]', '203.0.113.12'),
            ('params[ttl]', '300')]),
        Step('POST', PHP % 'pdns', json_body={"result": "OK", "data": None}, expect_form=[
            ('action', 'add_dns'), ('token', TOKEN), ('params[zone]', 'example.com'), ('params[name]', '@'),
            ('params[type]', 'TXT'), ('params[content]', '"v=spf1 -all"'), ('params[ttl]', '60')]),
        Step('POST', PHP % 'pdns', json_body={"result": "OK", "data": None}, expect_form=[
            ('action', 'delete_dns'), ('token', TOKEN), ('params[zone]', 'example.com'), ('params[name]', 'www'),
            ('params[type]', 'A'), ('params[content][]', '203.0.113.12')]),
    ])
    hk.dns.replace_set('example.com', 'www', 'A', ['203.0.113.10', '203.0.113.12'], 300)
    hk.dns.replace_set('example.com', '@', 'TXT', ['v=spf1 -all'], 60)
    hk.dns.delete_set('example.com', 'www', 'A', ['203.0.113.12'])
    conv.done()


def test_tags_ssh_keys_and_api_keys():
    hk = provider()
    tags = {"result": "OK", "action": "list", "tags": [
        {"id": 500001, "tag": "hostname", "value": "web01.example.com", "internal": 0},
        {"id": 500004, "tag": "env", "value": "prod", "internal": 0},
        {"id": 500005, "tag": "role", "value": "frontend", "extra": "lb-pool-a", "internal": 0}]}
    keys = {"result": "OK", "module": "ssh_keys", "action": "list", "sshkeys": [
        {"id": 31, "customer_id": 9001, "name": "deploy", "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD",
         "default": 1}]}
    added = {"result": "OK", "module": "api_keys", "action": "add", "data": {
        "id": 803, "name": "backup-job", "active": 1, "ip": "203.0.113.5", "server_id": 0, "token_view": "c41d",
        "login_notify_method": "email", "login_notify_address": "ops@example.com", "api_key": "c41d0a9e77b2f1e3-5a6b7c8d9e0f1a2b"}}
    listed = {"result": "OK", "module": "api_keys", "action": "list", "data": [
        {"id": 801, "name": "ansible-ci", "active": 1, "ip": "203.0.113.0/28 10.0.0.1", "server_id": 0, "token_view": "0f3c",
         "login_notify_method": "none", "login_notify_address": None}]}
    conv = attach(hk.http, [
        login_step(),
        Step('POST', PHP % 'tags', json_body=tags, expect_form=[('action', 'list'), ('token', TOKEN), ('id', '40001'),
                                                                ('component', 'eq')]),
        Step('POST', PHP % 'tags', json_body={"result": "OK"}, expect_form=[
            ('action', 'add'), ('token', TOKEN), ('id', '40001'), ('tag', 'team'), ('value', 'payments'), ('component', 'eq')]),
        Step('POST', PHP % 'ssh_keys', json_body=keys, expect_form=[('action', 'list'), ('token', TOKEN)]),
        Step('POST', PHP % 'ssh_keys', json_body={"result": "OK"}, expect_form=[('action', 'delete'), ('token', TOKEN), ('id', '31')]),
        Step('POST', PHP % 'api_keys', json_body=added, expect_form=[
            ('action', 'add'), ('token', TOKEN), ('params[name]', 'backup-job'), ('params[login_notify_method]', 'email'),
            ('params[active]', '1'), ('params[ip]', '203.0.113.5'), ('params[login_notify_address]', 'ops@example.com')]),
        Step('POST', PHP % 'api_keys', json_body=listed, expect_form=[('action', 'list'), ('token', TOKEN)]),
    ])
    assert hk.tags.list('40001') == {'env': 'prod', 'role': 'frontend'}
    hk.tags.set('40001', 'team', 'payments')
    assert hk.tags.protected('Password') and hk.tags.protected('hostname') and not hk.tags.protected('env')
    [key] = hk.sshkeys.list()
    assert key.fingerprint == 'SHA256:qgq5Xp5n/OcU3eU1wJJaGwWphvYt5F3KG5BRgfDpUBk'
    hk.sshkeys.delete(key)
    new = hk.api_keys.create({'name': 'backup-job', 'allowed_ips': ['203.0.113.5'], 'notify_method': 'email',
                              'notify_address': 'ops@example.com'})
    assert new.secret == 'c41d0a9e77b2f1e3-5a6b7c8d9e0f1a2b' and 'api_key' not in new.provider_data
    [current] = hk.api_keys.list()
    assert current.allowed_ips == ['203.0.113.0/28', '10.0.0.1'] and hk.api_keys.in_use(current)
    conv.done()


def test_token_cache_expiry(tmp_path):
    cache = _hostkey_client.TokenCache('k', URL, clock=lambda: 1000)
    cache.save('tok', 1000 + 60)
    assert cache.load() is None
    cache.save('tok', 1000 + 3600)
    assert cache.load() == 'tok'
