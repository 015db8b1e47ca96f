"""The baselines of the staff pages: a bare Flask app on the same database, nothing of ours in
it, with two routes:

- ``/partner-case/<id>``: reads the case's row through SQLAlchemy and returns it as JSON (a
  bare one-row read);
- ``/partner-case/<id>/hit``: the same read, then one row inserted into ``bench_hit`` and
  committed, returned as JSON: the shape of an audited read (a page that reads and writes its
  audit entry in one transaction), without anything else a page does.

The database comes from ``PCBENCH_DATABASE_URL``; the benchmark makes ``bench_hit`` there
before serving (``bench.common.make_hit_table``). The engine has the application's pool settings
(``pool_pre_ping``), so these differ from the pages in what they do per request, not in how
they reach the database.
"""

import os
import uuid

from flask import Flask, abort, jsonify
from sqlalchemy import create_engine, text
from werkzeug.wrappers import Response

URL_VARIABLE = "PCBENCH_DATABASE_URL"
ROW = text("SELECT id, clinic_id, answer FROM partner_case WHERE id = :id")
HIT = text("INSERT INTO bench_hit (case_id, at) VALUES (:id, now())")

engine = create_engine(os.environ[URL_VARIABLE], pool_pre_ping=True)
app = Flask(__name__)


@app.route("/partner-case/<uuid:case_id>")
def partner_case(case_id: uuid.UUID) -> Response:
    with engine.connect() as conn:
        row = conn.execute(ROW, {"id": case_id}).one_or_none()
    if row is None:
        abort(404)
    return jsonify({"id": str(row.id), "clinic_id": row.clinic_id, "answer": row.answer})


@app.route("/partner-case/<uuid:case_id>/hit")
def partner_case_hit(case_id: uuid.UUID) -> Response:
    with engine.begin() as conn:
        row = conn.execute(ROW, {"id": case_id}).one_or_none()
        if row is None:
            abort(404)
        conn.execute(HIT, {"id": case_id})
    return jsonify({"id": str(row.id), "clinic_id": row.clinic_id, "answer": row.answer})
