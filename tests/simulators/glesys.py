"""Stateful fake of the GleSYS API (``https://api.glesys.com/<module>/<function>``).

Written from ``providers/glesys.md`` only.  Where the fact sheet marks something as
unverified, the choice made here is noted next to the code with "CHOICE:".
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import ipaddress
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .core import Args, BadRequest, Request, Response, Simulator, as_int, as_json_value

PROJECT = "cl12345"
API_KEY = "glesys-sim-key-7c1e9a"
ORGANIZATION = "123456"

AUTH_FAILED = "Authentication failed. Double check the username and key."
UNKNOWN_MODULE = "Unknown module. Please specify module (ex: api.glesys.com/module/)"
UNKNOWN_FUNCTION = "Unknown function. Please specify function (ex: api.glesys.com/module/function"
SERVER_LOCKED = "The server is locked by a running task. Try again later."

DATACENTERS = ("Falkenberg", "Stockholm", "Amsterdam", "Oslo")
PLATFORMS = ("KVM", "VMware")
ALLOWED_VALUES = {
    "disksize": list(range(5, 101, 5)) + list(range(150, 1001, 50)) + [1500, 2000],
    "memorysize": [512] + list(range(1024, 16385, 1024)) + [24576, 32768, 49152, 65536],
    "cpucores": list(range(1, 17)),
    "bandwidth": [100, 200, 300, 500, 1000],
}
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "CAA", "PTR", "SOA", "URL")
SSH_KEY_RE = re.compile(r"^(?P<type>[a-z][a-z0-9@.-]+) (?P<blob>[A-Za-z0-9+/]+={0,2})( .*)?$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$", re.I)

IPV4_NAMESERVERS = ["203.0.113.53", "203.0.113.54"]
IPV6_NAMESERVERS = ["2001:db8::53"]
IPV6_NET = ipaddress.IPv6Network("2001:db8:0:1::/64")
NS_DEFAULTS = ("ns1.namesystem.se.", "ns2.namesystem.se.", "ns3.namesystem.se.")
SOA_DEFAULTS = {"primarynameserver": "ns1.namesystem.se.", "responsibleperson": "registry.glesys.se.",
                "ttl": 3600, "refresh": 10800, "retry": 2700, "expire": 1814400, "minimum": 10800}
FIXED_TIME = "2025-03-14T10:00:00+01:00"


# ---------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------

def _template(platform, name, tags=(), template_id=None, os_name="linux", min_disk=5, min_mem=512,
              bootstrap="CLOUD_INIT", license_cost=0.0):
    return {
        "id": template_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"glesys-sim/{platform}/{name}")),
        "name": name, "platform": platform, "operatingsystem": os_name,
        "minimumdisksize": min_disk, "minimummemorysize": min_mem,
        "instancecost": {"amount": 0.0, "currency": "SEK", "timeperiod": "month"},
        "licensecost": {"amount": license_cost, "currency": "SEK", "timeperiod": "month"},
        "bootstrapmethod": bootstrap,
        "_tags": list(tags),  # not part of the API's template item; matched by server/create, shown as currenttags
    }


TEMPLATES = [
    _template("KVM", "Debian 12 (Bookworm)", ("debian-12", "debian-latest"), "5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31"),
    _template("KVM", "Debian 11 (Bullseye)", ("debian-11",)),
    _template("KVM", "Ubuntu 22.04 LTS (Jammy Jellyfish)", ("ubuntu-22-04",)),
    _template("KVM", "Ubuntu 24.04 LTS (Noble Numbat)", ("ubuntu-24-04", "ubuntu-latest")),
    _template("KVM", "Rocky Linux 9", ("rocky-9",), min_disk=10, min_mem=1024),
    _template("VMware", "Debian 12 (Bookworm)", bootstrap="DEPLOY_SCRIPT"),
    _template("VMware", "Ubuntu 22.04 LTS (Jammy Jellyfish)", template_id="c3e9d2a8-7f61-4b0e-8a2d-6e4f1b3c9a10",
              bootstrap="DEPLOY_SCRIPT"),
    _template("VMware", "Ubuntu 24.04 LTS (Noble Numbat)"),
    _template("VMware", "Windows Server 2022 Standard", os_name="windows", min_disk=40, min_mem=4096,
              bootstrap="DEPLOY_SCRIPT", license_cost=150.0),
]


def public_template(template: dict) -> dict:
    return {key: value for key, value in template.items() if not key.startswith("_")}


def find_template(platform: str, wanted: str) -> dict | None:
    """server/create accepts a template name, id or tag (terraform matches all three)."""
    lowered = wanted.strip().lower()
    for template in TEMPLATES:
        if template["platform"] != platform:
            continue
        if lowered in (template["name"].lower(), template["id"].lower()) or lowered in template["_tags"]:
            return template
    return None


# ---------------------------------------------------------------------------
# Function table (argument lists of the fact sheet, section 6)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Function:
    name: str
    doc: str
    required: tuple = ()
    optional: tuple = ()
    mutating: bool = False  # mutating functions are POST-only; reads accept GET and POST

    def describe(self) -> dict:
        data = {"function": self.name, "documentation": self.doc}
        if not self.mutating:
            data["get"] = True
        data["post"] = True
        if self.required:
            data["required_arguments"] = list(self.required)
        if self.optional:
            data["optional_arguments"] = list(self.optional)
        return data


@dataclass(frozen=True)
class Module:
    description: str
    functions: tuple = field(default_factory=tuple)

    def function(self, name: str) -> Function | None:
        return next((fn for fn in self.functions if fn.name == name), None)

    def describe(self) -> dict:
        return {
            "description": self.description,
            "authentication": {"required": "true", "apikey": "true", "anonymous": "false",
                               "user": {"username": "false", "cloudaccount": "true", "customernumber": "false"}},
            "allowed_functions": [fn.describe() for fn in self.functions],
        }


SOA_ARGS = ("primarynameserver", "responsibleperson", "ttl", "refresh", "retry", "expire", "minimum")
MODULES = {
    "api": Module("Module for information about the API.", (
        Function("listfunctions", "List all modules and their functions."),
        Function("maintenance", "List services under maintenance."),
        Function("serviceinfo", "Current and past service status information."),
    )),
    "domain": Module("Module for managing DNS domains and records.", (
        Function("add", "Add a domain to the DNS service.", ("domainname",), ("createrecords",) + SOA_ARGS, True),
        Function("addrecord", "Add a DNS record.", ("domainname", "host", "type", "data"), ("ttl",), True),
        Function("delete", "Delete a domain from the DNS service.", ("domainname",), ("forcedeleteemail",), True),
        Function("deleterecord", "Delete a DNS record.", ("recordid",), (), True),
        Function("details", "Details of a domain.", ("domainname",)),
        Function("edit", "Edit the SOA fields of a domain.", ("domainname",), SOA_ARGS, True),
        Function("list", "List the domains of the project."),
        Function("listrecords", "List the records of a domain.", ("domainname",)),
        Function("updaterecord", "Update a DNS record.", ("recordid",), ("host", "type", "data", "ttl"), True),
    )),
    "ip": Module("Module for managing IP addresses.", (
        Function("details", "Details of an IP address held by the project.", ("ipaddress",)),
        Function("listown", "List the IP addresses held by the project.", (),
                 ("ipversion", "datacenter", "platform", "used")),
        Function("resetptr", "Reset the PTR of an IP address to its default.", ("ipaddress",), (), True),
        Function("setptr", "Set the PTR of an IP address.", ("ipaddress", "data"), (), True),
    )),
    "server": Module("Module for managing virtual servers.", (
        Function("allowedarguments", "Allowed argument values for create and edit.", (), ("serverid",)),
        Function("create", "Create a server.",
                 ("datacenter", "platform", "hostname", "templatename", "disksize", "memorysize", "cpucores"),
                 ("bandwidth", "description", "ip", "ipv6", "users", "rootpassword", "sshkey", "sshkeyids",
                  "backupschedules", "cloudconfig", "cloudconfigparams", "campaigncode"), True),
        Function("destroy", "Destroy a server.", ("serverid", "keepip"), (), True),
        Function("details", "Details of a server.", ("serverid",), ("includestate",)),
        Function("edit", "Edit a server.", ("serverid",),
                 ("hostname", "description", "cpucores", "memorysize", "disksize", "bandwidth", "backupschedules"),
                 True),
        Function("list", "List the servers of the project."),
        Function("reboot", "Reboot a server.", ("serverid",), (), True),
        Function("reset", "Hard reset a server.", ("serverid",), (), True),
        Function("start", "Start a server.", ("serverid",), ("bios",), True),
        Function("status", "Status of a server.", ("serverid",), ("statustype",)),
        Function("stop", "Stop a server.", ("serverid",), ("type", "transactionstarttime"), True),
        Function("templates", "List the templates per platform."),
    )),
    "sshkey": Module("Module for managing ssh keys that can be used for GleSYS servers.", (
        Function("add", "Store a public SSH key.", ("sshkey", "description"), (), True),
        Function("list", "List the stored SSH keys."),
        Function("remove", "Remove stored SSH keys.", ("sshkeyids",), (), True),
    )),
}
MUTATING = frozenset(f"/{module}/{fn.name}" for module, mod in MODULES.items() for fn in mod.functions if fn.mutating)


# ---------------------------------------------------------------------------
# Envelope helpers
# ---------------------------------------------------------------------------

class ApiError(Exception):
    """A non-200 answer: HTTP status = status.code, ``text`` and extra payload keys."""

    def __init__(self, code: int, text: str, payload: dict | None = None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.payload = payload or {}


def stockholm_timestamp(now: datetime.datetime | None = None) -> str:
    """ISO-8601 with the Stockholm offset: +02:00 from the last Sunday of March to the last of October (01:00 UTC)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)

    def last_sunday(month: int) -> datetime.datetime:
        day = datetime.datetime(now.year, month, 31, 1, tzinfo=datetime.timezone.utc)
        return day - datetime.timedelta(days=(day.weekday() + 1) % 7)

    offset = 2 if last_sunday(3) <= now < last_sunday(10) else 1
    local = now.astimezone(datetime.timezone(datetime.timedelta(hours=offset)))
    return local.replace(microsecond=0).isoformat()


def echo_input(args: dict):
    """debug.input: every argument, numbers as strings; ``[]`` when there are none."""
    if not args:
        return []
    return {key: str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
            for key, value in args.items()}


_XML_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def to_xml(document: dict) -> str:
    """The API's XML: same tree as JSON, lists as <item> children, null/empty/false as empty elements, true as 1."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n']

    def emit(tag: str, value) -> None:
        tag = _XML_NAME.sub("_", tag) or "_"
        if tag[0].isdigit() or tag[0] in "-.":
            tag = "_" + tag
        if value is None or value is False or value == "" or value == [] or value == {}:
            parts.append(f"<{tag}/>")
        elif isinstance(value, dict):
            parts.append(f"<{tag}>")
            for key, child in value.items():
                emit(str(key), child)
            parts.append(f"</{tag}>")
        elif isinstance(value, list):
            parts.append(f"<{tag}>")
            for child in value:
                emit("item", child)
            parts.append(f"</{tag}>")
        else:
            text = "1" if value is True else str(value)
            parts.append(f"<{tag}>{escape(text)}</{tag}>")

    for key, value in document.items():
        emit(key, value)
    parts.append("\n")
    return "".join(parts)


def default_ptr(address: str) -> str:
    return address.replace(".", "-").replace(":", "-") + "-static.glesys.net."


def ipv4_candidates():
    """Addresses handed out, in order: three documentation /24s, then 100.64.0.0/10 for very large seeds."""
    prefixes = itertools.chain(("203.0.113", "198.51.100", "192.0.2"),
                               (f"100.{64 + a}.{b}" for a in range(64) for b in range(256)))
    for prefix in prefixes:
        for host in range(10, 251):
            if host not in (53, 54):
                yield f"{prefix}.{host}"


def ipv6_candidates():
    base = int(IPV6_NET.network_address)
    for number in itertools.count(0x10):
        yield str(ipaddress.IPv6Address(base + number))


def check_ssh_key(text: str, name: str) -> str:
    """``<type> <base64> [comment]`` whose base64 decodes; returns the text as sent."""
    match = SSH_KEY_RE.match(text.strip())
    if match:
        try:
            base64.b64decode(match.group("blob"), validate=True)
            return text
        except (binascii.Error, ValueError):
            pass
    raise ApiError(400, f"Argument '{name}' is not a valid public SSH key (expected '<type> <base64> [comment]').")


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------

class GlesysSimulator(Simulator):
    name = "glesys"
    KNOBS = {
        "project": PROJECT,           # basic-auth username (project key)
        "api_key": API_KEY,           # basic-auth password
        "organization": ORGANIZATION,  # shown in the root introspection's debug.input
        "lock_seconds": 1.0,          # server/create: locked this long, then running
        "edit_seconds": 0.5,          # server/edit of cpu/memory/disk/bandwidth: locked this long
        "destroy_seconds": 0.5,       # server/destroy: locked this long, then gone
        "power_seconds": 0.5,         # start/stop/reboot/reset: isrunning changes after this long
        "transactionid": "auto",      # auto (errors and mutating calls carry it) | always | never
        "json_for_json_body": False,  # answer JSON to a JSON body even without Accept (glesys-go observation)
    }

    def __init__(self, latency: float = 0.0, seed_servers: int = 0, **knobs):
        self.servers: dict[str, dict] = {}
        self.ips: dict[str, dict] = {}
        self.sshkeys: dict[int, dict] = {}
        self.domains: dict[str, dict] = {}
        self.records: dict[int, dict] = {}
        self.next_sshkey_id = self.next_record_id = self.next_server_number = 0
        super().__init__(latency=latency, seed_servers=seed_servers, **knobs)

    # -- state ----------------------------------------------------------------

    def build_state(self) -> None:
        self.sshkeys = {}
        self.domains = {}
        self.records = {}
        self.next_sshkey_id = 5011
        self.next_record_id = 2400101
        self.next_server_number = 1001000
        self._seed_servers(self.seed_servers)
        self._seed_domains()

    def apply_seed(self, count: int) -> None:
        self.seed_servers = count
        self._seed_servers(count)

    def coerce_knob(self, key: str, value):
        value = super().coerce_knob(key, value)
        if key == "transactionid" and value not in ("auto", "always", "never"):
            raise ValueError("knob 'transactionid' must be auto, always or never")
        return value

    def _new_server(self, serverid, hostname, datacenter, platform, template, cpucores, memorysize, disksize,
                    bandwidth=100, description=None, running=True) -> dict:
        server = {
            "serverid": serverid, "projectkey": self.knobs["project"], "hostname": hostname,
            "description": description, "datacenter": datacenter, "platform": platform,
            "cpucores": cpucores, "memorysize": memorysize, "disksize": disksize, "bandwidth": bandwidth,
            "transfer": None, "templatename": template["name"],
            "initialtemplate": {"id": template["id"], "name": template["name"], "currenttags": list(template["_tags"])},
            "isrunning": running, "islocked": False,
        }
        if platform == "KVM":
            server["backup"] = {"enabled": "no", "schedules": []}
            server["additionaldisks"] = []
            server["supportedfeatures"] = {"editbandwidth": "no"}
        else:
            server["backup"] = {"enabled": "no"}
            server["isofile"] = None
            server["supportedfeatures"] = {"editbandwidth": "yes"}
        return server

    def _new_ip(self, address: str, server: dict | None, datacenter="Falkenberg", platform="KVM", ptr=None) -> dict:
        version = ipaddress.ip_address(address).version
        if server:
            datacenter, platform = server["datacenter"], server["platform"]
        if version == 4:
            prefix = address.rsplit(".", 1)[0]
            net = {"netmask": "255.255.255.0", "broadcast": f"{prefix}.255", "gateway": f"{prefix}.1",
                   "nameservers": list(IPV4_NAMESERVERS)}
            cost = 30.0
        else:
            net = {"netmask": "/64", "broadcast": None, "gateway": str(IPV6_NET.network_address + 1),
                   "nameservers": list(IPV6_NAMESERVERS)}
            cost = 0.0
        record = {"ipaddress": address, "ipversion": version, "datacenter": datacenter, "platform": platform,
                  "platforms": [platform], "serverid": server["serverid"] if server else None,
                  "reserved": "yes", "lockedtoaccount": "no"}
        record.update(net)
        record["ptr"] = ptr or default_ptr(address)
        record["cost"] = {"amount": cost, "currency": "SEK", "timeperiod": "month"}
        return record

    def _seed_servers(self, count: int) -> None:
        self.servers = {}
        self.ips = {}
        if count == 0:
            self._seed_fixture_servers()
            return
        kvm_templates = [t for t in TEMPLATES if t["platform"] == "KVM" and t["operatingsystem"] == "linux"]
        vmw_templates = [t for t in TEMPLATES if t["platform"] == "VMware" and t["operatingsystem"] == "linux"]
        v4, v6 = ipv4_candidates(), ipv6_candidates()
        for index in range(1, count + 1):
            platform = "VMware" if index % 3 == 0 else "KVM"
            templates = vmw_templates if platform == "VMware" else kvm_templates
            server = self._new_server(
                serverid=f"{'wps' if platform == 'VMware' else 'kvm'}{1100000 + index}",
                hostname=f"srv{index:04d}.example.com",
                datacenter=DATACENTERS[(index - 1) % len(DATACENTERS)],
                platform=platform,
                template=templates[index % len(templates)],
                cpucores=(1, 2, 4)[index % 3],
                memorysize=(1024, 2048, 4096, 8192)[index % 4],
                disksize=(10, 20, 40, 80)[index % 4],
                description=None if index % 4 == 0 else f"seeded server {index}",
                running=index % 7 != 0,
            )
            self.servers[server["serverid"]] = server
            address = next(v4)
            self.ips[address] = self._new_ip(address, server)
            if index % 5 != 0:
                address = next(v6)
                self.ips[address] = self._new_ip(address, server)

    def _seed_fixture_servers(self) -> None:
        """The two servers of fixtures 10.1(a)/10.2 and the spare IPv6 of fixture 10.4(b)."""
        debian, ubuntu = find_template("KVM", "debian-12"), find_template("VMware", "c3e9d2a8-7f61-4b0e-8a2d-6e4f1b3c9a10")
        web01 = self._new_server("kvm1000123", "web01.example.com", "Falkenberg", "KVM", debian, 2, 4096, 40,
                                 description="frontend")
        web01["backup"] = {"enabled": "yes", "schedules": [{"frequency": "daily", "numberofimagestokeep": 7}]}
        legacy = self._new_server("wps1000456", "legacy-app", "Stockholm", "VMware", ubuntu, 1, 2048, 20, running=False)
        legacy["initialtemplate"]["currenttags"] = []
        for server in (web01, legacy):
            self.servers[server["serverid"]] = server
        self.ips["203.0.113.10"] = self._new_ip("203.0.113.10", web01, ptr="web01.example.com.")
        self.ips["2001:db8:0:1::10"] = self._new_ip("2001:db8:0:1::10", web01)
        self.ips["203.0.113.20"] = self._new_ip("203.0.113.20", legacy)
        self.ips["2001:db8:0:1::42"] = self._new_ip("2001:db8:0:1::42", None)

    def _seed_domains(self) -> None:
        """Zone example.com with the records of fixture 10.3(a)."""
        self.domains["example.com"] = self._new_domain("example.com", FIXED_TIME)
        for host, rtype, data, ttl in (
            ("@", "NS", "ns1.example.net.", 3600), ("@", "NS", "ns2.example.net.", 3600),
            ("@", "NS", "ns3.example.net.", 3600), ("@", "A", "203.0.113.10", 3600),
            ("www", "A", "203.0.113.10", 300), ("www", "AAAA", "2001:db8:0:1::10", 300),
            ("@", "MX", "10 mail.example.com.", 3600), ("@", "TXT", "v=spf1 mx -all", 3600),
            ("docs", "CNAME", "www.example.com.", 3600),
        ):
            self._add_record("example.com", host, rtype, data, ttl)

    def _new_domain(self, name: str, created: str, soa: dict | None = None) -> dict:
        domain = {"domainname": name, "displayname": name, "createtime": created, "recordcount": 0,
                  "usingglesysnameserver": "yes"}
        domain.update(SOA_DEFAULTS)
        domain.update(soa or {})
        domain["registrarinfo"] = None
        return domain

    def _add_record(self, domainname, host, rtype, data, ttl) -> dict:
        record = {"recordid": self.next_record_id, "domainname": domainname, "host": host, "type": rtype,
                  "data": data, "ttl": ttl}
        self.records[record["recordid"]] = record
        self.next_record_id += 1
        return record

    def snapshot(self) -> dict:
        return {
            "project": self.knobs["project"],
            "servers": [self._details(server, True) for server in self.servers.values()],
            "ips": list(self.ips.values()),
            "domains": [self._domain_view(domain) for domain in self.domains.values()],
            "records": list(self.records.values()),
            "sshkeys": list(self.sshkeys.values()),
        }

    # -- request handling ------------------------------------------------------

    def is_mutating(self, request: Request) -> bool:
        segments = [part.lower() for part in request.path.split("/") if part]
        return "/" + "/".join(segments[:2]) in MUTATING

    def handle(self, request: Request) -> Response:
        segments = [part for part in request.path.split("/") if part]
        module = segments[0].lower() if segments else None
        function = segments[1].lower() if len(segments) > 1 else None
        pairs = segments[2:]
        path_args = dict(zip(pairs[::2], pairs[1::2]))
        fmt = str(path_args.pop("format", None) or request.query.get("format") or "").lower()
        as_json = self._wants_json(request, fmt)
        args: dict = {}
        try:
            args, body_error = self._arguments(request, path_args)
            self._authenticate(request)  # a bad login wins over a malformed body
            if body_error:
                raise ApiError(400, body_error)
            if len(pairs) % 2:
                raise ApiError(400, "Arguments in the path must come in name/value pairs.")
            text, payload, mutating = self._call(request, module, function, args)
            return self._reply(200, text, payload, args, as_json, mutating)
        except BadRequest as exc:
            return self._reply(400, str(exc), {}, args, as_json, True)
        except ApiError as exc:
            return self._reply(exc.code, exc.text, exc.payload, args, as_json, True)

    def internal_error(self, request: Request, exc: Exception) -> Response:
        return self._reply(500, f"Internal error: {exc}", {}, {}, self._wants_json(request, ""), True)

    def _wants_json(self, request: Request, fmt: str) -> bool:
        if fmt in ("json", "xml"):
            return fmt == "json"
        accept = (request.header("Accept") or "").lower()
        if "application/json" in accept:
            return True
        # CHOICE: the fact sheet's "JSON for a JSON body without Accept" (mechanism unverified) is a knob, off.
        return bool(self.knobs["json_for_json_body"] and request.content_type == "application/json"
                    and "xml" not in accept)

    @staticmethod
    def _arguments(request: Request, path_args: dict) -> tuple[dict, str | None]:
        """Query string, path pairs and body (JSON or form) merged, the body winning; plus a body error text."""
        args = {key: value for key, value in request.query.items() if key != "format"}
        args.update(path_args)
        if request.json_error:
            return args, f"Could not parse the JSON body: {request.json_error}"
        if request.json_body is not None:
            if not isinstance(request.json_body, dict):
                return args, "The JSON body must be an object of arguments."
            args.update(request.json_body)
        if request.form:
            args.update(request.form)
        return args, None

    def _authenticate(self, request: Request) -> None:
        if request.basic_auth() != (self.knobs["project"], self.knobs["api_key"]):
            raise ApiError(401, AUTH_FAILED)

    def _call(self, request: Request, module: str | None, function: str | None, args: dict):
        if module is None:
            raise ApiError(404, UNKNOWN_MODULE, {"modules": sorted(MODULES), "_input": {
                "projectkey": self.knobs["project"], "organizationnumber": self.knobs["organization"]}})
        if module not in MODULES:
            raise ApiError(404, UNKNOWN_MODULE, {"modules": sorted(MODULES)})
        spec = MODULES[module].function(function) if function else None
        if spec is None:
            raise ApiError(404, UNKNOWN_FUNCTION, {"module": MODULES[module].describe()})
        if request.method not in ("GET", "POST"):
            raise ApiError(400, f"Method {request.method} is not supported; use GET or POST.")
        if spec.mutating and request.method != "POST":
            # CHOICE: the code/text for a GET on a POST-only function is unverified.
            raise ApiError(400, f"Function {module}/{function} requires a POST request.")
        declared = set(spec.required) | set(spec.optional)
        for name in sorted(args):
            if name not in declared:
                raise ApiError(400, f"Unknown argument '{name}' for {module}/{function}.")
        for name in spec.required:
            if name not in args or args[name] is None:
                raise ApiError(400, f"Missing required argument '{name}' for {module}/{function}.")
        handler = getattr(self, f"{module}_{function}")
        text, payload = handler(Args(args))
        return text, payload, spec.mutating

    def _reply(self, code: int, text: str, payload: dict, args: dict, as_json: bool, with_transaction: bool) -> Response:
        status = {"code": code, "timestamp": stockholm_timestamp(), "text": text}
        mode = self.knobs["transactionid"]
        if mode == "always" or (mode == "auto" and with_transaction):
            status["transactionid"] = None
        body = {"status": status}
        echo = payload.pop("_input", None) if payload else None
        body.update(payload or {})
        body["debug"] = {"input": echo if echo is not None else echo_input(args)}
        document = {"response": body}
        if as_json:
            return Response(code, json.dumps(document).encode("utf-8"), {"Content-Type": "application/json"})
        return Response(code, to_xml(document).encode("utf-8"), {"Content-Type": "application/xml; charset=utf-8"})

    # -- lookups -----------------------------------------------------------------

    def _server(self, args: Args) -> dict:
        server = self.servers.get(args.text("serverid"))
        if server is None:
            # CHOICE: the answer for an unknown/destroyed serverid is unverified.
            raise ApiError(404, "Server not found.")
        return server

    def _unlocked_server(self, args: Args) -> dict:
        server = self._server(args)
        if server["islocked"]:
            raise ApiError(400, SERVER_LOCKED)
        return server

    def _ip(self, args: Args) -> dict:
        address = args.text("ipaddress").strip()
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise ApiError(400, f"Argument 'ipaddress' is not a valid IP address: {address}") from None
        if address not in self.ips:
            # CHOICE: the answer for an IP the project does not hold is unverified.
            raise ApiError(404, "IP address not found in this project.")
        return self.ips[address]

    def _domain(self, args: Args) -> dict:
        domain = self.domains.get(args.text("domainname").strip().lower())
        if domain is None:
            raise ApiError(404, "Domain not found.")
        return domain

    def _record(self, args: Args) -> dict:
        record = self.records.get(args.integer("recordid"))
        if record is None:
            raise ApiError(404, "Record not found.")
        return record

    # -- views ----------------------------------------------------------------------

    def _server_ips(self, serverid: str) -> list[dict]:
        found = [ip for ip in self.ips.values() if ip["serverid"] == serverid]
        return sorted(found, key=lambda ip: ip["ipversion"])

    def _details(self, server: dict, includestate: bool) -> dict:
        keys = ("serverid", "hostname", "description", "datacenter", "platform", "cpucores", "memorysize",
                "disksize", "bandwidth", "transfer", "templatename")
        view = {key: server[key] for key in keys}
        view["initialtemplate"] = dict(server["initialtemplate"], currenttags=list(server["initialtemplate"]["currenttags"]))
        view["iplist"] = [{"ipaddress": ip["ipaddress"], "version": ip["ipversion"]} for ip in self._server_ips(server["serverid"])]
        for key in ("backup", "additionaldisks", "isofile", "supportedfeatures"):
            if key in server:
                view[key] = copy.deepcopy(server[key])
        if includestate:
            view["isrunning"] = server["isrunning"]
            view["islocked"] = server["islocked"]
            view["status"] = "updating" if server["islocked"] else "ready"
            view["state"] = self._state_word(server)
        return view

    @staticmethod
    def _state_word(server: dict) -> str:
        if server["islocked"]:
            return "locked"
        return "running" if server["isrunning"] else "stopped"

    @staticmethod
    def _list_item(server: dict) -> dict:
        # The rich item of fixture 10.1(a); no iplist (whether the real list has it is unverified).
        keys = ("serverid", "projectkey", "hostname", "datacenter", "platform", "description", "cpucores",
                "memorysize", "disksize", "transfer", "bandwidth", "templatename")
        item = {key: server[key] for key in keys}
        item["initialtemplate"] = {"id": server["initialtemplate"]["id"], "name": server["initialtemplate"]["name"]}
        return item

    def _domain_view(self, domain: dict) -> dict:
        view = dict(domain)
        view["recordcount"] = sum(1 for record in self.records.values() if record["domainname"] == domain["domainname"])
        return view

    # -- module api -------------------------------------------------------------------

    def api_listfunctions(self, args: Args):  # pylint: disable=unused-argument
        modules = {name: [{"function": fn.name, "documentation": fn.doc} for fn in module.functions]
                   for name, module in MODULES.items()}
        return "OK", {"modules": modules}

    def api_maintenance(self, args: Args):  # pylint: disable=unused-argument
        return "OK", {"maintenance": []}

    def api_serviceinfo(self, args: Args):  # pylint: disable=unused-argument
        past = [{"servicestatusid": 1201, "date_start": "2025-03-01T02:00:00+01:00", "date_end": "2025-03-01T03:00:00+01:00",
                 "name": "Scheduled maintenance Falkenberg", "text": "Network maintenance.",
                 "updates": [{"time": "2025-03-01T03:00:00+01:00", "message": "Completed."}]}]
        return "OK", {"serviceinfo": {"current": [], "past": past}}

    # -- module sshkey ------------------------------------------------------------------

    def sshkey_add(self, args: Args):
        data = check_ssh_key(args.text("sshkey"), "sshkey")
        # CHOICE: payload key "sshkey" and fields id/description/data (fact sheet 6.4 + fixture 10.5, hypothetical).
        key = {"id": self.next_sshkey_id, "description": args.text("description"), "data": data}
        self.sshkeys[key["id"]] = key
        self.next_sshkey_id += 1
        return "OK", {"sshkey": dict(key)}

    def sshkey_list(self, args: Args):  # pylint: disable=unused-argument
        return "OK", {"sshkeys": [dict(key) for key in self.sshkeys.values()]}

    def sshkey_remove(self, args: Args):
        ids = self._id_list(args.raw("sshkeyids"), "sshkeyids")
        missing = [key_id for key_id in ids if key_id not in self.sshkeys]
        if missing:
            raise ApiError(404, "SSH key not found.")
        for key_id in ids:
            del self.sshkeys[key_id]
        return "OK", {}

    @staticmethod
    def _id_list(value, name: str) -> list[int]:
        """Comma-separated ids (CHOICE: the separator is unverified), a single id, or a JSON list."""
        items = value if isinstance(value, list) else str(value).split(",")
        ids = [as_int(item.strip() if isinstance(item, str) else item, name) for item in items if str(item).strip()]
        if not ids:
            raise ApiError(400, f"Argument '{name}' must name at least one id.")
        return ids

    # -- module ip ----------------------------------------------------------------------

    def ip_listown(self, args: Args):
        version = args.integer("ipversion")
        if version not in (None, 4, 6):
            raise ApiError(400, "Argument 'ipversion' must be 4 or 6.")
        datacenter, platform = args.text("datacenter"), args.text("platform")
        used = args.boolean("used")
        found = []
        for ip in self.ips.values():
            if version and ip["ipversion"] != version:
                continue
            if datacenter and ip["datacenter"].lower() != datacenter.lower():
                continue
            if platform and ip["platform"].lower() != platform.lower():
                continue
            if used is not None and (ip["serverid"] is not None) != used:
                continue
            found.append(dict(ip))
        return "OK", {"iplist": found}

    def ip_details(self, args: Args):
        return "OK", {"details": dict(self._ip(args))}

    def ip_setptr(self, args: Args):
        ip = self._ip(args)
        data = args.text("data")
        if not data.strip():
            raise ApiError(400, "Argument 'data' must not be empty.")
        ip["ptr"] = data  # stored as sent
        return "PTR updated.", {"details": dict(ip)}

    def ip_resetptr(self, args: Args):
        ip = self._ip(args)
        ip["ptr"] = default_ptr(ip["ipaddress"])
        # CHOICE: the status text of ip/resetptr is unverified.
        return "OK", {"details": dict(ip)}

    # -- module domain -----------------------------------------------------------------

    def domain_list(self, args: Args):  # pylint: disable=unused-argument
        return "OK", {"domains": [self._domain_view(domain) for domain in self.domains.values()]}

    def domain_details(self, args: Args):
        return "OK", {"domain": self._domain_view(self._domain(args))}

    def _soa_fields(self, args: Args) -> dict:
        soa = {}
        for name in SOA_ARGS:
            if args.has(name):
                soa[name] = args.text(name) if name in ("primarynameserver", "responsibleperson") else args.integer(name)
        return soa

    def domain_add(self, args: Args):
        name = args.text("domainname").strip().lower()
        if not DOMAIN_RE.match(name):
            raise ApiError(400, f"Argument 'domainname' is not a valid domain name: {name}")
        if name in self.domains:
            raise ApiError(400, "The domain already exists.")
        domain = self._new_domain(name, stockholm_timestamp(), self._soa_fields(args))
        self.domains[name] = domain
        if args.boolean("createrecords", True):
            for target in NS_DEFAULTS:
                self._add_record(name, "@", "NS", target, 3600)
        return "Domain added", {"domain": self._domain_view(domain)}

    def domain_edit(self, args: Args):
        domain = self._domain(args)
        domain.update(self._soa_fields(args))
        return "OK", {"domain": self._domain_view(domain)}

    def domain_delete(self, args: Args):
        domain = self._domain(args)
        args.boolean("forcedeleteemail")
        del self.domains[domain["domainname"]]
        for recordid in [rid for rid, rec in self.records.items() if rec["domainname"] == domain["domainname"]]:
            del self.records[recordid]
        return "OK", {}

    def domain_listrecords(self, args: Args):
        domain = self._domain(args)
        return "OK", {"records": [dict(rec) for rec in self.records.values() if rec["domainname"] == domain["domainname"]]}

    @staticmethod
    def _check_record(rtype: str, host: str, data: str, ttl: int) -> None:
        if rtype not in RECORD_TYPES:
            raise ApiError(400, f"Argument 'type' must be one of {', '.join(RECORD_TYPES)}.")
        if not host.strip():
            raise ApiError(400, "Argument 'host' must not be empty (use @ for the zone apex).")
        if not data.strip():
            raise ApiError(400, "Argument 'data' must not be empty.")
        if ttl < 1:
            raise ApiError(400, "Argument 'ttl' must be a positive integer.")
        if rtype in ("A", "AAAA"):
            try:
                valid = ipaddress.ip_address(data.strip()).version == (4 if rtype == "A" else 6)
            except ValueError:
                valid = False
            if not valid:
                raise ApiError(400, f"Argument 'data' is not a valid IPv{4 if rtype == 'A' else 6} address.")

    def domain_addrecord(self, args: Args):
        domain = self._domain(args)
        rtype = args.text("type").strip().upper()
        host, data, ttl = args.text("host"), args.text("data"), args.integer("ttl", 3600)
        self._check_record(rtype, host, data, ttl)
        record = self._add_record(domain["domainname"], host, rtype, data, ttl)
        return "Record added.", {"record": dict(record)}

    def domain_updaterecord(self, args: Args):
        record = self._record(args)
        rtype = args.text("type", record["type"]).strip().upper()
        host, data = args.text("host", record["host"]), args.text("data", record["data"])
        ttl = args.integer("ttl", record["ttl"])
        self._check_record(rtype, host, data, ttl)
        record.update(type=rtype, host=host, data=data, ttl=ttl)
        return "Record updated.", {"record": dict(record)}

    def domain_deleterecord(self, args: Args):
        record = self._record(args)
        del self.records[record["recordid"]]
        return "Record removed.", {}

    # -- module server -------------------------------------------------------------------

    def server_list(self, args: Args):  # pylint: disable=unused-argument
        return "OK", {"servers": [self._list_item(server) for server in self.servers.values()]}

    def server_details(self, args: Args):
        server = self._server(args)
        return "OK", {"server": self._details(server, bool(args.boolean("includestate", False)))}

    def server_templates(self, args: Args):  # pylint: disable=unused-argument
        templates = {platform: [public_template(t) for t in TEMPLATES if t["platform"] == platform] for platform in PLATFORMS}
        return "OK", {"templates": templates}

    def server_allowedarguments(self, args: Args):
        platforms = PLATFORMS
        minimum_disk = 0
        if args.has("serverid"):
            server = self._server(args)
            platforms, minimum_disk = (server["platform"],), server["disksize"]
        result = {}
        for platform in platforms:
            result[platform] = {"datacenter": [{"value": dc} for dc in DATACENTERS]}
            for name, values in ALLOWED_VALUES.items():
                result[platform][name] = [{"value": v} for v in values if name != "disksize" or v >= minimum_disk]
        return "OK", {"argumentslist": {"platforms": result}}

    def server_status(self, args: Args):
        server = self._server(args)
        wanted = [part.strip() for part in (args.text("statustype") or "state,cpu,memory,disk,uptime").split(",") if part.strip()]
        known = ("state", "cpu", "memory", "disk", "uptime")
        for part in wanted:
            if part not in known:
                raise ApiError(400, f"Argument 'statustype' accepts {', '.join(known)}.")
        running = server["isrunning"] and not server["islocked"]
        # CHOICE: the sub-object fields of server/status are unverified.
        values = {
            "state": self._state_word(server),
            "cpu": {"usage": 3.5 if running else 0.0, "max": server["cpucores"], "unit": "%"},
            "memory": {"usage": server["memorysize"] // 4 if running else 0, "max": server["memorysize"], "unit": "MB"},
            "disk": {"usage": round(server["disksize"] * 0.3, 1), "max": server["disksize"], "unit": "GB"},
            "uptime": {"current": 86400 if running else 0, "unit": "s"},
        }
        return "OK", {"server": {part: values[part] for part in known if part in wanted}}

    def _check_allowed(self, name: str, value: int) -> int:
        if value not in ALLOWED_VALUES[name]:
            raise ApiError(400, f"Argument '{name}' has a value that is not allowed: {value} (see server/allowedarguments).")
        return value

    @staticmethod
    def _check_backupschedules(value) -> list:
        schedules = as_json_value(value, "backupschedules", list)
        clean = []
        for item in schedules:
            if not isinstance(item, dict) or item.get("frequency") not in ("daily", "weekly"):
                raise ApiError(400, "Argument 'backupschedules' items need frequency daily or weekly.")
            clean.append({"frequency": item["frequency"],
                          "numberofimagestokeep": as_int(item.get("numberofimagestokeep"), "numberofimagestokeep")})
        return clean

    def _resolve_ip(self, args: Args, name: str, version: int) -> str | None:
        """ip/ipv6 of server/create: any, none, or a specific address (CHOICE: default any when omitted)."""
        wanted = (args.text(name) or "any").strip().lower()
        if wanted == "none":
            return None
        if wanted == "any":
            candidates = ipv4_candidates() if version == 4 else ipv6_candidates()
            return next(address for address in candidates if address not in self.ips)
        try:
            address = ipaddress.ip_address(wanted)
        except ValueError:
            raise ApiError(400, f"Argument '{name}' must be any, none or an IPv{version} address.") from None
        if address.version != version:
            raise ApiError(400, f"Argument '{name}' must be any, none or an IPv{version} address.")
        held = self.ips.get(str(address))
        if held and held["serverid"]:
            raise ApiError(400, f"IP address {address} is already used by another server.")
        return str(address)

    def server_create(self, args: Args):
        platform = next((p for p in PLATFORMS if p.lower() == args.text("platform").strip().lower()), None)
        if platform is None:
            raise ApiError(400, "Argument 'platform' must be KVM or VMware.")
        datacenter = next((d for d in DATACENTERS if d.lower() == args.text("datacenter").strip().lower()), None)
        if datacenter is None:
            raise ApiError(400, f"Argument 'datacenter' must be one of {', '.join(DATACENTERS)}.")
        hostname = args.text("hostname").strip()
        if not hostname:
            raise ApiError(400, "Argument 'hostname' must not be empty.")
        template = find_template(platform, args.text("templatename"))
        if template is None:
            raise ApiError(400, f"Argument 'templatename' is not a {platform} template: {args.text('templatename')}")
        cpucores = self._check_allowed("cpucores", args.integer("cpucores"))
        memorysize = self._check_allowed("memorysize", args.integer("memorysize"))
        disksize = self._check_allowed("disksize", args.integer("disksize"))
        bandwidth = self._check_allowed("bandwidth", args.integer("bandwidth", 100))
        if disksize < template["minimumdisksize"]:
            raise ApiError(400, f"Argument 'disksize' must be at least {template['minimumdisksize']} for this template.")
        if memorysize < template["minimummemorysize"]:
            raise ApiError(400, f"Argument 'memorysize' must be at least {template['minimummemorysize']} for this template.")
        if platform == "KVM":
            self._check_users(args)
        elif not (args.text("rootpassword") or "").strip():
            raise ApiError(400, "Missing required argument 'rootpassword' for server/create on VMware.")
        if args.has("sshkey"):
            check_ssh_key(args.text("sshkey"), "sshkey")
        if args.has("sshkeyids"):
            for key_id in self._id_list(args.raw("sshkeyids"), "sshkeyids"):
                if key_id not in self.sshkeys:
                    raise ApiError(400, f"Argument 'sshkeyids' names an unknown SSH key: {key_id}")
        schedules = None
        if args.has("backupschedules"):
            if platform != "KVM":
                raise ApiError(400, "Argument 'backupschedules' is only supported on KVM.")
            schedules = self._check_backupschedules(args.raw("backupschedules"))
        if args.has("cloudconfigparams"):
            as_json_value(args.raw("cloudconfigparams"), "cloudconfigparams", dict)
        ipv4, ipv6 = self._resolve_ip(args, "ip", 4), self._resolve_ip(args, "ipv6", 6)

        server = self._new_server(f"{'kvm' if platform == 'KVM' else 'wps'}{self.next_server_number}", hostname,
                                  datacenter, platform, template, cpucores, memorysize, disksize, bandwidth,
                                  description=args.text("description"), running=False)
        self.next_server_number += 1
        if schedules:
            server["backup"] = {"enabled": "yes", "schedules": schedules}
        server["islocked"] = True
        self.servers[server["serverid"]] = server
        for address in (ipv4, ipv6):
            if address:
                held = self.ips.get(address)
                if held:
                    held.update(serverid=server["serverid"], datacenter=datacenter, platform=platform, platforms=[platform])
                else:
                    self.ips[address] = self._new_ip(address, server)

        def provisioned():
            server.update(islocked=False, isrunning=True)

        self.schedule(self.knobs["lock_seconds"], provisioned, key=("lock", server["serverid"]))
        # CHOICE: the create answer carries the state fields (locked, not running).
        return "OK", {"server": self._details(server, True)}

    @staticmethod
    def _check_users(args: Args) -> None:
        if not args.has("users"):
            raise ApiError(400, "Missing required argument 'users' for server/create on KVM.")
        users = as_json_value(args.raw("users"), "users", list)
        if not users:
            raise ApiError(400, "Argument 'users' must contain at least one user.")
        for user in users:
            if not isinstance(user, dict) or not str(user.get("username") or "").strip():
                raise ApiError(400, "Argument 'users' items need a username.")
            unknown = set(user) - {"username", "sshkeys", "password"}
            if unknown:
                raise ApiError(400, f"Argument 'users' items have unknown fields: {', '.join(sorted(unknown))}")
            keys = user.get("sshkeys", [])
            if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
                raise ApiError(400, "Argument 'users' item field sshkeys must be a list of public keys.")
            for key in keys:
                check_ssh_key(key, "users.sshkeys")

    def server_edit(self, args: Args):
        server = self._unlocked_server(args)
        changes = {}
        if args.has("hostname"):
            hostname = args.text("hostname").strip()
            if not hostname:
                raise ApiError(400, "Argument 'hostname' must not be empty.")
            changes["hostname"] = hostname
        if args.has("description"):
            changes["description"] = args.text("description")
        for name in ("cpucores", "memorysize", "disksize", "bandwidth"):
            if args.has(name):
                changes[name] = self._check_allowed(name, args.integer(name))
        if changes.get("disksize", server["disksize"]) < server["disksize"]:
            # CHOICE: the fact sheet assumes grow-only disks; the code/text is invented.
            raise ApiError(400, f"Argument 'disksize' can not be decreased (current size {server['disksize']} GB).")
        if (changes.get("bandwidth", server["bandwidth"]) != server["bandwidth"]
                and server["supportedfeatures"]["editbandwidth"] != "yes"):
            raise ApiError(400, "Argument 'bandwidth' can not be changed on this server.")
        if args.has("backupschedules"):
            if server["platform"] != "KVM":
                raise ApiError(400, "Argument 'backupschedules' is only supported on KVM.")
            schedules = self._check_backupschedules(args.raw("backupschedules"))
            changes["backup"] = {"enabled": "yes" if schedules else "no", "schedules": schedules}
        changed = any(server[name] != value for name, value in changes.items())
        server.update(changes)
        if changed:
            # CHOICE: any effective change locks the server for edit_seconds; an edit that changes nothing does not.
            server["islocked"] = True

            def applied():
                server["islocked"] = False

            self.schedule(self.knobs["edit_seconds"], applied, key=("lock", server["serverid"]))
        return "OK", {"server": self._details(server, True)}

    def server_destroy(self, args: Args):
        server = self._unlocked_server(args)
        keepip = args.boolean("keepip")
        serverid = server["serverid"]
        server["islocked"] = True

        def destroyed():
            self.servers.pop(serverid, None)
            for ip in self._server_ips(serverid):
                if keepip:
                    ip["serverid"] = None
                else:
                    del self.ips[ip["ipaddress"]]
            self.cancel(("power", serverid))

        self.schedule(self.knobs["destroy_seconds"], destroyed, key=("lock", serverid))
        return "OK", {}

    def _power(self, server: dict, running: bool) -> None:
        def settle():
            server["isrunning"] = running

        self.schedule(self.knobs["power_seconds"], settle, key=("power", server["serverid"]))

    def server_start(self, args: Args):
        server = self._unlocked_server(args)
        args.boolean("bios")
        self._power(server, True)
        return "OK", {}

    def server_stop(self, args: Args):
        server = self._unlocked_server(args)
        kind = (args.text("type") or "soft").strip().lower()  # CHOICE: default soft (unverified)
        if kind not in ("soft", "hard", "reboot"):
            raise ApiError(400, "Argument 'type' must be soft, hard or reboot.")
        self._power(server, kind == "reboot")
        return "OK", {}

    def server_reboot(self, args: Args):
        # CHOICE: rebooting (or resetting) a stopped server starts it.
        self._power(self._unlocked_server(args), True)
        return "OK", {}

    def server_reset(self, args: Args):
        self._power(self._unlocked_server(args), True)
        return "OK", {}
