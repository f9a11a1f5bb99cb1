# -*- coding: utf-8 -*-
# Copyright (c) hostcraft.cloud contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Replay a recorded HTTP conversation through a requests transport adapter.

Each step says what request must come (method, URL, headers, JSON body) and what the API
answers. A request that does not match the next step, or a step left over, fails the test.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class Step:

    def __init__(self, method, url, status=200, body='', json_body=None, headers=None,
                 expect_json=None, expect_headers=None, raise_exc=None, content_type='application/json',
                 expect_form=None):
        self.method = method
        self.url = url
        self.status = status
        self.body = json.dumps(json_body) if json_body is not None else body
        self.headers = dict(headers or {})
        if content_type and 'Content-Type' not in self.headers:
            self.headers['Content-Type'] = content_type
        self.expect_json = expect_json
        self.expect_headers = expect_headers or {}
        self.raise_exc = raise_exc
        self.expect_form = expect_form


class Conversation(BaseAdapter):

    def __init__(self, steps):
        super().__init__()
        self.steps = list(steps)
        self.requests = []

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        self.requests.append(request)
        assert self.steps, 'unexpected request %s %s' % (request.method, request.url)
        step = self.steps.pop(0)
        assert (request.method, request.url) == (step.method, step.url), \
            'expected %s %s, got %s %s' % (step.method, step.url, request.method, request.url)
        for name, value in step.expect_headers.items():
            assert request.headers.get(name) == value, 'header %s: %r != %r' % (name, request.headers.get(name), value)
        if step.expect_json is not None:
            assert json.loads(request.body) == step.expect_json
        if step.expect_form is not None:
            body = request.body.decode() if isinstance(request.body, bytes) else (request.body or '')
            assert parse_qsl(body, keep_blank_values=True) == list(step.expect_form), \
                'form %r != %r' % (parse_qsl(body, keep_blank_values=True), list(step.expect_form))
        if step.raise_exc is not None:
            raise step.raise_exc
        response = requests.Response()
        response.status_code = step.status
        response.headers = CaseInsensitiveDict(step.headers)
        response._content = step.body.encode('utf-8')
        response.encoding = 'utf-8'
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass

    def done(self):
        assert not self.steps, 'steps not used: %s' % ['%s %s' % (s.method, s.url) for s in self.steps]


def attach(http, steps):
    """Mount a conversation on an :class:`HttpClient`'s session; return it."""
    conversation = Conversation(steps)
    http.session.mount('https://', conversation)
    http.session.mount('http://', conversation)
    http.slept = []
    http.sleep = http.slept.append
    return conversation
