#!/usr/bin/env bash
# Install sipas into .venv (versions pinned by requirements/constraints.txt), create a demo
# province on SQLite, and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c requirements/constraints.txt -e .
export SIPAS_BASE_URL="${SIPAS_BASE_URL:-http://127.0.0.1:${PORT}}"
.venv/bin/sipas demo
echo
echo "Open ${SIPAS_BASE_URL}/ — or one of the counter links above (on a phone: set SIPAS_BASE_URL"
echo "to this machine's address and HOST=0.0.0.0). Printable QR cards: .venv/bin/sipas qr --out cards"
exec .venv/bin/sipas serve --host "${HOST:-127.0.0.1}" --port "$PORT" --workers 1 --threads 8
