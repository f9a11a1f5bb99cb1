# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX credential types in extensions/awx/credential_types against what the collection reads.

What the modules read comes from ``common_argument_spec()`` (each option's ``env_fallback``) plus each adapter's
``url_env()``; what the inventory plugin reads from the ``env`` entries of its DOCUMENTATION options plus the same
``url_env()`` (the plugin builds the same adapters). Nothing here is a second list of environment variables.

Every check is a function that returns the problems it finds, so that ``test_checks_catch_mistakes`` can show that
each one fails on a broken definition (a typo'd variable, a secret without ``secret: true``, ...).
"""

from __future__ import annotations

import copy
import os
import re

import pytest
import yaml
from jinja2 import StrictUndefined, meta
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible.module_utils.basic import env_fallback

from ansible_collections.hostcraft.cloud.plugins.inventory import servers as inventory_plugin
from ansible_collections.hostcraft.cloud.plugins.module_utils._module import common_argument_spec
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import PROVIDERS
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import ADAPTERS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRECTORY = os.path.join(ROOT, 'extensions', 'awx', 'credential_types')

# The shape AWX accepts (awx/main/fields.py CredentialTypeInputField / CredentialTypeInjectorField).
TOP_KEYS = {'name', 'description', 'kind', 'inputs', 'injectors'}
FIELD_KEYS = {'id', 'label', 'type', 'secret', 'multiline', 'help_text', 'format', 'choices', 'ask_at_runtime',
              'default'}
NAME_RE = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
PLAIN_TEMPLATE_RE = re.compile(r'^\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}$')
# Variables AWX refuses to inject (awx ENV_BLOCKLIST); ANSIBLE_* is reserved as well.
AWX_ENV_BLOCKLIST = {'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID',
                     'INVENTORY_UPDATE_ID', 'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES',
                     'CALLBACK_QUEUE', 'CALLBACK_CONNECTION', 'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS',
                     'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH'}


# --- what the collection reads -------------------------------------------------------------------

def module_env():
    """``{env var: option}`` the modules read: argspec env fallbacks plus every adapter's URL variable."""
    found = {}
    for option, spec in common_argument_spec().items():
        fallback = spec.get('fallback')
        if fallback and fallback[0] is env_fallback:
            for name in fallback[1]:
                found[name] = option
    for cls in ADAPTERS.values():
        found[cls.url_env()] = 'api_url'
    return found


def inventory_env():
    """``{env var: option}`` the inventory plugin reads: its documented option env entries plus the adapters' URL."""
    options = yaml.safe_load(inventory_plugin.DOCUMENTATION)['options']
    found = {}
    for option, doc in options.items():
        for entry in doc.get('env') or []:
            found[entry['name']] = option
    for cls in ADAPTERS.values():
        found[cls.url_env()] = 'api_url'
    return found


def provider_env(provider):
    """``{env var: option}`` that belong to ``provider``: its credentials and its URL variable."""
    cls = ADAPTERS[provider]
    found = dict((cred.env, cred.option) for cred in cls.credentials)
    found[cls.url_env()] = 'api_url'
    return found


def load(provider):
    with open(os.path.join(DIRECTORY, provider + '.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def fields_of(definition):
    return dict((f.get('id'), f) for f in definition.get('inputs', {}).get('fields', []))


def env_of(definition):
    return definition.get('injectors', {}).get('env', {})


# --- the checks ----------------------------------------------------------------------------------

def check_shape(provider, definition):
    """The body AWX accepts for a custom credential type."""
    problems = []
    if not isinstance(definition, dict):
        return ['not a mapping']
    if set(definition) != TOP_KEYS:
        problems.append('top-level keys %s, not %s' % (sorted(definition), sorted(TOP_KEYS)))
    if definition.get('kind') != 'cloud':
        problems.append('kind is %r, not cloud' % definition.get('kind'))
    for key in ('name', 'description'):
        if not isinstance(definition.get(key), str) or not definition.get(key).strip():
            problems.append('%s is empty' % key)
    inputs = definition.get('inputs') or {}
    if set(inputs) - {'fields', 'required'}:
        problems.append('inputs has unknown keys %s' % sorted(set(inputs) - {'fields', 'required'}))
    ids, labels = [], []
    for field in inputs.get('fields') or []:
        unknown = set(field) - FIELD_KEYS
        if unknown:
            problems.append('field %s has unknown keys %s' % (field.get('id'), sorted(unknown)))
        if not NAME_RE.match(str(field.get('id'))):
            problems.append('field id %r is not a valid name' % field.get('id'))
        if field.get('type') not in ('string', 'boolean'):
            problems.append('field %s has type %r' % (field.get('id'), field.get('type')))
        if not field.get('label'):
            problems.append('field %s has no label' % field.get('id'))
        if 'secret' in field and not isinstance(field['secret'], bool):
            problems.append('field %s: secret must be true or false' % field.get('id'))
        ids.append(field.get('id'))
        labels.append(field.get('label'))
    if len(set(ids)) != len(ids) or len(set(labels)) != len(labels):
        problems.append('field ids or labels repeat: %s %s' % (ids, labels))
    for name in inputs.get('required') or []:
        if name not in ids:
            problems.append('required names %r, which is no field' % name)
    injectors = definition.get('injectors') or {}
    if set(injectors) != {'env'}:
        problems.append('injectors must hold exactly env, not %s' % sorted(injectors))
    for name, template in env_of(definition).items():
        if not NAME_RE.match(name) or name.startswith('ANSIBLE_') or name in AWX_ENV_BLOCKLIST:
            problems.append('AWX does not inject %r' % name)
        if not isinstance(template, str):
            problems.append('%s: the injector template must be a string' % name)
    return problems


def check_read_by_collection(provider, definition):
    """Every injected variable is read by the modules AND by the inventory plugin."""
    modules, inventory = module_env(), inventory_env()
    problems = []
    for name in env_of(definition):
        if name not in modules:
            problems.append('%s is read by no module (not in common_argument_spec() nor an adapter url_env())' % name)
        if name not in inventory:
            problems.append('%s is not read by the inventory plugin (no option env, no adapter url_env())' % name)
    return problems


def check_own_provider(provider, definition):
    """A type injects only its own provider's variables (types of different providers share one job)."""
    own = provider_env(provider)
    return ['%s does not belong to provider %s' % (name, provider) for name in env_of(definition) if name not in own]


def check_fields_exist(provider, definition):
    """Every field an injector references exists (as AWX validates: StrictUndefined over the field ids)."""
    ids = set(fields_of(definition))
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    problems = []
    for name, template in env_of(definition).items():
        try:
            used = meta.find_undeclared_variables(sandbox.parse(template))
            sandbox.from_string(template).render(**dict((i, 'EXAMPLE') for i in ids))
        except TemplateError as exc:
            problems.append('%s: %s' % (name, exc))
            continue
        for missing in sorted(used - ids):
            problems.append('%s uses %s, which is no input field' % (name, missing))
    return problems


def check_same_option(provider, definition):
    """Each variable is injected from exactly the field named like the option that reads it."""
    reads = module_env()
    problems = []
    for name, template in env_of(definition).items():
        match = PLAIN_TEMPLATE_RE.match(template or '')
        if not match:
            problems.append('%s: %r is not a plain "{{ field }}"' % (name, template))
        elif name in reads and match.group(1) != reads[name]:
            problems.append('%s is read as option %s but injected from field %s' % (name, reads[name], match.group(1)))
    return problems


def check_secrets(provider, definition):
    """A field is ``secret: true`` exactly when the option its variable feeds is ``no_log``."""
    spec, reads, fields = common_argument_spec(), module_env(), fields_of(definition)
    problems = []
    for name, template in env_of(definition).items():
        match = PLAIN_TEMPLATE_RE.match(template or '')
        if not match or name not in reads or match.group(1) not in fields:
            continue
        secret = bool(spec.get(reads[name], {}).get('no_log'))
        if bool(fields[match.group(1)].get('secret')) != secret:
            problems.append('field %s feeds %s (no_log=%s) but has secret: %s'
                            % (match.group(1), name, secret, fields[match.group(1)].get('secret', False)))
    return problems


def check_credentials(provider, definition):
    """Every credential of the adapter is injected from its field; the required ones are required inputs."""
    cls = ADAPTERS[provider]
    env, fields = env_of(definition), fields_of(definition)
    required = set((definition.get('inputs') or {}).get('required') or [])
    problems = []
    for cred in cls.credentials:
        if cred.env not in env:
            problems.append('credential %s (%s) is not injected' % (cred.option, cred.env))
        elif PLAIN_TEMPLATE_RE.sub(r'\1', env[cred.env]) != cred.option:
            problems.append('%s is not injected from field %s' % (cred.env, cred.option))
        if cred.option not in fields:
            problems.append('credential %s has no input field' % cred.option)
        elif bool(fields[cred.option].get('secret')) != bool(cred.secret):
            problems.append('field %s: secret should be %s' % (cred.option, cred.secret))
        if cred.required != (cred.option in required):
            problems.append('field %s: required should be %s' % (cred.option, cred.required))
    allowed = set(c.option for c in cls.credentials if c.required)
    for name in required - allowed:
        problems.append('field %s is required but the provider does not need it' % name)
    # <PROVIDER>_API_URL for every provider with a public endpoint; Skyport's URL is the skyport_url credential
    has_url = cls.url_env() in env
    if has_url != (cls.default_url is not None):
        problems.append('%s should %sbe injected' % (cls.url_env(), '' if cls.default_url else 'not '))
    return problems


CHECKS = (check_shape, check_read_by_collection, check_own_provider, check_fields_exist, check_same_option,
          check_secrets, check_credentials)


# --- the tests -----------------------------------------------------------------------------------

def test_one_file_per_provider():
    files = sorted(os.listdir(DIRECTORY))
    assert files == sorted(p + '.yml' for p in PROVIDERS)
    assert set(PROVIDERS) == set(ADAPTERS)


def test_what_the_collection_reads():
    """The sets the checks compare against are not empty and agree with each other."""
    modules, inventory = module_env(), inventory_env()
    for provider in PROVIDERS:
        for name in provider_env(provider):
            assert name in modules and name in inventory, name
    for name, option in inventory.items():
        if name in modules:
            assert modules[name] == option, (name, option, modules[name])


@pytest.mark.parametrize('check', CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize('provider', PROVIDERS)
def test_credential_type(provider, check):
    assert check(provider, load(provider)) == []


def test_names_and_variables_are_unique():
    """Several types can be attached to one job template: names and injected variables must not collide."""
    definitions = [load(p) for p in PROVIDERS]
    names = [d['name'] for d in definitions]
    assert len(set(names)) == len(names)
    variables = [name for d in definitions for name in env_of(d)]
    assert len(set(variables)) == len(variables)


def test_secret_inputs_are_marked():
    """Every API key and PIN (no_log options) is a secret input somewhere; nothing else is."""
    spec = common_argument_spec()
    secret = set(f['id'] for p in PROVIDERS for f in load(p)['inputs']['fields'] if f.get('secret'))
    no_log = set(option for option in spec if spec[option].get('no_log'))
    assert secret == no_log


def _set(definition, path, value):
    target = definition
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return definition


_DELETE = object()


def _rename_env(definition, old, new):
    env = env_of(definition)
    env[new] = env.pop(old)
    return definition


def _unsecret(definition, field):
    fields_of(definition)[field].pop('secret', None)
    return definition


# (mistake, provider, how to make it, the check that must catch it)
MUTATIONS = [
    ('typo in a variable', 'glesys',
     lambda d: _rename_env(d, 'GLESYS_API_KEY', 'GLESYS_APIKEY'), check_read_by_collection),
    ('variable of another provider', 'hostup',
     lambda d: _rename_env(d, 'HOSTUP_API_KEY', 'GLESYS_API_KEY'), check_own_provider),
    ('api key not secret', 'serverspace', lambda d: _unsecret(d, 'serverspace_api_key'), check_secrets),
    ('PIN not secret', 'hostkey', lambda d: _unsecret(d, 'hostkey_pin'), check_credentials),
    ('project marked secret', 'glesys',
     lambda d: _set(d, ('inputs', 'fields', 0, 'secret'), True), check_secrets),
    ('unknown field in a template', 'skyport',
     lambda d: _set(d, ('injectors', 'env', 'SKYPORT_URL'), '{{ skyport_uri }}'), check_fields_exist),
    ('variable fed from another field', 'glesys',
     lambda d: _set(d, ('injectors', 'env', 'GLESYS_PROJECT'), '{{ glesys_api_key }}'), check_same_option),
    ('required credential not required', 'skyport',
     lambda d: _set(d, ('inputs', 'required'), ['skyport_api_key']), check_credentials),
    ('optional PIN required', 'hostkey',
     lambda d: _set(d, ('inputs', 'required'), ['hostkey_api_key', 'hostkey_pin']), check_credentials),
    ('credential not injected', 'hostkey',
     lambda d: _set(d, ('injectors', 'env', 'HOSTKEY_PIN'), _DELETE), check_credentials),
    ('api url missing', 'hostup',
     lambda d: _set(d, ('injectors', 'env', 'HOSTUP_API_URL'), _DELETE), check_credentials),
    ('kind not cloud', 'glesys', lambda d: _set(d, ('kind',), 'net'), check_shape),
    ('reserved variable', 'glesys',
     lambda d: _set(d, ('injectors', 'env', 'ANSIBLE_FOO'), '{{ api_url }}'), check_shape),
]


@pytest.mark.parametrize('mistake, provider, mutate, check', MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_checks_catch_mistakes(mistake, provider, mutate, check):
    broken = mutate(copy.deepcopy(load(provider)))
    assert check(provider, broken), '%s was not caught by %s' % (mistake, check.__name__)


@pytest.mark.parametrize('provider', PROVIDERS)
def test_unset_optional_inputs_count_as_unset(provider, monkeypatch):
    """AWX injects an unset optional input as '' (Jinja's Undefined); the collection must read '' as unset.

    Rendered as AWX's ``inject_credential`` does, with only the required inputs given, the adapter built from that
    environment (as the modules' ``env_fallback`` reads it) accepts the credentials and uses its default URL.
    """
    definition = load(provider)
    cls = ADAPTERS[provider]
    required = definition['inputs']['required']
    values = dict((field, 'https://panel.example.com' if field == 'skyport_url' else 'value-%s' % field)
                  for field in required)
    sandbox = ImmutableSandboxedEnvironment()
    injected = dict((name, sandbox.from_string(template).render(**values))
                    for name, template in env_of(definition).items())
    optional = [name for name, value in injected.items() if value == '']
    assert sorted(optional) == sorted(name for name, template in env_of(definition).items()
                                      if PLAIN_TEMPLATE_RE.sub(r'\1', template) not in required)

    for name in module_env():
        monkeypatch.delenv(name, raising=False)
    for name, value in injected.items():
        monkeypatch.setenv(name, value)
    spec = common_argument_spec()
    options = dict((option, spec[option].get('default')) for option in spec)
    options['provider'] = provider
    for cred in cls.credentials:
        options[cred.option] = os.environ.get(cred.env)  # as env_fallback reads it: a set variable wins, even ''
    cls.check_options(options)  # an empty optional credential is not "missing"; the required ones are set

    def url():
        adapter = cls(options)
        try:
            return adapter.api_url()
        finally:
            adapter.close()

    with_empty = url()
    monkeypatch.delenv(cls.url_env(), raising=False)
    assert with_empty == url()  # an empty <PROVIDER>_API_URL is the same as none
    if not cls.default_url:
        assert with_empty == values['skyport_url']
