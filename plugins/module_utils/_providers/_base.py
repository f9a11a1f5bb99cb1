# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Provider base: the capabilities object, the abstract API per resource, credentials.

An adapter subclasses :class:`Provider`, declares its :class:`Capabilities` and implements
the resource APIs it supports. Modules and the inventory plugin check capabilities *before*
any call, so a combination a provider cannot do fails with
``provider X cannot <thing>: <reason>`` and makes no request.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no cross-process lock
    fcntl = None

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import Unsupported, ValidationError, WaitTimeout
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import HttpClient

PROVIDERS = ('glesys', 'hostkey', 'serverspace', 'hostup', 'skyport')

NOT_YET = 'not supported yet by this version of hostcraft.cloud'

# Features (module or sub-action) and how a message names them.
FEATURES = {
    'server': 'manage servers',
    'server.create': 'create servers',
    'server.delete': 'delete servers',
    'server_info': 'list servers',
    'power': 'manage power state',
    'power.restart': 'restart servers',
    'ptr': 'manage reverse DNS (PTR)',
    'ptr_info': 'read reverse DNS (PTR)',
    'dns_record': 'manage DNS records',
    'dns_record_info': 'read DNS records',
    'sshkey': 'manage SSH keys',
    'sshkey_info': 'list SSH keys',
    'api_key': 'manage API keys',
    'api_key_info': 'read API keys',
    'tag': 'manage server tags',
    'user': 'manage panel users',
    'node_info': 'list nodes',
    'image_info': 'list images',
    'inventory': 'serve as an inventory source',
}


def cache_dir():
    """``$XDG_CACHE_HOME/hostcraft`` (default ``~/.cache/hostcraft``): token caches and lock files."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'hostcraft')


@contextlib.contextmanager
def host_lock(name, key, timeout, what, sleep=time.sleep):
    """Hold an exclusive lock (a file in :func:`cache_dir`) shared by every task on this host for ``key``.

    Used where an API loses concurrent writes (Skyport): parallel forks of one controller then write one
    at a time. Waits at most ``timeout`` seconds.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    directory = cache_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    digest = hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]
    path = os.path.join(directory, '%s-%s.lock' % (name, digest))
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.time() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.time() >= deadline:
                    raise WaitTimeout('Timed out after %ss waiting for another task on this host to finish %s (lock %s).'
                                      % (timeout, what, path))
                sleep(0.05)
        yield
    finally:
        os.close(handle)  # closing releases the lock


class Capabilities:
    """What one provider can do: ``feature -> True`` or ``feature -> reason it cannot``."""

    def __init__(self, provider, supported=(), unsupported=None, default_reason=NOT_YET):
        self.provider = provider
        self._reasons = {}
        for feature in FEATURES:
            self._reasons[feature] = default_reason
        for feature in supported:
            self._check_name(feature)
            self._reasons[feature] = None
        for feature, reason in (unsupported or {}).items():
            self._check_name(feature)
            self._reasons[feature] = reason

    @staticmethod
    def _check_name(feature):
        if feature not in FEATURES:
            raise KeyError('unknown feature %r' % feature)

    def supports(self, feature):
        self._check_name(feature)
        return self._reasons[feature] is None

    def reason(self, feature):
        self._check_name(feature)
        return self._reasons[feature]

    def require(self, feature, thing=None):
        """Raise :class:`Unsupported` unless ``feature`` is supported."""
        reason = self.reason(feature)
        if reason is not None:
            raise Unsupported('provider %s cannot %s: %s' % (self.provider, thing or FEATURES[feature], reason),
                              provider=self.provider)

    def as_dict(self):
        """``{feature: True | reason}``, for docs (the capability matrix)."""
        return dict((f, True if r is None else r) for f, r in sorted(self._reasons.items()))


class Credential:
    """One credential option: its name, env var, whether the provider needs it, whether secret."""

    def __init__(self, option, env, required=True, secret=True):
        self.option = option
        self.env = env
        self.required = required
        self.secret = secret


class SshKeyAPI:
    """Stored SSH public keys of an account."""

    def list(self):
        """Return every stored key as :class:`SshKey` (``public_key`` as the API holds it)."""
        raise NotImplementedError

    def create(self, name, public_key):
        """Store a key; return the new :class:`SshKey`. Never retried blindly."""
        raise NotImplementedError

    def delete(self, key):
        """Remove a stored key (an :class:`SshKey` from ``list``); already gone is not an error."""
        raise NotImplementedError


class ServerAPI:
    """Servers of an account. Every method returns normalized :class:`Server` records."""

    def list(self):
        """Every server, as complete as one list call allows (``details_complete`` tells)."""
        raise NotImplementedError

    def details_complete(self):
        """True when ``list`` already carries addresses and state (no detail call needed)."""
        return False

    def get(self, server_id):
        """One server with every detail; raises NotFound."""
        raise NotImplementedError

    def create(self, spec):
        """Create from a :class:`ServerSpec`; return the new server (may still be provisioning)."""
        raise NotImplementedError

    def update(self, server, changes):
        """Apply ``changes`` (normalized keys: cpu, memory_mb, disk_gb, bandwidth, ...) in place."""
        raise NotImplementedError

    def delete(self, server, options):
        raise NotImplementedError

    # Ordering / cancelling costs money (needs ``allow_paid``); a reinstall wipes the disk (needs ``force``).
    paid = False
    can_reinstall = False

    def by_id(self, ref):
        """The server whose ID is ``ref`` (details may be partial), or None."""
        found = [s for s in self.list() if str(s.id) == str(ref)]
        return found[0] if found else None

    def by_name(self, name):
        """Every server named ``name`` (details may be partial)."""
        return self.name_matches(self.list(), name)

    @staticmethod
    def name_matches(servers, name):
        """The servers of ``servers`` that ``name`` names (case-insensitive: host names are)."""
        wanted = name.strip().lower()
        return [s for s in servers if (s.name or '').strip().lower() == wanted]

    def lookup(self, ref):
        """The servers ``ref`` names: the one with that ID, else those with that name.

        Where both lookups read the same list, the list is read once.
        """
        if type(self).by_id is ServerAPI.by_id and type(self).by_name is ServerAPI.by_name:
            servers = self.list()
            found = [s for s in servers if str(s.id) == str(ref)]
            return found[:1] or self.name_matches(servers, ref)
        found = self.by_id(ref)
        return [found] if found is not None else self.by_name(ref)

    def detailed(self, server):
        """``server`` with every detail, read again only when what the adapter returned was partial."""
        return server if self.details_complete() else self.get(server.id)

    @staticmethod
    def ready(server):
        """Whether a new server is done provisioning (unlocked and running)."""
        return server.status != 'locked' and server.power_state == 'running'

    def check_delete(self, server, force):
        """Raise when deleting ``server`` is refused without ``force`` (also in check mode)."""

    def deleting(self, server):
        """True while a deletion (cancellation) of ``server`` is already under way."""
        return False

    def reinstall(self, server, spec):
        """Reinstall ``server`` from ``spec['image']`` (wipes the disk); return the server."""
        raise NotImplementedError

    @staticmethod
    def validate_create(spec):
        """Raise ValidationError when ``spec`` lacks what a create needs (before any call)."""

    @staticmethod
    def image_matches(server, image):
        """Whether ``image`` names what the server runs."""
        return (server.image or '').lower() == str(image).lower()

    @staticmethod
    def editable(server):
        """Normalized fields an in-place update can change on ``server``."""
        return set()


class PowerAPI:
    """Power state of one server: ``running``, ``stopped`` or ``unknown``."""

    # state -> (what a message calls it, why the provider cannot): refused before any call.
    unsupported_states = {}

    def state(self, server_id):
        """Return :class:`PowerState`."""
        raise NotImplementedError

    def start(self, server_id):
        raise NotImplementedError

    def stop(self, server_id, hard=False):
        raise NotImplementedError

    def restart(self, server_id, hard=False):
        raise NotImplementedError

    def check(self, server_id, state, hard=False):
        """Raise when the provider would refuse to bring ``server_id`` to ``state`` (used by check mode)."""


class PtrAPI:
    """Reverse DNS of IP addresses."""

    def get(self, ip, server_id=None):
        """Return :class:`Ptr` for ``ip`` (several PTRs joined by newlines); NotFound when not held.

        ``server_id`` is the server holding ``ip`` when the caller knows it (HOSTKEY needs it and
        looks it up otherwise); other providers ignore it.
        """
        raise NotImplementedError

    def set(self, ip, ptr, server_id=None):
        """Set ``ptr`` (FQDN with trailing dot) as the only PTR; return the new :class:`Ptr`."""
        raise NotImplementedError

    def reset(self, ip, server_id=None):
        """Restore the provider's default; return the new :class:`Ptr`."""
        raise NotImplementedError

    def is_default(self, ptr):
        """Whether ``ptr`` looks like the provider's generated default."""
        raise NotImplementedError


class DnsRecord:
    """One record as the API holds it, in the collection's vocabulary.

    ``name`` is relative to the zone (``@`` for the apex), ``type`` upper case, ``value`` in
    zone-file presentation form (MX ``"10 mail.example.com."``, TXT unquoted), ``ttl`` int.
    """

    def __init__(self, id, name, type, value, ttl, raw=None):  # pylint: disable=redefined-builtin
        self.id = id
        self.name = name
        self.type = type
        self.value = value
        self.ttl = ttl
        self.raw = raw

    def __repr__(self):
        return 'DnsRecord(%r, %r, %r, %r, %r)' % (self.id, self.name, self.type, self.value, self.ttl)


class DnsAPI:
    """Records of DNS zones; the record-set logic lives in ``_resources/dns_record.py``."""

    def list_records(self, zone):
        """Every record of ``zone`` as :class:`DnsRecord`; raises NotFound for a missing zone."""
        raise NotImplementedError

    def add(self, zone, name, rtype, value, ttl):
        """Add one record; return the new :class:`DnsRecord`, or None (the caller re-reads). Never retried blindly."""
        raise NotImplementedError

    def update(self, zone, record, value, ttl):
        """Change one record in place; ``value``/``ttl`` None mean "keep". Return the record or None."""
        raise NotImplementedError

    def delete(self, zone, record):
        """Delete one record; already gone is not an error."""
        raise NotImplementedError


class TagAPI:
    """Key/value tags of one server."""

    def list(self, server_id):
        """``{name: value}`` of the server's user tags (system tags left out)."""
        raise NotImplementedError

    def set(self, server_id, name, value):
        """Create or change one tag (``value`` may be empty)."""
        raise NotImplementedError

    def remove(self, server_id, name):
        """Remove one tag; already gone is not an error."""
        raise NotImplementedError

    def protected(self, name):
        """Why the tag ``name`` must not be touched (a system tag), or None."""
        return None


class ApiKeyAPI:
    """API keys of the account (or of one server). Secrets only ever come from ``create``."""

    # Which optional ApiKey fields the provider has (the rest fail before any call when set).
    fields = frozenset()

    def list(self, server_id=None):
        """Every key (or the keys of ``server_id``) as :class:`ApiKey` without ``secret``."""
        raise NotImplementedError

    def create(self, spec):
        """Create from ``spec`` (dict of ApiKey fields); return the :class:`ApiKey` with ``secret`` set."""
        raise NotImplementedError

    def update(self, key, spec):
        """Change ``key`` so it matches ``spec`` (only the given fields); return the new :class:`ApiKey`."""
        raise NotImplementedError

    def delete(self, key):
        raise NotImplementedError

    def in_use(self, key):
        """True when ``key`` may be the key this collection authenticates with (never delete or disable it)."""
        return False


class Provider:
    """Base class of an adapter. One instance per account and process."""

    name = None
    title = None
    default_url = None
    credentials = ()
    capabilities = None

    def __init__(self, options):
        self.options = options
        self._closed = False

    # --- options shared by every provider -------------------------------------------------

    @classmethod
    def url_env(cls):
        return '%s_API_URL' % cls.name.upper()

    @classmethod
    def check_options(cls, options):
        """Fail (before any call) when a credential the provider needs is missing."""
        missing = []
        for cred in cls.credentials:
            if cred.required and not options.get(cred.option):
                missing.append('%s (or the environment variable %s)' % (cred.option, cred.env))
        if missing:
            raise ValidationError('provider %s needs %s.' % (cls.name, ' and '.join(missing)), provider=cls.name)

    @staticmethod
    def validate_server_params(params):
        """Provider-specific checks of the ``server`` module's options, before any call."""

    @staticmethod
    def inventory_groups(server):
        """Extra ``(prefix, value)`` groups of an inventory host (``server`` is a normalized dict)."""
        return []

    @staticmethod
    def inventory_vars(server):
        """Extra host variables (prefixed) of an inventory host, and the address to connect to (None: connect_with)."""
        return {}, None

    def http_client(self, title, pool_size=10, **kwargs):
        """The account's :class:`HttpClient`: base URL, timeout, retries and TLS from the shared options."""
        return HttpClient(self.api_url(), title, timeout=self.timeout(), retries=self.retries(),
                          validate_certs=self.validate_certs(), pool_size=pool_size, **kwargs)

    def api_url(self):
        return (self.options.get('api_url') or os.environ.get(self.url_env()) or self.default_url).rstrip('/')

    def timeout(self):
        return float(self.options.get('api_timeout') or 30)

    def retries(self):
        value = self.options.get('api_retries')
        return 5 if value is None else int(value)

    def validate_certs(self):
        value = self.options.get('validate_certs')
        return True if value is None else bool(value)

    def secrets(self):
        return [self.options.get(c.option) for c in self.credentials if c.secret and self.options.get(c.option)]

    # --- resource APIs (adapters override the properties they support) ----------------------

    def _resource(self, feature):
        self.capabilities.require(feature)
        raise NotImplementedError  # pragma: no cover - capabilities fail first

    @property
    def sshkeys(self):
        """:class:`SshKeyAPI`."""
        return self._resource('sshkey_info')

    @property
    def servers(self):
        """:class:`ServerAPI`."""
        return self._resource('server_info')

    @property
    def power(self):
        """:class:`PowerAPI`."""
        return self._resource('power')

    @property
    def ptrs(self):
        """:class:`PtrAPI`."""
        return self._resource('ptr_info')

    @property
    def dns(self):
        """:class:`DnsAPI`."""
        return self._resource('dns_record_info')

    @property
    def tags(self):
        """:class:`TagAPI`."""
        return self._resource('tag')

    @property
    def api_keys(self):
        """:class:`ApiKeyAPI`."""
        return self._resource('api_key_info')

    def images(self):
        """The catalog: list of dicts ``{provider, id, name, ..., provider_data}``."""
        return self._resource('image_info')

    def close(self):
        """Close the adapter's HTTP session (``self.http``) if it has one."""
        http = getattr(self, 'http', None)
        if http is not None and not self._closed:
            http.close()
        self._closed = True
