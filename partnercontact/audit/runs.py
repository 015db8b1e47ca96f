"""A record of every verification of the audit chain: when it ran, what it found.

Kept in its own table, ``audit_verification``, and deliberately *outside* the chained log:
a broken log must never be appended to (see :mod:`partnercontact.cli.audit`), yet a failed
check is exactly what the managers and administrators must learn about. The rows hold the
verifier's verdict only: times, counts, the first bad seq and the verifier's own reason text,
which names rows and never their content.

:func:`run_verification` is the one code path for ``partnercontact audit verify`` and the
worker's nightly check (:mod:`partnercontact.audit.jobs`), so a manual run shows on the pages
just as a nightly one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import BigInteger, CheckConstraint, Date, String, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.audit.service import audit_mac_key, record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.audit.verify import ChainHead, Progress, VerifyResult, verify_chain
from partnercontact.db import Model, UTCDateTime, db
from partnercontact.runtime import current_runtime

REASON_MAX = 300
TRIGGER_MAX = 16
TRIGGERS = ("nightly", "command")
Trigger = Literal["nightly", "command"]
# The nightly check runs once a day; after this long without any run, the worker is not
# running it (stopped, or the duty fails), and that is itself worth an alert.
OVERDUE_AFTER = timedelta(hours=48)


class AuditVerification(Model):
    """One run of :func:`partnercontact.audit.verify.verify_chain` and its verdict.

    ``night`` is the UTC date a nightly run belongs to and ``None`` for a run from the
    command line. It is unique, so two workers racing for the same night cannot both
    record it (NULLs never collide, so manual runs are unrestricted).
    """

    __tablename__ = "audit_verification"
    __table_args__ = (CheckConstraint("trigger IN ('nightly', 'command')", name="trigger"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool]
    rows_checked: Mapped[int] = mapped_column(BigInteger)
    first_bad_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    trigger: Mapped[str] = mapped_column(String(TRIGGER_MAX))
    night: Mapped[date | None] = mapped_column(Date, unique=True)

    def __repr__(self) -> str:
        return f"<AuditVerification {self.id} {self.trigger} ok={self.ok}>"


@dataclass(frozen=True)
class Verification:
    """What :func:`run_verification` found, and the row recording it (``None`` if the run
    was not recorded: ``record=False``, or another worker recorded the same night first)."""

    result: VerifyResult
    run: AuditVerification | None


def _bounded(reason: str) -> str:
    # The reason can quote a value an attacker wrote into the table (an unreadable date);
    # the column is bounded, and so is what a page shows of it.
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


def record_verification(
    result: VerifyResult,
    *,
    trigger: Trigger,
    started_at: datetime,
    finished_at: datetime,
    night: date | None = None,
) -> AuditVerification:
    """Add a row recording ``result`` to the current transaction; flush, never commit.

    Raises ``ValueError`` for an unknown ``trigger`` or a nightly run without its night, and
    :class:`sqlalchemy.exc.IntegrityError` (on flush) if ``night`` is already recorded.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}, not {trigger!r}")
    if (trigger == "nightly") != (night is not None):
        raise ValueError("a nightly run names its night, and only a nightly run does")
    run = AuditVerification(
        started_at=started_at,
        finished_at=finished_at,
        ok=result.ok,
        rows_checked=result.rows_checked,
        first_bad_seq=result.first_bad_seq,
        reason=_bounded(result.reason),
        trigger=trigger,
        night=night,
    )
    db.session.add(run)
    db.session.flush()
    return run


def latest_verification() -> AuditVerification | None:
    """The most recent run, by its start (one row read through the ``started_at`` index)."""
    return db.session.scalar(
        select(AuditVerification)
        .order_by(AuditVerification.started_at.desc(), AuditVerification.id.desc())
        .limit(1)
    )


def run_verification(
    trigger: Trigger,
    *,
    head: ChainHead | None = None,
    record: bool = True,
    night: date | None = None,
    on_progress: Progress | None = None,
) -> Verification:
    """Verify the whole chain (against ``head`` if given), record the run, and commit.

    With ``record`` (the default) the run is stored in ``audit_verification`` whatever the
    verdict, and an intact log also gets an ``audit.verified`` event naming the last row
    vouched for. A broken log gets no event: nothing is ever appended to a broken chain.
    Without ``record`` nothing at all is written (a read-only replica or role).

    For a nightly run (``night`` given), if another worker has recorded the same night
    meanwhile, this run's writes are rolled back and ``run`` is ``None``.

    ``on_progress(done, total)`` is passed on to :func:`verify_chain` (rows checked so far).
    """
    clock = current_runtime().clock
    started_at = clock.now()
    result = verify_chain(db.session, audit_mac_key(), head=head, on_progress=on_progress)
    finished_at = clock.now()
    if not record:
        db.session.rollback()
        return Verification(result, None)
    try:
        run = record_verification(
            result, trigger=trigger, started_at=started_at, finished_at=finished_at, night=night
        )
    except IntegrityError:
        if night is None:
            raise
        db.session.rollback()
        return Verification(result, None)
    if result.ok:
        # Recorded after the verdict and outside what was checked, so it cannot change it;
        # resource_id names the last row vouched for, since rows appended meanwhile were not.
        record_event(
            AuditAction.AUDIT_VERIFIED,
            actor_id=None,
            resource_type="audit_log",
            resource_id=str(result.tail.seq) if result.tail is not None else None,
            outcome=Outcome.OK,
        )
    db.session.commit()
    return Verification(result, run)


@dataclass(frozen=True)
class AuditStatus:
    """What the alert banner needs to know.

    ``failure`` is the latest failed run that no later run *from the command line* found
    intact, else ``None``. A nightly success does not clear a failure: the nightly check has
    no exported head, so it cannot see a cut-off tail that a check with ``--head`` found;
    only the people who run the installation, checking again by hand, can. ``last_run_at``
    is the start of the latest run of any kind (``None`` if there never was one), and
    ``overdue`` says it is older than :data:`OVERDUE_AFTER`.
    """

    failure: AuditVerification | None
    last_run_at: datetime | None
    overdue: bool

    @property
    def alert(self) -> bool:
        return self.failure is not None or self.overdue


def audit_status(now: datetime) -> AuditStatus:
    """The state of the audit checks at ``now``, in one query over the ``started_at`` index:
    the latest start of any run, joined to the latest row that is a failure or a manual run.
    """
    sticky = (
        select(AuditVerification.id)
        .where(or_(AuditVerification.ok == false(), AuditVerification.trigger == "command"))
        .order_by(AuditVerification.started_at.desc(), AuditVerification.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last = select(func.max(AuditVerification.started_at).label("at")).subquery()
    row: tuple[datetime | None, AuditVerification | None] = db.session.execute(
        select(last.c.at, AuditVerification)
        .select_from(last)
        .outerjoin(AuditVerification, AuditVerification.id == sticky)
    ).one()
    last_run_at, latest_sticky = row
    if last_run_at is not None and last_run_at.tzinfo is None:
        last_run_at = last_run_at.replace(tzinfo=UTC)
    failure = latest_sticky if latest_sticky is not None and not latest_sticky.ok else None
    overdue = last_run_at is not None and now - last_run_at > OVERDUE_AFTER
    return AuditStatus(failure=failure, last_run_at=last_run_at, overdue=overdue)
