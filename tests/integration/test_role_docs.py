# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every role documents its variables in meta/argument_specs.yml, and ``ansible-doc -t role`` renders them."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT  # pylint: disable=import-error  # tests/integration is on sys.path

ROLES = sorted(os.listdir(os.path.join(ROOT, 'roles')))


def test_the_three_roles_exist():
    assert ROLES == ['dns_zone', 'server_fleet', 'ssh_keys']


@pytest.mark.parametrize('role', ROLES)
def test_ansible_doc_renders_the_role(role, ansible_env):
    proc = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', '--json', 'hostcraft.cloud.%s' % role],
                          env=ansible_env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)['hostcraft.cloud.%s' % role]
    main = doc['entry_points']['main']
    assert main['short_description'] and main['options']
    with open(os.path.join(ROOT, 'roles', role, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle) or {}
    # every default is a documented option with the same default, and every option carries the role's prefix
    for name, value in defaults.items():
        assert name in main['options'], name
        assert main['options'][name].get('default') == value, name
    for name in main['options']:
        assert name.startswith(role + '_'), name
    readme = open(os.path.join(ROOT, 'roles', role, 'README.md')).read()
    for name in main['options']:
        assert name in readme, '%s is not in roles/%s/README.md' % (name, role)
