from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    personal_id = StringField(
        _l("Personal identity number (optional)"), validators=[Optional(), Length(max=20)]
    )
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=30)])
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("sv", _l("Swedish")),
            SelectChoice("en", _l("English")),
            SelectChoice("other", _l("Other")),
        ],
        validators=[DataRequired()],
    )
