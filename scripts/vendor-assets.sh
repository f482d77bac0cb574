#!/usr/bin/env bash
# Re-fetch the vendored front-end assets from npm (pinned versions) into socialmap/static/vendor.
# Run by a developer when upgrading; the app never loads assets from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() {  # fetch PACKAGE@VERSION DEST FILE...
  local pkg=$1 dest=$2
  shift 2
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  mkdir -p "$dest"
  for f in "$@"; do cp "$tmp/package/$f" "$dest/"; done
  rm -rf "$tmp/package"
}
fetch swagger-ui-dist@5.35.0 socialmap/static/vendor/swagger-ui \
  swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE
