# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

"""DNS record sets: the logic behind ``dns_record`` and ``dns_record_info`` for every provider.

A record set (rrset) is every record of one zone with the same name and type. Providers
store single records (GleSYS: one ``recordid`` per value), so the set is reconciled here,
against the abstract :class:`DnsAPI`:

* names are relative to the zone (``@`` for the apex), lower case; an FQDN inside the zone
  is accepted, an absolute name (trailing dot) outside it fails before any call;
* values are compared in a canonical zone-file presentation form: IP addresses parsed,
  integers as integers, host names lower case with one trailing dot, TXT without one pair
  of surrounding quotes (and sent that way);
* ``state=present`` makes the set hold exactly ``values``: records whose value is wanted
  stay (their TTL updated in place when ``ttl`` is given and differs); records whose value
  is not wanted are paired with wanted values that are missing and *updated* in place;
  what is left over is deleted or added. Adds go through :func:`create_once`, so a lost
  answer is re-read, never duplicated;
* ``state=absent`` deletes the whole set, or only the records holding ``values``.

Check mode runs the same plan without any mutating call and predicts the after-state.
"""

from __future__ import annotations

import ipaddress
import re
import time

from ansible_collections.hostcraft.cloud.plugins.module_utils._engine import Outcome, create_once
from ansible_collections.hostcraft.cloud.plugins.module_utils._errors import ApiError, NotFound, ValidationError

# The types a record set can be managed for, in every provider (SOA belongs to the zone).
RECORD_TYPES = ('A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SRV', 'TXT')
HOST_TYPES = ('CNAME', 'NS', 'PTR')
DEFAULT_TTL = 3600
MAX_TTL = 2147483647
APEX = '@'

_SPACE_RE = re.compile(r'\s')
_CAA_TAG_RE = re.compile(r'^[a-z0-9]+$')


# --- names ------------------------------------------------------------------------------------

def _check_labels(name, what):
    """Fail unless ``name`` (no trailing dot) is a sequence of sane labels."""
    if _SPACE_RE.search(name) or '"' in name:
        raise ValidationError('%s "%s" must not contain spaces or quotes.' % (what, name))
    labels = name.split('.')
    if any(not label for label in labels):
        raise ValidationError('%s "%s" has an empty label (two dots in a row, or a leading dot).' % (what, name))
    if any(len(label) > 63 for label in labels):
        raise ValidationError('%s "%s" has a label longer than 63 characters.' % (what, name))
    if len(name) > 253:
        raise ValidationError('%s "%s" is longer than 253 characters.' % (what, name))


def normalize_zone(zone):
    """``Example.COM.`` -> ``example.com``; fails on an empty or malformed name."""
    text = str(zone if zone is not None else '').strip().lower()
    if text.endswith('.'):
        text = text[:-1]
    if not text:
        raise ValidationError('zone must name a DNS zone, for example "example.com".')
    _check_labels(text, 'zone')
    return text


def normalize_name(name, zone, strict=True):
    """The record name relative to ``zone``, lower case, ``@`` for the apex.

    ``www``, ``www.example.com`` and ``www.example.com.`` are the same name in zone
    ``example.com``; ``example.com`` and ``example.com.`` are the apex. A name with a
    trailing dot outside the zone fails (``strict``) or is kept as it is (names the API holds).
    """
    text = str(name if name is not None else '').strip().lower()
    if text in ('', APEX):
        if strict and not text:
            raise ValidationError('record must not be empty; use "@" for the apex of the zone %s.' % zone)
        return APEX
    absolute = text.endswith('.')
    bare = text[:-1] if absolute else text
    if bare == zone:
        return APEX
    if bare.endswith('.' + zone):
        bare = bare[:-len(zone) - 1]
    elif absolute:
        if strict:
            raise ValidationError('record "%s" is not inside the zone %s: give a name relative to the zone '
                                  '(for example "www"), "@" for the apex, or an FQDN that ends in ".%s.".'
                                  % (name, zone, zone))
        return text
    if strict:
        _check_labels(bare, 'record')
    return bare


# --- values -----------------------------------------------------------------------------------

def _unquote(text):
    """Strip one pair of surrounding double quotes."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    return text


def _uint(text, what, value, rtype, maximum=65535):
    if not text.isdigit() or int(text) > maximum:
        raise ValidationError('%s value "%s": %s must be an integer from 0 to %d.' % (rtype, value, what, maximum))
    return int(text)


def _target(text, value, rtype, allow_root=False):
    """A host name target: lower case, one trailing dot (targets are always absolute)."""
    host = text.lower()
    if host == '.':
        if allow_root:
            return host
        raise ValidationError('%s value "%s" is not a host name.' % (rtype, value))
    bare = host[:-1] if host.endswith('.') else host
    if not bare:
        raise ValidationError('%s value "%s" is not a host name.' % (rtype, value))
    try:
        _check_labels(bare, 'host name')
    except ValidationError as exc:
        raise ValidationError('%s value "%s": %s' % (rtype, value, exc))
    return bare + '.'


def canonical_value(rtype, value, strict=True):
    """``value`` of type ``rtype`` in the canonical presentation form used to compare, show and send.

    With ``strict`` a malformed value fails with a sentence naming the expected form; without
    it (values the API holds) the trimmed text is kept, so it never compares equal to a valid value.
    """
    raw = '' if value is None else str(value)
    text = raw.strip()
    try:
        return _canonical(rtype, raw, text)
    except ValidationError:
        if strict:
            raise
        return _unquote(text) if rtype == 'TXT' else text


def _canonical(rtype, raw, text):
    if not text:
        raise ValidationError('%s values must not be empty.' % rtype)
    if rtype == 'A':
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise ValidationError('A value "%s" is not an IPv4 address.' % raw)
    if rtype == 'AAAA':
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            raise ValidationError('AAAA value "%s" is not an IPv6 address.' % raw)
    if rtype in HOST_TYPES:
        return _target(text, raw, rtype)
    if rtype == 'MX':
        parts = text.split()
        if len(parts) != 2:
            raise ValidationError('MX value "%s" must be "<priority> <host>", for example "10 mail.example.com.".' % raw)
        return '%d %s' % (_uint(parts[0], 'the priority', raw, rtype), _target(parts[1], raw, rtype, allow_root=True))
    if rtype == 'SRV':
        parts = text.split()
        if len(parts) != 4:
            raise ValidationError('SRV value "%s" must have 4 fields, "<priority> <weight> <port> <target>", for '
                                  'example "0 5 5060 sip.example.com.".' % raw)
        numbers = [_uint(part, what, raw, rtype) for part, what in zip(parts, ('the priority', 'the weight', 'the port'))]
        return '%d %d %d %s' % tuple(numbers + [_target(parts[3], raw, rtype, allow_root=True)])
    if rtype == 'TXT':
        unquoted = _unquote(text)
        if not unquoted:
            raise ValidationError('TXT values must not be empty.')
        return unquoted
    if rtype == 'CAA':
        parts = text.split(None, 2)
        if len(parts) != 3:
            raise ValidationError('CAA value "%s" must be "<flags> <tag> <value>", for example '
                                  '\'0 issue "letsencrypt.org"\'.' % raw)
        flags = _uint(parts[0], 'the flags', raw, rtype, maximum=255)
        tag = parts[1].lower()
        if not _CAA_TAG_RE.match(tag):
            raise ValidationError('CAA value "%s": the tag must be letters and digits, such as issue, issuewild or '
                                  'iodef.' % raw)
        return '%d %s "%s"' % (flags, tag, _unquote(parts[2].strip()))
    return text


def value_sort_key(rtype, value):
    """Sort IP addresses numerically and MX/SRV/CAA by their numbers first; fall back to the text."""
    try:
        if rtype in ('A', 'AAAA'):
            return (0, int(ipaddress.ip_address(value)), '')
        if rtype in ('MX', 'SRV', 'CAA'):
            parts = value.split(None, 1 if rtype == 'MX' else (3 if rtype == 'SRV' else 1))
            numbers = [int(p) for p in parts[:-1]]
            return (0, tuple(numbers), parts[-1])
    except (ValueError, IndexError):
        pass
    return (1, 0, value)


def check_type(rtype, what='type'):
    """Upper case ``rtype``; fail for a type record sets cannot be managed for."""
    text = str(rtype or '').strip().upper()
    if text not in RECORD_TYPES:
        raise ValidationError('%s "%s" is not supported; choose one of %s.' % (what, rtype, ', '.join(RECORD_TYPES)))
    return text


def check_ttl(ttl):
    if ttl is None:
        return None
    try:
        number = int(ttl)
    except (TypeError, ValueError):
        raise ValidationError('ttl "%s" is not an integer number of seconds.' % ttl)
    if number < 1 or number > MAX_TTL:
        raise ValidationError('ttl must be from 1 to %d seconds, not %s.' % (MAX_TTL, ttl))
    return number


# --- record sets ------------------------------------------------------------------------------

class Member:
    """One record of a set, with its canonical value; ``record`` is None for one only planned."""

    def __init__(self, record, value, ttl):
        self.record = record
        self.value = value
        self.ttl = ttl


def set_view(zone, name, rtype, members):
    """The result/diff shape ``{zone, record, type, ttl, values}``; ``{}`` for an empty set.

    ``ttl`` is the lowest TTL of the set's records (what resolvers end up honouring when they
    differ); ``values`` are sorted and keep duplicates the provider holds.
    """
    if not members:
        return {}
    ttls = [m.ttl for m in members if m.ttl is not None]
    values = sorted((m.value for m in members), key=lambda v: value_sort_key(rtype, v))
    return {'zone': zone, 'record': name, 'type': rtype, 'ttl': min(ttls) if ttls else None, 'values': values}


class RecordSetSpec:
    """What the user asked for, validated and normalized (no API call)."""

    def __init__(self, zone, record, rtype, values=None, ttl=None, state='present'):
        self.zone = normalize_zone(zone)
        self.name = normalize_name(record, self.zone)
        self.type = check_type(rtype)
        if state not in ('present', 'absent'):
            raise ValidationError('state must be present or absent, not "%s".' % state)
        self.state = state
        self.ttl = check_ttl(ttl) if state == 'present' else None  # ignored with absent
        self.values = None
        if values is not None:
            canonical = set()
            for value in values:
                canonical.add(canonical_value(self.type, value))
            self.values = sorted(canonical, key=lambda v: value_sort_key(self.type, v))
        if state == 'present':
            if not self.values:
                raise ValidationError('values must list at least one value with state=present; use state=absent to '
                                      'delete the record set %s %s.' % (self.fqdn(), self.type))
            if self.type == 'CNAME' and len(self.values) > 1:
                raise ValidationError('A CNAME record set holds exactly one value; %d were given for %s.'
                                      % (len(self.values), self.fqdn()))

    def fqdn(self):
        return self.zone if self.name == APEX else '%s.%s' % (self.name, self.zone)


class Plan:
    """The calls that make a set what the spec asks for."""

    def __init__(self):
        self.updates = []  # (record, new value or None, new ttl or None)
        self.adds = []  # (value, ttl)
        self.deletes = []  # records
        self.after = []  # Members of the set afterwards

    def empty(self):
        return not (self.updates or self.adds or self.deletes)


class RecordSet:
    """Reconcile one record set through a :class:`DnsAPI`."""

    def __init__(self, api, spec, provider='the provider', retries=5, sleep=time.sleep):
        self.api = api
        self.spec = spec
        self.provider = provider
        self.retries = retries
        self.sleep = sleep

    # reading

    def members(self, records):
        """The records of this set among ``records`` (one zone), as :class:`Member`."""
        spec = self.spec
        found = []
        for record in records:
            if str(record.type or '').upper() != spec.type:
                continue
            if normalize_name(record.name, spec.zone, strict=False) != spec.name:
                continue
            found.append(Member(record, canonical_value(spec.type, record.value, strict=False), record.ttl))
        found.sort(key=lambda m: (value_sort_key(spec.type, m.value), str(m.record.id)))
        return found

    def read(self):
        return self.members(list_zone(self.api, self.spec.zone, self.provider))

    def view(self, members):
        return set_view(self.spec.zone, self.spec.name, self.spec.type, members)

    # planning

    def plan(self, current):
        spec = self.spec
        plan = Plan()
        if spec.state == 'absent':
            doomed = set(spec.values) if spec.values is not None else None
            for member in current:
                if doomed is None or member.value in doomed:
                    plan.deletes.append(member.record)
                else:
                    plan.after.append(member)
            return plan
        missing = list(spec.values)
        leftovers = []
        for member in current:
            if member.value in missing:
                missing.remove(member.value)
                if spec.ttl is not None and member.ttl != spec.ttl:
                    plan.updates.append((member.record, None, spec.ttl))
                    member = Member(member.record, member.value, spec.ttl)
                plan.after.append(member)
            else:
                leftovers.append(member)
        # An update in place is preferred over delete + add.
        for member, value in zip(leftovers, missing):
            ttl = spec.ttl if spec.ttl is not None and member.ttl != spec.ttl else None
            plan.updates.append((member.record, value, ttl))
            plan.after.append(Member(member.record, value, ttl if ttl is not None else member.ttl))
        for member in leftovers[len(missing):]:
            plan.deletes.append(member.record)
        add_ttl = spec.ttl if spec.ttl is not None else self.default_ttl(current)
        for value in missing[len(leftovers):]:
            plan.adds.append((value, add_ttl))
            plan.after.append(Member(None, value, add_ttl))
        return plan

    @staticmethod
    def default_ttl(current):
        """TTL for a new record when ``ttl`` is not given: the set's own, else the default."""
        ttls = [m.ttl for m in current if m.ttl is not None]
        return min(ttls) if ttls else DEFAULT_TTL

    # applying

    def apply(self, plan, current):
        if getattr(self.api, 'set_writes', False):
            return self._apply_set(plan)
        spec = self.spec
        known = set(str(m.record.id) for m in current)
        after = []
        for record, value, ttl in plan.updates:
            updated = self.api.update(spec.zone, record, value, ttl)
            if updated is not None:
                after.append(Member(updated, canonical_value(spec.type, updated.value, strict=False), updated.ttl))
            else:  # the API did not echo the record: it now holds what was sent
                value = value if value is not None else canonical_value(spec.type, record.value, strict=False)
                after.append(Member(record, value, ttl if ttl is not None else record.ttl))
        for value, ttl in plan.adds:
            record = self._add_once(value, ttl, known)
            known.add(str(record.id))
            after.append(Member(record, canonical_value(spec.type, record.value, strict=False), record.ttl))
        for record in plan.deletes:
            self.api.delete(spec.zone, record)
        touched = set(id(r) for r, dummy, dummy2 in plan.updates)
        after.extend(m for m in plan.after if m.record is not None and id(m.record) not in touched)
        return after

    def _apply_set(self, plan):
        """For APIs that write whole record sets (HOSTKEY pdns): one call, then verified by a re-read."""
        spec = self.spec
        values = [m.value for m in plan.after]
        ttls = [m.ttl for m in plan.after if m.ttl is not None]
        ttl = spec.ttl if spec.ttl is not None else (min(ttls) if ttls else DEFAULT_TTL)
        if not values:
            self.api.delete_set(spec.zone, spec.name, spec.type)
        elif plan.deletes and not plan.adds and not plan.updates:
            gone = [canonical_value(spec.type, r.value, strict=False) for r in plan.deletes]
            self.api.delete_set(spec.zone, spec.name, spec.type, gone)
        else:
            self.api.replace_set(spec.zone, spec.name, spec.type, values, ttl)
        fresh = self.read()
        if sorted(m.value for m in fresh) != sorted(values) and values:
            # The API added to the set instead of replacing it: rewrite the set once.
            self.api.delete_set(spec.zone, spec.name, spec.type)
            self.api.replace_set(spec.zone, spec.name, spec.type, values, ttl)
            fresh = self.read()
        if sorted(m.value for m in fresh) != sorted(values):
            raise ApiError('%s did not store the record set %s %s as asked: it holds %s instead of %s.'
                           % (self.provider, spec.fqdn(), spec.type, sorted(m.value for m in fresh) or 'nothing',
                              sorted(values) or 'nothing'), provider=None)
        return fresh

    def _add_once(self, value, ttl, known):
        spec = self.spec

        def create():
            return self.api.add(spec.zone, spec.name, spec.type, value, ttl)

        def find():
            for member in self.read():
                if member.value == value and str(member.record.id) not in known:
                    return member.record
            return None

        return create_once(create, find, self.retries, self.sleep)

    def reconcile(self, check_mode):
        current = self.read()
        before = self.view(current)
        plan = self.plan(current)
        if plan.empty():
            return Outcome(False, before, before, before)
        actions = ['update'] * len(plan.updates) + ['add'] * len(plan.adds) + ['delete'] * len(plan.deletes)
        if check_mode:
            after = self.view(plan.after)
        else:
            after = self.view(self.apply(plan, current))
        return Outcome(True, before, after, after, actions)


def list_zone(api, zone, provider):
    """Every record of ``zone``; a missing zone is a :class:`NotFound` sentence that names it."""
    try:
        return api.list_records(zone)
    except NotFound as exc:
        if str(exc).startswith('DNS zone '):
            raise
        raise NotFound('DNS zone %s not found at %s: %s' % (zone, provider, exc), provider=exc.provider,
                       status=exc.status)


def group_sets(zone, records):
    """Every record set among ``records`` (one zone), as views sorted by name (apex first) and type."""
    groups = {}
    for record in records:
        rtype = str(record.type or '').upper()
        name = normalize_name(record.name, zone, strict=False)
        member = Member(record, canonical_value(rtype, record.value, strict=False), record.ttl)
        groups.setdefault((name, rtype), []).append(member)
    views = [set_view(zone, name, rtype, members) for (name, rtype), members in groups.items()]
    return sorted(views, key=lambda v: (v['record'] != APEX, v['record'], v['type']))


def check_provider_limits(provider, spec):
    """What this provider's DNS cannot store (types, TTLs) fails before any call."""
    dns = provider.dns
    types = getattr(dns, 'types', None)
    if types and spec.type not in types:
        raise ValidationError('provider %s cannot manage %s records: its DNS takes %s.'
                              % (provider.name, spec.type, ', '.join(sorted(types))))
    check = getattr(dns, 'check_ttl', None)
    if check is not None and spec.state == 'present':
        check(spec.ttl)


def ensure(hm):
    """``hostcraft.cloud.dns_record``."""
    params = hm.params
    spec = RecordSetSpec(params['zone'], params['record'], params['type'], params.get('values'),
                         params.get('ttl'), params['state'])
    provider = hm.provider('dns_record')
    check_provider_limits(provider, spec)
    rrset = RecordSet(provider.dns, spec, provider.title, retries=provider.retries())
    return rrset.reconcile(hm.check_mode).result('record', diff=hm.diff)


def info(hm):
    """``hostcraft.cloud.dns_record_info``."""
    params = hm.params
    zone = normalize_zone(params['zone'])
    name = normalize_name(params['record'], zone) if params.get('record') is not None else None
    rtype = check_type(params['type']) if params.get('type') else None
    provider = hm.provider('dns_record_info')
    views = group_sets(zone, list_zone(provider.dns, zone, provider.title))
    views = [v for v in views if (name is None or v['record'] == name) and (rtype is None or v['type'] == rtype)]
    return {'changed': False, 'records': views}
