# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The demo play and the inventory through ansible-runner (the engine AWX uses), credentials as AWX injects them.

The only provider settings the runs get are the environment variables the GleSYS credential type of
``extensions/awx/credential_types/glesys.yml`` injects, rendered from its ``injectors.env`` templates the way
AWX renders them. The environment of this process is scrubbed of provider variables first.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import ansible_runner  # a hard requirement (tests/requirements.txt): CI must run these tests, never skip them
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import BIN, ROOT, collections_path, plain  # pylint: disable=import-error  # tests/integration is on sys.path
from tests.simulators import glesys as glesys_sim

CREDENTIAL_TYPES = os.path.join(ROOT, 'extensions', 'awx', 'credential_types')
PROVIDER_PREFIXES = ('GLESYS_', 'HOSTKEY_', 'SERVERSPACE_', 'HOSTUP_', 'SKYPORT_', 'HOSTCRAFT_')
# What AWX sets for every inventory update (awx/main/constants.py STANDARD_INVENTORY_UPDATE_ENV).
INVENTORY_UPDATE_ENV = {'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'True', 'ANSIBLE_INVENTORY_EXPORT': 'True',
                        'ANSIBLE_VERBOSE_TO_STDERR': 'True'}
SERVER = 'demo01.example.com'


def credential_type(provider):
    with open(os.path.join(CREDENTIAL_TYPES, provider + '.yml'), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def awx_injected_env(definition, inputs):
    """The environment AWX injects for a credential of ``definition`` holding ``inputs``.

    As AWX's ``inject_credential``: only inputs with a value enter the namespace, and each template of
    ``injectors.env`` is rendered in a sandbox with Jinja's default ``Undefined`` (an unset input renders as '').
    """
    namespace = dict((name, value) for name, value in inputs.items() if value)
    sandbox = ImmutableSandboxedEnvironment()
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in definition['injectors']['env'].items())


def runner_env(injected):
    """``envvars`` of a run: the injected credential plus what the execution environment provides."""
    env = dict(injected)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path(),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'PATH': BIN + os.pathsep + os.environ.get('PATH', ''),
    })
    return env


def leaked(private_data_dir, secret):
    """Files of the runs' artifacts that hold ``secret``.

    ``artifacts/<ident>/command`` is left out: ansible-runner records its whole environment there by design
    (AWX keeps its own sanitized copy instead and deletes the directory after the job).
    """
    found = []
    for base, _dirs, files in os.walk(os.path.join(private_data_dir, 'artifacts')):
        for name in files:
            if name == 'command':
                continue
            path = os.path.join(base, name)
            with open(path, 'rb') as handle:
                if secret.encode('utf-8') in handle.read():
                    found.append(os.path.relpath(path, private_data_dir))
    return found


def test_demo_and_inventory_through_ansible_runner(glesys, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(PROVIDER_PREFIXES):
            monkeypatch.delenv(name)

    definition = credential_type('glesys')
    injected = awx_injected_env(definition, {
        'glesys_project': glesys_sim.PROJECT,
        'glesys_api_key': glesys_sim.API_KEY,
        'api_url': glesys.url,  # a real credential leaves it empty; here it points at the simulator
    })
    assert glesys_sim.API_KEY in injected.values() and glesys.url in injected.values(), injected
    envvars = runner_env(injected)

    # The private data dir of a job: the project checked out under project/, an inventory with localhost.
    private_data_dir = tmp_path / 'job'
    shutil.copytree(os.path.join(ROOT, 'playbooks'), str(private_data_dir / 'project'))
    (private_data_dir / 'inventory').mkdir()
    (private_data_dir / 'inventory' / 'hosts').write_text('localhost ansible_connection=local\n')

    runs = []
    for attempt in (1, 2):
        run = ansible_runner.run(private_data_dir=str(private_data_dir), ident='demo-%d' % attempt, playbook='demo.yml',
                                 envvars=envvars, quiet=True, timeout=300)
        stdout = run.stdout.read()
        assert (run.status, run.rc) == ('successful', 0), stdout
        assert not run.stats['failures'] and not run.stats['dark'], stdout
        runs.append((run, stdout))

    (first, first_out), (second, second_out) = runs
    assert sum(first.stats['changed'].values()) > 0, first_out
    assert sum(second.stats['changed'].values()) == 0, second_out  # changed=0 on the rerun
    state = glesys.state()
    assert [s['hostname'] for s in state['servers']].count(SERVER) == 1, state['servers']

    # The inventory source "Sourced from a Project": ansible-inventory on the project's *.hostcraft.yml, as an
    # AWX inventory update runs it (--list --output ... --playbook-dir ..., with the update's standard env, whose
    # ANSIBLE_INVENTORY_UNPARSED_FAILED makes a plugin error fail the run instead of a warning).
    inventory_dir = tmp_path / 'inventory-update'
    inventory_dir.mkdir()
    output = inventory_dir / 'output.json'
    source = private_data_dir / 'project' / 'inventory' / 'demo.hostcraft.yml'
    inventory_env = dict(envvars, **INVENTORY_UPDATE_ENV)
    response, error, rc = ansible_runner.run_command(
        'ansible-inventory',
        cmdline_args=['--list', '-i', str(source), '--output', str(output), '--playbook-dir', str(source.parent)],
        private_data_dir=str(inventory_dir), envvars=inventory_env, quiet=True, timeout=300)
    assert rc == 0, '%s\n%s' % (response, error)
    data = plain(json.loads(output.read_text()))
    assert SERVER in data['provider_glesys']['hosts'], data
    assert SERVER in data['hostcraft']['hosts'], data
    assert sorted(data['provider_glesys']['hosts']) == sorted(s['hostname'] for s in state['servers'])
    hostvars = data['_meta']['hostvars'][SERVER]
    assert hostvars['hostcraft_provider'] == 'glesys'
    addresses = [ip['ipaddress'] for s in state['servers'] for ip in s['iplist'] if ip['version'] == 4]
    assert hostvars['ansible_host'] in addresses, (hostvars, addresses)

    # Secrets never leak: not in the runs' stdout, not in any job event, not in the inventory.
    secret = glesys_sim.API_KEY
    for _run, stdout in runs:
        assert secret not in stdout
    events = [e for run, _stdout in runs for e in run.events]
    assert any(e.get('event') == 'runner_on_ok' for e in events)  # the job events the scan below reads exist
    assert leaked(str(private_data_dir), secret) == []
    assert leaked(str(inventory_dir), secret) == []
    assert secret not in response and secret not in (error or '')
    assert secret not in output.read_text()
