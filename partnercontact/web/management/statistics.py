"""The clinic's statistics: a page with tables and charts, and the same figures as CSV and
XLSX. Every figure comes from :func:`partnercontact.statistics.service.statistics_report`,
so the page and the exports hide exactly the same small numbers."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.statistics import exports
from partnercontact.statistics.charts import chart_svg
from partnercontact.statistics.periods import MONTH, QUARTER, YEAR, PeriodInvalid, offered_periods
from partnercontact.statistics.report import Measure, Report, figure_text, period_label
from partnercontact.statistics.service import statistics_report
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp

TEMPLATE = "management/statistics.html"
KIND_LABELS = {MONTH: _l("Months"), QUARTER: _l("Quarters"), YEAR: _l("Years")}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodForm(FlaskForm):
    """Read from the query string, so a chosen period can be bookmarked; a GET changes
    nothing but the audit log, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField(_l("Period"), validate_choice=False)


def _period_form() -> PeriodForm:
    form = PeriodForm(formdata=request.args)
    form.period.choices = {
        str(KIND_LABELS[kind]): [(period.key, period_label(period)) for period in periods]
        for kind, periods in offered_periods(clinic_today(current_user.clinic)).items()
    }
    return form


@bp.route("/statistics")
@requires(Permission.STATISTICS_VIEW)
def statistics() -> tuple[str, int]:
    form = _period_form()
    try:
        report = statistics_report(current_user, request.args.get("period"))
    except PeriodInvalid as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return render_template(TEMPLATE, form=form, error=error, report=None), exc.status
    form.period.data = report.period.key
    page = render_template(
        TEMPLATE,
        form=form,
        error=None,
        report=report,
        charts={section.key: chart_svg(section, report) for section in report.sections},
        figure_text=figure_text,
        period_label=period_label,
        share=Measure.SHARE,
    )
    db.session.commit()  # the audit entry of the read
    return page, 200


def _export(report: Report, body: bytes | str, mimetype: str, suffix: str) -> Response:
    response = Response(body, mimetype=mimetype)
    if isinstance(body, str):
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    filename = exports.export_filename(report, suffix)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _exported_report() -> Report | tuple[str, int]:
    try:
        return statistics_report(current_user, request.args.get("period"), exported=True)
    except PeriodInvalid as exc:
        db.session.rollback()
        form = _period_form()
        error = show_on_form(form, exc)
        return render_template(TEMPLATE, form=form, error=error, report=None), exc.status


@bp.route("/statistics.csv")
@requires(Permission.STATISTICS_VIEW)
def statistics_csv() -> Response | tuple[str, int]:
    report = _exported_report()
    if isinstance(report, tuple):
        return report
    response = _export(report, exports.report_csv(report), "text/csv", "csv")
    db.session.commit()  # the audit entry of the export
    return response


@bp.route("/statistics.xlsx")
@requires(Permission.STATISTICS_VIEW)
def statistics_xlsx() -> Response | tuple[str, int]:
    report = _exported_report()
    if isinstance(report, tuple):
        return report
    response = _export(report, exports.report_xlsx(report), XLSX_TYPE, "xlsx")
    db.session.commit()  # the audit entry of the export
    return response
