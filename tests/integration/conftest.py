# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration fixtures: simulators on loopback and real ``ansible-playbook`` runs against them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests import layout  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulators import launcher  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)


def collections_path():
    """The collections directory of the integration runs (see :func:`tests.layout.collections_path`)."""
    return layout.collections_path('it')


def plain(value):
    """Undo the ``{"__ansible_unsafe": ...}`` form in which ansible-core 2.19's ``ansible-inventory`` writes every
    string an inventory plugin returns."""
    if isinstance(value, dict):
        if list(value) == ['__ansible_unsafe']:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Sim:
    """A running simulator plus helpers for its control endpoints."""

    def __init__(self, handle):
        self.handle = handle
        self.url = handle.url

    def control(self, method, path, payload=None):
        response = requests.request(method, self.url + '/__sim__/' + path, json=payload, timeout=10)
        response.raise_for_status()
        return response.json() if response.text else None

    def calls(self, reset=True):
        return self.control('DELETE' if reset else 'GET', 'calls')['calls']

    @staticmethod
    def functions(calls):
        """The paths of ``calls`` without slashes (``sshkey/list``), in order."""
        return [c['path'].strip('/') for c in calls]

    @staticmethod
    def mutating(calls):
        """The paths of the calls the simulator flags as mutating."""
        return [c['path'].strip('/') for c in calls if c['mutating']]

    @staticmethod
    def actions(calls, mutating_only=False):
        """``module/action`` of form-encoded calls (HOSTKEY): ``eq/on``, ``auth/login`` ..."""
        return ['%s/%s' % (c['path'].strip('/').replace('.php', ''), c.get('action') or (c.get('form') or {}).get('action'))
                for c in calls if c['mutating'] or not mutating_only]

    def reset(self):
        self.control('POST', 'reset')

    def faults(self, *rules):
        self.control('POST', 'faults', {'faults': list(rules)})

    def state(self):
        return self.control('GET', 'state')


class Run:
    """The outcome of one ``ansible-playbook`` run."""

    def __init__(self, proc, records):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.records = records

    def task(self, name):
        found = [r for r in self.records if r['task'] == name]
        assert found, 'no result for task %r in %s\n%s' % (name, [r['task'] for r in self.records], self.stdout)
        return found[-1]

    def result(self, name):
        return self.task(name)['result']


@pytest.fixture(scope='session')
def ansible_env():
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path(),
        'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
        'ANSIBLE_CALLBACKS_ENABLED': 'hostcraft_record',
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    for name in list(env):
        if name.startswith(('GLESYS_', 'HOSTKEY_', 'SERVERSPACE_', 'HOSTUP_', 'SKYPORT_', 'HOSTCRAFT_')):
            del env[name]
    return env


@pytest.fixture
def playbook(ansible_env, tmp_path):
    """``playbook(name, extra_vars, env=..., check=..., diff=..., verbosity=...)`` -> :class:`Run`."""

    def run(name, extra_vars=None, env=None, check=False, diff=False, verbosity=0):
        record = tmp_path / ('record-%d.jsonl' % len(list(tmp_path.iterdir())))
        cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
               os.path.join(HERE, 'playbooks', name)]
        if extra_vars:
            cmd += ['-e', json.dumps(extra_vars)]
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        if verbosity:
            cmd.append('-' + 'v' * verbosity)
        run_env = dict(ansible_env)
        run_env.update(env or {})
        run_env['HOSTCRAFT_RECORD'] = str(record)
        proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=600, check=False)
        records = []
        if record.exists():
            records = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
        return Run(proc, records)

    return run


@pytest.fixture
def call(playbook):
    """``call(module, args, env=..., check=..., diff=...)`` -> (:class:`Run`, result dict of that module)."""

    def run(module, args, **kwargs):
        outcome = playbook('call.yml', {'module': module, 'module_args': args}, **kwargs)
        return outcome, outcome.result(module)

    return run


def _simulator(provider, knobs, env_of):
    """The three fixtures of one provider: the session's simulator, a reset wrapper, and its env vars."""

    @pytest.fixture(scope='session')
    def server():
        handle = launcher.start(provider, port=0, **knobs)
        handle.defaults = dict((k, v) for k, v in Sim(handle).control('GET', 'config').items() if k != 'provider')
        yield handle
        handle.stop()

    @pytest.fixture
    def sim(request):
        handle = request.getfixturevalue('%s_server' % provider)
        wrapper = Sim(handle)
        wrapper.control('POST', 'config', dict(handle.defaults))  # knobs a test changed do not leak
        wrapper.control('DELETE', 'faults')
        wrapper.reset()
        wrapper.obj = handle.sim
        return wrapper

    @pytest.fixture
    def env(request, tmp_path):
        module = __import__('tests.simulators.%s' % provider, fromlist=['API_KEY'])
        return env_of(request.getfixturevalue(provider), module, tmp_path)

    return server, sim, env


def _env_of(provider, cache=False):
    def env_of(sim, _module, tmp):
        env = launcher.credentials_env(provider, sim.url)
        if cache:  # HOSTKEY's token cache and Skyport's write lock live under XDG_CACHE_HOME
            env['XDG_CACHE_HOME'] = str(tmp / 'cache')
        return env
    return env_of


glesys_server, glesys, glesys_env = _simulator('glesys', launcher.QUICK_KNOBS['glesys'], _env_of('glesys'))
hostkey_server, hostkey, hostkey_env = _simulator('hostkey', launcher.QUICK_KNOBS['hostkey'], _env_of('hostkey', True))
hostup_server, hostup, hostup_env = _simulator('hostup', launcher.QUICK_KNOBS['hostup'], _env_of('hostup'))
serverspace_server, serverspace, serverspace_env = _simulator('serverspace', launcher.QUICK_KNOBS['serverspace'],
                                                              _env_of('serverspace'))
skyport_server, skyport, skyport_env = _simulator('skyport', launcher.QUICK_KNOBS['skyport'], _env_of('skyport', True))
