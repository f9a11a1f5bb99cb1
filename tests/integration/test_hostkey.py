# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HOSTKEY end to end: ansible-playbook -> modules -> adapter -> invapi simulator."""

from __future__ import annotations

import os
import stat

KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD deploy@ci'
READS = {'auth/login', 'eq/update_servers', 'eq/list', 'eq/show', 'eq/status', 'eq_callback/check', 'tags/user_search',
         'tags/list', 'ip/get_ptr', 'pdns/view_zone', 'ssh_keys/list', 'api_keys/list', 'api_keys/list_for_server',
         'whmcs/get_cancellation_requests', 'os/list', 'presets/list', 'traffic_plans/list'}
HK = {'provider': 'hostkey'}


def server(sim, name):
    found = [s for s in sim.state()['servers'] if s['hostname'] == name]
    return found[0] if found else None


def test_power(hostkey, hostkey_env, call):
    # web02 starts stopped
    start = dict(HK, server='web02.example.com', state='running')
    run, res = call('power', start, env=hostkey_env, check=True, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['diff'] == {'before': {'power_state': 'stopped'}, 'after': {'power_state': 'running'}}
    calls = hostkey.calls()
    assert hostkey.actions(calls, mutating_only=True) == [] and set(hostkey.actions(calls)) <= READS
    run, res = call('power', start, env=hostkey_env)
    assert res['changed'] is True and res['power_state'] == 'running' and res['server']['power_state'] == 'running'
    calls = hostkey.calls()
    assert hostkey.actions(calls, mutating_only=True) == ['eq/on']
    on = [c for c in calls if c.get('action') == 'on'][0]['form']
    assert on['pin'] == '4321' and on['id'] == '40002'
    assert server(hostkey, 'web02.example.com')['power'] == 'on'
    # rerun: unchanged, reads only, and no login: the token is cached
    run, res = call('power', start, env=hostkey_env)
    calls = hostkey.calls()
    assert res['changed'] is False and hostkey.actions(calls, mutating_only=True) == []
    assert 'auth/login' not in hostkey.actions(calls)
    run, res = call('power', dict(start, state='stopped'), env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['eq/off']
    assert server(hostkey, 'web02.example.com')['power'] == 'off'
    run, res = call('power', dict(start, state='restarted'), env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['eq/reboot']
    run, res = call('power', dict(start, state='stopped', force=True, server='40002'), env=hostkey_env)
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['eq/hard_off']


def test_wrong_pin_fails_with_the_api_message(hostkey, hostkey_env, call):
    env = dict(hostkey_env, HOSTKEY_PIN='9876')
    run, res = call('power', dict(HK, server='web02.example.com', state='running'), env=env, verbosity=3)
    assert run.rc != 0 and 'pin' in res['msg'].lower()
    assert '9876' not in run.stdout + run.stderr
    assert server(hostkey, 'web02.example.com')['power'] == 'off'


def test_ptr_and_ptr_info(hostkey, hostkey_env, call):
    want = dict(HK, ip='203.0.113.11', ptr='Mail.Example.com')
    run, res = call('ptr', want, env=hostkey_env, check=True, diff=True)
    assert res['changed'] is True and res['ptr'] == {'ip': '203.0.113.11', 'ptr': 'mail.example.com.'}
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('ptr', want, env=hostkey_env)
    calls = hostkey.calls()
    assert res['changed'] is True and hostkey.actions(calls, mutating_only=True) == ['ip/update_ptr']
    update = [c for c in calls if c.get('action') == 'update_ptr'][0]['form']
    assert (update['id'], update['ip'], update['ptr']) == ('40001', '203.0.113.11', 'mail.example.com.')
    run, res = call('ptr', dict(want, server='web01.example.com'), env=hostkey_env)
    assert res['changed'] is False and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('ptr_info', dict(HK, server='40001'), env=hostkey_env)
    assert res['ptrs'] == [{'ip': '203.0.113.10', 'ptr': 'web01.example.com.'}, {'ip': '203.0.113.11', 'ptr': 'mail.example.com.'}]
    run, res = call('ptr', dict(HK, ip='203.0.113.11', state='absent'), env=hostkey_env)
    assert res['changed'] is True and server(hostkey, 'web01.example.com')['ptr'].get('203.0.113.11') in (None, [])
    run, res = call('ptr', dict(HK, ip='203.0.113.11', state='absent'), env=hostkey_env)
    assert res['changed'] is False
    run, res = call('ptr', dict(want, ip='198.51.100.9'), env=hostkey_env)
    assert run.rc != 0 and 'not found on any HOSTKEY server' in res['msg']


def test_dns_record_sets(hostkey, hostkey_env, call):
    rec = dict(HK, zone='example.com', record='www', type='A', values=['203.0.113.10', '203.0.113.12'], ttl=300)
    run, res = call('dns_record', rec, env=hostkey_env, check=True, diff=True)
    assert res['changed'] is True and res['record']['values'] == ['203.0.113.10', '203.0.113.12']
    assert res['diff']['before']['values'] == ['203.0.113.10', '203.0.113.11']
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('dns_record', rec, env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['pdns/add_dns']
    run, res = call('dns_record', rec, env=hostkey_env)
    assert res['changed'] is False and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    # drop one value: delete_dns with that content only
    run, res = call('dns_record', dict(rec, values=['203.0.113.12'], state='absent'), env=hostkey_env)
    calls = hostkey.calls()
    assert res['changed'] is True and res['record']['values'] == ['203.0.113.10']
    assert hostkey.actions(calls, mutating_only=True) == ['pdns/delete_dns']
    # TXT unquoted in, quoted by the API, compared unquoted
    txt = dict(HK, zone='example.com', record='@', type='TXT', values=['v=spf1 include:spf.example.net -all'])
    run, res = call('dns_record', txt, env=hostkey_env)
    assert res['changed'] is True and res['record']['values'] == ['v=spf1 include:spf.example.net -all']
    run, res = call('dns_record', txt, env=hostkey_env)
    assert res['changed'] is False
    run, res = call('dns_record_info', dict(HK, zone='example.com', record='@', type='MX'), env=hostkey_env)
    assert res['records'] == [{'zone': 'example.com', 'record': '@', 'type': 'MX', 'ttl': 3600,
                               'values': ['10 mail.example.com.']}]
    run, res = call('dns_record', dict(rec, state='absent'), env=hostkey_env)
    assert res['changed'] is True
    run, res = call('dns_record', dict(rec, state='absent'), env=hostkey_env)
    assert res['changed'] is False
    run, res = call('dns_record', dict(rec, zone='example.org'), env=hostkey_env)
    assert run.rc != 0 and 'DNS zone example.org not found' in res['msg']


def test_dns_append_mode_is_repaired(hostkey, hostkey_env, call):
    hostkey.control('POST', 'config', {'add_dns_mode': 'append'})
    rec = dict(HK, zone='example.com', record='www', type='A', values=['203.0.113.10', '203.0.113.12'], ttl=300)
    run, res = call('dns_record', rec, env=hostkey_env)
    assert run.rc == 0, res
    assert res['record']['values'] == ['203.0.113.10', '203.0.113.12']
    run, res = call('dns_record', rec, env=hostkey_env)
    assert res['changed'] is False


def test_tags(hostkey, hostkey_env, call):
    tag = dict(HK, server='web01.example.com', name='team', value='payments')
    run, res = call('tag', tag, env=hostkey_env, check=True)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('tag', tag, env=hostkey_env, diff=True)
    assert res['changed'] is True and res['tag'] == {'server': '40001', 'name': 'team', 'value': 'payments'}
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['tags/add']
    run, res = call('tag', tag, env=hostkey_env)
    assert res['changed'] is False and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('tag', dict(tag, state='absent'), env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['tags/remove']
    run, res = call('tag', dict(tag, name='Password', value='x'), env=hostkey_env)
    assert run.rc != 0 and 'system tag' in res['msg']
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []


def test_sshkeys(hostkey, hostkey_env, call):
    args = dict(HK, name='ci', public_key=KEY)
    run, res = call('sshkey', args, env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['ssh_keys/add']
    run, res = call('sshkey', args, env=hostkey_env)
    assert res['changed'] is False
    run, res = call('sshkey_info', dict(HK, name='ci'), env=hostkey_env)
    assert [k['name'] for k in res['sshkeys']] == ['ci']
    run, res = call('sshkey', dict(args, state='absent'), env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['ssh_keys/delete']


def test_api_keys(hostkey, hostkey_env, call, tmp_path):
    secret_file = tmp_path / 'backup.key'
    args = dict(HK, name='backup-job', allowed_ips=['127.0.0.1', '203.0.113.5'], secret_file=str(secret_file))
    run, res = call('api_key', args, env=hostkey_env, check=True)
    assert res['changed'] is True and not secret_file.exists()
    run, res = call('api_key', args, env=hostkey_env, verbosity=3)
    assert run.rc == 0, res
    secret = secret_file.read_text().strip()
    assert len(secret) == 33 and stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert 'secret' not in res['api_key'] or res['api_key']['secret'] is None
    assert secret not in run.stdout + run.stderr
    run, res = call('api_key', args, env=hostkey_env)
    assert res['changed'] is False and secret_file.read_text().strip() == secret
    hostkey.calls()
    run, res = call('api_key', dict(args, allowed_ips=['127.0.0.1', '203.0.113.5', '198.51.100.0/24']), env=hostkey_env,
                    diff=True)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['api_keys/edit']
    # the new key works
    run, res = call('server_info', dict(HK, server='40001'), env=dict(hostkey_env, HOSTKEY_API_KEY=secret,
                                                                      XDG_CACHE_HOME=str(tmp_path / 'c2')))
    assert run.rc == 0 and res['servers'][0]['name'] == 'web01.example.com'
    # the key in use is never deleted
    run, res = call('api_key', dict(HK, name='ansible-ci', state='absent'), env=hostkey_env)
    assert run.rc != 0 and 'authenticates with' in res['msg']
    run, res = call('api_key_info', HK, env=hostkey_env)
    assert {k['name'] for k in res['api_keys']} >= {'ansible-ci', 'backup-job'}
    assert secret not in run.stdout
    run, res = call('api_key', dict(HK, name='backup-job', state='absent'), env=hostkey_env)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == ['api_keys/delete']


ORDER = dict(HK, name='app01.example.com', location='NL', plan='vm.v2-small', image='Debian 12',
             root_password='Sup3r-Secret_1', tags={'env': 'staging'})


def test_order_needs_allow_paid_and_never_duplicates(hostkey, hostkey_env, call):
    run, res = call('server', ORDER, env=hostkey_env)
    assert run.rc != 0 and 'allow_paid: true' in res['msg']
    run, res = call('server', ORDER, env=hostkey_env, check=True)
    assert run.rc != 0 and 'allow_paid' in res['msg']
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    assert hostkey.state()['orders'] == []
    run, res = call('server', dict(ORDER, allow_paid=True), env=hostkey_env, check=True, diff=True)
    assert res['changed'] is True and res['server']['id'] is None and res['diff']['before'] == {}
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    # a lost order answer: the order is not sent again, and a rerun finds the server once deployed
    hostkey.faults({'path': '/eq.php', 'action': 'drop_after', 'match': {'action': 'order_instance'}})
    run, res = call('server', dict(ORDER, allow_paid=True), env=hostkey_env)
    assert run.rc != 0 and 'never sent twice' in res['msg']
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['eq/order_instance']
    assert len(hostkey.state()['orders']) == 1
    run, res = call('server', dict(ORDER, allow_paid=True), env=hostkey_env)
    if run.rc != 0:  # still deploying: refused, never re-ordered
        assert 'still deploying' in res['msg']
    else:  # found by its hostname; only the tags the first run never set are written
        assert res['server']['name'] == 'app01.example.com'
        assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['tags/add']
    assert len(hostkey.state()['orders']) == 1


def test_server_lifecycle(hostkey, hostkey_env, call):
    run, res = call('server', dict(ORDER, allow_paid=True), env=hostkey_env, verbosity=3)
    assert run.rc == 0, res
    assert 'Sup3r-Secret_1' not in run.stdout + run.stderr
    srv = res['server']
    assert res['changed'] is True and srv['name'] == 'app01.example.com' and srv['location'] == 'NL'
    assert srv['plan'] == 'vm.v2-small' and srv['tags'] == {'env': 'staging'} and srv['public_ipv4']
    calls = hostkey.calls()
    assert hostkey.actions(calls, mutating_only=True).count('eq/order_instance') == 1
    assert len(hostkey.state()['orders']) == 1
    order = [c for c in calls if c.get('action') == 'order_instance'][0]['form']
    assert order['hostname'] == 'app01.example.com' and order['pin'] == '4321' and order['preset'] == 'vm.v2-small'
    assert 'Password' not in str(res)
    # rerun: unchanged, reads only
    run, res = call('server', dict(ORDER, allow_paid=True), env=hostkey_env)
    assert res['changed'] is False and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    # tags on server
    run, res = call('server', dict(HK, name='app01.example.com', tags={'env': 'prod', 'team': 'web'}), env=hostkey_env)
    assert res['changed'] is True and res['server']['tags'] == {'env': 'prod', 'team': 'web'}
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['tags/add', 'tags/add']
    # resizing is not possible
    run, res = call('server', dict(HK, name='app01.example.com', cpu=4), env=hostkey_env)
    assert run.rc != 0 and 'provider hostkey cannot use cpu' in res['msg']
    # image change: only with force (wipes the disk)
    reinstall = dict(HK, name='app01.example.com', image='Ubuntu 24.04', root_password='An0ther-Secret_2')
    run, res = call('server', reinstall, env=hostkey_env)
    assert run.rc != 0 and 'force: true' in res['msg'] and 'wipes' in res['msg']
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('server', dict(reinstall, force=True), env=hostkey_env, check=True)
    assert res['changed'] is True and hostkey.actions(hostkey.calls(), mutating_only=True) == []
    run, res = call('server', dict(reinstall, force=True), env=hostkey_env)
    assert run.rc == 0, res
    assert res['changed'] is True and res['server']['image'] == 'Ubuntu 24.04'
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['eq/order_instance']
    # delete: only with allow_paid
    gone = dict(HK, name='app01.example.com', state='absent')
    run, res = call('server', gone, env=hostkey_env)
    assert run.rc != 0 and 'allow_paid: true' in res['msg']
    run, res = call('server', dict(gone, allow_paid=True), env=hostkey_env)
    assert run.rc == 0 and res['changed'] is True, res
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == ['whmcs/request_cancellation']
    run, res = call('server', dict(gone, allow_paid=True), env=hostkey_env)
    assert res['changed'] is False and hostkey.actions(hostkey.calls(), mutating_only=True) == []


def test_wrong_key_and_token_renewal(hostkey, hostkey_env, call):
    bad = dict(hostkey_env, HOSTKEY_API_KEY='0000000000000000-0000000000000000')
    run, res = call('server_info', HK, env=bad, verbosity=3)
    assert run.rc != 0 and 'cannot authenticate to HOSTKEY' in res['msg']
    assert '0000000000000000-0000000000000000' not in run.stdout + run.stderr
    hostkey.calls()
    run, res = call('server_info', dict(HK, server='40001'), env=hostkey_env)
    actions = hostkey.actions(hostkey.calls())
    assert run.rc == 0 and actions.count('auth/login') == 1, actions
    hostkey.control('POST', 'config', {'expire_tokens': True})
    run, res = call('server_info', dict(HK, server='40001'), env=hostkey_env)
    actions = hostkey.actions(hostkey.calls())
    assert run.rc == 0 and actions.count('auth/login') == 1, actions


def test_idempotent_play_makes_only_reads_and_no_login(hostkey, hostkey_env, playbook):
    run = playbook('hostkey_play.yml', env=hostkey_env)
    assert run.rc == 0, run.stdout
    first = hostkey.calls()
    run = playbook('hostkey_play.yml', env=hostkey_env)
    assert run.rc == 0 and 'changed=0' in run.stdout
    second = hostkey.calls()
    assert hostkey.actions(second, mutating_only=True) == []
    assert 'auth/login' not in hostkey.actions(second)
    print('first run: %d calls (%d mutating); rerun: %d calls, all reads'
          % (len(first), len(hostkey.actions(first, mutating_only=True)), len(second)))


def test_inventory(hostkey, hostkey_env, ansible_env, tmp_path):
    import json
    import subprocess
    import sys
    inv = tmp_path / 'hk.hostcraft.yml'
    inv.write_text('plugin: hostcraft.cloud.servers\nprovider: hostkey\n')
    env = dict(ansible_env, **hostkey_env)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(inv), '--list'],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'Password' not in proc.stdout
    for secret in [t['value'] for s in hostkey.state()['servers'] for t in s['tags'] if t['tag'] == 'Password']:
        assert secret not in proc.stdout
    data = json.loads(proc.stdout)
    assert set(data['provider_hostkey']['hosts']) == {'web01.example.com', 'web02.example.com', 'db01.example.com'}
    assert 'web01.example.com' in data['location_nl']['hosts'] and 'db01.example.com' in data['location_fi']['hosts']
    assert 'web01.example.com' in data['tag_env_prod']['hosts'] and 'status_rent' in data
    hostvars = data['_meta']['hostvars']['web01.example.com']
    host = hostvars['ansible_host']
    assert (host.get('__ansible_unsafe') if isinstance(host, dict) else host) == '203.0.113.10'
