"""The raw counts of one clinic over one period, before anything is hidden.

Every query here selects named columns: identifiers, dates, states and closed-list keys.
None loads a sealed column, none returns a row object, and nothing leaves this module but
numbers, so the statistics cannot carry a name, a number or a note to anyone.

Each count's definition is written beside it; the page repeats it in words. Days are the
clinic's local calendar days.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from partnercontact.client_side.cases.concern_reports import client_concern_report_days
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.status import EpisodeStatus
from partnercontact.client_side.consent.models import Consent
from partnercontact.clinics.clock import local_date
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.partner_side.messaging.models import SentLetter, SmsMessage
from partnercontact.partner_side.models import (
    Child,
    ConcernReport,
    ContactAttempt,
    PartnerAnswer,
    PartnerCase,
    PartnerHandover,
    SuitabilityDecision,
)
from partnercontact.partner_side.vocabulary import NO_CONTACT_REASONS
from partnercontact.relay.kinds import CLIENT_SIDE, PARTNER_SIDE, RelayKind
from partnercontact.relay.models import Consultation, RelayEvent
from partnercontact.statistics.periods import Period

# The messages that offer her contact; a notice of a relayed event or a reminder does not.
OFFER_LETTERS = ("information", "call_announcement")
OFFER_TEXTS = ("first_contact", "call_announcement")
# The reason a protected partner's "no contact" is counted under: her real reason (sheltered
# housing, abroad) says where she is, so it is never broken down.
NOT_BROKEN_DOWN = "not_broken_down"
NOT_CONTACTED_REASONS = (*NO_CONTACT_REASONS, NOT_BROKEN_DOWN)
# A risk signal is relayed too, but it is a consultation between the treaters, not news of
# his treatment: it is counted with the consultations.
RELAY_KINDS = tuple(kind.value for kind in RelayKind if kind != RelayKind.RISK_SIGNAL)


@dataclass(frozen=True)
class PeriodCounts:
    clients_in_treatment: int
    clients_asked: int
    dropouts: int
    consents_given: int
    consents_refused: int
    consents_withdrawn: int
    partners_offered: int
    partners_reached: int
    partners_accepted: int
    partners_declined: int
    # Per reason of NOT_CONTACTED_REASONS; the total is their sum.
    not_contacted: dict[str, int]
    # Per kind of RELAY_KINDS; the total is their sum.
    relayed: dict[str, int]
    cases_with_children: int
    concern_reports: int
    client_concern_reports: int
    # Risk signals sent in the period; talks asked for in it by each side; talks held in it.
    risk_signals: int
    consultations_asked_by_client_side: int
    consultations_asked_by_partner_side: int
    consultations_held: int
    # Days from the client's consent to her first offer of contact, for each partner first
    # offered contact in the period.
    days_to_first_offer: tuple[int, ...]

    @property
    def median_days_to_first_offer(self) -> float | None:
        if not self.days_to_first_offer:
            return None
        return float(statistics.median(self.days_to_first_offer))


@dataclass(frozen=True)
class ClinicRows:
    """What the counts read of one clinic, read once for every period counted from it.

    Each query starts from the clinic (its own ``clinic_id``, or its partner cases'), never
    from another clinic's rows. What is dated is read for the days ``first`` to ``last``.
    """

    first: date
    last: date
    episodes: Sequence[Any]
    consents: Sequence[Any]
    cases: Sequence[Any]
    first_offer: dict[uuid.UUID, date]
    reached_by_call: Sequence[tuple[uuid.UUID, date]]
    answers: Sequence[Any]
    decisions: Sequence[Any]
    relayed: Sequence[tuple[str, date]]
    children: Sequence[tuple[uuid.UUID, datetime]]
    concern_reports: Sequence[date]
    client_concern_reports: Sequence[date]
    consent_signed: dict[uuid.UUID, date]
    # (the side that asked, the day it asked, the day the talk was held or None)
    consultations: Sequence[tuple[str, date, date | None]]


def clinic_rows(clinic: Clinic, first: date, last: date) -> ClinicRows:
    """The rows of ``clinic`` that the counts of any period within ``first`` to ``last``
    need: a fixed number of queries, however many rows."""
    # A subquery rather than a list of ids: a clinic's cases can outnumber a database's
    # limit on bound parameters.
    case_ids = select(PartnerCase.id).where(PartnerCase.clinic_id == clinic.id).scalar_subquery()
    calls = db.session.execute(
        select(ContactAttempt.partner_case_id, ContactAttempt.attempted_at).where(
            ContactAttempt.partner_case_id.in_(case_ids), ContactAttempt.outcome == "reached"
        )
    ).all()
    return ClinicRows(
        first=first,
        last=last,
        episodes=_episodes(clinic.id),
        consents=db.session.execute(
            select(
                Consent.episode_id, Consent.state, Consent.signed_on, Consent.withdrawn_on
            ).where(Consent.clinic_id == clinic.id)
        ).all(),
        cases=db.session.execute(
            select(
                PartnerCase.id,
                PartnerCase.episode_id,
                PartnerCase.protected_identity,
                PartnerCase.created_at,
                PartnerCase.closed_on,
            ).where(PartnerCase.clinic_id == clinic.id)
        ).all(),
        first_offer=_first_offers(clinic, case_ids),
        reached_by_call=_local(clinic, calls),
        answers=db.session.execute(
            select(
                PartnerAnswer.partner_case_id, PartnerAnswer.answer, PartnerAnswer.answered_on
            ).where(PartnerAnswer.partner_case_id.in_(case_ids))
        ).all(),
        decisions=db.session.execute(
            select(
                SuitabilityDecision.partner_case_id,
                SuitabilityDecision.decision,
                SuitabilityDecision.reason,
                SuitabilityDecision.recorded_at,
            ).where(SuitabilityDecision.partner_case_id.in_(case_ids))
        ).all(),
        relayed=_relay_events(clinic.id, first, last),
        children=[
            (case_id, moment)
            for case_id, moment in db.session.execute(
                select(Child.partner_case_id, Child.recorded_at).where(
                    Child.partner_case_id.in_(case_ids)
                )
            )
        ],
        concern_reports=list(
            db.session.scalars(
                select(ConcernReport.reported_on).where(
                    ConcernReport.partner_case_id.in_(case_ids),
                    ConcernReport.reported_on >= first,
                    ConcernReport.reported_on <= last,
                )
            )
        ),
        client_concern_reports=client_concern_report_days(clinic.id, first, last),
        consent_signed=_consent_signed_on(clinic.id),
        consultations=_consultations(clinic, first, last),
    )


def count_period(clinic: Clinic, period: Period, rows: ClinicRows | None = None) -> PeriodCounts:
    """The counts of ``period``, from ``rows`` when given (they must cover the period)."""
    if rows is None:
        rows = clinic_rows(clinic, period.start, period.end)
    if not rows.first <= period.start <= period.end <= rows.last:
        raise ValueError(f"rows of {rows.first}..{rows.last} do not cover {period}")
    episodes = rows.episodes
    open_in_period = {
        row.id: row.client_id
        for row in episodes
        if row.opened_on <= period.end and (row.ended_on is None or row.ended_on >= period.start)
    }
    consents = rows.consents
    asked_episodes = {row.episode_id for row in consents if row.signed_on <= period.end}
    cases = rows.cases
    first_offer = rows.first_offer
    offered = {case_id for case_id, day in first_offer.items() if period.contains(day)}
    answers = rows.answers
    consent_signed = rows.consent_signed
    asked = Counter(side for side, day, _ in rows.consultations if period.contains(day))

    return PeriodCounts(
        clients_in_treatment=len(set(open_in_period.values())),
        clients_asked=len(
            {client for episode, client in open_in_period.items() if episode in asked_episodes}
        ),
        dropouts=sum(
            1
            for row in episodes
            if row.status == EpisodeStatus.DROPPED_OUT
            and row.ended_on is not None
            and period.contains(row.ended_on)
        ),
        consents_given=sum(
            1 for row in consents if row.state == "given" and period.contains(row.signed_on)
        ),
        consents_refused=sum(
            1 for row in consents if row.state == "refused" and period.contains(row.signed_on)
        ),
        consents_withdrawn=sum(
            1
            for row in consents
            if row.withdrawn_on is not None and period.contains(row.withdrawn_on)
        ),
        partners_offered=len(offered),
        partners_reached=_reached_in(period, rows.reached_by_call, answers),
        partners_accepted=_answered_in(period, answers, "accepted"),
        partners_declined=_answered_in(period, answers, "declined"),
        not_contacted=_not_contacted(clinic, period, cases, rows.decisions),
        relayed=_relayed(period, rows.relayed),
        cases_with_children=_cases_with_children(clinic, period, cases, rows.children),
        concern_reports=sum(1 for day in rows.concern_reports if period.contains(day)),
        client_concern_reports=sum(
            1 for day in rows.client_concern_reports if period.contains(day)
        ),
        risk_signals=sum(
            1
            for kind, day in rows.relayed
            if kind == RelayKind.RISK_SIGNAL and period.contains(day)
        ),
        consultations_asked_by_client_side=asked[CLIENT_SIDE],
        consultations_asked_by_partner_side=asked[PARTNER_SIDE],
        consultations_held=sum(
            1 for _, _, held in rows.consultations if held is not None and period.contains(held)
        ),
        days_to_first_offer=tuple(
            sorted(
                (first_offer[case.id] - consent_signed[case.episode_id]).days
                for case in cases
                if case.id in offered and case.episode_id in consent_signed
            )
        ),
    )


def _episodes(clinic_id: int) -> list:
    return list(
        db.session.execute(
            select(
                TreatmentEpisode.id,
                TreatmentEpisode.client_id,
                TreatmentEpisode.status,
                TreatmentEpisode.opened_on,
                TreatmentEpisode.ended_on,
            )
            .join(Client, Client.id == TreatmentEpisode.client_id)
            .where(Client.clinic_id == clinic_id)
        ).all()
    )


def _earliest(days: Iterable[tuple[uuid.UUID, date]]) -> dict[uuid.UUID, date]:
    first: dict[uuid.UUID, date] = {}
    for case_id, day in days:
        if case_id not in first or day < first[case_id]:
            first[case_id] = day
    return first


def _local(
    clinic: Clinic, rows: Iterable[tuple[uuid.UUID, datetime | None]]
) -> list[tuple[uuid.UUID, date]]:
    return [(case_id, local_date(moment, clinic)) for case_id, moment in rows if moment is not None]


def _first_offers(clinic: Clinic, case_ids: Any) -> dict[uuid.UUID, date]:
    """Each case's first offer of contact: a call attempt, an offering letter or text sent."""
    attempts = db.session.execute(
        select(ContactAttempt.partner_case_id, ContactAttempt.attempted_at).where(
            ContactAttempt.partner_case_id.in_(case_ids)
        )
    ).all()
    letters = db.session.execute(
        select(SentLetter.partner_case_id, SentLetter.sent_at).where(
            SentLetter.partner_case_id.in_(case_ids), SentLetter.purpose.in_(OFFER_LETTERS)
        )
    ).all()
    texts = db.session.execute(
        select(SmsMessage.partner_case_id, SmsMessage.sent_at).where(
            SmsMessage.partner_case_id.in_(case_ids),
            SmsMessage.purpose.in_(OFFER_TEXTS),
            SmsMessage.sent_at.is_not(None),
        )
    ).all()
    return _earliest(_local(clinic, [*attempts, *letters, *texts]))


def _reached_in(
    period: Period, calls: Sequence[tuple[uuid.UUID, date]], answers: Sequence[Any]
) -> int:
    """Partners first reached in the period: a call that reached her, or an answer from her
    (accepting or declining is being reached; "unreachable" is not)."""
    replies = [
        (row.partner_case_id, row.answered_on)
        for row in answers
        if row.answer in ("accepted", "declined")
    ]
    first = _earliest([*calls, *replies])
    return sum(1 for day in first.values() if period.contains(day))


def _answered_in(period: Period, answers: Sequence[Any], answer: str) -> int:
    return len(
        {
            row.partner_case_id
            for row in answers
            if row.answer == answer and period.contains(row.answered_on)
        }
    )


def _not_contacted(
    clinic: Clinic, period: Period, cases: Sequence[Any], decisions: Sequence[Any]
) -> dict[str, int]:
    """Cases whose newest suitability decision in the period was not to contact her."""
    protected = {row.id for row in cases if row.protected_identity}
    newest: dict[uuid.UUID, tuple[datetime, str, str | None]] = {}
    for row in decisions:
        if not period.contains(local_date(row.recorded_at, clinic)):
            continue
        if row.partner_case_id not in newest or row.recorded_at > newest[row.partner_case_id][0]:
            newest[row.partner_case_id] = (row.recorded_at, row.decision, row.reason)
    reasons: Counter[str] = Counter()
    for case_id, (_, decision, reason) in newest.items():
        if decision != "no_contact":
            continue
        if case_id in protected:
            reasons[NOT_BROKEN_DOWN] += 1
        else:
            reasons[reason if reason in NO_CONTACT_REASONS else "other"] += 1
    return {reason: reasons[reason] for reason in NOT_CONTACTED_REASONS}


def _relay_events(clinic_id: int, first: date, last: date) -> list[tuple[str, date]]:
    return [
        (kind, day)
        for kind, day in db.session.execute(
            select(RelayEvent.kind, RelayEvent.occurred_on)
            .join(TreatmentEpisode, TreatmentEpisode.id == RelayEvent.episode_id)
            .join(Client, Client.id == TreatmentEpisode.client_id)
            .where(
                Client.clinic_id == clinic_id,
                RelayEvent.occurred_on >= first,
                RelayEvent.occurred_on <= last,
            )
        )
    ]


def _consultations(clinic: Clinic, first: date, last: date) -> list[tuple[str, date, date | None]]:
    """The consultation requests on the clinic's episodes asked or held within ``first`` to
    ``last``: each one's side, the local day it was asked and the day its talk was held."""
    # Asked: a day's margin either side of the UTC instants, the local days decide below.
    since = datetime.combine(first - timedelta(days=1), time.min, UTC)
    until = datetime.combine(last + timedelta(days=2), time.min, UTC)
    rows = db.session.execute(
        select(Consultation.asked_from, Consultation.asked_at, Consultation.held_on)
        .join(TreatmentEpisode, TreatmentEpisode.id == Consultation.episode_id)
        .join(Client, Client.id == TreatmentEpisode.client_id)
        .where(
            Client.clinic_id == clinic.id,
            or_(
                and_(Consultation.asked_at >= since, Consultation.asked_at < until),
                and_(Consultation.held_on >= first, Consultation.held_on <= last),
            ),
        )
    )
    return [(side, local_date(asked, clinic), held) for side, asked, held in rows]


def _relayed(period: Period, events: Sequence[tuple[str, date]]) -> dict[str, int]:
    kinds = Counter(kind for kind, day in events if period.contains(day))
    return {kind: kinds[kind] for kind in RELAY_KINDS}


def _cases_with_children(
    clinic: Clinic,
    period: Period,
    cases: Sequence[Any],
    children: Sequence[tuple[uuid.UUID, datetime]],
) -> int:
    """Partner cases open during the period with a child recorded by its end."""
    with_child = {
        case_id for case_id, moment in children if local_date(moment, clinic) <= period.end
    }
    return sum(
        1
        for row in cases
        if row.id in with_child
        and local_date(row.created_at, clinic) <= period.end
        and (row.closed_on is None or row.closed_on >= period.start)
    )


def _consent_signed_on(clinic_id: int) -> dict[uuid.UUID, date]:
    """Per episode, the signing date of the consent its first hand-over rested on."""
    rows = db.session.execute(
        select(PartnerHandover.episode_id, PartnerHandover.recorded_at, Consent.signed_on)
        .join(Consent, Consent.id == PartnerHandover.consent_id)
        .where(PartnerHandover.clinic_id == clinic_id)
        .order_by(PartnerHandover.recorded_at)
    ).all()
    signed: dict[uuid.UUID, date] = {}
    for row in rows:
        signed.setdefault(row.episode_id, row.signed_on)
    return signed
