# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark helper for tests/perf/bench_modules.py, not part of the collection: task durations as JSON lines."""

from __future__ import annotations

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Append the duration of every task to $HOSTCRAFT_BENCH_TIMES (benchmarks only)
description:
  - One JSON object per task result, C({"task", "action", "status", "seconds"}), appended to the file named by
    E(HOSTCRAFT_BENCH_TIMES).
options: {}
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def _record(self, status, result):
        path = os.environ.get('HOSTCRAFT_BENCH_TIMES')
        task = result._task
        started = self._started.pop(task._uuid, None)
        if not path or started is None:
            return
        entry = {'task': task.get_name(), 'action': task.action, 'status': status,
                 'seconds': round(time.monotonic() - started, 4)}
        with open(path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(entry) + '\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)
