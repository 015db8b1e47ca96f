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


class LanguageForm(FlaskForm):
    locale = SelectField(
        choices=[SelectChoice(code) for code in LOCALES], validators=[DataRequired()]
    )
    next = HiddenField()
