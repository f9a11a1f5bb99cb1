# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:

    # The options every module shares (DESIGN.md section 2).
    DOCUMENTATION = r'''
options:
  provider:
    description:
      - The hosting provider to talk to.
      - Credentials for all five providers can live side by side in one C(module_defaults) block
        for the action group C(group/hostcraft.cloud.all); only the chosen provider's are used.
    type: str
    required: true
    choices: [glesys, hostkey, serverspace, hostup, skyport]
  glesys_project:
    description:
      - GleSYS project key (C(clNNNNN)), the user name of HTTP basic auth.
      - If not set, the environment variable E(GLESYS_PROJECT) is used.
    type: str
  glesys_api_key:
    description:
      - GleSYS API key bound to O(glesys_project).
      - If not set, the environment variable E(GLESYS_API_KEY) is used.
    type: str
  hostkey_api_key:
    description:
      - HOSTKEY (invapi) API key; it is exchanged for a session token that is cached between tasks.
      - If not set, the environment variable E(HOSTKEY_API_KEY) is used.
    type: str
  hostkey_pin:
    description:
      - HOSTKEY PIN, sent where the API asks for it (power actions).
      - If not set, the environment variable E(HOSTKEY_PIN) is used.
    type: str
  serverspace_api_key:
    description:
      - Serverspace API key (sent as C(X-API-KEY)).
      - If not set, the environment variable E(SERVERSPACE_API_KEY) is used.
    type: str
  hostup_api_key:
    description:
      - HostUp API key (sent as a bearer token).
      - If not set, the environment variable E(HOSTUP_API_KEY) is used.
    type: str
  skyport_url:
    description:
      - Base URL of the self-hosted Skyport panel; required for O(provider=skyport).
      - If not set, the environment variable E(SKYPORT_URL) is used.
    type: str
  skyport_api_key:
    description:
      - Skyport panel API key (sent as C(x-api-key)).
      - If not set, the environment variable E(SKYPORT_API_KEY) is used.
    type: str
  api_url:
    description:
      - Override the provider's base URL (tests, proxies).
      - If not set, the environment variable E(<PROVIDER>_API_URL) is used (for example E(GLESYS_API_URL)),
        then the provider's public endpoint.
    type: str
  api_timeout:
    description:
      - Seconds to wait for each HTTP request (per attempt).
      - If not set, the environment variable E(HOSTCRAFT_API_TIMEOUT) is used.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a failed request is retried after the first attempt.
      - Only reads and idempotent writes are retried on HTTP 429 (honouring C(Retry-After)), 502, 503, 504 and
        connection errors. A create is never retried blindly; after an ambiguous failure the object is
        re-read by its identity before another attempt.
      - If not set, the environment variable E(HOSTCRAFT_API_RETRIES) is used.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
    type: bool
    default: true
requirements:
  - requests >= 2.25.0
  - xmltodict >= 0.12.0 (GleSYS answers in XML)
notes:
  - All options of this fragment can be set once for every module with C(module_defaults) and the
    action group C(group/hostcraft.cloud.all).
'''
