# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""server / server_info / power / ptr / ptr_info / image_info / api_key(_info) against the GleSYS simulator."""

from __future__ import annotations

import requests

KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD deploy@ci'
NEW = {'provider': 'glesys', 'name': 'web02.example.com', 'location': 'Falkenberg', 'image': 'debian-12', 'cpu': 1,
       'memory_mb': 2048, 'disk_gb': 20, 'ssh_keys': [KEY], 'root_password': 'Sup3r-Secret-Root-Pw',
       'extra': {'description': 'web'}}
READS = {'server/list', 'server/details', 'server/status', 'ip/details', 'sshkey/list', 'server/templates',
         'api/listfunctions'}


def servers(sim, name=None):
    return [s for s in sim.state()['servers'] if name is None or s['hostname'] == name]


def api(sim, env, function, args):
    """Call the simulator directly (test set-up only)."""
    response = requests.post(sim.url + '/' + function, json=args, headers={'Accept': 'application/json'},
                             auth=(env['GLESYS_PROJECT'], env['GLESYS_API_KEY']), timeout=10)
    response.raise_for_status()
    return response.json()['response']


def test_server_lifecycle(glesys, glesys_env, call):
    # create in check mode: changed, predicted, no mutating call
    run, res = call('server', NEW, env=glesys_env, check=True, diff=True)
    assert run.rc == 0, run.stdout
    assert res['changed'] is True and res['server']['id'] is None and res['server']['cpu'] == 1
    assert res['diff']['before'] == {} and res['diff']['after']['name'] == 'web02.example.com'
    assert glesys.mutating(glesys.calls()) == [] and servers(glesys, 'web02.example.com') == []

    # create: one server/create, waits until running and unlocked
    run, res = call('server', NEW, env=glesys_env, verbosity=3)
    assert run.rc == 0, run.stdout
    assert 'Sup3r-Secret-Root-Pw' not in run.stdout + run.stderr
    assert glesys_env['GLESYS_API_KEY'] not in run.stdout + run.stderr
    srv = res['server']
    assert res['changed'] is True and srv['status'] == 'running' and srv['power_state'] == 'running'
    assert srv['location'] == 'Falkenberg' and srv['cpu'] == 1 and srv['ipv4'] and srv['public_ipv4'] == srv['ipv4'][0]
    assert srv['image'] == 'Debian 12 (Bookworm)' and srv['provider'] == 'glesys'
    calls = glesys.calls()
    assert glesys.mutating(calls) == ['server/create']
    create = [c for c in calls if c['path'].strip('/') == 'server/create'][0]['json']
    assert create['users'] == [{'username': 'hostcraft', 'sshkeys': [KEY], 'password': 'Sup3r-Secret-Root-Pw'}]
    assert create['ip'] == 'any' and create['ipv6'] == 'any' and create['platform'] == 'KVM'
    assert create['description'] == 'web'
    assert len(servers(glesys, 'web02.example.com')) == 1

    # rerun: unchanged, reads only; the template tag matches the installed template
    run, res = call('server', NEW, env=glesys_env, diff=True)
    assert run.rc == 0 and res['changed'] is False
    assert res['diff']['before'] == res['diff']['after']
    assert set(glesys.functions(glesys.calls())) <= READS

    # resize in check mode, then for real (one server/edit, only the changed fields)
    grow = {'provider': 'glesys', 'name': 'WEB02.example.com', 'cpu': 2, 'disk_gb': 30, 'memory_mb': 2048}
    run, res = call('server', grow, env=glesys_env, check=True, diff=True)
    assert res['changed'] is True and res['server']['cpu'] == 2 and res['diff']['before']['cpu'] == 1
    assert glesys.mutating(glesys.calls()) == []
    run, res = call('server', grow, env=glesys_env)
    assert res['changed'] is True and res['server']['cpu'] == 2 and res['server']['disk_gb'] == 30
    edit = [c for c in glesys.calls() if c['mutating']]
    assert [c['path'].strip('/') for c in edit] == ['server/edit']
    assert edit[0]['json'] == {'serverid': srv['id'], 'cpucores': 2, 'disksize': 30}
    run, res = call('server', grow, env=glesys_env)
    assert res['changed'] is False

    # what cannot be done fails clearly, before any write
    for args, text in (({'disk_gb': 10}, 'disks can only grow'),
                       ({'image': 'ubuntu-24-04'}, 'needs a reinstall'),
                       ({'location': 'Oslo'}, 'cannot move it to Oslo')):
        run, res = call('server', dict({'provider': 'glesys', 'name': 'web02.example.com'}, **args), env=glesys_env)
        assert run.rc != 0 and text in res['msg'], res
        assert glesys.mutating(glesys.calls()) == []

    # server_info by name and by id
    run, res = call('server_info', {'provider': 'glesys', 'name': 'web02.example.com'}, env=glesys_env)
    assert [s['id'] for s in res['servers']] == [srv['id']] and res['servers'][0]['ipv4'] == srv['ipv4']
    run, res = call('server_info', {'provider': 'glesys', 'server': srv['id']}, env=glesys_env)
    assert res['servers'][0]['name'] == 'web02.example.com'
    run, res = call('server_info', {'provider': 'glesys', 'location': 'stockholm'}, env=glesys_env)
    assert [s['id'] for s in res['servers']] == ['wps1000456']

    # absent: check mode, real (keepip no, waits until gone), again
    glesys.calls()
    gone = {'provider': 'glesys', 'name': 'web02.example.com', 'state': 'absent'}
    run, res = call('server', gone, env=glesys_env, check=True)
    assert res['changed'] is True and glesys.mutating(glesys.calls()) == []
    run, res = call('server', gone, env=glesys_env, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['server'] == {} and res['diff']['after'] == {}
    destroy = [c for c in glesys.calls() if c['mutating']]
    assert [(c['path'].strip('/'), c['json']) for c in destroy] == [('server/destroy', {'serverid': srv['id'], 'keepip': 'no'})]
    assert servers(glesys, 'web02.example.com') == []
    assert not [ip for ip in glesys.state()['ips'] if ip['ipaddress'] in srv['ipv4']]
    run, res = call('server', gone, env=glesys_env)
    assert res['changed'] is False and set(glesys.functions(glesys.calls())) == {'server/list'}


def test_keep_ips_on_delete(glesys, glesys_env, call):
    run, res = call('server', {'provider': 'glesys', 'name': 'web01.example.com', 'state': 'absent', 'keep_ips': True},
                    env=glesys_env)
    assert run.rc == 0 and res['changed'] is True
    kept = [ip for ip in glesys.state()['ips'] if ip['ipaddress'] == '203.0.113.10']
    assert kept and kept[0]['serverid'] is None


def test_create_with_stored_key_names_and_unknown_name(glesys, glesys_env, call):
    run, res = call('server', dict(NEW, ssh_keys=['nope']), env=glesys_env, check=True)
    assert run.rc != 0 and res['msg'].startswith('SSH key "nope" not found at GleSYS')
    run, res = call('server', dict(NEW, ssh_keys=['nope']), env=glesys_env)
    assert run.rc != 0 and glesys.mutating(glesys.calls()) == []
    call('sshkey', {'provider': 'glesys', 'name': 'ci', 'public_key': KEY}, env=glesys_env)
    run, res = call('server', dict(NEW, ssh_keys=['ci']), env=glesys_env)
    assert run.rc == 0, res
    create = [c for c in glesys.calls() if c['path'].strip('/') == 'server/create'][0]['json']
    assert create['users'][0]['sshkeys'] == [KEY]


def test_bad_input_fails_before_any_call(glesys, glesys_env, call):
    cases = ((dict(NEW, plan='small'), 'provider glesys cannot use plan: GleSYS has no plans'),
             (dict(NEW, tags={'env': 'prod'}), 'provider glesys cannot use tags'),
             (dict(NEW, cpu=0), 'cpu must be a positive number'),
             (dict(NEW, ssh_keys=['ssh-ed25519 AAAA*x']), 'ssh_keys entry is not an OpenSSH public key'))
    for args, text in cases:
        run, res = call('server', args, env=glesys_env)
        assert run.rc != 0 and text in res['msg'], res['msg']
    assert glesys.calls() == []
    # needs a read to know the server is missing, but never writes
    for args, text in ((dict(NEW, extra={'colour': 'red'}), 'extra has keys GleSYS server/create does not take: colour'),
                       ({'provider': 'glesys', 'name': 'new.example.com', 'cpu': 1}, 'GleSYS needs location, image'),
                       (dict(NEW, platform='VMware', root_password=None), 'needs root_password')):
        run, res = call('server', args, env=glesys_env)
        assert run.rc != 0 and text in res['msg'], res['msg']
    assert glesys.mutating(glesys.calls()) == []


def test_ambiguous_name_fails(glesys, glesys_env, call):
    api(glesys, glesys_env, 'server/create', {
        'datacenter': 'Falkenberg', 'platform': 'KVM', 'hostname': 'web01.example.com', 'templatename': 'debian-12',
        'disksize': 20, 'memorysize': 2048, 'cpucores': 1, 'users': [{'username': 'x', 'sshkeys': [KEY]}]})
    glesys.calls()
    run, res = call('server', {'provider': 'glesys', 'name': 'web01.example.com', 'cpu': 4}, env=glesys_env)
    assert run.rc != 0 and 'ambiguous' in res['msg'] and 'use the ID' in res['msg']
    run, res = call('power', {'provider': 'glesys', 'server': 'web01.example.com', 'state': 'stopped'}, env=glesys_env)
    assert run.rc != 0 and 'ambiguous' in res['msg']
    assert glesys.mutating(glesys.calls()) == []


def test_lost_create_answer_is_not_duplicated(glesys, glesys_env, call):
    glesys.faults({'path': '/server/create', 'action': 'drop_after', 'times': 1})
    run, res = call('server', NEW, env=glesys_env)
    assert run.rc == 0, res
    assert glesys.mutating(glesys.calls()) == ['server/create']
    assert len(servers(glesys, 'web02.example.com')) == 1


def test_wait_timeout_is_enforced(glesys, glesys_env, call):
    glesys.control('POST', 'config', {'lock_seconds': 30})
    try:
        run, res = call('server', dict(NEW, wait_timeout=2), env=glesys_env)
    finally:
        glesys.control('POST', 'config', {'lock_seconds': 1.0})
    assert run.rc != 0
    assert 'Timed out after 2s' in res['msg'] and 'last seen: status locked' in res['msg']
    run, res = call('server', dict(NEW, wait=False), env=glesys_env)
    assert run.rc == 0 and res['changed'] is False


def test_power(glesys, glesys_env, call):
    stop = {'provider': 'glesys', 'server': 'web01.example.com', 'state': 'stopped'}
    run, res = call('power', stop, env=glesys_env, check=True, diff=True)
    assert res['changed'] is True and res['power_state'] == 'stopped'
    assert res['diff'] == {'before': {'power_state': 'running'}, 'after': {'power_state': 'stopped'}}
    assert glesys.mutating(glesys.calls()) == []
    run, res = call('power', stop, env=glesys_env)
    assert run.rc == 0 and res['changed'] is True and res['power_state'] == 'stopped'
    assert res['server']['power_state'] == 'stopped' and res['server']['id'] == 'kvm1000123'
    stops = [c for c in glesys.calls() if c['mutating']]
    assert [(c['path'].strip('/'), c['json']) for c in stops] == [('server/stop', {'serverid': 'kvm1000123', 'type': 'soft'})]
    run, res = call('power', stop, env=glesys_env)
    assert res['changed'] is False and glesys.mutating(glesys.calls()) == []
    run, res = call('power', dict(stop, state='running'), env=glesys_env)
    assert res['changed'] is True and res['power_state'] == 'running' and glesys.mutating(glesys.calls()) == ['server/start']
    run, res = call('power', dict(stop, state='restarted'), env=glesys_env)
    assert res['changed'] is True and glesys.mutating(glesys.calls()) == ['server/reboot']
    run, res = call('power', dict(stop, state='restarted', force=True, server='kvm1000123'), env=glesys_env)
    assert res['changed'] is True and glesys.mutating(glesys.calls()) == ['server/reset']
    run, res = call('power', dict(stop, force=True), env=glesys_env)
    hard = [c['json'] for c in glesys.calls() if c['mutating']]
    assert hard == [{'serverid': 'kvm1000123', 'type': 'hard'}]
    run, res = call('power', dict(stop, server='nosuch'), env=glesys_env)
    assert run.rc != 0 and res['msg'] == 'server "nosuch" not found at GleSYS (no server has that ID or name).'


def test_ptr(glesys, glesys_env, call):
    want = {'provider': 'glesys', 'ip': '203.0.113.20', 'ptr': 'Legacy.Example.com'}
    run, res = call('ptr', want, env=glesys_env, check=True, diff=True)
    assert res['changed'] is True and res['ptr'] == {'ip': '203.0.113.20', 'ptr': 'legacy.example.com.'}
    assert res['diff']['before'] == {'ip': '203.0.113.20', 'ptr': '203-0-113-20-static.glesys.net.'}
    assert glesys.mutating(glesys.calls()) == []
    run, res = call('ptr', want, env=glesys_env)
    assert res['changed'] is True
    sets = [c['json'] for c in glesys.calls() if c['mutating']]
    assert sets == [{'ipaddress': '203.0.113.20', 'data': 'legacy.example.com.'}]
    run, res = call('ptr', dict(want, ptr='legacy.example.com.', server='legacy-app'), env=glesys_env)
    assert res['changed'] is False and glesys.mutating(glesys.calls()) == []
    run, res = call('ptr', dict(want, server='web01.example.com'), env=glesys_env)
    assert run.rc != 0 and 'is not an address of server web01.example.com' in res['msg']
    run, res = call('ptr_info', {'provider': 'glesys', 'server': 'legacy-app'}, env=glesys_env)
    assert res['ptrs'] == [{'ip': '203.0.113.20', 'ptr': 'legacy.example.com.'}]
    absent = {'provider': 'glesys', 'ip': '203.0.113.20', 'state': 'absent'}
    run, res = call('ptr', absent, env=glesys_env, check=True)
    assert res['changed'] is True and glesys.mutating(glesys.calls()) == []
    run, res = call('ptr', absent, env=glesys_env)
    assert res['changed'] is True and res['ptr']['ptr'] == '203-0-113-20-static.glesys.net.'
    assert glesys.mutating(glesys.calls()) == ['ip/resetptr']
    run, res = call('ptr', absent, env=glesys_env)
    assert res['changed'] is False and glesys.mutating(glesys.calls()) == []
    run, res = call('ptr_info', {'provider': 'glesys', 'ip': '2001:db8:0:1:0::10'}, env=glesys_env)
    assert res['ptrs'] == [{'ip': '2001:db8:0:1::10', 'ptr': '2001-db8-0-1--10-static.glesys.net.'}]
    run, res = call('ptr', dict(want, ip='198.51.100.99'), env=glesys_env)
    assert run.rc != 0 and 'IP address 198.51.100.99 not found in the GleSYS project' in res['msg']
    glesys.calls()
    for args, text in ((dict(want, ip='300.1.1.1'), 'is not an IPv4 or IPv6 address'),
                       (dict(want, ptr='not a name'), 'is not a fully qualified host name')):
        run, res = call('ptr', args, env=glesys_env)
        assert run.rc != 0 and text in res['msg']
    assert glesys.calls() == []


def test_catalog_and_api_keys(glesys, glesys_env, call):
    run, res = call('image_info', {'provider': 'glesys'}, env=glesys_env)
    names = {(i['platform'], i['name']) for i in res['images']}
    assert ('KVM', 'Debian 12 (Bookworm)') in names and ('VMware', 'Ubuntu 22.04 LTS (Jammy Jellyfish)') in names
    assert all(i['provider'] == 'glesys' and i['id'] for i in res['images'])
    run, res = call('api_key_info', {'provider': 'glesys'}, env=glesys_env)
    key = res['api_keys'][0]
    assert key['name'] == 'cl12345' and 'server/create' in key['scopes'] and 'secret' not in key
    assert glesys_env['GLESYS_API_KEY'] not in run.stdout
    glesys.calls()
    run, res = call('api_key', {'provider': 'glesys', 'name': 'x'}, env=glesys_env)
    assert run.rc != 0 and res['msg'].startswith('provider glesys cannot manage API keys: GleSYS offers no API-key management')
    assert glesys.calls() == []
