# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""HOSTKEY invapi transport (providers/hostkey.md sections 1-4).

* ``POST <base>/<module>.php`` with a form body; ``action`` selects the function, ``token`` authenticates.
  Some modules take flat fields, others ``params[...]`` (arrays as ``params[x][]``): callers say which.
* Business errors come back with HTTP 200 in several envelopes; :func:`classify` knows them all.
* The API key is exchanged for a session token (``auth.php login``). Tokens are cached between
  tasks in ``$XDG_CACHE_HOME/hostcraft`` (mode 0600, keyed by a hash of the key and URL) and renewed
  on expiry; a call refused for an invalid token triggers one re-login and one replay.
* Asynchronous actions answer with a ``callback`` key polled on ``eq_callback.php``; the first OK
  body is the result (the key is consumed by reading it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    ApiError,
    AuthError,
    Conflict,
    NotFound,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import MalformedResponse
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import as_int, as_str
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import cache_dir

TOKEN_TTL = 3600
TOKEN_MARGIN = 120
AUTH_MARKERS = ('invalid token', 'invalid hash', 'token expired', 'not authorized', 'token not found')
NOT_FOUND_MARKERS = ('not found', 'no such', 'unknown server', 'server not exist', 'does not exist',
                     'this is not your server')
FAILURE_WORDS = ('cancelled', 'canceled', 'failed', 'failure', 'error', 'aborted', 'invalid pin')
PENDING = 'pending'
OK = 'ok'


class HostkeyAnswer:
    """A classified answer: ``kind`` is ``ok``, ``pending`` or ``error``."""

    def __init__(self, kind, body, message=None, code=None, auth=False):
        self.kind = kind
        self.body = body
        self.message = message
        self.code = code
        self.auth = auth


def classify(body, status=200):
    """Classify every envelope of the fact sheet (section 3)."""
    if not isinstance(body, dict):
        return HostkeyAnswer('error', body, 'unexpected answer: %r' % (body,))
    result = body.get('result')
    code = body.get('code')
    if isinstance(code, (int, str)) and as_int(code) is not None and as_int(code) < 0:
        message = as_str(body.get('message')) or as_str(body.get('error')) or 'error %s' % code
        return HostkeyAnswer('error', body, message, code, _is_auth(message))
    if as_str(result) in ('-1', '-2'):
        message = as_str(body.get('error')) or as_str(body.get('message')) or 'error %s' % result
        details = body.get('details')
        if details and isinstance(details, str):
            message = '%s (%s)' % (message, details)
        return HostkeyAnswer('error', body, message, as_str(body.get('code')),
                             as_str(result) == '-2' or _is_auth(message))
    if isinstance(result, str) and result.lower() in ('fail', 'failed', 'error'):
        return HostkeyAnswer('error', body, _scope_text(body) or result)
    if isinstance(result, str) and result.lower() in ('not ready', 'stage'):
        return HostkeyAnswer(PENDING, body)
    if status >= 400:
        return HostkeyAnswer('error', body, as_str(body.get('message')) or as_str(body.get('error')) or 'HTTP %s' % status,
                             auth=status in (401, 403))
    return HostkeyAnswer(OK, body)


def _is_auth(message):
    text = (message or '').lower()
    return any(marker in text for marker in AUTH_MARKERS)


def _scope_text(body):
    parts = []
    for field in ('scope', 'debug'):
        value = body.get(field)
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        if value not in (None, ''):
            parts.append(str(value))
    return ' / '.join(parts)


def parse_scope(body):
    """``scope`` as a dict when it is JSON (string or object), else ``{'text': scope}``."""
    scope = body.get('scope')
    if isinstance(scope, dict):
        return scope
    if isinstance(scope, str):
        try:
            value = json.loads(scope)
            if isinstance(value, dict):
                return value
        except ValueError:
            pass
        return {'text': scope}
    return {}


def encode(action, token=None, fields=None, params=None):
    """The form body as a list of tuples (repeated keys survive): flat ``fields`` and ``params[...]``."""
    data = [('action', action)]
    if token:
        data.append(('token', token))
    for name, value in (fields or {}).items():
        data.extend(_pairs(name, value))
    for name, value in (params or {}).items():
        data.extend(_pairs('params[%s]' % name, value))
    return data


def _pairs(name, value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [('%s[]' % name, _scalar(v)) for v in value]
    return [(name, _scalar(value))]


def _scalar(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value)


class TokenCache:
    """One file per API key and URL, mode 0600, holding ``{token, token_expire}``."""

    def __init__(self, api_key, base_url, clock=time.time):
        digest = hashlib.sha256(('%s\n%s' % (base_url, api_key)).encode('utf-8')).hexdigest()[:32]
        self.path = os.path.join(cache_dir(), 'hostkey-%s.json' % digest)
        self.clock = clock

    def load(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (IOError, OSError, ValueError):
            return None
        token, expire = as_str(data.get('token')), as_int(data.get('token_expire'))
        if not token or expire is None or expire - TOKEN_MARGIN <= self.clock():
            return None
        return token

    def save(self, token, expire):
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix='.hostkey-', dir=directory)
            try:
                os.fchmod(handle, 0o600)
                with os.fdopen(handle, 'w') as out:
                    json.dump({'token': token, 'token_expire': expire}, out)
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        except (IOError, OSError):
            pass  # a cache that cannot be written only costs a login next time

    def drop(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass


class HostkeyClient:
    """Calls ``<module>.php`` actions with a cached session token; polls async callbacks."""

    def __init__(self, http, api_key, pin=None, sleep=time.sleep, clock=time.time):
        self.http = http
        self.api_key = api_key
        self.pin = pin
        self.sleep = sleep
        self.clock = clock
        self.cache = TokenCache(api_key, http.base_url, clock)
        self._token = None
        self._lock = threading.Lock()
        self.logins = 0

    # --- raw calls ------------------------------------------------------------------------------

    @staticmethod
    def _parse(response):
        try:
            return json.loads(response.text)
        except ValueError as exc:
            raise MalformedResponse('invalid JSON: %s' % exc)

    def _post(self, module, data, idempotent):
        response = self.http.request('POST', '/%s.php' % module, data=data, idempotent=idempotent, parse=self._parse)
        body = response.data
        if body is None:
            try:
                body = json.loads(response.text)
            except ValueError:
                body = {'result': -1, 'error': 'HTTP %s: %s' % (response.status, (response.text or '')[:200])}
        return classify(body, response.status)

    def _fail(self, module, action, answer):
        message = self.http.redact(answer.message or 'unknown error')
        where = '%s/%s' % (module, action)
        if answer.auth:
            raise AuthError('HOSTKEY refused %s: %s. Check hostkey_api_key (HOSTKEY_API_KEY).' % (where, message),
                            provider='hostkey', code=answer.code)
        lowered = message.lower()
        if any(marker in lowered for marker in NOT_FOUND_MARKERS):
            raise NotFound('HOSTKEY %s: %s' % (where, message), provider='hostkey', code=answer.code)
        if 'in progress' in lowered or 'please wait' in lowered:
            raise Conflict('HOSTKEY %s: %s' % (where, message), provider='hostkey', code=answer.code)
        raise ApiError('HOSTKEY %s failed: %s' % (where, message), provider='hostkey', code=answer.code)

    # --- session ---------------------------------------------------------------------------------

    def login(self):
        answer = self._post('auth', encode('login', fields={'key': self.api_key, 'ttl': TOKEN_TTL}), idempotent=True)
        self.logins += 1
        if answer.kind != OK:
            message = self.http.redact(answer.message or 'login failed')
            if answer.code == 'NO_APPROPRIATE_SERVERS' or 'no appropriate servers' in message.lower():
                raise AuthError('cannot authenticate to HOSTKEY: %s. invapi refuses keys of accounts without servers; '
                                'order the first server in the panel.' % message, provider='hostkey')
            raise AuthError('cannot authenticate to HOSTKEY: %s. Check hostkey_api_key (HOSTKEY_API_KEY).' % message,
                            provider='hostkey')
        result = answer.body.get('result') if isinstance(answer.body.get('result'), dict) else answer.body
        token = as_str(result.get('token'))
        if not token:
            raise ApiError('HOSTKEY auth/login answered without a token.', provider='hostkey')
        self.http.redact.add(token)
        expire = as_int(result.get('token_expire')) or int(self.clock()) + TOKEN_TTL
        self.cache.save(token, expire)
        return token

    def token(self, renew=False):
        with self._lock:
            if renew:
                self.cache.drop()
                self._token = None
            if self._token is None:
                cached = None if renew else self.cache.load()
                if cached:
                    self.http.redact.add(cached)
                self._token = cached or self.login()
            return self._token

    # --- calls -----------------------------------------------------------------------------------

    def call(self, module, action, fields=None, params=None, idempotent=True, auth=True):
        """One action; returns the success body. An invalid token is renewed once and the call replayed."""
        for attempt in (0, 1):
            token = self.token(renew=attempt == 1) if auth else None
            answer = self._post(module, encode(action, token, fields, params), idempotent)
            if answer.kind == 'error' and answer.auth and auth and attempt == 0:
                continue  # the API refused the call: a replay after re-login cannot duplicate anything
            if answer.kind == 'error':
                self._fail(module, action, answer)
            return answer.body
        return None  # pragma: no cover

    def wait_callback(self, key, timeout, what):
        """Poll ``eq_callback.php check`` until OK (returned), failure or ``timeout``."""
        seen = {}

        def fetch():
            answer = self._post('eq_callback', encode('check', fields={'key': key}), idempotent=True)
            seen['answer'] = answer
            return answer

        def done(answer):
            return answer.kind != PENDING

        answer = wait_for(fetch, done, timeout, lambda a: _scope_text(a.body) or as_str(a.body.get('result')),
                          what, sleep=self.sleep, clock=self.clock)
        if answer.kind == 'error':
            message = self.http.redact(answer.message or '')
            if 'asynckey not found' in message.lower():
                raise ApiError('HOSTKEY callback %s for %s is unknown or was already read.' % (key, what),
                               provider='hostkey')
            raise ApiError('HOSTKEY %s failed: %s' % (what, message), provider='hostkey')
        text = _scope_text(answer.body).lower()
        if any(word in text for word in FAILURE_WORDS) and 'deploy_done' not in text:
            raise ApiError('HOSTKEY %s failed: %s' % (what, self.http.redact(_scope_text(answer.body))),
                           provider='hostkey')
        return answer.body

    def action(self, module, action, fields, timeout, what, idempotent=True, pin=False):
        """An asynchronous action: call, then wait for its callback; returns the final body."""
        fields = dict(fields)
        if pin and self.pin:
            fields['pin'] = self.pin
        body = self.call(module, action, fields=fields, idempotent=idempotent)
        key = as_str(body.get('callback'))
        if not key:
            return body
        return self.wait_callback(key, timeout, what)


_PIN_RE = re.compile(r'\bpin\b', re.I)


def pin_hint(message):
    """True when an error text is about the PIN."""
    return bool(_PIN_RE.search(message or ''))
