"""Schemas of accounts, sign-in, API tokens, invitations and regions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema
from marshmallow import fields
from marshmallow import pre_load
from marshmallow import validate

from socialmap.models.account import ROLES

LANGUAGES = ("nl", "fr", "en")
PASSWORD_MIN_LENGTH = 12
#: scrypt hashes any length, but nobody types more: refuse megabyte "passwords" early.
PASSWORD_MAX_LENGTH = 1024
PASSWORD_TOO_SHORT = f"Use at least {PASSWORD_MIN_LENGTH} characters."


def _password(**kwargs: Any) -> fields.String:
    return fields.String(
        load_only=True,
        validate=validate.Length(
            min=PASSWORD_MIN_LENGTH,
            max=PASSWORD_MAX_LENGTH,
            error=f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.",
        ),
        **kwargs,
    )


def _optional_text(max_length: int) -> fields.String:
    return fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=max_length)
    )


def _role() -> fields.String:
    return fields.String(
        required=True, validate=validate.OneOf(ROLES, error="Choose one of: {choices}.")
    )


class _NormalisedEmail(Schema):
    """E-mail addresses are compared lower-cased and without surrounding spaces."""

    @pre_load
    def _normalise_email(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("email"), str):
            return {**data, "email": data["email"].strip().lower()}
        return data


class UserCreateSchema(_NormalisedEmail):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    role = _role()
    password = _password(allow_none=True, load_default=None)
    organization_ids = fields.List(fields.String(), load_default=list)
    region_ids = fields.List(fields.String(), load_default=list)
    practice = _optional_text(200)
    name = _optional_text(200)
    language = fields.String(load_default="nl", validate=validate.OneOf(LANGUAGES))


class PasswordSchema(Schema):
    password = _password(required=True)


class OrganizationRefSchema(Schema):
    id = fields.String()
    name = fields.String()


class RegionSchema(Schema):
    id = fields.String()
    name = fields.String()
    municipalities = fields.List(fields.String())


class UserSchema(Schema):
    """The signed-in user as ``GET /api/users/me`` shows it."""

    id = fields.String()
    email = fields.String()
    name = fields.String(allow_none=True)
    role = fields.String()
    practice = fields.String(allow_none=True)
    language = fields.String()
    organizations = fields.List(fields.Nested(OrganizationRefSchema))
    regions = fields.List(fields.Nested(RegionSchema))


class LoginSchema(Schema):
    # Not validated as an address: any malformed input gets the same generic refusal.
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=PASSWORD_MAX_LENGTH)
    )


class TokenCreateSchema(Schema):
    name = _optional_text(100)


class TokenSchema(Schema):
    """A new API token: ``token`` is shown this once; only its hash is stored."""

    token = fields.String()
    prefix = fields.String()
    name = fields.String(allow_none=True)


class TokenInfoSchema(Schema):
    id = fields.String()
    prefix = fields.String()
    name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class InvitationCreateSchema(_NormalisedEmail):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    role = _role()
    organization_id = fields.String(allow_none=True, load_default=None)
    region_id = fields.String(allow_none=True, load_default=None)
    practice = _optional_text(200)


class InvitationSchema(Schema):
    """A new invitation: ``link`` carries the token (in the URL fragment) this once."""

    invitation_id = fields.String()
    email = fields.String()
    role = fields.String()
    expires_at = fields.DateTime()
    link = fields.String()


class InvitationAcceptSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = _password(required=True)
    name = _optional_text(200)


class RegionCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    municipalities = fields.List(fields.String(), required=True, validate=validate.Length(min=1))

    @pre_load
    def _strip(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("name"), str):
            return {**data, "name": data["name"].strip()}
        return data


class ReferableSchema(Schema):
    referable = fields.Boolean(required=True, truthy={True}, falsy={False})
    note = _optional_text(2000)


class RegionServiceSchema(Schema):
    region_id = fields.String()
    service_id = fields.String()
    referable = fields.Boolean()
    note = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime()
