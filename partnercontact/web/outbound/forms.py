from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, Length


class HaltForm(FlaskForm):
    reason = TextAreaField(
        _l("Why are all messages halted?"),
        validators=[
            InputRequired(_l("Give the reason for halting all messages.")),
            Length(max=500, message=_l("The reason is too long (at most 500 characters).")),
        ],
    )


class ResumeForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked that what caused the halt is resolved."),
        validators=[InputRequired(_l("Confirm that what caused the halt is resolved."))],
    )
