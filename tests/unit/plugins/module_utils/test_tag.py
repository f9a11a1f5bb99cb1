# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Server tags (``tag`` and ``sync_tags``) against an in-memory provider: no HTTP."""

from __future__ import annotations

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound, Unsupported, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import Server
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    Capabilities,
    Provider,
    ServerAPI,
    TagAPI,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import tag
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.fakes import FakeHM

WRITES = ('set', 'remove')


class FakeServers(ServerAPI):

    def __init__(self, log, servers):
        self.log = log
        self.servers = servers

    def list(self):
        self.log.append(('servers',))
        return list(self.servers)

    def get(self, server_id):
        self.log.append(('server', server_id))
        for server in self.servers:
            if server.id == server_id:
                return server
        raise NotFound('server %s not found' % server_id)


class FakeTags(TagAPI):
    """Tags per server id in memory; ``hostname`` and ``OS`` are system tags (listed apart)."""

    SYSTEM = ('hostname', 'os', 'password')

    def __init__(self, log, tags):
        self.log = log
        self.tags = tags
        self.checked = []

    def list(self, server_id):
        self.log.append(('list', server_id))
        return dict(self.tags.get(server_id, {}))

    def set(self, server_id, name, value):
        self.log.append(('set', server_id, name, value))
        self.tags.setdefault(server_id, {})[name] = value

    def remove(self, server_id, name):
        self.log.append(('remove', server_id, name))
        self.tags.get(server_id, {}).pop(name, None)

    def protected(self, name):
        if name.lower() in self.SYSTEM:
            return 'is a system tag the provider maintains itself'
        return None


class FakeProvider(Provider):
    name = 'fake'
    title = 'Fake'
    capabilities = Capabilities('fake', supported=('tag', 'server_info'))

    def __init__(self, tags=None, servers=None):
        super().__init__({})
        self.log = []
        self._servers = FakeServers(self.log, servers if servers is not None else [
            Server(id='s1', name='web01'), Server(id='s2', name='db01'), Server(id='s3', name='twin'),
            Server(id='s4', name='twin')])
        self._tags = FakeTags(self.log, tags if tags is not None else {'s1': {'env': 'prod', 'empty': ''}})

    @property
    def servers(self):
        return self._servers

    @property
    def tags(self):
        return self._tags

    def writes(self):
        return [c for c in self.log if c[0] in WRITES]


def run(provider, check_mode=False, diff=True, **params):
    base = dict(server='s1', name='env', value='', state='present')
    base.update(params)
    return tag.ensure(FakeHM(provider, base, check_mode, diff))


# --- tag ------------------------------------------------------------------------------------

def test_create_sets_once_and_diffs_from_empty():
    provider = FakeProvider()
    res = run(provider, name='team', value='payments')
    assert res['changed'] is True
    assert res['tag'] == {'server': 's1', 'name': 'team', 'value': 'payments'}
    assert res['diff'] == {'before': {}, 'after': res['tag']}
    assert provider.log == [('servers',), ('list', 's1'), ('set', 's1', 'team', 'payments')]
    assert provider.tags.tags['s1']['team'] == 'payments'


def test_same_value_is_unchanged_and_reads_only():
    provider = FakeProvider()
    res = run(provider, value='prod')
    assert res['changed'] is False
    assert res['diff']['before'] == res['diff']['after'] == res['tag'] == {'server': 's1', 'name': 'env', 'value': 'prod'}
    assert provider.writes() == []


def test_other_value_is_set():
    provider = FakeProvider()
    res = run(provider, value='staging')
    assert res['changed'] is True
    assert res['diff']['before']['value'] == 'prod' and res['diff']['after']['value'] == 'staging'
    assert provider.writes() == [('set', 's1', 'env', 'staging')]


def test_empty_value_is_a_value():
    provider = FakeProvider()
    assert run(provider, name='empty')['changed'] is False
    assert run(provider, name='empty', value=None)['changed'] is False
    res = run(provider, name='env', value=None)
    assert res['changed'] is True and res['tag']['value'] == ''
    assert provider.writes() == [('set', 's1', 'env', '')]


@pytest.mark.parametrize('params,expected', [
    (dict(name='team', value='payments'), {'server': 's1', 'name': 'team', 'value': 'payments'}),
    (dict(value='staging'), {'server': 's1', 'name': 'env', 'value': 'staging'}),
])
def test_check_mode_predicts_without_writing(params, expected):
    provider = FakeProvider()
    res = run(provider, check_mode=True, **params)
    assert res['changed'] is True and res['tag'] == expected and res['diff']['after'] == expected
    assert provider.writes() == []
    assert provider.tags.tags['s1'] == {'env': 'prod', 'empty': ''}


def test_absent_removes_only_when_present():
    provider = FakeProvider()
    res = run(provider, state='absent')
    assert res['changed'] is True and res['tag'] == {}
    assert res['diff'] == {'before': {'server': 's1', 'name': 'env', 'value': 'prod'}, 'after': {}}
    assert provider.writes() == [('remove', 's1', 'env')]
    provider.log[:] = []
    res = run(provider, state='absent')
    assert res['changed'] is False and res['diff'] == {'before': {}, 'after': {}}
    assert provider.writes() == []


def test_absent_ignores_the_value():
    provider = FakeProvider()
    assert run(provider, state='absent', value='something else')['changed'] is True


def test_absent_in_check_mode_removes_nothing():
    provider = FakeProvider()
    res = run(provider, state='absent', check_mode=True)
    assert res['changed'] is True and res['diff']['after'] == {}
    assert provider.writes() == [] and provider.tags.tags['s1']['env'] == 'prod'


def test_no_diff_without_diff_mode():
    assert 'diff' not in run(FakeProvider(), value='x', diff=False)


def test_server_by_name_returns_its_id():
    provider = FakeProvider(tags={})
    res = run(provider, server='DB01', name='role', value='primary')
    assert res['tag']['server'] == 's2'
    assert provider.writes() == [('set', 's2', 'role', 'primary')]
    assert ('server', 's2') not in provider.log  # details=False: no detail call


def test_server_ambiguous_or_missing_fails_without_writing():
    provider = FakeProvider()
    with pytest.raises(ValidationError, match='ambiguous.*s3, s4.*use the ID'):
        run(provider, server='twin')
    with pytest.raises(NotFound, match='server "nope" not found'):
        run(provider, server='nope')
    assert provider.writes() == []


@pytest.mark.parametrize('name', ['hostname', 'OS', 'Password'])
@pytest.mark.parametrize('state', ['present', 'absent'])
def test_protected_tags_fail_before_any_call(name, state):
    provider = FakeProvider()
    with pytest.raises(ValidationError) as err:
        run(provider, name=name, value='x', state=state)
    assert str(err.value) == ('tag "%s" is a system tag the provider maintains itself; this collection does not '
                              'change it (task refused before any change).' % name)
    assert provider.log == []


def test_protected_reason_as_a_plain_sentence():
    provider = FakeProvider()
    provider.tags.protected = lambda name: 'Fake keeps it for itself.' if name == 'locked' else None
    with pytest.raises(ValidationError, match='^tag "locked" is protected at Fake: Fake keeps it for itself; this '
                                              'collection does not change it'):
        run(provider, name='locked')
    assert provider.log == []


@pytest.mark.parametrize('params,text', [
    (dict(name=''), 'tag name must not be empty'),
    (dict(name='   '), 'tag name must not be empty'),
    (dict(name=None), 'tag name must not be empty'),
    (dict(name='x' * 33), 'too long: 33 characters, at most 32'),
    (dict(name='a\nb'), 'control characters'),
    (dict(value='v' * 257), 'too long: 257 characters, at most 256'),
    (dict(server=''), 'server must not be empty'),
])
def test_invalid_input_fails_before_any_call(params, text):
    provider = FakeProvider()
    with pytest.raises(ValidationError, match=text):
        run(provider, **params)
    assert provider.log == []


def test_limits_are_inclusive():
    provider = FakeProvider(tags={})
    assert run(provider, name='n' * 32, value='v' * 256)['changed'] is True


def test_adapter_limits_are_checked_before_any_call():
    provider = FakeProvider()

    def strict(name, value):
        if '_' in name:
            raise ValidationError('Fake tag names are alphanumeric and hyphens.')
    provider.tags.validate = strict
    with pytest.raises(ValidationError, match='alphanumeric'):
        run(provider, name='my_tag')
    assert provider.log == []


def test_provider_without_tags_fails_before_any_call():
    provider = FakeProvider()
    provider.capabilities = Capabilities('fake', supported=('server_info',),
                                         unsupported={'tag': 'Fake servers have no tags'})
    with pytest.raises(Unsupported, match='^provider fake cannot manage server tags: Fake servers have no tags$'):
        run(provider)
    assert provider.log == []


# --- sync_tags ------------------------------------------------------------------------------

def test_sync_sets_only_what_differs_and_removes_nothing():
    provider = FakeProvider(tags={'s1': {'env': 'prod', 'keep': 'me'}})
    changed, before, after = tag.sync_tags(provider, 's1', {'env': 'prod', 'team': 'payments', 'keep2': None}, False)
    assert changed is True
    assert before == {'env': 'prod', 'keep': 'me'}
    assert after == {'env': 'prod', 'keep': 'me', 'team': 'payments', 'keep2': ''}
    assert provider.writes() == [('set', 's1', 'keep2', ''), ('set', 's1', 'team', 'payments')]
    assert provider.tags.tags['s1'] == after


def test_sync_unchanged_and_empty():
    provider = FakeProvider(tags={'s1': {'env': 'prod'}})
    assert tag.sync_tags(provider, 's1', {'env': 'prod'}, False) == (False, {'env': 'prod'}, {'env': 'prod'})
    assert tag.sync_tags(provider, 's1', {}, False) == (False, {'env': 'prod'}, {'env': 'prod'})
    assert provider.writes() == []


def test_sync_check_mode_predicts_without_writing():
    provider = FakeProvider(tags={'s1': {'env': 'prod'}})
    changed, before, after = tag.sync_tags(provider, 's1', {'env': 'staging'}, True)
    assert (changed, before, after) == (True, {'env': 'prod'}, {'env': 'staging'})
    assert provider.writes() == []


def test_sync_stringifies_values_like_the_api_stores_them():
    provider = FakeProvider(tags={'s1': {'replicas': '3', 'debug': 'true'}})
    changed, dummy, after = tag.sync_tags(provider, 's1', {'replicas': 3, 'debug': True}, False)
    assert changed is False and after == {'replicas': '3', 'debug': 'true'}
    with pytest.raises(ValidationError, match='strings, numbers or booleans'):
        tag.sync_tags(provider, 's1', {'bad': ['a']}, False)


def test_sync_validates_everything_before_the_first_write():
    provider = FakeProvider(tags={'s1': {}})
    with pytest.raises(ValidationError, match='tag "hostname" is a system tag'):
        tag.sync_tags(provider, 's1', {'a-first': 'x', 'hostname': 'evil'}, False)
    with pytest.raises(ValidationError, match='at most 256'):
        tag.sync_tags(provider, 's1', {'a-first': 'x', 'long': 'v' * 300}, False)
    assert provider.log == []
