# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""``user`` and ``node_info`` (Skyport panel): users by username, nodes read-only.

The panel can create users over its API but neither change nor delete them, and it loses
writes made at the same time (each list is one stored value): a create is verified in the
user list and made again while the list does not show it (the username check of the panel
makes a second create of a stored user fail with 409, so this never duplicates a user).
"""

from __future__ import annotations

import random
import re
import time

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Resource, reconcile
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ApiError, Conflict, ValidationError

VERIFY_ATTEMPTS = 3
SHOWN = ('user_id', 'username', 'email', 'admin')
UI_HINT = 'change it in the panel\'s admin UI (Admin > Users)'


class UserResource(Resource):

    def __init__(self, provider, params, sleep=time.sleep):
        self.provider = provider
        self.params = params
        self.username = params['username']
        self.sleep = sleep
        self.lost_writes = 0

    def find(self, refresh=False):
        found = [u for u in self.provider.users(refresh=refresh) if u['username'] == self.username]
        return found[0] if found else None

    def view(self, obj):
        return dict((k, obj.get(k)) for k in SHOWN) if obj else {}

    def check_create(self):
        missing = [o for o in ('email', 'password') if not self.params.get(o)]
        if missing:
            raise ValidationError('user "%s" does not exist; creating it needs %s.' % (self.username, ' and '.join(missing)))
        taken = [u for u in self.provider.users() if self.params['email'] == u['email']]
        if taken:
            raise ValidationError('user "%s" cannot be created: the email %s belongs to user "%s" already.'
                                  % (self.username, self.params['email'], taken[0]['username']))

    def predict_create(self):
        return {'user_id': self.params.get('user_id'), 'username': self.username, 'email': self.params['email'],
                'admin': bool(self.params.get('admin'))}

    def create(self):
        spec = dict((k, self.params.get(k)) for k in ('username', 'email', 'password', 'admin', 'user_id'))
        for attempt in range(VERIFY_ATTEMPTS):
            try:
                self.provider.create_user(spec)
            except Conflict:
                pass  # stored meanwhile (by us before a lost answer, or by another task): the list decides
            found = self.find(refresh=True)
            if found is not None:
                return found
            self.lost_writes += 1
            # spread the next try, so tasks that lost their writes together do not write together again
            self.sleep(0.5 * (attempt + 1) + random.uniform(0, 1.5))  # nosec B311 - timing jitter, not security
        raise ApiError('Skyport answered the creation of user "%s" %d times, but its user list never showed it: the panel '
                       'lost the writes to concurrent ones. Run tasks that write to one panel with throttle: 1 (see '
                       'docs/skyport.md).' % (self.username, VERIFY_ATTEMPTS), provider='skyport')

    def changes(self, current):
        drift = []
        for option, have in (('email', current['email']), ('admin', current['admin']), ('user_id', current['user_id'])):
            want = self.params.get(option)
            if want is not None and want != have:
                drift.append('%s is %s, wanted %s' % (option, have, want))
        if drift:
            raise ValidationError('user "%s" differs: %s. The Skyport API cannot change users; %s.'
                                  % (self.username, '; '.join(drift), UI_HINT))
        return {}

    def delete(self, current):  # pragma: no cover - refused in ensure() before reconcile
        raise AssertionError('users are never deleted')


def _validate(params):
    if not params['username'] or params['username'] != params['username'].strip():
        raise ValidationError('username must not be empty or start or end with spaces.')
    email = params.get('email')
    if email is not None and not re.match(r'^[^@\s]+@[^@\s]+$', email):
        raise ValidationError('email "%s" is not an e-mail address.' % email)
    if params.get('password') is not None and not params['password']:
        raise ValidationError('password must not be empty.')


def ensure(hm):
    """``hostcraft.cloud.user``."""
    params = hm.params
    _validate(params)
    provider = hm.provider('user')
    resource = UserResource(provider, params)
    current = resource.find()
    if params['state'] == 'absent' and current is not None:
        raise ValidationError('user "%s" exists, and the Skyport API cannot delete users; delete it in the panel\'s admin '
                              'UI (Admin > Users).' % params['username'])
    outcome = reconcile(resource, params['state'], hm.check_mode, retries=provider.retries(), current=current)
    result = outcome.result('user', diff=hm.diff)
    if outcome.after:
        found = resource.find()  # the list read last (refreshed after a create); None in check mode before a create
        result['user'] = dict((k, v) for k, v in found.items() if k != 'provider_data') if found else outcome.after
    if resource.lost_writes:
        result['warnings'] = ['Skyport lost %d write(s) of user "%s" to concurrent ones; they were made again. Run '
                              'tasks that write to one panel with throttle: 1.' % (resource.lost_writes, params['username'])]
    return result


def nodes(hm):
    """``hostcraft.cloud.node_info``."""
    provider = hm.provider('node_info')
    found = provider.nodes()
    if hm.params.get('name'):
        found = [n for n in found if hm.params['name'] in (n['name'], n['id'])]
    return {'changed': False, 'nodes': found}
