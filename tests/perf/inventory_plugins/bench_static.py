# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark helper: the "loader" baseline of tests/perf/bench_inventory.py, not part of the collection.

Reads a ``*.benchstatic.json`` file (the static inventory the benchmark writes: ``{"all": {"hosts": {name: vars},
"children": {group: {"hosts": {name: null}, "children": {group: null}}}}}``) with ``json.load`` and adds its
groups, hosts and variables with the same inventory calls ``hostcraft.cloud.servers`` makes. Unlike the YAML
inventory plugin, it neither tags every value with its origin nor deep-copies the file's data, so it measures
what ``ansible-inventory`` itself costs for these hosts.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: bench_static
short_description: Benchmark baseline; static hosts from a JSON file, loaded with json.load
description:
  - Used by tests/perf/bench_inventory.py only.
options: {}
'''

import json

from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):

    NAME = 'bench_static'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith('.benchstatic.json')

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)['all']
        for name, hostvars in data.get('hosts', {}).items():
            self.inventory.add_host(name)
            for key, value in (hostvars or {}).items():
                self.inventory.set_variable(name, key, value)
        for group, entry in data.get('children', {}).items():
            self.inventory.add_group(group)
            for name in (entry or {}).get('hosts') or {}:
                self.inventory.add_child(group, name)
        for group, entry in data.get('children', {}).items():
            for child in (entry or {}).get('children') or {}:
                self.inventory.add_group(child)
                self.inventory.add_child(group, child)
