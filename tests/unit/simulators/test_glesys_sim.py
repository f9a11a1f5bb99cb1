"""The GleSYS simulator against the fixtures of providers/glesys.md section 10, plus the shared machinery."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import xmltodict

try:
    from ansible_collections.hostcraft.cloud.tests.simulators import glesys, launcher
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.simulators import glesys, launcher

REPO_ROOT = Path(glesys.__file__).resolve().parents[2]
JSON = {"Accept": "application/json"}
KNOBS = {"lock_seconds": 0.3, "edit_seconds": 0.2, "destroy_seconds": 0.2, "power_seconds": 0.2}

DEBIAN = {"id": "5b7a2c1e-0d4f-4c1a-9e55-2f1c0a9b7d31", "name": "Debian 12 (Bookworm)"}
UBUNTU = {"id": "c3e9d2a8-7f61-4b0e-8a2d-6e4f1b3c9a10", "name": "Ubuntu 22.04 LTS (Jammy Jellyfish)"}
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1x2y3z4A5b6C7d8E9f0G1h2I3j4K5l6M7n8O9p0Q1r ci@example.com"
KEY_B = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDz9y8x7w6v5u4t3s2r1q0p alice@example.com"


@pytest.fixture(scope="module")
def sim():
    handle = launcher.start("glesys", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture()
def api(sim):
    """A fresh simulator (state, call log, faults) and an authenticated session asking for JSON."""
    requests.post(sim.url + "/__sim__/reset", timeout=5).raise_for_status()
    requests.post(sim.url + "/__sim__/config", json=dict(KNOBS, latency=0.0), timeout=5).raise_for_status()
    session = requests.Session()
    session.auth = (glesys.PROJECT, glesys.API_KEY)
    session.headers.update(JSON)

    def call(path, _method="POST", **kwargs):
        kwargs.setdefault("timeout", 5)
        return session.request(_method, sim.url + path, **kwargs)

    call.url = sim.url
    call.session = session
    yield call
    session.close()


def control(api, method, path, body=None):
    response = requests.request(method, api.url + "/__sim__/" + path, json=body, timeout=5)
    response.raise_for_status()
    return response.json()


def body(response):
    return response.json()["response"]


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def details(api, serverid):
    return body(api("/server/details", json={"serverid": serverid, "includestate": "yes"}))["server"]


# -- envelope and formats ------------------------------------------------------------------------

def test_server_list_matches_fixture_10_1a(api):
    response = api("/server/list")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    data = body(response)
    assert list(data) == ["status", "servers", "debug"]
    assert data["status"]["code"] == 200 and data["status"]["text"] == "OK"
    assert "transactionid" not in data["status"]
    assert data["status"]["timestamp"][-6:] in ("+01:00", "+02:00")
    time.strptime(data["status"]["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
    assert data["debug"] == {"input": []}
    assert data["servers"] == [
        {"serverid": "kvm1000123", "projectkey": "cl12345", "hostname": "web01.example.com",
         "datacenter": "Falkenberg", "platform": "KVM", "description": "frontend",
         "cpucores": 2, "memorysize": 4096, "disksize": 40, "transfer": None, "bandwidth": 100,
         "templatename": "Debian 12 (Bookworm)", "initialtemplate": DEBIAN},
        {"serverid": "wps1000456", "projectkey": "cl12345", "hostname": "legacy-app",
         "datacenter": "Stockholm", "platform": "VMware", "description": None,
         "cpucores": 1, "memorysize": 2048, "disksize": 20, "transfer": None, "bandwidth": 100,
         "templatename": "Ubuntu 22.04 LTS (Jammy Jellyfish)", "initialtemplate": UBUNTU},
    ]


def test_xml_is_the_default(api):
    response = api.session.post(api.url + "/server/details", data={"serverid": "kvm1000123", "includestate": "1"},
                                headers={"Accept": "*/*"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    doc = xmltodict.parse(response.text, force_list=("item",))["response"]
    assert doc["status"]["code"] == "200"
    server = doc["server"]
    assert server["transfer"] is None and server["isrunning"] == "1" and server["islocked"] is None
    assert [ip["ipaddress"] for ip in server["iplist"]["item"]] == ["203.0.113.10", "2001:db8:0:1::10"]
    assert server["initialtemplate"]["currenttags"]["item"] == ["debian-12", "debian-latest"]
    assert doc["debug"]["input"] == {"serverid": "kvm1000123", "includestate": "1"}

    empty = api.session.post(api.url + "/sshkey/list", headers={"Accept": "application/xml"}, timeout=5)
    assert "<sshkeys/>" in empty.text and "<debug><input/></debug>" in empty.text
    assert api("/sshkey/list", params={"format": "json"}, headers={"Accept": "*/*"}).json()["response"]["sshkeys"] == []


def test_details_match_fixtures_10_2(api):
    web01 = details(api, "kvm1000123")
    assert web01 == {
        "serverid": "kvm1000123", "hostname": "web01.example.com", "description": "frontend",
        "datacenter": "Falkenberg", "platform": "KVM", "cpucores": 2, "memorysize": 4096, "disksize": 40,
        "bandwidth": 100, "transfer": None, "templatename": "Debian 12 (Bookworm)",
        "initialtemplate": dict(DEBIAN, currenttags=["debian-12", "debian-latest"]),
        "iplist": [{"ipaddress": "203.0.113.10", "version": 4}, {"ipaddress": "2001:db8:0:1::10", "version": 6}],
        "backup": {"enabled": "yes", "schedules": [{"frequency": "daily", "numberofimagestokeep": 7}]},
        "additionaldisks": [], "supportedfeatures": {"editbandwidth": "no"},
        "isrunning": True, "islocked": False, "status": "ready", "state": "running",
    }
    legacy = details(api, "wps1000456")
    assert legacy == {
        "serverid": "wps1000456", "hostname": "legacy-app", "description": None,
        "datacenter": "Stockholm", "platform": "VMware", "cpucores": 1, "memorysize": 2048, "disksize": 20,
        "bandwidth": 100, "transfer": None, "templatename": "Ubuntu 22.04 LTS (Jammy Jellyfish)",
        "initialtemplate": dict(UBUNTU, currenttags=[]),
        "iplist": [{"ipaddress": "203.0.113.20", "version": 4}],
        "backup": {"enabled": "no"}, "isofile": None, "supportedfeatures": {"editbandwidth": "yes"},
        "isrunning": False, "islocked": False, "status": "ready", "state": "stopped",
    }
    plain = body(api("/server/details", json={"serverid": "kvm1000123"}))["server"]
    assert not {"isrunning", "islocked", "status", "state"} & set(plain)
    by_path = body(api("/server/details/serverid/kvm1000123/includestate/true", "GET"))
    assert by_path["server"]["isrunning"] is True
    assert by_path["debug"]["input"] == {"serverid": "kvm1000123", "includestate": "true"}


def test_debug_input_echo_and_argument_merging(api):
    data = body(api("/domain/addrecord", params={"domainname": "example.com"},
                    json={"host": "_acme-challenge", "type": "TXT", "data": "q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0", "ttl": 60}))
    assert data["debug"]["input"] == {"domainname": "example.com", "host": "_acme-challenge", "type": "TXT",
                                      "data": "q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0", "ttl": "60"}
    assert data["status"]["text"] == "Record added." and data["status"]["transactionid"] is None
    assert data["record"] == {"recordid": 2400110, "domainname": "example.com", "host": "_acme-challenge",
                              "type": "TXT", "data": "q8Xv3kTzYw0hB1n2m3L4p5R6s7T8u9V0", "ttl": 60}
    assert body(api("/api/serviceinfo"))["debug"]["input"] == []


# -- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [None, ("cl12345", "wrong"), ("cl99999", glesys.API_KEY)])
def test_bad_credentials_fixture_10_6a(api, auth):
    response = requests.post(api.url + "/server/list", auth=auth, headers=JSON, timeout=5)
    assert response.status_code == 401
    assert body(response)["status"]["text"] == "Authentication failed. Double check the username and key."
    assert body(response)["status"]["transactionid"] is None
    assert body(response)["debug"] == {"input": []}


def test_unknown_module_function_and_introspection(api):
    unknown_fn = api("/sshkey/frobnicate")
    assert unknown_fn.status_code == 404
    assert body(unknown_fn)["status"]["text"] == glesys.UNKNOWN_FUNCTION
    module = body(api("/sshkey/", "GET"))["module"]
    assert module["authentication"]["user"]["cloudaccount"] == "true"
    functions = {fn["function"]: fn for fn in module["allowed_functions"]}
    assert functions["add"] == {"function": "add", "documentation": functions["add"]["documentation"], "post": True,
                                "required_arguments": ["sshkey", "description"]}
    assert functions["list"]["get"] is True and "get" not in functions["remove"]

    unknown_module = api("/nosuchmodule/list")
    assert unknown_module.status_code == 404
    assert body(unknown_module)["status"]["text"] == glesys.UNKNOWN_MODULE
    assert "server" in body(unknown_module)["modules"]
    root = body(api("/", "GET"))
    assert root["status"]["code"] == 404 and root["debug"]["input"]["projectkey"] == "cl12345"
    listed = body(api("/api/listfunctions"))["modules"]
    assert {"function": "setptr", "documentation": listed["ip"][-1]["documentation"]} in listed["ip"]


def test_argument_checks(api):
    extra = api("/server/list", json={"verbose": "yes"})
    assert extra.status_code == 400 and "verbose" in body(extra)["status"]["text"]
    missing = api("/domain/addrecord", json={"domainname": "example.com", "host": "x", "type": "A"})
    assert missing.status_code == 400 and "'data'" in body(missing)["status"]["text"]
    get_mutating = api("/sshkey/add", "GET", params={"sshkey": KEY_A, "description": "x"})
    assert get_mutating.status_code == 400 and "POST" in body(get_mutating)["status"]["text"]
    assert api("/server/details", json={"serverid": "kvm999"}).status_code == 404
    bad_json = api("/server/list", data="{oops", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400


# -- sshkey ----------------------------------------------------------------------------------------

def test_sshkey_add_list_remove(api):
    assert body(api("/sshkey/list"))["sshkeys"] == []
    first = body(api("/sshkey/add", json={"sshkey": KEY_A, "description": "ci-deploy"}))
    assert first["sshkey"] == {"id": 5011, "description": "ci-deploy", "data": KEY_A}
    api("/sshkey/add", json={"sshkey": KEY_B, "description": "alice-laptop"})
    assert body(api("/sshkey/list", "GET"))["sshkeys"] == [
        {"id": 5011, "description": "ci-deploy", "data": KEY_A},
        {"id": 5012, "description": "alice-laptop", "data": KEY_B},
    ]
    bad = api("/sshkey/add", json={"sshkey": "not a key", "description": "x"})
    assert bad.status_code == 400 and "sshkey" in body(bad)["status"]["text"]
    assert api("/sshkey/remove", json={"sshkeyids": "5011,9999"}).status_code == 404
    removed = api("/sshkey/remove", json={"sshkeyids": "5011,5012"})
    assert removed.status_code == 200 and list(body(removed)) == ["status", "debug"]
    assert body(api("/sshkey/list"))["sshkeys"] == []


# -- domain ----------------------------------------------------------------------------------------

def test_records_fixture_and_crud(api):
    records = body(api("/domain/listrecords", json={"domainname": "example.com"}))["records"]
    assert [(r["recordid"], r["host"], r["type"], r["data"], r["ttl"]) for r in records] == [
        (2400101, "@", "NS", "ns1.example.net.", 3600), (2400102, "@", "NS", "ns2.example.net.", 3600),
        (2400103, "@", "NS", "ns3.example.net.", 3600), (2400104, "@", "A", "203.0.113.10", 3600),
        (2400105, "www", "A", "203.0.113.10", 300), (2400106, "www", "AAAA", "2001:db8:0:1::10", 300),
        (2400107, "@", "MX", "10 mail.example.com.", 3600), (2400108, "@", "TXT", "v=spf1 mx -all", 3600),
        (2400109, "docs", "CNAME", "www.example.com.", 3600),
    ]
    added = body(api("/domain/addrecord", json={"domainname": "example.com", "host": "docs.example.com",
                                                "type": "cname", "data": "www.example.com"}))["record"]
    assert added["host"] == "docs.example.com" and added["data"] == "www.example.com"
    assert added["type"] == "CNAME" and added["ttl"] == 3600
    updated = api("/domain/updaterecord", json={"recordid": str(added["recordid"]), "ttl": 120})
    assert body(updated)["status"]["text"] == "Record updated."
    assert body(updated)["record"] == dict(added, ttl=120)
    removed = api("/domain/deleterecord", json={"recordid": added["recordid"]})
    assert body(removed)["status"]["text"] == "Record removed."
    gone = api("/domain/deleterecord", json={"recordid": "2400999"})
    assert gone.status_code == 404
    assert body(gone)["status"] == dict(body(gone)["status"], code=404, text="Record not found.", transactionid=None)
    assert body(gone)["debug"]["input"] == {"recordid": "2400999"}
    assert api("/domain/addrecord", json={"domainname": "example.com", "host": "x", "type": "A",
                                          "data": "2001:db8::1"}).status_code == 400


def test_domain_add_creates_ns_records(api):
    added = api("/domain/add", json={"domainname": "example.org"})
    assert body(added)["status"]["text"] == "Domain added"
    assert body(added)["domain"]["primarynameserver"] == "ns1.namesystem.se."
    records = body(api("/domain/listrecords", json={"domainname": "example.org"}))["records"]
    assert [(r["host"], r["type"], r["data"]) for r in records] == [
        ("@", "NS", "ns1.namesystem.se."), ("@", "NS", "ns2.namesystem.se."), ("@", "NS", "ns3.namesystem.se.")]
    api("/domain/add", json={"domainname": "example.net", "createrecords": "no"})
    assert body(api("/domain/listrecords", json={"domainname": "example.net"}))["records"] == []
    assert {d["domainname"] for d in body(api("/domain/list"))["domains"]} == {"example.com", "example.org", "example.net"}
    api("/domain/delete", json={"domainname": "example.org"})
    assert api("/domain/details", json={"domainname": "example.org"}).status_code == 404


# -- ip --------------------------------------------------------------------------------------------

def test_ip_details_setptr_resetptr(api):
    assert body(api("/ip/details", json={"ipaddress": "203.0.113.10"}))["details"] == {
        "ipaddress": "203.0.113.10", "ipversion": 4, "datacenter": "Falkenberg",
        "platform": "KVM", "platforms": ["KVM"], "serverid": "kvm1000123",
        "reserved": "yes", "lockedtoaccount": "no",
        "netmask": "255.255.255.0", "broadcast": "203.0.113.255", "gateway": "203.0.113.1",
        "nameservers": ["203.0.113.53", "203.0.113.54"], "ptr": "web01.example.com.",
        "cost": {"amount": 30.0, "currency": "SEK", "timeperiod": "month"},
    }
    spare = body(api("/ip/details", json={"ipaddress": "2001:db8:0:1::42"}))["details"]
    assert spare["serverid"] is None and spare["ptr"] == "2001-db8-0-1--42-static.glesys.net."
    assert spare["netmask"] == "/64" and spare["broadcast"] is None
    set_ptr = api("/ip/setptr", params={"ipaddress": "203.0.113.20", "data": "legacy.example.com"})
    assert body(set_ptr)["status"]["text"] == "PTR updated."
    assert body(set_ptr)["details"]["ptr"] == "legacy.example.com"
    reset = body(api("/ip/resetptr", json={"ipaddress": "203.0.113.20"}))["details"]
    assert reset["ptr"] == "203-0-113-20-static.glesys.net."
    assert api("/ip/details", json={"ipaddress": "198.51.100.7"}).status_code == 404
    unused = body(api("/ip/listown", json={"used": "no"}))["iplist"]
    assert [ip["ipaddress"] for ip in unused] == ["2001:db8:0:1::42"]
    assert len(body(api("/ip/listown", json={"ipversion": 4}))["iplist"]) == 2


# -- server lifecycle ------------------------------------------------------------------------------

CREATE = {"datacenter": "Falkenberg", "platform": "KVM", "hostname": "web02.example.com",
          "templatename": "Debian 12 (Bookworm)", "disksize": 20, "memorysize": 2048, "cpucores": 1,
          "bandwidth": 100, "ip": "any", "ipv6": "any",
          "users": [{"username": "hostcraft", "sshkeys": [KEY_A], "password": "s3cret"}]}


def test_server_create_locked_then_running(api):
    created = api("/server/create", json=CREATE)
    assert created.status_code == 200
    server = body(created)["server"]
    assert server["iplist"] == [{"ipaddress": "203.0.113.11", "version": 4}, {"ipaddress": "2001:db8:0:1::11", "version": 6}]
    assert (server["islocked"], server["isrunning"], server["state"], server["status"]) == (True, False, "locked", "updating")
    serverid = server["serverid"]
    assert serverid.startswith("kvm")
    assert body(api("/server/status", json={"serverid": serverid}))["server"]["state"] == "locked"
    busy = api("/server/edit", json={"serverid": serverid, "cpucores": 4})
    assert busy.status_code == 400 and body(busy)["status"]["text"] == glesys.SERVER_LOCKED
    assert body(busy)["debug"]["input"] == {"serverid": serverid, "cpucores": "4"}
    wait_until(lambda: not details(api, serverid)["islocked"])
    ready = details(api, serverid)
    assert ready["isrunning"] is True and ready["state"] == "running"
    assert serverid in [s["serverid"] for s in body(api("/server/list"))["servers"]]

    no_users = api("/server/create", json=dict(CREATE, users=None))
    assert no_users.status_code == 400 and "users" in body(no_users)["status"]["text"]
    vmware = dict(CREATE, platform="VMware", templatename=UBUNTU["name"])
    del vmware["users"]
    no_root = api("/server/create", json=vmware)
    assert no_root.status_code == 400 and "rootpassword" in body(no_root)["status"]["text"]
    bare = body(api("/server/create", json=dict(vmware, rootpassword="pw", ip="none", ipv6="none")))["server"]
    assert bare["serverid"].startswith("wps") and bare["iplist"] == []


def test_server_edit_destroy_and_power(api):
    shrink = api("/server/edit", json={"serverid": "kvm1000123", "disksize": 20})
    assert shrink.status_code == 400 and "disksize" in body(shrink)["status"]["text"]
    edited = body(api("/server/edit", json={"serverid": "kvm1000123", "memorysize": 8192, "description": "big"}))
    assert edited["server"]["memorysize"] == 8192 and edited["server"]["islocked"] is True
    wait_until(lambda: not details(api, "kvm1000123")["islocked"])

    api("/server/stop", json={"serverid": "kvm1000123", "type": "soft"}).raise_for_status()
    wait_until(lambda: details(api, "kvm1000123")["isrunning"] is False)
    api("/server/start", json={"serverid": "kvm1000123"}).raise_for_status()
    wait_until(lambda: details(api, "kvm1000123")["isrunning"] is True)
    assert api("/server/stop", json={"serverid": "kvm1000123", "type": "gentle"}).status_code == 400

    destroyed = api("/server/destroy", json={"serverid": "kvm1000123", "keepip": "yes"})
    assert destroyed.status_code == 200 and list(body(destroyed)) == ["status", "debug"]
    assert details(api, "kvm1000123")["islocked"] is True
    wait_until(lambda: api("/server/details", json={"serverid": "kvm1000123"}).status_code == 404)
    kept = body(api("/ip/details", json={"ipaddress": "203.0.113.10"}))["details"]
    assert kept["serverid"] is None
    api("/server/destroy", json={"serverid": "wps1000456", "keepip": False}).raise_for_status()
    wait_until(lambda: api("/ip/details", json={"ipaddress": "203.0.113.20"}).status_code == 404)


def test_templates_and_allowedarguments(api):
    templates = body(api("/server/templates"))["templates"]
    for platform in ("KVM", "VMware"):
        names = [t["name"] for t in templates[platform]]
        assert "Debian 12 (Bookworm)" in names and "Ubuntu 22.04 LTS (Jammy Jellyfish)" in names
    item = templates["KVM"][0]
    assert set(item) == {"id", "name", "platform", "operatingsystem", "minimumdisksize", "minimummemorysize",
                         "instancecost", "licensecost", "bootstrapmethod"}
    allowed = body(api("/server/allowedarguments"))["argumentslist"]["platforms"]
    assert {"value": "Falkenberg"} in allowed["KVM"]["datacenter"]
    assert {"value": 2048} in allowed["VMware"]["memorysize"]


# -- the shared machinery --------------------------------------------------------------------------

def test_call_log_and_reset(api):
    api("/sshkey/add", data={"sshkey": KEY_A, "description": "form"})
    api("/server/list", params={"format": "json"})
    control(api, "GET", "state")  # control calls are not logged
    calls = control(api, "GET", "calls")["calls"]
    assert [(c["seq"], c["method"], c["path"], c["status"], c["mutating"], c["fault"]) for c in calls] == [
        (calls[0]["seq"], "POST", "/sshkey/add", 200, True, None),
        (calls[0]["seq"] + 1, "POST", "/server/list", 200, False, None),
    ]
    assert calls[0]["form"] == {"sshkey": KEY_A, "description": "form"} and calls[0]["json"] is None
    assert calls[1]["query"] == {"format": "json"} and calls[1]["headers"]["Accept"] == "application/json"
    assert len(control(api, "DELETE", "calls")["calls"]) == 2
    assert control(api, "GET", "calls")["calls"] == []

    assert len(control(api, "GET", "state")["sshkeys"]) == 1
    control(api, "POST", "reset")
    state = control(api, "GET", "state")
    assert state["sshkeys"] == [] and len(state["servers"]) == 2


def test_seed_and_config(api, sim):
    assert control(api, "POST", "seed", {"servers": 40}) == {"servers": 40}
    servers = body(api("/server/list"))["servers"]
    assert len(servers) == 40 and servers[0]["hostname"] == "srv0001.example.com"
    assert {s["platform"] for s in servers} == {"KVM", "VMware"}
    assert {s["datacenter"] for s in servers} == {"Falkenberg", "Stockholm", "Amsterdam", "Oslo"}
    assert len(sim.sim.servers) == 40
    state = control(api, "GET", "state")
    assert sum(1 for s in state["servers"] if not s["isrunning"]) > 0
    assert sum(1 for ip in state["ips"] if ip["ipversion"] == 6) < 40
    control(api, "POST", "reset")
    assert len(body(api("/server/list"))["servers"]) == 40  # reset re-seeds with the current seed setting
    control(api, "POST", "seed", {"servers": 0})
    assert len(body(api("/server/list"))["servers"]) == 2

    config = control(api, "POST", "config", {"project": "cl54321"})
    assert config["project"] == "cl54321" and config["lock_seconds"] == KNOBS["lock_seconds"]
    assert api("/server/list").status_code == 401
    control(api, "POST", "config", {"project": glesys.PROJECT})
    assert requests.post(api.url + "/__sim__/config", json={"nope": 1}, timeout=5).status_code == 400


def test_fault_respond_429(api):
    control(api, "POST", "faults", {"faults": [
        {"path": "/server/list/", "method": "POST", "action": "respond", "status": 429,
         "headers": {"Retry-After": "2"}, "body": "slow down"}]})
    assert api("/server/list", "GET").status_code == 200  # method does not match
    limited = api("/server/list")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2" and limited.text == "slow down"
    assert api("/server/list").status_code == 200  # times defaults to 1 and the rule is gone
    assert control(api, "GET", "faults")["faults"] == []
    assert [c["fault"] for c in control(api, "GET", "calls")["calls"]] == [None, "respond", None]


def test_fault_drop_and_drop_after(api):
    control(api, "POST", "faults", {"faults": [{"path": "/sshkey/add", "action": "drop"},
                                               {"path": "/sshkey/add", "action": "drop_after"}]})
    with pytest.raises(requests.ConnectionError):
        api("/sshkey/add", json={"sshkey": KEY_A, "description": "dropped"})
    assert body(api("/sshkey/list"))["sshkeys"] == []  # handler not run
    with pytest.raises(requests.ConnectionError):
        api("/sshkey/add", json={"sshkey": KEY_A, "description": "ambiguous"})
    assert [k["description"] for k in body(api("/sshkey/list"))["sshkeys"]] == ["ambiguous"]
    calls = control(api, "GET", "calls")["calls"]
    assert [(c["fault"], c["status"]) for c in calls] == [("drop", None), (None, 200), ("drop_after", 200), (None, 200)]


def test_fault_delay_times_and_latency(api):
    control(api, "POST", "faults", {"faults": [{"path": "/api/serviceinfo", "action": "delay", "seconds": 0.3, "times": 2}]})

    def timed_call():
        started = time.monotonic()
        assert api("/api/serviceinfo").status_code == 200
        return time.monotonic() - started

    assert timed_call() >= 0.3 and timed_call() >= 0.3
    assert timed_call() < 0.3  # used up after two requests

    control(api, "POST", "config", {"latency": 0.3})
    started = time.monotonic()
    control(api, "GET", "calls")
    assert time.monotonic() - started < 0.3  # control endpoints are not slowed down
    api("/api/serviceinfo")
    assert time.monotonic() - started >= 0.3
    bad = requests.post(api.url + "/__sim__/faults", json={"faults": [{"action": "explode"}]}, timeout=5)
    assert bad.status_code == 400


def test_keep_alive_and_content_length(api, sim):  # pylint: disable=unused-argument
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    token = "Basic " + base64.b64encode(f"{glesys.PROJECT}:{glesys.API_KEY}".encode()).decode()
    sockets = set()
    for path in ("/server/list", "/api/serviceinfo", "/server/templates"):
        headers = {"Authorization": token, "Content-Type": "application/json", "Accept": "application/json"}
        conn.request("POST", path, body=b"{}", headers=headers)
        response = conn.getresponse()
        payload = response.read()
        assert response.status == 200 and int(response.headers["Content-Length"]) == len(payload)
        assert response.headers.get("Connection") != "close"
        json.loads(payload)
        sockets.add(id(conn.sock))
    assert len(sockets) == 1  # one connection served all three requests
    conn.close()


def test_unknown_provider_and_knob():
    with pytest.raises(ValueError, match="known providers: .*glesys"):
        launcher.start("nosuchcloud")
    with pytest.raises(ValueError, match="unknown knob"):
        launcher.start("glesys", warp_speed=True)


def test_cli_start_query_sigterm(tmp_path):
    ready, pid_file = tmp_path / "ready.json", tmp_path / "sim.pid"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "glesys:0", "--seed-servers", "3", "--knob", "glesys.lock_seconds=0.1",
         "--ready-file", str(ready), "--pid-file", str(pid_file)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    try:
        wait_until(ready.exists, timeout=10)
        urls = json.loads(ready.read_text())
        assert list(urls) == ["glesys"]
        assert int(pid_file.read_text()) == proc.pid
        servers = requests.post(urls["glesys"] + "/server/list", auth=(glesys.PROJECT, glesys.API_KEY),
                                headers=JSON, timeout=5).json()["response"]["servers"]
        assert len(servers) == 3
        assert requests.get(urls["glesys"] + "/__sim__/config", timeout=5).json()["lock_seconds"] == 0.1
        proc.send_signal(signal.SIGTERM)
        stdout = proc.communicate(timeout=10)[0]
        assert proc.returncode == 0
        assert json.loads(stdout.strip().splitlines()[0]) == urls
        assert not ready.exists() and not pid_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    bad = subprocess.run([sys.executable, "-m", "tests.simulators", "nosuchcloud:0"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=30, check=False)
    assert bad.returncode == 2 and "known providers: glesys" in bad.stderr
