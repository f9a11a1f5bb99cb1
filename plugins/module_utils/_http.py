# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""The one HTTP layer of the collection.

Every adapter talks to its API through :class:`HttpClient`. It owns:

* one keep-alive ``requests.Session`` per client (one client per account and process);
* a timeout per attempt (``api_timeout``) and ``api_retries`` retries after the first attempt;
* the retry policy of DESIGN.md section 5: 429 (``Retry-After`` honoured, clamped to 1-60 s),
  502/503/504, connection errors and read timeouts are retried for idempotent calls only.
  A non-idempotent call (a create) that fails ambiguously raises :class:`AmbiguousError`
  so the caller re-reads by identity before trying again. An answer that *proves* the API
  refused the call (``refused(response)`` from the adapter) is retried for any method.
  A connection that was never established is retried for any method (nothing was sent);
* a 2xx body that is not the API's format (``parse`` raises :class:`MalformedResponse`)
  is an error, retried like a 502 for idempotent calls only;
* redaction of every secret from URLs, bodies and messages;
* call hooks (tests and benchmarks count calls; ``HOSTCRAFT_CALL_LOG`` appends JSON lines).
"""

from __future__ import annotations

import base64
import email.utils
import json
import os
import threading
import time
from urllib.parse import quote, quote_plus

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without requests
    requests = None
    HTTPAdapter = object
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import (
    AmbiguousError,
    HostcraftError,
    TransportError,
)

USER_AGENT = 'hostcraft.cloud/0.1.0'
RETRY_STATUSES = frozenset((429, 502, 503, 504))
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'))
MASK = '********'
BACKOFF_START = 1.0
BACKOFF_MAX = 10.0
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 60.0

# Callables ``hook(event: dict)`` called after every attempt; used by tests and benchmarks.
CALL_HOOKS = []
_LOG_LOCK = threading.Lock()


class MalformedResponse(Exception):
    """Raised by an adapter's ``parse`` when a body is not the API's format."""


class Redactor:
    """Replaces every known secret (and its URL/basic-auth encodings) with ``********``."""

    def __init__(self, secrets=()):
        self._needles = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret, user=None):
        if secret is None:
            return
        secret = str(secret)
        if len(secret) < 4:
            # Too short to redact safely (would mangle ordinary text); PINs are handled
            # by the adapters that send them, which never echo them.
            return
        self._needles.update({secret, quote(secret, safe=''), quote_plus(secret)})
        if user is not None:
            token = base64.b64encode(('%s:%s' % (user, secret)).encode('utf-8')).decode('ascii')
            self._needles.add(token)

    def __call__(self, value):
        if value is None:
            return value
        if isinstance(value, bytes):
            value = value.decode('utf-8', 'replace')
        if isinstance(value, str):
            # Longest first, so an encoded form is not left half-replaced.
            for needle in sorted(self._needles, key=len, reverse=True):
                if needle in value:
                    value = value.replace(needle, MASK)
            return value
        if isinstance(value, dict):
            return dict((k, self(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        return value


class HttpResponse:
    """What an adapter gets back: status, headers, text and the parsed body."""

    def __init__(self, method, url, status, headers, text, data=None):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.text = text
        self.data = data

    def header(self, name, default=None):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date), clamped 1-60."""
    if value is None:
        return None
    value = str(value).strip()
    seconds = None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - (now if now is not None else time.time())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


def backoff_delay(attempt):
    """1 s, 2 s, 4 s, 8 s, 10 s, 10 s ... for retry number ``attempt`` (0-based)."""
    return min(BACKOFF_START * (2 ** attempt), BACKOFF_MAX)


def _never_sent(exc):
    """True when the connection was never established, so the request never left."""
    if requests is None:
        return False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = repr(exc)
        return 'NewConnectionError' in text or 'ConnectionRefusedError' in text or 'Connection refused' in text
    return False


def _log_event(event):
    for hook in list(CALL_HOOKS):
        hook(event)
    path = os.environ.get('HOSTCRAFT_CALL_LOG')
    if path:
        with _LOG_LOCK:
            with open(path, 'a') as handle:
                handle.write(json.dumps(event, sort_keys=True) + '\n')


class HttpClient:
    """One API endpoint, one session, one retry policy."""

    def __init__(self, base_url, provider, timeout=30, retries=5, validate_certs=True,
                 headers=None, auth=None, redactor=None, describe_error=None,
                 pool_size=10, sleep=time.sleep):
        if not HAS_REQUESTS:
            raise HostcraftError('The Python library "requests" is required by hostcraft.cloud; install it on the host that runs the task.')
        self.base_url = base_url.rstrip('/')
        self.provider = provider
        self.timeout = timeout
        self.retries = retries
        self.redact = redactor or Redactor()
        self.describe_error = describe_error
        self.sleep = sleep
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 2))
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        self.session.verify = validate_certs
        self.session.headers['User-Agent'] = USER_AGENT
        if headers:
            self.session.headers.update(headers)
        if auth is not None:
            self.session.auth = auth
        self.session.trust_env = True

    def close(self):
        self.session.close()

    def url(self, path):
        if path.startswith('http://') or path.startswith('https://'):
            return path
        return self.base_url + '/' + path.lstrip('/')

    def _message(self, text):
        return self.redact(text)

    def request(self, method, path, params=None, json_body=None, data=None, headers=None,
                idempotent=None, parse=None, refused=None, timeout=None):
        """Send one logical request with retries; return :class:`HttpResponse`.

        ``timeout`` overrides ``api_timeout`` for this request (a call the API answers only
        after slow work, such as Skyport's deploy, which waits for the image pull).

        ``parse(response)`` returns the decoded body or raises :class:`MalformedResponse`;
        it is only called for 2xx answers (error bodies are decoded leniently by the
        adapter). ``refused(response)`` returns True when the answer proves the API
        refused the call before acting on it.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url(path)
        shown_url = self.redact(url)
        attempt = 0
        while True:
            started = time.time()
            event = {'provider': self.provider, 'method': method, 'url': shown_url, 'attempt': attempt}
            try:
                raw = self.session.request(method, url, params=params, json=json_body, data=data,
                                           headers=headers, timeout=timeout or self.timeout)
            except requests.exceptions.RequestException as exc:
                event.update(status=None, error=type(exc).__name__, elapsed=round(time.time() - started, 4))
                _log_event(event)
                reason = self._message(str(exc))
                if _never_sent(exc) or idempotent:
                    if attempt < self.retries:
                        self.sleep(backoff_delay(attempt))
                        attempt += 1
                        continue
                    raise TransportError(
                        'Cannot reach the %s API at %s after %d attempt(s): %s. Check api_url, the network and '
                        'api_timeout.' % (self.provider, shown_url, attempt + 1, reason), provider=self.provider)
                raise AmbiguousError(
                    'The %s API did not answer %s %s (%s); the call may or may not have been carried out.'
                    % (self.provider, method, shown_url, reason), provider=self.provider)
            text = raw.text
            response = HttpResponse(method, shown_url, raw.status_code, dict(raw.headers), text)
            event.update(status=raw.status_code, elapsed=round(time.time() - started, 4))
            _log_event(event)

            if refused is not None and raw.status_code >= 400 and refused(response):
                if attempt < self.retries:
                    delay = parse_retry_after(response.header('Retry-After')) or backoff_delay(attempt)
                    self.sleep(delay)
                    attempt += 1
                    continue
                return response
            if raw.status_code in RETRY_STATUSES:
                delay = None
                if raw.status_code == 429:
                    delay = parse_retry_after(response.header('Retry-After'))
                delay = delay or backoff_delay(attempt)
                if not idempotent:
                    raise AmbiguousError(
                        'The %s API answered %s %s with HTTP %s%s; the call may or may not have been carried out.'
                        % (self.provider, method, shown_url, raw.status_code, self._error_suffix(response)),
                        provider=self.provider, status=raw.status_code, retry_after=delay)
                if attempt < self.retries:
                    self.sleep(delay)
                    attempt += 1
                    continue
                return response
            if 200 <= raw.status_code < 300 and parse is not None:
                try:
                    response.data = parse(response)
                except MalformedResponse as exc:
                    if idempotent and attempt < self.retries:
                        self.sleep(backoff_delay(attempt))
                        attempt += 1
                        continue
                    message = ('The %s API answered %s %s with HTTP %s but the body is not in its format (%s).'
                               % (self.provider, method, shown_url, raw.status_code, self._message(str(exc))))
                    if idempotent:
                        raise TransportError(message, provider=self.provider, status=raw.status_code)
                    raise AmbiguousError(message + ' The call may or may not have been carried out.',
                                         provider=self.provider, status=raw.status_code)
            return response

    def _error_suffix(self, response):
        if self.describe_error is None:
            return ''
        try:
            text = self.describe_error(response)
        except Exception:  # pylint: disable=broad-except
            text = None
        return (': %s' % self._message(text)) if text else ''
