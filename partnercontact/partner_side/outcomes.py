"""Her answers to the outcome questions at a held session or a call that reached her.

The answers are codes of closed lists (:data:`~.vocabulary.OUTCOME_QUESTIONS`), so that a
clinic can count whether the violence stopped and whether she feels safe; what she said in
her own words stays in the session's note. A "yes" to new physical violence or new threats
opens the urgent tasks a high risk result opens. Each contact has its answers once.

Functions here flush, never commit, and take no Flask request objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import local_date
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.partner_side import clinical
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import ContactAttempt, ContactOutcome, PartnerCase
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import audit, clinic_of, held_case_for, not_on_case
from partnercontact.partner_side.vocabulary import OUTCOME_QUESTIONS
from partnercontact.runtime import current_runtime

# A "yes" to one of these is an alarm: the urgent tasks open at once.
ALARMING = ("physical_violence", "threats")


@dataclass(frozen=True)
class OutcomeRecorded:
    outcome: ContactOutcome
    # Whether a "yes" to new violence or threats opened urgent tasks.
    alarmed: bool


def checked_answers(answers: Mapping[str, str | None]) -> dict[str, str]:
    """Every question answered from its own list, naming the first one that is not."""
    checked = {}
    for question, (label, choices) in OUTCOME_QUESTIONS.items():
        answer = answers.get(question)
        if answer not in choices:
            raise ContactInvalid(
                _l("Choose an answer to: %(question)s", question=label), field=question
            )
        checked[question] = answer
    return checked


def _contact(
    partner_case: PartnerCase, session_id: uuid.UUID | None, attempt_id: uuid.UUID | None
) -> ContactSession | ContactAttempt:
    # The same answer as for a case that is not the actor's: a 404 never tells the two apart.
    missing = not_on_case()
    if (session_id is None) == (attempt_id is None):
        raise missing
    if session_id is not None:
        session = db.session.get(ContactSession, session_id)
        if session is None or session.partner_case_id != partner_case.id:
            raise missing
        if session.state != "held":
            raise ContactInvalid(
                _l("Her answers are recorded for a session that was held."), field="contact"
            )
        return session
    attempt = db.session.get(ContactAttempt, attempt_id)
    if attempt is None or attempt.partner_case_id != partner_case.id:
        raise missing
    if attempt.outcome != "reached":
        raise ContactInvalid(
            _l("Her answers are recorded for a call that reached her."), field="contact"
        )
    return attempt


def _day_of(contact: ContactSession | ContactAttempt, partner_case: PartnerCase) -> date:
    moment = contact.attempted_at if isinstance(contact, ContactAttempt) else contact.starts_at
    assert moment is not None  # a held session was booked at a time
    return local_date(moment, clinic_of(partner_case))


def answerable_contact(
    actor: User,
    case_id: uuid.UUID,
    *,
    session_id: uuid.UUID | None = None,
    attempt_id: uuid.UUID | None = None,
) -> ContactSession | ContactAttempt:
    """The held session or reached call of a case ``actor`` works that answers belong to (the
    form's page asks before it is shown): not found for one not on the case, as for a case
    that is not the actor's."""
    return _contact(held_case_for(actor, case_id), session_id, attempt_id)


def record_outcome(
    actor: User,
    case_id: uuid.UUID,
    answers: Mapping[str, str | None],
    *,
    session_id: uuid.UUID | None = None,
    attempt_id: uuid.UUID | None = None,
) -> OutcomeRecorded:
    """Record her answers at one held session or reached call of a case ``actor`` works.

    :class:`ContactInvalid` names the first question without an answer from its list (or
    ``contact`` for a session not held or a call that did not reach her); :class:`Conflict`
    for a contact whose answers are already recorded."""
    partner_case = held_case_for(actor, case_id)
    contact = _contact(partner_case, session_id, attempt_id)
    checked = checked_answers(answers)
    outcome = ContactOutcome(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
        session_id=session_id,
        attempt_id=attempt_id,
        asked_on=_day_of(contact, partner_case),
        **checked,
    )
    try:
        with db.session.begin_nested():
            db.session.add(outcome)
            db.session.flush()
    except IntegrityError as exc:
        # Recorded at the same moment by another request (or already): once per contact.
        raise Conflict(
            _l("Her answers at this contact are already recorded."), field="contact"
        ) from exc
    audit(AuditAction.CONTACT_OUTCOME_RECORDED, actor, partner_case)
    alarmed = any(checked[question] == "yes" for question in ALARMING)
    if alarmed:
        for _task in clinical.open_urgent_tasks(
            partner_case, recorded_by=actor, outcome_id=outcome.id
        ):
            audit(AuditAction.URGENT_TASK_OPENED, actor, partner_case)
    return OutcomeRecorded(outcome, alarmed)


def outcomes_of(partner_case: PartnerCase) -> dict[uuid.UUID, ContactOutcome]:
    """The case's recorded answers by the session or call they were given at."""
    rows = db.session.scalars(
        select(ContactOutcome).where(ContactOutcome.partner_case_id == partner_case.id)
    )
    return {row.contact_id: row for row in rows}
