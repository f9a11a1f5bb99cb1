# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Which adapter serves which provider name.

Adapters are imported statically (not with importlib) so that AnsiballZ packs them into
every module that uses the registry.
"""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers._base import (
    PROVIDERS,
)
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.glesys import GlesysProvider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.hostkey import HostkeyProvider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.hostup import HostupProvider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.serverspace import ServerspaceProvider
from ansible_collections.hostcraft.cloud.plugins.module_utils._providers.skyport import SkyportProvider


ADAPTERS = {
    'glesys': GlesysProvider,
    'hostkey': HostkeyProvider,
    'serverspace': ServerspaceProvider,
    'hostup': HostupProvider,
    'skyport': SkyportProvider,
}


def provider_class(name):
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValidationError('unknown provider %r; choose one of %s.' % (name, ', '.join(PROVIDERS)))


def open_provider(name, options, feature, thing=None, **kwargs):
    """Check capability and credentials (no call yet), then build the adapter."""
    cls = provider_class(name)
    cls.capabilities.require(feature, thing)
    cls.check_options(options)
    return cls(options, **kwargs)
