#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user
short_description: Create Skyport panel users
version_added: 0.1.0
description:
  - Make a user of a Skyport panel exist. The user is identified by O(username) (exact, case-sensitive, as the panel
    compares it).
  - The panel's API can create users but cannot change or delete them. A user whose O(email), O(admin) or O(user_id)
    differs fails with a message saying to change it in the admin UI; O(state=absent) on an existing user fails the
    same way (also in check mode). O(password) is used only when the user is created; the panel keeps a hash, so it
    is never compared.
  - The panel stores all users as one value and loses writes made at the same time. Writes of tasks on one host (the
    forks of one controller) take turns, through a lock file under C($XDG_CACHE_HOME/hostcraft). The module checks
    the user list after the create and creates again while the user is missing (the panel refuses a second user with
    the same username, so this never makes two). Modules running on several hosts at once, or other clients, can
    still undo a write that was already checked; give such tasks C(throttle=1). See the Skyport guide
    (docs/skyport.md).
  - "Supported providers: C(skyport). Other providers fail before any API call."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  username:
    description:
      - Name the user logs in with; identifies the user.
    type: str
    required: true
  email:
    description:
      - E-mail address. Required to create the user; must not belong to another user.
    type: str
  password:
    description:
      - Password of a new user. Never compared and never returned.
    type: str
  admin:
    description:
      - Whether the user is a panel administrator. When not set, a new user is not an administrator and an existing
        one is not compared.
    type: bool
  user_id:
    description:
      - The panel's C(userId) for a new user (the panel makes a UUID when not set). The panel does not check that it
        is unique, so choose unique values.
    type: str
  state:
    description:
      - V(present) creates the user when missing. V(absent) succeeds only when the user does not exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
seealso:
  - module: hostcraft.cloud.server
'''

EXAMPLES = r'''
- name: Create the panel users, one at a time (the panel loses concurrent writes)
  hostcraft.cloud.user:
    provider: skyport
    skyport_url: https://panel.example.com
    username: "{{ item.username }}"
    email: "{{ item.email }}"
    password: "{{ item.password }}"
  loop: "{{ panel_users }}"
  loop_control:
    label: "{{ item.username }}"
  no_log: true
  throttle: 1
'''

RETURN = r'''
user:
  description: The user, without password hash or tokens. Empty when absent.
  returned: always
  type: dict
  contains:
    user_id:
      description: The panel's C(userId) (owner id of instances).
      type: str
      sample: user-alice-0001
    username:
      description: Login name.
      type: str
      sample: alice
    email:
      description: E-mail address.
      type: str
      sample: alice@example.com
    admin:
      description: Whether the user is an administrator.
      type: bool
    verified:
      description: Whether the e-mail address is verified (V(null) for users made over the API).
      type: bool
    access_to:
      description: Instance IDs shared with this user.
      type: list
      elements: str
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import user


def main():
    module = HostcraftModule(dict(
        username=dict(type='str', required=True),
        email=dict(type='str'),
        password=dict(type='str', no_log=True),
        admin=dict(type='bool'),
        user_id=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ))
    module.run(user.ensure)


if __name__ == '__main__':
    main()
