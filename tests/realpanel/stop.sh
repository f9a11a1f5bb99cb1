#!/usr/bin/env bash
# Stop the panel and stub daemon started by start.sh, by the PIDs in their PID files.
set -euo pipefail
run_dir=${SKYPORT_RUN_DIR:-/tmp/skyport-realpanel}
for name in panel daemon; do
    pid_file="${run_dir}/${name}.pid"
    [ -f "${pid_file}" ] || continue
    pid=$(cat "${pid_file}")
    if kill "${pid}" 2>/dev/null; then
        for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.25; done
        echo "stopped ${name} (PID ${pid})"
    fi
    rm -f "${pid_file}"
done
