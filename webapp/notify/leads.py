"""Who is paged about an incident's deadlines: its leads (a step's owner, the commander...), else the
supervisors; and the timeline entry that names who was paged and who could not be."""
from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..extensions import db
from ..incidents.models import Incident
from .outbox import queue
from .routes import alerting, routes_for


def supervisors() -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.active.is_(True), User.role.in_(("supervisor", "admin")))
                                   .order_by(User.id)))


def page_leads(incident: Incident, leads: list[User | None], message_kind: str, occasion: str, about: str, missed: bool,
               now: datetime, what: str, path: str | None = None, **details) -> list[User]:
    """Page about a deadline: the first of `leads` who can be alerted, else the leads and the
    supervisors; once it is missed, all of them. `occasion` makes each page once per person. The
    timeline names who was paged and who could not be alerted. `path` is what the message opens, when
    not the incident (a corrective action). Returns who was paged."""
    leads = [p for p in dict.fromkeys(leads) if p is not None and p.active]
    routes: dict[int, list] = {}

    def can_alert(person: User) -> bool:  # a phone, or email when there is a mail server
        if person.id not in routes:
            routes[person.id] = routes_for(person)
        return alerting(routes[person.id])
    first = next((p for p in leads if can_alert(p)), None)
    people = [first] if first and not missed else leads + [s for s in supervisors() if s not in leads]
    reached = [p for p in people if can_alert(p)]
    for person in reached:
        queue(message_kind, occasion, now, user=person, incident_id=incident.id, about=about, routes=routes[person.id],
              details={"path": path} if path else None)
    text = f"Paged {', '.join(p.name for p in reached) or 'nobody'}: {about}"
    missing = [p for p in people if p not in reached]
    if missing:
        text += f" ({', '.join(p.name for p in missing)}: no phone for alerts and no email set up)"
    incident.record(what, text, None, users=[p.id for p in reached], **details)
    return reached
