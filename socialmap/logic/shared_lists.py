"""Shared lists of services: a short link (``/l/<code>``) to a printable list, e.g. the
services a GP hands a patient or a citizen sends to a relative. A list holds service ids and
a heading, never personal data."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db

#: Unambiguous characters (no 0/O, 1/l/I): codes are read aloud and typed over.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 8
MAX_SERVICES = 50


def create(service_ids: list[str], title: str | None = None) -> m.SharedList:
    """A new short link for the active services among ``service_ids`` (order kept, at most
    MAX_SERVICES, duplicates dropped).

    :raise NotFound: none of the ids is an active service.
    """
    wanted = list(dict.fromkeys(i for i in service_ids if isinstance(i, str)))[:MAX_SERVICES]
    active = set(
        db.session.scalars(
            select(m.Service.id).where(m.Service.id.in_(wanted), m.Service.status == "active")
        )
    )
    ids = [i for i in wanted if i in active]
    if not ids:
        raise NotFound("None of these services exists.")
    shared = m.SharedList(code=_new_code(), service_ids=ids, title=(title or "")[:300] or None)
    db.session.add(shared)
    db.session.commit()
    return shared


def get(code: str) -> m.SharedList:
    """:raise NotFound:"""
    shared = db.session.get(m.SharedList, code) if code.isalnum() else None
    if shared is None:
        raise NotFound("No such list.")
    return shared


def _new_code() -> str:
    while True:  # 31^8 codes: a clash is rare, but never reuse one
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.get(m.SharedList, code) is None:
            return code
