"""Letters to a partner: written from the templates in ``letters/``, previewed as HTML, sent
as a PDF that the clinic prints and posts, and kept sealed on her case.

A letter can be read by the person who used violence against her, who may share her
letterbox (docs/domain.md, "Safety rules of contact"). So:

- the envelope area of a letter shows a neutral sender name (the one her safe-contact plan
  names, else the clinic's) with the clinic's return address, and her name and address,
  nothing else; a sender line that would name the clinic or what it does stops the letter
  (:func:`_check_envelope`, beside the settings' own checks);
- her address is the one she gave herself in her portal if she did, else the newest hand-over
  note's, never an older one: a correction that removed the address means no letter, not a
  letter to where she used to live (:func:`partnercontact.partner_side.reach.current_reach`);
- every send passes
  :func:`partnercontact.partner_side.rules.check_outbound_allowed` (the stop switch,
  her answer and consent, her safe-contact plan, a protected partner's decision) after
  every input has been checked and before anything is written.

Contracts: functions take the acting partner-contact treater first and load the case through
:func:`partnercontact.partner_side.service.held_case_for` (anyone else gets the answer for a case
that does not exist); they flush, never commit; audit entries name the case or the letter by
id, never a word of content. Bad input raises :class:`LetterInvalid` naming the form field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today, local_date
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import reveals_the_clinic
from partnercontact.crypto.service import load_data_key, seal_bytes, unseal_bytes
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side.messaging import templates
from partnercontact.partner_side.messaging.duplicates import check_letter_repeat
from partnercontact.partner_side.messaging.models import SentLetter
from partnercontact.partner_side.reach import current_reach
from partnercontact.partner_side.rules import (
    MessageRefused,
    check_outbound_allowed,
    expected_sender,
    outbound_refusal,
)
from partnercontact.partner_side.scheduling.plan import on_letter_sent
from partnercontact.partner_side.service import (
    audit,
    clinic_of,
    held_case_for,
    not_on_case,
    partner_details,
)
from partnercontact.pdf import html_to_pdf
from partnercontact.relay.kinds import ENDINGS, RelayKind
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.partner_side.models import PartnerCase
    from partnercontact.relay.models import RelayEvent

CHANNEL = "letter"
# The relayed events a letter about the end of his treatment can tell her of: those an ending
# of his treatment causes.
ENDING_KINDS: frozenset[RelayKind] = ENDINGS
# What a sent notice records on its relayed event's task.
RELAY_OUTCOME = "informed_letter"
# Where the PDF is sealed: the associated data binds it to this column of this letter's row.
SEALED_TABLE = "sent_letter"
SEALED_COLUMN = "document"
_DATE_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_RELATIONS = ("current", "former")


class LetterInvalid(DomainError):
    """Input for a letter is not acceptable; ``field`` names it (``purpose``, ``language``,
    ``relay_event_id``)."""


class LetterNotPossible(DomainError):
    """No letter can be written as things stand: her address is missing or hidden from the
    actor, or the clinic's settings lack what a letter needs (``field`` is ``address`` or
    ``clinic``)."""

    status = 409


@dataclass(frozen=True)
class _Draft:
    partner_case: PartnerCase
    clinic: Clinic
    purpose: str
    language: str
    event: RelayEvent | None
    context: dict[str, Any]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _address_lines(address: str | None) -> list[str]:
    """Her address as the lines of the recipient block: a hand-over may give it on one line,
    its parts separated by commas ("Storgatan 1, 123 45 Lindvik")."""
    return [part.strip() for line in _lines(address) for part in line.split(",") if part.strip()]


def _check_clinic(clinic: Clinic) -> None:
    """Refuse letters from a clinic whose settings cannot make a safe, answerable letter."""
    if not _lines(clinic.postal_address):
        raise LetterNotPossible(
            _l(
                "The clinic has no return address for envelopes yet. An administrator adds it "
                "in the clinic settings."
            ),
            field="clinic",
        )
    if not (clinic.phone or "").strip():
        raise LetterNotPossible(
            _l(
                "The clinic has no phone number for letters yet. An administrator adds it in "
                "the clinic settings."
            ),
            field="clinic",
        )


def _check_envelope(clinic: Clinic, sender_name: str) -> None:
    """Refuse an envelope area that would name the clinic or what it does.

    The settings refuse such a sender name or return address when they are saved; this also
    covers values saved before that rule, a clinic renamed since, and the sender name in her
    plan. The envelope area is the one part of a letter that anyone handling her post reads.
    """
    if reveals_the_clinic(sender_name, clinic.name or ""):
        raise LetterNotPossible(
            _l(
                "The sender name would reveal the clinic on the envelope. Change the sender "
                "name in her safe-contact plan, or ask an administrator to change the clinic's."
            ),
            field="clinic",
        )
    if any(reveals_the_clinic(line, clinic.name or "") for line in _lines(clinic.postal_address)):
        raise LetterNotPossible(
            _l(
                "The clinic's return address would reveal the clinic on the envelope. An "
                "administrator must change it in the clinic settings."
            ),
            field="clinic",
        )


def _event_for(
    partner_case: PartnerCase, purpose: str, relay_event_id: uuid.UUID | None
) -> RelayEvent | None:
    if purpose not in templates.RELAY_NOTICES:
        if relay_event_id is not None:
            raise LetterInvalid(
                _l("Only the letter about the end of his treatment tells her of a relayed event."),
                field="relay_event_id",
            )
        return None
    if relay_event_id is None:
        raise LetterInvalid(
            _l("Choose the relayed event the letter tells her of."), field="relay_event_id"
        )
    event = tasks.event_in(partner_case, relay_event_id)
    if event.kind not in ENDING_KINDS:
        raise LetterInvalid(
            _l("This letter tells her that his treatment ended: choose an event that ended it."),
            field="relay_event_id",
        )
    return event


def _draft(
    actor: User,
    case_id: uuid.UUID,
    purpose: str,
    language: str,
    relay_event_id: uuid.UUID | None,
) -> _Draft:
    """Check everything a letter needs and gather what its template reads; writes nothing but
    the audit entries of the reads."""
    partner_case = held_case_for(actor, case_id)
    if purpose not in templates.LETTER_PURPOSES:
        raise LetterInvalid(_l("Choose which letter to write."), field="purpose")
    if language not in templates.LANGUAGES:
        raise LetterInvalid(_l("Choose the language of the letter."), field="language")
    event = _event_for(partner_case, purpose, relay_event_id)
    clinic = clinic_of(partner_case)
    _check_clinic(clinic)
    sender_name = expected_sender(partner_case)
    _check_envelope(clinic, sender_name)
    entries = partner_details(actor, partner_case)
    if entries is None:
        raise LetterNotPossible(
            _l("Only staff named for her may write to her: she has protected personal data."),
            field="address",
        )
    # The newest note only: an older address may be one she has left, perhaps to get away.
    # An address she gave herself in her portal counts over any hand-over's (reach).
    details = entries[0].details if entries else None
    address = current_reach(partner_case).address
    recipient_lines = _address_lines(address) if details is not None else []
    if details is None or not details.name.strip() or not recipient_lines:
        raise LetterNotPossible(
            _l("The hand-over gives no postal address for her: no letter can be sent."),
            field="address",
        )
    name = details.name.strip()
    letterhead = _lines(clinic.letterhead)
    if letterhead and letterhead[0] == clinic.name.strip():
        letterhead = letterhead[1:]
    context = {
        "language": language,
        # The envelope area reads this and nothing else.
        "envelope": {
            "sender_name": sender_name,
            "sender_lines": _lines(clinic.postal_address),
            "recipient_name": name,
            "recipient_lines": recipient_lines,
        },
        "clinic": {
            "name": clinic.name.strip(),
            "letterhead_lines": letterhead,
            "phone": clinic.phone.strip(),
        },
        "signatory": (clinic.letter_signatory or "").strip() or actor.display_name,
        "date": format_date(clinic_today(clinic), format="long", locale=_DATE_LOCALES[language]),
        "recipient_name": name,
        "relation": details.relation if details.relation in _RELATIONS else "",
        "event_kind": event.kind if event is not None else None,
    }
    return _Draft(partner_case, clinic, purpose, language, event, context)


def _render(draft: _Draft, stylesheet_href: str | None = None, *, style_apart: bool = False) -> str:
    """The letter's HTML. ``style_apart``: without its stylesheet, which the printer applies
    (:func:`_print`)."""
    template = templates.environment().get_template(
        templates.letter_template_name(draft.purpose, draft.language)
    )
    return template.render(
        **draft.context, stylesheet_href=stylesheet_href, style_apart=style_apart
    )


def _print(draft: _Draft) -> bytes:
    """The letter as PDF: its HTML with the letters' stylesheet, which the printer parses once
    and applies as if inlined (the same printed page, without parsing the style again for each
    letter)."""
    return html_to_pdf(
        _render(draft, style_apart=True), stylesheet=templates.LETTERS_DIR / templates.STYLESHEET
    )


def preview_letter(
    actor: User,
    case_id: uuid.UUID,
    purpose: str,
    language: str,
    relay_event_id: uuid.UUID | None = None,
    *,
    stylesheet_href: str | None = None,
) -> str:
    """The letter as HTML, exactly as it would be printed today.

    ``stylesheet_href``: for a page that cannot show inline style (a Content-Security-Policy),
    the URL of ``letters/letter.css`` to link instead. Raises as :func:`send_letter` does for
    its input, but runs no safety gate: a preview goes nowhere. Audited ``LETTER_PREVIEWED``.
    """
    draft = _draft(actor, case_id, purpose, language, relay_event_id)
    page = _render(draft, stylesheet_href)
    audit(AuditAction.LETTER_PREVIEWED, actor, draft.partner_case)
    return page


def send_refusal(partner_case: PartnerCase, purpose: str) -> MessageRefused | None:
    """What the safety gate would say of sending a letter of ``purpose`` to her now, for the
    preview: the refusal, or None. Writes nothing and spends no decision."""
    now = current_runtime().clock.now()
    return outbound_refusal(
        partner_case,
        CHANNEL,
        now,
        purpose=purpose,
        relay_notice=purpose in templates.RELAY_NOTICES,
    )


def send_letter(
    actor: User,
    case_id: uuid.UUID,
    purpose: str,
    language: str,
    relay_event_id: uuid.UUID | None = None,
    *,
    confirm_duplicate: bool = False,
) -> SentLetter:
    """Send a letter: render it to PDF and keep it, sealed, as the letter that went out.

    ``purpose`` is a key of ``LETTER_PURPOSES``, ``language`` of ``LANGUAGES``. The notice of
    the end of his treatment (``RELAY_NOTICES``) needs ``relay_event_id``, an event of the case
    that ended his treatment, and records ``informed_letter`` on that event's task; every other
    letter must not have one. In this order, with nothing written before the last step:

    1. every input is checked (:class:`LetterInvalid`, :class:`LetterNotPossible`, or the
       not-found answer for a case or event that is not the actor's);
    2. a letter of the same purpose, language and event as one sent to her within the
       clinic's ``duplicate_message_minutes`` is refused
       (:class:`~partnercontact.partner_side.messaging.duplicates.DuplicateMessage`, writing
       nothing) unless ``confirm_duplicate``;
    3. the safety gate refuses or allows the letter now
       (:class:`partnercontact.partner_side.rules.MessageRefused`, whose audit entry is
       in the session: a caller that rolls back and wants it kept commits first);
    4. the PDF is rendered, sealed under the case's data key and stored; the relay outcome
       and the ``LETTER_SENT`` entry are added in the same transaction.

    "Sent" means the clinic has the printed letter to post; the post itself is not tracked.
    """
    draft = _draft(actor, case_id, purpose, language, relay_event_id)
    partner_case = draft.partner_case
    runtime = current_runtime()
    now = runtime.clock.now()
    today = clinic_today(draft.clinic)
    if draft.event is not None and today < draft.event.occurred_on:
        raise LetterInvalid(
            _l("The event is dated after today: she cannot be told of it yet."),
            field="relay_event_id",
        )
    check_letter_repeat(
        partner_case,
        purpose=purpose,
        language=language,
        relay_event_id=relay_event_id,
        now=now,
        confirmed=confirm_duplicate,
    )
    check_outbound_allowed(
        actor,
        partner_case,
        CHANNEL,
        now,
        purpose=purpose,
        relay_notice=purpose in templates.RELAY_NOTICES,
    )
    pdf = _print(draft)
    letter = SentLetter(
        id=uuid.uuid4(),
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        purpose=purpose,
        language=language,
        template_version=templates.letter_version(purpose, language),
        relay_event_id=draft.event.id if draft.event is not None else None,
        sent_by_id=actor.id,
        sent_at=now,
        size_bytes=len(pdf),
    )
    letter.document_ct = seal_bytes(
        load_data_key(partner_case.data_key_id),
        pdf,
        keyring=runtime.keyring,
        table=SEALED_TABLE,
        column=SEALED_COLUMN,
        row_id=letter.id,
    )
    db.session.add(letter)
    db.session.flush()
    if draft.event is not None:
        tasks.note_outcome(
            actor, partner_case, draft.event, outcome=RELAY_OUTCOME, outcome_on=today
        )
    if purpose == "information":
        on_letter_sent(partner_case, letter.id, now)
    _audit_letter(AuditAction.LETTER_SENT, actor, letter)
    return letter


def _audit_letter(action: AuditAction, actor: User, letter: SentLetter) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=letter.clinic_id,
        resource_type=SEALED_TABLE,
        resource_id=str(letter.id),
    )


def letters_of(partner_case: PartnerCase) -> list[SentLetter]:
    """The letters sent on a case, newest first. Reads metadata only (no document)."""
    return list(
        db.session.scalars(
            select(SentLetter)
            .where(SentLetter.partner_case_id == partner_case.id)
            .order_by(SentLetter.sent_at.desc(), SentLetter.id)
        )
    )


def senders_of(letters: list[SentLetter]) -> dict[int, str]:
    """The display names of the staff who sent ``letters``, by user id."""
    ids = {letter.sent_by_id for letter in letters}
    if not ids:
        return {}
    return {
        user.id: user.display_name
        for user in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def open_letter(actor: User, case_id: uuid.UUID, letter_id: uuid.UUID) -> bytes:
    """The PDF of a letter sent on a case ``actor`` holds. A letter of another case gets the
    answer for a case that does not exist. Audited ``LETTER_OPENED``."""
    partner_case = held_case_for(actor, case_id)
    letter = db.session.scalar(
        select(SentLetter).where(
            SentLetter.id == letter_id, SentLetter.partner_case_id == partner_case.id
        )
    )
    if letter is None:
        raise not_on_case()
    document = unseal_bytes(
        load_data_key(letter.data_key_id),
        letter.document_ct,
        keyring=current_runtime().keyring,
        table=SEALED_TABLE,
        column=SEALED_COLUMN,
        row_id=letter.id,
    )
    _audit_letter(AuditAction.LETTER_OPENED, actor, letter)
    return document


def letter_of_case(actor: User, case_id: uuid.UUID, letter_id: uuid.UUID) -> SentLetter:
    """A letter sent on a case ``actor`` works (its metadata, not its document); another
    case's letter gets the answer for a case that does not exist."""
    partner_case = held_case_for(actor, case_id, audited=False)
    letter = db.session.scalar(
        select(SentLetter).where(
            SentLetter.id == letter_id, SentLetter.partner_case_id == partner_case.id
        )
    )
    if letter is None:
        raise not_on_case()
    return letter


def mark_returned(
    actor: User, case_id: uuid.UUID, letter_id: uuid.UUID, *, returned_on: date | None
) -> SentLetter:
    """Record that a letter sent on a case ``actor`` works came back, on ``returned_on``: no
    letter goes to her address again until her details change. :class:`LetterInvalid` on
    ``returned_on`` for a missing day, one before the letter went or after today;
    :class:`Conflict` for a letter already marked. Audited ``LETTER_RETURNED``."""
    partner_case = held_case_for(actor, case_id)
    letter = db.session.scalar(
        select(SentLetter)
        .where(SentLetter.id == letter_id, SentLetter.partner_case_id == partner_case.id)
        .with_for_update()
    )
    if letter is None:
        raise not_on_case()
    clinic = clinic_of(partner_case)
    if returned_on is None:
        raise LetterInvalid(_l("Enter the day the letter came back."), field="returned_on")
    if not local_date(letter.sent_at, clinic) <= returned_on <= clinic_today(clinic):
        raise LetterInvalid(
            _l("The letter came back between the day it was sent and today."),
            field="returned_on",
        )
    if letter.returned_on is not None:
        raise Conflict(_l("This letter is already marked as returned."), field="letter")
    letter.returned_on = returned_on
    letter.returned_recorded_at = current_runtime().clock.now()
    db.session.flush()
    _audit_letter(AuditAction.LETTER_RETURNED, actor, letter)
    return letter


def notice_events(actor: User, partner_case: PartnerCase) -> list[tasks.RelayedEvent]:
    """The relayed events of the case that a letter about the end of his treatment can tell
    her of, oldest first (audited as a read of the relayed events)."""
    return [
        event for event in tasks.relayed_events(actor, partner_case) if event.kind in ENDING_KINDS
    ]
