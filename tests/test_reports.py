"""Reports and evidence: the leads' dashboard, CSV exports, one person's evidence, subject access."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from kiosk.breaches import LadoDetails, record_lado
from kiosk.deletions import record_outcome
from kiosk.display import long_date
from kiosk.models import AuditEvent, Breach, LadoReferral, PolicyVersion, Reminder, RosterPerson, utcnow
from kiosk.reports import charts, dashboard, exports

from .helpers import (
    make_acceptance,
    make_allegation,
    make_breach,
    make_declaration,
    make_deletion_request,
    make_permission_request,
    make_policy,
    make_user,
    queries_run,
    sign_in_as,
)

LONDON = ZoneInfo("Europe/London")
STAFF_ONLY = "Member of staff in contact with a pupil, or an ex-pupil under 18, on social media"


def local_today() -> dt.date:
    return utcnow().replace(tzinfo=dt.UTC).astimezone(LONDON).date()


def stored(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon (or another hour) on a school day, as the database stores it."""
    return dt.datetime.combine(day, dt.time(hour), LONDON).astimezone(dt.UTC).replace(tzinfo=None)


def audit_details(app, action: str) -> list[dict]:
    with app.app_context():
        return [json.loads(e.detail or "{}") for e in AuditEvent.select()
                .where(AuditEvent.action == action).order_by(AuditEvent.id)]


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def get(client, url: str):
    """GET and read the whole body, closing the response (downloads are streamed)."""
    with client.get(url) as response:
        response.body = response.get_data(as_text=True)
    return response


def csv_rows(response) -> list[list[str]]:
    assert response.body.startswith("\ufeff")  # so that Excel reads the names as UTF-8
    return list(csv.reader(io.StringIO(response.body.removeprefix("\ufeff"))))


def roster_person(**kw) -> RosterPerson:
    defaults = dict(full_name="Val Unteer", email=f"{uuid.uuid4().hex[:8]}@example.org", role="volunteer",
                    token=uuid.uuid4().hex)
    defaults.update(kw)
    return RosterPerson.create(**defaults)


# Who may open what ----------------------------------------------------------------------------------

LEADS_ONLY = {"anonymous": 302, "staff": 403, "chair": 403, "dsl": 200, "head": 200}
HEAD_ONLY = {**LEADS_ONLY, "dsl": 403}


@pytest.mark.parametrize(("url", "expected"), [
    ("/reports/", LEADS_ONLY),
    ("/reports/acceptances.csv", LEADS_ONLY),
    ("/reports/breaches.csv", LEADS_ONLY),
    ("/reports/evidence?name=Pat+Visitor", LEADS_ONLY),
    ("/reports/subject-access?name=Pat+Visitor", HEAD_ONLY),
    ("/reports/subject-access.json?name=Pat+Visitor", HEAD_ONLY),
    ("/reports/subject-access.csv?name=Pat+Visitor", HEAD_ONLY),
])
def test_each_report_is_open_only_to_the_roles_it_is_for(app, url, expected):
    with app.app_context():
        users = {role: make_user(role) for role in expected if role != "anonymous"}
    for role, status in expected.items():
        client = app.test_client()
        if role != "anonymous":
            sign_in_as(client, users[role])
        assert get(client, url).status_code == status, role
    # Every refusal of a signed-in member of staff is audited (someone not signed in is counted).
    assert len(audit_rows(app, "access.refused")) == sum(
        status != 200 for role, status in expected.items() if role != "anonymous")


# The dashboard ------------------------------------------------------------------------------------

def test_acceptances_are_counted_per_week_by_role_for_the_last_twelve_weeks(app, client, head):
    monday = local_today() - dt.timedelta(days=local_today().weekday())
    with app.app_context():
        make_acceptance(role="visitor", accepted_at=stored(monday))
        # Midnight in school time: the day before in UTC during British Summer Time.
        make_acceptance(role="visitor", accepted_at=stored(monday, hour=0))
        make_acceptance(role="parent", accepted_at=stored(monday + dt.timedelta(days=2)))
        make_acceptance(role="governor", accepted_at=stored(monday - dt.timedelta(weeks=3)))
        make_acceptance(role="governor", accepted_at=stored(monday - dt.timedelta(days=1)))  # last Sunday
        make_acceptance(role="visitor", accepted_at=stored(monday - dt.timedelta(weeks=12)))  # too old
        chart = dashboard.acceptances_chart(LONDON, local_today())

    assert [p.start for p in chart.periods] == [monday - dt.timedelta(weeks=n) for n in range(11, -1, -1)]
    counts = {s.key: s.counts for s in chart.series}
    assert list(counts) == ["visitor", "parent", "governor"]
    assert counts["visitor"][-1] == 2 and sum(counts["visitor"]) == 2
    assert counts["parent"][-1] == 1
    assert counts["governor"][-4] == 1 and counts["governor"][-2] == 1
    assert chart.totals[-1] == 3 and chart.total == 5

    sign_in_as(client, head)
    html = get(client, "/reports/").body
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert '<title id="acceptances-chart-title">Acceptances per week, by role</title>' in html
    assert 'aria-labelledby="acceptances-chart-title"' in html
    this_week = f"Week beginning {monday.day} {monday:%B %Y}"
    assert re.search(rf"<tr><th scope=\"row\">{this_week}</th><td>2</td><td>1</td><td>0</td><td>3</td></tr>",
                     html)


def test_breaches_per_month_count_only_what_the_lead_may_see(app, client, teacher, dsl, head):
    with app.app_context():
        make_breach(teacher)
        make_breach(teacher)
        make_breach(teacher, subject_kind="staff", category="pupil_contact")
        make_breach(teacher, subject_kind="staff", category="pupil_contact", concerns_head=True)
        make_breach(teacher, occurred_at=utcnow() - dt.timedelta(days=400))  # too old
        for_dsl = dashboard.breaches_chart(dsl, LONDON, local_today())
        for_head = dashboard.breaches_chart(head, LONDON, local_today())

    assert [(s.key, s.counts[-1]) for s in for_dsl.series] == [("photographing", 2)]
    assert [(s.key, s.counts[-1]) for s in for_head.series] == [("photographing", 2), ("pupil_contact", 1)]
    assert for_head.total == 3 and len(for_head.periods) == 12
    assert for_head.periods[-1].start == local_today().replace(day=1)

    sign_in_as(client, dsl)
    html = get(client, "/reports/").body
    assert "Breaches per month, by category" in html and STAFF_ONLY not in html
    sign_in_as(client, head)
    assert STAFF_ONLY in get(client, "/reports/").body


def test_open_and_overdue_deletion_requests_are_counted_and_the_troubled_ones_listed(app, client, teacher,
                                                                                   dsl):
    with app.app_context():
        overdue = make_deletion_request(teacher, asked_at=utcnow() - dt.timedelta(days=2),
                                        person_name="Olly Overdue")
        make_deletion_request(teacher, material="post", material_location="online", link="https://x.example",
                              person_name="Wendy Waiting")
        refused = make_deletion_request(teacher, person_name="Rory Refused")
        record_outcome(refused, dsl, "refused", "Would not.")
        done = make_deletion_request(teacher, person_name="Dina Done")
        record_outcome(done, dsl, "deleted_in_front", "")
        restricted = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        make_deletion_request(teacher, breach=restricted, asked_at=utcnow() - dt.timedelta(days=2),
                              person_name="Sid Staff")
        board = dashboard.dashboard(dsl, LONDON)

    assert (board.open_deletions, board.overdue_deletions) == (2, 1)
    assert {r.person_name for r in board.deletions_needing_attention} == {"Olly Overdue", "Rory Refused"}

    sign_in_as(client, dsl)
    html = get(client, "/reports/").body
    assert "<strong>2</strong> open" in html
    assert '<strong class="warning-text">1</strong> overdue' in html
    assert "Olly Overdue" in html and "Rory Refused" in html
    assert "Wendy Waiting" not in html and "Dina Done" not in html and "Sid Staff" not in html
    [viewed] = audit_details(app, "reports.dashboard_viewed")
    assert set(viewed["shown"]) == {str(overdue.public_id), str(refused.public_id)}


def test_only_the_head_sees_overdue_lado_referrals(app, client, teacher, dsl, head):
    with app.app_context():
        late = make_allegation(teacher, category="pupil_contact")
        referred = make_allegation(teacher, category="family_link")
        in_time = make_allegation(teacher, category="representative")
        closed = make_allegation(teacher, category="representative")
        # Not an allegation: no LADO referral is due, however old.
        low_level = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        Breach.update(classification="low_level").where(Breach.id == low_level.id).execute()
        week_ago = utcnow() - dt.timedelta(days=7)
        Breach.update(created_at=week_ago, allegation_since=week_ago).where(
            Breach.id.in_([late.id, referred.id, closed.id])).execute()
        Breach.update(created_at=week_ago).where(Breach.id == low_level.id).execute()
        for breach, delay in ((referred, dt.timedelta(hours=2)), (closed, dt.timedelta(days=5))):
            record_lado(Breach.get_by_id(breach.id), head, LadoDetails(
                referred_at=week_ago + delay, reference="L1", advice="", police_involved=False, outcome=""))
        # Referred late but closed: flagged on its own page, nothing left to do here.
        Breach.update(status="closed").where(Breach.id == closed.id).execute()
        board = dashboard.dashboard(head, LONDON)
        assert LadoReferral.select().count() == 2

    assert [b.id for b, _ in board.lado_overdue] == [late.id]
    sign_in_as(client, head)
    html = get(client, "/reports/").body
    assert "LADO referrals overdue" in html and f"/records/breaches/{late.public_id}" in html
    assert f"/records/breaches/{in_time.public_id}" not in html
    assert f"/records/breaches/{low_level.public_id}" not in html
    sign_in_as(client, dsl)
    html = get(client, "/reports/").body
    assert "LADO" not in html and f"/records/breaches/{late.public_id}" not in html


def test_a_review_date_in_the_past_is_flagged(app, client, dsl):
    past = local_today() - dt.timedelta(days=40)
    with app.app_context():
        PolicyVersion.update(review_due=past).execute()
    sign_in_as(client, dsl)
    html = get(client, "/reports/").body
    assert f"The policy's review date, {long_date(past)}, has passed." in html
    assert "(overdue)" in html
    with app.app_context():
        make_policy(2, review_due=local_today() + dt.timedelta(days=30))
    html = get(client, "/reports/").body
    assert "has passed" not in html and "(overdue)" not in html
    assert "version 2" in html


def test_the_dashboard_draws_with_attributes_not_inline_styles(app, client, head, teacher):
    with app.app_context():
        make_acceptance(full_name='<script>alert("x")</script>', role="other")
        make_breach(teacher)
    sign_in_as(client, head)
    response = get(client, "/reports/")
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in response.body and "<style" not in response.body
    assert "<script>alert" not in response.body
    assert response.body.count('role="img"') == 2 and response.body.count("<caption") == 2
    assert 'fill="#1d70b8"' in response.body


def test_viewing_the_dashboard_is_audited(app, client, head):
    sign_in_as(client, head)
    get(client, "/reports/")
    [event] = audit_rows(app, "reports.dashboard_viewed")
    assert event.actor_id == head.id and event.record_kind == "report"


def test_a_chart_with_nothing_in_it_still_draws():
    # Pinned on purpose: the calendar facts under test (a year's turn, the Monday of a week).
    periods = charts.last_months(dt.date(2025, 1, 15))
    assert periods[0].start == dt.date(2024, 2, 1) and periods[-1].start == dt.date(2025, 1, 1)
    assert periods[-1].end == dt.date(2025, 2, 1)
    assert charts.last_months(dt.date(2025, 12, 31))[-1].end == dt.date(2026, 1, 1)
    weeks = charts.last_weeks(dt.date(2025, 1, 1))  # a Wednesday
    assert (weeks[-1].start, weeks[-1].end, weeks[0].start) == (
        dt.date(2024, 12, 30), dt.date(2025, 1, 6), dt.date(2024, 10, 14))
    svg = charts.chart_svg(charts.Chart("empty", "Nothing", "the last 12 months", periods, []))
    assert svg.startswith("<svg") and "None recorded." in svg and "None in the last 12 months." in svg


# CSV exports --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lead", ["dsl", "head"])
def test_the_leads_export_every_acceptance_as_csv_and_it_is_audited(app, client, request, lead):
    user = request.getfixturevalue(lead)
    first, second = local_today() - dt.timedelta(days=9), local_today() - dt.timedelta(days=8)
    with app.app_context():
        make_acceptance(full_name="Ann Visitor", organisation="Acme Ltd", reason="Fixing the boiler",
                        role="contractor", accepted_at=stored(first, hour=9))
        make_acceptance(full_name="Zoë Parent", role="parent", channel="phone",
                        accepted_at=stored(second, hour=15))
    sign_in_as(client, user)
    response = get(client, "/reports/acceptances.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="acceptances-{local_today():%Y-%m-%d}.csv"')
    header, *rows = csv_rows(response)
    assert header[:4] == ["Accepted (school time)", "Full name", "Role", "Organisation"]
    assert rows[0][:8] == [f"{first} 09:00", "Ann Visitor", "Contractor", "Acme Ltd", "Fixing the boiler",
                           "Entrance tablet", "1", "Social Media and Mobile Phone Policy"]
    assert rows[1][:3] == [f"{second} 15:00", "Zoë Parent", "Parent or carer"] and rows[1][5] == "Own phone"
    [event] = audit_rows(app, "export.acceptances")
    assert event.record_kind == "export" and event.actor_id == user.id
    assert json.loads(event.detail) == {"rows": 2}
    assert "Ann" not in event.detail


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(app, client, head):
    dangerous = ["=HYPERLINK(\"http://evil\")", "+44 7700 900000", "-2+3", "@SUM(A1)", "\tTabbed",
                 "\rReturn"]
    with app.app_context():
        for name in dangerous:
            make_acceptance(full_name=name, organisation="=1+1")
        make_acceptance(full_name="Plain Name", organisation="A-Team")
    sign_in_as(client, head)
    _, *rows = csv_rows(get(client, "/reports/acceptances.csv"))
    assert [row[1] for row in rows] == ["'" + name for name in dangerous] + ["Plain Name"]
    assert {row[3] for row in rows} == {"'=1+1", "A-Team"}
    assert exports.safe_cell(3) == 3 and exports.safe_cell("") == ""


def test_the_breach_export_holds_restricted_records_only_for_the_head(app, client, teacher, dsl, head):
    with app.app_context():
        ordinary = make_breach(teacher, description="=cmd|' /C calc'!A0", location="Gate",
                               actions=("asked_to_stop", "told_dsl"))
        restricted = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact", concerns_head=True)

    sign_in_as(client, dsl)
    response = get(client, "/reports/breaches.csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="breaches-{local_today():%Y-%m-%d}.csv"')
    header, *rows = csv_rows(response)
    assert [row[-1] for row in rows] == [str(ordinary.public_id)]
    row = dict(zip(header, rows[0], strict=True))
    assert row["Category"] == "Photographing or recording pupils or staff on a phone"
    assert row["What happened"] == "'=cmd|' /C calc'!A0" and row["Location"] == "Gate"
    assert row["Actions taken"] == "Asked them to stop; Told the DSL"
    assert (row["Safeguarding"], row["Restricted"], row["Status"]) == ("Yes", "No", "Open")
    assert row["Reported by"] == teacher.display_name

    sign_in_as(client, head)
    _, *rows = csv_rows(get(client, "/reports/breaches.csv"))
    references = [row[-1] for row in rows]
    assert str(restricted.public_id) in references and str(about_head.public_id) not in references
    assert len(references) == 2
    assert [json.loads(e.detail) for e in audit_rows(app, "export.breaches")] == [{"rows": 1}, {"rows": 2}]


def test_staff_cannot_export(app, client, teacher):
    with app.app_context():
        make_breach(teacher)
    sign_in_as(client, teacher)
    assert get(client, "/reports/breaches.csv").status_code == 403
    assert get(client, "/reports/acceptances.csv").status_code == 403
    assert audit_rows(app, "export.breaches") == [] and audit_rows(app, "export.acceptances") == []


# Exports are streamed, a batch of rows at a time -----------------------------------------------

def pieces(client, url: str) -> list[str]:
    """The download as the server sends it, piece by piece (asserting it is streamed)."""
    with client.get(url) as response:
        assert response.status_code == 200 and response.is_streamed
        assert "Content-Length" not in response.headers
        return [piece.decode("utf-8") for piece in response.response]


def add_visitors(count: int, day: dt.date) -> None:
    """Many acceptances quickly: one transaction, a row each, a minute apart."""
    from kiosk.models import Acceptance, db

    version = PolicyVersion.current() or make_policy()
    start = stored(day, hour=8)
    with db.atomic():
        for n in range(count):
            Acceptance.insert(client_uuid=uuid.UUID(int=n + 1), policy_version=version,
                              full_name=f"Visitor {n:05d}", role="visitor", channel="kiosk",
                              accepted_at=start + dt.timedelta(minutes=n), received_at=start).execute()


EXPECTED_ACCEPTANCES = (
    "\ufeffAccepted (school time),Full name,Role,Organisation,Reason for visit,Channel,"
    "Policy version,Policy title,Reference\r\n"
    "2025-01-15 09:30,Zoë Parent,Parent or carer,,,Own phone,1,Social Media and Mobile Phone Policy,"
    "00000000-0000-0000-0000-000000000002\r\n"
    "2025-01-15 09:30,\"'=HYPERLINK(\"\"x\"\")\",Visitor,'+44 1234,,Entrance tablet,1,"
    "Social Media and Mobile Phone Policy,00000000-0000-0000-0000-000000000003\r\n"
    "2025-01-15 09:30,Ann Visitor,Contractor,\"Acme, \"\"the best\"\" Ltd\",Fixing the boiler,"
    "Entrance tablet,1,Social Media and Mobile Phone Policy,00000000-0000-0000-0000-000000000001\r\n"
    "2025-07-01 15:05,Bo Helper,Volunteer,,\"Two\nlines\",Own phone,2,Second Policy,"
    "00000000-0000-0000-0000-000000000004\r\n"
)


def test_the_acceptances_export_is_the_same_document_as_before_across_batches(app, client, head,
                                                                             monkeypatch):
    """Three acceptances at the same minute straddle a batch of two: none is sent twice or lost,
    and the document is byte for byte what the export wrote when it was built in memory."""
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)
    same_minute = stored(dt.date(2025, 1, 15), hour=9) + dt.timedelta(minutes=30)
    with app.app_context():
        first = PolicyVersion.current() or make_policy()
        make_acceptance(client_uuid=uuid.UUID(int=4), full_name="Bo Helper", role="volunteer",
                        channel="phone", reason="Two\nlines",
                        policy_version=make_policy(title="Second Policy"),
                        accepted_at=stored(dt.date(2025, 7, 1), hour=15) + dt.timedelta(minutes=5))
        make_acceptance(client_uuid=uuid.UUID(int=2), full_name="Zoë Parent", role="parent",
                        channel="phone", policy_version=first, accepted_at=same_minute)
        make_acceptance(client_uuid=uuid.UUID(int=3), full_name='=HYPERLINK("x")',
                        organisation="+44 1234", policy_version=first, accepted_at=same_minute)
        make_acceptance(client_uuid=uuid.UUID(int=1), full_name="Ann Visitor", role="contractor",
                        organisation='Acme, "the best" Ltd', reason="Fixing the boiler",
                        policy_version=first, accepted_at=same_minute)
        # The first three at one minute: in the order they were made (the Bo Helper first, and
        # at a later time: made in the order of neither the document nor their references).
    sign_in_as(client, head)
    sent = pieces(client, "/reports/acceptances.csv")
    assert "".join(sent) == EXPECTED_ACCEPTANCES
    assert len(sent) == 3  # the header, then two rows a piece
    assert audit_details(app, "export.acceptances") == [{"rows": 4}]


COMMERCIAL = '"Promoting personal business, finances or campaigns"'  # quoted: it holds commas


def test_the_breach_export_is_the_same_document_as_before_across_batches(app, client, teacher, head,
                                                                         monkeypatch):
    monkeypatch.setattr(exports, "BATCH_ROWS", 1)
    with app.app_context():
        at = stored(dt.date(2025, 2, 3), hour=10)
        made = [make_breach(teacher, category="commercial", occurred_at=at, subject_name=name,
                            location=location, description=text, actions=actions)
                for name, location, text, actions in (
                    ("Pat Visitor", "Gate", "Selling, \"cheap\" things", ("asked_to_stop",)),
                    ("-Dash", "", "", ()),
                )]
        Breach.update(created_at=at + dt.timedelta(hours=1)).execute()
    sign_in_as(client, head)
    document = "".join(pieces(client, "/reports/breaches.csv"))
    assert document == (
        "\ufeffHappened (school time),Logged (school time),Category,About,Name,Location,What happened,"
        "Actions taken,Safeguarding,Restricted,Status,Reported by,Reference\r\n"
        f"2025-02-03 10:00,2025-02-03 11:00,{COMMERCIAL},Visitor,Pat Visitor,Gate,"
        f"\"Selling, \"\"cheap\"\" things\",Asked them to stop,No,No,Open,{teacher.display_name},"
        f"{made[0].public_id}\r\n"
        f"2025-02-03 10:00,2025-02-03 11:00,{COMMERCIAL},Visitor,'-Dash,,,,No,No,Open,"
        f"{teacher.display_name},{made[1].public_id}\r\n")


def test_a_large_export_is_sent_in_pieces_with_one_query_a_batch(app, client, dsl):
    """2,500 acceptances: the header at once, then a piece for each batch of 1,000 rows, each
    batch one query (the policy version joined in, never looked up row by row)."""
    with app.app_context():
        add_visitors(2500, local_today() - dt.timedelta(days=3))
    sign_in_as(client, dsl)
    with client.get("/reports/acceptances.csv") as response:
        assert response.is_streamed
        chunks = iter(response.response)
        header = next(chunks).decode()
        assert header.startswith("\ufeffAccepted (school time),") and header.count("\n") == 1
        with queries_run() as queries:
            rest = [chunk.decode() for chunk in chunks]
    assert [piece.count("\r\n") for piece in rest] == [1000, 1000, 500]
    assert len(queries) == 3 and all('JOIN "policy_version"' in q for q in queries), queries
    rows = list(csv.reader(io.StringIO("".join(rest))))
    assert [row[1] for row in rows] == [f"Visitor {n:05d}" for n in range(2500)]
    assert audit_details(app, "export.acceptances") == [{"rows": 2500}]


def test_the_export_reads_in_batches_on_postgresql_too(postgres_url, tmp_path, monkeypatch):
    """psycopg2 reads a whole result into memory: on PostgreSQL too each query is one batch,
    and rows at the same time across a batch's edge come once each, in order."""
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.models import db
    from kiosk.policies import seed_default_policy

    monkeypatch.setattr(exports, "BATCH_ROWS", 2)
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url,
                      "TESTING": True})
    at = stored(dt.date(2025, 3, 3), hour=9)
    with app.app_context():
        migrate_database()
        seed_default_policy()
        head = make_user("head")
        for n in range(5):
            make_acceptance(full_name=f"Visitor {n}", accepted_at=at + dt.timedelta(hours=n // 3))
    client = app.test_client()
    sign_in_as(client, head)
    with queries_run() as queries:
        sent = pieces(client, "/reports/acceptances.csv")
    rows = list(csv.reader(io.StringIO("".join(sent[1:]))))
    assert [row[1] for row in rows] == [f"Visitor {n}" for n in range(5)] and len(sent) == 4
    batches = [q for q in queries if q.startswith('SELECT "t1"."id", "t1"."accepted_at"')]
    assert len(batches) == 3 and all(q.endswith("LIMIT %s") for q in batches), batches
    db.close()


def test_the_breach_export_joins_category_and_reporter_rather_than_asking_per_row(
        app, client, teacher, dsl, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_ROWS", 10)
    with app.app_context():
        for _ in range(25):
            make_breach(teacher, category="commercial")
    sign_in_as(client, dsl)
    with client.get("/reports/breaches.csv") as response:
        chunks = iter(response.response)
        next(chunks)
        with queries_run() as queries:
            body = b"".join(chunks).decode()
    assert body.count("\r\n") == 25
    assert len(queries) == 3, queries  # 10, 10 and 5 rows: three batches, nothing per row


def test_the_audited_count_is_what_was_asked_for_not_what_arrives_while_it_is_sent(
        app, client, head):
    """An acceptance made while the download is being sent is left for the next one, so the
    export's audit event counts exactly the rows in the file."""
    with app.app_context():
        add_visitors(1500, local_today() - dt.timedelta(days=3))
    sign_in_as(client, head)
    with client.get("/reports/acceptances.csv") as response:
        chunks = iter(response.response)
        next(chunks)
        with app.app_context():
            make_acceptance(full_name="Late Arrival",
                            accepted_at=stored(local_today() - dt.timedelta(days=5)))
        body = b"".join(chunks).decode()
    assert body.count("\r\n") == 1500 and "Late Arrival" not in body
    assert audit_details(app, "export.acceptances") == [{"rows": 1500}]
    assert get(client, "/reports/acceptances.csv").body.count("Late Arrival") == 1


def test_the_export_is_audited_when_asked_for_even_if_never_read(app, client, head):
    with app.app_context():
        add_visitors(3, local_today())
    sign_in_as(client, head)
    with client.get("/reports/acceptances.csv") as response:
        assert response.is_streamed
    assert audit_details(app, "export.acceptances") == [{"rows": 3}]


# Evidence for one person --------------------------------------------------------------------------

def test_evidence_lists_what_a_person_accepted_which_version_when_and_how(app, client, dsl):
    earliest, later, latest = (local_today() - dt.timedelta(days=n) for n in (200, 60, 40))
    with app.app_context():
        first = make_acceptance(full_name="Ann Visitor", channel="kiosk",
                                accepted_at=stored(earliest, hour=9))
        make_policy(2, title="Social Media Policy (revised)")
        make_acceptance(full_name="ann visitor", channel="phone", accepted_at=stored(later, 14))
        make_acceptance(full_name="ANN VISITOR", channel="link", accepted_at=stored(latest, 8))
        make_acceptance(full_name="Ann Visitors", accepted_at=stored(latest + dt.timedelta(days=1)))
        v1 = PolicyVersion.get(PolicyVersion.number == 1)
    sign_in_as(client, dsl)
    response = get(client, "/reports/evidence?name=ann++VISITOR")
    html = response.body
    assert response.status_code == 200
    # Their own spelling (each was typed once: the first), not the search's "ann  VISITOR".
    assert "<h1>Evidence of acceptance: Ann Visitor</h1>" in html
    assert html.count("Accepted as ") == 3 and "Ann Visitors" not in html
    assert f"9:00am on {long_date(earliest)}" in html and f"2:00pm on {long_date(later)}" in html
    assert f"8:00am on {long_date(latest)}" in html
    assert "Social Media and Mobile Phone Policy" in html and "Social Media Policy (revised)" in html
    assert "Entrance tablet" in html and "Own phone" in html and "Personal link" in html
    assert v1.content_hash in html
    assert html.index(f"on {long_date(earliest)}") < html.index(f"on {long_date(later)}") < html.index(
        f"on {long_date(latest)}")
    [event] = audit_rows(app, "evidence.viewed")
    detail = json.loads(event.detail)
    assert detail["records"] == 3 and str(first.client_uuid) in detail["shown"]
    assert "visitor" not in event.detail.lower()


def test_part_of_a_name_finds_the_person_in_their_own_spelling(app, client, dsl):
    with app.app_context():
        for typed in ("Priya Shah", "priya shah", "Priya Shah"):
            make_acceptance(full_name=typed)
        make_acceptance(full_name="Tom Brown")
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence?name=shah").body
    assert "<h1>Evidence of acceptance: Priya Shah</h1>" in html  # the spelling used most
    assert html.count("Accepted as ") == 3 and "Tom Brown" not in html
    assert 'data-print>Print</button>' in html  # a home-screen app has no Print menu


def test_part_of_several_names_asks_which_person_and_shows_no_ones_records(app, client, dsl):
    with app.app_context():
        make_acceptance(full_name="Ann Smith")
        make_acceptance(full_name="ann smith")
        make_acceptance(full_name="Joanne Smithers")
        make_acceptance(full_name="Tom Brown")
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence?name=ann").body
    assert "2 people's names contain" in html and "<h1>Evidence of acceptance</h1>" in html
    assert re.search(r'href="/reports/evidence\?name=Ann\+Smith">Ann Smith</a>\s*'
                     r'<span class="record-meta">2 acceptances</span>', html)
    assert "Joanne Smithers</a>" in html and "1 acceptance<" in html and "Tom Brown" not in html
    assert "Accepted as " not in html and "data-print" not in html
    [event] = audit_rows(app, "evidence.viewed")
    assert json.loads(event.detail)["records"] == 0


@pytest.mark.parametrize("typed", ["%%", "__", "a%", "zz"])
def test_wildcards_typed_in_a_name_are_letters_not_everyone(app, client, dsl, typed):
    with app.app_context():
        make_acceptance(full_name="Ann Smith")
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence?" + urlencode({"name": typed})).body
    assert "Ann Smith" not in html and "No acceptance is recorded under that name" in html


def test_the_fingerprint_is_a_footnote_not_the_headline(app, client, dsl):
    with app.app_context():
        make_acceptance(full_name="Ann Smith")
        digest = PolicyVersion.get(PolicyVersion.number == 1).content_hash
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence?name=Ann+Smith").body
    table = html.split("<table", 1)[1].split("</table>", 1)[0]
    assert digest not in table and "SHA-256" not in html
    assert re.search(rf'class="fingerprints">.*version 1, <span class="fingerprint">{digest}</span>',
                     html, re.S)


def test_evidence_for_a_roster_person_shows_what_their_link_recorded(app, client, head):
    with app.app_context():
        person = roster_person(full_name="Val Unteer", email="val@example.org")
        linked = make_acceptance(full_name="Valerie Unteer", roster_person=person, channel="link")
        make_acceptance(full_name="Val Unteer")  # a walk-in of the same name: maybe someone else
    sign_in_as(client, head)
    html = get(client, "/reports/evidence?name=Val+Unteer").body
    assert f"/reports/evidence?person={person.id}" in html  # offered, not assumed

    html = get(client, f"/reports/evidence?person={person.id}").body
    assert "Evidence of acceptance: Val Unteer" in html and "val@example.org" in html
    assert html.count("Accepted as ") == 1 and "Accepted as Valerie Unteer" in html
    event = audit_rows(app, "evidence.viewed")[-1]
    assert (event.record_kind, event.record_id) == ("roster_person", str(person.id))
    assert json.loads(event.detail)["shown"] == [str(linked.client_uuid)]
    assert get(client, "/reports/evidence?person=999999").status_code == 404


def test_the_evidence_page_is_laid_out_for_a4_printing(app, client, dsl):
    with app.app_context():
        make_acceptance(full_name="Ann Visitor")
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence?name=Ann+Visitor").body
    assert 'class="reports evidence"' in html
    with client.get("/static/css/kiosk.css") as response:
        css = response.get_data(as_text=True)
    reports_css = css[css.index("/* Reports */"):]
    assert "@media print" in reports_css and "size: A4" in reports_css
    assert ".reports .staff-nav" in reports_css and ".reports .button" in reports_css


def test_opening_the_evidence_page_without_a_name_looks_nothing_up(app, client, dsl):
    sign_in_as(client, dsl)
    html = get(client, "/reports/evidence").body
    assert '<label for="name">Full name</label>' in html and "<table" not in html
    assert audit_rows(app, "evidence.viewed") == []


# Subject access -----------------------------------------------------------------------------------

@pytest.fixture
def subject(app, teacher, head):
    """Ann Visitor, on the roster, with records under her name and linked to her acceptances, and
    records about other people that must stay out."""
    with app.app_context():
        person = roster_person(full_name="Ann Visitor", email="ann@example.org", token="secret-token-123")
        # Pinned on purpose: a day in British Summer Time, so the export must write +01:00.
        by_name = make_acceptance(full_name="ann visitor", accepted_at=stored(dt.date(2025, 5, 1)))
        by_link = make_acceptance(full_name="Ann V.", roster_person=person, channel="link")
        Reminder.create(person=person, policy_version=PolicyVersion.current(), sent_by=head)
        records = {
            "person": person, "by_name": by_name, "by_link": by_link,
            "breach_by_name": make_breach(teacher, subject_name="Ann Visitor", location="=1+2"),
            "breach_by_link": make_breach(teacher, acceptance=by_link, subject_name=""),
            "restricted": make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                      subject_name="ANN VISITOR"),
            "about_head": make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                      subject_name="Ann Visitor", concerns_head=True),
            "request_by_name": make_deletion_request(teacher, person_name="Ann visitor"),
            "request_by_link": make_deletion_request(teacher, acceptance=by_name, person_name="A. V."),
            "asked_by_link": make_permission_request(person=person, where="The PTA page"),
        }
        make_acceptance(full_name="Bob Other")
        make_breach(teacher, subject_name="Bob Other")
        make_deletion_request(teacher, person_name="Bob Other")
        bob = roster_person(full_name="Bob Other", email="bob@example.org")
        make_permission_request(person=bob, where="Bob's blog")
    return records


def test_subject_access_finds_a_concern_linked_to_the_person_whatever_name_was_typed(
        app, client, head, teacher):
    """As the chronology does: a concern linked to their account or roster entry is theirs."""
    with app.app_context():
        sam = make_user("staff", display_name="Sam Taylor")
        robin = RosterPerson.create(full_name="Robin Roster", email="robin@example.org",
                                    role="volunteer", token="token-robin")
        to_account = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 subject_name="Mr T")
        to_roster = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                subject_name="R. R.")
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 subject_name="Mr T", concerns_head=True)
        Breach.update(subject_staff=sam).where(Breach.id.in_([to_account.id, about_head.id])
                                               ).execute()
        Breach.update(subject_person=robin).where(Breach.id == to_roster.id).execute()
    sign_in_as(client, head)
    for name, expected in (("Sam Taylor", to_account), ("Robin Roster", to_roster)):
        document = json.loads(get(client, "/reports/subject-access.json?" + urlencode(
            {"name": name})).body)
        assert [b["reference"] for b in document["breaches"]] == [str(expected.public_id)]


def test_subject_access_for_a_member_of_staff_holds_the_family_links_they_declared(
        app, client, head, teacher):
    with app.app_context():
        sam = make_user("staff", display_name="Sam Taylor")
        declared = make_declaration(sam, relationship="I am Amy's aunt")
        make_declaration(teacher, relationship="Someone else's link")
    sign_in_as(client, head)
    response = get(client, "/reports/subject-access.json?name=sam+taylor")
    document = json.loads(response.body)
    [entry] = document["declarations"]
    assert entry["reference"] == str(declared.public_id)
    assert entry["relationship"] == "I am Amy's aunt" and entry["ended_at"] == ""
    assert "Someone else" not in response.body
    assert re.search(r"Family links they declared</th><td>1</td>",
                     get(client, "/reports/subject-access?name=Sam+Taylor").body)


def test_the_subject_access_json_holds_every_record_about_the_person(app, client, head, subject):
    sign_in_as(client, head)
    response = get(client, "/reports/subject-access.json?name=Ann+Visitor")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="subject-access-{local_today():%Y-%m-%d}.json"')
    document = json.loads(response.body)
    assert document["subject"] == "Ann Visitor"
    assert {a["reference"] for a in document["acceptances"]} == {
        str(subject["by_name"].client_uuid), str(subject["by_link"].client_uuid)}
    assert {b["reference"] for b in document["breaches"]} == {
        str(subject[k].public_id) for k in ("breach_by_name", "breach_by_link", "restricted")}
    assert {r["reference"] for r in document["deletion_requests"]} == {
        str(subject[k].public_id) for k in ("request_by_name", "request_by_link")}
    [entry] = document["roster_entries"]
    assert entry["email"] == "ann@example.org" and entry["role"] == "Volunteer"
    [reminder] = document["reminders"]
    assert reminder["policy_version"] == 1 and reminder["roster_entry"] == str(subject["person"].id)
    assert "secret-token-123" not in response.body and "Bob Other" not in response.body
    assert document["acceptances"][0]["accepted_at"] == "2025-05-01T12:00+01:00"

    [event] = audit_rows(app, "subject_access.downloaded")
    assert event.record_kind == "subject_access" and event.actor_id == head.id
    [asked] = document["permission_requests"]
    assert asked["reference"] == str(subject["asked_by_link"].public_id)
    assert asked["where"] == "The PTA page" and asked["status"] == "Waiting for the headteacher"
    assert "Bob&#39;s blog" not in response.body and "Bob's blog" not in response.body
    assert json.loads(event.detail) == {"format": "json", "acceptances": 2, "breaches": 3,
                                        "deletion_requests": 2, "roster": 1, "reminders": 1,
                                        "permission_requests": 1, "declarations": 0}
    assert "ann" not in event.detail.lower()


def test_the_subject_access_csv_has_the_same_records_with_formulas_escaped(app, client, head, subject):
    sign_in_as(client, head)
    response = get(client, "/reports/subject-access.csv?name=ann+visitor")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="subject-access-{local_today():%Y-%m-%d}.csv"')
    header, *rows = csv_rows(response)
    assert header == ["Record", "Reference", "Field", "Value"]
    kinds = {(row[0], row[1]) for row in rows}
    assert sum(kind == "breach" for kind, _ in kinds) == 3
    assert sum(kind == "acceptance" for kind, _ in kinds) == 2
    assert {k[0] for k in kinds} == {"acceptance", "breach", "deletion_request", "roster_entry", "reminder",
                                     "permission_request"}  # no member of staff: no declarations
    assert ["breach", str(subject["breach_by_name"].public_id), "location", "'=1+2"] in rows
    assert ["breach", str(subject["restricted"].public_id), "restricted", "Yes"] in rows
    assert str(subject["about_head"].public_id) not in response.body
    assert "secret-token-123" not in response.body and "Bob Other" not in response.body
    [event] = audit_rows(app, "subject_access.downloaded")
    assert json.loads(event.detail)["format"] == "csv" and json.loads(event.detail)["breaches"] == 3


def test_choosing_one_roster_entry_leaves_a_namesake_out(app, client, head, subject):
    with app.app_context():
        namesake = roster_person(full_name="Ann Visitor", email="other.ann@example.org")
        theirs = make_acceptance(full_name="A. Visitor", roster_person=namesake, channel="link")
    sign_in_as(client, head)
    html = get(client, "/reports/subject-access?name=Ann+Visitor").body
    assert "More than one person on the roster has this name" in html
    assert f"person={namesake.id}" in html and f"person={subject['person'].id}" in html

    url = f"/reports/subject-access.json?name=Ann+Visitor&person={subject['person'].id}"
    document = json.loads(get(client, url).body)
    assert [r["email"] for r in document["roster_entries"]] == ["ann@example.org"]
    assert str(theirs.client_uuid) not in {a["reference"] for a in document["acceptances"]}


def test_the_subject_access_page_shows_counts_before_download_and_audits_them(app, client, head, subject):
    sign_in_as(client, head)
    html = get(client, "/reports/subject-access?name=Ann+Visitor").body
    assert re.search(r"Breaches</th><td>3</td>", html) and re.search(r"Acceptances</th><td>2</td>", html)
    assert "/reports/subject-access.json?name=Ann+Visitor" in html
    assert "/reports/subject-access.csv?name=Ann+Visitor" in html
    [event] = audit_rows(app, "subject_access.previewed")
    assert event.record_kind == "subject_access" and "ann" not in event.detail.lower()
    assert audit_rows(app, "subject_access.downloaded") == []


def test_a_subject_access_download_needs_a_name(app, client, head):
    sign_in_as(client, head)
    response = get(client, "/reports/subject-access.json?name=+")
    assert response.status_code == 302 and response.location.endswith("/reports/subject-access")
    assert "Please enter the person&#39;s full name." in get(client, "/reports/subject-access").body
    assert audit_rows(app, "subject_access.downloaded") == []


def test_the_dsl_cannot_make_a_subject_access_download(app, client, dsl, subject):
    sign_in_as(client, dsl)
    assert get(client, "/reports/subject-access.json?name=Ann+Visitor").status_code == 403
    assert get(client, "/reports/subject-access.csv?name=Ann+Visitor").status_code == 403
    assert "Subject access request" not in get(client, "/reports/").body
    assert audit_rows(app, "subject_access.downloaded") == []


@pytest.mark.parametrize("path", ["/reports/evidence", "/reports/subject-access",
                                  "/reports/subject-access.json"])
def test_a_huge_roster_number_is_a_404_not_a_500(client, head, path):
    sign_in_as(client, head)
    assert client.get(f"{path}?person=99999999999999999999999").status_code == 404
