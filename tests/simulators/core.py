"""Shared machinery of the provider simulators.

A provider fake is one subclass of :class:`Simulator` that builds its state,
answers provider requests in :meth:`Simulator.handle` and says which calls are
mutating.  Everything else lives here: request parsing, the call log, fault
injection, latency, deferred state changes (timers), the ``/__sim__/`` control
endpoints and the HTTP server (HTTP/1.1 keep-alive on loopback).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import heapq
import itertools
import json
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

CONTROL_PREFIX = "/__sim__/"
FAULT_ACTIONS = ("respond", "drop", "drop_after", "delay")


class BadRequest(Exception):
    """The caller sent something malformed; the message says what, naming the argument."""


def norm_path(path: str) -> str:
    """Path with one leading slash and no trailing slash (``/`` stays ``/``)."""
    path = "/" + path.strip("/")
    return path


def flatten_pairs(text: str) -> dict:
    """``a=1&b=2&b=3`` -> ``{"a": "1", "b": ["2", "3"]}`` (blank values kept)."""
    pairs = parse_qs(text, keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in pairs.items()}


# ---------------------------------------------------------------------------
# Requests and responses
# ---------------------------------------------------------------------------

@dataclass
class Request:
    """One parsed HTTP request, independent of the HTTP server."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes = b""
    client: str = ""
    json_body: object = None
    json_error: str | None = None
    form: dict | None = None

    @classmethod
    def parse(cls, method: str, target: str, headers: dict, body: bytes = b"", client: str = "") -> Request:
        parts = urlsplit(target)
        request = cls(
            method=method.upper(),
            path=unquote(parts.path) or "/",
            query=flatten_pairs(parts.query),
            headers=dict(headers),
            body=body,
            client=client,
        )
        ctype = request.content_type
        if ctype == "application/json" or ctype.endswith("+json"):
            if request.text.strip():
                try:
                    request.json_body = json.loads(request.text)
                except ValueError as exc:
                    request.json_error = str(exc)
        elif body and ctype in ("application/x-www-form-urlencoded", ""):
            request.form = flatten_pairs(request.text)
        return request

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def header(self, name: str, default: str | None = None) -> str | None:
        """Header value, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def basic_auth(self) -> tuple[str, str] | None:
        """``(user, password)`` from an ``Authorization: Basic`` header, else None."""
        value = self.header("Authorization") or ""
        scheme, token = value.partition(" ")[::2]
        if scheme.lower() != "basic" or not token.strip():
            return None
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data, status: int = 200, headers: dict | None = None) -> Response:
        merged = {"Content-Type": "application/json"}
        merged.update(headers or {})
        return cls(status, json.dumps(data).encode("utf-8"), merged)

    @classmethod
    def from_text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8",
                  headers: dict | None = None) -> Response:
        merged = {"Content-Type": content_type}
        merged.update(headers or {})
        return cls(status, text.encode("utf-8"), merged)


@dataclass
class Outcome:
    """What the HTTP layer does: send ``response`` (if any), then maybe close the connection."""

    response: Response | None
    close: bool = False


# ---------------------------------------------------------------------------
# Argument coercion shared by the providers
# ---------------------------------------------------------------------------

TRUE_WORDS = ("yes", "true", "1", "on")
FALSE_WORDS = ("no", "false", "0", "off", "")


def as_int(value, name: str) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"Argument '{name}' must be an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    raise BadRequest(f"Argument '{name}' must be an integer.")


def as_bool(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise BadRequest(f"Argument '{name}' must be yes/no, true/false or 1/0.")


def as_text(value, name: str) -> str:
    if value is None or isinstance(value, (bool, list, dict)):
        raise BadRequest(f"Argument '{name}' must be a string.")
    return str(value)


def as_json_value(value, name: str, kind: type):
    """A list/dict argument: given as such (JSON body) or as JSON text (form, query)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if not isinstance(value, kind):
        raise BadRequest(f"Argument '{name}' must be a JSON {'list' if kind is list else 'object'}.")
    return value


class Args:
    """Typed access to the merged request arguments; bad values raise BadRequest naming the argument."""

    def __init__(self, values: dict):
        self.values = values

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str, default=None):
        return self.values.get(name, default)

    def text(self, name: str, default: str | None = None) -> str | None:
        return as_text(self.values[name], name) if name in self.values else default

    def integer(self, name: str, default: int | None = None) -> int | None:
        return as_int(self.values[name], name) if name in self.values else default

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        return as_bool(self.values[name], name) if name in self.values else default


# ---------------------------------------------------------------------------
# Fault rules
# ---------------------------------------------------------------------------

@dataclass
class FaultRule:
    action: str
    path: str | None = None
    method: str | None = None
    times: int = 1
    status: int = 503
    headers: dict = field(default_factory=dict)
    body: str = ""
    seconds: float = 0.0
    match: dict = field(default_factory=dict)  # call-log fields that must be equal, e.g. {"action": "order_instance"}

    @classmethod
    def from_dict(cls, data) -> FaultRule:
        if not isinstance(data, dict):
            raise BadRequest("a fault rule must be a JSON object")
        unknown = set(data) - {"action", "path", "method", "times", "status", "headers", "body", "seconds", "match"}
        if unknown:
            raise BadRequest(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        action = data.get("action")
        if action not in FAULT_ACTIONS:
            raise BadRequest(f"fault action must be one of {', '.join(FAULT_ACTIONS)}, got {action!r}")
        try:
            rule = cls(
                action=action,
                path=norm_path(data["path"]) if data.get("path") else None,
                method=str(data["method"]).upper() if data.get("method") else None,
                times=int(data.get("times", 1)),
                status=int(data.get("status", 503)),
                headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
                body=str(data.get("body") or ""),
                seconds=float(data.get("seconds", 0.0)),
                match={str(k): v for k, v in (data.get("match") or {}).items()},
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadRequest(f"invalid fault rule: {exc}") from exc
        if rule.times < 1:
            raise BadRequest("fault rule 'times' must be at least 1")
        if not 100 <= rule.status <= 599:
            raise BadRequest("fault rule 'status' must be an HTTP status code")
        if rule.seconds < 0:
            raise BadRequest("fault rule 'seconds' must not be negative")
        return rule

    def matches(self, request: Request, fields: dict | None = None) -> bool:
        if self.method and self.method != request.method:
            return False
        if self.match and any((fields or {}).get(key) != value for key, value in self.match.items()):
            return False
        return not self.path or self.path == norm_path(request.path)

    def response(self) -> Response:
        headers = dict(self.headers)
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return Response(self.status, self.body.encode("utf-8"), headers)

    def to_dict(self) -> dict:
        return {
            "action": self.action, "path": self.path, "method": self.method, "times": self.times,
            "status": self.status, "headers": self.headers, "body": self.body, "seconds": self.seconds,
            "match": self.match,
        }


# ---------------------------------------------------------------------------
# The simulator base class
# ---------------------------------------------------------------------------

class Simulator:
    """State, call log, faults, latency and timers of one provider fake.

    Subclasses set ``name`` and ``KNOBS`` (knob name -> default; the default's type
    is the knob's type) and implement :meth:`build_state`, :meth:`handle`,
    :meth:`is_mutating` and :meth:`snapshot`.  :meth:`handle` and the timer
    callbacks run with ``self.lock`` held, so they may touch state freely; a fake
    that models lost concurrent writes sets ``HANDLE_UNDER_LOCK = False`` and locks
    its own state accesses.
    """

    name = "base"
    KNOBS: dict = {}
    HANDLE_UNDER_LOCK = True

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.lock = threading.RLock()
        self.latency = float(latency)
        self.seed_servers = int(seed_servers)
        self.knobs = dict(self.KNOBS)
        for key, value in knobs.items():
            self.knobs[key] = self.coerce_knob(key, value)
        self.calls: list[dict] = []
        self.faults: list[FaultRule] = []
        self._seq = itertools.count(1)
        self._timer_order = itertools.count(1)
        self._timers: list = []
        self._timer_keys: dict = {}
        with self.lock:
            self.build_state()

    # -- hooks for subclasses ------------------------------------------------

    def build_state(self) -> None:
        """(Re)create the fresh provider state, honouring ``self.seed_servers``."""
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        """Answer one provider request (called with the lock held)."""
        raise NotImplementedError

    def is_mutating(self, request: Request) -> bool:  # pylint: disable=unused-argument
        """Whether the request is a call that changes provider state."""
        return False

    def snapshot(self) -> dict:
        """The provider state as JSON-able data (called with the lock held)."""
        return {}

    def log_fields(self, request: Request) -> dict:  # pylint: disable=unused-argument
        """Extra fields for the call-log entry of ``request`` (e.g. the RPC action of a one-URL API)."""
        return {}

    def apply_seed(self, count: int) -> None:
        """Replace the servers with ``count`` seeded ones; default: rebuild everything."""
        self.seed_servers = count
        self.build_state()

    def internal_error(self, request: Request, exc: Exception) -> Response:  # pylint: disable=unused-argument
        return Response.from_text(f"simulator error: {exc}\n", 500)

    def coerce_knob(self, key: str, value):
        if key not in self.KNOBS:
            raise ValueError(f"unknown knob {key!r} for {self.name}; known: {', '.join(sorted(self.KNOBS)) or 'none'}")
        default = self.KNOBS[key]
        try:
            if isinstance(default, bool):
                return as_bool(value, key)
            if isinstance(default, (int, float)):
                return type(default)(value)
        except (BadRequest, TypeError, ValueError) as exc:
            raise ValueError(f"knob {key!r} expects a {type(default).__name__}, got {value!r}") from exc
        return value if default is None else str(value)

    # -- time and timers -----------------------------------------------------

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    def schedule(self, delay: float, callback, key=None) -> None:
        """Run ``callback()`` (with the lock held) once ``delay`` seconds have passed.

        Timers fire lazily, before the next request is handled or the state is
        read, so results are deterministic.  A new timer with the same ``key``
        replaces the pending one.
        """
        with self.lock:
            order = next(self._timer_order)
            if key is not None:
                self._timer_keys[key] = order
            heapq.heappush(self._timers, (self.clock() + max(delay, 0.0), order, key, callback))

    def cancel(self, key) -> None:
        with self.lock:
            self._timer_keys.pop(key, None)

    def run_due(self) -> None:
        with self.lock:
            now = self.clock()
            while self._timers and self._timers[0][0] <= now:
                order, key, callback = heapq.heappop(self._timers)[1:]
                if key is not None:
                    if self._timer_keys.get(key) != order:
                        continue
                    del self._timer_keys[key]
                callback()

    def clear_timers(self) -> None:
        with self.lock:
            self._timers = []
            self._timer_keys = {}

    # -- the request path ----------------------------------------------------

    def process(self, request: Request) -> Outcome:
        """Latency, faults, handler, call log: everything a provider request goes through."""
        if self.latency > 0:
            time.sleep(self.latency)
        rule = self._take_fault(request)
        action = rule.action if rule else None
        if action == "respond":
            response = rule.response()
            self._log(request, response.status, action)
            return Outcome(response)
        if action == "drop":
            self._log(request, None, action)
            return Outcome(None, close=True)
        if action == "delay":
            time.sleep(rule.seconds)
        with self.lock if self.HANDLE_UNDER_LOCK else contextlib.nullcontext():
            self.run_due()
            try:
                response = self.handle(request)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                traceback.print_exc(file=sys.stderr)
                response = self.internal_error(request, exc)
            return self.finish(request, response, action)

    def finish(self, request: Request, response: Response, action: str | None) -> Outcome:
        """Log the answer and turn it into the outcome (``drop_after`` closes instead of answering)."""
        self._log(request, response.status, action)
        if action == "drop_after":
            return Outcome(None, close=True)
        return Outcome(response)

    def _take_fault(self, request: Request) -> FaultRule | None:
        with self.lock:
            for index, rule in enumerate(self.faults):
                if rule.matches(request, self.log_fields(request)):
                    rule.times -= 1
                    if rule.times <= 0:
                        del self.faults[index]
                    return rule
        return None

    def _log(self, request: Request, status: int | None, fault: str | None) -> None:
        with self.lock:
            entry = {
                "seq": next(self._seq),
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "headers": request.headers,
                "body": request.text,
                "json": request.json_body,
                "form": request.form,
                "status": status,
                "mutating": bool(self.is_mutating(request)),
                "fault": fault,
            }
            for key, value in self.log_fields(request).items():
                entry.setdefault(key, value)  # providers add fields, never replace the common ones
            self.calls.append(entry)

    # -- operations behind the control endpoints ------------------------------

    def call_log(self, clear: bool = False) -> list[dict]:
        with self.lock:
            calls = list(self.calls)
            if clear:
                self.calls.clear()
            return calls

    def add_faults(self, rules: list) -> None:
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self.lock:
            self.faults.extend(parsed)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def config(self) -> dict:
        with self.lock:
            data = {"provider": self.name, "latency": self.latency, "seed_servers": self.seed_servers}
            data.update(self.knobs)
            return data

    def configure(self, **settings) -> dict:
        """Change latency, seed_servers (used at the next reset) and knobs; all or nothing."""
        updates = {}
        latency, seed = self.latency, self.seed_servers
        try:
            for key, value in settings.items():
                if key == "latency":
                    latency = float(value)
                elif key == "seed_servers":
                    seed = int(value)
                else:
                    updates[key] = self.coerce_knob(key, value)
        except (TypeError, ValueError) as exc:
            raise BadRequest(str(exc)) from exc
        if latency < 0 or seed < 0:
            raise BadRequest("latency and seed_servers must not be negative")
        with self.lock:
            self.latency, self.seed_servers = latency, seed
            self.knobs.update(updates)
        return self.config()

    def reset(self) -> None:
        """Fresh state (re-seeded with the current seed settings), empty call log, no faults."""
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.clear_timers()
            self.build_state()

    def seed(self, count: int) -> None:
        if count < 0:
            raise BadRequest("servers must not be negative")
        with self.lock:
            self.clear_timers()
            self.apply_seed(count)

    def state(self) -> dict:
        with self.lock:
            self.run_due()
            return self.snapshot()

    # -- control endpoints ---------------------------------------------------

    def control(self, request: Request) -> Response:
        """Answer a ``/__sim__/...`` request (no auth, JSON in and out)."""
        route = norm_path(request.path[len(CONTROL_PREFIX) - 1:])
        routes = {
            "/calls": {"GET": self._ctl_calls, "DELETE": self._ctl_calls},
            "/faults": {"GET": self._ctl_faults, "POST": self._ctl_faults, "DELETE": self._ctl_faults},
            "/config": {"GET": self._ctl_config, "POST": self._ctl_config},
            "/reset": {"POST": self._ctl_reset},
            "/seed": {"POST": self._ctl_seed},
            "/state": {"GET": self._ctl_state},
        }
        if route not in routes:
            return Response.from_json({"error": f"unknown control endpoint {request.path}",
                                       "endpoints": [CONTROL_PREFIX + name.lstrip("/") for name in routes]}, 404)
        methods = routes[route]
        if request.method not in methods:
            return Response.from_json({"error": f"{request.method} not allowed on {request.path}",
                                       "allowed": sorted(methods)}, 405)
        try:
            body = self._control_body(request)
            return Response.from_json(methods[request.method](request.method, body))
        except BadRequest as exc:
            return Response.from_json({"error": str(exc)}, 400)

    @staticmethod
    def _control_body(request: Request) -> dict:
        if not request.body.strip():
            return {}
        try:
            body = json.loads(request.text)
        except ValueError as exc:
            raise BadRequest(f"control body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise BadRequest("control body must be a JSON object")
        return body

    def _ctl_calls(self, method: str, body: dict) -> dict:  # pylint: disable=unused-argument
        return {"calls": self.call_log(clear=method == "DELETE")}

    def _ctl_faults(self, method: str, body: dict) -> dict:
        if method == "POST":
            rules = body.get("faults")
            if not isinstance(rules, list):
                raise BadRequest("expected {\"faults\": [rule, ...]}")
            self.add_faults(rules)
        elif method == "DELETE":
            self.clear_faults()
        with self.lock:
            return {"faults": [rule.to_dict() for rule in self.faults]}

    def _ctl_config(self, method: str, body: dict) -> dict:
        if method == "POST":
            return self.configure(**body)
        return self.config()

    def _ctl_reset(self, method: str, body: dict) -> dict:  # pylint: disable=unused-argument
        self.reset()
        return {"reset": True}

    def _ctl_seed(self, method: str, body: dict) -> dict:  # pylint: disable=unused-argument
        try:
            count = int(body.get("servers", 0))
        except (TypeError, ValueError) as exc:
            raise BadRequest("servers must be an integer") from exc
        self.seed(count)
        return {"servers": count}

    def _ctl_state(self, method: str, body: dict) -> dict:  # pylint: disable=unused-argument
        return self.state()


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

class SimRequestHandler(BaseHTTPRequestHandler):
    """Turns HTTP/1.1 requests into :class:`Request` objects and writes the outcome."""

    protocol_version = "HTTP/1.1"
    server_version = "hostcraft-sim/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms per request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write(f"[{self.server.sim.name}] {self.address_string()} {format % args}\n")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._write(Response.from_text("bad request body\n", 400))
            return
        headers = {}
        for key, value in self.headers.items():
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = Request.parse(self.command, self.path, headers, body, self.client_address[0])
        sim = self.server.sim
        if (norm_path(request.path) + "/").startswith(CONTROL_PREFIX):
            outcome = Outcome(sim.control(request))
        else:
            outcome = sim.process(request)
        if outcome.response is not None:
            self._write(outcome.response)
        if outcome.close:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _write(self, response: Response):
        self.send_response(response.status)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class SimHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one simulator; stop() also closes idle keep-alive sockets."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 resets connections under concurrent load

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.sim = sim
        self.verbose = verbose
        self._connections: set = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), SimRequestHandler)

    def track(self, conn) -> None:
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn) -> None:
        with self._connections_lock:
            self._connections.discard(conn)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
