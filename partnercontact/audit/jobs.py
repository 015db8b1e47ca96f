"""The worker's nightly check of the audit chain.

The rule: one run per UTC calendar day (the "night"), at or after :data:`NIGHTLY_AT` UTC.
A worker that starts later in the day runs it at once; a worker that was down for days runs
only today's (one run checks the whole log anyway). UTC rather than the clinic's zone,
because the log is shared by every clinic of the installation.

Idempotent across ticks and workers: a tick first looks for this night's row and does
nothing if it exists. Two workers racing past that look are kept apart twice: on PostgreSQL
by a transaction-scoped advisory lock that only one of them gets (the other skips the
night's work), and on every database by the unique ``night`` column, which refuses the
second row for the same night (its writes are rolled back).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time

from sqlalchemy import exists, select, text

from partnercontact.audit.runs import AuditVerification, run_verification
from partnercontact.db import db
from partnercontact.runtime import current_runtime

log = logging.getLogger(__name__)

NIGHTLY_AT = time(3, 0)
# A fixed 64-bit key ("pc_avrfy" in ASCII), distinct from the chain's append lock.
NIGHTLY_LOCK_KEY = 0x70635F6176726679


def nightly_due(now: datetime) -> date | None:
    """The night whose run is due at ``now`` (its UTC date), or ``None`` before the hour."""
    moment = now.astimezone(UTC)
    if moment.time() < NIGHTLY_AT:
        return None
    return moment.date()


def _done(night: date) -> bool:
    return bool(
        db.session.scalar(
            select(exists(select(AuditVerification.id).where(AuditVerification.night == night)))
        )
    )


def _claim_on_postgresql() -> bool:
    # Without this, both workers would read the whole log before the unique key sent one
    # away. Transaction-scoped, so it ends with the run's commit or any rollback.
    bind = db.session.get_bind(AuditVerification)
    if bind.dialect.name != "postgresql":
        return True
    return bool(
        db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": NIGHTLY_LOCK_KEY})
    )


def verify_audit_nightly() -> None:
    """Verify the audit chain once this night, if that has not happened yet. The worker's
    duty; commits."""
    night = nightly_due(current_runtime().clock.now())
    if night is None or _done(night):
        db.session.rollback()
        return
    if not _claim_on_postgresql():
        db.session.rollback()
        return
    # Looked at again under the lock: the other worker may have finished and committed
    # between the first look and the lock.
    if _done(night):
        db.session.rollback()
        return
    verification = run_verification("nightly", night=night)
    result = verification.result
    if verification.run is None:
        return
    if result.ok:
        log.info("audit log verified for %s: %s", night.isoformat(), result.reason)
    else:
        log.error(
            "audit log BROKEN at row %s: %s (%d rows before it are intact)",
            result.first_bad_seq,
            result.reason,
            result.rows_checked,
        )
