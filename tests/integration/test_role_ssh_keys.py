# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ssh_keys role end to end: one key list in GleSYS, HostUp and Serverspace accounts at once (Skyport skipped).

Seeded keys: GleSYS none; HostUp "ops-laptop"; Serverspace "deploy@example.com" and "legacy-ssh2" (SSH2 format).
"""

from __future__ import annotations

import base64
import re

PLAY = 'role_ssh_keys.yml'
ENSURE = 'Ensure the listed keys'
SUMMARY = 'Summarize the changes of the account'
SKIP = 'Skip an account whose provider cannot manage SSH keys'
ASSERT = 'Check the inputs before any API call'


def public_key(seed, comment):
    """A well-formed ed25519 public key (the HostUp simulator checks the blob's embedded type)."""
    blob = b'\x00\x00\x00\x0bssh-ed25519' + b'\x00\x00\x00\x20' + bytes([seed]) * 32
    return 'ssh-ed25519 %s %s' % (base64.b64encode(blob).decode('ascii'), comment)


ALICE = public_key(1, 'alice@laptop')
BOB = public_key(2, 'bob@laptop')
KEYS = [{'name': 'alice', 'public_key': ALICE}, {'name': 'bob', 'public_key': BOB}]


def recap(run):
    match = re.search(r'^localhost\s+:\s+(.*)$', run.stdout, re.M)
    assert match, run.stdout + run.stderr
    return dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(1)))


def summaries(run):
    """``{account label: summary}`` of every account the role managed."""
    return dict((r['result']['msg']['account'], r['result']['msg']) for r in run.records
                if r['task'] == SUMMARY and r['status'] == 'ok')


def material(text):
    return ' '.join(text.split()[:2])


def glesys_keys(sim):
    return sorted((k['description'], material(k['data'])) for k in sim.state()['sshkeys'])


def hostup_keys(sim):
    return sorted((k['name'], material(k['publicKey'])) for k in sim.state()['sshkeys'])


def serverspace_keys(sim):
    return sorted(k['name'] for k in sim.state()['ssh_keys'])


def test_several_accounts_apply_rerun_exclusive_absent(glesys, glesys_env, hostup, hostup_env, serverspace,
                                                       serverspace_env, skyport, skyport_env, playbook):
    env = dict(glesys_env, **hostup_env)
    env.update(serverspace_env)
    env.update(skyport_env)
    sims = {'glesys': glesys, 'hostup': hostup, 'serverspace': serverspace, 'skyport': skyport}
    accounts = [{'provider': 'glesys', 'name': 'gl-main'}, {'provider': 'hostup'},
                {'provider': 'serverspace', 'name': 'ss'}, {'provider': 'skyport', 'name': 'panel'}]
    args = {'ssh_keys_keys': KEYS, 'ssh_keys_accounts': accounts}
    want = [('alice', material(ALICE)), ('bob', material(BOB))]

    def run(extra, **kwargs):
        for sim in sims.values():
            sim.calls()
        outcome = playbook(PLAY, extra, env=env, **kwargs)
        return outcome, dict((name, sim.calls()) for name, sim in sims.items())

    def writes(calls):
        return dict((name, sims[name].mutating(c)) for name, c in calls.items() if sims[name].mutating(c))

    # check mode + diff: every account plans both keys, no write anywhere, Skyport skipped with the reason
    outcome, calls = run(args, check=True, diff=True)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert recap(outcome)['changed'] == 3 and writes(calls) == {}
    assert calls['skyport'] == []
    assert glesys_keys(glesys) == [] and serverspace_keys(serverspace) == ['deploy@example.com', 'legacy-ssh2']
    assert outcome.result(SKIP)['msg'] == ('account panel: provider skyport cannot manage SSH keys: Skyport instances '
                                           'are containers on a node; there are no SSH keys to manage; skipped')
    plans = summaries(outcome)
    assert sorted(plans) == ['gl-main', 'hostup#1', 'ss']
    assert all(p['store'] == ['alice', 'bob'] and p['delete'] == [] and p['check_mode'] for p in plans.values())
    assert plans['ss']['summary'] == 'check mode, nothing was written: would store 2, delete 0; 0 unchanged'
    ensured = [r for r in outcome.records if r['task'] == ENSURE and r['status'] == 'ok']
    assert ensured[0]['result']['results'][0]['diff']['after']['name'] == 'alice'

    # apply: the keys in every account, the seeded keys untouched
    outcome, calls = run(args)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert recap(outcome)['changed'] == 3
    assert sorted(writes(calls)) == ['glesys', 'hostup', 'serverspace']
    assert glesys_keys(glesys) == want
    assert hostup_keys(hostup) == sorted(want + [('ops-laptop', hostup_keys(hostup)[-1][1])])
    assert serverspace_keys(serverspace) == ['alice', 'bob', 'deploy@example.com', 'legacy-ssh2']

    # rerun (the comments do not count): changed=0, reads only
    renamed = [dict(k, public_key=material(k['public_key']) + ' other@host') for k in KEYS]
    outcome, calls = run(dict(args, ssh_keys_keys=renamed))
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert recap(outcome)['changed'] == 0 and writes(calls) == {}
    assert all(s['unchanged'] == ['alice', 'bob'] for s in summaries(outcome).values())

    # exclusive: the unlisted keys go (check mode first)
    exclusive = dict(args, ssh_keys_exclusive=True)
    outcome, calls = run(exclusive, check=True)
    assert outcome.rc == 0 and recap(outcome)['changed'] == 2 and writes(calls) == {}
    plans = summaries(outcome)
    assert plans['gl-main']['delete'] == [] and plans['hostup#1']['delete'] == ['ops-laptop']
    assert plans['ss']['delete'] == ['deploy@example.com', 'legacy-ssh2']
    assert serverspace_keys(serverspace) == ['alice', 'bob', 'deploy@example.com', 'legacy-ssh2']
    outcome, calls = run(exclusive)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert recap(outcome)['changed'] == 2 and sorted(writes(calls)) == ['hostup', 'serverspace']
    assert glesys_keys(glesys) == want and hostup_keys(hostup) == want
    assert serverspace_keys(serverspace) == ['alice', 'bob']
    outcome, calls = run(exclusive)
    assert outcome.rc == 0 and recap(outcome)['changed'] == 0 and writes(calls) == {}

    # absent: only the listed key goes, everywhere; then nothing
    gone = dict(args, ssh_keys_state='absent', ssh_keys_keys=[{'name': 'alice'}])
    outcome, calls = run(gone, check=True)
    assert outcome.rc == 0 and recap(outcome)['changed'] == 3 and writes(calls) == {}
    outcome, calls = run(gone)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert recap(outcome)['changed'] == 3 and sorted(writes(calls)) == ['glesys', 'hostup', 'serverspace']
    assert all(s['delete'] == ['alice'] for s in summaries(outcome).values())
    assert glesys_keys(glesys) == hostup_keys(hostup) == [('bob', material(BOB))]
    assert serverspace_keys(serverspace) == ['bob']
    outcome, calls = run(gone)
    assert outcome.rc == 0 and recap(outcome)['changed'] == 0 and writes(calls) == {}


def test_bad_input_fails_before_any_call(glesys, glesys_env, hostup, hostup_env, playbook):
    env = dict(glesys_env, **hostup_env)
    accounts = [{'provider': 'glesys', 'name': 'a'}, {'provider': 'hostup', 'name': 'a'}]
    keys = [{'name': 'alice', 'public_key': ALICE}, {'name': 'alice', 'public_key': BOB},
            {'name': 'carol'}, {'name': 'dave', 'public_key': 'ssh-ed25519 not!base64'}, {'name': ' ', 'public_key': BOB}]
    glesys.calls()
    hostup.calls()
    outcome = playbook(PLAY, {'ssh_keys_keys': keys, 'ssh_keys_accounts': accounts}, env=env)
    assert outcome.rc != 0 and outcome.task(ASSERT)['status'] == 'failed'
    msg = outcome.result(ASSERT)['msg']
    assert msg.startswith('ssh_keys: invalid input: ')
    assert 'the key name "alice" is listed 2 times in ssh_keys_keys' in msg
    assert 'ssh_keys_keys[2] (carol): public_key is required with ssh_keys_state=present.' in msg
    assert 'ssh_keys_keys[3] (dave): public_key is not an OpenSSH public key' in msg
    assert 'ssh_keys_keys[4]: name must not be empty.' in msg
    assert 'the account name "a" is used 2 times in ssh_keys_accounts' in msg
    assert glesys.calls() == [] and hostup.calls() == []

    # types and unknown options are checked by meta/argument_specs.yml
    outcome = playbook(PLAY, {'ssh_keys_keys': KEYS, 'ssh_keys_accounts': [{'provider': 'aws'}, {'hostup_key': 'x'}]},
                       env=env)
    assert outcome.rc != 0 and 'Validation of arguments failed' in outcome.stdout
    assert 'value of provider must be one of: glesys, hostkey, serverspace, hostup, skyport, got: aws' in outcome.stdout
    assert 'ssh_keys_accounts.hostup_key' in outcome.stdout
    assert glesys.calls() == [] and hostup.calls() == []


def test_force_and_account_options_over_play_defaults(glesys, glesys_env, playbook):
    """The account's options override the play's group defaults key by key; force is passed through."""
    from tests.simulators import glesys as glesys_module  # pylint: disable=import-outside-toplevel

    play_defaults = {'glesys_project': glesys_module.PROJECT, 'glesys_api_key': 'wrong-key', 'api_retries': 0}
    account = {'provider': 'glesys', 'glesys_api_key': glesys_module.API_KEY, 'api_url': glesys.url}
    args = {'ssh_keys_keys': [{'name': 'ci', 'public_key': ALICE}], 'ssh_keys_accounts': [account],
            'play_module_defaults': play_defaults}
    outcome = playbook(PLAY, args, env={}, verbosity=2)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert glesys_keys(glesys) == [('ci', material(ALICE))]
    assert glesys_module.API_KEY not in outcome.stdout + outcome.stderr

    # other key material under the same name: fails and names force, nothing written
    glesys.calls()
    changed = dict(args, ssh_keys_keys=[{'name': 'ci', 'public_key': BOB}])
    outcome = playbook(PLAY, changed, env={})
    assert outcome.rc != 0
    assert 'set force: true to replace it' in outcome.result(ENSURE)['results'][0]['msg']
    assert glesys.mutating(glesys.calls()) == [] and glesys_keys(glesys) == [('ci', material(ALICE))]

    # with ssh_keys_force: replaced (delete, then add)
    outcome = playbook(PLAY, dict(changed, ssh_keys_force=True), env={})
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert glesys.mutating(glesys.calls()) == ['sshkey/remove', 'sshkey/add']
    assert glesys_keys(glesys) == [('ci', material(BOB))]

    # the play's wrong key alone is refused by the API: the account's key really was the one used
    outcome = playbook(PLAY, dict(args, ssh_keys_accounts=[{'provider': 'glesys', 'api_url': glesys.url}]), env={})
    assert outcome.rc != 0 and 'wrong-key' not in outcome.stdout


def test_exclusive_rename_at_hostup(hostup, hostup_env, playbook):
    """HostUp refuses the same key material twice: a renamed key's old name goes before the new one is stored."""
    accounts = [{'provider': 'hostup', 'name': 'hu'}]
    outcome = playbook(PLAY, {'ssh_keys_keys': [{'name': 'old-name', 'public_key': ALICE}], 'ssh_keys_accounts': accounts},
                       env=hostup_env)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    seeded = [k for k in hostup_keys(hostup) if k[0] == 'ops-laptop']
    assert hostup_keys(hostup) == sorted([('old-name', material(ALICE))] + seeded)

    renamed = {'ssh_keys_keys': [{'name': 'new-name', 'public_key': ALICE}], 'ssh_keys_accounts': accounts,
               'ssh_keys_exclusive': True}
    hostup.calls()
    outcome = playbook(PLAY, renamed, env=hostup_env, check=True)
    assert outcome.rc == 0 and hostup.mutating(hostup.calls()) == []
    assert summaries(outcome)['hu']['delete'] == ['old-name', 'ops-laptop']
    outcome = playbook(PLAY, renamed, env=hostup_env)
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    assert [c['method'] for c in hostup.calls() if c['mutating']] == ['DELETE', 'POST', 'DELETE']  # old, new, seeded
    assert hostup_keys(hostup) == [('new-name', material(ALICE))]
    outcome = playbook(PLAY, renamed, env=hostup_env)
    assert outcome.rc == 0 and recap(outcome)['changed'] == 0 and hostup.mutating(hostup.calls()) == []
