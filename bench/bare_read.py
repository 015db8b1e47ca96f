"""The baseline of the case page: a bare Flask app that reads one row through SQLAlchemy from
the same database and returns it as JSON; nothing of ours in it.

The database comes from ``PCBENCH_DATABASE_URL``. The engine has the application's pool
settings (``pool_pre_ping``), so the two differ in what they do per request, not in how they
reach the database.
"""

import os
import uuid

from flask import Flask, abort, jsonify
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["PCBENCH_DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)
ROW = text("SELECT id, clinic_id, answer FROM partner_case WHERE id = :id")


@app.route("/partner-case/<uuid:case_id>")
def partner_case(case_id: uuid.UUID):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(ROW, {"id": case_id}).one_or_none()
    if row is None:
        abort(404)
    return jsonify({"id": str(row.id), "clinic_id": row.clinic_id, "answer": row.answer})
