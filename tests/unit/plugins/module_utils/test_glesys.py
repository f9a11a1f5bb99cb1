# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""GleSYS adapter against recorded conversations (fixtures of providers/glesys.md section 10)."""

from __future__ import annotations

import base64

import pytest
import requests

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    AuthError,
    TransportError,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.glesys import (
    GlesysProvider,
    decode_body,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import MalformedResponse
from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import create_once
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import SshKey
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

URL = 'https://api.glesys.com'
KEY = 'secret-glesys-key-42'
AUTH = 'Basic ' + base64.b64encode(('cl12345:' + KEY).encode()).decode()
ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1x2y3z4A5b6C7d8E9f0G1h2I3j4K5l6M7n8O9p0Q1r ci@example.com'
RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDz9y8x7w6v5u4t3s2r1q0p alice@example.com'

KEYS_TWO = {"response": {
    "status": {"code": 200, "timestamp": "2025-03-14T11:20:41+01:00", "text": "OK"},
    "sshkeys": [
        {"id": 5011, "description": "ci-deploy", "data": ED},
        {"id": 5012, "description": "alice-laptop", "data": RSA}],
    "debug": {"input": []}}}
KEYS_EMPTY = {"response": {"status": {"code": 200, "timestamp": "2025-03-14T11:20:00+01:00", "text": "OK",
                                      "transactionid": None}, "sshkeys": [], "debug": {"input": []}}}
AUTH_FAILED = {"response": {"status": {"code": 401, "timestamp": "2025-03-14T11:30:00+01:00",
                                       "text": "Authentication failed. Double check the username and key.",
                                       "transactionid": None}, "debug": {"input": []}}}
ECHOING_ERROR = {"response": {"status": {"code": 400, "timestamp": "2025-03-14T11:30:00+01:00",
                                         "text": "Invalid key " + KEY}, "debug": {"input": {"sshkey": KEY}}}}

XML_LIST = '''<?xml version="1.0" encoding="utf-8"?>
<response>
 <status><code>200</code><timestamp>2025-03-14T10:22:40+01:00</timestamp><text>OK</text></status>
 <servers>
  <item><serverid>kvm1000789</serverid><hostname>db01.example.com</hostname><datacenter>Falkenberg</datacenter>
  <platform>KVM</platform><cpucores>2</cpucores></item>
 </servers>
 <debug><input/></debug>
</response>'''


def provider(**options):
    opts = dict(glesys_project='cl12345', glesys_api_key=KEY, api_url=None, api_timeout=30, api_retries=2,
                validate_certs=True)
    opts.update(options)
    return GlesysProvider(opts)


def test_list_keys_request_shape_and_normalization():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/list', json_body=KEYS_TWO, expect_json={},
                                     expect_headers={'Accept': 'application/json', 'Authorization': AUTH})])
    keys = glesys.sshkeys.list()
    conv.done()
    assert [k.to_dict() for k in keys] == [
        {'id': '5011', 'name': 'ci-deploy', 'fingerprint': 'SHA256:2ENJC/efZMS3D27LQQSd7AFTEORaVscAq/4TGy7vhJQ',
         'public_key': ED},
        {'id': '5012', 'name': 'alice-laptop', 'fingerprint': keys[1].fingerprint, 'public_key': RSA},
    ]
    assert keys[1].fingerprint.startswith('SHA256:')


def test_list_keys_empty_and_alternative_shape():
    glesys = provider()
    alt = {"response": {"status": {"code": "200", "text": "OK"},
                        "sshkey": [{"sshkeyid": "7", "description": "x", "sshkey": ED}]}}
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/list', json_body=KEYS_EMPTY),
                                Step('POST', URL + '/sshkey/list', json_body=alt)])
    assert glesys.sshkeys.list() == []
    assert [k.id for k in glesys.sshkeys.list()] == ['7']
    conv.done()


def test_list_keys_unknown_shape_fails_clearly():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', json_body={"response": {"status": {"code": 200},
                                                                                    "foo": {"bar": 1}}})])
    with pytest.raises(ApiError, match='without a key list'):
        glesys.sshkeys.list()


def test_add_sends_declared_arguments_only_and_reads_result():
    glesys = provider()
    body = {"response": {"status": {"code": 200, "text": "OK"},
                         "sshkey": {"id": 5013, "description": "new", "data": ED}, "debug": {"input": {}}}}
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/add', json_body=body,
                                     expect_json={'sshkey': ED, 'description': 'new'})])
    key = glesys.sshkeys.create('new', ED)
    conv.done()
    assert key.id == '5013' and key.name == 'new'


def test_add_without_object_in_answer_returns_none_so_engine_rereads():
    glesys = provider()
    conv = attach(glesys.http, [
        Step('POST', URL + '/sshkey/add', json_body={"response": {"status": {"code": 200, "text": "OK"}}}),
        Step('POST', URL + '/sshkey/list', json_body=KEYS_TWO)])
    key = create_once(lambda: glesys.sshkeys.create('ci-deploy', ED),
                      lambda: next((k for k in glesys.sshkeys.list() if k.name == 'ci-deploy'), None))
    conv.done()
    assert key.id == '5011'


def test_remove_404_is_already_gone():
    glesys = provider()
    gone = {"response": {"status": {"code": 404, "text": "SSH key not found."}, "debug": {"input": {}}}}
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/remove', status=404, json_body=gone,
                                     expect_json={'sshkeyids': '5011'})])
    glesys.sshkeys.delete(SshKey(id='5011', name='ci-deploy'))
    conv.done()


def test_401_is_auth_error_with_provider_text_and_no_key():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', status=401, json_body=AUTH_FAILED)])
    with pytest.raises(AuthError) as err:
        glesys.sshkeys.list()
    assert 'cannot authenticate to GleSYS as project cl12345' in str(err.value)
    assert 'Double check the username and key.' in str(err.value)
    assert KEY not in str(err.value)


def test_error_text_echoing_the_key_is_redacted():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', status=400, json_body=ECHOING_ERROR)])
    with pytest.raises(ApiError) as err:
        glesys.sshkeys.list()
    assert KEY not in str(err.value) and '********' in str(err.value)


def test_status_code_in_body_counts_even_with_http_200():
    glesys = provider()
    body = {"response": {"status": {"code": "400", "text": "Bad things"}}}
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', json_body=body)])
    with pytest.raises(ApiError, match=r'sshkey/list failed \(HTTP 400\): Bad things'):
        glesys.sshkeys.list()


def test_answer_without_status_is_success():
    glesys = provider()
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', json_body={"response": {"sshkeys": []}})])
    assert glesys.sshkeys.list() == []


def test_429_read_is_retried_honouring_retry_after():
    glesys = provider()
    conv = attach(glesys.http, [
        Step('POST', URL + '/sshkey/list', status=429, headers={'Retry-After': '3'}, body='slow down'),
        Step('POST', URL + '/sshkey/list', json_body=KEYS_EMPTY)])
    assert glesys.sshkeys.list() == []
    conv.done()
    assert glesys.http.slept == [3.0]


def test_html_200_on_read_retried_then_error():
    glesys = provider(api_retries=1)
    html = '<html><body>Bad gateway</body></html>'
    conv = attach(glesys.http, [
        Step('POST', URL + '/sshkey/list', body=html, content_type='text/html'),
        Step('POST', URL + '/sshkey/list', body=html, content_type='text/html')])
    with pytest.raises(TransportError, match='not in its format'):
        glesys.sshkeys.list()
    conv.done()


def test_add_is_never_retried_blindly_on_502():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/add', status=502, body='bad gateway',
                                     content_type='text/plain')])
    with pytest.raises(AmbiguousError):
        glesys.sshkeys.create('new', ED)
    conv.done()


def test_add_lost_answer_rereads_and_finds_it():
    glesys = provider()
    conv = attach(glesys.http, [
        Step('POST', URL + '/sshkey/add', raise_exc=requests.exceptions.ReadTimeout('read timed out')),
        Step('POST', URL + '/sshkey/list', json_body=KEYS_TWO)])
    key = create_once(lambda: glesys.sshkeys.create('ci-deploy', ED),
                      lambda: next((k for k in glesys.sshkeys.list() if k.name == 'ci-deploy'), None),
                      sleep=lambda s: None)
    conv.done()
    assert key.id == '5011'


def test_connection_refused_is_retried_even_for_add():
    glesys = provider()
    refused = requests.exceptions.ConnectionError('NewConnectionError: [Errno 111] Connection refused')
    body = {"response": {"status": {"code": 200}, "sshkey": {"id": 1, "description": "n", "data": ED}}}
    conv = attach(glesys.http, [Step('POST', URL + '/sshkey/add', raise_exc=refused),
                                Step('POST', URL + '/sshkey/add', json_body=body)])
    assert glesys.sshkeys.create('n', ED).id == '1'
    conv.done()


def test_xml_answer_is_parsed_and_coerced():
    data = decode_body(XML_LIST, 'application/xml')
    assert data['servers'] == [{'serverid': 'kvm1000789', 'hostname': 'db01.example.com',
                                'datacenter': 'Falkenberg', 'platform': 'KVM', 'cpucores': 2}]
    assert data['status']['code'] == 200


def test_xml_sshkey_list_through_adapter():
    glesys = provider()
    xml = ('<?xml version="1.0" encoding="utf-8"?><response><status><code>200</code><text>OK</text></status>'
           '<sshkeys><item><id>5011</id><description>ci-deploy</description><data>%s</data></item></sshkeys>'
           '<debug><input/></debug></response>' % ED)
    attach(glesys.http, [Step('POST', URL + '/sshkey/list', body=xml, content_type='text/xml')])
    keys = glesys.sshkeys.list()
    assert [(k.id, k.name, k.public_key) for k in keys] == [('5011', 'ci-deploy', ED)]


@pytest.mark.parametrize('text', ['', '<html>oops</html>', '{"response": ', '{"other": 1}', 'plain'])
def test_malformed_bodies(text):
    with pytest.raises(MalformedResponse):
        decode_body(text, '')
