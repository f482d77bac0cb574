"""The signed-in user's notifications: list (optionally unread only) and mark read."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from socialmap.auth import current_user_or_401
from socialmap.logic import notifications
from socialmap.models import Notification

bp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/notifications",
    description="Your notifications (no personal data of the person in need)",
)


class NotificationListArgsSchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Method("_read")

    def _read(self, note: Notification) -> bool:
        return note.read_at is not None


class NotificationPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread_count = fields.Integer()
    items = fields.List(fields.Nested(NotificationSchema))


@bp.route("")
class NotificationList(MethodView):
    @bp.arguments(NotificationListArgsSchema, location="query")
    @bp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My notifications, newest first, with the number still unread."""
        user = current_user_or_401()
        items, total = notifications.list_for_user(
            user, unread_only=args["unread"], page=args["page"], per_page=args["per_page"]
        )
        return {
            "total": total,
            "page": args["page"],
            "per_page": args["per_page"],
            "unread_count": notifications.unread_count(user),
            "items": items,
        }


#: Notification ids are 64-bit: a larger number is no notification (and no database error).
_ID = f"<int(max={2**63 - 1}):notification_id>"


@bp.route(f"/{_ID}/read")
class NotificationRead(MethodView):
    @bp.response(200, NotificationSchema)
    @bp.alt_response(404, description="No such notification of yours")
    def post(self, notification_id: int) -> Notification:
        """Mark one of my notifications read."""
        return notifications.mark_read(current_user_or_401(), notification_id)
