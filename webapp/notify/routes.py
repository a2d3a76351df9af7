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


def still_wanted(kind: str, incident, user: User) -> bool:
    """Whether a message that no phone confirmed is still worth an email: the incident is still open, the
    person still active, and a first page's incident not yet acknowledged."""
    return incident.is_open and user.active and not (kind == "page" and incident.acknowledged_at is not None)


def email_follows(kind: str, incident, user: User) -> bool:
    """Whether the email fallback will send it (still wanted, and mail is set up)."""
    return mail_enabled() and still_wanted(kind, incident, user)


def alerting(routes: list[Route]) -> bool:
    """A route that reaches someone who does not have the app open (the in-app list alone does not)."""
    return any(route.channel != "app" for route in routes)


class Reach:
    """Who can be alerted, and how, read once for a whole escalation step: two queries however many
    people a level pages (a thousand responders must not cost two thousand round trips)."""

    def __init__(self):
        self.phones: dict[int, list[int]] = {}
        for user_id, sub_id in db.session.execute(
                db.select(PushSubscription.user_id, PushSubscription.id)
                .where(PushSubscription.disabled_at.is_(None)).order_by(PushSubscription.id)):
            self.phones.setdefault(user_id, []).append(sub_id)
        self.active = set(db.session.scalars(db.select(User.id).where(User.active.is_(True))))
        self.mail = mail_enabled()

    def routes(self, user_id: int) -> list[Route]:
        """As routes_for: the person's phones, else email, and the in-app list."""
        routes = [Route("push", sub_id) for sub_id in self.phones.get(user_id, [])]
        if not routes and self.mail:
            routes.append(Route("email"))
        return routes + [Route("app")]

    def __call__(self, user_id: int) -> bool:
        return user_id in self.active and alerting(self.routes(user_id))
