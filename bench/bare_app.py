"""The yardstick for bench/compare.py: the least a Flask + peewee app can do for the same pages.

GET / renders a small page from a template; POST /accept (a form) and POST /api/acceptances
(JSON) each INSERT one row and answer (303 to /thanks, 201 with JSON). SQLite with the same
pragmas as Policy Kiosk (WAL, synchronous=FULL: each write is on disk before the answer), one
connection per request. The database file is BARE_DATABASE (made with its table if missing).

    gunicorn --chdir bench bare_app:app
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, redirect, render_template_string, request
from peewee import CharField, DateTimeField, Model, SqliteDatabase

db = SqliteDatabase(os.environ.get("BARE_DATABASE", "bare.sqlite3"), timeout=10,
                    pragmas={"journal_mode": "wal", "synchronous": "full",
                             "busy_timeout": 10_000})


class Acceptance(Model):
    full_name = CharField()
    accepted_at = DateTimeField(default=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))

    class Meta:
        database = db


with db:
    db.create_tables([Acceptance], safe=True)

app = Flask(__name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><main><h1>{{ title }}</h1><p>Please read and accept our policy.</p>
<a href="/accept">Start</a></main></body></html>"""


@app.before_request
def _connect() -> None:
    db.connect(reuse_if_open=True)


@app.teardown_request
def _close(exc) -> None:
    if not db.is_closed():
        db.close()


@app.get("/")
def home():
    return render_template_string(PAGE, title="Welcome")


@app.post("/accept")
def accept():
    name = request.form.get("full_name", "")
    if not name:
        return "Please enter your full name.", 422
    Acceptance.create(full_name=name)
    return redirect("/thanks", code=303)


@app.post("/api/acceptances")
def api_accept():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("full_name"):
        return jsonify(error="invalid"), 422
    row = Acceptance.create(full_name=str(body["full_name"]))
    return jsonify(id=row.id), 201
