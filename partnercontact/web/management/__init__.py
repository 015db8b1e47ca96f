"""Pages for managers and auditors. Never imports another audience's views."""

from flask import Blueprint, render_template

from partnercontact.policy import Permission, requires

bp = Blueprint("management", __name__, url_prefix="/management", template_folder="templates")


@bp.route("/")
@requires(Permission.MANAGEMENT_VIEW)
def home() -> str:
    return render_template("management/home.html")
