"""How a person is reached: the routes of a message to them, and whether they can be alerted at all."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..auth.models import User
from ..extensions import db
from .models import PushSubscription


@dataclass(frozen=True)
class Route:
    channel: str  # push, email or app
    subscription_id: int | None = None


def mail_enabled() -> bool:
    """Email can be sent: a mail server, or (in development) the mailbox inside the app."""
    config = current_app.config
    return bool(config.get("MAIL_SERVER") or config.get("DEV_MAILBOX"))


def routes_for(user: User) -> list[Route]:
    """Each of the person's working phones; email when they have none (with mail set up); and always
    the in-app alert list. With phones, email is the fallback for a page that no phone confirms
    (fallback.py), not a second copy."""
    phones = db.session.scalars(db.select(PushSubscription.id)
                                .where(PushSubscription.user_id == user.id, PushSubscription.disabled_at.is_(None))
                                .order_by(PushSubscription.id)).all()
    routes = [Route("push", sub_id) for sub_id in phones]
    if not routes and mail_enabled():
        routes.append(Route("email"))
    return routes + [Route("app")]


def alerting(routes: list[Route]) -> bool:
    """A route that reaches someone who does not have the app open (the in-app list alone does not)."""
    return any(route.channel != "app" for route in routes)


def reachable(user_id: int) -> bool:
    """Can this person be alerted: active, with a working phone or email?"""
    user = db.session.get(User, user_id)
    return bool(user and user.active and alerting(routes_for(user)))
