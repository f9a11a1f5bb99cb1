# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``make demo``: start the five simulators, run the demo and the fleet playbooks twice, stop the simulators.

1. playbooks/demo.yml (GleSYS: SSH key, server, PTR, DNS records), twice: the first run creates, the second
   must report ``changed=0``;
2. ``ansible-playbook hostcraft.cloud.provision -e @examples/fleet.yml``: a mixed fleet at five providers,
   twice, the second with ``changed=0``;
3. the dynamic inventory of all five accounts (``ansible-inventory --graph``) and the
   ``hostcraft.cloud.inventory_report`` table.

Everything is offline: the playbooks talk to the simulators on loopback through the ``*_API_URL`` variables.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests import layout  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulators import launcher  # noqa: E402  pylint: disable=wrong-import-position


def run(title, cmd, env):
    """Run one command, echo its output; return (exit code, changed count of its PLAY RECAP or None, stdout)."""
    print('\n=== %s ===' % title, flush=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    match = re.search(r'localhost\s*:\s*ok=\d+\s+changed=(\d+)', proc.stdout)
    return proc.returncode, int(match.group(1)) if match else None, proc.stdout


def main():
    sims = {}
    try:
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': layout.collections_path('demo'),
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED': 'true',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'XDG_CACHE_HOME': tempfile.mkdtemp(prefix='hostcraft-demo-cache-'),
        })
        for provider in ('glesys', 'hostkey', 'serverspace', 'hostup', 'skyport'):
            sims[provider] = launcher.start(provider, port=0, **launcher.QUICK_KNOBS[provider])
            env.update(launcher.credentials_env(provider, sims[provider].url))
        bindir = os.path.dirname(sys.executable)
        steps = [
            ('demo run 1', [os.path.join(bindir, 'ansible-playbook'), os.path.join(ROOT, 'playbooks', 'demo.yml')], 'first'),
            ('demo run 2', [os.path.join(bindir, 'ansible-playbook'), os.path.join(ROOT, 'playbooks', 'demo.yml')], 'zero'),
            ('fleet run 1: ansible-playbook hostcraft.cloud.provision -e @examples/fleet.yml',
             [os.path.join(bindir, 'ansible-playbook'), 'hostcraft.cloud.provision', '-e', '@examples/fleet.yml'], 'first'),
            ('fleet run 2 (must change nothing)',
             [os.path.join(bindir, 'ansible-playbook'), 'hostcraft.cloud.provision', '-e', '@examples/fleet.yml'], 'zero'),
            ('dynamic inventory of five accounts (ansible-inventory --graph)',
             [os.path.join(bindir, 'ansible-inventory'), '-i', 'playbooks/inventory/fleet.hostcraft.yml', '--graph'],
             'groups'),
            ('inventory report', [os.path.join(bindir, 'ansible-playbook'), 'hostcraft.cloud.inventory_report',
                                  '-i', 'playbooks/inventory/fleet.hostcraft.yml'], None),
        ]
        summary = []
        for title, cmd, expect in steps:
            code, changed, stdout = run(title, cmd, env)
            if code != 0:
                print('demo: %s failed (exit %d)' % (title, code))
                return code
            if expect == 'first' and not changed:
                print('demo: %s changed nothing; expected changes on a first run' % title)
                return 1
            if expect == 'zero' and changed != 0:
                print('demo: %s reported changed=%s; expected changed=0' % (title, changed))
                return 1
            if expect == 'groups':
                missing = [p for p in sims if '@provider_%s:' % p not in stdout]
                if missing:
                    print('demo: the inventory has no servers of %s' % ', '.join(missing))
                    return 1
                continue
            if expect:
                summary.append('%s: changed=%d' % (title.split(':', maxsplit=1)[0], changed))
        print('\ndemo: ' + '; '.join(summary))
        return 0
    finally:
        for sim in sims.values():
            sim.stop()


if __name__ == '__main__':
    sys.exit(main())
