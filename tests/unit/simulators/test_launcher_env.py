# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``python -m tests.simulators --env-file``: the shell lines that point the collection at running simulators."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_env_file_points_at_the_simulators_and_goes_away(tmp_path):
    env_file = tmp_path / 'sims.env'
    proc = subprocess.Popen([sys.executable, '-m', 'tests.simulators', '--quick', '--env-file', str(env_file),
                             '--env', 'ANSIBLE_COLLECTIONS_PATH=/x y', 'glesys', 'skyport'], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not env_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        lines = env_file.read_text().splitlines()
        values = dict(line[len('export '):].split('=', 1) for line in lines)
        assert set(values) == {'GLESYS_API_URL', 'GLESYS_PROJECT', 'GLESYS_API_KEY', 'SKYPORT_URL', 'SKYPORT_API_KEY',
                               'ANSIBLE_COLLECTIONS_PATH'}
        assert values['ANSIBLE_COLLECTIONS_PATH'] == "'/x y'"
        auth = (values['GLESYS_PROJECT'], values['GLESYS_API_KEY'])
        answer = requests.post(values['GLESYS_API_URL'] + '/server/list', auth=auth, timeout=10)
        assert answer.status_code == 200
        assert requests.get(values['SKYPORT_URL'] + '/api/instances', headers={'x-api-key': values['SKYPORT_API_KEY']},
                            timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0 and not env_file.exists()
