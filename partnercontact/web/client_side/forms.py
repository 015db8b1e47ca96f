from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from partnercontact.assessments.concerns import CONCERN_REASONS
from partnercontact.client_side.cases.attendance import ATTENDANCE
from partnercontact.client_side.consent.forms import SCOPE_LABELS
from partnercontact.relay.kinds import RISK_REASONS_BY_HAND, RISK_URGENCIES


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    personal_id = StringField(
        _l("Personal identity number (optional)"), validators=[Optional(), Length(max=20)]
    )
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=30)])
    opened_on = DateField(_l("First meeting (if not today)"), validators=[Optional()])
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("sv", _l("Swedish")),
            SelectChoice("en", _l("English")),
            SelectChoice("other", _l("Other")),
        ],
        validators=[DataRequired()],
    )


class ConsentScopesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsentRecordForm(FlaskForm):
    language = SelectField(
        _l("Form language"),
        choices=[SelectChoice("sv", _l("Swedish")), SelectChoice("en", _l("English"))],
        validators=[DataRequired()],
    )
    scopes = ConsentScopesField(
        _l("The client consents to"),
        choices=[SelectChoice(key, label) for key, label in SCOPE_LABELS.items()],
        validators=[DataRequired(message=_l("Choose at least one thing the client consents to."))],
    )
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=100)])
    signed_on = DateField(_l("Date"), validators=[DataRequired()])
    attested_details_given = BooleanField(
        _l("The client attests that he gave the partner's name, address and phone number")
    )
    verbal = BooleanField(_l("Verbal consent (only where the clinic's policy allows it)"))


class RefusalForm(FlaskForm):
    language = SelectField(
        _l("Form language"),
        choices=[SelectChoice("sv", _l("Swedish")), SelectChoice("en", _l("English"))],
        validators=[DataRequired()],
    )
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=100)])
    refused_on = DateField(_l("Date of the refusal"), validators=[DataRequired()])
    treatment_continues = SelectField(
        _l("The team's decision"),
        choices=[
            SelectChoice("yes", _l("Treatment continues without partner contact")),
            SelectChoice("no", _l("Treatment does not continue")),
        ],
        validators=[DataRequired()],
    )
    team_decided_on = DateField(_l("Date of the team's decision"), validators=[DataRequired()])


class WithdrawalForm(FlaskForm):
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[DataRequired()])


class SignedCopyForm(FlaskForm):
    document = FileField(
        _l("Signed copy (PDF, PNG or JPEG, at most 10 MB)"),
        validators=[FileRequired(message=_l("Choose the file with the signed copy."))],
    )


class HandoverForm(FlaskForm):
    # Shown once a partner was handed over in the period: which one, or a new partner. The
    # view sets the choices and the service checks the answer.
    partner = SelectField(_l("Which partner"), validate_choice=False)
    partner_name = StringField(_l("Partner's name"), validators=[DataRequired(), Length(max=200)])
    partner_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    partner_address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])
    relation = SelectField(
        _l("Relation to the client"),
        choices=[
            SelectChoice("", _l("Choose…")),
            SelectChoice("current", _l("Current partner")),
            SelectChoice("former", _l("Former partner")),
        ],
        validators=[
            DataRequired(message=_l("Choose whether she is a current or a former partner."))
        ],
    )
    children_in_common = SelectField(
        _l("Children in common"),
        choices=[
            SelectChoice("", _l("Choose…")),
            SelectChoice("yes", _l("Yes")),
            SelectChoice("no", _l("No")),
            SelectChoice("unknown", _l("Not known")),
        ],
        validators=[DataRequired(message=_l("Choose whether they have children in common."))],
    )
    protected_identity = BooleanField(
        _l("She is known to have protected personal data or to live in sheltered housing")
    )


class EndEpisodeForm(FlaskForm):
    outcome = SelectField(
        _l("How the treatment ended"),
        choices=[
            SelectChoice("", _l("Choose…")),
            SelectChoice("completed", _l("Treatment completed")),
            SelectChoice("dropped_out", _l("Ended early (dropout)")),
            SelectChoice("ended_by_clinic", _l("Ended by the clinic")),
        ],
        validators=[DataRequired(message=_l("Choose how the treatment ended."))],
    )
    ended_on = DateField(_l("Ended on"), validators=[DataRequired()])


class NewEpisodeForm(FlaskForm):
    opened_on = DateField(_l("The new period opened on"), validators=[Optional()])


class StartTreatmentForm(FlaskForm):
    started_on = DateField(_l("Treatment started on"), validators=[DataRequired()])


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date of the session"), validators=[DataRequired()])
    attendance = SelectField(
        _l("Attendance"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(key, label) for key, label in ATTENDANCE.items()],
        validators=[DataRequired(message=_l("Choose whether he came."))],
    )


class RiskSignalForm(FlaskForm):
    reason = RadioField(
        _l("What have you heard?"),
        choices=[SelectChoice(key, label) for key, label in RISK_REASONS_BY_HAND.items()],
        validators=[InputRequired(message=_l("Choose what the risk is."))],
    )
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=[SelectChoice(key, label) for key, label in RISK_URGENCIES.items()],
        validators=[InputRequired(message=_l("Choose how urgent it is."))],
    )


class ConcernReportForm(FlaskForm):
    reported_on = DateField(_l("Date the report was made"), validators=[Optional()])
    board = StringField(_l("Social welfare board"))
    reason = RadioField(
        _l("Reason"),
        choices=[SelectChoice(key, label) for key, label in CONCERN_REASONS.items()],
        validate_choice=False,
    )
