"""The Serverspace simulator against the fixtures of providers/serverspace.md section 7, plus its quirks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

try:
    from ansible_collections.hostcraft.cloud.tests.simulators import launcher, serverspace
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.simulators import launcher, serverspace

REPO_ROOT = Path(serverspace.__file__).resolve().parents[2]
KNOBS = {"task_seconds": 0.15}
TERMINAL = ("Completed", "Failed", "Canceled")
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample99 new@example.com"

# fixture 7.1-A
WEB_01 = {
    "id": "l1s10001", "name": "web-01", "location_id": "nj3", "image_id": "Ubuntu-22.04-X64", "cpu": 2, "ram_mb": 4096,
    "state": "Active", "is_power_on": True, "created": "2024-05-14T09:21:33.1234567Z", "login": "root",
    "password": "REDACTED-example-1", "ssh_key_ids": [501], "tags": ["web", "prod"],
    "volumes": [{"id": 70001, "name": "boot", "size_mb": 30720, "created": "2024-05-14T09:21:40.0000000Z"},
                {"id": 70002, "name": "data", "size_mb": 51200, "created": "2024-05-14T09:25:02.0000000Z"}],
    "nics": [{"id": 80001, "server_id": "l1s10001", "network_id": "l1pub1", "network_type": "PublicShared",
              "mac": "02:00:00:aa:00:01", "ip_address": "203.0.113.10", "mask": 24, "gateway": "203.0.113.1",
              "bandwidth_mbps": 50},
             {"id": 80002, "server_id": "l1s10001", "network_id": "l1n2001", "network_type": "Isolated",
              "mac": "02:00:00:aa:00:02", "ip_address": "10.10.0.11", "mask": 24, "gateway": "", "bandwidth_mbps": 0}],
}
DB_01 = {
    "id": "l1s10002", "name": "db-01", "location_id": "am2", "image_id": "Debian-12-X64", "cpu": 4, "ram_mb": 8192,
    "state": "Active", "is_power_on": False, "created": "2024-06-01T12:00:05.5000000Z", "login": "root",
    "password": "REDACTED-example-2", "ssh_key_ids": [], "tags": ["db"],
    "volumes": [{"id": 70003, "name": "boot", "size_mb": 40960, "created": "2024-06-01T12:00:10.0000000Z"}],
    "nics": [{"id": 80003, "server_id": "l1s10002", "network_id": "l1pub2", "network_type": "PublicShared",
              "mac": "02:00:00:aa:00:03", "ip_address": "203.0.113.20", "mask": 24, "gateway": "203.0.113.1",
              "bandwidth_mbps": 100}],
}
SSH_KEYS_A = [  # fixture 7.3-A
    {"id": 501, "name": "deploy@example.com",
     "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExample01 deploy@example.com"},
    {"id": 502, "name": "legacy-ssh2",
     "public_key": "---- BEGIN SSH2 PUBLIC KEY ----\r\nComment: \"example-key\"\r\n"
                   "AAAAB3NzaC1yc2EAAAADAQABAAABAQCexampleexampleexample\r\n---- END SSH2 PUBLIC KEY ----"},
]
LOCATIONS_A = [  # fixture 7.5-A
    {"id": "nj3", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 512000,
     "windows_system_volume_min": 51200, "bandwidth_min": 50, "bandwidth_max": 200,
     "cpu_quantity_options": [1, 2, 4, 6, 8, 12, 16], "ram_size_options": [1024, 2048, 4096, 8192, 16384, 32768, 65536]},
    {"id": "am2", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 512000,
     "windows_system_volume_min": 51200, "bandwidth_min": 50, "bandwidth_max": 200,
     "cpu_quantity_options": [1, 2, 4, 8], "ram_size_options": [1024, 2048, 4096, 8192, 16384]},
]
LOCATION_B = {"id": "ca", "system_volume_min": 25600, "additional_volume_min": 10240, "volume_max": 204800,
              "windows_system_volume_min": 51200, "bandwidth_min": 10, "bandwidth_max": 100,
              "cpu_quantity_options": [1, 2], "ram_size_options": [1024, 2048]}
IMAGES_A = [  # fixture 7.6-A
    {"id": "Ubuntu-22.04-X64", "location_id": "nj3", "type": "Ubuntu", "os_version": "22.04", "architecture": "X64", "allow_ssh_keys": True},
    {"id": "Ubuntu-22.04-X64", "location_id": "am2", "type": "Ubuntu", "os_version": "22.04", "architecture": "X64", "allow_ssh_keys": True},
    {"id": "Debian-12-X64", "location_id": "am2", "type": "Debian", "os_version": "12", "architecture": "X64", "allow_ssh_keys": True},
    {"id": "Windows-Server 2019 Std-X64", "location_id": "nj3", "type": "Windows", "os_version": "Server 2019 Std",
     "architecture": "X64", "allow_ssh_keys": False},
]
RECORDS_77 = [  # fixture 7.7
    {"id": 66001, "name": "www.example.com.", "type": "A", "ttl": "1h", "ip": "203.0.113.10"},
    {"id": 66002, "name": "example.com.", "type": "MX", "ttl": "1h", "mail_host": "mail.example.com.", "priority": 10},
    {"id": 66003, "name": "example.com.", "type": "TXT", "ttl": "5m", "text": "\"v=spf1 -all\""},
    {"id": 66004, "name": "example.com.", "type": "NS", "ttl": "1d", "name_server_host": "ns01.serverspace.com."},
]
NEW_SERVER = {"name": "build-01", "location_id": "nj3", "image_id": "Ubuntu-24.04-X64", "cpu": 1, "ram_mb": 1024,
              "volumes": [{"name": "boot", "size_mb": 25600}], "networks": [{"bandwidth_mbps": 50}],
              "ssh_key_ids": [501], "tags": ["env=test"], "server_init_script": "#!/bin/sh\necho hi\n"}


def error(code: int, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


BUSY = error(-4000, "A conflict occurred during a concurrent change of the object")


class Api:
    """A minimal client: JSON to /api/v1/<path> with X-API-KEY."""

    def __init__(self, url: str, key: str = serverspace.API_KEY):
        self.url = url
        self.http = requests.Session()
        if key is not None:
            self.http.headers["X-API-KEY"] = key

    def req(self, method: str, path: str, body=None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        if body is not None:
            kwargs["json"] = body
        return self.http.request(method, f"{self.url}/api/v1/{path}", **kwargs)

    def get(self, path: str) -> dict:
        response = self.req("GET", path)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        return response.json()

    @staticmethod
    def task_of(response: requests.Response, status: int = 200) -> str:
        assert response.status_code == status, response.text
        body = response.json()
        assert list(body) == ["task_id"]
        return body["task_id"]

    def wait(self, task_id: str, timeout: float = 3.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.get(f"tasks/{task_id}")["task"]
            assert task["is_completed"] in serverspace.TASK_STATES
            if task["is_completed"] in TERMINAL:
                return task
            time.sleep(0.02)
        raise AssertionError(f"task {task_id} did not finish in time")

    def control(self, method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/__sim__/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def sim():
    handle = launcher.start("serverspace", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture()
def api(sim):
    """Default knobs, fresh state and call log, a client with the default key."""
    settings = dict(serverspace.ServerspaceSimulator.KNOBS, **KNOBS, latency=0.0, seed_servers=0)
    requests.post(sim.url + "/__sim__/config", json=settings, timeout=5).raise_for_status()
    requests.post(sim.url + "/__sim__/reset", timeout=5).raise_for_status()
    client = Api(sim.url)
    yield client
    client.http.close()


def configure(api, **knobs):
    api.control("POST", "config", knobs)


# -- fixture shapes -----------------------------------------------------------------------------------

def test_fixture_shapes(api):
    listed = api.get("servers")
    assert listed == {"servers": [WEB_01, DB_01]}
    assert list(listed["servers"][0]) == list(WEB_01)  # key order too
    assert api.get("servers/l1s10001") == {"server": WEB_01}
    missing = api.req("GET", "servers/l1s99999")
    assert missing.status_code == 404 and missing.json() == error(-1, "Server not found")
    assert api.get("ssh-keys") == {"ssh_keys": SSH_KEYS_A}
    assert api.get("ssh-keys/501") == {"ssh_key": SSH_KEYS_A[0]}
    locations = api.get("locations")["locations"]
    assert locations[:2] == LOCATIONS_A and locations[2] == LOCATION_B
    assert api.get("images")["images"][:4] == IMAGES_A
    assert api.get("domains/example.com./records") == {"records": RECORDS_77}
    assert api.get("domains/example.com/records") == {"records": RECORDS_77}  # the path without the dot works too
    assert api.get("domains/example.com.")["domain"] == {"name": "example.com.", "is_delegated": True, "records": RECORDS_77}
    assert api.get("domains") == {"domains": [{"name": "example.com.", "is_delegated": True}]}
    gone = api.req("GET", "domains/example.org./records")
    assert gone.status_code == 404 and gone.json() == error(-1, "Domain not found")
    assert api.get("project") == {"project": {"id": 123, "balance": 850.44, "currency": "USD", "state": "Active",
                                              "created": "2020-06-01T15:23:07.6258725Z"}}
    nics = api.get("servers/l1s10001/nics")["nics"]
    assert nics == WEB_01["nics"] and api.get("servers/l1s10001/nics/80002") == {"nic": WEB_01["nics"][1]}
    volumes = api.get("servers/l1s10001/volumes")["volumes"]
    assert volumes == [dict(v, server_id="l1s10001") for v in WEB_01["volumes"]]  # sub-resources carry server_id
    network = api.get("networks/isolated/l1n2001")["isolated_network"]
    assert network["server_ids"] == ["l1s10001"] and network["location_id"] == "nj3"


def test_empty_project(api):
    configure(api, empty_project=True)
    api.control("POST", "reset")
    assert api.get("servers") == {"servers": []}
    assert api.get("ssh-keys") == {"ssh_keys": SSH_KEYS_A}


# -- auth and envelopes -----------------------------------------------------------------------------------

def test_auth_failures(api):
    unauthorized = error(-3, "Unauthorized: the API key is missing, invalid or expired")
    for key in (None, "wrong", serverspace.API_KEY[:-1]):
        response = Api(api.url, key).req("GET", "servers")
        assert response.status_code == 401 and response.json() == unauthorized
    posted = Api(api.url, "wrong").req("POST", "servers", NEW_SERVER)
    assert posted.status_code == 401 and len(api.get("servers")["servers"]) == 2
    assert len(serverspace.API_KEY) == 64 and serverspace.API_KEY.startswith("08")
    configure(api, auth_status=403)
    assert Api(api.url, None).req("GET", "servers").status_code == 403
    configure(api, api_key="another-key")
    assert api.req("GET", "servers").status_code == 403
    assert Api(api.url, "another-key").req("GET", "servers").status_code == 200


@pytest.mark.parametrize("shape, body", [
    ("error", {"error": "Server not found"}),
    ("message", {"message": "Server not found"}),
    ("text", "Server not found"),
])
def test_error_fallback_shapes(api, shape, body):
    configure(api, error_shape=shape)
    response = api.req("GET", "servers/nope")
    assert response.status_code == 404
    assert (response.text if shape == "text" else response.json()) == body


def test_routing_errors(api):
    unknown = api.req("GET", "frobnicate")
    assert unknown.status_code == 404 and unknown.json() == error(-1, "Resource not found")
    wrong_method = api.req("PATCH", "ssh-keys")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "GET, POST"
    as_form = api.req("POST", "ssh-keys", data={"name": "x", "public_key": ED25519})
    assert as_form.status_code == 415
    broken = api.req("POST", "ssh-keys", data="{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == -2
    bad = api.req("POST", "ssh-keys", {"name": "x", "public_key": "not a key"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["error_params"] == [{"name": "Field", "value": "public_key"}]


# -- tasks ----------------------------------------------------------------------------------------------

def test_create_task_lifecycle_and_server_becomes_active(api):
    configure(api, task_seconds=0.5)
    task_id = api.task_of(api.req("POST", "servers", NEW_SERVER), 201)
    assert task_id == "l1t50001"
    first = api.get(f"tasks/{task_id}")["task"]
    assert first["is_completed"] in ("New", "InProgress") and isinstance(first["is_completed"], str)
    assert set(first) == {"id", "is_completed", "created"}  # no server_id and no completed yet (fixture 7.4-A)
    building = [s for s in api.get("servers")["servers"] if s["name"] == "build-01"][0]
    assert (building["state"], building["is_power_on"], building["volumes"], building["nics"]) == ("New", False, [], [])
    seen = {first["is_completed"]}
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        task = api.get(f"tasks/{task_id}")["task"]
        seen.add(task["is_completed"])
        if task["is_completed"] == "Completed":
            break
        time.sleep(0.02)
    assert {"InProgress", "Completed"} <= seen
    assert list(task) == ["id", "server_id", "location_id", "is_completed", "created", "completed"]  # fixture 7.4-B
    assert task["server_id"] == building["id"] == "l1s10003" and task["location_id"] == "nj3"
    assert task["created"].endswith("Z") and len(task["created"].split(".")[1]) == 8  # 7 digits + Z
    server = api.get(f"servers/{task['server_id']}")["server"]
    assert (server["state"], server["is_power_on"], server["ssh_key_ids"], server["tags"]) == ("Active", True, [501], ["env=test"])
    assert server["volumes"][0]["name"] == "boot" and server["volumes"][0]["size_mb"] == 25600
    assert server["nics"][0]["network_type"] == "PublicShared" and server["nics"][0]["ip_address"] == "203.0.113.11"
    assert server["login"] == "root" and server["password"]  # clients must strip these
    assert api.control("GET", "state")["servers"][-1]["init_script"] == NEW_SERVER["server_init_script"]


def test_create_validation(api):
    cases = [
        ({"cpu": 3}, 400, -2), ({"ram_mb": 1536}, 400, -2), ({"location_id": "xx9"}, 400, -8049),
        ({"image_id": "Debian-12-X64", "location_id": "am2", "networks": [{"network_id": "l1n2001"}]}, 400, -2),
        ({"volumes": [{"name": "data", "size_mb": 30720}]}, 400, -2), ({"volumes": [{"name": "boot", "size_mb": 20480}]}, 400, -2),
        ({"networks": [{"bandwidth_mbps": 55}]}, 400, -2), ({"networks": [{"bandwidth_mbps": 50, "network_id": "l1n2001"}]}, 400, -2),
        ({"networks": [{"network_id": "l1n9999"}]}, 404, -1), ({"ssh_key_ids": [999]}, 400, -2),
        ({"image_id": "Windows-Server 2019 Std-X64", "volumes": [{"name": "boot", "size_mb": 51200}]}, 400, -2),
        ({"name": "bad name!"}, 400, -2), ({"cpu": "1"}, 400, -2),
    ]
    for change, status, code in cases:
        response = api.req("POST", "servers", dict(NEW_SERVER, **change))
        assert response.status_code == status and response.json()["errors"][0]["code"] == code, (change, response.text)
    assert len(api.get("servers")["servers"]) == 2
    windows = dict(NEW_SERVER, image_id="Windows-Server 2019 Std-X64", ssh_key_ids=[], volumes=[{"name": "boot", "size_mb": 51200}])
    task = api.wait(api.task_of(api.req("POST", "servers", windows), 201))
    assert api.get(f"servers/{task['server_id']}")["server"]["login"] == "Administrator"


def test_failed_and_canceled_tasks(api):
    configure(api, fail_tasks="server_create,power")
    task = api.wait(api.task_of(api.req("POST", "servers", NEW_SERVER), 201))
    assert task["is_completed"] == "Failed" and "completed" in task and "server_id" not in task
    assert [s["name"] for s in api.get("servers")["servers"]] == ["web-01", "db-01"]
    task = api.wait(api.task_of(api.req("POST", "servers/l1s10001/power/shutdown", {})))
    assert (task["is_completed"], task["server_id"]) == ("Failed", "l1s10001")  # fixture 7.4-C
    assert api.get("servers/l1s10001")["server"]["is_power_on"] is True
    configure(api, fail_tasks="", cancel_tasks="record")
    record = {"name": "x", "type": "A", "ttl": "1h", "ip": "203.0.113.99"}
    assert api.wait(api.task_of(api.req("POST", "domains/example.com./records", record), 201))["is_completed"] == "Canceled"
    assert api.req("GET", "tasks/l1t99999").json() == error(-1, "Task not found")
    with pytest.raises(ValueError, match="fail_tasks"):
        launcher.start("serverspace", fail_tasks="explode")


# -- busy objects ----------------------------------------------------------------------------------------

def test_busy_server_then_success(api):
    task_id = api.task_of(api.req("PATCH", "servers/l1s10001", {"cpu": 4, "ram_mb": 8192}))
    assert api.get("servers/l1s10001")["server"]["state"] == "Busy"
    for method, path, body in (("POST", "servers/l1s10001/power/shutdown", {}), ("PUT", "servers/l1s10001/name", {"name": "x"}),
                               ("POST", "servers/l1s10001/volumes", {"name": "more", "size_mb": 10240}),
                               ("DELETE", "servers/l1s10001", None), ("POST", "servers/l1s10001/tags", {"value": "t"})):
        conflict = api.req(method, path, body)
        assert conflict.status_code == 400 and conflict.json() == BUSY, (method, path)
    assert api.get("servers/l1s10002")["server"]["state"] == "Active"  # other servers are not affected
    api.wait(task_id)
    api.wait(api.task_of(api.req("POST", "servers/l1s10001/power/shutdown", {})))
    server = api.get("servers/l1s10001")["server"]
    # fixture 7.2-B: cpu 4 / 8192 MB and powered off (that fixture also drops the data volume and isolated NIC)
    assert (server["cpu"], server["ram_mb"], server["is_power_on"], server["state"]) == (4, 8192, False, "Active")


def test_settle_window_answers_19803(api):
    configure(api, task_seconds=0.05, settle_seconds=0.3)
    api.wait(api.task_of(api.req("POST", "servers/l1s10002/power/on", {})))
    assert api.get("servers/l1s10002")["server"]["state"] == "Busy"
    late = api.req("POST", "servers/l1s10002/power/off", {})
    assert late.status_code == 400 and late.json()["errors"][0]["code"] == -19803
    deadline = time.monotonic() + 3
    while api.get("servers/l1s10002")["server"]["state"] != "Active":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    api.wait(api.task_of(api.req("POST", "servers/l1s10002/power/off", {})))


def test_resize_put_patch_and_rename(api):
    missing = api.req("PUT", "servers/l1s10002", {"cpu": 2})
    assert missing.status_code == 400  # PUT needs both
    api.wait(api.task_of(api.req("PUT", "servers/l1s10002", {"cpu": 2, "ram_mb": 4096})))
    api.wait(api.task_of(api.req("PUT", "servers/l1s10002/name", {"name": "db-02"})))
    server = api.get("servers/l1s10002")["server"]
    assert (server["cpu"], server["ram_mb"], server["name"]) == (2, 4096, "db-02")
    assert api.req("PATCH", "servers/l1s10002", {"cpu": 16}).status_code == 400  # not an option in am2
    configure(api, rename_route=False, resize_methods="PUT")
    assert api.req("PUT", "servers/l1s10002/name", {"name": "db-03"}).status_code == 404
    assert api.req("PATCH", "servers/l1s10002", {"cpu": 1}).status_code == 405


# -- power --------------------------------------------------------------------------------------------

def test_power_actions(api):
    for action, expected in (("shutdown", False), ("on", True), ("off", False), ("on", True), ("reboot", True), ("reset", True)):
        task = api.wait(api.task_of(api.req("POST", f"servers/l1s10001/power/{action}")))
        assert task["is_completed"] == "Completed"
        assert api.get("servers/l1s10001")["server"]["is_power_on"] is expected, action
    redundant = api.wait(api.task_of(api.req("POST", "servers/l1s10001/power/on", {})))
    assert redundant["is_completed"] == "Completed"  # noop by default
    configure(api, redundant_power="error")
    refused = api.req("POST", "servers/l1s10001/power/on", {})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == -4
    configure(api, acpi_ignored=True)
    api.wait(api.task_of(api.req("POST", "servers/l1s10001/power/shutdown", {})))
    assert api.get("servers/l1s10001")["server"]["is_power_on"] is True  # the guest ignored ACPI
    api.wait(api.task_of(api.req("POST", "servers/l1s10001/power/off", {})))
    assert api.get("servers/l1s10001")["server"]["is_power_on"] is False
    assert api.req("POST", "servers/l1s10001/power/hibernate", {}).status_code == 404
    configure(api, empty_body_for="power")
    empty = api.req("POST", "servers/l1s10001/power/on", {})
    assert empty.status_code == 200 and empty.content == b""


# -- delete ---------------------------------------------------------------------------------------------

def test_delete_server_gone(api):
    task = api.wait(api.task_of(api.req("DELETE", "servers/l1s10001")))
    assert task["server_id"] == "l1s10001"
    assert api.req("GET", "servers/l1s10001").status_code == 404
    assert api.req("DELETE", "servers/l1s10001").status_code == 404  # a repeated delete
    assert api.get("networks/isolated/l1n2001")["isolated_network"]["server_ids"] == []
    configure(api, empty_body_for="delete")
    empty = api.req("DELETE", "servers/l1s10002")
    assert empty.status_code == 200 and empty.content == b""
    deadline = time.monotonic() + 3
    while api.req("GET", "servers/l1s10002").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert api.get("servers") == {"servers": []}


# -- NICs, volumes, networks, tags ------------------------------------------------------------------------------

def test_nics_and_networks(api):
    busy_net = api.req("DELETE", "networks/isolated/l1n2001")
    assert busy_net.status_code == 400 and busy_net.json()["errors"][0]["code"] == -19511
    task = api.wait(api.task_of(api.req("POST", "servers/l1s10002/nics", {"bandwidth_mbps": 60}), 201))
    nic = api.get(f"servers/l1s10002/nics/{task['nic_id']}")["nic"]
    assert (nic["network_type"], nic["bandwidth_mbps"], nic["network_id"]) == ("PublicShared", 60, "l1pub2")
    assert api.req("POST", "servers/l1s10002/nics", {"bandwidth_mbps": 60, "network_id": "l1n2001"}).status_code == 400
    wrong_location = api.req("POST", "servers/l1s10002/nics", {"network_id": "l1n2001"})
    assert wrong_location.status_code == 400
    api.wait(api.task_of(api.req("PUT", f"servers/l1s10002/nics/{nic['id']}", {"bandwidth_mbps": 70})))
    assert api.get(f"servers/l1s10002/nics/{nic['id']}")["nic"]["bandwidth_mbps"] == 70
    assert api.req("PUT", "servers/l1s10001/nics/80002", {"bandwidth_mbps": 70}).status_code == 400  # isolated
    api.wait(api.task_of(api.req("DELETE", "servers/l1s10001/nics/80002")))
    assert [n["id"] for n in api.get("servers/l1s10001/nics")["nics"]] == [80001]
    api.wait(api.task_of(api.req("DELETE", "networks/isolated/l1n2001")))
    create = {"name": "backend", "location_id": "nj3", "network_prefix": "10.50.0.0", "mask": 24}
    task = api.wait(api.task_of(api.req("POST", "networks/isolated", create), 201))
    network = api.get(f"networks/isolated/{task['network_id']}")["isolated_network"]
    assert (network["name"], network["network_prefix"], network["mask"], network["server_ids"]) == ("backend", "10.50.0.0", 24, [])
    task = api.wait(api.task_of(api.req("POST", "servers/l1s10001/nics", {"network_id": network["id"]}), 201))
    assert api.get(f"servers/l1s10001/nics/{task['nic_id']}")["nic"]["ip_address"] == "10.50.0.11"
    again = api.req("POST", "servers/l1s10001/nics", {"network_id": network["id"]})
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == -5542


def test_volumes(api):
    task = api.wait(api.task_of(api.req("POST", "servers/l1s10002/volumes", {"name": "data", "size_mb": 20480}), 201))
    volume = api.get(f"servers/l1s10002/volumes/{task['volume_id']}")["volume"]
    assert (volume["name"], volume["size_mb"], volume["server_id"]) == ("data", 20480, "l1s10002")
    duplicate = api.req("POST", "servers/l1s10002/volumes", {"name": "data", "size_mb": 20480})
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == -5542
    assert api.req("PUT", "servers/l1s10002/volumes/70003", {"size_mb": 30720}).status_code == 400  # shrink
    api.wait(api.task_of(api.req("PUT", "servers/l1s10002/volumes/70003", {"size_mb": 51200})))
    assert api.get("servers/l1s10002")["server"]["volumes"][0]["size_mb"] == 51200
    assert api.req("DELETE", "servers/l1s10002/volumes/70003").status_code == 400  # boot
    api.wait(api.task_of(api.req("DELETE", f"servers/l1s10002/volumes/{volume['id']}")))
    assert [v["name"] for v in api.get("servers/l1s10002/volumes")["volumes"]] == ["boot"]
    configure(api, volume_step_mb=10240)
    assert api.req("POST", "servers/l1s10002/volumes", {"name": "odd", "size_mb": 15360}).status_code == 400


def test_tags(api):
    added = api.req("POST", "servers/l1s10002/tags", {"value": "env=prod"})
    assert added.status_code == 200 and added.content == b""
    assert api.get("servers/l1s10002")["server"]["tags"] == ["db", "env=prod"]
    assert api.req("POST", "servers/l1s10002/tags", {"value": "env=prod"}).json()["errors"][0]["code"] == -5542
    assert api.req("DELETE", "servers/l1s10002/tags/env=prod").status_code == 200
    assert api.req("DELETE", "servers/l1s10002/tags/env=prod").status_code == 404
    assert api.get("servers/l1s10002")["server"]["tags"] == ["db"]


# -- DNS ------------------------------------------------------------------------------------------------

def test_records_fqdn_txt_ttl_and_duplicates(api):
    zone = "domains/example.com./records"
    task = api.wait(api.task_of(api.req("POST", zone, {"name": "api", "type": "a", "ttl": "5m", "ip": "203.0.113.30"}), 201))
    assert task["id"].startswith("dns") and list(task) == ["id", "domain_id", "record_id", "is_completed", "created", "completed"]
    assert task["domain_id"] == "example.com." and task["record_id"] == 66005
    assert api.get(f"{zone}/66005")["record"] == {"id": 66005, "name": "api.example.com.", "type": "A", "ttl": "5m",
                                                  "ip": "203.0.113.30"}
    api.wait(api.task_of(api.req("POST", zone, {"name": "txt.example.com.", "type": "TXT", "ttl": "1m", "text": "hello world"}), 201))
    api.wait(api.task_of(api.req("POST", zone, {"name": "alias.example.com", "type": "CNAME", "ttl": "1h",
                                                "canonical_name": "www.example.com"}), 201))
    api.wait(api.task_of(api.req("POST", zone, {"name": "example.com.", "type": "SRV", "ttl": "1h", "service": "sip",
                                                "protocol": "tcp", "priority": 10, "weight": 5, "port": 5060,
                                                "target": "sip.example.com."}), 201))
    records = {r["name"]: r for r in api.get(zone)["records"] if r["id"] > 66004}
    assert records["txt.example.com."]["text"] == '"hello world"'
    assert records["alias.example.com."]["canonical_name"] == "www.example.com."
    assert records["_sip._tcp.example.com."]["protocol"] == "TCP"
    for body in ({"name": "api", "type": "A", "ttl": "1h", "ip": "203.0.113.30"},  # same value, other ttl
                 {"name": "alias", "type": "CNAME", "ttl": "1h", "canonical_name": "other.example.com."},  # 2nd CNAME
                 {"name": "example.com.", "type": "TXT", "ttl": "5m", "text": "\"v=spf1 -all\""}):
        duplicate = api.req("POST", zone, body)
        assert duplicate.status_code == 400 and duplicate.json() == error(-5542, "Record already exists"), body
    for body in ({"name": "x", "type": "A", "ttl": 3600, "ip": "203.0.113.1"}, {"name": "x", "type": "A", "ttl": "2m", "ip": "203.0.113.1"},
                 {"name": "x", "type": "A", "ttl": "1h", "ip": "2001:db8::1"}, {"name": "x.example.org.", "type": "A", "ttl": "1h",
                                                                                "ip": "203.0.113.1"},
                 {"name": "x", "type": "PTR", "ttl": "1h"}):
        assert api.req("POST", zone, body).status_code == 400, body
    update = {"name": "api.example.com.", "type": "A", "ttl": "1d", "ip": "203.0.113.31"}
    task = api.wait(api.task_of(api.req("PUT", f"{zone}/66005", update)))
    assert task["record_id"] == 66005 and api.get(f"{zone}/66005")["record"]["ttl"] == "1d"
    assert api.req("PUT", f"{zone}/66005", dict(update, type="AAAA", ip="2001:db8::1")).status_code == 400


def test_zone_busy_then_success(api):
    zone = "domains/example.com./records"
    first = api.task_of(api.req("POST", zone, {"name": "a1", "type": "A", "ttl": "1h", "ip": "203.0.113.41"}), 201)
    second = api.req("POST", zone, {"name": "a2", "type": "A", "ttl": "1h", "ip": "203.0.113.42"})
    assert second.status_code == 400 and second.json() == BUSY
    api.wait(first)
    api.wait(api.task_of(api.req("POST", zone, {"name": "a2", "type": "A", "ttl": "1h", "ip": "203.0.113.42"}), 201))
    assert {"a1.example.com.", "a2.example.com."} <= {r["name"] for r in api.get(zone)["records"]}


def test_record_delete_linger_and_domains(api):
    configure(api, record_linger_seconds=0.3)
    zone = "domains/example.com./records"
    api.wait(api.task_of(api.req("DELETE", f"{zone}/66001")))
    assert api.get(f"{zone}/66001")["record"]["id"] == 66001  # still readable for a while
    assert api.req("DELETE", f"{zone}/66001").status_code == 404
    deadline = time.monotonic() + 3
    while api.req("GET", f"{zone}/66001").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    configure(api, record_linger_seconds=0.0)
    task = api.wait(api.task_of(api.req("POST", "domains", {"name": "Example.NET", "migrate_records": False}), 201))
    assert task["domain_id"] == "example.net."
    created = api.get("domains/example.net.")["domain"]
    assert created["is_delegated"] is False
    assert [r["name_server_host"] for r in created["records"]] == ["ns01.serverspace.com.", "ns02.serverspace.com."]
    exists = api.req("POST", "domains", {"name": "example.net."})
    assert exists.status_code == 400 and exists.json() == error(-5542, "Domain already exists")
    api.wait(api.task_of(api.req("DELETE", "domains/example.net.")))
    assert api.req("GET", "domains/example.net.").status_code == 404


# -- SSH keys ---------------------------------------------------------------------------------------------

def test_ssh_keys(api):
    created = api.req("POST", "ssh-keys", {"name": "new", "public_key": ED25519})
    assert created.status_code == 201 and created.json() == {"id": 504, "name": "new", "public_key": ED25519}
    ssh2 = SSH_KEYS_A[1]["public_key"]
    assert api.req("POST", "ssh-keys", {"name": "ssh2-copy", "public_key": ssh2}).json()["public_key"] == ssh2  # as given
    assert api.req("POST", "ssh-keys", {"name": "new", "public_key": ED25519}).status_code == 201  # names are not unique
    configure(api, sshkey_unique_names=True)
    assert api.req("POST", "ssh-keys", {"name": "new", "public_key": ED25519}).json()["errors"][0]["code"] == -5542
    configure(api, ssh_keys_list_key="ssh_key")
    listed = api.get("ssh-keys")
    assert list(listed) == ["ssh_key"] and [k["id"] for k in listed["ssh_key"]] == [501, 502, 504, 505, 506]
    deleted = api.req("DELETE", "ssh-keys/504")
    assert deleted.status_code == 200
    assert api.req("GET", "ssh-keys/504").json() == error(-1, "SSH key not found")
    assert api.req("DELETE", "ssh-keys/504").status_code == 404
    assert api.req("GET", "ssh-keys/abc").status_code == 404


# -- call log and faults ------------------------------------------------------------------------------------

def test_call_log_operation_and_mutating(api):
    api.control("DELETE", "calls")
    api.get("servers")
    task_id = api.task_of(api.req("POST", "servers/l1s10002/power/on", {}))
    api.get(f"tasks/{task_id}")
    api.req("POST", "ssh-keys", {"name": "k", "public_key": ED25519})
    api.req("DELETE", "domains/example.com./records/66001")
    api.req("GET", "nowhere")
    calls = api.control("GET", "calls")["calls"]
    assert [(c["method"], c["operation"], c["mutating"]) for c in calls] == [
        ("GET", "servers_list", False), ("POST", "power_on", True), ("GET", "task_get", False),
        ("POST", "sshkey_create", True), ("DELETE", "record_delete", True), ("GET", None, False)]
    assert calls[1]["json"] == {} and calls[1]["headers"]["X-API-KEY"] == serverspace.API_KEY


def test_framework_faults_still_apply(api):
    api.control("POST", "faults", {"faults": [
        {"path": "/api/v1/servers", "method": "GET", "action": "respond", "status": 429, "headers": {"Retry-After": "1"}},
        {"match": {"operation": "server_create"}, "action": "drop_after"},
        {"match": {"operation": "power_off"}, "action": "respond", "status": 503, "times": 2}]})
    limited = api.req("GET", "servers")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert len(api.get("servers")["servers"]) == 2
    with pytest.raises(requests.ConnectionError):
        api.req("POST", "servers", NEW_SERVER)
    assert "build-01" in [s["name"] for s in api.get("servers")["servers"]]  # it ran, the answer was lost
    assert [api.req("POST", "servers/l1s10001/power/off", {}).status_code for attempt in range(3)] == [503, 503, 200]
    calls = api.control("GET", "calls")["calls"]
    assert [(c["operation"], c["fault"]) for c in calls] == [
        ("servers_list", "respond"), ("servers_list", None), ("server_create", "drop_after"), ("servers_list", None),
        ("power_off", "respond"), ("power_off", "respond"), ("power_off", None)]


def test_create_returns_server_id_knob(api):
    configure(api, create_returns_server_id=True)
    response = api.req("POST", "servers", NEW_SERVER)
    assert response.status_code == 201 and response.json() == {"task_id": "l1t50001", "server_id": "l1s10003"}


# -- seeding and launcher --------------------------------------------------------------------------------------

def test_seed_servers(api):
    api.control("POST", "seed", {"servers": 30})
    servers = api.get("servers")["servers"]
    assert [s["id"] for s in servers] == [f"l1s{10001 + i}" for i in range(30)]
    assert [s["name"] for s in servers[:2]] == ["srv0001", "srv0002"]
    assert {s["location_id"] for s in servers} == {"nj3", "am2", "ca"}
    assert all(s["nics"][0]["network_type"] == "PublicShared" for s in servers)
    addresses = [n["ip_address"] for s in servers for n in s["nics"]]
    assert len(addresses) == len(set(addresses))
    assert [s["id"] for s in servers if not s["is_power_on"]] == ["l1s10007", "l1s10014", "l1s10021", "l1s10028"]
    assert sum(len(s["nics"]) == 2 for s in servers) == 6
    assert servers[2]["tags"] == ["env=prod", "role=worker", "backup"]
    api.control("POST", "seed", {"servers": 30})
    assert api.get("servers")["servers"] == servers  # deterministic, passwords included


def test_unknown_knob_and_cli(tmp_path):
    with pytest.raises(ValueError, match="unknown knob"):
        launcher.start("serverspace", warp_speed=True)
    with pytest.raises(ValueError, match="ssh_keys_list_key"):
        launcher.start("serverspace", ssh_keys_list_key="keys")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "serverspace:0", "--seed-servers", "3", "--knob",
         "serverspace.task_seconds=0.05", "--ready-file", str(ready)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        client = Api(json.loads(ready.read_text())["serverspace"])
        assert [s["name"] for s in client.get("servers")["servers"]] == ["srv0001", "srv0002", "srv0003"]
        assert client.wait(Api.task_of(client.req("POST", "servers/l1s10001/power/off", {})))["is_completed"] == "Completed"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
