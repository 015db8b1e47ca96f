"""The consent form as a printable document, pre-filled with the clinic and the client.

The client signs the printed form; the signed copy is later attached to the recorded consent.
The text comes from the form version in force today in the chosen language
(:func:`partnercontact.client_side.consent.forms.form_in_force`); the few fixed labels around it
are in
:data:`LABELS`, one set per form language. No Flask request objects here: the functions take
the acting client treater first, flush and never commit, and leave the audit entry of the
print in the caller's transaction.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

import jinja2

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.service import client_for
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import CONSENTS_DIR, SCOPES, form_in_force
from partnercontact.i18n import _l
from partnercontact.pdf import html_to_pdf
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.models import Client

TEMPLATE = "print.html"

# The labels the form itself does not carry, per form language. The printed form is in the
# language chosen for the client, not in the treater's interface language, so these are not
# gettext messages.
LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "clinic": "Mottagning",
        "client": "Klient",
        "personal_id": "Personnummer",
        "scopes": "Jag samtycker till att (kryssa i det du samtycker till)",
        "partner": "Min partners eller före detta partners kontaktuppgifter",
        "partner_name": "Namn",
        "partner_address": "Adress",
        "partner_phone": "Telefon",
        "client_signature": "Klientens underskrift",
        "staff_attestation": "Undertecknad personal på mottagningen intygar att klienten själv "
        "har lämnat partnerns kontaktuppgifter ovan.",
        "staff_signature": "Underskrift, intygande personal",
        "name_clarification": "Namnförtydligande",
        "form_version": "{title}, version {version}, gäller från {valid_from}",
        "copies": "Ett exemplar till klienten, ett till mottagningen.",
    },
    "en": {
        "clinic": "Clinic",
        "client": "Client",
        "personal_id": "Personal identity number",
        "scopes": "I consent to the following (tick what you consent to)",
        "partner": "Contact details of my partner or former partner",
        "partner_name": "Name",
        "partner_address": "Address",
        "partner_phone": "Phone",
        "client_signature": "Client's signature",
        "staff_attestation": "The undersigned member of the clinic's staff attests that the "
        "client personally gave the partner's contact details above.",
        "staff_signature": "Signature, attesting staff member",
        "name_clarification": "Name in block letters",
        "form_version": "{title}, version {version}, in force from {valid_from}",
        "copies": "One copy to the client, one to the clinic.",
    },
}
LANGUAGES = tuple(LABELS)
DEFAULT_LANGUAGE = "sv"


@cache
def _environment() -> jinja2.Environment:
    # Autoescape on: the client's name is typed by a treater and ends up in HTML that
    # WeasyPrint interprets. Undefined names fail loudly instead of printing blank.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONSENTS_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _today() -> date:
    return current_runtime().clock.now().date()


def _chosen_language(language: str | None) -> str | None:
    """``language`` if it is a form language; ``None`` if none was chosen; else refused."""
    if language is None:
        return None
    if language not in LANGUAGES:
        raise ConsentInvalid(
            _l("The consent form can be printed in Swedish (sv) or English (en) only."),
            field="language",
        )
    return language


def _formatted_personal_id(client: Client) -> str | None:
    personal_id = client.personal_id
    if not personal_id:
        return None
    return f"{personal_id[:8]}-{personal_id[8:]}" if len(personal_id) == 12 else personal_id


def render_form_html(actor: User, client_id: uuid.UUID, language: str | None = None) -> str:
    """The consent form in force today as HTML, filled in with the clinic and the client.

    ``language`` is ``"sv"`` or ``"en"``; ``None`` means the client's own language when a form
    exists in it, else Swedish. Raises :class:`ConsentInvalid` (field ``language``) for any
    other language, :class:`NoConsentForm` when no version is in force in it today, and
    :class:`ClientNotFound` unless ``actor`` treats the client. Records the read of the client
    and one ``consent.form_printed`` event, which names the client by id only.
    """
    chosen = _chosen_language(language)
    if chosen is not None:
        form = form_in_force(chosen, _today())
    client = client_for(actor, client_id)
    if chosen is None:
        chosen = client.language if client.language in LANGUAGES else DEFAULT_LANGUAGE
        form = form_in_force(chosen, _today())
    labels = LABELS[chosen]
    page = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            form=form,
            scopes=[(key, form.scopes[key]) for key in SCOPES],
            labels=labels,
            footer=labels["form_version"].format(
                title=form.title, version=form.version, valid_from=form.valid_from.isoformat()
            ),
            clinic_name=actor.clinic.name,
            client_name=client.name,
            personal_id=_formatted_personal_id(client),
        )
    )
    # The entry says that this treater printed this client's form; what the form said is in
    # the versioned file, and nothing personal goes into the log.
    record_event(
        AuditAction.CONSENT_FORM_PRINTED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="client",
        resource_id=str(client.id),
    )
    return page


def render_form_pdf(actor: User, client_id: uuid.UUID, language: str | None = None) -> bytes:
    """:func:`render_form_html` as an A4 PDF, with the same errors and audit entry."""
    # The document is built from our own template and needs nothing else: it is printed
    # with every fetch refused.
    return html_to_pdf(render_form_html(actor, client_id, language))
