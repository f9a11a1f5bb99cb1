# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's playbooks, run by FQCN (``ansible-playbook hostcraft.cloud.<name>``) against the simulators."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import requests

from conftest import BIN, ROOT  # pylint: disable=import-error  # tests/integration is on sys.path
from tests.simulators import hostkey as hostkey_sim
from tests.simulators import hostup as hostup_sim


class Outcome:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        match = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)', proc.stdout)
        self.changed = int(match.group(2)) if match else None
        self.total_changed = sum(int(c) for c in re.findall(r'\s:\s*ok=\d+\s+changed=(\d+)', proc.stdout))

    def __str__(self):
        return self.stdout + self.stderr


def run_fqcn(ansible_env, name, *args, env=None, cwd=None):
    """``ansible-playbook hostcraft.cloud.<name> ARGS`` as a user types it."""
    run_env = dict(ansible_env)
    run_env.update(env or {})
    run_env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    cmd = [os.path.join(BIN, 'ansible-playbook'), 'hostcraft.cloud.%s' % name] + list(args)
    proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=900, check=False, cwd=cwd or ROOT)
    return Outcome(proc)


def writes(sim):
    calls = sim.calls()
    return sim.actions(calls, mutating_only=True) if 'HOSTKEY' in str(type(sim.obj)).upper() else sim.mutating(calls)


def inventory_file(tmp_path, *providers):
    path = tmp_path / 'fleet.hostcraft.yml'
    path.write_text('plugin: hostcraft.cloud.servers\naccounts:\n' + ''.join('  - provider: %s\n' % p for p in providers))
    return str(path)


def test_provision_mixed_fleet(ansible_env, glesys, glesys_env, hostkey, hostkey_env, serverspace, serverspace_env,
                               skyport, skyport_env, hostup, hostup_env):
    env = {}
    for part in (glesys_env, hostkey_env, serverspace_env, skyport_env, hostup_env):
        env.update(part)
    fleet = '@' + os.path.join(ROOT, 'examples', 'fleet.yml')
    sims = (glesys, hostkey, serverspace, skyport, hostup)
    # check mode on empty accounts: the SSH key is not stored yet, the servers are predicted, nothing is written
    dry = run_fqcn(ansible_env, 'provision', '-e', fleet, '--check', '--diff', env=env)
    assert dry.rc == 0, dry
    assert dry.changed >= 5 and 'check mode did not look up the SSH keys hostcraft-demo' in dry.stdout
    for sim in (glesys, serverspace, skyport, hostup):
        assert sim.mutating(sim.calls()) == [], sim
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []
    first = run_fqcn(ansible_env, 'provision', '-e', fleet, env=env)
    assert first.rc == 0, first
    assert first.changed >= 5, first
    names = {s['hostname'] for s in glesys.state()['servers']}
    assert 'www01.example.com' in names
    assert [s for s in serverspace.state()['servers'] if s['name'] == 'api01']
    assert len(hostkey.state()['orders']) == 1
    assert 'mc-demo' in json.dumps(skyport.state()['instances'])
    assert 'hostcraft-demo' in json.dumps(glesys.state()['sshkeys'])
    for sim in sims:
        sim.calls()
    second = run_fqcn(ansible_env, 'provision', '-e', fleet, env=env)
    assert second.rc == 0 and second.changed == 0, second
    for sim in (glesys, serverspace, skyport, hostup):
        assert sim.mutating(sim.calls()) == [], sim
    assert hostkey.actions(hostkey.calls(), mutating_only=True) == []


def test_power_playbook_on_an_inventory_limit(ansible_env, glesys, glesys_env, skyport, skyport_env, tmp_path):
    env = dict(glesys_env, **skyport_env)
    inventory = inventory_file(tmp_path, 'glesys', 'skyport')
    # wrong input fails before any call
    bad = run_fqcn(ansible_env, 'power', '-i', inventory, '-e', 'power_state=paused', env=env)
    assert bad.rc != 0 and 'Set power_state to running, stopped or restarted' in str(bad)
    assert glesys.mutating(glesys.calls()) == []
    stop = run_fqcn(ansible_env, 'power', '-i', inventory, '--limit', 'web01.example.com', '-e', 'power_state=stopped',
                    env=env)
    assert stop.rc == 0, stop
    assert glesys.mutating(glesys.calls()) == ['server/stop']
    web01 = [s for s in glesys.state()['servers'] if s['hostname'] == 'web01.example.com'][0]
    assert web01['state'] == 'stopped'
    again = run_fqcn(ansible_env, 'power', '-i', inventory, '--limit', 'web01.example.com', '-e', 'power_state=stopped',
                     env=env)
    assert again.rc == 0 and again.total_changed == 0 and glesys.mutating(glesys.calls()) == [], again
    # Skyport cannot restart: skipped with the reason, not failed
    restart = run_fqcn(ansible_env, 'power', '-i', inventory, '--limit', 'provider_skyport', '-e', 'power_state=restarted',
                       env=env)
    assert restart.rc == 0, restart
    assert 'cannot restart servers: the panel has no restart' in restart.stdout
    assert skyport.mutating(skyport.calls()) == []


def test_inventory_report(ansible_env, glesys, glesys_env, tmp_path):
    inventory = inventory_file(tmp_path, 'glesys')
    report = tmp_path / 'report.md'
    out = run_fqcn(ansible_env, 'inventory_report', '-i', inventory, '-e', 'inventory_report_file=%s' % report,
                   env=glesys_env)
    assert out.rc == 0, out
    text = report.read_text()
    servers = glesys.state()['servers']
    assert '%d servers' % len(servers) in text
    assert '| glesys | Falkenberg | running |' in text
    assert '| web01.example.com | glesys | Falkenberg | running | 203.0.113.10 |' in text
    assert glesys.mutating(glesys.calls()) == []


def rotate(ansible_env, provider, key_name, secret_file, env, check=False):
    args = ['-e', 'rotate_provider=%s' % provider, '-e', 'rotate_key_name=%s' % key_name,
            '-e', 'rotate_secret_file=%s' % secret_file]
    return run_fqcn(ansible_env, 'rotate_api_key', *(args + (['--check'] if check else [])), env=env)


def test_rotate_api_key_hostup(ansible_env, hostup, hostup_env, tmp_path):
    secret_file = tmp_path / 'hostup.key'
    dry = rotate(ansible_env, 'hostup', hostup_sim.API_KEY_NAME, secret_file, hostup_env, check=True)
    assert dry.rc == 0, dry
    assert not secret_file.exists() and hostup.mutating(hostup.calls()) == []
    out = rotate(ansible_env, 'hostup', hostup_sim.API_KEY_NAME, secret_file, hostup_env)
    assert out.rc == 0, out
    secret = secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert secret not in str(out) and hostup_sim.API_KEY not in str(out)
    names = [k['name'] for k in hostup.state()['api_keys']]
    assert hostup_sim.API_KEY_NAME not in names
    new = [k for k in hostup.state()['api_keys'] if k['name'].startswith(hostup_sim.API_KEY_NAME + '-')]
    assert len(new) == 1
    # the old key is gone, the new one works
    assert requests.get(hostup.url + '/api/v2/vps', headers={'X-API-Key': hostup_sim.API_KEY}, timeout=10).status_code == 401
    second = rotate(ansible_env, 'hostup', new[0]['name'], tmp_path / 'hostup2.key', dict(hostup_env, HOSTUP_API_KEY=secret))
    assert second.rc == 0, second


def test_rotate_api_key_hostkey(ansible_env, hostkey, hostkey_env, tmp_path):
    secret_file = tmp_path / 'hostkey.key'
    out = rotate(ansible_env, 'hostkey', 'ansible-ci', secret_file, hostkey_env)
    assert out.rc == 0, out
    secret = secret_file.read_text().strip()
    assert secret and secret not in str(out) and hostkey_sim.API_KEY not in str(out)
    names = [k['name'] for k in hostkey.state()['api_keys']]
    assert 'ansible-ci' not in names and any(n.startswith('ansible-ci-') for n in names)


def test_rotate_api_key_refuses_other_providers(ansible_env, glesys, glesys_env, tmp_path):
    out = rotate(ansible_env, 'glesys', 'x', tmp_path / 'k', glesys_env)
    assert out.rc != 0 and 'rotate_provider (hostkey or hostup' in str(out)
    assert glesys.calls() == []
