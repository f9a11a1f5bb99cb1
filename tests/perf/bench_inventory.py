# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark of the inventory plugin ``hostcraft.cloud.servers`` against the provider simulators.

For every provider, number of seeded servers and ``max_workers``, ``ansible-inventory -i <file> --list`` runs

* **cold**: empty token cache (``XDG_CACHE_HOME``) and empty inventory cache (``cache: true`` on an empty
  ``cache_connection``), so the run fetches everything (and writes the cache);
* **warm**: the same file again, within ``cache_timeout``: the target is no API call at all (no login either).

Each run prints the simulator's calls by kind, the wall time, the *bound*
``(serial calls + detail calls / max_workers) × latency`` (what the calls cost at the simulated latency if
the client itself took no time), two baselines made from the cold run's ``--list`` output (same hosts, host
variables and groups) and the ratio ``(wall − baseline) / bound`` against each:

* **static**: ``ansible-inventory --list`` over that output written as a static inventory (a JSON file read by the
  YAML inventory plugin);
* **loader**: the same file read by ``inventory_plugins/bench_static.py`` (``json.load`` and the same
  ``add_host``/``set_variable``/``add_child`` calls as the plugin).  On ansible-core 2.19 the YAML plugin tags
  every value with its origin and deep-copies the file's data, so the static baseline is slower than what
  ``ansible-inventory`` itself costs for these hosts and flatters the ratio at 1,000 hosts and more.

Then the peak RSS of ``ansible-inventory`` (``os.wait4``; the children are started by a small helper process so
that the simulators' memory does not count) next to the static baseline's.  With ``--repeat N`` every
measurement runs N times and the fastest run is reported (noise only adds time).  A warm run makes no call, so
it runs once per provider and size; a provider whose first cold run makes no per-server call gets no runs with
other ``max_workers`` values.  A markdown table follows; ``--write docs/performance.md`` puts it into that file.

    python tests/perf/bench_inventory.py --quick
    python tests/perf/bench_inventory.py --providers glesys,hostup --sizes 1000 --workers 8,32
    python tests/perf/bench_inventory.py --write docs/performance.md     # the full matrix (make bench)

Figures only: the exit status is non-zero only when a run fails, never because of its time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from tests.perf import _common as common  # noqa: E402  pylint: disable=wrong-import-position

SIZES = (100, 1000, 5000)
WORKERS = (1, 8, 32)
QUICK_SIZES = (100, 1000)
QUICK_WORKERS = (8, 32)
LATENCY = 0.05
# per-server calls each provider is expected to make (for --max-bound before a run; the report counts the real ones)
EXPECTED_DETAILS = {'glesys': 1, 'hostkey': 1, 'hostup': 1, 'serverspace': 0, 'skyport': 0}
EXPECTED_PAGE = {'hostup': 100}
SECTION = 'bench_inventory'
TARGET_RATIO = 1.2
LOADER_PLUGINS = os.path.join(HERE, 'inventory_plugins')
TARGET_RSS = 1.5


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--quick', action='store_true',
                        help='sizes %s and workers %s only' % (','.join(map(str, QUICK_SIZES)), ','.join(map(str, QUICK_WORKERS))))
    parser.add_argument('--providers', default=','.join(common.PROVIDERS), help='comma-separated (default: all five)')
    parser.add_argument('--sizes', help='seeded servers, comma-separated (default: %s)' % ','.join(map(str, SIZES)))
    parser.add_argument('--workers', help='max_workers values, comma-separated (default: %s)' % ','.join(map(str, WORKERS)))
    parser.add_argument('--latency', type=float, default=LATENCY, help='simulated seconds per request (default %(default)s)')
    parser.add_argument('--max-bound', type=float, default=60.0,
                        help='skip a cold run whose expected bound exceeds this many seconds (0: never skip; '
                             'default %(default)s, which skips max_workers 1 at 5,000 servers for the providers with '
                             'per-server calls)')
    parser.add_argument('--repeat', type=int, default=1,
                        help='runs of each measurement; the fastest is reported (noise only adds time), the spread is printed')
    parser.add_argument('--warm-each', action='store_true',
                        help='a warm run for every max_workers value (default: one per provider and size; a warm run '
                             'makes no call, so max_workers does not matter)')
    parser.add_argument('--all-workers', action='store_true',
                        help='run every max_workers value even when the first cold run made no per-server call')
    parser.add_argument('--no-warm', action='store_true', help='cold runs only')
    parser.add_argument('--write', metavar='FILE', help='also put the table into FILE (between <!-- %s --> markers)' % SECTION)
    parser.add_argument('--json', metavar='FILE', help='also write every measurement as JSON')
    parser.add_argument('--client-log', action='store_true',
                        help='cold runs also log every HTTP call on the client side (HOSTCRAFT_CALL_LOG) and print how '
                             'long the calls took there (median and 95th percentile; latency plus client overhead)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (inventories, outputs, caches)')
    args = parser.parse_args(argv)
    args.providers = [p.strip() for p in args.providers.split(',') if p.strip()]
    unknown = [p for p in args.providers if p not in common.PROVIDERS]
    if unknown:
        parser.error('unknown providers: %s' % ', '.join(unknown))
    args.sizes = [int(s) for s in args.sizes.split(',')] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    args.workers = [int(w) for w in args.workers.split(',')] if args.workers else list(QUICK_WORKERS if args.quick else WORKERS)
    if args.repeat < 1 or any(w < 1 for w in args.workers) or any(s < 1 for s in args.sizes):
        parser.error('--repeat, --workers and --sizes must be 1 or more')
    return args


# --- static baseline --------------------------------------------------------------------------

def plain(value):
    """``--list`` output without ansible-core 2.19's ``{"__ansible_unsafe": ...}`` wrappers."""
    if isinstance(value, dict):
        if len(value) == 1 and '__ansible_unsafe' in value:
            return plain(value['__ansible_unsafe'])
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_shape(listing):
    """``(hosts, groups)``: host names and ``{group: (hosts, children)}`` of a ``--list`` output."""
    hostvars = listing.get('_meta', {}).get('hostvars', {})
    groups = {}
    for name, group in listing.items():
        if name == '_meta' or not isinstance(group, dict):
            continue
        groups[name] = (sorted(group.get('hosts') or []), sorted(group.get('children') or []))
    return sorted(hostvars), groups


def static_inventory(listing):
    """A static inventory (YAML plugin structure, written as JSON) with the hosts, variables and groups of ``listing``."""
    listing = plain(listing)
    hostvars = listing.get('_meta', {}).get('hostvars', {})
    children = {}
    for name, group in listing.items():
        if name in ('_meta', 'all', 'ungrouped') or not isinstance(group, dict):
            continue
        entry = {}
        if group.get('hosts'):
            entry['hosts'] = dict((host, None) for host in group['hosts'])
        if group.get('children'):
            entry['children'] = dict((child, None) for child in group['children'])
        children[name] = entry
    return {'all': {'hosts': hostvars, 'children': children}}


# --- one measurement ---------------------------------------------------------------------------

def inventory_file(path, provider, workers, cache_dir):
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('plugin: hostcraft.cloud.servers\nprovider: %s\nmax_workers: %d\n'
                     'cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 3600\n'
                     % (provider, workers, cache_dir))


def ansible_inventory(source, env, out_path):
    cmd = [os.path.join(common.BIN, 'ansible-inventory'), '-i', source, '--list']
    measured = common.run_measured(cmd, env, out_path)
    if measured.rc != 0:
        raise RuntimeError('%s failed (exit %d):\n%s' % (' '.join(cmd), measured.rc, measured.stderr[-3000:]))
    return measured


def load_listing(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def client_times(path):
    """Median and 95th percentile of the client-side duration of the calls in a HOSTCRAFT_CALL_LOG file."""
    with open(path, encoding='utf-8') as handle:
        elapsed = sorted(json.loads(line).get('elapsed') or 0.0 for line in handle if line.strip())
    if not elapsed:
        return 'no calls'
    return '%d calls, median %.1f ms, p95 %.1f ms, max %.1f ms, sum %.1f s' % (
        len(elapsed), 1000 * elapsed[len(elapsed) // 2], 1000 * elapsed[min(len(elapsed) - 1, int(len(elapsed) * 0.95))],
        1000 * elapsed[-1], sum(elapsed))


def fastest(runs):
    """The run with the lowest wall time, with the highest peak RSS of all runs.

    On a shared machine, noise only ever adds time, so the fastest of several runs is the best estimate.
    """
    chosen = min(runs, key=lambda m: m.wall)
    chosen.rss_mib = max(m.rss_mib for m in runs)
    return chosen


def spread(runs):
    """``4.12`` for one run, ``4.12 (4.12-5.30, 3 runs)`` for several."""
    walls = sorted(m.wall for m in runs)
    if len(walls) == 1:
        return '%.2f' % walls[0]
    return '%.2f (%.2f-%.2f, %d runs)' % (walls[0], walls[0], walls[-1], len(walls))


def verdict(ratio):
    return 'met' if ratio is not None and ratio <= TARGET_RATIO else 'MISSED'


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.rows = []
        self.results = []
        self.failures = []

    def log(self, text):
        print(text, flush=True)

    def expected_bound(self, provider, size, workers):
        page = EXPECTED_PAGE.get(provider)
        serial = 1 + (-(-size // page) if page else 0) + (1 if provider == 'hostkey' else 0)
        return (serial + EXPECTED_DETAILS[provider] * size / float(workers)) * self.args.latency

    def run_provider_size(self, provider, size):
        handle = common.start_simulator(provider, latency=self.args.latency, seed_servers=size)
        try:
            state = {'baselines': None, 'warm_done': False, 'no_details': False}
            for workers in self.args.workers:
                expected = self.expected_bound(provider, size, workers)
                if self.args.max_bound and expected > self.args.max_bound:
                    self.log('%-11s %5d servers  %2d workers  skipped: expected bound %.0f s > --max-bound %.0f s'
                             % (provider, size, workers, expected, self.args.max_bound))
                    continue
                if state['no_details'] and not self.args.all_workers:
                    self.log('%-11s %5d servers  %2d workers  skipped: no per-server calls, so max_workers changes nothing '
                             '(--all-workers runs it anyway)' % (provider, size, workers))
                    continue
                try:
                    self.run_one(provider, size, workers, handle, state)
                except RuntimeError as exc:
                    self.failures.append('%s %d servers %d workers: %s' % (provider, size, workers, exc))
                    self.log('%-11s %5d servers  %2d workers  FAILED: %s' % (provider, size, workers, exc))
        finally:
            handle.stop()

    def baselines(self, provider, size, listing, hosts, groups):
        """``{'static': Measured, 'loader': Measured}`` for the hosts, variables and groups of ``listing``.

        static: ``ansible-inventory --list`` over the listing written as a static inventory (YAML plugin, JSON file);
        loader: the same file read by tests/perf/inventory_plugins/bench_static.py (json.load, then the same
        add_host/set_variable/add_child calls as the plugin), without the YAML plugin's origin tags and deep copy.
        """
        static_path = os.path.join(self.workdir, '%s-%d.benchstatic.json' % (provider, size))
        with open(static_path, 'w', encoding='utf-8') as handle_out:
            json.dump(static_inventory(listing), handle_out)
        result = {}
        for kind in ('static', 'loader'):
            env = common.base_env()
            if kind == 'loader':
                env['ANSIBLE_INVENTORY_PLUGINS'] = LOADER_PLUGINS
                env['ANSIBLE_INVENTORY_ENABLED'] = 'bench_static'
            out = '%s.%s.out.json' % (static_path, kind)
            runs = [ansible_inventory(static_path, env, out) for dummy in range(self.args.repeat)]
            static_hosts, static_groups = inventory_shape(plain(load_listing(out)))
            if static_hosts != hosts or set(static_groups) != set(groups):
                self.log('WARNING: the %s baseline of %s/%d differs from the cold output (%d vs %d hosts, %d vs %d groups)'
                         % (kind, provider, size, len(static_hosts), len(hosts), len(static_groups), len(groups)))
            result[kind] = fastest(runs)
            self.log('%-11s %5d servers  %s baseline: %d hosts, %d groups, wall %s s, peak RSS %.1f MiB, CPU %.2f s'
                     % (provider, size, kind, len(hosts), len(groups), spread(runs), result[kind].rss_mib,
                        result[kind].cpu))
        return result

    def run_one(self, provider, size, workers, handle, state):
        sim = handle.sim
        colds = []
        for attempt in range(self.args.repeat):
            base = os.path.join(self.workdir, '%s-%d-w%d-%d' % (provider, size, workers, attempt))
            os.makedirs(os.path.join(base, 'xdg'))
            os.makedirs(os.path.join(base, 'cache'))
            source = os.path.join(base, 'inventory.hostcraft.yml')
            inventory_file(source, provider, workers, os.path.join(base, 'cache'))
            env = common.base_env()
            env.update(common.provider_env(provider, handle.url, os.path.join(base, 'xdg')))
            client_log = os.path.join(base, 'client-calls.jsonl')
            sim.call_log(clear=True)
            measured = ansible_inventory(source, dict(env, HOSTCRAFT_CALL_LOG=client_log) if self.args.client_log else env,
                                         os.path.join(base, 'cold.json'))
            measured.calls = common.call_kinds(provider, sim.call_log(clear=True))
            if self.args.client_log:
                self.log('%-11s %5d servers  %2d workers  cold  client-side call time: %s'
                         % (provider, size, workers, client_times(client_log)))
            colds.append((measured, base, source, env))
        runs = [c[0] for c in colds]
        cold_calls = runs[0].calls
        base, source, env = colds[-1][1:]
        listing = load_listing(os.path.join(base, 'cold.json'))
        hosts, groups = inventory_shape(plain(listing))
        if state['baselines'] is None:
            state['baselines'] = self.baselines(provider, size, listing, hosts, groups)
        bound = (cold_calls.serial + cold_calls.detail / float(workers)) * self.args.latency
        self.record(provider, size, workers, 'cold', runs, cold_calls, bound, state['baselines'], len(hosts))
        state['no_details'] = cold_calls.detail == 0

        if self.args.no_warm or (state['warm_done'] and not self.args.warm_each):
            return
        # a warm run reads the cache and makes no call, so max_workers does not matter: once per size unless --warm-each
        state['warm_done'] = True
        warms = []
        for dummy in range(self.args.repeat):
            sim.call_log(clear=True)
            measured = ansible_inventory(source, env, os.path.join(base, 'warm.json'))
            measured.calls = common.call_kinds(provider, sim.call_log(clear=True))
            warms.append(measured)
        warm_calls = common.CallSummary()
        for measured in warms:  # any call in any warm run counts
            warm_calls.total += measured.calls.total
            warm_calls.serial += measured.calls.serial
            warm_calls.detail += measured.calls.detail
            warm_calls.kinds.update(measured.calls.kinds)
        warm_hosts, _groups = inventory_shape(plain(load_listing(os.path.join(base, 'warm.json'))))
        if warm_hosts != hosts:
            self.log('WARNING: the warm run of %s/%d/%d lists %d hosts, the cold run %d'
                     % (provider, size, workers, len(warm_hosts), len(hosts)))
        self.record(provider, size, workers, 'warm', warms, warm_calls, 0.0, state['baselines'], len(warm_hosts))

    def record(self, provider, size, workers, kind, runs, calls, bound, baselines, hosts):
        measured = fastest(runs)
        static, loader = baselines['static'], baselines['loader']
        ratio = (measured.wall - static.wall) / bound if bound > 0 else None
        loader_ratio = (measured.wall - loader.wall) / bound if bound > 0 else None
        rss_ratio = measured.rss_mib / static.rss_mib if static.rss_mib else None
        self.log('%-11s %5d servers  %2d workers  %s  hosts %d  calls %d {%s}  wall %s s  bound %.2f s  '
                 'baseline %.2f s (loader %.2f s)  ratio %s (loader %s)  peak RSS %.1f MiB (static %.1f MiB, x%s; '
                 'loader %.1f MiB)  CPU %.2f s  sim CPU %.2f s  load %.2f'
                 % (provider, size, workers, kind, hosts, calls.total, calls.text(), spread(runs), bound, static.wall,
                    loader.wall, common.fmt(ratio), common.fmt(loader_ratio), measured.rss_mib, static.rss_mib,
                    common.fmt(rss_ratio), loader.rss_mib, measured.cpu, measured.sim_cpu, measured.load))
        self.results.append({
            'provider': provider, 'servers': size, 'workers': workers, 'run': kind, 'hosts': hosts,
            'calls': calls.total, 'serial_calls': calls.serial, 'detail_calls': calls.detail,
            'calls_by_kind': dict(calls.kinds), 'wall': measured.wall, 'bound': bound, 'baseline': static.wall,
            'loader_baseline': loader.wall, 'ratio': ratio, 'loader_ratio': loader_ratio, 'rss_mib': measured.rss_mib,
            'baseline_rss_mib': static.rss_mib, 'loader_rss_mib': loader.rss_mib, 'rss_ratio': rss_ratio,
            'cpu': measured.cpu, 'sim_cpu': measured.sim_cpu, 'baseline_cpu': static.cpu, 'loader_cpu': loader.cpu,
            'load': measured.load, 'walls': [m.wall for m in runs],
        })
        self.rows.append([provider, size, workers if kind == 'cold' else '–', kind, calls.total, calls.text(), common.fmt(measured.wall),
                          common.fmt(bound), common.fmt(static.wall), common.fmt(ratio), common.fmt(loader.wall),
                          common.fmt(loader_ratio), common.fmt(measured.rss_mib, 0), common.fmt(static.rss_mib, 0),
                          common.fmt(rss_ratio), common.fmt(measured.cpu), common.fmt(measured.sim_cpu)])

    def targets(self):
        """One line per target: met or missed, with the runs that miss it."""
        lines = []
        cold = [r for r in self.results if r['run'] == 'cold' and r['servers'] == 1000]
        for provider in self.args.providers:
            # max_workers only matters with per-server calls; without them any cold run at 1,000 servers counts
            found = [r for r in cold if r['provider'] == provider and (r['workers'] == 8 or not r['detail_calls'])]
            if found:
                found = found[0]
                ratio, loader_ratio = found['ratio'], found['loader_ratio']
                lines.append('- cold ratio at 1,000 servers, %s workers, %s (target ≤ %.1f): %s against the static baseline '
                             '(%s), %s against the loader baseline (%s); wall − baseline %.2f s (loader %.2f s), bound %.2f s'
                             % (found['workers'] if found['detail_calls'] else 'any', provider, TARGET_RATIO,
                                common.fmt(ratio), verdict(ratio), common.fmt(loader_ratio), verdict(loader_ratio),
                                found['wall'] - found['baseline'], found['wall'] - found['loader_baseline'], found['bound']))
        warm = [r for r in self.results if r['run'] == 'warm']
        if warm:
            bad = ['%s/%d: %d calls' % (r['provider'], r['servers'], r['calls']) for r in warm if r['calls']]
            lines.append('- warm runs without API calls: %d of %d%s'
                         % (len(warm) - len(bad), len(warm), ('; MISSED by ' + ', '.join(bad)) if bad else ''))
        big = [r for r in self.results if r['servers'] == 5000]
        if big:
            bad = ['%s/%s/%s: x%.2f' % (r['provider'], r['workers'] if r['run'] == 'cold' else '-', r['run'], r['rss_ratio'])
                   for r in big if r['rss_ratio'] is not None and r['rss_ratio'] >= TARGET_RSS]
            lines.append('- peak RSS at 5,000 servers under %.1f x the static baseline: %d of %d runs%s'
                         % (TARGET_RSS, len(big) - len(bad), len(big), ('; MISSED by ' + ', '.join(bad)) if bad else ''))
        return lines


HEADER = ['provider', 'servers', 'workers', 'run', 'calls', 'calls by kind', 'wall s', 'bound s', 'static s', 'ratio',
          'loader s', 'ratio (loader)', 'RSS MiB', 'static RSS MiB', 'RSS ratio', 'CPU s', 'sim CPU s']


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    info = common.machine()
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='hostcraft-bench-inventory-')
    common.Spawner.get()  # before any simulator makes this process big
    print('machine: %s' % common.machine_line(info))
    print('ansible-inventory: %s; latency %.3f s per request; work directory %s'
          % (os.path.join(common.BIN, 'ansible-inventory'), args.latency, workdir), flush=True)
    bench = Bench(args, workdir)
    try:
        for provider in args.providers:
            for size in args.sizes:
                bench.run_provider_size(provider, size)
    except KeyboardInterrupt:
        print('interrupted; the table has the runs so far')
    finally:
        common.Spawner.get().close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    table = common.markdown_table(HEADER, bench.rows)
    targets = bench.targets()
    command = common.shown_command('bench_inventory.py', sys.argv[1:] if argv is None else argv)
    section = '\n'.join([
        'Measured with `%s` (%.0f s in all, %s).' % (command.strip(), elapsed, time.strftime('%Y-%m-%d')),
        '',
        'Machine: %s; load average at the end %.2f %.2f %.2f.' % ((common.machine_line(info),) + os.getloadavg()),
        '',
        table,
        '',
        'Targets:',
        '',
    ] + targets)
    common.publish(args, SECTION, section, info, bench.results)
    if bench.failures:
        print('\nfailed runs:\n' + '\n'.join(bench.failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
