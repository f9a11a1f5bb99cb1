# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Generic reconcile: find -> compare -> plan -> apply, check and diff aware.

A resource (see ``_resources/``) implements :class:`Resource`; :func:`reconcile` drives it.
In check mode nothing but ``find`` (reads) runs, and the after-state is predicted. Creates
go through :func:`create_once`, which never repeats a create blindly: after an ambiguous
failure it re-reads by identity first.
"""

from __future__ import annotations

import json
import time

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    ApiError,
    WaitTimeout,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import backoff_delay

POLL_START = 1.0
POLL_MAX = 10.0
POLL_FACTOR = 1.5


def normalized(value):
    """A JSON-clean copy with dict keys sorted (lists keep the order the resource gave)."""
    if value is None:
        return {}
    return json.loads(json.dumps(value, sort_keys=True, default=str))


class Outcome:
    """What a reconcile did (or would do in check mode)."""

    def __init__(self, changed, before, after, resource, actions=()):
        self.changed = changed
        self.before = normalized(before)
        self.after = normalized(after)
        self.resource = resource
        self.actions = list(actions)

    def result(self, key, diff=False):
        result = {'changed': self.changed, key: self.resource if self.resource is not None else {}}
        if diff:
            result['diff'] = {'before': self.before, 'after': self.after}
        return result


class Resource:
    """What :func:`reconcile` needs from a resource. ``current``/``desired`` are model records."""

    def find(self):
        """Return the current object or None. Reads only."""
        raise NotImplementedError

    def view(self, obj):
        """The dict shown in results and diffs for ``obj`` (never secrets)."""
        raise NotImplementedError

    def check_create(self):
        """Raise ValidationError when the options do not suffice to create."""

    def predict_create(self):
        """The object a create would make (for check mode)."""
        raise NotImplementedError

    def create(self):
        """Create; return the new object or None (then it is re-read with ``find``)."""
        raise NotImplementedError

    def after_create(self, created):
        """Called once with the created object (waits go here); returns the object to show."""
        return created

    def changes(self, current):
        """The differences that matter, as a dict (empty: nothing to do). May raise."""
        raise NotImplementedError

    def predict_update(self, current, changes):
        raise NotImplementedError

    def update(self, current, changes):
        """Apply ``changes``; return the new object or None (then re-read)."""
        raise NotImplementedError

    def delete(self, current):
        raise NotImplementedError


_UNSET = object()


def reconcile(resource, state, check_mode, retries=5, sleep=time.sleep, current=_UNSET):
    """Drive ``resource`` to ``state``. Pass ``current`` when the caller already looked it up."""
    if current is _UNSET:
        current = resource.find()
    before = resource.view(current) if current is not None else {}
    if state == 'absent':
        if current is None:
            return Outcome(False, {}, {}, None)
        if not check_mode:
            resource.delete(current)
        return Outcome(True, before, {}, None, ['delete'])
    if current is None:
        resource.check_create()
        if check_mode:
            after = resource.view(resource.predict_create())
            return Outcome(True, {}, after, after, ['create'])
        created = resource.after_create(create_once(resource.create, resource.find, retries, sleep))
        after = resource.view(created)
        return Outcome(True, {}, after, after, ['create'])
    changes = resource.changes(current)
    if not changes:
        return Outcome(False, before, before, before)
    if check_mode:
        after = resource.view(resource.predict_update(current, changes))
        return Outcome(True, before, after, after, ['update'])
    updated = resource.update(current, changes)
    if updated is None:
        updated = resource.find()
    after = resource.view(updated) if updated is not None else {}
    return Outcome(True, before, after, after, ['update'])


def create_once(create, find, retries=5, sleep=time.sleep):
    """Create exactly once: after an ambiguous failure, re-read by identity before a new try."""
    attempt = 0
    while True:
        try:
            created = create()
        except AmbiguousError as exc:
            found = find()
            if found is not None:
                return found
            if attempt >= retries:
                raise ApiError('%s A re-read found nothing, and %d attempt(s) are used up; nothing was created.'
                               % (exc, attempt + 1), provider=exc.provider, status=exc.status)
            sleep(exc.retry_after or backoff_delay(attempt))
            attempt += 1
            continue
        if created is None:
            created = find()
            if created is None:
                raise ApiError('The API accepted the create but the new object cannot be found on re-read.')
        return created


def wait_for(fetch, done, timeout, describe, what, sleep=time.sleep, clock=time.time):
    """Poll ``fetch()`` until ``done(value)``; back off 1 s -> 10 s; fail after ``timeout`` seconds.

    The timeout message names the last state seen (``describe(value)``).
    """
    deadline = clock() + timeout
    delay = POLL_START
    while True:
        value = fetch()
        if done(value):
            return value
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout('Timed out after %ss waiting for %s; last seen: %s.' % (timeout, what, describe(value)))
        sleep(min(delay, remaining))
        delay = min(delay * POLL_FACTOR, POLL_MAX)
