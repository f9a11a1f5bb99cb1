# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: servers
short_description: Servers of GleSYS, HOSTKEY, Serverspace, HostUp and Skyport accounts as inventory
version_added: 0.1.0
description:
  - Builds an inventory from the servers of one or more provider accounts, in one vocabulary for every
    provider.
  - "Uses a YAML configuration file whose name ends with C(hostcraft.yml) or C(hostcraft.yaml) and whose
    first key is C(plugin: hostcraft.cloud.servers)."
  - Give either one account (O(provider) and that provider's credential options) or a list of accounts
    in O(accounts), so one file can span providers.
  - "Every server becomes a host in the groups C(hostcraft), C(provider_<provider>), C(location_<location>),
    C(status_<status>) and C(tag_<key>_<value>) (C(tag_<key>) when the value is empty). Group names are
    lower case; every character other than a letter, a digit or C(_) becomes C(_)."
  - "Host variables are the keys of the normalized server under O(hostvars_prefix): C(provider), C(id),
    C(name), C(status), C(power_state), C(location), C(image), C(plan), C(cpu), C(memory_mb), C(disk_gb),
    C(ipv4), C(ipv6), C(public_ipv4), C(tags), C(created), C(provider_data) and C(account) (the C(name) of
    the account in O(accounts), or V(null)). Every key is always set (V(null) or empty where the provider has no
    source). The only variable set without the prefix is C(ansible_host), see O(connect_with)."
  - All data that comes from the APIs is marked unsafe, so it is never evaluated as a template. Only strings
    that contain C({) or C(}) need the mark and carry it; the others cannot be read as templates and stay
    plain, which keeps the output of C(ansible-inventory --list) free of C(__ansible_unsafe) objects on
    ansible-core 2.18. On ansible-core 2.19 and later, ansible-core itself treats every string an inventory
    plugin returns as untrusted, and C(ansible-inventory --list) writes each one as an object with the single key
    C(__ansible_unsafe).
  - "Supported providers: C(glesys) (C(server/list) plus concurrent C(server/details)), C(hostkey)
    (C(eq/update_servers) plus concurrent C(eq/show); host name from the C(hostname) tag; the C(Password) tag never
    reaches host variables), C(serverspace) (one C(GET servers)), C(hostup) (C(GET /api/v2/vps) pages plus the
    network of each VPS; terminated, cancelled and fraud-flagged services are left out), C(skyport) (one
    C(GET /api/instances); instances are the hosts, also in the group C(owner_<userId>); C(ansible_host) is the
    address of the instance's node unless O(connect_with=name), and C(<prefix>primary_port) is its primary port;
    the node daemon keys never reach host variables; see O(include_nodes))."
author:
  - Hostcraft Cloud Developers (@hostcraft)
requirements:
  - requests >= 2.25.0
  - xmltodict >= 0.12.0 (GleSYS answers in XML)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description:
      - Marks this file as a source for this plugin.
    type: str
    required: true
    choices: [hostcraft.cloud.servers]
  provider:
    description:
      - The hosting provider of the single account this file describes.
      - Mutually exclusive with O(accounts); one of the two is required.
    type: str
    choices: [glesys, hostkey, serverspace, hostup, skyport]
  glesys_project:
    description:
      - GleSYS project key (C(clNNNNN)), the user name of HTTP basic auth.
    type: str
    env:
      - name: GLESYS_PROJECT
  glesys_api_key:
    description:
      - GleSYS API key bound to O(glesys_project).
    type: str
    env:
      - name: GLESYS_API_KEY
  hostkey_api_key:
    description:
      - HOSTKEY (invapi) API key.
    type: str
    env:
      - name: HOSTKEY_API_KEY
  hostkey_pin:
    description:
      - HOSTKEY PIN, sent where the API asks for it.
    type: str
    env:
      - name: HOSTKEY_PIN
  serverspace_api_key:
    description:
      - Serverspace API key.
    type: str
    env:
      - name: SERVERSPACE_API_KEY
  hostup_api_key:
    description:
      - HostUp API key.
    type: str
    env:
      - name: HOSTUP_API_KEY
  skyport_url:
    description:
      - Base URL of the self-hosted Skyport panel; required for O(provider=skyport).
    type: str
    env:
      - name: SKYPORT_URL
  skyport_api_key:
    description:
      - Skyport panel API key.
    type: str
    env:
      - name: SKYPORT_API_KEY
  api_url:
    description:
      - Override the provider's base URL (tests, proxies).
      - If not set, the environment variable E(<PROVIDER>_API_URL) is used (for example E(GLESYS_API_URL)),
        then the provider's public endpoint.
      - Unlike the other account options, a top-level O(api_url) is not inherited by the entries of
        O(accounts).
    type: str
  api_timeout:
    description:
      - Seconds to wait for each HTTP request (per attempt).
    type: float
    default: 30
    env:
      - name: HOSTCRAFT_API_TIMEOUT
  api_retries:
    description:
      - How many times a failed read is retried after the first attempt (HTTP 429, 502, 503, 504 and
        connection errors).
    type: int
    default: 5
    env:
      - name: HOSTCRAFT_API_RETRIES
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
    type: bool
    default: true
  accounts:
    description:
      - Several accounts, possibly of different providers, in one inventory source.
      - Each entry is a dictionary with the same keys as the single-account form (O(provider), the
        credential options such as O(glesys_project) and O(glesys_api_key), O(api_url), O(api_timeout),
        O(api_retries), O(validate_certs)) plus an optional C(name) that must be unique and is exposed
        as the host variable C(<prefix>account).
      - An entry's missing keys are taken from the top-level options and their environment variables,
        except O(provider) and O(api_url). So O(api_timeout) can be set once for every account, and
        credentials can come from the environment (as an AWX credential injects them).
      - Mutually exclusive with O(provider).
    type: list
    elements: dict
  filters:
    description:
      - Only servers that match every given filter become hosts.
      - "C(locations): list of locations (case-insensitive), for example V(Falkenberg)."
      - "C(statuses): list of normalized statuses (case-insensitive), for example V(running), V(stopped),
        V(locked)."
      - "C(tags): dictionary of tags that must all be present with exactly these values; a V(null) value
        only requires the tag to be present. Servers of providers without tags (GleSYS) never match."
      - "C(name): a shell-style glob (C(*), C(?), C([...])) matched case-insensitively against the
        server's name."
      - Filters on the name and the location are applied before detail calls, so filtered-out servers
        cost no call.
    type: dict
    default: {}
  hostname:
    description:
      - Template for the inventory hostname of a server.
      - "Available variables: the normalized server's keys without prefix (C(name), C(id), C(location),
        C(status), C(provider), ...) and C(account)."
      - A server whose hostname is already taken is added as C(<hostname>_<id>), with a warning; the
        first server in the API's order keeps the plain name.
      - A server whose hostname comes out empty is added under its id, with a warning.
      - When not set, the server's name is used, as with C({{ name }}). (No default is declared here
        because ansible-core would template a declared default itself, before any server is known.)
    type: str
  connect_with:
    description:
      - Which address C(ansible_host) is set to.
      - V(public_ipv4) is the server's main public IPv4 address, V(public_ipv6) its first IPv6 address,
        V(name) the server's name at the provider.
      - A server without that address stays in the inventory, without C(ansible_host).
    type: str
    default: public_ipv4
    choices: [public_ipv4, public_ipv6, name]
  hostvars_prefix:
    description:
      - Prefix of the host variables that carry the server's data.
      - Must be empty or start a valid variable name (letters, digits, C(_); not a digit first).
    type: str
    default: hostcraft_
  include_nodes:
    description:
      - Also add the nodes of Skyport accounts as hosts, in the group C(skyport_nodes) (not in C(hostcraft)), named
        by the node's name (C(<name>_<id>) when taken), with C(ansible_host) set to the node's address and the host
        variables C(<prefix>provider), C(<prefix>kind) (V(node)), C(<prefix>id), C(<prefix>name), C(<prefix>address),
        C(<prefix>port), C(<prefix>status), C(<prefix>tags), C(<prefix>ram), C(<prefix>disk), C(<prefix>processor)
        and C(<prefix>account). Daemon keys are never read into the inventory.
      - Accounts of other providers have no nodes and are not affected.
    type: bool
    default: false
  max_workers:
    description:
      - How many detail calls run at the same time, for providers whose list call lacks addresses or
        state (GleSYS). Also the size of the HTTP connection pool.
    type: int
    default: 8
notes:
  - The cache key is derived from the path of the inventory file. After changing O(filters) or the
    accounts of a cached file, run C(ansible-inventory --flush-cache) once. O(hostname), O(connect_with),
    O(hostvars_prefix) and the constructed options are applied to cached data, so changing them needs
    no flush.
  - A cache hit makes no API call, and reading the cache does not reset its O(cache_timeout).
  - Credential options given in the file may be templates, for example C("{{ vault_glesys_api_key }}")
    with that variable passed as an extra variable; values from environment variables are never
    templated.
'''

EXAMPLES = r'''
# glesys.hostcraft.yml - one GleSYS account; credentials from GLESYS_PROJECT and GLESYS_API_KEY
plugin: hostcraft.cloud.servers
provider: glesys

---
# all.hostcraft.yml - several accounts in one file
plugin: hostcraft.cloud.servers
api_timeout: 20               # default for every account
accounts:
  - name: production
    provider: glesys
    glesys_project: cl12345
    glesys_api_key: "{{ vault_glesys_production_key }}"   # passed with -e @vault.yml
  - name: staging
    provider: glesys
    glesys_project: cl67890    # glesys_api_key from GLESYS_API_KEY

---
# Only running servers in Falkenberg whose name starts with web
plugin: hostcraft.cloud.servers
provider: glesys
filters:
  locations: [Falkenberg]
  statuses: [running]
  name: "web*"
hostname: "{{ name }}-{{ location | lower }}"
connect_with: public_ipv6

---
# Extra groups from the host variables
plugin: hostcraft.cloud.servers
provider: glesys
keyed_groups:
  # platform_kvm, platform_vmware
  - key: hostcraft_provider_data.platform | default('unknown') | lower
    prefix: platform
  # image_debian_12_bookworm, ...
  - key: hostcraft_image
    prefix: image
groups:
  big: hostcraft_memory_mb is not none and hostcraft_memory_mb >= 8192
compose:
  ansible_user: "'root'"

---
# Cached for 15 minutes in JSON files; ansible-inventory --flush-cache refetches
plugin: hostcraft.cloud.servers
provider: glesys
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/hostcraft-inventory
cache_timeout: 900
'''

import fnmatch
import re
from concurrent.futures import ThreadPoolExecutor, as_completed

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: strings from the inventory file are templates without marking
    def trust_as_template(value):
        return value

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import HostcraftError, NotFound
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import Server
from ansible_collections.hostcraft.cloud.plugins.module_utils._module import common_argument_spec
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import open_provider, provider_class

ACCOUNT_OPTIONS = tuple(common_argument_spec())
# Top-level options an entry of ``accounts`` inherits when it does not set them.
INHERITED_OPTIONS = tuple(o for o in ACCOUNT_OPTIONS if o not in ('provider', 'api_url'))
FILTER_KEYS = ('locations', 'statuses', 'tags', 'name')
CONNECT_WITH = ('public_ipv4', 'public_ipv6', 'name')
TOP_GROUP = 'hostcraft'
NODE_GROUP = 'skyport_nodes'
NODE_FIELDS = ('provider', 'id', 'name', 'address', 'port', 'status', 'tags', 'ram', 'disk', 'processor')
CACHE_VERSION = 1

_GROUP_RE = re.compile(r'[^a-z0-9_]')
_PLAIN_VARIABLE_RE = re.compile(r'^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$')
_PREFIX_RE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)?$')


def group_name(*parts):
    """A valid Ansible group name: lower case, every character but ``[a-z0-9_]`` replaced by ``_``."""
    return _GROUP_RE.sub('_', '_'.join(to_text(p) for p in parts).lower())


def make_unsafe(value):
    """Mark API data unsafe, recursively, so that it is never evaluated as a template.

    Only strings that contain ``{`` or ``}`` are wrapped: nothing else can start a Jinja
    expression, statement or comment, and plain values keep ``ansible-inventory --list`` free of
    ``__ansible_unsafe`` objects, which AWX would import literally on ansible-core 2.18.
    """
    if value is None or isinstance(value, AnsibleUnsafe):
        return value
    if isinstance(value, dict):
        return dict((make_unsafe(k), make_unsafe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return type(value)(make_unsafe(v) for v in value)
    if isinstance(value, str) and ('{' in value or '}' in value):
        return wrap_var(value)
    return value


def _plain(value):
    """A plain ``str`` for strings (tagged strings on 2.19, vaulted values); other values unchanged."""
    if value is None or isinstance(value, (bool, int, float, list, dict)):
        return value
    return str(value)


def _is_template(value):
    return isinstance(value, str) and ('{{' in value or '{%' in value)


def _empty(value):
    return value is None or value == '' or value == [] or value == {}


def merge_details(listed, detailed):
    """The detail record, with the list record's values where the details have none."""
    first, second = listed.to_dict(), detailed.to_dict()
    merged = {}
    for key in Server.FIELDS:
        if key == 'provider_data':
            data = dict(first['provider_data'])
            data.update(second['provider_data'])
            merged[key] = data
        else:
            merged[key] = first[key] if _empty(second[key]) else second[key]
    return Server(**merged)


class Account:
    """One validated account of the inventory source."""

    def __init__(self, index, name, options):
        self.index = index
        self.name = name
        self.options = options
        self.provider = None

    def label(self, single):
        if single:
            return 'provider %s' % self.options['provider']
        if self.name:
            return 'account "%s" (accounts[%d], provider %s)' % (self.name, self.index, self.options['provider'])
        return 'accounts[%d] (provider %s)' % (self.index, self.options['provider'])


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'hostcraft.cloud.servers'

    def verify_file(self, path):
        """Accept readable files whose name ends with ``hostcraft.yml`` or ``hostcraft.yaml``."""
        return super().verify_file(path) and path.endswith(('hostcraft.yml', 'hostcraft.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)

        # every option is checked before any adapter is built
        filters = self._filters()
        max_workers = self.get_option('max_workers')
        if max_workers is None or max_workers < 1:
            raise AnsibleError('hostcraft.cloud.servers: max_workers must be 1 or more, not %s.' % max_workers)
        prefix = self.get_option('hostvars_prefix') or ''
        if not _PREFIX_RE.match(prefix):
            raise AnsibleError('hostcraft.cloud.servers: hostvars_prefix must be empty or start a valid variable name '
                               '(letters, digits and _; not a digit first), not "%s".' % prefix)
        accounts, single = self._accounts(config, max_workers)

        cache_key = self.get_cache_key(path)
        use_cache = bool(self.get_option('cache'))
        try:
            records = self._cached(cache_key) if (use_cache and cache) else None
            if records is None:
                records = self._fetch(accounts, single, filters, max_workers, bool(self.get_option('include_nodes')))
                if use_cache:
                    # only written after a fetch: a cache hit never rewrites (and so never refreshes) the entry
                    self._cache[cache_key] = {'version': CACHE_VERSION, 'records': records}
        finally:
            self._close(accounts)
        self._populate(records, prefix)

    # --- options ------------------------------------------------------------------------

    def _template(self, value, what):
        """Render a string the user wrote in the file (credential options may be templates)."""
        value = _plain(value)
        if not _is_template(value):
            return value
        self.templar.available_variables = self._vars or {}
        try:
            return _plain(self.templar.template(trust_as_template(value)))
        except Exception as exc:  # pylint: disable=broad-except  # any templating error
            raise AnsibleError('hostcraft.cloud.servers: cannot template %s: %s' % (what, to_text(exc)))

    def _accounts(self, config, max_workers):
        """Validate every account and build its adapter; no API call is made here."""
        entries = self.get_option('accounts')
        single = not entries
        if entries and config.get('provider'):
            raise AnsibleError('hostcraft.cloud.servers: set either provider (one account) or accounts (a list), '
                               'not both.')
        accounts = []
        if single:
            if not self.get_option('provider'):
                raise AnsibleError('hostcraft.cloud.servers: set provider (one account) or accounts (a list of '
                                   'accounts) in the inventory file.')
            options = {}
            for option in ACCOUNT_OPTIONS:
                value = self.get_option(option)
                options[option] = self._template(value, option) if option in config else _plain(value)
            accounts.append(Account(0, None, options))
        else:
            accounts = self._account_list(entries)

        for account in accounts:
            try:
                account.provider = open_provider(account.options['provider'], account.options, 'inventory',
                                                 pool_size=max_workers)
            except HostcraftError as exc:
                self._close(accounts)
                raise AnsibleError('hostcraft.cloud.servers: %s: %s' % (account.label(single), exc))
        return accounts, single

    def _account_list(self, entries):
        spec = common_argument_spec()
        spec['name'] = dict(type='str')
        inherited = dict((option, _plain(self.get_option(option))) for option in INHERITED_OPTIONS)
        accounts, names = [], set()
        for index, entry in enumerate(entries):
            where = 'accounts[%d]' % index
            if not isinstance(entry, dict):
                raise AnsibleError('hostcraft.cloud.servers: %s must be a dictionary.' % where)
            unknown = sorted(to_text(k) for k in entry if k not in spec)
            if unknown:
                raise AnsibleError('hostcraft.cloud.servers: %s has unknown keys: %s (allowed: %s).'
                                   % (where, ', '.join(unknown), ', '.join(sorted(spec))))
            params = dict((to_text(k), self._template(v, '%s.%s' % (where, k))) for k, v in entry.items())
            for option, value in inherited.items():
                if params.get(option) is None and value is not None:
                    params[option] = value
            result = ArgumentSpecValidator(spec).validate(params)
            if result.error_messages:
                raise AnsibleError('hostcraft.cloud.servers: %s: %s' % (where, '; '.join(result.error_messages)))
            options = result.validated_parameters
            name = options.pop('name', None)
            if name is not None:
                if name in names:
                    raise AnsibleError('hostcraft.cloud.servers: %s: the account name "%s" is used twice; names must '
                                       'be unique.' % (where, name))
                names.add(name)
            accounts.append(Account(index, name, options))
        return accounts

    def _filters(self):
        filters = self.get_option('filters') or {}
        if not isinstance(filters, dict):
            raise AnsibleError('hostcraft.cloud.servers: filters must be a dictionary.')
        unknown = sorted(to_text(k) for k in filters if k not in FILTER_KEYS)
        if unknown:
            raise AnsibleError('hostcraft.cloud.servers: unknown filters: %s (allowed: %s).'
                               % (', '.join(unknown), ', '.join(FILTER_KEYS)))
        result = {}
        for key in ('locations', 'statuses'):
            value = filters.get(key)
            if value is None:
                continue
            if not isinstance(value, list):
                value = [value]
            result[key] = set(to_text(v).lower() for v in value)
        tags = filters.get('tags')
        if tags is not None:
            if not isinstance(tags, dict):
                raise AnsibleError('hostcraft.cloud.servers: filters.tags must be a dictionary of tag names and values.')
            result['tags'] = dict((to_text(k), None if v is None else to_text(v)) for k, v in tags.items())
        if filters.get('name') is not None:
            result['name'] = to_text(filters['name']).lower()
        return result

    # --- fetching -----------------------------------------------------------------------

    @staticmethod
    def _prematch(server, filters):
        """Filters that the list call can decide already (unknown values pass, for the details to decide)."""
        if 'name' in filters and server.name is not None:
            if not fnmatch.fnmatchcase(server.name.lower(), filters['name']):
                return False
        if 'locations' in filters and server.location is not None:
            if server.location.lower() not in filters['locations']:
                return False
        return True

    @staticmethod
    def _matches(server, filters):
        if 'name' in filters and not fnmatch.fnmatchcase((server.name or '').lower(), filters['name']):
            return False
        if 'locations' in filters and (server.location or '').lower() not in filters['locations']:
            return False
        if 'statuses' in filters and (server.status or '').lower() not in filters['statuses']:
            return False
        if 'tags' in filters:
            tags = server.tags or {}
            for key, value in filters['tags'].items():
                if key not in tags:
                    return False
                if value is not None and to_text(tags[key] if tags[key] is not None else '') != value:
                    return False
        return True

    def _fetch(self, accounts, single, filters, max_workers, include_nodes=False):
        records = []
        for account in accounts:
            try:
                servers = self._fetch_account(account.provider, filters, max_workers)
                nodes = []
                if include_nodes and account.provider.capabilities.supports('node_info'):
                    nodes = account.provider.nodes()
            except HostcraftError as exc:
                raise AnsibleError('hostcraft.cloud.servers: %s: %s' % (account.label(single), exc))
            for server in servers:
                records.append({'account': account.name, 'server': server.to_dict()})
            for node in nodes:
                node = dict(node)
                node.pop('provider_data', None)  # already without keys; the fields above are what a host needs
                records.append({'account': account.name, 'node': node})
        return records

    def _fetch_account(self, provider, filters, max_workers):
        api = provider.servers
        servers = [s for s in api.list() if self._prematch(s, filters)]
        if servers and not api.details_complete():
            servers = self._details(api, servers, max_workers)
        return [s for s in servers if self._matches(s, filters)]

    def _details(self, api, servers, max_workers):
        """``api.detailed`` for every server, at most ``max_workers`` at a time; the list's order is kept."""
        results = [None] * len(servers)
        pool = ThreadPoolExecutor(max_workers=min(max_workers, len(servers)), thread_name_prefix='hostcraft-details')
        try:
            # ``detailed`` reads only what the list lacks (HostUp: the network, not the VPS again)
            futures = dict((pool.submit(api.detailed, server), index) for index, server in enumerate(servers))
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = merge_details(servers[index], future.result())
                except NotFound:
                    # deleted between the list and the detail call
                    self.display.warning('hostcraft.cloud.servers: server %s disappeared while the inventory was read; '
                                         'it is left out.' % to_text(servers[index].id))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [r for r in results if r is not None]

    @staticmethod
    def _close(accounts):
        for account in accounts:
            if account.provider is not None:
                try:
                    account.provider.close()
                except Exception:  # pylint: disable=broad-except  # closing must not hide the real outcome
                    pass
                account.provider = None

    # --- cache --------------------------------------------------------------------------

    def _cached(self, cache_key):
        """The cached records, or None on a miss (absent, expired or an unknown shape)."""
        try:
            data = self._cache[cache_key]
        except KeyError:
            return None
        if not isinstance(data, dict) or data.get('version') != CACHE_VERSION or not isinstance(data.get('records'), list):
            return None
        return data['records']

    # --- inventory ----------------------------------------------------------------------

    def _populate(self, records, prefix):
        connect_with = self.get_option('connect_with')
        if connect_with not in CONNECT_WITH:
            raise AnsibleError('hostcraft.cloud.servers: connect_with must be one of %s, not %s.'
                               % (', '.join(CONNECT_WITH), connect_with))
        template = trust_as_template(_plain(self.get_option('hostname') or '{{ name }}'))
        strict = self.get_option('strict')
        compose = self._trusted(self.get_option('compose'))
        groups = self._trusted(self.get_option('groups'))
        keyed_groups = self._trusted(self.get_option('keyed_groups'))

        self.inventory.add_group(TOP_GROUP)
        taken = set()
        for record in records:
            if 'node' in record:
                self._add_node(record['node'], record.get('account'), prefix, taken)
                continue
            server = dict((key, record['server'].get(key)) for key in Server.FIELDS)
            account = record.get('account')
            hostname = self._unique(self._hostname(template, server, account), server, taken)
            extra_vars, node_address = self._provider_extras(server)

            self.inventory.add_host(hostname, group=TOP_GROUP)
            for name in self._auto_groups(server):
                self.inventory.add_group(name)
                self.inventory.add_child(name, hostname)
            for key, value in server.items():
                self.inventory.set_variable(hostname, prefix + key, make_unsafe(value))
            for key, value in extra_vars.items():
                self.inventory.set_variable(hostname, prefix + key, make_unsafe(value))
            self.inventory.set_variable(hostname, prefix + 'account', make_unsafe(account))
            address = self._address(server, connect_with) if node_address is None or connect_with == 'name' else node_address
            if address:
                self.inventory.set_variable(hostname, 'ansible_host', make_unsafe(address))
            else:
                self.display.vvv('hostcraft.cloud.servers: %s has no %s; ansible_host is not set.'
                                 % (hostname, connect_with))

            if compose or groups or keyed_groups:  # the host's variables are gathered only when used
                hostvars = self.inventory.get_host(hostname).get_vars()
                self._set_composite_vars(compose, hostvars, hostname, strict=strict)
                self._add_host_to_composed_groups(groups, hostvars, hostname, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, hostvars, hostname, strict=strict)

    @staticmethod
    def _provider_extras(server):
        """The provider's own host variables and connect address (Skyport: primary port, node address)."""
        try:
            cls = provider_class(server.get('provider'))
        except HostcraftError:
            return {}, None
        return cls.inventory_vars(server)

    def _add_node(self, node, account, prefix, taken):
        hostname = self._unique(to_text(node.get('name') or node.get('id')), node, taken)
        self.inventory.add_group(NODE_GROUP)
        self.inventory.add_host(hostname, group=NODE_GROUP)
        for key in NODE_FIELDS:
            self.inventory.set_variable(hostname, prefix + key, make_unsafe(node.get(key)))
        self.inventory.set_variable(hostname, prefix + 'kind', 'node')
        self.inventory.set_variable(hostname, prefix + 'account', make_unsafe(account))
        if node.get('address'):
            self.inventory.set_variable(hostname, 'ansible_host', make_unsafe(node['address']))

    @staticmethod
    def _trusted(value):
        """Mark the user's own templates (``compose``, ``groups``, ``keyed_groups`` keys) as trusted on 2.19."""
        if isinstance(value, str):
            return trust_as_template(_plain(value))
        if isinstance(value, dict):
            return dict((k, InventoryModule._trusted(v)) for k, v in value.items())
        if isinstance(value, list):
            return [InventoryModule._trusted(v) for v in value]
        return value

    def _hostname(self, template, server, account):
        plain_name = _PLAIN_VARIABLE_RE.match(template)
        if plain_name and plain_name.group(1) in server:
            # "{{ name }}" (the default) and other lone variables: no template engine per host
            value = server[plain_name.group(1)]
            if isinstance(value, str) and value.strip():
                return value.strip()
        variables = dict(server)
        variables['account'] = account
        if self.get_option('use_extra_vars'):
            merged = dict(self._vars or {})
            merged.update(variables)
            variables = merged
        self.templar.available_variables = make_unsafe(variables)
        try:
            hostname = self.templar.template(template)
        except Exception as exc:  # pylint: disable=broad-except  # any templating error
            raise AnsibleError('hostcraft.cloud.servers: the hostname template failed for server %s: %s'
                               % (to_text(server.get('id')), to_text(exc)))
        hostname = '' if hostname is None else to_text(hostname).strip()
        if not hostname:
            hostname = to_text(server.get('id'))
            self.display.warning('hostcraft.cloud.servers: the hostname template gave an empty name for server %s; '
                                 'it is added as "%s".' % (hostname, hostname))
        return hostname

    def _unique(self, hostname, server, taken):
        if hostname in taken:
            wanted = hostname
            candidate = '%s_%s' % (wanted, to_text(server.get('id')))
            number = 2
            while candidate in taken:
                candidate = '%s_%s_%d' % (wanted, to_text(server.get('id')), number)
                number += 1
            hostname = candidate
            self.display.warning('hostcraft.cloud.servers: the hostname "%s" is already taken by another server; '
                                 'server %s (%s) is added as "%s".'
                                 % (wanted, to_text(server.get('id')), to_text(server.get('provider')), hostname))
        taken.add(hostname)
        return make_unsafe(hostname)

    @staticmethod
    def _auto_groups(server):
        names = [group_name('provider', server['provider'])] if server.get('provider') else []
        if server.get('location'):
            names.append(group_name('location', server['location']))
        for key, value in sorted((server.get('tags') or {}).items()):
            if value is None or to_text(value) == '':
                names.append(group_name('tag', key))
            else:
                names.append(group_name('tag', key, value))
        if server.get('status'):
            names.append(group_name('status', server['status']))
        try:
            extra = provider_class(server.get('provider')).inventory_groups(server)
        except HostcraftError:
            extra = []
        names.extend(group_name(kind, value) for kind, value in extra)
        return names

    @staticmethod
    def _address(server, connect_with):
        if connect_with == 'public_ipv4':
            return server.get('public_ipv4')
        if connect_with == 'public_ipv6':
            addresses = server.get('ipv6') or []
            return addresses[0] if addresses else None
        return server.get('name')
