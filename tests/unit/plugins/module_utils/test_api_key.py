# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""API keys (``api_key``, ``api_key_info``) against an in-memory provider: no HTTP."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import ApiKey, Server
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    ApiKeyAPI,
    Capabilities,
    Provider,
    ServerAPI,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._glesys_servers import GlesysApiKeys
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import open_provider
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import api_key
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.fakes import FakeHM

WRITES = ('create', 'update', 'delete')
ALL_FIELDS = frozenset(('server', 'allowed_ips', 'active', 'scopes', 'notify_method', 'notify_address'))
SECRET = 'c41d0a9e77b2f1e3-5a6b7c8d9e0f1a2b'


class FakeServers(ServerAPI):

    def __init__(self, log):
        self.log = log
        self.servers = [Server(id='40001', name='web01'), Server(id='40002', name='db01')]

    def list(self):
        self.log.append(('servers',))
        return list(self.servers)

    def get(self, server_id):  # pragma: no cover - find_server(details=False) never asks
        raise AssertionError('no detail call expected')


class FakeKeys(ApiKeyAPI):
    """Keys in memory, like HOSTKEY's api_keys.php; ``used`` holds the ids of the key "in use"."""

    fields = ALL_FIELDS

    def __init__(self, log, keys=(), used=(), lose_create=False, echo=True):
        self.log = log
        self.keys = dict((k.id, k) for k in keys)
        self.used = set(used)
        self.next_id = 900
        self.lose_create = lose_create
        self.echo = echo

    @staticmethod
    def _copy(key, secret=None):
        data = key.to_dict()
        data['secret'] = secret
        return ApiKey(**data)

    def list(self, server_id=None):
        self.log.append(('list', server_id))
        keys = [self._copy(k) for k in self.keys.values()]
        if server_id is not None:
            keys = [k for k in keys if k.server == server_id]
        return keys

    def create(self, spec):
        self.log.append(('create', spec))
        self.next_id += 1
        key = ApiKey(id=str(self.next_id), name=spec['name'], server=spec.get('server'),
                     allowed_ips=spec.get('allowed_ips', []), active=spec.get('active', True),
                     scopes=spec.get('scopes'), notify_method=spec.get('notify_method', 'none'),
                     notify_address=spec.get('notify_address'), secret=None,
                     provider_data={'id': self.next_id, 'token_view': SECRET[:4], 'api_key': SECRET})
        self.keys[key.id] = key
        if self.lose_create:
            raise AmbiguousError('The Fake API did not answer; the call may or may not have been carried out.')
        return self._copy(key, SECRET)

    def update(self, key, spec):
        self.log.append(('update', key.id, spec))
        stored = self.keys[key.id]
        for name, value in spec.items():
            setattr(stored, name, value)
        return self._copy(stored) if self.echo else None

    def delete(self, key):
        self.log.append(('delete', key.id))
        self.keys.pop(key.id, None)

    def in_use(self, key):
        self.log.append(('in_use', key.id))
        return key.id in self.used


def make_key(key_id, name, **kwargs):
    data = dict(id=key_id, name=name, server=None, allowed_ips=[], active=True, scopes=None, notify_method='none',
                notify_address=None, secret=None, provider_data={'id': key_id, 'token_view': 'abcd'})
    data.update(kwargs)
    return ApiKey(**data)


class FakeProvider(Provider):
    name = 'fake'
    title = 'Fake'
    capabilities = Capabilities('fake', supported=('api_key', 'api_key_info', 'server_info'))

    def __init__(self, keys=(), **kwargs):
        super().__init__({})
        self.log = []
        self._servers = FakeServers(self.log)
        self._keys = FakeKeys(self.log, keys, **kwargs)

    @property
    def servers(self):
        return self._servers

    @property
    def api_keys(self):
        return self._keys

    def writes(self):
        return [c for c in self.log if c[0] in WRITES]


PARAMS = dict(name='backup', state='present', server=None, allowed_ips=None, active=None, scopes=None,
              notify_method=None, notify_address=None, secret_file=None)


def run(provider, check_mode=False, diff=True, **params):
    return api_key.ensure(FakeHM(provider, dict(PARAMS, **params), check_mode, diff))


def info(provider, **params):
    return api_key.info(FakeHM(provider, dict(dict(name=None, server=None), **params)))


def existing():
    return [make_key('801', 'ci', allowed_ips=['203.0.113.0/28'], notify_method='none'),
            make_key('802', 'web01-panel', server='40001'),
            make_key('803', 'backup', allowed_ips='10.0.0.2 10.4.6.0/24', scopes=['read:dns', 'write:dns'],
                     notify_method='Email', notify_address='ops@example.com')]


def no_secret(data):
    return SECRET not in json.dumps(data) and SECRET[:8] not in json.dumps(data)


# --- create ---------------------------------------------------------------------------------

def test_create_returns_the_secret_once_never_in_the_diff():
    provider = FakeProvider()
    res = run(provider, allowed_ips=['10.0.0.2/32', '192.0.2.0/24', '10.0.0.2'], scopes=['b', 'a', 'b'],
              notify_method='EMAIL', notify_address=' ops@example.com ')
    assert res['changed'] is True
    assert res['api_key']['secret'] == SECRET
    assert res['api_key']['id'] == '901' and res['api_key']['name'] == 'backup'
    assert res['api_key']['allowed_ips'] == ['10.0.0.2', '192.0.2.0/24']
    assert res['api_key']['scopes'] == ['a', 'b']
    assert res['diff']['before'] == {} and 'secret' not in res['diff']['after']
    assert no_secret(res['diff'])
    assert no_secret(res['api_key']['provider_data'])  # the adapter's raw record is scrubbed too
    assert res['api_key']['provider_data']['token_view'] == SECRET[:4]
    assert provider.writes() == [('create', {
        'name': 'backup', 'allowed_ips': ['10.0.0.2', '192.0.2.0/24'], 'scopes': ['a', 'b'],
        'notify_method': 'email', 'notify_address': 'ops@example.com'})]


def test_create_in_check_mode_predicts_and_invents_no_secret():
    provider = FakeProvider()
    res = run(provider, check_mode=True, allowed_ips=['10.0.0.2/32'], active=False)
    assert res['changed'] is True
    assert res['api_key'] == {'id': None, 'name': 'backup', 'server': None, 'allowed_ips': ['10.0.0.2'],
                              'active': False, 'scopes': None, 'notify_method': None, 'notify_address': None,
                              'provider_data': {}, 'secret': None}
    assert res['diff'] == {'before': {}, 'after': dict((k, v) for k, v in res['api_key'].items() if k != 'secret')}
    assert provider.writes() == [] and provider.api_keys.keys == {}


def test_new_keys_are_predicted_active():
    res = run(FakeProvider(), check_mode=True)
    assert res['api_key']['active'] is True


def test_secret_file_gets_the_secret_with_mode_0600(tmp_path):
    path = tmp_path / 'backup.key'
    path.write_text('old secret of a deleted key\n')
    os.chmod(str(path), 0o644)
    provider = FakeProvider()
    res = run(provider, secret_file=str(path))
    assert res['changed'] is True and 'secret' not in res['api_key']
    assert no_secret(res)
    assert path.read_text() == SECRET + '\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ['backup.key']  # no temp file left behind


def test_secret_file_is_created_0600_even_with_a_lax_umask(tmp_path):
    path = tmp_path / 'new.key'
    old = os.umask(0)
    try:
        run(FakeProvider(), secret_file=str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600 and path.read_text() == SECRET + '\n'


def test_secret_file_untouched_in_check_mode_and_on_reruns(tmp_path):
    path = tmp_path / 'backup.key'
    provider = FakeProvider()
    res = run(provider, check_mode=True, secret_file=str(path))
    assert res['changed'] is True and 'secret' not in res['api_key'] and not path.exists()
    provider = FakeProvider(existing())
    res = run(provider, secret_file=str(path))
    assert res['changed'] is False and 'secret' not in res['api_key'] and not path.exists()


@pytest.mark.parametrize('make,text', [
    (lambda d: os.path.join(d, 'missing', 'key'), 'does not exist'),
    (lambda d: d, 'is a directory'),
])
def test_secret_file_problems_fail_before_any_call(tmp_path, make, text):
    provider = FakeProvider()
    with pytest.raises(ValidationError, match=text):
        run(provider, secret_file=make(str(tmp_path)))
    assert provider.log == []


def test_secret_file_in_a_read_only_directory_fails_before_any_call(tmp_path, monkeypatch):
    directory = tmp_path / 'ro'
    directory.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, 'access', lambda path, mode: False if str(path) == str(directory) else real_access(path, mode))
    provider = FakeProvider()
    with pytest.raises(ValidationError, match='the directory .*ro is not writable'):
        run(provider, secret_file=str(directory / 'key'))
    assert provider.log == []


def test_a_lost_create_answer_fails_instead_of_hiding_the_lost_secret():
    provider = FakeProvider(lose_create=True)
    with pytest.raises(ApiError, match='answer that carries its secret was lost.*Delete the key') as err:
        run(provider)
    assert SECRET not in str(err.value)
    assert [c[0] for c in provider.writes()] == ['create']  # re-read, never created twice


def test_create_with_server_resolves_the_name():
    provider = FakeProvider(existing())
    res = run(provider, name='db-panel', server='DB01')
    assert res['api_key']['server'] == '40002' and res['api_key']['secret'] == SECRET
    assert provider.writes() == [('create', {'name': 'db-panel', 'server': '40002'})]
    assert ('list', '40002') in provider.log


def test_server_is_part_of_the_identity():
    provider = FakeProvider(existing())
    res = run(provider, name='web01-panel', server='web01')
    assert res['changed'] is False and res['api_key']['id'] == '802'
    res = run(provider, name='ci', server='40001', check_mode=True)  # account-wide "ci" is another key
    assert res['changed'] is True and res['api_key']['id'] is None


# --- compare and update -------------------------------------------------------------------

def test_unchanged_run_shows_no_secret():
    provider = FakeProvider(existing())
    res = run(provider, allowed_ips=['10.4.6.3/24', '10.0.0.2/32'], scopes=['write:dns', 'read:dns', 'read:dns'],
              notify_method='email', notify_address='ops@example.com', active=True)
    assert res['changed'] is False and 'secret' not in res['api_key']
    assert res['diff']['before'] == res['diff']['after'] == dict(res['api_key'])
    assert res['api_key']['allowed_ips'] == ['10.0.0.2', '10.4.6.0/24']
    assert provider.writes() == []


def test_only_what_the_user_set_is_compared():
    provider = FakeProvider(existing())
    assert run(provider)['changed'] is False
    assert provider.writes() == []


@pytest.mark.parametrize('params,changes', [
    (dict(allowed_ips=['10.0.0.2']), {'allowed_ips': ['10.0.0.2']}),
    (dict(allowed_ips=[]), {'allowed_ips': []}),
    (dict(allowed_ips=['2001:db8::1/128', '10.0.0.2', '10.4.6.0/24']), {'allowed_ips': ['10.0.0.2', '10.4.6.0/24', '2001:db8::1']}),
    (dict(scopes=['read:dns']), {'scopes': ['read:dns']}),
    (dict(active=False), {'active': False}),
    (dict(notify_method='webhook'), {'notify_method': 'webhook'}),
    (dict(notify_address='noc@example.com'), {'notify_address': 'noc@example.com'}),
])
def test_update_sends_only_the_changes(params, changes):
    provider = FakeProvider(existing())
    res = run(provider, **params)
    assert res['changed'] is True and 'secret' not in res['api_key']
    assert provider.writes() == [('update', '803', changes)]
    for name, value in changes.items():
        assert res['api_key'][name] == value and res['diff']['after'][name] == value
    assert res['diff']['before']['id'] == res['diff']['after']['id'] == '803'


def test_update_in_check_mode_predicts_without_writing():
    provider = FakeProvider(existing())
    res = run(provider, check_mode=True, allowed_ips=['198.51.100.7'], active=False)
    assert res['changed'] is True
    assert res['api_key']['allowed_ips'] == ['198.51.100.7'] and res['api_key']['active'] is False
    assert res['api_key']['id'] == '803' and 'secret' not in res['api_key']
    assert provider.writes() == []


def test_update_without_echo_is_read_back():
    provider = FakeProvider(existing(), echo=False)
    res = run(provider, scopes=['x'])
    assert res['api_key']['scopes'] == ['x']
    assert provider.log[-1] == ('list', None)


def test_notify_address_unset_and_empty_are_the_same():
    provider = FakeProvider(existing())
    assert run(provider, name='ci', notify_address='')['changed'] is False


def test_invalid_input_fails_before_any_call():
    for params, text in ((dict(allowed_ips=['10.0.0.300']), "'10.0.0.300' is not an IP address or network"),
                         (dict(allowed_ips=['']), 'allowed_ips must not contain empty items'),
                         (dict(scopes=[' ']), 'scopes must not contain empty items'),
                         (dict(notify_method=' '), 'notify_method must not be empty'),
                         (dict(name=' '), 'name must not be empty'),
                         (dict(server=''), 'server must not be empty')):
        provider = FakeProvider(existing())
        with pytest.raises(ValidationError, match=text):
            run(provider, **params)
        assert provider.log == []


# --- the key in use -------------------------------------------------------------------------

@pytest.mark.parametrize('check_mode', [False, True])
def test_the_key_in_use_is_never_deleted(check_mode):
    provider = FakeProvider(existing(), used={'803'})
    with pytest.raises(ValidationError, match='API key "backup" \\(id 803\\) is the key this task authenticates with '
                                              'at Fake; deleting it'):
        run(provider, state='absent', check_mode=check_mode)
    assert provider.writes() == [] and '803' in provider.api_keys.keys


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_key_in_use_is_never_deactivated(check_mode):
    provider = FakeProvider(existing(), used={'803'})
    with pytest.raises(ValidationError, match='is the key this task authenticates with at Fake; deactivating it'):
        run(provider, active=False, check_mode=check_mode)
    assert provider.writes() == []


def test_the_key_in_use_may_change_otherwise():
    provider = FakeProvider(existing(), used={'803'})
    assert run(provider, active=True, scopes=['read:dns'])['changed'] is True
    assert provider.writes() == [('update', '803', {'scopes': ['read:dns']})]


def test_delete_and_absent_again():
    provider = FakeProvider(existing())
    res = run(provider, state='absent')
    assert res['changed'] is True and res['api_key'] == {}
    assert res['diff']['after'] == {} and res['diff']['before']['id'] == '803' and no_secret(res)
    assert provider.writes() == [('delete', '803')]
    provider.log[:] = []
    res = run(provider, state='absent')
    assert res['changed'] is False and provider.writes() == []


def test_delete_in_check_mode_deletes_nothing():
    provider = FakeProvider(existing())
    res = run(provider, state='absent', check_mode=True)
    assert res['changed'] is True and provider.writes() == []


# --- identity -------------------------------------------------------------------------------

def test_duplicate_names_are_ambiguous():
    keys = existing() + [make_key('804', 'backup', server='40002')]
    provider = FakeProvider(keys)
    with pytest.raises(ValidationError, match='API key name "backup" is ambiguous at Fake: 2 keys have it '
                                              '\\(ids 803, 804\\).*Set server'):
        run(provider, state='absent')
    assert provider.writes() == []
    # server picks one
    res = run(provider, state='absent', server='40002')
    assert res['changed'] is True and provider.writes() == [('delete', '804')]


def test_duplicate_names_on_one_server_are_ambiguous_too():
    keys = [make_key('804', 'p', server='40002'), make_key('805', 'p', server='40002')]
    with pytest.raises(ValidationError, match='ids 804, 805.*Remove the duplicates'):
        run(FakeProvider(keys), name='p', server='db01')


# --- options the provider lacks -------------------------------------------------------------

@pytest.mark.parametrize('params,text', [
    (dict(scopes=['read:dns']), 'provider fake cannot limit API keys to scopes \\(scopes\\): Fake API keys have no such setting'),
    (dict(allowed_ips=['10.0.0.2']), 'provider fake cannot restrict API keys to IP addresses \\(allowed_ips\\)'),
    (dict(notify_method='email'), 'provider fake cannot notify about the use of API keys \\(notify_method\\)'),
    (dict(notify_address='a@example.com'), 'provider fake cannot notify about the use of API keys \\(notify_address\\)'),
    (dict(active=False), 'provider fake cannot enable or disable API keys \\(active\\)'),
    (dict(server='web01'), 'provider fake cannot manage per-server API keys \\(server\\)'),
    (dict(server='web01', state='absent'), 'provider fake cannot manage per-server API keys'),
])
def test_unsupported_options_fail_before_any_call(params, text):
    provider = FakeProvider(existing())
    provider.api_keys.fields = frozenset()
    with pytest.raises(Unsupported, match='^' + text):
        run(provider, **params)
    assert provider.log == []


def test_the_adapter_may_say_why():
    provider = FakeProvider(existing())
    provider.api_keys.fields = frozenset(('scopes', 'active'))
    provider.api_keys.reasons = {'allowed_ips': 'no API field sets an IP allow-list on a key'}
    with pytest.raises(Unsupported, match='^provider fake cannot restrict API keys to IP addresses \\(allowed_ips\\): '
                                          'no API field sets an IP allow-list on a key$'):
        run(provider, allowed_ips=['10.0.0.2'])
    assert provider.log == []


def test_unused_options_do_not_matter_for_absent():
    provider = FakeProvider(existing())
    provider.api_keys.fields = frozenset()
    assert run(provider, state='absent', allowed_ips=['10.0.0.2'], scopes=['x'])['changed'] is True


def test_the_adapter_checks_a_create_before_writing():
    provider = FakeProvider()

    def validate_create(spec):
        if not spec.get('scopes'):
            raise ValidationError('provider fake needs scopes to create an API key.')
    provider.api_keys.validate_create = validate_create
    with pytest.raises(ValidationError, match='needs scopes'):
        run(provider)
    assert provider.writes() == []
    assert run(provider, scopes=['read:dns'])['changed'] is True


def test_provider_without_key_management_fails_before_any_call():
    provider = FakeProvider()
    provider.capabilities = Capabilities('fake', supported=('api_key_info',),
                                         unsupported={'api_key': 'no key management over its API'})
    with pytest.raises(Unsupported, match='^provider fake cannot manage API keys: no key management over its API$'):
        run(provider)
    assert provider.log == []


# --- api_key_info ---------------------------------------------------------------------------

def test_info_sorted_by_name_never_secrets():
    keys = existing()
    keys[0].provider_data = dict(keys[0].provider_data, api_key=SECRET, secret=SECRET)
    provider = FakeProvider(keys)
    res = info(provider)
    assert res['changed'] is False
    assert [k['name'] for k in res['api_keys']] == ['backup', 'ci', 'web01-panel']
    assert all('secret' not in k for k in res['api_keys']) and no_secret(res)
    backup = res['api_keys'][0]
    assert backup == {'id': '803', 'name': 'backup', 'server': None, 'allowed_ips': ['10.0.0.2', '10.4.6.0/24'],
                      'active': True, 'scopes': ['read:dns', 'write:dns'], 'notify_method': 'Email',
                      'notify_address': 'ops@example.com', 'provider_data': {'id': '803', 'token_view': 'abcd'}}
    assert provider.writes() == []


def test_info_by_name_and_server():
    provider = FakeProvider(existing() + [make_key('804', 'backup', server='40001')])
    assert [k['id'] for k in info(provider, name='backup')['api_keys']] == ['803', '804']
    assert [k['id'] for k in info(provider, server='web01')['api_keys']] == ['804', '802']
    assert [k['id'] for k in info(provider, server='40001', name='backup')['api_keys']] == ['804']
    assert info(provider, name='nope')['api_keys'] == []


def test_info_by_server_needs_per_server_keys():
    provider = FakeProvider(existing())
    provider.api_keys.fields = frozenset()
    with pytest.raises(Unsupported, match='^provider fake cannot list per-server API keys \\(server\\)'):
        info(provider, server='web01')
    assert provider.log == []


# --- GleSYS through the same interface ------------------------------------------------------

class FakeGlesysClient:

    def __init__(self):
        self.calls = []

    def call(self, function, args=None, idempotent=True):
        self.calls.append(function)
        return {'modules': {'server': [{'function': 'list'}, {'function': 'create'}], 'ip': ['details']}}


def test_glesys_lists_the_key_in_use():
    client = FakeGlesysClient()
    api = GlesysApiKeys(client, 'cl12345')
    assert api.fields == frozenset()
    keys = api.list()
    assert len(keys) == 1 and keys[0].name == 'cl12345'
    assert keys[0].scopes == ['ip/details', 'server/create', 'server/list']
    assert api.list('1234') == [] and client.calls == ['api/listfunctions']


def test_glesys_info_through_the_resource():
    provider = FakeProvider()
    provider._keys = GlesysApiKeys(FakeGlesysClient(), 'cl12345')
    res = info(provider)
    assert res['api_keys'] == [{'id': None, 'name': 'cl12345', 'server': None, 'allowed_ips': None, 'active': True,
                                'scopes': ['ip/details', 'server/create', 'server/list'], 'notify_method': None,
                                'notify_address': None, 'provider_data': {'projectkey': 'cl12345'}}]
    with pytest.raises(Unsupported, match='cannot list per-server API keys'):
        info(provider, server='web01')


def test_glesys_provider_caches_its_api_keys_and_refuses_key_management():
    options = dict(glesys_project='cl12345', glesys_api_key='k' * 20, api_url='http://127.0.0.1:9', api_timeout=1,
                   api_retries=0, validate_certs=True)
    provider = open_provider('glesys', options, 'api_key_info')
    try:
        assert isinstance(provider.api_keys, GlesysApiKeys) and provider.api_keys is provider.api_keys
    finally:
        provider.close()
    with pytest.raises(Unsupported, match='^provider glesys cannot manage API keys: GleSYS offers no API-key'):
        open_provider('glesys', options, 'api_key')


# --- normalization --------------------------------------------------------------------------

@pytest.mark.parametrize('value,expected', [
    ('10.0.0.2', '10.0.0.2'), ('10.0.0.2/32', '10.0.0.2'), (' 10.4.6.3/24 ', '10.4.6.0/24'),
    ('2001:DB8::1', '2001:db8::1'), ('2001:db8::1/128', '2001:db8::1'), ('2001:db8::/32', '2001:db8::/32'),
])
def test_normalize_network(value, expected):
    assert api_key.normalize_network(value) == expected


def test_normalize_ips_accepts_what_apis_return():
    expected = ['10.0.0.2', '10.4.6.0/24', '2001:db8::1']
    assert api_key.normalize_ips('10.0.0.2, 10.4.6.3/24 2001:db8::1', strict=False) == expected
    assert api_key.normalize_ips(['junk', '10.0.0.1', ''], strict=False) == ['10.0.0.1', 'junk']
    assert api_key.normalize_ips(None) is None
    assert api_key.normalize_ips(['10.0.0.2', '10.0.0.2/32']) == ['10.0.0.2']
