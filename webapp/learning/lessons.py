"""The Lessons library (lessons of published reviews), and lessons sent to a site's staff to read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..common.errors import ActionRefused
from ..database import insert_once
from ..extensions import db
from ..incidents.models import Incident, IncidentCategory
from ..organisation.models import Site
from .models import Lesson, LessonRead, LessonShare, Review

LIBRARY_SIZE = 100


def readable_reviews(viewer: User):
    """Published reviews are read across the organisation by staff who may see the incident."""
    return db.and_(Review.status == "published", Incident.visible_to(viewer)) if viewer.is_staff else db.false()


def library(viewer: User, q: str = "", site: str | None = None, category: str | None = None,
            limit: int = LIBRARY_SIZE) -> list[Lesson]:
    """Lessons the viewer may read, newest first; `q` searches the lesson's words. Staff read the lessons
    of every published review they may see; everyone reads the lessons sent to their home site."""
    sent_here = Lesson.id.in_(db.select(LessonShare.lesson_id).where(LessonShare.site_id == viewer.home_site_id))
    # Filtering by the incident's site or category reads the incident: only lessons of incidents the viewer
    # may see can match (a lesson sent here from one they may not see must not be found by its category).
    readable = readable_reviews(viewer) if (site or category) else db.or_(readable_reviews(viewer), sent_here)
    query = (db.select(Lesson).join(Review, Review.id == Lesson.review_id)
             .join(Incident, Incident.id == Lesson.incident_id).where(readable))
    words = [w for w in q.split() if w][:8]
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Lesson.text.ilike(f"%{escaped}%", escape="\\"))
    if site:
        query = query.join(Site, Site.id == Incident.site_id).where(Site.code == site)
    if category:
        query = query.where(db.select(IncidentCategory.incident_id).where(
            IncidentCategory.incident_id == Incident.id, IncidentCategory.name == category).exists())
    loaded = joinedload(Lesson.incident)
    query = query.options(loaded.joinedload(Incident.site), loaded.selectinload(Incident.category_rows))
    return list(db.session.scalars(query.order_by(Lesson.published_at.desc(), Lesson.id).limit(limit)).unique())


def share(lesson: Lesson, site: Site, note: str | None, actor: User, now: datetime) -> LessonShare:
    if not actor.is_supervisor:
        raise ActionRefused("Only supervisors send lessons to a site")
    note = (note or "").strip()
    if len(note) > 1000:
        raise ActionRefused("The note must be at most 1000 characters")
    already = db.session.scalar(db.select(LessonShare).filter_by(lesson_id=lesson.id, site_id=site.id))
    if already is not None:
        raise ActionRefused(f"This lesson was already sent to {site.name} ({already.sent_at:%d %b %Y}): see who has "
                            "read it there")
    values = dict(lesson_id=lesson.id, site_id=site.id, note=note, sent_by_id=actor.id, sent_at=now)
    if not insert_once(LessonShare, values, ["lesson_id", "site_id"]):  # a double tap: kept once
        raise ActionRefused(f"This lesson was already sent to {site.name}")
    sent = db.session.scalar(db.select(LessonShare).filter_by(lesson_id=lesson.id, site_id=site.id))
    lesson.incident.record("lesson", f"Lesson sent to the staff of {site.name} by {actor.name}: “{lesson.text}”",
                           actor, site=site.code)
    return sent


def unread_for(user: User, limit: int = 3) -> list[LessonShare]:
    """Lessons sent to the person's home site that they have not read, oldest first (someone who joins
    later reads them too: they are what the site learned)."""
    if user.home_site_id is None:
        return []
    read = db.select(LessonRead.share_id).where(LessonRead.user_id == user.id)
    return list(db.session.scalars(
        db.select(LessonShare).where(LessonShare.site_id == user.home_site_id, LessonShare.id.not_in(read))
        .order_by(LessonShare.id).limit(limit)))


def mark_read(user: User, share_id: int, now: datetime) -> LessonShare:
    sent = db.session.get(LessonShare, share_id)
    if sent is None or sent.site_id != user.home_site_id:
        raise LookupError(share_id)
    if db.session.get(LessonRead, (share_id, user.id)) is None:
        db.session.add(LessonRead(share_id=share_id, user_id=user.id, read_at=now))
    return sent


def readers(sent: LessonShare) -> list[tuple[User, datetime | None]]:
    """Everyone the lesson was sent to (the site's active staff), with when they read it."""
    people = db.session.scalars(db.select(User).where(User.home_site_id == sent.site_id, User.active.is_(True))
                                .order_by(User.name))
    reads = dict(db.session.execute(db.select(LessonRead.user_id, LessonRead.read_at)
                                    .where(LessonRead.share_id == sent.id)).all())
    return [(person, reads.get(person.id)) for person in people]


def shares_of(lessons: list[Lesson]) -> dict[int, list[LessonShare]]:
    """Where each lesson was sent, in one query."""
    found: dict[int, list[LessonShare]] = {lesson.id: [] for lesson in lessons}
    rows = db.session.scalars(db.select(LessonShare).options(joinedload(LessonShare.site))
                              .where(LessonShare.lesson_id.in_(list(found))).order_by(LessonShare.id)) if found else []
    for sent in rows:
        found[sent.lesson_id].append(sent)
    return found


def incident_lessons(incident: Incident) -> list[Lesson]:
    return list(db.session.scalars(db.select(Lesson).filter_by(incident_id=incident.id).order_by(Lesson.id)))
