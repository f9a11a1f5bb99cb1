# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Serverspace end to end: ansible-playbook -> modules -> adapter -> /api/v1 simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

SS = {'provider': 'serverspace'}
KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD deploy@ci'
NEW = dict(SS, name='app-01', location='nj3', image='Ubuntu-22.04-X64', cpu=1, memory_mb=1024, disk_gb=25,
           tags={'env': 'dev'})


def writes(calls):
    return ['%s %s' % (c['method'], c['path'].replace('/api/v1/', '')) for c in calls if c['method'] != 'GET']


def methods(calls):
    return {c['method'] for c in calls}


def server(sim, name):
    found = [s for s in sim.state()['servers'] if s['name'] == name]
    return found[0] if found else None


def test_server_lifecycle(serverspace, serverspace_env, call):
    run, res = call('server', NEW, env=serverspace_env, check=True, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['server']['id'] is None, res
    assert methods(serverspace.calls()) == {'GET'}
    run, res = call('server', NEW, env=serverspace_env, verbosity=3)
    assert run.rc == 0, res
    srv = res['server']
    assert srv['status'] == 'active' and srv['cpu'] == 1 and srv['disk_gb'] == 25 and srv['tags'] == {'env': 'dev'}
    assert srv['public_ipv4'] and 'password' not in json.dumps(srv) and 'login' not in srv['provider_data']
    for secret in [s.get('password') for s in serverspace.state()['servers'] if s.get('password')]:
        assert secret not in run.stdout + run.stderr
    calls = serverspace.calls()
    assert writes(calls) == ['POST servers']
    body = [c['json'] for c in calls if c['method'] == 'POST'][0]
    assert body['volumes'] == [{'name': 'boot', 'size_mb': 25600}] and body['tags'] == ['env=dev']
    run, res = call('server', NEW, env=serverspace_env)
    assert res['changed'] is False and methods(serverspace.calls()) == {'GET'}
    # resize: PATCH cpu/ram, PUT boot volume; disk shrink and location change refused
    grow = dict(SS, name='app-01', cpu=2, memory_mb=2048, disk_gb=30)
    run, res = call('server', grow, env=serverspace_env, check=True)
    assert res['changed'] is True and methods(serverspace.calls()) == {'GET'}
    run, res = call('server', grow, env=serverspace_env)
    assert res['changed'] is True and res['server']['cpu'] == 2 and res['server']['disk_gb'] == 30
    assert writes(serverspace.calls()) == ['PATCH servers/%s' % srv['id'], 'PUT servers/%s/volumes/%s' % (
        srv['id'], srv['provider_data']['volumes'][0]['id'])]
    for args, text in (({'disk_gb': 20}, 'disks can only grow'), ({'location': 'am2'}, 'cannot move it to am2'),
                       ({'root_password': 'x'}, 'provider serverspace cannot use root_password')):
        run, res = call('server', dict(SS, name='app-01', **args), env=serverspace_env)
        assert run.rc != 0 and text in res['msg'], res
    assert writes(serverspace.calls()) == []
    gone = dict(SS, name='app-01', state='absent')
    run, res = call('server', gone, env=serverspace_env)
    assert res['changed'] is True and writes(serverspace.calls()) == ['DELETE servers/%s' % srv['id']]
    assert server(serverspace, 'app-01') is None
    run, res = call('server', gone, env=serverspace_env)
    assert res['changed'] is False and methods(serverspace.calls()) == {'GET'}


def test_busy_object_is_retried(serverspace, serverspace_env, call):
    busy = {"errors": [{"code": -4000, "message": "A conflict occurred during a concurrent change of the object"}]}
    serverspace.faults({'path': '/api/v1/servers/l1s10001/power/shutdown', 'action': 'respond', 'status': 400,
                        'headers': {'Content-Type': 'application/json'}, 'body': json.dumps(busy)})
    run, res = call('power', dict(SS, server='web-01', state='stopped'), env=serverspace_env)
    assert run.rc == 0 and res['changed'] is True, res
    posts = [c for c in serverspace.calls() if c['method'] == 'POST']
    assert [(c['path'], c['status']) for c in posts] == [('/api/v1/servers/l1s10001/power/shutdown', 400),
                                                         ('/api/v1/servers/l1s10001/power/shutdown', 200)]


def test_lost_create_answer_is_not_duplicated(serverspace, serverspace_env, call):
    serverspace.faults({'path': '/api/v1/servers', 'method': 'POST', 'action': 'drop_after'})
    run, res = call('server', NEW, env=serverspace_env)
    assert run.rc == 0, res
    assert len([s for s in serverspace.state()['servers'] if s['name'] == 'app-01']) == 1
    assert writes(serverspace.calls()) == ['POST servers']


def test_power(serverspace, serverspace_env, call):
    stop = dict(SS, server='web-01', state='stopped')
    run, res = call('power', stop, env=serverspace_env, check=True, diff=True)
    assert res['changed'] is True and res['diff']['after'] == {'power_state': 'stopped'}
    assert methods(serverspace.calls()) == {'GET'}
    run, res = call('power', stop, env=serverspace_env)
    assert res['changed'] is True and res['power_state'] == 'stopped'
    assert writes(serverspace.calls()) == ['POST servers/l1s10001/power/shutdown']
    run, res = call('power', stop, env=serverspace_env)
    assert res['changed'] is False and methods(serverspace.calls()) == {'GET'}
    run, res = call('power', dict(stop, state='running'), env=serverspace_env)
    assert writes(serverspace.calls()) == ['POST servers/l1s10001/power/on']
    run, res = call('power', dict(stop, state='restarted', force=True), env=serverspace_env)
    assert writes(serverspace.calls()) == ['POST servers/l1s10001/power/reset']
    run, res = call('power', dict(stop, force=True), env=serverspace_env)
    assert writes(serverspace.calls()) == ['POST servers/l1s10001/power/off']


def test_dns(serverspace, serverspace_env, call):
    rec = dict(SS, zone='example.com', record='app', type='A', values=['203.0.113.99'], ttl=300)
    run, res = call('dns_record', rec, env=serverspace_env, check=True)
    assert res['changed'] is True and methods(serverspace.calls()) == {'GET'}
    run, res = call('dns_record', rec, env=serverspace_env)
    calls = serverspace.calls()
    assert res['changed'] is True and writes(calls) == ['POST domains/example.com./records']
    assert [c['json'] for c in calls if c['method'] == 'POST'][0] == {'name': 'app.example.com.', 'type': 'A', 'ttl': '5m',
                                                                      'ip': '203.0.113.99'}
    run, res = call('dns_record', rec, env=serverspace_env)
    assert res['changed'] is False and methods(serverspace.calls()) == {'GET'}
    run, res = call('dns_record', dict(rec, values=['203.0.113.98']), env=serverspace_env)
    assert res['changed'] is True and [w.split(' ')[0] for w in writes(serverspace.calls())] == ['PUT']
    txt = dict(SS, zone='example.com', record='@', type='TXT', values=['"v=spf1 -all"'])
    run, res = call('dns_record', txt, env=serverspace_env)
    assert res['changed'] is False, res  # the fixture zone holds it quoted
    serverspace.calls()
    run, res = call('dns_record', dict(rec, ttl=120), env=serverspace_env)
    assert run.rc != 0 and res['msg'].startswith('provider serverspace cannot use ttl 120') and serverspace.calls() == []
    run, res = call('dns_record', dict(rec, type='CAA', values=['0 issue "letsencrypt.org"']), env=serverspace_env)
    assert run.rc != 0 and 'provider serverspace cannot manage CAA records' in res['msg'] and serverspace.calls() == []
    run, res = call('dns_record_info', dict(SS, zone='example.com', record='@', type='MX'), env=serverspace_env)
    assert res['records'][0]['values'] == ['10 mail.example.com.']
    run, res = call('dns_record', dict(rec, state='absent', values=None), env=serverspace_env)
    assert res['changed'] is True
    run, res = call('dns_record', dict(rec, state='absent', values=None), env=serverspace_env)
    assert res['changed'] is False


def test_sshkeys_tags_and_unsupported(serverspace, serverspace_env, call):
    run, res = call('sshkey', dict(SS, name='ci', public_key=KEY), env=serverspace_env)
    assert res['changed'] is True and writes(serverspace.calls()) == ['POST ssh-keys']
    run, res = call('sshkey', dict(SS, name='ci', public_key=KEY), env=serverspace_env)
    assert res['changed'] is False
    run, res = call('server', dict(NEW, ssh_keys=['ci', 'nope']), env=serverspace_env)
    assert run.rc != 0 and 'SSH key "nope" not found' in res['msg']
    run, res = call('tag', dict(SS, server='web-01', name='team', value='web'), env=serverspace_env)
    assert res['changed'] is True and writes(serverspace.calls()) == ['POST servers/l1s10001/tags']
    run, res = call('tag', dict(SS, server='web-01', name='team', value='web'), env=serverspace_env)
    assert res['changed'] is False
    serverspace.calls()
    for module, args, text in (('ptr', dict(SS, ip='203.0.113.10', ptr='x.example.com'), 'provider serverspace cannot manage reverse DNS'),
                               ('api_key', dict(SS, name='x'), 'provider serverspace cannot manage API keys'),
                               ('api_key_info', SS, 'provider serverspace cannot read API keys')):
        run, res = call(module, args, env=serverspace_env)
        assert run.rc != 0 and res['msg'].startswith(text), res
    assert serverspace.calls() == []


def test_play_and_rerun_calls(serverspace, serverspace_env, playbook):
    serverspace.control('POST', 'config', {'task_seconds': 0.5})
    try:
        started = time.time()
        run = playbook('serverspace_play.yml', env=serverspace_env)
        first_time = time.time() - started
        assert run.rc == 0, run.stdout
        first = serverspace.calls()
        started = time.time()
        run = playbook('serverspace_play.yml', env=serverspace_env)
        second_time = time.time() - started
        assert run.rc == 0 and 'changed=0' in run.stdout, run.stdout
        second = serverspace.calls()
    finally:
        serverspace.control('POST', 'config', {'task_seconds': 0.3})
    assert methods(second) == {'GET'}
    print('serverspace play: first run %d calls (%d writes) in %.1fs; rerun %d calls, all GET, in %.1fs'
          % (len(first), len(writes(first)), first_time, len(second), second_time))


def test_inventory(serverspace, serverspace_env, ansible_env, tmp_path):
    inv = tmp_path / 'ss.hostcraft.yml'
    inv.write_text('plugin: hostcraft.cloud.servers\nprovider: serverspace\n')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(inv), '--list'],
                          env=dict(ansible_env, **serverspace_env), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert 'web-01' in data['provider_serverspace']['hosts'] and 'web-01' in data['location_nj3']['hosts']
    assert 'password' not in proc.stdout
    assert len(serverspace.calls()) == 1
