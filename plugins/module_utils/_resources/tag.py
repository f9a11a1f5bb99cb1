# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""Server tags: the logic behind ``tag`` for every provider, and :func:`sync_tags` for ``server``.

Identity is (server ID, tag name); the value is compared as a string (empty when unset).
System tags the provider keeps for itself (``TagAPI.protected``) are refused before any
write. The provider's own limits, if it has stricter ones than the generic sanity limits
below, come from an optional ``TagAPI.validate(name, value)`` that raises ValidationError.
"""

from __future__ import annotations

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Outcome
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ValidationError
from ansible_collections.hostcraft.cloud.plugins.module_utils._model import Tag, as_str
from ansible_collections.hostcraft.cloud.plugins.module_utils._resources.common import find_server

MAX_NAME = 32
MAX_VALUE = 256


def tag_value(value):
    """The value as the string a provider stores: None -> ``''``, ``True`` -> ``'true'``, 8 -> ``'8'``."""
    if value is None:
        return ''
    if isinstance(value, str):
        return value
    text = as_str(value)
    if text is None:
        raise ValidationError('tag values must be strings, numbers or booleans, not %s.' % type(value).__name__)
    return text


def validate(api, name, value):
    """Generic sanity limits, then the adapter's own ones (when ``api`` is given and has any). No call is made."""
    if name is None or not str(name).strip():
        raise ValidationError('tag name must not be empty.')
    name = str(name)
    if len(name) > MAX_NAME:
        raise ValidationError('tag name "%s" is too long: %d characters, at most %d.' % (name, len(name), MAX_NAME))
    if any(ord(c) < 32 for c in name):
        raise ValidationError('tag name %r contains control characters.' % name)
    if len(value) > MAX_VALUE:
        raise ValidationError('the value of tag "%s" is too long: %d characters, at most %d.'
                              % (name, len(value), MAX_VALUE))
    check = getattr(api, 'validate', None) if api is not None else None
    if check is not None:
        check(name, value)


def refuse_protected(api, provider, name):
    """Fail (before any write) for a tag the provider keeps for itself."""
    reason = api.protected(name)
    if not reason:
        return
    reason = str(reason).strip().rstrip('.')
    if reason.split(' ', 1)[0].lower() in ('is', 'are', 'holds', 'belongs', 'must', 'may', 'cannot'):
        text = 'tag "%s" %s' % (name, reason)  # the adapter says it as a predicate: "is a system tag ..."
    else:
        text = 'tag "%s" is protected at %s: %s' % (name, provider.title, reason)
    raise ValidationError('%s; this collection does not change it (task refused before any change).' % text)


def view(tag):
    return {'server': tag.server, 'name': tag.name, 'value': tag.value}


def ensure(hm):
    """``hostcraft.cloud.tag``."""
    params = hm.params
    name = params['name']
    value = tag_value(params.get('value'))
    state = params['state']
    if params.get('server') is None or not str(params['server']).strip():
        raise ValidationError('server must not be empty.')
    validate(None, name, value)
    provider = hm.provider('tag')
    api = provider.tags
    validate(api, name, value)
    refuse_protected(api, provider, name)
    server = find_server(provider, params['server'], details=False)
    tags = api.list(server.id)
    before = view(Tag(server=server.id, name=name, value=tag_value(tags[name]))) if name in tags else {}
    if state == 'present':
        after = view(Tag(server=server.id, name=name, value=value))
        changed = before != after
        if changed and not hm.check_mode:
            api.set(server.id, name, value)
        outcome = Outcome(changed, before, after, after, ['set'] if changed else [])
    else:
        changed = bool(before)
        if changed and not hm.check_mode:
            api.remove(server.id, name)
        outcome = Outcome(changed, before, {}, None, ['remove'] if changed else [])
    return outcome.result('tag', diff=hm.diff)


def sync_tags(provider, server_id, wanted, check_mode):
    """Make the tags named in ``wanted`` ({name: value}) hold those values; never remove other tags.

    Everything is validated (including protected names) before the first write. Returns
    ``(changed, before, after)``: the server's whole tag dict before, and after (predicted in
    check mode).
    """
    api = provider.tags
    wanted = dict((str(k), tag_value(v)) for k, v in (wanted or {}).items())
    for name in sorted(wanted):
        validate(api, name, wanted[name])
        refuse_protected(api, provider, name)
    current = dict((k, tag_value(v)) for k, v in (api.list(server_id) or {}).items())
    after = dict(current)
    changed = False
    for name in sorted(wanted):
        if name in current and current[name] == wanted[name]:
            continue
        changed = True
        after[name] = wanted[name]
        if not check_mode:
            api.set(server_id, name, wanted[name])
    return changed, current, after
