"""Stateful fake of the HostUp cloud API (``https://cloud.hostup.se/api/...``), both generations on one host.

Written from ``providers/hostup.md`` only (never from the collection's client code).

* v2 under ``/api/v2``: bare resources, ``{data, hasMore, nextCursor}`` lists with cursor paging,
  ``202 {operation}`` for power actions, RFC 7807 errors with lower_snake ``code`` (fact sheet 5.3).
* v1 under ``/api``: the ``{success, timestamp, requestId, data}`` envelope and
  ``{error, message, code, timestamp, requestId}`` errors with UPPER_SNAKE codes (5.1, 5.2).
  API keys (7.5), ``/api/jobs/{id}`` (the ``pollUrl`` of v2 operations), and the legacy power,
  VM detail, DNS, SSH key and hosting routes that carry fixtures (9.5 - 9.9).

Both generations share one account state (VPS, zones, records, SSH keys, API keys); ids differ per
generation (``vps_...`` vs vmid, ``zone_...`` vs ``domain_id``, ``drr_...`` vs integers).
Authentication is ``Authorization: Bearer <key>`` everywhere; ``X-API-Key`` on v1 only (knob for v2).
The API keys in the v1 key list are the keys that authenticate: creating one makes a working key,
deactivating, rolling or deleting one changes what authenticates.

Where the fact sheet marks something as inferred or unverified, the choice made here is noted next to
the code with "CHOICE:".  Documented routes this fake does not model answer 501 ``not_implemented`` in
the generation's error shape, so a test can never pass by accident against them.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import ipaddress
import itertools
import json
import math
import re
import secrets
import time
import uuid
from dataclasses import dataclass

from .core import BadRequest, Request, Response, Simulator, norm_path

API_KEY = "hu_live_5c1e8a3f9b2d4e6f7a0b1c2d3e4f5a6b"      # "ansible-sim" (key_SIMKEY0001): every scope
API_KEY_ID = "key_SIMKEY0001"
API_KEY_NAME = "ansible-sim"
DNS_API_KEY = "hu_live_d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"  # "acme-dns" (key_SIMKEY0002): read:dns write:dns read:domains
DNS_API_KEY_ID = "key_SIMKEY0002"
CLIENT_ID = "30001"
ERROR_TYPE_BASE = "https://developer.hostup.se/errors/"
JOB_ESTIMATE_SECONDS = 30

SCOPES = (
    ("read:dns", "dns"), ("write:dns", "dns"), ("read:domains", "domains"), ("write:domains", "domains"),
    ("write:cdn", "cdn"), ("read:vm", "vm"), ("write:vm", "vm"), ("power:vm", "vm"), ("write:account", "account"),
    ("read:hosting", "hosting"), ("write:hosting", "hosting"), ("console:services", "hosting"),
    ("read:billing", "billing"), ("write:orders", "billing"),
)
ALL_SCOPES = tuple(scope for scope, _group in SCOPES)
DNS_SCOPES = ("read:dns", "write:dns", "read:domains")

POWER_ACTIONS = ("start", "shutdown", "stop", "restart", "reset")
ACTION_GATE = {"start": "canStart", "shutdown": "canShutdown", "stop": "canStop", "restart": "canRestart",
               "reset": "canReset"}
VPS_GATES = ("canStart", "canShutdown", "canStop", "canRestart", "canReset", "canChangeHostname")
TRANSITIONS = ("starting", "stopping", "provisioning")
# documented network actions besides update_rdns (fact sheet 7.3): accepted words, not modelled
OTHER_NETWORK_ACTIONS = ("assign_ip", "assign_ips", "remove_ip", "get_available_subnets", "change_ip",
                         "create_public_interface", "create_private_interface", "delete_interface",
                         "delete_primary_interface")
RECORD_TYPES = ("A", "AAAA", "CNAME", "ALIAS", "MX", "TXT", "SPF", "SRV", "CAA", "NS", "TLSA")
TARGET_TYPES = ("CNAME", "ALIAS", "MX", "NS", "SRV")  # value is a host name, never an IP
PROXY_TYPES = ("A", "AAAA", "CNAME")
TTL_MIN, TTL_MAX, TTL_DEFAULT = 60, 2147483647, 3600

HTTP_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
               409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented"}
CODE_TITLES = {
    "invalid_request": "Validation failed", "unauthorized": "Unauthorized", "forbidden": "Forbidden",
    "not_found": "Not found", "vps_not_found": "VPS not found", "api_key_not_found": "API key not found",
    "vps_not_ready": "VPS not ready", "rate_limited": "Rate limit exceeded", "method_not_allowed": "Method not allowed",
    "not_implemented": "Not implemented", "internal_error": "Internal server error",
}

HOSTNAME_PATTERN = r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
HOSTNAME_RE = re.compile(HOSTNAME_PATTERN)
TARGET_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9_*]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")
RECORD_NAME_RE = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")
SSH_KEY_RE = re.compile(r"^(?P<type>ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) "
                        r"(?P<blob>[A-Za-z0-9+/]+={0,2})( (?P<comment>.*))?$")
TXT_QUOTED_RE = re.compile(r'^"(?:[^"\\]|\\.)*"( "(?:[^"\\]|\\.)*")*$')
CAA_RE = re.compile(r"^\d{1,3} [a-z0-9]+ .+$", re.I)
TLSA_RE = re.compile(r"^\d \d \d [0-9a-f]+$", re.I)
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case

HOSTING_ACCOUNTS = {
    "hosting_accounts": [{"id": "18001", "name": "example.com", "domain": "example.com", "status": "Active", "type": "1",
                          "product_id": "1901", "billingCycle": "Annually", "currency": "SEK", "custom_name": "Main site",
                          "expires": "2027-01-29", "nextDue": "2027-01-29", "price": 708, "tags": []}],
    "pagination": {"currentPage": 1, "perPage": 1000, "totalAllAccounts": 1, "totalPages": 1, "totalRecords": 1},
}


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment: datetime.datetime | None = None) -> str:
    """ISO-8601 UTC with millisecond precision: ``2026-05-04T10:15:30.000Z``."""
    moment = moment or utcnow()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def opaque_id(prefix: str, tag: str, number: int) -> str:
    """``prefix_`` + 26 lower-case characters, e.g. ``opaque_id("drr", "simrec", 7)`` -> ``drr_01jsimrec00...07``."""
    body = f"01j{tag}"
    return f"{prefix}_{body}{number:0{26 - len(body)}d}"


def request_id_v2() -> str:
    return "req_" + "".join(secrets.choice(ID_ALPHABET) for _index in range(26))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def encode_cursor(offset: int) -> str:
    """``{"offset":100}`` as unpadded base64url: ``eyJvZmZzZXQiOjEwMH0`` (fixture 9.2)."""
    raw = json.dumps({"offset": offset}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    offset = data.get("offset") if isinstance(data, dict) else None
    return offset if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0 else None


def ssh_blob(public_key: str) -> tuple[str, bytes] | None:
    """``(type, decoded blob)`` of an OpenSSH public key line whose blob names the same type, else None."""
    match = SSH_KEY_RE.match(public_key.strip())
    if not match:
        return None
    try:
        blob = base64.b64decode(match.group("blob"), validate=True)
    except (binascii.Error, ValueError):
        return None
    declared = match.group("type").encode("ascii")
    if blob[:4] != len(declared).to_bytes(4, "big") or blob[4:4 + len(declared)] != declared:
        return None
    return match.group("type"), blob


def fingerprint_sha256(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def fingerprint_md5(blob: bytes) -> str:
    digest = hashlib.md5(blob).hexdigest()  # noqa: S324  (the v1 API's own fingerprint format)
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def key_type(kind: str) -> str:
    if kind == "ssh-ed25519" or kind.startswith("sk-ssh-ed25519"):
        return "ed25519"
    if kind == "ssh-rsa":
        return "rsa"
    if kind.startswith("ecdsa-") or kind.startswith("sk-ecdsa"):
        return "ecdsa"
    if kind == "ssh-dss":
        return "dsa"
    return "unknown"


def txt_canonical(value: str) -> str | None:
    """The stored TXT/SPF form: the server quotes an unquoted value, splitting it into 255-character
    chunks ``"<255>" "<rest>"``; an already quoted value is kept.  None means mismatched quotes."""
    if value.startswith('"'):
        return value if TXT_QUOTED_RE.match(value) else None
    if '"' in value:
        return None  # CHOICE: a quote inside an unquoted value counts as "mismatched TXT quotes"
    return " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))


def ipv4_candidates():
    """Addresses handed out in order: three documentation /24s, then 100.64.0.0/10 for very large seeds."""
    prefixes = itertools.chain(("203.0.113", "198.51.100", "192.0.2"),
                               (f"100.{64 + a}.{b}" for a in range(64) for b in range(256)))
    for prefix in prefixes:
        for host in range(10, 251):
            yield f"{prefix}.{host}"


def same_ip(left: str, right: str) -> bool:
    try:
        return ipaddress.ip_address(left) == ipaddress.ip_address(right)
    except ValueError:
        return left == right


class Problem(Exception):
    """An API error; rendered as RFC 7807 on v2 and as the v1 error envelope on v1."""

    def __init__(self, status: int, code: str, detail: str, errors: list | None = None, title: str | None = None,
                 headers: dict | None = None, extensions: dict | None = None, v1_message: str | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.title = title or CODE_TITLES.get(code) or HTTP_TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extensions = extensions
        self.v1_message = v1_message


def invalid(pointer: str, detail: str, code: str = "invalid_value", summary: str | None = None) -> Problem:
    """400 invalid_request with one field error (``pointer`` like ``/value``)."""
    return Problem(400, "invalid_request", summary or detail, errors=[{"pointer": pointer, "detail": detail, "code": code}])


def not_found(what: str, v1_label: str | None = None, code: str = "not_found") -> Problem:
    # v1 404 messages read "<label> not found" ("dns.zone_not_found not found", "SSH key not found not found")
    return Problem(404, code, f"{what} not found.", v1_message=f"{v1_label or what} not found")


@dataclass
class Call:
    """One routed provider request."""

    request: Request
    gen: str            # "v1" | "v2"
    path: str           # normalised path (the RFC 7807 ``instance``)
    route: str          # the route template, e.g. /api/v2/vps/{vps}
    params: dict
    key: dict | None = None

    def body(self) -> dict:
        """The JSON object body; ``{}`` when there is none.

        CHOICE: like an Express JSON parser, a body without a JSON Content-Type is not read at all.
        """
        request = self.request
        if request.json_error is not None:
            raise Problem(400, "invalid_request", "Request body is not valid JSON.", v1_message="Invalid input detected")
        if request.json_body is None:
            return {}
        if not isinstance(request.json_body, dict):
            raise Problem(400, "invalid_request", "Request body must be a JSON object.", v1_message="Invalid input detected")
        return request.json_body


def check_fields(body: dict, allowed: tuple, required: tuple = ()) -> None:
    """Unknown fields are rejected (fact sheet 3, R2); missing required ones too."""
    errors = [{"pointer": f"/{name}", "detail": "Unknown field.", "code": "unknown_field"} for name in body if name not in allowed]
    errors += [{"pointer": f"/{name}", "detail": "This field is required.", "code": "missing_required"}
               for name in required if body.get(name) is None]
    if errors:
        raise Problem(400, "invalid_request", "The request body is invalid.", errors=errors)


def int_field(body: dict, name: str, low: int, high: int, default=None):
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())  # CHOICE: numeric strings are accepted for integer fields
        else:
            raise invalid(f"/{name}", f"{name} must be an integer.", "invalid_type")
    if not low <= value <= high:
        raise invalid(f"/{name}", f"{name} must be between {low} and {high}.", "out_of_range")
    return value


def str_field(body: dict, name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"/{name}", "This field is required.", "missing_required")
        return None
    if not isinstance(value, str):
        raise invalid(f"/{name}", f"{name} must be a string.", "invalid_type")
    return value


def compile_routes(prefix: str, table: list) -> list:
    routes = []
    for template, methods in table:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
        routes.append((re.compile(f"^{re.escape(prefix)}{pattern}$"), prefix + template, methods))
    return routes


# route template -> {method: (handler, scopes)}; a handler None answers 501 (documented, not modelled)
V2_ROUTES = compile_routes("/api/v2", [
    ("/vps", {"GET": ("vps_list", ("read:vm",))}),
    ("/vps/{vps}", {"GET": ("vps_get", ("read:vm",))}),
    ("/vps/{vps}/details", {"GET": ("vps_details", ("read:vm",))}),
    ("/vps/{vps}/status", {"GET": ("vps_status", ("read:vm",))}),
    ("/vps/{vps}/actions/reset-ssh-keys", {"POST": (None, ())}),
    ("/vps/{vps}/actions/{action}", {"POST": ("vps_action", ("power:vm",))}),
    ("/vps/{vps}/hostname", {"PUT": ("vps_hostname", ("write:vm",))}),
    ("/vps/{vps}/network", {"GET": ("network_get", ("read:vm",)), "POST": ("network_post", ("write:vm",))}),
    ("/vps/{vps}/ssh-keys", {"GET": ("vps_ssh_keys", ("read:vm",))}),
    ("/dns-zones", {"GET": ("zones_list", ("read:dns", "read:domains"))}),
    ("/dns-zones/{zone}", {"GET": ("zone_records", ("read:dns",))}),
    ("/dns-zones/{zone}/records", {"GET": ("zone_records", ("read:dns",)), "POST": ("record_create", ("write:dns",))}),
    ("/dns-zones/{zone}/records/{record}", {
        "PUT": ("record_replace", ("write:dns",)),
        "PATCH": ("record_patch", ("write:cdn", "read:dns")),
        "DELETE": ("record_delete", ("write:dns",)),
    }),
    ("/ssh-keys", {"GET": ("sshkeys_list", ("read:vm",)), "POST": ("sshkey_create", ("write:account",))}),
    ("/ssh-keys/{key}", {"PATCH": ("sshkey_rename", ("write:account",)), "DELETE": ("sshkey_delete", ("write:account",))}),
    ("/domains", {"GET": (None, ())}),
    ("/domains/bulk-dns", {"POST": (None, ())}),
    ("/domains/{domain}/dns", {"GET": (None, ())}),
    ("/shared-hosting", {"GET": (None, ())}),
    ("/shared-hosting/{account}/account-details", {"GET": (None, ())}),
])
V1_ROUTES = compile_routes("/api", [
    ("/jobs/{job}", {"GET": ("job_get", ())}),
    ("/keys/scopes", {"GET": ("keys_scopes", ())}),
    ("/keys", {"GET": ("keys_list", ()), "POST": ("keys_create", ()), "DELETE": ("keys_delete", ())}),
    ("/keys/{key}", {"PUT": ("keys_update", ())}),
    ("/keys/{key}/roll", {"POST": ("keys_roll", ())}),
    ("/vm/{vmid}/status", {"POST": ("v1_power", ())}),
    ("/vm/{vmid}/details", {"GET": ("v1_vm_details", ())}),
    ("/vm/{vmid}/rebuild-status", {"GET": (None, ())}),
    ("/vm/{vmid}/hostname", {"POST": (None, ())}),
    ("/vm/{vmid}/reset-ssh-keys", {"POST": (None, ())}),
    ("/vps-accounts/{account}", {"GET": ("v1_vps_account", ())}),
    ("/client-accounts", {"GET": (None, ())}),
    ("/dns/zones", {"GET": ("v1_zones", ())}),
    ("/dns/domain/{domain}", {"GET": ("v1_zone_by_name", ())}),
    ("/dns/zones/{zone}/records", {"GET": ("v1_records", ()), "POST": ("v1_record_create", ())}),
    ("/dns/zones/{zone}/records/{record}", {"PUT": ("v1_record_update", ()), "DELETE": ("v1_record_delete", ())}),
    ("/ssh-keys", {"GET": ("v1_sshkeys", ()), "POST": ("v1_sshkey_add", ()), "DELETE": ("v1_sshkey_delete", ())}),
    ("/hosting-accounts", {"GET": ("v1_hosting", ())}),
])


def generation(path: str) -> str | None:
    if path == "/api/v2" or path.startswith("/api/v2/"):
        return "v2"
    if path == "/api" or path.startswith("/api/"):
        return "v1"
    return None


def match_route(path: str):
    """``(generation, template, methods, params)``; template and methods are None for an unknown route."""
    gen = generation(path)
    for pattern, template, methods in (V2_ROUTES if gen == "v2" else V1_ROUTES if gen == "v1" else ()):
        found = pattern.match(path)
        if found:
            return gen, template, methods, found.groupdict()
    return gen, None, None, {}


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------

class HostupSimulator(Simulator):
    name = "hostup"
    KNOBS = {
        "job_seconds": 0.5,              # power jobs (v1 and v2) finish after this; the VPS is in transition meanwhile
        "provision_seconds": 1.0,        # how long a VPS stays "provisioning" after the provision knob
        "provision": "",                 # action knob: a VPS id or name goes into provisioning now (then reads "")
        "dns_pending_seconds": 1.0,      # a written record reads status "pending" this long, then "active"
        "fail_actions": "",              # CSV of start,shutdown,stop,restart,reset: their jobs fail (state unchanged)
        "state_gates": True,             # gates also follow the power state (start only when stopped, ...)
        "hostname_requires_running": True,  # v1 says "VM must be running to change hostname"; applied to v2 too
        "rdns_protection": "restore",    # hostname change vs custom PTRs: restore | partial_failure
        "rdns_shape": "inline",          # GET network: rdns per IP (inline) or a top-level reverseDns list (list)
        "job_shape": "v1",               # GET /api/jobs/{id}: v1 envelope (documented) or bare job object
        "zone_shape": "developer",       # zone object: developer (zoneStatus) | mirror (status + live-limit fields)
        "zone_record_limit": 200,        # customer-managed records per zone
        "locked_sshkeys": "",            # CSV of SSH key names whose canDelete reads false (pending_order)
        "enforce_scopes": True,          # v2 routes answer 403 when the key lacks a listed scope
        "v2_accepts_x_api_key": False,   # X-API-Key is confirmed on v1 only
        "rate_limit": 0,                 # requests per window over the whole API (0 = no limit)
        "rate_window": 60.0,             # seconds of one rate-limit window
        "v1_retry_after_header": False,  # v1 429s also carry Retry-After (documented: only the body's retryAfter)
    }
    CHOICES = {"rdns_protection": ("restore", "partial_failure"), "rdns_shape": ("inline", "list"),
               "job_shape": ("v1", "bare"), "zone_shape": ("developer", "mirror")}

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.vps: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.zones: dict[str, dict] = {}
        self.sshkeys: dict[str, dict] = {}
        self.api_keys: dict[str, dict] = {}
        self.counters: dict[str, itertools.count] = {}
        self.rate_start: float | None = None
        self.rate_count = 0
        super().__init__(latency=latency, seed_servers=seed_servers, **knobs)

    # -- knobs ------------------------------------------------------------------------------------

    def coerce_knob(self, key: str, value):
        value = super().coerce_knob(key, value)
        if key in self.CHOICES and value not in self.CHOICES[key]:
            raise ValueError(f"knob {key!r} must be one of {', '.join(self.CHOICES[key])}")
        if key == "fail_actions":
            unknown = [name for name in value.split(",") if name.strip() and name.strip() not in POWER_ACTIONS]
            if unknown:
                raise ValueError(f"knob 'fail_actions' accepts {', '.join(POWER_ACTIONS)}; got {', '.join(unknown)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ValueError(f"knob {key!r} must not be negative")
        if key == "rate_window" and value <= 0:
            raise ValueError("knob 'rate_window' must be positive")
        return value

    def configure(self, **settings) -> dict:
        super().configure(**settings)
        with self.lock:
            wanted = self.knobs["provision"]
            self.knobs["provision"] = ""
            if wanted:
                self.provision(wanted)
            if "rate_limit" in settings or "rate_window" in settings:
                self.rate_start, self.rate_count = None, 0
        return self.config()

    def provision(self, wanted: str) -> dict:
        """Put a VPS (id or name) into ``provisioning`` for ``provision_seconds``."""
        with self.lock:
            vps = self.vps.get(wanted) or next((v for v in self.vps.values() if v["name"] == wanted), None)
            if vps is None:
                raise BadRequest(f"knob 'provision': no VPS {wanted!r}")
            vps.update(serviceStatus="pending", powerState="provisioning", booted_at=None)

            def done():
                vps.update(serviceStatus="active", powerState="running", booted_at=self.clock())

            self.schedule(self.knobs["provision_seconds"], done, key=("provision", vps["id"]))
            return vps

    def _fail_set(self) -> set:
        return {name.strip() for name in self.knobs["fail_actions"].split(",") if name.strip()}

    def _locked_keys(self) -> set:
        return {name.strip() for name in self.knobs["locked_sshkeys"].split(",") if name.strip()}

    # -- state --------------------------------------------------------------------------------------

    def _next(self, name: str) -> int:
        return next(self.counters[name])

    def build_state(self) -> None:
        self.vps, self.jobs, self.zones, self.sshkeys, self.api_keys = {}, {}, {}, {}, {}
        self.counters = {"ip": itertools.count(1), "record": itertools.count(1), "v1record": itertools.count(50000010),
                         "sshkey": itertools.count(2), "v1sshkey": itertools.count(7002), "job": itertools.count(1),
                         "apikey": itertools.count(3)}
        self.rate_start, self.rate_count = None, 0
        self.knobs["provision"] = ""
        if self.seed_servers > 0:
            self._seed_many(self.seed_servers)
        else:
            self._seed_fixture()
        self._seed_zones()
        self._seed_sshkeys()
        self._seed_api_keys()

    def _new_vps(self, vps_id: str, number: int, name: str, address: str, power: str, os_info: tuple, billing: dict,
                 resources: tuple, tags: list, pinned: bool, service: str = "active", ipv6: str | None = None,
                 rdns: str | None = None, gates: dict | None = None, usage: tuple = (1.1, 12.4, 1.25, 0.8, 3.2),
                 ip_id: str | None = None) -> dict:
        vmid = 10000 + number
        display, family, version = os_info
        cpu, memory, storage = resources
        ips = [{"id": ip_id or opaque_id("ip", "simip", self._next("ip")), "type": "ipv4", "ip": address, "mask": "24",
                "gateway": address.rsplit(".", 1)[0] + ".1", "rdns": rdns or f"{vmid}.hostup.se"}]
        if ipv6:
            ips.append({"id": opaque_id("ip", "simip", self._next("ip")), "type": "ipv6", "ip": ipv6, "mask": "64",
                        "gateway": "fe80::1", "rdns": f"{vmid}.hostup.se"})
        vps = {
            "id": vps_id, "number": number, "vmid": vmid, "account_id": 20000 + number, "name": name,
            "hostname": f"{name}.example.com", "primaryIp": address, "serviceStatus": service,
            "powerState": "running" if power == "running" else "stopped",
            "operatingSystem": {"displayName": display, "family": family, "version": version, "variant": None},
            "billing": dict(billing), "resources": {"cpuCores": cpu, "memoryGb": memory, "storageGb": storage},
            "tags": list(tags), "pinned": pinned, "productName": f"VPS {cpu}-{memory}",
            "createdAt": "2026-01-10T09:00:00.000Z", "nextDueAt": "2026-06-10T00:00:00.000Z",
            "usage": usage, "gates": dict(gates or {}), "job": None,
            "booted_at": self.clock() - 86400 if power == "running" else None,
            "interfaces": [{"id": "net0", "model": "virtio", "mac": f"52:54:00:aa:{(0xbb + (number >> 8)) & 0xff:02x}:{number & 0xff:02x}",
                            "bridge": "vmbr0", "vlan": None, "firewallEnabled": True, "linkDown": False, "ip": ips}],
        }
        self.vps[vps_id] = vps
        return vps

    def _seed_fixture(self) -> None:
        """web-01 (running) and db-01 (stopped) of fixture 9.2, plus app-01 whose restart/reset are gated."""
        monthly = {"amount": 199, "currencyCode": "SEK", "billingCycle": "monthly", "isPayg": False, "periodYears": None}
        self._new_vps("vps_01jtestvps00000000000000a1", 1, "web-01", "203.0.113.10", "running",
                      ("Ubuntu 24.04", "ubuntu", "24.04"), monthly, (2, 4, 80), ["web"], False,
                      ip_id="ip_01jtestip000000000000000a1")
        self._new_vps("vps_01jtestvps00000000000000a2", 2, "db-01", "203.0.113.11", "stopped",
                      ("Debian 12", "debian", "12"), dict(monthly, amount=0, isPayg=True), (4, 8, 160), [], True,
                      ipv6="2001:db8:0:11::10", usage=(0.0, 40.2, 3.5, 1.5, 0.0))
        # CHOICE: the gate's reason/code are invented (the sheet documents gates, not their reasons)
        self._new_vps("vps_01jtestvps00000000000000a3", 3, "app-01", "203.0.113.12", "running",
                      ("AlmaLinux 9", "almalinux", "9"), dict(monthly, amount=399), (4, 8, 120), ["app", "staging"], False,
                      rdns="app-01.example.com",
                      gates={"canRestart": ("A backup is running; restarts are blocked until it finishes.", "backup_in_progress"),
                             "canReset": ("A backup is running; restarts are blocked until it finishes.", "backup_in_progress")},
                      usage=(2.6, 30.1, 4.0, 2.2, 11.5))

    def _seed_many(self, count: int) -> None:
        """``count`` deterministic VPS ``vps-0001``...: every 7th stopped, every 10th with gated restart/reset,
        every 13th suspended (stopped), every 6th with IPv6; ids ``vps_01jseedvps<16 digits>``."""
        addresses = ipv4_candidates()
        systems = (("Ubuntu 24.04", "ubuntu", "24.04"), ("Debian 12", "debian", "12"), ("AlmaLinux 9", "almalinux", "9"),
                   ("Ubuntu 22.04", "ubuntu", "22.04"))
        plans = ((1, 2, 40, 99), (2, 4, 80, 199), (4, 8, 160, 399))
        for index in range(1, count + 1):
            cpu, memory, storage, price = plans[index % 3]
            suspended = index % 13 == 0
            gated = index % 10 == 0
            billing = {"amount": price, "currencyCode": "SEK", "billingCycle": ("monthly", "quarterly", "annually")[index % 3],
                       "isPayg": index % 4 == 0, "periodYears": None}
            reason = ("A backup is running; restarts are blocked until it finishes.", "backup_in_progress")
            self._new_vps(opaque_id("vps", "seedvps", index), index, f"vps-{index:04d}", next(addresses),
                          "stopped" if index % 7 == 0 or suspended else "running", systems[index % 4], billing,
                          (cpu, memory, storage), [("web", "db", "cache", "worker")[index % 4]] + (["prod"] if index % 2 else []),
                          index % 5 == 0, service="suspended" if suspended else "active",
                          ipv6=f"2001:db8:1:{index:x}::10" if index % 6 == 0 else None,
                          gates={"canRestart": reason, "canReset": reason} if gated else None,
                          usage=(round(memory * 0.3, 1), round(storage * 0.2, 1), 1.0, 0.5, float(index % 40)))

    def _seed_zones(self) -> None:
        created = "2026-01-10T09:00:00.000Z"
        soa = "primary.ns.hostup.se registry.hostup.se 2026050401 3600 1800 604800 600"
        com = self._new_zone("zone_01jtestzone0000000000000a1", "40001", "example.com", linked=True)
        self._add_record(com, "SOA", "", soa, ttl=7200, v1id=50000001, system=True, created=created,
                         record_id="drr_01jtestrec00000000000000s1")
        for suffix, v1id, rtype, name, value, priority in (
            ("a1", 50000002, "A", "", "203.0.113.10", None),
            ("a2", 50000003, "A", "www", "203.0.113.10", None),
            ("a3", 50000004, "MX", "", "mail.example.com", 10),
            ("a4", 50000005, "TXT", "_dmarc", '"v=DMARC1; p=none"', None),
        ):
            self._add_record(com, rtype, name, value, priority=priority, v1id=v1id, created=created,
                             record_id=f"drr_01jtestrec00000000000000{suffix}")
        net = self._new_zone("zone_01jtestzone0000000000000a2", "40002", "example.net", linked=False)
        self._add_record(net, "SOA", "", soa, ttl=7200, v1id=50000006, system=True, created=created,
                         record_id="drr_01jtestrec00000000000000s2")
        self._add_record(net, "A", "", "203.0.113.20", v1id=50000007, created=created,
                         record_id="drr_01jtestrec00000000000000b1")

    def _new_zone(self, zone_id: str, v1id: str, name: str, linked: bool) -> dict:
        zone = {"id": zone_id, "v1id": v1id, "name": name, "zoneStatus": "active", "isDnsOnly": not linked,
                "kind": "linked" if linked else "dns_only", "records": []}
        self.zones[zone_id] = zone
        return zone

    def _add_record(self, zone: dict, rtype: str, name: str, value: str, ttl: int = 3600, priority=None, weight=None,
                    port=None, v1id: int | None = None, system: bool = False, created: str | None = None,
                    record_id: str | None = None, status: str = "active") -> dict:
        record = {"id": record_id or opaque_id("drr", "simrec", self._next("record")),
                  "v1id": v1id or self._next("v1record"), "type": rtype, "name": name, "value": value, "ttl": ttl,
                  "priority": priority, "weight": weight, "port": port, "status": status, "proxied": None,
                  "system": system, "created": created or iso()}
        zone["records"].append(record)
        return record

    def _seed_sshkeys(self) -> None:
        public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyMaterialForTestsOnly000000000000 ops@example.com"
        self._new_sshkey("ssh_01jtestssh00000000000000a1", 7001, "ops-laptop", public_key, "2026-03-01T08:00:00.000Z")

    def _new_sshkey(self, key_id: str, v1id: int, name: str, public_key: str, created: str | None = None) -> dict:
        kind, blob = ssh_blob(public_key)
        key = {"id": key_id, "v1id": v1id, "displayId": name, "name": name, "publicKey": public_key.strip(),
               "fingerprint": fingerprint_sha256(blob), "md5": fingerprint_md5(blob), "keyType": key_type(kind),
               "createdAt": created or iso(), "blob": blob}
        self.sshkeys[key_id] = key
        return key

    def _seed_api_keys(self) -> None:
        self._new_api_key(API_KEY_ID, API_KEY_NAME, API_KEY, list(ALL_SCOPES), "simulator default key",
                          created="2026-01-02T09:00:00.000Z")
        self._new_api_key(DNS_API_KEY_ID, "acme-dns", DNS_API_KEY, list(DNS_SCOPES), "DNS-01 challenges",
                          created="2026-01-03T09:00:00.000Z")

    def _new_api_key(self, key_id: str, name: str, secret: str, scopes: list, description: str | None,
                     created: str | None = None, is_test: bool = False, expires_in_days: int | None = None,
                     allowed_dns_zones: list | None = None, dns_permissions: list | None = None) -> dict:
        now = utcnow()
        row = {"key_id": key_id, "name": name, "description": description, "scopes": list(scopes),
               "dns_permissions": list(dns_permissions or []), "allowed_dns_zones": list(allowed_dns_zones or []),
               "is_active": True, "is_test": is_test, "created_at": created or iso(now),
               "expires_at": iso(now + datetime.timedelta(days=expires_in_days)) if expires_in_days else None,
               "last_used_at": None, "_hash": secret_hash(secret)}
        self.api_keys[key_id] = row
        return row

    # -- snapshot -------------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "vps": [{"id": v["id"], "vmid": v["vmid"], "account_id": v["account_id"], "name": v["name"],
                     "hostname": v["hostname"], "serviceStatus": v["serviceStatus"], "powerState": v["powerState"],
                     "primaryIp": v["primaryIp"], "job": v["job"], "gates": {k: list(g) for k, g in v["gates"].items()},
                     "ips": [{"ip": ip["ip"], "type": ip["type"], "rdns": ip["rdns"]} for ip in self._ips(v)]}
                    for v in self.vps.values()],
            "jobs": [self._job_data(job) for job in self.jobs.values()],
            "zones": [{"id": z["id"], "v1id": z["v1id"], "name": z["name"],
                       "records": [dict(r) for r in z["records"]]}
                      for z in self.zones.values()],
            "sshkeys": [{k: v for k, v in key.items() if k != "blob"} for key in self.sshkeys.values()],
            "api_keys": [self._api_key_view(row) for row in self.api_keys.values()],
            "rate": {"limit": self.knobs["rate_limit"], "used": self.rate_count},
        }

    # -- request handling -----------------------------------------------------------------------------

    def is_mutating(self, request: Request) -> bool:
        return request.method in ("POST", "PUT", "PATCH", "DELETE") and generation(norm_path(request.path)) is not None

    def log_fields(self, request: Request) -> dict:
        gen, template, _methods, params = match_route(norm_path(request.path))
        action = params.get("action")
        if action is None and isinstance(request.json_body, dict) and isinstance(request.json_body.get("action"), str):
            action = request.json_body["action"]  # v1 power and v2 network calls name their action in the body
        return {"api": gen, "route": template, "action": action}

    def handle(self, request: Request) -> Response:
        path = norm_path(request.path)
        gen, template, methods, params = match_route(path)
        call = Call(request, gen or "v1", path, template or path, params)
        try:
            if gen is None:
                raise Problem(404, "not_found", f"Cannot {request.method} {path}.", v1_message="Route not found")
            response = self._rate_limit(call)
            if response is not None:
                return self._with_rate_headers(call, response)
            call.key = self._authenticate(call)
            if methods is None:
                raise Problem(404, "not_found", f"No route {request.method} {path}.", v1_message="Route not found")
            if request.method not in methods:
                allowed = ", ".join(sorted(methods))
                raise Problem(405, "method_not_allowed", f"{request.method} is not allowed on {path}; allowed: {allowed}.",
                              headers={"Allow": allowed}, v1_message=f"Method {request.method} not allowed")
            handler, scopes = methods[request.method]
            if handler is None:
                raise Problem(501, "not_implemented", f"{request.method} {template} is documented but not modelled by the simulator.",
                              v1_message=f"{request.method} {template} is not modelled by the simulator")
            self._check_scopes(call, scopes)
            response = getattr(self, f"_h_{handler}")(call)
        except Problem as problem:
            response = self._error(call, problem)
        return self._with_rate_headers(call, response)

    def _with_rate_headers(self, call: Call, response: Response) -> Response:
        if call.gen == "v2":
            response.headers.update(self._rate_headers())
        return response

    def internal_error(self, request: Request, exc: Exception) -> Response:
        path = norm_path(request.path)
        call = Call(request, generation(path) or "v1", path, path, {})
        return self._error(call, Problem(500, "internal_error", f"Internal error: {exc}", v1_message="Internal server error"))

    # -- envelopes --------------------------------------------------------------------------------------

    @staticmethod
    def _v1(data, status: int = 200) -> Response:
        return Response.from_json({"success": True, "timestamp": iso(), "requestId": str(uuid.uuid4()), "data": data}, status)

    @staticmethod
    def _v2(body, status: int = 200) -> Response:
        return Response.from_json(body, status)

    def _error(self, call: Call, problem: Problem) -> Response:
        if call.gen == "v2":
            body = {"type": ERROR_TYPE_BASE + problem.code, "title": problem.title, "status": problem.status,
                    "detail": problem.detail, "code": problem.code, "instance": call.path, "requestId": request_id_v2(),
                    "timestamp": iso()}
            if problem.errors:
                body["errors"] = problem.errors
            if problem.extensions:
                body["extensions"] = problem.extensions
            headers = {"Content-Type": "application/problem+json"}
            headers.update(problem.headers)
            return Response(problem.status, json.dumps(body).encode("utf-8"), headers)
        title = HTTP_TITLES.get(problem.status, "Error")
        body = {"error": title, "message": problem.v1_message or problem.detail,
                "code": re.sub(r"[^A-Z0-9]+", "_", title.upper()).strip("_"), "timestamp": iso(),
                "requestId": str(uuid.uuid4())}
        if problem.errors:
            body["details"] = [{"field": error["pointer"].lstrip("/").replace("/", ".") or None, "message": error["detail"]}
                               for error in problem.errors]
        return Response.from_json(body, problem.status, problem.headers)

    # -- rate limiting ------------------------------------------------------------------------------------

    def _rate_limit(self, call: Call) -> Response | None:
        """A fixed window over the whole API, checked before authentication; rejected calls do not count."""
        limit = self.knobs["rate_limit"]
        if limit <= 0:
            return None
        now = self.clock()
        window = self.knobs["rate_window"]
        if self.rate_start is None or now >= self.rate_start + window:
            self.rate_start, self.rate_count = now, 0
        if self.rate_count < limit:
            self.rate_count += 1
            return None
        left = self.rate_start + window - now
        retry = max(1, math.ceil(left))
        if call.gen == "v2":
            return self._error(call, Problem(429, "rate_limited", "Rate limit exceeded. Please try again later.",
                                             headers={"Retry-After": str(retry)}))
        headers = {"Retry-After": str(retry)} if self.knobs["v1_retry_after_header"] else {}
        return Response.from_json({"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later.",
                                   "retryAfter": str(retry), "requestId": str(uuid.uuid4())}, 429, headers)

    def _rate_headers(self) -> dict:
        limit = self.knobs["rate_limit"]
        if limit <= 0 or self.rate_start is None:
            return {}
        reset = utcnow() + datetime.timedelta(seconds=max(0.0, self.rate_start + self.knobs["rate_window"] - self.clock()))
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(0, limit - self.rate_count)),
                "X-RateLimit-Reset": iso(reset)}

    # -- auth ----------------------------------------------------------------------------------------------

    def _authenticate(self, call: Call) -> dict:
        request = call.request
        scheme, _sep, value = (request.header("Authorization") or "").strip().partition(" ")
        secret = value.strip() if scheme.lower() == "bearer" else ""
        if not secret and (call.gen == "v1" or self.knobs["v2_accepts_x_api_key"]):
            secret = (request.header("X-API-Key") or "").strip()
        digest = secret_hash(secret) if secret else None
        row = next((r for r in self.api_keys.values() if r["_hash"] == digest), None) if digest else None
        if row is not None and row["expires_at"] and row["expires_at"] <= iso():
            row = None
        if row is None or not row["is_active"]:
            # CHOICE: the v2 detail text; v1 is fixture 9.5's body.  WWW-Authenticate is added on v2.
            raise Problem(401, "unauthorized", "Missing or invalid API key.", v1_message="Authentication required",
                          headers={"WWW-Authenticate": "Bearer"} if call.gen == "v2" else {})
        row["last_used_at"] = iso()
        return row

    def _check_scopes(self, call: Call, scopes: tuple) -> None:
        if not self.knobs["enforce_scopes"] or not scopes:
            return
        missing = [scope for scope in scopes if scope not in call.key["scopes"]]
        if missing:
            # CHOICE: code "forbidden" (catalogue: "not owner / not allowed"); extensions name the scopes
            raise Problem(403, "forbidden", f"The API key lacks the required scope(s): {', '.join(missing)}.",
                          extensions={"requiredScopes": list(scopes), "missingScopes": missing})

    # -- paging -------------------------------------------------------------------------------------------------

    @staticmethod
    def _page(call: Call, items: list, max_limit: int, default_limit: int) -> dict:
        query = call.request.query
        raw = query.get("limit")
        limit = default_limit
        if raw is not None:
            if not isinstance(raw, str) or not raw.strip().isdigit():
                raise invalid("/limit", "limit must be an integer.", "invalid_type")
            limit = int(raw)
            if not 1 <= limit <= max_limit:
                raise invalid("/limit", f"limit must be between 1 and {max_limit}.", "out_of_range")
        offset = 0
        cursor = query.get("cursor")
        if cursor:
            offset = decode_cursor(cursor) if isinstance(cursor, str) else None
            if offset is None:
                raise invalid("/cursor", "cursor is not valid.", "invalid_cursor")
        chunk = items[offset:offset + limit]
        more = offset + limit < len(items)
        return {"data": chunk, "hasMore": more, "nextCursor": encode_cursor(offset + limit) if more else None}

    # -- VPS views ---------------------------------------------------------------------------------------------

    @staticmethod
    def _ips(vps: dict) -> list:
        return [ip for iface in vps["interfaces"] for ip in iface["ip"]]

    def _find_vps(self, call: Call) -> dict:
        vps = self.vps.get(call.params["vps"])
        if vps is None:
            raise Problem(404, "vps_not_found", "No VPS matching the given ID was found.", v1_message="VPS not found")
        return vps

    @staticmethod
    def _vps_item(vps: dict) -> dict:
        return {"id": vps["id"], "name": vps["name"], "primaryIp": vps["primaryIp"], "serviceStatus": vps["serviceStatus"],
                "powerState": vps["powerState"], "operatingSystem": dict(vps["operatingSystem"]),
                "billing": dict(vps["billing"]), "resources": dict(vps["resources"]), "tags": list(vps["tags"]),
                "pinned": vps["pinned"]}

    @staticmethod
    def _busy(vps: dict) -> bool:
        return vps["powerState"] in TRANSITIONS or vps["job"] is not None

    def _gate(self, vps: dict, gate: str) -> dict:
        def denied(reason: str, code: str) -> dict:
            return {"allowed": False, "reason": reason, "code": code}

        if self._busy(vps):
            return denied("VPS not ready.", "vps_not_ready")
        if vps["serviceStatus"] != "active":
            return denied(f"The service is {vps['serviceStatus']}.", "service_not_active")  # CHOICE: wording and code
        if gate in vps["gates"]:
            return denied(*vps["gates"][gate])
        running = vps["powerState"] == "running"
        if self.knobs["state_gates"]:
            # CHOICE: gates follow the power state (the hypervisor refuses starting a running VM and the like)
            if gate == "canStart" and running:
                return denied("The VPS is already running.", "vps_already_running")
            if gate in ("canShutdown", "canStop", "canRestart", "canReset") and not running:
                return denied("The VPS is not running.", "vps_not_running")
        if gate == "canChangeHostname" and self.knobs["hostname_requires_running"] and not running:
            return denied("VM must be running to change hostname", "vps_not_running")
        return {"allowed": True, "reason": None, "code": None}

    def _gates(self, vps: dict) -> dict:
        return {gate: self._gate(vps, gate) for gate in VPS_GATES}

    @staticmethod
    def _refuse(gate: dict) -> Problem:
        """A closed gate as an API error: 409 with the gate's code (CHOICE: status and code)."""
        title = "VPS not ready" if gate["code"] == "vps_not_ready" else "Action not allowed"
        detail = gate["reason"]
        return Problem(409, gate["code"], detail, title=title, v1_message=detail)

    def _uptime(self, vps: dict) -> int | None:
        if vps["powerState"] != "running" or vps["booted_at"] is None:
            return None
        return int(self.clock() - vps["booted_at"])

    def _h_vps_list(self, call: Call) -> Response:
        query = call.request.query
        items = list(self.vps.values())
        name = query.get("name")
        if isinstance(name, str) and name:
            items = [v for v in items if v["name"].lower() == name.lower()]
        primary = query.get("primaryIp")
        if isinstance(primary, str) and primary:
            items = [v for v in items if v["primaryIp"] == primary]
        include = query.get("include")
        includes = set(include.split(",")) if isinstance(include, str) else set(include or [])
        page = self._page(call, items, 100, 20)  # CHOICE: default page size 20 (undocumented)
        data = []
        for vps in page["data"]:
            item = self._vps_item(vps)
            if "pendingMaintenance" in includes:
                item["pendingMaintenance"] = None
                item["pendingMaintenanceHasDeadline"] = False
            data.append(item)
        page["data"] = data
        return self._v2(page)

    def _h_vps_get(self, call: Call) -> Response:
        return self._v2(self._vps_item(self._find_vps(call)))

    def _h_vps_details(self, call: Call) -> Response:
        vps = self._find_vps(call)
        _mem, _disk, inbound, outbound, _cpu = vps["usage"]
        limit = 4096
        billing = {key: vps["billing"][key] for key in ("amount", "currencyCode", "billingCycle", "isPayg")}
        # CHOICE: the keys after bandwidth (name, powerState, operatingSystem, primaryIp, ipAddresses, sshKeys,
        # actions) are not named by the sheet
        return self._v2({
            "id": vps["id"], "productName": vps["productName"], "hostname": vps["hostname"],
            "serviceStatus": vps["serviceStatus"], "createdAt": vps["createdAt"], "nextDueAt": vps["nextDueAt"],
            "billing": billing, "cpuCores": vps["resources"]["cpuCores"], "memoryGb": vps["resources"]["memoryGb"],
            "storageGb": vps["resources"]["storageGb"], "backupsIncluded": False,
            "bandwidth": {"usedGb": round(inbound + outbound, 2), "limitGb": limit, "inboundGb": inbound, "outboundGb": outbound,
                          "usagePercent": round((inbound + outbound) * 100 / limit, 2)},
            "name": vps["name"], "powerState": vps["powerState"], "operatingSystem": dict(vps["operatingSystem"]),
            "primaryIp": vps["primaryIp"],
            "ipAddresses": [{"id": ip["id"], "type": ip["type"], "ip": ip["ip"]} for ip in self._ips(vps)],
            "sshKeys": [{"id": key["id"], "name": key["name"], "fingerprint": key["fingerprint"]} for key in self.sshkeys.values()],
            "actions": self._gates(vps),
        })

    def _h_vps_status(self, call: Call) -> Response:
        vps = self._find_vps(call)
        mem_used, disk_used, inbound, outbound, cpu_usage = vps["usage"]
        running = vps["powerState"] == "running"
        memory, storage = vps["resources"]["memoryGb"], vps["resources"]["storageGb"]
        used_mem = mem_used if running else 0.0
        job = self.jobs.get(vps["job"]) if vps["job"] else None
        # CHOICE: pendingTasks items are {jobId, type, status}; actions (the gates) are added to the fixture's keys
        return self._v2({
            "id": vps["id"], "powerState": vps["powerState"], "uptimeSeconds": self._uptime(vps),
            "cpuUsagePercent": cpu_usage if running else 0.0, "cpuCores": vps["resources"]["cpuCores"],
            "memory": {"usedGb": used_mem, "totalGb": memory, "usagePercent": round(used_mem * 100 / memory, 1)},
            "storage": {"usedGb": disk_used, "totalGb": storage, "usagePercent": round(disk_used * 100 / storage, 1)},
            "network": {"inboundGb": inbound, "outboundGb": outbound, "totalGb": round(inbound + outbound, 2)},
            "pendingTasks": [{"jobId": job["jobId"], "type": job["type"], "status": "in_progress"}] if job else [],
            "actions": self._gates(vps),
        })

    # -- power and jobs ---------------------------------------------------------------------------------------

    def _power(self, vps: dict, action: str, job_id: str) -> dict:
        gate = self._gate(vps, ACTION_GATE[action])
        if not gate["allowed"]:
            raise self._refuse(gate)
        before = vps["powerState"]
        target = "running" if action in ("start", "restart", "reset") else "stopped"
        if action in ("restart", "reset") or (action == "start" and before != "running"):
            vps["powerState"] = "starting"  # CHOICE: a reboot reads "starting" until its job is done
        elif action in ("shutdown", "stop") and before == "running":
            vps["powerState"] = "stopping"
        failing = action in self._fail_set()
        job = {"jobId": job_id, "type": action, "vps": vps["id"], "vmId": str(vps["vmid"]),
               "hostbillAccountId": str(vps["account_id"]), "createdAt": iso(), "finishedAt": None,
               "state": "active", "failed": False}
        self.jobs[job_id] = job
        vps["job"] = job_id

        def finish():
            job.update(state="failed" if failing else "completed", failed=failing, finishedAt=iso())
            vps["job"] = None
            if failing:
                vps["powerState"] = before
                return
            if target == "running" and (before != "running" or action in ("restart", "reset")):
                vps["booted_at"] = self.clock()
            if target == "stopped":
                vps["booted_at"] = None
            vps["powerState"] = target

        self.schedule(self.knobs["job_seconds"], finish, key=("job", job_id))
        return job

    def _h_vps_action(self, call: Call) -> Response:
        vps = self._find_vps(call)
        action = call.params["action"]
        if action not in POWER_ACTIONS:
            raise Problem(404, "not_found", f"Unknown action {action!r}.", v1_message="Route not found")
        body = call.body()
        # restart takes {force?}; the others take no body (fact sheet V5-V9)
        check_fields(body, ("force",) if action == "restart" else ())
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise invalid("/force", "force must be a boolean.", "invalid_type")
        if force:
            action = "reset"  # CHOICE: restart with force escalates to a hard reset (needs the reset gate)
        job = self._power(vps, action, opaque_id("job", "simjob", self._next("job")))
        return self._v2({"operation": {"status": "queued", "jobId": job["jobId"], "pollUrl": f"/api/jobs/{job['jobId']}",
                                       "result": None}}, 202)

    def _job_data(self, job: dict) -> dict:
        state = job["state"]
        done = state != "active"
        status = {"active": "in_progress", "completed": "completed", "failed": "failed"}[state]
        progress = 100 if done else 50
        message = {"in_progress": f"{job['type']} in progress", "completed": "Done", "failed": f"{job['type']} failed"}[status]
        result = None
        if state == "completed":
            result = {"success": True}
        elif state == "failed":
            result = {"success": False, "error": f"{job['type']} failed on the hypervisor"}
        return {"jobId": job["jobId"], "queueType": "vm", "type": job["type"], "state": state, "status": status,
                "progress": progress, "progressTextKey": f"jobs.{job['type']}.{status}",
                "progressDetails": {"percentage": progress, "message": message, "current": 1 if done else 0, "total": 1},
                "progressMessage": message, "result": result, "isCompleted": state == "completed",
                "isFailed": state == "failed", "isRunning": not done, "isWaiting": False, "createdAt": job["createdAt"],
                "finishedAt": job["finishedAt"], "jobName": job["type"], "vmId": job["vmId"],
                "hostbillAccountId": job["hostbillAccountId"], "isScheduled": False, "delay": "0", "statusKey": status}

    def _h_job_get(self, call: Call) -> Response:
        job = self.jobs.get(call.params["job"])
        if job is None:
            raise not_found("Job")
        data = self._job_data(job)
        # CHOICE: v1 envelope by default (documented); "bare" answers the job object itself
        return self._v1(data) if self.knobs["job_shape"] == "v1" else Response.from_json(data)

    # -- hostname and network ---------------------------------------------------------------------------------------

    def _h_vps_hostname(self, call: Call) -> Response:
        vps = self._find_vps(call)
        body = call.body()
        check_fields(body, ("hostname",), ("hostname",))
        raw = str_field(body, "hostname")
        if len(raw) > 253 or not HOSTNAME_RE.match(raw):
            raise invalid("/hostname", "hostname must be a FQDN of labels 1-63 characters (letters, digits, hyphens).")
        gate = self._gate(vps, "canChangeHostname")
        if not gate["allowed"]:
            raise self._refuse(gate)
        hostname = raw.lower()
        vps["hostname"] = hostname
        default = f"{vps['vmid']}.hostup.se"
        custom = []
        for ip in self._ips(vps):
            if ip["rdns"] == default:
                ip["rdns"] = hostname  # the provider default follows the hostname (v1 V16 example)
            else:
                custom.append(ip)
        # CHOICE: the hostname change clobbers custom PTRs and the protection restores them (restore), or fails to
        # (partial_failure: they now read the hostname); PTRs that held the default are not "changes".
        if not custom:
            protection = {"status": "not_changed", "monitoredIpCount": len(self._ips(vps)), "changesDetected": 0, "restoredIps": []}
        elif self.knobs["rdns_protection"] == "restore":
            protection = {"status": "restored", "monitoredIpCount": len(self._ips(vps)), "changesDetected": len(custom),
                          "restoredIps": [ip["ip"] for ip in custom]}
        else:
            for ip in custom:
                ip["rdns"] = hostname
            protection = {"status": "partial_failure", "monitoredIpCount": len(self._ips(vps)), "changesDetected": len(custom),
                          "restoredIps": [], "failedIps": [ip["ip"] for ip in custom]}
        return self._v2({
            "hostname": hostname, "reloadRecommended": True, "accountInactive": vps["serviceStatus"] != "active",
            "accountStatus": vps["serviceStatus"], "cacheCleared": True,
            "actions": {"canChange": {"allowed": True, "reason": None}},
            "validationRules": {"maxLengthChars": 253, "pattern": HOSTNAME_PATTERN, "patternDescription": "FQDN, labels 1-63 chars"},
            "hostnameNormalized": hostname != raw, "serviceRecordSynced": True, "reverseDnsProtection": protection,
        })

    def _h_network_get(self, call: Call) -> Response:
        vps = self._find_vps(call)
        listed = self.knobs["rdns_shape"] == "list"
        interfaces = []
        for iface in vps["interfaces"]:
            entry = {key: value for key, value in iface.items() if key != "ip"}
            entry["ip"] = [{k: v for k, v in ip.items() if not (listed and k == "rdns")} for ip in iface["ip"]]
            interfaces.append(entry)
        body = {"interfaces": interfaces}
        if listed:
            body["reverseDns"] = [{"ip": ip["ip"], "rdns": ip["rdns"]} for ip in self._ips(vps)]
        gate = self._rdns_gate(vps)
        body["actions"] = {"canUpdateRdns": {"allowed": gate["allowed"], "reason": gate["reason"]}}
        return self._v2(body)

    def _rdns_gate(self, vps: dict) -> dict:
        if self._busy(vps):
            return {"allowed": False, "reason": "VPS not ready.", "code": "vps_not_ready"}
        if vps["serviceStatus"] != "active":
            return {"allowed": False, "reason": f"The service is {vps['serviceStatus']}.", "code": "service_not_active"}
        return {"allowed": True, "reason": None, "code": None}

    def _h_network_post(self, call: Call) -> Response:
        vps = self._find_vps(call)
        body = call.body()
        action = body.get("action")
        if action is None:
            raise invalid("/action", "This field is required.", "missing_required")
        if action in OTHER_NETWORK_ACTIONS:
            raise Problem(501, "not_implemented", f"Network action {action!r} is documented but not modelled by the simulator.")
        if action != "update_rdns":
            raise invalid("/action", f"Unknown network action {action!r}.")
        check_fields(body, ("action", "ip", "rdns"), ("ip", "rdns"))
        address = str_field(body, "ip").strip()
        wanted = str_field(body, "rdns").strip()
        ip = next((entry for entry in self._ips(vps) if same_ip(entry["ip"], address)), None)
        if ip is None:
            raise invalid("/ip", "The IP address is not assigned to this VPS.", "not_assigned")  # CHOICE: 400
        hostname = wanted[:-1] if wanted.endswith(".") else wanted
        if not hostname or len(hostname) > 253 or not HOSTNAME_RE.match(hostname):
            raise invalid("/rdns", "rdns must be a host name (FQDN).")
        gate = self._rdns_gate(vps)
        if not gate["allowed"]:
            raise self._refuse(gate)
        hostname = hostname.lower()  # CHOICE: stored lower case without the trailing dot
        updated = ip["rdns"] != hostname
        ip["rdns"] = hostname
        return self._v2({"action": "update_rdns", "ip": ip["ip"], "rdns": hostname, "updated": updated})

    # -- SSH keys (v2) -------------------------------------------------------------------------------------------------

    def _sshkey_view(self, key: dict, vps_scoped: bool = False) -> dict:
        view = {k: key[k] for k in ("id", "displayId", "name", "publicKey", "fingerprint", "keyType", "createdAt")}
        if vps_scoped:
            view["lastUsedAt"] = None
        locked = key["name"] in self._locked_keys()
        view["actions"] = {
            "canRename": {"allowed": True, "reason": None, "code": None},
            "canDelete": ({"allowed": False, "reason": "The key is part of a pending order.", "code": "pending_order"}
                          if locked else {"allowed": True, "reason": None, "code": None}),
        }
        return view

    def _find_sshkey(self, call: Call) -> dict:
        key = self.sshkeys.get(call.params["key"])
        if key is None:
            raise not_found("SSH key")
        return key

    def _h_sshkeys_list(self, call: Call) -> Response:
        page = self._page(call, list(self.sshkeys.values()), 100, 20)  # CHOICE: default page size 20
        page["data"] = [self._sshkey_view(key) for key in page["data"]]
        return self._v2(page)

    def _h_vps_ssh_keys(self, call: Call) -> Response:
        self._find_vps(call)
        return self._v2({"sshKeys": [self._sshkey_view(key, vps_scoped=True) for key in self.sshkeys.values()]})

    def _validate_public_key(self, text: str, pointer: str, exclude: str | None = None) -> tuple:
        parsed = ssh_blob(text)
        if parsed is None:
            raise invalid(pointer, "Not a valid OpenSSH public key.", summary="Invalid SSH public key.",
                          code="invalid_ssh_key")
        if any(key["blob"] == parsed[1] for key in self.sshkeys.values() if key["id"] != exclude):
            # CHOICE: the same key material twice is a 400 duplicate; names may repeat ("unique only by convention")
            raise invalid(pointer, "This public key is already on the account.", code="duplicate")
        return parsed

    @staticmethod
    def _key_name(body: dict, pointer: str = "/name") -> str:
        name = str_field(body, pointer.lstrip("/")).strip()
        if not 1 <= len(name) <= 100:
            raise invalid(pointer, "name must be 1-100 characters.", "out_of_range")  # CHOICE: length limit
        return name

    def _h_sshkey_create(self, call: Call) -> Response:
        body = call.body()
        check_fields(body, ("name", "publicKey"), ("name", "publicKey"))  # CHOICE: body {name, publicKey}
        name = self._key_name(body)
        public_key = " ".join(str_field(body, "publicKey").split())
        self._validate_public_key(public_key, "/publicKey")
        key = self._new_sshkey(opaque_id("ssh", "simssh", self._next("sshkey")), self._next("v1sshkey"), name, public_key)
        return self._v2(self._sshkey_view(key), 201)

    def _h_sshkey_rename(self, call: Call) -> Response:
        key = self._find_sshkey(call)
        body = call.body()
        if "publicKey" in body:
            raise invalid("/publicKey", "Key material cannot be changed; delete the key and add it again.", "immutable")
        check_fields(body, ("name",), ("name",))
        key["name"] = self._key_name(body)  # displayId keeps the name the key was created with
        return self._v2(self._sshkey_view(key))

    def _h_sshkey_delete(self, call: Call) -> Response:
        key = self._find_sshkey(call)
        gate = self._sshkey_view(key)["actions"]["canDelete"]
        if not gate["allowed"]:
            raise Problem(409, gate["code"], gate["reason"], title="Action not allowed")
        del self.sshkeys[key["id"]]
        return Response(204)

    # -- DNS (v2) ---------------------------------------------------------------------------------------------------------

    def _find_zone(self, call: Call) -> dict:
        zone = self.zones.get(call.params["zone"])
        if zone is None:
            raise not_found("DNS zone", "dns.zone_not_found")
        return zone

    def _status_key(self) -> str:
        return "status" if self.knobs["zone_shape"] == "mirror" else "zoneStatus"

    @staticmethod
    def _customer(zone: dict) -> list:
        return [record for record in zone["records"] if not record["system"]]

    @staticmethod
    def _fqdn(zone: dict, name: str) -> str:
        return f"{name}.{zone['name']}" if name else zone["name"]

    def _record_view(self, zone: dict, record: dict) -> dict:
        view = {"id": record["id"], "type": record["type"], "name": self._fqdn(zone, record["name"]), "value": record["value"],
                "ttl": record["ttl"], "priority": record["priority"], "weight": record["weight"], "port": record["port"],
                "status": record["status"]}
        if record["proxied"] is not None:
            view["proxied"] = record["proxied"]
        return view

    def _h_zones_list(self, call: Call) -> Response:
        items = list(self.zones.values())
        name = call.request.query.get("name")
        if isinstance(name, str) and name:
            wanted = name.lower().rstrip(".")  # CHOICE: case-insensitive, trailing dot ignored
            items = [zone for zone in items if zone["name"] == wanted]
        page = self._page(call, items, 1000, 100)  # CHOICE: default page size 100
        page["data"] = [{"id": zone["id"], "name": zone["name"], self._status_key(): zone["zoneStatus"],
                         "isDnsOnly": zone["isDnsOnly"], "kind": zone["kind"], "recordCount": len(self._customer(zone))}
                        for zone in page["data"]]
        return self._v2(page)

    def _name_filter(self, zone: dict, wanted: str) -> str:
        """``@``, a relative label or a FQDN -> the relative name ("" = apex)."""
        text = wanted.strip().lower().rstrip(".")
        if text in ("@", "", zone["name"]):
            return ""
        suffix = "." + zone["name"]
        return text[:-len(suffix)] if text.endswith(suffix) else text

    def _h_zone_records(self, call: Call) -> Response:
        zone = self._find_zone(call)
        records = self._customer(zone)  # CHOICE: SOA is hidden on v2 (v1 shows it)
        query = call.request.query
        rtype = query.get("type")
        if isinstance(rtype, str) and rtype:
            if rtype.upper() not in RECORD_TYPES:
                raise invalid("/type", f"type must be one of {', '.join(RECORD_TYPES)}.")
            records = [r for r in records if r["type"] == rtype.upper()]
        name = query.get("name")
        if isinstance(name, str) and name:
            relative = self._name_filter(zone, name)
            records = [r for r in records if r["name"] == relative]
        head = {"id": zone["id"], "name": zone["name"], self._status_key(): zone["zoneStatus"], "recordCount": len(records)}
        if self.knobs["zone_shape"] == "mirror":
            total = len(self._customer(zone))
            head.update(totalRecordCount=total, liveRecordLimit=self.knobs["zone_record_limit"],
                        exceedsLiveRecordLimit=total > self.knobs["zone_record_limit"])
        return self._v2({"zone": head, "records": [self._record_view(zone, r) for r in records]})

    def _record_input(self, zone: dict, body: dict, current: dict | None = None) -> dict:
        """Validate a create/replace body; the normalised record fields, or a Problem (400)."""
        rtype = str_field(body, "type")
        rtype = rtype.strip().upper()
        if rtype not in RECORD_TYPES:
            raise invalid("/type", f"type must be one of {', '.join(RECORD_TYPES)}.")
        raw_name = str_field(body, "name")
        name = raw_name.strip().lower()
        if name == "@":
            name = ""
        if name.endswith("."):
            raise invalid("/name", "name must be relative to the zone (e.g. www or @), not a FQDN.")
        if name and not RECORD_NAME_RE.match(name):
            raise invalid("/name", "name is not a valid record name.")
        value = str_field(body, "value")
        if not value.strip():
            raise invalid("/value", "value must not be empty.", "missing_required")
        ttl = int_field(body, "ttl", TTL_MIN, TTL_MAX, TTL_DEFAULT)
        priority = int_field(body, "priority", 0, 65535)
        weight = int_field(body, "weight", 0, 65535)
        port = int_field(body, "port", 0, 65535)
        proxied = body.get("proxied")
        if proxied is not None:
            if not isinstance(proxied, bool):
                raise invalid("/proxied", "proxied must be a boolean.", "invalid_type")
            if rtype not in PROXY_TYPES:
                raise invalid("/proxied", "Only A, AAAA and CNAME records can be proxied.")
        value = self._record_value(rtype, value)
        if rtype in ("MX", "SRV") and priority is None:
            raise invalid("/priority", f"priority is required for {rtype} records.", "missing_required")
        if rtype == "SRV":
            for label, number in (("weight", weight), ("port", port)):
                if number is None:
                    raise invalid(f"/{label}", f"{label} is required for SRV records.", "missing_required")
        if rtype not in ("MX", "SRV"):
            priority = None  # CHOICE: priority/weight/port are ignored on types that have none
        if rtype != "SRV":
            weight = port = None
        if rtype == "CNAME" and not name:
            raise invalid("/name", "CNAME records are not allowed at the zone apex; use ALIAS.", "cname_at_apex")
        if rtype == "NS" and not name:
            raise invalid("/name", "Apex NS records are managed by HostUp.", "apex_ns")
        others = [r for r in zone["records"] if r is not current and not r["system"]]
        same_name = [r for r in others if r["name"] == name]
        if rtype == "CNAME" and same_name:
            raise invalid("/name", "A CNAME record cannot coexist with other records of the same name.", "cname_conflict")
        if any(r["type"] == "CNAME" for r in same_name):
            raise invalid("/name", "A CNAME record already exists for this name.", "cname_conflict")
        if rtype == "MX" and any(r["type"] == "MX" and r["priority"] == priority for r in same_name):
            raise invalid("/priority", "Another MX record of this name has the same priority.", "duplicate_priority")
        fields = {"type": rtype, "name": name, "value": value, "ttl": ttl, "priority": priority, "weight": weight,
                  "port": port}
        if any(all(r[k] == v for k, v in fields.items() if k != "ttl") for r in same_name):
            raise Problem(400, "invalid_request", "An identical record already exists in this zone.",
                          errors=[{"pointer": "/value", "detail": "Duplicate record.", "code": "duplicate"}])
        fields["proxied"] = proxied
        return fields

    @staticmethod
    def _record_value(rtype: str, value: str) -> str:
        if rtype in ("TXT", "SPF"):
            quoted = txt_canonical(value)
            if quoted is None:
                raise invalid("/value", "Mismatched TXT quotes.", "mismatched_quotes")
            return quoted
        text = value.strip()
        if rtype == "A":
            try:
                return str(ipaddress.IPv4Address(text))
            except ValueError:
                raise invalid("/value", "value must be an IPv4 address.") from None
        if rtype == "AAAA":
            try:
                return str(ipaddress.IPv6Address(text))
            except ValueError:
                raise invalid("/value", "value must be an IPv6 address.") from None
        if rtype in TARGET_TYPES:
            target = text.lower().rstrip(".")  # CHOICE: targets are stored without the trailing dot
            try:
                ipaddress.ip_address(target)
            except ValueError:
                pass
            else:
                raise invalid("/value", f"{rtype} targets must be host names, not IP addresses.")
            if not TARGET_RE.match(target):
                raise invalid("/value", "value must be a host name.")
            return target
        if rtype == "CAA" and not CAA_RE.match(text):
            raise invalid("/value", 'CAA value must read "<flags> <tag> <value>".')
        if rtype == "TLSA" and not TLSA_RE.match(text):
            raise invalid("/value", 'TLSA value must read "<usage> <selector> <matching type> <hex data>".')
        return text

    def _mark_pending(self, record: dict) -> None:
        record["status"] = "pending"

        def activate():
            record["status"] = "active"

        self.schedule(self.knobs["dns_pending_seconds"], activate, key=("record", record["id"]))

    def _check_limit(self, zone: dict) -> None:
        limit = self.knobs["zone_record_limit"]
        if len(self._customer(zone)) >= limit:
            raise Problem(400, "invalid_request", f"The zone has reached its limit of {limit} customer-managed records.",
                          errors=[{"pointer": "", "detail": "Record limit reached.", "code": "record_limit"}])

    def _create_record(self, call: Call, zone: dict, body: dict) -> tuple[dict, list]:
        fields = self._record_input(zone, body)
        if fields["proxied"] is not None:
            self._check_scopes(call, ("write:dns", "write:cdn"))  # proxied needs write:cdn (fact sheet D5)
        self._check_limit(zone)
        warnings = []
        if fields["type"] in ("A", "AAAA", "MX") and any(
                r["type"] == fields["type"] and r["name"] == fields["name"] for r in self._customer(zone)):
            # CHOICE: warnings[] items are plain strings
            warnings.append(f"Several {fields['type']} records now exist for {self._fqdn(zone, fields['name'])}.")
        record = self._add_record(zone, fields["type"], fields["name"], fields["value"], ttl=fields["ttl"],
                                  priority=fields["priority"], weight=fields["weight"], port=fields["port"])
        record["proxied"] = fields["proxied"]
        self._mark_pending(record)
        return record, warnings

    def _h_record_create(self, call: Call) -> Response:
        zone = self._find_zone(call)
        body = call.body()
        check_fields(body, ("type", "name", "value", "ttl", "priority", "weight", "port", "proxied"), ("type", "name", "value"))
        record, warnings = self._create_record(call, zone, body)
        view = self._record_view(zone, record)
        if warnings:
            view["warnings"] = warnings
        return self._v2(view, 201)

    def _find_record(self, zone: dict, record_id, v1: bool = False) -> dict:
        for record in zone["records"]:
            if (str(record["v1id"]) == str(record_id)) if v1 else (record["id"] == record_id and not record["system"]):
                return record
        raise not_found("DNS record", "dns.record_not_found")

    def _h_record_replace(self, call: Call) -> Response:
        zone = self._find_zone(call)
        record = self._find_record(zone, call.params["record"])
        body = call.body()
        check_fields(body, ("type", "name", "value", "ttl", "priority", "weight", "port", "proxied"), ("type", "name", "value"))
        if "proxied" in body:
            self._check_scopes(call, ("write:dns", "write:cdn"))
        fields = self._record_input(zone, body, current=record)
        if fields["proxied"] is None:
            fields["proxied"] = record["proxied"] if fields["type"] in PROXY_TYPES else None
        record.update(fields)  # CHOICE: a full replace (omitted ttl -> 3600); the answer is the record, 200
        self._mark_pending(record)
        return self._v2(self._record_view(zone, record))

    def _h_record_patch(self, call: Call) -> Response:
        zone = self._find_zone(call)
        record = self._find_record(zone, call.params["record"])
        body = call.body()
        extra = [name for name in body if name != "proxied"]
        if extra:
            raise Problem(400, "invalid_request", "PATCH only toggles proxied; use PUT to change a record.",
                          errors=[{"pointer": f"/{name}", "detail": "Not accepted by PATCH.", "code": "unknown_field"}
                                  for name in extra])
        proxied = body.get("proxied")
        if not isinstance(proxied, bool):
            raise invalid("/proxied", "proxied must be a boolean.", "missing_required" if proxied is None else "invalid_type")
        if record["type"] not in PROXY_TYPES:
            raise invalid("/proxied", "Only A, AAAA and CNAME records can be proxied.")
        record["proxied"] = proxied
        return self._v2(self._record_view(zone, record))

    def _h_record_delete(self, call: Call) -> Response:
        zone = self._find_zone(call)
        record = self._find_record(zone, call.params["record"])
        zone["records"].remove(record)
        self.cancel(("record", record["id"]))
        return Response(204)

    # -- API keys (v1) -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _api_key_view(row: dict) -> dict:
        return {key: (list(value) if isinstance(value, list) else value) for key, value in row.items() if not key.startswith("_")}

    @staticmethod
    def _v1_invalid(field: str, message: str) -> Problem:
        return Problem(400, "invalid_request", message, errors=[{"pointer": f"/{field}", "detail": message}])

    def _key_values(self, body: dict, full_replace: bool) -> dict:
        values = {}
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self._v1_invalid("name", "name is required")
        values["name"] = name.strip()
        scopes = body.get("scopes")
        if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
            raise self._v1_invalid("scopes", "scopes must be a non-empty list of scope ids")
        unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
        if unknown:
            raise self._v1_invalid("scopes", f"Invalid scope: {', '.join(unknown)}")
        values["scopes"] = list(dict.fromkeys(scopes))
        for field in ("allowed_dns_zones", "dns_permissions"):
            value = body.get(field)
            if value is None:
                if full_replace:
                    raise self._v1_invalid(field, f"{field} is required")  # A3: every listed field is required
                value = []
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise self._v1_invalid(field, f"{field} must be a list of strings")
            values[field] = list(value)
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise self._v1_invalid("description", "description must be a string")
        values["description"] = description  # full replace: an omitted description is cleared (CHOICE)
        flag = "is_active" if full_replace else "is_test"
        if not isinstance(body.get(flag), bool):
            raise self._v1_invalid(flag, f"{flag} is required and must be a boolean")
        values[flag] = body[flag]
        return values

    def _h_keys_scopes(self, call: Call) -> Response:
        return self._v1({"scopes": [{"id": scope, "group": group} for scope, group in SCOPES]})

    def _h_keys_list(self, call: Call) -> Response:
        # CHOICE: list shape per the sheet's inferred A6; last_used_at is updated on every authenticated call,
        # so the key a client is using reads "just now"
        return self._v1({"keys": [self._api_key_view(row) for row in self.api_keys.values()]})

    def _issue(self, row: dict, message: str) -> Response:
        secret = "hu_live_" + secrets.token_hex(16)  # CHOICE: the real secret format is unknown
        row["_hash"] = secret_hash(secret)
        return self._v1({"key_id": row["key_id"], "key": secret, "name": row["name"], "description": row["description"],
                         "scopes": list(row["scopes"]), "dns_permissions": list(row["dns_permissions"]),
                         "created_at": row["created_at"], "message": message})

    def _h_keys_create(self, call: Call) -> Response:
        body = call.body()
        allowed = ("name", "scopes", "is_test", "description", "expires_in_days", "allowed_dns_zones", "dns_permissions")
        self._v1_fields(body, allowed)
        values = self._key_values(body, full_replace=False)
        days = body.get("expires_in_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            raise self._v1_invalid("expires_in_days", "expires_in_days must be a positive integer")
        key_id = f"key_SIMKEY{self._next('apikey'):04d}"
        row = self._new_api_key(key_id, values["name"], secrets.token_hex(8), values["scopes"], values["description"],
                                is_test=values["is_test"], expires_in_days=days,
                                allowed_dns_zones=values["allowed_dns_zones"], dns_permissions=values["dns_permissions"])
        return self._issue(row, "API key created")

    @staticmethod
    def _v1_fields(body: dict, allowed: tuple) -> None:
        unknown = [name for name in body if name not in allowed]
        if unknown:
            raise Problem(400, "invalid_request", "Invalid input detected",
                          errors=[{"pointer": f"/{name}", "detail": "Unknown field"} for name in unknown])

    def _find_api_key(self, key_id) -> dict:
        row = self.api_keys.get(key_id) if isinstance(key_id, str) else None
        if row is None:
            raise not_found("API key", code="api_key_not_found")
        return row

    def _h_keys_update(self, call: Call) -> Response:
        row = self._find_api_key(call.params["key"])
        body = call.body()
        self._v1_fields(body, ("name", "scopes", "is_active", "allowed_dns_zones", "dns_permissions", "description"))
        values = self._key_values(body, full_replace=True)
        row.update(values)
        return self._v1({"message": "API key updated"})

    def _h_keys_roll(self, call: Call) -> Response:
        return self._issue(self._find_api_key(call.params["key"]), "API key rolled")

    def _h_keys_delete(self, call: Call) -> Response:
        key_id = call.request.query.get("key_id")
        if not isinstance(key_id, str) or not key_id:
            raise self._v1_invalid("key_id", "key_id query parameter is required")
        row = self._find_api_key(key_id)
        del self.api_keys[row["key_id"]]
        return self._v1({"message": "API key revoked"})

    # -- v1 VPS ----------------------------------------------------------------------------------------------------------------

    def _vps_by_vmid(self, vmid: str) -> dict:
        vps = next((v for v in self.vps.values() if str(v["vmid"]) == vmid), None)
        if vps is None:
            raise not_found("VM")
        return vps

    def _h_v1_power(self, call: Call) -> Response:
        vps = self._vps_by_vmid(call.params["vmid"])
        body = call.body()
        self._v1_fields(body, ("action", "force"))
        action = body.get("action")
        if action not in ("start", "stop", "shutdown", "restart"):
            raise self._v1_invalid("action", "action must be one of start, stop, shutdown, restart")
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise self._v1_invalid("force", "force must be a boolean")
        effective = "reset" if action == "restart" and force else action  # CHOICE: as on v2
        stamp = int(time.time() * 1000)
        job = self._power(vps, effective, f"{action}-{vps['vmid']}-{stamp}")
        job["type"] = action
        return self._v1({"success": True, "action": action, "jobId": job["jobId"], "message": f"{action} operation queued",
                         "estimated_time": JOB_ESTIMATE_SECONDS})

    @staticmethod
    def _v1_status(vps: dict) -> str:
        if vps["serviceStatus"] != "active":
            return vps["serviceStatus"].capitalize()
        return "Active" if vps["powerState"] == "running" else "Stopped"  # CHOICE: the docs' example words

    def _h_v1_vm_details(self, call: Call) -> Response:
        vps = self._vps_by_vmid(call.params["vmid"])
        _mem, _disk, inbound, outbound, _cpu = vps["usage"]
        price = vps["billing"]["amount"]
        return self._v1({
            "id": str(vps["account_id"]), "product_id": "301", "product_name": vps["productName"], "hostname": vps["hostname"],
            "status": self._v1_status(vps), "created": vps["createdAt"][:10], "order_id": str(60000 + vps["number"]),
            "billingcycle": vps["billing"]["billingCycle"].capitalize(), "price": price, "total": price, "firstpayment": price,
            "next_due": vps["nextDueAt"][:10], "cpu": vps["resources"]["cpuCores"], "ram": vps["resources"]["memoryGb"],
            "disk": vps["resources"]["storageGb"], "bandwidth_limit": 4096,
            "bandwidth_usage": {"data_received": inbound, "data_sent": outbound}, "usage_log": {},
        })

    def _h_v1_vps_account(self, call: Call) -> Response:
        vps = next((v for v in self.vps.values() if str(v["account_id"]) == call.params["account"]), None)
        if vps is None:
            raise not_found("VPS account")
        _mem, _disk, inbound, outbound, _cpu = vps["usage"]
        price = vps["billing"]["amount"]
        cycle = vps["billing"]["billingCycle"].capitalize()
        return self._v1({"vps_account": {
            "id": str(vps["account_id"]), "name": vps["name"], "ip": vps["primaryIp"], "status": "Active"
            if vps["serviceStatus"] == "active" else vps["serviceStatus"].capitalize(), "vmStatus": vps["powerState"],
            "bandwidth": {"used": round(inbound + outbound, 2), "limit": 4096, "inbound": inbound, "outbound": outbound},
            "proxmoxVmId": str(vps["vmid"]), "os": vps["operatingSystem"]["displayName"],
            "resources": {"cpu": vps["resources"]["cpuCores"], "ram": vps["resources"]["memoryGb"],
                          "storage": vps["resources"]["storageGb"]},
            "price": price, "billingCycle": cycle, "currency": "SEK", "created": vps["createdAt"][:10],
            "pricing": {"currency": "SEK", "billingCycle": {"id": cycle[:1].lower(), "months": 1, "raw": cycle, "isFree": False},
                        "pricePerCycle": price, "baseMonthlyCost": price, "baseAnnualCost": price * 12, "addonsMonthlyCost": 0,
                        "addonsAnnualCost": 0, "totalMonthlyCost": price, "totalAnnualCost": price * 12, "addons": []},
            "tags": list(vps["tags"]),
        }})

    # -- v1 DNS ------------------------------------------------------------------------------------------------------------

    def _v1_zone(self, zone_id: str) -> dict:
        zone = next((z for z in self.zones.values() if z["v1id"] == zone_id), None)
        if zone is None:
            raise not_found("DNS zone", "dns.zone_not_found")
        return zone

    def _v1_record_view(self, zone: dict, record: dict) -> dict:
        view = {"id": record["v1id"], "type": record["type"], "name": self._fqdn(zone, record["name"]), "value": record["value"],
                "ttl": record["ttl"], "status": record["status"]}
        if record["type"] in ("MX", "SRV"):
            view["priority"] = record["priority"]  # CHOICE: v1 items carry priority/weight/port only where they apply
        if record["type"] == "SRV":
            view.update(weight=record["weight"], port=record["port"])
        return view

    def _h_v1_zones(self, call: Call) -> Response:
        return self._v1({"zones": [{"server_id": "20", "account_id": CLIENT_ID, "domain_id": zone["v1id"], "domain": zone["name"],
                                    "displayName": zone["name"]} for zone in self.zones.values()]})

    def _h_v1_zone_by_name(self, call: Call) -> Response:
        wanted = call.params["domain"].lower().rstrip(".")
        zone = next((z for z in self.zones.values() if z["name"] == wanted), None)
        if zone is None:
            raise not_found("DNS zone", "dns.zone_not_found")
        # CHOICE: data.zone{id, domain_id, domain} (the sheet: S8 reads id / domain_id / zoneId and domain)
        return self._v1({"zone": {"id": zone["v1id"], "domain_id": zone["v1id"], "domain": zone["name"]}})

    def _h_v1_records(self, call: Call) -> Response:
        zone = self._v1_zone(call.params["zone"])
        records = [{**self._v1_record_view(zone, r), "created": r["created"]} for r in zone["records"]]
        return self._v1({"zone": {"id": zone["v1id"], "domain": zone["name"], "records": records}})

    def _v1_record_body(self, call: Call, update: bool) -> dict:
        body = call.body()
        allowed = ("type", "name", "value", "ttl", "priority", "weight", "port")
        echo = ("id", "created", "status", "proxy_rule") if update else ()
        self._v1_fields(body, allowed + echo)
        return {key: value for key, value in body.items() if key in allowed}

    def _h_v1_record_create(self, call: Call) -> Response:
        zone = self._v1_zone(call.params["zone"])
        body = self._v1_record_body(call, update=False)
        for name in ("type", "name", "value"):
            if body.get(name) is None:
                raise self._v1_invalid(name, f"{name} is required")
        record, _warnings = self._create_record(call, zone, body)
        return self._v1({"record": self._v1_record_view(zone, record)})

    def _h_v1_record_update(self, call: Call) -> Response:
        zone = self._v1_zone(call.params["zone"])
        record = self._find_record(zone, call.params["record"], v1=True)
        if record["system"]:
            raise self._v1_invalid("type", "SOA records cannot be changed")
        body = self._v1_record_body(call, update=True)
        merged = {"type": record["type"], "name": record["name"] or "@", "value": record["value"]}
        merged.update(body)  # CHOICE: v1 PUT keeps fields it is not sent (v2 PUT is a full replace)
        if "ttl" not in body:
            merged["ttl"] = record["ttl"]
        fields = self._record_input(zone, merged, current=record)
        fields["proxied"] = record["proxied"]
        record.update(fields)
        self._mark_pending(record)
        return self._v1({"record": self._v1_record_view(zone, record)})

    def _h_v1_record_delete(self, call: Call) -> Response:
        zone = self._v1_zone(call.params["zone"])
        record = self._find_record(zone, call.params["record"], v1=True)
        if record["system"]:
            raise self._v1_invalid("id", "SOA records cannot be deleted")
        zone["records"].remove(record)
        self.cancel(("record", record["id"]))
        return self._v1({"message": "DNS record deleted"})

    # -- v1 SSH keys -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _v1_sshkey_view(key: dict) -> dict:
        return {"id": key["v1id"], "client_id": CLIENT_ID, "name": key["name"], "key": key["publicKey"], "fingerprint": key["md5"]}

    def _h_v1_sshkeys(self, call: Call) -> Response:
        return self._v1({"ssh_keys": [self._v1_sshkey_view(key) for key in self.sshkeys.values()]})

    def _h_v1_sshkey_add(self, call: Call) -> Response:
        body = call.body()
        self._v1_fields(body, ("name", "public_key"))
        name, public_key = body.get("name"), body.get("public_key")
        if not isinstance(name, str) or not name.strip() or not isinstance(public_key, str):
            raise Problem(400, "invalid_request", "Failed to add SSH key")
        public_key = " ".join(public_key.split())
        try:
            self._validate_public_key(public_key, "/public_key")
        except Problem:
            raise Problem(400, "invalid_request", "Failed to add SSH key") from None
        key = self._new_sshkey(opaque_id("ssh", "simssh", self._next("sshkey")), self._next("v1sshkey"), name.strip(), public_key)
        return self._v1({"ssh_key": {"success": True, "ssh_key": self._v1_sshkey_view(key), "call": "addClientSsh",
                                     "server_time": int(time.time()), "info": ["SSH Key added successfully"]}})

    def _h_v1_sshkey_delete(self, call: Call) -> Response:
        # CHOICE: the id may come as ?id= or as a JSON body {"id": ...} (transport undocumented)
        wanted = call.request.query.get("id")
        if wanted is None:
            wanted = call.body().get("id")
        if wanted is None or isinstance(wanted, (list, dict, bool)) or str(wanted).strip() == "":
            raise self._v1_invalid("id", "SSH key id is required")
        key = next((k for k in self.sshkeys.values() if str(k["v1id"]) == str(wanted).strip()), None)
        if key is None:
            raise not_found("SSH key", "SSH key not found")
        if key["name"] in self._locked_keys():
            raise Problem(409, "pending_order", "The key is part of a pending order.")
        del self.sshkeys[key["id"]]
        return self._v1({"success": True, "message": "SSH key deleted successfully"})

    def _h_v1_hosting(self, call: Call) -> Response:
        return self._v1(json.loads(json.dumps(HOSTING_ACCOUNTS)))
