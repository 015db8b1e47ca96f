"""Registering clients and opening treatment episodes.

Every read of a client's record goes through :func:`clients_of` or :func:`client_for`, which
show a client only to the treater who holds the case, in the treater's own clinic. Functions
flush, never commit, and write their audit entry in the caller's transaction.
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.errors import ClientInvalid, ClientNotFound
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.status import EpisodeStatus
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import create_data_key, keep_data_keys
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.identifiers import normalise_personal_id, normalise_phone
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
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


def register_client(
    actor: User, *, name: str, personal_id: str | None, phone: str, language: str
) -> Client:
    """Register a client treated by ``actor`` and open the client's first episode.

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
        except ValueError:
            raise ClientInvalid(
                _l("The personal identity number is not valid: write it as YYYYMMDD-NNNN."),
                field="personal_id",
            ) from None
    try:
        normalised_phone = normalise_phone(phone)
    except ValueError:
        raise ClientInvalid(
            _l("The phone number is not valid: write a Swedish number or one starting with +."),
            field="phone",
        ) from None
    if language not in LANGUAGES:
        raise ClientInvalid(_l("Choose a language."), field="language")

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
        opened_on=now.date(),
        created_at=now,
    )
    db.session.add_all([client, episode])
    db.session.flush()
    audit(AuditAction.CLIENT_REGISTERED, actor, "client", client.id)
    audit(AuditAction.EPISODE_OPENED, actor, "episode", episode.id)
    return client


def _visible_clients(actor: User) -> Select[Client]:
    # The case belongs to its treater: colleagues, managers and the partner side never
    # load a client's record through here.
    if not can(actor, Permission.CLIENT_SIDE_VIEW):
        return select(Client).where(Client.id.is_(None))
    return select(Client).where(Client.clinic_id == actor.clinic_id, Client.treater_id == actor.id)


@functools.cache
def _clients_with_keys() -> Select[Client, DataKey]:
    # Built once: it is every client treater's landing page, and building it cost more than
    # running it.
    return (
        select(Client, DataKey)
        .where(
            Client.clinic_id == bindparam("clinic_id"),
            Client.treater_id == bindparam("treater_id"),
        )
        .outerjoin(DataKey, DataKey.id == Client.data_key_id)
        .options(joinedload(Client.episodes))
        .order_by(Client.created_at.desc(), Client.id)
    )


def clients_of(actor: User) -> list[Client]:
    """The clients ``actor`` treats, newest first, with their episodes and the data keys of
    their names loaded in a fixed number of queries however many there are. Opening the list
    is audited as one read."""
    # One statement: each client with its episodes and the data key of its name. Only the
    # treater's own (as _visible_clients): nobody else loads a client's record here.
    rows = (
        [
            (client, cast("DataKey | None", data_key))
            for client, data_key in db.session.execute(
                _clients_with_keys(),
                {"clinic_id": actor.clinic_id, "treater_id": actor.id},
            ).unique()
        ]
        if can(actor, Permission.CLIENT_SIDE_VIEW)
        else []
    )
    clients = [client for client, _ in rows]
    keep_data_keys(data_key for _, data_key in rows)
    record_event(
        AuditAction.CLIENT_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="client_list",
    )
    return clients


def client_for(actor: User, client_id: uuid.UUID) -> Client:
    """One client ``actor`` treats, or :class:`ClientNotFound` (also for other people's)."""
    client = db.session.scalar(_visible_clients(actor).where(Client.id == client_id))
    if client is None:
        raise ClientNotFound(_l("There is no such client among yours."), field="client")
    audit(AuditAction.CLIENT_VIEWED, actor, "client", client.id)
    return client
