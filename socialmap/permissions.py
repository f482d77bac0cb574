"""Who may do what: ``can_<verb>_<noun>(user, obj) -> bool``; :func:`require` turns a ``False``
into :class:`~socialmap.errors.PermissionDenied`."""

from __future__ import annotations

from typing import Any

from socialmap.errors import PermissionDenied


def require(allowed: bool, action: str) -> None:
    """:raise PermissionDenied: when ``allowed`` is false (the message names the action only)."""
    if not allowed:
        raise PermissionDenied(f"You may not {action}.")


def has_role(user: Any, *roles: str) -> bool:
    return user is not None and getattr(user, "is_active", False) and user.role in roles
