"""Stateful fake of the Skyport panel API (skyportlabs/panel ``main``, version 0.3.0): ``/api/...`` with ``x-api-key``.

Written from ``providers/skyport.md`` only (never from the collection's client code).

* Storage is modelled like the panel's Keyv store: one JSON text per key (``users``, ``instances``,
  ``<userId>_instances``, ``<Id>_instance``, ``nodes``, ``<nodeId>_node``, ``images``, ``apiKeys``, ``name``).
  Every write is a read-modify-write of a whole value with no locking, and the knob ``write_delay`` sleeps
  between the read and the write, so concurrent calls lose each other's writes exactly as the panel does
  (fact sheet 1, 8.5).  To let that happen, ``HANDLE_UNDER_LOCK = False``: the request path does **not** hold
  ``self.lock`` around :meth:`handle`; only each single get/set of the store (and the timers) take it.
* Every POST goes through one rate limiter per client IP (3); unknown GET paths answer 200 HTML and other
  unknown method/path pairs 404 ``Cannot METHOD /path`` (3); every response sets a ``connect.sid`` cookie (1).
* The node daemon (skyportd) is simulated inside: deploy "calls" it (knob ``daemon_down``, ``deploy_seconds``),
  and its state polls are timers that copy ``InternalState``/``ContainerId`` into the three places (4.6).
* The defects of fact sheet 8 are reproduced on purpose: node create never answers, suspend/unsuspend write
  and then answer 500 HTML, delete leaves ``<Id>_instance`` behind and removes every list element sharing the
  ContainerId (null matches null, absent matches absent), lost updates, node delete 201 for any id, userId
  duplicates, secrets in the answers, unknown GET 200 HTML.
* Knob ``version`` = ``v0.2`` switches the status codes and bodies listed in fact sheet 9.

Extra control endpoints (besides the framework's): ``GET/POST /__sim__/db`` (raw store, like seeding the
sqlite file) and ``POST /__sim__/install`` (a daemon state poll result for one instance, now).
Where the fact sheet leaves something open, the choice made here is marked "CHOICE:".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import string
import threading
import time
import uuid
from urllib.parse import parse_qsl

from .core import CONTROL_PREFIX, BadRequest, Outcome, Request, Response, Simulator, norm_path

# -- fixtures (fact sheet 10) ----------------------------------------------------------------------------------------

API_KEY = "skyport_test"
FIXTURE_API_KEY = "skyport_5f0e4a52-2222-4d7b-8c1e-7a9b3c4d5e6f"
API_KEY_ENTRIES = [
    {"id": "k1", "key": API_KEY, "createdAt": "2024-10-20T00:00:00.000Z"},
    {"id": "0b5c2a8e-1111-4c3e-9a51-2f1f6c0e9a01", "key": FIXTURE_API_KEY, "createdAt": "2024-10-20T12:00:00.000Z"},
]

ALICE = {"userId": "user-alice-0001", "username": "alice", "email": "alice@example.com",
         "password": "$2b$10$abcdefghijklmnopqrstuuFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE",
         "accessTo": [], "admin": False}
# CHOICE: a second user, the admin that `npm run createUser` makes (verified: true), so owners can differ
ADMIN = {"userId": "user-admin-0001", "username": "admin", "email": "admin@example.com",
         "password": "$2b$10$ABCDEFGHIJKLMNOPQRSTUuADMINADMINADMINADMINADMINADMINAD",
         "accessTo": [], "admin": True, "verified": True}

NODE_EU_ID = "6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d"
NODE_EU = {"id": NODE_EU_ID, "name": "eu-node-1", "tags": "eu,game",
           "ram": "8192", "disk": "102400", "processor": "AMD EPYC", "address": "10.0.0.21",
           "port": "3002", "apiKey": "3c9f0e7d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
           "configureKey": None, "status": "Configured"}
NODE_US_ID = "9b2e4f6a-7777-4c1d-8e2f-3a4b5c6d7e8f"
NODE_US = {"id": NODE_US_ID, "name": "us-node-1", "tags": "us",
           "ram": "16384", "disk": "204800", "processor": "Intel Xeon", "address": "10.0.0.22",
           "port": "3002", "apiKey": "7a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
           "configureKey": None, "status": "Configured"}

PAPERMC_NAME = "Minecraft Java: PaperMC"
PAPERMC = {"Id": "c0ffee00-4444-4bbb-8ccc-000000000001", "Name": PAPERMC_NAME,
           "Image": "quay.io/skyport/java:21", "AltImages": ["quay.io/skyport/java:21", "docker.io/privt/java:17"],
           "Cmd": "", "Env": ["START=java -jar server.jar"], "StopCommand": "stop",
           "Scripts": {"Install": [{"Uri": "https://example.invalid/paper-{{Version}}-{{Build}}.jar", "Path": "server.jar"}]},
           "Variables": {"Version": {"type": "text", "default": "1.21.1", "required": True},
                         "Build": {"type": "text", "default": "89", "required": True}}}
NODEJS_NAME = "Node.js"
NODEJS = {"Id": "c0ffee00-4444-4bbb-8ccc-000000000002", "Name": NODEJS_NAME,
          "Image": "quay.io/skyport/nodejs:20", "AltImages": ["quay.io/skyport/nodejs:20", "quay.io/skyport/nodejs:18"],
          "Cmd": "", "Env": ["START=npm start"], "StopCommand": "^C",
          "Scripts": {"Install": [{"Uri": "https://example.invalid/nodejs-{{Main}}.js", "Path": "index.js"}]},
          "Variables": {"Main": {"type": "text", "default": "index", "required": False}}}

FIXTURE_INSTANCE_ID = "a3f91c07"
FIXTURE_CONTAINER_ID = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
FIXTURE_INSTANCE = {
    "Name": "mc-survival", "Id": FIXTURE_INSTANCE_ID, "VolumeId": FIXTURE_INSTANCE_ID, "User": "user-alice-0001",
    "Node": NODE_EU, "InternalState": "READY", "ContainerId": FIXTURE_CONTAINER_ID,
    "Memory": 2048, "Cpu": 2, "Ports": "25565:25565,25575:25575", "Primary": "25565",
    "Image": "quay.io/skyport/java:21", "AltImages": ["quay.io/skyport/java:21", "docker.io/privt/java:17"],
    "StopCommand": "stop", "imageData": PAPERMC,
    "Env": ["START=java -jar server.jar", "Version=1.21.1", "Build=89", "PRIMARY_PORT=25565"],
}

# -- wire strings --------------------------------------------------------------------------------------------------------

MSG = {
    "key_required": "API key is required",
    "key_invalid": "API Key Invalid",
    "users_failed": "Failed to retrieve users",
    "type_value": "Type and value are required",
    "bad_type": 'Invalid search type. Use "email" or "username".',
    "user_not_found": "User not found",
    "create_missing": "Username, email, and password are required",
    "user_exists": "User already exists",
    "email_not_found": "Email not found",
    "deploy_missing": "Missing required parameters",
    "invalid_node": "Invalid node",
    "create_failed": "Failed to create container",
    "no_details": "No additional error info",
    "deploy_ok": "Container creation initiated. State will be updated asynchronously.",
    "missing_id": "Missing ID parameter",
    "instance_not_found": "Instance not found",
    "delete_failed": "Failed to delete instance",
    "delete_ok": "The instance has been successfully deleted.",
    "delete_ok_v02": "The instance has successfully been deleted.",
    "user_id_required": 'Parameter "userId" is required',
    "id_required": 'Parameter "id" is required',
    "suspend_error": "An error occurred while suspending the instance",
    "unsuspend_error": "An error occurred while unsuspending the instance",
    "suspend_ok": "Instance Suspended Successfully",
    "node_deleted": "The node has successfully deleted.",
    "node_id_invalid": "The node ID was invalid",
    "too_many": "Too many requests, please try again later",
}

# method, path template (Express style), action name; matched case-insensitively, trailing slash optional
ROUTES = (
    ("GET", "/api/users", "users"),
    ("POST", "/api/getUser", "get_user"),
    ("POST", "/api/auth/create-user", "create_user"),
    ("POST", "/api/auth/reset-password", "reset_password"),
    ("GET", "/api/instances", "instances"),
    ("POST", "/api/instances/deploy", "deploy"),
    ("DELETE", "/api/instance/delete", "delete_instance"),
    ("POST", "/api/getUserInstance", "get_user_instance"),
    ("POST", "/api/getInstance", "get_instance"),
    ("POST", "/api/instances/suspend/:id", "suspend"),
    ("POST", "/api/instances/unsuspend/:id", "unsuspend"),
    ("GET", "/api/images", "images"),
    ("POST", "/api/nodes/create", "create_node"),
    ("DELETE", "/api/nodes/delete", "delete_node"),
    ("GET", "/api/nodes", "nodes"),
    ("GET", "/api/name", "name"),
)
COMPILED = [(method, template, action,
             re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\:", ":")) + "/?$",
                        re.IGNORECASE))
            for method, template, action in ROUTES]
MUTATING = {"create_user", "reset_password", "deploy", "delete_instance", "suspend", "unsuspend", "create_node",
            "delete_node"}
V02_ABSENT = {"suspend", "unsuspend"}  # added 2024-10-15, after v0.2.2 (fact sheet 4.10, 9)

INSTALL_RESULTS = ("READY", "FAILED", "INSTALLING", "UNKNOWN")
BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
DANGLING_NODE_ID = "00000000-dead-4000-8000-{:012d}"
ABSENT = object()  # a JS property that is not there (undefined), as opposed to null

NOT_FOUND_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Skyport</title>\n</head>\n"
                  "<body>\n<h1>404</h1>\n<p>The page you are looking for does not exist.</p>\n</body>\n</html>\n")


def express_error_page(text: str) -> str:
    """The body Express' finalhandler sends for an unmatched route or a parser error."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n"
            f"<body>\n<pre>{text}</pre>\n</body>\n</html>\n")


# -- JavaScript semantics ---------------------------------------------------------------------------------------------

def dumps(value) -> str:
    """JSON.stringify: compact, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def truthy(value) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)  # 0 and NaN are falsy
    if isinstance(value, str):
        return value != ""
    return True  # true, arrays and objects (even empty)


def js_string(value) -> str:
    """String(value) / template-literal interpolation."""
    if value is ABSENT:
        return "undefined"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def parse_int(value):
    """parseInt(value): leading integer of String(value), hex with 0x; NaN -> None (JSON null)."""
    match = re.match(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|\d+)", js_string(value))
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    digits = match.group(2)
    return sign * (int(digits, 16) if digits[:2].lower() == "0x" else int(digits))


def js_entries(value) -> list:
    """Object.entries(value) for the shapes a JSON/form body can give."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, (list, str)):
        return [(str(index), item) for index, item in enumerate(value)]
    return []


def container_id(record: dict):
    return record.get("ContainerId", ABSENT)


def same_container(left, right) -> bool:
    """JS ``===`` of two ContainerId values (ABSENT is undefined, None is null)."""
    if any(v is ABSENT or v is None or isinstance(v, bool) for v in (left, right)):
        return left is right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    return left == right


def qs_parse(text: str) -> dict:
    """``express.urlencoded({extended: true})``-like parse: ``a[b]=c`` nests, repeated keys and ``a[]`` give lists."""
    result: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$", key)
        if not match:
            existing = result.get(key)
            if key in result:
                result[key] = existing + [value] if isinstance(existing, list) else [existing, value]
            else:
                result[key] = value
            continue
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if isinstance(node, list):
                if last:
                    node.append(value)
                else:
                    child: dict = {}
                    node.append(child)
                    node = child
                continue
            if last:
                if part in node:
                    existing = node[part]
                    node[part] = existing + [value] if isinstance(existing, list) else [existing, value]
                else:
                    node[part] = value
                continue
            following = parts[index + 1]
            if part not in node or not isinstance(node[part], (dict, list)):
                node[part] = [] if following == "" else {}
            node = node[part]
    return result


def fake_bcrypt(password: str) -> str:
    """A string shaped like ``bcrypt.hash(password, 10)``: ``$2b$10$`` + 22 salt + 31 hash characters."""
    salt = "".join(secrets.choice(BCRYPT_ALPHABET) for _index in range(22))
    digest = hashlib.sha256((salt + password).encode("utf-8")).digest() * 2
    return "$2b$10$" + salt + "".join(BCRYPT_ALPHABET[byte % 64] for byte in digest[:31])


def random_token(length: int = 30) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _index in range(length))


def with_state(record: dict, state: str, cid) -> dict:
    """``record`` with InternalState/ContainerId set (ContainerId right after InternalState, or gone if ABSENT)."""
    result = {}
    for key, value in record.items():
        if key == "ContainerId":
            continue
        if key == "InternalState":
            result[key] = state
            if cid is not ABSENT:
                result["ContainerId"] = cid
            continue
        result[key] = value
    if "InternalState" not in result:
        result["InternalState"] = state
        if cid is not ABSENT:
            result["ContainerId"] = cid
    return result


class Store:
    """The Keyv store: key -> JSON text.  Each get and set is atomic; nothing spans the two."""

    def __init__(self, lock):
        self.lock = lock
        self.rows: dict[str, str] = {}

    def get(self, key: str, default=None):
        with self.lock:
            text = self.rows.get(key)
        return default if text is None else json.loads(text)

    def raw(self, key: str) -> str | None:
        with self.lock:
            return self.rows.get(key)

    def has(self, key: str) -> bool:
        with self.lock:
            return key in self.rows

    def set(self, key: str, value) -> None:
        text = dumps(value)
        with self.lock:
            self.rows[key] = text

    def set_raw(self, key: str, text: str) -> None:
        with self.lock:
            self.rows[key] = text

    def delete(self, key: str) -> bool:
        with self.lock:
            return self.rows.pop(key, None) is not None

    def keys(self) -> list:
        with self.lock:
            return list(self.rows)


class Reply(Exception):
    """Answer this response now (an error path of a handler)."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


HANG = Response(0)  # handle() result: never answer (POST /api/nodes/create)


# ---------------------------------------------------------------------------------------------------------------------

class SkyportSimulator(Simulator):
    name = "skyport"
    HANDLE_UNDER_LOCK = False  # handle() locks each store access only: concurrent writes get lost (module doc)
    KNOBS = {
        "version": "main",             # main (0.3.0) | v0.2 (v0.2.x status codes and bodies, fact sheet 9)
        "rate_limit": 6,               # POSTs per window per client IP (all POSTs share it); 0 or null = no limit
        "rate_window": 6.0,            # seconds of one rate-limit window (Retry-After = ceil, at least 1)
        "install_seconds": 1.0,        # after deploy, the daemon poll reports the final state after this long
        "first_poll_seconds": 0.25,    # first poll (INSTALLING, ContainerId null) this long after deploy; < 0 = none
        "install_result": "READY",     # READY | FAILED | INSTALLING (stuck, ContainerId null) | UNKNOWN (key gone)
        "daemon_down": False,          # node daemons unreachable: deploy 500 (nothing written), delete 500
        "deploy_seconds": 0.0,         # the daemon's image pull: deploy answers after this long
        "write_delay": 0.0,            # sleep between the read and the write of every read-modify-write
        "suspend_fixed": False,        # suspend/unsuspend answer the intended 201 instead of the 500 HTML
        "node_create_hang": 60.0,      # POST /api/nodes/create: close the connection unanswered after this long
        "smtp": False,                 # reset-password with SMTP set up: {"message": "...sent successfully (<token>)"}
        "api_keys": "",                # CSV of extra keys for the apiKeys array (besides skyport_test and the fixture)
        "dangling_nodes": 0,           # this many ids in `nodes` without a `<id>_node` (GET /api/nodes shows null)
    }
    CHOICES = {"version": ("main", "v0.2"), "install_result": INSTALL_RESULTS}

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.db = Store(threading.RLock())
        self.rates: dict[str, list] = {}
        self.hang_epoch = 0
        self.session_secret = secrets.token_bytes(16)
        super().__init__(latency=latency, seed_servers=seed_servers, **knobs)

    # -- knobs ---------------------------------------------------------------------------------------------------------

    def coerce_knob(self, key: str, value):
        if key == "rate_limit" and (value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", ""))):
            return 0
        value = super().coerce_knob(key, value)
        if key in self.CHOICES and value not in self.CHOICES[key]:
            raise ValueError(f"knob {key!r} must be one of {', '.join(self.CHOICES[key])}")
        if key in ("rate_limit", "install_seconds", "deploy_seconds", "write_delay", "node_create_hang",
                   "dangling_nodes") and value < 0:
            raise ValueError(f"knob {key!r} must not be negative")
        if key == "rate_window" and value <= 0:
            raise ValueError("knob 'rate_window' must be positive")
        return value

    def configure(self, **settings) -> dict:
        super().configure(**settings)
        with self.lock:
            if "rate_limit" in settings or "rate_window" in settings:
                self.rates = {}
            if "api_keys" in settings:
                self._seed_extra_keys()
            if "dangling_nodes" in settings:
                self._seed_dangling_nodes()
        return self.config()

    # -- state -----------------------------------------------------------------------------------------------------------

    def build_state(self) -> None:
        self.db = Store(self.lock)
        self.rates = {}
        self.hang_epoch += 1  # hanging node-create requests end at a reset
        db = self.db
        db.set("apiKeys", [dict(entry) for entry in API_KEY_ENTRIES])
        db.set("users", [ALICE, ADMIN])
        db.set("images", [PAPERMC, NODEJS])
        db.set("nodes", [NODE_EU_ID, NODE_US_ID])
        db.set(f"{NODE_EU_ID}_node", NODE_EU)
        db.set(f"{NODE_US_ID}_node", NODE_US)
        db.set("settings", {"register": False, "name": "Skyport", "emailVerification": False})
        db.set("skyport_instance", {"skyportId": "00000000-5eed-4000-8000-000000000001",
                                    "setupTime": 1729425600000, "originalVersion": "0.3.0"})
        self._seed_instances()
        self._seed_extra_keys()
        self._seed_dangling_nodes()

    def _seed_instances(self) -> None:
        """The fixture instance plus ``seed_servers`` READY ones, spread over both nodes and both users."""
        nodes, images, users = [NODE_EU, NODE_US], [PAPERMC, NODEJS], [ALICE["userId"], ADMIN["userId"]]
        records = [FIXTURE_INSTANCE]
        for number in range(1, self.seed_servers + 1):
            inst_id = f"{(0x5eed0000 + number) & 0xffffffff:08x}"
            image = images[number % 2]
            port = 20000 + number % 40000
            container = f"{number & 0xffffffff:08x}" + hashlib.sha256(inst_id.encode()).hexdigest()[8:]
            env = list(image["Env"]) + [f"{name}={spec['default']}" for name, spec in image["Variables"].items()]
            records.append({
                "Name": f"srv-{number:04d}", "Id": inst_id, "VolumeId": inst_id, "User": users[number % 2],
                "Node": nodes[(number // 2) % 2], "InternalState": "READY", "ContainerId": container,
                "Memory": 1024, "Cpu": 1, "Ports": f"{port}:{port}", "Primary": str(port), "Image": image["Image"],
                "AltImages": image["AltImages"], "StopCommand": image["StopCommand"], "imageData": image,
                "Env": env + [f"PRIMARY_PORT={port}"],
            })
        per_user: dict[str, list] = {}
        for record in records:
            per_user.setdefault(record["User"], []).append(record)
            self.db.set(f"{record['Id']}_instance", record)
        self.db.set("instances", records)
        for user, owned in per_user.items():
            self.db.set(f"{user}_instances", owned)

    def _seed_extra_keys(self) -> None:
        keys = self.db.get("apiKeys", [])
        known = {entry.get("key") for entry in keys if isinstance(entry, dict)}
        for number, key in enumerate((k.strip() for k in self.knobs["api_keys"].split(",")), start=1):
            if key and key not in known:
                keys.append({"id": f"sim-key-{number}", "key": key, "createdAt": "2024-10-20T00:00:00.000Z"})
                known.add(key)
        self.db.set("apiKeys", keys)

    def _seed_dangling_nodes(self) -> None:
        wanted = [DANGLING_NODE_ID.format(number) for number in range(1, self.knobs["dangling_nodes"] + 1)]
        ids = [i for i in self.db.get("nodes", []) if not (isinstance(i, str) and i.startswith("00000000-dead-"))]
        self.db.set("nodes", ids + wanted)

    def snapshot(self) -> dict:
        db = self.db
        users = db.get("users", [])
        instances = db.get("instances", [])
        node_ids = db.get("nodes", [])
        user_keys = sorted(key[:-len("_instances")] for key in db.keys() if key.endswith("_instances"))
        record_keys = sorted(key[:-len("_instance")] for key in db.keys() if key.endswith("_instance"))
        return {
            "users": users,
            "instances": instances,
            "user_instances": {user: db.get(f"{user}_instances") for user in user_keys},
            "instance_records": {inst_id: db.get(f"{inst_id}_instance") for inst_id in record_keys},
            "node_ids": node_ids,
            "nodes": [db.get(f"{node_id}_node") for node_id in node_ids],
            "images": db.get("images", []),
            "apiKeys": db.get("apiKeys", []),
            "name": db.get("name"),
            "rate": {ip: {"hits": entry[1], "resets_in": round(max(0.0, entry[0] - self.clock()), 3)}
                     for ip, entry in self.rates.items()},
        }

    # -- request path ----------------------------------------------------------------------------------------------------

    @staticmethod
    def match(method: str, path: str):
        """(template, action, params) of the API route, or None."""
        method = "GET" if method == "HEAD" else method
        for route_method, template, action, pattern in COMPILED:
            if route_method != method:
                continue
            found = pattern.match(path)
            if found:
                return template, action, found.groupdict()
        return None

    def _route(self, request: Request):
        found = self.match(request.method, request.path)
        if found and self.knobs["version"] == "v0.2" and found[1] in V02_ABSENT:
            return None
        return found

    def is_mutating(self, request: Request) -> bool:
        found = self._route(request)
        return bool(found) and found[1] in MUTATING

    def log_fields(self, request: Request) -> dict:
        found = self._route(request)
        return {"route": found[0] if found else None, "action": found[1] if found else None}

    def finish(self, request: Request, response: Response, action: str | None) -> Outcome:
        """Like :meth:`Simulator.finish`, plus the request the panel never answers (``HANG``)."""
        if response is HANG:
            self._log(request, None, action)
            if action != "drop_after":
                self._hang()
            return Outcome(None, close=True)
        return super().finish(request, response, action)

    def _hang(self) -> None:
        """Hold the request (its own server thread) until ``node_create_hang`` passes or the state is reset."""
        epoch = self.hang_epoch
        deadline = time.monotonic() + self.knobs["node_create_hang"]
        while time.monotonic() < deadline and self.hang_epoch == epoch:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def handle(self, request: Request) -> Response:
        try:
            response = self._handle(request)
        except Reply as reply:
            response = reply.response
        if response is not HANG:
            self._decorate(response)
        return response

    def _decorate(self, response: Response) -> None:
        """Headers every Express answer of the panel carries, including the session cookie (fact sheet 1)."""
        sid = secrets.token_urlsafe(24)
        signature = base64.b64encode(hmac.new(self.session_secret, sid.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        response.headers.setdefault("X-Powered-By", "Express")
        response.headers["Set-Cookie"] = f"connect.sid=s%3A{sid}.{signature.replace('+', '%2B').replace('/', '%2F')}; Path=/; HttpOnly"

    def internal_error(self, request: Request, exc: Exception) -> Response:
        response = self._html(express_error_page("Internal Server Error"), 500)
        self._decorate(response)
        return response

    def _handle(self, request: Request) -> Response:
        method = request.method
        rate_headers = {}
        if method == "POST":
            rate_headers = self._rate_limit(request)  # raises Reply(429); the handler is never reached
        body = self._body(request)
        found = self._route(request)
        if found is None:
            if method in ("GET", "HEAD"):
                return self._html(NOT_FOUND_PAGE, 200)  # the panel renders its 404 page with status 200
            if method == "OPTIONS":
                return self._options(request.path)
            return self._cannot(method, request.path)
        _template, action, params = found
        self._authenticate(request)
        response = getattr(self, f"_h_{action}")(body, params)
        if response is not HANG:
            response.headers.update(rate_headers)
        return response

    # -- Express plumbing --------------------------------------------------------------------------------------------------

    @staticmethod
    def _json(data, status: int = 200, headers: dict | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        return Response(status, dumps(data).encode("utf-8"), merged)

    @staticmethod
    def _html(text: str, status: int = 200, headers: dict | None = None) -> Response:
        merged = {"Content-Type": "text/html; charset=utf-8"}
        merged.update(headers or {})
        return Response(status, text.encode("utf-8"), merged)

    def _error(self, status: int, text: str, **extra) -> Reply:
        return Reply(self._json(dict({"error": text}, **extra), status))

    def _cannot(self, method: str, path: str) -> Response:
        return self._html(express_error_page(f"Cannot {method} {path}"), 404,
                          {"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"})

    def _options(self, path: str) -> Response:
        allowed = ["GET", "HEAD"]  # the catch-all GET page matches every path
        for method in ("POST", "DELETE"):
            if self.match(method, path) and (self.knobs["version"] != "v0.2" or self.match(method, path)[1] not in V02_ABSENT):
                allowed.append(method)
        return self._html(",".join(allowed), 200, {"Allow": ",".join(allowed)})

    def _body(self, request: Request) -> dict:
        """req.body after express.json() and express.urlencoded(); other content types give {}."""
        ctype = request.content_type
        if ctype == "application/json":
            if not request.body.strip():
                return {}
            try:
                value = json.loads(request.text)
            except ValueError as exc:
                raise Reply(self._html(express_error_page(f"SyntaxError: {exc}"), 400)) from exc
            if not isinstance(value, (dict, list)):  # body-parser's strict mode: objects and arrays only
                raise Reply(self._html(express_error_page("SyntaxError: Unexpected token in JSON"), 400))
            return value if isinstance(value, dict) else {}
        if ctype == "application/x-www-form-urlencoded":
            return qs_parse(request.text)
        return {}

    def _rate_limit(self, request: Request) -> dict:
        """express-rate-limit on every POST: a fixed window per client IP from its first hit; the hit counts even
        when it is refused.  Returns the X-RateLimit-* headers (CHOICE: also sent on admitted POSTs, as the
        library's legacy headers are), or raises the 429."""
        limit = self.knobs["rate_limit"]
        if not limit:
            return {}
        window = self.knobs["rate_window"]
        with self.lock:
            now = self.clock()
            entry = self.rates.get(request.client)
            if entry is None or now >= entry[0]:
                entry = self.rates[request.client] = [now + window, 0]
            entry[1] += 1
            hits, resets_at = entry[1], entry[0]
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - hits)),
                   "X-RateLimit-Reset": str(math.ceil(time.time() + (resets_at - now)))}
        if hits > limit:
            headers["Retry-After"] = str(max(1, math.ceil(window)))
            raise Reply(self._html(MSG["too_many"], 429, headers))
        return headers

    def _authenticate(self, request: Request) -> None:
        key = request.header("x-api-key")
        if not key:
            raise self._error(401, MSG["key_required"])
        entries = self.db.get("apiKeys", [])
        if not any(isinstance(entry, dict) and entry.get("key") == key for entry in entries):
            raise self._error(401, "" if self._v02 else MSG["key_invalid"])

    @property
    def _v02(self) -> bool:
        return self.knobs["version"] == "v0.2"

    def _pause(self) -> None:
        """The gap between reading a whole value and writing it back (bcrypt, awaits): lost updates live here."""
        delay = self.knobs["write_delay"]
        if delay > 0:
            time.sleep(delay)

    def _rmw(self, key: str, change, default=list):
        """Read ``key``, pause, apply ``change`` to the value, write it back; returns what ``change`` returns."""
        value = self.db.get(key)
        if value is None:
            value = default()
        self._pause()
        result = change(value)
        self.db.set(key, value)
        return result

    # -- users --------------------------------------------------------------------------------------------------------------

    def _h_users(self, body: dict, params: dict) -> Response:
        return Response(200, (self.db.raw("users") or "[]").encode("utf-8"),
                        {"Content-Type": "application/json; charset=utf-8"})

    def _h_get_user(self, body: dict, params: dict) -> Response:
        kind, value = body.get("type"), body.get("value")
        if not truthy(kind) or not truthy(value):
            raise self._error(400, MSG["type_value"])
        if kind not in ("email", "username"):
            raise self._error(400, MSG["bad_type"])
        user = next((u for u in self.db.get("users", []) if u.get(kind, ABSENT) == value), None)
        if user is None:
            raise self._error(400 if self._v02 else 404, MSG["user_not_found"])
        return self._json(user, 201 if self._v02 else 200)

    def _h_create_user(self, body: dict, params: dict) -> Response:
        username, email, password = body.get("username"), body.get("email"), body.get("password")
        if not (truthy(username) and truthy(email) and truthy(password)):
            raise self._error(400, MSG["create_missing"])
        users = self.db.get("users") or []
        if any(u.get("username", ABSENT) == username or u.get("email", ABSENT) == email for u in users):
            raise self._error(409, MSG["user_exists"])
        user_id = body.get("userId") if truthy(body.get("userId")) else str(uuid.uuid4())
        admin = body.get("admin") is True  # only JSON boolean true; the form string "true" gives false
        self._pause()  # bcrypt.hash(password, 10) runs between the read and the write
        user = {"userId": user_id, "username": username, "email": email, "password": fake_bcrypt(js_string(password)),
                "accessTo": [], "admin": admin}
        users.append(user)
        self.db.set("users", users)
        return self._json({"userId": user_id, "username": username, "email": email, "admin": admin}, 201)

    def _h_reset_password(self, body: dict, params: dict) -> Response:
        email = body.get("email", ABSENT)
        token = random_token()

        def change(users):
            user = next((u for u in users if u.get("email", ABSENT) == email), None) if email is not ABSENT else None
            if user is None:
                raise self._error(404, MSG["email_not_found"])
            user["resetToken"] = token

        self._rmw("users", change)
        if self.knobs["smtp"]:
            return self._json({"message": f"Password reset email sent successfully ({token})"})
        return self._json({"message": token} if self._v02 else {"password": token})

    # -- instances ------------------------------------------------------------------------------------------------------------

    def _h_instances(self, body: dict, params: dict) -> Response:
        return Response(200, (self.db.raw("instances") or "[]").encode("utf-8"),
                        {"Content-Type": "application/json; charset=utf-8"})

    def _h_deploy(self, body: dict, params: dict) -> Response:
        fields = ("image", "imagename", "memory", "cpu", "ports", "nodeId", "name", "user")
        if not all(truthy(body.get(name)) for name in fields) or "primary" not in body:
            raise self._error(400, MSG["deploy_missing"])
        image, imagename, memory, cpu, ports, node_id, name, user = (body[name] for name in fields)
        primary = body["primary"]
        variables = body.get("variables", [])
        inst_id = uuid.uuid4().hex[:8]
        node = self.db.get(f"{js_string(node_id)}_node")
        if node is None:
            raise self._error(400 if self._v02 else 404, MSG["invalid_node"])
        image_data = next((i for i in self.db.get("images", []) if isinstance(i, dict) and i.get("Name") == imagename), None)
        # the daemon call (synchronous, lasts as long as the image pull)
        if self.knobs["deploy_seconds"] > 0:
            time.sleep(self.knobs["deploy_seconds"])
        if self.knobs["daemon_down"]:
            raise self._error(500, MSG["create_failed"], details=MSG["no_details"])
        if not truthy(node.get("apiKey")):
            raise self._error(500, MSG["create_failed"], details="")  # the daemon answers 401 to an empty password
        env = [js_string(item) for item in (image_data or {}).get("Env") or []]
        env += [f"{key}={js_string(value)}" for key, value in js_entries(variables)]
        # CHOICE: PRIMARY_PORT is the host part of the first "container:host" pair (the part itself without a colon)
        first_pair = js_string(ports).split(",")[0].split(":")
        env.append(f"PRIMARY_PORT={first_pair[1] if len(first_pair) > 1 else first_pair[0]}")
        record = {"Name": name, "Id": inst_id, "VolumeId": inst_id, "User": user, "Node": node,
                  "InternalState": "INSTALLING", "Memory": parse_int(memory), "Cpu": parse_int(cpu), "Ports": ports,
                  "Primary": primary, "Image": image}
        if image_data is None:
            record["AltImages"] = []
        else:
            for key in ("AltImages", "StopCommand"):
                if key in image_data:
                    record[key] = image_data[key]
            record["imageData"] = image_data
        record["Env"] = env
        self._rmw(f"{js_string(user)}_instances", lambda owned: owned.append(record))
        self._rmw("instances", lambda listed: listed.append(record))
        self.db.set(f"{inst_id}_instance", record)
        self._start_install(inst_id, js_string(name) + " " + js_string(imagename))
        return self._json({"message": MSG["deploy_ok"], "volumeId": inst_id, "state": "INSTALLING"}, 201)

    def _start_install(self, inst_id: str, label: str) -> None:
        """Schedule the daemon's state polls: a first one (INSTALLING, null) and the final one."""
        result = self.knobs["install_result"]
        lowered = label.lower()
        if "fail" in lowered:
            result = "FAILED"
        elif "stuck" in lowered:
            result = "INSTALLING"
        first, final = self.knobs["first_poll_seconds"], self.knobs["install_seconds"]
        if first >= 0 and (first < final or result == "INSTALLING"):
            self.schedule(first, lambda: self.daemon_poll(inst_id, "INSTALLING", None), key=("poll", inst_id))
        if result == "INSTALLING":
            if first < 0:
                self.schedule(final, lambda: self.daemon_poll(inst_id, "INSTALLING", None), key=("install", inst_id))
            return
        cid = {"READY": None, "FAILED": None, "UNKNOWN": ABSENT}[result]

        def finish():
            self.daemon_poll(inst_id, result, secrets.token_hex(32) if result == "READY" else cid)

        self.schedule(final, finish, key=("install", inst_id))

    def daemon_poll(self, inst_id: str, state: str, cid) -> dict | None:
        """One poll result: copy state and ContainerId (ABSENT removes the key) into all three places."""
        with self.lock:
            record = self.db.get(f"{inst_id}_instance")
            owner = record.get("User") if record else None
            if record is not None:
                self.db.set(f"{inst_id}_instance", with_state(record, state, cid))
            listed = self.db.get("instances", [])
            if owner is None:
                owner = next((i.get("User") for i in listed if i.get("Id") == inst_id), None)
            self.db.set("instances", [with_state(i, state, cid) if i.get("Id") == inst_id else i for i in listed])
            if owner is not None:
                key = f"{js_string(owner)}_instances"
                owned = self.db.get(key)
                if owned is not None:
                    self.db.set(key, [with_state(i, state, cid) if i.get("Id") == inst_id else i for i in owned])
            return self.db.get(f"{inst_id}_instance")

    def _h_delete_instance(self, body: dict, params: dict) -> Response:
        inst_id = body.get("id")
        if not truthy(inst_id):
            raise self._error(400, MSG["missing_id"])
        record = self.db.get(f"{js_string(inst_id)}_instance")
        if record is None:
            raise self._error(400 if self._v02 else 404, MSG["instance_not_found"])
        node = record.get("Node") if isinstance(record.get("Node"), dict) else {}
        if self.knobs["daemon_down"] or not truthy(node.get("apiKey")):
            raise self._error(500, MSG["delete_failed"])
        cid = container_id(record)

        def keep(items):
            items[:] = [i for i in items if not same_container(container_id(i), cid)]

        # every element whose ContainerId === this one's goes, from both lists (null === null, undefined === undefined)
        self._rmw(f"{js_string(record.get('User', ABSENT))}_instances", keep)
        self._rmw("instances", keep)
        self.db.delete(f"{js_string(cid)}_instance")  # the wrong key: <Id>_instance stays behind
        if self._v02:
            return self._json({"Message": MSG["delete_ok_v02"]}, 201)
        return self._json({"message": MSG["delete_ok"]})

    def _h_get_user_instance(self, body: dict, params: dict) -> Response:
        user_id = body.get("userId")
        if not truthy(user_id):
            raise self._error(400, MSG["user_id_required"])
        if not any(u.get("userId", ABSENT) == user_id for u in self.db.get("users", [])):
            raise self._error(400 if self._v02 else 404, MSG["user_not_found"])
        return self._json(self.db.get(f"{js_string(user_id)}_instances", []))

    def _h_get_instance(self, body: dict, params: dict) -> Response:
        inst_id = body.get("id")
        if not truthy(inst_id):
            raise self._error(400, MSG["id_required"])
        if not any(i.get("Id", ABSENT) == inst_id for i in self.db.get("instances", [])):
            raise self._error(400 if self._v02 else 404, MSG["instance_not_found"])
        raw = self.db.raw(f"{js_string(inst_id)}_instance")
        # res.json(undefined) sends an empty body when the list has the id but the record key is gone
        return Response(200, (raw or "").encode("utf-8"), {"Content-Type": "application/json; charset=utf-8"})

    def _h_suspend(self, body: dict, params: dict) -> Response:
        return self._set_suspended(params["id"], True)

    def _h_unsuspend(self, body: dict, params: dict) -> Response:
        return self._set_suspended(params["id"], False)

    def _set_suspended(self, inst_id: str, flag: bool) -> Response:
        failure = MSG["suspend_error"] if flag else MSG["unsuspend_error"]
        key = f"{inst_id}_instance"
        record = self.db.get(key)
        if record is None:
            return self._html(MSG["instance_not_found"], 404)
        record["suspended"] = flag
        self._pause()
        self.db.set(key, record)
        cid = container_id(record)
        listed = self.db.get("instances") or []
        target = next((i for i in listed if same_container(container_id(i), cid)), None)  # the FIRST match only
        if target is not None:
            target["suspended"] = flag
        if not flag:
            if target is None:
                return self._html(failure, 500)  # crashes after <Id>_instance was saved, before the list is
            target.pop("suspended-flagg", None)  # CHOICE: removed from the list element (the one it crashes on)
        self._pause()
        self.db.set("instances", listed)  # <User>_instances is not updated
        if self.knobs["suspend_fixed"]:
            return self._json({"success": MSG["suspend_ok"]}, 201)
        return self._html(failure, 500)  # the audit-log call after the save throws

    # -- images, nodes, name ------------------------------------------------------------------------------------------------

    def _h_images(self, body: dict, params: dict) -> Response:
        return self._json(self.db.get("images", []))

    def _h_nodes(self, body: dict, params: dict) -> Response:
        return self._json([self.db.get(f"{js_string(node_id)}_node") for node_id in self.db.get("nodes", [])])

    def _h_create_node(self, body: dict, params: dict) -> Response:
        return HANG  # reads an undefined variable before anything else: no answer, nothing stored

    def _h_delete_node(self, body: dict, params: dict) -> Response:
        node_id = body.get("nodeId")
        if not truthy(node_id):
            return self._html(MSG["node_id_invalid"], 200)

        def remove(ids):
            ids[:] = [i for i in ids if i != node_id]

        self._rmw("nodes", remove)
        self.db.delete(f"{js_string(node_id)}_node")
        return self._json({"Message": MSG["node_deleted"]}, 201)  # for any id, even one that never existed

    def _h_name(self, body: dict, params: dict) -> Response:
        name = self.db.get("name")
        return self._json({"name": name if truthy(name) else "Skyport"})

    # -- extra control endpoints --------------------------------------------------------------------------------------------

    def control(self, request: Request) -> Response:
        route = norm_path(request.path[len(CONTROL_PREFIX) - 1:])
        extra = {"/db": ("GET", "POST"), "/install": ("POST",)}
        if route not in extra:
            return super().control(request)
        if request.method not in extra[route]:
            return Response.from_json({"error": f"{request.method} not allowed on {request.path}",
                                       "allowed": list(extra[route])}, 405)
        try:
            body = self._control_body(request)
            if route == "/db":
                return Response.from_json(self._ctl_db(request, body))
            return Response.from_json(self._ctl_install(body))
        except BadRequest as exc:
            return Response.from_json({"error": str(exc)}, 400)

    def _ctl_db(self, request: Request, body: dict) -> dict:
        """GET: ``{"keys": {key: value}}`` (``?key=`` for one); POST ``{"set": {key: value}, "delete": [key]}``."""
        with self.lock:
            self.run_due()
            if request.method == "POST":
                updates, removals = body.get("set") or {}, body.get("delete") or []
                if not isinstance(updates, dict) or not isinstance(removals, list):
                    raise BadRequest("expected {\"set\": {key: value}, \"delete\": [key, ...]}")
                for key, value in updates.items():
                    self.db.set(str(key), value)
                for key in removals:
                    self.db.delete(str(key))
            wanted = request.query.get("key")
            keys = [wanted] if isinstance(wanted, str) else (wanted or self.db.keys())
            return {"keys": {key: self.db.get(key) for key in keys if self.db.has(key)}}

    def _ctl_install(self, body: dict) -> dict:
        """``{"id": Id, "state": READY|FAILED|INSTALLING|UNKNOWN, "containerId": ...}``: a state poll, now."""
        inst_id, state = body.get("id"), body.get("state", "READY")
        if not isinstance(inst_id, str) or not inst_id:
            raise BadRequest("'id' (an instance Id) is required")
        if state not in INSTALL_RESULTS:
            raise BadRequest(f"'state' must be one of {', '.join(INSTALL_RESULTS)}")
        if "containerId" in body:
            cid = body["containerId"]
        else:
            cid = {"READY": secrets.token_hex(32), "FAILED": None, "INSTALLING": None, "UNKNOWN": ABSENT}[state]
        with self.lock:
            self.cancel(("poll", inst_id))
            self.cancel(("install", inst_id))
            if not self.db.has(f"{inst_id}_instance") and not any(
                    i.get("Id") == inst_id for i in self.db.get("instances", [])):
                raise BadRequest(f"no instance {inst_id!r}")
            return {"instance": self.daemon_poll(inst_id, state, cid)}
