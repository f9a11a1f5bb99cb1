# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Helpers shared by the resources: server lookup by ID or name, bounded waits on a server."""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import NotFound, ValidationError


def match_servers(servers, name):
    """Servers whose name is ``name`` (case-insensitive: hostnames are)."""
    wanted = name.strip().lower()
    return [s for s in servers if (s.name or '').strip().lower() == wanted]


def ambiguous(provider, name, matches):
    return ValidationError('server name "%s" is ambiguous at %s: %d servers have it (ids %s); use the ID.'
                           % (name, provider.title, len(matches), ', '.join(str(s.id) for s in matches)))


def find_server(provider, ref, details=True):
    """The one server whose ID is ``ref``, or else whose name is ``ref``; fail on zero or several."""
    if ref is None or not str(ref).strip():
        raise ValidationError('server must not be empty.')
    ref = str(ref).strip()
    api = provider.servers
    matches = api.lookup(ref)
    if not matches:
        raise NotFound('server "%s" not found at %s (no server has that ID or name).' % (ref, provider.title))
    if len(matches) > 1:
        raise ambiguous(provider, ref, matches)
    return api.detailed(matches[0]) if details else matches[0]


def wait_unlocked(provider, server, timeout, what='a running job to finish'):
    """Wait until ``server`` is not locked/busy; return the fresh server."""
    if server.status != 'locked':
        return server
    return wait_for(lambda: provider.servers.get(server.id), lambda s: s.status != 'locked', timeout,
                    lambda s: 'status %s' % s.status, 'server %s (%s) to unlock (%s)' % (server.name, server.id, what))
