"""The partner side's work on what the relay brings: a task "inform her if she wishes" for
each event, and the closing of the contact once the client's treatment has ended.

Everything here is read and written for a partner case the actor holds (through the partner
services' loaders), and writes only partner-side rows: nothing here changes the client side.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import ColumnElement, Select, and_, select

from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.partner_side.contact import date_given
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import Contact, ContactNotAllowed, check_contact, refused_on
from partnercontact.partner_side.scheduling.plan import FOLLOW_UP, cancel_open_sessions
from partnercontact.partner_side.service import (
    actor_parameters,
    audit,
    clinic_of,
    episodes_of_case,
    held_by_actor,
    held_case_for,
    not_on_case,
    reference_of_id,
)
from partnercontact.relay.kinds import (
    CLOSING_OUTCOMES,
    outcomes_for,
    time_to_act,
)
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.clinics.models import Clinic


@dataclass(frozen=True)
class RelayedEvent:
    id: uuid.UUID
    kind: str
    occurred_on: date
    # What was done with it, oldest first; the task is open while this is empty.
    outcomes: list[RelayOutcome]
    # A risk signal's reason and urgency (None for the other kinds), and when the managers are
    # told if nothing has been done with it.
    reason: str | None = None
    urgency: str | None = None
    act_by: datetime | None = None

    @property
    def open(self) -> bool:
        return not self.outcomes

    @property
    def overdue(self) -> bool:
        now = current_runtime().clock.now()
        return self.open and self.act_by is not None and self.act_by <= now


def _shown(
    event: RelayEvent, partner_case: PartnerCase, clinic: Clinic, outcomes: list[RelayOutcome]
) -> RelayedEvent:
    # An event relayed before the hand-over is acted on from the hand-over
    # (relay.emit.deadlines_from_hand_over).
    since = max(event.recorded_at, partner_case.created_at)
    act_by = since + time_to_act(clinic, event.kind, event.urgency)
    return RelayedEvent(
        event.id, event.kind, event.occurred_on, outcomes, event.reason, event.urgency, act_by
    )


@dataclass(frozen=True)
class OpenTask:
    case_id: uuid.UUID
    reference: str
    # "relay" (inform her of an event) or "closing" (offer a closing session, then close).
    task: str
    kind: str | None
    day: date


def relayed_events(actor: User, partner_case: PartnerCase) -> list[RelayedEvent]:
    """The events relayed for the case, oldest first, with what was done with each."""
    # Each event with what was done with it, in one statement (an event once per outcome).
    rows = db.session.execute(
        select(RelayEvent, RelayOutcome)
        .outerjoin(
            RelayOutcome,
            (RelayOutcome.event_id == RelayEvent.id)
            & (RelayOutcome.partner_case_id == partner_case.id),
        )
        .where(RelayEvent.episode_id.in_(episodes_of_case(partner_case.id)))
        .order_by(RelayEvent.occurred_on, RelayEvent.recorded_at, RelayEvent.id)
        .order_by(RelayOutcome.recorded_at)
    ).all()
    events: dict[uuid.UUID, RelayedEvent] = {}
    clinic = clinic_of(partner_case)
    for event, outcome in rows:
        shown = events.setdefault(event.id, _shown(event, partner_case, clinic, []))
        if outcome is not None:
            shown.outcomes.append(outcome)
    audit(AuditAction.RELAY_EVENTS_VIEWED, actor, partner_case)
    return list(events.values())


def event_in(partner_case: PartnerCase, event_id: uuid.UUID) -> RelayEvent:
    """A relayed event of the case; any other id is not found, as an unknown case is."""
    event = db.session.scalar(
        select(RelayEvent).where(
            RelayEvent.id == event_id,
            RelayEvent.episode_id.in_(episodes_of_case(partner_case.id)),
        )
    )
    if event is None:
        raise not_on_case()
    return event


def relayed_event_for(actor: User, case_id: uuid.UUID, event_id: uuid.UUID) -> RelayedEvent:
    """One event of a case ``actor`` holds, with what was done with it so far."""
    # Not audited here: the page that shows the event audits its read of the case.
    partner_case = held_case_for(actor, case_id, audited=False)
    event = event_in(partner_case, event_id)
    outcomes = db.session.scalars(
        select(RelayOutcome)
        .where(RelayOutcome.event_id == event.id, RelayOutcome.partner_case_id == partner_case.id)
        .order_by(RelayOutcome.recorded_at)
    ).all()
    return _shown(event, partner_case, clinic_of(partner_case), list(outcomes))


class _Closing(Protocol):
    """What tells whether a case's closing waits: a case, or the columns of one."""

    @property
    def closing_since(self) -> date | None: ...
    @property
    def closed_on(self) -> date | None: ...
    @property
    def own_treatment_since(self) -> date | None: ...


def closing_open(partner_case: _Closing) -> bool:
    """Whether the contact is closing and the closing is still to be recorded."""
    return (
        partner_case.closing_since is not None
        and partner_case.closed_on is None
        and partner_case.own_treatment_since is None
    )


def unhandled_event_of_case() -> ColumnElement[bool]:
    """A relayed event of one of the case's periods whose outcome the case has not recorded:
    a relay task of the case (the condition to join ``RelayEvent`` to ``PartnerCase`` on)."""
    handled = select(RelayOutcome.event_id).where(RelayOutcome.partner_case_id == PartnerCase.id)
    return RelayEvent.episode_id.in_(episodes_of_case(PartnerCase.id)) & RelayEvent.id.not_in(
        handled.scalar_subquery()
    )


def closing_to_record() -> ColumnElement[bool]:
    """:func:`closing_open` as a condition on ``PartnerCase``."""
    return and_(
        PartnerCase.closing_since.is_not(None),
        PartnerCase.closed_on.is_(None),
        PartnerCase.own_treatment_since.is_(None),
    )


@functools.cache
def _open_tasks_statement() -> Select[uuid.UUID, date | None, date | None, date | None, str, date]:
    # Every case held, with each event not yet handled (none: one row without an event), in
    # one statement: the events are relay tasks, the cases tell which closings wait. The
    # columns those need, not whole cases.
    return (
        select(
            PartnerCase.id,
            PartnerCase.closing_since,
            PartnerCase.closed_on,
            PartnerCase.own_treatment_since,
            RelayEvent.kind,
            RelayEvent.occurred_on,
        )
        .where(held_by_actor())
        .outerjoin(RelayEvent, unhandled_event_of_case())
        .order_by(RelayEvent.occurred_on, RelayEvent.recorded_at, PartnerCase.id)
    )


def open_tasks(actor: User) -> list[OpenTask]:
    """Everything the relay has left for ``actor`` to do, across the cases ``actor`` holds."""
    rows = db.session.execute(_open_tasks_statement(), actor_parameters(actor)).all()
    tasks = [
        OpenTask(row.id, reference_of_id(row.id), "relay", row.kind, row.occurred_on)
        for row in rows
        if row.kind is not None
    ]
    cases = {row.id: row for row in rows}
    for case_id, row in cases.items():
        if closing_open(row) and row.closing_since is not None:
            tasks.append(
                OpenTask(case_id, reference_of_id(case_id), "closing", None, row.closing_since)
            )
    return tasks


# The outcomes that say she was told by a channel: each such contact passed the rules.
_OUTCOME_CHANNELS = {"informed_phone": "phone", "informed_sms": "sms", "informed_letter": "letter"}


def record_outcome(
    actor: User, case_id: uuid.UUID, event_id: uuid.UUID, *, outcome: str, outcome_on: date | None
) -> RelayOutcome:
    """Record what was done with a relayed event: she was informed (and how), she did not want
    to be told, or she could not be reached.

    An outcome that names a channel is a contact with her, and passes the rules of contact
    (:func:`partnercontact.partner_side.rules.check_contact`) on ``outcome``: one her plan
    forbids, or one before the safety steps, is refused (409), unless a manager's override
    covers it."""
    partner_case = held_case_for(actor, case_id)
    event = event_in(partner_case, event_id)
    if outcome not in outcomes_for(event.kind):
        raise ContactInvalid(_l("Choose what came of it."), field="outcome")
    day = date_given(outcome_on, clinic_of(partner_case), "outcome_on")
    if day < event.occurred_on:
        raise ContactInvalid(_l("The date cannot be before the event itself."), field="outcome_on")
    channel = _OUTCOME_CHANNELS.get(outcome)
    if channel is not None:
        contact = Contact(
            kind="relay_outcome", channel=channel, at=None, relay_notice=True, opening=False
        )
        try:
            check_contact(actor, partner_case, contact)
        except ContactNotAllowed as refused:
            raise refused_on("outcome", refused) from None
    return note_outcome(actor, partner_case, event, outcome=outcome, outcome_on=day)


def note_outcome(
    actor: User, partner_case: PartnerCase, event: RelayEvent, *, outcome: str, outcome_on: date
) -> RelayOutcome:
    """Write what was done with ``event``, checked already: a letter or text that told her
    has passed the rules of contact as it was sent."""
    row = RelayOutcome(
        event_id=event.id,
        partner_case_id=partner_case.id,
        outcome=outcome,
        outcome_on=outcome_on,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    audit(AuditAction.RELAY_OUTCOME_RECORDED, actor, partner_case)
    return row


def record_closing(
    actor: User, case_id: uuid.UUID, *, outcome: str, closed_on: date | None
) -> PartnerCase:
    """Close the contact after the client's treatment ended: how the closing session went."""
    partner_case = held_case_for(actor, case_id)
    if not closing_open(partner_case):
        raise Conflict(_l("The contact is not closing."), field="case")
    if outcome not in CLOSING_OUTCOMES:
        raise ContactInvalid(_l("Choose how the closing went."), field="outcome")
    day = date_given(closed_on, clinic_of(partner_case), "closed_on")
    assert partner_case.closing_since is not None  # closing_open() checked it
    if day < partner_case.closing_since:
        raise ContactInvalid(
            _l("The contact cannot close before the treatment ended."), field="closed_on"
        )
    partner_case.closing_outcome = outcome
    partner_case.closed_on = day
    db.session.flush()
    audit(AuditAction.PARTNER_CONTACT_CLOSED, actor, partner_case)
    # The contact is closed: what was planned for it goes, except the follow-up session the
    # clinic offers after the closing.
    now = current_runtime().clock.now()
    for _session in cancel_open_sessions(
        partner_case, actor_id=actor.id, now=now, keep=(FOLLOW_UP,)
    ):
        audit(AuditAction.CONTACT_SESSION_CANCELLED, actor, partner_case)
    return partner_case


def record_own_treatment(actor: User, case_id: uuid.UUID, *, since: date | None) -> PartnerCase:
    """She has started treatment of her own with the clinic: it continues after his ends."""
    partner_case = held_case_for(actor, case_id)
    if partner_case.own_treatment_since is not None:
        raise Conflict(_l("Her own treatment is already recorded."), field="case")
    if partner_case.closed_on is not None:
        raise Conflict(_l("The contact is closed."), field="case")
    partner_case.own_treatment_since = date_given(since, clinic_of(partner_case), "since")
    db.session.flush()
    audit(AuditAction.PARTNER_OWN_TREATMENT_RECORDED, actor, partner_case)
    return partner_case
