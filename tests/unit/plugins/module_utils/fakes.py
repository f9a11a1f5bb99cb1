# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test doubles shared by the resource unit tests."""

from __future__ import annotations


class FakeHM:
    """What the resources use of HostcraftModule: params, check_mode, diff, provider(feature)."""

    def __init__(self, provider, params, check_mode=False, diff=True):
        self._provider = provider
        self.params = params
        self.check_mode = check_mode
        self.diff = diff

    def provider(self, feature, thing=None):
        self._provider.capabilities.require(feature, thing)
        return self._provider
