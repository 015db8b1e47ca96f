"""What needs a partner-contact treater today, across the cases they hold (or cover): the
worklist on their home page and the count in their menu.

Each kind of item is a row source with its own "handled" condition, so an item leaves the list
by itself when it is handled where it belongs: her text replies and STOPs and a correction of
her details once one who works the case was shown them, a manager's decision on a threat
warning once shown to her treater, a manager's safety override once used, an urgent task or a
request in her own channel once handled, her messages once read, a relayed event once its
outcome is recorded, a session once booked or held.

Everything is read in one statement, a UNION of the kinds; the relayed events and closings by
the relay's own conditions (:mod:`.relay_inbox`), so the worklist and the case's relay section
never disagree. Nothing is unsealed: an item is a kind, a case reference, a moment and a code.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_instant, clinic_today
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.partner_side.clinical import open_for_partner_treater
from partnercontact.partner_side.messaging.models import InboundSms, SentLetter
from partnercontact.partner_side.messaging.triage import given_to
from partnercontact.partner_side.models import (
    PartnerCase,
    PartnerHandover,
    SafetyOverride,
    ThreatWarning,
    UrgentTask,
)
from partnercontact.partner_side.portal_messages import unread_from_her
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.partner_side.portal_tasks import still_open
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.relay_inbox import closing_to_record, unhandled_event_of_case
from partnercontact.partner_side.rules import returned_letter_in_force
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.plan import BOOKING_NOTICE
from partnercontact.partner_side.service import (
    actor_parameters,
    held_by_actor,
    reference_of_id,
)
from partnercontact.policy import Permission, can
from partnercontact.relay.models import RelayEvent
from partnercontact.remembered import remembered
from partnercontact.runtime import current_runtime

# The kinds, most pressing first: what may be about her safety, then what the client side or a
# manager asked of her treater, then her own words, then the rhythm of contact. The list's
# order within one urgency.
KINDS = (
    "stop",
    "urgent_task",
    "unmatched_text",
    "threat_decision",
    "override",
    "relay",
    "closing",
    "correction",
    "letter_returned",
    "reply",
    "portal_message",
    "portal_task",
    "session_today",
    "session_to_book",
)
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}

# Where on the case page each kind is handled (an anchor the case page knows).
ANCHORS = {
    "stop": "sms-replies",
    # Not on a case: placed on one from the page of texts to place.
    "unmatched_text": "",
    "urgent_task": "urgent",
    "threat_decision": "threat",
    "override": "case-overrides",
    "relay": "relay",
    "closing": "relay",
    "correction": "details",
    "letter_returned": "sent-letters",
    "reply": "sms-replies",
    "portal_message": "portal-messages",
    "portal_task": "portal-tasks",
    "session_today": "sessions",
    "session_to_book": "sessions",
}


@dataclass(frozen=True)
class WorkItem:
    kind: str
    # None for a text from an unknown number, which is on no case until she is found.
    case_id: uuid.UUID | None
    # When it arrived (a reply, a decision) or when it is (a session today); None for a
    # session to book, whose day is ``day``.
    at: datetime | None
    # The day it is about: a relayed event's day, a session's target day.
    day: date | None
    # A code of the kind's own vocabulary where the kind has one (a relayed event's kind, a
    # decision, the rule a manager overrode), for the label.
    detail: str | None
    # How many rows the item stands for (her replies or messages on one case are one item).
    count: int
    # Past its time: an urgent task or a relayed event left beyond the clinic's hours for it,
    # a session to book past its target day.
    overdue: bool

    @property
    def reference(self) -> str | None:
        return reference_of_id(self.case_id) if self.case_id is not None else None

    @property
    def anchor(self) -> str:
        return ANCHORS[self.kind]


def _on_held(case_id: Any) -> Any:
    return and_(PartnerCase.id == case_id, held_by_actor())


def _columns(
    kind: str,
    case_id: Any,
    *,
    at: Any = None,
    day: Any = None,
    detail: Any = None,
    count: Any = None,
) -> Select[Any]:
    """One kind's rows in the UNION's columns (NULL where the kind has none)."""
    return select(
        literal(kind, String).label("kind"),
        (case_id if case_id is not None else cast(null(), Uuid)).label("case_id"),
        (at if at is not None else cast(null(), DateTime(timezone=True))).label("at"),
        (day if day is not None else cast(null(), Date)).label("day"),
        (detail if detail is not None else cast(null(), String)).label("detail"),
        (count if count is not None else literal(1, Integer)).label("how_many"),
    )


def _row(kind: str, model: Any, **columns: Any) -> Select[Any]:
    """One kind's rows of ``model``, on the cases the actor holds."""
    return (
        _columns(kind, model.partner_case_id, **columns)
        .select_from(model)
        .join(PartnerCase, _on_held(model.partner_case_id))
    )


@functools.cache
def _statement() -> CompoundSelect[Any]:
    replies = [
        _row(
            kind,
            InboundSms,
            at=func.max(InboundSms.received_at),
            count=func.count(),
        )
        .where(InboundSms.seen_at.is_(None), InboundSms.is_stop.is_(is_stop))
        .group_by(InboundSms.partner_case_id)
        for kind, is_stop in (("stop", True), ("reply", False))
    ]
    decided_at = func.coalesce(ThreatWarning.confirmed_at, ThreatWarning.rejected_at)
    # Texts from unknown numbers an administrator gave the actor to place: one item for all.
    to_place = (
        _columns("unmatched_text", None, at=func.max(InboundSms.received_at), count=func.count())
        .where(given_to(bindparam("actor_id"), bindparam("actor_clinic_id")))
        .having(func.count() > 0)
    )
    return union_all(
        *replies,
        to_place,
        _row("urgent_task", UrgentTask, at=UrgentTask.recorded_at).where(
            open_for_partner_treater()
        ),
        _row(
            "threat_decision",
            ThreatWarning,
            at=decided_at,
            detail=case(
                (ThreatWarning.confirmed_at.is_not(None), literal("confirmed", String)),
                else_=literal("rejected", String),
            ),
        ).where(decided_at.is_not(None), ThreatWarning.decision_seen_at.is_(None)),
        _row(
            "override", SafetyOverride, at=SafetyOverride.decided_at, detail=SafetyOverride.rule
        ).where(SafetyOverride.used_at.is_(None)),
        _columns("relay", PartnerCase.id, day=RelayEvent.occurred_on, detail=RelayEvent.kind)
        .select_from(PartnerCase)
        .join(RelayEvent, unhandled_event_of_case())
        .where(held_by_actor()),
        _columns("closing", PartnerCase.id, day=PartnerCase.closing_since).where(
            held_by_actor(), closing_to_record()
        ),
        _row("letter_returned", SentLetter, at=func.max(SentLetter.returned_recorded_at))
        .where(returned_letter_in_force())
        .group_by(SentLetter.partner_case_id),
        _row("correction", PartnerHandover, at=PartnerHandover.recorded_at).where(
            PartnerHandover.kind == "correction", PartnerHandover.seen_at.is_(None)
        ),
        _row(
            "portal_message",
            PortalMessage,
            at=func.max(PortalMessage.sent_at),
            count=func.count(),
        )
        .where(unread_from_her())
        .group_by(PortalMessage.partner_case_id),
        _row(
            "portal_task",
            PortalTask,
            at=func.max(PortalTask.opened_at),
            count=func.count(),
        )
        .where(still_open())
        .group_by(PortalTask.partner_case_id),
        _row(
            "session_today",
            ContactSession,
            at=ContactSession.starts_at,
            detail=ContactSession.purpose,
        ).where(
            ContactSession.state == "booked",
            ContactSession.starts_at >= bindparam("day_starts"),
            ContactSession.starts_at < bindparam("day_ends"),
        ),
        _row(
            "session_to_book",
            ContactSession,
            day=ContactSession.due_on,
            detail=ContactSession.purpose,
        ).where(
            ContactSession.state == "to_book",
            PartnerCase.closed_on.is_(None),
            or_(ContactSession.due_on.is_(None), ContactSession.due_on <= bindparam("book_by")),
        ),
    )


def _sort_key(item: WorkItem) -> tuple[int, int, float]:
    moment = item.at.timestamp() if item.at is not None else 0.0
    if item.at is None and item.day is not None:
        moment = datetime.combine(item.day, datetime.min.time()).timestamp()
    # Overdue first, then by kind, then newest first.
    return (0 if item.overdue else 1, _RANK[item.kind], -moment)


def _overdue(row: Any, clinic: Clinic, now: datetime, today: date) -> bool:
    """Past its time: an urgent task or a relayed event left beyond the clinic's hours for
    it, a session to book past its target day."""
    if row.kind == "urgent_task":
        return bool(row.at + timedelta(hours=clinic.urgent_task_hours) < now)
    if row.kind == "relay":
        return bool(row.day + timedelta(hours=clinic.relay_task_hours) < today)
    if row.kind == "session_to_book":
        return row.day is not None and row.day < today
    return False


def worklist(actor: User) -> list[WorkItem]:
    """What needs ``actor`` today on the cases ``actor`` works, most pressing first. Empty for
    anyone who may not work on partner cases (their scope holds no case). Read once per page
    (the home page's list and the menu's count are the same list)."""
    if not can(actor, Permission.PARTNER_CASES_WORK):
        return []
    return remembered(("worklist", actor.id), lambda: _read(actor))


def _read(actor: User) -> list[WorkItem]:
    clinic = actor.clinic
    now = current_runtime().clock.now()
    today = clinic_today(clinic)
    parameters = {
        **actor_parameters(actor),
        "day_starts": clinic_instant(clinic, today, datetime.min.time()),
        "day_ends": clinic_instant(clinic, today + timedelta(days=1), datetime.min.time()),
        "book_by": today + BOOKING_NOTICE,
    }
    items = [
        WorkItem(
            kind=row.kind,
            case_id=row.case_id,
            at=row.at,
            day=row.day,
            detail=row.detail or None,
            count=row.how_many,
            overdue=_overdue(row, clinic, now, today),
        )
        for row in db.session.execute(_statement(), parameters)
    ]
    return sorted(items, key=_sort_key)


def worklist_count(actor: User) -> int:
    """How many items :func:`worklist` holds for ``actor`` (the menu's count)."""
    return len(worklist(actor))
