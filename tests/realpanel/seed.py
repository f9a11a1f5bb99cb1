"""Seed a real Skyport panel checkout (skyportlabs/panel 0.3.0) for local conformance checks.

Writes rows straight into the panel's sqlite Keyv store ``<panel>/skyport.db`` (table ``keyv``, key
``keyv:<name>``, value ``{"value": <payload>, "expires": null}``; fact sheet ``providers/skyport.md`` section 1)
and sets ``port``/``baseUri`` in ``<panel>/config.json``.  Rows written (existing rows with other content are
merged, not dropped, unless ``--reset``):

* ``apiKeys`` - contains ``{"id": "k1", "key": <--api-key>, "createdAt": ...}``;
* ``images`` - contains a PaperMC-like image named ``Minecraft Java: PaperMC`` (fact sheet section 10);
* ``users`` - contains an admin user (``--admin-user``/``--admin-id``, password hashed with the panel's own
  bcrypt module through ``node``), the same shape as ``npm run createUser`` makes;
* ``nodes`` + ``<node id>_node`` - a Configured node at 127.0.0.1:<--daemon-port> with apiKey ``--node-key``;
* ``settings`` - ``{"register": false}`` if absent.

Safe to run while the panel runs (the panel reads the DB on every request).  Run it with the panel directory
as argument; see README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys

IMAGE_NAME = "Minecraft Java: PaperMC"
PAPERMC_IMAGE = {
    "Id": "c0ffee00-4444-4bbb-8ccc-000000000001",
    "Name": IMAGE_NAME,
    "Description": "PaperMC (stub image for local checks)",
    "Author": "skyportlabs",
    "AuthorName": "Skyport Labs",
    "Meta": {"Version": "Skyport Images v2"},
    "Image": "quay.io/skyport/java:21",
    "AltImages": ["quay.io/skyport/java:21", "docker.io/privt/java:17"],
    "Cmd": "",
    "Env": ["START=java -jar server.jar"],
    "StopCommand": "stop",
    "features": ["eula"],
    "Scripts": {"Install": [{"Uri": "https://example.invalid/paper-{{Version}}-{{Build}}.jar", "Path": "server.jar"}]},
    "Variables": {"Version": {"type": "text", "default": "1.21.1", "required": True},
                  "Build": {"type": "text", "default": "89", "required": True}},
}


def bcrypt_hash(panel: str, password: str) -> str:
    """Hash with the panel's own bcrypt (node_modules/bcrypt), like exec/createUser.js does."""
    out = subprocess.run(
        ["node", "-e", "process.stdout.write(require('bcrypt').hashSync(process.argv[1], 10))", password],
        cwd=panel, check=True, capture_output=True, text=True)
    return out.stdout.strip()


class Store:
    """The panel's Keyv sqlite table."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )")

    def get(self, name: str):
        row = self.conn.execute("SELECT value FROM keyv WHERE key = ?", (f"keyv:{name}",)).fetchone()
        return None if row is None else json.loads(row[0]).get("value")

    def set(self, name: str, payload) -> None:
        value = json.dumps({"value": payload, "expires": None}, separators=(",", ":"))
        self.conn.execute("INSERT OR REPLACE INTO keyv(key, value) VALUES (?, ?)", (f"keyv:{name}", value))

    def commit(self) -> None:
        self.conn.commit()
        self.conn.close()


def configure(panel: str, port: int) -> None:
    path = os.path.join(panel, "config.json")
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    config["port"] = port
    config["baseUri"] = f"http://127.0.0.1:{port}"
    if not str(config.get("databaseURL", "")).startswith("sqlite"):
        config["databaseURL"] = "sqlite://skyport.db"
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)


def seed(args: argparse.Namespace) -> dict:
    panel = os.path.abspath(args.panel)
    if not os.path.isfile(os.path.join(panel, "index.js")):
        sys.exit(f"seed.py: {panel} is not a Skyport panel directory (no index.js)")
    configure(panel, args.port)
    if args.reset:
        for name in ("skyport.db", "sessions.db"):
            if os.path.exists(os.path.join(panel, name)):
                os.remove(os.path.join(panel, name))
    store = Store(os.path.join(panel, "skyport.db"))

    keys = [k for k in (store.get("apiKeys") or []) if k.get("key") != args.api_key]
    keys.append({"id": "k1", "key": args.api_key, "createdAt": "2024-10-20T00:00:00.000Z"})
    store.set("apiKeys", keys)

    images = [i for i in (store.get("images") or []) if i.get("Name") != IMAGE_NAME]
    store.set("images", [PAPERMC_IMAGE] + images)

    users = store.get("users") or []
    if not any(u.get("userId") == args.admin_id or u.get("username") == args.admin_user for u in users):
        users.append({"userId": args.admin_id, "username": args.admin_user, "email": args.admin_email,
                      "password": bcrypt_hash(panel, args.admin_password), "accessTo": [], "admin": True,
                      "verified": True})
    store.set("users", users)

    node = {"id": args.node_id, "name": args.node_name, "tags": "local,stub", "ram": "8192", "disk": "102400",
            "processor": "stub", "address": "127.0.0.1", "port": str(args.daemon_port), "apiKey": args.node_key,
            "configureKey": None, "status": "Configured"}
    nodes = [n for n in (store.get("nodes") or []) if n != args.node_id]
    store.set("nodes", nodes + [args.node_id])
    store.set(f"{args.node_id}_node", node)

    if store.get("settings") is None:
        store.set("settings", {"register": False})
    store.commit()
    return {"url": f"http://127.0.0.1:{args.port}", "api_key": args.api_key, "node_id": args.node_id,
            "node_name": args.node_name, "node_key": args.node_key, "daemon": f"http://127.0.0.1:{args.daemon_port}",
            "admin_user_id": args.admin_id, "admin_username": args.admin_user, "admin_password": args.admin_password,
            "image_name": IMAGE_NAME, "image": PAPERMC_IMAGE["Image"]}


def main() -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Seed a Skyport panel directory for local checks.")
    parser.add_argument("panel", nargs="?", default=env("SKYPORT_PANEL_DIR"), help="panel directory")
    parser.add_argument("--port", type=int, default=int(env("SKYPORT_PORT", "3901")))
    parser.add_argument("--daemon-port", type=int, default=int(env("SKYPORT_DAEMON_PORT", "3902")))
    parser.add_argument("--api-key", default=env("SKYPORT_API_KEY", "skyport_test"))
    parser.add_argument("--node-id", default=env("SKYPORT_NODE_ID", "6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d"))
    parser.add_argument("--node-name", default=env("SKYPORT_NODE_NAME", "local-stub"))
    parser.add_argument("--node-key", default=env("SKYPORT_NODE_KEY", "ab" * 32))
    parser.add_argument("--admin-id", default="user-admin-0001")
    parser.add_argument("--admin-user", default="admin")
    parser.add_argument("--admin-email", default="admin@example.com")
    parser.add_argument("--admin-password", default="admin-password")
    parser.add_argument("--reset", action="store_true", help="delete skyport.db and sessions.db first")
    args = parser.parse_args()
    if not args.panel:
        parser.error("give the panel directory as argument or in SKYPORT_PANEL_DIR")
    print(json.dumps(seed(args), indent=2))


if __name__ == "__main__":
    main()
