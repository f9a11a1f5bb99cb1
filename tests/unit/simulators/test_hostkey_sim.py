"""The HOSTKEY invapi simulator against the fixtures of providers/hostkey.md section 9, plus its quirks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

try:
    from ansible_collections.hostcraft.cloud.tests.simulators import hostkey, launcher
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.simulators import hostkey, launcher

REPO_ROOT = Path(hostkey.__file__).resolve().parents[2]
KNOBS = {"power_seconds": 0.15, "status_seconds": 0.05, "deploy_seconds": 0.3, "reinstall_seconds": 0.2,
         "cancel_seconds": 0.1, "cancel_gone_seconds": 0.1}
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyMaterialOnly1111111111111111"
ORDER = {"preset": "vm.v2-small", "location_name": "NL", "os_id": "181", "traffic_plan": "25",
         "root_pass": "Str0ng-Pass+1", "deploy_period": "monthly", "hostname": "web03.example.com", "pin": hostkey.PIN}


def params(**values) -> list:
    """PHP-style ``params[name]=value`` pairs; a list value becomes repeated ``params[name][]``."""
    pairs = []
    for name, value in values.items():
        if isinstance(value, list):
            pairs.extend((f"params[{name}][]", item) for item in value)
        else:
            pairs.append((f"params[{name}]", value))
    return pairs


class Client:
    """A minimal invapi client: form POSTs to <module>.php with the token as a form field."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self.token = None

    def post(self, module: str, data, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.http.post(f"{self.url}/{module}.php", data=data, **kwargs)

    def call(self, module: str, action: str, fields=(), token: bool = True) -> dict:
        data = [("action", action)] + (list(fields.items()) if isinstance(fields, dict) else list(fields))
        if token:
            data.append(("token", self.token))
        response = self.post(module, data)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        return response.json()

    def login(self, key: str = hostkey.API_KEY, **fields) -> dict:
        body = self.call("auth", "login", dict({"key": key}, **fields), token=False)
        if isinstance(body.get("result"), dict):
            self.token = body["result"]["token"]
        return body

    def check(self, key: str) -> dict:
        return self.call("eq_callback", "check", {"key": key}, token=False)

    def wait(self, key: str, timeout: float = 3.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.check(key)
            if body.get("result") != "Not ready":
                return body
            time.sleep(0.03)
        raise AssertionError(f"callback {key} not ready in time")

    def control(self, method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/__sim__/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.03)
    raise AssertionError("condition not reached in time")


@pytest.fixture(scope="module")
def sim():
    handle = launcher.start("hostkey", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture()
def hk(sim):
    """Default knobs, fresh state and call log, logged in with the default account key."""
    settings = dict(hostkey.HostkeySimulator.KNOBS, **KNOBS, latency=0.0, seed_servers=0)
    requests.post(sim.url + "/__sim__/config", json=settings, timeout=5).raise_for_status()
    requests.post(sim.url + "/__sim__/reset", timeout=5).raise_for_status()
    client = Client(sim.url)
    client.login(ttl="3600", fix_ip="0")
    yield client
    client.http.close()


# -- PHP form decoding ----------------------------------------------------------------------------

def test_php_fields():
    pairs = [("action", "add_dns"), ("params[zone]", "example.com"), ("params[content][]", "a"),
             ("params[content][]", "b"), ("ips[]", "1"), ("ips[]", "2"), ("id", "1"), ("id", "2"), ("x[3]", "z"),
             ("dns[ttl]", "60")]
    assert hostkey.php_fields(pairs) == {
        "action": "add_dns", "params": {"zone": "example.com", "content": ["a", "b"]}, "ips": ["1", "2"],
        "id": "2", "x": {3: "z"}, "dns": {"ttl": "60"}}


# -- auth -------------------------------------------------------------------------------------------

def test_login_fixture_9_1_and_relogin(hk):
    started = time.time()
    body = hk.login(ttl="3600")
    result = body["result"]
    assert list(body) == ["result"]
    assert set(result) == {"token", "role", "role_type", "whmcs_id", "whmcs_location", "servers", "customer_id",
                           "permissions", "token_expire", "new"}
    assert re.fullmatch(r"[0-9a-f]{32}", result["token"])
    assert result["servers"] == [40001, 40002, 40003]
    assert (result["role"], result["role_type"], result["whmcs_id"], result["customer_id"]) == (
        "Customer billing", "Customer", 1201, 9001)
    fixture_permissions = {"eq/list", "eq/show", "eq/on", "eq/off", "eq/reboot", "eq/status", "eq/order_instance",
                           "ip/get_ptr", "ip/update_ptr", "pdns/view", "pdns/edit", "ssh_keys/list", "ssh_keys/add",
                           "ssh_keys/delete", "tag/list", "tag/add", "tag/remove"}
    assert fixture_permissions <= set(result["permissions"])
    assert started + 3600 - 2 <= result["token_expire"] <= time.time() + 3600 + 1
    # the fixture already logged in with fix_ip=0; a bound login (default fix_ip=1) is a separate session
    assert result["new"] == 1
    again = hk.login(ttl="3600")["result"]
    assert again["token"] == result["token"] and again["new"] == 0

    info = hk.call("auth", "info")["result"]
    assert info["servers"] == {"40001": "40001", "40002": "40002", "40003": "40003"}
    assert info["deploy_keys"] == [] and info["email"] == hostkey.EMAIL
    assert info["token_expire"] == again["token_expire"]
    default_ttl = Client(hk.url).login()["result"]["token_expire"] - time.time()
    assert 7200 - 5 < default_ttl <= 7200 + 1  # knob token_ttl when the client sends no ttl


def test_login_failures(hk):
    wrong = "0000000000000000-0000000000000000"
    assert hk.login(wrong) == {"result": -1, "error": f"Invalid API key {wrong}"}
    assert hk.call("eq", "list", {"token": "f" * 32}, token=False) == {"result": -2, "error": "auth: invalid token #13"}
    assert hk.call("eq", "list", token=False) == hostkey.INVALID_TOKEN

    hk.control("POST", "config", {"empty_account": True})
    hk.control("POST", "reset")
    assert hk.login() == {"result": -1, "error": "No appropriate servers found", "code": "NO_APPROPRIATE_SERVERS"}


def test_token_expiry_and_expire_knob(hk):
    short = Client(hk.url)
    token = short.login(ttl="1")["result"]["token"]
    assert short.call("eq", "list")["result"] == "OK"
    time.sleep(1.05)
    assert short.call("eq", "list") == hostkey.INVALID_TOKEN
    renewed = short.login(ttl="60")["result"]
    assert renewed["new"] == 1 and renewed["token"] != token

    assert hk.call("eq", "list")["result"] == "OK"
    config = hk.control("POST", "config", {"expire_tokens": True})
    assert config["expire_tokens"] is False
    assert hk.call("eq", "list") == hostkey.INVALID_TOKEN
    assert short.call("eq", "show", {"id": "40001"}) == hostkey.INVALID_TOKEN
    assert hk.login(ttl="3600", fix_ip="0")["result"]["new"] == 1
    assert hk.call("eq", "list")["servers"] == [40001, 40002, 40003]


def test_logout_and_get_login(hk):
    response = hk.http.get(f"{hk.url}/auth.php", params={"action": "login", "key": hostkey.API_KEY}, timeout=5)
    assert response.json()["result"]["servers"] == [40001, 40002, 40003]
    assert hk.call("auth", "logout") == {"result": "OK", "action": "logout"}
    assert hk.call("eq", "list") == hostkey.INVALID_TOKEN


# -- eq: list / show / snapshot ------------------------------------------------------------------------

FIXTURE_SHOW = {
    "result": "OK",
    "server_data": {"id": 40001, "ref_tableName": "VPS", "Condition_Component": "rent", "status": "rent", "type": "VPS",
                    "hwconfig": "2 vCore/4Gb/40Gb SSD", "account_id": 7001, "type_billing": "whmcs_com",
                    "days_left": 21, "due_date": "2026-02-01"},
    "hardware": {"config": "2 vCore/4Gb/40Gb SSD", "vm": 1, "gpu": 0, "cpu_count": 2, "ram": 4, "hdd": 40},
    "location": {"dc_location": "NL", "location_id": 1},
    "OS": None,
    "IP": [{"port": "eth0", "MAC": "52:54:00:aa:bb:01", "IP": "203.0.113.10", "status": "enable", "main_ip": 1,
            "locked": 0, "main_int": 1, "vlan": 415, "description": ""},
           {"port": "eth0", "MAC": "52:54:00:aa:bb:01", "IP": "203.0.113.11", "status": "enable", "main_ip": 0,
            "locked": 0, "main_int": 1, "vlan": 415, "description": ""}],
    "preset": "vm.v2-small", "preset_description": "VM instance 2/4/40 SSD",
}


def tag(tag_id, server, name, value, extra=""):
    return {"id": tag_id, "component": "eq", "component_id": server, "tag": name, "value": value, "extra": extra,
            "internal": 0}


def test_list_and_show_fixture_9_2_and_9_3(hk):
    assert hk.call("eq", "list") == {"servers": [40001, 40002, 40003], "result": "OK"}
    assert hk.call("eq", "list", {"location": "FI"})["servers"] == [40003]
    assert hk.call("eq", "list", {"location": "nl,fi", "status": "rent", "group": "VPS"})["servers"] == [40001, 40002, 40003]
    assert hk.call("eq", "list", {"ip": "203.0.113.12"})["servers"] == [40002]
    show = hk.call("eq", "show", {"id": "40001"})
    assert {key: show[key] for key in FIXTURE_SHOW} == FIXTURE_SHOW
    tags = show["tags"]
    assert tags[:2] == [tag(500001, 40001, "hostname", "web01.example.com"), tag(500002, 40001, "OS", "Ubuntu 24.04")]
    password = tags[2]
    assert (password["id"], password["tag"]) == (500003, "Password") and len(password["value"]) >= 8
    assert tags[3:] == [tag(500004, 40001, "env", "prod"), tag(500005, 40001, "role", "frontend", "lb-pool-a")]
    db01 = hk.call("eq", "show", {"id": "40003"})
    assert db01["location"] == {"dc_location": "FI", "location_id": 3}
    assert [t["value"] for t in db01["tags"] if t["tag"] == "hostname"] == ["db01.example.com"]
    assert hk.call("eq", "show", {"id": "99999"}) == {"result": -1, "error": "eq/show: server not found"}
    assert hk.call("eq", "show") == {"result": -1, "error": "eq/show: missing required parameter 'id'"}


def test_per_server_key_sees_one_server(hk):
    scoped = Client(hk.url)
    assert scoped.login(hostkey.SERVER_API_KEY)["result"]["servers"] == [40001]
    assert scoped.call("eq", "list")["servers"] == [40001]
    assert scoped.call("eq", "show", {"id": "40002"}) == {
        "result": -1, "error": "eq/show: permission denied #3, this is not your server"}
    assert scoped.call("eq", "order_instance", ORDER)["error"] == "eq/order_instance: permission denied"


# -- async flows -------------------------------------------------------------------------------------------

def test_power_on_fixture_9_9_and_key_consumed(hk):
    started = hk.call("eq", "on", {"id": "40002", "pin": hostkey.PIN})
    assert set(started) == {"result", "action", "callback"}
    assert started["result"] == "OK" and started["action"] == "on"
    key = started["callback"]
    assert re.fullmatch(r"[a-z0-9]{32}", key)
    assert hk.check(key) == {"result": "Not ready", "key": key}
    assert hk.control("GET", "state")["servers"][1]["power"] == "off"  # power changes with the callback
    done = hk.wait(key)
    assert done == {"result": "OK", "scope": "VM is up now",
                    "context": {"action": "on", "id": "40002", "location": "NL", "ip_ipmi": ""}, "debug": "", "key": key}
    assert hk.check(key) == {"code": -1, "message": "AsyncKey not found", "key": key}
    assert hk.control("GET", "state")["servers"][1]["power"] == "on"


@pytest.mark.parametrize("action, scope, power", [("off", "VM is down now", "off"), ("hard_off", "VM is down now", "off"),
                                                  ("reboot", "VM is rebooted", "on")])
def test_power_actions_and_status(hk, action, scope, power):
    key = hk.call("eq", action, {"id": "40001", "pin": hostkey.PIN})["callback"]
    body = hk.wait(key)
    assert (body["result"], body["scope"], body["context"]["action"]) == ("OK", scope, action)
    status_key = hk.call("eq", "status", {"id": "40001"})
    assert status_key["action"] == "status"
    status = hk.wait(status_key["callback"])
    assert status["scope"] == ("VM is up now" if power == "on" else "VM is down now")
    assert status["context"] == {"action": "status", "id": "40001", "location": "NL", "ip_ipmi": ""}


def test_pin_required_wrong_and_blocked(hk):
    assert hk.call("eq", "on", {"id": "40002"}) == {"result": -1, "error": "eq/on: pin is required"}
    assert hk.call("eq", "off", {"id": "40001", "pin": "1111"}) == {"result": -1, "error": "eq/off: invalid pin"}
    assert hk.call("eq", "order_instance", dict(ORDER, pin="1111"))["error"] == "eq/order_instance: invalid pin"
    blocked = hk.call("eq", "reboot", {"id": "40001", "pin": "2222"})
    assert blocked["error"] == "eq/reboot: invalid pin, Blocked For Security Purposes"
    # blocked: even the right PIN fails now
    assert "Blocked" in hk.call("eq", "on", {"id": "40002", "pin": hostkey.PIN})["error"]
    assert hk.control("GET", "state")["pin"] == {"required": True, "failures": 3, "blocked": True}
    hk.control("POST", "config", {"pin": hostkey.PIN})  # setting the PIN clears the counter
    assert hk.call("eq", "on", {"id": "40002", "pin": hostkey.PIN})["result"] == "OK"
    hk.control("POST", "config", {"pin_required": False})
    assert hk.call("eq", "off", {"id": "40001"})["result"] == "OK"
    # eq/status, tags, ptr and dns never need the PIN
    hk.control("POST", "config", {"pin_required": True})
    assert hk.call("eq", "status", {"id": "40001"})["result"] == "OK"


def test_check_pin_and_set_pin(hk):
    bad = hk.wait(hk.call("eq", "check_pin", {"pin": "9999"})["callback"])
    assert bad["result"] == "OK" and bad["scope"] == "Invalid pin code"  # shape #10
    failed = hk.wait(hk.call("eq", "set_pin", {"old_pin": "0000", "new_pin": "5678"})["callback"])
    assert failed["result"] == "Fail" and failed["status"] == "failure"
    assert failed["scope"] == "Invalid PIN/email combination, please check"
    assert hk.wait(hk.call("eq", "set_pin", {"old_pin": hostkey.PIN, "new_pin": "5678"})["callback"])["result"] == "OK"
    assert hk.call("eq", "on", {"id": "40002", "pin": "5678"})["result"] == "OK"


def test_failing_callbacks_knob(hk):
    hk.control("POST", "config", {"fail_actions": "on,deploy"})
    body = hk.wait(hk.call("eq", "on", {"id": "40002", "pin": hostkey.PIN})["callback"])
    assert body["result"] == "Fail" and body["context"]["action"] == "on"
    assert hk.check(body["key"])["result"] == "Fail"  # failures are not consumed
    assert hk.control("GET", "state")["servers"][1]["power"] == "off"
    invoice = hk.call("eq", "order_instance", ORDER)["invoice"]
    key = wait_until(lambda: hk.call("eq", "update_servers")["deploy_keys"])[str(invoice)]
    assert hk.wait(key) == {"result": "Error", "scope": "cancelled", "debug": "order cancelled in panel", "key": key}
    assert requests.post(hk.url + "/__sim__/config", json={"fail_actions": "explode"}, timeout=5).status_code == 400


# -- order, deploy, snapshot, reinstall, rename ----------------------------------------------------------------

def test_order_deploy_and_token_snapshot(hk):
    ordered = hk.call("eq", "order_instance", ORDER)
    assert ordered == {"result": "OK", "action": "order_instance", "invoice": 70123, "status": "Paid"}
    update = hk.call("eq", "update_servers")
    assert update["result"] == "OK" and update["servers"] == [40001, 40002, 40003] and update["billing_servers"] == []
    key = update["deploy_keys"]["70123"]
    assert hk.check(key) == {"result": "Not ready", "key": key}
    done = hk.wait(key)
    assert done == {"result": "OK", "scope": "Autodeploy completed, check VRI-000-40004",
                    "context": {"action": "deploy_vm", "id": "40004", "location": "NL", "ip": "203.0.113.20",
                                "ip_ipmi": "0.0.0.0"},
                    "debug": "0", "key": key}
    assert hk.check(key)["message"] == "AsyncKey not found"

    # the token still carries the server ids it was issued with
    assert hk.call("eq", "list")["servers"] == [40001, 40002, 40003]
    assert hk.call("eq", "show", {"id": "40004"}) == {
        "result": -1, "error": "eq/show: permission denied #3, this is not your server"}
    refreshed = hk.call("eq", "update_servers")
    assert refreshed["servers"] == [40001, 40002, 40003, 40004] and refreshed["deploy_keys"] == []
    assert hk.call("eq", "list")["servers"] == [40001, 40002, 40003, 40004]
    show = hk.call("eq", "show", {"id": "40004"})
    tags = {t["tag"]: t["value"] for t in show["tags"]}
    assert tags["hostname"] == "web03.example.com" and tags["OS"] == "Debian 12"
    assert tags["Password"] == ORDER["root_pass"] and tags["order_origin"] == "invapi"
    assert show["IP"][0]["IP"] == "203.0.113.20" and show["preset"] == "vm.v2-small"
    # a fresh login sees it as well
    assert Client(hk.url).login()["result"]["servers"] == [40001, 40002, 40003, 40004]


def test_order_by_preset_id_default_hostname_and_unpaid(hk):
    hk.control("POST", "config", {"deploy_key_delay": 0.2})
    order = dict(ORDER, preset="108", hostname="", traffic_plan="52", ipv4_amount="1")
    invoice = hk.call("eq", "order_instance", order)["invoice"]
    assert hk.call("eq", "update_servers")["deploy_keys"] == []  # the key shows up after deploy_key_delay
    key = wait_until(lambda: hk.call("eq", "update_servers")["deploy_keys"])[str(invoice)]
    assert hk.wait(key)["context"]["id"] == "40004"
    hk.call("eq", "update_servers")
    show = hk.call("eq", "show", {"id": "40004"})
    assert [t["value"] for t in show["tags"] if t["tag"] == "hostname"] == ["hostkey40004"]
    assert len(show["IP"]) == 2 and show["preset"] == "vm.pico"

    hk.control("POST", "config", {"order_status": "Unpaid"})
    assert hk.call("eq", "order_instance", ORDER)["status"] == "Unpaid"
    time.sleep(0.4)
    assert hk.call("eq", "update_servers")["deploy_keys"] == [] and 40005 not in hk.call("eq", "update_servers")["servers"]


@pytest.mark.parametrize("change, message", [
    ({"preset": "vm.huge"}, "eq/order_instance: unknown preset vm.huge"),
    ({"preset": "vm.v2-large", "location_name": "US"}, "eq/order_instance: preset vm.v2-large is not available in US"),
    ({"preset": "vm.v2-xlarge"}, "eq/order_instance: preset vm.v2-xlarge is out of stock in NL"),
    ({"os_id": "175"}, "eq/order_instance: unknown or inactive os_id 175"),
    ({"preset": "vm.pico", "os_id": "201"}, "eq/order_instance: OS Windows Server 2022 (#201) is not compatible with preset vm.pico"),
    ({"traffic_plan": "41"}, "eq/order_instance: traffic_plan 41 is not available for vm.v2-small in NL"),
    ({"root_pass": "password"}, "eq/order_instance: root_pass must contain upper and lower case letters, a digit and a special character"),
    ({"root_pass": "Pa55#word"}, "eq/order_instance: root_pass must not contain @, #, quotes, backslashes or spaces"),
    ({"deploy_period": "month"}, "eq/order_instance: deploy_period must be one of monthly, quarterly, semi-annually, annually, hourly"),
    ({"soft_id": "49", "os_id": "187"}, "reinstall: extra software Odoo (#49) is not compatible with Ubuntu 22.04"),
    ({"traffic_plan": None}, "eq/order_instance: missing required parameter 'traffic_plan'"),
])
def test_order_validation(hk, change, message):
    order = {key: value for key, value in dict(ORDER, **change).items() if value is not None}
    assert hk.call("eq", "order_instance", order) == {"result": -1, "error": message}
    assert hk.control("GET", "state")["orders"] == []


def test_reinstall_flow(hk):
    fields = {"id": "40001", "os_id": "181", "root_pass": "N3w-Root+pw", "hostname": "web01b.example.com",
              "pin": hostkey.PIN}
    started = hk.call("eq", "order_instance", fields)
    key = started["callback"]
    assert started == {"result": "OK", "action": "order_instance", "callback": key, "deploy_status": "reinstall",
                       "id": 40001, "os_name": "Debian 12", "soft_name": ""}
    assert hk.call("eq", "order_instance", fields) == {
        "result": -1, "error": "another reinstall in progress for 40001, please wait"}
    done = hk.wait(key)
    assert done == {"result": "OK", "scope": '{"result":"deploy_done"}',
                    "context": {"action": "reinstall_vm", "id": "40001", "location": "NL", "ip": "203.0.113.10",
                                "ip_ipmi": "0.0.0.0", "reinstall": 1},
                    "debug": "", "key": key}
    tags = {t["tag"]: t["value"] for t in hk.call("eq", "show", {"id": "40001"})["tags"]}
    assert (tags["OS"], tags["hostname"], tags["Password"]) == ("Debian 12", "web01b.example.com", "N3w-Root+pw")
    again = hk.call("eq", "order_instance", dict(fields, os_id="187", soft_id="20"))
    assert again["os_name"] == "Ubuntu 22.04" and again["soft_name"] == "WordPress"
    assert hk.call("eq", "order_instance", dict(fields, id="99999"))["error"] == "eq/order_instance: server 99999 not found"


def test_rename_server(hk):
    renamed = hk.call("eq", "rename_server", {"id": "40002", "hostname": "app02.example.com"})
    assert renamed == {"result": "OK", "action": "rename_server", "id": 40002, "hostname": "app02.example.com"}
    tags = hk.call("eq", "show", {"id": "40002"})["tags"]
    assert [t["value"] for t in tags if t["tag"] == "hostname"] == ["app02.example.com"]
    assert hk.call("eq", "rename_server", {"id": "40002", "hostname": "bad host!"})["result"] == -1


# -- cancellation ---------------------------------------------------------------------------------------------

def test_immediate_cancellation_removes_the_server(hk):
    typo = hk.call("whmcs", "request_cancellation", {"id": "40003", "cancelation_type": "1"})
    assert typo == {"result": -1, "error": "whmcs/request_cancellation: missing required parameter 'cancellation_type'"}
    started = hk.call("whmcs", "request_cancellation", {"id": "40003", "cancellation_type": "1",
                                                        "cancellation_reason": "not needed"})
    assert started["result"] == "OK" and started["action"] == "request_cancellation"
    requests_ = hk.call("whmcs", "get_cancellation_requests", {"id": "40003"})
    assert requests_["result"] == "success"
    assert requests_["message"][0]["reason"] == "not needed" and requests_["message"][0]["type"] == "Immediate"
    assert set(requests_["message"][0]) == {"id", "date", "relid", "reason", "type", "created_at", "updated_at"}
    assert hk.call("whmcs", "request_cancellation", {"id": "40003", "cancellation_type": "1"})["result"] == -1
    assert hk.wait(started["callback"])["result"] == "OK"
    shown = hk.call("eq", "show", {"id": "40003"})
    assert shown.get("result") == -1 or shown["server_data"]["status"] != "rent"
    wait_until(lambda: hk.call("eq", "list")["servers"] == [40001, 40002])
    assert hk.call("eq", "show", {"id": "40003"}) == {"result": -1, "error": "eq/show: server not found"}
    assert hk.call("whmcs", "get_cancellation_requests")["message"] == []


def test_end_of_period_cancellation_can_be_withdrawn(hk):
    started = hk.call("whmcs", "request_cancellation", {"id": "40002", "cancellation_type": "0",
                                                        "terminate_reason_custom": "moving"})
    assert hk.wait(started["callback"])["result"] == "OK"
    assert hk.call("eq", "list")["servers"] == [40001, 40002, 40003]
    listed = hk.call("whmcs", "get_cancellation_requests")["message"]
    assert [(r["reason"], r["type"]) for r in listed] == [("moving", "End of Billing Period")]
    billing = hk.call("whmcs", "get_billing_data", {"id": "40002"})
    assert billing["result"] == "OK" and billing["billing_status"] == "Active" and billing["cancellation_request"] == 1
    assert billing["next_due_date"] == "2026-01-20" and billing["billing_cycle"] == "Monthly"
    assert hk.call("whmcs", "delete_cancellation_request", {"id": "40002"}) == {"result": "success", "message": ["CR deleted"]}
    assert hk.call("whmcs", "delete_cancellation_request", {"id": "40002"})["result"] == -1
    assert hk.call("whmcs", "get_billing_data", {"id": "40002"})["cancellation_request"] == 0


# -- ip ---------------------------------------------------------------------------------------------------------

def test_ptr_fixture_9_5_and_set_replace(hk):
    assert hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.10"}) == {"result": "OK", "message": ["web01.example.com."]}
    assert hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.11"}) == {"result": "OK", "message": []}
    updated = hk.call("ip", "update_ptr", {"id": "40001", "ip": "203.0.113.11", "ptr": "a.example.com\nB.example.com."})
    assert updated == {"result": "OK", "message": ""}
    assert hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.11"})["message"] == ["a.example.com.", "b.example.com."]
    hk.call("ip", "update_ptr", {"id": "40001", "ip": "203.0.113.11", "ptr": "c.example.com"})
    assert hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.11"})["message"] == ["c.example.com."]
    hk.call("ip", "update_ptr", {"id": "40001", "ip": "203.0.113.11", "ptr": ""})
    assert hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.11"})["message"] == []
    foreign = hk.call("ip", "get_ptr", {"id": "40001", "ip": "203.0.113.12"})
    assert foreign == {"code": -1, "message": "ip/get_ptr: ip 203.0.113.12 does not belong to server 40001"}
    assert hk.call("ip", "update_ptr", {"id": "40001", "ip": "203.0.113.10"})["code"] == -1


def test_get_ip_shapes(hk):
    wrapped = hk.call("ip", "get_ip", {"ip": "203.0.113.13"})
    assert wrapped["result"] == "OK" and wrapped["module"] == "ip" and wrapped["action"] == "get_ip"
    assert wrapped["data"]["location"] == "FI" and wrapped["data"]["gateway"] == "203.0.113.1"
    hk.control("POST", "config", {"get_ip_shape": "bare"})
    bare = hk.call("ip", "get_ip", {"ip": "203.0.113.13"})
    assert "result" not in bare and bare["ip"] == "203.0.113.13" and bare["cidr"] == 24


# -- pdns ---------------------------------------------------------------------------------------------------

FIXTURE_ZONE_A = [
    {"id": "example.com.", "name": "example.com.", "kind": "Master", "dnssec": False,
     "serial": 2026010101, "edited_serial": 2026010101, "notified_serial": 2026010101,
     "masters": [], "soa_edit_api": "DEFAULT", "url": "/api/v1/servers/localhost/zones/example.com.",
     "rrsets": [
         {"name": "example.com.", "type": "A", "ttl": 3600, "comments": [],
          "records": [{"content": "203.0.113.10", "disabled": False}]},
         {"name": "www.example.com.", "type": "A", "ttl": 300, "comments": [],
          "records": [{"content": "203.0.113.10", "disabled": False}, {"content": "203.0.113.11", "disabled": False}]},
         {"name": "example.com.", "type": "MX", "ttl": 3600, "comments": [],
          "records": [{"content": "10 mail.example.com.", "disabled": False}]},
         {"name": "example.com.", "type": "TXT", "ttl": 3600, "comments": [],
          "records": [{"content": "\"v=spf1 mx -all\"", "disabled": False}]}]}]


def rrsets(hk, zone="example.com"):
    data = hk.call("pdns", "view_zone", params(zone=zone))["data"]
    return {(r["name"], r["type"]): (r["ttl"], [x["content"] for x in r["records"]]) for r in data[0]["rrsets"]}


def test_view_zone_fixture_9_6_both_shapes(hk):
    assert hk.call("pdns", "view_zone", params(zone="example.com")) == {
        "result": "OK", "module": "pdns", "action": "view_zone", "data": FIXTURE_ZONE_A}
    assert hk.call("pdns", "list_domains") == {"result": "OK", "module": "pdns", "action": "list_domains",
                                               "data": [{"id": 77, "name": "example.com"}]}
    hk.control("POST", "config", {"zone_shape": "b"})
    flat = hk.call("pdns", "view_zone", params(zone="example.com."))["data"]
    assert (flat["id"], flat["name"]) == (77, "example.com")
    rows = [(r["name"], r["type"], r["content"], r["ttl"], r["priority"]) for r in flat["records"]]
    assert rows == [("@", "A", "203.0.113.10", 3600, 0), ("www", "A", "203.0.113.10", 300, 0),
                    ("www", "A", "203.0.113.11", 300, 0), ("@", "MX", "mail.example.com.", 3600, 10),
                    ("@", "TXT", "v=spf1 mx -all", 3600, 0)]
    assert all(isinstance(r["id"], int) for r in flat["records"])
    # the legacy flat encoding is not what this API reads
    assert hk.call("pdns", "view_zone", {"zone": "example.com"}) == {
        "result": -1, "error": "pdns/view_zone: missing required parameter 'params[zone]'"}


def test_add_dns_replace_mode(hk):
    ok = hk.call("pdns", "add_dns", params(zone="example.com", name="www", type="A", content=["203.0.113.12"], ttl="600"))
    assert ok == {"result": "OK", "module": "pdns", "action": "add_dns", "data": None}
    assert rrsets(hk)[("www.example.com.", "A")] == (600, ["203.0.113.12"])
    hk.call("pdns", "add_dns", params(zone="example.com", name="@", type="TXT", content="hello world"))
    assert rrsets(hk)[("example.com.", "TXT")] == (3600, ['"hello world"'])
    hk.call("pdns", "add_dns", params(zone="example.com", name="mail", type="AAAA", content=["2001:db8::1", "2001:DB8::2"]))
    assert rrsets(hk)[("mail.example.com.", "AAAA")] == (3600, ["2001:db8::1", "2001:db8::2"])
    array_txt = hk.call("pdns", "add_dns", params(zone="example.com", name="x", type="TXT", content=["a", "b"]))
    assert array_txt == {"result": -1, "error": "pdns/add_dns: params[content] must be a single string for TXT records"}
    bad_a = hk.call("pdns", "add_dns", params(zone="example.com", name="x", type="A", content=["2001:db8::1"]))
    assert bad_a["error"] == "pdns/add_dns: invalid content 2001:db8::1 for A record"
    conflict = hk.call("pdns", "add_dns", params(zone="example.com", name="www", type="CNAME", content="example.com."))
    assert conflict["error"].startswith("pdns/add_dns: RRset www.example.com. IN CNAME: Conflicts")
    assert hk.call("pdns", "add_dns", params(zone="nosuch.org", name="www", type="A", content=["203.0.113.1"]))["result"] == -1
    flat = hk.call("pdns", "add_dns", {"zone": "example.com", "name": "www", "type": "A", "content": "203.0.113.1"})
    assert flat == {"result": -1, "error": "pdns/add_dns: missing required parameter 'params[zone]'"}


def test_add_dns_append_mode_and_delete_dns(hk):
    hk.control("POST", "config", {"add_dns_mode": "append"})
    hk.call("pdns", "add_dns", params(zone="example.com", name="www", type="A", content=["203.0.113.12"], ttl="300"))
    assert rrsets(hk)[("www.example.com.", "A")] == (300, ["203.0.113.10", "203.0.113.11", "203.0.113.12"])
    hk.call("pdns", "add_dns", params(zone="example.com", name="@", type="MX", content=["20 mx2.example.com"]))
    assert rrsets(hk)[("example.com.", "MX")] == (3600, ["10 mail.example.com.", "20 mx2.example.com."])
    hk.call("pdns", "add_dns", params(zone="example.com", name="@", type="TXT", content="second"))
    assert rrsets(hk)[("example.com.", "TXT")][1] == ['"v=spf1 mx -all"', '"second"']

    hk.call("pdns", "delete_dns", params(zone="example.com", name="www", type="A", content=["203.0.113.11"]))
    assert rrsets(hk)[("www.example.com.", "A")][1] == ["203.0.113.10", "203.0.113.12"]
    deleted = hk.call("pdns", "delete_dns", params(zone="example.com", name="www.example.com.", type="A"))
    assert deleted == {"result": "OK", "module": "pdns", "action": "delete_dns", "data": None}
    assert ("www.example.com.", "A") not in rrsets(hk)
    before = hk.call("pdns", "list_zones")["data"][0]["serial"]
    assert before > 2026010101
    hk.call("pdns", "delete_dns", params(zone="example.com", name="nothing", type="A"))
    assert hk.call("pdns", "list_zones")["data"][0]["serial"] == before


def test_domains_add_list_delete(hk):
    added = hk.call("pdns", "add_domain", params(name="example.org"))
    assert added == {"result": "OK", "module": "pdns", "action": "add_domain", "data": [{"id": 78}]}
    assert hk.call("pdns", "add_domain", params(name="example.org"))["error"] == "pdns/add_domain: domain example.org already exists"
    zones = hk.call("pdns", "list_zones")["data"]
    assert [z["id"] for z in zones] == ["example.com.", "example.org."]
    assert zones[1]["kind"] == "Master" and zones[1]["url"] == "/api/v1/servers/localhost/zones/example.org."
    assert rrsets(hk, "example.org") == {}
    hk.call("pdns", "add_dns", params(zone="example.org", name="@", type="NS", content=["ns1.example.net", "ns2.example.net"]))
    assert rrsets(hk, "example.org")[("example.org.", "NS")] == (3600, ["ns1.example.net.", "ns2.example.net."])
    assert hk.call("pdns", "delete_domain", params(id="78", zone="example.org"))["data"] == [{"id": 78}]
    assert [d["name"] for d in hk.call("pdns", "list_domains")["data"]] == ["example.com"]


# -- tags -------------------------------------------------------------------------------------------------------

def test_tags_fixture_9_4_upsert_remove_search(hk):
    listed = hk.call("tags", "list", {"id": "40001"})
    assert listed["result"] == "OK" and listed["action"] == "list"
    for row in (tag(500001, 40001, "hostname", "web01.example.com"), tag(500004, 40001, "env", "prod"),
                tag(500005, 40001, "role", "frontend", "lb-pool-a")):
        assert row in listed["tags"]
    added = hk.call("tags", "add", {"id": "40001", "tag": "team", "value": "payments"})
    assert added == {"result": "OK", "action": "add", "id": 500006, "component": "eq", "component_id": 40001,
                     "tag": "team", "value": "payments", "extra": "", "internal": 0}
    changed = hk.call("tags", "add", {"id": "40001", "tag": "team", "value": "billing", "extra": "x"})
    assert (changed["id"], changed["value"], changed["extra"]) == (500006, "billing", "x")
    assert sum(1 for t in hk.call("tags", "list", {"id": "40001"})["tags"] if t["tag"] == "team") == 1

    assert hk.call("tags", "user_search", {"value": "billing"}) == {"result": "OK", "action": "search_user", "servers": [40001]}
    assert hk.call("tags", "search_user", {"value": "PROD"})["servers"] == [40001, 40003]
    assert hk.call("tags", "user_search", {"value": "web0*"})["servers"] == [40001, 40002]

    removed = hk.call("tags", "remove", {"id": "40001", "tag": "team"})
    assert removed == {"result": "OK", "action": "remove", "id": 500006, "tag": "team", "component": "eq", "component_id": 40001}
    assert hk.call("tags", "remove", {"id": "40001", "tag": "team"}) == {"code": -1, "message": "tag/remove: tag team not found"}
    assert hk.call("tags", "add", {"id": "40001", "tag": "x" * 33, "value": "v"}) == {
        "code": -1, "message": "tag/add: invalid token data, too long"}
    assert hk.call("tags", "add", {"id": "40001", "tag": "t", "value": "v" * 257})["message"].endswith("too long")
    assert hk.call("tags", "list", {"id": "99999"})["code"] == -1
    multi = hk.call("tags", "add", {"id_list": "40002,40003", "tag": "backup", "value": "daily"})
    assert multi["component_id"] == 40003
    assert hk.call("tags", "user_search", {"value": "daily"})["servers"] == [40002, 40003]


# -- ssh_keys ------------------------------------------------------------------------------------------------

def test_ssh_keys_fixture_9_8(hk):
    assert hk.call("ssh_keys", "list") == {"result": "OK", "module": "ssh_keys", "action": "list", "sshkeys": [
        {"id": 31, "customer_id": 9001, "name": "deploy",
         "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyMaterialOnly0000000000000000",
         "default": 1, "created": "2026-01-05 10:00:00"}]}
    added = hk.call("ssh_keys", "add", params(name="ci", key=ED25519 + " ci@example.com", default="0"))
    sshkey = added["sshkey"]
    assert added["result"] == "OK" and added["module"] == "ssh_keys" and added["action"] == "add"
    assert {k: sshkey[k] for k in ("id", "customer_id", "name", "key", "default")} == {
        "id": 32, "customer_id": 9001, "name": "ci", "key": ED25519, "default": 0}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", sshkey["created"])
    duplicate = hk.call("ssh_keys", "add", params(name="ci", key=ED25519))
    assert duplicate == {"result": -1, "error": "ssh_keys/add: ssh key with name ci already exists"}
    assert hk.call("ssh_keys", "add", {"name": "flat", "key": ED25519})["error"] == \
        "ssh_keys/add: missing required parameter 'params[name]'"
    assert hk.call("ssh_keys", "add", params(name="bad", key="not a key"))["result"] == -1
    assert hk.call("ssh_keys", "delete", params(id="32"))["error"] == "ssh_keys/delete: missing required parameter 'id'"
    assert hk.call("ssh_keys", "delete", {"id": "32"})["result"] == "OK"
    assert [k["id"] for k in hk.call("ssh_keys", "list")["sshkeys"]] == [31]


# -- api_keys ------------------------------------------------------------------------------------------------

def test_api_keys_secret_once_and_login_with_new_key(hk):
    listed = hk.call("api_keys", "list")
    assert listed["result"] == "OK" and listed["module"] == "api_keys" and listed["action"] == "list"
    assert listed["data"] == [
        {"id": 801, "name": "ansible-ci", "active": 1, "ip": "", "server_id": 0, "token_view": hostkey.API_KEY[:4],
         "login_notify_method": "none", "login_notify_address": None},
        {"id": 802, "name": "web01-panel", "active": 1, "ip": "", "server_id": 40001,
         "token_view": hostkey.SERVER_API_KEY[:4], "login_notify_method": "none", "login_notify_address": None}]
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{16}", hostkey.API_KEY)

    wrong = hk.call("api_keys", "add", {"name": "flat", "login_notify_method": "none", "active": "1"})
    assert wrong == {"result": -1, "error": "api_keys/add: missing required parameter 'params[name]'"}
    added = hk.call("api_keys", "add", params(name="backup-job", ip="203.0.113.5, 127.0.0.1", login_notify_method="email",
                                              login_notify_address="ops@example.com", active="1"))["data"]
    secret = added.pop("api_key")
    assert re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{16}", secret)
    assert added == {"id": 803, "name": "backup-job", "active": 1, "ip": "203.0.113.5 127.0.0.1", "server_id": 0,
                     "token_view": secret[:4], "login_notify_method": "email", "login_notify_address": "ops@example.com"}
    assert hk.call("api_keys", "view", params(id="803"))["data"] == added  # the secret is never shown again
    assert all("api_key" not in row for row in hk.call("api_keys", "list")["data"])
    assert secret not in json.dumps(hk.control("GET", "state"))

    other = Client(hk.url)
    login = other.login(secret)["result"]
    assert login["new"] == 1 and login["servers"] == [40001, 40002, 40003]
    assert other.call("eq", "list")["result"] == "OK"

    edited = hk.call("api_keys", "edit", params(id="803", name="backup", login_notify_method="none", active="0"))
    assert edited == {"result": "OK", "module": "api_keys", "action": "edit", "data": {"id": 803}}
    assert hk.call("api_keys", "view", params(id="803"))["data"] == dict(
        added, name="backup", active=0, ip="", login_notify_method="none", login_notify_address=None)
    assert other.call("eq", "list") == hostkey.INVALID_TOKEN  # deactivating the key ends its sessions
    assert other.login(secret) == {"result": -1, "error": f"Invalid API key {secret}"}

    history = hk.call("api_keys", "history", params(id="803", period_from="2000-01-01", period_to="2999-12-31"))["data"]
    assert [entry["type"] for entry in history] == ["action", "login", "action"]
    assert set(history[0]) == {"id", "date", "message", "type", "login"}
    assert hk.call("api_keys", "list_for_server", params(server_id="40001"))["data"][0]["id"] == 802
    assert hk.call("api_keys", "delete", params(id="803"))["data"] == {"id": 803}
    assert hk.call("api_keys", "view", params(id="803"))["result"] == -1


def test_deleting_the_key_in_use_ends_the_session(hk):
    assert hk.call("api_keys", "delete", params(id="801"))["data"] == {"id": 801}
    assert hk.call("eq", "list") == hostkey.INVALID_TOKEN
    assert hk.login()["result"] == -1


# -- catalog -------------------------------------------------------------------------------------------------

def test_catalog_without_token(hk):
    presets = hk.call("presets", "list", {"location": "NL"}, token=False)["presets"]
    pico = next(p for p in presets if p["name"] == "vm.pico")
    assert pico["id"] == 108 and pico["virtual"] == 1 and pico["price"]["NL"] == {"USD": -1, "EUR": 3}
    assert "vm.v2-large" not in [p["name"] for p in hk.call("presets", "list", {"location": "US"}, token=False)["presets"]]
    assert hk.call("presets", "list", token=False) == {"result": -1, "error": "presets/list: missing required parameter 'location'"}
    os_list = hk.call("os", "list", {"instance_id": "108"}, token=False)["os_list"]
    names = [o["name"] for o in os_list if o["active"] == 1]
    assert "Debian 12" in names and "Ubuntu 24.04" in names and "Windows Server 2022" not in names
    plans = hk.call("traffic_plans", "list", {"location": "NL", "instance": "108"}, token=False)["traffic_plans"]
    assert [p["id"] for p in plans] == [25, 52]
    assert [s["id"] for s in hk.call("software", "list", token=False)["software"]] == [20, 26, 49]
    hk.control("POST", "config", {"traffic_plans_reject_token": True})
    assert hk.call("traffic_plans", "list", {"location": "NL"})["error"] == "traffic_plans/list: invalid request"


# -- envelopes, call log, faults ---------------------------------------------------------------------------------

def test_error_envelopes(hk):
    assert hk.call("eq", "frobnicate") == {"result": -1, "error": "eq/frobnicate: unknown action"}
    assert hk.call("eq", "frobnicate", token=False) == hostkey.INVALID_TOKEN
    assert hk.call("auth", "whmcslogin", token=False) == {"result": -1, "error": "auth/whmcslogin: unknown action"}
    missing = hk.post("eq", {"token": hk.token})
    assert missing.json() == {"result": -1, "error": "eq: action is required"}
    as_json = hk.http.post(f"{hk.url}/auth.php", json={"action": "login", "key": hostkey.API_KEY}, timeout=5)
    assert as_json.status_code == 200 and as_json.json()["result"] == -1  # PHP does not read JSON bodies
    unknown = hk.post("nosuchmodule", {"action": "list"})
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("text/html")
    assert hk.check("0" * 32) == {"code": -1, "message": "AsyncKey not found", "key": "0" * 32}


def test_call_log_action_and_mutating(hk):
    hk.control("DELETE", "calls")
    hk.call("eq", "list")
    hk.call("eq", "show", {"id": "40001"})
    key = hk.call("eq", "on", {"id": "40002", "pin": hostkey.PIN})["callback"]
    hk.check(key)
    hk.call("eq", "status", {"id": "40001"})
    hk.call("eq", "update_servers")
    hk.call("tags", "add", {"id": "40001", "tag": "a", "value": "b"})
    hk.call("pdns", "view_zone", params(zone="example.com"))
    hk.call("pdns", "add_dns", params(zone="example.com", name="x", type="A", content=["203.0.113.9"]))
    hk.call("api_keys", "list")
    hk.login()
    calls = hk.control("GET", "calls")["calls"]
    assert [(c["path"], c["action"], c["mutating"]) for c in calls] == [
        ("/eq.php", "list", False), ("/eq.php", "show", False), ("/eq.php", "on", True),
        ("/eq_callback.php", "check", False), ("/eq.php", "status", False), ("/eq.php", "update_servers", False),
        ("/tags.php", "add", True), ("/pdns.php", "view_zone", False), ("/pdns.php", "add_dns", True),
        ("/api_keys.php", "list", False), ("/auth.php", "login", False)]
    assert calls[2]["form"]["pin"] == hostkey.PIN and calls[8]["form"]["params[content][]"] == "203.0.113.9"


def test_framework_faults_still_apply(hk):
    hk.control("POST", "faults", {"faults": [
        {"path": "/eq.php", "action": "respond", "status": 429, "headers": {"Retry-After": "1"}, "body": "slow down"},
        {"path": "/tags.php", "action": "drop_after"}]})
    limited = hk.post("eq", {"action": "list", "token": hk.token})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert hk.call("eq", "list")["result"] == "OK"
    with pytest.raises(requests.ConnectionError):
        hk.post("tags", {"action": "add", "token": hk.token, "id": "40001", "tag": "lost", "value": "1"})
    assert any(t["tag"] == "lost" for t in hk.call("tags", "list", {"id": "40001"})["tags"])  # it ran, the answer was lost
    calls = hk.control("GET", "calls")["calls"]
    expected = [("list", "respond"), ("list", None), ("add", "drop_after"), ("list", None)]
    assert [(c["action"], c["fault"]) for c in calls[-4:]] == expected


# -- seeding and launcher ------------------------------------------------------------------------------------

def test_seed_servers(hk):
    hk.control("POST", "seed", {"servers": 24})
    hk.login(ttl="3600", fix_ip="0")
    ids = hk.call("eq", "list")["servers"]
    assert ids == list(range(40001, 40025))
    state = hk.control("GET", "state")["servers"]
    assert {s["location"] for s in state} == {"NL", "FI", "DE", "US"}
    assert [s["hostname"] for s in state[:2]] == ["srv0001.example.com", "srv0002.example.com"]
    assert any(s["power"] == "off" for s in state) and any(s["status"] == "power_off" for s in state)
    assert all({"env", "role"} <= {t["tag"] for t in s["tags"]} for s in state)
    assert len({ip for s in state for ip in s["ips"]}) == sum(len(s["ips"]) for s in state)
    assert hk.call("eq", "list", {"status": "power_off"})["servers"] == [40011, 40022]
    bare_metal = hk.call("eq", "show", {"id": "40005"})
    assert bare_metal["server_data"]["type"] == "BM" and bare_metal["hardware"]["vm"] == 0
    status = hk.wait(hk.call("eq", "status", {"id": "40005"})["callback"])
    assert status["scope"] == status["debug"] == "Chassis Power is on"
    assert hk.call("eq", "on", {"id": "40011", "pin": hostkey.PIN})["error"] == "eq/on: server 40011 is suspended (power_off)"
    assert hk.call("eq", "list", {"group": "1CPU"})["servers"] == [40005, 40010]


def test_unknown_knob_and_cli(tmp_path):
    with pytest.raises(ValueError, match="unknown knob"):
        launcher.start("hostkey", warp_speed=True)
    with pytest.raises(ValueError, match="zone_shape"):
        launcher.start("hostkey", zone_shape="c")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "hostkey:0", "--seed-servers", "2", "--knob", "hostkey.pin_required=false",
         "--ready-file", str(ready)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    try:
        wait_until(ready.exists, timeout=10)
        url = json.loads(ready.read_text())["hostkey"]
        client = Client(url)
        assert client.login()["result"]["servers"] == [40001, 40002]
        assert client.call("eq", "off", {"id": "40001"})["result"] == "OK"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
