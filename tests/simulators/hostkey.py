"""Stateful fake of HOSTKEY's invapi (``https://invapi.hostkey.com/<module>.php``).

Written from ``providers/hostkey.md`` only (never from the collection's client code).
Every call is ``POST /<module>.php`` with a form body: ``action`` selects the call and
``token`` carries the session.  Fields follow PHP conventions: flat ``id=...``, nested
``params[name]=...`` and repeated ``params[content][]=...`` / ``ips[]=...``; each module
reads the encoding the fact sheet (section 1.1) calls correct, so a wrongly encoded call
fails with a ``result: -1`` error naming the parameter it did not find.  The fake speaks
the corrected form of the seed's typos (fact sheet section 8).  Where the fact sheet marks
something as unverified, the choice made here is noted next to the code with "CHOICE:".

Business errors come back with HTTP 200 in the envelopes of fact sheet section 3; an
unknown ``/<module>.php`` is an HTTP 404 page.  Asynchronous calls answer with a
``callback`` key that ``eq_callback.php action=check`` reports as ``Not ready`` until the
(simulated) work is done, then returns the final body once and forgets the key.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import ipaddress
import itertools
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .core import Request, Response, Simulator

API_KEY = "3fa1c0de5b7e9a24-6d8f0b1c2e3a4f59"         # account-wide key, api_keys row 801 "ansible-ci"
SERVER_API_KEY = "9be0a7c3d5f18e62-b4c6d8e0f2a41357"  # per-server key of 40001, api_keys row 802 "web01-panel"
PIN = "4321"
EMAIL = "ops@example.com"
CUSTOMER_ID = 9001
WHMCS_ID = 1201
ACCOUNT_ID = 7001
FIRST_SERVER_ID = 40001
FIRST_INVOICE = 70123

INVALID_TOKEN = {"result": -2, "error": "auth: invalid token #13"}
NO_SERVERS = {"result": -1, "error": "No appropriate servers found", "code": "NO_APPROPRIATE_SERVERS"}
NOT_YOURS = "permission denied #3, this is not your server"
ASYNC_KEY_NOT_FOUND = "AsyncKey not found"
NOT_FOUND_PAGE = ("<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1>"
                  "</center><hr><center>nginx</center></body></html>\n")

LOCATIONS = {"NL": 1, "US": 2, "FI": 3, "DE": 4, "IS": 5, "TR": 6, "UK": 7}
VLANS = {"NL": 415, "FI": 520, "DE": 610, "US": 710}
DEPLOY_PERIODS = {"monthly": ("Monthly", 30), "quarterly": ("Quarterly", 91), "semi-annually": ("Semi-Annually", 182),
                  "annually": ("Annually", 365), "hourly": ("Hourly", 1)}
FAILABLE = ("on", "off", "reboot", "hard_off", "status", "deploy", "reinstall", "cancel")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "CAA", "PTR")
ARRAY_TYPES = ("A", "AAAA", "NS", "MX")  # content is sent as params[content][] (fact sheet 5.5)
SYSTEM_TAGS = ("hostname", "OS", "Password", "user_name", "order_origin", "webpanel")

PERMISSIONS = [
    "api_keys/add", "api_keys/delete", "api_keys/edit", "api_keys/history", "api_keys/list",
    "api_keys/list_for_server", "api_keys/view",
    "eq/check_pin", "eq/hard_off", "eq/list", "eq/off", "eq/on", "eq/order_instance", "eq/reboot",
    "eq/rename_server", "eq/set_pin", "eq/show", "eq/status", "eq/update_servers",
    "ip/get_ip", "ip/get_ptr", "ip/update_ptr", "pdns/edit", "pdns/view",
    "ssh_keys/add", "ssh_keys/delete", "ssh_keys/list",
    "tag/add", "tag/list", "tag/remove", "tag/user_search",
    "whmcs/delete_cancellation_request", "whmcs/get_billing_data", "whmcs/get_cancellation_requests",
    "whmcs/request_cancellation",
]

HOSTNAME_RE = re.compile(r"^(?=.{1,253}\.?$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$", re.I)
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$", re.I)
SSH_KEY_RE = re.compile(r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]{16,}={0,3}( .*)?$")
TAG_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")

# module -> {action: (needs a token, mutating)}
MODULES = {
    "auth": {"login": (False, False), "info": (True, False), "logout": (True, False)},
    "eq": {"list": (True, False), "show": (True, False), "update_servers": (True, False), "status": (True, False),
           "on": (True, True), "off": (True, True), "reboot": (True, True), "hard_off": (True, True),
           "order_instance": (True, True), "rename_server": (True, True), "set_pin": (True, True),
           "check_pin": (True, False)},
    "eq_callback": {"check": (False, False)},
    "ip": {"get_ptr": (True, False), "update_ptr": (True, True), "get_ip": (True, False)},
    "pdns": {"list_domains": (True, False), "add_domain": (True, True), "delete_domain": (True, True),
             "list_zones": (True, False), "view_zone": (True, False), "add_dns": (True, True), "delete_dns": (True, True)},
    "tags": {"list": (True, False), "add": (True, True), "remove": (True, True), "user_search": (True, False),
             "search_user": (True, False)},
    "ssh_keys": {"list": (True, False), "add": (True, True), "delete": (True, True)},
    "api_keys": {"list": (True, False), "list_for_server": (True, False), "view": (True, False), "add": (True, True),
                 "edit": (True, True), "delete": (True, True), "history": (True, False)},
    "whmcs": {"request_cancellation": (True, True), "get_cancellation_requests": (True, False),
              "delete_cancellation_request": (True, True), "get_billing_data": (True, False)},
    "presets": {"list": (False, False)},
    "os": {"list": (False, False)},
    "software": {"list": (False, False)},
    "traffic_plans": {"list": (False, False)},
}
# modules whose unknown actions are answered without looking at the token
TOKENLESS_MODULES = ("auth", "eq_callback", "presets", "os", "software", "traffic_plans")
# CHOICE: tags and ip answer business errors in the newer shape #7 ({"code":-1,"message":...}), as their
# [newdocs] pages and "tag/add: invalid token data, too long" show; tags use the "tag/" prefix.
NEW_STYLE_ERRORS = {"tags": "tag", "ip": "ip"}


# ---------------------------------------------------------------------------
# Catalog (presets, OS, software, traffic plans)
# ---------------------------------------------------------------------------

def _preset(preset_id, name, cpu, ram, hdd, price, locations="NL,FI,DE,US", virtual=1, available=184, active=1,
            description=None):
    description = description or f"VM instance {cpu}/{ram}/{hdd} SSD"
    return {
        "id": preset_id, "name": name, "active": active, "monthly_com": price, "description": description,
        "cpu": cpu, "ram": ram, "hdd": str(hdd), "gpu": "", "locations": locations, "virtual": virtual,
        "price": {loc: {"USD": -1, "EUR": price} for loc in locations.split(",")},
        "available": available,
        "server_type": "Virtual Private Server" if virtual else "Dedicated server",
        "tags": [{"id": 312000 + preset_id, "component": "presets", "component_id": preset_id, "tag": "stock",
                  "value": str(available), "extra": "", "internal": 0}],
    }


PRESETS = [
    _preset(108, "vm.pico", 1, 1, 15, 3),
    _preset(110, "vm.v2-nano", 1, 2, 30, 5),
    _preset(112, "vm.v2-small", 2, 4, 40, 8),
    _preset(114, "vm.v2-medium", 4, 8, 80, 16),
    _preset(116, "vm.v2-large", 8, 16, 160, 32, locations="NL,FI,DE"),
    _preset(118, "vm.v2-xlarge", 16, 32, 320, 64, available=0, active=0),
    _preset(130, "bm.e3-1230", 4, 32, 960, 59, locations="NL,FI", virtual=0, available=3,
            description="Xeon E3-1230v6 3.5GHz/32Gb/2x480Gb SSD"),
]


def _os(os_id, name, family, active=1, vm=True, bm=True, min_ram=1, min_hdd=10, price=None):
    tags = [("family", family, "50")]
    if vm:
        tags.append(("vm", "true", ""))
    if bm:
        tags.append(("bm", "true", ""))
    tags += [("min_ram", str(min_ram), ""), ("min_hdd", str(min_hdd), "")]
    entry = {
        "id": os_id, "name": name, "api_enabled": 1, "type_login": 1, "pxe_os_id": None, "active": active,
        "description": "",
        "tags": [{"id": 78000 + os_id * 10 + index, "tag": tag, "value": value, "extra": extra, "component_id": os_id,
                  "component": "OS", "internal": 0} for index, (tag, value, extra) in enumerate(tags)],
    }
    if price is not None:
        entry["price_EUR"] = price
    return entry


OS_LIST = [
    _os(175, "CentOS 7", "CentOS", active=0),
    _os(180, "Debian 11", "Debian"),
    _os(181, "Debian 12", "Debian"),
    _os(183, "RockyLinux 8", "RockyLinux"),
    _os(187, "Ubuntu 22.04", "Ubuntu"),
    _os(191, "Ubuntu 24.04", "Ubuntu"),
    _os(201, "Windows Server 2022", "Windows", min_ram=4, min_hdd=40, price=25),
]


def _software(soft_id, name, description, os_ids, price=0):
    return {
        "id": soft_id, "name": name, "description": description, "price": price, "active": 1, "icon": "",
        "task": f"invapi_external_{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}_install.dsl",
        "tags": [{"id": 325000 + soft_id * 10 + index, "tag": tag, "value": value, "extra": "", "component_id": soft_id,
                  "component": "software", "internal": 1}
                 for index, (tag, value) in enumerate((("vm", "1"), ("bm", "1"), ("os", ",".join(map(str, os_ids)))))],
    }


SOFTWARE = [
    _software(20, "WordPress", "WordPress CMS on a LEMP stack.", (180, 181, 187, 191)),
    _software(26, "3X-UI + Shadowsocks/Xray/V2ray VPN server", "Graphical management of a private VPN server.",
              (181, 187, 191)),
    _software(49, "Odoo", "Odoo ERP.", (181,)),
]


def _plan(plan_id, name, limit_out, bandwidth, price, vm=True, locations="NL,US,FI,DE,IS,TR,UK,", main_plan=0):
    return {
        "id": plan_id, "name": name, "limit_in": 999, "limit_out": limit_out, "rate_in": 0, "rate_out": 2,
        "bandwidth": bandwidth, "locations": locations, "currency_id": 0, "active": 1, "web_plan": 0, "price": price,
        "main_plan": main_plan,
        "tags": [{"id": 11400 + plan_id, "component": "traffic_plans", "component_id": plan_id,
                  "tag": "vm" if vm else "bm", "value": "true", "extra": "", "internal": 1}],
    }


TRAFFIC_PLANS = [
    _plan(25, "3Tb traffic (1Gbps) VM", 3, 1000, 0, main_plan=37),
    _plan(52, "10Tb traffic (1Gbps) VM", 10, 1000, 10),
    _plan(41, "Unmetered 1Gbps BM", 999, 1000, 30, vm=False, locations="NL,FI,"),
]


def os_tag(entry: dict, name: str) -> str | None:
    return next((tag["value"] for tag in entry["tags"] if tag["tag"] == name), None)


# ---------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------

_PHP_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])+)")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def php_fields(pairs) -> dict:
    """Form pairs decoded the way PHP fills ``$_POST``.

    ``a=1`` -> ``{"a": "1"}`` (a repeated flat name: the last value wins),
    ``p[name]=x`` -> ``{"p": {"name": "x"}}``, ``p[c][]=1&p[c][]=2`` -> ``{"p": {"c": ["1", "2"]}}``.
    """
    root: dict = {}
    for key, value in pairs:
        match = _PHP_KEY.fullmatch(key)
        if not match:
            root[key] = value
            continue
        parts = [match.group(1)] + _BRACKETS.findall(match.group(2))
        node = root
        for index, part in enumerate(parts):
            if index and part == "":
                part = max((k for k in node if isinstance(k, int)), default=-1) + 1
            elif index and part.isdigit():
                part = int(part)
            if index == len(parts) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return {key: _listify(value) for key, value in root.items()}


def _listify(value):
    """PHP arrays with keys 0..n-1 become lists."""
    if isinstance(value, dict):
        value = {key: _listify(child) for key, child in value.items()}
        if value and list(value) == list(range(len(value))):
            return list(value.values())
    return value


def request_fields(request: Request) -> dict:
    """Query string and form body merged like PHP's ``$_REQUEST`` (the body wins); JSON bodies are not read."""
    pairs = []
    for key, value in request.query.items():
        pairs.extend((key, item) for item in (value if isinstance(value, list) else [value]))
    if request.body and request.content_type in ("application/x-www-form-urlencoded", ""):
        pairs.extend(parse_qsl(request.text, keep_blank_values=True))
    return php_fields(pairs)


def module_of(path: str) -> str | None:
    match = re.fullmatch(r"/+([a-z_]+)\.php/*", path)
    return match.group(1) if match else None


class ApiError(Exception):
    """Answer ``body`` (HTTP 200) instead of the handler's result."""

    def __init__(self, body: dict):
        super().__init__(str(body))
        self.body = body


@dataclass
class Session:
    token: str
    key_id: int
    servers: list
    scope_server: int | None
    expire: float
    fix_ip: bool
    client: str


@dataclass
class Call:
    """One decoded invapi call with typed, error-raising field access."""

    module: str
    action: str
    fields: dict
    client: str
    session: Session | None = None

    @property
    def name(self) -> str:
        return f"{NEW_STYLE_ERRORS.get(self.module, self.module)}/{self.action}"

    def error(self, text: str, code: str | None = None) -> ApiError:
        message = f"{self.name}: {text}"
        if self.module in NEW_STYLE_ERRORS:
            return ApiError({"code": -1, "message": message})
        body = {"result": -1, "error": message}
        if code:
            body["code"] = code
        return ApiError(body)

    def _scalar(self, value, label: str, required: bool) -> str | None:
        if isinstance(value, (dict, list)):
            raise self.error(f"invalid value for parameter '{label}'")
        if value is None or (required and not value.strip()):
            if required:
                raise self.error(f"missing required parameter '{label}'")
            return None
        return value

    def flat(self, name: str, required: bool = False) -> str | None:
        return self._scalar(self.fields.get(name), name, required)

    def param(self, name: str, required: bool = False) -> str | None:
        return self._scalar(self.param_raw(name), f"params[{name}]", required)

    def param_raw(self, name: str):
        params = self.fields.get("params")
        return params.get(name) if isinstance(params, dict) else None

    def to_int(self, value: str, label: str) -> int:
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            raise self.error(f"invalid value for parameter '{label}': {value}")
        return int(value)

    def flat_int(self, name: str, required: bool = False, default: int | None = None) -> int | None:
        value = self.flat(name, required)
        return default if value is None or not value.strip() else self.to_int(value, name)

    def param_int(self, name: str, required: bool = False, default: int | None = None) -> int | None:
        value = self.param(name, required)
        return default if value is None or not value.strip() else self.to_int(value, f"params[{name}]")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def ipv4_candidates():
    """Addresses handed out in order: three documentation /24s, then 100.64.0.0/10 for very large seeds."""
    prefixes = itertools.chain(("203.0.113", "198.51.100", "192.0.2"),
                               (f"100.{64 + a}.{b}" for a in range(64) for b in range(256)))
    for prefix in prefixes:
        for host in range(10, 251):
            yield f"{prefix}.{host}"


def mac_for(server_id: int) -> str:
    number = server_id - FIRST_SERVER_ID + 1
    return f"52:54:00:aa:{(0xbb + (number >> 8)) & 0xff:02x}:{number & 0xff:02x}"


def root_pass_problem(password: str) -> str | None:
    """CHOICE: fact sheet 5.1 rules ([tf]/[reseller] strictness): 8-30 chars, upper+lower+digit+special, no @/#."""
    if not 8 <= len(password) <= 30:
        return "root_pass must be 8 to 30 characters long"
    if re.search(r"[@#\s'\"\\]", password):
        return "root_pass must not contain @, #, quotes, backslashes or spaces"
    if not (re.search(r"[a-z]", password) and re.search(r"[A-Z]", password) and re.search(r"\d", password)
            and re.search(r"[^A-Za-z0-9]", password)):
        return "root_pass must contain upper and lower case letters, a digit and a special character"
    return None


def seeded_password(server_id: int) -> str:
    return "Rk" + hashlib.sha256(f"hostkey-sim/{server_id}".encode()).hexdigest()[:8] + "_7q"


def normalise_ip_list(text: str) -> str:
    """``"10.0.0.2, 10.4.6.3/24"`` -> ``"10.0.0.2 10.4.6.3/24"`` (fact sheet 5.8: ip comes back space-separated)."""
    return " ".join(part for part in re.split(r"[\s,;]+", text or "") if part)


def ip_allowed(client: str, allow_list: str) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    for item in allow_list.split():
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------

class HostkeySimulator(Simulator):
    name = "hostkey"
    KNOBS = {
        "pin": PIN,                          # the account PIN (setting it also clears the wrong-PIN counter)
        "pin_required": True,                # on/off/reboot/hard_off/order_instance need the PIN
        "token_ttl": 7200,                   # auth/login lifetime when the client sends no ttl (fact sheet 2.1)
        "relogin_extends": True,             # a re-login that reuses the token also moves token_expire to now+ttl
        "expire_tokens": False,              # action knob: setting it true expires every session now
        "power_seconds": 0.5,                # on/off/reboot/hard_off: state and callback settle after this
        "status_seconds": 0.2,               # eq/status callback
        "deploy_seconds": 1.0,               # order_instance: the server appears after this
        "deploy_key_delay": 0.0,             # order_instance: the deploy key shows in update_servers after this
        "reinstall_seconds": 1.0,            # order_instance with id
        "cancel_seconds": 0.5,               # whmcs/request_cancellation callback
        "cancel_gone_seconds": 0.5,          # immediate cancellation: the server leaves the account this long later
        "order_status": "Paid",              # Paid (deploys) | Unpaid (waits forever)
        "fail_actions": "",                  # CSV of on,off,reboot,hard_off,status,deploy,reinstall,cancel: callbacks fail
        "zone_shape": "a",                   # pdns/view_zone: a = PowerDNS rrsets, b = flat records
        "add_dns_mode": "replace",           # pdns/add_dns sets the whole RRset (replace) or adds to it (append)
        "get_ip_shape": "wrapped",           # ip/get_ip: wrapped in data{} (newdocs) or bare (seed)
        "empty_account": False,              # build the account without servers (auth/login fails)
        "sshkey_strip_comment": True,        # ssh_keys store "type base64" without the comment
        "traffic_plans_reject_token": False,  # traffic_plans/list answers "invalid request" when a token is sent
    }
    CHOICES = {"zone_shape": ("a", "b"), "add_dns_mode": ("replace", "append"), "get_ip_shape": ("wrapped", "bare"),
               "order_status": ("Paid", "Unpaid")}

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.servers: dict[int, dict] = {}
        self.sessions: dict[str, Session] = {}
        self.callbacks: dict[str, dict] = {}
        self.orders: dict[int, dict] = {}
        self.cancellations: dict[int, dict] = {}
        self.reinstalls: dict[int, str] = {}
        self.domains: dict[str, dict] = {}
        self.sshkeys: dict[int, dict] = {}
        self.api_keys: dict[int, dict] = {}
        self.history: list[dict] = []
        self.pin = PIN
        self.pin_failures = 0
        self.counters: dict[str, itertools.count] = {}
        self.next_server_id = FIRST_SERVER_ID
        super().__init__(latency=latency, seed_servers=seed_servers, **knobs)

    # -- knobs ------------------------------------------------------------------

    def coerce_knob(self, key: str, value):
        value = super().coerce_knob(key, value)
        if key in self.CHOICES and value not in self.CHOICES[key]:
            raise ValueError(f"knob {key!r} must be one of {', '.join(self.CHOICES[key])}")
        if key == "fail_actions":
            unknown = [name for name in value.split(",") if name.strip() and name.strip() not in FAILABLE]
            if unknown:
                raise ValueError(f"knob 'fail_actions' accepts {', '.join(FAILABLE)}; got {', '.join(unknown)}")
        if key == "token_ttl" and value < 1:
            raise ValueError("knob 'token_ttl' must be at least 1")
        if isinstance(value, float) and value < 0:
            raise ValueError(f"knob {key!r} must not be negative")
        return value

    def configure(self, **settings) -> dict:
        super().configure(**settings)
        with self.lock:
            if "pin" in settings:
                self.pin = self.knobs["pin"]
                self.pin_failures = 0
            if self.knobs["expire_tokens"]:
                self.expire_tokens()
                self.knobs["expire_tokens"] = False
        return self.config()

    def expire_tokens(self) -> int:
        """Expire every session now (clients must log in again); returns how many there were."""
        with self.lock:
            count = len(self.sessions)
            self.sessions.clear()
            return count

    def _fail_set(self) -> set:
        return {name.strip() for name in self.knobs["fail_actions"].split(",") if name.strip()}

    # -- state ------------------------------------------------------------------

    def _next(self, name: str) -> int:
        return next(self.counters[name])

    def build_state(self) -> None:
        self.servers, self.sessions, self.callbacks, self.orders = {}, {}, {}, {}
        self.cancellations, self.reinstalls, self.domains, self.sshkeys, self.api_keys = {}, {}, {}, {}, {}
        self.history = []
        self.knobs["expire_tokens"] = False
        self.pin = self.knobs["pin"]
        self.pin_failures = 0
        self.counters = {
            "tag": itertools.count(500001), "seed_tag": itertools.count(700001), "invoice": itertools.count(FIRST_INVOICE),
            "api_key": itertools.count(801), "sshkey": itertools.count(31), "domain": itertools.count(77),
            "record": itertools.count(9101), "cr": itertools.count(507), "history": itertools.count(20818001),
            "order": itertools.count(5448),
        }
        if not self.knobs["empty_account"]:
            if self.seed_servers > 0:
                self._seed_many(self.seed_servers)
            else:
                self._seed_fixture()
        self.next_server_id = max(self.servers, default=FIRST_SERVER_ID - 1) + 1
        self._seed_api_keys()
        self.sshkeys[self._next("sshkey")] = {
            "id": 31, "customer_id": CUSTOMER_ID, "name": "deploy",
            "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyMaterialOnly0000000000000000",
            "default": 1, "created": "2026-01-05 10:00:00"}
        self._seed_domains()

    def _new_server(self, server_id, hostname, location, preset, os_name, password, ips, power="on", status="rent",
                    period="monthly", due_date="2026-02-01", days_left=21, user_tags=(), seeded_ids=True,
                    order_origin=False) -> dict:
        server = {
            "id": server_id, "location": location, "preset": preset, "status": status, "power": power,
            "period": period, "due_date": due_date, "days_left": days_left,
            "reg_date": "2025-11-01", "product_id": 5700 + server_id - FIRST_SERVER_ID + 1,
            "order_id": self._next("order"),
            "ips": [], "ptr": {}, "tags": [],
        }
        for index, address in enumerate(ips):
            self._attach_ip(server, address, main=index == 0)
        counter = "seed_tag" if seeded_ids else "tag"
        if order_origin:
            self._set_tag(server, "order_origin", "invapi", "1", counter=counter)
        self._set_tag(server, "hostname", hostname, counter=counter)
        if os_name:
            self._set_tag(server, "OS", os_name, counter=counter)
        self._set_tag(server, "Password", password, counter=counter)
        if order_origin:
            self._set_tag(server, "user_name", "root", counter=counter)
        for name, value, extra in user_tags:
            self._set_tag(server, name, value, extra, counter=counter)
        self.servers[server_id] = server
        return server

    @staticmethod
    def _attach_ip(server: dict, address: str, main: bool) -> None:
        server["ips"].append({"port": "eth0", "MAC": mac_for(server["id"]), "IP": address, "status": "enable",
                              "main_ip": 1 if main else 0, "locked": 0, "main_int": 1,
                              "vlan": VLANS.get(server["location"], 415), "description": ""})

    def _seed_fixture(self) -> None:
        """The three VPS of fixture 9.3: web01/web02 in NL (web02 stopped), db01 in FI."""
        small, medium = self._preset_by("vm.v2-small"), self._preset_by("vm.v2-medium")
        web01 = self._new_server(40001, "web01.example.com", "NL", small, "Ubuntu 24.04", seeded_password(40001),
                                 ["203.0.113.10", "203.0.113.11"],
                                 user_tags=[("env", "prod", ""), ("role", "frontend", "lb-pool-a")], seeded_ids=False)
        web01["ptr"]["203.0.113.10"] = ["web01.example.com."]
        web02 = self._new_server(40002, "web02.example.com", "NL", small, "Debian 12", seeded_password(40002),
                                 ["203.0.113.12"], power="off", due_date="2026-01-20", days_left=9,
                                 user_tags=[("env", "staging", ""), ("role", "frontend", "")])
        web02["ptr"]["203.0.113.12"] = ["web02.example.com."]
        db01 = self._new_server(40003, "db01.example.com", "FI", medium, "Debian 12", seeded_password(40003),
                                ["203.0.113.13"], due_date="2026-02-08", days_left=28,
                                user_tags=[("env", "prod", ""), ("role", "db", "")])
        db01["ptr"]["203.0.113.13"] = ["db01.example.com."]

    def _seed_many(self, count: int) -> None:
        """``count`` deterministic servers: locations NL/FI/DE/US, every 5th bare metal, every 7th stopped,
        every 11th suspended (status power_off), every 6th with a second IPv4, user tags env and role."""
        addresses = ipv4_candidates()
        os_names = ("Ubuntu 24.04", "Debian 12", "Ubuntu 22.04", "RockyLinux 8")
        vm_presets = [self._preset_by(name) for name in ("vm.pico", "vm.v2-small", "vm.v2-medium")]
        bare_metal = self._preset_by("bm.e3-1230")
        for index in range(1, count + 1):
            server_id = FIRST_SERVER_ID + index - 1
            location = ("NL", "FI", "DE", "US")[(index - 1) % 4]
            preset = bare_metal if index % 5 == 0 and location in ("NL", "FI") else vm_presets[index % 3]
            suspended = index % 11 == 0
            ips = [next(addresses)] + ([next(addresses)] if index % 6 == 0 else [])
            hostname = f"srv{index:04d}.example.com"
            server = self._new_server(
                server_id, hostname, location, preset, os_names[index % 4], seeded_password(server_id), ips,
                power="off" if index % 7 == 0 or suspended else "on", status="power_off" if suspended else "rent",
                due_date=f"2026-{(index % 12) + 1:02d}-{(index % 28) + 1:02d}", days_left=(index * 7) % 30 + 1,
                user_tags=[("env", ("prod", "staging", "dev")[index % 3], ""),
                           ("role", ("web", "db", "cache", "worker")[index % 4], "")],
            )
            server["ptr"][ips[0]] = [hostname + "."]

    def _seed_api_keys(self) -> None:
        # CHOICE: fixture 9.7 gives "ansible-ci" the allow-list 203.0.113.0/28; here it is empty so that the
        # simulator's own login key works from loopback.  Its secret is API_KEY (token_view = first 4 chars).
        self._add_api_key("ansible-ci", API_KEY, server_id=0, ip="", method="none", address=None,
                          created="2026-01-02 09:00:00")
        if FIRST_SERVER_ID in self.servers:
            self._add_api_key("web01-panel", SERVER_API_KEY, server_id=FIRST_SERVER_ID, ip="", method="none",
                              address=None, created="2026-01-03 09:00:00")
        else:
            self._next("api_key")

    def _add_api_key(self, name, secret, server_id, ip, method, address, active=1, created=None) -> dict:
        row = {"id": self._next("api_key"), "name": name, "active": active, "ip": ip, "server_id": server_id,
               "token_view": secret[:4], "login_notify_method": method, "login_notify_address": address,
               "_hash": secret_hash(secret)}
        self.api_keys[row["id"]] = row
        self._history(row["id"], f"Created new api_key {row['id']}. name '{name}'", "action", created)
        return row

    def _seed_domains(self) -> None:
        """Zone example.com with the records of fixture 9.6(a)."""
        domain = self._new_domain("example.com", serial=2026010101)
        for name, rtype, ttl, content in (
            ("example.com.", "A", 3600, "203.0.113.10"),
            ("www.example.com.", "A", 300, "203.0.113.10"),
            ("www.example.com.", "A", 300, "203.0.113.11"),
            ("example.com.", "MX", 3600, "10 mail.example.com."),
            ("example.com.", "TXT", 3600, '"v=spf1 mx -all"'),
        ):
            domain["records"].append({"id": self._next("record"), "name": name, "type": rtype, "ttl": ttl,
                                      "content": content, "disabled": False})

    def _new_domain(self, name: str, serial: int | None = None, server_id: int = 0) -> dict:
        serial = serial or int(datetime.date.today().strftime("%Y%m%d")) * 100 + 1
        domain = {"id": self._next("domain"), "name": name, "server_id": server_id, "serial": serial, "records": []}
        self.domains[name] = domain
        return domain

    def _history(self, key_id: int, message: str, kind: str, date: str | None = None) -> None:
        self.history.append({"id": self._next("history"), "key_id": key_id, "date": date or now_text(),
                             "message": message, "type": kind, "login": EMAIL})

    # -- tags -----------------------------------------------------------------------

    @staticmethod
    def _tag(server: dict, name: str) -> dict | None:
        return next((row for row in server["tags"] if row["tag"] == name), None)

    def _tag_value(self, server: dict, name: str, default: str = "") -> str:
        row = self._tag(server, name)
        return row["value"] if row else default

    def _set_tag(self, server: dict, name: str, value: str, extra: str | None = None, counter: str = "tag") -> dict:
        row = self._tag(server, name)
        if row is None:
            row = {"id": self._next(counter), "component": "eq", "component_id": server["id"], "tag": name,
                   "value": value, "extra": extra or "", "internal": 0}
            server["tags"].append(row)
        else:
            row["value"] = value
            if extra is not None:
                row["extra"] = extra
        return row

    # -- lookups ------------------------------------------------------------------

    @staticmethod
    def _preset_by(wanted: str) -> dict | None:
        text = str(wanted).strip().lower()
        return next((p for p in PRESETS if p["name"] == text or str(p["id"]) == text), None)

    def _own(self, call: Call, name: str = "id") -> dict:
        """The server named by flat ``name``: owned by the account and in the token's server snapshot."""
        server_id = call.flat_int(name, required=True)
        server = self.servers.get(server_id)
        if server is None:
            # CHOICE: wording for an id the account does not hold (fact sheet 9.3 is illustrative).
            raise call.error("server not found")
        if server_id not in call.session.servers:
            raise call.error(NOT_YOURS)
        return server

    def _session_servers(self, key_row: dict) -> list:
        if key_row["server_id"]:
            return [key_row["server_id"]] if key_row["server_id"] in self.servers else []
        return sorted(self.servers)

    def _deploy_keys(self):
        now = self.clock()
        keys = {str(invoice): order["key"] for invoice, order in self.orders.items()
                if order["key"] and not order["key_consumed"] and now >= order["key_visible_at"]}
        return keys or []

    @staticmethod
    def _main_ip(server: dict) -> str:
        main = next((ip for ip in server["ips"] if ip["main_ip"]), None) or (server["ips"] or [{"IP": ""}])[0]
        return main["IP"]

    # -- snapshot -------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "servers": [{"id": s["id"], "hostname": self._tag_value(s, "hostname"), "location": s["location"],
                         "preset": s["preset"]["name"], "status": s["status"], "power": s["power"],
                         "os": self._tag_value(s, "OS"), "ips": [ip["IP"] for ip in s["ips"]],
                         "ptr": {ip: list(names) for ip, names in s["ptr"].items()},
                         "tags": [dict(row) for row in s["tags"]], "reinstalling": s["id"] in self.reinstalls}
                        for s in sorted(self.servers.values(), key=lambda s: s["id"])],
            "sessions": [{"token": s.token, "key_id": s.key_id, "servers": list(s.servers), "expire": int(s.expire),
                          "fix_ip": s.fix_ip, "client": s.client} for s in self.sessions.values()],
            "api_keys": [self._key_view(row) for row in self.api_keys.values()],
            "orders": [{key: value for key, value in order.items() if not key.startswith("_")} for order in self.orders.values()],
            "callbacks": [{"key": cb["key"], "action": cb["action"], "done": cb["done"],
                           "result": cb["body"]["result"] if cb["body"] else None} for cb in self.callbacks.values()],
            "cancellations": [dict(cr) for cr in self.cancellations.values()],
            "domains": [{"id": d["id"], "name": d["name"], "serial": d["serial"], "records": [dict(r) for r in d["records"]]}
                        for d in self.domains.values()],
            "sshkeys": [dict(key) for key in self.sshkeys.values()],
            "pin": {"required": self.knobs["pin_required"], "failures": self.pin_failures, "blocked": self.pin_failures >= 3},
        }

    # -- request handling -------------------------------------------------------------

    @staticmethod
    def _action_of(fields: dict) -> str | None:
        action = fields.get("action")
        return action if isinstance(action, str) else None

    def is_mutating(self, request: Request) -> bool:
        module = module_of(request.path)
        action = self._action_of(request_fields(request))
        spec = MODULES.get(module or "", {}).get(action or "")
        return bool(spec and spec[1])

    def log_fields(self, request: Request) -> dict:
        return {"action": self._action_of(request_fields(request))}

    def handle(self, request: Request) -> Response:
        module = module_of(request.path)
        if module not in MODULES:
            return Response.from_text(NOT_FOUND_PAGE, 404, "text/html; charset=utf-8")
        fields = request_fields(request)
        call = Call(module, self._action_of(fields) or "", fields, request.client)
        try:
            body = self._dispatch(call)
        except ApiError as exc:
            body = exc.body
        return Response.from_json(body)

    def _dispatch(self, call: Call) -> dict:
        spec = MODULES[call.module].get(call.action)
        needs_token = spec[0] if spec else call.module not in TOKENLESS_MODULES
        if needs_token:
            call.session = self._session(call)
        if spec is None:
            # CHOICE: wording of the unknown/missing action error.
            if not call.action:
                raise ApiError({"result": -1, "error": f"{call.module}: action is required"})
            raise call.error("unknown action")
        handler = getattr(self, f"_{call.module}_{'user_search' if call.action == 'search_user' else call.action}")
        return handler(call)

    def _session(self, call: Call) -> Session:
        token = call.fields.get("token")
        session = self.sessions.get(token) if isinstance(token, str) else None
        if session is None:
            raise ApiError(dict(INVALID_TOKEN))
        if time.time() >= session.expire:
            del self.sessions[session.token]
            raise ApiError(dict(INVALID_TOKEN))
        if session.fix_ip and session.client != call.client:
            raise ApiError(dict(INVALID_TOKEN))
        return session

    # -- PIN ------------------------------------------------------------------------

    def _check_pin(self, call: Call) -> None:
        if not self.knobs["pin_required"]:
            return  # CHOICE: the account opted out of the PIN: a pin sent anyway is ignored
        if self.pin_failures >= 3:
            raise call.error("invalid pin, Blocked For Security Purposes")
        pin = call.flat("pin")
        if pin is None or not pin.strip():
            raise call.error("pin is required")  # CHOICE: a missing pin does not count as a wrong one
        if pin.strip() != self.pin:
            self.pin_failures += 1
            if self.pin_failures >= 3:
                raise call.error("invalid pin, Blocked For Security Purposes")
            raise call.error("invalid pin")
        self.pin_failures = 0

    # -- async machinery ----------------------------------------------------------------

    def _async(self, action: str, delay: float, finish, failure: dict | None = None, on_fail=None) -> str:
        """Register a callback key; after ``delay`` its body is ``finish()`` (or ``failure`` when the
        ``fail_actions`` knob names ``action`` at call time)."""
        key = uuid.uuid4().hex
        entry = {"key": key, "action": action, "done": False, "body": None}
        self.callbacks[key] = entry
        failing = action in self._fail_set()

        def complete():
            if failing:
                body = dict(failure or {"result": "Fail", "scope": f"{action} failed", "status": "failure", "debug": None})
                if on_fail:
                    on_fail()
            else:
                body = finish()
            body["key"] = key
            entry.update(done=True, body=body)

        self.schedule(delay, complete)
        return key

    def _eq_callback_check(self, call: Call) -> dict:
        # CHOICE: the key is read from flat "key" only (the seed table's "reinstall_key" is a typo).
        key = call.flat("key", required=True).strip()
        entry = self.callbacks.get(key)
        if entry is None:
            return {"code": -1, "message": ASYNC_KEY_NOT_FOUND, "key": key}
        if not entry["done"]:
            return {"result": "Not ready", "key": key}
        body = dict(entry["body"])
        if body.get("result") == "OK":
            # the first OK read deletes the key (fact sheet 4); failures stay readable (CHOICE)
            del self.callbacks[key]
            for order in self.orders.values():
                if order["key"] == key:
                    order["key_consumed"] = True
        return body

    # -- auth -----------------------------------------------------------------------------

    def _auth_login(self, call: Call) -> dict:
        key = call.flat("key") or ""
        row = next((r for r in self.api_keys.values() if r["_hash"] == secret_hash(key.strip())), None) if key else None
        if row is None or not row["active"]:
            # the real API echoes the key it was given: clients must redact it
            raise ApiError({"result": -1, "error": f"Invalid API key {key}"})
        if row["ip"] and not ip_allowed(call.client, row["ip"]):
            raise call.error(f"access from {call.client} is not allowed for this key")  # CHOICE: wording
        ttl = call.flat_int("ttl", default=self.knobs["token_ttl"])
        if ttl < 1:
            raise call.error(f"invalid value for parameter 'ttl': {ttl}")
        fix_ip = call.flat_int("fix_ip", default=1) != 0  # bound to the caller's address unless fix_ip=0
        servers = self._session_servers(row)
        if not servers:
            raise ApiError(dict(NO_SERVERS))
        now = time.time()
        session = next((s for s in self.sessions.values()
                        if s.key_id == row["id"] and s.fix_ip == fix_ip and (not fix_ip or s.client == call.client)
                        and s.expire > now), None)
        new = 0
        if session is None:
            new = 1
            session = Session(uuid.uuid4().hex, row["id"], servers, row["server_id"] or None, now + ttl, fix_ip, call.client)
            self.sessions[session.token] = session
        else:
            # CHOICE: a re-login refreshes the reused token's server snapshot (fact sheet 7: "or a new auth/login")
            session.servers = servers
            if self.knobs["relogin_extends"]:
                session.expire = now + ttl
        self._history(row["id"], f"Login with api_key {row['id']} from {call.client}", "login")
        return {"result": {
            "token": session.token, "role": "Customer billing", "role_type": "Customer", "whmcs_id": WHMCS_ID,
            "whmcs_location": "whmcs_com", "servers": list(session.servers), "customer_id": CUSTOMER_ID,
            "permissions": list(PERMISSIONS), "token_expire": int(session.expire), "new": new}}

    def _auth_info(self, call: Call) -> dict:
        session = call.session
        return {"result": {
            "servers": {str(sid): str(sid) for sid in session.servers},
            "show_products": 1, "manage_products": 1, "show_invoices": 1, "manage_orders": 1,
            "email": EMAIL, "token_expire": int(session.expire), "whmcs_id": str(WHMCS_ID), "whmcs_location": "whmcs_com",
            "billing_servers": [], "deploy_keys": self._deploy_keys(), "permissions": list(PERMISSIONS),
            "role_type": "Customer", "role_name": "Customer billing", "verified": None, "corporate": 0,
            "tags": [{"id": 582523, "component": "customers", "component_id": CUSTOMER_ID, "tag": "email_verification",
                      "value": "verified", "extra": "1699523441", "internal": 0}],
            "billing_options": {"url": "https://billing.example.com/", "location": "NL", "company": "HOSTKEY B.V.",
                                "active": 1, "allowed_payments": ["paypal"], "native_endpoint": "invapi.hostkey.com"},
            "client_ip": call.client}}

    def _auth_logout(self, call: Call) -> dict:
        self.sessions.pop(call.session.token, None)
        return {"result": "OK", "action": "logout"}  # CHOICE: the logout answer is undocumented

    # -- eq: reads -----------------------------------------------------------------------

    def _eq_list(self, call: Call) -> dict:
        ids = [sid for sid in call.session.servers if sid in self.servers]
        locations = {part.strip().upper() for part in (call.flat("location") or "").split(",") if part.strip()}
        status = (call.flat("status") or "").strip()
        wanted_ip, mac = (call.flat("ip") or "").strip(), (call.flat("mac") or "").strip().lower()
        groups = {part.strip().lower() for part in (call.flat("group") or "").split(",") if part.strip()}
        found = []
        for sid in ids:
            server = self.servers[sid]
            if locations and server["location"] not in locations:
                continue
            if status and server["status"] != status:
                continue
            if wanted_ip and wanted_ip not in [ip["IP"] for ip in server["ips"]]:
                continue
            if mac and mac.replace(".", ":").replace("-", ":") not in [ip["MAC"] for ip in server["ips"]]:
                continue
            if groups and not groups <= {g["Code"].lower() for g in self._groups(server)}:
                continue
            found.append(sid)
        return {"servers": found, "result": "OK"}

    @staticmethod
    def _groups(server: dict) -> list:
        if server["preset"]["virtual"]:
            return [{"ID": "60", "Code": "VPS", "Name": "VPS", "active": 1},
                    {"ID": "61", "Code": "Instances", "Name": "Instances", "active": 1}]
        return [{"ID": "32", "Code": "1CPU", "Name": "1CPU", "active": 1},
                {"ID": "61", "Code": "Instances", "Name": "Instances", "active": 1}]

    def _eq_show(self, call: Call) -> dict:
        server = self._own(call)
        preset = server["preset"]
        virtual = bool(preset["virtual"])
        config = f"{preset['cpu']} vCore/{preset['ram']}Gb/{preset['hdd']}Gb SSD" if virtual else preset["description"]
        kind = "VPS" if virtual else "BM"  # CHOICE: the type word of bare metal is unverified
        number = server["id"] - FIRST_SERVER_ID + 1
        return {
            "result": "OK",
            "server_data": {"id": server["id"], "ref_tableName": kind, "Condition_Component": server["status"],
                            "status": server["status"], "type": kind, "hwconfig": config, "account_id": ACCOUNT_ID,
                            "type_billing": "whmcs_com", "days_left": server["days_left"], "due_date": server["due_date"]},
            "hardware": {"config": config, "vm": 1 if virtual else 0, "gpu": 0, "cpu_count": preset["cpu"],
                         "ram": preset["ram"], "hdd": int(preset["hdd"])},
            "groups": self._groups(server),
            "licenses": [],
            "location": {"dc_location": server["location"], "location_id": LOCATIONS[server["location"]]},
            "OS": None,
            "IP": [dict(ip) for ip in server["ips"]],
            "interfaces": [{"id": 122900 + number, "type": "eth0", "mac": mac_for(server["id"]), "upstream_id": None,
                            "IsMain": 1, "IsVirt": 0, "Status": "enable", "switch_owner": "",
                            "switch_model": "virtual" if virtual else "juniper"}],
            "IPMI": {"model": "ovirt" if virtual else "supermicro", "interfaces": []},
            "tags": [dict(row) for row in server["tags"]],
            "preset": preset["name"],
            "preset_description": preset["description"],
        }

    def _eq_update_servers(self, call: Call) -> dict:
        row = self.api_keys.get(call.session.key_id)
        call.session.servers = self._session_servers(row) if row else []
        return {"result": "OK", "servers": list(call.session.servers), "billing_servers": [],
                "deploy_keys": self._deploy_keys()}

    # -- eq: power --------------------------------------------------------------------------

    @staticmethod
    def _power_context(server: dict, action: str) -> dict:
        context = {"action": action, "id": str(server["id"]), "location": server["location"]}
        if server["preset"]["virtual"]:
            context["ip_ipmi"] = ""
        return context

    def _eq_status(self, call: Call) -> dict:
        server = self._own(call)

        def finish():
            on = server["power"] == "on"
            if server["preset"]["virtual"]:
                scope, debug = ("VM is up now" if on else "VM is down now"), ""
            else:
                scope = debug = "Chassis Power is on" if on else "Chassis Power is off"
            return {"result": "OK", "scope": scope, "context": self._power_context(server, "status"), "debug": debug}

        failure = {"result": "Fail", "scope": "status failed", "context": self._power_context(server, "status"),
                   "status": "failure", "debug": None}
        key = self._async("status", self.knobs["status_seconds"], finish, failure)
        return {"result": "OK", "action": "status", "callback": key}

    def _power(self, call: Call, action: str) -> dict:
        server = self._own(call)
        self._check_pin(call)
        if server["status"] != "rent":
            raise call.error(f"server {server['id']} is suspended ({server['status']})")  # CHOICE: wording
        target = "on" if action in ("on", "reboot") else "off"
        if server["preset"]["virtual"]:
            scope = {"on": "VM is up now", "reboot": "VM is rebooted"}.get(action, "VM is down now")
            debug = ""
        else:
            # CHOICE: bare-metal texts follow the seed's IPMI debug lines (fact sheet 4: inferred)
            scope = debug = {"on": "Chassis Power Control: Up/On", "reboot": "Chassis Power Control: Reset"}.get(
                action, "Chassis Power Control: Down/Off")

        def finish():
            server["power"] = target
            return {"result": "OK", "scope": scope, "context": self._power_context(server, action), "debug": debug}

        failure = {"result": "Fail", "scope": f"{action} failed", "context": self._power_context(server, action),
                   "status": "failure", "debug": None}
        key = self._async(action, self.knobs["power_seconds"], finish, failure)
        return {"result": "OK", "action": action, "callback": key}

    def _eq_on(self, call: Call) -> dict:
        return self._power(call, "on")

    def _eq_off(self, call: Call) -> dict:
        return self._power(call, "off")

    def _eq_reboot(self, call: Call) -> dict:
        # CHOICE: rebooting a stopped server starts it
        return self._power(call, "reboot")

    def _eq_hard_off(self, call: Call) -> dict:
        return self._power(call, "hard_off")

    def _eq_set_pin(self, call: Call) -> dict:
        new_pin = call.flat("new_pin", required=True).strip()
        if not re.fullmatch(r"[A-Za-z0-9]{4,6}", new_pin):
            raise call.error("new_pin must be 4 to 6 letters or digits")  # CHOICE: wording and charset
        old_pin = (call.flat("old_pin") or "").strip()
        context = {"action": "set_pin", "id": "0"}
        if self.pin and old_pin != self.pin:
            self.pin_failures += 1
            body = {"result": "Fail", "scope": "Invalid PIN/email combination, please check", "context": context,
                    "status": "failure", "debug": None}
        else:
            self.pin, self.pin_failures = new_pin, 0
            body = {"result": "OK", "scope": "PIN code was set", "context": context, "debug": None}
        key = self._async("set_pin", 0.0, lambda: dict(body))
        return {"result": "OK", "action": "set_pin", "callback": key}

    def _eq_check_pin(self, call: Call) -> dict:
        pin = (call.flat("pin") or "").strip()
        context = {"action": "check_pin", "id": "0"}
        if self.pin_failures < 3 and pin == self.pin:
            self.pin_failures = 0
            body = {"result": "OK", "scope": "PIN code is valid", "context": context, "debug": ""}
        else:
            if self.pin_failures < 3:
                self.pin_failures += 1
            # shape #10: the failure comes with result OK and the text in scope
            body = {"result": "OK", "scope": "Invalid pin code", "context": context,
                    "debug": "Blocked For Security Purposes" if self.pin_failures >= 3 else ""}
        key = self._async("check_pin", 0.0, lambda: dict(body))
        return {"result": "OK", "action": "check_pin", "callback": key}

    # -- eq: order, reinstall, rename -------------------------------------------------------------

    def _catalog_os(self, call: Call, preset: dict, required: bool) -> dict | None:
        os_id = call.flat_int("os_id", required=required)
        if os_id is None:
            return None
        entry = next((o for o in OS_LIST if o["id"] == os_id), None)
        if entry is None or not entry["active"]:
            raise call.error(f"unknown or inactive os_id {os_id}")
        kind = "vm" if preset["virtual"] else "bm"
        if os_tag(entry, kind) != "true" or int(os_tag(entry, "min_ram") or 0) > preset["ram"]:
            raise call.error(f"OS {entry['name']} (#{os_id}) is not compatible with preset {preset['name']}")
        return entry

    @staticmethod
    def _catalog_soft(call: Call, os_entry: dict | None) -> dict | None:
        soft_id = call.flat_int("soft_id")
        if soft_id in (None, 0):
            return None
        soft = next((s for s in SOFTWARE if s["id"] == soft_id), None)
        if soft is None:
            raise call.error(f"unknown soft_id {soft_id}")
        allowed = next(tag["value"] for tag in soft["tags"] if tag["tag"] == "os").split(",")
        if os_entry is None or str(os_entry["id"]) not in allowed:
            os_name = os_entry["name"] if os_entry else "own OS"
            # the seed's wording, with the "reinstall:" prefix even for new orders
            raise ApiError({"result": -1, "error": f"reinstall: extra software {soft['name']} (#{soft_id}) "
                                                   f"is not compatible with {os_name}"})
        return soft

    @staticmethod
    def _install_options(call: Call) -> dict:
        root_pass = call.flat("root_pass", required=True)
        problem = root_pass_problem(root_pass)
        if problem:
            raise call.error(problem)
        hostname = (call.flat("hostname") or "").strip()
        if hostname and not HOSTNAME_RE.match(hostname):
            raise call.error(f"invalid hostname {hostname}")
        ssh_key = (call.flat("ssh_key") or "").strip()
        if ssh_key and not SSH_KEY_RE.match(ssh_key):
            raise call.error("ssh_key is not a valid public SSH key")
        root_size = call.flat_int("root_size", default=100)
        if not 1 <= root_size <= 100:
            raise call.error("root_size must be between 1 and 100")
        jenkins = call.flat_int("jenkins_task", default=-1)
        if jenkins not in (-1, 1, 2, 3):
            raise call.error("jenkins_task must be -1, 1, 2 or 3")
        return {"root_pass": root_pass, "hostname": hostname, "ssh_key": ssh_key,
                "own_os": call.flat_int("own_os", default=0) == 1}

    def _eq_order_instance(self, call: Call) -> dict:
        if (call.flat("id") or "").strip():
            return self._reinstall(call)
        if call.session.scope_server is not None:
            raise call.error("permission denied")  # CHOICE: a per-server key cannot order
        self._check_pin(call)
        preset_name = call.flat("preset", required=True)
        preset = self._preset_by(preset_name)
        if preset is None:
            raise call.error(f"unknown preset {preset_name}")
        location = call.flat("location_name", required=True).strip().upper()
        if location not in LOCATIONS:
            raise call.error(f"unknown location_name {location}")
        if location not in preset["locations"].split(","):
            raise call.error(f"preset {preset['name']} is not available in {location}")
        if not preset["active"] or preset["available"] <= 0:
            raise call.error(f"preset {preset['name']} is out of stock in {location}")
        options = self._install_options(call)
        os_entry = self._catalog_os(call, preset, required=not options["own_os"])
        soft = self._catalog_soft(call, os_entry)
        plan_id = call.flat_int("traffic_plan", required=True)
        plan = next((p for p in TRAFFIC_PLANS if p["id"] == plan_id), None)
        kind = "vm" if preset["virtual"] else "bm"
        if plan is None or location not in plan["locations"].split(",") or plan["tags"][0]["tag"] != kind:
            raise call.error(f"traffic_plan {plan_id} is not available for {preset['name']} in {location}")
        period = call.flat("deploy_period", required=True).strip().lower()
        if period not in DEPLOY_PERIODS:
            raise call.error(f"deploy_period must be one of {', '.join(DEPLOY_PERIODS)}")
        extra_ips = call.flat_int("ipv4_amount", default=0)
        if not 0 <= extra_ips <= 8:
            raise call.error("ipv4_amount must be between 0 and 8")

        invoice = self._next("invoice")
        server_id = self.next_server_id
        self.next_server_id += 1
        order = {"invoice": invoice, "status": self.knobs["order_status"], "server_id": server_id, "preset": preset["name"],
                 "location": location, "hostname": options["hostname"], "key": None, "key_consumed": False,
                 "key_visible_at": 0.0, "state": "pending"}
        self.orders[invoice] = order
        if order["status"] == "Paid":
            def finish():
                addresses = self._allocate_ips(1 + extra_ips)
                hostname = options["hostname"] or f"hostkey{server_id}"
                label, days = DEPLOY_PERIODS[period]
                due = datetime.date.today() + datetime.timedelta(days=days)
                server = self._new_server(server_id, hostname, location, preset,
                                          None if options["own_os"] else os_entry["name"], options["root_pass"],
                                          addresses, period=period, due_date=due.isoformat(), days_left=days,
                                          seeded_ids=False, order_origin=True)
                server["reg_date"] = datetime.date.today().isoformat()
                server["billing_cycle"] = label
                server["soft"] = soft["name"] if soft else ""
                order["state"] = "deployed"
                return {"result": "OK", "scope": f"Autodeploy completed, check VRI-000-{server_id}",
                        "context": {"action": "deploy_vm", "id": str(server_id), "location": location,
                                    "ip": addresses[0], "ip_ipmi": "0.0.0.0"},
                        "debug": "0"}

            def failed():
                order.update(state="cancelled", status="Cancelled")

            order["key"] = self._async("deploy", self.knobs["deploy_seconds"], finish,
                                       {"result": "Error", "scope": "cancelled", "debug": "order cancelled in panel"},
                                       failed)
            order["key_visible_at"] = self.clock() + self.knobs["deploy_key_delay"]
        return {"result": "OK", "action": "order_instance", "invoice": invoice, "status": order["status"]}

    def _allocate_ips(self, count: int) -> list:
        used = {ip["IP"] for server in self.servers.values() for ip in server["ips"]}
        reserved = {f"203.0.113.{host}" for host in range(10, 20)}  # the fixture servers' block
        found = []
        for address in ipv4_candidates():
            if address not in used and address not in reserved:
                found.append(address)
                if len(found) == count:
                    return found
        raise RuntimeError("IPv4 pool exhausted")

    def _reinstall(self, call: Call) -> dict:
        server_id = call.flat_int("id", required=True)
        server = self.servers.get(server_id)
        if server is None or server_id not in call.session.servers:
            # fact sheet 5.1: "server not found" -> call eq/update_servers first
            raise call.error(f"server {server_id} not found")
        self._check_pin(call)
        if server_id in self.reinstalls:
            raise ApiError({"result": -1, "error": f"another reinstall in progress for {server_id}, please wait"})
        options = self._install_options(call)
        os_entry = self._catalog_os(call, server["preset"], required=not options["own_os"])
        soft = self._catalog_soft(call, os_entry)
        context = {"action": "reinstall_vm", "id": str(server_id), "location": server["location"],
                   "ip": self._main_ip(server), "ip_ipmi": "0.0.0.0", "reinstall": 1}

        def finish():
            self.reinstalls.pop(server_id, None)
            if options["own_os"]:
                server["tags"] = [row for row in server["tags"] if row["tag"] != "OS"]
            else:
                self._set_tag(server, "OS", os_entry["name"])
            self._set_tag(server, "Password", options["root_pass"])
            if options["hostname"]:
                self._set_tag(server, "hostname", options["hostname"])
            server["soft"] = soft["name"] if soft else ""
            server["power"] = "on"
            return {"result": "OK", "scope": '{"result":"deploy_done"}', "context": dict(context), "debug": ""}

        key = self._async("reinstall", self.knobs["reinstall_seconds"], finish,
                          {"result": "Error", "scope": "reinstall failed", "context": dict(context),
                           "debug": "deploy task failed"},
                          lambda: self.reinstalls.pop(server_id, None))
        self.reinstalls[server_id] = key
        return {"result": "OK", "action": "order_instance", "callback": key, "deploy_status": "reinstall",
                "id": server_id, "os_name": os_entry["name"] if os_entry else "", "soft_name": soft["name"] if soft else ""}

    def _eq_rename_server(self, call: Call) -> dict:
        server = self._own(call)
        hostname = call.flat("hostname", required=True).strip()
        if not HOSTNAME_RE.match(hostname):
            raise call.error(f"invalid hostname {hostname}")
        self._set_tag(server, "hostname", hostname)
        # CHOICE: the answer of rename_server is undocumented ([tf] only); the tag changes at once
        return {"result": "OK", "action": "rename_server", "id": server["id"], "hostname": hostname}

    # -- ip ---------------------------------------------------------------------------------------

    def _server_ip(self, call: Call, server: dict) -> str:
        text = call.flat("ip", required=True).strip()
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            raise call.error(f"invalid ip {text}") from None
        if address not in [ip["IP"] for ip in server["ips"]]:
            raise call.error(f"ip {address} does not belong to server {server['id']}")  # CHOICE: wording
        return address

    def _ip_get_ptr(self, call: Call) -> dict:
        server = self._own(call)
        return {"result": "OK", "message": list(server["ptr"].get(self._server_ip(call, server), []))}

    def _ip_update_ptr(self, call: Call) -> dict:
        server = self._own(call)
        address = self._server_ip(call, server)
        raw = call.flat("ptr")
        if raw is None:
            raise call.error("missing required parameter 'ptr'")
        names = []
        for item in re.split(r"[\r\n]+", raw):
            item = item.strip().lower()
            if not item:
                continue
            if not HOSTNAME_RE.match(item) or "." not in item.rstrip("."):
                raise call.error(f"invalid ptr {item}")
            item = item if item.endswith(".") else item + "."  # CHOICE: stored as FQDN with the trailing dot
            if item not in names:
                names.append(item)
        server["ptr"][address] = names  # the newline-separated set replaces the PTR set; empty clears (CHOICE)
        return {"result": "OK", "message": ""}

    def _ip_get_ip(self, call: Call) -> dict:
        text = call.flat("ip", required=True).strip()
        owner = next((self.servers[sid] for sid in call.session.servers if sid in self.servers
                      and text in [ip["IP"] for ip in self.servers[sid]["ips"]]), None)
        if owner is None:
            raise call.error(f"ip {text} not found")
        network = ipaddress.ip_network(f"{text}/24", strict=False)
        data = {"network": str(network.network_address), "broadcast": str(network.broadcast_address),
                "netmask": str(network.netmask), "gateway": str(network.network_address + 1),
                "vlan": VLANS.get(owner["location"], 415), "subnet_id": 500 + int(text.split(".")[2]), "cidr": 24,
                "location": owner["location"], "ip": text}
        if self.knobs["get_ip_shape"] == "bare":
            return data
        return {"result": "OK", "module": "ip", "action": "get_ip", "data": data}

    # -- pdns -------------------------------------------------------------------------------------

    def _zone(self, call: Call, required: bool = True) -> dict:
        name = (call.param("zone", required) or "").strip().lower().rstrip(".")
        domain = self.domains.get(name)
        if domain is None:
            raise call.error(f"zone {name} not found")
        return domain

    @staticmethod
    def _ok(action: str, data=None, module: str = "pdns") -> dict:
        return {"result": "OK", "module": module, "action": action, "data": data}

    def _pdns_list_domains(self, call: Call) -> dict:
        return self._ok("list_domains", [{"id": d["id"], "name": d["name"]} for d in self.domains.values()])

    def _pdns_add_domain(self, call: Call) -> dict:
        name = call.param("name", required=True).strip().lower().rstrip(".")
        if not DOMAIN_RE.match(name):
            raise call.error(f"invalid domain name {name}")
        if name in self.domains:
            raise call.error(f"domain {name} already exists")
        server_id = call.param_int("server_id", default=0)
        if server_id and server_id not in call.session.servers:
            raise call.error(NOT_YOURS)
        domain = self._new_domain(name, server_id=server_id)
        return self._ok("add_domain", [{"id": domain["id"]}])  # CHOICE: the seed's data:[{id}] shape

    def _pdns_delete_domain(self, call: Call) -> dict:
        # [tf] sends params[id] and params[zone]; the seed's domain_id is accepted as params[domain_id] too
        domain_id = call.param_int("id") or call.param_int("domain_id")
        zone = (call.param("zone") or "").strip().lower().rstrip(".")
        if domain_id is None and not zone:
            raise call.error("missing required parameter 'params[id]'")
        domain = next((d for d in self.domains.values() if d["id"] == domain_id or d["name"] == zone), None)
        if domain is None:
            raise call.error("domain not found")
        del self.domains[domain["name"]]
        return self._ok("delete_domain", [{"id": domain["id"]}])

    @staticmethod
    def _zone_summary(domain: dict) -> dict:
        fqdn = domain["name"] + "."
        return {"account": "", "dnssec": False, "edited_serial": domain["serial"], "id": fqdn, "kind": "Master",
                "last_check": 0, "masters": [], "name": fqdn, "notified_serial": domain["serial"],
                "serial": domain["serial"], "url": f"/api/v1/servers/localhost/zones/{fqdn}"}

    def _pdns_list_zones(self, call: Call) -> dict:
        return self._ok("list_zones", [self._zone_summary(d) for d in self.domains.values()])

    def _pdns_view_zone(self, call: Call) -> dict:
        domain = self._zone(call)
        if self.knobs["zone_shape"] == "b":
            return self._ok("view_zone", {"id": domain["id"], "name": domain["name"],
                                          "records": [self._flat_record(domain, row) for row in domain["records"]]})
        rrsets, index = [], {}
        for row in domain["records"]:
            key = (row["name"], row["type"])
            if key not in index:
                index[key] = {"name": row["name"], "type": row["type"], "ttl": row["ttl"], "comments": [], "records": []}
                rrsets.append(index[key])
            index[key]["records"].append({"content": row["content"], "disabled": row["disabled"]})
        fqdn = domain["name"] + "."
        serial = domain["serial"]
        return self._ok("view_zone", [{
            "id": fqdn, "name": fqdn, "kind": "Master", "dnssec": False, "serial": serial, "edited_serial": serial,
            "notified_serial": serial, "masters": [], "soa_edit_api": "DEFAULT",
            "url": f"/api/v1/servers/localhost/zones/{fqdn}", "rrsets": rrsets}])

    @staticmethod
    def _flat_record(domain: dict, row: dict) -> dict:
        """Shape (b): relative name, MX/SRV priority split out; CHOICE: TXT content without the quotes."""
        zone = domain["name"] + "."
        name = "@" if row["name"] == zone else row["name"][:-len(zone) - 1]
        content, priority = row["content"], 0
        if row["type"] in ("MX", "SRV"):
            first, rest = content.split(" ", 1)
            priority, content = int(first), rest
        elif row["type"] == "TXT" and len(content) >= 2 and content[0] == content[-1] == '"':
            content = content[1:-1].replace('\\"', '"')
        return {"id": row["id"], "name": name, "type": row["type"], "content": content, "ttl": row["ttl"],
                "priority": priority}

    def _record_name(self, call: Call, domain: dict, raw: str | None) -> str:
        zone = domain["name"]
        name = (raw or "@").strip().lower()
        absolute = name.endswith(".")
        name = name.rstrip(".")
        if name in ("", "@") or name == zone:
            return zone + "."
        if name.endswith("." + zone):
            return name + "."
        if absolute:
            raise call.error(f"name {name}. is not in zone {zone}")
        if not HOSTNAME_RE.match(name) and not re.fullmatch(r"\*(\.[a-z0-9_-]+)*", name):
            raise call.error(f"invalid record name {name}")
        return f"{name}.{zone}."

    def _record_type(self, call: Call) -> str:
        rtype = call.param("type", required=True).strip().upper()
        if rtype not in RECORD_TYPES:
            raise call.error(f"unsupported record type {rtype}")
        return rtype

    def _contents(self, call: Call, rtype: str, required: bool) -> list:
        raw = call.param_raw("content")
        if isinstance(raw, dict):
            raise call.error("invalid value for parameter 'params[content]'")
        if raw is None or raw == [] or (isinstance(raw, str) and not raw.strip()):
            if rtype == "SRV" and required and call.param("target"):
                raw = ""
            elif required:
                raise call.error("missing required parameter 'params[content]'")
            else:
                return []
        if rtype in ARRAY_TYPES:
            # params[content][] is the documented form; CHOICE: a plain string is split like the seed's curl
            items = raw if isinstance(raw, list) else ([raw] if rtype == "MX" else re.split(r"[\s,]+", raw.strip()))
        elif isinstance(raw, list):
            raise call.error(f"params[content] must be a single string for {rtype} records")
        else:
            items = [raw]
        values = []
        for item in items:
            value = self._content(call, rtype, item)
            if value not in values:
                values.append(value)
        return values

    def _content(self, call: Call, rtype: str, value: str) -> str:
        value = value.strip()
        if rtype in ("A", "AAAA"):
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                address = None
            if address is None or address.version != (4 if rtype == "A" else 6):
                raise call.error(f"invalid content {value} for {rtype} record")
            return str(address)
        if rtype in ("CNAME", "NS", "PTR"):
            if not HOSTNAME_RE.match(value):
                raise call.error(f"invalid content {value} for {rtype} record")
            return value.lower().rstrip(".") + "."  # CHOICE: targets stored as FQDN with the trailing dot
        if rtype == "MX":
            match = re.fullmatch(r"(\d+)\s+(\S+)", value)
            priority = call.param_int("priority")
            if match:
                priority, value = int(match.group(1)), match.group(2)
            if priority is None or not HOSTNAME_RE.match(value):
                raise call.error(f"invalid content {value} for MX record (needs a priority and a host)")
            return f"{priority} {value.lower().rstrip('.')}."
        if rtype == "SRV":
            if not value:
                parts = [call.param(name) or "" for name in ("priority", "weight", "port", "target")]
                value = " ".join(part.strip() for part in parts)
            match = re.fullmatch(r"(\d+)\s+(\d+)\s+(\d+)\s+(\S+)", value)
            if not match:
                raise call.error(f"invalid content {value} for SRV record (priority weight port target)")
            return f"{match.group(1)} {match.group(2)} {match.group(3)} {match.group(4).lower().rstrip('.')}."
        if rtype == "TXT":
            if not value:
                raise call.error("invalid content for TXT record")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                return value
            return '"' + value.replace('"', '\\"') + '"'  # TXT comes back wrapped in double quotes
        if not value:
            raise call.error(f"invalid content for {rtype} record")
        return value

    def _pdns_add_dns(self, call: Call) -> dict:
        domain = self._zone(call)
        rtype = self._record_type(call)
        name = self._record_name(call, domain, call.param("name"))
        ttl = call.param_int("ttl", default=3600)
        if ttl < 1:
            raise call.error("ttl must be a positive integer")
        values = self._contents(call, rtype, required=True)
        records = domain["records"]
        old_name = call.param("old_name")
        if old_name and old_name.strip():
            old = self._record_name(call, domain, old_name)
            if old != name:
                records[:] = [r for r in records if not (r["name"] == old and r["type"] == rtype)]
        others = {r["type"] for r in records if r["name"] == name and r["type"] != rtype}
        if (rtype == "CNAME" and others) or (rtype != "CNAME" and "CNAME" in others):
            raise call.error(f"RRset {name} IN {rtype}: Conflicts with pre-existing RRset")
        existing = [r for r in records if r["name"] == name and r["type"] == rtype]
        if self.knobs["add_dns_mode"] == "append":
            contents = [r["content"] for r in existing] + [v for v in values if v not in [r["content"] for r in existing]]
        else:
            contents = values
        if rtype == "CNAME" and len(contents) > 1:
            raise call.error(f"RRset {name} IN CNAME: has more than one record")
        keep = {r["content"]: r for r in existing}
        position = records.index(existing[0]) if existing else len(records)
        records[:] = [r for r in records if not (r["name"] == name and r["type"] == rtype)]
        rows = []
        for content in contents:
            row = keep.get(content) or {"id": self._next("record"), "name": name, "type": rtype, "ttl": ttl,
                                        "content": content, "disabled": False}
            row["ttl"] = ttl  # one TTL per RRset: the call's TTL applies to the whole set
            rows.append(row)
        records[position:position] = rows
        domain["serial"] += 1
        return self._ok("add_dns")

    def _pdns_delete_dns(self, call: Call) -> dict:
        domain = self._zone(call)
        rtype = self._record_type(call)
        name = self._record_name(call, domain, call.param("name", required=True))
        values = self._contents(call, rtype, required=False)
        before = len(domain["records"])
        domain["records"][:] = [r for r in domain["records"]
                                if not (r["name"] == name and r["type"] == rtype and (not values or r["content"] in values))]
        if len(domain["records"]) != before:
            domain["serial"] += 1
        return self._ok("delete_dns")  # CHOICE: deleting nothing is not an error

    # -- tags ---------------------------------------------------------------------------------------

    def _tags_list(self, call: Call) -> dict:
        server = self._own(call)
        component = (call.flat("component") or "eq").strip()
        internal = call.flat_int("internal")
        rows = [dict(row) for row in server["tags"]
                if component == "eq" and (internal is None or row["internal"] == internal)]
        return {"result": "OK", "action": "list", "tags": rows}

    def _tags_add(self, call: Call) -> dict:
        id_list = (call.flat("id_list") or "").strip()
        if id_list:
            servers = []
            for part in id_list.split(","):
                call.fields["id"] = part.strip()
                servers.append(self._own(call))
        else:
            servers = [self._own(call)]
        name = call.flat("tag", required=True).strip()
        value = call.flat("value") or ""  # CHOICE: value optional (empty), as the fact sheet lists it
        extra = call.flat("extra")
        if len(name) > 32 or len(value) > 256 or len(extra or "") > 16384:
            raise call.error("invalid token data, too long")
        if not TAG_NAME_RE.match(name):
            raise call.error(f"invalid tag name {name}")  # CHOICE: letters, digits, hyphen and underscore
        row = {}
        for server in servers:
            # UPSERT: creates or changes the tag; CHOICE: an omitted extra keeps the stored one
            row = self._set_tag(server, name, value, extra)
        return dict({"result": "OK", "action": "add"}, **{key: row[key] for key in
                                                          ("id", "component", "component_id", "tag", "value", "extra", "internal")})

    def _tags_remove(self, call: Call) -> dict:
        server = self._own(call)
        name = call.flat("tag", required=True).strip()
        row = self._tag(server, name)
        if row is None:
            raise call.error(f"tag {name} not found")  # CHOICE: wording
        server["tags"].remove(row)
        return {"result": "OK", "action": "remove", "id": row["id"], "tag": name, "component": "eq",
                "component_id": server["id"]}

    def _tags_user_search(self, call: Call) -> dict:
        pattern = call.flat("value", required=True).strip().lower()
        glob = pattern.replace("%", "*") if any(ch in pattern for ch in "*%?") else f"*{pattern}*"
        found = []
        for sid in call.session.servers:
            server = self.servers.get(sid)
            if server is None:
                continue
            # CHOICE: case-insensitive substring (or * / % wildcards) on tag names and values; Password values never match
            for row in server["tags"]:
                texts = [row["tag"].lower()] + ([] if row["tag"] == "Password" else [row["value"].lower()])
                if any(fnmatch.fnmatchcase(text, glob) for text in texts):
                    found.append(sid)
                    break
        return {"result": "OK", "action": "search_user", "servers": found}

    # -- ssh_keys -------------------------------------------------------------------------------------

    def _ssh_keys_list(self, call: Call) -> dict:
        return {"result": "OK", "module": "ssh_keys", "action": "list",
                "sshkeys": [dict(key) for key in self.sshkeys.values()]}

    def _ssh_keys_add(self, call: Call) -> dict:
        name = call.param("name", required=True).strip()
        text = " ".join(call.param("key", required=True).split())
        default = call.param_int("default", default=0)
        if not SSH_KEY_RE.match(text):
            raise call.error("params[key] is not a valid public SSH key")
        if any(key["name"] == name for key in self.sshkeys.values()):
            raise call.error(f"ssh key with name {name} already exists")  # CHOICE: wording
        if self.knobs["sshkey_strip_comment"]:
            text = " ".join(text.split(" ")[:2])
        if default:
            for key in self.sshkeys.values():
                key["default"] = 0  # CHOICE: one default key
        key = {"id": self._next("sshkey"), "customer_id": CUSTOMER_ID, "name": name, "key": text,
               "default": 1 if default else 0, "created": now_text()}
        self.sshkeys[key["id"]] = key
        return {"result": "OK", "module": "ssh_keys", "action": "add", "sshkey": dict(key)}

    def _ssh_keys_delete(self, call: Call) -> dict:
        key_id = call.flat_int("id", required=True)  # flat id (fact sheet 1.1 / [tf])
        if key_id not in self.sshkeys:
            raise call.error(f"ssh key {key_id} not found")
        del self.sshkeys[key_id]
        return {"result": "OK", "module": "ssh_keys", "action": "delete", "data": {"id": key_id}}

    # -- api_keys -----------------------------------------------------------------------------------------

    @staticmethod
    def _key_view(row: dict) -> dict:
        return {key: value for key, value in row.items() if not key.startswith("_")}

    def _api_key_row(self, call: Call) -> dict:
        key_id = call.param_int("id", required=True)
        row = self.api_keys.get(key_id)
        if row is None:
            raise call.error(f"api key {key_id} not found")  # CHOICE: wording
        return row

    def _key_fields(self, call: Call) -> dict:
        name = call.param("name", required=True).strip()
        method = call.param("login_notify_method", required=True).strip().lower()
        if method not in ("none", "email", "webhook"):
            raise call.error("params[login_notify_method] must be none, email or webhook")
        active = call.param_int("active", required=True)
        if active not in (0, 1):
            raise call.error("params[active] must be 0 or 1")
        address = call.param("login_notify_address")
        address = address.strip() if address and address.strip() else None
        if method != "none" and not address:
            raise call.error(f"params[login_notify_address] is required for login_notify_method {method}")
        return {"name": name, "login_notify_method": method, "active": active,
                "ip": normalise_ip_list(call.param("ip") or ""), "login_notify_address": address}

    def _drop_sessions(self, key_id: int) -> None:
        for token in [t for t, s in self.sessions.items() if s.key_id == key_id]:
            del self.sessions[token]

    def _api_keys_list(self, call: Call) -> dict:
        return self._ok("list", [self._key_view(row) for row in self.api_keys.values()], "api_keys")

    def _api_keys_list_for_server(self, call: Call) -> dict:
        server_id = call.param_int("server_id", required=True)
        if server_id not in self.servers or server_id not in call.session.servers:
            raise call.error(NOT_YOURS)
        rows = [self._key_view(row) for row in self.api_keys.values() if row["server_id"] == server_id]
        return self._ok("list_for_server", rows, "api_keys")

    def _api_keys_view(self, call: Call) -> dict:
        return self._ok("view", self._key_view(self._api_key_row(call)), "api_keys")

    def _api_keys_add(self, call: Call) -> dict:
        values = self._key_fields(call)
        server_id = call.param_int("server_id", default=0)
        if server_id and (server_id not in self.servers or server_id not in call.session.servers):
            raise call.error(NOT_YOURS)
        if not self.servers:
            raise call.error("no active servers on the account")  # fact sheet 5.8; CHOICE: wording
        secret = f"{secrets.token_hex(8)}-{secrets.token_hex(8)}"
        row = self._add_api_key(values["name"], secret, server_id, values["ip"], values["login_notify_method"],
                                values["login_notify_address"], active=values["active"])
        data = self._key_view(row)
        data["api_key"] = secret  # shown once; only its hash is kept
        return self._ok("add", data, "api_keys")

    def _api_keys_edit(self, call: Call) -> dict:
        row = self._api_key_row(call)
        values = self._key_fields(call)
        changes = [f"{key} from '{row[key] if row[key] is not None else ''}' to '{value if value is not None else ''}'"
                   for key, value in values.items() if row[key] != value]
        row.update(values)  # full replace: omitted ip / login_notify_address are cleared (server_id is not editable)
        if not row["active"]:
            self._drop_sessions(row["id"])  # a deactivated key ends its sessions
        self._history(row["id"], f"Changed api_key {row['id']}. " + ", ".join(changes), "action")
        return self._ok("edit", {"id": row["id"]}, "api_keys")

    def _api_keys_delete(self, call: Call) -> dict:
        row = self._api_key_row(call)
        del self.api_keys[row["id"]]
        self._drop_sessions(row["id"])  # deleting the key in use ends its sessions
        self._history(row["id"], f"Deleted api_key {row['id']}.", "action")
        return self._ok("delete", {"id": row["id"]}, "api_keys")

    def _api_keys_history(self, call: Call) -> dict:
        key_id = call.param_int("id", required=True)
        if key_id not in self.api_keys and not any(entry["key_id"] == key_id for entry in self.history):
            raise call.error(f"api key {key_id} not found")
        since, until = call.param("period_from"), call.param("period_to")
        for label, value in (("period_from", since), ("period_to", until)):
            if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                raise call.error(f"params[{label}] must be YYYY-MM-DD")
        rows = [{"id": e["id"], "date": e["date"], "message": e["message"], "type": e["type"], "login": e["login"]}
                for e in reversed(self.history) if e["key_id"] == key_id
                and (not since or e["date"][:10] >= since.strip()) and (not until or e["date"][:10] <= until.strip())]
        return self._ok("history", rows, "api_keys")

    # -- whmcs ---------------------------------------------------------------------------------------------

    def _whmcs_request_cancellation(self, call: Call) -> dict:
        server = self._own(call)
        kind = call.flat_int("cancellation_type", required=True)  # the seed's curl spells it "cancelation_type" (typo)
        if kind not in (0, 1):
            raise call.error("cancellation_type must be 0 or 1")
        # CHOICE: the reason may come as cancellation_reason ([tf]/[reseller]) or terminate_reason_custom ([seed]/[mcp])
        reason = (call.flat("cancellation_reason") or call.flat("terminate_reason_custom") or "").strip()
        if server["id"] in self.cancellations:
            raise call.error(f"a cancellation request for {server['id']} already exists")
        if server["status"] != "rent":
            raise call.error(f"server {server['id']} cannot be cancelled ({server['status']})")
        stamp = now_text()
        request = {"id": self._next("cr"), "date": stamp, "relid": server["product_id"], "reason": reason,
                   "type": "Immediate" if kind == 1 else "End of Billing Period",
                   "created_at": stamp, "updated_at": stamp, "_server_id": server["id"]}
        self.cancellations[server["id"]] = request
        server_id = server["id"]

        def finish():
            if self.cancellations.get(server_id) is request and kind == 1:
                # immediate: billing terminates the service, the server is released a moment later
                server["status"] = "terminated"  # CHOICE: the status word after termination is unverified
                server["power"] = "off"
                self.schedule(self.knobs["cancel_gone_seconds"], lambda: self._release(server_id))
            return {"result": "OK", "scope": "Cancellation request accepted",
                    "context": {"action": "request_cancellation", "id": str(server_id), "location": server["location"]},
                    "debug": ""}

        failure = {"result": "Fail", "scope": "cancellation failed",
                   "context": {"action": "request_cancellation", "id": str(server_id)}, "status": "failure", "debug": None}
        key = self._async("cancel", self.knobs["cancel_seconds"], finish, failure,
                          lambda: self.cancellations.pop(server_id, None))
        return {"result": "OK", "action": "request_cancellation", "callback": key}

    def _release(self, server_id: int) -> None:
        self.servers.pop(server_id, None)
        self.cancellations.pop(server_id, None)
        self.reinstalls.pop(server_id, None)

    def _whmcs_get_cancellation_requests(self, call: Call) -> dict:
        if (call.flat("id") or "").strip():
            server = self._own(call)
            rows = [self.cancellations[server["id"]]] if server["id"] in self.cancellations else []
        else:
            rows = [cr for sid, cr in self.cancellations.items() if sid in call.session.servers]
        return {"result": "success", "message": [{k: v for k, v in cr.items() if not k.startswith("_")} for cr in rows]}

    def _whmcs_delete_cancellation_request(self, call: Call) -> dict:
        server = self._own(call)
        if server["id"] not in self.cancellations:
            raise call.error(f"no cancellation request for {server['id']}")
        if server["status"] == "terminated":
            raise call.error(f"service {server['id']} is already terminated")
        del self.cancellations[server["id"]]
        return {"result": "success", "message": ["CR deleted"]}

    def _whmcs_get_billing_data(self, call: Call) -> dict:
        server = self._own(call)
        preset = server["preset"]
        hostname = self._tag_value(server, "hostname")
        if server["status"] == "terminated":
            status = "Cancelled"
        elif server["status"] == "power_off":
            status = "Suspended"
        else:
            status = "Active"
        return {
            "IP": hostname, "client_id": WHMCS_ID, "order_id": server["order_id"], "suspend_reason": "",
            "billing_setupfee": "0.00", "product_id": server["product_id"], "whmcs_location": "whmcs_com",
            "billing_status": status, "reg_date": server["reg_date"],
            "billing_cycle": DEPLOY_PERIODS[server["period"]][0], "next_due_date": server["due_date"],
            "billing_reccuring": f"{preset['monthly_com']:.2f}",
            "billing_name": f"Services related to the provision of computing facilities ({preset['name']} {server['location']})",
            "billing_dedicatedip": self._main_ip(server), "billing_domain": hostname, "promoid": 0,
            "terminationdate": None, "subscriptionid": "", "currencyprefix": "", "currencysuffix": "EUR",
            "days_left": server["days_left"], "cancellation_request": 1 if server["id"] in self.cancellations else 0,
            "result": "OK",
        }

    # -- catalog (no token) -------------------------------------------------------------------------------

    @staticmethod
    def _catalog_location(call: Call, required: bool) -> str | None:
        location = call.flat("location", required=required)
        if location is None:
            return None
        location = location.strip().upper()
        if location not in LOCATIONS:
            raise call.error(f"unknown location {location}")
        return location

    def _presets_list(self, call: Call) -> dict:
        location = self._catalog_location(call, required=True)
        presets = [dict(p) for p in PRESETS if location in p["locations"].split(",")]
        return {"result": "OK", "action": "list", "presets": presets}

    def _os_list(self, call: Call) -> dict:
        instance = call.flat_int("instance_id")
        entries = OS_LIST
        if instance is not None:
            preset = self._preset_by(str(instance))
            if preset is None:
                raise call.error(f"unknown instance_id {instance}")
            kind = "vm" if preset["virtual"] else "bm"
            entries = [o for o in OS_LIST if os_tag(o, kind) == "true" and int(os_tag(o, "min_ram") or 0) <= preset["ram"]]
        return {"result": "OK", "action": "list", "os_list": [dict(o) for o in entries]}

    def _software_list(self, call: Call) -> dict:
        self._catalog_location(call, required=False)
        return {"result": "OK", "action": "list", "software": [dict(s) for s in SOFTWARE]}

    def _traffic_plans_list(self, call: Call) -> dict:
        if self.knobs["traffic_plans_reject_token"] and (call.flat("token") or "").strip():
            raise call.error("invalid request")
        location = self._catalog_location(call, required=True)
        instance = call.flat_int("instance")
        if instance is None:
            instance = call.flat_int("instance_id")  # CHOICE: the table's name is accepted as well
        plans = [p for p in TRAFFIC_PLANS if location in p["locations"].split(",")]
        if instance is not None:
            preset = self._preset_by(str(instance))
            if preset is None:
                raise call.error("error while looking for traffic plans")
            kind = "vm" if preset["virtual"] else "bm"
            plans = [p for p in plans if p["tags"][0]["tag"] == kind]
        return {"result": "OK", "action": "list", "traffic_plans": [dict(p) for p in plans]}
