# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``make demo``: start the simulators, run playbooks/demo.yml twice, stop the simulators.

The first run creates; the second must report ``changed=0``. Everything is offline: the
playbook talks to the simulators on loopback through the ``*_API_URL`` variables.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.simulators import glesys as glesys_sim  # noqa: E402  pylint: disable=wrong-import-position
from tests.simulators import launcher  # noqa: E402  pylint: disable=wrong-import-position


def collections_path():
    base = os.path.join(tempfile.gettempdir(), 'hostcraft-demo-%d' % os.getuid())
    layout = os.path.join(base, 'ansible_collections', 'hostcraft')
    os.makedirs(layout, exist_ok=True)
    link = os.path.join(layout, 'cloud')
    if os.path.islink(link):
        os.unlink(link)
    os.symlink(ROOT, link)
    return base


def main():
    sims = {'glesys': launcher.start('glesys', port=0)}
    try:
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': collections_path(),
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'GLESYS_API_URL': sims['glesys'].url,
            'GLESYS_PROJECT': glesys_sim.PROJECT,
            'GLESYS_API_KEY': glesys_sim.API_KEY,
        })
        playbook = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                    os.path.join(ROOT, 'playbooks', 'demo.yml')]
        changed = []
        for attempt in (1, 2):
            print('\n=== demo run %d ===' % attempt, flush=True)
            proc = subprocess.run(playbook, env=env, capture_output=True, text=True, check=False)
            sys.stdout.write(proc.stdout)
            sys.stderr.write(proc.stderr)
            if proc.returncode != 0:
                print('demo run %d failed (exit %d)' % (attempt, proc.returncode))
                return proc.returncode
            match = re.search(r'localhost\s*:\s*ok=\d+\s+changed=(\d+)', proc.stdout)
            changed.append(int(match.group(1)) if match else -1)
        print('\n=== dynamic inventory (ansible-inventory --graph) ===', flush=True)
        graph = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i',
                                os.path.join(ROOT, 'playbooks', 'inventory', 'demo.hostcraft.yml'), '--graph'],
                               env=env, capture_output=True, text=True, check=False)
        sys.stdout.write(graph.stdout + graph.stderr)
        if graph.returncode != 0:
            return graph.returncode
        print('\ndemo: first run changed=%d, second run changed=%d' % tuple(changed))
        if changed[0] < 1 or changed[1] != 0:
            print('demo: expected changes on the first run and none on the second')
            return 1
        return 0
    finally:
        for sim in sims.values():
            sim.stop()


if __name__ == '__main__':
    sys.exit(main())
