"""The API documentation page works offline: its assets are served by the app itself."""

from __future__ import annotations

import re


def test_docs_page_uses_only_vendored_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets)
    assert "<script>" not in html  # no inline script (Content-Security-Policy friendly)
    for asset in assets:
        resp = client.get(asset)
        assert resp.status_code == 200 and resp.get_data(), asset
        resp.close()
    spec = client.get(re.search(r'data-spec-url="([^"]+)"', html).group(1)).get_json()
    assert "/api/referrals/{task_id}/transitions" in spec["paths"]
    assert "/hsds/services" in spec["paths"]
