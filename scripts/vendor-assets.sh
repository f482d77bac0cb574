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
fetch leaflet@1.9.4 socialmap/static/vendor/leaflet \
  dist/leaflet.js dist/leaflet.css LICENSE
mkdir -p socialmap/static/vendor/leaflet/images
(cd "$tmp" && npm pack --silent leaflet@1.9.4 >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
cp "$tmp"/package/dist/images/*.png socialmap/static/vendor/leaflet/images/
rm -rf "$tmp/package"
fetch leaflet.markercluster@1.5.3 socialmap/static/vendor/leaflet.markercluster \
  dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css MIT-LICENCE.txt
# Test-only: axe-core runs the accessibility checks of the browser tests.
fetch axe-core@4.11.1 tests/browser/vendor/axe-core axe.min.js LICENSE
