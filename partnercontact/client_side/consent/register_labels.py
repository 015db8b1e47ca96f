"""The consent register's codes in words, for its pages and its exports alike: a manager
reads "Given, signature pending", never ``signature_pending``, on screen or in a file."""

from __future__ import annotations

from partnercontact.client_side.consent import register
from partnercontact.client_side.consent.documents import RULE_CASE_END
from partnercontact.client_side.consent.forms import SCOPE_LABELS
from partnercontact.i18n import _l

STATE_LABELS = {
    "given": _l("Given"),
    "signature_pending": _l("Given, signature pending"),
    "withdrawn": _l("Withdrawn"),
    "refused": _l("Consent refused"),
}
DOCUMENT_LABELS = {
    register.DOCUMENT_PENDING: _l("Signature pending"),
    register.DOCUMENT_ATTACHED: _l("Signed copy attached"),
    register.DOCUMENT_DESTROYED: _l("Signed copy destroyed"),
    register.DOCUMENT_VERBAL: _l("Verbal consent, no paper"),
    register.DOCUMENT_NONE: _l("No signed copy"),
    register.DOCUMENT_NOT_APPLICABLE: _l("Not applicable"),
}
RULE_LABELS = {RULE_CASE_END: _l("The treatment contact ended")}
FORM_OF_CONSENT_LABELS = {"written": _l("Written"), "verbal": _l("Verbal")}
LANGUAGE_LABELS = {"sv": _l("Swedish"), "en": _l("English")}

# The exports' column headers, by the column's key (register_export.COLUMNS).
COLUMN_LABELS = {
    "consent_id": _l("Consent id"),
    "case_reference": _l("Case"),
    "state": _l("State"),
    "form_version": _l("Form version"),
    "form_language": _l("Form language"),
    **SCOPE_LABELS,
    "form_of_consent": _l("Form of consent"),
    "place": _l("Place"),
    "signed_on": _l("Date of consent or refusal"),
    "attested_by": _l("Recorded by"),
    "withdrawn_on": _l("Withdrawn on"),
    "withdrawn_by": _l("Withdrawn by"),
    "document": _l("Signed copy"),
    "document_attached_at": _l("Signed copy attached at"),
    "document_destroyed_at": _l("Signed copy destroyed at"),
    "document_destruction_rule": _l("Destruction rule"),
    "document_key_digest": _l("Digest of the destroyed key"),
    "treatment_continues": _l("Treatment continues without partner contact"),
    "team_decided_on": _l("The team decided on"),
}
