# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""GleSYS DNS adapter against recorded conversations (providers/glesys.md sections 6.3, 9.4, 10.3, 10.6)."""

from __future__ import annotations

import base64
import copy

import pytest
import requests

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import AmbiguousError, ApiError, NotFound
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import DnsRecord
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._glesys_dns import GlesysDns, relative_host
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.glesys import GlesysProvider
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.dns_record import (
    RecordSet,
    RecordSetSpec,
    group_sets,
)
from ansible_collections.hostcraft.cloud.tests.unit.plugins.module_utils.conversation import Step, attach

URL = 'https://api.glesys.com'
KEY = 'secret-glesys-key-42'
AUTH = 'Basic ' + base64.b64encode(('cl12345:' + KEY).encode()).decode()
JSON_HEADERS = {'Accept': 'application/json', 'Authorization': AUTH}

# Fixture 10.3(a): a typical zone.
ZONE_A = {"response": {
    "status": {"code": 200, "timestamp": "2025-03-14T11:02:13+01:00", "text": "OK"},
    "records": [
        {"recordid": 2400101, "domainname": "example.com", "host": "@", "type": "NS", "data": "ns1.example.net.", "ttl": 3600},
        {"recordid": 2400102, "domainname": "example.com", "host": "@", "type": "NS", "data": "ns2.example.net.", "ttl": 3600},
        {"recordid": 2400103, "domainname": "example.com", "host": "@", "type": "NS", "data": "ns3.example.net.", "ttl": 3600},
        {"recordid": 2400104, "domainname": "example.com", "host": "@", "type": "A", "data": "203.0.113.10", "ttl": 3600},
        {"recordid": 2400105, "domainname": "example.com", "host": "www", "type": "A", "data": "203.0.113.10", "ttl": 300},
        {"recordid": 2400106, "domainname": "example.com", "host": "www", "type": "AAAA", "data": "2001:db8:0:1::10", "ttl": 300},
        {"recordid": 2400107, "domainname": "example.com", "host": "@", "type": "MX", "data": "10 mail.example.com.", "ttl": 3600},
        {"recordid": 2400108, "domainname": "example.com", "host": "@", "type": "TXT", "data": "v=spf1 mx -all", "ttl": 3600},
        {"recordid": 2400109, "domainname": "example.com", "host": "docs", "type": "CNAME", "data": "www.example.com.", "ttl": 3600},
    ],
    "debug": {"input": {"domainname": "example.com"}}}}

# Fixture 10.3(b): a zone created with createrecords=no.
ZONE_EMPTY = {"response": {"status": {"code": 200, "timestamp": "2025-03-14T11:03:40+01:00", "text": "OK",
                                      "transactionid": None},
                           "records": [], "debug": {"input": {"domainname": "example.com"}}}}

# Fixture 10.3(c): domain/addrecord success.
ADDED = {"response": {
    "status": {"code": 200, "timestamp": "2025-03-14T11:04:55+01:00", "text": "Record added.", "transactionid": None},
    "record": {"recordid": 2400110, "domainname": "example.com", "host": "_acme-challenge", "type": "TXT",
               "data": "q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0", "ttl": 60},
    "debug": {"input": {"domainname": "example.com", "host": "_acme-challenge", "type": "TXT",
                        "data": "q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0", "ttl": "60"}}}}

# Fixture 10.6(c): record already gone.
GONE = {"response": {"status": {"code": 404, "timestamp": "2025-03-14T11:32:00+01:00",
                                "text": "Record not found.", "transactionid": None},
                     "debug": {"input": {"recordid": "2400999"}}}}

ZONE_MISSING = {"response": {"status": {"code": 404, "timestamp": "2025-03-14T11:32:00+01:00",
                                        "text": "Domain not found.", "transactionid": None},
                             "debug": {"input": {"domainname": "example.org"}}}}


def updated(recordid, host, rtype, data, ttl):
    return {"response": {
        "status": {"code": 200, "timestamp": "2025-03-14T11:05:00+01:00", "text": "Record updated."},
        "record": {"recordid": recordid, "domainname": "example.com", "host": host, "type": rtype, "data": data,
                   "ttl": ttl},
        "debug": {"input": {"recordid": str(recordid)}}}}


REMOVED = {"response": {"status": {"code": 200, "timestamp": "2025-03-14T11:06:00+01:00", "text": "Record removed."},
                        "debug": {"input": {"recordid": "2400101"}}}}


def provider(**options):
    opts = dict(glesys_project='cl12345', glesys_api_key=KEY, api_url=None, api_timeout=30, api_retries=2,
                validate_certs=True)
    opts.update(options)
    return GlesysProvider(opts)


def listing(body=None, zone='example.com'):
    return Step('POST', URL + '/domain/listrecords', json_body=body or ZONE_A, expect_json={'domainname': zone},
                expect_headers=JSON_HEADERS)


def reconcile(glesys, record, rtype, values=None, ttl=None, state='present', check_mode=False):
    spec = RecordSetSpec('example.com', record, rtype, values, ttl, state)
    return RecordSet(glesys.dns, spec, 'GleSYS', retries=2, sleep=lambda s: None).reconcile(check_mode)


# --- the adapter, call by call --------------------------------------------------------------------

def test_dns_is_wired_and_cached():
    glesys = provider()
    assert isinstance(glesys.dns, GlesysDns) and glesys.dns is glesys.dns
    assert glesys.capabilities.supports('dns_record') and glesys.capabilities.supports('dns_record_info')


def test_listrecords_shape_and_normalization():
    glesys = provider()
    conv = attach(glesys.http, [listing()])
    records = glesys.dns.list_records('example.com')
    conv.done()
    assert len(records) == 9
    first = records[0]
    assert (first.id, first.name, first.type, first.value, first.ttl) == ('2400101', '@', 'NS', 'ns1.example.net.', 3600)
    assert [(r.id, r.name, r.type, r.value, r.ttl) for r in records[4:6]] == [
        ('2400105', 'www', 'A', '203.0.113.10', 300), ('2400106', 'www', 'AAAA', '2001:db8:0:1::10', 300)]
    assert records[7].value == 'v=spf1 mx -all'
    assert records[0].raw['domainname'] == 'example.com'


def test_listrecords_empty_zone():
    glesys = provider()
    conv = attach(glesys.http, [listing(ZONE_EMPTY)])
    assert glesys.dns.list_records('example.com') == []
    conv.done()


@pytest.mark.parametrize('host,expected', [
    ('@', '@'), ('', '@'), (None, '@'), ('example.com', '@'), ('example.com.', '@'), ('EXAMPLE.com', '@'),
    ('www', 'www'), ('WWW', 'www'), ('docs.example.com', 'docs'), ('docs.example.com.', 'docs'),
    ('_acme-challenge.sub', '_acme-challenge.sub'), ('a.b.example.com.', 'a.b'), ('other.org.', 'other.org.'),
])
def test_host_normalization(host, expected):
    assert relative_host(host, 'example.com') == expected


def test_host_normalization_through_listrecords():
    glesys = provider()
    body = {"response": {"status": {"code": "200", "text": "OK"}, "records": [
        {"recordid": "7", "domainname": "example.com", "host": "docs.example.com", "type": "cname",
         "data": "docs.example.com", "ttl": "3600"},
        {"recordid": 8, "domainname": "example.com", "host": "example.com.", "type": "A", "data": "203.0.113.5",
         "ttl": 60}]}}
    attach(glesys.http, [listing(body)])
    records = glesys.dns.list_records('example.com')
    assert [(r.id, r.name, r.type, r.value, r.ttl) for r in records] == [
        ('7', 'docs', 'CNAME', 'docs.example.com', 3600), ('8', '@', 'A', '203.0.113.5', 60)]


def test_listrecords_xml_answer():
    glesys = provider()
    xml = ('<?xml version="1.0" encoding="utf-8"?><response><status><code>200</code><text>OK</text></status>'
           '<records><item><recordid>2400105</recordid><domainname>example.com</domainname><host>www</host>'
           '<type>A</type><data>203.0.113.10</data><ttl>300</ttl></item></records><debug><input/></debug></response>')
    attach(glesys.http, [Step('POST', URL + '/domain/listrecords', body=xml, content_type='application/xml')])
    records = glesys.dns.list_records('example.com')
    assert [(r.id, r.name, r.type, r.value, r.ttl) for r in records] == [('2400105', 'www', 'A', '203.0.113.10', 300)]


def test_unknown_zone_is_a_clear_not_found():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/domain/listrecords', status=404, json_body=ZONE_MISSING,
                                     expect_json={'domainname': 'example.org'})])
    with pytest.raises(NotFound) as err:
        glesys.dns.list_records('example.org')
    conv.done()
    assert str(err.value) == ('DNS zone example.org not found at GleSYS (project cl12345): Domain not found. Check '
                              'zone; this module manages the records of an existing zone.')


def test_addrecord_sends_declared_arguments_with_ttl_and_reads_fixture_c():
    glesys = provider()
    conv = attach(glesys.http, [Step(
        'POST', URL + '/domain/addrecord', json_body=ADDED, expect_headers=JSON_HEADERS,
        expect_json={'domainname': 'example.com', 'host': '_acme-challenge', 'type': 'TXT',
                     'data': 'q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0', 'ttl': 60})])
    record = glesys.dns.add('example.com', '_acme-challenge', 'TXT', 'q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0', 60)
    conv.done()
    assert (record.id, record.name, record.type, record.value, record.ttl) == (
        '2400110', '_acme-challenge', 'TXT', 'q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0', 60)


def test_addrecord_always_sends_a_ttl():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/domain/addrecord', json_body=ADDED,
                                     expect_json={'domainname': 'example.com', 'host': 'x', 'type': 'A',
                                                  'data': '203.0.113.1', 'ttl': 3600})])
    glesys.dns.add('example.com', 'x', 'A', '203.0.113.1', None)
    conv.done()


def test_addrecord_is_never_retried_blindly():
    glesys = provider()
    conv = attach(glesys.http, [Step('POST', URL + '/domain/addrecord', status=503, body='maintenance',
                                     content_type='text/plain')])
    with pytest.raises(AmbiguousError):
        glesys.dns.add('example.com', 'x', 'A', '203.0.113.1', 60)
    conv.done()


def test_updaterecord_sends_only_what_changes():
    glesys = provider()
    record = DnsRecord('2400105', 'www', 'A', '203.0.113.10', 300)
    conv = attach(glesys.http, [
        Step('POST', URL + '/domain/updaterecord', json_body=updated(2400105, 'www', 'A', '203.0.113.11', 300),
             expect_json={'recordid': 2400105, 'data': '203.0.113.11'}, expect_headers=JSON_HEADERS),
        Step('POST', URL + '/domain/updaterecord', json_body=updated(2400105, 'www', 'A', '203.0.113.11', 60),
             expect_json={'recordid': 2400105, 'ttl': 60}),
        Step('POST', URL + '/domain/updaterecord', json_body=updated(2400105, 'www', 'A', '203.0.113.12', 30),
             expect_json={'recordid': 2400105, 'data': '203.0.113.12', 'ttl': 30}),
    ])
    first = glesys.dns.update('example.com', record, '203.0.113.11', 300)
    assert (first.value, first.ttl) == ('203.0.113.11', 300)
    second = glesys.dns.update('example.com', first, None, 60)
    assert (second.value, second.ttl) == ('203.0.113.11', 60)
    third = glesys.dns.update('example.com', second, '203.0.113.12', 30)
    assert (third.id, third.value, third.ttl) == ('2400105', '203.0.113.12', 30)
    assert glesys.dns.update('example.com', third, '203.0.113.12', 30) is third  # nothing to send, no call
    conv.done()


def test_deleterecord_and_404_is_already_gone():
    glesys = provider()
    conv = attach(glesys.http, [
        Step('POST', URL + '/domain/deleterecord', json_body=REMOVED, expect_json={'recordid': 2400101},
             expect_headers=JSON_HEADERS),
        Step('POST', URL + '/domain/deleterecord', status=404, json_body=GONE, expect_json={'recordid': 2400999}),
    ])
    glesys.dns.delete('example.com', DnsRecord('2400101', '@', 'NS', 'ns1.example.net.', 3600))
    glesys.dns.delete('example.com', DnsRecord('2400999', 'gone', 'A', '203.0.113.1', 60))
    conv.done()


def test_deleterecord_other_errors_surface():
    glesys = provider()
    body = {"response": {"status": {"code": 400, "text": "Bad recordid."}}}
    attach(glesys.http, [Step('POST', URL + '/domain/deleterecord', status=400, json_body=body)])
    with pytest.raises(ApiError, match=r'domain/deleterecord failed \(HTTP 400\): Bad recordid.'):
        glesys.dns.delete('example.com', DnsRecord('1', 'x', 'A', '203.0.113.1', 60))


# --- the record-set logic over recorded conversations ------------------------------------------

def test_unchanged_set_is_one_read():
    glesys = provider()
    conv = attach(glesys.http, [listing()])
    out = reconcile(glesys, '@', 'NS', ['ns3.example.net', 'NS1.example.net.', 'ns2.example.net.'])
    conv.done()
    assert out.changed is False


def test_value_change_is_updaterecord():
    glesys = provider()
    conv = attach(glesys.http, [
        listing(),
        Step('POST', URL + '/domain/updaterecord', json_body=updated(2400109, 'docs', 'CNAME', 'web.example.net.', 3600),
             expect_json={'recordid': 2400109, 'data': 'web.example.net.'})])
    out = reconcile(glesys, 'docs.example.com.', 'CNAME', ['web.example.net'])
    conv.done()
    assert out.resource == {'zone': 'example.com', 'record': 'docs', 'type': 'CNAME', 'ttl': 3600,
                            'values': ['web.example.net.']}


def test_create_txt_sends_unquoted_value():
    glesys = provider()
    conv = attach(glesys.http, [
        listing(),
        Step('POST', URL + '/domain/addrecord', json_body=ADDED,
             expect_json={'domainname': 'example.com', 'host': '_acme-challenge', 'type': 'TXT',
                          'data': 'q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0', 'ttl': 60})])
    out = reconcile(glesys, '_acme-challenge', 'TXT', ['"q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0"'], ttl=60)
    conv.done()
    assert out.resource['values'] == ['q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0'] and out.resource['ttl'] == 60


def test_lost_addrecord_answer_is_reread_not_repeated():
    glesys = provider()
    after = copy.deepcopy(ZONE_A)
    after['response']['records'].append(copy.deepcopy(ADDED['response']['record']))
    conv = attach(glesys.http, [
        listing(),
        Step('POST', URL + '/domain/addrecord', raise_exc=requests.exceptions.ReadTimeout('read timed out')),
        listing(after)])
    out = reconcile(glesys, '_acme-challenge', 'TXT', ['q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0'], ttl=60)
    conv.done()
    assert out.changed is True and out.resource['values'] == ['q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0']


def test_absent_one_value_deletes_only_that_record():
    glesys = provider()
    conv = attach(glesys.http, [
        listing(),
        Step('POST', URL + '/domain/deleterecord', json_body=REMOVED, expect_json={'recordid': 2400102})])
    out = reconcile(glesys, '@', 'NS', ['ns2.example.net.'], state='absent')
    conv.done()
    assert out.resource['values'] == ['ns1.example.net.', 'ns3.example.net.']


def test_check_mode_reads_only():
    glesys = provider()
    conv = attach(glesys.http, [listing()])
    out = reconcile(glesys, '@', 'NS', state='absent', check_mode=True)
    conv.done()
    assert out.changed is True and out.after == {}


def test_group_sets_from_fixture_a():
    glesys = provider()
    attach(glesys.http, [listing()])
    views = group_sets('example.com', glesys.dns.list_records('example.com'))
    assert [(v['record'], v['type'], v['ttl'], len(v['values'])) for v in views] == [
        ('@', 'A', 3600, 1), ('@', 'MX', 3600, 1), ('@', 'NS', 3600, 3), ('@', 'TXT', 3600, 1),
        ('docs', 'CNAME', 3600, 1), ('www', 'A', 300, 1), ('www', 'AAAA', 300, 1)]
