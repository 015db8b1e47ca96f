from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length


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
