#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: server
short_description: Create, resize and delete servers
version_added: 0.1.0
description:
  - Make a server exist with the given size, or make it absent. The server is identified by O(name); a name
    that more than one server has fails (use the ID with the other modules).
  - Only the options you set are compared. Options a provider cannot change in place (location, platform,
    image) fail with a clear message instead of recreating the server.
  - "Supported providers: C(glesys), C(hostkey), C(serverspace), C(hostup), C(skyport)."
  - "HostUp: there is no API to order or cancel a VPS, so the module manages VPS that exist: O(name) is the VPS name or
    its C(vps_...) ID, O(state=present) on an existing VPS only reads, and a missing VPS or O(state=absent) fails
    with C(provider hostup cannot ...) before any write (also in check mode). O(hostname) sets the host name HostUp
    keeps apart from the name (C(PUT /vps/{id}/hostname)); RV(hostname_change) reports what the API did to reverse
    DNS. Sizes, image, location, tags and the other create options fail before any call."
  - "GleSYS: O(location) is the data center, O(image) the template (name, id or tag such as C(debian-12)),
    O(platform) is C(KVM) (default) or C(VMware). CPU, memory, disk (grow only) and, on VMware where the
    server supports it, bandwidth are changed in place with C(server/edit); KVM applies CPU and memory live.
    C(extra) may carry C(description) (also compared and edited), C(ip), C(ipv6) (default C(any)),
    C(backupschedules), C(cloudconfig), C(cloudconfigparams), C(campaigncode) and C(username)
    (the login user created on KVM, default C(hostcraft))."
  - "HOSTKEY: the server is found by its C(hostname) tag. Ordering a missing server costs money and needs
    O(allow_paid=true), O(plan) (preset), O(location), O(image) (OS name or id) and O(root_password); the order
    is never sent twice. A different O(image) reinstalls the server (wipes its disks) only with O(force=true).
    O(state=absent) requests the cancellation, again only with O(allow_paid=true). Sizes come from the preset:
    O(cpu), O(memory_mb) and O(disk_gb) fail. O(tags) sets the given tags. C(extra) may carry C(traffic_plan),
    C(deploy_period) and other C(eq/order_instance) fields."
  - "Skyport: a server is an instance (a container on a node). O(name) is not unique at the panel; when several
    instances have it, O(location) (node name or id) and O(user) (owner userId or username) pick one, and if still
    several match the module fails. A missing instance is deployed from O(image) (the panel image's name, or its
    Docker reference), O(memory_mb), O(cpu), O(ports), O(location) and O(user); C(extra) may carry C(primary) (the
    primary port; default the first host port of O(ports)) and C(variables) (the image's variables). O(wait) waits
    until the instance is C(READY) and fails when it is C(FAILED) (the instance is left in place). The panel has no
    update route: an instance that differs from the options fails, unless O(force=true), which B(replaces) it
    (delete and deploy again: a new ID, and the data of the old instance is lost). O(state=absent) deletes and then
    checks that the panel no longer lists the instance; an instance that is still installing is deleted only with
    O(force=true), because the panel then also drops every other instance that has no container yet (the module
    warns with their names). Writes to one panel from parallel hosts can get lost: use C(throttle: 1)."
author:
  - Hostcraft Cloud Developers (@hostcraft)
options:
  name:
    description:
      - Name (host name) of the server; identifies it. Compared case-insensitively.
    type: str
    required: true
  state:
    description:
      - Whether the server should exist.
    type: str
    choices: [present, absent]
    default: present
  location:
    description:
      - Where to create the server (GleSYS data center such as C(Falkenberg)). Cannot be changed later.
    type: str
  image:
    description:
      - Image or template to install. Cannot be changed in place.
    type: str
  plan:
    description:
      - Provider plan or preset. GleSYS has no plans (fails when set).
    type: str
  cpu:
    description:
      - Number of CPU cores.
    type: int
  memory_mb:
    description:
      - Memory in MB.
    type: int
  disk_gb:
    description:
      - Root disk size in GB. Disks only grow.
    type: int
  bandwidth:
    description:
      - Bandwidth in Mbit/s (GleSYS; default 100 on create). Only compared where the provider can change it.
    type: int
  platform:
    description:
      - Virtualization platform (GleSYS C(KVM) or C(VMware)); only used on create, compared case-insensitively.
    type: str
  ssh_keys:
    description:
      - SSH keys to install on create; each item is the name of a stored key (see M(hostcraft.cloud.sshkey))
        or a public key text. An unknown name fails before the server is created.
    type: list
    elements: str
  root_password:
    description:
      - Root (or login user) password set on create; never returned. GleSYS VMware servers need it.
    type: str
  tags:
    description:
      - Tags as a dict. GleSYS servers have no tags (fails when set).
    type: dict
  extra:
    description:
      - Provider-specific create arguments passed through (see the description for each provider's keys).
        Unknown keys fail before any call.
    type: dict
  ports:
    description:
      - Port bindings (Skyport only), each C("<container port>:<host port>") (an integer means the same port on both
        sides), bound for TCP and UDP. Sent and compared as the panel's comma-separated string, in the given order.
    type: list
    elements: raw
  user:
    description:
      - Owner of the server (Skyport only) - a userId or a username, which is resolved to its userId.
    type: str
  hostname:
    description:
      - Host name kept apart from the name (HostUp only), an FQDN, compared case-insensitively without a trailing
        dot. Other providers fail before any API call.
      - At HostUp a hostname change may rewrite PTRs that still hold the provider default; change the hostname before
        setting PTRs with M(hostcraft.cloud.ptr).
    type: str
  allow_paid:
    description:
      - Allow actions that cost money (HOSTKEY orders and cancellations). Not used by GleSYS.
    type: bool
    default: false
  force:
    description:
      - Allow changes that need a stop or a recreate where a provider needs them. GleSYS edits are applied without
        a stop, so it needs no O(force).
      - Skyport, with O(state=present) - replace an instance that differs (its data is lost); with O(state=absent) - delete an
        instance that is still installing.
    type: bool
    default: false
  keep_ips:
    description:
      - With O(state=absent), keep the server's IP addresses reserved in the account (GleSYS C(keepip)).
    type: bool
    default: false
extends_documentation_fragment:
  - hostcraft.cloud.provider
  - hostcraft.cloud.wait
  - hostcraft.cloud.attributes
  - hostcraft.cloud.attributes.ACTIONS
seealso:
  - module: hostcraft.cloud.server_info
  - module: hostcraft.cloud.power
'''

EXAMPLES = r'''
- name: Set the hostname of an existing HostUp VPS (HostUp VPS are ordered in the customer portal)
  hostcraft.cloud.server:
    provider: hostup
    name: web-01
    hostname: web-01.example.com

- name: A KVM server at GleSYS with a stored SSH key
  hostcraft.cloud.server:
    provider: glesys
    name: web01.example.com
    location: Falkenberg
    image: debian-12
    cpu: 2
    memory_mb: 4096
    disk_gb: 40
    ssh_keys:
      - ci-deploy
    extra:
      description: frontend

- name: Grow it (in place, no stop)
  hostcraft.cloud.server:
    provider: glesys
    name: web01.example.com
    cpu: 4
    memory_mb: 8192
    disk_gb: 60

- name: Delete it but keep its addresses
  hostcraft.cloud.server:
    provider: glesys
    name: web01.example.com
    state: absent
    keep_ips: true

- name: A Skyport instance (deployed when missing, waits until READY)
  hostcraft.cloud.server:
    provider: skyport
    skyport_url: https://panel.example.com
    name: mc-survival
    image: "Minecraft Java: PaperMC"
    memory_mb: 2048
    cpu: 2
    ports: ["25565:25565", "25575:25575"]
    location: eu-node-1
    user: alice
    extra:
      primary: 25565
      variables:
        Version: "1.21.1"
  throttle: 1

- name: Give it more memory - the panel has no update, so this replaces it and its data is lost
  hostcraft.cloud.server:
    provider: skyport
    name: mc-survival
    memory_mb: 4096
    force: true
'''

RETURN = r'''
server:
  description:
    - The server after the task (predicted in check mode; V(id) is V(null) for a server check mode would create).
      Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    provider:
      description: Provider name.
      type: str
      sample: glesys
    id:
      description: Provider ID.
      type: str
      sample: kvm1000123
    name:
      description: Name.
      type: str
      sample: web01.example.com
    status:
      description: "Lifecycle state, for example V(running), V(stopped), V(locked)."
      type: str
      sample: running
    power_state:
      description: "V(running), V(stopped) or V(unknown)."
      type: str
      sample: running
    location:
      description: Location (GleSYS data center).
      type: str
      sample: Falkenberg
    image:
      description: Installed image or template.
      type: str
      sample: Debian 12 (Bookworm)
    plan:
      description: Plan, where the provider has plans.
      type: str
    cpu:
      description: CPU cores.
      type: int
      sample: 2
    memory_mb:
      description: Memory in MB.
      type: int
      sample: 4096
    disk_gb:
      description: Root disk in GB.
      type: int
      sample: 40
    ipv4:
      description: IPv4 addresses.
      type: list
      elements: str
      sample: ["203.0.113.10"]
    ipv6:
      description: IPv6 addresses.
      type: list
      elements: str
      sample: ["2001:db8:0:1::10"]
    public_ipv4:
      description: Main public IPv4 address.
      type: str
      sample: 203.0.113.10
    tags:
      description: Tags.
      type: dict
      sample: {}
    created:
      description: Creation time, where the provider has it.
      type: str
    provider_data:
      description: The provider's own record, minus secrets. With O(hostname) (HostUp) it carries C(hostname).
      type: dict
hostname_change:
  description:
    - What the API reported when O(hostname) was changed (HostUp), including what its reverse-DNS protection did
      to the PTRs of the VPS.
  returned: when the hostname was changed (not in check mode)
  type: dict
  contains:
    hostname:
      description: The hostname the API stored.
      type: str
      sample: app.example.com
    normalized:
      description: Whether the API normalized the hostname it was given.
      type: bool
    reload_recommended:
      description: Whether HostUp recommends a reboot to apply the change.
      type: bool
    reverse_dns:
      description: HostUp's C(reverseDnsProtection) report (C(status) is C(not_changed), C(restored) or C(partial_failure)).
      type: dict
      sample: {"status": "restored", "monitoredIpCount": 1, "changesDetected": 1, "restoredIps": ["203.0.113.10"]}
'''

from ansible_collections.hostcraft.cloud.plugins.module_utils._module import HostcraftModule, wait_argument_spec
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources import server


def main():
    module = HostcraftModule(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        location=dict(type='str'),
        image=dict(type='str'),
        plan=dict(type='str'),
        cpu=dict(type='int'),
        memory_mb=dict(type='int'),
        disk_gb=dict(type='int'),
        bandwidth=dict(type='int'),
        platform=dict(type='str'),
        ssh_keys=dict(type='list', elements='str', no_log=False),
        root_password=dict(type='str', no_log=True),
        tags=dict(type='dict'),
        extra=dict(type='dict'),
        ports=dict(type='list', elements='raw'),
        user=dict(type='str'),
        hostname=dict(type='str'),
        allow_paid=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        keep_ips=dict(type='bool', default=False),
        **wait_argument_spec()
    ))
    module.run(server.ensure)


if __name__ == '__main__':
    main()
