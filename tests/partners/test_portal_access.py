"""Her access to the portal: an invitation her treater reads out to her, redeemed once within
seven days for a codename and a passphrase she chose; a login that locks after five wrong
passphrases and a limit per source address across workers; her treater's revocation and her
own closing; and nothing in the database that gives back a code, a codename or a passphrase.
"""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_access
from partnercontact.partner_side.portal_access import (
    ADDRESS_MAX_FAILURES,
    ADDRESS_WINDOW,
    INVITATION_LASTS,
    MAX_FAILURES,
    WORDS,
    PortalIdentity,
    PortalLocked,
    PortalRefused,
    PortalThrottled,
)
from partnercontact.partner_side.portal_models import (
    PortalAccess,
    PortalAddressFailure,
    PortalInvitation,
)
from partnercontact.partner_side.rules import ContactNotAllowed
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.messaging.sending import Held, held_for_sms

PASSPHRASE = "ljus i fönstret varje kväll"
HER_ADDRESS = "198.51.100.23"
OTHER_ADDRESS = "203.0.113.77"


@pytest.fixture
def ready(factory: Factory, clock) -> Held:
    """A case picked up, found suitable, her plan recorded and she reached: the safety steps
    let a call, and so an invitation, through."""
    held = held_for_sms(factory, clock, suitable=False)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    return held


def _invite(held: Held) -> portal_access.Invitation:
    invitation = portal_access.invite(held.holder.user, held.case.id)
    db.session.commit()
    return invitation


def _redeem(code: str, passphrase: str = PASSPHRASE, address: str = HER_ADDRESS) -> str:
    codename = portal_access.redeem(code, passphrase, address=address)
    db.session.commit()
    return codename


def _refused(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    """The refusal ``call`` raises; committed, as the portal commits a refused attempt."""
    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)
    db.session.commit()
    return refused.value


def _log_in(codename: str, passphrase: str = PASSPHRASE, address: str = HER_ADDRESS):
    identity = portal_access.log_in(codename, passphrase, address=address)
    db.session.commit()
    return identity


def _actions(case_id: uuid.UUID) -> list[tuple[str, int | None, str]]:
    return [
        (row.action, row.actor_id, row.outcome)
        for row in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_type == "partner_case")
            .where(AuditEvent.resource_id == str(case_id))
            .where(AuditEvent.action.like("partner.portal_%"))
            .order_by(AuditEvent.seq)
        )
    ]


def test_the_word_list_has_at_least_500_everyday_words() -> None:
    assert len(WORDS) >= 500
    assert len(set(WORDS)) == len(WORDS)
    assert all(re.fullmatch(r"[a-zåäö]{2,16}", word) for word in WORDS)


def test_an_invitation_works_once_and_not_after_seven_days(ready: Held, clock) -> None:
    invitation = _invite(ready)
    assert re.fullmatch(r"[0-9]{4}-[0-9]{4}-[0-9]{4}", invitation.code)
    assert invitation.expires_at == clock.now() + INVITATION_LASTS
    assert portal_access.access_state(ready.case).invited_until == invitation.expires_at

    codename = _redeem(invitation.code)
    assert portal_access.access_state(ready.case).invited_until is None
    unknown = _refused(portal_access.redeem, "0000 0000 0000", PASSPHRASE, address=HER_ADDRESS)
    again = _refused(portal_access.redeem, invitation.code, PASSPHRASE, address=HER_ADDRESS)
    assert type(again) is PortalRefused and again.field == "code"
    assert str(again.message) == str(unknown.message) == str(portal_access.CODE_REFUSED)
    # Her login still stands: the second attempt took nothing from it.
    assert _log_in(codename).partner_case_id == ready.case.id

    late = _invite(ready)
    clock.advance(days=7)
    expired = _refused(portal_access.redeem, late.code, PASSPHRASE, address=HER_ADDRESS)
    assert type(expired) is PortalRefused and expired.field == "code"
    assert str(expired.message) == str(unknown.message)
    assert portal_access.access_state(ready.case).invited_until is None


def test_a_new_invitation_withdraws_the_earlier_one(ready: Held) -> None:
    first = _invite(ready)
    second = _invite(ready)
    refused = _refused(portal_access.redeem, first.code, PASSPHRASE, address=HER_ADDRESS)
    assert refused.field == "code"
    assert _redeem(second.code.replace("-", " "))


def test_an_invitation_before_the_suitability_decision_is_refused(factory: Factory, clock) -> None:
    held = held_for_sms(factory, clock, suitable=False)
    with pytest.raises(ContactNotAllowed) as refused:
        portal_access.invite(held.holder.user, held.case.id)
    assert refused.value.rule == "suitability"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PortalInvitation)) == 0


def test_only_her_treater_invites(ready: Held, factory: Factory) -> None:
    with pytest.raises(DomainError) as refused:
        portal_access.invite(factory.partner_treater().user, ready.case.id)
    assert refused.value.status == 404


def test_redeeming_gives_a_codename_of_three_words_and_wants_a_real_passphrase(
    ready: Held,
) -> None:
    invitation = _invite(ready)
    short = _refused(portal_access.redeem, invitation.code, "kort", address=HER_ADDRESS)
    assert type(short) is PortalRefused and short.field == "passphrase"
    long = _refused(portal_access.redeem, invitation.code, "x" * 201, address=HER_ADDRESS)
    assert long.field == "passphrase"
    # A refused passphrase spends nothing.
    codename = _redeem(invitation.code)
    words = codename.split("-")
    assert len(words) == 3 and all(word in WORDS for word in words)
    state = portal_access.access_state(ready.case)
    assert state.active and not state.locked and not state.revoked_or_closed
    assert _actions(ready.case.id)[-1] == ("partner.portal_redeemed", None, "ok")


def test_she_logs_in_with_the_right_passphrase_only(ready: Held, clock) -> None:
    codename = _redeem(_invite(ready).code)
    identity = _log_in(codename)
    assert isinstance(identity, PortalIdentity)
    assert identity.partner_case_id == ready.case.id
    assert portal_access.still_valid(identity.access_id) == identity
    assert portal_access.access_state(ready.case).last_login_at == clock.now()
    # However she types the words.
    assert _log_in("  " + codename.upper().replace("-", " ") + " ") == identity

    wrong = _refused(portal_access.log_in, codename, PASSPHRASE + "!", address=HER_ADDRESS)
    assert type(wrong) is PortalRefused and wrong.status == 400
    unknown = _refused(portal_access.log_in, "inget-sådant-namn", PASSPHRASE, address=HER_ADDRESS)
    assert type(unknown) is PortalRefused
    assert (unknown.field, str(unknown.message)) == (wrong.field, str(wrong.message))
    assert [action for action, _, _ in _actions(ready.case.id)] == [
        "partner.portal_invited",
        "partner.portal_redeemed",
        "partner.portal_logged_in",
        "partner.portal_logged_in",
        "partner.portal_login_failed",
    ]
    # Her own acts have no actor.
    assert {actor for action, actor, _ in _actions(ready.case.id)[1:]} == {None}


def test_five_bad_passphrases_lock_the_codename(ready: Held) -> None:
    codename = _redeem(_invite(ready).code)
    for _ in range(MAX_FAILURES - 1):
        wrong = _refused(portal_access.log_in, codename, "fel lösenfras", address=HER_ADDRESS)
        assert type(wrong) is PortalRefused
    locked = _refused(portal_access.log_in, codename, "fel lösenfras", address=HER_ADDRESS)
    assert isinstance(locked, PortalLocked) and locked.status == 423
    assert locked.field == "codename"
    # Now even the right passphrase is refused, and her treater sees why.
    still = _refused(portal_access.log_in, codename, PASSPHRASE, address=HER_ADDRESS)
    assert isinstance(still, PortalLocked)
    state = portal_access.access_state(ready.case)
    assert state.locked and not state.active and not state.revoked_or_closed
    access_id = db.session.scalar(select(PortalAccess.id))
    assert access_id is not None and portal_access.still_valid(access_id) is None

    # He invites her again; her new codename works, the locked one stays refused.
    new_codename = _redeem(_invite(ready).code, address=OTHER_ADDRESS)
    assert _log_in(new_codename).partner_case_id == ready.case.id
    assert portal_access.access_state(ready.case).active
    old = _refused(portal_access.log_in, codename, PASSPHRASE, address=OTHER_ADDRESS)
    assert type(old) is PortalRefused


def test_a_right_passphrase_forgives_the_failures_before_it(ready: Held) -> None:
    codename = _redeem(_invite(ready).code)
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            _refused(portal_access.log_in, codename, "fel lösenfras", address=HER_ADDRESS)
        _log_in(codename)
    assert portal_access.access_state(ready.case).active


def test_failures_from_one_address_are_limited(ready: Held, clock) -> None:
    codename = _redeem(_invite(ready).code)
    for number in range(ADDRESS_MAX_FAILURES):
        _refused(portal_access.log_in, f"ingen-sådan-{number}", PASSPHRASE, address=OTHER_ADDRESS)
    throttled = _refused(portal_access.log_in, codename, PASSPHRASE, address=OTHER_ADDRESS)
    assert isinstance(throttled, PortalThrottled) and throttled.status == 429
    # A redemption from there too, before the code is looked at.
    invitation = _invite(ready)
    refused = _refused(portal_access.redeem, invitation.code, PASSPHRASE, address=OTHER_ADDRESS)
    assert isinstance(refused, PortalThrottled)
    # Her codename was not touched, and her own address is not limited.
    assert db.session.scalar(select(PortalAccess.failed_logins)) == 0
    assert _log_in(codename, address=HER_ADDRESS).partner_case_id == ready.case.id

    clock.advance(seconds=ADDRESS_WINDOW.total_seconds() + 1)
    assert _log_in(codename, address=OTHER_ADDRESS).partner_case_id == ready.case.id
    assert portal_access.purge_address_failures(clock.now()) == ADDRESS_MAX_FAILURES
    assert db.session.scalar(select(func.count()).select_from(PortalAddressFailure)) == 0


def test_her_treater_revokes_her_access_at_once(ready: Held) -> None:
    codename = _redeem(_invite(ready).code)
    identity = _log_in(codename)
    pending = _invite(ready)
    portal_access.revoke(ready.holder.user, ready.case.id)
    db.session.commit()
    assert portal_access.still_valid(identity.access_id) is None
    refused = _refused(portal_access.log_in, codename, PASSPHRASE, address=HER_ADDRESS)
    assert type(refused) is PortalRefused
    withdrawn = _refused(portal_access.redeem, pending.code, PASSPHRASE, address=HER_ADDRESS)
    assert withdrawn.field == "code"
    state = portal_access.access_state(ready.case)
    assert state.revoked_or_closed and not state.active and state.invited_until is None
    assert ("partner.portal_revoked", ready.holder.user.id, "ok") in _actions(ready.case.id)


def test_she_closes_her_access_herself(ready: Held) -> None:
    codename = _redeem(_invite(ready).code)
    identity = _log_in(codename)
    portal_access.close(identity)
    db.session.commit()
    assert portal_access.still_valid(identity.access_id) is None
    refused = _refused(portal_access.log_in, codename, PASSPHRASE, address=HER_ADDRESS)
    assert type(refused) is PortalRefused
    assert portal_access.access_state(ready.case).revoked_or_closed
    assert _actions(ready.case.id)[-2][0] == AuditAction.PORTAL_CLOSED.value


def test_a_new_redemption_ends_the_earlier_access(ready: Held) -> None:
    first = _log_in(_redeem(_invite(ready).code))
    second = _log_in(_redeem(_invite(ready).code))
    assert portal_access.still_valid(first.access_id) is None
    assert portal_access.still_valid(second.access_id) == second


def _database_text() -> str:
    """Every row of every table, as text: what a database dump would show."""
    parts: list[str] = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    raw = bytes(value)
                    parts += [raw.hex(), raw.decode("latin-1"), raw.decode("utf-8", "replace")]
                else:
                    parts.append(str(value))
    return "\n".join(parts)


def test_no_code_codename_or_passphrase_is_in_the_database(ready: Held) -> None:
    withdrawn = _invite(ready)
    invitation = _invite(ready)
    codename = _redeem(invitation.code)
    _log_in(codename)
    _refused(portal_access.log_in, codename, "en annan lösenfras", address=OTHER_ADDRESS)
    dump = _database_text().lower()
    assert db.session.scalar(select(func.count()).select_from(PortalAccess)) == 1
    for secret in (
        invitation.code,
        invitation.code.replace("-", ""),
        withdrawn.code,
        withdrawn.code.replace("-", ""),
        codename,
        codename.replace("-", " "),
        codename.replace("-", ""),
        PASSPHRASE,
        "en annan lösenfras",
        HER_ADDRESS,
        OTHER_ADDRESS,
    ):
        assert secret.lower() not in dump, secret


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_redemptions_of_one_code_at_the_same_moment_give_one_codename(app, ready: Held) -> None:
    code, case_id = _invite(ready).code, ready.case.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem(address: str) -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit, so nothing but the
            # invitation's own update keeps the two apart.
            defer_appends_until_commit()
            barrier.wait()
            try:
                outcomes.append(portal_access.redeem(code, PASSPHRASE, address=address))
                db.session.commit()
            except PortalRefused:
                outcomes.append("refused")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [
        threading.Thread(target=redeem, args=(address,)) for address in (HER_ADDRESS, OTHER_ADDRESS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    codename = next(outcome for outcome in outcomes if outcome != "refused")
    assert len(codename.split("-")) == 3
    assert db.session.scalar(select(func.count()).select_from(PortalAccess)) == 1
    assert _log_in(codename).partner_case_id == case_id
