#!/usr/bin/env bash
# Quick start 1: set up, import the bundled (fictional) demo data into SQLite and serve the app
# on http://127.0.0.1:5000. Re-running is safe: imports are idempotent.
. "$(dirname "$0")/_venv.sh" ""
export FLASK_APP=socialmap
flask db upgrade
flask demo load
exec flask run --host "${SOCIALMAP_HOST:-127.0.0.1}" --port "${SOCIALMAP_PORT:-5000}"
