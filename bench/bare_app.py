"""The baseline: a bare Flask app with one JSON route, nothing of ours in it."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/ping")
def ping():  # type: ignore[no-untyped-def]
    return jsonify({"status": "ok"})
