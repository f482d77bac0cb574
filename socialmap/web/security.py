"""Browser-facing protections: CSRF tokens on every form (Flask-WTF), a Content-Security-Policy
without inline scripts or styles, the usual hardening headers, and the NUL guard for forms.

The JSON API authenticates with bearer tokens or the same session cookie; it is exempt from
CSRF tokens (its requests are JSON, which a cross-site form cannot send, and the session
cookie is SameSite=Lax)."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def register(app: Flask, *, web_names: set[str], exempt: set[str]) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    for name in exempt:
        csrf.exempt(app.blueprints[name])

    @app.before_request
    def _refuse_nul_in_forms() -> None:
        if request.blueprint in web_names and _has_nul():
            abort(400, description="Text may not contain the NUL character (U+0000).")

    app.after_request(_headers)


def _has_nul() -> bool:
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.method in ("POST", "PUT", "PATCH"):
        values.extend(request.form.values())
    return any(isinstance(v, str) and "\x00" in v for v in values)


def inline_style_hashes(html: str) -> list[str]:
    """CSP source expressions allowing exactly the <style> blocks of ``html`` (for a standalone
    document such as the API's referral letter, which must print without the app's CSS)."""
    blocks = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    ]


def content_security_policy(style_hashes: list[str] | None = None) -> str:
    """No inline script or style anywhere (except hashed styles of standalone documents); map
    tiles are the only third-party resource."""
    tiles = current_app.config.get("MAP_TILE_URL") or ""
    tile_origin = ""
    if tiles:
        parts = urlsplit(tiles.replace("{s}.", ""))
        tile_origin = f" {parts.scheme}://{parts.netloc}"
        if "{s}." in tiles:
            tile_origin += f" {parts.scheme}://*.{parts.netloc}"
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        f"style-src 'self'{''.join(' ' + h for h in style_hashes or [])}; "
        f"img-src 'self' data:{tile_origin}; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    return response
