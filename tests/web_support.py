"""Web pages in tests: sign in through the real form and send forms with their CSRF token
(CSRF protection stays on in tests)."""

from __future__ import annotations

import re
from typing import Any

from auth_support import PASSWORD
from flask.testing import FlaskClient

from socialmap import models as m
from socialmap.logic import accounts

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/aanmelden") -> str:
    """The CSRF token of the session, read from a page's form."""
    html = client.get(path).get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post_form(
    client: FlaskClient,
    path: str,
    data: dict[str, Any],
    *,
    token_from: str | None = None,
    **kwargs: Any,
) -> Any:
    """POST a form with the session's CSRF token (read from ``token_from``, default ``path``)."""
    body = {"csrf_token": csrf_token(client, token_from or path), **data}
    return client.post(path, data=body, **kwargs)


def sign_in(client: FlaskClient, user: m.User) -> None:
    """Sign ``user`` in through the sign-in form (sets a password first when it has none)."""
    if not user.password_hash:
        accounts.set_password(user, PASSWORD)
    response = post_form(client, "/aanmelden", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
