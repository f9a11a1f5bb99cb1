# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Skyport adapter against recorded conversations (fixtures of providers/skyport.md section 10, both panel versions)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    AuthError,
    NotFound,
    TransportError,
    Unsupported,
    ValidationError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import open_provider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.skyport import ports_string, to_server
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

URL = 'https://panel.example.com'
KEY = 'skyport_5f0e4a52-2222-4d7b-8c1e-7a9b3c4d5e6f'
NODE_KEY = '3c9f0e7d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6'
NODE = {'id': '6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d', 'name': 'eu-node-1', 'tags': 'eu,game', 'ram': '8192',
        'disk': '102400', 'processor': 'AMD EPYC', 'address': '10.0.0.21', 'port': '3002', 'apiKey': NODE_KEY,
        'configureKey': None, 'status': 'Configured'}
INSTANCE = {'Name': 'mc-survival', 'Id': 'a3f91c07', 'VolumeId': 'a3f91c07', 'User': 'user-alice-0001', 'Node': NODE,
            'InternalState': 'READY', 'ContainerId': '9e8d' * 16, 'Memory': 2048, 'Cpu': 2,
            'Ports': '25565:25565,25575:25575', 'Primary': '25565', 'Image': 'quay.io/skyport/java:21',
            'imageData': {'Name': 'Minecraft Java: PaperMC', 'Image': 'quay.io/skyport/java:21'},
            'Env': ['START=java -jar server.jar', 'Version=1.21.1', 'Build=89', 'PRIMARY_PORT=25565']}
USER = {'userId': 'user-alice-0001', 'username': 'alice', 'email': 'alice@example.com',
        'password': '$2b$10$abcdefghijklmnopqrstuuFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE', 'accessTo': [], 'admin': False,
        'resetToken': 'r' * 30}
HTML = 'text/html; charset=utf-8'


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """Writes take a lock file under $XDG_CACHE_HOME/hostcraft: keep it in the test's directory."""
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))


def provider(**options):
    sp = open_provider('skyport', dict({'skyport_url': URL, 'skyport_api_key': KEY, 'api_retries': 2}, **options), 'server')
    return sp


def api(path):
    return URL + path


def test_credentials_and_url_are_checked_before_any_call():
    with pytest.raises(ValidationError, match='provider skyport needs skyport_url'):
        open_provider('skyport', {'skyport_api_key': KEY}, 'server')
    with pytest.raises(ValidationError, match='skyport_url must be the panel\'s base URL'):
        open_provider('skyport', {'skyport_url': 'panel.example.com', 'skyport_api_key': KEY}, 'server')
    for feature, reason in (('sshkey', 'there are no SSH keys'), ('ptr', 'no reverse DNS'), ('dns_record', 'no DNS'),
                            ('api_key', 'admin UI only'), ('tag', 'no tags')):
        with pytest.raises(Unsupported, match=reason):
            open_provider('skyport', {'skyport_url': URL, 'skyport_api_key': KEY}, feature)


def test_list_sends_the_key_and_strips_node_keys():
    sp = provider()
    conv = attach(sp.http, [Step('GET', api('/api/instances'), json_body=[INSTANCE], expect_headers={'x-api-key': KEY})])
    [server] = sp.servers.list()
    conv.done()
    assert server.to_dict()['provider_data']['Node'] == dict((k, v) for k, v in NODE.items()
                                                             if k not in ('apiKey', 'configureKey'))
    assert (server.id, server.name, server.status, server.power_state, server.location, server.image) == (
        'a3f91c07', 'mc-survival', 'ready', 'running', 'eu-node-1', 'Minecraft Java: PaperMC')
    assert server.public_ipv4 == '10.0.0.21' and server.cpu == 2 and server.memory_mb == 2048
    assert NODE_KEY not in repr(server.to_dict())


def test_power_state_from_the_record():
    assert to_server(dict(INSTANCE, suspended=True)).power_state == 'stopped'
    installing = dict(INSTANCE, InternalState='INSTALLING')
    del installing['ContainerId']
    assert to_server(installing).power_state == 'unknown' and to_server(installing).status == 'installing'
    no_node = dict(INSTANCE, Node=None, imageData=None)
    assert to_server(no_node).location is None and to_server(no_node).image == 'quay.io/skyport/java:21'
    assert to_server(dict(INSTANCE, Node=dict(NODE, address='node1.example.com'))).public_ipv4 is None


def test_html_page_for_a_2xx_is_never_success():
    sp = provider(api_retries=0)
    attach(sp.http, [Step('GET', api('/api/instances'), body='<html><body>404</body></html>', content_type=HTML)])
    with pytest.raises(TransportError, match=r'not in its format \(a text/html; charset=utf-8 page, not JSON\)'):
        sp.servers.list()


def test_auth_errors_of_both_versions():
    for body in ({'error': 'API Key Invalid'}, {'error': ''}):
        sp = provider()
        attach(sp.http, [Step('GET', api('/api/users'), status=401, json_body=body)])
        with pytest.raises(AuthError, match='cannot authenticate to the Skyport panel') as info:
            sp.users()
        assert KEY not in str(info.value)


def test_users_never_carry_hashes_or_tokens():
    sp = provider()
    attach(sp.http, [Step('GET', api('/api/users'), json_body=[USER])])
    [user] = sp.users()
    assert user['user_id'] == 'user-alice-0001' and user['admin'] is False
    assert '$2b$' not in repr(user) and 'resetToken' not in repr(user)


def test_rate_limited_post_is_retried_after_retry_after():
    sp = provider()
    conv = attach(sp.http, [
        Step('POST', api('/api/auth/create-user'), status=429, body='Too many requests, please try again later',
             content_type=HTML, headers={'Retry-After': '6', 'X-RateLimit-Limit': '6'}),
        Step('POST', api('/api/auth/create-user'), status=201,
             json_body={'userId': 'u-1', 'username': 'bob', 'email': 'b@example.com', 'admin': False},
             expect_json={'username': 'bob', 'email': 'b@example.com', 'password': 'pw', 'admin': False})])
    assert sp.create_user({'username': 'bob', 'email': 'b@example.com', 'password': 'pw'})['userId'] == 'u-1'
    conv.done()
    assert sp.http.slept == [6.0]


def test_v02_deploy_answer_and_missing_volume_id_are_found_in_the_list():
    sp = provider()
    new = dict(copy.deepcopy(INSTANCE), Id='b1b2b3b4', Name='web', InternalState='INSTALLING')
    del new['ContainerId']
    conv = attach(sp.http, [
        Step('GET', api('/api/images'), json_body=[{'Id': 'i1', 'Name': 'Node.js', 'Image': 'ghcr.io/skyport/node:20'}]),
        Step('GET', api('/api/nodes'), json_body=[NODE, None]),
        Step('GET', api('/api/users'), json_body=[USER]),
        Step('POST', api('/api/instances/deploy'), status=201,
             json_body={'Message': 'Container created', 'ContainerId': 'abc', 'VolumeId': 'b1b2b3b4'},
             expect_json={'image': 'ghcr.io/skyport/node:20', 'imagename': 'Node.js', 'memory': '512', 'cpu': '1',
                          'ports': '3000:3000', 'nodeId': NODE['id'], 'name': 'web', 'user': 'user-alice-0001',
                          'primary': '3000', 'variables': {}}),
        Step('GET', api('/api/instances'), json_body=[INSTANCE, new])])
    created = sp.servers.create({'name': 'web', 'image': 'ghcr.io/skyport/node:20', 'memory_mb': 512, 'cpu': 1,
                                 'ports': [3000], 'location': 'eu-node-1', 'user': 'alice'})
    conv.done()
    assert created.id == 'b1b2b3b4' and created.status == 'installing'


def test_deploy_without_an_answer_is_not_sent_again():
    import requests  # pylint: disable=import-outside-toplevel
    sp = provider()
    conv = attach(sp.http, [
        Step('GET', api('/api/images'), json_body=[{'Id': 'i1', 'Name': 'Node.js', 'Image': 'ghcr.io/skyport/node:20'}]),
        Step('GET', api('/api/nodes'), json_body=[NODE]),
        Step('GET', api('/api/users'), json_body=[USER]),
        Step('POST', api('/api/instances/deploy'), raise_exc=requests.exceptions.ReadTimeout('read timed out'))])
    with pytest.raises(ApiError, match='nothing is sent again') as info:
        sp.servers.create({'name': 'web', 'image': 'Node.js', 'memory_mb': 512, 'cpu': 1, 'ports': ['3000:3000'],
                           'location': NODE['id'], 'user': 'user-alice-0001'})
    conv.done()
    assert type(info.value).__name__ == 'ApiError'  # not AmbiguousError: create_once must not retry it


def test_suspend_answering_500_html_is_judged_by_the_record():
    sp = provider()
    conv = attach(sp.http, [
        Step('POST', api('/api/instances/suspend/a3f91c07'), status=500, content_type=HTML,
             body='An error occurred while suspending the instance'),
        Step('POST', api('/api/getInstance'), json_body=dict(INSTANCE, suspended=True), expect_json={'id': 'a3f91c07'})])
    sp.power.stop('a3f91c07')
    conv.done()


def test_suspend_that_did_not_stick_fails_with_the_panels_words():
    sp = provider()
    attach(sp.http, [
        Step('POST', api('/api/instances/suspend/a3f91c07'), status=500, content_type=HTML,
             body='<p>An error occurred while suspending the instance</p>'),
        Step('POST', api('/api/getInstance'), json_body=INSTANCE)])
    with pytest.raises(ApiError, match='could not suspend instance a3f91c07: HTTP 500: An error occurred while '
                                       'suspending the instance; the instance is not suspended'):
        sp.power.stop('a3f91c07')


def test_get_instance_not_found_in_both_versions():
    for status in (400, 404):
        sp = provider()
        attach(sp.http, [Step('POST', api('/api/getInstance'), status=status, json_body={'error': 'Instance not found'})])
        with pytest.raises(NotFound, match='Skyport instance gone not found'):
            sp.power.state('gone')


def test_delete_already_gone_is_decided_by_the_list():
    sp = provider()
    server = to_server(INSTANCE)
    conv = attach(sp.http, [
        Step('DELETE', api('/api/instance/delete'), status=400, json_body={'error': 'Instance not found'},
             expect_json={'id': 'a3f91c07'}),
        Step('GET', api('/api/instances'), json_body=[])])
    sp.servers.delete(server, {})
    conv.done()


def test_nodes_skip_null_and_strip_keys():
    sp = provider()
    attach(sp.http, [Step('GET', api('/api/nodes'), json_body=[None, NODE])])
    [node] = sp.nodes()
    assert node['name'] == 'eu-node-1' and node['port'] == 3002 and node['tags'] == ['eu', 'game']
    assert NODE_KEY not in repr(node)


@pytest.mark.parametrize('ports, expected', [
    (['25565:25565', '25575:25575'], '25565:25565,25575:25575'),
    (['25565:25565,25575:25575'], '25565:25565,25575:25575'),
    ([3000, ' 8080:80 '], '3000:3000,8080:80'),
])
def test_ports_string(ports, expected):
    assert ports_string(ports) == expected


@pytest.mark.parametrize('ports', [['25565'], ['0:1'], ['a:b'], [], [True]])
def test_bad_ports(ports):
    with pytest.raises(ValidationError):
        ports_string(ports)
