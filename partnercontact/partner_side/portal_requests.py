"""What she asks of the clinic from her portal: each request a record on her case and a task
for her treater (:mod:`partnercontact.partner_side.portal_tasks`), in one transaction.

- :func:`ask_to_be_called`: "call me" on a day within :data:`CALL_DAYS` and between two times
  of the clinic's clocks; the window is sealed on the task.
- :func:`report_new_violence`: new violence or threats. It opens the urgent tasks a high risk
  result opens (:func:`partnercontact.partner_side.clinical.open_urgent_tasks`): one for her
  treater and, when the clinic asks for it, one for the manager, who learns that she reported
  something and never what. Her few words, if any, are sealed on her task and shown to her
  treater only.
- :func:`confirm_session`, :func:`ask_to_move_session`: a booked session of hers still to
  come, named by its id in the form she sends; any other id (missing, another case's, not
  booked, past) is not found, all alike. Confirming again changes nothing until the session is
  moved.
- :func:`ask_to_be_told_when_ended`: one open task at most, even when asked twice at once
  (the case row is locked first); nothing when her consent already says so.
- :func:`requests_for_her`: her page: the sessions she may confirm or move, and her requests
  with when each was sent and seen to.

Every act is audited with her case and no actor, never with what she wrote. Functions flush,
never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.clock import clinic_instant, clinic_zone, local_date
from partnercontact.db import db
from partnercontact.errors import DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side import clinical, portal_tasks
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.rules import wants_relay_notice
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import clinic_of, lock_case
from partnercontact.runtime import current_runtime

# "Call me": a day from today on, this many days ahead at most (two weeks).
CALL_DAYS = 14
# A session moved: a preferred day up to four weeks ahead.
MOVE_DAYS = 28
MAX_WORDS = 2000
SHOWN = "%Y-%m-%d %H:%M"
# Her requests as her own page lists them, in her words.
REQUEST_LABELS = {
    portal_tasks.CALL_ME: _l("Call me"),
    portal_tasks.NEW_VIOLENCE: _l("New violence or threats"),
    portal_tasks.SESSION_CONFIRMED: _l("Session confirmed"),
    portal_tasks.SESSION_MOVE: _l("Move a session"),
    portal_tasks.TOLD_WHEN_ENDED: _l("Tell me when his treatment ends"),
}


class PortalRequestInvalid(DomainError):
    """A request refused as filled in; ``field`` names the form field."""


class PortalRequestNotFound(NotFound):
    """No such booked session of hers to come: missing, another case's, past, or not booked."""


@dataclass(frozen=True)
class Window:
    """A time she may be reached: a day and two times, all on the clinic's clocks."""

    day: date
    from_time: time
    until_time: time

    def text(self) -> str:
        return f"{self.day.isoformat()} {self.from_time:%H:%M}–{self.until_time:%H:%M}"


@dataclass(frozen=True)
class SessionEntry:
    """A booked session of hers as her page shows it: its time and what she did about it.
    Nothing of the staff's side (who, how it was booked, notes)."""

    id: uuid.UUID
    shown_at: str
    confirmed: bool
    move_asked: bool


@dataclass(frozen=True)
class SentRequest:
    label: str
    sent_at: str
    seen_to_at: str | None


@dataclass(frozen=True)
class RequestsPage:
    """Her requests page. ``told_when_ended`` is "recorded" when her consent says it, "asked"
    while her request waits, None otherwise."""

    sessions: list[SessionEntry]
    sent: list[SentRequest]
    told_when_ended: str | None


def _now() -> datetime:
    return current_runtime().clock.now()


def _shown(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(SHOWN)


def _lock(partner_case: PartnerCase) -> None:
    # Two requests of hers at the same moment (a double tap, two tabs) must not both find no
    # open request and both open one: the case row is locked first (PostgreSQL; SQLite has one
    # writer at a time anyway), so the second waits and then sees the first's task.
    lock_case(partner_case)


def days_ahead(identity: PortalIdentity, days: int) -> list[date]:
    """The days she may choose from: the clinic's today and the ``days`` after it."""
    today = local_date(_now(), clinic_of(case_of(identity)))
    return [today + timedelta(days=offset) for offset in range(days + 1)]


def checked_window(
    partner_case: PartnerCase,
    day: date | None,
    from_time: time | None,
    until_time: time | None,
    *,
    days: int,
) -> Window:
    """A window on a day from the clinic's today to ``days`` after it, ending after it starts
    and not yet over; refused on its field (``day``, ``from_time``, ``until_time``)."""
    clinic = clinic_of(partner_case)
    today = local_date(_now(), clinic)
    if day is None:
        raise PortalRequestInvalid(_l("Choose a day."), field="day")
    if not today <= day <= today + timedelta(days=days):
        raise PortalRequestInvalid(_l("Choose one of the days listed."), field="day")
    if from_time is None:
        raise PortalRequestInvalid(
            _l("Enter a time as hh:mm, for example 09:30."), field="from_time"
        )
    if until_time is None:
        raise PortalRequestInvalid(
            _l("Enter a time as hh:mm, for example 09:30."), field="until_time"
        )
    if until_time <= from_time:
        raise PortalRequestInvalid(
            _l("The second time must come after the first."), field="until_time"
        )
    if clinic_instant(clinic, day, until_time) <= _now():
        raise PortalRequestInvalid(_l("That time has passed."), field="until_time")
    return Window(day, from_time, until_time)


def _session_of_hers(partner_case: PartnerCase, session_id: uuid.UUID) -> ContactSession:
    session = db.session.scalar(
        select(ContactSession).where(
            ContactSession.id == session_id,
            ContactSession.partner_case_id == partner_case.id,
            ContactSession.state == "booked",
            ContactSession.starts_at > _now(),
        )
    )
    if session is None:
        raise PortalRequestNotFound(_l("There is no such session."), field="session_id")
    return session


def _since_booked(session: ContactSession) -> datetime:
    """When the session got its present time: a request from before then was about another."""
    return session.changed_at or session.recorded_at


def _request_since(
    partner_case: PartnerCase, kind: str, since_of: dict[uuid.UUID, datetime]
) -> set[uuid.UUID]:
    """The sessions (of ``since_of``) she made a request of ``kind`` about since they got their
    present time."""
    if not since_of:
        return set()
    rows = db.session.execute(
        select(PortalTask.subject_id, PortalTask.opened_at).where(
            PortalTask.partner_case_id == partner_case.id,
            PortalTask.kind == kind,
            PortalTask.subject_id.in_(list(since_of)),
        )
    )
    return {
        subject_id
        for subject_id, opened_at in rows
        if subject_id is not None and opened_at >= since_of[subject_id]
    }


# --- her page ----------------------------------------------------------------------------------


def requests_for_her(identity: PortalIdentity) -> RequestsPage:
    """Her booked sessions to come (by time) and her requests (newest first)."""
    partner_case = case_of(identity)
    zone = clinic_zone(clinic_of(partner_case))
    sessions = list(
        db.session.scalars(
            select(ContactSession)
            .where(
                ContactSession.partner_case_id == partner_case.id,
                ContactSession.state == "booked",
                ContactSession.starts_at > _now(),
            )
            .order_by(ContactSession.starts_at, ContactSession.id)
        )
    )
    since_of = {session.id: _since_booked(session) for session in sessions}
    confirmed = _request_since(partner_case, portal_tasks.SESSION_CONFIRMED, since_of)
    move_asked = _request_since(partner_case, portal_tasks.SESSION_MOVE, since_of)
    entries = [
        SessionEntry(
            id=session.id,
            shown_at=_shown(session.starts_at, zone) if session.starts_at else "",
            confirmed=session.id in confirmed,
            move_asked=session.id in move_asked,
        )
        for session in sessions
    ]
    sent = [
        SentRequest(
            label=str(REQUEST_LABELS[request.kind]),
            sent_at=_shown(request.sent_at, zone),
            seen_to_at=_shown(request.seen_to_at, zone) if request.seen_to_at else None,
        )
        for request in portal_tasks.requests_of_her(partner_case)
    ]
    if wants_relay_notice(partner_case):
        told = "recorded"
    elif _open_task(partner_case, portal_tasks.TOLD_WHEN_ENDED) is not None:
        told = "asked"
    else:
        told = None
    audit_her(AuditAction.PORTAL_REQUESTS_VIEWED_BY_HER, partner_case)
    return RequestsPage(entries, sent, told)


def _open_task(partner_case: PartnerCase, kind: str) -> PortalTask | None:
    return db.session.scalar(
        select(PortalTask)
        .where(
            PortalTask.partner_case_id == partner_case.id,
            PortalTask.kind == kind,
            PortalTask.handled_at.is_(None),
        )
        .limit(1)
    )


# --- her requests ------------------------------------------------------------------------------


def ask_to_be_called(
    identity: PortalIdentity,
    *,
    day: date | None,
    from_time: time | None,
    until_time: time | None,
) -> PortalTask:
    """She asks to be called on ``day`` between ``from_time`` and ``until_time``."""
    partner_case = case_of(identity)
    window = checked_window(partner_case, day, from_time, until_time, days=CALL_DAYS)
    task = portal_tasks.open_task(partner_case, portal_tasks.CALL_ME, details=window.text())
    audit_her(AuditAction.PORTAL_CALL_ASKED, partner_case)
    return task


def checked_words(words: str | None) -> str | None:
    text = (words or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_WORDS:
        raise PortalRequestInvalid(
            _l("Write at most %(max)d characters.", max=MAX_WORDS), field="words"
        )
    return text or None


def report_new_violence(identity: PortalIdentity, words: str | None) -> PortalTask:
    """She reports new violence or threats: her task (urgent, with her words sealed on it) and
    the urgent tasks a high risk result opens, for her treater and the manager."""
    partner_case = case_of(identity)
    clean = checked_words(words)
    task = portal_tasks.open_task(partner_case, portal_tasks.NEW_VIOLENCE, details=clean)
    urgent = clinical.open_urgent_tasks(partner_case, recorded_by=None, portal_task_id=task.id)
    audit_her(AuditAction.PORTAL_VIOLENCE_REPORTED, partner_case)
    for _task in urgent:
        audit_her(AuditAction.URGENT_TASK_OPENED, partner_case)
    return task


def confirm_session(identity: PortalIdentity, session_id: uuid.UUID) -> PortalTask:
    """She confirms a booked session to come; confirmed already (since its time was set), the
    same confirmation is returned and nothing new is opened."""
    partner_case = case_of(identity)
    _lock(partner_case)
    session = _session_of_hers(partner_case, session_id)
    earlier = db.session.scalar(
        select(PortalTask)
        .where(
            PortalTask.partner_case_id == partner_case.id,
            PortalTask.kind == portal_tasks.SESSION_CONFIRMED,
            PortalTask.subject_id == session.id,
            PortalTask.opened_at >= _since_booked(session),
        )
        .limit(1)
    )
    if earlier is not None:
        return earlier
    task = portal_tasks.open_task(
        partner_case, portal_tasks.SESSION_CONFIRMED, subject_id=session.id
    )
    audit_her(AuditAction.PORTAL_SESSION_CONFIRMED, partner_case)
    return task


def ask_to_move_session(
    identity: PortalIdentity,
    session_id: uuid.UUID,
    *,
    day: date | None,
    from_time: time | None,
    until_time: time | None,
) -> PortalTask:
    """She asks to move a booked session to come, with the window she would prefer."""
    partner_case = case_of(identity)
    session = _session_of_hers(partner_case, session_id)
    window = checked_window(partner_case, day, from_time, until_time, days=MOVE_DAYS)
    task = portal_tasks.open_task(
        partner_case, portal_tasks.SESSION_MOVE, subject_id=session.id, details=window.text()
    )
    audit_her(AuditAction.PORTAL_SESSION_MOVE_ASKED, partner_case)
    return task


def session_of_hers(identity: PortalIdentity, session_id: uuid.UUID) -> SessionEntry:
    """One booked session of hers to come, as her page shows it, or not found."""
    partner_case = case_of(identity)
    session = _session_of_hers(partner_case, session_id)
    zone = clinic_zone(clinic_of(partner_case))
    assert session.starts_at is not None  # booked
    return SessionEntry(session.id, _shown(session.starts_at, zone), False, False)


def ask_to_be_told_when_ended(identity: PortalIdentity) -> PortalTask | None:
    """She asks to be told when his treatment ends. While such a request waits, asking again
    returns it; when her consent already says so, nothing is opened (None)."""
    partner_case = case_of(identity)
    _lock(partner_case)
    if wants_relay_notice(partner_case):
        return None
    waiting = _open_task(partner_case, portal_tasks.TOLD_WHEN_ENDED)
    if waiting is not None:
        return waiting
    task = portal_tasks.open_task(partner_case, portal_tasks.TOLD_WHEN_ENDED)
    audit_her(AuditAction.PORTAL_TOLD_WHEN_ENDED_ASKED, partner_case)
    return task
