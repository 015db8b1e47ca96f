"""Her safe-contact plan in her own hands (docs/domain.md, "Her own channel").

She sees her plan in her portal and changes it. Whether a change takes effect at once is
decided by one pure function, :func:`change_between`:

- a change that only narrows contact (fewer ways, fewer days, a shorter window, voicemail
  off, letters off) is a new plan version recorded by her (``recorded_by_id`` None), which the
  safety gate (:func:`partnercontact.partner_side.rules.latest_plan`) reads at once, and a task
  for her treater (``PLAN_NARROWED``);
- any other change, including a mixed one, is a :class:`PlanProposal` that does not take
  effect, and a task (``PLAN_PROPOSED``); her treater confirms it (a new plan version with
  exactly its terms, recorded by the treater) or declines it. A newer act of hers on her plan
  replaces a proposal still open: a proposal made before she narrowed her plan must not undo
  the narrowing when it is confirmed.

Concurrency: every write here first locks the partner case's row (PostgreSQL; SQLite writes one
at a time), so plan versions and proposal numbers are handed out one at a time, and a proposal
leaves ``open`` only by a conditional UPDATE, so her treater confirming while she replaces it,
or two confirmations at once, end in one outcome and a clear answer to the other.

Audited without content; functions flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import CursorResult, select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side import portal_tasks
from partnercontact.partner_side.her_own_models import (
    PROPOSAL_CONFIRMED,
    PROPOSAL_DECLINED,
    PROPOSAL_OPEN,
    PROPOSAL_REPLACED,
    PlanProposal,
)
from partnercontact.partner_side.models import PartnerCase, SafeContactPlan
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.rules import TIMED_CHANNELS, latest_plan
from partnercontact.partner_side.service import audit, clinic_of, held_case_for, lock_case
from partnercontact.partner_side.vocabulary import CHANNELS, WEEKDAYS
from partnercontact.runtime import current_runtime

SENDER_NAME_MAX = 100
OPENER_MAX = 200

SAME = "same"
NARROWER = "narrower"
WIDER = "wider"


class PlanInvalid(DomainError):
    """What she asked for is not a plan: ``field`` names the input at fault."""


class ProposalGone(Conflict):
    """The proposal is no longer open: she replaced it, or it was decided already."""


# --- the terms of a plan, and the one comparison ---------------------------------------------


@dataclass(frozen=True)
class PlanTerms:
    """What a plan says, compared field by field. ``channels`` are ``CHANNELS`` keys,
    ``safe_days`` ``WEEKDAYS`` keys; no window (both times None) means any hour of a safe
    day, as the safety gate reads it."""

    channels: frozenset[str]
    safe_days: frozenset[str]
    safe_from: time | None
    safe_until: time | None
    voicemail_allowed: bool
    letters_safe_at_address: bool
    sender_name: str | None = None
    opener: str | None = None

    @classmethod
    def of(cls, plan: SafeContactPlan | PlanProposal) -> PlanTerms:
        return cls(
            channels=frozenset(
                channel for channel in CHANNELS if getattr(plan, f"{channel}_allowed")
            ),
            safe_days=frozenset(plan.safe_days),
            safe_from=plan.safe_from,
            safe_until=plan.safe_until,
            voicemail_allowed=plan.voicemail_allowed,
            letters_safe_at_address=plan.letters_safe_at_address,
            sender_name=plan.sender_name or None,
            opener=plan.opener or None,
        )

    @classmethod
    def given(
        cls,
        *,
        channels: Iterable[str],
        safe_days: Iterable[str],
        safe_from: time | None,
        safe_until: time | None,
        voicemail_allowed: bool,
        letters_safe_at_address: bool,
        sender_name: str | None = None,
        opener: str | None = None,
    ) -> PlanTerms:
        """Terms from a form: text trimmed, empty text None."""
        return cls(
            channels=frozenset(channels),
            safe_days=frozenset(safe_days),
            safe_from=safe_from,
            safe_until=safe_until,
            voicemail_allowed=bool(voicemail_allowed),
            letters_safe_at_address=bool(letters_safe_at_address),
            sender_name=(sender_name or "").strip() or None,
            opener=(opener or "").strip() or None,
        )


def _window_within(new: PlanTerms, old: PlanTerms) -> bool:
    """Whether ``new``'s hours lie within ``old``'s. No window is every hour: the widest."""
    if old.safe_from is None or old.safe_until is None:
        return True
    if new.safe_from is None or new.safe_until is None:
        return False
    return old.safe_from <= new.safe_from and new.safe_until <= old.safe_until


def change_between(current: PlanTerms | None, proposed: PlanTerms) -> str:
    """:data:`SAME`, :data:`NARROWER` or :data:`WIDER`: how ``proposed`` changes ``current``.

    Narrower only when every field is equal or narrower: each way of contact allowed in
    ``proposed`` is allowed now, each safe day is one now, its hours lie within today's,
    voicemail and letters-at-her-address are not turned on, and the sender name and the opening
    phrase are unchanged (a different wording is not safer by itself, so it waits for her
    treater). Anything else, a mixed change included, is wider. Without a plan (``current``
    None) every plan widens contact: it opens ordinary contact, which waits for her treater.
    """
    if current is None:
        return WIDER
    if proposed == current:
        return SAME
    narrower = (
        proposed.channels <= current.channels
        and proposed.safe_days <= current.safe_days
        and _window_within(proposed, current)
        and (current.voicemail_allowed or not proposed.voicemail_allowed)
        and (current.letters_safe_at_address or not proposed.letters_safe_at_address)
        and proposed.sender_name == current.sender_name
        and proposed.opener == current.opener
    )
    return NARROWER if narrower else WIDER


def _validated(terms: PlanTerms) -> PlanTerms:
    """The plan rules her treater's form also follows, in her words."""
    if not terms.channels <= set(CHANNELS):
        raise PlanInvalid(_l("Choose only from the listed ways."), field="channels")
    if not terms.safe_days <= set(WEEKDAYS):
        raise PlanInvalid(_l("Choose only from the days of the week."), field="safe_days")
    timed = bool(terms.channels & set(TIMED_CHANNELS))
    if timed and not terms.safe_days:
        raise PlanInvalid(
            _l("Choose at least one day, or turn off calls and text messages."),
            field="safe_days",
        )
    if (terms.safe_from is None) != (terms.safe_until is None) or (
        timed and terms.safe_from is None
    ):
        field = "safe_from" if terms.safe_from is None else "safe_until"
        raise PlanInvalid(_l("Write both times: from and until."), field=field)
    if (
        terms.safe_from is not None
        and terms.safe_until is not None
        and terms.safe_from >= terms.safe_until
    ):
        raise PlanInvalid(_l("The end time must be later than the start time."), field="safe_until")
    if "letter" in terms.channels and not terms.letters_safe_at_address:
        raise PlanInvalid(
            _l("Letters can be on only if they are safe at your address."),
            field="letters_safe_at_address",
        )
    if terms.sender_name and len(terms.sender_name) > SENDER_NAME_MAX:
        raise PlanInvalid(
            _l("The sender name is too long (at most 100 characters)."), field="sender_name"
        )
    if terms.opener and len(terms.opener) > OPENER_MAX:
        raise PlanInvalid(_l("The words are too long (at most 200 characters)."), field="opener")
    return terms


# --- shared pieces ----------------------------------------------------------------------------


def _now() -> datetime:
    return current_runtime().clock.now()


def _lock(partner_case: PartnerCase) -> None:
    """Hold the case's row until the transaction ends: plan versions and proposal numbers are
    handed out one at a time, and her change and her treater's decision do not interleave."""
    lock_case(partner_case)


def _new_version(
    partner_case: PartnerCase, terms: PlanTerms, recorded_by_id: int | None
) -> SafeContactPlan:
    current = latest_plan(partner_case)
    plan = SafeContactPlan(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=recorded_by_id,
        recorded_at=_now(),
        version=(current.version + 1) if current is not None else 1,
        phone_allowed="phone" in terms.channels,
        sms_allowed="sms" in terms.channels,
        letter_allowed="letter" in terms.channels,
        safe_days="".join(sorted(terms.safe_days)),
        safe_from=terms.safe_from,
        safe_until=terms.safe_until,
        voicemail_allowed=terms.voicemail_allowed,
        letters_safe_at_address=terms.letters_safe_at_address,
        sender_name=terms.sender_name,
        opener=terms.opener,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def _replace_open(partner_case: PartnerCase, now: datetime) -> bool:
    """Her newer act replaces her proposal still open; True if there was one."""
    result = db.session.execute(
        update(PlanProposal)
        .where(
            PlanProposal.partner_case_id == partner_case.id,
            PlanProposal.state == PROPOSAL_OPEN,
        )
        .values(state=PROPOSAL_REPLACED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return bool(result.rowcount)


def _newest_proposal_number(partner_case: PartnerCase) -> int:
    return (
        db.session.scalar(
            select(PlanProposal.number)
            .where(PlanProposal.partner_case_id == partner_case.id)
            .order_by(PlanProposal.number.desc())
            .limit(1)
        )
        or 0
    )


# --- her side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HerPlan:
    """Her plan as her page shows it: the plan that counts (None: none recorded yet) and her
    newest proposal that was not replaced (open, confirmed or declined), if any, with the day
    she made it on the clinic's calendar."""

    plan: SafeContactPlan | None
    proposal: PlanProposal | None
    proposed_on: str | None = None


def plan_for_her(identity: PortalIdentity) -> HerPlan:
    """Her plan and her newest proposal. Audited as her reading her plan."""
    partner_case = case_of(identity)
    proposal = db.session.scalar(
        select(PlanProposal)
        .where(
            PlanProposal.partner_case_id == partner_case.id,
            PlanProposal.state != PROPOSAL_REPLACED,
        )
        .order_by(PlanProposal.number.desc())
        .limit(1)
    )
    audit_her(AuditAction.PLAN_VIEWED_BY_HER, partner_case)
    proposed_on = None
    if proposal is not None:
        zone = clinic_zone(clinic_of(partner_case))
        proposed_on = proposal.recorded_at.astimezone(zone).strftime("%Y-%m-%d")
    return HerPlan(latest_plan(partner_case), proposal, proposed_on)


@dataclass(frozen=True)
class PlanChange:
    """What her change did: ``outcome`` :data:`NARROWER` (``plan`` is the new version, in
    effect now) or :data:`WIDER` (``proposal`` waits for her treater); ``replaced``: a proposal
    of hers that was still open was replaced by this change."""

    outcome: str
    plan: SafeContactPlan | None = None
    proposal: PlanProposal | None = None
    replaced: bool = False


def change_plan_by_her(identity: PortalIdentity, terms: PlanTerms) -> PlanChange:
    """Her change to her plan: in effect at once if it only narrows contact, else a proposal
    for her treater (:func:`change_between`). A change that changes nothing raises
    :class:`PlanInvalid`; so does a plan that breaks the plan rules (``field`` names the
    input)."""
    partner_case = case_of(identity)
    clean = _validated(terms)
    _lock(partner_case)
    current = latest_plan(partner_case)
    outcome = change_between(PlanTerms.of(current) if current is not None else None, clean)
    if outcome == SAME:
        raise PlanInvalid(_l("Nothing was changed: your plan stays as it is."), field="channels")
    now = _now()
    replaced = _replace_open(partner_case, now)
    if outcome == NARROWER:
        plan = _new_version(partner_case, clean, None)
        portal_tasks.open_task(partner_case, portal_tasks.PLAN_NARROWED, subject_id=plan.id)
        audit_her(AuditAction.PLAN_NARROWED_BY_HER, partner_case)
        return PlanChange(NARROWER, plan=plan, replaced=replaced)
    proposal = PlanProposal(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=None,
        recorded_at=now,
        number=_newest_proposal_number(partner_case) + 1,
        based_on_version=current.version if current is not None else None,
        phone_allowed="phone" in clean.channels,
        sms_allowed="sms" in clean.channels,
        letter_allowed="letter" in clean.channels,
        safe_days="".join(sorted(clean.safe_days)),
        safe_from=clean.safe_from,
        safe_until=clean.safe_until,
        voicemail_allowed=clean.voicemail_allowed,
        letters_safe_at_address=clean.letters_safe_at_address,
        sender_name=clean.sender_name,
        opener=clean.opener,
        state=PROPOSAL_OPEN,
    )
    db.session.add(proposal)
    db.session.flush()
    portal_tasks.open_task(partner_case, portal_tasks.PLAN_PROPOSED, subject_id=proposal.id)
    audit_her(AuditAction.PLAN_PROPOSED_BY_HER, partner_case)
    return PlanChange(WIDER, proposal=proposal, replaced=replaced)


# --- her treater's side ------------------------------------------------------------------------


def open_proposal_of(partner_case: PartnerCase) -> PlanProposal | None:
    """Her proposal waiting for her treater, if any. The caller has loaded the case through
    the partner services (which audit the read)."""
    return db.session.scalar(
        select(PlanProposal)
        .where(
            PlanProposal.partner_case_id == partner_case.id,
            PlanProposal.state == PROPOSAL_OPEN,
        )
        .order_by(PlanProposal.number.desc())
        .limit(1)
    )


def _decide(
    actor: User, partner_case: PartnerCase, proposal_id: uuid.UUID, state: str
) -> PlanProposal:
    """Move the proposal from open to ``state``, once: of two decisions, or a decision and
    her replacing it, one wins and the other raises :class:`ProposalGone`."""
    _lock(partner_case)
    result = db.session.execute(
        update(PlanProposal)
        .where(
            PlanProposal.id == proposal_id,
            PlanProposal.partner_case_id == partner_case.id,
            PlanProposal.state == PROPOSAL_OPEN,
        )
        .values(state=state, decided_at=_now(), decided_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        exists = db.session.scalar(
            select(PlanProposal.id).where(
                PlanProposal.id == proposal_id, PlanProposal.partner_case_id == partner_case.id
            )
        )
        if exists is None:
            raise NotFound(_l("There is no such proposal on this case."), field="proposal_id")
        raise ProposalGone(
            _l("This proposal is no longer open: she changed her plan, or it was decided."),
            field="proposal_id",
        )
    proposal = db.session.get(PlanProposal, proposal_id, populate_existing=True)
    assert proposal is not None
    # The task her proposal opened is seen to by this decision.
    portal_tasks.see_to(
        partner_case.id,
        actor,
        PortalTask.kind == portal_tasks.PLAN_PROPOSED,
        PortalTask.subject_id == proposal_id,
        at=_now(),
    )
    return proposal


def confirm_proposal(actor: User, case_id: uuid.UUID, proposal_id: uuid.UUID) -> SafeContactPlan:
    """Her treater confirms her proposal: a new plan version with exactly its terms, recorded
    by the treater, in effect at once. Refused (:class:`Conflict`) when the plan changed since
    she proposed it: confirming would overwrite that change unseen."""
    partner_case = held_case_for(actor, case_id)
    proposal = _decide(actor, partner_case, proposal_id, PROPOSAL_CONFIRMED)
    current = latest_plan(partner_case)
    if (current.version if current is not None else None) != proposal.based_on_version:
        raise Conflict(
            _l(
                "Her plan has changed since she proposed this. Check with her, then decline "
                "the proposal or save the plan yourself."
            ),
            field="proposal_id",
        )
    plan = _new_version(partner_case, PlanTerms.of(proposal), actor.id)
    proposal.plan_id = plan.id
    db.session.flush()
    audit(AuditAction.PLAN_PROPOSAL_CONFIRMED, actor, partner_case)
    return plan


def decline_proposal(actor: User, case_id: uuid.UUID, proposal_id: uuid.UUID) -> PlanProposal:
    """Her treater declines her proposal: her plan stays as it is, and she sees it declined."""
    partner_case = held_case_for(actor, case_id)
    proposal = _decide(actor, partner_case, proposal_id, PROPOSAL_DECLINED)
    audit(AuditAction.PLAN_PROPOSAL_DECLINED, actor, partner_case)
    return proposal
