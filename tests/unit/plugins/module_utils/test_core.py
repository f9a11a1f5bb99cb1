# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared core: HTTP policy helpers, redaction, model, engine, capabilities, registry."""

from __future__ import annotations

import base64
import email.utils

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils import _http
from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import (
    Resource,
    create_once,
    reconcile,
    wait_for,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    Unsupported,
    ValidationError,
    WaitTimeout,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    as_bool,
    as_int,
    as_list,
    fingerprint,
    key_material,
    split_public_key,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import (
    ADAPTERS,
    open_provider,
)

# Made with ssh-keygen -t ed25519; fingerprint from `ssh-keygen -lf`.
REAL_KEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rDwAHpz0Ylk0v+H8JIvfVPoS5nJc3ZVD3DFJXhxqD test@x')


@pytest.mark.parametrize('value,expected', [
    ('3', 3.0), ('0', 1.0), ('120', 60.0), ('1.5', 1.5), (None, None), ('soon', None),
])
def test_retry_after_clamped(value, expected):
    assert _http.parse_retry_after(value) == expected


def test_retry_after_http_date():
    now = 1_700_000_000
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert _http.parse_retry_after(date, now=now) == 7


def test_backoff_grows_to_ten():
    assert [_http.backoff_delay(i) for i in range(6)] == [1, 2, 4, 8, 10, 10]


def test_redactor_masks_plain_encoded_and_basic_auth_forms():
    redact = _http.Redactor()
    redact.add('s3cr3t/key+1', user='cl1')
    token = base64.b64encode(b'cl1:s3cr3t/key+1').decode()
    text = 'k=s3cr3t/key+1 q=s3cr3t%2Fkey%2B1 h=Basic ' + token
    out = redact(text)
    assert 's3cr3t' not in out and token not in out
    assert out.count('********') == 3
    assert redact({'a': ['s3cr3t/key+1']}) == {'a': ['********']}


def test_redactor_ignores_tiny_values():
    redact = _http.Redactor(['ab'])
    assert redact('abc') == 'abc'


def test_fingerprint_matches_ssh_keygen():
    # `ssh-keygen -lf` of the key above prints this fingerprint
    assert fingerprint(REAL_KEY) == 'SHA256:qgq5Xp5n/OcU3eU1wJJaGwWphvYt5F3KG5BRgfDpUBk'
    assert fingerprint(REAL_KEY) == fingerprint(REAL_KEY.replace(' test@x', ' other comment'))
    assert fingerprint(REAL_KEY).startswith('SHA256:') and not fingerprint(REAL_KEY).endswith('=')


@pytest.mark.parametrize('bad', ['', 'ssh-ed25519', 'ssh-ed25519 AAA*bad', 'ssh-rsa AAAAB3NzaC1yc2E',
                                 'just-one-word'])
def test_bad_public_keys_fail(bad):
    with pytest.raises(ValidationError):
        split_public_key(bad)


def test_key_material_ignores_comment_and_whitespace():
    assert key_material('  ssh-rsa AAAA  c1 ') == key_material('ssh-rsa AAAA other')


def test_coercion():
    assert as_int('42') == 42 and as_int(None) is None and as_int('x') is None and as_int(True) is None
    assert as_bool('yes') is True and as_bool('no') is False and as_bool(1) is True and as_bool('?') is None
    assert as_list(None) == [] and as_list({'a': 1}) == [{'a': 1}] and as_list({'item': [1, 2]}) == [1, 2]


class FakeResource(Resource):
    def __init__(self, current=None, changes=None):
        self.current = current
        self._changes = changes or {}
        self.calls = []

    def find(self):
        self.calls.append('find')
        return self.current

    def view(self, obj):
        return dict(obj)

    def predict_create(self):
        return {'name': 'x', 'z': 1, 'a': 2}

    def create(self):
        self.calls.append('create')
        return {'name': 'x', 'id': 1}

    def changes(self, current):
        return self._changes

    def predict_update(self, current, changes):
        return dict(current, **changes)

    def update(self, current, changes):
        self.calls.append('update')
        return dict(current, **changes)

    def delete(self, current):
        self.calls.append('delete')


def test_reconcile_check_mode_only_reads():
    for res, state in ((FakeResource(), 'present'), (FakeResource({'name': 'x'}, {'v': 2}), 'present'),
                       (FakeResource({'name': 'x'}), 'absent')):
        outcome = reconcile(res, state, check_mode=True)
        assert outcome.changed is True
        assert res.calls == ['find']


def test_reconcile_create_diff_sorted():
    outcome = reconcile(FakeResource(), 'present', check_mode=True)
    assert list(outcome.after) == ['a', 'name', 'z']
    assert outcome.result('thing', diff=True)['diff'] == {'before': {}, 'after': {'a': 2, 'name': 'x', 'z': 1}}
    assert 'diff' not in outcome.result('thing', diff=False)


def test_reconcile_unchanged_and_absent_twice():
    res = FakeResource({'name': 'x'})
    outcome = reconcile(res, 'present', check_mode=False)
    assert outcome.changed is False and res.calls == ['find']
    outcome = reconcile(FakeResource(None), 'absent', check_mode=False)
    assert outcome.changed is False


def test_create_once_rereads_after_ambiguous_failure():
    attempts = []
    state = {'created': False}

    def create():
        attempts.append(1)
        state['created'] = True
        raise AmbiguousError('lost answer')

    found = create_once(create, lambda: {'id': 1} if state['created'] else None, sleep=lambda s: None)
    assert found == {'id': 1} and len(attempts) == 1


def test_create_once_gives_up_after_retries():
    slept = []

    def create():
        raise AmbiguousError('HTTP 503', retry_after=4)

    with pytest.raises(ApiError, match='3 attempt'):
        create_once(create, lambda: None, retries=2, sleep=slept.append)
    assert slept == [4, 4]


def test_wait_for_times_out_naming_last_state():
    clock = {'t': 0.0}

    def sleep(seconds):
        clock['t'] += seconds

    with pytest.raises(WaitTimeout, match='last seen: locked'):
        wait_for(lambda: 'locked', lambda v: False, 5, lambda v: v, 'unlock', sleep=sleep, clock=lambda: clock['t'])
    assert clock['t'] == pytest.approx(5.0)


def test_capabilities_fail_before_any_call():
    with pytest.raises(Unsupported, match='provider skyport cannot manage SSH keys: Skyport instances are containers'):
        open_provider('skyport', {}, 'sshkey')
    with pytest.raises(Unsupported, match='provider glesys cannot manage panel users: '):
        open_provider('glesys', {}, 'user')


def test_missing_credentials_named_with_env_var():
    with pytest.raises(ValidationError, match='glesys_api_key \\(or the environment variable GLESYS_API_KEY\\)'):
        open_provider('glesys', {'glesys_project': 'cl1'}, 'sshkey')


def test_every_adapter_declares_credentials_and_capabilities():
    for name, cls in ADAPTERS.items():
        assert cls.name == name
        assert cls.capabilities.provider == name
        assert cls.credentials
