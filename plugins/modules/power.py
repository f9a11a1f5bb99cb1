#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: power
short_description: Start, stop and restart servers
version_added: 0.1.0
description:
  - Bring a server to a power state, judged by the state read back from the API. C(restarted) always reports a change.
  - A server that is locked by a running job is waited for (within O(wait_timeout)) before anything is sent.
  - "Supported providers: C(glesys) (state from C(server/status); stop is C(soft) by default and C(hard) with
    O(force); restart is C(server/reboot), or C(server/reset) with O(force)), C(hostkey) (state from the
    asynchronous C(eq/status); C(eq/on), C(eq/off) or C(eq/hard_off) with O(force), C(eq/reboot); the PIN is sent
    when O(hostkey_pin) is set), C(hostup) (state from C(/vps/{id}/status); C(start), C(shutdown) or C(stop) with
    O(force), C(restart) or C(reset) with O(force); each action's gate must be open, else the module fails with its
    reason and sends nothing; a VPS in a transition or a job is waited out, then the decision is made again; the job
    of each action is followed to its end), C(serverspace) (C(power/on), C(power/shutdown) or C(power/off) with O(force),
    C(power/reboot) or C(power/reset) with O(force); each a task the module follows, judged by C(is_power_on)),
    C(skyport) (V(stopped) suspends the instance and V(running) unsuspends it, judged by the C(suspended) field
    re-read with C(getInstance) because the panel answers HTTP 500 after a successful suspend; an instance that is
    still installing is waited for first; C(running) also needs the instance to be C(READY); O(force) has no effect;
    V(restarted) fails before any call: the panel has no restart)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  server:
    description:
      - ID or name of the server. A name more than one server has fails; use the ID.
    type: str
    required: true
  state:
    description:
      - The power state to reach.
    type: str
    choices: [running, stopped, restarted]
    default: running
  force:
    description:
      - Hard power off / reset instead of a graceful shutdown / reboot.
    type: bool
    default: false
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.wait
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
'''

EXAMPLES = r'''
- name: Stop gracefully and wait
  hostcraft.cloud.power:
    provider: glesys
    server: web01.example.com
    state: stopped

- name: Hard reset a hung server
  hostcraft.cloud.power:
    provider: glesys
    server: kvm1000123
    state: restarted
    force: true

- name: Suspend a Skyport instance (judged by the re-read flag; the panel answers 500)
  hostcraft.cloud.power:
    provider: skyport
    server: mc-survival
    state: stopped
'''

RETURN = r'''
power_state:
  description: The power state after the task (predicted in check mode).
  returned: always
  type: str
  sample: running
server:
  description: The server, shaped like the C(server) return value of M(hostcraft.cloud.server).
  returned: always
  type: dict
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule, wait_argument_spec
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import power


def main():
    module = HostcraftModule(dict(
        server=dict(type='str', required=True),
        state=dict(type='str', default='running', choices=['running', 'stopped', 'restarted']),
        force=dict(type='bool', default=False),
        **wait_argument_spec()
    ))
    module.run(power.ensure)


if __name__ == '__main__':
    main()
