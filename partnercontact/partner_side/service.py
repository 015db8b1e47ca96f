"""The partner side's loaders: the inbox, picking up a case, and reading a partner's details.

Every read of a partner case goes through :func:`partner_case_for`, which shows a case only to
the partner-contact treater who holds it (or, before anyone holds it, to the partner-contact
treaters of its clinic, so it can be picked up). Anyone else gets :class:`PartnerCaseNotFound`,
the same answer as for a case that does not exist. The partner's details are read only through
:func:`partner_details`, which withholds a protected partner's details from anyone not named
for her. Reads and changes are audited with no personal content. Functions flush, never commit.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import keep_data_keys
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.models import (
    PartnerCase,
    PartnerDetails,
    PartnerHandover,
    ProtectedAccess,
    TreaterException,
)
from partnercontact.policy import Permission, Role, can
from partnercontact.relay.reads import client_treater_of, episodes_treated_by
from partnercontact.remembered import remembered
from partnercontact.runtime import current_runtime
from partnercontact.staffing.cover import covering_for, scope_parameters

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Column, FromClause, Row, Select


class PartnerCaseNotFound(NotFound):
    """No such partner case, or not one the actor may know of."""


def not_on_case() -> PartnerCaseNotFound:
    """The answer for a record addressed by its id that is not on the case (a task, a child,
    a plan, a relayed event): exactly that of a case that is not the actor's, same error,
    message and field, so a 404 page never tells the one from the other."""
    return PartnerCaseNotFound(_l("There is no such partner case among yours."), field="case")


def audit(action: AuditAction, actor: User, partner_case: PartnerCase | uuid.UUID) -> None:
    """Record ``action`` on a partner case: who, when, which case; nothing else."""
    case_id = partner_case if isinstance(partner_case, uuid.UUID) else partner_case.id
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="partner_case",
        resource_id=str(case_id),
    )


# The wall's scopes of partner cases, built once as conditions on the parameters of
# :func:`actor_parameters`: the statements every treater runs many times a day are built once
# on them (building a statement cost more than running it), the others bind them per call.
@functools.cache
def _held() -> ColumnElement[bool]:
    # The actor's own cases, and those of the treaters the actor covers today, but never a
    # case whose client the actor (or another treater the actor covers) treats.
    return or_(
        PartnerCase.treater_id == bindparam("actor_id"),
        and_(
            PartnerCase.treater_id.in_(bindparam("covered_ids", expanding=True)),
            PartnerCase.episode_id.not_in(
                episodes_treated_by(bindparam("acting_ids", expanding=True))
            ),
        ),
    )


@functools.cache
def visible_to_actor() -> ColumnElement[bool]:
    """The cases an actor may see: their own clinic's, and of those only the ones they hold
    (or cover for an absent colleague) or that nobody holds yet (so that one can pick them
    up)."""
    return and_(
        PartnerCase.clinic_id == bindparam("actor_clinic_id"),
        or_(_held(), PartnerCase.treater_id.is_(None)),
    )


@functools.cache
def held_by_actor() -> ColumnElement[bool]:
    """The cases an actor holds or covers, within what :func:`visible_to_actor` lets them
    see."""
    return and_(PartnerCase.clinic_id == bindparam("actor_clinic_id"), _held())


def held_condition() -> ColumnElement[bool]:
    """Of the cases of :func:`visible_to_actor`, those the actor works (holds or covers), as
    a condition on the same parameters."""
    return _held()


def actor_parameters(actor: User) -> dict[str, Any]:
    """The parameters of :func:`visible_to_actor` and :func:`held_by_actor` for ``actor``.
    Deny by default: for anyone who may not work on partner cases they are NULL, which no
    case's clinic equals, so the statement finds nothing."""
    return scope_parameters(actor, allowed=can(actor, Permission.PARTNER_CASES_WORK))


def _visible_cases(actor: User) -> Select[PartnerCase]:
    return select(PartnerCase).where(visible_to_actor()).params(actor_parameters(actor))


def held_cases(actor: User) -> Select[PartnerCase]:
    """The cases ``actor`` holds (:func:`held_by_actor`), as a statement to build on."""
    return select(PartnerCase).where(held_by_actor()).params(actor_parameters(actor))


def count_on_held_cases(
    actor: User, case_id: InstrumentedAttribute[uuid.UUID], condition: ColumnElement[bool]
) -> int:
    """How many rows meeting ``condition`` belong to the cases ``actor`` holds (``case_id``:
    the rows' column naming their case). Nothing is unsealed."""
    held = held_cases(actor).with_only_columns(PartnerCase.id)
    return db.session.scalar(select(func.count()).where(case_id.in_(held), condition)) or 0


def is_named_for(actor: User, partner_case: PartnerCase) -> bool:
    """Whether ``actor`` may see the details of this partner (always, unless she is
    protected; then only staff named for her, and a colleague covering her named treater
    while the cover lasts)."""
    if not partner_case.protected_identity:
        return True
    holder = partner_case.treater_id
    # Only a case held by someone else can be one the actor covers.
    covering = holder not in (None, actor.id) and holder in covering_for(actor)

    def load() -> bool:
        named = _named(partner_case.id, actor.id)
        if covering:
            named = or_(named, _named(partner_case.id, holder))
        return bool(db.session.scalar(select(named)))

    return remembered(("named_for", actor.id, partner_case.id), load)


def _named(case_id: Any, user_id: Any) -> ColumnElement[bool]:
    """Whether the user is named for the partner of the case (values or columns)."""
    return exists().where(
        ProtectedAccess.partner_case_id == case_id, ProtectedAccess.user_id == user_id
    )


@dataclass(frozen=True)
class InboxItem:
    case_id: uuid.UUID
    reference: str
    handed_over_on: date
    held_by_me: bool
    answer: str
    protected: bool
    # None where the partner is protected and the actor is not named for her.
    partner_name: str | None
    # Held by a colleague the actor covers today (held_by_me is then true too: the actor
    # works it).
    covered: bool = False


def clinic_of(partner_case: PartnerCase) -> Clinic:
    clinic = db.session.get(Clinic, partner_case.clinic_id)
    assert clinic is not None  # a foreign key: a case always has its clinic
    return clinic


def reference_of(partner_case: PartnerCase) -> str:
    """A neutral reference for lists and headings: never her name."""
    return reference_of_id(partner_case.id)


def reference_of_id(case_id: uuid.UUID) -> str:
    """:func:`reference_of` for a page that loaded only the case's id."""
    return case_id.hex[:8]


def episodes_of_case(case_id: Any) -> Select[uuid.UUID]:
    """The treatment episodes a case has served (``case_id``: an id, or a column to correlate
    with): the one it was opened in, and any it followed the client into since. Its relayed
    events are those of all of them."""
    return select(PartnerHandover.episode_id).where(PartnerHandover.partner_case_id == case_id)


def latest_note(partner_case: PartnerCase) -> PartnerHandover | None:
    """The newest hand-over note of the case: the details that count now."""
    return db.session.scalar(
        select(PartnerHandover)
        .where(PartnerHandover.partner_case_id == partner_case.id)
        .order_by(PartnerHandover.recorded_at.desc(), PartnerHandover.id)
        .limit(1)
    )


@functools.cache
def inbox_statement(dialect: str) -> Select[Any]:
    """The inbox's rows for the actor of :func:`actor_parameters`, on the database ``dialect``
    names; :func:`inbox_items` makes them its items. (The home page adds columns of its own:
    ``waiting``.)"""
    # Built once: it is every partner-contact treater's landing page. Each case the actor may
    # see, with the newest hand-over note's date and, where the actor may read it, the
    # partner's sealed name and the data key that unseals it: a protected partner's name is
    # not even read for anyone not named for her.
    may_read = or_(
        not_(PartnerCase.protected_identity),
        _named(PartnerCase.id, bindparam("actor_id")),
        and_(
            PartnerCase.treater_id.in_(bindparam("covered_ids", expanding=True)),
            _named(PartnerCase.id, PartnerCase.treater_id),
        ),
    )
    newest_note = (
        select(
            PartnerHandover.handed_over_on,
            PartnerHandover.seal_id,
            PartnerHandover.data_key_id,
            cast("Column[bytes]", PartnerHandover.__table__.c.name_ct),
        )
        .where(PartnerHandover.partner_case_id == PartnerCase.id)
        .order_by(PartnerHandover.recorded_at.desc(), PartnerHandover.id)
        .limit(1)
    )
    note: FromClause
    if dialect == "postgresql":
        # Each case's newest note by the index of the notes' case. Joined on a correlated
        # id instead, PostgreSQL hashes every note in the database.
        note = newest_note.lateral("newest_note")
        joined = select(PartnerCase).outerjoin(note, true())
    else:
        # SQLite has no LATERAL; it looks the note's id up case by case anyway.
        newest_id = newest_note.with_only_columns(PartnerHandover.id).scalar_subquery()
        note = PartnerHandover.__table__.alias("newest_note")
        joined = select(PartnerCase).outerjoin(note, note.c.id == newest_id)
    return (
        joined.with_only_columns(
            PartnerCase.id,
            PartnerCase.created_at,
            PartnerCase.treater_id,
            PartnerCase.answer,
            PartnerCase.protected_identity,
            note.c.handed_over_on,
            note.c.seal_id,
            case((may_read, note.c.name_ct), else_=None).label("name_ct"),
            DataKey,
        )
        .where(visible_to_actor())
        .outerjoin(DataKey, and_(may_read, DataKey.id == note.c.data_key_id))
        .order_by(PartnerCase.created_at.desc(), PartnerCase.id)
    )


def inbox_dialect() -> str:
    """The name of the database the inbox is read from, for :func:`inbox_statement`."""
    return db.session.get_bind(PartnerCase).dialect.name


def inbox(actor: User) -> list[InboxItem]:
    """Hand-overs waiting to be picked up and the cases ``actor`` holds, newest first, in one
    statement however many cases.

    A protected partner is listed without her name unless ``actor`` is named for her.
    """
    statement = inbox_statement(inbox_dialect())
    return inbox_items(actor, db.session.execute(statement, actor_parameters(actor)))


def inbox_items(actor: User, rows: Iterable[Row[Any]]) -> list[InboxItem]:
    """The items of the rows of :func:`inbox_statement`, read by ``actor``: opening the inbox
    is audited as one read."""
    table = PartnerHandover.__table__.name
    items = [
        InboxItem(
            case_id=row.id,
            reference=reference_of_id(row.id),
            handed_over_on=row.handed_over_on or row.created_at.date(),
            held_by_me=row.treater_id is not None,
            covered=row.treater_id not in (None, actor.id),
            answer=row.answer,
            protected=row.protected_identity,
            partner_name=PartnerHandover.name.unseal_column(
                row.DataKey, row.name_ct, table=table, seal_id=row.seal_id
            )
            if row.DataKey is not None
            else None,
        )
        for row in rows
    ]
    record_event(
        AuditAction.PARTNER_INBOX_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="partner_inbox",
    )
    return items


@functools.cache
def _visible_case() -> Select[PartnerCase, DataKey]:
    # With its data key: whatever page reads the case goes on to unseal a field of it.
    return (
        select(PartnerCase, DataKey)
        .outerjoin(DataKey, DataKey.id == PartnerCase.data_key_id)
        .where(visible_to_actor(), PartnerCase.id == bindparam("case_id"))
    )


def _load_visible_case(actor: User, case_id: uuid.UUID) -> PartnerCase | None:
    row = db.session.execute(
        _visible_case(), {**actor_parameters(actor), "case_id": case_id}
    ).first()
    if row is None:
        return None
    keep_data_keys([row.DataKey])
    return row.PartnerCase


def partner_case_for(actor: User, case_id: uuid.UUID, *, audited: bool = True) -> PartnerCase:
    """One partner case ``actor`` may work on, or :class:`PartnerCaseNotFound`."""
    partner_case = remembered(
        ("visible_case", actor.id, case_id), lambda: _load_visible_case(actor, case_id)
    )
    if partner_case is None:
        raise PartnerCaseNotFound(_l("There is no such partner case among yours."), field="case")
    if audited:
        audit(AuditAction.PARTNER_CASE_VIEWED, actor, partner_case)
    return partner_case


def works_on(actor: User, partner_case: PartnerCase) -> bool:
    """Whether ``actor`` works the case: holds it, or covers its holder today. (For a case
    read through :func:`partner_case_for`, whose scope already keeps a covering colleague off
    the other side of a client they treat.)"""
    holder = partner_case.treater_id
    return holder is not None and (holder == actor.id or holder in covering_for(actor))


def lock_case(partner_case: PartnerCase) -> None:
    """Take the case's row lock for the rest of the transaction (PostgreSQL; SQLite serialises
    writers anyway), so that two requests deciding on the same case see each other's work."""
    db.session.execute(
        select(PartnerCase.id).where(PartnerCase.id == partner_case.id).with_for_update()
    )


def held_case_for(actor: User, case_id: uuid.UUID, *, audited: bool = True) -> PartnerCase:
    """A partner case ``actor`` holds: the only kind anything can be recorded on.

    ``audited=False`` is for building a page whose own loader audits the read."""
    partner_case = partner_case_for(actor, case_id, audited=audited)
    # A visible case somebody holds is the actor's or one the actor covers.
    if partner_case.treater_id is None:
        raise Conflict(_l("Pick up the case before working on it."), field="case")
    return partner_case


def has_treater_exception(user: User, episode_id: uuid.UUID) -> bool:
    """Whether an administrator let ``user`` hold both treater roles of the episode."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    TreaterException.episode_id == episode_id,
                    TreaterException.user_id == user.id,
                )
            )
        )
    )


def pick_up(actor: User, case_id: uuid.UUID) -> PartnerCase:
    """Make ``actor`` the partner-contact treater of a case nobody holds yet.

    The client's own treater may not also hold the partner side, unless an administrator has
    recorded an exception for that person and case.
    """
    partner_case = partner_case_for(actor, case_id)
    if partner_case.treater_id is not None:
        raise Conflict(_l("The case is already held by a partner-contact treater."), field="case")
    client_treater_id = client_treater_of(partner_case.episode_id)
    if client_treater_id == actor.id and not has_treater_exception(actor, partner_case.episode_id):
        raise Conflict(_l("You treat the client: the partner needs another treater."), field="case")
    partner_case.treater_id = actor.id
    partner_case.assigned_at = current_runtime().clock.now()
    if partner_case.protected_identity:
        # Whoever takes on a protected partner must be able to work with her.
        name_for_partner(partner_case, actor, granted_by=actor)
    db.session.flush()
    audit(AuditAction.PARTNER_CASE_ASSIGNED, actor, partner_case)
    return partner_case


@dataclass(frozen=True)
class HandoverEntry:
    kind: str
    handed_over_on: date
    details: PartnerDetails
    note_id: uuid.UUID | None = None
    # A correction not yet shown to one who works the case (it waits on the worklist).
    unseen: bool = False


def partner_details(actor: User, partner_case: PartnerCase) -> list[HandoverEntry] | None:
    """Every hand-over note of the case, newest first, or None if ``actor`` may not see a
    protected partner's details. Audited as a read of her details either way."""
    if not is_named_for(actor, partner_case):
        return None
    # With the data keys that unseal them, in the same statement.
    rows = db.session.execute(
        select(PartnerHandover, DataKey)
        .outerjoin(DataKey, DataKey.id == PartnerHandover.data_key_id)
        .where(PartnerHandover.partner_case_id == partner_case.id)
        .order_by(PartnerHandover.recorded_at.desc())
    ).all()
    keep_data_keys(data_key for _, data_key in rows)
    notes = [note for note, _ in rows]
    entries = [
        HandoverEntry(
            kind=note.kind,
            handed_over_on=note.handed_over_on,
            note_id=note.id,
            unseen=note.kind == "correction" and note.seen_at is None,
            details=PartnerDetails(
                name=note.name or "",
                phone=note.phone,
                address=note.address,
                relation=note.relation or "",
                children_in_common=note.children_in_common or "",
                protected_identity=note.protected_identity,
            ),
        )
        for note in notes
    ]
    audit(AuditAction.PARTNER_DETAILS_VIEWED, actor, partner_case)
    return entries


def mark_corrections_seen(entries: list[HandoverEntry], at: datetime) -> None:
    """The corrections among ``entries`` were shown to one who works the case: they leave her
    treater's worklist."""
    unseen = [entry.note_id for entry in entries if entry.unseen]
    if not unseen:
        return
    db.session.execute(
        update(PartnerHandover)
        .where(PartnerHandover.id.in_(unseen), PartnerHandover.seen_at.is_(None))
        .values(seen_at=at)
    )


def name_for_partner(partner_case: PartnerCase, user: User, *, granted_by: User) -> None:
    """Name ``user`` for a protected partner (once: a second naming changes nothing)."""
    if db.session.scalar(
        select(
            exists().where(
                ProtectedAccess.partner_case_id == partner_case.id,
                ProtectedAccess.user_id == user.id,
            )
        )
    ):
        return
    db.session.add(
        ProtectedAccess(
            partner_case_id=partner_case.id,
            user_id=user.id,
            granted_by_id=granted_by.id,
            granted_at=current_runtime().clock.now(),
        )
    )


def mark_protected(actor: User, case_id: uuid.UUID) -> PartnerCase:
    """Mark the partner as having protected personal data. Only the treater holding the case
    does it, and is named for her at once."""
    partner_case = held_case_for(actor, case_id)
    partner_case.protected_identity = True
    name_for_partner(partner_case, actor, granted_by=actor)
    db.session.flush()
    audit(AuditAction.PARTNER_PROTECTED_MARKED, actor, partner_case)
    return partner_case


def name_staff(actor: User, case_id: uuid.UUID, user_id: int) -> None:
    """Name another partner-contact treater of the clinic to see a protected partner."""
    partner_case = held_case_for(actor, case_id)
    if not is_named_for(actor, partner_case):
        raise PartnerCaseNotFound(_l("There is no such partner case among yours."), field="case")
    user = db.session.get(User, user_id)
    if (
        user is None
        or user.clinic_id != actor.clinic_id
        or user.role != Role.PARTNER_TREATER
        or user.disabled_at is not None
    ):
        raise NotFound(_l("Choose a partner-contact treater of the clinic."), field="user_id")
    name_for_partner(partner_case, user, granted_by=actor)
    db.session.flush()
    audit(AuditAction.PARTNER_PROTECTED_ACCESS_GRANTED, actor, partner_case)


class Colleague(NamedTuple):
    id: int
    display_name: str


def colleagues_to_name(actor: User) -> list[Colleague]:
    """The clinic's other active partner-contact treaters: whom to name for her."""
    return [
        Colleague(user_id, name)
        for user_id, name in db.session.execute(
            select(User.id, User.display_name)
            .where(
                User.clinic_id == actor.clinic_id,
                User.role == Role.PARTNER_TREATER,
                User.disabled_at.is_(None),
                User.id != actor.id,
            )
            .order_by(User.display_name)
        )
    ]
