# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""hostcraft.cloud.servers end to end: ansible-inventory -> plugin -> adapter -> GleSYS simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.release import __version__ as ansible_version

from conftest import plain  # pylint: disable=import-error  # tests/integration is on sys.path
from tests.simulators import glesys as glesys_sim

ANSIBLE_VERSION = tuple(int(p) for p in ansible_version.split('.')[:2])

BIN = os.path.dirname(sys.executable)
SEEDED = 200
KEYS = ('provider', 'id', 'name', 'status', 'power_state', 'location', 'image', 'plan', 'cpu', 'memory_mb', 'disk_gb',
        'ipv4', 'ipv6', 'public_ipv4', 'tags', 'created', 'provider_data', 'account')


class Inventory:
    """The outcome of one ``ansible-inventory`` run."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = None
        if proc.returncode == 0 and proc.stdout.lstrip().startswith('{'):
            self.data = plain(json.loads(proc.stdout))

    @property
    def hostvars(self):
        return self.data['_meta']['hostvars']

    def hosts(self, group):
        return sorted(self.data.get(group, {}).get('hosts', []))

    def groups(self):
        return sorted(k for k in self.data if k not in ('_meta', 'all', 'ungrouped'))


@pytest.fixture
def inventory(ansible_env, glesys_env, tmp_path):
    """``inventory(config, *args, env=None)`` writes ``<tmp>/x.hostcraft.yml`` and runs ansible-inventory on it."""

    def run(config, *args, env=None, name='x.hostcraft.yml', program='ansible-inventory'):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict({'plugin': 'hostcraft.cloud.servers'}, **config), sort_keys=False))
        run_env = dict(ansible_env)
        run_env.update(glesys_env)
        run_env.update(env or {})
        cmd = [os.path.join(BIN, program), '-i', str(path)] + list(args or ['--list'])
        proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=600, check=False)
        return Inventory(proc)

    return run


@pytest.fixture
def seeded(glesys):
    """The shared simulator with 200 seeded servers; seeded back to its default (and reset) afterwards."""
    glesys.control('POST', 'seed', {'servers': SEEDED})
    glesys.calls()
    yield glesys
    glesys.control('POST', 'seed', {'servers': 0})
    glesys.reset()


def functions(calls):
    return [c['path'].strip('/') for c in calls]


def test_200_servers(seeded, inventory):
    state = seeded.state()
    inv = inventory({'provider': 'glesys'})
    assert inv.rc == 0, inv.stderr

    names = sorted(s['hostname'] for s in state['servers'])
    assert len(names) == SEEDED
    assert sorted(inv.hostvars) == names
    assert inv.hosts('hostcraft') == names
    assert inv.hosts('provider_glesys') == names

    locations = set(s['datacenter'] for s in state['servers'])
    assert len(locations) > 1
    for location in locations:
        wanted = sorted(s['hostname'] for s in state['servers'] if s['datacenter'] == location)
        assert inv.hosts('location_' + location.lower()) == wanted
    stopped = sorted(s['hostname'] for s in state['servers'] if not s['isrunning'])
    assert stopped and inv.hosts('status_stopped') == stopped
    assert len(inv.hosts('status_running')) == SEEDED - len(stopped)
    assert set(inv.groups()) == set(['hostcraft', 'provider_glesys', 'status_running', 'status_stopped']
                                    + ['location_' + loc.lower() for loc in locations])

    ipv4 = {}
    for ip in state['ips']:
        if ip['ipversion'] == 4 and ip['serverid']:
            ipv4.setdefault(ip['serverid'], ip['ipaddress'])
    for item in state['servers']:
        got = inv.hostvars[item['hostname']]
        assert sorted(got) == sorted(['hostcraft_' + k for k in KEYS] + ['ansible_host'])
        assert got['ansible_host'] == ipv4[item['serverid']] == got['hostcraft_public_ipv4']
        assert got['hostcraft_id'] == item['serverid'] and got['hostcraft_provider'] == 'glesys'
        assert got['hostcraft_location'] == item['datacenter']
        assert got['hostcraft_status'] == ('running' if item['isrunning'] else 'stopped')
        assert got['hostcraft_cpu'] == item['cpucores'] and got['hostcraft_memory_mb'] == item['memorysize']
        assert got['hostcraft_provider_data']['projectkey'] == glesys_sim.PROJECT  # from the list call
        assert 'iplist' in got['hostcraft_provider_data']  # from the detail call
    if ANSIBLE_VERSION < (2, 19):
        # only strings that could be templates are marked, so AWX imports plain values; ansible-core 2.19 itself
        # marks every string in --list output (its "inventory_legacy" profile), whatever the plugin does
        assert '__ansible_unsafe' not in inv.stdout

    # one list call, then one detail call per server (the list carries no addresses or state)
    calls = functions(seeded.calls())
    assert calls.count('server/list') == 1
    assert calls.count('server/details') == SEEDED
    assert len(calls) == SEEDED + 1


def test_graph_and_cache(seeded, inventory, tmp_path):
    config = {'provider': 'glesys', 'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile',
              'cache_connection': str(tmp_path / 'cache'), 'max_workers': 8}
    cold = inventory(config, '--graph')
    assert cold.rc == 0, cold.stderr
    assert '@provider_glesys:' in cold.stdout and '@status_running:' in cold.stdout
    assert cold.stdout.count('srv0') >= SEEDED * 3  # each host under hostcraft, provider_*, location_*, status_*
    assert len(seeded.calls()) == SEEDED + 1
    assert os.listdir(str(tmp_path / 'cache'))

    warm = inventory(config, '--graph')
    assert warm.rc == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert seeded.calls() == []  # a cache hit makes no API call

    warm = inventory(config, '--list')
    assert warm.rc == 0 and len(warm.hostvars) == SEEDED
    assert seeded.calls() == []

    # --flush-cache refetches (and rewrites the cache); ansible-inventory has the option since ansible-core 2.19
    playbook = tmp_path / 'noop.yml'
    playbook.write_text('- hosts: all\n  gather_facts: false\n  tasks: []\n')
    flushed = inventory(config, '--flush-cache', '--list-hosts', str(playbook), program='ansible-playbook')
    assert flushed.rc == 0, flushed.stderr
    assert 'srv0200.example.com' in flushed.stdout
    assert len(seeded.calls()) == SEEDED + 1
    if ANSIBLE_VERSION >= (2, 19):
        flushed = inventory(config, '--graph', '--flush-cache')
        assert flushed.rc == 0, flushed.stderr
        assert flushed.stdout == cold.stdout
        assert len(seeded.calls()) == SEEDED + 1
    assert inventory(config, '--graph').rc == 0
    assert seeded.calls() == []


def test_hostname_template_filters_and_connect_with(glesys, inventory):
    inv = inventory({'provider': 'glesys', 'hostname': '{{ name }}-{{ location }}'})
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ['legacy-app-Stockholm', 'web01.example.com-Falkenberg']

    inv = inventory({'provider': 'glesys', 'connect_with': 'public_ipv6', 'filters': {'statuses': ['running']},
                     'keyed_groups': [{'key': 'hostcraft_provider_data.platform | lower', 'prefix': 'platform'}]})
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ['web01.example.com']
    assert inv.hostvars['web01.example.com']['ansible_host'] == '2001:db8:0:1::10'
    assert inv.hosts('platform_kvm') == ['web01.example.com']

    inv = inventory({'provider': 'glesys', 'connect_with': 'public_ipv6', 'filters': {'name': 'legacy*'}})
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ['legacy-app']
    assert 'ansible_host' not in inv.hostvars['legacy-app']  # no IPv6, still in the inventory


def test_accounts_list(glesys, glesys_env, inventory):
    config = {'accounts': [
        {'name': 'first', 'provider': 'glesys', 'glesys_project': glesys_env['GLESYS_PROJECT'],
         'glesys_api_key': glesys_env['GLESYS_API_KEY'], 'api_url': glesys.url},
        {'name': 'second', 'provider': 'glesys'},  # credentials and URL from the environment
    ]}
    inv = inventory(config)
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ['legacy-app', 'legacy-app_wps1000456', 'web01.example.com',
                                    'web01.example.com_kvm1000123']
    assert inv.hostvars['web01.example.com']['hostcraft_account'] == 'first'
    assert inv.hostvars['web01.example.com_kvm1000123']['hostcraft_account'] == 'second'
    assert 'is already taken' in inv.stderr
    assert functions(glesys.calls()).count('server/list') == 2


def test_wrong_api_key_fails_clearly_without_the_key(glesys, inventory):
    wrong = 'wrong-key-b7e2d9c4'
    inv = inventory({'provider': 'glesys', 'glesys_api_key': wrong},
                    env={'ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED': 'true'})
    assert inv.rc != 0
    output = inv.stdout + inv.stderr
    assert 'cannot authenticate to GleSYS as project %s' % glesys_sim.PROJECT in ' '.join(output.split())
    assert wrong not in output
    assert functions(glesys.calls()) == ['server/list']


def test_unsupported_provider_makes_no_call(glesys, inventory):
    inv = inventory({'provider': 'skyport', 'skyport_url': 'http://127.0.0.1:9'},
                    env={'ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED': 'true', 'SKYPORT_API_KEY': ''})
    assert inv.rc != 0
    assert 'provider skyport needs skyport_api_key' in ' '.join((inv.stdout + inv.stderr).split())
    assert glesys.calls() == []
