"""Stub skyportd node daemon for running the real Skyport panel locally (see README.md in this directory).

Answers what the panel calls on a node (fact sheet ``providers/skyport.md`` section 6), with HTTP Basic auth
user ``Skyport`` and the node's apiKey as password:

* ``GET /`` - node status (``versionFamily``, ``versionRelease``, ``online``, ...);
* ``POST /instances/create`` - 202 ``{"message": "Deployment started", "Env": [...], "volumeId": <Id>}``;
* ``GET /state/<Id>`` - ``{"state": "INSTALLING"|"READY", "containerId": <64 hex or null>}``, or
  ``{"state": "UNKNOWN"}`` for an Id it never saw;
* ``GET /instances/<containerId>/delete`` - 200 ``{"message": ...}``; 500 ``{"message": ...}`` for an unknown
  container (like the real daemon, so ``/instances/null/delete`` fails) unless ``--lenient-delete``;
* ``GET /instances/purge/all``, ``GET /stats``, ``GET /check/all`` - small 200 JSON answers for the admin UI.

Unauthenticated helpers: ``GET /__stub__/requests`` lists every request received (method, path, auth ok, JSON
body), so a check can see exactly what the panel sent; ``GET /__stub__/config`` shows and ``POST /__stub__/config``
(JSON) changes the knobs at run time: ``install_seconds`` (float), ``fail_install`` (bool: after the install time
``/state`` answers ``{"state": "FAILED", "containerId": null}`` like skyportd after a failed start),
``create_error`` (string or null: ``/instances/create`` answers 500 ``{"message": <it>}``, like a failed image
pull), ``lenient_delete`` (bool).

Usage: python3 stub_daemon.py --port 3902 --key <node apiKey> [--install-seconds N] [--lenient-delete]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
CONTAINERS: dict[str, dict] = {}  # Id -> {"containerId", "ready_at", "deleted"}
REQUESTS: list[dict] = []
KNOBS = ("install_seconds", "fail_install", "create_error", "lenient_delete")


def make_env(body: dict) -> list[str]:
    """Env as skyportd answers it: image Env, then KEY=value per variable, then PRIMARY_PORT=<first host port>."""
    env = [e for e in (body.get("Env") or []) if isinstance(e, str)]
    variables = body.get("variables")
    if isinstance(variables, dict):
        env.extend(f"{k}={v}" for k, v in variables.items())
    bindings = body.get("PortBindings") or {}
    for binding in bindings.values():
        if binding and isinstance(binding, list) and isinstance(binding[0], dict) and binding[0].get("HostPort"):
            env.append(f"PRIMARY_PORT={binding[0]['HostPort']}")
            break
    return env


class Handler(BaseHTTPRequestHandler):
    server_version = "skyportd-stub/0.3.0"
    cfg: argparse.Namespace

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        sys.stderr.write("%s stub %s\n" % (time.strftime("%H:%M:%S"), format % args))

    def _send(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _auth_ok(self) -> bool:
        expected = base64.b64encode(f"Skyport:{self.cfg.key}".encode()).decode()
        got = self.headers.get("Authorization", "")
        return hmac.compare_digest(got, f"Basic {expected}")

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def _handle(self, method: str) -> None:
        body = self._body() if method == "POST" else None
        path = self.path.split("?", 1)[0]
        if path == "/__stub__/requests":
            with LOCK:
                self._send(200, REQUESTS)
            return
        if path == "/__stub__/config":
            with LOCK:
                if method == "POST" and isinstance(body, dict):
                    for name in KNOBS:
                        if name in body:
                            setattr(self.cfg, name, body[name])
                self._send(200, {name: getattr(self.cfg, name) for name in KNOBS})
            return
        auth_ok = self._auth_ok()
        with LOCK:
            REQUESTS.append({"time": time.time(), "method": method, "path": path, "auth_ok": auth_ok, "body": body})
        if not auth_ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="skyportd"')
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b"Unauthorized")
            return
        parts = [p for p in path.split("/") if p]
        if method == "GET" and not parts:
            self._send(200, {"versionFamily": 1, "versionRelease": "skyportd 0.3.0 (stub)", "online": True,
                             "remote": "127.0.0.1", "mysql": {"host": None, "user": None, "password": None},
                             "docker": {"status": "up", "systemInfo": {"ServerVersion": "stub"}}})
        elif method == "POST" and parts == ["instances", "create"] and self.cfg.create_error:
            self._send(500, {"message": str(self.cfg.create_error)})
        elif method == "POST" and parts == ["instances", "create"] and isinstance(body, dict) and body.get("Id"):
            vid = str(body["Id"])
            with LOCK:
                CONTAINERS[vid] = {"containerId": hashlib.sha256(vid.encode()).hexdigest(),
                                   "ready_at": time.time() + float(self.cfg.install_seconds), "deleted": False,
                                   "fail": bool(self.cfg.fail_install)}
            self._send(202, {"message": "Deployment started", "Env": make_env(body), "volumeId": vid})
        elif method == "POST" and parts == ["instances", "create"]:
            self._send(500, {"message": "stub: body without Id"})
        elif method == "GET" and len(parts) == 2 and parts[0] == "state":
            with LOCK:
                rec = CONTAINERS.get(parts[1])
            if rec is None:
                self._send(200, {"state": "UNKNOWN"})
            elif time.time() >= rec["ready_at"] and rec["fail"]:
                self._send(200, {"state": "FAILED", "containerId": None})
            elif time.time() >= rec["ready_at"]:
                self._send(200, {"state": "READY", "containerId": rec["containerId"]})
            else:
                self._send(200, {"state": "INSTALLING", "containerId": None})
        elif method == "GET" and parts == ["instances", "purge", "all"]:
            with LOCK:
                for rec in CONTAINERS.values():
                    rec["deleted"] = True
            self._send(200, {"message": "All instances purged (stub)"})
        elif method == "GET" and len(parts) == 3 and parts[0] == "instances" and parts[2] == "delete":
            cid = parts[1]
            with LOCK:
                rec = next((r for r in CONTAINERS.values() if r["containerId"] == cid and not r["deleted"]), None)
                if rec is not None:
                    rec["deleted"] = True
            if rec is not None or self.cfg.lenient_delete:
                self._send(200, {"message": "Container and associated volume deleted successfully"})
            else:
                self._send(500, {"message": f"(HTTP code 404) no such container - No such container: {cid} "})
        elif method == "GET" and parts in (["stats"], ["check", "all"]):
            self._send(200, {"stub": True, "containers": len(CONTAINERS)})
        else:
            self._send(404, {"message": f"stub: no route {method} {path}"})

    def do_GET(self):  # noqa: N802 - http.server naming
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")

    def do_DELETE(self):  # noqa: N802
        self._handle("DELETE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3902)
    parser.add_argument("--key", required=True, help="node apiKey (Basic auth password)")
    parser.add_argument("--install-seconds", type=float, default=0.0,
                        help="seconds after create during which /state answers INSTALLING with containerId null")
    parser.add_argument("--lenient-delete", action="store_true", help="answer 200 to deletes of unknown containers")
    parser.add_argument("--fail-install", action="store_true", help="/state answers FAILED after the install time")
    parser.add_argument("--create-error", default=None, help="/instances/create answers 500 with this message")
    Handler.cfg = parser.parse_args()
    server = ThreadingHTTPServer((Handler.cfg.host, Handler.cfg.port), Handler)
    sys.stderr.write(f"stub skyportd listening on http://{Handler.cfg.host}:{Handler.cfg.port}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
