# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sshkey / sshkey_info end to end: ansible-playbook -> module -> adapter -> GleSYS simulator."""

from __future__ import annotations

import subprocess

KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD deploy@ci'
KEY_A_FP = 'SHA256:qgq5Xp5n/OcU3eU1wJJaGwWphvYt5F3KG5BRgfDpUBk'
KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1x2y3z4A5b6C7d8E9f0G1h2I3j4K5l6M7n8O9p0Q1r deploy@ci'
KEY_B_FP = 'SHA256:2ENJC/efZMS3D27LQQSd7AFTEORaVscAq/4TGy7vhJQ'
TASK = 'Ensure the key'


def stored(sim):
    return sorted((k['description'], k['data']) for k in _keys(sim.state()))


def _keys(state):
    keys = state.get('sshkeys', state.get('keys'))
    return list(keys.values()) if isinstance(keys, dict) else keys


def test_full_lifecycle(glesys, glesys_env, playbook):
    args = {'key_name': 'ci-deploy', 'public_key': KEY_A}

    # create in check mode: changed, predicted key, no mutating call
    run = playbook('sshkey.yml', args, env=glesys_env, check=True, diff=True)
    assert run.rc == 0, run.stdout
    res = run.result(TASK)
    assert res['changed'] is True
    assert res['sshkey'] == {'id': None, 'name': 'ci-deploy', 'fingerprint': KEY_A_FP, 'public_key': KEY_A}
    assert res['diff'] == {'before': {}, 'after': res['sshkey']}
    calls = glesys.calls()
    assert glesys.functions(calls) == ['sshkey/list'] and glesys.mutating(calls) == []
    assert stored(glesys) == []

    # create
    run = playbook('sshkey.yml', args, env=glesys_env)
    res = run.result(TASK)
    assert run.rc == 0 and res['changed'] is True
    assert res['sshkey']['id'] and res['sshkey']['fingerprint'] == KEY_A_FP
    assert glesys.functions(glesys.calls()) == ['sshkey/list', 'sshkey/add']
    assert stored(glesys) == [('ci-deploy', KEY_A)]

    # rerun: unchanged, one read; a different comment is the same key
    run = playbook('sshkey.yml', dict(args, public_key=KEY_A.replace('deploy@ci', 'other')), env=glesys_env,
                   diff=True)
    res = run.result(TASK)
    assert run.rc == 0 and res['changed'] is False
    assert res['diff']['before'] == res['diff']['after'] == res['sshkey']
    assert glesys.functions(glesys.calls()) == ['sshkey/list']

    # different key material without force: clear failure naming force, nothing written
    run = playbook('sshkey.yml', dict(args, public_key=KEY_B), env=glesys_env)
    res = run.result(TASK)
    assert run.rc != 0 and run.task(TASK)['status'] == 'failed'
    assert 'force: true' in res['msg'] and KEY_A_FP in res['msg'] and KEY_B_FP in res['msg']
    assert glesys.mutating(glesys.calls()) == []

    # ... in check mode with force: changed, predicted, no write
    run = playbook('sshkey.yml', dict(args, public_key=KEY_B, key_force=True), env=glesys_env, check=True)
    assert run.result(TASK)['changed'] is True and run.result(TASK)['sshkey']['fingerprint'] == KEY_B_FP
    assert glesys.mutating(glesys.calls()) == []
    assert stored(glesys) == [('ci-deploy', KEY_A)]

    # ... with force: replaced (remove + add)
    run = playbook('sshkey.yml', dict(args, public_key=KEY_B, key_force=True), env=glesys_env, diff=True)
    res = run.result(TASK)
    assert run.rc == 0 and res['changed'] is True
    assert res['diff']['before']['fingerprint'] == KEY_A_FP and res['diff']['after']['fingerprint'] == KEY_B_FP
    assert glesys.mutating(glesys.calls()) == ['sshkey/remove', 'sshkey/add']
    assert stored(glesys) == [('ci-deploy', KEY_B)]

    # info, filtered by name, credentials through module_defaults of group/hostcraft.cloud.all
    info_vars = {'project': glesys_env['GLESYS_PROJECT'], 'api_key': glesys_env['GLESYS_API_KEY'],
                 'api_url': glesys.url}
    run = playbook('sshkey_info.yml', dict(info_vars, key_name='ci-deploy'))
    res = run.result('List keys')
    assert run.rc == 0 and res['changed'] is False
    assert [(k['name'], k['fingerprint']) for k in res['sshkeys']] == [('ci-deploy', KEY_B_FP)]
    run = playbook('sshkey_info.yml', dict(info_vars, key_name='nope'))
    assert run.result('List keys')['sshkeys'] == []

    # absent in check mode, absent, absent again
    glesys.calls()
    run = playbook('sshkey.yml', dict(args, key_state='absent'), env=glesys_env, check=True)
    assert run.result(TASK)['changed'] is True and glesys.mutating(glesys.calls()) == []
    run = playbook('sshkey.yml', dict(args, key_state='absent'), env=glesys_env, diff=True)
    res = run.result(TASK)
    assert res['changed'] is True and res['diff']['after'] == {} and res['sshkey'] == {}
    assert glesys.mutating(glesys.calls()) == ['sshkey/remove']
    assert stored(glesys) == []
    run = playbook('sshkey.yml', dict(args, key_state='absent'), env=glesys_env)
    assert run.rc == 0 and run.result(TASK)['changed'] is False
    assert glesys.functions(glesys.calls()) == ['sshkey/list']


def test_wrong_key_fails_clearly_without_showing_it(glesys, glesys_env, playbook):
    env = dict(glesys_env, GLESYS_API_KEY='wrong-key-0123456789')
    run = playbook('sshkey.yml', {'key_name': 'x', 'public_key': KEY_A}, env=env, verbosity=3)
    res = run.result(TASK)
    assert run.rc != 0
    assert 'cannot authenticate to GleSYS as project cl12345' in res['msg']
    assert 'Authentication failed. Double check the username and key.' in res['msg']
    assert 'wrong-key-0123456789' not in run.stdout + run.stderr


def test_bad_input_fails_before_any_call(glesys, glesys_env, playbook):
    run = playbook('sshkey.yml', {'key_name': 'x', 'public_key': 'ssh-ed25519 not*base64'}, env=glesys_env)
    assert run.rc != 0 and 'base64' in run.result(TASK)['msg']
    run = playbook('sshkey.yml', {'key_name': 'x'}, env=glesys_env)
    assert run.rc != 0 and 'public_key' in run.result(TASK)['msg']
    env = dict(glesys_env)
    del env['GLESYS_API_KEY']
    run = playbook('sshkey.yml', {'key_name': 'x', 'public_key': KEY_A}, env=env)
    assert 'glesys_api_key (or the environment variable GLESYS_API_KEY)' in run.result(TASK)['msg']
    run = playbook('sshkey.yml', {'key_name': 'x', 'public_key': KEY_A, 'key_provider': 'skyport'}, env=glesys_env)
    assert run.result(TASK)['msg'] == ('provider skyport cannot manage SSH keys: Skyport instances are containers on a '
                                       'node; there are no SSH keys to manage')
    assert glesys.calls() == []


def test_429_then_success_is_retried_once(glesys, glesys_env, playbook):
    glesys.faults({'path': '/sshkey/list', 'action': 'respond', 'status': 429, 'headers': {'Retry-After': '1'},
                   'body': '', 'times': 1})
    run = playbook('sshkey.yml', {'key_name': 'k', 'public_key': KEY_A}, env=glesys_env)
    assert run.rc == 0 and run.result(TASK)['changed'] is True
    calls = glesys.calls()
    assert [(f, c['status']) for f, c in zip(glesys.functions(calls), calls)] == [
        ('sshkey/list', 429), ('sshkey/list', 200), ('sshkey/add', 200)]


def test_lost_create_answer_is_not_duplicated(glesys, glesys_env, playbook):
    glesys.faults({'path': '/sshkey/add', 'action': 'drop_after', 'times': 1})
    run = playbook('sshkey.yml', {'key_name': 'k', 'public_key': KEY_A}, env=glesys_env)
    assert run.rc == 0, run.stdout
    assert run.result(TASK)['changed'] is True
    assert glesys.functions(glesys.calls()) == ['sshkey/list', 'sshkey/add', 'sshkey/list']
    assert stored(glesys) == [('k', KEY_A)]


def test_refused_create_is_retried_after_reread(glesys, glesys_env, playbook):
    glesys.faults({'path': '/sshkey/add', 'action': 'respond', 'status': 503, 'body': 'maintenance', 'times': 1})
    run = playbook('sshkey.yml', {'key_name': 'k', 'public_key': KEY_A}, env=glesys_env)
    assert run.rc == 0, run.stdout
    assert glesys.functions(glesys.calls()) == ['sshkey/list', 'sshkey/add', 'sshkey/list', 'sshkey/add']
    assert stored(glesys) == [('k', KEY_A)]


def test_vvv_output_never_shows_the_key(glesys, glesys_env, playbook):
    run = playbook('sshkey.yml', {'key_name': 'k', 'public_key': KEY_A}, env=glesys_env, verbosity=3)
    assert run.rc == 0
    assert glesys_env['GLESYS_API_KEY'] not in run.stdout + run.stderr
    info_vars = {'project': glesys_env['GLESYS_PROJECT'], 'api_key': glesys_env['GLESYS_API_KEY'],
                 'api_url': glesys.url}
    run = playbook('sshkey_info.yml', info_vars, verbosity=3)
    assert run.rc == 0
    assert glesys_env['GLESYS_API_KEY'] not in run.stdout + run.stderr


def test_doc_renders(ansible_env):
    import os
    import sys
    doc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-doc'), 'hostcraft.cloud.sshkey'],
                         env=ansible_env, capture_output=True, text=True, check=False)
    assert doc.returncode == 0 and 'force' in doc.stdout
