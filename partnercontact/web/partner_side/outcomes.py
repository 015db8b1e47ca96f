"""Her answers to the outcome questions: the form after a held session or a call that reached
her. The questions and their lists are the service's; the form only carries the choices."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from partnercontact.partner_side import outcomes
from partnercontact.partner_side.vocabulary import OUTCOME_QUESTIONS
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.pages import case_form
from partnercontact.web.partner_side.views import bp


class OutcomeForm(FlaskForm):
    pass


# One radio group per question, in the service's order; the service checks every answer.
for _question, (_label, _choices) in OUTCOME_QUESTIONS.items():
    setattr(
        OutcomeForm,
        _question,
        RadioField(
            _label,
            choices=[SelectChoice(key, label) for key, label in _choices.items()],
            validate_choice=False,
        ),
    )


@bp.context_processor
def _outcome_labels() -> dict[str, object]:
    return {"outcome_questions": OUTCOME_QUESTIONS}


def _answers(form: OutcomeForm) -> dict[str, str | None]:
    return {question: form[question].data or None for question in OUTCOME_QUESTIONS}


def _answers_page(
    case_id: uuid.UUID, anchor: str, **contact: uuid.UUID
) -> Response | tuple[str, int]:
    # A contact not on the case is a page that does not exist, before any form is shown.
    outcomes.answerable_contact(current_user, case_id, **contact)
    form = OutcomeForm()
    return case_form(
        "partner_side/outcomes/answers.html",
        form,
        case_id,
        lambda: outcomes.record_outcome(current_user, case_id, _answers(form), **contact),
        done=_("Her answers were recorded."),
        anchor=anchor,
        questions=list(OUTCOME_QUESTIONS),
        back_anchor=anchor,
    )


@bp.route("/cases/<uuid:case_id>/sessions/<uuid:session_id>/answers", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def session_answers(case_id: uuid.UUID, session_id: uuid.UUID) -> Response | tuple[str, int]:
    return _answers_page(case_id, "sessions", session_id=session_id)


@bp.route("/cases/<uuid:case_id>/attempts/<uuid:attempt_id>/answers", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def attempt_answers(case_id: uuid.UUID, attempt_id: uuid.UUID) -> Response | tuple[str, int]:
    return _answers_page(case_id, "attempts", attempt_id=attempt_id)
