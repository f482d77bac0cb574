# Shared by scripts/*.sh: create .venv with Python >= 3.11 and install the project into it.
# Usage: . scripts/_venv.sh EXTRAS   (EXTRAS like "test" or "" )
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "socialmap needs Python >= 3.11 (found: $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && "$PY" -m venv .venv
    else
      echo "Cannot create a virtualenv: install python3-venv (apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-${1:-base}"
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip >/dev/null
  if [ -n "${1:-}" ]; then python -m pip install -q -e ".[$1]"; else python -m pip install -q -e .; fi
  touch "$stamp"
fi
