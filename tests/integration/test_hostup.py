# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HostUp end to end: ansible-playbook -> modules -> adapter -> HostUp simulator (v2 + v1 on one host)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.simulators import hostup as hostup_sim

HU = {'provider': 'hostup'}
WEB01, DB01, APP01 = 'vps_01jtestvps00000000000000a1', 'vps_01jtestvps00000000000000a2', 'vps_01jtestvps00000000000000a3'
KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD deploy@ci'
KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzX5q3tJbM0bEJ7wR2P6Jf0m0Qk3V9cC1pS2Q9h0A1x deploy@ci'


def writes(calls):
    """``METHOD path`` of the mutating calls, in order."""
    return ['%s %s' % (c['method'], c['path']) for c in calls if c['mutating']]


def vps(sim, name):
    return [v for v in sim.state()['vps'] if v['name'] == name][0]


def test_server_present_on_an_existing_vps_reads_only(hostup, hostup_env, call):
    for name in ('web-01', WEB01):
        run, res = call('server', dict(HU, name=name), env=hostup_env, diff=True)
        assert run.rc == 0, res
        assert res['changed'] is False and res['server']['id'] == WEB01 and res['server']['name'] == 'web-01'
        assert res['server']['public_ipv4'] == '203.0.113.10' and res['server']['tags'] == {'web': ''}
        assert res['server']['memory_mb'] == 4096 and res['server']['image'] == 'Ubuntu 24.04'
        calls = hostup.calls()
        assert calls and all(c['method'] == 'GET' for c in calls)


@pytest.mark.parametrize('check', [False, True])
def test_missing_vps_and_absent_fail_and_write_nothing(hostup, hostup_env, call, check):
    run, res = call('server', dict(HU, name='new-01'), env=hostup_env, check=check)
    assert run.rc != 0 and 'provider hostup cannot create servers: HostUp has no API to order/cancel a VPS' in res['msg']
    assert writes(hostup.calls()) == []
    run, res = call('server', dict(HU, name='web-01', state='absent'), env=hostup_env, check=check)
    assert run.rc != 0 and 'provider hostup cannot delete servers' in res['msg']
    assert hostup.calls() == []  # refused before any call
    run, res = call('server', dict(HU, name='web-01', cpu=4), env=hostup_env, check=check)
    assert run.rc != 0 and 'provider hostup cannot use cpu' in res['msg'] and hostup.calls() == []
    assert len(hostup.state()['vps']) == 3


def test_hostname(hostup, hostup_env, call):
    args = dict(HU, name='web-01', hostname='app.example.com')
    run, res = call('server', args, env=hostup_env, check=True, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['diff']['before']['hostname'] == 'web-01.example.com'
    assert res['diff']['after']['hostname'] == 'app.example.com' and writes(hostup.calls()) == []
    run, res = call('server', args, env=hostup_env)
    assert run.rc == 0, res
    assert res['changed'] is True and res['server']['provider_data']['hostname'] == 'app.example.com'
    assert res['hostname_change']['hostname'] == 'app.example.com'
    assert res['hostname_change']['reverse_dns']['status'] == 'not_changed'
    assert writes(hostup.calls()) == ['PUT /api/v2/vps/%s/hostname' % WEB01]
    assert vps(hostup, 'web-01')['hostname'] == 'app.example.com'
    run, res = call('server', dict(args, hostname='App.Example.com.'), env=hostup_env)
    assert res['changed'] is False and writes(hostup.calls()) == []
    # db-01 is stopped: the gate says why, nothing is sent
    run, res = call('server', dict(HU, name='db-01', hostname='db.example.com'), env=hostup_env)
    assert run.rc != 0 and 'must be running' in res['msg'] and writes(hostup.calls()) == []
    run, res = call('server', dict(args, hostname='-bad-'), env=hostup_env)
    assert run.rc != 0 and 'not valid' in res['msg'] and hostup.calls() == []


def test_power(hostup, hostup_env, call):
    start = dict(HU, server='db-01', state='running')
    run, res = call('power', start, env=hostup_env, check=True, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['diff'] == {'before': {'power_state': 'stopped'}, 'after': {'power_state': 'running'}}
    assert writes(hostup.calls()) == []
    run, res = call('power', start, env=hostup_env)
    assert run.rc == 0, res
    calls = hostup.calls()
    assert res['changed'] is True and res['power_state'] == 'running' and res['server']['power_state'] == 'running'
    assert writes(calls) == ['POST /api/v2/vps/%s/actions/start' % DB01]
    assert any(c['path'].startswith('/api/jobs/job_') for c in calls)  # the job was followed
    run, res = call('power', start, env=hostup_env)
    assert res['changed'] is False and writes(hostup.calls()) == []
    run, res = call('power', dict(start, state='stopped', force=True, server=DB01), env=hostup_env)
    assert res['changed'] is True and writes(hostup.calls()) == ['POST /api/v2/vps/%s/actions/stop' % DB01]
    assert vps(hostup, 'db-01')['powerState'] == 'stopped'
    run, res = call('power', dict(HU, server='web-01', state='stopped'), env=hostup_env)
    assert writes(hostup.calls()) == ['POST /api/v2/vps/%s/actions/shutdown' % WEB01]
    run, res = call('power', dict(HU, server='web-01', state='running'), env=hostup_env)
    run, res = call('power', dict(HU, server='web-01', state='restarted'), env=hostup_env)
    assert res['changed'] is True and writes(hostup.calls()) == ['POST /api/v2/vps/%s/actions/start' % WEB01,
                                                                 'POST /api/v2/vps/%s/actions/restart' % WEB01]
    run, res = call('power', dict(HU, server='web-01', state='restarted', force=True), env=hostup_env)
    assert writes(hostup.calls()) == ['POST /api/v2/vps/%s/actions/reset' % WEB01]


def test_power_gates_and_transitions(hostup, hostup_env, call):
    # app-01's restart is gated (a backup is running): the reason, and no POST; check mode predicts the refusal
    for check in (True, False):
        run, res = call('power', dict(HU, server='app-01', state='restarted'), env=hostup_env, check=check)
        assert run.rc != 0 and 'A backup is running' in res['msg'] and 'backup_in_progress' in res['msg']
        assert writes(hostup.calls()) == []
    # a VPS in a transition: wait, then decide again (provisioning ends running: nothing to send)
    hostup.control('POST', 'config', {'provision': 'db-01'})
    run, res = call('power', dict(HU, server='db-01', state='running'), env=hostup_env)
    assert run.rc == 0, res
    assert res['changed'] is False and writes(hostup.calls()) == []
    hostup.control('POST', 'config', {'provision': 'db-01'})
    run, res = call('power', dict(HU, server='db-01', state='stopped'), env=hostup_env)
    assert run.rc == 0 and res['changed'] is True, res
    assert writes(hostup.calls()) == ['POST /api/v2/vps/%s/actions/shutdown' % DB01]
    # a failed job is an error
    hostup.control('POST', 'config', {'fail_actions': 'start'})
    run, res = call('power', dict(HU, server='db-01', state='running'), env=hostup_env)
    assert run.rc != 0 and 'failed' in res['msg']


def test_ptr(hostup, hostup_env, call):
    want = dict(HU, ip='203.0.113.11', ptr='DB.Example.com')
    run, res = call('ptr', want, env=hostup_env, check=True, diff=True)
    assert run.rc == 0, res
    assert res['changed'] is True and res['diff']['before']['ptr'] == '10002.hostup.se.' and writes(hostup.calls()) == []
    run, res = call('ptr', want, env=hostup_env)
    calls = hostup.calls()
    assert res['changed'] is True and res['ptr'] == {'ip': '203.0.113.11', 'ptr': 'db.example.com.'}
    assert writes(calls) == ['POST /api/v2/vps/%s/network' % DB01]
    assert [c['json'] for c in calls if c['mutating']] == [{'action': 'update_rdns', 'ip': '203.0.113.11',
                                                            'rdns': 'db.example.com'}]
    run, res = call('ptr', dict(want, server='db-01'), env=hostup_env)
    assert res['changed'] is False and writes(hostup.calls()) == []
    hostup.control('POST', 'config', {'rdns_shape': 'list'})  # the other documented read shape
    run, res = call('ptr_info', dict(HU, server='db-01'), env=hostup_env)
    assert res['ptrs'] == [{'ip': '203.0.113.11', 'ptr': 'db.example.com.'},
                           {'ip': '2001:db8:0:11::10', 'ptr': '10002.hostup.se.'}]
    # absent: the default (held by the VPS's other address) is set again
    run, res = call('ptr', dict(HU, ip='203.0.113.11', state='absent'), env=hostup_env)
    assert run.rc == 0 and res['changed'] is True and res['ptr']['ptr'] == '10002.hostup.se.', res
    run, res = call('ptr', dict(HU, ip='203.0.113.11', state='absent'), env=hostup_env)
    assert res['changed'] is False and writes(hostup.calls()) == ['POST /api/v2/vps/%s/network' % DB01]
    # web-01 has one address with a custom PTR: the default name is nowhere to be read, so a clear refusal
    run, res = call('ptr', dict(HU, ip='203.0.113.10', ptr='web.example.com'), env=hostup_env)
    hostup.calls()
    run, res = call('ptr', dict(HU, ip='203.0.113.10', state='absent'), env=hostup_env)
    assert run.rc != 0 and 'provider hostup cannot reset a PTR' in res['msg'] and writes(hostup.calls()) == []
    run, res = call('ptr', dict(HU, ip='198.51.100.9', ptr='x.example.com'), env=hostup_env)
    assert run.rc != 0 and 'not an address of any HostUp VPS' in res['msg']


def test_dns_records(hostup, hostup_env, call):
    rec = dict(HU, zone='example.com', record='www', type='A', values=['203.0.113.20'], ttl=300)
    run, res = call('dns_record', rec, env=hostup_env, check=True, diff=True)
    assert res['changed'] is True and res['diff']['before']['values'] == ['203.0.113.10'] and writes(hostup.calls()) == []
    run, res = call('dns_record', rec, env=hostup_env)
    assert res['changed'] is True and res['record']['values'] == ['203.0.113.20']
    assert writes(hostup.calls()) == ['PUT /api/v2/dns-zones/zone_01jtestzone0000000000000a1/records/'
                                      'drr_01jtestrec00000000000000a2']
    run, res = call('dns_record', rec, env=hostup_env)  # status "pending" right after the write: no difference
    assert res['changed'] is False and writes(hostup.calls()) == []
    run, res = call('dns_record', dict(rec, values=['203.0.113.20', '203.0.113.21']), env=hostup_env)
    assert res['changed'] is True and writes(hostup.calls()) == ['POST /api/v2/dns-zones/zone_01jtestzone0000000000000a1/records']
    run, res = call('dns_record', dict(rec, values=['203.0.113.21'], state='absent'), env=hostup_env)
    assert res['record']['values'] == ['203.0.113.20'] and [w.split()[0] for w in writes(hostup.calls())] == ['DELETE']
    txt = dict(HU, zone='example.com', record='@', type='TXT', values=['v=spf1 include:spf.example.net -all'])
    run, res = call('dns_record', txt, env=hostup_env)
    calls = hostup.calls()
    assert res['changed'] is True and [c['json']['value'] for c in calls if c['mutating']] == ['v=spf1 include:spf.example.net -all']
    stored = [r for z in hostup.state()['zones'] for r in z['records'] if r['type'] == 'TXT' and r['name'] == '']
    assert stored[0]['value'] == '"v=spf1 include:spf.example.net -all"'
    run, res = call('dns_record', txt, env=hostup_env)
    assert res['changed'] is False
    run, res = call('dns_record_info', dict(HU, zone='example.com', record='@', type='MX'), env=hostup_env)
    assert res['records'] == [{'zone': 'example.com', 'record': '@', 'type': 'MX', 'ttl': 3600,
                               'values': ['10 mail.example.com.']}]
    run, res = call('dns_record_info', dict(HU, zone='example.com', record='_dmarc'), env=hostup_env)
    assert res['records'][0]['values'] == ['v=DMARC1; p=none']
    run, res = call('dns_record', dict(rec, state='absent'), env=hostup_env)
    assert res['changed'] is True
    run, res = call('dns_record', dict(rec, state='absent'), env=hostup_env)
    assert res['changed'] is False
    run, res = call('dns_record', dict(rec, zone='example.org'), env=hostup_env)
    assert run.rc != 0 and 'DNS zone example.org not found' in res['msg']
    run, res = call('dns_record', dict(rec, ttl=30), env=hostup_env)
    assert run.rc != 0 and 'at least 60' in res['msg']


def test_sshkeys(hostup, hostup_env, call):
    args = dict(HU, name='ci', public_key=KEY)
    run, res = call('sshkey', args, env=hostup_env, check=True)
    assert res['changed'] is True and writes(hostup.calls()) == []
    run, res = call('sshkey', args, env=hostup_env)
    assert res['changed'] is True and writes(hostup.calls()) == ['POST /api/v2/ssh-keys']
    assert res['sshkey']['id'].startswith('ssh_') and res['sshkey']['fingerprint'].startswith('SHA256:')
    run, res = call('sshkey', args, env=hostup_env)
    assert res['changed'] is False and writes(hostup.calls()) == []
    run, res = call('sshkey', dict(args, public_key=KEY2), env=hostup_env)
    assert run.rc != 0 and 'force' in res['msg'] and writes(hostup.calls()) == []
    run, res = call('sshkey', dict(args, public_key=KEY2, force=True), env=hostup_env)
    calls = hostup.calls()
    assert res['changed'] is True and [w.split()[0] for w in writes(calls)] == ['DELETE', 'POST']
    run, res = call('sshkey_info', dict(HU, name='ci'), env=hostup_env)
    assert [k['public_key'] for k in res['sshkeys']] == [KEY2]
    run, res = call('sshkey', dict(args, state='absent'), env=hostup_env)
    assert res['changed'] is True and [w.split()[0] for w in writes(hostup.calls())] == ['DELETE']
    run, res = call('sshkey', dict(args, state='absent'), env=hostup_env)
    assert res['changed'] is False
    hostup.control('POST', 'config', {'locked_sshkeys': 'ops-laptop'})
    run, res = call('sshkey', dict(HU, name='ops-laptop', state='absent'), env=hostup_env)
    assert run.rc != 0 and 'pending order' in res['msg'] and writes(hostup.calls()) == []


def test_api_keys(hostup, hostup_env, call, tmp_path):
    secret_file = tmp_path / 'ops.key'
    args = dict(HU, name='ops-automation', scopes=['read:vm', 'read:dns'], secret_file=str(secret_file))
    run, res = call('api_key', args, env=hostup_env, check=True)
    assert res['changed'] is True and not secret_file.exists() and writes(hostup.calls()) == []
    run, res = call('api_key', args, env=hostup_env, verbosity=3)
    assert run.rc == 0, res
    secret = secret_file.read_text().strip()
    assert secret.startswith('hu_live_') and stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert res['api_key'].get('secret') is None and writes(hostup.calls()) == ['POST /api/keys']
    assert secret not in run.stdout + run.stderr and hostup_sim.API_KEY not in run.stdout + run.stderr
    run, res = call('api_key', dict(args, scopes=['read:dns', 'read:vm']), env=hostup_env)
    assert res['changed'] is False and secret_file.read_text().strip() == secret and writes(hostup.calls()) == []
    run, res = call('api_key', dict(args, scopes=['read:vm', 'read:dns', 'write:dns']), env=hostup_env, diff=True)
    calls = hostup.calls()
    assert res['changed'] is True and writes(calls) == ['PUT /api/keys/%s' % res['api_key']['id']]
    put = [c['json'] for c in calls if c['mutating']][0]
    assert sorted(put['scopes']) == ['read:dns', 'read:vm', 'write:dns'] and put['is_active'] is True
    assert set(put) >= {'name', 'scopes', 'is_active', 'allowed_dns_zones', 'dns_permissions'}
    # the new key works
    run, res = call('server_info', dict(HU, server='web-01'), env=dict(hostup_env, HOSTUP_API_KEY=secret))
    assert run.rc == 0 and res['servers'][0]['id'] == WEB01
    # the secret is returned once, in clear, without secret_file
    run, res = call('api_key', dict(HU, name='once', scopes=['read:dns']), env=hostup_env)
    assert res['api_key']['secret'].startswith('hu_live_')
    run, res = call('api_key', dict(HU, name='once', scopes=['read:dns']), env=hostup_env)
    assert 'secret' not in res['api_key']
    # the key in use is never deleted or deactivated (also in check mode)
    hostup.calls()
    for check in (True, False):
        run, res = call('api_key', dict(HU, name='ansible-sim', state='absent'), env=hostup_env, check=check)
        assert run.rc != 0 and 'authenticates with' in res['msg']
        run, res = call('api_key', dict(HU, name='ansible-sim', active=False), env=hostup_env, check=check)
        assert run.rc != 0 and 'authenticates with' in res['msg']
    assert writes(hostup.calls()) == []
    run, res = call('api_key', dict(HU, name='x', allowed_ips=['203.0.113.5'], scopes=['read:dns']), env=hostup_env)
    assert run.rc != 0 and 'provider hostup cannot restrict API keys to IP addresses' in res['msg'] and hostup.calls() == []
    run, res = call('api_key', dict(HU, name='x'), env=hostup_env)
    assert run.rc != 0 and 'needs scopes' in res['msg'] and writes(hostup.calls()) == []
    run, res = call('api_key_info', HU, env=hostup_env)
    assert {k['name'] for k in res['api_keys']} >= {'ansible-sim', 'acme-dns', 'ops-automation', 'once'}
    assert secret not in run.stdout
    run, res = call('api_key', dict(HU, name='ops-automation', state='absent'), env=hostup_env)
    assert run.rc == 0 and res['changed'] is True, res
    assert writes(hostup.calls()) == ['DELETE /api/keys']
    run, res = call('api_key', dict(HU, name='ops-automation', state='absent'), env=hostup_env)
    assert res['changed'] is False


def test_wrong_key_fails_clearly_without_showing_it(hostup, hostup_env, call):
    bad = dict(hostup_env, HOSTUP_API_KEY='hu_live_00000000000000000000000000000000')
    run, res = call('server_info', HU, env=bad, verbosity=3)
    assert run.rc != 0 and 'cannot authenticate to HostUp' in res['msg']
    assert 'hu_live_00000000000000000000000000000000' not in run.stdout + run.stderr
    # a key without read:vm: the missing scope is named
    dns_only = dict(hostup_env, HOSTUP_API_KEY=hostup_sim.DNS_API_KEY)
    run, res = call('server_info', HU, env=dns_only)
    assert run.rc != 0 and 'read:vm' in res['msg']


def test_rate_limit_is_waited_out(hostup, hostup_env, call):
    hostup.control('POST', 'config', {'rate_limit': 3, 'rate_window': 1.0})
    run, res = call('server_info', HU, env=hostup_env)
    assert run.rc == 0, res
    assert [s['name'] for s in res['servers']] == ['app-01', 'db-01', 'web-01']
    assert any(c['status'] == 429 for c in hostup.calls())


def test_inventory_paged_without_gone_services(hostup, hostup_env, ansible_env, tmp_path):
    hostup.control('POST', 'seed', {'servers': 105})
    with hostup.obj.lock:
        hostup.obj.vps['vps_01jseedvps0000000000000003']['serviceStatus'] = 'terminated'
        hostup.obj.vps['vps_01jseedvps0000000000000004']['serviceStatus'] = 'cancelled'
    hostup.calls()
    inv = tmp_path / 'hu.hostcraft.yml'
    inv.write_text('plugin: hostcraft.cloud.servers\nprovider: hostup\n')
    env = dict(ansible_env, **hostup_env)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(inv), '--list'],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert hostup_sim.API_KEY not in proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    hosts = set(data['provider_hostup']['hosts'])
    assert len(hosts) == 103 and 'vps-0003' not in hosts and 'vps-0004' not in hosts
    calls = hostup.calls()
    lists = [c for c in calls if c['path'] == '/api/v2/vps']
    assert [c['query'].get('limit') for c in lists] == ['100', '100'] and lists[1]['query'].get('cursor')
    # one read per VPS: its network; the VPS item itself came with the list
    assert sum(c['path'].endswith('/network') for c in calls) == 103 and len(calls) == 2 + 103
    assert 'vps-0013' in data['status_suspended']['hosts'] and 'vps-0001' in data['status_active']['hosts']
    assert 'vps-0001' in data['tag_prod']['hosts']
    hostvars = data['_meta']['hostvars']['vps-0006']
    plain = [(v.get('__ansible_unsafe') if isinstance(v, dict) else v)
             for v in (hostvars['ansible_host'], hostvars['hostcraft_public_ipv4'])]
    assert plain[0] == plain[1] == '203.0.113.15'
    assert len(hostvars['hostcraft_ipv6']) == 1  # from the network route


PLAY = '''---
- name: HostUp day-2 play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/hostcraft.cloud.all:
      provider: hostup
  tasks:
    - name: db-01 is running
      hostcraft.cloud.power:
        server: db-01
        state: running

    - name: PTR of db-01
      hostcraft.cloud.ptr:
        ip: 203.0.113.11
        ptr: db.example.com

    - name: DNS for the database
      hostcraft.cloud.dns_record:
        zone: example.com
        record: db
        type: A
        values: [203.0.113.11]
        ttl: 300

    - name: Deploy key
      hostcraft.cloud.sshkey:
        name: deploy
        public_key: "%s"
''' % KEY


def test_idempotent_play_makes_only_reads(hostup, hostup_env, playbook, tmp_path):
    play = tmp_path / 'hostup_play.yml'
    play.write_text(PLAY)
    run = playbook(str(play), env=hostup_env)
    assert run.rc == 0, run.stdout
    first = hostup.calls()
    run = playbook(str(play), env=hostup_env)
    assert run.rc == 0 and 'changed=0' in run.stdout, run.stdout
    second = hostup.calls()
    assert writes(second) == []
    print('\nHostUp play, first run: %d calls (%d mutating: %s); rerun: %d calls, %d mutating'
          % (len(first), len(writes(first)), ', '.join(writes(first)), len(second), len(writes(second))))
