"""Who may open a page: sign-in redirects for browsers (the API answers 401 JSON instead)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import abort
from flask import redirect
from flask import request
from flask import url_for

from socialmap.web.pages import signed_in

F = TypeVar("F", bound=Callable[..., Any])


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after sign-in or a language switch (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def roles_required(*roles: str) -> Callable[[F], F]:
    """Anonymous visitors go to the sign-in page (and come back); other roles get a 403 page.
    Admins may open every page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = signed_in()
            if user is None:
                return redirect(url_for("account.sign_in", next=request.path))
            if roles and user.role not in roles and user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
