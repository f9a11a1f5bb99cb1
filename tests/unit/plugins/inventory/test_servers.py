# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory plugin ``hostcraft.cloud.servers`` against fake providers (no HTTP)."""

from __future__ import annotations

import os
import threading
import time

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import fragment_loader
from ansible.template import Templar
from ansible.utils.plugin_docs import add_fragments
from ansible.utils.unsafe_proxy import AnsibleUnsafe

from ansible_collections.hostcraft.cloud.plugins.inventory import servers as plugin_module
from ansible_collections.hostcraft.cloud.plugins.module_utils import _http
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ApiError, AuthError, NotFound
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import Server
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import ServerAPI

try:
    from ansible.template import is_trusted_as_template, trust_as_template
except ImportError:  # ansible-core 2.18
    is_trusted_as_template = None

    def trust_as_template(value):
        return value

NAME = 'hostcraft.cloud.servers'
ENV = ('GLESYS_PROJECT', 'GLESYS_API_KEY', 'GLESYS_API_URL', 'HOSTKEY_API_KEY', 'HOSTKEY_PIN', 'SERVERSPACE_API_KEY',
       'HOSTUP_API_KEY', 'SKYPORT_URL', 'SKYPORT_API_KEY', 'HOSTCRAFT_API_TIMEOUT', 'HOSTCRAFT_API_RETRIES')
SECRET = 'sekrit-api-key-4711'


# --- fakes ------------------------------------------------------------------------------------

def server(sid, name, location='Falkenberg', status='running', ipv4=(), ipv6=(), tags=None, provider='glesys', **extra):
    fields = dict(provider=provider, id=sid, name=name, status=status, power_state=status, location=location,
                  image='Debian 12', plan=None, cpu=2, memory_mb=2048, disk_gb=20, ipv4=list(ipv4), ipv6=list(ipv6),
                  public_ipv4=ipv4[0] if ipv4 else None, tags=tags or {}, created=None,
                  provider_data={'serverid': sid})
    fields.update(extra)
    return Server(**fields)


class FakeServers(ServerAPI):
    """A ServerAPI: ``list`` returns ``listed``; ``get`` returns ``details[id]`` (or the listed one)."""

    def __init__(self, listed, details=None, complete=True, delay=0.0, errors=None):
        self.listed = listed
        self.details = details or {}
        self.complete = complete
        self.delay = delay
        self.errors = errors or {}
        self.calls = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def list(self):
        self.calls.append(('list',))
        if 'list' in self.errors:
            raise self.errors['list']
        return [Server(**s.to_dict()) for s in self.listed]

    def details_complete(self):
        return self.complete

    def get(self, server_id):
        with self.lock:
            self.calls.append(('get', server_id))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.delay)
            if server_id in self.errors:
                raise self.errors[server_id]
            if server_id in self.details:
                return self.details[server_id]
            return [s for s in self.listed if s.id == server_id][0]
        finally:
            with self.lock:
                self.active -= 1


class FakeProvider:

    def __init__(self, servers):
        self.servers = servers
        self.closed = False

    def close(self):
        self.closed = True


class Opener:
    """Stands in for ``open_provider``: hands out FakeProviders in order and records the options."""

    def __init__(self, *providers):
        self.providers = list(providers)
        self.opened = []

    def __call__(self, name, options, feature, thing=None, **kwargs):
        assert feature == 'inventory'
        self.opened.append({'name': name, 'options': dict(options), 'kwargs': kwargs})
        return self.providers[len(self.opened) - 1]


class RecordingDisplay:
    """The plugin's ``display``: records warnings, passes everything else on."""

    def __init__(self, real):
        self.real = real
        self.warnings = []

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)

    def __getattr__(self, name):
        return getattr(self.real, name)


# --- harness ----------------------------------------------------------------------------------

@pytest.fixture(scope='module', autouse=True)
def option_definitions():
    """Register the plugin's options (with the constructed and inventory_cache fragments) as the loader does."""
    doc = yaml.safe_load(plugin_module.DOCUMENTATION)
    add_fragments(doc, plugin_module.__file__, fragment_loader=fragment_loader)
    C.config.initialize_plugin_configuration_definitions('inventory', NAME, doc['options'])


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """``run(config, opener, cache=True)`` -> (InventoryData, plugin); writes ``<tmp>/test.hostcraft.yml``."""

    def _run(config, opener=None, cache=True, extra_vars=None):
        if opener is not None:
            monkeypatch.setattr(plugin_module, 'open_provider', opener)
        if extra_vars is not None:
            monkeypatch.setattr('ansible.plugins.inventory.load_extra_vars', lambda loader: dict(extra_vars))
        path = tmp_path / 'test.hostcraft.yml'
        path.write_text(yaml.safe_dump(dict({'plugin': NAME}, **config), sort_keys=False))
        plugin = plugin_module.InventoryModule()
        # what the plugin loader sets on a plugin it hands out
        plugin._load_name = NAME
        plugin.ansible_name = NAME
        plugin._redirected_names = [NAME]
        plugin.display = RecordingDisplay(plugin.display)
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        try:
            plugin.update_cache_if_changed()  # what the InventoryManager does after parse
        except AttributeError:
            pass
        return inventory, plugin

    return _run


def hostvars(inventory, host):
    """The variables the plugin set (without those ansible-core adds: inventory_file, inventory_dir)."""
    return dict((k, v) for k, v in inventory.get_host(host).vars.items() if k not in ('inventory_file', 'inventory_dir'))


def members(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def single(servers, **config):
    """A one-account config and an Opener whose provider lists ``servers`` (details complete)."""
    return dict({'provider': 'glesys', 'glesys_project': 'cl12345', 'glesys_api_key': SECRET}, **config), \
        Opener(FakeProvider(FakeServers(servers)))


KEYS = ('provider', 'id', 'name', 'status', 'power_state', 'location', 'image', 'plan', 'cpu', 'memory_mb', 'disk_gb',
        'ipv4', 'ipv6', 'public_ipv4', 'tags', 'created', 'provider_data', 'account')


# --- tests ------------------------------------------------------------------------------------

def test_verify_file(tmp_path):
    plugin = plugin_module.InventoryModule()
    for name, wanted in (('x.hostcraft.yml', True), ('hostcraft.yaml', True), ('x.hostcraft.json', False),
                         ('hcloud.yml', False), ('hostcraft.yml.bak', False)):
        path = tmp_path / name
        path.write_text('plugin: %s\n' % NAME)
        assert plugin.verify_file(str(path)) is wanted, name
    assert plugin.verify_file(str(tmp_path / 'missing.hostcraft.yml')) is False


def test_groups(run):
    servers = FakeServers([
        server('s1', 'web01', location='Falkenberg', status='running', ipv4=['203.0.113.1'],
               tags={'env': 'prod', 'backup': '', 'Team.Name': 'Ops-1'}),
        server('s2', 'web02', location='Frankfurt am Main', status='stopped', tags={'env': 'dev', 'flag': None}),
        server('s3', 'db01', location=None, status=None),
    ])
    config, opener = single([])
    opener.providers = [FakeProvider(servers)]
    inventory, dummy = run(config, opener)
    assert members(inventory, 'hostcraft') == ['db01', 'web01', 'web02']
    assert members(inventory, 'provider_glesys') == ['db01', 'web01', 'web02']
    assert members(inventory, 'location_falkenberg') == ['web01']
    assert members(inventory, 'location_frankfurt_am_main') == ['web02']
    assert members(inventory, 'status_running') == ['web01']
    assert members(inventory, 'status_stopped') == ['web02']
    assert members(inventory, 'tag_env_prod') == ['web01']
    assert members(inventory, 'tag_env_dev') == ['web02']
    assert members(inventory, 'tag_backup') == ['web01']
    assert members(inventory, 'tag_flag') == ['web02']
    assert members(inventory, 'tag_team_name_ops_1') == ['web01']
    # no group for an unknown location or status
    assert not [g for g in inventory.groups if g in ('location_', 'status_', 'location_none', 'status_none')]
    for group in inventory.groups:
        assert group == group.lower() and all(c.isalnum() or c == '_' for c in group), group


def test_every_key_set_under_prefix_and_nothing_unprefixed(run):
    bare = Server(provider='glesys', id='s9', name='bare', status=None, power_state=None, location=None, image=None,
                  plan=None, cpu=None, memory_mb=None, disk_gb=None, ipv4=None, ipv6=None, public_ipv4=None, tags=None,
                  created=None, provider_data=None)
    full = server('s1', 'web01', ipv4=['203.0.113.1', '198.51.100.7'], ipv6=['2001:db8::1'], tags={'env': 'prod'})
    config, opener = single([full, bare])
    inventory, dummy = run(config, opener)

    got = hostvars(inventory, 'bare')
    assert sorted(got) == sorted(['hostcraft_' + k for k in KEYS])  # no ansible_host: no IPv4
    assert got['hostcraft_ipv4'] == [] and got['hostcraft_ipv6'] == [] and got['hostcraft_tags'] == {}
    assert got['hostcraft_provider_data'] == {}
    assert got['hostcraft_location'] is None and got['hostcraft_account'] is None
    assert got['hostcraft_id'] == 's9' and got['hostcraft_provider'] == 'glesys'

    got = hostvars(inventory, 'web01')
    assert sorted(got) == sorted(['hostcraft_' + k for k in KEYS] + ['ansible_host'])
    assert got['ansible_host'] == '203.0.113.1'
    assert got['hostcraft_ipv4'] == ['203.0.113.1', '198.51.100.7']
    assert got['hostcraft_tags'] == {'env': 'prod'}
    assert got['hostcraft_memory_mb'] == 2048 and got['hostcraft_cpu'] == 2


def test_hostvars_prefix(run):
    config, opener = single([server('s1', 'web01', ipv4=['203.0.113.1'])], hostvars_prefix='hc_')
    inventory, dummy = run(config, opener)
    got = hostvars(inventory, 'web01')
    assert sorted(got) == sorted(['hc_' + k for k in KEYS] + ['ansible_host'])


def test_empty_prefix_allowed_and_bad_prefix_rejected(run):
    config, opener = single([server('s1', 'web01')], hostvars_prefix='')
    inventory, dummy = run(config, opener)
    assert hostvars(inventory, 'web01')['name'] == 'web01'

    config, opener = single([server('s1', 'web01')], hostvars_prefix='1bad-')
    with pytest.raises(AnsibleError, match='hostvars_prefix'):
        run(config, opener)
    assert opener.providers[0].servers.calls == []


@pytest.mark.parametrize('connect_with, wanted', [
    ('public_ipv4', {'v4': '203.0.113.1', 'v6': None, 'both': '203.0.113.2', 'none': None}),
    ('public_ipv6', {'v4': None, 'v6': '2001:db8::1', 'both': '2001:db8::2', 'none': None}),
    ('name', {'v4': 'v4', 'v6': 'v6', 'both': 'both', 'none': 'none'}),
])
def test_connect_with_never_drops_a_host(run, connect_with, wanted):
    config, opener = single([
        server('s1', 'v4', ipv4=['203.0.113.1']),
        server('s2', 'v6', ipv6=['2001:db8::1']),
        server('s3', 'both', ipv4=['203.0.113.2'], ipv6=['2001:db8::2', '2001:db8::3']),
        server('s4', 'none'),
    ], connect_with=connect_with)
    inventory, dummy = run(config, opener)
    for host, address in wanted.items():
        assert hostvars(inventory, host).get('ansible_host') == address, host
    assert members(inventory, 'hostcraft') == ['both', 'none', 'v4', 'v6']


def test_duplicate_hostnames_get_the_id_and_a_warning(run):
    config, opener = single([
        server('s1', 'web'), server('s2', 'web'), server('s3', 'other'), server('s4', 'web'),
        server('s5', 'web_s2'),  # collides with a generated name
    ])
    inventory, plugin = run(config, opener)
    assert members(inventory, 'hostcraft') == ['other', 'web', 'web_s2', 'web_s2_s5', 'web_s4']
    assert hostvars(inventory, 'web')['hostcraft_id'] == 's1'
    assert hostvars(inventory, 'web_s2')['hostcraft_id'] == 's2'
    assert hostvars(inventory, 'web_s4')['hostcraft_id'] == 's4'
    assert hostvars(inventory, 'web_s2_s5')['hostcraft_id'] == 's5'
    warnings = plugin.display.warnings
    assert len(warnings) == 3
    assert '"web"' in warnings[0] and 's2' in warnings[0] and '"web_s2"' in warnings[0]


def test_empty_hostname_falls_back_to_id(run):
    config, opener = single([server('s1', None), server('s2', 'ok')])
    inventory, plugin = run(config, opener)
    assert members(inventory, 'hostcraft') == ['ok', 's1']
    assert len(plugin.display.warnings) == 1 and 's1' in plugin.display.warnings[0]


def test_hostname_template(run):
    config, opener = single([server('s1', 'web01', location='Falkenberg'), server('s2', 'web02', location=None)],
                            hostname='{{ name }}-{{ location | default("x", true) | lower }}')
    inventory, dummy = run(config, opener)
    assert members(inventory, 'hostcraft') == ['web01-falkenberg', 'web02-x']

    config, opener = single([server('s1', 'web01', location='Falkenberg')], hostname='{{ name }}-{{ location }}')
    inventory, dummy = run(config, opener)
    assert members(inventory, 'hostcraft') == ['web01-Falkenberg']


def test_hostname_template_error_is_clear(run):
    config, opener = single([server('s1', 'web01')], hostname='{{ nosuchvar }}')
    with pytest.raises(AnsibleError, match='hostname template failed for server s1'):
        run(config, opener)


def test_constructed_options(run):
    config, opener = single(
        [server('s1', 'web01', memory_mb=8192, provider_data={'platform': 'KVM'}),
         server('s2', 'web02', memory_mb=1024, provider_data={'platform': 'VMware'})],
        compose={'ansible_user': "'root'", 'label': "hostcraft_name ~ '@' ~ hostcraft_location"},
        groups={'big': 'hostcraft_memory_mb >= 4096'},
        keyed_groups=[{'key': 'hostcraft_provider_data.platform | lower', 'prefix': 'platform'}],
        strict=True)
    inventory, dummy = run(config, opener)
    assert hostvars(inventory, 'web01')['ansible_user'] == 'root'
    assert hostvars(inventory, 'web01')['label'] == 'web01@Falkenberg'
    assert members(inventory, 'big') == ['web01']
    assert members(inventory, 'platform_kvm') == ['web01']
    assert members(inventory, 'platform_vmware') == ['web02']


def test_api_data_is_unsafe(run):
    evil = "{{ 7 * 6 }}"
    config, opener = single([server('s1', evil, ipv4=['203.0.113.1'], tags={'k': '{% if true %}x{% endif %}'},
                                    provider_data={'note': evil, '{{ key }}': ['{# c #}', 'plain']})],
                            hostname='{{ name }}')
    inventory, dummy = run(config, opener)
    assert members(inventory, 'hostcraft') == [evil]
    got = hostvars(inventory, evil)

    def unsafe(value):
        if is_trusted_as_template is not None:  # 2.19+: untrusted strings are never templated
            return not is_trusted_as_template(value)
        return isinstance(value, AnsibleUnsafe)

    for value in (got['hostcraft_name'], got['hostcraft_tags']['k'], got['hostcraft_provider_data']['note'],
                  got['hostcraft_provider_data']['{{ key }}'][0], inventory.get_host(evil).name):
        assert unsafe(value), value
    assert [k for k in got['hostcraft_provider_data'] if k == '{{ key }}' and unsafe(k)]
    # strings that cannot be templates stay plain (no __ansible_unsafe in ansible-inventory --list for AWX)
    assert not isinstance(got['hostcraft_provider'], AnsibleUnsafe) and not isinstance(got['ansible_host'], AnsibleUnsafe)

    # using the variables in a template yields the text, never its evaluation
    templar = Templar(loader=DataLoader(), variables=got)
    assert templar.template(trust_as_template('{{ hostcraft_name }}')) == evil
    assert templar.template(trust_as_template('{{ hostcraft_provider_data.note }}')) == evil


def test_details_skipped_when_list_is_complete(run):
    servers = FakeServers([server('s%d' % i, 'h%d' % i) for i in range(5)], complete=True)
    config, opener = single([])
    opener.providers = [FakeProvider(servers)]
    run(config, opener)
    assert servers.calls == [('list',)]


def test_details_fetched_and_merged(run):
    listed = [server('s1', 'web01', status=None, provider_data={'serverid': 's1', 'projectkey': 'cl12345'}),
              server('s2', 'web02', status=None)]
    details = {
        's1': server('s1', 'web01', status='running', ipv4=['203.0.113.1'], image=None,
                     provider_data={'serverid': 's1', 'isrunning': True}),
        's2': server('s2', 'web02', status='stopped', ipv6=['2001:db8::2']),
    }
    servers = FakeServers(listed, details, complete=False)
    config, opener = single([])
    opener.providers = [FakeProvider(servers)]
    inventory, dummy = run(config, opener)
    assert sorted(servers.calls) == [('get', 's1'), ('get', 's2'), ('list',)]
    got = hostvars(inventory, 'web01')
    assert got['hostcraft_status'] == 'running' and got['ansible_host'] == '203.0.113.1'
    assert got['hostcraft_image'] == 'Debian 12'  # from the list: the details had none
    assert got['hostcraft_provider_data'] == {'serverid': 's1', 'projectkey': 'cl12345', 'isrunning': True}
    assert members(inventory, 'status_stopped') == ['web02']
    # API order is kept although the details complete in any order
    assert [h.name for h in inventory.groups['hostcraft'].get_hosts()] == ['web01', 'web02']


def test_max_workers_bounds_concurrent_detail_calls(run):
    servers = FakeServers([server('s%02d' % i, 'h%02d' % i) for i in range(40)], complete=False, delay=0.02)
    config, opener = single([], max_workers=3)
    opener.providers = [FakeProvider(servers)]
    inventory, dummy = run(config, opener)
    assert len([c for c in servers.calls if c[0] == 'get']) == 40
    assert servers.max_active == 3
    assert opener.opened[0]['kwargs'] == {'pool_size': 3}
    assert [h.name for h in inventory.groups['hostcraft'].get_hosts()] == ['h%02d' % i for i in range(40)]


def test_default_max_workers_is_8(run):
    servers = FakeServers([server('s%02d' % i, 'h%02d' % i) for i in range(30)], complete=False, delay=0.02)
    config, opener = single([])
    opener.providers = [FakeProvider(servers)]
    run(config, opener)
    assert servers.max_active == 8 and opener.opened[0]['kwargs'] == {'pool_size': 8}


def test_max_workers_must_be_positive(run):
    config, opener = single([server('s1', 'a')], max_workers=0)
    with pytest.raises(AnsibleError, match='max_workers'):
        run(config, opener)


def test_server_gone_between_list_and_details_is_left_out(run):
    servers = FakeServers([server('s1', 'a'), server('s2', 'b')], complete=False,
                          errors={'s2': NotFound('GleSYS server s2 not found.')})
    config, opener = single([])
    opener.providers = [FakeProvider(servers)]
    inventory, plugin = run(config, opener)
    assert members(inventory, 'hostcraft') == ['a']
    assert len(plugin.display.warnings) == 1 and 's2' in plugin.display.warnings[0]


def test_filters(run):
    servers = [
        server('s1', 'web01', location='Falkenberg', status='running', tags={'env': 'prod', 'tier': 'web'}),
        server('s2', 'web02', location='Stockholm', status='stopped', tags={'env': 'prod'}),
        server('s3', 'db01', location='falkenberg', status='running', tags={'env': 'dev', 'tier': 'db'}),
        server('s4', 'WEB03', location='Oslo', status='locked'),
    ]
    cases = [
        ({'locations': ['FALKENBERG']}, ['db01', 'web01']),
        ({'statuses': ['Running', 'locked']}, ['WEB03', 'db01', 'web01']),
        ({'tags': {'env': 'prod'}}, ['web01', 'web02']),
        ({'tags': {'env': 'prod', 'tier': None}}, ['web01']),
        ({'name': 'web*'}, ['WEB03', 'web01', 'web02']),
        ({'name': 'web0[12]', 'statuses': ['running']}, ['web01']),
        ({'locations': ['Oslo'], 'tags': {'env': 'prod'}}, []),
        ({}, ['WEB03', 'db01', 'web01', 'web02']),
    ]
    for filters, wanted in cases:
        config, opener = single(servers, filters=filters)
        inventory, dummy = run(config, opener)
        assert members(inventory, 'hostcraft') == wanted, filters


def test_name_and_location_filters_apply_before_detail_calls(run):
    listed = [server('s1', 'web01', location='Falkenberg', status=None),
              server('s2', 'db01', location='Falkenberg', status=None),
              server('s3', 'web02', location='Oslo', status=None),
              server('s4', 'web03', location=None, status=None)]
    details = {'s4': server('s4', 'web03', location='Falkenberg', status='running'),
               's1': server('s1', 'web01', location='Falkenberg', status='stopped')}
    servers = FakeServers(listed, details, complete=False)
    config, opener = single([], filters={'name': 'web*', 'locations': ['falkenberg'], 'statuses': ['running']})
    opener.providers = [FakeProvider(servers)]
    inventory, dummy = run(config, opener)
    assert sorted(c for c in servers.calls if c[0] == 'get') == [('get', 's1'), ('get', 's4')]
    assert members(inventory, 'hostcraft') == ['web03']


def test_unknown_filter_fails_before_any_call(run):
    config, opener = single([server('s1', 'a')], filters={'colour': 'red'})
    with pytest.raises(AnsibleError, match='unknown filters: colour'):
        run(config, opener)
    assert opener.opened == []


def test_accounts_list(run, monkeypatch):
    monkeypatch.setenv('GLESYS_API_KEY', 'key-from-env')
    monkeypatch.setenv('HOSTCRAFT_API_RETRIES', '2')
    first = FakeProvider(FakeServers([server('a1', 'web'), server('a2', 'app')]))
    second = FakeProvider(FakeServers([server('b1', 'web'), server('b2', 'db')]))
    opener = Opener(first, second)
    config = {
        'api_timeout': 12,
        'accounts': [
            {'name': 'production', 'provider': 'glesys', 'glesys_project': 'cl1', 'glesys_api_key': SECRET},
            {'name': 'staging', 'provider': 'glesys', 'glesys_project': 'cl2', 'api_url': 'http://127.0.0.1:1',
             'api_timeout': 3},
        ],
    }
    inventory, plugin = run(config, opener)
    assert members(inventory, 'hostcraft') == ['app', 'db', 'web', 'web_b1']
    assert hostvars(inventory, 'web')['hostcraft_account'] == 'production'
    assert hostvars(inventory, 'web_b1')['hostcraft_account'] == 'staging'
    assert len(plugin.display.warnings) == 1
    one, two = [o['options'] for o in opener.opened]
    assert one['glesys_project'] == 'cl1' and one['glesys_api_key'] == SECRET
    assert one['api_timeout'] == 12 and one['api_retries'] == 2 and one['api_url'] is None
    assert two['glesys_project'] == 'cl2' and two['glesys_api_key'] == 'key-from-env'
    assert two['api_timeout'] == 3 and two['api_url'] == 'http://127.0.0.1:1' and two['validate_certs'] is True
    assert 'name' not in one
    assert first.closed and second.closed


@pytest.mark.parametrize('config, message', [
    ({'provider': 'glesys', 'accounts': [{'provider': 'glesys'}]}, 'either provider'),
    ({}, 'set provider'),
    ({'accounts': [{'provider': 'glesys', 'colour': 'red'}]}, r'accounts\[0\] has unknown keys: colour'),
    ({'accounts': [{'glesys_project': 'cl1'}]}, r'accounts\[0\]: .*provider'),
    ({'accounts': [{'provider': 'nosuch'}]}, r'accounts\[0\]: .*provider'),
    ({'accounts': ['glesys']}, r'accounts\[0\] must be a dictionary'),
    ({'accounts': [{'provider': 'glesys', 'name': 'a'}, {'provider': 'glesys', 'name': 'a'}]}, 'used twice'),
])
def test_account_errors_before_any_call(run, config, message):
    opener = Opener(FakeProvider(FakeServers([])), FakeProvider(FakeServers([])))
    with pytest.raises(AnsibleError, match=message):
        run(config, opener)
    assert all(p.servers.calls == [] for p in opener.providers)


def test_unsupported_provider_and_missing_credentials_make_no_call(run):
    events = []
    _http.CALL_HOOKS.append(events.append)
    try:
        with pytest.raises(AnsibleError, match='provider skyport needs skyport_url'):
            run({'provider': 'skyport', 'skyport_api_key': SECRET})
        with pytest.raises(AnsibleError) as info:
            run({'provider': 'glesys', 'glesys_project': 'cl1'})
        assert 'GLESYS_API_KEY' in str(info.value)
        with pytest.raises(AnsibleError, match=r'accounts\[1\] \(provider skyport\): provider skyport needs'):
            run({'accounts': [{'provider': 'glesys', 'glesys_project': 'cl1', 'glesys_api_key': SECRET},
                              {'provider': 'skyport'}]})
    finally:
        _http.CALL_HOOKS.remove(events.append)
    assert events == []


def test_api_error_is_an_ansible_error_without_secrets(run):
    failing = FakeProvider(FakeServers([], errors={'list': AuthError('cannot authenticate to GleSYS as project cl12345: '
                                                                     'Invalid credentials.')}))
    config = {'accounts': [{'name': 'prod', 'provider': 'glesys', 'glesys_project': 'cl12345', 'glesys_api_key': SECRET}]}
    with pytest.raises(AnsibleError) as info:
        run(config, Opener(failing))
    text = str(info.value)
    assert 'account "prod"' in text and 'Invalid credentials.' in text and SECRET not in text
    assert failing.closed

    failing = FakeProvider(FakeServers([server('s1', 'a')], complete=False, errors={'s1': ApiError('boom')}))
    config, dummy = single([])
    with pytest.raises(AnsibleError, match='provider glesys: boom'):
        run(config, Opener(failing))
    assert failing.closed


def test_credentials_may_be_templates_from_extra_vars(run, monkeypatch):
    monkeypatch.setenv('GLESYS_PROJECT', '{{ not_templated }}')
    config = {'provider': 'glesys', 'glesys_api_key': '{{ vault_key }}'}
    opener = Opener(FakeProvider(FakeServers([])))
    run(config, opener, extra_vars={'vault_key': SECRET})
    options = opener.opened[0]['options']
    assert options['glesys_api_key'] == SECRET
    assert options['glesys_project'] == '{{ not_templated }}'  # environment values are never templated


def _cache_config(tmp_path, **extra):
    return dict({'cache': True, 'cache_plugin': 'jsonfile', 'cache_connection': str(tmp_path / 'cache')},
                **extra)


def test_cache_hit_makes_no_call_and_keeps_the_ttl(run, tmp_path):
    listed = [server('s1', 'web01', ipv4=['203.0.113.1']), server('s2', 'web02')]
    config, opener = single(listed, **_cache_config(tmp_path))
    inventory, dummy = run(config, opener)
    assert opener.providers[0].servers.calls == [('list',)]
    files = os.listdir(str(tmp_path / 'cache'))
    assert len(files) == 1
    cache_file = str(tmp_path / 'cache' / files[0])
    old = time.time() - 600
    os.utime(cache_file, (old, old))

    # a hit: no call at all, same inventory, and the cache file is not rewritten (its TTL is not reset)
    config, opener = single(listed, hostname='{{ name }}.{{ provider }}', **_cache_config(tmp_path))
    inventory, dummy = run(config, opener)
    assert opener.providers[0].servers.calls == []
    assert opener.providers[0].closed
    assert members(inventory, 'hostcraft') == ['web01.glesys', 'web02.glesys']
    assert hostvars(inventory, 'web01.glesys')['ansible_host'] == '203.0.113.1'
    assert int(os.stat(cache_file).st_mtime) == int(old)

    # --flush-cache (cache=False from the manager): refetched and rewritten
    config, opener = single([server('s3', 'web03')], **_cache_config(tmp_path))
    inventory, dummy = run(config, opener, cache=False)
    assert opener.providers[0].servers.calls == [('list',)]
    assert members(inventory, 'hostcraft') == ['web03']
    assert os.stat(cache_file).st_mtime > old + 60


def test_cache_expired_refetches(run, tmp_path):
    config, opener = single([server('s1', 'web01')], cache_timeout=1, **_cache_config(tmp_path))
    run(config, opener)
    for name in os.listdir(str(tmp_path / 'cache')):
        old = time.time() - 100
        os.utime(str(tmp_path / 'cache' / name), (old, old))
    config, opener = single([server('s1', 'web01')], cache_timeout=1, **_cache_config(tmp_path))
    run(config, opener)
    assert opener.providers[0].servers.calls == [('list',)]


def test_group_name_sanitizing():
    assert plugin_module.group_name('location', 'Frankfurt am Main') == 'location_frankfurt_am_main'
    assert plugin_module.group_name('tag', 'Env', 'Prod-1.a') == 'tag_env_prod_1_a'
    assert plugin_module.group_name('location', 'Göteborg') == 'location_g_teborg'
