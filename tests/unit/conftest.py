# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make ``ansible_collections.hostcraft.cloud`` importable when pytest runs from a plain checkout."""

from __future__ import annotations

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)  # for tests.simulators

if os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == 'ansible_collections':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(ROOT))))
else:
    _LAYOUT = os.path.join(tempfile.gettempdir(), 'hostcraft-pytest-%d' % os.getuid(), 'ansible_collections', 'hostcraft')
    os.makedirs(_LAYOUT, exist_ok=True)
    _LINK = os.path.join(_LAYOUT, 'cloud')
    if os.path.realpath(_LINK) != ROOT:
        if os.path.islink(_LINK):
            os.unlink(_LINK)
        os.symlink(ROOT, _LINK)
    sys.path.insert(0, os.path.dirname(os.path.dirname(_LAYOUT)))
