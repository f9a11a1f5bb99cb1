# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test helper: append every task result as one JSON line to ``$HOSTCRAFT_RECORD``."""

from __future__ import annotations

DOCUMENTATION = r'''
name: hostcraft_record
type: aggregate
short_description: Record task results as JSON lines (tests only)
description:
  - Appends one JSON object per task result to the file named by E(HOSTCRAFT_RECORD).
options: {}
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'hostcraft_record'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result):
        path = os.environ.get('HOSTCRAFT_RECORD')
        if not path:
            return
        entry = {'task': result.task_name, 'host': result._host.get_name(), 'status': status,
                 'result': result._result}
        with open(path, 'a') as handle:
            handle.write(json.dumps(entry, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)
