# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared machinery of the benchmarks in tests/perf.

* :func:`collections_path` and :func:`base_env`: how the benchmarks run ``ansible-*`` against this checkout;
* :func:`provider_env`: the credential and URL variables of one running simulator;
* :func:`run_measured`: run a command, return wall time, peak RSS and CPU of the child (``os.wait4``) and the
  CPU the simulator threads of this process spent meanwhile;
* :func:`call_kinds`: the simulator's call log grouped by kind and classified as serial or per-server (detail);
* :func:`machine`, :func:`markdown_table`, :func:`write_section`: the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests import layout  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulators import launcher  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulators import serverspace as _serverspace_sim  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
PROVIDERS = ('glesys', 'hostkey', 'hostup', 'serverspace', 'skyport')
PROVIDER_VARS = ('GLESYS_', 'HOSTKEY_', 'SERVERSPACE_', 'HOSTUP_', 'SKYPORT_', 'HOSTCRAFT_')

# Serverspace logs an operation name; its route template tells whether the call is about one server.
_SERVERSPACE_TEMPLATES = dict((operation, template) for _method, template, operation in _serverspace_sim.ROUTES)


def collections_path():
    """The collections directory of the benchmarks (see :func:`tests.layout.collections_path`)."""
    return layout.collections_path('perf')


def base_env():
    """The environment of every benchmarked ``ansible-*`` run; no provider variables leak in from outside."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(PROVIDER_VARS):
            del env[name]
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path(),
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED': 'true',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    return env


def provider_env(provider, url, xdg_cache_home):
    """Credentials, API URL and token cache directory for ``provider``'s simulator at ``url``."""
    module = __import__('tests.simulators.%s' % provider, fromlist=['API_KEY'])
    env = {'XDG_CACHE_HOME': xdg_cache_home}
    if provider == 'skyport':
        env.update({'SKYPORT_URL': url, 'SKYPORT_API_KEY': module.API_KEY})
    else:
        env.update({'%s_API_URL' % provider.upper(): url, '%s_API_KEY' % provider.upper(): module.API_KEY})
    if provider == 'glesys':
        env['GLESYS_PROJECT'] = module.PROJECT
    if provider == 'hostkey':
        env['HOSTKEY_PIN'] = module.PIN
    return env


def start_simulator(provider, latency, seed_servers, **knobs):
    """A simulator in a thread of this process (its CPU shows up in :attr:`Measured.sim_cpu`)."""
    return launcher.start(provider, port=0, latency=latency, seed_servers=seed_servers, **knobs)


# --- running and measuring ----------------------------------------------------------------

@dataclass
class Measured:
    rc: int
    wall: float        # seconds, spawn to reap
    rss_mib: float     # peak RSS of the child (ru_maxrss)
    cpu: float         # user + system CPU seconds of the child
    sim_cpu: float     # CPU seconds of this process (the simulator threads) meanwhile
    load: float = 0.0  # 1-minute load average after the run
    stdout: str = ''
    stderr: str = ''


# The children are started by a small helper process, not by this one: a child's ru_maxrss starts at the RSS
# of the process it was forked (or vforked) from, and this process holds simulators with thousands of servers.
_SPAWNER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job['stdout'], 'wb') as out, open(job['stderr'], 'wb') as err:
        started = time.monotonic()
        proc = subprocess.Popen(job['cmd'], env=job['env'], stdout=out, stderr=err, cwd=job['cwd'])
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    sys.stdout.write(json.dumps({'rc': proc.returncode, 'wall': wall, 'maxrss': usage.ru_maxrss,
                                 'cpu': usage.ru_utime + usage.ru_stime}) + '\n')
    sys.stdout.flush()
"""


class Spawner:
    """Runs commands from a small separate process and reports their wall time and ``os.wait4`` usage."""

    _instance = None

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, '-I', '-S', '-c', _SPAWNER], stdin=subprocess.PIPE,  # pylint: disable=consider-using-with
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    @classmethod
    def get(cls):
        """The process-wide spawner; call it early, while this process is still small."""
        if cls._instance is None or cls._instance.proc.poll() is not None:
            cls._instance = cls()
        return cls._instance

    def run(self, cmd, env, stdout_path, stderr_path, cwd=None):
        self.proc.stdin.write(json.dumps({'cmd': list(cmd), 'env': dict(env), 'stdout': stdout_path,
                                          'stderr': stderr_path, 'cwd': cwd}) + '\n')
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError('the spawner process died (exit %s)' % self.proc.poll())
        return json.loads(answer)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


def run_measured(cmd, env, stdout_path, stderr_path=None, cwd=None):
    """Run ``cmd`` (through the :class:`Spawner`) with stdout to ``stdout_path``; measure it."""
    stderr_path = stderr_path or stdout_path + '.stderr'
    spawner = Spawner.get()
    cpu_before = time.process_time()
    result = spawner.run(cmd, env, stdout_path, stderr_path, cwd)
    sim_cpu = time.process_time() - cpu_before
    with open(stderr_path, 'r', encoding='utf-8', errors='replace') as handle:
        stderr = handle.read()
    return Measured(rc=result['rc'], wall=result['wall'], rss_mib=result['maxrss'] / 1024.0, cpu=result['cpu'],
                    sim_cpu=sim_cpu, load=os.getloadavg()[0], stderr=stderr)


# --- call logs ------------------------------------------------------------------------------

def call_kind(provider, call):
    """``(kind, per_server)`` of one call-log entry.

    ``kind`` names the API call the way the provider's docs do (``server/details``, ``eq/show``,
    ``GET /api/v2/vps/{vps}/network``); ``per_server`` is True for the calls made once per server (the
    detail calls that run ``max_workers`` at a time), False for list, login and pagination calls.
    """
    method, path = call.get('method'), call.get('path') or ''
    if provider == 'glesys':
        kind = path.strip('/').lower()
        return kind, kind == 'server/details'
    if provider == 'hostkey':
        module = re.sub(r'\.php$', '', path.strip('/'))
        kind = '%s/%s' % (module, call.get('action') or (call.get('form') or {}).get('action'))
        return kind, kind == 'eq/show'
    if provider == 'hostup':
        route = call.get('route') or path
        return '%s %s' % (method, route), '{vps}' in route or '{vmid}' in route
    if provider == 'serverspace':
        operation = call.get('operation')
        template = _SERVERSPACE_TEMPLATES.get(operation)
        if template is None and operation and operation.startswith('power_'):
            template = 'servers/{sid}/power'
        route = '/api/v1/' + template if template else path
        return '%s %s' % (method, route), '{sid}' in route
    if provider == 'skyport':
        route = call.get('route') or path
        return '%s %s' % (method, route), ':id' in route or call.get('action') in ('get_instance', 'get_user_instance')
    return '%s %s' % (method, path), False


@dataclass
class CallSummary:
    total: int = 0
    serial: int = 0
    detail: int = 0
    mutating: int = 0
    failed: int = 0
    kinds: Counter = field(default_factory=Counter)

    def text(self):
        if not self.total:
            return '0 calls'
        return ', '.join('%s: %d' % (kind, count) for kind, count in self.kinds.most_common())

    def has(self, word):
        return any(word in kind for kind in self.kinds)


def call_kinds(provider, calls):
    summary = CallSummary()
    for call in calls:
        kind, per_server = call_kind(provider, call)
        summary.total += 1
        summary.kinds[kind] += 1
        if per_server:
            summary.detail += 1
        else:
            summary.serial += 1
        if call.get('mutating'):
            summary.mutating += 1
        if call.get('status') is None or call.get('status') >= 400:
            summary.failed += 1
    return summary


# --- report ---------------------------------------------------------------------------------

def _first(lines, prefix):
    for line in lines:
        if line.startswith(prefix):
            return line.split(':', 1)[1].strip()
    return 'unknown'


def machine():
    """nproc, CPU model, Python, ansible-core, kernel, load average: what the numbers depend on."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            cpu = _first(handle.read().splitlines(), 'model name')
    except OSError:
        cpu = platform.processor() or 'unknown'
    try:
        from ansible.release import __version__ as core_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        core_version = 'not installed'
    return {
        'commit': checkout(),
        'plugins': plugins_digest(),
        'nproc': os.cpu_count(),
        'cpu': cpu,
        'python': platform.python_version(),
        'ansible_core': core_version,
        'kernel': platform.release(),
        'loadavg': '%.2f %.2f %.2f' % os.getloadavg(),
    }


def checkout():
    """``abc1234`` (the commit measured), ``abc1234 + uncommitted changes in plugins/`` when plugins/ differs from it."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'plugins'], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown (not a git checkout)'
    return commit + (' + uncommitted changes in plugins/' if dirty else '')


def machine_line(info):
    return ('commit %(commit)s (plugins/ content %(plugins)s); nproc %(nproc)s, CPU %(cpu)s, Python %(python)s, ansible-core %(ansible_core)s, '
            'Linux %(kernel)s, load average at start %(loadavg)s' % info)


def plugins_digest():
    """A short digest of the content of plugins/: what the benchmarks measure, committed or not."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(os.path.join(ROOT, 'plugins')):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            if name.endswith('.pyc'):
                continue
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, ROOT).encode('utf-8') + b'\0')
            with open(path, 'rb') as handle:
                digest.update(handle.read() + b'\0')
    return digest.hexdigest()[:12]


def checkout_warning(info):
    """A sentence when plugins/ changed while the benchmark ran (the figures then mix two versions)."""
    now = plugins_digest()
    if now != info['plugins']:
        return ('WARNING: plugins/ changed during the run (content %s at the start, %s at the end, now at commit %s); '
                'the figures mix both.' % (info['plugins'], now, checkout()))
    return ''


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join('---' for dummy in header) + '|']
    for row in rows:
        lines.append('| ' + ' | '.join(str(cell).replace('|', '\\|') for cell in row) + ' |')
    return '\n'.join(lines)


def publish(args, name, section, info, results):
    """Print ``section`` (with the checkout warning, if any); with ``--write`` put it into that file between the
    ``name`` markers, with ``--json`` dump the machine, the arguments and ``results`` there."""
    warning = checkout_warning(info)
    if warning:
        section += '\n\n' + warning
    print()
    print(section)
    if args.write:
        write_section(args.write, name, section)
        print('\nwritten to %s' % args.write)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump({'machine': info, 'args': vars(args), 'results': results}, handle, indent=1)


def write_section(path, name, text):
    """Put ``text`` between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in ``path`` (appended if absent)."""
    begin, end = '<!-- %s:begin -->' % name, '<!-- %s:end -->' % name
    block = '%s\n%s\n%s' % (begin, text.strip('\n'), end)
    try:
        with open(path, encoding='utf-8') as handle:
            content = handle.read()
    except FileNotFoundError:
        content = ''
    pattern = re.compile(re.escape(begin) + r'.*?' + re.escape(end), re.DOTALL)
    if pattern.search(content):
        content = pattern.sub(lambda _match: block, content)
    else:
        content = content.rstrip('\n') + ('\n\n' if content else '') + block + '\n'
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(content)


def shown_command(script, argv):
    """The command line as the report shows it: without the options that do not change what is measured."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ('--json', '--write'):
            skip = True
        elif not arg.startswith(('--json=', '--write=', '--keep', '--client-log')):
            shown.append(arg)
    return ' '.join(['python', 'tests/perf/' + script] + shown)


def fmt(value, digits=2):
    if value is None:
        return '–'
    return '%.*f' % (digits, value)
