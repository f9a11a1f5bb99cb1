"""Stateful fake of the Serverspace public API (``https://api.serverspace.us/api/v1/...``).

Written from ``providers/serverspace.md`` (and the seed document it points to) only, never from
the collection's client code.  JSON in and out, ``X-API-KEY`` on every request, single objects
wrapped in the resource's name and lists in the plural (section 2), errors in the
``{"errors": [{"code", "message"}]}`` envelope (section 3).  Mutations answer ``{"task_id"}``
and take effect when the task completes (``task_seconds``); ``GET tasks/{id}`` reports
``is_completed`` as the string enum ``New`` -> ``InProgress`` -> ``Completed`` (or ``Failed`` /
``Canceled``).  While a task runs on a server, zone or network, another change of that object
is refused with code -4000 (section 3/4).  Where the fact sheet marks something as unverified,
or says nothing, the choice made here is noted next to the code with "CHOICE:".
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import ipaddress
import itertools
import re

from .core import Request, Response, Simulator, norm_path

# 64 characters; "08" is the .us brand prefix of fact sheet section 1.
API_KEY = "08" + hashlib.sha256(b"hostcraft serverspace simulator").hexdigest()[:62]
PREFIX = "/api/v1"

PROJECT = {"id": 123, "balance": 850.44, "currency": "USD", "state": "Active", "created": "2020-06-01T15:23:07.6258725Z"}

# Error codes.  -1 (not found) is the fact sheet's invented fixture code; -2 and -3 are invented here.
NOT_FOUND = -1
INVALID = -2        # CHOICE: validation errors (the sheet documents HTTP 400 but no code)
UNAUTHORIZED = -3   # CHOICE: missing or wrong key (the sheet gives neither body nor code)
REDUNDANT_POWER = -4  # CHOICE: only with knob redundant_power=error (behaviour undocumented, open question 5)
BUSY = -4000
BUSY_AFTER_TASK = -19803
EXISTS = -5542
NETWORK_IN_USE = -19511
UNKNOWN_LOCATION = -8049
BUSY_MESSAGE = "A conflict occurred during a concurrent change of the object"
SETTLING_MESSAGE = "The object is still busy: wait until the end of the previous operation and try again"

TASK_STATES = ("New", "InProgress", "Completed", "Failed", "Canceled")
TTLS = ("1s", "5s", "30s", "1m", "5m", "10m", "15m", "30m", "1h", "2h", "6h", "12h", "1d")
RECORD_FIELDS = {
    "A": ("ip",), "AAAA": ("ip",), "CNAME": ("canonical_name",), "MX": ("mail_host", "priority"),
    "NS": ("name_server_host",), "TXT": ("text",),
    "SRV": ("service", "protocol", "priority", "weight", "port", "target"),
}
HOST_FIELDS = ("canonical_name", "mail_host", "name_server_host", "target")
SRV_PROTOCOLS = ("TCP", "UDP", "TLS")
PLATFORM_NS = ("ns01.serverspace.com.", "ns02.serverspace.com.")
POWER_ACTIONS = ("on", "shutdown", "off", "reboot", "reset")

LOCATIONS = [  # fixture 7.5-A (nj3, am2) and 7.5-B (ca, the narrow one)
    {"id": "nj3", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 512000,
     "windows_system_volume_min": 51200, "bandwidth_min": 50, "bandwidth_max": 200,
     "cpu_quantity_options": [1, 2, 4, 6, 8, 12, 16],
     "ram_size_options": [1024, 2048, 4096, 8192, 16384, 32768, 65536]},
    {"id": "am2", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 512000,
     "windows_system_volume_min": 51200, "bandwidth_min": 50, "bandwidth_max": 200,
     "cpu_quantity_options": [1, 2, 4, 8], "ram_size_options": [1024, 2048, 4096, 8192, 16384]},
    {"id": "ca", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 204800,
     "windows_system_volume_min": 51200, "bandwidth_min": 10, "bandwidth_max": 100,
     "cpu_quantity_options": [1, 2], "ram_size_options": [1024, 2048]},
]
LOCATION_BY_ID = {location["id"]: location for location in LOCATIONS}
PUBLIC_NETWORKS = {"nj3": "l1pub1", "am2": "l1pub2", "ca": "l1pub3"}  # per-location shared public network ids


def _image(image_id, location, family, version, ssh=True):
    return {"id": image_id, "location_id": location, "type": family, "os_version": version, "architecture": "X64",
            "allow_ssh_keys": ssh}


IMAGES = [  # fixture 7.6-A first, then the images the other fixtures use
    _image("Ubuntu-22.04-X64", "nj3", "Ubuntu", "22.04"),
    _image("Ubuntu-22.04-X64", "am2", "Ubuntu", "22.04"),
    _image("Debian-12-X64", "am2", "Debian", "12"),
    _image("Windows-Server 2019 Std-X64", "nj3", "Windows", "Server 2019 Std", ssh=False),
    _image("Ubuntu-24.04-X64", "nj3", "Ubuntu", "24.04"),
    _image("Debian-12-X64", "nj3", "Debian", "12"),
    _image("Ubuntu-22.04-X64", "ca", "Ubuntu", "22.04"),
    _image("Debian-12-X64", "ca", "Debian", "12"),
]

SSH_KEYS = [  # fixture 7.3-A
    {"id": 501, "name": "deploy@example.com",
     "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample01 deploy@example.com"},
    {"id": 502, "name": "legacy-ssh2",
     "public_key": "---- BEGIN SSH2 PUBLIC KEY ----\r\nComment: \"example-key\"\r\n"
                   "AAAAB3NzaC1yc2EAAAADAQABAAABAQCexampleexampleexample\r\n---- END SSH2 PUBLIC KEY ----"},
]
RECORDS = [  # fixture 7.7
    {"id": 66001, "name": "www.example.com.", "type": "A", "ttl": "1h", "ip": "203.0.113.10"},
    {"id": 66002, "name": "example.com.", "type": "MX", "ttl": "1h", "mail_host": "mail.example.com.", "priority": 10},
    {"id": 66003, "name": "example.com.", "type": "TXT", "ttl": "5m", "text": "\"v=spf1 -all\""},
    {"id": 66004, "name": "example.com.", "type": "NS", "ttl": "1d", "name_server_host": "ns01.serverspace.com."},
]

SERVER_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
DNS_LABEL_RE = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$")
OPENSSH_RE = re.compile(r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]{16,}={0,3}( .*)?$")
SSH2_RE = re.compile(r"^---- BEGIN SSH2 PUBLIC KEY ----\r?\n(.*\r?\n)*?[A-Za-z0-9+/=\r\n]{16,}\r?\n---- END SSH2 PUBLIC KEY ----\s*$")


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------

_ID = r"(?P<{}>[^/]+)"
ROUTES = [  # (method, path below /api/v1, operation); the operation names the handler and the call-log field
    ("GET", "project", "project_get"),
    ("GET", "locations", "locations_list"),
    ("GET", "images", "images_list"),
    ("GET", "servers", "servers_list"),
    ("POST", "servers", "server_create"),
    ("GET", "servers/{sid}", "server_get"),
    ("PUT", "servers/{sid}", "server_put"),
    ("PATCH", "servers/{sid}", "server_patch"),
    ("DELETE", "servers/{sid}", "server_delete"),
    ("PUT", "servers/{sid}/name", "server_rename"),
    ("POST", "servers/{sid}/power/(?P<action>on|shutdown|off|reboot|reset)", "power"),
    ("POST", "servers/{sid}/tags", "tag_add"),
    ("DELETE", "servers/{sid}/tags/{tag}", "tag_delete"),
    ("GET", "servers/{sid}/nics", "nics_list"),
    ("POST", "servers/{sid}/nics", "nic_create"),
    ("GET", "servers/{sid}/nics/{nid}", "nic_get"),
    ("PUT", "servers/{sid}/nics/{nid}", "nic_update"),
    ("DELETE", "servers/{sid}/nics/{nid}", "nic_delete"),
    ("GET", "servers/{sid}/volumes", "volumes_list"),
    ("POST", "servers/{sid}/volumes", "volume_create"),
    ("GET", "servers/{sid}/volumes/{vid}", "volume_get"),
    ("PUT", "servers/{sid}/volumes/{vid}", "volume_update"),
    ("DELETE", "servers/{sid}/volumes/{vid}", "volume_delete"),
    ("GET", "networks/isolated", "networks_list"),
    ("POST", "networks/isolated", "network_create"),
    ("GET", "networks/isolated/{net}", "network_get"),
    ("PUT", "networks/isolated/{net}", "network_update"),
    ("DELETE", "networks/isolated/{net}", "network_delete"),
    ("GET", "ssh-keys", "sshkeys_list"),
    ("POST", "ssh-keys", "sshkey_create"),
    ("GET", "ssh-keys/{kid}", "sshkey_get"),
    ("DELETE", "ssh-keys/{kid}", "sshkey_delete"),
    ("GET", "domains", "domains_list"),
    ("POST", "domains", "domain_create"),
    ("GET", "domains/{dom}", "domain_get"),
    ("DELETE", "domains/{dom}", "domain_delete"),
    ("GET", "domains/{dom}/records", "records_list"),
    ("POST", "domains/{dom}/records", "record_create"),
    ("GET", "domains/{dom}/records/{rid}", "record_get"),
    ("PUT", "domains/{dom}/records/{rid}", "record_update"),
    ("DELETE", "domains/{dom}/records/{rid}", "record_delete"),
    ("GET", "tasks/{tid}", "task_get"),
]
COMPILED_ROUTES = [
    (method, re.compile("^" + re.escape(PREFIX) + "/" + re.sub(r"\{(\w+)\}", lambda m: _ID.format(m.group(1)), path) + "$"),
     operation)
    for method, path, operation in ROUTES
]
MUTATING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# task kinds (fail_tasks / cancel_tasks knobs): the operation, power actions as power_<action>
TASK_KINDS = ("server_create", "server_update", "server_rename", "server_delete",
              "power_on", "power_shutdown", "power_off", "power_reboot", "power_reset",
              "nic_create", "nic_update", "nic_delete", "volume_create", "volume_update", "volume_delete",
              "network_create", "network_update", "network_delete",
              "domain_create", "domain_delete", "record_create", "record_update", "record_delete")


def resolve(method: str, path: str):
    """``(operation, params, allowed_methods)`` for a request path; operation None when nothing matches."""
    path = norm_path(path)
    allowed = []
    for route_method, pattern, operation in COMPILED_ROUTES:
        match = pattern.match(path)
        if match:
            if route_method == method:
                params = match.groupdict()
                if operation == "power":
                    operation = f"power_{params['action']}"
                return operation, params, [route_method]
            allowed.append(route_method)
    return None, {}, allowed


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

class ApiError(Exception):
    """An error answer: HTTP ``status`` with one entry ``{"code", "message"[, "error_params"]}``."""

    def __init__(self, status: int, code: int, message: str, params: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params


def not_found(what: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"{what} not found")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, INVALID, message, [{"name": "Field", "value": field}])


def now_iso() -> str:
    """ISO-8601 UTC with 7 fractional digits and ``Z``, like the API's timestamps."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond:06d}0Z"


def csv_set(text: str) -> set:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def kind_listed(kind: str, names: set) -> bool:
    """``power`` names every ``power_*`` kind, ``record`` every ``record_*`` one, and so on."""
    return any(kind == name or kind.startswith(name + "_") for name in names)


def public_ipv4_candidates():
    """Public addresses handed out in order: three documentation /24s, then 100.64.0.0/10 for very large seeds."""
    prefixes = itertools.chain(("203.0.113", "198.51.100", "192.0.2"),
                               (f"100.{64 + a}.{b}" for a in range(64) for b in range(256)))
    for prefix in prefixes:
        for host in range(10, 251):
            yield f"{prefix}.{host}"


def seeded_password(server_id: str) -> str:
    return "Ss" + hashlib.sha256(f"serverspace-sim/{server_id}".encode()).hexdigest()[:10] + "!7"


def mac_for(nic_id: int) -> str:
    number = nic_id - 80000
    return f"02:00:00:aa:{(number >> 8) & 0xff:02x}:{number & 0xff:02x}"


def fqdn(name: str) -> str:
    """Lower-case with exactly one trailing dot."""
    return name.strip().lower().rstrip(".") + "."


def valid_dns_name(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return len(name) <= 254 and all(DNS_LABEL_RE.match(label) for label in labels) and "*" not in labels[1:]


def valid_public_key(text: str) -> bool:
    text = text.strip()
    return bool(OPENSSH_RE.match(text) or SSH2_RE.match(text))


# body field access ---------------------------------------------------------------------------------

def field_int(body: dict, name: str, required: bool = True, default=None):
    if name not in body or body[name] is None:
        if required:
            raise invalid(name, f"The field '{name}' is required")
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        # CHOICE: numbers must be JSON integers (no "2" strings, no booleans)
        raise invalid(name, f"The field '{name}' must be an integer")
    return value


def field_str(body: dict, name: str, required: bool = True, default=None, allow_empty: bool = False):
    if name not in body or body[name] is None:
        if required:
            raise invalid(name, f"The field '{name}' is required")
        return default
    value = body[name]
    if not isinstance(value, str):
        raise invalid(name, f"The field '{name}' must be a string")
    if not allow_empty and not value.strip():
        raise invalid(name, f"The field '{name}' must not be empty")
    return value


def field_list(body: dict, name: str, required: bool = False) -> list:
    if name not in body or body[name] is None:
        if required:
            raise invalid(name, f"The field '{name}' is required")
        return []
    value = body[name]
    if not isinstance(value, list):
        raise invalid(name, f"The field '{name}' must be a list")
    return value


def parse_id(text: str, what: str) -> int:
    if not re.fullmatch(r"\d{1,18}", text or ""):
        raise not_found(what)  # CHOICE: a non-numeric id of a numeric resource is simply not found
    return int(text)


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------

class ServerspaceSimulator(Simulator):
    name = "serverspace"
    KNOBS = {
        "api_key": API_KEY,                # the project's X-API-KEY
        "task_seconds": 0.5,               # a task is New, InProgress after 20 % of this, then Completed/Failed/Canceled
        "settle_seconds": 0.0,             # the object stays Busy this long after its task ended (mutations: -19803)
        "record_linger_seconds": 0.0,      # a deleted record/domain stays readable this long after its task ended
        "ssh_keys_list_key": "ssh_keys",   # GET ssh-keys list wrapper: ssh_keys (clients) or ssh_key (DOC example)
        "auth_status": 401,                # HTTP status of a missing/wrong key: 401 or 403 (open question 3)
        "error_shape": "errors",           # errors (envelope) | error | message | text: the sheet's fallback bodies
        "fail_tasks": "",                  # CSV of task kinds (or prefixes: power, record, ...) whose tasks end Failed
        "cancel_tasks": "",                # CSV of task kinds (or prefixes) whose tasks end Canceled
        "redundant_power": "noop",         # noop (a task that changes nothing) | error (400, code -4)
        "acpi_ignored": False,             # power/shutdown completes but the guest stays on (use power/off)
        "rename_route": True,              # PUT servers/{id}/name exists (false: 404 like an unknown route)
        "resize_methods": "PUT,PATCH",     # methods of servers/{id} that resize (the other answers 405)
        "create_returns_server_id": False,  # POST servers also carries server_id (unverified third-party report)
        "empty_body_for": "",              # CSV of delete,power: those answer 200 with an empty body (no task_id)
        "sshkey_unique_names": False,      # POST ssh-keys with a name in use answers -5542
        "volume_step_mb": 1024,            # volume sizes must be multiples of this (10240 = the VSDK/TFVCP rule)
        "empty_project": False,            # build the project without servers (fixture 7.1-B)
    }
    CHOICES = {"ssh_keys_list_key": ("ssh_keys", "ssh_key"), "auth_status": (401, 403),
               "error_shape": ("errors", "error", "message", "text"), "redundant_power": ("noop", "error")}

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.servers: dict[str, dict] = {}
        self.networks: dict[str, dict] = {}
        self.sshkeys: dict[int, dict] = {}
        self.domains: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}
        self.locks: dict[str, dict] = {}
        self.counters: dict[str, itertools.count] = {}
        super().__init__(latency=latency, seed_servers=seed_servers, **knobs)

    # -- knobs --------------------------------------------------------------------------------------

    def coerce_knob(self, key: str, value):
        value = super().coerce_knob(key, value)
        if key in self.CHOICES and value not in self.CHOICES[key]:
            raise ValueError(f"knob {key!r} must be one of {', '.join(map(str, self.CHOICES[key]))}")
        if key in ("fail_tasks", "cancel_tasks"):
            unknown = [name for name in csv_set(value) if not any(kind_listed(kind, {name}) for kind in TASK_KINDS)]
            if unknown:
                raise ValueError(f"knob {key!r} accepts task kinds {', '.join(TASK_KINDS)} (or their prefixes); "
                                 f"got {', '.join(sorted(unknown))}")
        if key == "empty_body_for" and not csv_set(value) <= {"delete", "power"}:
            raise ValueError("knob 'empty_body_for' accepts delete and power")
        if key == "resize_methods" and not {m.upper() for m in csv_set(value)} <= {"PUT", "PATCH"}:
            raise ValueError("knob 'resize_methods' accepts PUT and PATCH")
        if key == "volume_step_mb" and value < 1:
            raise ValueError("knob 'volume_step_mb' must be at least 1")
        if isinstance(value, float) and value < 0:
            raise ValueError(f"knob {key!r} must not be negative")
        return value

    # -- state --------------------------------------------------------------------------------------

    def _next(self, name: str) -> int:
        return next(self.counters[name])

    def build_state(self) -> None:
        self.servers, self.networks, self.sshkeys, self.domains, self.tasks, self.locks = {}, {}, {}, {}, {}, {}
        self.counters = {"task": itertools.count(50001), "dns_task": itertools.count(9001), "sshkey": itertools.count(504),
                         "record": itertools.count(66005), "volume": itertools.count(70001),
                         "nic": itertools.count(80001), "network": itertools.count(2001), "server": itertools.count(10001)}
        if self.seed_servers > 0 and not self.knobs["empty_project"]:
            self._seed_many(self.seed_servers)
        else:
            self._new_network("isolated-nj3", "nj3", "10.10.0.0", 24, created="2024-05-01T08:00:00.0000000Z")
            if not self.knobs["empty_project"]:
                self._seed_fixture()
        for key in SSH_KEYS:
            self.sshkeys[key["id"]] = dict(key)
        self._seed_zone()

    def _new_network(self, name, location, prefix, mask, description="", created=None) -> dict:
        network = {"id": f"l1n{self._next('network')}", "name": name, "location_id": location, "description": description,
                   "network_prefix": prefix, "mask": mask, "state": "Active", "created": created or now_iso(), "tags": []}
        self.networks[network["id"]] = network
        return network

    def _new_server_id(self) -> str:
        return f"l1s{self._next('server')}"

    def _seed_fixture(self) -> None:
        """The two servers of fixture 7.1-A: web-01 (nj3, public + isolated NIC) and db-01 (am2, powered off)."""
        web = self._server_record(
            self._new_server_id(), "web-01", "nj3", "Ubuntu-22.04-X64", 2, 4096, "2024-05-14T09:21:33.1234567Z",
            password="REDACTED-example-1", ssh_key_ids=[501], tags=["web", "prod"])
        web["volumes"] = [self._volume("boot", 30720, "2024-05-14T09:21:40.0000000Z"),
                          self._volume("data", 51200, "2024-05-14T09:25:02.0000000Z")]
        web["nics"] = [self._public_nic(web, 50, "203.0.113.10"), self._isolated_nic(web, "l1n2001", "10.10.0.11")]
        db = self._server_record(
            self._new_server_id(), "db-01", "am2", "Debian-12-X64", 4, 8192, "2024-06-01T12:00:05.5000000Z",
            password="REDACTED-example-2", tags=["db"], power=False)
        db["volumes"] = [self._volume("boot", 40960, "2024-06-01T12:00:10.0000000Z")]
        db["nics"] = [self._public_nic(db, 100, "203.0.113.20")]

    def _seed_many(self, count: int) -> None:
        """``count`` deterministic servers srv0001...: locations nj3/am2/ca in turn, every 7th powered off,
        every 5th with an isolated NIC as well, tags ``env=...``, ``role=...`` and every 3rd a bare ``backup``."""
        networks = {loc: self._new_network(f"isolated-{loc}", loc, f"10.{10 * (n + 1)}.0.0", 24,
                                           created="2024-05-01T08:00:00.0000000Z")
                    for n, loc in enumerate(("nj3", "am2", "ca"))}
        addresses = public_ipv4_candidates()
        for index in range(1, count + 1):
            location = LOCATION_BY_ID[("nj3", "am2", "ca")[(index - 1) % 3]]
            images = [image["id"] for image in IMAGES if image["location_id"] == location["id"] and image["allow_ssh_keys"]]
            tags = [f"env={('prod', 'staging', 'dev')[index % 3]}", f"role={('web', 'db', 'cache', 'worker')[index % 4]}"]
            if index % 3 == 0:
                tags.append("backup")
            day = datetime.date(2024, 1, 1) + datetime.timedelta(days=index % 365)
            stamp = f"{day.isoformat()}T{index % 24:02d}:{index % 60:02d}:00.0000000Z"
            server = self._server_record(
                self._new_server_id(), f"srv{index:04d}", location["id"], images[index % len(images)],
                location["cpu_quantity_options"][index % 2], location["ram_size_options"][index % 2], stamp,
                ssh_key_ids=[501] if index % 2 else [], tags=tags, power=index % 7 != 0)
            server["volumes"] = [self._volume("boot", 30720, stamp)]
            bandwidth = max(location["bandwidth_min"], 50)
            server["nics"] = [self._public_nic(server, bandwidth, next(addresses))]
            if index % 5 == 0:
                network = networks[location["id"]]
                address = self._free_isolated_ip(network)
                if address:
                    server["nics"].append(self._isolated_nic(server, network["id"], address))

    def _seed_zone(self) -> None:
        """Zone example.com. with the records of fixture 7.7."""
        self.domains["example.com."] = {"name": "example.com.", "is_delegated": True,
                                        "records": [dict(record) for record in RECORDS], "_deleted": False}

    def _server_record(self, server_id, name, location, image, cpu, ram_mb, created, password=None, ssh_key_ids=(),
                       tags=(), power=True, state="Active") -> dict:
        windows = self._image(image, location)["type"] == "Windows"
        server = {
            "id": server_id, "name": name, "location_id": location, "image_id": image, "cpu": cpu, "ram_mb": ram_mb,
            "state": state, "is_power_on": power, "created": created,
            "login": "Administrator" if windows else "root",  # CHOICE: the Windows login name
            "password": password or seeded_password(server_id),
            "ssh_key_ids": list(ssh_key_ids), "tags": list(tags), "volumes": [], "nics": [],
            "_init_script": None,
        }
        self.servers[server_id] = server
        return server

    def _volume(self, name: str, size_mb: int, created: str | None = None) -> dict:
        return {"id": self._next("volume"), "name": name, "size_mb": size_mb, "created": created or now_iso()}

    def _public_nic(self, server: dict, bandwidth: int, address: str) -> dict:
        nic_id = self._next("nic")
        return {"id": nic_id, "server_id": server["id"], "network_id": PUBLIC_NETWORKS[server["location_id"]],
                "network_type": "PublicShared", "mac": mac_for(nic_id), "ip_address": address, "mask": 24,
                "gateway": address.rsplit(".", 1)[0] + ".1", "bandwidth_mbps": bandwidth}

    def _isolated_nic(self, server: dict, network_id: str, address: str) -> dict:
        nic_id = self._next("nic")
        return {"id": nic_id, "server_id": server["id"], "network_id": network_id, "network_type": "Isolated",
                "mac": mac_for(nic_id), "ip_address": address, "mask": self.networks[network_id]["mask"],
                "gateway": "", "bandwidth_mbps": 0}

    def _used_addresses(self) -> set:
        return {nic["ip_address"] for server in self.servers.values() for nic in server["nics"]}

    def _free_public_ip(self) -> str:
        used = self._used_addresses()
        return next(address for address in public_ipv4_candidates() if address not in used)

    def _free_isolated_ip(self, network: dict) -> str | None:
        used = self._used_addresses()
        net = ipaddress.ip_network(f"{network['network_prefix']}/{network['mask']}", strict=False)
        for offset, address in enumerate(net.hosts()):
            if offset >= 10 and str(address) not in used:  # CHOICE: hosts from .11 up, as in fixture 7.1
                return str(address)
        return None

    # -- catalog lookups ------------------------------------------------------------------------------

    @staticmethod
    def _image(image_id: str, location: str) -> dict | None:
        return next((i for i in IMAGES if i["id"] == image_id and i["location_id"] == location), None)

    @staticmethod
    def _location(location_id) -> dict:
        location = LOCATION_BY_ID.get(location_id) if isinstance(location_id, str) else None
        if location is None:
            # CHOICE: the sheet saw -8049 on VMware endpoints only; used here for every unknown location
            raise ApiError(400, UNKNOWN_LOCATION, f"Location {location_id} not found")
        return location

    # -- views --------------------------------------------------------------------------------------

    @staticmethod
    def _public(data: dict) -> dict:
        return {key: copy.deepcopy(value) for key, value in data.items() if not key.startswith("_")}

    def _network_view(self, network: dict) -> dict:
        view = self._public(network)
        view["server_ids"] = sorted(s["id"] for s in self.servers.values()
                                    if any(nic["network_id"] == network["id"] for nic in s["nics"]))
        view["gateway_ids"] = []
        order = ("id", "name", "location_id", "description", "network_prefix", "mask", "server_ids", "gateway_ids",
                 "state", "created", "tags")
        return {key: view[key] for key in order}

    @staticmethod
    def _task_view(task: dict) -> dict:
        view = {"id": task["id"]}
        view.update(task["ids"])
        view["is_completed"] = task["is_completed"]
        view["created"] = task["created"]
        if task["completed"]:
            view["completed"] = task["completed"]  # absent until the task ends (section 2)
        return view

    def snapshot(self) -> dict:
        return {
            "project": dict(PROJECT),
            "servers": [dict(self._public(s), init_script=s["_init_script"]) for s in self.servers.values()],
            "networks": [self._network_view(n) for n in self.networks.values()],
            "ssh_keys": [dict(k) for k in self.sshkeys.values()],
            "domains": [{"name": d["name"], "is_delegated": d["is_delegated"], "deleted": d["_deleted"],
                         "records": [dict(r) for r in d["records"]]} for d in self.domains.values()],
            "tasks": [dict(self._task_view(t), kind=t["kind"]) for t in self.tasks.values()],
            "locks": {key: dict(value) for key, value in self.locks.items()},
        }

    # -- tasks and object locks -----------------------------------------------------------------------

    def _check_free(self, lock: str) -> None:
        entry = self.locks.get(lock)
        if entry is None:
            return
        if entry["settling"]:
            # CHOICE: the sheet saw -19803 on gateways still busy after their task; used here for every
            # object inside the settle_seconds window
            raise ApiError(400, BUSY_AFTER_TASK, SETTLING_MESSAGE)
        raise ApiError(400, BUSY, BUSY_MESSAGE)

    def _start_task(self, kind: str, lock: str | None, ids: dict, done, failed=None) -> str:
        """A task on the object ``lock``: ``done()`` (returning id fields to add) runs when it completes,
        ``failed()`` when the fail_tasks/cancel_tasks knobs (read now) make it end Failed/Canceled."""
        if kind.startswith(("domain_", "record_")):
            task_id = f"dns{self._next('dns_task')}"
        else:
            task_id = f"l1t{self._next('task')}"
        if kind_listed(kind, csv_set(self.knobs["fail_tasks"])):
            outcome = "Failed"
        elif kind_listed(kind, csv_set(self.knobs["cancel_tasks"])):
            outcome = "Canceled"
        else:
            outcome = "Completed"
        task = {"id": task_id, "kind": kind, "ids": dict(ids), "is_completed": "New", "created": now_iso(),
                "completed": None}
        self.tasks[task_id] = task
        if lock:
            self.locks[lock] = {"task": task_id, "settling": False}
        seconds = self.knobs["task_seconds"]

        def progress():
            if task["is_completed"] == "New":
                task["is_completed"] = "InProgress"

        def finish():
            if outcome == "Completed":
                task["ids"].update(done() or {})
            elif failed:
                failed()
            task["is_completed"] = outcome
            task["completed"] = now_iso()
            if lock:
                self._release(lock, task_id)

        self.schedule(seconds * 0.2, progress)
        self.schedule(seconds, finish)
        return task_id

    def _release(self, lock: str, task_id: str) -> None:
        settle = self.knobs["settle_seconds"]
        if settle > 0:
            self.locks[lock] = {"task": task_id, "settling": True}
            self.schedule(settle, lambda: self._unlock(lock, task_id))
        else:
            self._unlock(lock, task_id)

    def _unlock(self, lock: str, task_id: str) -> None:
        if self.locks.get(lock, {}).get("task") == task_id:
            del self.locks[lock]
        kind, key = lock.split(":", 1)
        if kind == "server" and key in self.servers and lock not in self.locks:
            self.servers[key]["state"] = "Active"

    def _linger(self, remove) -> None:
        """Run ``remove`` after record_linger_seconds (now when 0)."""
        if self.knobs["record_linger_seconds"] > 0:
            self.schedule(self.knobs["record_linger_seconds"], remove)
        else:
            remove()

    def _accepted(self, task_id: str, status: int = 200, kind: str | None = None, extra: dict | None = None) -> Response:
        if kind and kind in csv_set(self.knobs["empty_body_for"]):
            return Response(200, b"", {})
        body = {"task_id": task_id}
        body.update(extra or {})
        return Response.from_json(body, status)

    # -- request handling -------------------------------------------------------------------------------

    def is_mutating(self, request: Request) -> bool:
        return request.method in MUTATING_METHODS

    def log_fields(self, request: Request) -> dict:
        return {"operation": resolve(request.method, request.path)[0]}

    def _error_response(self, exc: ApiError) -> Response:
        shape = self.knobs["error_shape"]
        if shape == "text":
            return Response.from_text(exc.message, exc.status)
        if shape == "error":
            return Response.from_json({"error": exc.message}, exc.status)
        if shape == "message":
            return Response.from_json({"message": exc.message}, exc.status)
        entry = {"code": exc.code, "message": exc.message}
        if exc.params:
            entry["error_params"] = exc.params
        return Response.from_json({"errors": [entry]}, exc.status)

    def internal_error(self, request: Request, exc: Exception) -> Response:
        return self._error_response(ApiError(500, -500, f"Internal error: {exc}"))

    def handle(self, request: Request) -> Response:
        try:
            if request.header("X-API-KEY") != self.knobs["api_key"]:
                # CHOICE: body and code invented; the status is the auth_status knob (401 by default)
                raise ApiError(self.knobs["auth_status"], UNAUTHORIZED, "Unauthorized: the API key is missing, invalid or expired")
            operation, params, allowed = resolve(request.method, request.path)
            if operation is None:
                if allowed:
                    raise ApiError(405, INVALID, f"The method {request.method} is not allowed for this resource")
                raise not_found("Resource")
            handler = getattr(self, "_op_" + ("power" if operation.startswith("power_") else operation))
            return handler(request, params)
        except ApiError as exc:
            response = self._error_response(exc)
            if exc.status == 405:
                response.headers["Allow"] = ", ".join(resolve("", request.path)[2])
            return response

    @staticmethod
    def _body(request: Request, required: bool = True) -> dict:
        if not request.body.strip():
            if required:
                raise invalid("body", "The request body is required")
            return {}
        if request.content_type != "application/json" and not request.content_type.endswith("+json"):
            raise ApiError(415, INVALID, "Unsupported media type: send the body as application/json")
        if request.json_error:
            raise invalid("body", f"The request body is not valid JSON: {request.json_error}")
        if not isinstance(request.json_body, dict):
            raise invalid("body", "The request body must be a JSON object")
        return request.json_body

    # -- project and catalog ---------------------------------------------------------------------------

    def _op_project_get(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"project": dict(PROJECT)})

    def _op_locations_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"locations": copy.deepcopy(LOCATIONS)})

    def _op_images_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"images": copy.deepcopy(IMAGES)})

    # -- servers ---------------------------------------------------------------------------------------

    def _server(self, server_id: str) -> dict:
        server = self.servers.get(server_id)
        if server is None:
            raise not_found("Server")
        return server

    def _op_servers_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"servers": [self._public(s) for s in self.servers.values()]})

    def _op_server_get(self, request, params):
        return Response.from_json({"server": self._public(self._server(params["sid"]))})

    def _check_size(self, location: dict, size, field: str, minimum: int) -> int:
        step = self.knobs["volume_step_mb"]
        if isinstance(size, bool) or not isinstance(size, int):
            raise invalid(field, f"The field '{field}' must be an integer")
        if size % step:
            raise invalid(field, f"The volume size must be a multiple of {step} MB")
        if not minimum <= size <= location["volume_max"]:
            raise invalid(field, f"The volume size must be between {minimum} and {location['volume_max']} MB")
        return size

    @staticmethod
    def _check_bandwidth(location: dict, value, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(field, f"The field '{field}' must be an integer")
        if value % 10 or not location["bandwidth_min"] <= value <= location["bandwidth_max"]:
            raise invalid(field, f"The bandwidth must be a multiple of 10 between {location['bandwidth_min']} "
                                 f"and {location['bandwidth_max']} Mbps")
        return value

    @staticmethod
    def _check_shape(location: dict, cpu: int | None, ram_mb: int | None) -> None:
        if cpu is not None and cpu not in location["cpu_quantity_options"]:
            raise invalid("cpu", f"The cpu value {cpu} is not allowed in {location['id']}; "
                                 f"allowed: {', '.join(map(str, location['cpu_quantity_options']))}")
        if ram_mb is not None and ram_mb not in location["ram_size_options"]:
            raise invalid("ram_mb", f"The ram_mb value {ram_mb} is not allowed in {location['id']}; "
                                    f"allowed: {', '.join(map(str, location['ram_size_options']))}")

    @staticmethod
    def _check_server_name(name: str) -> str:
        if len(name) > 63 or not SERVER_NAME_RE.match(name):  # CHOICE: hostname-like, at most 63 characters
            raise invalid("name", "The server name must be a valid host name (letters, digits, '-' and '.')")
        return name

    @staticmethod
    def _check_tags(tags: list) -> list:
        if not all(isinstance(tag, str) and tag.strip() for tag in tags):
            raise invalid("tags", "Every tag must be a non-empty string")
        return list(dict.fromkeys(tags))

    def _network_spec(self, location: dict, item, index: int, server: dict | None = None) -> dict:
        """One ``networks[]`` item of a create, or the body of ``POST servers/{id}/nics``."""
        field = f"networks[{index}]" if server is None else "body"
        if not isinstance(item, dict):
            raise invalid(field, f"{field} must be an object")
        has_bw, has_net = item.get("bandwidth_mbps") is not None, item.get("network_id") is not None
        if has_bw == has_net:
            raise invalid(field, "Give either bandwidth_mbps (public) or network_id (isolated), not both")
        if has_bw:
            return {"bandwidth_mbps": self._check_bandwidth(location, item["bandwidth_mbps"], "bandwidth_mbps")}
        network = self.networks.get(item["network_id"]) if isinstance(item["network_id"], str) else None
        if network is None:
            raise not_found("Network")
        if network["location_id"] != location["id"]:
            raise invalid("network_id", f"The network {network['id']} is not in location {location['id']}")
        if server is not None and any(nic["network_id"] == network["id"] for nic in server["nics"]):
            raise ApiError(400, EXISTS, f"The server is already connected to network {network['id']}")
        spec = {"network_id": network["id"]}
        address = item.get("ip_address")
        if address is not None:
            net = ipaddress.ip_network(f"{network['network_prefix']}/{network['mask']}", strict=False)
            try:
                parsed = ipaddress.ip_address(address) if isinstance(address, str) else None
            except ValueError:
                parsed = None
            if parsed is None or parsed not in net or parsed in (net.network_address, net.broadcast_address):
                raise invalid("ip_address", f"The address {address} is not a host address of {net}")
            if str(parsed) in self._used_addresses():
                raise ApiError(400, EXISTS, f"The address {parsed} is already in use")
            spec["ip_address"] = str(parsed)
        return spec

    def _attach(self, server: dict, spec: dict) -> dict | None:
        if "bandwidth_mbps" in spec:
            nic = self._public_nic(server, spec["bandwidth_mbps"], self._free_public_ip())
        else:
            network = self.networks.get(spec["network_id"])
            address = spec.get("ip_address") or (self._free_isolated_ip(network) if network else None)
            if network is None or address is None:
                return None  # CHOICE: the network vanished or is full: the NIC is silently not created
            nic = self._isolated_nic(server, network["id"], address)
        server["nics"].append(nic)
        return nic

    def _op_server_create(self, request, params):  # pylint: disable=unused-argument
        body = self._body(request)
        name = self._check_server_name(field_str(body, "name"))
        location = self._location(field_str(body, "location_id"))
        image = self._image(field_str(body, "image_id"), location["id"])
        if image is None:
            raise invalid("image_id", f"The image {body['image_id']} is not available in {location['id']}")
        cpu, ram_mb = field_int(body, "cpu"), field_int(body, "ram_mb")
        self._check_shape(location, cpu, ram_mb)
        volumes = field_list(body, "volumes", required=True)
        names = []
        for index, item in enumerate(volumes):
            if not isinstance(item, dict):
                raise invalid(f"volumes[{index}]", f"volumes[{index}] must be an object")
            vname = field_str(item, "name")
            if vname in names:
                raise invalid("volumes", f"The volume name {vname} is used twice")
            names.append(vname)
            minimum = (location["windows_system_volume_min"] if image["type"] == "Windows" else location["system_volume_min"]) \
                if vname == "boot" else location["additional_volume_min"]
            self._check_size(location, item.get("size_mb"), f"volumes[{index}].size_mb", minimum)
        if "boot" not in names:
            raise invalid("volumes", "The volumes must include the system volume named 'boot'")
        if len(volumes) > 5:  # CHOICE: TFSS allowed the boot volume plus 4 extra volumes
            raise invalid("volumes", "At most 5 volumes are allowed")
        # CHOICE: at least one network is required ("yes in practice"); at most 5 (TFSS)
        networks = field_list(body, "networks", required=True)
        if not 1 <= len(networks) <= 5:
            raise invalid("networks", "Give between 1 and 5 networks")
        specs = [self._network_spec(location, item, index) for index, item in enumerate(networks)]
        isolated = [spec["network_id"] for spec in specs if "network_id" in spec]
        if len(isolated) != len(set(isolated)):
            raise invalid("networks", "A network is given twice")
        ssh_key_ids = field_list(body, "ssh_key_ids")
        for key_id in ssh_key_ids:
            if isinstance(key_id, bool) or not isinstance(key_id, int):
                raise invalid("ssh_key_ids", "ssh_key_ids must be a list of integers")
            if key_id not in self.sshkeys:
                raise invalid("ssh_key_ids", f"The SSH key {key_id} does not exist")
        if ssh_key_ids and not image["allow_ssh_keys"]:
            # CHOICE: refused rather than ignored (the sheet only says the keys are useless there)
            raise invalid("ssh_key_ids", f"The image {image['id']} does not support SSH keys")
        tags = self._check_tags(field_list(body, "tags"))
        init_script = field_str(body, "server_init_script", required=False, allow_empty=True)
        # application_ids / affinity_group_id and unknown fields are ignored (CHOICE)

        server_id = self._new_server_id()
        server = self._server_record(server_id, name, location["id"], image["id"], cpu, ram_mb, now_iso(),
                                     ssh_key_ids=list(dict.fromkeys(ssh_key_ids)), tags=tags, power=False, state="New")
        server["_init_script"] = init_script
        wanted_volumes = [(item["name"], item["size_mb"]) for item in volumes]
        wanted_volumes.sort(key=lambda pair: pair[0] != "boot")

        def done():
            server["volumes"] = [self._volume(vname, size) for vname, size in wanted_volumes]
            for spec in specs:
                self._attach(server, spec)
            server["is_power_on"] = True
            return {"server_id": server_id, "location_id": location["id"]}

        def failed():
            self.servers.pop(server_id, None)  # CHOICE: a failed creation leaves no server behind

        task_id = self._start_task("server_create", f"server:{server_id}", {}, done, failed)
        extra = {"server_id": server_id} if self.knobs["create_returns_server_id"] else None
        return self._accepted(task_id, 201, extra=extra)

    def _server_task(self, server: dict, kind: str, done, failed=None, extra_ids: dict | None = None) -> str:
        """Lock ``server`` (state Busy) for a task of ``kind``; raises -4000 when it is busy."""
        lock = f"server:{server['id']}"
        self._check_free(lock)
        server["state"] = "Busy"
        ids = {"server_id": server["id"]}
        ids.update(extra_ids or {})
        return self._start_task(kind, lock, ids, done, failed)

    def _resize(self, request, params, partial: bool):
        methods = {m.upper() for m in csv_set(self.knobs["resize_methods"])}
        if request.method not in methods:
            raise ApiError(405, INVALID, f"The method {request.method} is not allowed for this resource")
        server = self._server(params["sid"])
        body = self._body(request)
        cpu = field_int(body, "cpu", required=not partial)
        ram_mb = field_int(body, "ram_mb", required=not partial)
        if cpu is None and ram_mb is None:
            raise invalid("body", "Give cpu, ram_mb or both")
        self._check_shape(self._location(server["location_id"]), cpu, ram_mb)
        self._check_free(f"server:{server['id']}")

        def done():
            if cpu is not None:
                server["cpu"] = cpu
            if ram_mb is not None:
                server["ram_mb"] = ram_mb

        return self._accepted(self._server_task(server, "server_update", done))

    def _op_server_put(self, request, params):
        return self._resize(request, params, partial=False)

    def _op_server_patch(self, request, params):
        return self._resize(request, params, partial=True)

    def _op_server_rename(self, request, params):
        if not self.knobs["rename_route"]:
            raise not_found("Resource")
        server = self._server(params["sid"])
        name = self._check_server_name(field_str(self._body(request), "name"))

        def done():
            server["name"] = name

        return self._accepted(self._server_task(server, "server_rename", done))

    def _op_server_delete(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        server_id = server["id"]

        def done():
            self.servers.pop(server_id, None)

        return self._accepted(self._server_task(server, "server_delete", done), kind="delete")

    def _op_power(self, request, params):
        server = self._server(params["sid"])
        action = params["action"]
        self._body(request, required=False)  # {} or nothing
        self._check_free(f"server:{server['id']}")
        on = server["is_power_on"]
        redundant = (action == "on" and on) or (action != "on" and not on)
        if redundant and self.knobs["redundant_power"] == "error":
            raise ApiError(400, REDUNDANT_POWER, f"The server is already powered {'on' if on else 'off'}")

        def done():
            if redundant:
                return  # CHOICE (redundant_power=noop): the task completes and changes nothing
            if action == "on" or action in ("reboot", "reset"):
                server["is_power_on"] = True
            elif action == "off" or not self.knobs["acpi_ignored"]:
                server["is_power_on"] = False

        return self._accepted(self._server_task(server, f"power_{action}", done), kind="power")

    # -- tags -----------------------------------------------------------------------------------------

    def _op_tag_add(self, request, params):
        server = self._server(params["sid"])
        value = field_str(self._body(request), "value")
        self._check_free(f"server:{server['id']}")  # CHOICE: a tag change is a change of the server
        if value in server["tags"]:
            raise ApiError(400, EXISTS, f"The tag {value} already exists")  # CHOICE
        server["tags"].append(value)
        return Response(200, b"", {})  # CHOICE: synchronous, 200 with an empty body (the answer is undocumented)

    def _op_tag_delete(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        self._check_free(f"server:{server['id']}")
        if params["tag"] not in server["tags"]:
            raise not_found("Tag")
        server["tags"].remove(params["tag"])
        return Response(200, b"", {})

    # -- NICs -----------------------------------------------------------------------------------------

    def _nic(self, server: dict, nic_id: str) -> dict:
        wanted = parse_id(nic_id, "NIC")
        nic = next((n for n in server["nics"] if n["id"] == wanted), None)
        if nic is None:
            raise not_found("NIC")
        return nic

    def _op_nics_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"nics": copy.deepcopy(self._server(params["sid"])["nics"])})

    def _op_nic_get(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        return Response.from_json({"nic": dict(self._nic(server, params["nid"]))})

    def _op_nic_create(self, request, params):
        server = self._server(params["sid"])
        body = self._body(request)
        self._check_free(f"server:{server['id']}")
        spec = self._network_spec(self._location(server["location_id"]), body, 0, server)

        def done():
            nic = self._attach(server, spec)
            return {"nic_id": nic["id"]} if nic else {}

        return self._accepted(self._server_task(server, "nic_create", done), 201)

    def _op_nic_update(self, request, params):
        server = self._server(params["sid"])
        nic = self._nic(server, params["nid"])
        body = self._body(request)
        if nic["network_type"] != "PublicShared":
            raise invalid("bandwidth_mbps", "Only public NICs have a bandwidth")
        bandwidth = self._check_bandwidth(self._location(server["location_id"]), body.get("bandwidth_mbps"), "bandwidth_mbps")

        def done():
            nic["bandwidth_mbps"] = bandwidth

        return self._accepted(self._server_task(server, "nic_update", done, extra_ids={"nic_id": nic["id"]}))

    def _op_nic_delete(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        nic = self._nic(server, params["nid"])

        def done():
            if nic in server["nics"]:
                server["nics"].remove(nic)

        task_id = self._server_task(server, "nic_delete", done, extra_ids={"nic_id": nic["id"]})
        return self._accepted(task_id, kind="delete")

    # -- volumes --------------------------------------------------------------------------------------

    @staticmethod
    def _volume_view(server: dict, volume: dict) -> dict:
        return dict(volume, server_id=server["id"])

    def _find_volume(self, server: dict, volume_id: str) -> dict:
        wanted = parse_id(volume_id, "Volume")
        volume = next((v for v in server["volumes"] if v["id"] == wanted), None)
        if volume is None:
            raise not_found("Volume")
        return volume

    def _op_volumes_list(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        return Response.from_json({"volumes": [self._volume_view(server, v) for v in server["volumes"]]})

    def _op_volume_get(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        return Response.from_json({"volume": self._volume_view(server, self._find_volume(server, params["vid"]))})

    def _op_volume_create(self, request, params):
        server = self._server(params["sid"])
        body = self._body(request)
        name = field_str(body, "name")
        location = self._location(server["location_id"])
        size = self._check_size(location, body.get("size_mb"), "size_mb", location["additional_volume_min"])
        self._check_free(f"server:{server['id']}")
        if any(v["name"] == name for v in server["volumes"]):
            raise ApiError(400, EXISTS, f"The volume {name} already exists")  # CHOICE: names unique per server
        if len(server["volumes"]) >= 5:
            raise invalid("volumes", "At most 5 volumes are allowed")

        def done():
            volume = self._volume(name, size)
            server["volumes"].append(volume)
            return {"volume_id": volume["id"]}

        return self._accepted(self._server_task(server, "volume_create", done), 201)

    def _op_volume_update(self, request, params):
        server = self._server(params["sid"])
        volume = self._find_volume(server, params["vid"])
        body = self._body(request)
        location = self._location(server["location_id"])
        size = self._check_size(location, body.get("size_mb"), "size_mb", 1)
        if size < volume["size_mb"]:
            raise invalid("size_mb", f"The volume size can only be increased (now {volume['size_mb']} MB)")
        name = field_str(body, "name", required=False, default=volume["name"])
        if name != volume["name"]:
            if volume["name"] == "boot" or name == "boot":
                raise invalid("name", "The system volume 'boot' cannot be renamed")
            if any(v["name"] == name for v in server["volumes"]):
                raise ApiError(400, EXISTS, f"The volume {name} already exists")

        def done():
            volume["size_mb"] = size
            volume["name"] = name

        task_id = self._server_task(server, "volume_update", done, extra_ids={"volume_id": volume["id"]})
        return self._accepted(task_id)

    def _op_volume_delete(self, request, params):  # pylint: disable=unused-argument
        server = self._server(params["sid"])
        volume = self._find_volume(server, params["vid"])
        if volume["name"] == "boot":
            raise invalid("volume_id", "The system volume 'boot' cannot be deleted")

        def done():
            if volume in server["volumes"]:
                server["volumes"].remove(volume)

        task_id = self._server_task(server, "volume_delete", done, extra_ids={"volume_id": volume["id"]})
        return self._accepted(task_id, kind="delete")

    # -- isolated networks ------------------------------------------------------------------------------

    def _network(self, network_id: str) -> dict:
        network = self.networks.get(network_id)
        if network is None:
            raise not_found("Network")
        return network

    def _op_networks_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"isolated_networks": [self._network_view(n) for n in self.networks.values()]})

    def _op_network_get(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"isolated_network": self._network_view(self._network(params["net"]))})

    def _op_network_create(self, request, params):  # pylint: disable=unused-argument
        body = self._body(request)
        name = field_str(body, "name")
        location = self._location(field_str(body, "location_id"))
        description = field_str(body, "description", required=False, default="", allow_empty=True)
        prefix = field_str(body, "network_prefix", required=False, default="10.0.0.0")  # CHOICE: defaults
        mask = field_int(body, "mask", required=False, default=24)
        try:
            net = ipaddress.IPv4Network(f"{prefix}/{mask}")
        except ValueError as exc:
            raise invalid("network_prefix", f"Invalid network {prefix}/{mask}: {exc}") from exc
        if not net.is_private or not 16 <= mask <= 29:
            raise invalid("network_prefix", "The network must be a private IPv4 range with a mask from 16 to 29")

        def done():
            network = self._new_network(name, location["id"], str(net.network_address), mask, description)
            return {"network_id": network["id"], "location_id": location["id"]}

        return self._accepted(self._start_task("network_create", None, {}, done), 201)

    def _op_network_update(self, request, params):
        network = self._network(params["net"])
        body = self._body(request)
        name = field_str(body, "name")
        description = field_str(body, "description", required=False, default=network["description"], allow_empty=True)
        lock = f"network:{network['id']}"
        self._check_free(lock)

        def done():
            network["name"], network["description"] = name, description

        # CHOICE: asynchronous like GOSS (VSDK reads a synchronous {"isolated_network"})
        return self._accepted(self._start_task("network_update", lock, {"network_id": network["id"]}, done))

    def _op_network_delete(self, request, params):  # pylint: disable=unused-argument
        network = self._network(params["net"])
        lock = f"network:{network['id']}"
        self._check_free(lock)
        if self._network_view(network)["server_ids"]:
            raise ApiError(400, NETWORK_IN_USE, "The network cannot be deleted while servers or gateways are attached")

        def done():
            self.networks.pop(network["id"], None)

        task_id = self._start_task("network_delete", lock, {"network_id": network["id"]}, done)
        return self._accepted(task_id, kind="delete")

    # -- SSH keys (synchronous) ----------------------------------------------------------------------------

    def _sshkey(self, key_id: str) -> dict:
        key = self.sshkeys.get(parse_id(key_id, "SSH key"))
        if key is None:
            raise not_found("SSH key")
        return key

    def _op_sshkeys_list(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({self.knobs["ssh_keys_list_key"]: [dict(k) for k in self.sshkeys.values()]})

    def _op_sshkey_get(self, request, params):  # pylint: disable=unused-argument
        return Response.from_json({"ssh_key": dict(self._sshkey(params["kid"]))})

    def _op_sshkey_create(self, request, params):  # pylint: disable=unused-argument
        body = self._body(request)
        name = field_str(body, "name")
        if len(name) > 50:  # CHOICE: the 50-character limit of API key names, applied to SSH key names
            raise invalid("name", "The key name must be at most 50 characters long")
        public_key = field_str(body, "public_key")
        if not valid_public_key(public_key):
            raise invalid("public_key", "The public key must be in OpenSSH or SSH2 (RFC 4716) format")
        if self.knobs["sshkey_unique_names"] and any(k["name"] == name for k in self.sshkeys.values()):
            raise ApiError(400, EXISTS, f"An SSH key named {name} already exists")
        key = {"id": self._next("sshkey"), "name": name, "public_key": public_key}  # stored as given
        self.sshkeys[key["id"]] = key
        return Response.from_json(dict(key), 201)

    def _op_sshkey_delete(self, request, params):  # pylint: disable=unused-argument
        key = self._sshkey(params["kid"])
        del self.sshkeys[key["id"]]
        return Response(200, b"", {})  # CHOICE: 200 with an empty body

    # -- DNS -------------------------------------------------------------------------------------------

    def _domain(self, name: str, writable: bool = False) -> dict:
        domain = self.domains.get(fqdn(name))
        if domain is None or (writable and domain["_deleted"]):
            raise not_found("Domain")
        return domain

    @staticmethod
    def _domain_lock(domain_name: str) -> str:
        return f"domain:{domain_name}"

    def _op_domains_list(self, request, params):  # pylint: disable=unused-argument
        # CHOICE: list items carry name and is_delegated, not the records
        return Response.from_json({"domains": [{"name": d["name"], "is_delegated": d["is_delegated"]}
                                               for d in self.domains.values()]})

    def _op_domain_get(self, request, params):  # pylint: disable=unused-argument
        domain = self._domain(params["dom"])
        return Response.from_json({"domain": {"name": domain["name"], "is_delegated": domain["is_delegated"],
                                              "records": [dict(r) for r in domain["records"]]}})

    def _op_domain_create(self, request, params):  # pylint: disable=unused-argument
        body = self._body(request)
        name = fqdn(field_str(body, "name"))
        if name.count(".") < 2 or not valid_dns_name(name) or "*" in name:
            raise invalid("name", f"The domain name {body['name']} is not valid")
        if "migrate_records" in body and not isinstance(body["migrate_records"], bool):
            raise invalid("migrate_records", "The field 'migrate_records' must be a boolean")
        lock = self._domain_lock(name)
        self._check_free(lock)
        if name in self.domains:
            raise ApiError(400, EXISTS, "Domain already exists")

        def done():
            # CHOICE: the zone appears when the task completes, with the platform's two NS records
            # (migrate_records has nothing to migrate in the fake)
            records = [{"id": self._next("record"), "name": name, "type": "NS", "ttl": "1d", "name_server_host": host}
                       for host in PLATFORM_NS]
            self.domains[name] = {"name": name, "is_delegated": False, "records": records, "_deleted": False}

        return self._accepted(self._start_task("domain_create", lock, {"domain_id": name}, done), 201)

    def _op_domain_delete(self, request, params):  # pylint: disable=unused-argument
        domain = self._domain(params["dom"], writable=True)
        lock = self._domain_lock(domain["name"])
        self._check_free(lock)

        def done():
            domain["_deleted"] = True

            def remove():
                if self.domains.get(domain["name"]) is domain:
                    del self.domains[domain["name"]]

            self._linger(remove)

        task_id = self._start_task("domain_delete", lock, {"domain_id": domain["name"]}, done)
        return self._accepted(task_id, kind="delete")

    def _record(self, domain: dict, record_id: str, writable: bool = False) -> dict:
        wanted = parse_id(record_id, "Record")
        record = next((r for r in domain["records"] if r["id"] == wanted), None)
        if record is None or (writable and record.get("_deleted")):
            raise not_found("Record")
        return record

    @staticmethod
    def _record_view(record: dict) -> dict:
        return {key: value for key, value in record.items() if not key.startswith("_")}

    def _op_records_list(self, request, params):  # pylint: disable=unused-argument
        domain = self._domain(params["dom"])
        return Response.from_json({"records": [self._record_view(r) for r in domain["records"]]})

    def _op_record_get(self, request, params):  # pylint: disable=unused-argument
        domain = self._domain(params["dom"])
        return Response.from_json({"record": self._record_view(self._record(domain, params["rid"]))})

    def _record_name(self, domain: dict, raw: str) -> str:
        """FQDN of a record name: ``x.`` as given; ``@``, the zone or ``*.zone`` without the dot as FQDN;
        anything else without a trailing dot is relative to the zone (CHOICE: the vendor CLI sent ``www``)."""
        zone = domain["name"]
        text = raw.strip().lower()
        if text in ("@", ""):
            return zone
        if text.endswith("."):
            name = text
        elif fqdn(text) == zone or fqdn(text).endswith("." + zone):
            name = fqdn(text)
        else:
            name = f"{text}.{zone}"
        if not valid_dns_name(name) or not (name == zone or name.endswith("." + zone)):
            raise invalid("name", f"The record name {raw} is not a name inside {zone}")
        return name

    def _record_fields(self, domain: dict, body: dict) -> dict:
        """A complete, normalised record (without id) from a POST/PUT body."""
        rtype = field_str(body, "type").strip().upper()  # CHOICE: the type is case-insensitive
        if rtype not in RECORD_FIELDS:
            raise invalid("type", f"The record type {body['type']} is not supported; use {', '.join(RECORD_FIELDS)}")
        ttl = field_str(body, "ttl")
        if ttl not in TTLS:
            raise invalid("ttl", f"The ttl {ttl} is not allowed; use one of {', '.join(TTLS)}")
        record = {"name": self._record_name(domain, field_str(body, "name")), "type": rtype, "ttl": ttl}
        for field in RECORD_FIELDS[rtype]:
            if field in ("priority", "weight", "port"):
                value = field_int(body, field)
                if not (1 if field == "port" else 0) <= value <= 65535:
                    raise invalid(field, f"The field '{field}' is out of range")
            else:
                value = field_str(body, field)
            if field == "ip":
                try:
                    address = ipaddress.ip_address(value.strip())
                except ValueError as exc:
                    raise invalid("ip", f"The address {value} is not valid") from exc
                if address.version != (4 if rtype == "A" else 6):
                    raise invalid("ip", f"An {rtype} record needs an IPv{4 if rtype == 'A' else 6} address")
                value = str(address)
            elif field in HOST_FIELDS:
                value = fqdn(value)  # CHOICE: host values are absolute; a missing trailing dot is added
                if not valid_dns_name(value) or "*" in value:
                    raise invalid(field, f"The host name {body[field]} is not valid")
            elif field == "text":
                # read back wrapped in double quotes (section 5.13); CHOICE: an already quoted value is not wrapped again
                value = value if len(value) >= 2 and value[0] == value[-1] == '"' else f'"{value}"'
            elif field == "service":
                value = value.strip().lstrip("_")
            elif field == "protocol":
                value = value.strip().upper()
                if value not in SRV_PROTOCOLS:
                    raise invalid("protocol", f"The protocol must be one of {', '.join(SRV_PROTOCOLS)}")
            record[field] = value
        if rtype == "SRV":
            # the server adds the _service._proto. prefix to the base name itself (on POST and PUT)
            record["name"] = f"_{record['service']}._{record['protocol'].lower()}.{record['name']}"
        return record

    @staticmethod
    def _same_record(one: dict, other: dict) -> bool:
        if one["name"] != other["name"] or one["type"] != other["type"]:
            return False
        if one["type"] == "CNAME":
            return True  # one CNAME per name
        return all(one.get(f) == other.get(f) for f in RECORD_FIELDS[one["type"]])

    def _check_duplicate(self, domain: dict, record: dict, skip_id: int | None = None) -> None:
        for other in domain["records"]:
            if other["id"] != skip_id and not other.get("_deleted") and self._same_record(record, other):
                raise ApiError(400, EXISTS, "Record already exists")

    def _op_record_create(self, request, params):
        domain = self._domain(params["dom"], writable=True)
        record = self._record_fields(domain, self._body(request))
        lock = self._domain_lock(domain["name"])
        self._check_free(lock)
        self._check_duplicate(domain, record)

        def done():
            created = {"id": self._next("record")}
            created.update(record)
            domain["records"].append(created)
            return {"record_id": created["id"]}

        return self._accepted(self._start_task("record_create", lock, {"domain_id": domain["name"]}, done), 201)

    def _op_record_update(self, request, params):
        domain = self._domain(params["dom"], writable=True)
        record = self._record(domain, params["rid"], writable=True)
        fields = self._record_fields(domain, self._body(request))
        if fields["type"] != record["type"]:
            raise invalid("type", "The record type cannot be changed; delete the record and create a new one")  # CHOICE
        lock = self._domain_lock(domain["name"])
        self._check_free(lock)
        self._check_duplicate(domain, fields, skip_id=record["id"])

        def done():
            for key in [k for k in record if k != "id"]:
                del record[key]
            record.update(fields)

        ids = {"domain_id": domain["name"], "record_id": record["id"]}
        return self._accepted(self._start_task("record_update", lock, ids, done))

    def _op_record_delete(self, request, params):  # pylint: disable=unused-argument
        domain = self._domain(params["dom"], writable=True)
        record = self._record(domain, params["rid"], writable=True)
        lock = self._domain_lock(domain["name"])
        self._check_free(lock)

        def done():
            record["_deleted"] = True  # still readable for record_linger_seconds; further changes answer 404

            def remove():
                if record in domain["records"]:
                    domain["records"].remove(record)

            self._linger(remove)

        ids = {"domain_id": domain["name"], "record_id": record["id"]}
        return self._accepted(self._start_task("record_delete", lock, ids, done), kind="delete")

    # -- tasks -----------------------------------------------------------------------------------------

    def _op_task_get(self, request, params):  # pylint: disable=unused-argument
        task = self.tasks.get(params["tid"])
        if task is None:
            raise not_found("Task")
        return Response.from_json({"task": self._task_view(task)})
