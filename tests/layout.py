# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``ansible_collections/hostcraft/cloud`` layout that Python imports and ansible-* commands need."""

from __future__ import annotations

import os
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collections_path(tag):
    """A directory holding ``ansible_collections/hostcraft/cloud`` -> this checkout.

    A checkout that already sits in such a layout is used as it is; otherwise a symlink is made (or repaired)
    under ``$TMPDIR/hostcraft-<tag>-<uid>``.
    """
    if os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == 'ansible_collections':
        return os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    base = os.path.join(tempfile.gettempdir(), 'hostcraft-%s-%d' % (tag, os.getuid()))
    layout = os.path.join(base, 'ansible_collections', 'hostcraft')
    os.makedirs(layout, exist_ok=True)
    link = os.path.join(layout, 'cloud')
    if os.path.realpath(link) != ROOT:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(ROOT, link)
    return base
