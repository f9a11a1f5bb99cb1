# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The dns_zone role end to end: ansible-playbook -> role -> dns_record(_info) -> GleSYS / Serverspace simulators.

GleSYS seeds example.com with fixture 10.3(a): @ NS (3), @ A, www A, www AAAA, @ MX, @ TXT, docs CNAME.
Serverspace seeds example.com. with fixture 7.7: www A, @ MX, @ TXT, @ NS (provider-managed).
"""

from __future__ import annotations

import re

import pytest

PLAY = 'role_dns_zone.yml'
ENSURE = 'Ensure the listed record sets'
PRUNE = 'Delete the record sets that are not listed'
SUMMARY = 'Summarize the changes of the zone'
ASSERT = 'Check the inputs before any API call'
ZONE = 'example.com'


def recap(run):
    """``{'ok': n, 'changed': n, 'failed': n, ...}`` of localhost from PLAY RECAP."""
    match = re.search(r'^localhost\s+:\s+(.*)$', run.stdout, re.M)
    assert match, run.stdout + run.stderr
    return dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(1)))


def summary(run):
    return run.result(SUMMARY)['msg']


def items(run, task):
    """``{item key: result}`` of a looped role task."""
    return dict((r['item']['key'], r) for r in run.result(task).get('results', []))


@pytest.fixture
def zone(playbook):
    """``zone(sim, env, extra_vars, **kwargs)`` -> (run, calls made by that run)."""

    def run(sim, env, extra_vars, **kwargs):
        sim.calls()
        outcome = playbook(PLAY, extra_vars, env=env, **kwargs)
        return outcome, sim.calls()

    return run


# --- GleSYS -------------------------------------------------------------------------------------

def glesys_records(sim):
    """``{(host, type): sorted [(data, ttl)]}`` of the simulator's example.com."""
    found = {}
    for r in sim.state()['records']:
        if r['domainname'] == ZONE:
            found.setdefault((r['host'], r['type']), []).append((r['data'], r['ttl']))
    return dict((k, sorted(v)) for k, v in found.items())


GLESYS_RECORDS = [
    {'record': '@', 'type': 'A', 'values': ['203.0.113.10']},                      # as seeded
    {'record': 'www.example.com.', 'type': 'A', 'values': ['203.0.113.11', '203.0.113.10'], 'ttl': 300},  # grows
    {'record': 'api', 'type': 'AAAA', 'values': ['2001:DB8::1']},                   # new, zone TTL
    {'record': 'example.com', 'type': 'MX', 'values': ['10 Mail.example.com']},    # as seeded
    {'record': 'docs', 'type': 'CNAME', 'values': ['www.example.com']},             # as seeded
    {'record': '_sip._tcp', 'type': 'SRV', 'values': ['0 5 5060 sip.example.com.']},  # new, own TTL
]


def test_glesys_apply_rerun_prune_absent(glesys, glesys_env, zone):
    records = GLESYS_RECORDS[:5] + [dict(GLESYS_RECORDS[5], ttl=1200)]
    args = {'dns_zone_provider': 'glesys', 'dns_zone_name': 'Example.COM.', 'dns_zone_records': records,
            'dns_zone_ttl': 600, 'dns_zone_prune': True}
    seeded = glesys_records(glesys)
    assert ('@', 'TXT') in seeded and ('www', 'AAAA') in seeded and len(seeded[('@', 'NS')]) == 3

    # check mode + diff: the whole plan, zero mutating calls, nothing stored
    run, calls = zone(glesys, glesys_env, args, check=True, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 2 and recap(run)['failed'] == 0
    assert glesys.mutating(calls) == [] and calls
    assert glesys_records(glesys) == seeded
    plan = summary(run)
    assert plan['check_mode'] is True and plan['zone'] == ZONE and plan['provider'] == 'glesys'
    assert plan['add'] == ['api AAAA', '_sip._tcp SRV']
    assert plan['change'] == ['@ A', 'www A', '@ MX', 'docs CNAME']  # www grows; the others get the zone TTL
    assert plan['unchanged'] == []
    assert sorted(plan['delete']) == ['@ TXT', 'www AAAA']
    assert plan['keep'] == ['@ NS']
    assert plan['summary'].startswith('check mode, nothing was written: would add 2,')
    ensured = items(run, ENSURE)
    assert ensured['www A']['diff']['before']['values'] == ['203.0.113.10']
    assert ensured['www A']['diff']['after']['values'] == ['203.0.113.10', '203.0.113.11']
    new_set = {'zone': ZONE, 'record': 'api', 'type': 'AAAA', 'ttl': 600, 'values': ['2001:db8::1']}
    assert ensured['api AAAA']['diff'] == {'before': {}, 'after': new_set}
    pruned = items(run, PRUNE)
    assert sorted(pruned) == ['@ TXT', 'www AAAA'] and all(r['changed'] and r['diff']['after'] == {}
                                                           for r in pruned.values())

    # apply
    run, calls = zone(glesys, glesys_env, args)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 2
    assert sorted(glesys.mutating(calls)) == sorted(['domain/deleterecord'] * 2 + ['domain/addrecord'] * 3
                                                    + ['domain/updaterecord'] * 3)
    after = glesys_records(glesys)
    assert after == {
        ('@', 'NS'): seeded[('@', 'NS')],                      # never pruned
        ('@', 'A'): [('203.0.113.10', 600)],                   # zone TTL applied
        ('www', 'A'): [('203.0.113.10', 300), ('203.0.113.11', 300)],
        ('api', 'AAAA'): [('2001:db8::1', 600)],
        ('@', 'MX'): [('10 mail.example.com.', 600)],
        ('docs', 'CNAME'): [('www.example.com.', 600)],
        ('_sip._tcp', 'SRV'): [('0 5 5060 sip.example.com.', 1200)],
    }
    assert summary(run)['summary'] == 'added 2, changed 4, deleted 2; 0 unchanged, 1 kept'

    # rerun: changed=0, reads only
    run, calls = zone(glesys, glesys_env, args, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 0
    assert glesys.mutating(calls) == [] and set(glesys.functions(calls)) == {'domain/listrecords'}
    assert summary(run)['summary'] == 'added 0, changed 0, deleted 0; 6 unchanged, 1 kept'
    assert glesys_records(glesys) == after

    # without prune, an unlisted set stays; with prune, it goes (NS still kept)
    small = dict(args, dns_zone_records=args['dns_zone_records'][:2], dns_zone_prune=False)
    run, calls = zone(glesys, glesys_env, small)
    assert run.rc == 0 and recap(run)['changed'] == 0 and glesys.mutating(calls) == []
    run, calls = zone(glesys, glesys_env, dict(small, dns_zone_prune=True))
    assert run.rc == 0 and recap(run)['changed'] == 1
    assert sorted(glesys.mutating(calls)) == ['domain/deleterecord'] * 4
    assert sorted(glesys_records(glesys)) == [('@', 'A'), ('@', 'NS'), ('www', 'A')]

    # absent deletes the listed sets only, then nothing
    gone = dict(args, dns_zone_state='absent',
                dns_zone_records=[{'record': 'www', 'type': 'A'}, {'record': 'api', 'type': 'AAAA'}])
    run, calls = zone(glesys, glesys_env, gone, check=True)
    assert run.rc == 0 and recap(run)['changed'] == 1 and glesys.mutating(calls) == []
    assert summary(run)['delete'] == ['www A'] and summary(run)['unchanged'] == ['api AAAA']
    run, calls = zone(glesys, glesys_env, gone)
    assert run.rc == 0 and recap(run)['changed'] == 1
    assert glesys.mutating(calls) == ['domain/deleterecord'] * 2
    assert sorted(glesys_records(glesys)) == [('@', 'A'), ('@', 'NS')]
    run, calls = zone(glesys, glesys_env, gone)
    assert run.rc == 0 and recap(run)['changed'] == 0 and glesys.mutating(calls) == []
    assert glesys_records(glesys)[('@', 'NS')] == seeded[('@', 'NS')]


# --- Serverspace --------------------------------------------------------------------------------

def serverspace_records(sim):
    """``{(fqdn, type): sorted values}`` of the simulator's example.com. (values as the API stores them)."""
    fields = {'A': ('ip',), 'AAAA': ('ip',), 'CNAME': ('canonical_name',), 'NS': ('name_server_host',),
              'MX': ('priority', 'mail_host'), 'TXT': ('text',)}
    found = {}
    domain = [d for d in sim.state()['domains'] if d['name'] == 'example.com.'][0]
    for r in domain['records']:
        value = ' '.join(str(r.get(f)) for f in fields.get(r['type'], ('value',)))
        found.setdefault((r['name'], r['type']), []).append((value, r['ttl']))
    return dict((k, sorted(v)) for k, v in found.items())


def test_serverspace_apply_rerun_prune_absent(serverspace, serverspace_env, zone):
    args = {'dns_zone_provider': 'serverspace', 'dns_zone_name': ZONE, 'dns_zone_prune': True,
            'dns_zone_records': [
                {'record': 'www', 'type': 'A', 'values': ['203.0.113.10', '203.0.113.12']},
                {'record': '@', 'type': 'MX', 'values': ['10 mail.example.com.']},
                {'record': 'shop', 'type': 'CNAME', 'values': ['www.example.com.'], 'ttl': 300},
            ]}
    seeded = serverspace_records(serverspace)
    assert seeded[('example.com.', 'NS')] == [('ns01.serverspace.com.', '1d')]
    assert ('example.com.', 'TXT') in seeded

    run, calls = zone(serverspace, serverspace_env, args, check=True, diff=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 2 and serverspace.mutating(calls) == []
    assert serverspace_records(serverspace) == seeded
    plan = summary(run)
    assert plan['add'] == ['shop CNAME'] and plan['change'] == ['www A'] and plan['delete'] == ['@ TXT']
    assert plan['unchanged'] == ['@ MX'] and plan['keep'] == ['@ NS']

    run, calls = zone(serverspace, serverspace_env, args)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 2 and serverspace.mutating(calls)
    after = serverspace_records(serverspace)
    assert after == {
        ('example.com.', 'NS'): seeded[('example.com.', 'NS')],
        ('example.com.', 'MX'): seeded[('example.com.', 'MX')],
        ('www.example.com.', 'A'): [('203.0.113.10', '1h'), ('203.0.113.12', '1h')],
        ('shop.example.com.', 'CNAME'): [('www.example.com.', '5m')],
    }

    run, calls = zone(serverspace, serverspace_env, args)
    assert run.rc == 0 and recap(run)['changed'] == 0 and serverspace.mutating(calls) == []
    assert serverspace_records(serverspace) == after

    gone = dict(args, dns_zone_state='absent', dns_zone_records=[{'record': 'shop.example.com.', 'type': 'CNAME'}])
    run, calls = zone(serverspace, serverspace_env, gone)
    assert run.rc == 0 and recap(run)['changed'] == 1 and serverspace.mutating(calls)
    assert ('shop.example.com.', 'CNAME') not in serverspace_records(serverspace)
    run, calls = zone(serverspace, serverspace_env, gone)
    assert run.rc == 0 and recap(run)['changed'] == 0 and serverspace.mutating(calls) == []
    assert serverspace_records(serverspace)[('example.com.', 'NS')] == seeded[('example.com.', 'NS')]


# --- input checks, skipped providers, inline accounts ----------------------------------------------

def test_bad_input_fails_before_any_call(glesys, glesys_env, zone):
    args = {'dns_zone_provider': 'glesys', 'dns_zone_name': ZONE, 'dns_zone_prune': True, 'dns_zone_records': [
        {'record': 'www', 'type': 'A', 'values': ['203.0.113.10']},
        {'record': 'WWW.example.com.', 'type': 'A', 'values': ['203.0.113.11']},   # same set as [0]
        {'record': 'mail', 'type': 'A'},                                           # no values
        {'record': 'x.example.org.', 'type': 'A', 'values': ['203.0.113.1']},      # outside the zone
        {'record': 'alias', 'type': 'CNAME', 'values': ['a.example.net', 'b.example.net']},
    ]}
    seeded = glesys_records(glesys)
    run, calls = zone(glesys, glesys_env, args)
    assert run.rc != 0 and run.task(ASSERT)['status'] == 'failed'
    msg = run.result(ASSERT)['msg']
    assert msg.startswith('dns_zone: invalid input for zone example.com at glesys: ')
    assert 'record set www A is listed 2 times in dns_zone_records' in msg
    assert 'dns_zone_records[2] (mail A): values must list at least one value with dns_zone_state=present.' in msg
    assert 'dns_zone_records[3]: record "x.example.org." is not inside the zone example.com' in msg
    assert 'dns_zone_records[4] (alias CNAME): a CNAME record set holds exactly one value; 2 were given.' in msg
    assert calls == [] and glesys_records(glesys) == seeded

    # types are checked by meta/argument_specs.yml before any task of the role
    run, calls = zone(glesys, glesys_env, dict(args, dns_zone_records=[
        {'record': 'www', 'type': 'SOA', 'values': ['x']}], dns_zone_account={'glesys_apikey': 'x'}))
    assert run.rc != 0
    assert 'Validation of arguments failed' in run.stdout
    assert 'value of type must be one of: A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT, got: SOA' in run.stdout
    assert 'dns_zone_account.glesys_apikey' in run.stdout
    assert calls == []

    run, calls = zone(glesys, glesys_env, {'dns_zone_provider': 'glesys'})
    assert run.rc != 0 and 'missing required arguments: dns_zone_name' in run.stdout and calls == []


def test_provider_without_dns_is_skipped(skyport, skyport_env, zone):
    args = {'dns_zone_provider': 'skyport', 'dns_zone_name': ZONE,
            'dns_zone_records': [{'record': 'www', 'type': 'A', 'values': ['203.0.113.10']}]}
    run, calls = zone(skyport, skyport_env, args)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 0
    assert run.result('Skip a provider that cannot manage DNS records')['msg'] == \
        'provider skyport cannot manage DNS records: the Skyport panel has no DNS; skipped'
    assert run.task(ENSURE)['status'] == 'skipped'
    assert calls == []


def test_inline_account(glesys, zone):
    """Credentials from dns_zone_account only (no environment); the secret stays out of the output."""
    from tests.simulators import glesys as glesys_module  # pylint: disable=import-outside-toplevel

    account = {'provider': 'glesys', 'name': 'main', 'glesys_project': glesys_module.PROJECT,
               'glesys_api_key': glesys_module.API_KEY, 'api_url': glesys.url, 'api_retries': None}
    args = {'dns_zone_provider': 'glesys', 'dns_zone_name': ZONE, 'dns_zone_account': account,
            'dns_zone_records': [{'record': 'new', 'type': 'TXT', 'values': ['"hello world"']}]}
    run, calls = zone(glesys, {}, args, verbosity=2)
    assert run.rc == 0, run.stdout + run.stderr
    assert recap(run)['changed'] == 1 and glesys.mutating(calls) == ['domain/addrecord']
    assert glesys_records(glesys)[('new', 'TXT')] == [('hello world', 3600)]
    assert glesys_module.API_KEY not in run.stdout + run.stderr

    # without the account (and no environment) the module says what is missing
    run, calls = zone(glesys, {}, dict(args, dns_zone_account={}))
    assert run.rc != 0 and 'GLESYS_API_KEY' in run.stdout and calls == []
