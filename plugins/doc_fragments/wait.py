# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until the provider has finished the change (the server unlocked, running, stopped or gone).
      - Polling backs off from 1 to 10 seconds.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most. It is always enforced; a timeout fails with the state last seen.
    type: int
    default: 600
'''
