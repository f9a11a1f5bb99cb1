"""The Skyport panel simulator against the fixtures of providers/skyport.md section 10, plus each defect of section 8."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

try:
    from ansible_collections.hostcraft.cloud.tests.simulators import launcher, skyport
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.simulators import launcher, skyport

REPO_ROOT = Path(skyport.__file__).resolve().parents[2]
# fast installs; the rate limit is off unless a test turns it on
KNOBS = {"install_seconds": 0.3, "first_poll_seconds": 0.1, "rate_limit": 0, "rate_window": 1.0,
         "node_create_hang": 5.0}

EU = "6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d"
FIXTURE_KEY = {"id": "0b5c2a8e-1111-4c3e-9a51-2f1f6c0e9a01", "key": "skyport_5f0e4a52-2222-4d7b-8c1e-7a9b3c4d5e6f",
               "createdAt": "2024-10-20T12:00:00.000Z"}
ALICE = {"userId": "user-alice-0001", "username": "alice", "email": "alice@example.com",
         "password": "$2b$10$abcdefghijklmnopqrstuuFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE",
         "accessTo": [], "admin": False}
NODE = {"id": EU, "name": "eu-node-1", "tags": "eu,game",
        "ram": "8192", "disk": "102400", "processor": "AMD EPYC", "address": "10.0.0.21",
        "port": "3002", "apiKey": "3c9f0e7d5b1a2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
        "configureKey": None, "status": "Configured"}
DEPLOY = {"image": "quay.io/skyport/java:21", "imagename": "Minecraft Java: PaperMC",
          "memory": "2048", "cpu": "2", "ports": "25565:25565,25575:25575",
          "nodeId": EU, "name": "mc-survival",
          "user": "user-alice-0001", "primary": "25565",
          "variables": {"Version": "1.21.1", "Build": "89"}}
IMAGE_DATA = {"Id": "c0ffee00-4444-4bbb-8ccc-000000000001", "Name": "Minecraft Java: PaperMC",
              "Image": "quay.io/skyport/java:21", "AltImages": ["quay.io/skyport/java:21", "docker.io/privt/java:17"],
              "Cmd": "", "Env": ["START=java -jar server.jar"], "StopCommand": "stop",
              "Scripts": {"Install": [{"Uri": "https://example.invalid/paper-{{Version}}-{{Build}}.jar", "Path": "server.jar"}]},
              "Variables": {"Version": {"type": "text", "default": "1.21.1", "required": True},
                            "Build": {"type": "text", "default": "89", "required": True}}}
INSTANCE = {"Name": "mc-survival", "Id": "a3f91c07", "VolumeId": "a3f91c07", "User": "user-alice-0001",
            "Node": NODE,
            "InternalState": "READY",
            "ContainerId": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
            "Memory": 2048, "Cpu": 2, "Ports": "25565:25565,25575:25575", "Primary": "25565",
            "Image": "quay.io/skyport/java:21", "AltImages": ["quay.io/skyport/java:21", "docker.io/privt/java:17"],
            "StopCommand": "stop",
            "imageData": IMAGE_DATA,
            "Env": ["START=java -jar server.jar", "Version=1.21.1", "Build=89", "PRIMARY_PORT=25565"]}
HEX8, HEX64 = re.compile(r"^[0-9a-f]{8}$"), re.compile(r"^[0-9a-f]{64}$")


class Api:
    """A minimal Skyport client: JSON bodies, the x-api-key header."""

    def __init__(self, url: str, key: str | None = skyport.API_KEY):
        self.url = url
        self.key = key
        self.http = requests.Session()

    def call(self, method: str, path: str, body=None, key: str | None = "", headers: dict | None = None,
             **kwargs) -> requests.Response:
        sent = {}
        token = self.key if key == "" else key
        if token is not None:
            sent["x-api-key"] = token
        sent.update(headers or {})
        kwargs.setdefault("timeout", 5)
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        return self.http.request(method, self.url + path, headers=sent, **kwargs)

    def ok(self, method: str, path: str, body=None, status: int = 200, **kwargs):
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        return response.json()

    def control(self, method: str, path: str, body=None, **kwargs) -> dict:
        response = requests.request(method, f"{self.url}/__sim__/{path}", json=body, timeout=5, **kwargs)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return self.control("GET", "state")

    def deploy(self, **changes) -> str:
        body = dict(DEPLOY, **changes)
        answer = self.ok("POST", "/api/instances/deploy", body, status=201)
        return answer["volumeId"]

    def instance(self, inst_id: str) -> dict:
        return self.ok("POST", "/api/getInstance", {"id": inst_id})

    def wait_state(self, inst_id: str, wanted: str, timeout: float = 3.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.instance(inst_id)
            if record["InternalState"] == wanted:
                return record
            time.sleep(0.03)
        raise AssertionError(f"{inst_id} never reached {wanted}")


def error(response: requests.Response, status: int, text: str, **extra) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == dict({"error": text}, **extra)


def html(response: requests.Response, status: int, text: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    if text is not None:
        assert response.text == text


@pytest.fixture(scope="module")
def sim():
    handle = launcher.start("skyport", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture()
def api(sim):
    """Default knobs (with the fast ones above), fresh state and call log, the default key."""
    settings = dict(skyport.SkyportSimulator.KNOBS, **KNOBS, latency=0.0, seed_servers=0)
    requests.post(sim.url + "/__sim__/config", json=settings, timeout=5).raise_for_status()
    requests.delete(sim.url + "/__sim__/faults", timeout=5).raise_for_status()
    requests.post(sim.url + "/__sim__/reset", timeout=5).raise_for_status()
    client = Api(sim.url)
    yield client
    client.http.close()


# -- auth and Express plumbing ----------------------------------------------------------------------------------------

def test_auth_keys_and_errors(api):
    error(api.call("GET", "/api/users", key=None), 401, "API key is required")
    error(api.call("GET", "/api/users", key="skyport_wrong"), 401, "API Key Invalid")
    error(api.call("POST", "/api/getUser", {"type": "username", "value": "alice"}, key=None), 401, "API key is required")
    assert api.ok("GET", "/api/users", key=FIXTURE_KEY["key"])[0] == ALICE
    assert FIXTURE_KEY in api.state()["apiKeys"]
    # an extra key through the knob; and a key written straight into the store works at once
    api.control("POST", "config", {"api_keys": "skyport_extra"})
    assert api.ok("GET", "/api/name", key="skyport_extra") == {"name": "Skyport"}
    keys = api.control("GET", "db", params={"key": "apiKeys"})["keys"]["apiKeys"]
    keys.append({"id": "k9", "key": "skyport_direct", "createdAt": "2024-10-20T00:00:00.000Z"})
    api.control("POST", "db", {"set": {"apiKeys": keys, "name": "My Panel"}})
    assert api.ok("GET", "/api/name", key="skyport_direct") == {"name": "My Panel"}
    api.control("POST", "config", {"version": "v0.2"})
    error(api.call("GET", "/api/users", key="skyport_wrong"), 401, "")


def test_cookie_unknown_paths_and_methods(api):
    for response in (api.call("GET", "/api/users"), api.call("GET", "/nope", key=None),
                     api.call("PUT", "/x"), api.call("GET", "/api/users", key=None)):
        assert response.cookies.get("connect.sid", "").startswith("s%3A")
    # unknown GET: 200 HTML, even without a key and under /api; a POST route reached with GET is "unknown"
    for path in ("/nope", "/api/nope", "/api/instances/deploy", "/api/instance/a3f91c07"):
        html(api.call("GET", path, key=None), 200)
    html(api.call("PUT", "/x"), 404)
    assert "<pre>Cannot PUT /x</pre>" in api.call("PUT", "/x").text
    assert "<pre>Cannot POST /api/users</pre>" in api.call("POST", "/api/users", {}).text
    assert "<pre>Cannot DELETE /api/instances</pre>" in api.call("DELETE", "/api/instances").text
    # Express routing: case-insensitive, trailing slash optional
    assert api.ok("GET", "/API/Users/")[0]["username"] == "alice"


# -- users -----------------------------------------------------------------------------------------------------------

def test_users_and_get_user(api):
    users = api.ok("GET", "/api/users")
    assert users[0] == ALICE and all(u["password"].startswith("$2b$10$") for u in users)
    assert api.ok("POST", "/api/getUser", {"type": "username", "value": "alice"}) == ALICE
    assert api.ok("POST", "/api/getUser", {"type": "email", "value": "alice@example.com"}) == ALICE
    error(api.call("POST", "/api/getUser", {"type": "username", "value": "Alice"}), 404, "User not found")
    error(api.call("POST", "/api/getUser", {"type": "username"}), 400, "Type and value are required")
    error(api.call("POST", "/api/getUser", {"type": "userId", "value": "user-alice-0001"}), 400,
          'Invalid search type. Use "email" or "username".')
    api.control("POST", "config", {"version": "v0.2"})
    assert api.ok("POST", "/api/getUser", {"type": "username", "value": "alice"}, status=201) == ALICE
    error(api.call("POST", "/api/getUser", {"type": "username", "value": "nobody"}), 400, "User not found")


def test_create_user_shapes_duplicates_and_admin(api):
    created = api.ok("POST", "/api/auth/create-user",
                     {"username": "bob", "email": "bob@example.com", "password": "x", "userId": "user-bob-0001"}, status=201)
    assert created == {"userId": "user-bob-0001", "username": "bob", "email": "bob@example.com", "admin": False}
    stored = api.ok("POST", "/api/getUser", {"type": "username", "value": "bob"})
    assert set(stored) == {"userId", "username", "email", "password", "accessTo", "admin"}
    assert re.match(r"^\$2b\$10\$[./A-Za-z0-9]{53}$", stored["password"]) and stored["accessTo"] == []
    # 409 on the same username or the same email (exact, case-sensitive)
    error(api.call("POST", "/api/auth/create-user", {"username": "bob", "email": "other@example.com", "password": "x"}),
          409, "User already exists")
    error(api.call("POST", "/api/auth/create-user", {"username": "bobby", "email": "bob@example.com", "password": "x"}),
          409, "User already exists")
    assert api.call("POST", "/api/auth/create-user",
                    {"username": "Bob", "email": "Bob@example.com", "password": "x"}).status_code == 201
    # a duplicate userId is not checked
    dup = api.ok("POST", "/api/auth/create-user",
                 {"username": "carol", "email": "carol@example.com", "password": "x", "userId": "user-alice-0001"}, status=201)
    assert dup["userId"] == "user-alice-0001"
    assert [u["username"] for u in api.ok("GET", "/api/users") if u["userId"] == "user-alice-0001"] == ["alice", "carol"]
    # a uuid4 by default; admin only for JSON boolean true
    made = api.ok("POST", "/api/auth/create-user", {"username": "d", "email": "d", "password": "p", "admin": True}, status=201)
    assert re.match(r"^[0-9a-f-]{36}$", made["userId"]) and made["admin"] is True
    assert api.ok("POST", "/api/auth/create-user",
                  {"username": "e", "email": "e", "password": "p", "admin": "true"}, status=201)["admin"] is False
    form = api.call("POST", "/api/auth/create-user", data={"username": "f", "email": "f", "password": "p", "admin": "true"})
    assert form.status_code == 201 and form.json()["admin"] is False
    error(api.call("POST", "/api/auth/create-user", {"username": "g", "email": "g", "password": ""}), 400,
          "Username, email, and password are required")


def test_reset_password(api):
    answer = api.ok("POST", "/api/auth/reset-password", {"email": "alice@example.com"})
    assert set(answer) == {"password"} and re.match(r"^[A-Za-z0-9]{30}$", answer["password"])
    assert api.state()["users"][0]["resetToken"] == answer["password"]
    error(api.call("POST", "/api/auth/reset-password", {"email": "nobody@example.com"}), 404, "Email not found")
    api.control("POST", "config", {"version": "v0.2"})
    assert set(api.ok("POST", "/api/auth/reset-password", {"email": "alice@example.com"})) == {"message"}
    api.control("POST", "config", {"smtp": True})
    message = api.ok("POST", "/api/auth/reset-password", {"email": "alice@example.com"})["message"]
    assert re.match(r"^Password reset email sent successfully \([A-Za-z0-9]{30}\)$", message)


# -- images, nodes, name -------------------------------------------------------------------------------------------------

def test_images_nodes_name(api):
    images = api.ok("GET", "/api/images")
    assert images[0] == IMAGE_DATA and any(i["Name"] == "Node.js" for i in images)
    nodes = api.ok("GET", "/api/nodes")
    assert nodes[0] == NODE and nodes[1]["name"] == "us-node-1" and nodes[1]["address"] != NODE["address"]
    assert nodes[1]["status"] == "Configured" and nodes[1]["apiKey"]
    assert api.ok("GET", "/api/name") == {"name": "Skyport"}


def test_nodes_list_can_hold_null(api):
    api.control("POST", "config", {"dangling_nodes": 1})
    nodes = api.ok("GET", "/api/nodes")
    assert len(nodes) == 3 and nodes[2] is None
    api.control("POST", "config", {"dangling_nodes": 0})
    assert None not in api.ok("GET", "/api/nodes")
    api.control("POST", "reset")
    # the same through the store, as a DB write would do it
    api.control("POST", "db", {"set": {"nodes": [EU, "gone-node"]}})
    assert api.ok("GET", "/api/nodes") == [NODE, None]


def test_node_delete_201_for_any_id(api):
    assert api.ok("DELETE", "/api/nodes/delete", {"nodeId": "never-existed"}, status=201) == {
        "Message": "The node has successfully deleted."}
    html(api.call("DELETE", "/api/nodes/delete", {}), 200, "The node ID was invalid")
    assert api.ok("DELETE", "/api/nodes/delete", {"nodeId": EU}, status=201) == {"Message": "The node has successfully deleted."}
    assert [n["name"] for n in api.ok("GET", "/api/nodes")] == ["us-node-1"]
    # its instances keep their embedded node copy
    assert api.ok("GET", "/api/instances")[0]["Node"] == NODE


def test_node_create_never_answers(api):
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api.call("POST", "/api/nodes/create", {"name": "n", "tags": "t", "ram": "1", "disk": "1", "processor": "p",
                                               "address": "10.0.0.9", "port": "3002"}, timeout=0.5)
    # the held request does not block anything else
    assert api.ok("GET", "/api/nodes") and time.monotonic() - started < 2
    assert len(api.ok("GET", "/api/nodes")) == 2
    call = [c for c in api.control("GET", "calls")["calls"] if c["action"] == "create_node"][0]
    assert call["status"] is None and call["mutating"] is True
    # after node_create_hang the connection is closed without an answer; without a key it is a 401
    api.control("POST", "config", {"node_create_hang": 0.2})
    with pytest.raises(requests.ConnectionError):
        api.call("POST", "/api/nodes/create", {}, timeout=3)
    error(api.call("POST", "/api/nodes/create", {}, key=None), 401, "API key is required")


# -- instances ------------------------------------------------------------------------------------------------------------

def test_instance_fixture_and_lookups(api):
    assert api.ok("GET", "/api/instances") == [INSTANCE]
    assert api.instance("a3f91c07") == INSTANCE
    assert api.ok("POST", "/api/getUserInstance", {"userId": "user-alice-0001"}) == [INSTANCE]
    assert api.ok("POST", "/api/getUserInstance", {"userId": "user-admin-0001"}) == []
    error(api.call("POST", "/api/getInstance", {"id": "ffffffff"}), 404, "Instance not found")
    error(api.call("POST", "/api/getInstance", {}), 400, 'Parameter "id" is required')
    error(api.call("POST", "/api/getUserInstance", {"userId": "nobody"}), 404, "User not found")
    error(api.call("POST", "/api/getUserInstance", {}), 400, 'Parameter "userId" is required')
    api.control("POST", "config", {"version": "v0.2"})
    error(api.call("POST", "/api/getInstance", {"id": "ffffffff"}), 400, "Instance not found")
    error(api.call("POST", "/api/getUserInstance", {"userId": "nobody"}), 400, "User not found")


def test_deploy_fixture_install_and_record(api):
    answer = api.ok("POST", "/api/instances/deploy", DEPLOY, status=201)
    assert set(answer) == {"message", "volumeId", "state"} and HEX8.match(answer["volumeId"])
    assert answer["message"] == "Container creation initiated. State will be updated asynchronously."
    assert answer["state"] == "INSTALLING"
    inst_id = answer["volumeId"]
    record = api.instance(inst_id)
    assert "ContainerId" not in record and record["InternalState"] == "INSTALLING"
    expected = dict(copy.deepcopy(INSTANCE), Id=inst_id, VolumeId=inst_id, InternalState="INSTALLING")
    del expected["ContainerId"]
    assert record == expected
    time.sleep(0.15)
    assert api.instance(inst_id)["ContainerId"] is None  # the first poll found no container yet
    ready = api.wait_state(inst_id, "READY")
    assert ready == dict(expected, InternalState="READY", ContainerId=ready["ContainerId"]) and HEX64.match(ready["ContainerId"])
    state = api.state()
    assert state["instance_records"][inst_id] == ready
    assert [i for i in state["instances"] if i["Id"] == inst_id] == [ready]
    assert state["user_instances"]["user-alice-0001"][-1] == ready
    assert [c["mutating"] for c in api.control("GET", "calls")["calls"] if c["action"] == "deploy"] == [True]


def test_deploy_validation_and_quirks(api):
    missing = dict(DEPLOY)
    del missing["imagename"]
    error(api.call("POST", "/api/instances/deploy", missing), 400, "Missing required parameters")
    no_primary = dict(DEPLOY)
    del no_primary["primary"]
    error(api.call("POST", "/api/instances/deploy", no_primary), 400, "Missing required parameters")
    error(api.call("POST", "/api/instances/deploy", dict(DEPLOY, memory="")), 400, "Missing required parameters")
    error(api.call("POST", "/api/instances/deploy", dict(DEPLOY, nodeId="nope")), 404, "Invalid node")
    # primary may be empty; names repeat; memory/cpu through parseInt; unknown image name; unknown user accepted
    inst_id = api.deploy(primary="", memory="512MB", cpu="1.5", imagename="Nope", user="ghost", variables={"A": 1},
                         ports="8080:18080")
    record = api.instance(inst_id)
    assert (record["Primary"], record["Memory"], record["Cpu"], record["AltImages"]) == ("", 512, 1, [])
    assert "imageData" not in record and "StopCommand" not in record
    assert record["Env"] == ["A=1", "PRIMARY_PORT=18080"]
    error(api.call("POST", "/api/getUserInstance", {"userId": "ghost"}), 404, "User not found")
    assert api.deploy(memory="lots") and api.ok("GET", "/api/instances")[-1]["Memory"] is None
    assert [i["Name"] for i in api.ok("GET", "/api/instances")].count("mc-survival") == 3
    # a form body works too (qs-style nesting for variables)
    form = dict(DEPLOY, variables=None)
    del form["variables"]
    form.update({"variables[Version]": "1.20", "name": "formed"})
    response = api.call("POST", "/api/instances/deploy", data=form)
    assert response.status_code == 201, response.text
    assert "Version=1.20" in api.instance(response.json()["volumeId"])["Env"]
    api.control("POST", "config", {"version": "v0.2"})
    error(api.call("POST", "/api/instances/deploy", dict(DEPLOY, nodeId="nope")), 400, "Invalid node")


def test_install_outcomes(api):
    failed, stuck = api.deploy(name="will-fail"), api.deploy(name="stuck-one")
    api.control("POST", "config", {"install_result": "UNKNOWN"})
    unknown = api.deploy(name="plain")
    record = api.wait_state(failed, "FAILED")
    assert record["ContainerId"] is None
    time.sleep(0.35)
    assert (api.instance(stuck)["InternalState"], api.instance(stuck)["ContainerId"]) == ("INSTALLING", None)
    record = api.wait_state(unknown, "UNKNOWN")
    assert "ContainerId" not in record
    # the control endpoint: a poll result now
    done = api.control("POST", "install", {"id": stuck, "state": "READY"})["instance"]
    assert done["InternalState"] == "READY" and HEX64.match(done["ContainerId"])
    assert [i["InternalState"] for i in api.ok("GET", "/api/instances") if i["Id"] == stuck] == ["READY"]


def test_daemon_down_and_unconfigured_node(api):
    api.control("POST", "config", {"daemon_down": True})
    before = api.state()
    error(api.call("POST", "/api/instances/deploy", DEPLOY), 500, "Failed to create container",
          details="No additional error info")
    error(api.call("DELETE", "/api/instance/delete", {"id": "a3f91c07"}), 500, "Failed to delete instance")
    after = api.state()
    assert after["instances"] == before["instances"] and after["instance_records"] == before["instance_records"]
    api.control("POST", "config", {"daemon_down": False})
    # a node whose daemon key is null: the daemon answers 401, details ""
    api.control("POST", "db", {"set": {"nodes": [EU, "raw-node"], "raw-node_node": dict(NODE, id="raw-node", apiKey=None)}})
    error(api.call("POST", "/api/instances/deploy", dict(DEPLOY, nodeId="raw-node")), 500, "Failed to create container",
          details="")


def test_delete_leaves_record_and_repeats(api):
    error(api.call("DELETE", "/api/instance/delete", {}), 400, "Missing ID parameter")
    error(api.call("DELETE", "/api/instance/delete", {"id": "ffffffff"}), 404, "Instance not found")
    assert api.ok("DELETE", "/api/instance/delete", {"id": "a3f91c07"}) == {"message": "The instance has been successfully deleted."}
    state = api.state()
    assert state["instances"] == [] and state["user_instances"]["user-alice-0001"] == []
    assert state["instance_records"]["a3f91c07"] == INSTANCE  # left behind
    error(api.call("POST", "/api/getInstance", {"id": "a3f91c07"}), 404, "Instance not found")
    assert api.ok("DELETE", "/api/instance/delete", {"id": "a3f91c07"}) == {"message": "The instance has been successfully deleted."}
    api.control("POST", "config", {"version": "v0.2"})
    assert api.ok("DELETE", "/api/instance/delete", {"id": "a3f91c07"}, status=201) == {
        "Message": "The instance has successfully been deleted."}
    error(api.call("DELETE", "/api/instance/delete", {"id": "ffffffff"}), 400, "Instance not found")


def test_delete_with_null_container_removes_all_null_ones(api):
    pending = [api.deploy(name=f"stuck-{n}") for n in range(3)]
    time.sleep(0.15)  # first poll: ContainerId null
    assert all(api.instance(i)["ContainerId"] is None for i in pending)
    api.ok("DELETE", "/api/instance/delete", {"id": pending[0]})
    assert [i["Id"] for i in api.ok("GET", "/api/instances")] == ["a3f91c07"]
    assert [i["Id"] for i in api.ok("POST", "/api/getUserInstance", {"userId": "user-alice-0001"})] == ["a3f91c07"]


def test_delete_with_absent_container_removes_all_absent_ones(api):
    api.control("POST", "config", {"first_poll_seconds": -1, "install_seconds": 30})
    absent = [api.deploy(name=f"a-{n}") for n in range(2)]
    null = api.deploy(name="n")
    api.control("POST", "install", {"id": null, "state": "INSTALLING"})
    assert "ContainerId" not in api.instance(absent[0]) and api.instance(null)["ContainerId"] is None
    api.ok("DELETE", "/api/instance/delete", {"id": absent[1]})
    assert [i["Id"] for i in api.ok("GET", "/api/instances")] == ["a3f91c07", null]


def test_suspend_writes_then_answers_500(api):
    response = api.call("POST", "/api/instances/suspend/a3f91c07")
    html(response, 500, "An error occurred while suspending the instance")
    assert api.instance("a3f91c07")["suspended"] is True
    assert api.ok("GET", "/api/instances")[0]["suspended"] is True
    assert "suspended" not in api.ok("POST", "/api/getUserInstance", {"userId": "user-alice-0001"})[0]
    # unsuspend drops suspended-flagg from the list element
    listed = api.state()["instances"]
    listed[0]["suspended-flagg"] = "radar says no"
    api.control("POST", "db", {"set": {"instances": listed}})
    html(api.call("POST", "/api/instances/unsuspend/a3f91c07"), 500, "An error occurred while unsuspending the instance")
    assert api.instance("a3f91c07")["suspended"] is False
    element = api.ok("GET", "/api/instances")[0]
    assert element["suspended"] is False and "suspended-flagg" not in element
    html(api.call("POST", "/api/instances/suspend/ffffffff"), 404, "Instance not found")
    calls = [c for c in api.control("GET", "calls")["calls"] if c["action"] in ("suspend", "unsuspend")]
    assert [(c["route"], c["mutating"]) for c in calls][:2] == [("/api/instances/suspend/:id", True),
                                                                ("/api/instances/unsuspend/:id", True)]
    api.control("POST", "config", {"suspend_fixed": True})
    assert api.ok("POST", "/api/instances/suspend/a3f91c07", status=201) == {"success": "Instance Suspended Successfully"}
    api.control("POST", "config", {"version": "v0.2"})
    html(api.call("POST", "/api/instances/suspend/a3f91c07"), 404)


def test_suspend_flags_the_first_element_with_the_same_container_id(api):
    first, second = api.deploy(name="stuck-a"), api.deploy(name="stuck-b")
    time.sleep(0.15)
    api.call("POST", f"/api/instances/suspend/{second}")
    flags = {i["Id"]: i.get("suspended") for i in api.ok("GET", "/api/instances")}
    assert flags == {"a3f91c07": None, first: True, second: None}  # the wrong element
    assert api.instance(second)["suspended"] is True and "suspended" not in api.instance(first)
    # unsuspend with no list element matching: 500 after the record was saved, the list untouched
    api.control("POST", "db", {"set": {f"{first}_instance": dict(api.instance(first), ContainerId="feed")}})
    html(api.call("POST", f"/api/instances/unsuspend/{first}"), 500, "An error occurred while unsuspending the instance")
    assert api.instance(first)["suspended"] is False
    assert {i["Id"]: i.get("suspended") for i in api.ok("GET", "/api/instances")} == flags


# -- rate limit and lost updates ----------------------------------------------------------------------------------------------

def test_rate_limit_default_headers(api):
    api.control("POST", "config", {"rate_limit": 6, "rate_window": 6})
    for _number in range(6):
        assert api.call("POST", "/api/getUser", {"type": "username", "value": "alice"}).status_code == 200
    limited = api.call("POST", "/api/getUser", {"type": "username", "value": "alice"})
    html(limited, 429, "Too many requests, please try again later")
    assert (limited.headers["Retry-After"], limited.headers["X-RateLimit-Limit"],
            limited.headers["X-RateLimit-Remaining"]) == ("6", "6", "0")
    assert 0 <= int(limited.headers["X-RateLimit-Reset"]) - time.time() <= 7


def test_rate_limit_blocks_before_the_handler(api):
    api.control("POST", "config", {"rate_limit": 6, "rate_window": 1})
    for number in range(6):
        response = api.call("POST", "/api/getInstance", {"id": "a3f91c07"})
        assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == str(5 - number)
    before = api.state()
    limited = api.call("POST", "/api/auth/create-user", {"username": "z", "email": "z", "password": "z"})
    html(limited, 429, "Too many requests, please try again later")
    assert limited.headers["Retry-After"] == "1" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert api.call("POST", "/api/instances/deploy", DEPLOY).status_code == 429
    assert api.call("POST", "/api/nope", {}, key=None).status_code == 429  # every POST, before auth and routing
    after = api.state()
    assert after["users"] == before["users"] and after["instances"] == before["instances"]
    # GET and DELETE are not limited
    assert api.call("GET", "/api/users").status_code == 200
    assert api.call("DELETE", "/api/nodes/delete", {"nodeId": "x"}).status_code == 201
    time.sleep(1.05)
    assert api.call("POST", "/api/auth/create-user", {"username": "z", "email": "z", "password": "z"}).status_code == 201
    api.control("POST", "config", {"rate_limit": None})
    assert all(api.call("POST", "/api/getInstance", {"id": "a3f91c07"}).status_code == 200 for _number in range(8))


def test_concurrent_create_user_loses_writes(api):
    api.control("POST", "config", {"write_delay": 0.3})
    results = []

    def create(number):
        results.append(requests.post(api.url + "/api/auth/create-user", timeout=5, headers={"x-api-key": skyport.API_KEY},
                                     json={"username": f"u{number}", "email": f"u{number}@x", "password": "p"}).status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(5)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 5 and time.monotonic() - started < 1.2  # served concurrently
    names = [u["username"] for u in api.ok("GET", "/api/users")]
    assert len(names) == 3 and names[:2] == ["alice", "admin"]  # only one of the five survived


def test_concurrent_deploys_lose_list_entries(api):
    api.control("POST", "config", {"write_delay": 0.2})
    ids = []
    threads = [threading.Thread(target=lambda: ids.append(api.deploy())) for _number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = api.state()
    assert len(ids) == 3 and all(i in state["instance_records"] for i in ids)
    assert len(state["instances"]) == 2  # the fixture plus the last writer


# -- seeding, call log, faults, launcher ---------------------------------------------------------------------------------

def test_seed_servers_many_ready_instances(api):
    started = time.monotonic()
    api.control("POST", "seed", {"servers": 2000})
    listed = api.ok("GET", "/api/instances")
    assert time.monotonic() - started < 10
    assert len(listed) == 2001 and listed[0] == INSTANCE
    assert len({i["Id"] for i in listed}) == 2001 and all(HEX8.match(i["Id"]) for i in listed)
    assert all(i["InternalState"] == "READY" and HEX64.match(i["ContainerId"]) for i in listed)
    assert {i["Node"]["name"] for i in listed} == {"eu-node-1", "us-node-1"}
    assert {i["User"] for i in listed} == {"user-alice-0001", "user-admin-0001"}
    assert len(api.ok("POST", "/api/getUserInstance", {"userId": "user-admin-0001"})) == 1000
    assert api.instance(listed[-1]["Id"]) == listed[-1]


def test_framework_faults_still_apply(api):
    api.control("POST", "faults", {"faults": [
        {"path": "/api/instances", "action": "respond", "status": 503, "body": "down"},
        {"action": "drop_after", "match": {"action": "create_user"}}]})
    assert api.call("GET", "/api/instances").status_code == 503
    with pytest.raises(requests.ConnectionError):
        api.call("POST", "/api/auth/create-user", {"username": "lost", "email": "lost", "password": "p"})
    assert "lost" in [u["username"] for u in api.ok("GET", "/api/users")]  # it ran, the answer was lost


def test_unknown_knob_and_cli(tmp_path):
    with pytest.raises(ValueError, match="unknown knob"):
        launcher.start("skyport", warp_speed=True)
    with pytest.raises(ValueError, match="version"):
        launcher.start("skyport", version="v9")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "skyport:0", "--seed-servers", "3", "--knob", "skyport.rate_limit=0",
         "--ready-file", str(ready)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        client = Api(json.loads(ready.read_text())["skyport"])
        assert [i["Name"] for i in client.ok("GET", "/api/instances")] == ["mc-survival", "srv-0001", "srv-0002", "srv-0003"]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
