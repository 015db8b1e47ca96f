"""A manager moves a client, with his open episode, to another client treater, and sees which
clients wait for one because their treater cannot act (a disabled account, or away longer
than the clinic's ``treater_absent_days``).

Contracts:

- only a manager of the client's clinic moves him (:data:`Permission.CASES_REASSIGN`);
  anyone else, and any other clinic's client, gets the answer for a client that does not
  exist;
- the two-treater rule holds: whoever holds the partner side of his open episode never
  becomes his treater, unless an administrator recorded an exception
  (:func:`~partnercontact.relay.two_treaters.may_treat_client`);
- ended episodes keep the treater they had; the move is recorded and audited, with nothing
  of the client in either; the manager sees a neutral reference (his newest episode's), never
  his name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, exists, select

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.client_side.cases.errors import ClientInvalid, ClientNotFound
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.service import audit
from partnercontact.client_side.cases.status import OPEN
from partnercontact.db import db, take_write_lock
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.policy import Permission, Role, can
from partnercontact.relay.two_treaters import may_treat_client
from partnercontact.runtime import current_runtime
from partnercontact.staffing.models import CLIENT, REASSIGNMENT_REASONS, Reassignment
from partnercontact.staffing.queries import cannot_act, moved_to


def _not_found() -> ClientNotFound:
    return ClientNotFound(_l("There is no such client in your clinic."), field="client")


def _managed_client(manager: User, client_id: uuid.UUID) -> Client:
    if not can(manager, Permission.CASES_REASSIGN):
        raise _not_found()
    mine = (Client.id == client_id, Client.clinic_id == manager.clinic_id)
    take_write_lock(Client, *mine)
    client = db.session.scalar(
        select(Client).where(*mine).with_for_update().execution_options(populate_existing=True)
    )
    if client is None:
        raise _not_found()
    return client


def _open_episodes(client: Client) -> list[TreatmentEpisode]:
    return [episode for episode in client.episodes if episode.status in OPEN]


def reference_of_client(client: Client) -> str:
    """The neutral reference a manager knows a client by: his newest episode's, as in the
    consent register."""
    newest = client.episodes[-1] if client.episodes else None
    return (newest.id if newest else client.id).hex[:8]


def possible_treaters(manager: User, client: Client) -> list[User]:
    """The clinic's active client treaters who may take the client over."""
    treaters = db.session.scalars(
        select(User)
        .where(
            User.clinic_id == manager.clinic_id,
            User.role == Role.CLIENT_TREATER.value,
            User.disabled_at.is_(None),
            User.id != client.treater_id,
        )
        .order_by(User.display_name)
    )
    episodes = _open_episodes(client)
    return [
        treater
        for treater in treaters
        if all(may_treat_client(treater.id, episode.id) for episode in episodes)
    ]


@dataclass(frozen=True)
class ClientToMove:
    client_id: uuid.UUID
    reference: str
    treater_name: str
    # Who may take him over (possible_treaters).
    treaters: list[User]


def client_to_move(manager: User, client_id: uuid.UUID) -> ClientToMove:
    client = _managed_client(manager, client_id)
    treater = db.session.get_one(User, client.treater_id)
    return ClientToMove(
        client.id,
        reference_of_client(client),
        treater.display_name,
        possible_treaters(manager, client),
    )


def reassign_client(
    manager: User, client_id: uuid.UUID, *, to_user_id: int | None, reason: str | None
) -> Client:
    """Move the client and his open episode to the treater ``to_user_id``."""
    client = _managed_client(manager, client_id)
    target = next(
        (user for user in possible_treaters(manager, client) if user.id == to_user_id), None
    )
    if target is None:
        episodes = _open_episodes(client)
        if to_user_id is not None and not all(
            may_treat_client(to_user_id, episode.id) for episode in episodes
        ):
            raise Conflict(
                _l("This treater holds the partner side: the client needs another treater."),
                field="to_user_id",
            )
        raise ClientInvalid(_l("Choose one of the clinic's client treaters."), field="to_user_id")
    if reason not in REASSIGNMENT_REASONS:
        raise ClientInvalid(_l("Choose why the client moves."), field="reason")
    previous = client.treater_id
    client.treater_id = target.id
    for episode in _open_episodes(client):
        episode.treater_id = target.id
    db.session.add(
        Reassignment(
            clinic_id=client.clinic_id,
            side=CLIENT,
            client_id=client.id,
            from_user_id=previous,
            to_user_id=target.id,
            reason=reason,
            decided_by_id=manager.id,
            decided_at=current_runtime().clock.now(),
        )
    )
    db.session.flush()
    audit(AuditAction.CLIENT_REASSIGNED, manager, "client", client.id)
    return client


@dataclass(frozen=True)
class WaitingClient:
    client_id: uuid.UUID
    reference: str
    treater_name: str
    disabled: bool
    last_login_at: datetime | None


def clients_without_an_active_treater(manager: User) -> list[WaitingClient]:
    """The clinic's clients in an open episode whose treater's account is disabled or who has
    not logged in for the clinic's ``treater_absent_days``; for the managers' list."""
    if not can(manager, Permission.CASES_REASSIGN):
        return []
    in_treatment = exists().where(
        TreatmentEpisode.client_id == Client.id, TreatmentEpisode.status.in_(OPEN)
    )
    clients = db.session.execute(
        select(Client, User.display_name, User.disabled_at, User.last_login_at)
        .join(User, User.id == Client.treater_id)
        .where(
            Client.clinic_id == manager.clinic_id,
            in_treatment,
            cannot_act(manager.clinic),
        )
        .order_by(User.display_name, Client.id)
    )
    return [
        WaitingClient(client.id, reference_of_client(client), name, disabled is not None, login)
        for client, name, disabled, login in clients
    ]


def clients_moved_to(actor: User, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """Of ``client_ids``, those a manager moved to ``actor`` lately, with when."""
    return moved_to(actor, Reassignment.client_id, client_ids)


def client_by_reference(manager: User, reference: str) -> uuid.UUID | None:
    """The clinic's client one of whose treatment periods' ids starts with ``reference`` (the
    eight characters the pages show), when exactly one client's does."""
    if not can(manager, Permission.CASES_REASSIGN):
        return None
    found = db.session.scalars(
        select(TreatmentEpisode.client_id)
        .join(Client, Client.id == TreatmentEpisode.client_id)
        .where(
            Client.clinic_id == manager.clinic_id,
            cast(TreatmentEpisode.id, String).startswith(reference, autoescape=True),
        )
        .distinct()
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None
