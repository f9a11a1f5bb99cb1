# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Module glue: the shared options (DESIGN.md section 2), provider selection, errors -> fail_json."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import HostcraftError
from ansible_collections.hostcraft.cloud.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import PROVIDERS
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._registry import ADAPTERS, open_provider


def _credential_options():
    options = {}
    for cls in ADAPTERS.values():
        for cred in cls.credentials:
            options[cred.option] = dict(type='str', no_log=cred.secret, fallback=(env_fallback, [cred.env]))
    return options


def common_argument_spec():
    """The options every module shares; also the inventory plugin's per-account options."""
    spec = dict(
        provider=dict(type='str', required=True, choices=list(PROVIDERS)),
        api_url=dict(type='str'),
        api_timeout=dict(type='float', default=30, fallback=(env_fallback, ['HOSTCRAFT_API_TIMEOUT'])),
        api_retries=dict(type='int', default=5, fallback=(env_fallback, ['HOSTCRAFT_API_RETRIES'])),
        validate_certs=dict(type='bool', default=True),
    )
    spec.update(_credential_options())
    return spec


def wait_argument_spec():
    """``wait`` and ``wait_timeout`` (doc fragment ``hostcraft.cloud.wait``)."""
    return dict(
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=600),
    )


class HostcraftModule:
    """An AnsibleModule with the shared options, plus provider access and error handling."""

    def __init__(self, argument_spec, **kwargs):
        spec = common_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff = self.module._diff
        self._provider = None
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))

    def options(self):
        """Provider options as a plain dict (the same keys the inventory plugin uses)."""
        return dict((k, self.params.get(k)) for k in common_argument_spec())

    def provider(self, feature, thing=None):
        """The adapter for ``provider``; fails before any call when it cannot do ``feature``."""
        if self._provider is None:
            self._provider = open_provider(self.params['provider'], self.options(), feature, thing)
        else:
            self._provider.capabilities.require(feature, thing)
        return self._provider

    def run(self, handler):
        """Call ``handler(self)``; exit with its result dict, or fail with a clear sentence."""
        try:
            result = handler(self)
        except HostcraftError as exc:
            self._close()
            self.module.fail_json(msg=str(exc), **exc.result_extras())
        self._close()
        for warning in result.pop('warnings', None) or []:
            self.module.warn(warning)
        self.module.exit_json(**result)

    def _close(self):
        if self._provider is not None:
            self._provider.close()
