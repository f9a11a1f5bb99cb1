"""The HostUp simulator (both API generations) against the fixtures of providers/hostup.md section 9, plus its quirks."""

from __future__ import annotations

import base64
import hashlib
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
    from ansible_collections.hostcraft.cloud.tests.simulators import hostup, launcher
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.simulators import hostup, launcher

REPO_ROOT = Path(hostup.__file__).resolve().parents[2]
KNOBS = {"job_seconds": 0.15, "dns_pending_seconds": 0.15, "provision_seconds": 0.15}
WEB01, DB01, APP01 = ("vps_01jtestvps00000000000000a1", "vps_01jtestvps00000000000000a2", "vps_01jtestvps00000000000000a3")
ZONE = "zone_01jtestzone0000000000000a1"
ED25519 = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance", "requestId", "timestamp"}
V1_ERROR_KEYS = {"error", "message", "code", "timestamp", "requestId"}

FIXTURE_VPS = [
    {"id": WEB01, "name": "web-01", "primaryIp": "203.0.113.10", "serviceStatus": "active", "powerState": "running",
     "operatingSystem": {"displayName": "Ubuntu 24.04", "family": "ubuntu", "version": "24.04", "variant": None},
     "billing": {"amount": 199, "currencyCode": "SEK", "billingCycle": "monthly", "isPayg": False, "periodYears": None},
     "resources": {"cpuCores": 2, "memoryGb": 4, "storageGb": 80}, "tags": ["web"], "pinned": False},
    {"id": DB01, "name": "db-01", "primaryIp": "203.0.113.11", "serviceStatus": "active", "powerState": "stopped",
     "operatingSystem": {"displayName": "Debian 12", "family": "debian", "version": "12", "variant": None},
     "billing": {"amount": 0, "currencyCode": "SEK", "billingCycle": "monthly", "isPayg": True, "periodYears": None},
     "resources": {"cpuCores": 4, "memoryGb": 8, "storageGb": 160}, "tags": [], "pinned": True},
]
FIXTURE_RECORDS = [
    {"id": "drr_01jtestrec00000000000000a1", "type": "A", "name": "example.com", "value": "203.0.113.10", "ttl": 3600,
     "priority": None, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a2", "type": "A", "name": "www.example.com", "value": "203.0.113.10", "ttl": 3600,
     "priority": None, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a3", "type": "MX", "name": "example.com", "value": "mail.example.com", "ttl": 3600,
     "priority": 10, "weight": None, "port": None, "status": "active"},
    {"id": "drr_01jtestrec00000000000000a4", "type": "TXT", "name": "_dmarc.example.com", "value": '"v=DMARC1; p=none"',
     "ttl": 3600, "priority": None, "weight": None, "port": None, "status": "active"},
]


class Api:
    """A minimal HostUp client: JSON over HTTP with a bearer key."""

    def __init__(self, url: str, key: str = hostup.API_KEY):
        self.url = url
        self.key = key
        self.http = requests.Session()

    def call(self, method: str, path: str, body=None, key: str | None = None, headers: dict | None = None,
             **kwargs) -> requests.Response:
        sent = {"Accept": "application/json"}
        token = self.key if key is None else key
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        kwargs.setdefault("timeout", 5)
        return self.http.request(method, self.url + path, json=body, headers=sent, **kwargs)

    def ok(self, method: str, path: str, body=None, status: int = 200, **kwargs):
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def v1(self, method: str, path: str, body=None, **kwargs) -> dict:
        envelope = self.ok(method, path, body, **kwargs)
        assert set(envelope) == {"success", "timestamp", "requestId", "data"} and envelope["success"] is True
        return envelope["data"]

    def control(self, method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/__sim__/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def wait_job(self, poll_url: str, timeout: float = 3.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.v1("GET", poll_url)
            if job["isCompleted"] or job["isFailed"]:
                return job
            time.sleep(0.03)
        raise AssertionError(f"job {poll_url} not finished in time")


def problem(response: requests.Response, status: int, code: str) -> dict:
    """Assert an RFC 7807 answer of the v2 API and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_KEYS <= set(body)
    assert (body["status"], body["code"], body["type"]) == (status, code, "https://developer.hostup.se/errors/" + code)
    assert body["instance"] == response.request.path_url.split("?")[0] and body["requestId"].startswith("req_")
    return body


def v1_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert V1_ERROR_KEYS <= set(body) and body["code"] == code
    return body


@pytest.fixture(scope="module")
def sim():
    handle = launcher.start("hostup", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture()
def api(sim):
    """Default knobs, fresh state and call log, the default key."""
    settings = dict(hostup.HostupSimulator.KNOBS, **KNOBS, latency=0.0, seed_servers=0)
    requests.post(sim.url + "/__sim__/config", json=settings, timeout=5).raise_for_status()
    requests.post(sim.url + "/__sim__/reset", timeout=5).raise_for_status()
    client = Api(sim.url)
    yield client
    client.http.close()


# -- auth ----------------------------------------------------------------------------------------------------

def test_auth_failures_in_both_generations(api):
    for key in ("", "hu_live_wrong"):
        body = problem(api.call("GET", "/api/v2/vps", key=key), 401, "unauthorized")
        assert body["title"] == "Unauthorized"
        v1 = v1_error(api.call("GET", "/api/keys", key=key), 401, "UNAUTHORIZED")
        assert set(v1) == V1_ERROR_KEYS and (v1["error"], v1["message"]) == ("Unauthorized", "Authentication required")
    # the job poll route is a v1 route
    v1_error(api.call("GET", "/api/jobs/job_x", key=""), 401, "UNAUTHORIZED")
    # X-API-Key works on v1 only unless the knob says otherwise
    header = {"X-API-Key": hostup.API_KEY}
    assert api.v1("GET", "/api/keys/scopes", key="", headers=header)["scopes"]
    problem(api.call("GET", "/api/v2/vps", key="", headers=header), 401, "unauthorized")
    api.control("POST", "config", {"v2_accepts_x_api_key": True})
    assert api.ok("GET", "/api/v2/vps", key="", headers=header)["data"]


def test_scopes_are_enforced_on_v2(api):
    dns = Api(api.url, hostup.DNS_API_KEY)
    assert dns.ok("GET", "/api/v2/dns-zones?name=example.com")["data"][0]["id"] == ZONE
    body = problem(dns.call("GET", "/api/v2/vps"), 403, "forbidden")
    assert body["extensions"]["missingScopes"] == ["read:vm"]
    body = problem(dns.call("PUT", f"/api/v2/dns-zones/{ZONE}/records/drr_01jtestrec00000000000000a2",
                            {"type": "A", "name": "www", "value": "203.0.113.20", "proxied": True}), 403, "forbidden")
    assert body["extensions"]["missingScopes"] == ["write:cdn"]
    api.control("POST", "config", {"enforce_scopes": False})
    assert dns.ok("GET", "/api/v2/vps")["data"]


# -- VPS -------------------------------------------------------------------------------------------------------------

def test_vps_list_get_status_details_fixtures(api):
    listed = api.ok("GET", "/api/v2/vps", params={"limit": 100})
    assert set(listed) == {"data", "hasMore", "nextCursor"} and (listed["hasMore"], listed["nextCursor"]) == (False, None)
    assert listed["data"][:2] == FIXTURE_VPS and len(listed["data"]) == 3
    assert api.ok("GET", f"/api/v2/vps/{WEB01}") == FIXTURE_VPS[0]
    assert [v["id"] for v in api.ok("GET", "/api/v2/vps", params={"name": "DB-01"})["data"]] == [DB01]
    assert [v["id"] for v in api.ok("GET", "/api/v2/vps", params={"primaryIp": "203.0.113.12"})["data"]] == [APP01]
    included = api.ok("GET", "/api/v2/vps", params={"include": "pendingMaintenance", "limit": 1})["data"][0]
    assert included["pendingMaintenance"] is None and included["pendingMaintenanceHasDeadline"] is False

    status = api.ok("GET", f"/api/v2/vps/{WEB01}/status")
    assert list(status)[:10] == ["id", "powerState", "uptimeSeconds", "cpuUsagePercent", "cpuCores", "memory", "storage",
                                 "network", "pendingTasks", "actions"]
    assert {k: status[k] for k in ("memory", "storage", "network", "pendingTasks")} == {
        "memory": {"usedGb": 1.1, "totalGb": 4, "usagePercent": 27.5},
        "storage": {"usedGb": 12.4, "totalGb": 80, "usagePercent": 15.5},
        "network": {"inboundGb": 1.25, "outboundGb": 0.8, "totalGb": 2.05}, "pendingTasks": []}
    assert 86400 <= status["uptimeSeconds"] < 86400 + 60 and status["powerState"] == "running"
    assert api.ok("GET", f"/api/v2/vps/{DB01}/status")["uptimeSeconds"] is None

    details = api.ok("GET", f"/api/v2/vps/{WEB01}/details")
    assert {"id", "productName", "hostname", "serviceStatus", "createdAt", "nextDueAt", "billing", "cpuCores", "memoryGb",
            "storageGb", "backupsIncluded", "bandwidth", "actions"} <= set(details)
    assert set(details["bandwidth"]) == {"usedGb", "limitGb", "inboundGb", "outboundGb", "usagePercent"}
    assert details["hostname"] == "web-01.example.com" and details["sshKeys"][0]["name"] == "ops-laptop"
    assert set(details["actions"]) == {"canStart", "canShutdown", "canStop", "canRestart", "canReset", "canChangeHostname"}
    assert details["actions"]["canShutdown"] == {"allowed": True, "reason": None, "code": None}

    missing = problem(api.call("GET", "/api/v2/vps/vps_unknown"), 404, "vps_not_found")
    assert (missing["title"], missing["detail"]) == ("VPS not found", "No VPS matching the given ID was found.")
    assert missing["instance"] == "/api/v2/vps/vps_unknown"


def test_cursor_paging_and_limits(api):
    api.control("POST", "seed", {"servers": 250})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 100} if cursor is None else {"limit": 100, "cursor": cursor}
        page = api.ok("GET", "/api/v2/vps", params=params)
        pages += 1
        seen += [vps["id"] for vps in page["data"]]
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            break
        cursor = page["nextCursor"]
        if pages == 1:
            assert cursor == "eyJvZmZzZXQiOjEwMH0"  # fixture 9.2's second-page pattern
    assert pages == 3 and len(seen) == len(set(seen)) == 250
    assert seen[0] == "vps_01jseedvps0000000000000001" and len(seen[0]) == len("vps_") + 26
    assert len(api.ok("GET", "/api/v2/vps")["data"]) == 20  # default page size
    for bad in ("0", "101", "ten"):
        body = problem(api.call("GET", "/api/v2/vps", params={"limit": bad}), 400, "invalid_request")
        assert body["errors"][0]["pointer"] == "/limit"
    problem(api.call("GET", "/api/v2/vps", params={"cursor": "not-a-cursor"}), 400, "invalid_request")
    state = api.control("GET", "state")["vps"]
    assert any(v["powerState"] == "stopped" for v in state) and any(v["serviceStatus"] == "suspended" for v in state)
    assert any(v["gates"] for v in state)
    assert len({ip["ip"] for v in state for ip in v["ips"]}) == sum(len(v["ips"]) for v in state)
    # zones page up to 1000
    assert api.ok("GET", "/api/v2/dns-zones", params={"limit": 1000})["hasMore"] is False
    problem(api.call("GET", "/api/v2/dns-zones", params={"limit": 1001}), 400, "invalid_request")


def test_power_202_job_transition_and_409(api):
    response = api.call("POST", f"/api/v2/vps/{WEB01}/actions/shutdown")
    assert response.status_code == 202, response.text
    operation = response.json()["operation"]
    assert set(response.json()) == {"operation"} and set(operation) == {"status", "jobId", "pollUrl", "result"}
    assert operation["status"] == "queued" and operation["result"] is None and operation["jobId"].startswith("job_")
    assert operation["pollUrl"] == f"/api/jobs/{operation['jobId']}"

    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "stopping"
    status = api.ok("GET", f"/api/v2/vps/{WEB01}/status")
    assert status["pendingTasks"][0]["jobId"] == operation["jobId"]
    assert status["actions"]["canStart"] == {"allowed": False, "reason": "VPS not ready.", "code": "vps_not_ready"}
    busy = problem(api.call("POST", f"/api/v2/vps/{WEB01}/actions/restart"), 409, "vps_not_ready")
    assert (busy["title"], busy["detail"]) == ("VPS not ready", "VPS not ready.")
    problem(api.call("PUT", f"/api/v2/vps/{WEB01}/hostname", {"hostname": "x.example.com"}), 409, "vps_not_ready")
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/network",
                     {"action": "update_rdns", "ip": "203.0.113.10", "rdns": "x.example.com"}), 409, "vps_not_ready")

    running = api.v1("GET", operation["pollUrl"])
    assert running["isRunning"] is True and running["isCompleted"] is False and running["status"] == "in_progress"
    job = api.wait_job(operation["pollUrl"])
    assert set(job) == {"jobId", "queueType", "type", "state", "status", "progress", "progressTextKey", "progressDetails",
                        "progressMessage", "result", "isCompleted", "isFailed", "isRunning", "isWaiting", "createdAt",
                        "finishedAt", "jobName", "vmId", "hostbillAccountId", "isScheduled", "delay", "statusKey"}
    assert (job["state"], job["status"], job["isCompleted"], job["isFailed"], job["vmId"], job["type"]) == (
        "completed", "completed", True, False, "10001", "shutdown")
    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "stopped"

    # start -> starting -> running; the bare job shape knob
    api.control("POST", "config", {"job_shape": "bare"})
    operation = api.ok("POST", f"/api/v2/vps/{WEB01}/actions/start", status=202)["operation"]
    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "starting"
    time.sleep(0.2)
    bare = api.ok("GET", operation["pollUrl"])
    assert bare["jobId"] == operation["jobId"] and bare["status"] == "completed" and "success" not in bare
    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "running"
    v1_error(api.call("GET", "/api/jobs/job_unknown"), 404, "NOT_FOUND")


def test_action_gates_state_gates_and_failures(api):
    gates = api.ok("GET", f"/api/v2/vps/{APP01}/details")["actions"]
    blocked = {"allowed": False, "reason": "A backup is running; restarts are blocked until it finishes.",
               "code": "backup_in_progress"}
    assert gates["canRestart"] == gates["canReset"] == blocked and gates["canShutdown"]["allowed"] is True
    refused = problem(api.call("POST", f"/api/v2/vps/{APP01}/actions/restart"), 409, "backup_in_progress")
    assert refused["detail"] == blocked["reason"]
    problem(api.call("POST", f"/api/v2/vps/{APP01}/actions/restart", {"force": True}), 409, "backup_in_progress")
    # power-state gates: no start of a running VPS, no restart of a stopped one
    assert problem(api.call("POST", f"/api/v2/vps/{WEB01}/actions/start"), 409, "vps_already_running")
    problem(api.call("POST", f"/api/v2/vps/{DB01}/actions/restart"), 409, "vps_not_running")
    api.control("POST", "config", {"state_gates": False})
    api.wait_job(api.ok("POST", f"/api/v2/vps/{DB01}/actions/restart", status=202)["operation"]["pollUrl"])
    assert api.ok("GET", f"/api/v2/vps/{DB01}")["powerState"] == "running"
    # unknown fields and actions
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/actions/shutdown", {"force": True}), 400, "invalid_request")
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/actions/hibernate"), 404, "not_found")
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/actions/reset-ssh-keys"), 501, "not_implemented")
    # failing jobs leave the state as it was
    api.control("POST", "config", {"fail_actions": "stop"})
    job = api.wait_job(api.ok("POST", f"/api/v2/vps/{WEB01}/actions/stop", status=202)["operation"]["pollUrl"])
    assert (job["isFailed"], job["status"], job["result"]["success"]) == (True, "failed", False)
    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "running"


def test_provisioning_transition(api):
    api.control("POST", "config", {"provision": "app-01"})
    vps = api.ok("GET", f"/api/v2/vps/{APP01}")
    assert (vps["powerState"], vps["serviceStatus"]) == ("provisioning", "pending")
    problem(api.call("POST", f"/api/v2/vps/{APP01}/actions/shutdown"), 409, "vps_not_ready")
    time.sleep(0.2)
    vps = api.ok("GET", f"/api/v2/vps/{APP01}")
    assert (vps["powerState"], vps["serviceStatus"]) == ("running", "active")
    assert api.control("GET", "config")["provision"] == ""


def test_no_api_to_order_or_delete_a_vps(api):
    assert problem(api.call("POST", "/api/v2/vps", {"name": "new"}), 405, "method_not_allowed")
    response = api.call("DELETE", f"/api/v2/vps/{WEB01}")
    problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"
    problem(api.call("GET", "/api/v2/servers"), 404, "not_found")
    v1_error(api.call("GET", "/api/nothing-here"), 404, "NOT_FOUND")
    problem(api.call("GET", "/api/v2/domains"), 501, "not_implemented")
    assert len(api.ok("GET", "/api/v2/vps")["data"]) == 3


def test_v1_power_and_details(api):
    data = api.v1("POST", "/api/vm/10001/status", {"action": "stop", "force": True})
    assert set(data) == {"success", "action", "jobId", "message", "estimated_time"}
    assert (data["action"], data["message"], data["estimated_time"]) == ("stop", "stop operation queued", 30)
    assert data["jobId"].startswith("stop-10001-")
    assert api.wait_job(f"/api/jobs/{data['jobId']}")["type"] == "stop"
    assert api.ok("GET", f"/api/v2/vps/{WEB01}")["powerState"] == "stopped"
    details = api.v1("GET", "/api/vm/10001/details")
    assert (details["id"], details["hostname"], details["status"], details["cpu"], details["ram"], details["disk"]) == (
        "20001", "web-01.example.com", "Stopped", 2, 4, 80)
    account = api.v1("GET", "/api/vps-accounts/20001")["vps_account"]
    assert (account["proxmoxVmId"], account["ip"], account["vmStatus"], account["tags"]) == ("10001", "203.0.113.10", "stopped", ["web"])
    body = v1_error(api.call("POST", "/api/vm/10001/status", {"action": "hibernate"}), 400, "BAD_REQUEST")
    assert body["details"][0]["field"] == "action"
    v1_error(api.call("GET", "/api/vm/99999/details"), 404, "NOT_FOUND")
    hosting = api.v1("GET", "/api/hosting-accounts")
    assert hosting["pagination"]["perPage"] == 1000 and hosting["hosting_accounts"][0]["domain"] == "example.com"


# -- hostname, network, PTR ----------------------------------------------------------------------------------------

def test_hostname_fixture_and_rdns_protection(api):
    result = api.ok("PUT", f"/api/v2/vps/{WEB01}/hostname", {"hostname": "web-01.example.com"})
    assert result == {
        "hostname": "web-01.example.com", "reloadRecommended": True, "accountInactive": False, "accountStatus": "active",
        "cacheCleared": True, "actions": {"canChange": {"allowed": True, "reason": None}},
        "validationRules": {"maxLengthChars": 253,
                            "pattern": "^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$",
                            "patternDescription": "FQDN, labels 1-63 chars"},
        "hostnameNormalized": False, "serviceRecordSynced": True,
        "reverseDnsProtection": {"status": "not_changed", "monitoredIpCount": 1, "changesDetected": 0, "restoredIps": []}}
    # the provider-default PTR followed the hostname
    assert api.ok("GET", f"/api/v2/vps/{WEB01}/network")["interfaces"][0]["ip"][0]["rdns"] == "web-01.example.com"
    # a custom PTR is protected
    result = api.ok("PUT", f"/api/v2/vps/{APP01}/hostname", {"hostname": "App-02.Example.com"})
    assert result["hostname"] == "app-02.example.com" and result["hostnameNormalized"] is True
    assert result["reverseDnsProtection"] == {"status": "restored", "monitoredIpCount": 1, "changesDetected": 1,
                                              "restoredIps": ["203.0.113.12"]}
    assert api.ok("GET", f"/api/v2/vps/{APP01}/network")["interfaces"][0]["ip"][0]["rdns"] == "app-01.example.com"
    assert api.ok("GET", f"/api/v2/vps/{APP01}/details")["hostname"] == "app-02.example.com"
    api.control("POST", "config", {"rdns_protection": "partial_failure"})
    result = api.ok("PUT", f"/api/v2/vps/{APP01}/hostname", {"hostname": "app-03.example.com"})
    assert result["reverseDnsProtection"]["status"] == "partial_failure"
    assert api.ok("GET", f"/api/v2/vps/{APP01}/network")["interfaces"][0]["ip"][0]["rdns"] == "app-03.example.com"
    # validation, stopped VPS, unknown fields
    for bad in ("-bad.example.com", "a" * 64 + ".example.com", "web_01.example.com", "web.example.com."):
        assert problem(api.call("PUT", f"/api/v2/vps/{WEB01}/hostname", {"hostname": bad}), 400, "invalid_request")
    problem(api.call("PUT", f"/api/v2/vps/{WEB01}/hostname", {"hostname": "x.example.com", "rdns": "y"}), 400, "invalid_request")
    refused = problem(api.call("PUT", f"/api/v2/vps/{DB01}/hostname", {"hostname": "db.example.com"}), 409, "vps_not_running")
    assert refused["detail"] == "VM must be running to change hostname"


def test_network_fixture_and_update_rdns(api):
    network = api.ok("GET", f"/api/v2/vps/{WEB01}/network")
    assert network == {"interfaces": [{"id": "net0", "model": "virtio", "mac": "52:54:00:aa:bb:01", "bridge": "vmbr0",
                                       "vlan": None, "firewallEnabled": True, "linkDown": False,
                                       "ip": [{"id": "ip_01jtestip000000000000000a1", "type": "ipv4", "ip": "203.0.113.10",
                                               "mask": "24", "gateway": "203.0.113.1", "rdns": "10001.hostup.se"}]}],
                       "actions": {"canUpdateRdns": {"allowed": True, "reason": None}}}
    body = {"action": "update_rdns", "ip": "203.0.113.10", "rdns": "web-01.example.com"}
    assert api.ok("POST", f"/api/v2/vps/{WEB01}/network", body) == {
        "action": "update_rdns", "ip": "203.0.113.10", "rdns": "web-01.example.com", "updated": True}
    assert api.ok("POST", f"/api/v2/vps/{WEB01}/network", dict(body, rdns="WEB-01.example.com."))["updated"] is False
    # IPv6 of db-01, matched in any notation; the list shape
    api.ok("POST", f"/api/v2/vps/{DB01}/network", {"action": "update_rdns", "ip": "2001:db8:0:11:0::10", "rdns": "db6.example.com"})
    api.control("POST", "config", {"rdns_shape": "list"})
    listed = api.ok("GET", f"/api/v2/vps/{DB01}/network")
    assert listed["reverseDns"] == [{"ip": "203.0.113.11", "rdns": "10002.hostup.se"},
                                    {"ip": "2001:db8:0:11::10", "rdns": "db6.example.com"}]
    assert all("rdns" not in ip for ip in listed["interfaces"][0]["ip"])
    # errors
    errors = problem(api.call("POST", f"/api/v2/vps/{WEB01}/network", dict(body, ip="203.0.113.99")), 400, "invalid_request")
    assert errors["errors"][0]["pointer"] == "/ip"
    errors = problem(api.call("POST", f"/api/v2/vps/{WEB01}/network", dict(body, note="x")), 400, "invalid_request")
    assert errors["errors"] == [{"pointer": "/note", "detail": "Unknown field.", "code": "unknown_field"}]
    errors = problem(api.call("POST", f"/api/v2/vps/{WEB01}/network", {"action": "update_rdns", "ip": "203.0.113.10"}),
                     400, "invalid_request")
    assert errors["errors"][0]["code"] == "missing_required"
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/network", dict(body, rdns="not a host")), 400, "invalid_request")
    problem(api.call("POST", f"/api/v2/vps/{WEB01}/network", {"action": "remove_ip", "ipType": "ipv4"}), 501, "not_implemented")


# -- DNS ---------------------------------------------------------------------------------------------------------------

def test_zone_and_record_fixtures(api):
    assert api.ok("GET", "/api/v2/dns-zones", params={"name": "example.com"}) == {
        "data": [{"id": ZONE, "name": "example.com", "zoneStatus": "active", "isDnsOnly": False, "kind": "linked",
                  "recordCount": 4}], "hasMore": False, "nextCursor": None}
    assert api.ok("GET", "/api/v2/dns-zones", params={"name": "missing.example"}) == {
        "data": [], "hasMore": False, "nextCursor": None}
    assert [z["name"] for z in api.ok("GET", "/api/v2/dns-zones")["data"]] == ["example.com", "example.net"]
    expected = {"zone": {"id": ZONE, "name": "example.com", "zoneStatus": "active", "recordCount": 4}, "records": FIXTURE_RECORDS}
    assert api.ok("GET", f"/api/v2/dns-zones/{ZONE}/records") == expected
    assert api.ok("GET", f"/api/v2/dns-zones/{ZONE}") == expected
    for name in ("@", "example.com", "example.com."):
        filtered = api.ok("GET", f"/api/v2/dns-zones/{ZONE}/records", params={"name": name, "type": "MX"})
        assert filtered["records"] == [FIXTURE_RECORDS[2]] and filtered["zone"]["recordCount"] == 1
    assert api.ok("GET", f"/api/v2/dns-zones/{ZONE}/records", params={"name": "_dmarc"})["records"] == [FIXTURE_RECORDS[3]]
    missing = problem(api.call("GET", "/api/v2/dns-zones/zone_missing/records"), 404, "not_found")
    assert missing["instance"] == "/api/v2/dns-zones/zone_missing/records"
    api.control("POST", "config", {"zone_shape": "mirror"})
    zone = api.ok("GET", f"/api/v2/dns-zones/{ZONE}")["zone"]
    assert zone["status"] == "active" and "zoneStatus" not in zone
    assert (zone["totalRecordCount"], zone["liveRecordLimit"], zone["exceedsLiveRecordLimit"]) == (4, 200, False)


def test_record_create_pending_fqdn_update_delete(api):
    path = f"/api/v2/dns-zones/{ZONE}/records"
    created = api.ok("POST", path, {"type": "TXT", "name": "_acme-challenge", "value": "token-value-123", "ttl": 60}, status=201)
    record_id = created.pop("id")
    assert record_id.startswith("drr_") and len(record_id) == len("drr_") + 26
    assert created == {"type": "TXT", "name": "_acme-challenge.example.com", "value": '"token-value-123"', "ttl": 60,
                       "priority": None, "weight": None, "port": None, "status": "pending"}
    duplicate = problem(api.call("POST", path, {"type": "TXT", "name": "_acme-challenge", "value": "token-value-123", "ttl": 60}),
                        400, "invalid_request")
    assert duplicate["title"] == "Validation failed" and duplicate["errors"] == [
        {"pointer": "/value", "detail": "Duplicate record.", "code": "duplicate"}]
    time.sleep(0.2)
    listed = api.ok("GET", path, params={"name": "_acme-challenge.example.com", "type": "TXT"})["records"]
    assert [(r["id"], r["status"]) for r in listed] == [(record_id, "active")]

    updated = api.ok("PUT", f"{path}/drr_01jtestrec00000000000000a2", {"type": "A", "name": "www", "value": "203.0.113.20", "ttl": 300})
    assert updated == {"id": "drr_01jtestrec00000000000000a2", "type": "A", "name": "www.example.com", "value": "203.0.113.20",
                       "ttl": 300, "priority": None, "weight": None, "port": None, "status": "pending"}
    replaced = api.ok("PUT", f"{path}/drr_01jtestrec00000000000000a2", {"type": "A", "name": "www", "value": "203.0.113.21"})
    assert replaced["ttl"] == 3600  # a full replace: the omitted ttl is back at its default

    apex = api.ok("POST", path, {"type": "A", "name": "@", "value": "203.0.113.11"}, status=201)
    assert apex["name"] == "example.com" and apex["ttl"] == 3600 and apex["warnings"]
    deleted = api.call("DELETE", f"{path}/{record_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    problem(api.call("DELETE", f"{path}/{record_id}"), 404, "not_found")
    assert api.ok("GET", "/api/v2/dns-zones", params={"name": "example.com"})["data"][0]["recordCount"] == 5


def test_record_values_and_validation(api):
    path = f"/api/v2/dns-zones/{ZONE}/records"
    long_value = "k=" + "x" * 300
    created = api.ok("POST", path, {"type": "TXT", "name": "dkim._domainkey", "value": long_value}, status=201)
    assert created["value"] == f'"{long_value[:255]}" "{long_value[255:]}"'
    quoted = api.ok("POST", path, {"type": "TXT", "name": "q", "value": '"already quoted"'}, status=201)
    assert quoted["value"] == '"already quoted"'
    mx = api.ok("POST", path, {"type": "MX", "name": "", "value": "Mail2.Example.com.", "priority": 20}, status=201)
    assert (mx["name"], mx["value"], mx["priority"]) == ("example.com", "mail2.example.com", 20)
    srv = api.ok("POST", path, {"type": "SRV", "name": "_sip._tcp", "value": "sip.example.com", "priority": 0, "weight": 5,
                                "port": 5060}, status=201)
    assert (srv["name"], srv["weight"], srv["port"]) == ("_sip._tcp.example.com", 5, 5060)
    doubled = api.ok("POST", path, {"type": "A", "name": "host.example.com", "value": "203.0.113.5"}, status=201)
    assert doubled["name"] == "host.example.com.example.com"  # names are relative: a FQDN is appended to
    cases = [
        ({"type": "CNAME", "name": "@", "value": "other.example.net"}, "/name", "cname_at_apex"),
        ({"type": "CNAME", "name": "www", "value": "other.example.net"}, "/name", "cname_conflict"),
        ({"type": "CNAME", "name": "alias", "value": "203.0.113.5"}, "/value", "invalid_value"),
        ({"type": "MX", "name": "@", "value": "mx.example.com", "priority": 10}, "/priority", "duplicate_priority"),
        ({"type": "MX", "name": "@", "value": "mx.example.com"}, "/priority", "missing_required"),
        ({"type": "SRV", "name": "_x._tcp", "value": "sip.example.com", "priority": 1}, "/weight", "missing_required"),
        ({"type": "TXT", "name": "bad", "value": '"unbalanced'}, "/value", "mismatched_quotes"),
        ({"type": "A", "name": "www", "value": "2001:db8::1"}, "/value", "invalid_value"),
        ({"type": "A", "name": "www.", "value": "203.0.113.5"}, "/name", "invalid_value"),
        ({"type": "A", "name": "ttl", "value": "203.0.113.5", "ttl": 30}, "/ttl", "out_of_range"),
        ({"type": "NS", "name": "@", "value": "ns9.example.net"}, "/name", "apex_ns"),
        ({"type": "SOA", "name": "@", "value": "x"}, "/type", "invalid_value"),
        ({"type": "MX", "name": "@", "value": "mx.example.com", "priority": 30, "proxied": True}, "/proxied", "invalid_value"),
        ({"type": "A", "name": "x", "value": "203.0.113.5", "comment": "no"}, "/comment", "unknown_field"),
        ({"type": "A", "value": "203.0.113.5"}, "/name", "missing_required"),
    ]
    for body, pointer, code in cases:
        errors = problem(api.call("POST", path, body), 400, "invalid_request")["errors"]
        assert (errors[0]["pointer"], errors[0]["code"]) == (pointer, code), body
    # PATCH toggles proxied only
    patched = api.ok("PATCH", f"{path}/drr_01jtestrec00000000000000a2", {"proxied": True})
    assert patched["proxied"] is True and patched["value"] == "203.0.113.10"
    problem(api.call("PATCH", f"{path}/drr_01jtestrec00000000000000a2", {"value": "203.0.113.9"}), 400, "invalid_request")
    problem(api.call("PATCH", f"{path}/drr_01jtestrec00000000000000a3", {"proxied": True}), 400, "invalid_request")
    # the record limit
    api.control("POST", "config", {"zone_record_limit": 9})
    errors = problem(api.call("POST", path, {"type": "A", "name": "full", "value": "203.0.113.5"}), 400, "invalid_request")
    assert errors["errors"][0]["code"] == "record_limit"


def test_v1_dns_view_of_the_same_zone(api):
    zones = api.v1("GET", "/api/dns/zones")["zones"]
    assert zones[0] == {"server_id": "20", "account_id": "30001", "domain_id": "40001", "domain": "example.com",
                        "displayName": "example.com"}
    assert api.v1("GET", "/api/dns/domain/example.com")["zone"]["domain_id"] == "40001"
    zone = api.v1("GET", "/api/dns/zones/40001/records")["zone"]
    assert (zone["id"], zone["domain"]) == ("40001", "example.com")
    assert zone["records"][0]["type"] == "SOA" and zone["records"][0]["id"] == 50000001
    assert set(zone["records"][1]) == {"id", "type", "name", "value", "ttl", "status", "created"}
    txt = next(r for r in zone["records"] if r["type"] == "TXT")
    assert txt["value"] == '"v=DMARC1; p=none"'
    record = api.v1("POST", "/api/dns/zones/40001/records",
                    {"type": "TXT", "name": "_acme-challenge", "value": "token-value-123", "ttl": 60})["record"]
    expected = {"type": "TXT", "name": "_acme-challenge.example.com", "value": '"token-value-123"', "ttl": 60, "status": "pending"}
    assert {k: v for k, v in record.items() if k != "id"} == expected
    assert isinstance(record["id"], int)
    updated = api.v1("PUT", "/api/dns/zones/40001/records/50000003", {"type": "A", "name": "www", "value": "203.0.113.20", "ttl": 300})
    assert updated["record"] == {"id": 50000003, "type": "A", "name": "www.example.com", "value": "203.0.113.20", "ttl": 300,
                                 "status": "pending"}
    v2 = api.ok("GET", f"/api/v2/dns-zones/{ZONE}/records", params={"name": "www"})["records"]
    assert [(r["id"], r["value"]) for r in v2] == [("drr_01jtestrec00000000000000a2", "203.0.113.20")]
    assert api.v1("DELETE", f"/api/dns/zones/40001/records/{record['id']}") == {"message": "DNS record deleted"}
    body = v1_error(api.call("GET", "/api/dns/zones/49999/records"), 404, "NOT_FOUND")
    assert (body["error"], body["message"]) == ("Not Found", "dns.zone_not_found not found")
    body = v1_error(api.call("POST", "/api/dns/zones/40001/records", {"type": "A", "name": "x", "value": "nope"}), 400, "BAD_REQUEST")
    assert body["details"] == [{"field": "value", "message": "value must be an IPv4 address."}]


# -- SSH keys -------------------------------------------------------------------------------------------------------------

def sha256_fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_ssh_keys_v2(api):
    listed = api.ok("GET", "/api/v2/ssh-keys", params={"limit": 100})
    assert (listed["hasMore"], listed["nextCursor"]) == (False, None)
    seeded = listed["data"][0]
    assert list(seeded) == ["id", "displayId", "name", "publicKey", "fingerprint", "keyType", "createdAt", "actions"]
    assert (seeded["id"], seeded["displayId"], seeded["name"], seeded["keyType"]) == (
        "ssh_01jtestssh00000000000000a1", "ops-laptop", "ops-laptop", "ed25519")
    assert seeded["fingerprint"] == sha256_fingerprint(seeded["publicKey"])
    created = api.ok("POST", "/api/v2/ssh-keys", {"name": "ci-deploy", "publicKey": ED25519 + " ci@example.com"}, status=201)
    assert created["id"].startswith("ssh_") and created["displayId"] == "ci-deploy" and created["publicKey"] == ED25519 + " ci@example.com"
    assert created["fingerprint"] == sha256_fingerprint(ED25519)
    assert created["actions"] == {"canRename": {"allowed": True, "reason": None, "code": None},
                                  "canDelete": {"allowed": True, "reason": None, "code": None}}
    renamed = api.ok("PATCH", f"/api/v2/ssh-keys/{created['id']}", {"name": "ci-deploy-2026"})
    assert renamed == dict(created, name="ci-deploy-2026")
    errors = problem(api.call("PATCH", f"/api/v2/ssh-keys/{created['id']}", {"publicKey": ED25519}), 400, "invalid_request")
    assert errors["errors"][0]["code"] == "immutable"
    assert problem(api.call("POST", "/api/v2/ssh-keys", {"name": "again", "publicKey": ED25519}), 400,
                   "invalid_request")["errors"][0]["code"] == "duplicate"
    for bad in ("ssh-ed25519 notbase64!", "ssh-rsa " + ED25519.split()[1], "hello"):
        problem(api.call("POST", "/api/v2/ssh-keys", {"name": "bad", "publicKey": bad}), 400, "invalid_request")
    in_vps = api.ok("GET", f"/api/v2/vps/{WEB01}/ssh-keys")["sshKeys"]
    assert [k["name"] for k in in_vps] == ["ops-laptop", "ci-deploy-2026"] and in_vps[0]["lastUsedAt"] is None
    # a key in a pending order cannot be deleted
    api.control("POST", "config", {"locked_sshkeys": "ops-laptop"})
    gate = api.ok("GET", "/api/v2/ssh-keys")["data"][0]["actions"]["canDelete"]
    assert gate == {"allowed": False, "reason": "The key is part of a pending order.", "code": "pending_order"}
    problem(api.call("DELETE", "/api/v2/ssh-keys/ssh_01jtestssh00000000000000a1"), 409, "pending_order")
    response = api.call("DELETE", f"/api/v2/ssh-keys/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    problem(api.call("DELETE", f"/api/v2/ssh-keys/{created['id']}"), 404, "not_found")
    page = api.ok("GET", "/api/v2/ssh-keys", params={"limit": 1})
    assert len(page["data"]) == 1 and page["hasMore"] is False


def test_ssh_keys_v1(api):
    keys = api.v1("GET", "/api/ssh-keys")["ssh_keys"]
    assert set(keys[0]) == {"id", "client_id", "name", "key", "fingerprint"} and keys[0]["id"] == 7001
    assert len(keys[0]["fingerprint"].split(":")) == 16
    added = api.v1("POST", "/api/ssh-keys", {"name": "ci", "public_key": ED25519 + " ci@example.com"})["ssh_key"]
    assert added["success"] is True and added["call"] == "addClientSsh" and added["info"] == ["SSH Key added successfully"]
    assert added["ssh_key"]["id"] == 7002 and added["ssh_key"]["client_id"] == "30001"
    body = v1_error(api.call("POST", "/api/ssh-keys", {"name": "x", "public_key": "garbage"}), 400, "BAD_REQUEST")
    assert body["message"] == "Failed to add SSH key"
    assert api.v1("DELETE", "/api/ssh-keys", params={"id": 7002}) == {"success": True, "message": "SSH key deleted successfully"}
    body = v1_error(api.call("DELETE", "/api/ssh-keys", {"id": 7002}), 404, "NOT_FOUND")
    assert body["message"] == "SSH key not found not found"
    assert [k["name"] for k in api.ok("GET", "/api/v2/ssh-keys")["data"]] == ["ops-laptop"]


# -- API keys -------------------------------------------------------------------------------------------------------------

def test_api_keys_secret_once_full_replace_and_auth(api):
    scopes = api.v1("GET", "/api/keys/scopes")["scopes"]
    assert {"id": "read:dns", "group": "dns"} in scopes and {"id": "power:vm", "group": "vm"} in scopes
    keys = api.v1("GET", "/api/keys")["keys"]
    mine = next(k for k in keys if k["key_id"] == hostup.API_KEY_ID)
    assert mine["name"] == hostup.API_KEY_NAME and mine["last_used_at"] is not None
    assert set(mine) == {"key_id", "name", "description", "scopes", "dns_permissions", "allowed_dns_zones", "is_active",
                         "is_test", "created_at", "expires_at", "last_used_at"}

    body = {"name": "ansible-dns", "scopes": ["read:dns", "write:dns", "read:domains"], "is_test": False,
            "description": "managed by ansible", "expires_in_days": 90}
    created = api.v1("POST", "/api/keys", body)
    assert list(created) == ["key_id", "key", "name", "description", "scopes", "dns_permissions", "created_at", "message"]
    assert created["key_id"].startswith("key_") and created["message"] == "API key created"
    secret = created["key"]
    listed = api.v1("GET", "/api/keys")["keys"]
    assert secret not in json.dumps(listed)
    row = next(k for k in listed if k["key_id"] == created["key_id"])
    assert row["expires_at"] is not None and row["is_active"] is True and row["last_used_at"] is None
    new = Api(api.url, secret)
    assert new.ok("GET", "/api/v2/dns-zones")["data"]
    problem(new.call("GET", "/api/v2/vps"), 403, "forbidden")

    path = f"/api/keys/{created['key_id']}"
    body = v1_error(api.call("PUT", path, {"name": "ansible-dns", "scopes": ["read:dns"], "allowed_dns_zones": [],
                                           "dns_permissions": []}), 400, "BAD_REQUEST")
    assert body["details"][0]["field"] == "is_active"
    v1_error(api.call("PUT", path, {"name": "x", "scopes": ["read:dns"], "is_active": True, "allowed_dns_zones": [],
                                    "dns_permissions": [], "is_test": True}), 400, "BAD_REQUEST")
    v1_error(api.call("PUT", path, {"name": "x", "scopes": ["fly:moon"], "is_active": True, "allowed_dns_zones": [],
                                    "dns_permissions": []}), 400, "BAD_REQUEST")
    replace = {"name": "ansible-dns", "scopes": ["read:dns", "read:domains", "read:vm"], "is_active": True,
               "allowed_dns_zones": ["example.com"], "dns_permissions": []}
    assert api.v1("PUT", path, replace) == {"message": "API key updated"}
    row = next(k for k in api.v1("GET", "/api/keys")["keys"] if k["key_id"] == created["key_id"])
    assert row["description"] is None and row["scopes"] == replace["scopes"] and row["allowed_dns_zones"] == ["example.com"]
    assert new.ok("GET", "/api/v2/vps")["data"]  # the new scope applies at once

    rolled = api.v1("POST", f"{path}/roll")
    assert rolled["key"] != secret and rolled["key_id"] == created["key_id"]
    problem(new.call("GET", "/api/v2/vps"), 401, "unauthorized")
    new.key = rolled["key"]
    assert api.v1("PUT", path, dict(replace, is_active=False)) == {"message": "API key updated"}
    problem(new.call("GET", "/api/v2/vps"), 401, "unauthorized")

    assert api.v1("DELETE", "/api/keys", params={"key_id": created["key_id"]}) == {"message": "API key revoked"}
    v1_error(api.call("DELETE", "/api/keys", params={"key_id": created["key_id"]}), 404, "NOT_FOUND")
    v1_error(api.call("DELETE", path), 405, "METHOD_NOT_ALLOWED")  # the id goes in ?key_id=, not the path
    v1_error(api.call("DELETE", "/api/keys"), 400, "BAD_REQUEST")
    v1_error(api.call("POST", "/api/keys", {"name": "x", "scopes": ["read:dns"]}), 400, "BAD_REQUEST")  # is_test missing

    # deleting the key in use locks its user out
    assert api.v1("DELETE", "/api/keys", params={"key_id": hostup.API_KEY_ID})["message"] == "API key revoked"
    v1_error(api.call("GET", "/api/keys"), 401, "UNAUTHORIZED")


# -- rate limit, call log, faults -------------------------------------------------------------------------------------------

def test_rate_limit_429_with_retry_after(api):
    api.control("POST", "config", {"rate_limit": 2, "rate_window": 30})
    first = api.call("GET", "/api/v2/vps")
    assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "1"
    api.ok("GET", "/api/v2/vps")
    limited = api.call("GET", "/api/v2/vps")
    body = problem(limited, 429, "rate_limited")
    assert body["title"] == "Rate limit exceeded"
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.headers["X-RateLimit-Limit"] == "2" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    v1 = api.call("GET", "/api/keys")
    assert v1.status_code == 429 and "Retry-After" not in v1.headers
    assert set(v1.json()) == {"error", "message", "retryAfter", "requestId"} and int(v1.json()["retryAfter"]) >= 1
    # the limiter runs before authentication
    assert api.call("GET", "/api/v2/vps", key="").status_code == 429
    api.control("POST", "config", {"v1_retry_after_header": True})
    assert api.call("GET", "/api/keys").headers["Retry-After"] == v1.json()["retryAfter"]
    api.control("POST", "config", {"rate_window": 0.2})
    time.sleep(0.25)
    api.ok("GET", "/api/v2/vps")


def test_call_log_fields_and_mutating(api):
    api.control("DELETE", "calls")
    api.ok("GET", "/api/v2/vps")
    api.ok("POST", f"/api/v2/vps/{WEB01}/actions/shutdown", status=202)
    api.ok("POST", f"/api/v2/vps/{DB01}/network", {"action": "update_rdns", "ip": "203.0.113.11", "rdns": "db.example.com"})
    api.v1("GET", "/api/keys")
    api.call("DELETE", f"/api/v2/dns-zones/{ZONE}/records/drr_01jtestrec00000000000000a4")
    calls = api.control("GET", "calls")["calls"]
    assert [(c["method"], c["api"], c["route"], c["action"], c["mutating"], c["status"]) for c in calls] == [
        ("GET", "v2", "/api/v2/vps", None, False, 200),
        ("POST", "v2", "/api/v2/vps/{vps}/actions/{action}", "shutdown", True, 202),
        ("POST", "v2", "/api/v2/vps/{vps}/network", "update_rdns", True, 200),
        ("GET", "v1", "/api/keys", None, False, 200),
        ("DELETE", "v2", "/api/v2/dns-zones/{zone}/records/{record}", None, True, 204)]
    assert calls[0]["headers"]["Authorization"] == f"Bearer {hostup.API_KEY}"


def test_framework_faults_still_apply(api):
    api.control("POST", "faults", {"faults": [
        {"path": "/api/v2/vps", "action": "respond", "status": 503, "body": "upstream down"},
        {"action": "drop_after", "match": {"route": "/api/v2/dns-zones/{zone}/records", "api": "v2"}, "method": "POST"},
        {"action": "respond", "status": 502, "match": {"action": "restart"}}]})
    down = api.call("GET", "/api/v2/vps")
    assert down.status_code == 503 and down.text == "upstream down"
    assert api.ok("GET", "/api/v2/vps")["data"]
    with pytest.raises(requests.ConnectionError):
        api.call("POST", f"/api/v2/dns-zones/{ZONE}/records", {"type": "A", "name": "lost", "value": "203.0.113.5"})
    # it ran; the answer was lost
    assert api.ok("GET", f"/api/v2/dns-zones/{ZONE}/records", params={"name": "lost"})["records"]
    assert api.call("POST", f"/api/v2/vps/{WEB01}/actions/restart").status_code == 502
    assert api.call("POST", f"/api/v2/vps/{WEB01}/actions/restart").status_code == 202
    faults = [(c["route"], c["fault"]) for c in api.control("GET", "calls")["calls"] if c["fault"]]
    assert faults == [("/api/v2/vps", "respond"), ("/api/v2/dns-zones/{zone}/records", "drop_after"),
                      ("/api/v2/vps/{vps}/actions/{action}", "respond")]


# -- launcher -------------------------------------------------------------------------------------------------------------------

def test_unknown_knob_and_cli(tmp_path):
    with pytest.raises(ValueError, match="unknown knob"):
        launcher.start("hostup", warp_speed=True)
    with pytest.raises(ValueError, match="job_shape"):
        launcher.start("hostup", job_shape="xml")
    with pytest.raises(ValueError, match="fail_actions"):
        launcher.start("hostup", fail_actions="explode")
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "hostup:0", "--seed-servers", "2", "--knob", "hostup.job_seconds=0",
         "--ready-file", str(ready)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        client = Api(json.loads(ready.read_text())["hostup"])
        assert [v["name"] for v in client.ok("GET", "/api/v2/vps")["data"]] == ["vps-0001", "vps-0002"]
        operation = client.ok("POST", "/api/v2/vps/vps_01jseedvps0000000000000001/actions/shutdown", status=202)["operation"]
        assert client.v1("GET", operation["pollUrl"])["isCompleted"] is True
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
