"""Letters to a partner, through the real services and pages on the real database.

Every letter is printed for real (WeasyPrint) and read back from its PDF: the clinic's name
and hers are in it, and the envelope area (the top of the first page, cropped by the
coordinates of ``.envelope`` in ``letters/letter.css``) shows the neutral sender, the return
address and her name and address, and never the clinic's name or a word about violence or
treatment, here from a clinic whose real name holds "våld". The document is sealed; each
safety rule refuses with its message; bad input names its field and writes nothing; only the
partner-contact treater holding the case reaches any of it.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import time

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.errors import DecryptionFailed
from partnercontact.crypto.service import load_data_key, unseal_bytes
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import contact, sending
from partnercontact.partner_side.contact import SafeContactPlanIn
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.halt import halt_outbound
from partnercontact.partner_side.messaging.models import SentLetter
from partnercontact.partner_side.messaging.templates import (
    LANGUAGES,
    LETTER_PURPOSES,
    THREAT_WARNING_PURPOSE,
    letter_version,
)
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import FIRST_CONTACT_LETTERS, MessageRefused
from partnercontact.partner_side.service import PartnerCaseNotFound, pick_up
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.runtime import current_runtime
from tests.cases_built import first_steps_taken
from tests.factories import Account, Factory
from tests.helpers import case_view, csrf_token, log_in, masked, submit, text_of
from tests.messaging.rows import case_with_number
from tests.partners.conftest import handed_over_case

CLINIC_NAME = "Mottagningen mot våld i Testby"
LETTERHEAD = f"{CLINIC_NAME}\nBehandlingsgången 3\n123 45 Testby"
PARTNER = "Maja Påhittad"
# As the factory's clinic and tests/partners/conftest.py set them.
SENDER = "Norrbacka samtal"
RETURN_ADDRESS = ("Box 4711", "123 45 Testby")
HER_ADDRESS = ("Storgatan 1", "123 45 Lindvik")
# letters/letter.css: the envelope area is the top 95 mm of the first page.
ENVELOPE_MM = 95
POINTS_PER_MM = 72 / 25.4
EVENT_OF_ENDING = {
    "dropped_out": "dropped_out",
    "completed": "treatment_completed",
    "ended_by_clinic": "ended_by_clinic",
}


@dataclass
class Held:
    clinic: Clinic
    client_treater: Account
    holder: Account
    case: PartnerCase


def _held(factory: Factory, clock, *, suitable: bool = True, **kwargs: object) -> Held:
    """A case picked up in a clinic with a letterhead, found suitable for contact unless
    ``suitable`` is off: the first letters (information, call announcement) may go."""
    clinic = factory.clinic(CLINIC_NAME)
    clinic.letterhead = LETTERHEAD
    db.session.commit()
    client_treater = factory.client_treater(clinic=clinic)
    case = handed_over_case(factory, clock, client_treater=client_treater, **kwargs)  # type: ignore[arg-type]
    holder = factory.partner_treater(clinic=clinic)
    pick_up(holder.user, case.id)
    if suitable:
        contact.decide_suitability(holder.user, case.id, decision="contact")
    db.session.commit()
    return Held(clinic, client_treater, holder, case)


def _reached(held: Held, clock) -> None:
    """She has been reached and her plan allows letters: every letter may go, not only the
    first ones."""
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()


def _warned(held: Held, factory: Factory, clock) -> None:
    """She declined, and a manager confirmed a threat warning: the threat warning letter or
    text may go to her."""
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=clock.now().date()
    )
    warning = contact.record_threat_warning(
        held.holder.user, held.case.id, reason="He has said he will go to her home tonight."
    )
    db.session.commit()
    contact.confirm_threat_warning(factory.manager(clinic=held.clinic).user, warning.id)
    db.session.commit()


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return _held(factory, clock)


def _ended(held: Held, clock, ending: str = "dropped_out") -> uuid.UUID:
    """His treatment starts and ends; the relayed event of the ending."""
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    today = clock.now().date()
    start_treatment(held.client_treater.user, client_id, started_on=today)
    end_episode(held.client_treater.user, client_id, ended_on=today, outcome=ending)
    db.session.commit()
    return db.session.scalar(
        select(RelayEvent.id).where(
            RelayEvent.episode_id == held.case.episode_id,
            RelayEvent.kind == EVENT_OF_ENDING[ending],
        )
    )


def _all_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _envelope_text(pdf: bytes) -> str:
    """The text whose baseline lies in the envelope area of the first page."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    floor = float(page.mediabox.top) - ENVELOPE_MM * POINTS_PER_MM
    found: list[str] = []

    def visit(chunk: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        # The text matrix's origin, placed on the page by the current transformation matrix.
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if chunk.strip() and y > floor:
            found.append(chunk)

    page.extract_text(visitor_text=visit)
    return "".join(found)


def _count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


# --- every letter, printed ----------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("purpose", list(LETTER_PURPOSES))
def test_every_letter_names_the_clinic_inside_and_only_a_neutral_sender_outside(
    held: Held, factory: Factory, clock, purpose: str, language: str
) -> None:
    if purpose == THREAT_WARNING_PURPOSE:
        _warned(held, factory, clock)
    elif purpose not in FIRST_CONTACT_LETTERS:
        _reached(held, clock)
    event_id = _ended(held, clock) if purpose == "treatment_ended" else None
    letter = letters.send_letter(held.holder.user, held.case.id, purpose, language, event_id)
    db.session.commit()
    pdf = letters.open_letter(held.holder.user, held.case.id, letter.id)

    assert pdf.startswith(b"%PDF-") and len(pdf) == letter.size_bytes
    everything = _all_text(pdf)
    assert CLINIC_NAME in everything and PARTNER in everything
    assert "Behandlingsgången 3" in everything  # the letterhead, below the envelope area
    assert held.clinic.phone in everything

    envelope = _envelope_text(pdf)
    for expected in (SENDER, *RETURN_ADDRESS, PARTNER, *HER_ADDRESS):
        assert expected in envelope, f"{expected!r} is missing from the envelope area"
    lowered = envelope.lower()
    for revealing in ("våld", "behandling", "violence", "treatment", CLINIC_NAME.lower()):
        assert revealing not in lowered, f"{revealing!r} shows in the envelope area"

    assert (letter.purpose, letter.language) == (purpose, language)
    assert letter.template_version == letter_version(purpose, language)
    assert letter.sent_by_id == held.holder.user.id
    assert letter.relay_event_id == event_id


@pytest.mark.parametrize(
    ("ending", "swedish"),
    [
        # The hand-over says "former": she is told of her former partner.
        ("dropped_out", "att din före detta partner har avbrutit sin behandling hos oss i förtid"),
        ("completed", "att din före detta partner har avslutat sin behandling hos oss."),
        ("ended_by_clinic", "att vi har avslutat behandlingen av din före detta partner."),
    ],
)
def test_the_notice_says_how_his_treatment_ended_and_records_that_she_was_told(
    held: Held, clock, ending: str, swedish: str
) -> None:
    _reached(held, clock)
    event_id = _ended(held, clock, ending)
    page = letters.preview_letter(held.holder.user, held.case.id, "treatment_ended", "sv", event_id)
    assert swedish in page
    letter = letters.send_letter(held.holder.user, held.case.id, "treatment_ended", "sv", event_id)
    db.session.commit()
    outcome = db.session.scalar(select(RelayOutcome).where(RelayOutcome.event_id == event_id))
    assert outcome is not None
    assert (outcome.outcome, outcome.outcome_on) == ("informed_letter", clock.now().date())
    assert letter.relay_event_id == event_id


def test_the_sender_she_chose_in_her_plan_is_the_one_on_the_envelope(held: Held, clock) -> None:
    contact.save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["letter"],
            safe_days=[],
            safe_from=None,
            safe_until=None,
            letters_safe_at_address=True,
            sender_name="Frisören Lugn & Ro",
        ),
    )
    letter = letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    db.session.commit()
    envelope = _envelope_text(letters.open_letter(held.holder.user, held.case.id, letter.id))
    assert "Frisören Lugn & Ro" in envelope and SENDER not in envelope


def test_a_preview_is_the_letter_as_html_and_writes_no_letter(held: Held) -> None:
    page = letters.preview_letter(held.holder.user, held.case.id, "call_announcement", "en")
    db.session.commit()
    assert page.startswith("<!doctype html>") and 'id="envelope"' in page
    assert "One of us will call you in a few days" in page and PARTNER in page
    linked = letters.preview_letter(
        held.holder.user, held.case.id, "information", "sv", stylesheet_href="/letter.css"
    )
    assert '<link rel="stylesheet" href="/letter.css">' in linked and "<style>" not in linked
    assert _count(SentLetter) == 0
    assert AuditAction.LETTER_PREVIEWED in _actions()


def test_her_name_is_escaped_in_the_letter(factory: Factory, clock) -> None:
    held = _held(factory, clock, name='<img src="http://example.test/x">Maja')
    page = letters.preview_letter(held.holder.user, held.case.id, "information", "sv")
    assert "<img" not in page and "&lt;img" in page


# --- the sealed document ------------------------------------------------------------------


def test_the_document_is_sealed_under_the_case_key_for_its_own_row(held: Held, clock) -> None:
    _reached(held, clock)
    letter = letters.send_letter(held.holder.user, held.case.id, "closing", "sv")
    db.session.commit()
    # The column as the database holds it, past every type the model puts on it.
    row_id = letter.id.hex if db.engine.dialect.name == "sqlite" else letter.id
    raw = bytes(
        db.session.execute(
            text("SELECT document_ct FROM sent_letter WHERE id = :id"), {"id": row_id}
        ).scalar_one()
    )
    assert b"%PDF" not in raw and PARTNER.encode() not in raw
    pdf = letters.open_letter(held.holder.user, held.case.id, letter.id)
    keyring = current_runtime().keyring
    data_key = load_data_key(held.case.data_key_id)
    assert letter.data_key_id == held.case.data_key_id
    assert (
        unseal_bytes(
            data_key, raw, keyring=keyring, table="sent_letter", column="document", row_id=letter.id
        )
        == pdf
    )
    with pytest.raises(DecryptionFailed):
        unseal_bytes(
            data_key,
            raw,
            keyring=keyring,
            table="sent_letter",
            column="document",
            row_id=uuid.uuid4(),
        )


def test_the_audit_log_names_the_letter_and_never_its_content(held: Held, clock) -> None:
    letters.preview_letter(held.holder.user, held.case.id, "information", "sv")
    letter = letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    letters.open_letter(held.holder.user, held.case.id, letter.id)
    db.session.commit()
    rows = db.session.scalars(select(AuditEvent)).all()
    by_action = {row.action: row for row in rows}
    assert by_action[AuditAction.LETTER_PREVIEWED].resource_id == str(held.case.id)
    for action in (AuditAction.LETTER_SENT, AuditAction.LETTER_OPENED):
        assert (by_action[action].resource_type, by_action[action].resource_id) == (
            "sent_letter",
            str(letter.id),
        )
    dump = repr([(row.action, row.resource_type, row.resource_id) for row in rows])
    for secret in (PARTNER, "Storgatan", "Maja"):
        assert secret not in dump


def test_letters_of_lists_newest_first(held: Held, clock) -> None:
    first = letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    clock.advance(minutes=5)
    second = letters.send_letter(held.holder.user, held.case.id, "call_announcement", "en")
    db.session.commit()
    assert [letter.id for letter in letters.letters_of(held.case)] == [second.id, first.id]


# --- the safety gate ----------------------------------------------------------------------


def _refused(held: Held, purpose: str = "information", event_id=None) -> MessageRefused:
    with pytest.raises(MessageRefused) as caught:
        letters.send_letter(held.holder.user, held.case.id, purpose, "sv", event_id)
    db.session.commit()  # as the page does: the refusal stays on record
    return caught.value


def _english(exc: DomainError) -> str:
    with force_locale("en"):
        return str(exc.message)


def test_a_partner_who_declined_gets_no_letter(held: Held, clock) -> None:
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=clock.now().date()
    )
    db.session.commit()
    refusal = _refused(held)
    assert refusal.rule == "contact" and "She declined the offer of contact" in _english(refusal)
    assert _count(SentLetter) == 0
    assert AuditAction.SEND_REFUSED in _actions()


def test_she_declined_but_asked_to_be_told_so_the_notice_goes(held: Held, clock) -> None:
    _reached(held, clock)
    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="declined",
        answered_on=clock.now().date(),
        scopes=["told_when_ended"],
    )
    db.session.commit()
    event_id = _ended(held, clock)
    assert _refused(held, "closing").rule == "contact"
    letters.send_letter(held.holder.user, held.case.id, "treatment_ended", "sv", event_id)
    db.session.commit()
    assert _count(SentLetter) == 1


def test_the_stop_switch_stops_every_letter(held: Held, factory: Factory) -> None:
    manager = factory.manager(clinic=held.clinic)
    halt_outbound(manager.user, "A template is being checked")
    db.session.commit()
    refusal = _refused(held)
    assert refusal.rule == "halted" and "stop switch is on" in _english(refusal)
    assert _count(SentLetter) == 0


def test_a_plan_that_does_not_allow_letters_stops_them(held: Held) -> None:
    contact.save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["phone"], safe_days=["1"], safe_from=time(9), safe_until=time(17)
        ),
    )
    db.session.commit()
    refusal = _refused(held)
    assert refusal.rule == "plan_fit" and "does not allow contact by" in _english(refusal)


def test_a_protected_partner_gets_a_letter_only_under_a_decision(factory: Factory, clock) -> None:
    held = _held(factory, clock, protected=True)
    refusal = _refused(held)
    assert refusal.rule == "protected" and "protected personal data" in _english(refusal)
    assert _count(SentLetter) == 0
    sending.record_send_decision(held.holder.user, held.case.id, "letter", "She asked for it")
    db.session.commit()
    letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    db.session.commit()
    assert _count(SentLetter) == 1
    # The decision allowed one letter: the same one again, confirmed, is refused.
    with pytest.raises(MessageRefused) as again:
        letters.send_letter(
            held.holder.user, held.case.id, "information", "sv", confirm_duplicate=True
        )
    assert again.value.rule == "protected"


# --- bad input, and what a letter needs ------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "language", "event", "field"),
    [
        ("", "sv", None, "purpose"),
        ("love_letter", "sv", None, "purpose"),
        ("information", "de", None, "language"),
        ("information", "", None, "language"),
        ("treatment_ended", "sv", None, "relay_event_id"),
        ("information", "sv", "event", "relay_event_id"),
        ("closing", "en", "event", "relay_event_id"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(
    held: Held, clock, purpose: str, language: str, event: str | None, field: str
) -> None:
    event_id = _ended(held, clock) if event else None
    before = _actions()
    for attempt in (letters.send_letter, letters.preview_letter):
        with pytest.raises(letters.LetterInvalid) as caught:
            attempt(held.holder.user, held.case.id, purpose, language, event_id)
        assert caught.value.field == field
        db.session.rollback()
    assert _count(SentLetter) == 0 and _count(RelayOutcome) == 0
    assert _actions() == before


def test_the_notice_needs_an_event_that_ended_his_treatment(held: Held, factory, clock) -> None:
    other = handed_over_case(factory, clock, client_treater=held.client_treater)
    other_client = db.session.get(TreatmentEpisode, other.episode_id).client_id
    start_treatment(held.client_treater.user, other_client, started_on=clock.now().date())
    end_episode(
        held.client_treater.user, other_client, ended_on=clock.now().date(), outcome="completed"
    )
    db.session.commit()
    foreign = db.session.scalar(
        select(RelayEvent.id).where(RelayEvent.episode_id == other.episode_id)
    )
    with pytest.raises(PartnerCaseNotFound):
        letters.send_letter(held.holder.user, held.case.id, "treatment_ended", "sv", foreign)
    db.session.rollback()
    with pytest.raises(PartnerCaseNotFound):
        letters.send_letter(held.holder.user, held.case.id, "treatment_ended", "sv", uuid.uuid4())
    db.session.rollback()
    assert _count(SentLetter) == 0


def test_a_missed_session_is_no_event_for_the_notice(held: Held, clock) -> None:
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    start_treatment(held.client_treater.user, client_id, started_on=clock.now().date())
    record_session(
        held.client_treater.user, client_id, held_on=clock.now().date(), attendance="missed"
    )
    db.session.commit()
    missed = db.session.scalar(select(RelayEvent.id).where(RelayEvent.kind == "session_missed"))
    assert missed is not None
    with pytest.raises(letters.LetterInvalid) as caught:
        letters.send_letter(held.holder.user, held.case.id, "treatment_ended", "sv", missed)
    assert caught.value.field == "relay_event_id"
    db.session.rollback()
    assert _count(SentLetter) == 0 and _count(RelayOutcome) == 0


def test_no_letter_without_her_address(factory: Factory, clock) -> None:
    clinic = factory.clinic(CLINIC_NAME)
    client_treater = factory.client_treater(clinic=clinic)
    case = case_with_number(
        factory, clock, "070-765 43 21", client_treater=client_treater, name=PARTNER
    )
    holder = factory.partner_treater(clinic=clinic)
    pick_up(holder.user, case.id)
    db.session.commit()
    with pytest.raises(letters.LetterNotPossible) as caught:
        letters.send_letter(holder.user, case.id, "information", "sv")
    assert caught.value.field == "address"
    db.session.rollback()
    assert _count(SentLetter) == 0


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("postal_address", ""),
        ("phone", ""),
        ("postal_address", "Våldsmottagningen\nBox 1"),
        ("postal_address", f"{CLINIC_NAME}\nBox 1"),
        ("neutral_sender_name", "Behandlingshemmet"),
        ("neutral_sender_name", CLINIC_NAME),
    ],
)
def test_a_clinic_whose_envelope_would_reveal_it_sends_no_letter(
    held: Held, setting: str, value: str
) -> None:
    # Written straight into the row: a value saved before the settings checked it.
    setattr(held.clinic, setting, value)
    db.session.commit()
    with pytest.raises(letters.LetterNotPossible) as caught:
        letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    assert caught.value.field == "clinic"
    db.session.rollback()
    assert _count(SentLetter) == 0


def test_only_the_holder_reaches_a_case_s_letters(held: Held, factory: Factory, clock) -> None:
    letter = letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    db.session.commit()
    colleague = factory.partner_treater(clinic=held.clinic)
    for actor in (colleague.user, held.client_treater.user):
        with pytest.raises(PartnerCaseNotFound):
            letters.open_letter(actor, held.case.id, letter.id)
        with pytest.raises(PartnerCaseNotFound):
            letters.send_letter(actor, held.case.id, "information", "sv")
        with pytest.raises(PartnerCaseNotFound):
            letters.preview_letter(actor, held.case.id, "information", "sv")
        db.session.rollback()
    other = _held(factory, clock)  # another clinic's case, and its holder
    with pytest.raises(PartnerCaseNotFound):
        letters.open_letter(other.holder.user, other.case.id, letter.id)


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def browser(client: FlaskClient, held: Held, clock) -> FlaskClient:
    log_in(client, held.holder, clock)
    return client


def _compose(held: Held) -> str:
    return f"/partner/cases/{held.case.id}/letters/new"


def test_the_treater_previews_then_sends_and_the_case_lists_the_letter(
    held: Held, browser: FlaskClient
) -> None:
    page = _compose(held)
    form = text_of(browser.get(page))
    assert 'name="purpose"' in form and 'name="confirm"' in form

    preview = submit(browser, page, {"purpose": "information", "language": "sv", "preview": "1"})
    assert preview.status_code == 200
    shown = text_of(preview)
    assert 'sandbox="allow-same-origin"' in shown and "srcdoc=" in shown
    assert "Partnerkontakten handlar om din och eventuella barns säkerhet" in shown
    assert "/partner/letters/letter.css" in shown
    assert _count(SentLetter) == 0

    unticked = submit(browser, page, {"purpose": "information", "language": "sv", "send": "1"})
    assert unticked.status_code == 400 and 'id="confirm-error"' in text_of(unticked)
    assert _count(SentLetter) == 0

    sent = submit(
        browser,
        page,
        {"purpose": "information", "language": "sv", "confirm": "y", "send": "1"},
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#letters")
    assert _count(SentLetter) == 1
    case_page = text_of(browser.get(case_view(held.case.id, "letters")))
    letter = db.session.scalar(select(SentLetter))
    assert 'id="sent-letters"' in case_page and letter.template_version in case_page
    assert held.holder.user.display_name in case_page

    pdf = browser.get(f"/partner/cases/{held.case.id}/letters/{letter.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="brev.pdf"'
    assert pdf.headers["Cache-Control"] == "no-store"
    assert browser.get("/partner/letters/letter.css").mimetype == "text/css"


def test_a_refusal_comes_back_on_the_form_with_its_message_and_the_choices_kept(
    held: Held, browser: FlaskClient, clock
) -> None:
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=clock.now().date()
    )
    db.session.commit()
    response = submit(
        browser,
        _compose(held),
        {"purpose": "call_announcement", "language": "en", "confirm": "y", "send": "1"},
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "Hon har tackat nej till erbjudandet om kontakt" in page
    assert '<option selected value="call_announcement">' in page
    assert '<option selected value="en">' in page
    assert _count(SentLetter) == 0
    assert AuditAction.SEND_REFUSED in _actions()  # kept although the letter was refused


def test_the_relay_task_opens_the_notice_letter_for_its_event(
    held: Held, browser: FlaskClient, clock
) -> None:
    _reached(held, clock)
    event_id = _ended(held, clock)
    case_page = text_of(browser.get(case_view(held.case.id, "relay")))
    link = f"/partner/cases/{held.case.id}/letters/new?relay_event_id={event_id}"
    assert link in case_page
    form = text_of(browser.get(link))
    assert '<option selected value="treatment_ended">' in form
    assert f'<option selected value="{event_id}">' in form
    sent = submit(
        browser,
        link,
        {
            "purpose": "treatment_ended",
            "language": "sv",
            "relay_event_id": str(event_id),
            "confirm": "y",
            "send": "1",
        },
    )
    assert sent.status_code == 302
    assert _count(RelayOutcome) == 1
    assert link not in text_of(browser.get(case_view(held.case.id, "relay")))  # task done


def test_the_client_treater_reaches_none_of_it(held: Held, client: FlaskClient, clock) -> None:
    letter = letters.send_letter(held.holder.user, held.case.id, "information", "sv")
    db.session.commit()
    log_in(client, held.client_treater, clock)
    token = csrf_token(client, "/account/")
    case = f"/partner/cases/{held.case.id}"
    for url in (f"{case}/letters/new", f"{case}/letters/{letter.id}/pdf"):
        assert client.get(url).status_code == 404
    response = client.post(
        f"{case}/letters/new",
        data={"csrf_token": token, "purpose": "information", "language": "sv", "send": "1"},
    )
    assert response.status_code == 404
    assert client.get("/partner/letters/letter.css").status_code == 403
    assert _count(SentLetter) == 1


def test_a_letter_of_another_case_is_not_found_like_an_unknown_case(
    held: Held, browser: FlaskClient, factory: Factory, clock
) -> None:
    other = handed_over_case(factory, clock, client_treater=held.client_treater)
    pick_up(held.holder.user, other.id)
    contact.decide_suitability(held.holder.user, other.id, decision="contact")
    db.session.commit()
    letter = letters.send_letter(held.holder.user, other.id, "information", "sv")
    db.session.commit()
    wrong = browser.get(f"/partner/cases/{held.case.id}/letters/{letter.id}/pdf")
    unknown = browser.get(f"/partner/cases/{uuid.uuid4()}/letters/{letter.id}/pdf")
    assert wrong.status_code == unknown.status_code == 404
    assert masked(text_of(wrong)) == masked(text_of(unknown))


def test_a_preview_says_whether_the_send_would_pass_and_writes_nothing(
    held: Held, browser: FlaskClient, clock
) -> None:
    page = _compose(held)
    allowed = text_of(
        submit(browser, page, {"purpose": "information", "language": "sv", "preview": "1"})
    )
    assert 'id="send-allowed"' in allowed and 'id="send-refusal"' not in allowed

    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=clock.now().date()
    )
    db.session.commit()
    before = _actions()
    refused = submit(browser, page, {"purpose": "information", "language": "sv", "preview": "1"})
    shown = text_of(refused)
    assert refused.status_code == 200
    assert 'id="send-refusal"' in shown and "Hon har tackat nej till erbjudandet" in shown
    # Nothing written: no letter, no refusal on record, only the reads of the page.
    assert _count(SentLetter) == 0
    assert AuditAction.SEND_REFUSED not in _actions()[len(before) :]
