"""The two forms of a consultation request, the same on both sides of the wall: asking the
other treater for a talk, and recording the day it was held."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from partnercontact.relay.kinds import CONSULTATION_REASONS


class AskForTalkForm(FlaskForm):
    reason = RadioField(
        _l("What is the talk about?"),
        choices=[SelectChoice(key, label) for key, label in CONSULTATION_REASONS.items()],
        validators=[InputRequired(message=_l("Choose what the talk is about."))],
    )


class TalkHeldForm(FlaskForm):
    held_on = DateField(_l("The talk was held on"), validators=[Optional()])
