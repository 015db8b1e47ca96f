"""Private iCalendar addresses: one's booked sessions in one's own calendar program.

The address is a secret (``secrets.token_urlsafe(32)``: 256 random bits) and the only key: a
calendar program fetches it without logging in. So:

- only the secret's SHA-256 is stored; the address is shown once, right after it is made, and
  whoever reads the database cannot rebuild it. A hash without salt is enough for 256 random
  bits: nothing can be guessed to match it.
- a user has at most one address that answers; making a new one revokes the old one, and a
  revoked or unknown address answers exactly like any page that does not exist;
- an address of a disabled account, or of one whose role no longer has a calendar, answers
  nothing either;
- the feed says nothing a stranger holding it could use: every event is "Kontakttillfälle"
  (a fixed word, not translated per request, so the address reveals no language either), at a
  time in UTC, with the neutral case reference and ids. No name, phone number, address, note,
  channel or place, and nothing that says what the case is about.

Functions flush, never commit, and write their audit entry in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling.calendar import TIMED_STATES
from partnercontact.partner_side.scheduling.models import CalendarFeed, ContactSession
from partnercontact.partner_side.service import held_cases, reference_of
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

# What the feed holds: booked sessions from this long ago to this far ahead.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=365)
SUMMARY = "Kontakttillfälle"
PRODID = "-//partnercontact//kontakttillfallen//SV"
# token_urlsafe(32) gives 43 characters of the URL-safe alphabet; anything else is no secret
# of ours and is not even hashed.
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class NewFeed:
    """A feed just made, with its secret: the only moment the secret exists outside the
    user's calendar program."""

    feed: CalendarFeed
    secret: str


def _now() -> datetime:
    return current_runtime().clock.now()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _audit(action: AuditAction, user: User | int, feed: CalendarFeed, clinic_id: int) -> None:
    record_event(
        action,
        actor_id=user if isinstance(user, int) else user.id,
        clinic_id=clinic_id,
        resource_type="calendar_feed",
        resource_id=str(feed.id),
    )


def active_feed(actor: User) -> CalendarFeed | None:
    """The actor's address that answers now, if there is one."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == actor.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
        .limit(1)
    )


def _revoke_all(actor: User, now: datetime) -> list[CalendarFeed]:
    feeds = list(
        db.session.scalars(
            select(CalendarFeed).where(
                CalendarFeed.user_id == actor.id, CalendarFeed.revoked_at.is_(None)
            )
        )
    )
    for feed in feeds:
        feed.revoked_at = now
    db.session.flush()
    return feeds


def create_feed(actor: User) -> NewFeed:
    """A new private address for the actor; the one they had stops answering."""
    now = _now()
    for old in _revoke_all(actor, now):
        _audit(AuditAction.CALENDAR_FEED_REVOKED, actor, old, actor.clinic_id)
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=actor.id, token_hash=hash_secret(secret), created_at=now)
    db.session.add(feed)
    db.session.flush()
    _audit(AuditAction.CALENDAR_FEED_CREATED, actor, feed, actor.clinic_id)
    return NewFeed(feed, secret)


def revoke_feed(actor: User) -> bool:
    """Make the actor's address stop answering; False if they had none."""
    revoked = _revoke_all(actor, _now())
    for feed in revoked:
        _audit(AuditAction.CALENDAR_FEED_REVOKED, actor, feed, actor.clinic_id)
    return bool(revoked)


def feed_for_secret(secret: str) -> tuple[CalendarFeed, User] | None:
    """The feed the secret opens and its owner; None for anything that must answer 404
    (unknown, revoked, malformed, or an owner who may no longer have a calendar)."""
    if not _SECRET.fullmatch(secret):
        return None
    # Looked up by the hash in a unique index: the comparison never touches the secret itself,
    # so its timing says nothing about how close a guess came.
    feed = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_secret(secret), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None:
        return None
    owner = db.session.get(User, feed.user_id)
    if owner is None or not can(owner, Permission.CALENDAR_VIEW):
        return None
    return feed, owner


@dataclass(frozen=True)
class _Booked:
    case_id: uuid.UUID
    reference: str
    session_id: uuid.UUID
    starts_at: datetime
    minutes: int | None


def _booked_sessions(owner: User, now: datetime) -> list[_Booked]:
    # held_cases is the wall's scope: sessions of a case the owner does not hold (any more)
    # are not in the query at all. Of a session only its id, time and length are read.
    query = (
        held_cases(owner)
        .join(ContactSession, ContactSession.partner_case_id == PartnerCase.id)
        .add_columns(ContactSession.id, ContactSession.starts_at, ContactSession.minutes)
        .where(
            ContactSession.state.in_(TIMED_STATES),
            ContactSession.starts_at >= now - FEED_PAST,
            ContactSession.starts_at < now + FEED_AHEAD,
        )
        .order_by(ContactSession.starts_at, ContactSession.id)
    )
    # starts_at is never None here: the query compares it.
    rows: Iterable[tuple[PartnerCase, uuid.UUID, datetime, int | None]] = db.session.execute(query)
    return [
        _Booked(partner_case.id, reference_of(partner_case), session_id, starts_at, minutes)
        for partner_case, session_id, starts_at, minutes in rows
    ]


def render_feed(owner: User, now: datetime) -> bytes:
    """The iCalendar text of the owner's booked sessions."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    for booked in _booked_sessions(owner, now):
        event = Event()
        event.add("uid", f"{booked.session_id}@partnercontact")
        event.add("dtstamp", now)
        event.add("dtstart", booked.starts_at)
        event.add("dtend", booked.starts_at + timedelta(minutes=booked.minutes or 60))
        event.add("summary", SUMMARY)
        event.add(
            "description",
            f"Ärende {booked.reference} ({booked.case_id}), tillfälle {booked.session_id}",
        )
        # Private: a calendar shared with colleagues shows the time as busy, nothing more.
        event.add("class", "PRIVATE")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def read_feed(secret: str) -> bytes | None:
    """The feed's text, audited as read by its owner; None if the secret opens nothing."""
    found = feed_for_secret(secret)
    if found is None:
        return None
    feed, owner = found
    now = _now()
    body = render_feed(owner, now)
    # The read names the owner and the feed, nothing of what was in it or who asked.
    _audit(AuditAction.CALENDAR_FEED_READ, owner.id, feed, owner.clinic_id)
    return body
