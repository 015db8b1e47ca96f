from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from partnercontact.i18n import LOCALES


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    """The code of a new second factor, while setting it up: its six digits."""

    code = StringField(
        _l("Six-digit code"),
        validators=[
            DataRequired(),
            Regexp(
                r"^\s*\d{3}\s?\d{3}\s*$",
                message=_l("Enter the six digits from your authenticator app."),
            ),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class LoginCodeForm(FlaskForm):
    """The second step of a login: the app's six digits, or one of the recovery codes."""

    code = StringField(
        _l("Six-digit code or recovery code"),
        validators=[
            DataRequired(),
            Regexp(
                r"^\s*(\d{3}\s?\d{3}|[A-Za-z0-9]{5}[-\s]?[A-Za-z0-9]{5})\s*$",
                message=_l(
                    "Enter the six digits from your authenticator app, or one of your "
                    "recovery codes."
                ),
            ),
        ],
        render_kw={"autocomplete": "one-time-code"},
    )


class LanguageForm(FlaskForm):
    locale = SelectField(
        choices=[SelectChoice(code) for code in LOCALES], validators=[DataRequired()]
    )
    next = HiddenField()
