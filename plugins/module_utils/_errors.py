# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Error types shared by adapters, the engine, modules and the inventory plugin.

Adapters raise these; module glue turns them into ``fail_json`` and the inventory plugin
into ``AnsibleError``. Every message is a full sentence meant for the user; secrets are
redacted by the HTTP layer before a message is built.
"""

from __future__ import annotations


class HostcraftError(Exception):
    """Base class. ``str(err)`` is the user-facing sentence."""

    def __init__(self, message, provider=None, status=None, code=None, details=None):
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.details = details

    def __str__(self):
        return self.message

    def result_extras(self):
        """Extra keys for ``fail_json`` (never secrets: built from redacted values)."""
        extras = {}
        if self.status is not None:
            extras['status'] = self.status
        if self.code is not None:
            extras['error_code'] = self.code
        return extras


class ValidationError(HostcraftError):
    """Bad user input, detected before any API call."""


class Unsupported(HostcraftError):
    """The provider cannot do what was asked (``provider X cannot <thing>: <reason>``)."""


class ApiError(HostcraftError):
    """The provider answered with an error, or with something that is not its format."""


class AuthError(ApiError):
    """The provider rejected the credentials."""


class NotFound(ApiError):
    """An object that must exist does not."""


class Conflict(ApiError):
    """The object is busy or in a state that refuses the call."""


class TransportError(ApiError):
    """No usable answer: connection refused/dropped, timeout, malformed body after retries."""


class AmbiguousError(TransportError):
    """A non-idempotent call may or may not have been carried out.

    Raised instead of retrying a create blindly: the caller re-reads by identity and
    decides. ``retry_after`` carries the delay the API asked for (429), if any.
    """

    def __init__(self, message, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class WaitTimeout(HostcraftError):
    """A bounded wait ran out; the message names what was last seen."""
