# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DNS record sets: normalization tables and the rrset planner against an in-memory DnsAPI."""

from __future__ import annotations

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import AmbiguousError, NotFound, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import DnsAPI, DnsRecord
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.dns_record import (
    RecordSet,
    RecordSetSpec,
    canonical_value,
    group_sets,
    normalize_name,
    normalize_zone,
    value_sort_key,
)

ZONE = 'example.com'
MUTATING = ('add', 'update', 'delete')


class FakeDns(DnsAPI):
    """Records of one zone in memory; logs every call as ``(function, args...)``."""

    def __init__(self, records=(), zones=(ZONE,), lose_add_answers=0, echo=True):
        self.zones = set(zones)
        self.records = {}
        self.next_id = 100
        self.calls = []
        self.lose_add_answers = lose_add_answers
        self.echo = echo
        for name, rtype, value, ttl in records:
            self._store(name, rtype, value, ttl)

    def _store(self, name, rtype, value, ttl):
        self.next_id += 1
        record = DnsRecord(str(self.next_id), name, rtype, value, ttl)
        self.records[record.id] = record
        return record

    def _zone(self, zone):
        if zone not in self.zones:
            raise NotFound('DNS zone %s not found at Fake.' % zone)

    @staticmethod
    def _copy(record):
        return DnsRecord(record.id, record.name, record.type, record.value, record.ttl)

    def list_records(self, zone):
        self.calls.append(('list', zone))
        self._zone(zone)
        return [self._copy(r) for r in self.records.values()]

    def add(self, zone, name, rtype, value, ttl):
        self.calls.append(('add', name, rtype, value, ttl))
        self._zone(zone)
        record = self._store(name, rtype, value, ttl)
        if self.lose_add_answers:
            self.lose_add_answers -= 1
            raise AmbiguousError('The Fake API did not answer; the call may or may not have been carried out.')
        return self._copy(record) if self.echo else None

    def update(self, zone, record, value, ttl):
        self.calls.append(('update', record.id, value, ttl))
        stored = self.records[record.id]
        if value is not None:
            stored.value = value
        if ttl is not None:
            stored.ttl = ttl
        return self._copy(stored) if self.echo else None

    def delete(self, zone, record):
        self.calls.append(('delete', record.id))
        self.records.pop(record.id, None)

    def mutating(self):
        return [c for c in self.calls if c[0] in MUTATING]

    def state(self, name=None, rtype=None):
        return sorted((r.name, r.type, r.value, r.ttl) for r in self.records.values()
                      if (name is None or r.name == name) and (rtype is None or r.type == rtype))


SEED = [
    ('@', 'NS', 'ns1.example.net.', 3600), ('@', 'NS', 'ns2.example.net.', 3600),
    ('@', 'A', '203.0.113.10', 3600), ('www', 'A', '203.0.113.10', 300),
    ('www', 'AAAA', '2001:db8:0:1::10', 300), ('@', 'MX', '10 mail.example.com.', 3600),
    ('@', 'TXT', 'v=spf1 mx -all', 3600), ('docs', 'CNAME', 'www.example.com.', 3600),
]


def run(api, record, rtype, values=None, ttl=None, state='present', check_mode=False, zone=ZONE):
    spec = RecordSetSpec(zone, record, rtype, values, ttl, state)
    return RecordSet(api, spec, 'Fake', retries=2, sleep=lambda s: None).reconcile(check_mode)


# --- normalization tables --------------------------------------------------------------------

@pytest.mark.parametrize('rtype,value,expected', [
    ('A', ' 203.0.113.10 ', '203.0.113.10'),
    ('AAAA', '2001:DB8:0:1:0:0:0:10', '2001:db8:0:1::10'),
    ('AAAA', '2001:db8::0010', '2001:db8::10'),
    ('CNAME', 'WWW.Example.COM', 'www.example.com.'),
    ('CNAME', 'www.example.com.', 'www.example.com.'),
    ('NS', 'ns1.example.net', 'ns1.example.net.'),
    ('PTR', 'host.example.com.', 'host.example.com.'),
    ('MX', '10 Mail.Example.com', '10 mail.example.com.'),
    ('MX', '010   mail.example.com.', '10 mail.example.com.'),
    ('MX', '0 .', '0 .'),
    ('SRV', '0 5 5060 SIP.example.com', '0 5 5060 sip.example.com.'),
    ('SRV', ' 10  60 443 . ', '10 60 443 .'),
    ('TXT', '"v=spf1 -all"', 'v=spf1 -all'),
    ('TXT', 'v=spf1 -all', 'v=spf1 -all'),
    ('TXT', '  "keep Case and  spaces "  ', 'keep Case and  spaces '),
    ('TXT', '""quoted twice""', '"quoted twice"'),
    ('CAA', '0 ISSUE letsencrypt.org', '0 issue "letsencrypt.org"'),
    ('CAA', '128 iodef "mailto:sec@example.com"', '128 iodef "mailto:sec@example.com"'),
])
def test_canonical_values(rtype, value, expected):
    assert canonical_value(rtype, value) == expected


@pytest.mark.parametrize('rtype,value,message', [
    ('A', '2001:db8::1', 'A value "2001:db8::1" is not an IPv4 address.'),
    ('A', '203.0.113.300', 'is not an IPv4 address'),
    ('AAAA', '203.0.113.1', 'is not an IPv6 address'),
    ('MX', 'mail.example.com.', 'MX value "mail.example.com." must be "<priority> <host>"'),
    ('MX', 'ten mail.example.com.', 'the priority must be an integer from 0 to 65535'),
    ('MX', '70000 mail.example.com.', 'the priority must be an integer'),
    ('SRV', '5 5060 sip.example.com.', 'SRV value "5 5060 sip.example.com." must have 4 fields'),
    ('SRV', '0 5 port sip.example.com.', 'the port must be an integer'),
    ('CNAME', 'bad name.example.com', 'must not contain spaces'),
    ('CNAME', 'a..example.com', 'empty label'),
    ('CNAME', '.', 'is not a host name'),
    ('TXT', '""', 'TXT values must not be empty.'),
    ('TXT', '   ', 'TXT values must not be empty.'),
    ('CAA', '0 issue', 'CAA value "0 issue" must be "<flags> <tag> <value>"'),
    ('CAA', '300 issue x', 'the flags must be an integer from 0 to 255'),
])
def test_bad_values_fail_clearly(rtype, value, message):
    with pytest.raises(ValidationError) as err:
        canonical_value(rtype, value)
    assert message in str(err.value)


def test_lenient_values_keep_what_the_api_holds():
    assert canonical_value('A', 'not-an-ip', strict=False) == 'not-an-ip'
    assert canonical_value('TXT', ' "x" ', strict=False) == 'x'
    assert canonical_value('URL', ' http://example.com/ ', strict=False) == 'http://example.com/'


@pytest.mark.parametrize('name,expected', [
    ('www', 'www'), ('WWW', 'www'), ('@', '@'), ('www.example.com', 'www'), ('www.example.com.', 'www'),
    ('WWW.Example.Com.', 'www'), ('example.com', '@'), ('example.com.', '@'), ('_sip._tcp', '_sip._tcp'),
    ('*.dev', '*.dev'), ('a.b.example.com.', 'a.b'), ('www.other.org', 'www.other.org'),
    ('notexample.com', 'notexample.com'),
])
def test_record_names(name, expected):
    assert normalize_name(name, ZONE) == expected


@pytest.mark.parametrize('name,message', [
    ('www.other.org.', 'record "www.other.org." is not inside the zone example.com'),
    ('notexample.com.', 'is not inside the zone'),
    ('', 'record must not be empty; use "@"'),
    ('a..b', 'empty label'),
    ('two words', 'must not contain spaces'),
    ('x' * 64, 'longer than 63'),
])
def test_bad_record_names(name, message):
    with pytest.raises(ValidationError) as err:
        normalize_name(name, ZONE)
    assert message in str(err.value)


def test_names_the_api_holds_are_read_leniently():
    assert normalize_name('docs.example.com', ZONE, strict=False) == 'docs'
    assert normalize_name('', ZONE, strict=False) == '@'
    assert normalize_name('www.other.org.', ZONE, strict=False) == 'www.other.org.'


@pytest.mark.parametrize('zone,expected', [('Example.COM.', 'example.com'), (' example.com ', 'example.com')])
def test_zones(zone, expected):
    assert normalize_zone(zone) == expected


@pytest.mark.parametrize('zone', ['', '.', None, 'exa mple.com'])
def test_bad_zones(zone):
    with pytest.raises(ValidationError):
        normalize_zone(zone)


def test_sorting_is_numeric_where_values_are_numbers():
    values = ['203.0.113.100', '203.0.113.9', '198.51.100.1']
    assert sorted(values, key=lambda v: value_sort_key('A', v)) == ['198.51.100.1', '203.0.113.9', '203.0.113.100']
    mx = ['20 b.example.', '5 z.example.', '10 a.example.']
    assert sorted(mx, key=lambda v: value_sort_key('MX', v)) == ['5 z.example.', '10 a.example.', '20 b.example.']


@pytest.mark.parametrize('kwargs,message', [
    (dict(rtype='SOA', values=['x']), 'type "SOA" is not supported'),
    (dict(rtype='A', values=[]), 'values must list at least one value with state=present'),
    (dict(rtype='A', values=None), 'values must list at least one value'),
    (dict(rtype='CNAME', values=['a.example.com', 'b.example.com']), 'A CNAME record set holds exactly one value'),
    (dict(rtype='A', values=['203.0.113.1'], ttl=0), 'ttl must be from 1 to'),
    (dict(rtype='A', values=['203.0.113.1'], ttl='soon'), 'is not an integer'),
    (dict(rtype='A', values=['nope'], state='absent'), 'is not an IPv4 address'),
])
def test_spec_validation(kwargs, message):
    args = dict(zone=ZONE, record='www', values=None, ttl=None, state='present')
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        RecordSetSpec(args['zone'], args['record'], args['rtype'], args['values'], args['ttl'], args['state'])
    assert message in str(err.value)


def test_spec_values_are_a_set():
    spec = RecordSetSpec(ZONE, 'WWW.example.com.', 'a', ['203.0.113.2', ' 203.0.113.1', '203.0.113.2'])
    assert (spec.name, spec.type, spec.values) == ('www', 'A', ['203.0.113.1', '203.0.113.2'])


# --- the planner ----------------------------------------------------------------------------------

def test_create_new_set():
    api = FakeDns(SEED)
    out = run(api, 'api', 'A', ['203.0.113.21', '203.0.113.20'], ttl=600)
    assert out.changed is True
    assert out.resource == {'zone': ZONE, 'record': 'api', 'type': 'A', 'ttl': 600,
                            'values': ['203.0.113.20', '203.0.113.21']}
    assert out.before == {} and out.after == out.resource
    assert api.mutating() == [('add', 'api', 'A', '203.0.113.20', 600), ('add', 'api', 'A', '203.0.113.21', 600)]
    assert api.state('api') == [('api', 'A', '203.0.113.20', 600), ('api', 'A', '203.0.113.21', 600)]


def test_create_without_ttl_uses_default():
    api = FakeDns(SEED)
    out = run(api, 'new', 'TXT', ['"hello world"'])
    assert out.resource['ttl'] == 3600 and out.resource['values'] == ['hello world']
    assert api.mutating() == [('add', 'new', 'TXT', 'hello world', 3600)]


def test_check_mode_makes_no_call_and_predicts_exactly():
    values = ['20 mx2.example.com', '10 mail.example.com.']
    checked = FakeDns(SEED)
    predicted = run(checked, '@', 'MX', values, ttl=600, check_mode=True)
    assert checked.mutating() == [] and checked.calls == [('list', ZONE)]
    real = FakeDns(SEED)
    done = run(real, '@', 'MX', values, ttl=600)
    assert predicted.changed is done.changed is True
    assert predicted.resource == done.resource == {
        'zone': ZONE, 'record': '@', 'type': 'MX', 'ttl': 600, 'values': ['10 mail.example.com.', '20 mx2.example.com.']}
    assert predicted.before == done.before and predicted.after == done.after


@pytest.mark.parametrize('values,ttl', [
    (['203.0.113.10'], None), (['203.0.113.10'], 300), ([' 203.0.113.10', '203.0.113.10'], '300'),
])
def test_unchanged(values, ttl):
    api = FakeDns(SEED)
    out = run(api, 'WWW', 'A', values, ttl=ttl)
    assert out.changed is False and api.mutating() == []
    assert out.before == out.after == out.resource == {'zone': ZONE, 'record': 'www', 'type': 'A', 'ttl': 300,
                                                       'values': ['203.0.113.10']}


def test_unchanged_after_normalization():
    api = FakeDns(SEED + [('sip', 'SRV', '0 5 5060 SIP.example.com', 60), ('aaaa', 'AAAA', '2001:DB8::1', 60)])
    assert run(api, 'docs.example.com.', 'CNAME', ['WWW.EXAMPLE.COM']).changed is False
    assert run(api, '@', 'TXT', ['"v=spf1 mx -all"']).changed is False
    assert run(api, 'example.com', 'MX', ['10 Mail.Example.Com']).changed is False
    assert run(api, 'sip', 'SRV', ['0 5 5060 sip.example.com.']).changed is False
    assert run(api, 'aaaa', 'AAAA', ['2001:db8:0::1']).changed is False
    assert run(api, '@', 'NS', ['ns2.example.net', 'ns1.example.net.']).changed is False
    assert api.mutating() == []


def test_ttl_only_compared_when_given():
    api = FakeDns(SEED)
    assert run(api, 'www', 'A', ['203.0.113.10']).changed is False
    out = run(api, 'www', 'A', ['203.0.113.10'], ttl=60)
    assert out.changed is True and out.before['ttl'] == 300 and out.after['ttl'] == 60
    rid = [r.id for r in api.records.values() if r.name == 'www' and r.type == 'A'][0]
    assert api.mutating() == [('update', rid, None, 60)]


def test_value_change_is_an_update_in_place_not_delete_and_add():
    api = FakeDns(SEED)
    rid = [r.id for r in api.records.values() if r.name == 'www' and r.type == 'A'][0]
    out = run(api, 'www', 'A', ['203.0.113.99'])
    assert out.changed is True
    assert api.mutating() == [('update', rid, '203.0.113.99', None)]
    assert out.resource == {'zone': ZONE, 'record': 'www', 'type': 'A', 'ttl': 300, 'values': ['203.0.113.99']}
    assert api.state('www', 'A') == [('www', 'A', '203.0.113.99', 300)]


def test_cname_change_is_an_update():
    api = FakeDns(SEED)
    run(api, 'docs', 'CNAME', ['web.example.net'], ttl=3600)
    assert [c[0] for c in api.mutating()] == ['update']
    assert api.state('docs') == [('docs', 'CNAME', 'web.example.net.', 3600)]


def test_grow_keeps_updates_and_adds_with_the_sets_ttl():
    api = FakeDns(SEED)
    out = run(api, '@', 'NS', ['ns1.example.net.', 'ns9.example.org.', 'ns8.example.org.'])
    # ns2 is not wanted: it becomes one of the missing values; the other is added with the set's TTL
    assert [c[0] for c in api.mutating()] == ['update', 'add']
    assert api.mutating()[1][4] == 3600
    assert out.resource['values'] == ['ns1.example.net.', 'ns8.example.org.', 'ns9.example.org.']
    assert api.state('@', 'NS') == [('@', 'NS', 'ns1.example.net.', 3600), ('@', 'NS', 'ns8.example.org.', 3600),
                                    ('@', 'NS', 'ns9.example.org.', 3600)]


def test_shrink_deletes_what_is_left_over():
    api = FakeDns(SEED + [('@', 'NS', 'ns3.example.net.', 3600)])
    out = run(api, '@', 'NS', ['ns9.example.org'], ttl=7200)
    assert [c[0] for c in api.mutating()] == ['update', 'delete', 'delete']
    assert out.before['values'] == ['ns1.example.net.', 'ns2.example.net.', 'ns3.example.net.']
    assert out.resource == {'zone': ZONE, 'record': '@', 'type': 'NS', 'ttl': 7200, 'values': ['ns9.example.org.']}
    assert api.state('@', 'NS') == [('@', 'NS', 'ns9.example.org.', 7200)]


def test_duplicates_the_api_holds_are_removed():
    api = FakeDns([('www', 'A', '203.0.113.10', 300), ('www', 'A', '203.0.113.10', 300)])
    out = run(api, 'www', 'A', ['203.0.113.10'])
    assert out.changed is True and out.before['values'] == ['203.0.113.10', '203.0.113.10']
    assert out.after['values'] == ['203.0.113.10'] and [c[0] for c in api.mutating()] == ['delete']


def test_other_names_and_types_are_not_touched():
    api = FakeDns(SEED)
    run(api, 'www', 'A', ['203.0.113.50'])
    assert api.state('www', 'AAAA') == [('www', 'AAAA', '2001:db8:0:1::10', 300)]
    assert api.state('@', 'A') == [('@', 'A', '203.0.113.10', 3600)]


def test_fqdn_host_held_by_the_api_is_the_same_name():
    api = FakeDns([('docs.example.com', 'CNAME', 'docs.example.com', 3600)])
    out = run(api, 'docs', 'CNAME', ['docs.example.com.'])
    assert out.changed is False and out.resource['record'] == 'docs'


def test_absent_whole_set_then_again():
    api = FakeDns(SEED)
    out = run(api, '@', 'NS', state='absent')
    assert out.changed is True and out.resource == {} and out.after == {}
    assert out.before['values'] == ['ns1.example.net.', 'ns2.example.net.']
    assert [c[0] for c in api.mutating()] == ['delete', 'delete'] and api.state('@', 'NS') == []
    again = run(api, '@', 'NS', state='absent')
    assert again.changed is False and again.before == again.after == {} and again.resource == {}


def test_absent_only_given_values():
    api = FakeDns(SEED)
    out = run(api, '@', 'NS', ['NS2.example.net'], state='absent')
    assert out.changed is True
    assert out.resource == {'zone': ZONE, 'record': '@', 'type': 'NS', 'ttl': 3600, 'values': ['ns1.example.net.']}
    assert api.state('@', 'NS') == [('@', 'NS', 'ns1.example.net.', 3600)]
    again = run(api, '@', 'NS', ['ns2.example.net.'], state='absent')
    assert again.changed is False and again.resource['values'] == ['ns1.example.net.']
    empty = run(api, '@', 'NS', [], state='absent')
    assert empty.changed is False and api.state('@', 'NS') == [('@', 'NS', 'ns1.example.net.', 3600)]


def test_absent_in_check_mode_makes_no_call():
    api = FakeDns(SEED)
    out = run(api, '@', 'NS', state='absent', check_mode=True)
    assert out.changed is True and out.after == {} and api.mutating() == []
    assert len(api.state('@', 'NS')) == 2


def test_lost_add_answer_is_reread_not_duplicated():
    api = FakeDns(SEED, lose_add_answers=1)
    out = run(api, 'api', 'A', ['203.0.113.20'])
    assert out.changed is True and out.resource['values'] == ['203.0.113.20']
    assert [c[0] for c in api.calls] == ['list', 'add', 'list']
    assert api.state('api') == [('api', 'A', '203.0.113.20', 3600)]


def test_add_answer_without_record_is_reread():
    api = FakeDns(SEED, echo=False)
    out = run(api, 'api', 'A', ['203.0.113.20', '203.0.113.21'])
    assert out.resource['values'] == ['203.0.113.20', '203.0.113.21']
    assert [c[0] for c in api.calls] == ['list', 'add', 'list', 'add', 'list']
    assert len(api.state('api')) == 2


def test_update_answer_without_record_still_reports_the_after_state():
    api = FakeDns(SEED, echo=False)
    out = run(api, 'www', 'A', ['203.0.113.77'], ttl=30)
    assert out.resource == {'zone': ZONE, 'record': 'www', 'type': 'A', 'ttl': 30, 'values': ['203.0.113.77']}


def test_missing_zone_is_reported():
    api = FakeDns(SEED)
    with pytest.raises(NotFound, match='DNS zone example.org not found'):
        run(api, 'www', 'A', ['203.0.113.1'], zone='example.org')
    assert api.mutating() == []


def test_group_sets_for_info():
    api = FakeDns(SEED + [('Www.Example.com.', 'A', '203.0.113.9', 600), ('*', 'A', '203.0.113.1', 60)])
    views = group_sets(ZONE, api.list_records(ZONE))
    assert [(v['record'], v['type']) for v in views] == [
        ('@', 'A'), ('@', 'MX'), ('@', 'NS'), ('@', 'TXT'), ('*', 'A'), ('docs', 'CNAME'), ('www', 'A'),
        ('www', 'AAAA')]
    www = [v for v in views if (v['record'], v['type']) == ('www', 'A')][0]
    assert www == {'zone': ZONE, 'record': 'www', 'type': 'A', 'ttl': 300, 'values': ['203.0.113.9', '203.0.113.10']}


def test_a_bare_not_found_from_an_adapter_is_named_as_the_zone():
    class Terse(FakeDns):
        def _zone(self, zone):
            if zone not in self.zones:
                raise NotFound('Domain not found.', provider='fake', status=404)

    api = Terse(SEED)
    with pytest.raises(NotFound) as err:
        run(api, 'www', 'A', ['203.0.113.1'], zone='Example.org.')
    assert str(err.value) == 'DNS zone example.org not found at Fake: Domain not found.'
    assert err.value.status == 404 and api.mutating() == []


def test_ttl_is_ignored_with_absent():
    spec = RecordSetSpec(ZONE, 'www', 'A', None, 0, 'absent')
    assert spec.ttl is None and spec.values is None
