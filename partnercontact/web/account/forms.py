from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=12, max=512)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class RecoveryCodesForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "current-password"},
    )


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TokenForm(FlaskForm):
    label = StringField(
        _l("Name of the token"), validators=[DataRequired(), Length(max=80)], filters=[strip]
    )
    days = IntegerField(
        _l("Valid for (days)"), default=90, validators=[InputRequired(), NumberRange(1, 365)]
    )


class RevokeTokenForm(FlaskForm):
    """Nothing to fill in: the form carries the confirmation and its CSRF token."""
