# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""HostUp transport (providers/hostup.md sections 2-5): two API generations on one host.

* v2 (``/api/v2/...``): bare JSON bodies, cursor lists ``{data, hasMore, nextCursor}``, errors as RFC 7807
  problem documents with a lower_snake ``code``; asynchronous actions answer 202 ``{operation: {...}}``.
* v1 (``/api/...``): the envelope ``{success, timestamp, requestId, data}``; errors ``{error, message, code}``
  with an UPPER_SNAKE ``code``; a 429 may carry the wait in the body (``retryAfter``).

Both take ``Authorization: Bearer <key>``. Jobs (``/api/jobs/{id}``) are read in either shape.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFound,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import MalformedResponse
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import as_bool, as_list, as_str

PROVIDER = 'hostup'
TITLE = 'HostUp'
NOT_READY = 'vps_not_ready'
JOB_DONE = ('completed', 'succeeded', 'success', 'done', 'finished')
JOB_FAILED = ('failed', 'error', 'cancelled', 'canceled')
JOB_TIMEOUT = 600


def decode(text):
    """The JSON body; ``{}`` for an empty body; None when it is not JSON."""
    if not (text or '').strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return None


def describe(body, text=''):
    """``(code, message)`` from a v2 problem document or a v1 error body (never raises)."""
    if not isinstance(body, dict):
        return None, ' '.join((text or '').split())[:200] or 'no message'
    code = as_str(body.get('code'))
    message = as_str(body.get('detail')) or as_str(body.get('message')) or as_str(body.get('title')) \
        or as_str(body.get('error')) or 'no message'
    fields = []
    for item in as_list(body.get('errors')) + as_list(body.get('details')):
        if isinstance(item, dict):
            where = as_str(item.get('pointer')) or as_str(item.get('field')) or ''
            what = as_str(item.get('detail')) or as_str(item.get('message')) or as_str(item.get('code')) or ''
            fields.append(('%s: %s' % (where, what)) if where else what)
    if fields:
        message = '%s (%s)' % (message, '; '.join(f for f in fields if f))
    request_id = as_str(body.get('requestId'))
    if request_id:
        message = '%s [request %s]' % (message, request_id)
    return code, message


class HostupClient:
    """One account: ``v2``/``v1`` calls, cursor paging, job polling."""

    def __init__(self, http, sleep=None, clock=time.time):
        self.http = http
        self._sleep = sleep
        self.clock = clock

    @property
    def sleep(self):
        return self._sleep or self.http.sleep

    @sleep.setter
    def sleep(self, value):
        self._sleep = value

    # --- one call -----------------------------------------------------------------------------

    @staticmethod
    def _parse(response):
        body = decode(response.text)
        if not isinstance(body, dict):
            raise MalformedResponse('not a JSON object')
        return body

    @staticmethod
    def _refused(response):
        """Never a proof of refusal by itself; a v1 429 gets its body ``retryAfter`` as ``Retry-After``."""
        if response.status == 429 and response.header('Retry-After') is None:
            body = decode(response.text)
            wait = as_str(body.get('retryAfter')) if isinstance(body, dict) else None
            if wait:
                response.headers['Retry-After'] = wait
        return False

    def call(self, method, path, body=None, params=None, idempotent=None, v1=False, envelope=False):
        """Send one call to ``/api/v2/<path>`` (or ``/api/<path>`` with ``v1``); return the decoded body.

        v1 answers are unwrapped (``data``) unless ``envelope``; ``success: false`` is an error. Errors raise
        :class:`AuthError`, :class:`NotFound`, :class:`Conflict` (with ``code``) or :class:`ApiError`.
        """
        full = path if path.startswith('/') else ('/api/' if v1 else '/api/v2/') + path
        headers = {'Accept': 'application/json'}
        response = self.http.request(method, full, params=params, json_body=body, idempotent=idempotent,
                                     parse=self._parse, refused=self._refused, headers=headers)
        where = '%s %s' % (method, full)
        if 200 <= response.status < 300:
            data = response.data if response.data is not None else {}
            if v1 or ('success' in data and 'data' in data):
                if data.get('success') is False:
                    dummy, message = describe(data)
                    raise ApiError('HostUp %s answered success=false: %s' % (where, self.http.redact(message)),
                                   provider=PROVIDER, status=response.status)
                if envelope:
                    return data
                inner = data.get('data')
                return inner if isinstance(inner, (dict, list)) else {}
            return data
        body = decode(response.text)
        code, message = describe(body, response.text)
        message = self.http.redact(message)
        status = response.status
        if status == 401:
            raise AuthError('cannot authenticate to HostUp: %s. Check hostup_api_key (HOSTUP_API_KEY); a key may also be '
                            'limited to IP addresses in the panel.' % message, provider=PROVIDER, status=401, code=code)
        if status == 403:
            raise AuthError('HostUp refused %s: %s. The API key lacks the scope this needs (for example read:vm, '
                            'power:vm, write:vm, read:dns, write:dns, read:domains, write:account); add it in the panel '
                            '(API management).' % (where, message), provider=PROVIDER, status=403, code=code)
        if status == 404:
            raise NotFound('HostUp %s: %s' % (where, message), provider=PROVIDER, status=404, code=code)
        if status == 409:
            raise Conflict('HostUp %s: %s%s' % (where, message, ' (code %s)' % code if code else ''), provider=PROVIDER,
                           status=409, code=code)
        raise ApiError('HostUp %s failed (HTTP %s%s): %s' % (where, status, ', code %s' % code if code else '', message),
                       provider=PROVIDER, status=status, code=code)

    # --- lists ---------------------------------------------------------------------------------

    def pages(self, path, limit, params=None, key='data'):
        """Every item of a v2 cursor list (``limit`` = the route's maximum page size)."""
        items, cursor, seen = [], None, set()
        while True:
            query = dict(params or {})
            query['limit'] = limit
            if cursor:
                query['cursor'] = cursor
            body = self.call('GET', path, params=query)
            page = body.get(key)
            if page is None and body:
                raise ApiError('HostUp GET /api/v2/%s answered without "%s" (keys seen: %s).'
                               % (path, key, ', '.join(sorted(body))), provider=PROVIDER)
            items.extend(i for i in as_list(page) if isinstance(i, dict))
            cursor = as_str(body.get('nextCursor'))
            if not as_bool(body.get('hasMore')) or not cursor:
                return items
            if cursor in seen:
                raise ApiError('HostUp GET /api/v2/%s returned the cursor %s twice; stopping to avoid a loop.'
                               % (path, cursor), provider=PROVIDER)
            seen.add(cursor)

    # --- jobs ----------------------------------------------------------------------------------

    def job_path(self, operation):
        """The path to poll for an ``operation`` (``pollUrl``, else ``/api/jobs/<jobId>``), or None."""
        poll = as_str(operation.get('pollUrl'))
        if poll:
            if poll.startswith(('http://', 'https://')):
                parts = urlsplit(poll)
                poll = parts.path + ('?' + parts.query if parts.query else '')
            return poll if poll.startswith('/') else '/' + poll
        job = as_str(operation.get('jobId'))
        return '/api/jobs/%s' % job if job else None

    @staticmethod
    def job_state(body):
        """``'done'``, ``'failed'`` or ``'running'`` from a job in the v1 envelope, a bare body or an operation."""
        job = body
        if isinstance(job, dict) and isinstance(job.get('operation'), dict):
            job = job['operation']
        if isinstance(job, dict) and isinstance(job.get('data'), dict):
            job = job['data']
        if not isinstance(job, dict):
            return 'running', {}
        if as_bool(job.get('isFailed')):
            return 'failed', job
        if as_bool(job.get('isCompleted')):
            result = job.get('result')
            if isinstance(result, dict) and as_bool(result.get('success')) is False:
                return 'failed', job
            return 'done', job
        status = (as_str(job.get('status')) or as_str(job.get('state')) or '').lower()
        if status in JOB_DONE:
            return 'done', job
        if status in JOB_FAILED:
            return 'failed', job
        return 'running', job

    def follow(self, operation, what, timeout=JOB_TIMEOUT):
        """Poll the job of ``operation`` with backoff until it completed; fail when it failed."""
        state, job = self.job_state({'operation': operation})
        path = self.job_path(operation)
        if state == 'running' and path:
            def fetch():
                return self.job_state(self.call('GET', path))

            state, job = wait_for(fetch, lambda s: s[0] != 'running', timeout,
                                  lambda s: 'job %s' % ((s[1].get('status') or s[1].get('state')) if s[1] else 'running'),
                                  'the HostUp job for %s' % what, sleep=self.sleep, clock=self.clock)
        if state == 'failed':
            reason = as_str(job.get('progressMessage')) or as_str(job.get('error')) or as_str(job.get('message'))
            result = job.get('result')
            if not reason and isinstance(result, dict):
                reason = as_str(result.get('error')) or as_str(result.get('message'))
            job_id = as_str(job.get('jobId')) or as_str(operation.get('jobId')) or '?'
            raise ApiError('HostUp job %s for %s failed: %s' % (job_id, what, self.http.redact(reason or 'no reason given')),
                           provider=PROVIDER)
        return job
