"""Registering clients and opening treatment episodes.

Every read of a client's record goes through :func:`clients_of` or :func:`client_for`, which
show a client only to the treater who holds the case, in the treater's own clinic. Functions
flush, never commit, and write their audit entry in the caller's transaction.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.errors import ClientInvalid, ClientNotFound
from partnercontact.client_side.cases.models import Client, ClientRiskAssessment, TreatmentEpisode
from partnercontact.client_side.cases.status import OPEN, EpisodeStatus
from partnercontact.clinics.clock import clinic_today
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import create_data_key
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.identifiers import PersonalIdError, normalise_personal_id, normalise_phone
from partnercontact.policy import Permission, can
from partnercontact.relay.kinds import PARTNER_SIDE
from partnercontact.relay.models import Consultation
from partnercontact.relay.two_treaters import clients_with_partner_side_held_by
from partnercontact.runtime import current_runtime
from partnercontact.staffing.cover import scope_parameters

if TYPE_CHECKING:
    from sqlalchemy import Column

    from partnercontact.auth.models import User

LANGUAGES = ("sv", "en", "other")
MAX_NAME = 200


def audit(action: AuditAction, actor: User, resource_type: str, resource_id: uuid.UUID) -> None:
    """Record ``action`` on a client-side record: who, when, which record; nothing else."""
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type=resource_type,
        resource_id=str(resource_id),
    )


# How far back a first episode may open: a clinic moving its current caseload in registers
# its clients with the dates they really came.
MAX_YEARS_BACK = 5


def register_client(
    actor: User,
    *,
    name: str,
    personal_id: str | None,
    phone: str,
    language: str,
    opened_on: date | None = None,
) -> Client:
    """Register a client treated by ``actor`` and open the client's first episode, today or
    on ``opened_on`` (not in the future, at most five years back).

    Validates everything before writing anything, so a refusal leaves no trace but its
    message, which names the field at fault.
    """
    if not can(actor, Permission.CLIENTS_REGISTER):
        raise ClientInvalid(_l("You may not register clients."), field="actor")
    runtime = current_runtime()
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ClientInvalid(_l("Enter the client's name (at most 200 characters)."), field="name")
    normalised_id = None
    if personal_id and personal_id.strip():
        try:
            normalised_id = normalise_personal_id(personal_id, today=runtime.clock.now().date())
        except PersonalIdError as error:
            raise ClientInvalid(PERSONAL_ID_ERRORS[error.reason], field="personal_id") from None
    try:
        normalised_phone = normalise_phone(phone)
    except ValueError:
        raise ClientInvalid(
            _l("The phone number is not valid: write a Swedish number or one starting with +."),
            field="phone",
        ) from None
    if language not in LANGUAGES:
        raise ClientInvalid(_l("Choose a language."), field="language")
    today = clinic_today(actor.clinic)
    if opened_on is not None and opened_on > today:
        raise ClientInvalid(_l("The date cannot be in the future."), field="opened_on")
    if opened_on is not None and opened_on < today.replace(year=today.year - MAX_YEARS_BACK):
        raise ClientInvalid(
            _l("The first meeting can be at most five years back."), field="opened_on"
        )

    now = runtime.clock.now()
    data_key = create_data_key("case", keyring=runtime.keyring, clock=runtime.clock)
    client = Client(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        treater_id=actor.id,
        data_key_id=data_key.id,
        language=language,
        created_at=now,
    )
    client.name = name
    client.personal_id = normalised_id
    client.phone = normalised_phone
    episode = TreatmentEpisode(
        id=uuid.uuid4(),
        client=client,
        treater_id=actor.id,
        status=EpisodeStatus.ASSESSMENT,
        opened_on=opened_on or today,
        created_at=now,
    )
    db.session.add_all([client, episode])
    db.session.flush()
    audit(AuditAction.CLIENT_REGISTERED, actor, "client", client.id)
    audit(AuditAction.EPISODE_OPENED, actor, "episode", episode.id)
    return client


# Why a personal identity number was refused, in words that say what to check.
PERSONAL_ID_ERRORS = {
    "format": _l("The personal identity number is not valid: write it as YYYYMMDD-NNNN."),
    "date": _l("The personal identity number's date part is not a real date."),
    "future": _l("The personal identity number's date part lies in the future."),
    "check_digit": _l(
        "The personal identity number's last digit does not match the others: check for a typo."
    ),
}


# The case belongs to its treater: colleagues, managers and the partner side never load a
# client's record. One condition on the parameters of _treater_parameters, built once.
@functools.cache
def _treated_by_actor() -> ColumnElement[bool]:
    # The actor's own clients, and those of the treaters the actor covers today, but never
    # a client whose partner side the actor (or another treater the actor covers) holds.
    return and_(
        Client.clinic_id == bindparam("actor_clinic_id"),
        or_(
            Client.treater_id == bindparam("actor_id"),
            and_(
                Client.treater_id.in_(bindparam("covered_ids", expanding=True)),
                Client.id.not_in(
                    clients_with_partner_side_held_by(bindparam("acting_ids", expanding=True))
                ),
            ),
        ),
    )


def _treater_parameters(actor: User) -> dict[str, Any]:
    # Deny by default: nothing for anyone who may not see the client side.
    return scope_parameters(actor, allowed=can(actor, Permission.CLIENT_SIDE_VIEW))


def _visible_clients(actor: User) -> Select[Client]:
    return select(Client).where(_treated_by_actor()).params(_treater_parameters(actor))


@dataclass(frozen=True)
class ListedClient:
    """A client as the list of a treater's clients shows one."""

    id: uuid.UUID
    name: str | None
    language: str
    created_at: datetime
    # The status of the client's newest episode.
    episode_status: str | None
    # The partner-contact treater has asked for a talk that has not been held yet.
    talk_asked: bool = False
    # The newest risk assessment's review date has come, in an open episode.
    risk_review_due: bool = False
    # Treated by a colleague the actor covers today.
    covered: bool = False


def _newest_status() -> Any:
    return (
        select(TreatmentEpisode.status)
        .where(TreatmentEpisode.client_id == Client.id)
        .order_by(TreatmentEpisode.opened_on.desc(), TreatmentEpisode.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _talk_asked() -> Any:
    """The partner-contact treater asked for a talk about the client not held yet."""
    return (
        select(Consultation.id)
        .join(TreatmentEpisode, TreatmentEpisode.id == Consultation.episode_id)
        .where(
            TreatmentEpisode.client_id == Client.id,
            Consultation.asked_from == PARTNER_SIDE,
            Consultation.held_on.is_(None),
        )
        .exists()
    )


def _review_due() -> Any:
    """The newest risk assessment's review date has come (``today``: the clinic's day)."""
    next_review = (
        select(ClientRiskAssessment.next_review_on)
        .where(ClientRiskAssessment.client_id == Client.id)
        .order_by(ClientRiskAssessment.assessed_on.desc(), ClientRiskAssessment.recorded_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return next_review <= bindparam("today")


@functools.cache
def _client_list() -> Select[Any]:
    # Built once: it is every client treater's landing page. The columns the list shows,
    # not whole records: each client's newest episode's status, the data key of its name.
    return (
        select(
            Client.id,
            Client.language,
            Client.created_at,
            Client.seal_id,
            cast("Column[bytes]", Client.__table__.c.name_ct),
            DataKey,
            _newest_status().label("episode_status"),
            _talk_asked().label("talk_asked"),
            _review_due().label("risk_review_due"),
            (Client.treater_id != bindparam("actor_id")).label("covered"),
        )
        .join(DataKey, DataKey.id == Client.data_key_id)
        .where(_treated_by_actor())
        .order_by(Client.created_at.desc(), Client.id)
    )


@functools.cache
def _to_do_count() -> Select[Any]:
    # What the list marks as waiting for the treater, counted without unsealing or auditing:
    # the menu shows it on every page.
    def counted(*conditions: Any) -> Any:
        return (
            select(func.count())
            .select_from(Client)
            .where(_treated_by_actor(), *conditions)
            .scalar_subquery()
        )

    return select(counted(_talk_asked()) + counted(_review_due(), _newest_status().in_(OPEN)))


def to_do_count(actor: User) -> int:
    """How many things wait for ``actor`` on ``actor``'s clients (a talk asked for, a risk
    assessment due, each counted): what :func:`clients_of` marks, counted for the menu."""
    if not can(actor, Permission.CLIENT_SIDE_VIEW):
        return 0
    parameters = _treater_parameters(actor) | {"today": clinic_today(actor.clinic)}
    return db.session.scalar(_to_do_count(), parameters) or 0


def clients_of(actor: User) -> list[ListedClient]:
    """The clients ``actor`` treats, newest first, each with the status of its newest episode,
    in one statement however many there are. Opening the list is audited as one read."""
    parameters = _treater_parameters(actor) | {"today": clinic_today(actor.clinic)}
    rows = db.session.execute(_client_list(), parameters).all()
    table = Client.__table__.name
    clients = [
        ListedClient(
            id=row.id,
            name=Client.name.unseal_column(
                row.DataKey, row.name_ct, table=table, seal_id=row.seal_id
            ),
            language=row.language,
            created_at=row.created_at,
            episode_status=row.episode_status,
            talk_asked=bool(row.talk_asked),
            risk_review_due=bool(row.risk_review_due) and row.episode_status in OPEN,
            covered=bool(row.covered),
        )
        for row in rows
    ]
    record_event(
        AuditAction.CLIENT_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="client_list",
    )
    return clients


def not_the_actors() -> ClientNotFound:
    """The answer for a client that is not the actor's, and for a record addressed by its id
    that is not on the actor's client: the same error, message and field, so a 404 page
    never tells the one from the other."""
    return ClientNotFound(_l("There is no such client among yours."), field="client")


def client_for(actor: User, client_id: uuid.UUID) -> Client:
    """One client ``actor`` treats, or :class:`ClientNotFound` (also for other people's)."""
    client = db.session.scalar(_visible_clients(actor).where(Client.id == client_id))
    if client is None:
        raise not_the_actors()
    audit(AuditAction.CLIENT_VIEWED, actor, "client", client.id)
    return client
