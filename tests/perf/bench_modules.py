# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark of an unchanged rerun of module tasks against the GleSYS simulator.

One play of ``--dns`` (50) ``hostcraft.cloud.dns_record`` tasks (records ``bench-NN`` in the seeded zone
``example.com``) and ``--power`` (20) ``hostcraft.cloud.power`` tasks (``state: running`` on seeded servers,
some of which start stopped) runs once to converge and then again unchanged.  For both runs the simulator's
calls by kind, the calls per task of each module, the wall time and the bound (calls × latency: tasks run
one after another, and so do their calls) are printed; the baseline is the same number of
``ansible.builtin.ping`` tasks, i.e. what ansible-playbook itself costs per task.

    python tests/perf/bench_modules.py
    python tests/perf/bench_modules.py --dns 10 --power 5 --write docs/performance.md

Figures only: the exit status is non-zero only when a run fails or the rerun reports a change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from tests.perf import _common as common  # noqa: E402  pylint: disable=wrong-import-position

SECTION = 'bench_modules'
ZONE = 'example.com'  # seeded by the GleSYS simulator
LATENCY = 0.05
CALLBACKS = os.path.join(HERE, 'callback_plugins')
DEFAULT = (50, 20)   # dns_record tasks, power tasks
QUICK = (10, 5)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--quick', action='store_true', help='%d dns_record and %d power tasks' % QUICK)
    parser.add_argument('--dns', type=int, help='dns_record tasks (default %d)' % DEFAULT[0])
    parser.add_argument('--power', type=int, help='power tasks, one per seeded server (default %d)' % DEFAULT[1])
    parser.add_argument('--power-ref', choices=('name', 'id'), default='name',
                        help='how the power tasks name their server (default %(default)s)')
    parser.add_argument('--latency', type=float, default=LATENCY, help='simulated seconds per request (default %(default)s)')
    parser.add_argument('--write', metavar='FILE', help='also put the table into FILE (between <!-- %s --> markers)' % SECTION)
    parser.add_argument('--json', metavar='FILE', help='also write the measurements as JSON')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (playbooks, outputs)')
    args = parser.parse_args(argv)
    dns, power = QUICK if args.quick else DEFAULT
    args.dns = dns if args.dns is None else args.dns
    args.power = power if args.power is None else args.power
    if args.dns < 0 or args.power < 0 or args.dns + args.power < 1:
        parser.error('--dns and --power must not be negative, and there must be a task')
    return args


def seeded_server(index, ref):
    """Name or ID of the simulator's ``index``-th seeded server (see GlesysSimulator._seed_servers)."""
    if ref == 'name':
        return 'srv%04d.example.com' % index
    return '%s%d' % ('wps' if index % 3 == 0 else 'kvm', 1100000 + index)


def playbook(args):
    tasks = []
    for number in range(1, args.dns + 1):
        tasks.append({
            'name': 'dns %02d' % number,
            'hostcraft.cloud.dns_record': {
                'provider': 'glesys', 'zone': ZONE, 'record': 'bench-%02d' % number, 'type': 'A',
                'values': ['198.51.100.%d' % (number % 250 + 1)], 'ttl': 300,
            },
        })
    for number in range(1, args.power + 1):
        tasks.append({
            'name': 'power %02d' % number,
            'hostcraft.cloud.power': {'provider': 'glesys', 'server': seeded_server(number, args.power_ref),
                                      'state': 'running'},
        })
    return [{'name': 'hostcraft.cloud modules', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
             'tasks': tasks}]


def ping_playbook(count):
    tasks = [{'name': 'ping %02d' % number, 'ansible.builtin.ping': {}} for number in range(1, count + 1)]
    return [{'name': 'baseline', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'tasks': tasks}]


def run_playbook(path, env, out):
    """Run ``path``; also read the task durations (bench_timer callback) and the client's call log."""
    cmd = [os.path.join(common.BIN, 'ansible-playbook'), '-i', 'localhost,', path]
    env = dict(env, HOSTCRAFT_BENCH_TIMES=out + '.times', HOSTCRAFT_CALL_LOG=out + '.calls')
    measured = common.run_measured(cmd, env, out)
    measured.times = read_lines(out + '.times')
    measured.client_calls = read_lines(out + '.calls')
    with open(out, encoding='utf-8', errors='replace') as handle:
        measured.stdout = handle.read()
    match = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', measured.stdout)
    measured.ok, measured.changed, _unreachable, measured.failed = (tuple(int(g) for g in match.groups())
                                                                    if match else (-1, -1, -1, -1))
    if measured.rc != 0 or measured.failed:
        raise RuntimeError('%s failed (exit %d):\n%s\n%s'
                           % (' '.join(cmd), measured.rc, measured.stdout[-3000:], measured.stderr[-2000:]))
    return measured


def read_lines(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def task_seconds(times, action):
    """Mean seconds per task of ``action`` (``hostcraft.cloud.power``), or None."""
    found = [t['seconds'] for t in times if t['action'].endswith(action)]
    return sum(found) / len(found) if found else None


def api_seconds(client_calls, prefix, tasks):
    """Seconds per task the modules spent in HTTP calls whose URL path starts with ``prefix`` (client side)."""
    if not tasks:
        return None
    spent = [c.get('elapsed') or 0.0 for c in client_calls if c.get('url', '').split('/', 3)[-1].startswith(prefix)]
    return sum(spent) / tasks


def per_module(calls):
    """Calls by kind, split into the dns_record tasks (domain/*) and the power tasks (server/*)."""
    dns, power = Counter(), Counter()
    for call in calls:
        kind, _detail = common.call_kind('glesys', call)
        (dns if kind.startswith('domain/') else power)[kind] += 1
    return dns, power


def per_task(counter, tasks):
    if not tasks:
        return '–'
    return ', '.join('%s %.2g' % (kind, count / float(tasks)) for kind, count in counter.most_common()) or '0'


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    info = common.machine()
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='hostcraft-bench-modules-')
    print('machine: %s' % common.machine_line(info))
    print('ansible-playbook: %s; latency %.3f s per request; %d dns_record + %d power tasks; work directory %s'
          % (os.path.join(common.BIN, 'ansible-playbook'), args.latency, args.dns, args.power, workdir), flush=True)
    tasks = args.dns + args.power
    handle = common.start_simulator('glesys', latency=args.latency, seed_servers=max(args.power, 1), power_seconds=0.5)
    rows, results = [], []
    try:
        env = common.base_env()
        env.update(common.provider_env('glesys', handle.url, os.path.join(workdir, 'xdg')))
        env.update({'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS, 'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer'})
        play = os.path.join(workdir, 'modules.yml')
        with open(play, 'w', encoding='utf-8') as out:
            json.dump(playbook(args), out, indent=1)  # JSON is YAML
        ping = os.path.join(workdir, 'ping.yml')
        with open(ping, 'w', encoding='utf-8') as out:
            json.dump(ping_playbook(tasks), out, indent=1)

        common.Spawner.get()
        baseline = run_playbook(ping, env, os.path.join(workdir, 'ping.out'))
        ping_task = task_seconds(baseline.times, 'ping')
        print('baseline: %d ansible.builtin.ping tasks, wall %.2f s, %s s per task, peak RSS %.1f MiB'
              % (tasks, baseline.wall, common.fmt(ping_task, 3), baseline.rss_mib), flush=True)
        for label in ('converge', 'rerun'):
            handle.sim.call_log(clear=True)
            measured = run_playbook(play, env, os.path.join(workdir, label + '.out'))
            calls = handle.sim.call_log(clear=True)
            summary = common.call_kinds('glesys', calls)
            dns, power = per_module(calls)
            bound = summary.total * args.latency
            ratio = (measured.wall - baseline.wall) / bound if bound else None
            dns_task, power_task = (task_seconds(measured.times, 'dns_record'), task_seconds(measured.times, 'power'))
            dns_api, power_api = (api_seconds(measured.client_calls, 'domain/', args.dns),
                                  api_seconds(measured.client_calls, 'server/', args.power))
            print('%-8s changed %d  calls %d (mutating %d) {%s}  wall %.2f s  bound %.2f s  baseline %.2f s  ratio %s  '
                  'per task: dns_record {%s} %s s (%s s in HTTP calls), power {%s} %s s (%s s in HTTP calls), ping %s s'
                  % (label, measured.changed, summary.total, summary.mutating, summary.text(), measured.wall, bound,
                     baseline.wall, common.fmt(ratio), per_task(dns, args.dns), common.fmt(dns_task, 3),
                     common.fmt(dns_api, 3), per_task(power, args.power), common.fmt(power_task, 3),
                     common.fmt(power_api, 3), common.fmt(ping_task, 3)), flush=True)
            rows.append([label, tasks, measured.changed, summary.total, summary.mutating, summary.text(),
                         per_task(dns, args.dns), per_task(power, args.power), common.fmt(measured.wall),
                         common.fmt(bound), common.fmt(baseline.wall), common.fmt(ratio),
                         '%s / %s' % (common.fmt(dns_task, 3), common.fmt(dns_api, 3)),
                         '%s / %s' % (common.fmt(power_task, 3), common.fmt(power_api, 3)), common.fmt(ping_task, 3)])
            results.append({'run': label, 'tasks': tasks, 'changed': measured.changed, 'calls': summary.total,
                            'mutating': summary.mutating, 'calls_by_kind': dict(summary.kinds),
                            'dns_per_task': dict(dns), 'power_per_task': dict(power), 'wall': measured.wall,
                            'bound': bound, 'baseline': baseline.wall, 'ratio': ratio, 'rss_mib': measured.rss_mib,
                            'dns_task_seconds': dns_task, 'dns_api_seconds': dns_api, 'power_task_seconds': power_task,
                            'power_api_seconds': power_api, 'ping_task_seconds': ping_task})
    finally:
        handle.stop()
        common.Spawner.get().close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    header = ['run', 'tasks', 'changed', 'calls', 'mutating', 'calls by kind', 'dns_record calls per task',
              'power calls per task', 'wall s', 'bound s', 'ping baseline s', 'ratio', 'dns_record s per task / in calls',
              'power s per task / in calls', 'ping s per task']
    command = common.shown_command('bench_modules.py', sys.argv[1:] if argv is None else argv)
    section = '\n'.join([
        'Measured with `%s` (%.0f s in all, %s): %d `dns_record` tasks and %d `power` tasks (server by %s), %.0f ms per '
        'request; bound = calls × latency; ratio = (wall − baseline) / bound, baseline = %d `ansible.builtin.ping` tasks.'
        % (command.strip(), time.monotonic() - started, time.strftime('%Y-%m-%d'), args.dns, args.power, args.power_ref,
           args.latency * 1000, tasks),
        '',
        'Machine: %s.' % common.machine_line(info),
        '',
        common.markdown_table(header, rows),
    ])
    common.publish(args, SECTION, section, info, results)
    rerun = [r for r in results if r['run'] == 'rerun']
    if rerun and (rerun[0]['changed'] or rerun[0]['mutating']):
        print('\nthe rerun changed something (changed=%d, %d mutating calls)' % (rerun[0]['changed'], rerun[0]['mutating']))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
