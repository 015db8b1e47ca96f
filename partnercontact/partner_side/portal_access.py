"""Her access to the portal, without an account: an invitation code her treater reads out to
her on the phone, a passphrase she chooses, and a codename the service gives her
(docs/domain.md; the portal app, :mod:`partnercontact.portal`, builds on these functions).

- :func:`invite`: her treater offers the portal. A one-time code of twelve digits, good for
  :data:`INVITATION_LASTS`; an earlier unused one is withdrawn. Reading it to her is a
  contact, so the safety steps and her plan are consulted first (``rules.check_contact``).
- :func:`redeem`: she gives the code and a passphrase and is shown her codename, three
  everyday words, once. Any earlier access of her case ends.
- :func:`log_in`: codename and passphrase. :data:`MAX_FAILURES` wrong passphrases lock the
  codename (her treater sees it and can invite her again); failures from one source address
  are limited across every worker (:data:`ADDRESS_MAX_FAILURES` per :data:`ADDRESS_WINDOW`,
  rows in the database, not process memory).
- :func:`revoke` (her treater), :func:`close` (she herself) end an access at once;
  :func:`still_valid` is asked on every portal request.

Nothing stored can be turned back into a credential: the code, the codename and the source
address are kept as keyed hashes (blind indexes under the key ring's blind-index key; a plain
hash of twelve digits or of three words from a known list is found by trying them all), the
passphrase as an argon2 hash like a staff password. Audit entries name the partner case and
nothing else; the portal's own entries have no actor.

Functions flush, never commit. A refused login or redemption still changes state (the failure
counts, the audit entry), so callers commit after catching :class:`PortalRefused` too.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    bindparam,
    delete,
    func,
    inspect,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.models import User
from partnercontact.auth.service import hash_password
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side import rules
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_models import (
    PortalAccess,
    PortalAddressFailure,
    PortalInvitation,
)
from partnercontact.partner_side.service import audit, held_case_for
from partnercontact.runtime import current_runtime

INVITATION_LASTS = timedelta(days=7)
# Wrong passphrases in a row before the codename locks.
MAX_FAILURES = 5
# Failed logins and redemptions from one source address, counted across every worker.
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 20
MIN_PASSPHRASE_LENGTH = 10
MAX_PASSPHRASE_LENGTH = 200
CODE_DIGITS = 12
CODENAME_WORDS = 3

# Blind-index domains: equal strings of two kinds never give the same digest.
_CODE_DOMAIN = "portal-invitation"
_CODENAME_DOMAIN = "portal-codename"
_ADDRESS_DOMAIN = "portal-address"
# The first key of the PostgreSQL advisory locks (two-key form) that serialise the attempts
# from one source address; the second is taken from the address's index. "pcpt" in ASCII.
_ADDRESS_LOCK_SPACE = 0x70637074
# What she types between the words of her codename or the groups of her code.
_SEPARATORS = str.maketrans({"-": " ", "\u2010": " ", "\u2011": " ", "\u2013": " "})

CODE_REFUSED = _l("The code is not valid: ask your contact at the clinic for a new one.")
LOGIN_REFUSED = _l("The codename or the passphrase is not right.")
LOCKED = _l(
    "This codename is locked after too many wrong passphrases. Ask your contact at the clinic "
    "for a new invitation."
)
THROTTLED = _l("Too many failed attempts from this connection. Wait a while and try again.")

# Everyday Swedish words, lowercase, nothing about violence, fear, the police, illness or
# anything she would not want seen on her screen: fruit, food, animals, plants, weather,
# landscape, the home, clothes, colours, music and pastimes. 645 words: 3 of them give about
# 268 million codenames.
_WORD_TEXT = """
    äpple päron plommon körsbär jordgubbe hallon blåbär lingon hjortron vinbär krusbär björnbär
    smultron tranbär aprikos persika banan apelsin citron lime mango ananas melon vindruva
    fikon dadel kiwi mandarin nektarin granatäpple rabarber kokosnöt avokado kvitten nypon
    fläder havtorn morot potatis lök purjolök gurka tomat paprika sallad spenat blomkål vitkål
    grönkål rödbeta palsternacka kålrot rädisa selleri pumpa majs ärta böna lins sparris
    kronärtskocka svamp kantarell karljohan dill persilja gräslök basilika timjan rosmarin
    oregano mynta salvia koriander ingefära vitlök kanel kardemumma saffran vanilj muskot
    kummin anis bröd limpa knäckebröd bulle kanelbulle semla kaka tårta pannkaka våffla mazarin
    kringla smörgås gröt soppa buljong pasta nudel köttbulle korv ost smör mjölk grädde yoghurt
    fil glass sylt marmelad honung socker salt peppar senap kola karamell choklad lakrits
    marsipan nougat pepparkaka lussekatt ostkaka äppelkaka muffin kex russin mandel hasselnöt
    valnöt jordnöt popcorn flingor havre råg vete mjöl jäst te kaffe saft lemonad kakao katt
    hund kanin hamster marsvin häst ponny kalv får lamm get kyckling tupp anka gås svan ekorre
    igelkott hare rådjur älg ren räv grävling bäver utter säl delfin sköldpadda groda fjäril
    nyckelpiga humla bi myra snigel larv trollslända gräshoppa fisk lax torsk abborre sill
    strömming makrill räka krabba hummer mussla ostron sjöstjärna sjöhäst pingvin giraff zebra
    elefant panda koala känguru kamel lama alpacka flodhäst noshörning papegoja uggla duva
    sparv talgoxe blåmes koltrast rödhake skata kråka trana stork häger mås tärna lärka svala
    gök hackspett domherre bofink grönfink ejder lom sothöna kungsfågel ek björk gran tall lönn
    lind asp ask alm bok hassel sälg rönn ceder palm kaktus ros tulpan lilja liljekonvalj
    vitsippa blåsippa maskros prästkrage klöver blåklint vallmo solros pion syren hortensia
    lavendel krokus påsklilja snödroppe förgätmigej smörblomma ljung murgröna mossa gräs vass
    säv näckros gerbera nejlika aster dahlia julros hyacint narciss viol kamomill humle blad
    kvist gren frö knopp kotte ekollon kastanj sol måne stjärna moln regn snö dimma dagg frost
    bris regnbåge solsken skymning gryning morgon kväll middag vår sommar höst vinter januari
    februari mars april maj juni juli augusti september oktober november december skog äng hage
    berg kulle dal sjö älv bäck källa hav strand vik udde holme skär klippa sten grus sand lera
    myr mosse glänta stig bro brygga fjäll vattenfall slätt fält åker gärde hed lund dunge park
    trädgård rabatt gräsmatta damm kanal fyr hamn kastrull stekpanna gryta kittel tekanna
    kaffekopp kopp tallrik skål fat glas bestick sked gaffel slev visp durkslag brödrost
    kylskåp spis ugn diskmaskin handduk disktrasa förkläde grytlapp kudde täcke filt lakan
    madrass soffa fåtölj stol pall bord hylla bokhylla byrå skåp garderob spegel lampa
    ljusstake ljus vas kruka krukväxt tavla matta gardin fönster dörr trappa balkong veranda
    altan vind hall kök badrum vardagsrum tvättstuga förråd garage staket grind vattenkanna
    kvast dammsugare hink pensel lim tejp penna suddgummi linjal gem klocka väckarklocka
    paraply väska ryggsäck korg låda kartong burk termos matlåda picknick tröja kofta skjorta
    blus kjol klänning byxor strumpa sko stövel sandal toffel mössa halsduk vante handske jacka
    kappa regnjacka pyjamas morgonrock keps hatt knapp ficka krage ärm röd blå grön gul orange
    lila rosa brun grå vit turkos beige guld silver koppar mint fiol gitarr piano flöjt trumma
    cello harpa dragspel munspel trumpet klarinett saxofon kör sång melodi dans vals polka
    tango roman dikt saga pussel spel schack tärning ballong drake docka nalle gunga rutschkana
    sandlåda boll cykel sparkcykel skidor skridsko pulka kälke kanot kajak segelbåt båt tåg
    spårvagn buss flygplan luftballong tunnelbana färja fjäder pärla snäcka kompass karta
    fyrtorn väderkvarn ladugård stuga torp villa slott torn museum bibliotek konditori bageri
    torg marknad loppis butik förskola lekplats badhus simhall sporthall bio teater konsert
    festival utflykt semester resa fika mellanmål frukost lunch kvällsmat vantar tofflor mugg
    kanna sockerbit pannkakstårta blomma bukett krans solstol hängmatta parasoll badring
    simfötter snorkel handboll fotboll innebandy tennis badminton bordtennis golf bowling
    minigolf kubb boule krocket stickning virkning garn nystan tyg broderi vävstol keramik
    akvarell kol krita pastell staffli duk ram album fotografi vykort frimärke mynt
"""
WORDS: tuple[str, ...] = tuple(_WORD_TEXT.split())


@dataclass(frozen=True)
class Invitation:
    """The code to read out to her, shown to her treater once, and when it stops working."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class PortalIdentity:
    """Who a portal session is: her access and her partner case. Her codename is not here:
    only its keyed hash is stored, and she is shown it once, when she redeems the code."""

    access_id: uuid.UUID
    partner_case_id: uuid.UUID


@dataclass(frozen=True)
class AccessState:
    """Her access as her treater's case page shows it. ``locked``, ``active`` and
    ``revoked_or_closed`` describe her newest access (all False when she has none);
    ``invited_until`` the end of an invitation not redeemed yet."""

    invited_until: datetime | None
    active: bool
    locked: bool
    revoked_or_closed: bool
    last_login_at: datetime | None


class PortalRefused(DomainError):
    """A redemption or login refused; ``field`` is ``code``, ``passphrase`` or ``codename``."""

    status = 400


class PortalLocked(PortalRefused):
    """Her codename is locked after :data:`MAX_FAILURES` wrong passphrases."""

    status = 423


class PortalThrottled(PortalRefused):
    """Too many failures from the source address within :data:`ADDRESS_WINDOW`: refused
    before anything is checked."""

    status = 429


# --- keyed hashes ------------------------------------------------------------------------------


def _index(domain: str, value: str) -> str:
    return current_runtime().keyring.blind_index(domain, value)


def _clean_code(code: str) -> str | None:
    """The code's twelve ASCII digits, however she grouped them, or None."""
    digits = "".join(code.translate(_SEPARATORS).split())
    if len(digits) != CODE_DIGITS or not all("0" <= digit <= "9" for digit in digits):
        return None
    return digits


def _clean_codename(codename: str) -> str | None:
    """Her codename as it is indexed: lowercase words joined by "-", whether she typed
    hyphens or spaces, capitals, or letters composed another way (å as a + ring)."""
    words = unicodedata.normalize("NFC", codename).translate(_SEPARATORS).lower().split()
    if len(words) != CODENAME_WORDS:
        return None
    return "-".join(words)


def _address_index(address: str) -> str:
    return _index(_ADDRESS_DOMAIN, address.strip())


# --- passphrases -------------------------------------------------------------------------------


@cache
def _placeholder_hash(cost: str) -> str:
    # Verifying against a fixed hash when there is no access to check against makes that
    # answer take as long as a wrong passphrase for a real one (as for staff logins). One hash
    # per hashing cost (``cost`` is the cache key): the configured cost sets the time.
    return hash_password("portal-placeholder-passphrase")


def _passphrase_matches(passphrase_hash: str, passphrase: str) -> bool:
    # The hash carries its own parameters: any hasher verifies it.
    try:
        return PasswordHasher().verify(passphrase_hash, passphrase)
    except (VerificationError, InvalidHashError):
        return False


def _check_passphrase(passphrase: str) -> None:
    if not MIN_PASSPHRASE_LENGTH <= len(passphrase) <= MAX_PASSPHRASE_LENGTH:
        raise PortalRefused(
            _l(
                "Choose a passphrase of at least %(min)d and at most %(max)d characters.",
                min=MIN_PASSPHRASE_LENGTH,
                max=MAX_PASSPHRASE_LENGTH,
            ),
            field="passphrase",
        )


# --- failures per source address ---------------------------------------------------------------


def _throttled(address_index: str, now: datetime) -> bool:
    """Whether the address has used up its failures in the window.

    On PostgreSQL the attempts from one address wait for each other (a transaction-level
    advisory lock, held until the request commits), so a burst of simultaneous attempts
    cannot all read the same count; SQLite has one writer anyway."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int(address_index[:8], 16) - 2**31
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": _ADDRESS_LOCK_SPACE, "key": key},
        )
    failures = db.session.scalar(
        select(func.count())
        .select_from(PortalAddressFailure)
        .where(
            PortalAddressFailure.address_index == address_index,
            PortalAddressFailure.at > now - ADDRESS_WINDOW,
        )
    )
    return int(failures or 0) >= ADDRESS_MAX_FAILURES


def _count_failure(address_index: str, now: datetime) -> None:
    db.session.add(PortalAddressFailure(address_index=address_index, at=now))
    db.session.flush()


def purge_address_failures(now: datetime) -> int:
    """Delete the failures older than the window (they no longer count); how many."""
    result = db.session.execute(
        delete(PortalAddressFailure).where(PortalAddressFailure.at < now - ADDRESS_WINDOW)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


# --- audit ---------------------------------------------------------------------------------------


def _audit_portal(
    action: AuditAction,
    *,
    clinic_id: int | None,
    case_id: uuid.UUID | None,
    outcome: Outcome = Outcome.OK,
) -> None:
    """An entry of her own act: no actor, the partner case when known, nothing else."""
    record_event(
        action,
        actor_id=None,
        clinic_id=clinic_id,
        resource_type="partner_case",
        resource_id=str(case_id) if case_id is not None else None,
        outcome=outcome,
    )


def case_of(identity: PortalIdentity) -> PartnerCase:
    """Her partner case: the one case a portal session reaches."""
    partner_case = db.session.get(PartnerCase, identity.partner_case_id)
    assert partner_case is not None  # a foreign key of her access
    return partner_case


def audit_her(action: AuditAction, partner_case: PartnerCase) -> None:
    """The entry of an act of hers in her portal: no actor, her case, nothing else."""
    _audit_portal(action, clinic_id=partner_case.clinic_id, case_id=partner_case.id)


def _audit_access(
    action: AuditAction, access: PortalAccess | None, outcome: Outcome = Outcome.OK
) -> None:
    _audit_portal(
        action,
        clinic_id=access.clinic_id if access is not None else None,
        case_id=access.partner_case_id if access is not None else None,
        outcome=outcome,
    )


# --- her treater's side ------------------------------------------------------------------------


def _withdraw_invitations(partner_case_id: uuid.UUID, now: datetime) -> None:
    db.session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.partner_case_id == partner_case_id,
            PortalInvitation.used_at.is_(None),
            PortalInvitation.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )


def _end_accesses(partner_case_id: uuid.UUID, now: datetime, by: User | None) -> None:
    db.session.execute(
        update(PortalAccess)
        .where(
            PortalAccess.partner_case_id == partner_case_id,
            PortalAccess.revoked_at.is_(None),
            PortalAccess.closed_at.is_(None),
        )
        .values(revoked_at=now, revoked_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    )


def _new_code() -> tuple[str, str]:
    """A code no invitation has had, and its index."""
    for _ in range(10):
        digits = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        index = _index(_CODE_DOMAIN, digits)
        taken = db.session.scalar(
            select(PortalInvitation.id).where(PortalInvitation.code_index == index)
        )
        if taken is None:
            return "-".join(digits[start : start + 4] for start in range(0, CODE_DIGITS, 4)), index
    raise RuntimeError("no free invitation code in ten tries")


def invite(actor: User, case_id: uuid.UUID) -> Invitation:
    """Offer her the portal: a new one-time code, good for :data:`INVITATION_LASTS`.

    Only her treater (the holder of the case). The code is read out to her on the phone, so
    it is a contact: refused (:class:`rules.ContactNotAllowed`) unless the safety steps and
    her plan allow a call now. An earlier invitation not yet redeemed is withdrawn."""
    partner_case = held_case_for(actor, case_id)
    now = current_runtime().clock.now()
    rules.check_contact(
        actor, partner_case, rules.Contact(kind="invitation", channel="phone", at=now)
    )
    _withdraw_invitations(partner_case.id, now)
    code, index = _new_code()
    expires_at = now + INVITATION_LASTS
    db.session.add(
        PortalInvitation(
            clinic_id=partner_case.clinic_id,
            partner_case_id=partner_case.id,
            code_index=index,
            created_by_id=actor.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    db.session.flush()
    audit(AuditAction.PORTAL_INVITED, actor, partner_case)
    return Invitation(code=code, expires_at=expires_at)


def revoke(actor: User, case_id: uuid.UUID) -> None:
    """End her access at once (she thinks he knows her codename), and withdraw an invitation
    not redeemed yet. Only her treater."""
    partner_case = held_case_for(actor, case_id)
    now = current_runtime().clock.now()
    _end_accesses(partner_case.id, now, actor)
    _withdraw_invitations(partner_case.id, now)
    audit(AuditAction.PORTAL_REVOKED, actor, partner_case)


# Her access as her treater sees it, in one statement made once: the invitation's date rides
# on a row that exists whether or not she has an access yet. A redemption ends every earlier
# access of the case, so at most one has not ended: that one if there is one (active or
# locked), else the newest.
_NEWEST_ACCESS = aliased(
    PortalAccess,
    select(PortalAccess)
    .where(PortalAccess.partner_case_id == bindparam("case_id"))
    .order_by(
        (PortalAccess.revoked_at.is_(None) & PortalAccess.closed_at.is_(None)).desc(),
        PortalAccess.created_at.desc(),
        PortalAccess.id,
    )
    .limit(1)
    .subquery("newest_access"),
)
_INVITED_UNTIL = (
    select(func.max(PortalInvitation.expires_at))
    .where(
        PortalInvitation.partner_case_id == bindparam("case_id"),
        PortalInvitation.used_at.is_(None),
        PortalInvitation.withdrawn_at.is_(None),
        PortalInvitation.expires_at > bindparam("now"),
    )
    .scalar_subquery()
)
_ACCESS_STATE = select(_NEWEST_ACCESS, _INVITED_UNTIL.label("invited_until")).select_from(
    select(literal(1).label("one"))
    .subquery("one_row")
    .outerjoin(inspect(_NEWEST_ACCESS).selectable, true())
)


def access_state(partner_case: PartnerCase) -> AccessState:
    """Her access as her treater sees it on the case page (read by a page that loaded the
    case for her treater; not audited here)."""
    now = current_runtime().clock.now()
    access, invited_until = db.session.execute(
        _ACCESS_STATE, {"case_id": partner_case.id, "now": now}
    ).one()
    if access is None:
        return AccessState(invited_until, False, False, False, None)
    ended = access.revoked_at is not None or access.closed_at is not None
    locked = access.locked_at is not None and not ended
    return AccessState(
        invited_until=invited_until,
        active=not ended and not locked,
        locked=locked,
        revoked_or_closed=ended,
        last_login_at=access.last_login_at,
    )


# --- her side ----------------------------------------------------------------------------------


def _new_codename() -> tuple[str, str]:
    """Three words no access has had, and their index."""
    for _ in range(20):
        codename = "-".join(secrets.choice(WORDS) for _ in range(CODENAME_WORDS))
        index = _index(_CODENAME_DOMAIN, codename)
        taken = db.session.scalar(
            select(PortalAccess.id).where(PortalAccess.codename_index == index)
        )
        if taken is None:
            return codename, index
    raise RuntimeError("no free codename in twenty tries")


def _spend_invitation(code: str, now: datetime) -> PortalInvitation | None:
    """The invitation of ``code``, marked used, if it was still good; else None.

    One conditional UPDATE: of two redemptions of one code at the same moment, only one can
    move ``used_at`` from empty (on PostgreSQL the second waits for the first's commit and
    then finds the row used)."""
    digits = _clean_code(code)
    if digits is None:
        return None
    index = _index(_CODE_DOMAIN, digits)
    result = db.session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.code_index == index,
            PortalInvitation.used_at.is_(None),
            PortalInvitation.withdrawn_at.is_(None),
            PortalInvitation.expires_at > now,
            _case_still_open(PortalInvitation.partner_case_id),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return None
    invitation = db.session.scalar(
        select(PortalInvitation).where(PortalInvitation.code_index == index)
    )
    assert invitation is not None
    db.session.refresh(invitation)
    return invitation


def redeem(code: str, passphrase: str, *, address: str) -> str:
    """Redeem her invitation ``code`` with the ``passphrase`` she chose; her codename, to be
    shown to her once (it is stored only as a keyed hash).

    A code that is unknown, used, withdrawn or expired is refused the same way
    (:class:`PortalRefused`, field ``code``) and counts as a failure of ``address`` (her
    source address). Any earlier access of her case ends."""
    now = current_runtime().clock.now()
    address_index = _address_index(address)
    if _throttled(address_index, now):
        _audit_portal(
            AuditAction.PORTAL_REDEEMED, clinic_id=None, case_id=None, outcome=Outcome.DENIED
        )
        raise PortalThrottled(THROTTLED)
    _check_passphrase(passphrase)
    invitation = _spend_invitation(code, now)
    if invitation is None:
        _count_failure(address_index, now)
        _audit_portal(
            AuditAction.PORTAL_REDEEMED, clinic_id=None, case_id=None, outcome=Outcome.DENIED
        )
        raise PortalRefused(CODE_REFUSED, field="code")
    _end_accesses(invitation.partner_case_id, now, None)
    codename, codename_index = _new_codename()
    db.session.add(
        PortalAccess(
            clinic_id=invitation.clinic_id,
            partner_case_id=invitation.partner_case_id,
            invitation_id=invitation.id,
            codename_index=codename_index,
            passphrase_hash=hash_password(passphrase),
            failed_logins=0,
            created_at=now,
        )
    )
    db.session.flush()
    _audit_portal(
        AuditAction.PORTAL_REDEEMED,
        clinic_id=invitation.clinic_id,
        case_id=invitation.partner_case_id,
    )
    return codename


def _update_access(
    access: PortalAccess, *conditions: ColumnElement[bool], **values: object
) -> bool:
    """One conditional UPDATE of the access's row; True if it matched. The attributes it
    wrote are read back."""
    result = db.session.execute(
        update(PortalAccess)
        .where(PortalAccess.id == access.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(access, list(values))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def _case_still_open(case_column: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """Her case has not been closed: once the clinic's contact with her ends, so does her
    portal, whatever her access or invitation says."""
    return case_column.in_(select(PartnerCase.id).where(PartnerCase.closed_on.is_(None)))


def _open() -> tuple[ColumnElement[bool], ...]:
    return (
        PortalAccess.locked_at.is_(None),
        PortalAccess.revoked_at.is_(None),
        PortalAccess.closed_at.is_(None),
        _case_still_open(PortalAccess.partner_case_id),
    )


def _claim_attempt(access: PortalAccess) -> bool:
    """Count the attempt before the passphrase is checked, in one conditional UPDATE (as for
    staff logins): a burst of guesses cannot all read the same count. On PostgreSQL the row
    stays locked until the request commits, so attempts on one codename go one at a time."""
    return _update_access(
        access,
        PortalAccess.failed_logins < MAX_FAILURES,
        *_open(),
        failed_logins=PortalAccess.failed_logins + 1,
    )


def _identity(access: PortalAccess) -> PortalIdentity:
    return PortalIdentity(access_id=access.id, partner_case_id=access.partner_case_id)


def log_in(codename: str, passphrase: str, *, address: str) -> PortalIdentity:
    """Her login with codename and passphrase from source ``address``.

    Refused with :class:`PortalThrottled` before anything is checked when the address has had
    :data:`ADDRESS_MAX_FAILURES` failures within :data:`ADDRESS_WINDOW`; with
    :class:`PortalLocked` when the codename is locked (the :data:`MAX_FAILURES`-th wrong
    passphrase locks it); else with one :class:`PortalRefused` for an unknown codename, a
    wrong passphrase, and a revoked or closed access. Every refusal but the first counts as
    a failure of the address; an unknown or closed codename costs the time of a wrong
    passphrase."""
    now = current_runtime().clock.now()
    address_index = _address_index(address)
    if _throttled(address_index, now):
        _audit_portal(
            AuditAction.PORTAL_LOGIN_FAILED, clinic_id=None, case_id=None, outcome=Outcome.DENIED
        )
        raise PortalThrottled(THROTTLED)
    clean = _clean_codename(codename)
    access = (
        db.session.scalar(
            select(PortalAccess).where(
                PortalAccess.codename_index == _index(_CODENAME_DOMAIN, clean)
            )
        )
        if clean is not None
        else None
    )
    if access is None or not _claim_attempt(access):
        # Nothing is checked against a locked, revoked or closed access: a fixed hash instead.
        _passphrase_matches(
            _placeholder_hash(current_runtime().config.auth.hashing_cost), passphrase
        )
        _count_failure(address_index, now)
        _audit_access(AuditAction.PORTAL_LOGIN_FAILED, access, Outcome.DENIED)
        if (
            access is not None
            and access.locked_at is not None
            and access.revoked_at is None
            and access.closed_at is None
        ):
            raise PortalLocked(LOCKED, field="codename")
        raise PortalRefused(LOGIN_REFUSED, field="passphrase")
    if not _passphrase_matches(access.passphrase_hash, passphrase):
        _count_failure(address_index, now)
        _audit_access(AuditAction.PORTAL_LOGIN_FAILED, access, Outcome.DENIED)
        if access.failed_logins >= MAX_FAILURES:
            _update_access(access, PortalAccess.locked_at.is_(None), locked_at=now)
            raise PortalLocked(LOCKED, field="codename")
        raise PortalRefused(LOGIN_REFUSED, field="passphrase")
    _update_access(access, failed_logins=0, last_login_at=now)
    _audit_access(AuditAction.PORTAL_LOGGED_IN, access)
    return _identity(access)


def still_valid(access_id: uuid.UUID) -> PortalIdentity | None:
    """Her identity while the access is good; None once it is revoked, closed or locked, or
    her case is closed (or it never was). Asked on every portal request."""
    access = db.session.scalar(select(PortalAccess).where(PortalAccess.id == access_id, *_open()))
    return _identity(access) if access is not None else None


def close(identity: PortalIdentity) -> None:
    """She closes her access herself; it ends at once. Nothing happens to an access that
    has already ended."""
    now = current_runtime().clock.now()
    result = db.session.execute(
        update(PortalAccess)
        .where(
            PortalAccess.id == identity.access_id,
            PortalAccess.revoked_at.is_(None),
            PortalAccess.closed_at.is_(None),
        )
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return
    access = db.session.get(PortalAccess, identity.access_id)
    assert access is not None
    db.session.refresh(access)
    _audit_access(AuditAction.PORTAL_CLOSED, access)
