# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Read-only catalog module ``image_info``."""

from __future__ import annotations


def images(hm):
    """``hostcraft.cloud.image_info``."""
    provider = hm.provider('image_info')
    items = provider.images()
    if hm.params.get('name'):
        wanted = hm.params['name'].lower()
        items = [i for i in items if wanted in ((i.get('name') or '').lower(), str(i.get('id')).lower())]
    return {'changed': False, 'images': items}
