#!/usr/bin/env bash
# Start the real Skyport panel (skyportlabs/panel 0.3.0) on loopback with a stub node daemon, for local,
# manual conformance checks of the skyport client.  See README.md in this directory.
#
# Usage: tests/realpanel/start.sh [PANEL_DIR]      (or SKYPORT_PANEL_DIR=...)
#        tests/realpanel/stop.sh                   stops both processes by their PID files
#
# Environment (defaults in brackets):
#   SKYPORT_PANEL_DIR    extracted panel with node_modules installed (required unless given as argument)
#   SKYPORT_RUN_DIR      PID files, logs and env file [/tmp/skyport-realpanel]
#   SKYPORT_PORT         panel port [3901];  SKYPORT_DAEMON_PORT  stub daemon port [3902]
#   SKYPORT_API_KEY      API key seeded into apiKeys [skyport_test]
#   SKYPORT_NODE_ID      seeded node id [6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d]
#   SKYPORT_NODE_KEY     node apiKey = stub daemon Basic-auth password [ab * 32]
#   SKYPORT_INSTALL_SECONDS  stub answers INSTALLING/containerId null this long after a create [0]
#   SKYPORT_KEEP_DB=1    keep the existing skyport.db (default: start from a fresh database)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
panel=${1:-${SKYPORT_PANEL_DIR:-}}
[ -n "${panel}" ] || { echo "start.sh: give the panel directory as argument or in SKYPORT_PANEL_DIR" >&2; exit 2; }
panel=$(cd -- "${panel}" && pwd)
if [ ! -f "${panel}/index.js" ] || [ ! -d "${panel}/node_modules" ]; then
    echo "start.sh: ${panel} is not an installed panel (index.js and node_modules needed)" >&2; exit 2
fi

run_dir=${SKYPORT_RUN_DIR:-/tmp/skyport-realpanel}
port=${SKYPORT_PORT:-3901}
daemon_port=${SKYPORT_DAEMON_PORT:-3902}
api_key=${SKYPORT_API_KEY:-skyport_test}
node_id=${SKYPORT_NODE_ID:-6f1d2c3b-3333-4a5b-9c8d-0e1f2a3b4c5d}
node_key=${SKYPORT_NODE_KEY:-$(printf 'ab%.0s' {1..32})}
install_seconds=${SKYPORT_INSTALL_SECONDS:-0}
mkdir -p "${run_dir}"

for name in panel daemon; do
    if [ -f "${run_dir}/${name}.pid" ] && kill -0 "$(cat "${run_dir}/${name}.pid")" 2>/dev/null; then
        echo "start.sh: ${name} already running (PID $(cat "${run_dir}/${name}.pid")); run stop.sh first" >&2
        exit 1
    fi
done

reset=(--reset)
[ "${SKYPORT_KEEP_DB:-0}" = 1 ] && reset=()
python3 "${here}/seed.py" "${panel}" "${reset[@]}" --port "${port}" --daemon-port "${daemon_port}" \
    --api-key "${api_key}" --node-id "${node_id}" --node-key "${node_key}" > "${run_dir}/seed.json"

setsid python3 "${here}/stub_daemon.py" --port "${daemon_port}" --key "${node_key}" \
    --install-seconds "${install_seconds}" > "${run_dir}/daemon.log" 2>&1 < /dev/null &
echo $! > "${run_dir}/daemon.pid"

(cd -- "${panel}" && exec setsid node --require "${here}/loopback.js" index.js \
    > "${run_dir}/panel.log" 2>&1 < /dev/null) &
echo $! > "${run_dir}/panel.pid"

url="http://127.0.0.1:${port}"
for _ in $(seq 1 60); do
    if ! kill -0 "$(cat "${run_dir}/panel.pid")" 2>/dev/null; then
        echo "start.sh: the panel exited; see ${run_dir}/panel.log" >&2
        tail -n 20 "${run_dir}/panel.log" >&2
        exit 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: ${api_key}" "${url}/api/name" || true)
    [ "${code}" = 200 ] && break
    sleep 0.5
done
[ "${code:-}" = 200 ] || { echo "start.sh: panel not answering on ${url}; see ${run_dir}/panel.log" >&2; exit 1; }

cat > "${run_dir}/env" <<ENV
export SKYPORT_URL=${url}
export SKYPORT_API_KEY=${api_key}
export SKYPORT_NODE_ID=${node_id}
export SKYPORT_ADMIN_USER_ID=user-admin-0001
export SKYPORT_DAEMON_URL=http://127.0.0.1:${daemon_port}
ENV
echo "panel:  ${url}  (PID $(cat "${run_dir}/panel.pid"), log ${run_dir}/panel.log)"
echo "daemon: http://127.0.0.1:${daemon_port}  (PID $(cat "${run_dir}/daemon.pid"), log ${run_dir}/daemon.log)"
echo "API key: ${api_key}"
echo "node id: ${node_id}   admin user id: user-admin-0001 (admin / admin-password)"
echo "image:   'Minecraft Java: PaperMC' (quay.io/skyport/java:21)"
echo "env:     source ${run_dir}/env ; stop: ${here}/stop.sh"
