# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""SSH keys: the logic behind ``sshkey`` and ``sshkey_info`` for every provider.

Identity is the name. Key material is compared by type + base64 blob (the comment does not
count). Different material under the same name is replaced (delete + add) only with
``force``; otherwise the module fails and says so.
"""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Resource, create_once, reconcile
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ApiError, ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import (
    SshKey,
    fingerprint,
    key_material,
    split_public_key,
)


def _material_or_none(public_key):
    try:
        return key_material(public_key)
    except ValidationError:
        return None


def view(key):
    return {'id': key.id, 'name': key.name, 'fingerprint': key.fingerprint, 'public_key': key.public_key}


class SshKeyResource(Resource):

    def __init__(self, api, name, public_key, force, provider, retries=5):
        self.api = api
        self.retries = retries
        self.name = name
        self.public_key = public_key.strip() if public_key else None
        self.force = force
        self.provider = provider

    def find(self):
        matches = [k for k in self.api.list() if k.name == self.name]
        if len(matches) > 1:
            ids = ', '.join(str(k.id) for k in matches)
            raise ApiError('%d SSH keys are named "%s" at %s (ids %s); the name must identify one key. Remove the '
                           'duplicates in the provider\'s panel.' % (len(matches), self.name, self.provider, ids))
        return matches[0] if matches else None

    def view(self, obj):
        return view(obj)

    def check_create(self):
        if not self.public_key:
            raise ValidationError('public_key is required to create the SSH key "%s".' % self.name)

    def predict_create(self):
        return SshKey(id=None, name=self.name, fingerprint=fingerprint(self.public_key), public_key=self.public_key)

    def create(self):
        return self.api.create(self.name, self.public_key)

    def changes(self, current):
        if not self.public_key:
            return {}
        if _material_or_none(current.public_key) == key_material(self.public_key):
            return {}
        if not self.force:
            raise ValidationError(
                'The SSH key "%s" exists at %s with different key material (fingerprint %s, wanted %s). Keys cannot '
                'be edited; set force: true to replace it (delete and add).'
                % (self.name, self.provider, current.fingerprint, fingerprint(self.public_key)))
        return {'public_key': self.public_key}

    def predict_update(self, current, changes):
        return SshKey(id=None, name=self.name, fingerprint=fingerprint(self.public_key), public_key=self.public_key)

    def update(self, current, changes):
        self.api.delete(current)
        return create_once(self.create, self.find, self.retries)

    def delete(self, current):
        self.api.delete(current)


def ensure(hm):
    """``hostcraft.cloud.sshkey``."""
    params = hm.params
    if params['public_key']:
        split_public_key(params['public_key'])
    if not params['name'] or not params['name'].strip():
        raise ValidationError('name must not be empty.')
    provider = hm.provider('sshkey')
    resource = SshKeyResource(provider.sshkeys, params['name'], params['public_key'], params['force'],
                              provider.title, provider.retries())
    outcome = reconcile(resource, params['state'], hm.check_mode, retries=provider.retries())
    return outcome.result('sshkey', diff=hm.diff)


def info(hm):
    """``hostcraft.cloud.sshkey_info``."""
    provider = hm.provider('sshkey_info')
    keys = provider.sshkeys.list()
    if hm.params.get('name'):
        keys = [k for k in keys if k.name == hm.params['name']]
    return {'changed': False, 'sshkeys': sorted((view(k) for k in keys), key=lambda k: (k['name'] or '', str(k['id'])))}
