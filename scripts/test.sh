#!/usr/bin/env bash
# Quick start 2: set up and run the whole test suite (SQLite, with the browser tests; PostgreSQL
# too when SOCIALMAP_TEST_DATABASE_URL is set). Extra arguments go to pytest.
. "$(dirname "$0")/_venv.sh" test
# The browser tests drive Debian's Chromium (Playwright uses it; no browser download).
if [ ! -x "${SOCIALMAP_CHROMIUM:-/usr/bin/chromium}" ] && [ "$(id -u)" = 0 ] \
  && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
exec python -m pytest -q "$@"
