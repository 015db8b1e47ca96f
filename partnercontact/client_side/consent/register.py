"""The consent register: what managers audit about consents, and nothing more.

A manager audits *metadata* (docs/domain.md, "What managers see"): who
recorded which consent when, on which form, to what, whether it was withdrawn, and what
became of the signed copy. Never the client's name, personal identity number or phone,
never a partner's details, never a clinical note. The queries here therefore select named
columns of ``consent`` (and a username), never whole rows: they cannot load a sealed
column, never join ``client`` and never touch the partner side. A case is named only by a
neutral reference, the first eight hex digits of its treatment episode's id.

Functions take the acting manager first, refuse anyone without
:attr:`Permission.CONSENT_REGISTER_VIEW` (deny by default), see only the actor's clinic,
write one audit entry per listing, detail or export, flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import SCOPES
from partnercontact.client_side.consent.models import Consent
from partnercontact.crypto.models import DataKey
from partnercontact.db import db
from partnercontact.errors import Forbidden, NotFound
from partnercontact.i18n import _l
from partnercontact.policy import Permission, can

if TYPE_CHECKING:
    from sqlalchemy import Select

# The state of a consent as the register names it. The four are mutually exclusive, so
# their counts add up to the number of rows:
#   given              given, not withdrawn, and signed (or verbal where the clinic allows it)
#   signature_pending  given, not withdrawn, written, signed copy not yet attached
#   withdrawn          given, then withdrawn
#   refused            the client said no
STATES = ("given", "signature_pending", "withdrawn", "refused")
ALL_STATES = "all"

# What became of the signed copy.
DOCUMENT_PENDING = "pending"  # a written consent in force, copy not attached yet
DOCUMENT_ATTACHED = "attached"
DOCUMENT_DESTROYED = "destroyed"
DOCUMENT_VERBAL = "verbal"  # no paper exists
DOCUMENT_NONE = "none"  # withdrawn before any copy was attached
DOCUMENT_NOT_APPLICABLE = "not_applicable"  # a refusal

CASE_REFERENCE_LENGTH = 8


@dataclass(frozen=True)
class RegisterFilters:
    """Which consents to list. ``None`` and empty mean "no restriction".

    ``signed_from`` and ``signed_to`` bound ``signed_on`` (the date of a refusal for a
    refusal), both inclusive. ``state`` is one of :data:`STATES` or ``"all"``. ``scopes``
    are scopes every listed consent must include.
    """

    signed_from: date | None = None
    signed_to: date | None = None
    state: str = ALL_STATES
    version: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def query_args(self) -> dict[str, Any]:
        """The filters as query parameters, for links that keep them (the exports)."""
        args: dict[str, Any] = {}
        if self.signed_from:
            args["signed_from"] = self.signed_from.isoformat()
        if self.signed_to:
            args["signed_to"] = self.signed_to.isoformat()
        if self.state != ALL_STATES:
            args["state"] = self.state
        if self.version is not None:
            args["version"] = str(self.version)
        if self.scopes:
            args["scopes"] = [scope for scope in SCOPES if scope in self.scopes]
        return args


@dataclass(frozen=True)
class RegisterRow:
    """One consent's metadata. Carries nothing that identifies the client or the partner."""

    consent_id: uuid.UUID
    case_reference: str
    state: str
    form_version: int
    form_language: str
    scopes: tuple[str, ...]
    form_of_consent: str
    place: str
    signed_on: date
    attested_by: str
    withdrawn_on: date | None
    withdrawn_by: str | None
    document: str
    document_attached_at: datetime | None
    document_destroyed_at: datetime | None
    document_destruction_rule: str | None
    document_key_digest: str | None
    treatment_continues: bool | None
    team_decided_on: date | None


@dataclass(frozen=True)
class TrailEntry:
    """One audit event about a consent: when, what, who (``None``: the system), outcome."""

    at: datetime
    action: str
    actor: str | None
    outcome: str


@dataclass(frozen=True)
class RegisterDetail:
    row: RegisterRow
    trail: tuple[TrailEntry, ...]


def check_filters(filters: RegisterFilters) -> None:
    """Raise :class:`ConsentInvalid` naming the field of the first unacceptable filter."""
    if filters.state != ALL_STATES and filters.state not in STATES:
        raise ConsentInvalid(_l("Choose a state from the list."), field="state")
    if filters.version is not None and (
        isinstance(filters.version, bool)
        or not isinstance(filters.version, int)
        or filters.version < 1
    ):
        raise ConsentInvalid(
            _l("The form version is a whole number; leave it empty for any version."),
            field="version",
        )
    if not set(filters.scopes) <= set(SCOPES):
        raise ConsentInvalid(_l("Unknown consent scope."), field="scopes")
    if filters.signed_from and filters.signed_to and filters.signed_from > filters.signed_to:
        raise ConsentInvalid(
            _l("The end of the period cannot be before its start."), field="signed_to"
        )


def _require_permission(actor: User) -> None:
    # Deny by default: the route guard already keeps everyone else out, and this check
    # keeps the register closed to a job, a command or a future view that forgets it.
    if not can(actor, Permission.CONSENT_REGISTER_VIEW):
        raise Forbidden(_l("You may not view the consent register."), field="actor")


_attester = aliased(User, name="attester")
_withdrawer = aliased(User, name="withdrawer")

# Named columns only. Adding a column here is adding it to what managers see: never a
# sealed column, never anything from ``client`` or the partner side.
_ROW_COLUMNS = (
    Consent.id,
    Consent.episode_id,
    Consent.state,
    Consent.form_version,
    Consent.form_language,
    *(getattr(Consent, scope) for scope in SCOPES),
    Consent.form_of_consent,
    Consent.place,
    Consent.signed_on,
    Consent.withdrawn_on,
    Consent.document_attached_at,
    Consent.document_destroyed_at,
    Consent.document_destruction_rule,
    Consent.document_key_digest,
    Consent.treatment_continues,
    Consent.team_decided_on,
    _attester.username.label("attested_by"),
    _withdrawer.username.label("withdrawn_by"),
)


def _base_query(actor: User) -> Select[Any]:
    return (
        select(*_ROW_COLUMNS)
        .join(_attester, _attester.id == Consent.attested_by_id)
        .outerjoin(_withdrawer, _withdrawer.id == Consent.withdrawn_by_id)
        .where(Consent.clinic_id == actor.clinic_id)
    )


def _state_condition(state: str) -> Any:
    in_force = and_(Consent.state == "given", Consent.withdrawn_on.is_(None))
    if state == "refused":
        return Consent.state == "refused"
    if state == "withdrawn":
        return and_(Consent.state == "given", Consent.withdrawn_on.is_not(None))
    if state == "signature_pending":
        return and_(
            in_force,
            Consent.form_of_consent == "written",
            Consent.document_attached_at.is_(None),
        )
    return and_(
        in_force,
        or_(Consent.form_of_consent != "written", Consent.document_attached_at.is_not(None)),
    )


def _filtered(actor: User, filters: RegisterFilters) -> Select[Any]:
    query = _base_query(actor)
    if filters.signed_from is not None:
        query = query.where(Consent.signed_on >= filters.signed_from)
    if filters.signed_to is not None:
        query = query.where(Consent.signed_on <= filters.signed_to)
    if filters.state != ALL_STATES:
        query = query.where(_state_condition(filters.state))
    if filters.version is not None:
        query = query.where(Consent.form_version == filters.version)
    for scope in sorted(filters.scopes):
        query = query.where(getattr(Consent, scope).is_(True))
    return query.order_by(Consent.signed_on.desc(), Consent.recorded_at.desc(), Consent.id)


def state_of(record: Any) -> str:
    """The state the register (and the client's treater) names a consent or refusal by."""
    if record.state == "refused":
        return "refused"
    if record.withdrawn_on is not None:
        return "withdrawn"
    if record.form_of_consent == "written" and record.document_attached_at is None:
        return "signature_pending"
    return "given"


def document_of(record: Any) -> str:
    """What became of the signed copy, as one of the ``DOCUMENT_*`` keys."""
    if record.state == "refused":
        return DOCUMENT_NOT_APPLICABLE
    if record.document_destroyed_at is not None:
        return DOCUMENT_DESTROYED
    if record.document_attached_at is not None:
        return DOCUMENT_ATTACHED
    if record.form_of_consent == "verbal":
        return DOCUMENT_VERBAL
    if record.withdrawn_on is None:
        return DOCUMENT_PENDING
    return DOCUMENT_NONE


def _row(record: Any) -> RegisterRow:
    return RegisterRow(
        consent_id=record.id,
        case_reference=record.episode_id.hex[:CASE_REFERENCE_LENGTH],
        state=state_of(record),
        form_version=record.form_version,
        form_language=record.form_language,
        scopes=tuple(scope for scope in SCOPES if getattr(record, scope)),
        form_of_consent=record.form_of_consent,
        place=record.place,
        signed_on=record.signed_on,
        attested_by=record.attested_by,
        withdrawn_on=record.withdrawn_on,
        withdrawn_by=record.withdrawn_by,
        document=document_of(record),
        document_attached_at=record.document_attached_at,
        document_destroyed_at=record.document_destroyed_at,
        document_destruction_rule=record.document_destruction_rule,
        document_key_digest=record.document_key_digest,
        treatment_continues=record.treatment_continues,
        team_decided_on=record.team_decided_on,
    )


def _rows(actor: User, filters: RegisterFilters) -> list[RegisterRow]:
    _require_permission(actor)
    check_filters(filters)
    return [_row(record) for record in db.session.execute(_filtered(actor, filters))]


def _audit(action: AuditAction, actor: User, resource_type: str, resource_id: str | None) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type=resource_type,
        resource_id=resource_id,
    )


def register_rows(actor: User, filters: RegisterFilters) -> list[RegisterRow]:
    """The consents of the actor's clinic matching ``filters``, newest first; audited.

    Raises :class:`Forbidden` for an actor without the register permission and
    :class:`ConsentInvalid` (naming the field) for unacceptable filters.
    """
    rows = _rows(actor, filters)
    _audit(AuditAction.CONSENT_REGISTER_VIEWED, actor, "consent_register", None)
    return rows


def export_rows(actor: User, filters: RegisterFilters) -> list[RegisterRow]:
    """The rows of :func:`register_rows`, audited as an export (the files are written in
    :mod:`partnercontact.client_side.consent.register_export`)."""
    rows = _rows(actor, filters)
    _audit(AuditAction.CONSENT_REGISTER_EXPORTED, actor, "consent_register", None)
    return rows


def count_by_state(rows: Sequence[RegisterRow]) -> dict[str, int]:
    """How many of ``rows`` are in each of :data:`STATES` (every state present, maybe 0)."""
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row.state] += 1
    return counts


def _document_key_id(consent_id: uuid.UUID, digest: str | None) -> uuid.UUID | None:
    key_id = db.session.scalar(select(Consent.document_key_id).where(Consent.id == consent_id))
    if key_id is None and digest:
        # The digest names the destroyed key even if the consent no longer points at it.
        key_id = db.session.scalar(select(DataKey.id).where(DataKey.shred_digest == digest))
    return key_id


def _trail(consent_id: uuid.UUID, key_id: uuid.UUID | None) -> tuple[TrailEntry, ...]:
    about_consent = and_(
        AuditEvent.resource_type == "consent", AuditEvent.resource_id == str(consent_id)
    )
    condition: Any = about_consent
    if key_id is not None:
        condition = or_(
            about_consent,
            and_(
                AuditEvent.resource_type == "data_key",
                AuditEvent.resource_id == str(key_id),
                AuditEvent.action == AuditAction.DATAKEY_SHREDDED.value,
            ),
        )
    events = db.session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.outcome, User.username)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(condition)
        .order_by(AuditEvent.seq)
    )
    return tuple(
        TrailEntry(at=event.at, action=event.action, actor=event.username, outcome=event.outcome)
        for event in events
    )


def register_detail(actor: User, consent_id: uuid.UUID) -> RegisterDetail:
    """One consent's metadata and its audit trail, oldest event first; audited as a read.

    :class:`NotFound` for an unknown consent and for another clinic's alike, so the answer
    does not reveal that it exists.
    """
    _require_permission(actor)
    record = db.session.execute(_base_query(actor).where(Consent.id == consent_id)).first()
    if record is None:
        raise NotFound(_l("There is no such consent."), field="consent")
    row = _row(record)
    trail = _trail(consent_id, _document_key_id(consent_id, row.document_key_digest))
    _audit(AuditAction.CONSENT_REGISTER_VIEWED, actor, "consent", str(consent_id))
    return RegisterDetail(row=row, trail=trail)
