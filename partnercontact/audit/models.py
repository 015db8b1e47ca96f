"""The audit log table.

One row per event, chained to the row before it by ``mac`` (see :mod:`.chain`). The columns
are identifiers and closed vocabularies only: who (``actor_id``), where (``clinic_id``),
what (``action``, ``outcome``), to which record (``resource_type``, ``resource_id``), when
(``at``). There is deliberately no free-text column and no column for personal data, so a
manager reading the log learns who opened which record, never what was in it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime

ACTION_MAX = 64
RESOURCE_TYPE_MAX = 64
RESOURCE_ID_MAX = 128
OUTCOME_MAX = 16
MAC_HEX_LENGTH = 64


class AuditEvent(Model):
    """One entry of the append-only, hash-chained audit log.

    Rows are created only by :func:`partnercontact.audit.service.record_event` and never
    changed afterwards; on PostgreSQL :func:`partnercontact.audit.ddl.protect_audit_table`
    makes the database refuse any change.
    """

    __tablename__ = "audit_event"
    # The access log reads one clinic's rows newest first from a place in the log
    # (partnercontact.audit.access_log). Whole, by period and by actor, an index that starts
    # with the clinic (and the actor) and ends in the page's order serves the page, so it
    # reads about the rows it shows; a record's rows are found through the record.
    __table_args__ = (
        Index("ix_audit_event_resource", "resource_type", "resource_id"),
        Index("ix_audit_event_clinic_at_seq", "clinic_id", "at", "seq"),
        Index("ix_audit_event_clinic_actor_at_seq", "clinic_id", "actor_id", "at", "seq"),
    )

    # Assigned by the service as the previous row's seq + 1, never by a database sequence:
    # a sequence leaves gaps on rollback, and the verifier treats a gap as a deleted row.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No foreign keys to user_account or clinic: an audit row must outlive the account and
    # the clinic it names, and a cascading SET NULL or DELETE would be a change to history
    # (which the PostgreSQL trigger refuses anyway, so it would break the user's deletion).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    clinic_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(ACTION_MAX))
    resource_type: Mapped[str] = mapped_column(String(RESOURCE_TYPE_MAX))
    resource_id: Mapped[str | None] = mapped_column(String(RESOURCE_ID_MAX))
    outcome: Mapped[str] = mapped_column(String(OUTCOME_MAX))
    # HMAC-SHA256 in lowercase hex over this row's fields and the previous row's mac.
    mac: Mapped[str] = mapped_column(String(MAC_HEX_LENGTH))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.seq} {self.action} {self.outcome}>"


class AccessInvestigation(Model):
    """A manager's reasoned look at the detailed trail of one partner case.

    The access log shows managers partner-side records generalised to "read" and "changed";
    the tags themselves (contact, her answer, children, reports, messages) would tell her
    story case by case. Seeing them is an investigation: it names a reason from a closed list
    and the clinic's own reference (a diary number), and the treater who holds the case sees
    that it happened.
    """

    __tablename__ = "access_investigation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
