# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dns_record / dns_record_info end to end: ansible-playbook -> module -> adapter -> GleSYS simulator.

The simulator seeds zone example.com with the records of fixture 10.3(a).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TASK = 'Ensure the record set'
INFO = 'List record sets'
ZONE = 'example.com'


def stored(sim, host=None, rtype=None):
    """``(host, type, data, ttl)`` of the simulator's records of example.com, sorted."""
    return sorted((r['host'], r['type'], r['data'], r['ttl']) for r in sim.state()['records']
                  if r['domainname'] == ZONE and (host is None or r['host'] == host)
                  and (rtype is None or r['type'] == rtype))


def ids(sim, host, rtype):
    return sorted(r['recordid'] for r in sim.state()['records']
                  if r['domainname'] == ZONE and r['host'] == host and r['type'] == rtype)


@pytest.fixture
def dns(glesys, glesys_env, playbook):
    """``dns(extra_vars, **kwargs)`` -> (run, result of the task); the call log is reset before each run."""

    def run(extra_vars, **kwargs):
        glesys.calls()
        result = playbook('dns_record.yml', extra_vars, env=glesys_env, **kwargs)
        return result, result.result(TASK)

    return run


def test_full_lifecycle(glesys, dns):
    args = {'dns_record': 'api', 'dns_type': 'A', 'dns_values': ['203.0.113.21', '203.0.113.20'], 'dns_ttl': 600}
    want = {'zone': ZONE, 'record': 'api', 'type': 'A', 'ttl': 600, 'values': ['203.0.113.20', '203.0.113.21']}
    seeded = stored(glesys)

    # create in check mode: changed, predicted set, no mutating call
    run, res = dns(args, check=True, diff=True)
    assert run.rc == 0, run.stdout
    assert res['changed'] is True and res['record'] == want
    assert res['diff'] == {'before': {}, 'after': want}
    assert glesys.functions(glesys.calls()) == ['domain/listrecords']
    assert stored(glesys) == seeded

    # create
    run, res = dns(args)
    assert run.rc == 0, run.stdout
    assert res['changed'] is True and res['record'] == want and 'diff' not in res
    assert glesys.functions(glesys.calls()) == ['domain/listrecords', 'domain/addrecord', 'domain/addrecord']
    assert stored(glesys, 'api') == [('api', 'A', '203.0.113.20', 600), ('api', 'A', '203.0.113.21', 600)]
    created_ids = ids(glesys, 'api', 'A')

    # rerun, other order, duplicates, FQDN name, TTL as a string: unchanged, one read
    run, res = dns(dict(args, dns_record='API.example.com.', dns_ttl='600',
                        dns_values=['203.0.113.20', ' 203.0.113.21', '203.0.113.20']), diff=True)
    assert run.rc == 0 and res['changed'] is False
    assert res['diff'] == {'before': want, 'after': want} and res['record'] == want
    assert glesys.functions(glesys.calls()) == ['domain/listrecords']

    # update one value: in place through updaterecord, never delete + add
    run, res = dns(dict(args, dns_values=['203.0.113.20', '203.0.113.22']), diff=True)
    assert run.rc == 0 and res['changed'] is True
    assert res['diff']['before'] == want
    assert res['record'] == dict(want, values=['203.0.113.20', '203.0.113.22']) == res['diff']['after']
    assert glesys.functions(glesys.calls()) == ['domain/listrecords', 'domain/updaterecord']
    assert ids(glesys, 'api', 'A') == created_ids
    assert stored(glesys, 'api') == [('api', 'A', '203.0.113.20', 600), ('api', 'A', '203.0.113.22', 600)]

    # TTL without values change: updaterecord; TTL not given: unchanged
    run, res = dns(dict(args, dns_values=['203.0.113.20', '203.0.113.22'], dns_ttl=60))
    assert res['changed'] is True and res['record']['ttl'] == 60
    assert glesys.mutating(glesys.calls()) == ['domain/updaterecord', 'domain/updaterecord']
    run, res = dns({'dns_record': 'api', 'dns_type': 'A', 'dns_values': ['203.0.113.22', '203.0.113.20']})
    assert res['changed'] is False and glesys.functions(glesys.calls()) == ['domain/listrecords']

    # absent of one value in check mode, then for real
    one = {'dns_record': 'api', 'dns_type': 'A', 'dns_values': ['203.0.113.22'], 'dns_state': 'absent'}
    run, res = dns(one, check=True)
    assert res['changed'] is True and res['record']['values'] == ['203.0.113.20'] and glesys.mutating(glesys.calls()) == []
    run, res = dns(one, diff=True)
    assert run.rc == 0 and res['changed'] is True
    assert res['record'] == {'zone': ZONE, 'record': 'api', 'type': 'A', 'ttl': 60, 'values': ['203.0.113.20']}
    assert res['diff']['before']['values'] == ['203.0.113.20', '203.0.113.22']
    assert glesys.mutating(glesys.calls()) == ['domain/deleterecord']
    assert stored(glesys, 'api') == [('api', 'A', '203.0.113.20', 60)]

    # absent (whole set), absent again
    gone = {'dns_record': 'api', 'dns_type': 'A', 'dns_state': 'absent'}
    run, res = dns(gone, diff=True)
    assert run.rc == 0 and res['changed'] is True and res['record'] == {} and res['diff']['after'] == {}
    assert glesys.mutating(glesys.calls()) == ['domain/deleterecord']
    run, res = dns(gone, diff=True)
    assert run.rc == 0 and res['changed'] is False and res['diff'] == {'before': {}, 'after': {}}
    assert glesys.functions(glesys.calls()) == ['domain/listrecords']
    assert stored(glesys) == seeded


def test_mx_srv_txt_cname_and_apex(glesys, dns):
    # MX at the apex: the existing value kept, one added with the set's TTL
    run, res = dns({'dns_record': '@', 'dns_type': 'MX', 'dns_values': ['20 MX2.example.com', '10 mail.example.com']})
    assert run.rc == 0, run.stdout
    assert res['changed'] is True
    assert res['record'] == {'zone': ZONE, 'record': '@', 'type': 'MX', 'ttl': 3600,
                             'values': ['10 mail.example.com.', '20 mx2.example.com.']}
    assert glesys.mutating(glesys.calls()) == ['domain/addrecord']
    assert stored(glesys, '@', 'MX') == [('@', 'MX', '10 mail.example.com.', 3600), ('@', 'MX', '20 mx2.example.com.', 3600)]
    run, res = dns({'dns_record': 'example.com.', 'dns_type': 'MX',
                    'dns_values': ['10 mail.example.com.', '20 mx2.example.com.']})
    assert res['changed'] is False and glesys.mutating(glesys.calls()) == []

    # SRV
    srv = {'dns_record': '_sip._tcp', 'dns_type': 'SRV', 'dns_values': ['0 5 5060 SIP.example.com'], 'dns_ttl': 300}
    run, res = dns(srv)
    assert res['changed'] is True and res['record']['values'] == ['0 5 5060 sip.example.com.']
    assert stored(glesys, '_sip._tcp') == [('_sip._tcp', 'SRV', '0 5 5060 sip.example.com.', 300)]
    run, res = dns(srv)
    assert res['changed'] is False

    # TXT: quotes stripped for compare and send
    run, res = dns({'dns_record': '@', 'dns_type': 'TXT', 'dns_values': ['"v=spf1 mx -all"']})
    assert res['changed'] is False and glesys.mutating(glesys.calls()) == []
    run, res = dns({'dns_record': '@', 'dns_type': 'TXT', 'dns_values': ['"v=spf1 mx include:spf.example.net -all"']})
    assert res['changed'] is True and glesys.mutating(glesys.calls()) == ['domain/updaterecord']
    assert stored(glesys, '@', 'TXT') == [('@', 'TXT', 'v=spf1 mx include:spf.example.net -all', 3600)]

    # apex A by the zone's own name; CNAME by its FQDN, target case and trailing dot ignored
    run, res = dns({'dns_record': 'example.com', 'dns_type': 'A', 'dns_values': ['203.0.113.10']})
    assert res['changed'] is False and res['record']['record'] == '@'
    run, res = dns({'dns_record': 'docs.example.com', 'dns_type': 'CNAME', 'dns_values': ['WWW.example.com']})
    assert res['changed'] is False and res['record']['values'] == ['www.example.com.']
    run, res = dns({'dns_record': 'www', 'dns_type': 'AAAA', 'dns_values': ['2001:DB8:0:1:0:0:0:10']})
    assert res['changed'] is False
    assert glesys.mutating(glesys.calls()) == []


def test_info(glesys, glesys_env, playbook):
    run = playbook('dns_record_info.yml', {}, env=glesys_env)
    assert run.rc == 0, run.stdout
    res = run.result(INFO)
    assert res['changed'] is False
    assert [(r['record'], r['type']) for r in res['records']] == [
        ('@', 'A'), ('@', 'MX'), ('@', 'NS'), ('@', 'TXT'), ('docs', 'CNAME'), ('www', 'A'), ('www', 'AAAA')]
    assert res['records'][2] == {'zone': ZONE, 'record': '@', 'type': 'NS', 'ttl': 3600,
                                 'values': ['ns1.example.net.', 'ns2.example.net.', 'ns3.example.net.']}
    run = playbook('dns_record_info.yml', {'dns_record': 'www.example.com.'}, env=glesys_env)
    assert [(r['record'], r['type']) for r in run.result(INFO)['records']] == [('www', 'A'), ('www', 'AAAA')]
    run = playbook('dns_record_info.yml', {'dns_record': 'www', 'dns_type': 'AAAA'}, env=glesys_env)
    assert run.result(INFO)['records'] == [{'zone': ZONE, 'record': 'www', 'type': 'AAAA', 'ttl': 300,
                                            'values': ['2001:db8:0:1::10']}]
    run = playbook('dns_record_info.yml', {'dns_record': 'nothing-here'}, env=glesys_env)
    assert run.rc == 0 and run.result(INFO)['records'] == []
    assert glesys.mutating(glesys.calls()) == []
    run = playbook('dns_record_info.yml', {'dns_zone': 'example.org'}, env=glesys_env)
    assert run.rc != 0 and 'DNS zone example.org not found at GleSYS' in run.result(INFO)['msg']


@pytest.mark.parametrize('extra,message', [
    ({'dns_type': 'A', 'dns_values': ['2001:db8::1']}, 'A value "2001:db8::1" is not an IPv4 address.'),
    ({'dns_type': 'MX', 'dns_values': ['mail.example.com.']}, 'MX value "mail.example.com." must be "<priority> <host>"'),
    ({'dns_type': 'SRV', 'dns_values': ['5 5060 sip.example.com.']}, 'SRV value "5 5060 sip.example.com." must have 4 fields'),
    ({'dns_type': 'FOO', 'dns_values': ['x']}, 'value of type must be one of: A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT'),
    ({'dns_type': 'A', 'dns_values': ['203.0.113.1'], 'dns_record': 'www.other.org.'},
     'record "www.other.org." is not inside the zone example.com'),
    ({'dns_type': 'A'}, 'state is present but all of the following are missing: values'),
    ({'dns_type': 'A', 'dns_values': []}, 'values must list at least one value with state=present'),
    ({'dns_type': 'CNAME', 'dns_values': ['a.example.net', 'b.example.net']}, 'A CNAME record set holds exactly one value'),
    ({'dns_type': 'A', 'dns_values': ['203.0.113.1'], 'dns_ttl': 0}, 'ttl must be from 1 to'),
    ({'dns_type': 'A', 'dns_values': ['203.0.113.1'], 'dns_provider': 'skyport'},
     'provider skyport cannot manage DNS records: the Skyport panel has no DNS'),
])
def test_bad_input_fails_before_any_call(glesys, dns, extra, message):
    args = {'dns_record': 'www'}
    args.update(extra)
    run, res = dns(args)
    assert run.rc != 0 and run.task(TASK)['status'] == 'failed'
    assert message in res['msg']
    assert glesys.calls() == []


def test_unknown_zone_fails_clearly(glesys, dns):
    run, res = dns({'dns_zone': 'Example.ORG.', 'dns_record': 'www', 'dns_type': 'A', 'dns_values': ['203.0.113.1']})
    assert run.rc != 0
    assert res['msg'].startswith('DNS zone example.org not found at GleSYS (project cl12345): Domain not found.')
    assert glesys.functions(glesys.calls()) == ['domain/listrecords']


def test_lost_addrecord_answer_is_not_duplicated(glesys, dns):
    glesys.faults({'path': '/domain/addrecord', 'action': 'drop_after', 'times': 1})
    run, res = dns({'dns_record': 'lost', 'dns_type': 'TXT', 'dns_values': ['"hello"'], 'dns_ttl': 120})
    assert run.rc == 0, run.stdout
    assert res['changed'] is True and res['record']['values'] == ['hello']
    assert glesys.functions(glesys.calls()) == ['domain/listrecords', 'domain/addrecord', 'domain/listrecords']
    assert stored(glesys, 'lost') == [('lost', 'TXT', 'hello', 120)]


def test_vvv_output_never_shows_the_key(glesys, glesys_env, playbook):
    key = glesys_env['GLESYS_API_KEY']
    run = playbook('dns_record.yml', {'dns_record': 'v', 'dns_type': 'A', 'dns_values': ['203.0.113.5']},
                   env=glesys_env, verbosity=3, diff=True)
    assert run.rc == 0 and run.result(TASK)['changed'] is True
    assert key not in run.stdout + run.stderr
    run = playbook('dns_record_info.yml', {}, env=glesys_env, verbosity=3)
    assert run.rc == 0 and key not in run.stdout + run.stderr
    env = dict(glesys_env, GLESYS_API_KEY='wrong-key-0123456789')
    run = playbook('dns_record.yml', {'dns_record': 'v', 'dns_type': 'A', 'dns_values': ['203.0.113.5']},
                   env=env, verbosity=3)
    assert run.rc != 0 and 'cannot authenticate to GleSYS' in run.result(TASK)['msg']
    assert 'wrong-key-0123456789' not in run.stdout + run.stderr


@pytest.mark.parametrize('module', ['dns_record', 'dns_record_info'])
def test_doc_renders(ansible_env, module):
    doc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-doc'), 'hostcraft.cloud.' + module],
                         env=ansible_env, capture_output=True, text=True, check=False)
    assert doc.returncode == 0, doc.stderr
    assert 'zone' in doc.stdout
