# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The server_fleet role and the provision playbook against five simulators: check -> apply -> rerun -> absent."""

from __future__ import annotations

import json
import os
import re

import yaml

from conftest import ROOT  # pylint: disable=import-error  # tests/integration is on sys.path

FLEET_FILE = os.path.join(ROOT, 'examples', 'fleet.yml')


def recap(run):
    """``(ok, changed, failed)`` of localhost from the PLAY RECAP."""
    match = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', run.stdout)
    assert match, run.stdout + run.stderr
    return tuple(int(x) for x in match.groups())


def messages(run):
    """Every debug message of the run (skips and notes of the role)."""
    found = []
    for rec in run.records:
        result = rec['result']
        for item in result.get('results') or [result]:
            if isinstance(item, dict) and 'msg' in item and rec['status'] == 'ok':
                found.append(item['msg'] if isinstance(item['msg'], str) else json.dumps(item['msg']))
    return found


def mutating(sims):
    """Mutating calls of every simulator since the last look (HOSTKEY: form actions)."""
    out = {}
    for name, sim in sims.items():
        calls = sim.calls()
        out[name] = sim.actions(calls, mutating_only=True) if name == 'hostkey' else sim.mutating(calls)
    return out


def nothing_written(sims):
    writes = mutating(sims)
    assert all(not w for w in writes.values()), writes


def fleet_env(*envs):
    merged = {}
    for env in envs:
        merged.update(env)
    return merged


def glesys_records(glesys, name):
    return sorted((r['type'], r['data']) for r in glesys.state()['records']
                  if r['domainname'] == 'example.com' and r['host'] == name)


def test_fleet_lifecycle(glesys, glesys_env, hostkey, hostkey_env, serverspace, serverspace_env, skyport, skyport_env,
                         hostup, hostup_env, playbook):
    sims = dict(glesys=glesys, hostkey=hostkey, serverspace=serverspace, skyport=skyport, hostup=hostup)
    env = fleet_env(glesys_env, hostkey_env, serverspace_env, skyport_env, hostup_env)
    fleet = yaml.safe_load(open(FLEET_FILE))
    fleet['server_fleet_servers'] = [dict(s, ssh_keys=[]) if 'ssh_keys' in s else s for s in fleet['server_fleet_servers']]
    variables = {'server_fleet_servers': fleet['server_fleet_servers'], 'server_fleet_wait_timeout': 120}

    # check mode: every new server is predicted, nothing is written anywhere
    run = playbook('role_server_fleet.yml', variables, env=env, check=True, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)[1] >= 4
    nothing_written(sims)
    notes = messages(run)
    assert any('glesys/www01.example.com would be created' in m for m in notes), notes

    # apply
    run = playbook('role_server_fleet.yml', variables, env=env)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)[1] >= 5
    notes = messages(run)
    assert any('skyport/mc-demo: PTR skipped, provider skyport cannot manage reverse DNS (PTR)' in m for m in notes), notes
    assert any('hostup/web-01: tags skipped, provider hostup cannot manage server tags' in m for m in notes), notes
    fleet_result = run.result('Add the server to the result')['ansible_facts']['server_fleet_result']
    servers = dict(((s['provider'], s['name']), s) for s in fleet_result)
    assert len(servers) == 5 and all(s['id'] for s in servers.values())
    assert len([s for s in glesys.state()['servers'] if s['hostname'] == 'www01.example.com']) == 1
    # A (and AAAA) records of each server in the GleSYS zone, also for servers at other providers
    for (provider, name), record in ((('glesys', 'www01.example.com'), 'www01'), (('serverspace', 'api01'), 'api01'),
                                     (('hostkey', 'app02.example.com'), 'app02')):
        server = servers[(provider, name)]
        want = [('A', server['public_ipv4'])] + ([('AAAA', server['ipv6'][0])] if server['ipv6'] else [])
        assert glesys_records(glesys, record) == sorted(want), (record, glesys_records(glesys, record))
    api01 = [s for s in serverspace.state()['servers'] if s['name'] == 'api01']
    assert len(api01) == 1 and 'env=demo' in json.dumps(api01[0]) and 'role=api' in json.dumps(api01[0])
    assert len(hostkey.state()['orders']) == 1
    assert 'mc-demo' in json.dumps(skyport.state()['instances'])
    web = [v for v in hostup.state()['vps'] if v['name'] == 'web-01'][0]
    assert web['ips'][0]['rdns'].rstrip('.') == 'web-01.example.com'
    ptr = [ip for ip in glesys.state()['ips'] if ip.get('ipaddress') == servers[('glesys', 'www01.example.com')]['public_ipv4']]
    assert ptr and ptr[0].get('ptr', '').rstrip('.') == 'www01.example.com', ptr

    # rerun: nothing changes, nothing is written
    mutating(sims)
    run = playbook('role_server_fleet.yml', variables, env=env)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)[1] == 0, run.stdout
    nothing_written(sims)

    # absent: records, PTR, server, in reverse order; HostUp keeps its VPS and says why
    gone = dict(variables, server_fleet_state='absent')
    run = playbook('role_server_fleet.yml', gone, env=env, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    nothing_written(sims)
    run = playbook('role_server_fleet.yml', gone, env=env)
    assert run.rc == 0, run.stdout + run.stderr
    assert not [s for s in glesys.state()['servers'] if s['hostname'] == 'www01.example.com']
    assert glesys_records(glesys, 'www01') == [] and glesys_records(glesys, 'api01') == []
    assert not [s for s in serverspace.state()['servers'] if s['name'] == 'api01']
    assert any('hostup/web-01 kept (and its PTR): provider hostup cannot delete servers' in m for m in messages(run))
    web = [v for v in hostup.state()['vps'] if v['name'] == 'web-01'][0]
    assert web['ips'][0]['rdns'].rstrip('.') == 'web-01.example.com'  # kept with its server
    run = playbook('role_server_fleet.yml', gone, env=env)
    assert run.rc == 0 and recap(run)[1] == 0, run.stdout + run.stderr


def test_bad_input_fails_before_any_call(glesys, glesys_env, playbook):
    base = {'name': 'x1.example.com', 'provider': 'glesys', 'location': 'Falkenberg', 'image': 'debian-12',
            'cpu': 1, 'memory_mb': 1024, 'disk_gb': 10}
    cases = [
        ([base, dict(base)], 'names a server more than once at the same provider: glesys/x1.example.com'),
        ([dict(base, colour='blue')], 'server_fleet_servers.colour. Supported parameters include'),
        ([dict(base, provider='aws')], 'value of provider must be one of'),
        ([dict(base, power_state='paused')], 'value of power_state must be one of'),
        ([dict(base, ptr=5)], 'ptr must be true, false or a host name'),
        ([dict(base, dns={'ttl': 60})], 'missing required arguments: zone'),
    ]
    for servers, text in cases:
        run = playbook('role_server_fleet.yml', {'server_fleet_servers': servers}, env=glesys_env)
        assert run.rc != 0, servers
        assert text in run.stdout + run.stderr, (text, run.stdout)
        assert glesys.calls() == [], servers


def test_paid_order_only_with_allow_paid(hostkey, hostkey_env, playbook):
    server = {'name': 'paid01.example.com', 'provider': 'hostkey', 'location': 'NL', 'plan': 'vm.v2-small',
              'image': 'Debian 12', 'root_password': 'Paid-Check_Passw0rd'}
    run = playbook('role_server_fleet.yml', {'server_fleet_servers': [server]}, env=hostkey_env)
    assert run.rc != 0 and 'set allow_paid: true to order it' in run.stdout
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == [] and hostkey.state()['orders'] == []
    # the role-wide opt-in passes through; check mode still orders nothing
    run = playbook('role_server_fleet.yml', {'server_fleet_servers': [server], 'server_fleet_allow_paid': True},
                   env=hostkey_env, check=True)
    assert run.rc == 0, run.stdout
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == [] and hostkey.state()['orders'] == []


def test_missing_hostup_vps_is_skipped_with_the_reason(hostup, hostup_env, playbook):
    run = playbook('role_server_fleet.yml', {'server_fleet_servers': [{'name': 'nope-01', 'provider': 'hostup',
                                                                       'ptr': True}]}, env=hostup_env)
    assert run.rc == 0, run.stdout
    assert any('hostup/nope-01 skipped: it does not exist and provider hostup cannot create servers' in m
               for m in messages(run)), messages(run)
    assert hostup.mutating(hostup.calls()) == []


def test_secrets_of_the_list_never_show_at_vvv(glesys, glesys_env, hostkey, hostkey_env, playbook):
    account = {'glesys_project': glesys_env['GLESYS_PROJECT'], 'glesys_api_key': glesys_env['GLESYS_API_KEY'],
               'api_url': glesys_env['GLESYS_API_URL']}
    servers = [
        {'name': 'web01.example.com', 'provider': 'glesys', 'account': account,
         'dns': {'zone': 'example.com', 'account': account}},
        {'name': 'paid02.example.com', 'provider': 'hostkey', 'location': 'NL', 'plan': 'vm.v2-small',
         'image': 'Debian 12', 'root_password': 'Vvv-Check_Passw0rd', 'allow_paid': True},
        {'name': 'gone01', 'provider': 'glesys', 'state': 'absent', 'root_password': 'Absent-Check_Passw0rd',
         'account': account},
    ]
    env = dict(hostkey_env, GLESYS_API_URL=glesys_env['GLESYS_API_URL'])  # the GleSYS key only in the list
    run = playbook('role_server_fleet.yml', {'server_fleet_servers': servers}, env=env, check=True, verbosity=3)
    assert run.rc == 0, run.stdout + run.stderr
    output = run.stdout + run.stderr
    for secret in ('Vvv-Check_Passw0rd', 'Absent-Check_Passw0rd', glesys_env['GLESYS_API_KEY']):
        assert secret not in output, secret
    assert glesys.mutating(glesys.calls()) == [] and hostkey.actions(hostkey.calls(), mutating_only=True) == []
