"""A clinic's history written straight into the tables, day by day, for the statistics.

The statistics read rows and their dates; building months of history through the services
would mean moving the clock back and forth for every step. So the rows are written here
as the services would leave them, on the real database, with invented people only. The
sealed columns stay empty: nothing the statistics read is sealed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from partnercontact.auth.models import User
from partnercontact.client_side.cases.models import (
    Client,
    ClientConcernReport,
    TreatmentEpisode,
)
from partnercontact.client_side.consent.models import Consent
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.service import create_data_key, seal_bytes
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
from partnercontact.relay.models import Consultation, RelayEvent
from partnercontact.runtime import current_runtime


def noon(day: date) -> datetime:
    """Midday in UTC: the same calendar day in the clinic's time zone."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


class History:
    def __init__(self, clinic: Clinic, treater: User) -> None:
        runtime = current_runtime()
        self.clinic = clinic
        self.treater = treater
        self.key = create_data_key("case", keyring=runtime.keyring, clock=runtime.clock)
        self.key_id = self.key.id
        self.keyring = runtime.keyring
        self._texts = 0

    def _add(self, row: object) -> object:
        db.session.add(row)
        db.session.flush()
        return row

    def episode(
        self, opened_on: date, *, status: str = "in_treatment", ended_on: date | None = None
    ) -> TreatmentEpisode:
        client = self._add(
            Client(
                clinic_id=self.clinic.id,
                treater_id=self.treater.id,
                data_key_id=self.key_id,
                language="sv",
                created_at=noon(opened_on),
            )
        )
        return self._add(
            TreatmentEpisode(
                client_id=client.id,
                treater_id=self.treater.id,
                status=status,
                opened_on=opened_on,
                started_on=opened_on,
                ended_on=ended_on,
                created_at=noon(opened_on),
            )
        )

    def consent(
        self,
        episode: TreatmentEpisode,
        signed_on: date,
        *,
        state: str = "given",
        withdrawn_on: date | None = None,
    ) -> Consent:
        return self._add(
            Consent(
                clinic_id=self.clinic.id,
                episode_id=episode.id,
                state=state,
                form_version=1,
                form_language="sv",
                contact_letter=True,
                form_of_consent="written",
                place="Lindvik",
                signed_on=signed_on,
                attested_by_id=self.treater.id,
                withdrawn_on=withdrawn_on,
                withdrawn_by_id=self.treater.id if withdrawn_on else None,
                recorded_at=noon(signed_on),
            )
        )

    def partner_case(
        self,
        episode: TreatmentEpisode,
        consent: Consent,
        opened_on: date,
        *,
        protected: bool = False,
        closed_on: date | None = None,
    ) -> PartnerCase:
        case = self._add(
            PartnerCase(
                clinic_id=self.clinic.id,
                episode_id=episode.id,
                data_key_id=self.key_id,
                protected_identity=protected,
                closed_on=closed_on,
                created_at=noon(opened_on),
            )
        )
        self._add(
            PartnerHandover(
                clinic_id=self.clinic.id,
                episode_id=episode.id,
                partner_case_id=case.id,
                consent_id=consent.id,
                data_key_id=self.key_id,
                kind="initial",
                handed_over_on=opened_on,
                recorded_by_id=self.treater.id,
                recorded_at=noon(opened_on),
                protected_identity=protected,
            )
        )
        return case

    def _record(self, model: type, case: PartnerCase, day: date, **values: object) -> object:
        return self._add(
            model(
                partner_case_id=case.id,
                data_key_id=self.key_id,
                recorded_by_id=self.treater.id,
                recorded_at=noon(day),
                **values,
            )
        )

    def decision(self, case: PartnerCase, day: date, decision: str, reason: str | None) -> None:
        self._record(SuitabilityDecision, case, day, decision=decision, reason=reason)

    def answer(self, case: PartnerCase, day: date, answer: str) -> None:
        self._record(PartnerAnswer, case, day, answer=answer, answered_on=day)

    def attempt(self, case: PartnerCase, day: date, outcome: str) -> None:
        self._record(
            ContactAttempt, case, day, attempted_at=noon(day), channel="phone", outcome=outcome
        )

    def child(self, case: PartnerCase, day: date) -> None:
        self._record(Child, case, day, age=7)

    def concern_report(self, case: PartnerCase, day: date) -> None:
        self._record(
            ConcernReport,
            case,
            day,
            reported_on=day,
            board="Socialnämnden i Lindvik",
            reason="witnessing_violence",
        )

    def client_concern_report(self, episode: TreatmentEpisode, day: date) -> None:
        self._add(
            ClientConcernReport(
                id=uuid.uuid4(),
                client_id=episode.client_id,
                clinic_id=self.clinic.id,
                reported_on=day,
                board="Socialnämnden i Lindvik",
                reason="neglect",
                recorded_by_id=self.treater.id,
                recorded_at=noon(day),
            )
        )

    def letter(self, case: PartnerCase, day: date, purpose: str) -> None:
        letter_id = uuid.uuid4()
        self._add(
            SentLetter(
                id=letter_id,
                clinic_id=self.clinic.id,
                partner_case_id=case.id,
                data_key_id=self.key_id,
                purpose=purpose,
                language="sv",
                template_version="1",
                sent_by_id=self.treater.id,
                sent_at=noon(day),
                size_bytes=1,
                document_ct=seal_bytes(
                    self.key,
                    b"%PDF-1.4",
                    keyring=self.keyring,
                    table="sent_letter",
                    column="document",
                    row_id=letter_id,
                ),
            )
        )

    def text(self, case: PartnerCase, day: date, purpose: str, *, sent: bool = True) -> None:
        self._texts += 1
        self._add(
            SmsMessage(
                clinic_id=self.clinic.id,
                partner_case_id=case.id,
                data_key_id=self.key_id,
                idempotency_key=f"seed-{uuid.uuid4().hex}",
                purpose=purpose,
                language="sv",
                template_version="1",
                state="sent" if sent else "queued",
                to_index=f"seed-{self._texts}",
                created_at=noon(day),
                sent_at=noon(day) if sent else None,
                state_changed_at=noon(day),
            )
        )

    def risk_signal(self, episode: TreatmentEpisode, day: date) -> None:
        self._add(
            RelayEvent(
                episode_id=episode.id,
                kind="risk_signal",
                occurred_on=day,
                recorded_by_id=self.treater.id,
                recorded_at=noon(day),
                reason="threats",
                urgency="urgent",
            )
        )

    def consultation(
        self, episode: TreatmentEpisode, side: str, day: date, held_on: date | None = None
    ) -> None:
        self._add(
            Consultation(
                id=uuid.uuid4(),
                episode_id=episode.id,
                asked_from=side,
                reason="coordination",
                asked_by_id=self.treater.id,
                asked_at=noon(day),
                held_on=held_on,
                held_recorded_by_id=self.treater.id if held_on else None,
                held_recorded_at=noon(held_on) if held_on else None,
            )
        )

    def relayed(self, episode: TreatmentEpisode, kind: str, day: date) -> None:
        self._add(
            RelayEvent(
                episode_id=episode.id,
                kind=kind,
                occurred_on=day,
                recorded_by_id=self.treater.id,
                recorded_at=noon(day),
            )
        )
