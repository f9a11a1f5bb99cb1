# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The capability docs are generated from the capability objects and must match them (so they cannot go stale).

On a failure, regenerate with ``python tests/tools/capability_matrix.py`` and commit the docs.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import FEATURES
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import ADAPTERS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(ROOT, 'tests', 'tools', 'capability_matrix.py')


@pytest.fixture(scope='module')
def matrix():
    spec = importlib.util.spec_from_file_location('hostcraft_capability_matrix', GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
        return handle.read()


def test_committed_docs_match_the_capability_objects(matrix):
    differing = matrix.stale(ROOT)
    assert not differing, 'stale capability docs (run python tests/tools/capability_matrix.py):\n' + '\n'.join(
        diff for _path, diff in differing)


def test_every_feature_has_a_row_in_the_committed_matrix(matrix):
    rows = matrix.rows(FEATURES, matrix.module_names(ROOT))
    assert [feature for feature, _label in rows] == list(FEATURES)
    table = [line for line in _read(matrix.MATRIX).splitlines() if line.startswith('| ')]
    for feature, label in rows:
        found = [line for line in table if line.startswith('| %s |' % label)]
        assert len(found) == 1, 'feature %s has no row %r in %s' % (feature, label, matrix.MATRIX)
        cells = [cell.strip() for cell in found[0].strip('|').split('|')[1:]]
        assert len(cells) == len(ADAPTERS)
        for (name, cls), cell in zip(ADAPTERS.items(), cells):
            supported = cls.capabilities.supports(feature)
            assert (cell == matrix.YES) == supported, '%s at %s: %r' % (feature, name, cell)


def test_every_module_is_in_every_provider_guide(matrix):
    for name in ADAPTERS:
        text = _read('docs/%s.md' % name)
        section = text[text.index(matrix.BEGIN):text.index(matrix.END)]
        for module in matrix.module_names(ROOT):
            assert '`hostcraft.cloud.%s`' % module in section, 'docs/%s.md does not list %s' % (name, module)


def test_a_feature_without_a_row_is_an_error(matrix):
    features = dict(FEATURES, volume='manage volumes')
    with pytest.raises(matrix.MatrixError, match='volume'):
        matrix.rows(features, matrix.module_names(ROOT))


def test_a_module_without_a_feature_is_an_error(matrix):
    with pytest.raises(matrix.MatrixError, match='firewall'):
        matrix.rows(FEATURES, matrix.module_names(ROOT) + ['firewall'])


def test_markers_are_required(matrix):
    with pytest.raises(matrix.MatrixError, match='capabilities:begin'):
        matrix.replace_section('# guide\n', 'generated', 'docs/x.md')
