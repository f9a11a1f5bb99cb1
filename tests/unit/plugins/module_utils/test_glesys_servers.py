# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""GleSYS servers, power, PTR and catalog against the fact sheet's fixtures (providers/glesys.md 10.1-10.4)."""

from __future__ import annotations

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._glesys_servers import GlesysServers, to_server
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.test_glesys import URL, provider

STATUS = {"code": 200, "timestamp": "2025-03-14T10:21:07+01:00", "text": "OK"}
LIST_RICH = {"response": {"status": STATUS, "servers": [
    {"serverid": "kvm1000123", "projectkey": "cl12345", "hostname": "web01.example.com", "datacenter": "Falkenberg",
     "platform": "KVM", "description": "frontend", "cpucores": 2, "memorysize": 4096, "disksize": 40, "transfer": None,
     "bandwidth": 100, "templatename": "Debian 12 (Bookworm)",
     "initialtemplate": {"id": "5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31", "name": "Debian 12 (Bookworm)"}},
    {"serverid": "wps1000456", "projectkey": "cl12345", "hostname": "legacy-app", "datacenter": "Stockholm",
     "platform": "VMware", "description": None, "cpucores": 1, "memorysize": 2048, "disksize": 20, "transfer": None,
     "bandwidth": 100, "templatename": "Ubuntu 22.04 LTS (Jammy Jellyfish)"}], "debug": {"input": []}}}
LIST_LEGACY = {"response": {"status": dict(STATUS, transactionid=None), "servers": [
    {"serverid": "kvm1000789", "hostname": "db01.example.com", "datacenter": "Falkenberg", "platform": "KVM"}],
    "debug": {"input": []}}}
DETAILS_RUNNING = {"response": {"status": STATUS, "server": {
    "serverid": "kvm1000123", "hostname": "web01.example.com", "description": "frontend", "datacenter": "Falkenberg",
    "platform": "KVM", "cpucores": 2, "memorysize": 4096, "disksize": 40, "bandwidth": 100, "transfer": None,
    "templatename": "Debian 12 (Bookworm)",
    "initialtemplate": {"id": "5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31", "name": "Debian 12 (Bookworm)",
                        "currenttags": ["debian-12", "debian-latest"]},
    "iplist": [{"ipaddress": "203.0.113.10", "version": 4}, {"ipaddress": "2001:db8:0:1::10", "version": 6}],
    "backup": {"enabled": "yes", "schedules": [{"frequency": "daily", "numberofimagestokeep": 7}]},
    "additionaldisks": [], "supportedfeatures": {"editbandwidth": "no"},
    "isrunning": True, "islocked": False, "status": "ready", "state": "running"},
    "debug": {"input": {"serverid": "kvm1000123", "includestate": "yes"}}}}
DETAILS_LOCKED_NO_ID = {"response": {"status": STATUS, "server": {
    "hostname": "web02.example.com", "datacenter": "Falkenberg", "platform": "KVM", "cpucores": 1,
    "iplist": [{"ipaddress": "203.0.113.11", "version": 4}], "isrunning": False, "islocked": True,
    "status": "updating", "state": "locked"}}}
DETAILS_XML = '''<?xml version="1.0" encoding="utf-8"?>
<response><status><code>200</code><text>OK</text></status>
<server><serverid>wps1000456</serverid><hostname>legacy-app</hostname><datacenter>Stockholm</datacenter>
<platform>VMware</platform><cpucores>1</cpucores><memorysize>2048</memorysize><disksize>20</disksize>
<templatename>Ubuntu 22.04 LTS (Jammy Jellyfish)</templatename>
<iplist><item><ipaddress>203.0.113.20</ipaddress><version>4</version></item></iplist>
<supportedfeatures><editbandwidth>yes</editbandwidth></supportedfeatures>
<isrunning/><islocked/><status>ready</status><state>stopped</state></server>
<debug><input><serverid>wps1000456</serverid></input></debug></response>'''


def test_list_rich_and_legacy_shapes():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/server/list', json_body=LIST_RICH, expect_json={}),
                                Step('POST', URL + '/server/list', json_body=LIST_LEGACY)])
    web, legacy = glesys.servers.list()
    assert (web.id, web.name, web.location, web.cpu, web.memory_mb, web.disk_gb, web.image) == (
        'kvm1000123', 'web01.example.com', 'Falkenberg', 2, 4096, 40, 'Debian 12 (Bookworm)')
    assert web.ipv4 == [] and web.power_state == 'unknown' and web.status is None
    assert glesys.servers.details_complete() is False
    [db] = glesys.servers.list()
    assert db.to_dict()['cpu'] is None and db.name == 'db01.example.com'
    conv.done()


def test_details_normalized():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/server/details', json_body=DETAILS_RUNNING,
                                     expect_json={'serverid': 'kvm1000123', 'includestate': 'yes'})])
    server = glesys.servers.get('kvm1000123')
    conv.done()
    data = server.to_dict()
    assert data['ipv4'] == ['203.0.113.10'] and data['ipv6'] == ['2001:db8:0:1::10']
    assert data['public_ipv4'] == '203.0.113.10' and data['status'] == 'running' and data['power_state'] == 'running'
    assert data['provider_data']['backup']['enabled'] == 'yes' and data['tags'] == {}
    assert GlesysServers.image_matches(server, 'DEBIAN-12') and GlesysServers.image_matches(server, 'Debian 12 (Bookworm)')
    assert GlesysServers.image_matches(server, '5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31')
    assert not GlesysServers.image_matches(server, 'ubuntu-24-04')
    assert 'bandwidth' not in GlesysServers.editable(server)


def test_details_keeps_asked_id_and_locked_state():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/server/details', json_body=DETAILS_LOCKED_NO_ID)])
    server = glesys.servers.get('kvm1000999')
    assert server.id == 'kvm1000999' and server.status == 'locked' and server.power_state == 'stopped'


def test_details_xml():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/server/details', body=DETAILS_XML, content_type='application/xml')])
    server = glesys.servers.get('wps1000456')
    assert (server.cpu, server.ipv4, server.power_state, server.status) == (1, ['203.0.113.20'], 'stopped', 'stopped')
    assert 'bandwidth' in GlesysServers.editable(server)


def test_details_unknown_server():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/server/details', status=404,
                              json_body={"response": {"status": {"code": 404, "text": "Server not found."}}})])
    with pytest.raises(NotFound, match='GleSYS server kvm9 not found'):
        glesys.servers.get('kvm9')


def test_create_arguments_kvm_and_vmware():
    glesys = provider()
    answer = {"response": {"status": STATUS, "server": dict(DETAILS_LOCKED_NO_ID['response']['server'], serverid='kvm1')}}
    conv = attach(glesys.http, [
        Step('POST', URL + '/server/create', json_body=answer, expect_json={
            'datacenter': 'Falkenberg', 'platform': 'KVM', 'hostname': 'web02', 'templatename': 'debian-12',
            'disksize': 20, 'memorysize': 2048, 'cpucores': 1, 'bandwidth': 100, 'ip': 'any', 'ipv6': 'none',
            'users': [{'username': 'ops', 'sshkeys': ['ssh-ed25519 AAAA'], 'password': 'pw'}],
            'description': 'd'}),
        Step('POST', URL + '/server/create', json_body=answer, expect_json={
            'datacenter': 'Stockholm', 'platform': 'VMware', 'hostname': 'vm', 'templatename': 'Debian 12 (Bookworm)',
            'disksize': 20, 'memorysize': 2048, 'cpucores': 1, 'bandwidth': 200, 'ip': 'any', 'ipv6': 'any',
            'rootpassword': 'pw', 'sshkeyids': '5011'})])
    spec = {'name': 'web02', 'location': 'Falkenberg', 'image': 'debian-12', 'cpu': 1, 'memory_mb': 2048, 'disk_gb': 20,
            'root_password': 'pw', 'extra': {'ipv6': 'none', 'username': 'ops', 'description': 'd'},
            'ssh_key_texts': ['ssh-ed25519 AAAA']}
    assert glesys.servers.create(spec).id == 'kvm1'
    spec = {'name': 'vm', 'location': 'Stockholm', 'image': 'Debian 12 (Bookworm)', 'cpu': 1, 'memory_mb': 2048,
            'disk_gb': 20, 'bandwidth': 200, 'platform': 'vmware', 'root_password': 'pw', 'ssh_key_ids': ['5011'],
            'ssh_key_texts': ['ssh-ed25519 AAAA']}
    glesys.servers.create(spec)
    conv.done()


@pytest.mark.parametrize('spec,text', [
    ({'name': 'x'}, 'GleSYS needs location, image, cpu, memory_mb, disk_gb'),
    ({'name': 'x', 'location': 'a', 'image': 'b', 'cpu': 1, 'memory_mb': 1, 'disk_gb': 1, 'platform': 'xen'}, 'KVM or VMware'),
    ({'name': 'x', 'location': 'a', 'image': 'b', 'cpu': 1, 'memory_mb': 1, 'disk_gb': 1, 'extra': {'zz': 1}}, 'zz'),
])
def test_validate_create(spec, text):
    with pytest.raises(ValidationError, match=text):
        GlesysServers.validate_create(spec)


def test_edit_destroy_power_and_status():
    glesys = provider()
    server = to_server(DETAILS_RUNNING['response']['server'])
    ok = {"response": {"status": STATUS}}
    conv = attach(glesys.http, [
        Step('POST', URL + '/server/edit', json_body=ok, expect_json={'serverid': 'kvm1000123', 'cpucores': 4, 'description': 'x'}),
        Step('POST', URL + '/server/destroy', json_body=ok, expect_json={'serverid': 'kvm1000123', 'keepip': 'yes'}),
        Step('POST', URL + '/server/status', json_body={"response": {"status": STATUS, "server": {"state": "locked"}}},
             expect_json={'serverid': 'kvm1000123'}),
        Step('POST', URL + '/server/stop', json_body=ok, expect_json={'serverid': 'kvm1000123', 'type': 'soft'}),
        Step('POST', URL + '/server/stop', json_body=ok, expect_json={'serverid': 'kvm1000123', 'type': 'hard'}),
        Step('POST', URL + '/server/reboot', json_body=ok, expect_json={'serverid': 'kvm1000123'}),
        Step('POST', URL + '/server/reset', json_body=ok, expect_json={'serverid': 'kvm1000123'}),
        Step('POST', URL + '/server/start', json_body=ok, expect_json={'serverid': 'kvm1000123'}),
    ])
    glesys.servers.update(server, {'cpu': 4, 'description': 'x'})
    glesys.servers.delete(server, {'keep_ips': True})
    state = glesys.power.state('kvm1000123')
    assert (state.power_state, state.locked) == ('unknown', True)
    glesys.power.stop('kvm1000123')
    glesys.power.stop('kvm1000123', hard=True)
    glesys.power.restart('kvm1000123')
    glesys.power.restart('kvm1000123', hard=True)
    glesys.power.start('kvm1000123')
    conv.done()


def test_ptr_fixtures():
    glesys = provider()
    custom = {"response": {"status": STATUS, "details": {
        "ipaddress": "203.0.113.10", "ipversion": 4, "serverid": "kvm1000123", "reserved": "yes", "ptr": "web01.example.com."}}}
    default = {"response": {"status": STATUS, "details": {
        "ipaddress": "2001:db8:0:1::42", "ipversion": 6, "serverid": None, "ptr": "2001-db8-0-1--42-static.glesys.net."}}}
    conv = attach(glesys.http, [
        Step('POST', URL + '/ip/details', json_body=custom, expect_json={'ipaddress': '203.0.113.10'}),
        Step('POST', URL + '/ip/setptr', json_body=custom, expect_json={'ipaddress': '203.0.113.10', 'data': 'web01.example.com.'}),
        Step('POST', URL + '/ip/resetptr', json_body=default, expect_json={'ipaddress': '2001:db8:0:1::42'}),
    ])
    assert glesys.ptrs.get('203.0.113.10').ptr == 'web01.example.com.'
    glesys.ptrs.set('203.0.113.10', 'web01.example.com.')
    assert glesys.ptrs.is_default(glesys.ptrs.reset('2001:db8:0:1::42').ptr)
    assert not glesys.ptrs.is_default('web01.example.com.')
    conv.done()


def test_templates_keyed_by_platform():
    glesys = provider()
    body = {"response": {"status": STATUS, "templates": {
        "KVM": [{"id": "u1", "name": "Debian 12 (Bookworm)", "platform": "KVM", "operatingsystem": "linux",
                 "minimumdisksize": 5, "minimummemorysize": 512}],
        "VMware": [{"id": "u2", "name": "Windows", "operatingsystem": "windows", "minimumdisksize": 40}]}}}
    attach(glesys.http, [Step('POST', URL + '/server/templates', json_body=body)])
    images = glesys.images()
    assert [(i['platform'], i['name'], i['min_disk_gb']) for i in images] == [
        ('KVM', 'Debian 12 (Bookworm)', 5), ('VMware', 'Windows', 40)]
