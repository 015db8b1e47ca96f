"""The consent register's filter form: read from the query string, so no CSRF token (a GET
changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from partnercontact.client_side.consent.forms import SCOPE_LABELS
from partnercontact.client_side.consent.register_labels import STATE_LABELS


class ScopesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RegisterFilterForm(FlaskForm):
    """Only renders the filters and keeps what the user typed; the consent package's schema
    validates them."""

    class Meta:
        csrf = False

    signed_from = DateField(_l("Signed from"))
    signed_to = DateField(_l("Signed to"))
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("all", _l("All")),
            *(SelectChoice(key, label) for key, label in STATE_LABELS.items()),
        ],
        default="all",
    )
    version = StringField(
        _l("Form version"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    scopes = ScopesField(
        _l("Includes all of"),
        choices=[SelectChoice(key, label) for key, label in SCOPE_LABELS.items()],
    )
