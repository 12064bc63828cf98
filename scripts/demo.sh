#!/usr/bin/env bash
# Install sipas into .venv (versions pinned by requirements/constraints.txt), create a demo
# province on SQLite, and serve it with a task-queue worker beside it (reports, alerts).
#   PORT=9000 bash scripts/demo.sh          another port (links and cards follow it)
#   HOST=0.0.0.0 bash scripts/demo.sh       open to phones on the same network: links and
#                                           cards use this machine's network address
set -euo pipefail
cd "$(dirname "$0")/.."
export PORT="${PORT:-8000}"
export HOST="${HOST:-127.0.0.1}"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c requirements/constraints.txt -e .
# Without SIPAS_BASE_URL the public address is made from PORT and HOST (README, "Configuration").
.venv/bin/sipas demo
echo
echo "Printable QR cards for these links: PORT=${PORT} HOST=${HOST} .venv/bin/sipas qr --out cards"
# The worker (report packs, alerts, their deliveries) runs beside the server and stops with it.
.venv/bin/sipas worker &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null' EXIT INT TERM
.venv/bin/sipas serve --host "$HOST" --port "$PORT" --workers 1 --threads 8
