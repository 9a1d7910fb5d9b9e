"""Lists that grow with the years show a page at a time, and the counts behind the dashboard
and the staff home are the database's: what a page costs does not grow with the records
(issue 14; bench/scale.py measures it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from peewee import PostgresqlDatabase

from kiosk import deletions
from kiosk.models import Breach, DeletionRequest, db, utcnow
from kiosk.paging import PAGE_SIZE
from kiosk.reports import dashboard

from .helpers import SCHOOL_ZONE, make_breach, make_deletion_request, queries_run, sign_in_as

RECORD = re.compile(r'href="/records/(?:breaches|deletions)/([0-9a-f-]{36})"')


def ids_on(html: str) -> list[str]:
    return RECORD.findall(html)


def link(html: str, name: str) -> str | None:
    """The address of the pager's link with this name (Newer.../Older...), if there is one."""
    found = re.search(rf'<a class="button button--secondary" rel="(?:prev|next)" href="([^"]+)">'
                      rf'{name}', html)
    return found.group(1).replace("&amp;", "&") if found else None


def spread(model, rows, field: str) -> None:
    """Give the rows distinct times, a minute apart, the first the oldest."""
    start = utcnow() - dt.timedelta(days=1)
    for n, row in enumerate(rows):
        model.update({field: start + dt.timedelta(minutes=n)}).where(model.id == row.id).execute()


@pytest.fixture
def many_breaches(app, teacher):
    with app.app_context():
        rows = [make_breach(teacher, subject_name=f"Person {n}") for n in range(PAGE_SIZE * 2 + 20)]
        spread(Breach, rows, "created_at")
    return [str(b.public_id) for b in reversed(rows)]  # newest first


def test_the_concerns_list_shows_fifty_then_older_pages_then_newer_again(client, head,
                                                                         many_breaches):
    sign_in_as(client, head)
    first = client.get("/records/concerns?status=all").get_data(as_text=True)
    assert ids_on(first) == many_breaches[:50]
    assert link(first, "Newer") is None
    second = client.get(link(first, "Older concerns")).get_data(as_text=True)
    assert ids_on(second) == many_breaches[50:100]
    assert "status=all" in link(second, "Older concerns")  # the filter is kept
    third = client.get(link(second, "Older concerns")).get_data(as_text=True)
    assert ids_on(third) == many_breaches[100:]
    assert link(third, "Older") is None
    back = client.get(link(third, "Newer concerns")).get_data(as_text=True)
    assert ids_on(back) == many_breaches[50:100]
    assert ids_on(client.get(link(back, "Newer concerns")).get_data(as_text=True)) == \
        many_breaches[:50]


def test_a_short_list_has_no_pager_and_a_cursor_naming_nothing_is_the_first_page(client, head,
                                                                                app, teacher):
    with app.app_context():
        make_breach(teacher)
    sign_in_as(client, head)
    html = client.get("/records/concerns?status=all").get_data(as_text=True)
    assert len(ids_on(html)) == 1 and 'class="pager"' not in html
    assert ids_on(client.get("/records/concerns?status=all&older=not-a-uuid")
                  .get_data(as_text=True)) == ids_on(html)


def test_a_cursor_the_reader_may_not_see_does_not_move_the_page(client, app, dsl, teacher,
                                                                many_breaches):
    with app.app_context():
        hidden = make_breach(teacher, subject_kind="staff", category="pupil_contact")
    sign_in_as(client, dsl)
    html = client.get(f"/records/concerns?status=all&older={hidden.public_id}").get_data(
        as_text=True)
    assert ids_on(html) == many_breaches[:50]


def test_my_reports_shows_fifty_of_mine_and_a_link_to_the_rest(client, teacher, other_teacher,
                                                               app, many_breaches):
    with app.app_context():
        theirs = make_breach(other_teacher)
    sign_in_as(client, teacher)
    first = client.get("/staff/my-reports").get_data(as_text=True)
    assert ids_on(first) == many_breaches[:50]
    older = link(first, "Older reports")
    assert older.startswith("/staff/my-reports?older=")
    rest = client.get(older).get_data(as_text=True)
    rest += client.get(link(rest, "Older reports")).get_data(as_text=True)
    assert ids_on(rest) == many_breaches[50:]
    assert str(theirs.public_id) not in first + rest


def test_the_deletions_list_pages_the_others_below_those_needing_attention(app, client, dsl,
                                                                           teacher):
    with app.app_context():
        waiting = [make_deletion_request(teacher, person_name=f"Waiting {n}")
                   for n in range(PAGE_SIZE + 10)]
        for n, row in enumerate(waiting):  # not overdue, a minute apart
            DeletionRequest.update(due_by=utcnow() + dt.timedelta(days=1, minutes=n)).where(
                DeletionRequest.id == row.id).execute()
        refused = make_deletion_request(teacher, person_name="Rory Refused",
                                        asked_at=utcnow() - dt.timedelta(days=3))
        DeletionRequest.update(outcome="refused").where(DeletionRequest.id == refused.id).execute()
    newest_first = [str(r.public_id) for r in reversed(waiting)]
    sign_in_as(client, dsl)
    first = client.get("/records/deletions").get_data(as_text=True)
    assert "Refused or overdue" in first and "Rory Refused" in first
    assert ids_on(first) == [str(refused.public_id), *newest_first[:50]]
    second = client.get(link(first, "Older requests")).get_data(as_text=True)
    assert ids_on(second) == newest_first[50:]
    assert "Rory Refused" not in second  # above the first page only


def test_more_than_a_page_needing_attention_shows_the_latest_and_a_link_to_all(app, client, dsl,
                                                                              teacher):
    with app.app_context():
        refused = [make_deletion_request(teacher, person_name=f"Refused {n}")
                   for n in range(PAGE_SIZE + 5)]
        DeletionRequest.update(outcome="refused").execute()
        spread(DeletionRequest, refused, "due_by")
    newest_first = [str(r.public_id) for r in reversed(refused)]
    sign_in_as(client, dsl)
    first = client.get("/records/deletions").get_data(as_text=True)
    assert ids_on(first) == newest_first[:50]
    assert f"All {PAGE_SIZE + 5} refused or overdue" in first
    everything = client.get("/records/deletions?show=attention").get_data(as_text=True)
    assert f"Refused or overdue: all {PAGE_SIZE + 5}" in everything
    assert ids_on(everything) == newest_first[:50]
    rest = client.get(link(everything, "Older requests")).get_data(as_text=True)
    assert ids_on(rest) == newest_first[50:]
    board = client.get("/reports/").get_data(as_text=True)
    assert f"All {PAGE_SIZE + 5} refused or overdue" in board
    assert len(ids_on(board)) == dashboard.ATTENTION_SHOWN


def test_the_dashboard_and_the_staff_home_count_in_the_database(app, dsl, teacher):
    with app.app_context():
        for _ in range(dashboard.ATTENTION_SHOWN + 1):  # more than the dashboard names
            make_deletion_request(teacher, asked_at=utcnow() - dt.timedelta(days=2))
        make_breach(teacher)
        with queries_run() as few:
            board = dashboard.dashboard(dsl, SCHOOL_ZONE)
            assert deletions.attention_count(dsl) == 11
        for _ in range(30):
            make_deletion_request(teacher, asked_at=utcnow() - dt.timedelta(days=2))
            make_breach(teacher)
        with queries_run() as many:
            board = dashboard.dashboard(dsl, SCHOOL_ZONE)
            assert deletions.attention_count(dsl) == 41
    assert len(many) == len(few)
    assert (board.open_deletions, board.overdue_deletions, board.deletions_attention_total) == \
        (41, 41, 41)
    # The charts are counted by the database: no query reads every row's time.
    assert not any(re.search(r'SELECT "t1"\."(accepted_at|occurred_at)", ', sql) for sql in many)


def test_an_acceptance_just_after_midnight_counts_in_the_week_it_falls_in_locally(app, ctx):
    from kiosk.models import as_stored

    from .helpers import make_acceptance
    today = dt.datetime.now(SCHOOL_ZONE).date()
    monday = today - dt.timedelta(days=today.weekday())
    midnight = dt.datetime.combine(monday, dt.time(0, 0, 30), SCHOOL_ZONE)
    make_acceptance(accepted_at=as_stored(midnight))  # Sunday night in UTC in summer time
    make_acceptance(accepted_at=as_stored(midnight) - dt.timedelta(minutes=1))
    chart = dashboard.acceptances_chart(SCHOOL_ZONE, today)
    assert chart.totals[-2:] == [1, 1]


@pytest.mark.fresh_database("which index the planner picks")
@pytest.mark.parametrize(("query", "index"), [
    ("SELECT role, COUNT(*) FROM acceptance WHERE accepted_at >= '2026-01-01' GROUP BY role",
     "COVERING INDEX acceptance_accepted_at_role"),
    ("SELECT id FROM breach WHERE status = 'open' ORDER BY created_at DESC LIMIT 51",
     "breach_status_created_at"),
    ("SELECT id FROM breach WHERE reporter_id = 1 ORDER BY created_at DESC LIMIT 51",
     "breach_reporter_id_created_at"),
    ("SELECT category_id FROM breach WHERE occurred_at >= '2026-01-01'", "breach_occurred_at"),
    ("SELECT COUNT(*) FROM deletion_request WHERE outcome = 'pending' AND due_by < '2026-01-01'",
     "deletion_request_outcome_due_by"),
    ("SELECT id FROM deletion_request WHERE asked_at >= '2026-01-01'", "deletion_request_asked_at"),
    ("SELECT breach_id FROM record_update WHERE kind = 'allegation_outcome' AND at >= '2026-01-01'",
     "record_update_kind_at"),
])
def test_the_lists_and_counts_are_read_through_their_indexes(ctx, query, index):
    if isinstance(db.obj, PostgresqlDatabase):
        # A test's tables are tiny, so PostgreSQL would rightly read them whole; with that
        # ruled out, the plan shows whether an index can answer the query at all.
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN {query}"))
        assert index.removeprefix("COVERING INDEX ") in plan
        assert "Seq Scan" not in plan
    else:
        plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {query}"))
        assert index in plan


def test_the_governors_summary_counts_in_the_database(app, head, teacher):
    from kiosk.reports import governors

    with app.app_context():
        term = governors.term_containing(dt.datetime.now(SCHOOL_ZONE).date())
        for _ in range(3):
            make_breach(teacher)
            make_deletion_request(teacher)
        make_breach(teacher, subject_kind="staff", category="pupil_contact")
        with queries_run() as queries:
            summary = governors.summary(term, head, SCHOOL_ZONE)
    assert (summary.breaches, summary.about_staff) == (4, 1)
    assert dict(summary.by_category)["Photographing or recording pupils or staff on a phone"] == 3
    assert dict(summary.deletion_outcomes)["Waiting"] == 3
    # No breach or deletion request is read whole: their rows are counted, not fetched.
    assert not any('"t1"."description"' in sql or '"t1"."person_name"' in sql for sql in queries)


def test_the_welfare_list_pages_oldest_first(app, client, dsl, teacher):
    from kiosk.models import WelfareTask

    with app.app_context():
        tasks = [make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             pupils=f"Pupil {n}") for n in range(PAGE_SIZE + 3)]
        rows = [WelfareTask.get(WelfareTask.breach == b) for b in tasks]
        spread(WelfareTask, rows, "created_at")
    oldest = [str(t.public_id) for t in rows]
    sign_in_as(client, dsl)
    task_link = re.compile(r'href="/records/welfare/([0-9a-f-]{36})"')
    first = client.get("/records/welfare").get_data(as_text=True)
    assert task_link.findall(first) == oldest[:50]
    assert link(first, "Older") is None
    rest = client.get(link(first, "Newer tasks")).get_data(as_text=True)
    assert task_link.findall(rest) == oldest[50:]
    assert "status=open" in link(rest, "Older tasks")
    assert task_link.findall(client.get(link(rest, "Older tasks")).get_data(as_text=True)) == \
        oldest[:50]


def test_the_roster_page_shows_fifty_people_at_a_time_in_its_order(app, client, head):
    from kiosk.models import RosterPerson
    from kiosk.roster import add_person

    with app.app_context():
        people = [add_person(f"Person {n:02d}", f"p{n}@example.org", "volunteer")
                  for n in range(PAGE_SIZE + 5)]
        RosterPerson.update(active=False).where(RosterPerson.id == people[0].id).execute()
    in_order = [p.id for p in people[1:]] + [people[0].id]  # those taken off come last
    sign_in_as(client, head)
    person_link = re.compile(r'href="/admin/roster/([0-9]+)"')
    first = client.get("/admin/roster").get_data(as_text=True)
    assert [int(i) for i in person_link.findall(first)] == in_order[:50]
    assert "Previous people" not in first
    after = re.search(r'href="(/admin/roster\?after=[0-9]+)"', first).group(1)
    rest = client.get(after).get_data(as_text=True)
    assert [int(i) for i in person_link.findall(rest)] == in_order[50:]
    assert "Next people" not in rest
    before = re.search(r'href="(/admin/roster\?before=[0-9]+)"', rest).group(1)
    assert person_link.findall(client.get(before).get_data(as_text=True)) == \
        person_link.findall(first)
    assert client.get("/admin/roster?after=x1").status_code == 200  # the first page


def test_the_roster_page_reads_the_acceptances_of_its_own_people_only(app, ctx):
    from kiosk import roster
    from kiosk.roster import add_person

    from .helpers import make_acceptance
    shown = add_person("Ann Shown", "ann@example.org", "volunteer")
    make_acceptance(full_name="Ann Shown", roster_person=shown)
    with queries_run() as queries:
        page = roster.listed_with_status(size=1)
    assert [p.id for p, _ in page.people] == [shown.id]
    assert page.people[0][1].kind == "current"
    assert any('"roster_person_id" IN (' in sql for sql in queries)
