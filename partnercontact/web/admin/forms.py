from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from partnercontact.partner_side.vocabulary import WEEKDAYS
from partnercontact.policy import Role

ROLE_CHOICES = [
    SelectChoice(Role.CLIENT_TREATER.value, _l("Client treater")),
    SelectChoice(Role.PARTNER_TREATER.value, _l("Partner-contact treater")),
    SelectChoice(Role.MANAGER.value, _l("Manager")),
    SelectChoice(Role.ADMIN.value, _l("Administrator")),
]


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=12, max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class RoleChangeForm(FlaskForm):
    role = SelectField(_l("New role"), choices=ROLE_CHOICES, validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token: the confirmation of a destructive act."""


class ClinicSettingsForm(FlaskForm):
    name = StringField(_l("Clinic name"), validators=[DataRequired(), Length(max=200)])
    neutral_sender_name = StringField(
        _l("Neutral sender name"), validators=[DataRequired(), Length(max=100)]
    )
    letterhead = TextAreaField(_l("Letterhead (address block)"), validators=[Length(max=2000)])
    # Checked by the clinic service, whose messages name each field.
    postal_address = TextAreaField(_l("Return address on envelopes"))
    phone = StringField(_l("Phone number for letters"))
    letter_signatory = StringField(_l("Who signs letters"))
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    verbal_consent_allowed = BooleanField(_l("Verbal consent may start partner contact"))
    urgent_tasks_to_manager = BooleanField(
        _l(
            "A high risk result, or new violence she reports in her own channel, also opens "
            "an urgent task for the manager"
        )
    )
    contact_attempts_required = IntegerField(
        _l("Contact attempts before a partner counts as unreachable"),
        validators=[InputRequired(), NumberRange(min=1, max=20)],
    )
    contact_attempt_window_days = IntegerField(
        _l("Within this many business days"),
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    missed_sessions_to_relay = IntegerField(
        _l("Tell the partner side of missed sessions after this many in a row"),
        validators=[InputRequired(), NumberRange(min=1, max=10)],
    )
    risk_signal_urgent_hours = IntegerField(
        _l("An urgent risk signal waits at most this many hours before the managers are told"),
        validators=[Optional()],
    )
    risk_signal_soon_hours = IntegerField(
        _l("Any other risk signal waits at most this many hours before the managers are told"),
        validators=[Optional()],
    )
    relay_task_hours = IntegerField(
        _l("Any other relayed event waits at most this many hours before the managers are told"),
        validators=[Optional()],
    )
    urgent_task_hours = IntegerField(
        _l("An urgent task waits at most this many hours before the managers are told"),
        validators=[Optional()],
    )
    treater_absent_days = IntegerField(
        _l("A treater who has not logged in for this many days is away"),
        validators=[Optional()],
    )
    small_count_threshold = IntegerField(
        _l("Statistics: hide counts below"),
        validators=[InputRequired(), NumberRange(min=1, max=50)],
    )
    # The contact plan and reminders: the form parses numbers and a time; the clinic service
    # checks the bounds and names the field at fault.
    plan_first_contact_days = IntegerField(
        _l("First contact within this many days of the hand-over"), validators=[Optional()]
    )
    plan_letter_follow_up_days = IntegerField(
        _l("Follow-up call this many days after an information letter"),
        validators=[Optional()],
    )
    plan_session_count = IntegerField(
        _l("Contact sessions when she accepts contact"), validators=[Optional()]
    )
    plan_session_interval_weeks = IntegerField(
        _l("Weeks between the sessions"), validators=[Optional()]
    )
    plan_closing_session = BooleanField(_l("A closing session when his treatment ends"))
    plan_follow_up_months = IntegerField(
        _l("Follow-up session this many months after the closing"), validators=[Optional()]
    )
    reminder_days_before = IntegerField(
        _l("Text reminder this many days before a session"), validators=[Optional()]
    )
    reminder_time = TimeField(
        _l("Reminders go out at"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()]
    )
    # Before her safe-contact plan is agreed: when a first call may be made.
    first_contact_days = SelectMultipleField(
        _l("Days for first calls"),
        choices=[SelectChoice(key, label) for key, label in WEEKDAYS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )
    first_contact_from = TimeField(
        _l("First calls from"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()]
    )
    first_contact_until = TimeField(
        _l("First calls until"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()]
    )
    duplicate_message_minutes = IntegerField(
        _l("Ask for confirmation of an identical message to her within this many minutes"),
        validators=[Optional()],
    )
    portal_message_days = IntegerField(
        _l("Keep the text of messages in her own channel this many days"),
        validators=[Optional()],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(zone) for zone in sorted(available_timezones())]
