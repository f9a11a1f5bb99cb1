# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Skyport end to end: ansible-playbook -> modules -> adapter -> Skyport panel simulator, with the panel's defects."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.simulators import skyport as skyport_sim
from conftest import plain  # pylint: disable=import-error  # tests/integration is on sys.path

SP = {'provider': 'skyport'}
ALICE = 'user-alice-0001'
EU, US = '6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d', '9b2e4f6a-7777-4c1d-8e2f-3a4b5c6d7e8f'
PAPER = 'Minecraft Java: PaperMC'
DEPLOY = dict(SP, name='mc-new', image=PAPER, memory_mb=1024, cpu=1, ports=['25565:25565', '25575:25575'],
              location='eu-node-1', user='alice', extra={'variables': {'Version': '1.21.1', 'Build': '89'}})
NODE_KEY = '3c9f0e7d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6'
BIN = os.path.dirname(sys.executable)


def writes(calls):
    """``METHOD route`` of the mutating calls, in order."""
    return ['%s %s' % (c['method'], c.get('route') or c['path']) for c in calls if c['mutating']]


def instances(sim, name=None):
    return [i for i in sim.state()['instances'] if name is None or i['Name'] == name]


def no_secrets(text):
    assert NODE_KEY not in text and '$2b$' not in text and skyport_sim.API_KEY not in text


# --- server -------------------------------------------------------------------------------

def test_deploy_waits_until_ready_and_reruns_unchanged(skyport, skyport_env, call):
    run, res = call('server', DEPLOY, env=skyport_env, check=True, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['diff']['before'] == {} and res['diff']['after']['name'] == 'mc-new'
    assert writes(skyport.calls()) == [] and instances(skyport, 'mc-new') == []

    run, res = call('server', DEPLOY, env=skyport_env, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['server']['status'] == 'ready' and res['server']['power_state'] == 'running'
    assert res['server']['location'] == 'eu-node-1' and res['server']['image'] == PAPER
    assert res['server']['public_ipv4'] == '10.0.0.21'
    calls = skyport.calls()
    assert writes(calls) == ['POST /api/instances/deploy']
    body = [c for c in calls if c['mutating']][0]['json']
    assert body == {'image': 'quay.io/skyport/java:21', 'imagename': PAPER, 'memory': '1024', 'cpu': '1',
                    'ports': '25565:25565,25575:25575', 'nodeId': EU, 'name': 'mc-new', 'user': ALICE,
                    'primary': '25565', 'variables': {'Version': '1.21.1', 'Build': '89'}}
    stored = instances(skyport, 'mc-new')
    assert len(stored) == 1 and stored[0]['InternalState'] == 'READY' and res['server']['id'] == stored[0]['Id']
    no_secrets(run.stdout + json.dumps(res))

    run, res = call('server', DEPLOY, env=skyport_env, diff=True)
    assert run.rc == 0 and res['changed'] is False and res['diff']['before'] == res['diff']['after']
    calls = skyport.calls()
    assert writes(calls) == [] and all(c['method'] == 'GET' for c in calls)  # no rate-limited POST to read


def test_drift_fails_without_force_and_replaces_with_force(skyport, skyport_env, call):
    changed = dict(SP, name='mc-survival', memory_mb=4096, ports=['25565:25565'])
    run, res = call('server', changed, env=skyport_env)
    assert run.rc != 0
    assert 'memory_mb is 2048, wanted 4096' in res['msg'] and 'ports is 25565:25565,25575:25575, wanted 25565:25565' in res['msg']
    assert 'set force: true to replace it' in res['msg'] and 'data is lost' in res['msg']
    assert writes(skyport.calls()) == []

    forced = dict(changed, force=True)
    run, res = call('server', forced, env=skyport_env, check=True, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['diff']['after']['memory_mb'] == 4096
    assert res['diff']['before']['id'] == 'a3f91c07' and res['diff']['after']['id'] is None
    assert writes(skyport.calls()) == [] and instances(skyport, 'mc-survival')[0]['Id'] == 'a3f91c07'

    run, res = call('server', forced, env=skyport_env)
    assert run.rc == 0, res
    assert res['changed'] is True and res['server']['memory_mb'] == 4096 and res['server']['id'] != 'a3f91c07'
    calls = skyport.calls()
    assert writes(calls) == ['DELETE /api/instance/delete', 'POST /api/instances/deploy']
    body = [c for c in calls if c['mutating']][1]['json']
    # what was not set is kept from the old instance
    assert body['image'] == 'quay.io/skyport/java:21' and body['imagename'] == PAPER and body['cpu'] == '2'
    assert body['ports'] == '25565:25565' and body['nodeId'] == EU and body['user'] == ALICE and body['primary'] == '25565'
    assert body['variables'] == {'Version': '1.21.1', 'Build': '89'}
    stored = instances(skyport, 'mc-survival')
    assert [i['Id'] for i in stored] == [res['server']['id']]

    run, res = call('server', forced, env=skyport_env)
    assert run.rc == 0 and res['changed'] is False and writes(skyport.calls()) == []


def test_delete_is_verified_and_idempotent(skyport, skyport_env, call):
    args = dict(SP, name='mc-survival', state='absent')
    run, res = call('server', args, env=skyport_env, check=True, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['diff']['after'] == {}
    assert writes(skyport.calls()) == [] and instances(skyport, 'mc-survival')
    run, res = call('server', args, env=skyport_env)
    assert run.rc == 0 and res['changed'] is True
    assert writes(skyport.calls()) == ['DELETE /api/instance/delete'] and instances(skyport, 'mc-survival') == []
    # the panel keeps the per-id record and would answer another delete with success: the list decides
    assert 'a3f91c07_instance' in skyport.control('GET', 'db')['keys']
    run, res = call('server', args, env=skyport_env)
    assert run.rc == 0 and res['changed'] is False and writes(skyport.calls()) == []


def test_delete_that_the_panel_does_not_carry_out_fails(skyport, skyport_env, call):
    skyport.faults({'action': 'respond', 'method': 'DELETE', 'path': '/api/instance/delete', 'status': 200,
                    'headers': {'Content-Type': 'application/json'},
                    'body': '{"message": "The instance has been successfully deleted."}'})
    run, res = call('server', dict(SP, name='mc-survival', state='absent'), env=skyport_env)
    assert run.rc != 0 and 'still lists it' in res['msg'] and instances(skyport, 'mc-survival')


def test_installing_instance_is_deleted_only_with_force(skyport, skyport_env, call):
    for name in ('stuck-a', 'stuck-b'):
        run, res = call('server', dict(DEPLOY, name=name, wait=False), env=skyport_env)
        assert run.rc == 0 and res['server']['status'] == 'installing', res
    skyport.calls()
    for check in (True, False):
        run, res = call('server', dict(SP, name='stuck-a', state='absent'), env=skyport_env, check=check)
        assert run.rc != 0 and 'still installing' in res['msg'] and 'stuck-b' in res['msg'] and 'force: true' in res['msg']
        assert writes(skyport.calls()) == []
    run, res = call('server', dict(SP, name='stuck-a', state='absent', force=True), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True, res
    assert any('stuck-b' in w for w in run.task('server')['result'].get('warnings', [])), run.stdout
    assert instances(skyport, 'stuck-a') == [] and instances(skyport, 'stuck-b') == []  # the panel's defect


def test_failed_install_fails_and_is_left_in_place(skyport, skyport_env, call):
    run, res = call('server', dict(DEPLOY, name='fail-01'), env=skyport_env)
    assert run.rc != 0 and 'failed to install (InternalState FAILED)' in res['msg'] and 'left in place' in res['msg']
    assert instances(skyport, 'fail-01')[0]['InternalState'] == 'FAILED'


def test_repeated_names_need_location_and_user(skyport, skyport_env, call):
    run, res = call('server', dict(DEPLOY, name='twin', location='us-node-1', force=False), env=skyport_env)
    assert run.rc == 0, res
    # a second "twin" on the other node, made behind the module's back
    run, res = call('server', dict(DEPLOY, name='twin2'), env=skyport_env)
    db = skyport.control('GET', 'db')['keys']
    for key in ('instances', '%s_instances' % ALICE):
        for item in db[key]:
            if item['Name'] == 'twin2':
                item['Name'] = 'twin'
    skyport.control('POST', 'db', {'set': {'instances': db['instances'], '%s_instances' % ALICE: db['%s_instances' % ALICE]}})
    skyport.calls()
    run, res = call('server', dict(SP, name='twin', state='absent'), env=skyport_env)
    assert run.rc != 0 and 'ambiguous' in res['msg'] and writes(skyport.calls()) == []
    run, res = call('server', dict(SP, name='twin', location='us-node-1', user=ALICE, state='absent'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True, res
    left = instances(skyport, 'twin')
    assert len(left) == 1 and left[0]['Node']['name'] == 'eu-node-1'


@pytest.mark.parametrize('args, message', [
    (dict(DEPLOY, ssh_keys=['deploy']), 'provider skyport cannot use ssh_keys'),
    (dict(DEPLOY, tags={'a': 'b'}), 'provider skyport cannot use tags'),
    (dict(DEPLOY, ports=['25565']), 'ports entry "25565" is not "<container port>:<host port>"'),
    (dict(DEPLOY, ports=['70000:1']), 'ports 1-65535'),
    (dict(DEPLOY, extra={'disk': 5}), 'provider skyport cannot use extra key(s) disk'),
    (dict(DEPLOY, extra={'variables': ['x']}), 'extra.variables must be a dictionary'),
])
def test_bad_input_fails_before_any_call(skyport, skyport_env, call, args, message):
    run, res = call('server', args, env=skyport_env)
    assert run.rc != 0 and message in res['msg'], res
    assert skyport.calls() == []


@pytest.mark.parametrize('args, message', [
    (dict(DEPLOY, image='nope'), 'Skyport image "nope" not found'),
    (dict(DEPLOY, location='mars'), 'Skyport node "mars" not found'),
    (dict(DEPLOY, user='mallory'), 'Skyport user "mallory" not found'),
    ({k: v for k, v in DEPLOY.items() if k != 'cpu'}, 'missing: cpu'),
])
def test_missing_objects_fail_before_the_deploy(skyport, skyport_env, call, args, message):
    run, res = call('server', args, env=skyport_env)
    assert run.rc != 0 and message in res['msg'], res
    assert writes(skyport.calls()) == []


def test_deploy_failure_carries_the_panels_message(skyport, skyport_env, call):
    skyport.control('POST', 'config', {'daemon_down': True})
    run, res = call('server', DEPLOY, env=skyport_env)
    assert run.rc != 0
    assert 'Failed to create container (No additional error info)' in res['msg'] and 'HTTP 500' in res['msg']
    assert writes(skyport.calls()) == ['POST /api/instances/deploy'] and instances(skyport, 'mc-new') == []


def test_server_info_strips_node_keys(skyport, skyport_env, call):
    run, res = call('server_info', dict(SP), env=skyport_env, verbosity=3)
    assert run.rc == 0 and [s['name'] for s in res['servers']] == ['mc-survival']
    server = res['servers'][0]
    assert 'apiKey' not in server['provider_data']['Node'] and 'configureKey' not in server['provider_data']['Node']
    assert server['provider_data']['Primary'] == '25565'
    no_secrets(run.stdout + run.stderr)


# --- power --------------------------------------------------------------------------------

def test_suspend_and_unsuspend_are_judged_by_reread(skyport, skyport_env, call):
    args = dict(SP, server='mc-survival', state='stopped')
    run, res = call('power', args, env=skyport_env, check=True, diff=True)
    assert run.rc == 0 and res['changed'] is True
    assert res['diff'] == {'before': {'power_state': 'running'}, 'after': {'power_state': 'stopped'}}
    assert writes(skyport.calls()) == []
    run, res = call('power', args, env=skyport_env)
    assert run.rc == 0 and res['changed'] is True and res['power_state'] == 'stopped', res
    calls = skyport.calls()
    assert writes(calls) == ['POST /api/instances/suspend/:id']
    assert [c['status'] for c in calls if c['mutating']] == [500]  # the panel's answer after a successful suspend
    record = skyport.control('GET', 'db?key=a3f91c07_instance')['keys']['a3f91c07_instance']
    assert record['suspended'] is True
    run, res = call('power', args, env=skyport_env)
    assert run.rc == 0 and res['changed'] is False and writes(skyport.calls()) == []
    run, res = call('power', dict(args, state='running'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True and res['power_state'] == 'running', res
    assert writes(skyport.calls()) == ['POST /api/instances/unsuspend/:id']


def test_suspend_that_did_not_happen_fails_with_the_panels_message(skyport, skyport_env, call):
    skyport.faults({'action': 'respond', 'method': 'POST', 'path': '/api/instances/suspend/a3f91c07', 'status': 500,
                    'headers': {'Content-Type': 'text/html; charset=utf-8'},
                    'body': 'An error occurred while suspending the instance'})
    run, res = call('power', dict(SP, server='a3f91c07', state='stopped'), env=skyport_env)
    assert run.rc != 0
    assert 'could not suspend instance a3f91c07: HTTP 500: An error occurred while suspending the instance' in res['msg']
    assert 'not suspended' in res['msg']


def test_fixed_panel_answers_201(skyport, skyport_env, call):
    skyport.control('POST', 'config', {'suspend_fixed': True})
    run, res = call('power', dict(SP, server='mc-survival', state='stopped'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True and res['power_state'] == 'stopped', res


def test_restart_fails_before_any_call(skyport, skyport_env, call):
    for check in (False, True):
        run, res = call('power', dict(SP, server='mc-survival', state='restarted'), env=skyport_env, check=check)
        assert run.rc != 0
        assert res['msg'] == ('provider skyport cannot restart an instance: the panel has no restart (suspend only sets '
                              'a flag).')
        assert skyport.calls() == []


def test_rate_limit_is_waited_out(skyport, skyport_env, call):
    skyport.control('POST', 'config', {'rate_limit': 1, 'rate_window': 1.0})
    run, res = call('power', dict(SP, server='mc-survival', state='stopped'), env=skyport_env)
    assert run.rc == 0 and res['power_state'] == 'stopped', res
    calls = skyport.calls()
    assert 429 in [c['status'] for c in calls]
    assert [c['status'] for c in calls if c['mutating'] and c['status'] != 429] == [500]  # sent through once


# --- users --------------------------------------------------------------------------------

def test_user_create_idempotent_and_without_secrets(skyport, skyport_env, call):
    args = dict(SP, username='bob', email='bob@example.com', password='s3cret-pass', user_id='user-bob-0001')
    run, res = call('user', args, env=skyport_env, check=True, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['diff']['after']['username'] == 'bob'
    assert writes(skyport.calls()) == []
    run, res = call('user', args, env=skyport_env, diff=True, verbosity=3)
    assert run.rc == 0 and res['changed'] is True, res
    assert res['user'] == {'user_id': 'user-bob-0001', 'username': 'bob', 'email': 'bob@example.com', 'admin': False,
                           'verified': None, 'access_to': []}
    calls = skyport.calls()
    assert writes(calls) == ['POST /api/auth/create-user']
    assert [c for c in calls if c['mutating']][0]['json'] == {'username': 'bob', 'email': 'bob@example.com',
                                                              'password': 's3cret-pass', 'admin': False,
                                                              'userId': 'user-bob-0001'}
    assert 's3cret-pass' not in run.stdout + run.stderr and '$2b$' not in run.stdout + run.stderr
    assert [u['username'] for u in skyport.state()['users']].count('bob') == 1
    run, res = call('user', args, env=skyport_env)
    assert run.rc == 0 and res['changed'] is False and writes(skyport.calls()) == []


def test_user_cannot_be_changed_or_deleted(skyport, skyport_env, call):
    run, res = call('user', dict(SP, username='alice', email='alice@new.example.com'), env=skyport_env)
    assert run.rc != 0 and 'email is alice@example.com, wanted alice@new.example.com' in res['msg']
    assert 'cannot change users' in res['msg']
    run, res = call('user', dict(SP, username='alice', admin=True), env=skyport_env, check=True)
    assert run.rc != 0 and 'admin is False, wanted True' in res['msg']
    for check in (True, False):
        run, res = call('user', dict(SP, username='alice', state='absent'), env=skyport_env, check=check)
        assert run.rc != 0 and 'cannot delete users' in res['msg']
    run, res = call('user', dict(SP, username='nobody', state='absent'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is False
    run, res = call('user', dict(SP, username='carol', email='alice@example.com', password='x1'), env=skyport_env)
    assert run.rc != 0 and 'belongs to user "alice"' in res['msg']
    run, res = call('user', dict(SP, username='carol'), env=skyport_env)
    assert run.rc != 0 and 'needs email and password' in res['msg']
    assert writes(skyport.calls()) == []


def test_user_module_is_skyport_only(skyport, call):
    run, res = call('user', {'provider': 'glesys', 'username': 'x', 'glesys_project': 'cl1', 'glesys_api_key': 'k' * 8})
    assert run.rc != 0 and res['msg'].startswith('provider glesys cannot manage panel users')


FORKS_PLAY = '''
- name: Five panel users as five hosts
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Hosts
      ansible.builtin.add_host:
        name: "{{ item }}"
        groups: owners
        ansible_connection: local
        ansible_python_interpreter: "%(python)s"
      loop: [u1, u2, u3, u4, u5]

- name: Create them
  hosts: owners
  gather_facts: false
  vars:
    user_args: &user_args
      provider: skyport
      username: "{{ prefix }}{{ inventory_hostname }}"
      email: "{{ prefix }}{{ inventory_hostname }}@example.com"
      password: pw-{{ inventory_hostname }}
  environment:
    # one cache (and lock) directory for all, as on one controller; or one per host, as when each host runs the module
    XDG_CACHE_HOME: "{{ cache_root }}/{{ inventory_hostname if own_host else 'controller' }}"
  tasks:
    - name: user (parallel)
      when: not throttled | bool
      hostcraft.cloud.user: *user_args
    - name: user (throttled)
      when: throttled | bool
      throttle: 1
      hostcraft.cloud.user: *user_args
'''


def test_five_forks_and_the_panels_lost_writes(skyport, skyport_env, ansible_env, tmp_path):
    """The panel loses concurrent writes. Forks of one controller write one at a time (a lock on the controller);
    modules running on five hosts at once lose users; throttle: 1 makes them write one at a time."""
    play = tmp_path / 'forks.yml'
    play.write_text(FORKS_PLAY % {'python': sys.executable})
    skyport.control('POST', 'config', {'write_delay': 2.0, 'rate_limit': 0})

    def run(prefix, own_host, throttled):
        env = dict(ansible_env, ANSIBLE_FORKS='5', **skyport_env)
        extra = {'prefix': prefix, 'throttled': throttled, 'own_host': own_host, 'cache_root': str(tmp_path / prefix)}
        proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', str(play), '-e',
                               json.dumps(extra)], env=env, capture_output=True, text=True, timeout=600, check=False)
        names = sorted(u['username'] for u in skyport.state()['users'] if u['username'].startswith(prefix))
        creates = [c for c in skyport.calls() if c['mutating']]
        return proc, names, creates

    every = ['u1', 'u2', 'u3', 'u4', 'u5']
    proc, names, creates = run('ctl-', False, False)
    assert proc.returncode == 0, proc.stdout
    assert names == ['ctl-' + u for u in every] and len(creates) == 5
    assert 'Skyport lost' not in proc.stdout + proc.stderr

    proc, names, creates = run('own-', True, False)
    # Each write was answered 201 and checked, but the panel kept fewer users, or the module had to write again.
    print('forks=5, module on each host, no throttle: %d create calls; stored %s' % (len(creates), names))
    assert len(names) < 5 or len(creates) > 5, (names, creates)

    proc, names, creates = run('thr-', True, True)
    assert proc.returncode == 0, proc.stdout
    assert names == ['thr-' + u for u in every] and len(creates) == 5
    assert 'Skyport lost' not in proc.stdout + proc.stderr


# --- nodes, images ------------------------------------------------------------------------

def test_node_info_without_keys_and_nulls(skyport, skyport_env, call):
    skyport.control('POST', 'config', {'dangling_nodes': 1})
    run, res = call('node_info', dict(SP), env=skyport_env, verbosity=3)
    assert run.rc == 0, res
    assert [n['name'] for n in res['nodes']] == ['eu-node-1', 'us-node-1']
    eu = res['nodes'][0]
    assert eu['id'] == EU and eu['address'] == '10.0.0.21' and eu['port'] == 3002 and eu['tags'] == ['eu', 'game']
    assert 'apiKey' not in eu['provider_data'] and 'configureKey' not in eu['provider_data']
    no_secrets(run.stdout + run.stderr)
    run, res = call('node_info', dict(SP, name='us-node-1'), env=skyport_env)
    assert [n['id'] for n in res['nodes']] == [US]
    assert all(c['method'] == 'GET' for c in skyport.calls())


def test_image_info(skyport, skyport_env, call):
    run, res = call('image_info', dict(SP), env=skyport_env)
    assert run.rc == 0 and PAPER in [i['name'] for i in res['images']]
    paper = [i for i in res['images'] if i['name'] == PAPER][0]
    assert paper['image'] == 'quay.io/skyport/java:21' and paper['provider'] == 'skyport'


# --- transport ----------------------------------------------------------------------------

def test_wrong_url_answering_html_is_an_error(skyport, skyport_env, call):
    env = dict(skyport_env, SKYPORT_URL=skyport.url + '/panel')
    run, res = call('server_info', dict(SP, api_retries=0), env=env)
    assert run.rc != 0 and 'not in its format' in res['msg'] and 'text/html' in res['msg'], res


def test_bad_key_is_an_auth_error_without_the_key(skyport, skyport_env, call):
    env = dict(skyport_env, SKYPORT_API_KEY='skyport_wrong-key-0000')
    run, res = call('server_info', dict(SP), env=env, verbosity=3)
    assert run.rc != 0 and 'cannot authenticate to the Skyport panel: API Key Invalid' in res['msg']
    assert 'skyport_wrong-key-0000' not in run.stdout + run.stderr


def test_v02_panel_codes(skyport, skyport_env, call):
    skyport.control('POST', 'config', {'version': 'v0.2'})
    run, res = call('server', dict(DEPLOY, name='old-panel'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True, res
    run, res = call('server', dict(SP, name='old-panel', state='absent'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True and instances(skyport, 'old-panel') == [], res
    run, res = call('user', dict(SP, username='dave', email='dave@example.com', password='pw-dave'), env=skyport_env)
    assert run.rc == 0 and res['changed'] is True


# --- inventory ----------------------------------------------------------------------------

def test_inventory(skyport, skyport_env, ansible_env, call, tmp_path):
    run, res = call('server', dict(DEPLOY, name='mc-us', location='us-node-1', user='admin',
                                   ports=['3000:3000'], extra={'primary': 3000}), env=skyport_env)
    assert run.rc == 0, res
    skyport.calls()
    path = tmp_path / 'panel.hostcraft.yml'
    path.write_text(yaml.safe_dump({'plugin': 'hostcraft.cloud.servers', 'provider': 'skyport', 'include_nodes': True}))
    proc = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', str(path), '--list'],
                          env=dict(ansible_env, **skyport_env), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    data = plain(json.loads(proc.stdout))
    hostvars = data['_meta']['hostvars']
    assert hostvars['mc-survival']['ansible_host'] == '10.0.0.21' and hostvars['mc-us']['ansible_host'] == '10.0.0.22'
    assert hostvars['mc-survival']['hostcraft_primary_port'] == 25565 and hostvars['mc-us']['hostcraft_primary_port'] == 3000
    assert sorted(data['provider_skyport']['hosts']) == ['mc-survival', 'mc-us']
    assert data['location_eu_node_1']['hosts'] == ['mc-survival'] and data['location_us_node_1']['hosts'] == ['mc-us']
    assert data['owner_user_alice_0001']['hosts'] == ['mc-survival'] and data['owner_user_admin_0001']['hosts'] == ['mc-us']
    assert sorted(data['status_ready']['hosts']) == ['mc-survival', 'mc-us']
    assert sorted(data['skyport_nodes']['hosts']) == ['eu-node-1', 'us-node-1']
    assert hostvars['eu-node-1']['ansible_host'] == '10.0.0.21' and hostvars['eu-node-1']['hostcraft_kind'] == 'node'
    no_secrets(proc.stdout + proc.stderr)
    assert [c['path'] for c in skyport.calls()] == ['/api/instances', '/api/nodes']
