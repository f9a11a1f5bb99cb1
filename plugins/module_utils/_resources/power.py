# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""``power``: running / stopped / restarted, judged by the power state read back from the API."""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Outcome, wait_for
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import Unsupported
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.common import find_server

TARGET = {'running': 'running', 'stopped': 'stopped', 'restarted': 'running'}


def _wait_state(power, server, want, timeout, what):
    return wait_for(lambda: power.state(server.id), lambda p: p.power_state == want and not p.locked, timeout,
                    lambda p: 'power %s%s' % (p.power_state, ', locked' if p.locked else ''),
                    'server %s (%s) to %s' % (server.name, server.id, what))


def ensure(hm):
    """``hostcraft.cloud.power``."""
    params = hm.params
    state, force, timeout = params['state'], params['force'], params['wait_timeout']
    provider = hm.provider('power')
    if state in provider.power.unsupported_states:
        thing, reason = provider.power.unsupported_states[state]
        raise Unsupported('provider %s cannot %s: %s.' % (provider.name, thing, reason), provider=provider.name)
    server = find_server(provider, params['server'], details=False)
    power = provider.power
    current = power.state(server.id)
    if current.locked and not hm.check_mode:
        current = wait_for(lambda: power.state(server.id), lambda p: not p.locked, timeout,
                           lambda p: 'power %s, locked' % p.power_state, 'server %s (%s) to unlock' % (server.name, server.id))
    before = current.power_state
    act = state == 'restarted' or before != TARGET[state]
    if act and hm.check_mode:
        power.check(server.id, state, hard=force)  # predict a refusal exactly as the real run would meet it
    if act and not hm.check_mode:
        if state == 'running':
            power.start(server.id)
        elif state == 'stopped':
            power.stop(server.id, hard=force)
        else:
            power.restart(server.id, hard=force)
        if params['wait']:
            current = _wait_state(power, server, TARGET[state], timeout, 'be %s' % TARGET[state])
        else:
            current = power.state(server.id)
    after = current.power_state if not act or (not hm.check_mode and not params['wait']) else TARGET[state]
    outcome = Outcome(act, {'power_state': before}, {'power_state': after}, None)
    result = outcome.result('power_state', diff=hm.diff)
    result['power_state'] = after
    # unchanged: the server as looked up (completed only where the list was partial); changed: read again
    result['server'] = (provider.servers.get(server.id) if act else provider.servers.detailed(server)).to_dict()
    result['server']['power_state'] = after  # what the power read (or, in check mode, the plan) says
    return result
