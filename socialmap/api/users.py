"""Accounts over JSON: sign-in/out, the signed-in user, API tokens, invitations, regions.

Every endpoint except sign-in and accepting an invitation needs an authenticated user.
"""

from __future__ import annotations

from typing import Any

import flask_login
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from socialmap import models as m
from socialmap.auth import authenticated_by_token
from socialmap.auth import current_user_or_401
from socialmap.errors import PermissionDenied
from socialmap.logic import accounts
from socialmap.logic import regions
from socialmap.schemas.account import InvitationAcceptSchema
from socialmap.schemas.account import InvitationCreateSchema
from socialmap.schemas.account import InvitationSchema
from socialmap.schemas.account import LoginSchema
from socialmap.schemas.account import ReferableSchema
from socialmap.schemas.account import RegionSchema
from socialmap.schemas.account import RegionServiceSchema
from socialmap.schemas.account import TokenCreateSchema
from socialmap.schemas.account import TokenInfoSchema
from socialmap.schemas.account import TokenSchema
from socialmap.schemas.account import UserSchema

bp = Blueprint(
    "users", __name__, url_prefix="/api", description="Accounts, sign-in, API tokens, regions"
)


@bp.route("/users/me")
class Me(MethodView):
    @bp.response(200, UserSchema)
    @bp.alt_response(401, description="Not signed in")
    def get(self) -> m.User:
        """The signed-in user with organisations and (for stewards) regions."""
        return current_user_or_401()


@bp.route("/auth/login")
class Login(MethodView):
    @bp.arguments(LoginSchema)
    @bp.response(200, UserSchema)
    @bp.alt_response(401, description="Wrong e-mail address or password (one message for both)")
    @bp.alt_response(429, description="Too many failed attempts; try again later")
    def post(self, args: dict[str, Any]) -> m.User:
        """Sign in: sets the session cookie (HttpOnly, SameSite=Lax, Secure)."""
        user = accounts.authenticate(args["email"], args["password"], request.remote_addr)
        flask_login.login_user(user)
        return user


@bp.route("/auth/logout")
class Logout(MethodView):
    @bp.response(204)
    def post(self) -> None:
        """Sign out: ends this and every other session of the user (API tokens stay)."""
        user = current_user_or_401()
        flask_login.logout_user()
        accounts.end_sessions(user)


@bp.route("/users/me/tokens")
class Tokens(MethodView):
    @bp.response(200, TokenInfoSchema(many=True))
    def get(self) -> list[m.ApiToken]:
        """The user's API tokens (prefix only; the tokens themselves are not stored)."""
        return accounts.list_tokens(current_user_or_401())

    @bp.arguments(TokenCreateSchema)
    @bp.response(201, TokenSchema)
    @bp.alt_response(403, description="Tokens are made from a signed-in session, not a token")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Make a personal API token; the response is the only time it is shown."""
        user = current_user_or_401()
        if authenticated_by_token():  # a leaked token must not be able to mint more
            raise PermissionDenied("Sign in to make an API token.")
        token = accounts.issue_token(user, args.get("name"))
        return {"token": token, "prefix": accounts.token_prefix(token), "name": args.get("name")}


@bp.route("/users/me/tokens/<token_id>")
class Token(MethodView):
    @bp.response(204)
    def delete(self, token_id: str) -> None:
        """Revoke one of the user's tokens."""
        accounts.revoke_token(current_user_or_401(), token_id)


@bp.route("/invitations")
class Invitations(MethodView):
    @bp.arguments(InvitationCreateSchema)
    @bp.response(201, InvitationSchema)
    @bp.alt_response(403, description="Only admins, and stewards for referrers and providers")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Invite someone; the link (token in its #fragment) is shown this once."""
        invitation, token = accounts.create_invitation(current_user_or_401(), **args)
        return {
            "invitation_id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "link": accounts.invitation_link(token),
        }


@bp.route("/invitations/accept")
class InvitationAccept(MethodView):
    @bp.arguments(InvitationAcceptSchema)
    @bp.response(201, UserSchema)
    @bp.alt_response(404, description="Unknown invitation token")
    def post(self, args: dict[str, Any]) -> m.User:
        """Create the invited account and sign it in."""
        user = accounts.accept_invitation(args["token"], args["password"], args.get("name"))
        flask_login.login_user(user)
        return user


@bp.route("/regions")
class Regions(MethodView):
    @bp.response(200, RegionSchema(many=True))
    def get(self) -> list[m.Region]:
        """Regions the user curates (an admin: all regions)."""
        return regions.list_regions(current_user_or_401())


@bp.route("/regions/<region_id>/services/<service_id>")
class RegionService(MethodView):
    @bp.arguments(ReferableSchema)
    @bp.response(200, RegionServiceSchema)
    @bp.alt_response(422, description="The service is not in the region, or bad input")
    def put(self, args: dict[str, Any], region_id: str, service_id: str) -> m.RegionService:
        """Decide whether a service is referable through socialmap in the region."""
        return regions.set_referable(
            current_user_or_401(), region_id, service_id, args["referable"], args.get("note")
        )
