"""The forms of a risk assessment, the same on both sides of the wall: choosing the instrument,
then one form per instrument with every item to rate, the summary level, the next review
and notes. The forms parse; the services check every item and name the one at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from partnercontact.assessments.instruments import (
    INSTRUMENTS,
    RISK_LEVELS,
    Instrument,
    instrument_labels,
    item_field,
)


class InstrumentChoiceForm(FlaskForm):
    """Sent by GET, so the chosen instrument is in the address of the form that follows."""

    class Meta:
        csrf = False

    instrument = SelectField(_l("Instrument"), validate_choice=False)


def instrument_choice(keys: tuple[str, ...]) -> InstrumentChoiceForm:
    form = InstrumentChoiceForm()
    form.instrument.choices = [
        SelectChoice(key, label) for key, label in instrument_labels(keys).items()
    ]
    return form


def chosen_instrument(value: str | None, keys: tuple[str, ...]) -> Instrument | None:
    return INSTRUMENTS[value] if value in keys and value is not None else None


@dataclass(frozen=True)
class InstrumentAsked:
    """The instrument the address names, or the choice to show instead and its status."""

    instrument: Instrument | None
    choice: InstrumentChoiceForm | None = None
    status: int = 200


def instrument_asked(keys: tuple[str, ...]) -> InstrumentAsked:
    """The instrument of ``?instrument=`` among ``keys``. Without one, the choice: a first
    look gets it plainly, a name not offered (or a form sent without one) gets it with the
    error on its field."""
    asked = request.args.get("instrument")
    instrument = chosen_instrument(asked, keys)
    if instrument is not None:
        return InstrumentAsked(instrument)
    choice = instrument_choice(keys)
    if asked is None and request.method == "GET":
        return InstrumentAsked(None, choice)
    choice.instrument.errors = [str(_l("Choose the instrument used."))]
    return InstrumentAsked(None, choice, 400)


class AssessmentForm(FlaskForm):
    assessed_on = DateField(_l("Date of the assessment"), validators=[Optional()])
    level = RadioField(
        _l("Your summary judgement of the risk"),
        choices=[SelectChoice(key, label) for key, label in RISK_LEVELS.items()],
        validate_choice=False,
    )
    next_review_on = DateField(_l("Next review (optional)"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"))

    instrument: Instrument

    def item_sections(self) -> list[tuple[Any, list[Any]]]:
        """(section label, its items' fields), for the page."""
        return [
            (section.label, [self[item_field(item)] for item in section.items])
            for section in self.instrument.sections
        ]

    def ratings(self) -> dict[str, str | None]:
        """Item key -> the rating sent (None for an item left unrated)."""
        return {item.key: self[item_field(item)].data for item in self.instrument.items}


def assessment_form(instrument: Instrument, **kwargs: Any) -> AssessmentForm:
    """The form of ``instrument``: a radio group per item, named by :func:`item_field`. A
    value off the scale reaches the service, which names the item it was sent for."""
    scale = [SelectChoice(key, label) for key, label in instrument.scale.items()]
    fields: dict[str, Any] = {
        item_field(item): RadioField(
            f"{number}. {item.label}", choices=scale, validate_choice=False
        )
        for number, item in enumerate(instrument.items, start=1)
    }
    form_class = type(f"{instrument.key.title()}AssessmentForm", (AssessmentForm,), fields)
    form = form_class(**kwargs)
    form.instrument = instrument
    return form
