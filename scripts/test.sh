#!/usr/bin/env bash
# Quick start 2: set up and run the whole test suite (SQLite; PostgreSQL too when
# SOCIALMAP_TEST_DATABASE_URL is set). Extra arguments go to pytest.
. "$(dirname "$0")/_venv.sh" test
exec python -m pytest -q "$@"
