"""Letters to her: the compose page with its preview, the printable PDF of a sent letter, and
the case page's list of letters."""

from __future__ import annotations

import uuid

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import rules
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.messaging import letters, templates
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.relay_inbox import RelayedEvent
from partnercontact.partner_side.rules import MessageRefused
from partnercontact.policy import Permission, requires
from partnercontact.relay.kinds import LABELS as RELAY_LABELS
from partnercontact.web.partner_side.pages import (
    case_form,
    choices,
    form_page,
    form_refused,
    step_link,
)
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

TEMPLATE = "partner_side/letters/compose.html"


class LetterForm(FlaskForm):
    # The service checks the choices and names the field at fault in its own words.
    purpose = SelectField(
        _l("Letter"), choices=choices(templates.LETTER_PURPOSES), validate_choice=False
    )
    language = SelectField(
        _l("Language of the letter"),
        choices=choices(templates.LANGUAGES, blank=False),
        validate_choice=False,
    )
    relay_event_id = SelectField(
        _l("The event from the client side it tells her of"), validate_choice=False
    )
    confirm = BooleanField(_l("I have checked the letter and the address"))
    # Shown once the service says an identical letter went to her a moment ago.
    confirm_duplicate = BooleanField(_l("Send it anyway"))
    # Rendered as buttons by the template: "preview" (also what Enter does) and "send".
    preview = SubmitField(_l("Show the letter"))
    send = SubmitField(_l("Send the letter"))

    def __init__(self, events: list[RelayedEvent], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.relay_event_id.choices = [
            SelectChoice("", _l("No event")),
            *(
                SelectChoice(
                    str(event.id),
                    f"{RELAY_LABELS[event.kind]} ({event.occurred_on.isoformat()})",
                )
                for event in events
            ),
        ]


@bp.context_processor
def _letter_labels() -> dict[str, object]:
    return {
        "letter_purpose_labels": templates.LETTER_PURPOSES,
        "letter_language_labels": templates.LANGUAGES,
        "letter_ending_kinds": letters.ENDING_KINDS,
    }


@case_section(
    "letters",
    order=17,
    template="partner_side/sections/letters.html",
    view="texts",
    anchors=("sent-letters",),
)
def _letters(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    sent = letters.letters_of(partner_case)
    return {"letters": sent, "senders": letters.senders_of(sent)}


class ReturnedForm(FlaskForm):
    returned_on = DateField(_l("The day it came back"), validators=[Optional()])


@bp.route("/cases/<uuid:case_id>/letters/<uuid:letter_id>/returned", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def letter_returned(case_id: uuid.UUID, letter_id: uuid.UUID) -> Response | tuple[str, int]:
    """Mark a letter as returned to the clinic: no letter goes to her address again until her
    details change."""
    letter = letters.letter_of_case(current_user, case_id, letter_id)
    form = ReturnedForm()
    return case_form(
        "partner_side/letters/returned.html",
        form,
        case_id,
        lambda: letters.mark_returned(
            current_user, case_id, letter_id, returned_on=form.returned_on.data
        ),
        done=_(
            "The letter is marked as returned. No letter goes to her address until her "
            "details change."
        ),
        anchor="sent-letters",
        today_field="returned_on",
        letter=letter,
    )


def _event_id(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise letters.LetterInvalid(
            _l("Choose the relayed event the letter tells her of."), field="relay_event_id"
        ) from None


@bp.route("/cases/<uuid:case_id>/letters/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def compose_letter(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """Choose a letter and its language, preview it, send it. ``?relay_event_id=`` opens the
    letter telling her of that event."""
    # Not audited here: form_page audits the page's read of the case.
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    events = letters.notice_events(current_user, partner_case)
    # Without a plan nothing is known yet about letters being safe at her address: the page
    # says so, as the case page does.
    extra = {"no_plan": rules.latest_plan(partner_case) is None}
    form = LetterForm(events)
    if not form.is_submitted():
        form.language.data = templates.DEFAULT_LANGUAGE
        wanted = request.args.get("relay_event_id", "")
        if wanted in {str(event.id) for event in events}:
            form.relay_event_id.data = wanted
            form.purpose.data = "treatment_ended"
        return form_page(TEMPLATE, form, case_id, **extra)
    if not form.validate():
        return form_page(TEMPLATE, form, case_id, 400, **extra)
    chosen = (form.purpose.data or "", form.language.data or "")
    try:
        event_id = _event_id(form.relay_event_id.data)
        if not form.send.data:
            page = letters.preview_letter(
                current_user,
                case_id,
                *chosen,
                event_id,
                stylesheet_href=url_for("partner_side.letter_stylesheet"),
            )
            # Before anything is written: would the gate let it go now, and if not, why.
            refused = letters.send_refusal(partner_case, chosen[0])
            refusal = str(refused.message) if refused is not None else None
            return form_page(
                TEMPLATE,
                form,
                case_id,
                preview=page,
                refusal=refusal,
                missing_step=step_link(case_id, refused),
                **extra,
            )
        if not form.confirm.data:
            raise letters.LetterInvalid(
                _l("Tick that you have checked the letter and the address."), field="confirm"
            )
        letters.send_letter(
            current_user,
            case_id,
            *chosen,
            event_id,
            confirm_duplicate=bool(form.confirm_duplicate.data),
        )
    except MessageRefused as exc:
        # A safety rule refused the letter: its audit entry (and the reads before it) stay on
        # record; nothing else was written.
        db.session.commit()
        return form_refused(TEMPLATE, form, case_id, exc, **extra)
    except DomainError as exc:
        return form_refused(TEMPLATE, form, case_id, exc, **extra)
    return back_to_case(
        case_id, _("The letter was saved as sent. Print it from the list of letters."), "letters"
    )


@bp.route("/cases/<uuid:case_id>/letters/<uuid:letter_id>/pdf")
@requires(Permission.PARTNER_CASES_WORK)
def letter_pdf(case_id: uuid.UUID, letter_id: uuid.UUID) -> Response:
    document = letters.open_letter(current_user, case_id, letter_id)
    db.session.commit()  # the audit entries of the reads
    response = Response(document, mimetype="application/pdf")
    # A fixed file name: her name in a download list would tell anyone who sees the screen.
    response.headers["Content-Disposition"] = 'attachment; filename="brev.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/letters/letter.css")
@requires(Permission.PARTNER_CASES_WORK)
def letter_stylesheet() -> Response:
    """The letters' stylesheet, for the preview: the pages' Content-Security-Policy allows no
    inline style, so the preview links the same file the printed letter inlines."""
    stylesheet = (templates.LETTERS_DIR / templates.STYLESHEET).read_text(encoding="utf-8")
    return Response(stylesheet, mimetype="text/css")
