"""Retention: periods, the purge and what it keeps, the head's review of kept records, backups."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading

import pytest
from peewee import PostgresqlDatabase

from kiosk import create_app, retention, roster
from kiosk.models import (
    Acceptance,
    AuditEvent,
    Breach,
    DeletionRequest,
    LadoReferral,
    PolicyVersion,
    RecordUpdate,
    RetentionSetting,
    RosterPerson,
    WelfareTask,
    db,
    utcnow,
)

from .helpers import (
    field_error,
    form_page,
    hidden_fields,
    make_acceptance,
    make_breach,
    make_deletion_request,
    make_policy,
    nothing_written,
    queries_run,
    sign_in_as,
)

SECOND = dt.timedelta(seconds=1)


def old(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def last_event(action: str) -> AuditEvent:
    events = list(AuditEvent.select().where(AuditEvent.action == action))
    assert len(events) == 1, [e.action for e in events]
    return events[0]


def note(author, **record) -> RecordUpdate:
    return RecordUpdate.create(author=author, kind="note", text="A note.", **record)


# Periods in words --------------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "words"), [
    (4015, "11 years"),     # a whole number of years the months do not come near (11 x 365)
    (18250, "50 years"),    # the longest period allowed
    (4026, "4026 days"),    # 11 x 366 is not a number of years
    (366, "1 year"),        # twelve months, said as a year
    (61, "2 months"),       # two months is the shortest said in months
    (60, "2 months"),
    (758, "2 years and 1 month"),  # exactly 3 days from 25 months still counts as 25 months
    (764, "2 years and 1 month"),
    (64, "64 days"),        # 3.1 days from 2 months is not 2 months, nor whole weeks
    (395, "13 months"),
    (30, "1 month"),        # the shortest period allowed
    (913, "2 years and 6 months"),
    (1126, "3 years and 1 month"),
])
def test_retention_periods_in_words_at_the_edges(days, words):
    assert retention.in_words(days) == words


def test_the_privacy_notice_says_a_long_period_in_years(app, client):
    with app.app_context():
        retention.set_days("breaches", 4015)
    html = client.get("/privacy").get_data(as_text=True)
    assert "A record that the policy was broken: <strong>11 years</strong>" in html


# Setting the periods, in years and months -------------------------------------------------------

@pytest.mark.parametrize(("months", "days"), [
    (1, 30), (3, 91), (6, 183), (12, 365), (18, 548), (24, 730), (72, 2190), (600, 18250)])
def test_a_period_in_months_is_kept_in_days_and_read_back_as_the_same_months(months, days):
    assert retention.days_in(months) == days
    assert retention.months_in(days) == months and retention.in_months(days)


def test_the_form_shows_each_period_in_years_and_months_never_days(app, client, head):
    with app.app_context():
        retention.set_days("deletion_requests", retention.days_in(18))
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    fields = form_page(client, "/admin/retention")
    assert (fields["visitor_acceptances_years"], fields["visitor_acceptances_months"]) == ("1", "0")
    assert (fields["roster_acceptances_years"], fields["roster_acceptances_months"]) == ("6", "0")
    assert (fields["deletion_requests_years"], fields["deletion_requests_months"]) == ("1", "6")
    assert "Usually 2 years." in html and "Usually 1 year." in html
    assert "days" not in html.lower() and "(days)" not in html


def period(fields: dict, kind: str, years: str, months: str) -> dict:
    return {**fields, f"{kind}_years": years, f"{kind}_months": months}


def test_changing_a_period_is_audited_with_the_old_and_new_days(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post("/admin/retention", data=period(fields, "deletion_requests", "0", "3"))
    assert response.status_code == 303
    with app.app_context():
        event = last_event("retention.changed")
        assert (event.record_kind, event.record_id, event.actor_label) == (
            "retention_setting", "deletion_requests", head.email)
        assert json.loads(event.detail) == {"old": 730, "new": 91}
        setting = RetentionSetting.get(RetentionSetting.kind == "deletion_requests")
        assert setting.days == 91 and setting.updated_at is not None
    # Changed again: the old days are now the 91 just set.
    client.post("/admin/retention", data=period(fields, "deletion_requests", "1", "6"))
    with app.app_context():
        events = AuditEvent.select().where(AuditEvent.action == "retention.changed").order_by(AuditEvent.id)
        assert [json.loads(e.detail) for e in events] == [{"old": 730, "new": 91}, {"old": 91, "new": 548}]
        assert RetentionSetting.select().where(RetentionSetting.kind == "deletion_requests").count() == 1


def test_saving_the_periods_as_shown_changes_nothing_even_a_period_set_in_days(app, client, head):
    with app.app_context():
        retention.set_days("visitor_acceptances", 90)  # set before periods were in months
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "Kept now for 3 months." in html  # 90 days: shown as 3 months, said as it is
    fields = form_page(client, "/admin/retention")
    assert (fields["visitor_acceptances_years"], fields["visitor_acceptances_months"]) == ("0", "3")
    with nothing_written(app) as events:
        assert client.post("/admin/retention", data=fields).status_code == 303
    assert events == []
    with app.app_context():
        assert retention.all_settings() == {"visitor_acceptances": 90, "roster_acceptances": 2190,
                                            "breaches": 2190, "deletion_requests": 730,
                                            "ended_declarations": 365, "permission_requests": 730}


def test_a_blank_part_is_none_of_it(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post("/admin/retention", data=period(fields, "breaches", "", "9"))
    assert response.status_code == 303
    with app.app_context():
        assert retention.days_for("breaches") == retention.days_in(9) == 274


def test_the_longest_period_is_allowed_and_one_month_more_is_refused(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post("/admin/retention", data=period(fields, "breaches", "50", "0"))
    assert response.status_code == 303
    with app.app_context():
        assert retention.days_for("breaches") == retention.MAX_DAYS == 18250
    fields = form_page(client, "/admin/retention")
    with nothing_written(app):
        refused = client.post("/admin/retention", data=period(fields, "breaches", "50", "1"))
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "breaches") == (
        "Please give a period between 1 month and 50 years.")


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("years", "months", "kind", "message"), [
    ("0", "0", "breaches", "Please give a period between 1 month and 50 years."),
    ("", "", "breaches", "Please give a period between 1 month and 50 years."),
    ("two", "0", "breaches", "Please give the years as a whole number, like 2."),
    ("1", "1.5", "breaches", "Please give the months as a whole number, like 6."),
    ("-1", "0", "breaches", "Please give the years as a whole number, like 2."),
    ("1", "\u0661", "breaches", "Please give the months as a whole number, like 6."),  # Arabic 1
    ("9999", "0", "breaches", "Please give the years as a whole number, like 2."),
])
def test_a_period_that_is_not_one_is_refused_beside_it_writing_nothing(app, client, head, years,
                                                                        months, kind, message):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    with nothing_written(app):  # not even the visitors' 3 months, sent with it
        refused = client.post("/admin/retention", data={
            **period(fields, kind, years, months), "visitor_acceptances_years": "0",
            "visitor_acceptances_months": "3"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and field_error(html, kind) == message
    assert f'<a href="#{kind}_years">' in html or f'<a href="#{kind}_months">' in html
    with app.app_context():
        assert retention.days_for("visitor_acceptances") == 365


def test_set_days_refuses_an_unknown_kind_and_a_period_out_of_range_writing_nothing(app, ctx):
    with nothing_written(app):
        with pytest.raises(ValueError) as unknown:
            retention.set_days("nonsense", 90)
        with pytest.raises(ValueError) as too_short:
            retention.set_days("breaches", 29)
        with pytest.raises(ValueError) as too_long:
            retention.set_days("breaches", 18251)
    assert str(unknown.value) == "nonsense"
    assert str(too_short.value) == str(too_long.value) == "between 30 and 18250 days"


def test_the_head_changes_retention_periods(app, client, head):
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post("/admin/retention", data=period(fields, "visitor_acceptances", "0", "3"))
    assert response.status_code == 303
    with app.app_context():
        assert retention.days_for("visitor_acceptances") == 91
        assert AuditEvent.get(AuditEvent.action == "retention.changed").record_id == "visitor_acceptances"
    assert "If you visit once: <strong>3 months</strong>" in client.get("/privacy").get_data(
        as_text=True)


# The daily clean-up ------------------------------------------------------------------------------

def test_the_head_is_told_to_ask_it_support_when_the_clean_up_has_never_run(app, client, head):
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "The daily clean-up has not run yet" in html
    assert "Ask your IT support to set up the daily clean-up" in html


def test_a_recent_clean_up_is_shown_with_its_time_and_an_old_one_is_a_warning(
        app, client, head, runner, monkeypatch):
    sign_in_as(client, head)
    assert runner.invoke(args=["purge"]).exit_code == 0
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "The daily clean-up last ran at " in html and "Ask your IT support" not in html
    with app.app_context():
        ran = retention.last_purged_at()
        assert ran is not None and utcnow() - ran < dt.timedelta(minutes=1)
        assert not retention.purge_overdue(ran, ran + dt.timedelta(days=2))
        assert retention.purge_overdue(ran, ran + dt.timedelta(days=2, seconds=1))
    # Three days later, with no clean-up since (the audit log cannot be back-dated).
    monkeypatch.setattr(retention, "utcnow", lambda: ran + dt.timedelta(days=3))
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "The daily clean-up has not run since " in html and "Ask your IT support" in html


def test_the_chair_sees_no_periods_and_no_clean_up_warning(app, client, chair):
    sign_in_as(client, chair)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "daily clean-up" not in html and "_years" not in html


# What the purge plans: boundaries to the second ---------------------------------------------------

@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


def test_a_record_goes_one_second_after_its_period_not_at_it(app, ctx, teacher, now):
    visitor_days, breach_days, request_days = 365, 6 * 365, 2 * 365
    at_visitor = make_acceptance(full_name="At Edge", accepted_at=now - dt.timedelta(days=visitor_days))
    past_visitor = make_acceptance(full_name="Past Edge",
                                   accepted_at=now - dt.timedelta(days=visitor_days) - SECOND)
    at_breach = make_breach(teacher, category="commercial")
    past_breach = make_breach(teacher, category="commercial")
    Breach.update(created_at=now - dt.timedelta(days=breach_days)).where(Breach.id == at_breach.id).execute()
    Breach.update(created_at=now - dt.timedelta(days=breach_days) - SECOND).where(
        Breach.id == past_breach.id).execute()
    at_request = make_deletion_request(teacher, asked_at=now - dt.timedelta(days=request_days))
    past_request = make_deletion_request(teacher, asked_at=now - dt.timedelta(days=request_days) - SECOND)

    plan = retention.plan_purge(now)
    assert [a.id for a in plan.visitor_acceptances] == [past_visitor.id]
    assert [b.id for b in plan.breaches] == [past_breach.id]
    assert [r.id for r in plan.deletion_requests] == [past_request.id]
    assert at_visitor.id not in {a.id for a in plan.visitor_acceptances}  # at the edge: still kept
    assert at_breach.id not in {b.id for b in plan.breaches}
    assert at_request.id not in {r.id for r in plan.deletion_requests}


def test_a_roster_acceptance_goes_one_second_after_its_period(app, ctx, now):
    version_1 = PolicyVersion.current()
    make_policy()  # version 2 is current: acceptances of version 1 are not anyone's evidence
    person = roster.add_person("Ros Ter", "ros@example.org", "pta")
    cutoff = now - dt.timedelta(days=6 * 365)
    at_edge = make_acceptance(full_name="Ros Ter", roster_person=person, policy_version=version_1,
                              accepted_at=cutoff)
    past = make_acceptance(full_name="Ros Ter", roster_person=person, policy_version=version_1,
                           accepted_at=cutoff - SECOND)
    plan = retention.plan_purge(now)
    assert [a.id for a in plan.roster_acceptances] == [past.id]
    assert at_edge.id not in [a.id for a in plan.roster_acceptances + plan.visitor_acceptances]


def test_purge_goes_by_the_time_it_is_given(app, ctx):
    fresh = make_acceptance(full_name="Fresh Visitor")
    counts = retention.purge(utcnow() + dt.timedelta(days=366))
    assert counts["visitor_acceptances"] == 1
    assert not Acceptance.select().where(Acceptance.id == fresh.id).exists()


# What the purge removes with what, and what it keeps ---------------------------------------------

def test_purge_removes_a_breach_with_its_history_requests_and_acceptance_and_keeps_the_rest(
        app, runner, teacher):
    with app.app_context():
        going_acceptance = make_acceptance(full_name="Going With Breach", accepted_at=old(400))
        going = make_breach(teacher, category="commercial", acceptance=going_acceptance)
        Breach.update(created_at=old(2500)).where(Breach.id == going.id).execute()
        note(teacher, breach=going)
        its_request = make_deletion_request(teacher, breach=going)
        note(teacher, deletion_request=its_request)

        staying = make_breach(teacher, category="commercial")
        note(teacher, breach=staying)
        staying_request = make_deletion_request(teacher, breach=staying)
        note(teacher, deletion_request=staying_request)

        old_request_acceptance = make_acceptance(full_name="Going With Request", accepted_at=old(400))
        old_request = make_deletion_request(teacher, asked_at=old(800), acceptance=old_request_acceptance)
        note(teacher, deletion_request=old_request)

        held = make_acceptance(full_name="Held By Request", accepted_at=old(400))
        new_request = make_deletion_request(teacher, asked_at=old(10), acceptance=held)
        note(teacher, deletion_request=new_request)
        kept_notes = {u.id for u in RecordUpdate.select().where(
            (RecordUpdate.breach == staying) | RecordUpdate.deletion_request.in_([staying_request.id,
                                                                                 new_request.id]))}

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Removed: 2 deletion requests, 1 breaches, 2 visitor acceptances, "
                             "0 roster acceptances, 0 ended declarations, 0 permission requests.\n")
    with app.app_context():
        assert {b.id for b in Breach.select()} == {staying.id}
        assert {r.id for r in DeletionRequest.select()} == {staying_request.id, new_request.id}
        assert {u.id for u in RecordUpdate.select()} == kept_notes
        assert {a.full_name for a in Acceptance.select()} == {"Held By Request"}
        event = last_event("retention.purged")
        assert (event.record_kind, event.record_id, event.actor_label, event.actor_id) == (
            "purge", "", "purge", None)
        assert json.loads(event.detail) == {"deletion_requests": 2, "breaches": 1,
                                            "visitor_acceptances": 2, "roster_acceptances": 0,
                                            "ended_declarations": 0, "permission_requests": 0}


def test_purge_keeps_roster_acceptances_for_the_roster_period_and_only_the_current_one_for_good(
        app, runner):
    with app.app_context():
        stays = roster.add_person("Still Within", "within@example.org", "pta")
        long_ago = roster.add_person("Long Ago", "long@example.org", "volunteer")
        within = make_acceptance(full_name="Still Within", roster_person=stays, accepted_at=old(400))
        too_old = make_acceptance(full_name="Long Ago", roster_person=long_ago, accepted_at=old(2200))
        make_policy()  # version 2: the two above are of an earlier version
        current = make_acceptance(full_name="Long Ago", roster_person=long_ago, accepted_at=old(2195))
        make_acceptance(full_name="Old Visitor", accepted_at=old(400))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Removed: 0 deletion requests, 0 breaches, 1 visitor acceptances, "
                             "1 roster acceptances, 0 ended declarations, 0 permission requests.\n")
    with app.app_context():
        assert {a.id for a in Acceptance.select()} == {within.id, current.id}
        assert too_old.id not in {a.id for a in Acceptance.select()}


@pytest.fixture
def aged(app, teacher):
    """Records either side of their retention periods."""
    with app.app_context():
        person = roster.add_person("Ros Ter", "ros@example.org", "pta")
        records = {
            "old_visitor": make_acceptance(full_name="Old Visitor", accepted_at=old(400)),
            "new_visitor": make_acceptance(full_name="New Visitor", accepted_at=old(10)),
            "old_roster": make_acceptance(full_name="Ros Ter", roster_person=person, accepted_at=old(400)),
            "held_visitor": make_acceptance(full_name="Held Visitor", accepted_at=old(400)),
            "old_breach": make_breach(teacher, category="commercial", subject_name="Old Subject"),
            "safeguarding": make_breach(teacher, category="photographing"),
            "standalone": make_deletion_request(teacher, asked_at=old(800)),
        }
        records["held_by"] = make_breach(teacher, category="commercial",
                                         acceptance=records["held_visitor"])
        Breach.update(created_at=old(2500)).where(Breach.id.in_(
            [records["old_breach"].id, records["safeguarding"].id])).execute()
        make_deletion_request(teacher, breach=records["old_breach"])
        return records


def test_purge_dry_run_shows_what_would_go_and_removes_nothing(app, runner, aged):
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0
    assert "Acceptances by one-off visitors: 1 would be removed" in result.output
    assert "Breaches that are not a safeguarding matter: 1 would be removed" in result.output
    assert "Deletion requests not part of a breach: 2 would be removed" in result.output
    assert "1 safeguarding or restricted record(s) are due for the head's review" in result.output
    with app.app_context():
        assert Acceptance.select().count() == 4 and Breach.select().count() == 3


def test_purge_removes_what_is_past_retention_and_audits_the_counts_only(app, runner, aged):
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = {a.full_name for a in Acceptance.select()}
        assert names == {"New Visitor", "Ros Ter", "Held Visitor"}
        assert {b.id for b in Breach.select()} == {aged["safeguarding"].id, aged["held_by"].id}
        assert DeletionRequest.select().count() == 0
        event = AuditEvent.get(AuditEvent.action == "retention.purged")
        assert '"visitor_acceptances": 1' in event.detail and "Old Visitor" not in event.detail


def test_purge_keeps_a_roster_persons_acceptance_of_the_current_version(app, runner):
    with app.app_context():
        person = roster.add_person("Still Current", "sc@example.org", "pta")
        make_acceptance(full_name="Still Current", roster_person=person, accepted_at=old(100))
        retention.set_days("roster_acceptances", 30)
    runner.invoke(args=["purge"])
    with app.app_context():
        assert Acceptance.select().where(Acceptance.roster_person == person.id).count() == 1
        assert [e.person.id for e in roster.outstanding()] == []


def test_purge_never_removes_a_concern_about_staff_however_old(app, runner, teacher):
    """Restricted concerns wait for the head's decision even when not a safeguarding matter,
    and whether or not they went to the LADO."""
    from kiosk.models import LadoReferral

    with app.app_context():
        plain = make_breach(teacher, subject_kind="staff", category="representative")
        referred = make_breach(teacher, subject_kind="staff", category="commercial")
        LadoReferral.create(breach=referred, referred_at=old(7 * 365), reference="LADO-1")
        assert not plain.safeguarding and not referred.safeguarding
        assert plain.restricted and referred.restricted
        Breach.update(created_at=old(7 * 365)).execute()
        make_deletion_request(teacher, breach=plain, asked_at=old(7 * 365))
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {b.id for b in Breach.select()} == {plain.id, referred.id}
        assert DeletionRequest.select().count() == 1 and LadoReferral.select().count() == 1


# The purge in batches, the kiosk writing between them -----------------------------------------

def old_visitors(count: int) -> list[int]:
    return [make_acceptance(full_name=f"Old Visitor {n}", accepted_at=old(400)).id for n in range(count)]


def deletes_of(queries: list[str], table: str) -> int:
    """How many DELETE statements on the table ran."""
    return [q.split('"')[1] for q in queries if q.startswith("DELETE FROM")].count(table)


def test_the_purge_deletes_in_batches_of_the_size_it_is_given(app, ctx):
    old_visitors(7)
    kept = make_acceptance(full_name="New Visitor", accepted_at=old(10))
    with queries_run() as queries:
        counts = retention.purge(batch_size=3, pause=0)
    assert counts["visitor_acceptances"] == 7
    assert deletes_of(queries, "acceptance") == 3  # 3, 3 and 1
    assert [a.id for a in Acceptance.select()] == [kept.id]
    assert json.loads(last_event("retention.purged").detail)["visitor_acceptances"] == 7


def test_slow_batches_make_the_next_smaller_and_quick_ones_let_it_grow_back(app, ctx, monkeypatch):
    """A loaded server: a batch that held the lock longer than the target halves the next one
    (never below the smallest), a quick one doubles it, never above the size asked for."""
    old_visitors(30)
    monkeypatch.setattr(retention, "PURGE_SMALLEST_BATCH", 2)
    slow, quick = retention.PURGE_TRANSACTION_TARGET + 0.01, retention.PURGE_TRANSACTION_TARGET / 5
    durations = iter([slow, slow, slow, quick, quick, quick, quick, quick])
    clock = {"now": 0.0}
    sizes = []
    real = retention.PurgePlan.ids

    def asked(plan, kind, limit=None):
        # Inside the batch's transaction: the clock moves on by that batch's time.
        if kind == "visitor_acceptances":
            sizes.append(limit)
            clock["now"] += next(durations, 0.0)
        return real(plan, kind, limit)

    def fake_clock():
        return clock["now"]

    monkeypatch.setattr(retention, "_clock", fake_clock)
    monkeypatch.setattr(retention.PurgePlan, "ids", asked)
    assert retention.purge(batch_size=8, pause=0)["visitor_acceptances"] == 30
    # 8 (slow) 4 (slow) 2 (slow) 2 (quick) 4 (quick) 8 (quick): 28 gone, then 2 of the 8 asked.
    assert sizes == [8, 4, 2, 2, 4, 8, 8]
    assert Acceptance.select().count() == 0
    assert retention._next_batch_size(8, retention.PURGE_TRANSACTION_TARGET, 8) == 8  # at the target


def test_the_purge_command_takes_a_batch_size_and_refuses_a_nonsense_one(app, runner, monkeypatch):
    with app.app_context():
        old_visitors(5)
    sizes = []
    real = retention.purge
    monkeypatch.setattr(retention, "purge", lambda **kw: sizes.append(kw) or real(pause=0, **kw))
    result = runner.invoke(args=["purge", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "5 visitor acceptances" in result.output and sizes == [{"batch_size": 2}]
    refused = runner.invoke(args=["purge", "--batch-size", "0"])
    assert refused.exit_code == 2 and "--batch-size" in refused.output and len(sizes) == 1


def test_the_purge_rests_between_batches_and_not_after_the_last(app, ctx, monkeypatch):
    old_visitors(6)
    rests = []
    monkeypatch.setattr(retention.time, "sleep", rests.append)
    retention.purge(batch_size=3, pause=0.25)
    # Two full batches, then an empty look that ends it: a rest after each full batch.
    assert rests == [0.25, 0.25]


def test_the_kiosk_writes_between_batches_without_waiting_for_the_whole_purge(app, ctx, teacher,
                                                                            monkeypatch):
    """Another thread (a kiosk's request) writes during the rest after the first batch: it gets
    the write lock at once, its acceptance is kept, and an old acceptance it makes a breach about
    in that moment is kept with it (the purge asks again before each batch)."""
    old_visitors(7)
    written: dict[str, object] = {}

    def kiosk_writes():
        with app.app_context():
            written["new"] = make_acceptance(full_name="Arrived Mid Purge").id
            written["held"] = retention.plan_purge().ids("visitor_acceptances")[0]
            make_breach(teacher, category="commercial",
                        acceptance=Acceptance.get_by_id(written["held"]))
            db.close()

    def rest(seconds):
        if "new" not in written:
            writer = threading.Thread(target=kiosk_writes)
            writer.start()
            writer.join(timeout=5)
            assert not writer.is_alive(), "the kiosk's write waited for the purge"

    monkeypatch.setattr(retention.time, "sleep", rest)
    counts = retention.purge(batch_size=3, pause=0.1)
    assert counts["visitor_acceptances"] == 6
    left = {a.id for a in Acceptance.select()}
    assert left == {written["new"], written["held"]}


def test_a_purge_that_stops_part_way_keeps_what_it_did_says_so_and_the_next_one_carries_on(
        app, ctx, head, monkeypatch):
    from kiosk import audit_log

    old_visitors(7)
    rested = []

    def interrupted(seconds):
        rested.append(seconds)
        if len(rested) == 2:
            raise KeyboardInterrupt  # the server shutting down, after two batches

    monkeypatch.setattr(retention.time, "sleep", interrupted)
    with pytest.raises(KeyboardInterrupt):
        retention.purge(batch_size=3)
    assert Acceptance.select().count() == 1
    event = last_event("retention.purged")
    assert json.loads(event.detail) == {"deletion_requests": 0, "breaches": 0, "stopped": True,
                                        "visitor_acceptances": 6, "roster_acceptances": 0,
                                        "ended_declarations": 0, "permission_requests": 0}
    assert audit_log.describe(event, head) == (
        "The regular clear-out of old records removed 6 acceptances by one-off visitors, then "
        "stopped before it had finished.")
    assert retention.last_purged_at() is None  # the head is still told it is not running

    monkeypatch.setattr(retention.time, "sleep", lambda seconds: None)
    assert retention.purge(batch_size=3)["visitor_acceptances"] == 1
    assert Acceptance.select().count() == 0
    finished = AuditEvent.select().where(AuditEvent.action == "retention.purged").order_by(
        AuditEvent.id.desc()).first()
    assert json.loads(finished.detail)["visitor_acceptances"] == 1
    assert retention.last_purged_at() == finished.at


def test_a_purge_that_fails_before_removing_anything_writes_no_event(app, ctx, teacher, monkeypatch):
    old_visitors(2)

    def broken(ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "_delete_requests", broken)
    make_deletion_request(teacher, asked_at=old(800))
    with pytest.raises(RuntimeError):
        retention.purge(pause=0)
    assert not AuditEvent.select().where(AuditEvent.action == "retention.purged").exists()
    assert Acceptance.select().count() == 2


def test_a_breach_past_its_period_takes_a_request_made_after_the_requests_were_purged(
        app, ctx, teacher, monkeypatch):
    """The breaches go after the deletion requests: a request added to a going breach in between
    goes with its breach, counted, instead of stopping the purge on the link."""
    going = make_breach(teacher, category="commercial")
    Breach.update(created_at=old(2500)).where(Breach.id == going.id).execute()
    make_deletion_request(teacher, breach=going)
    real = retention.PurgePlan.ids

    def then_a_request_arrives(plan, kind, limit=None):
        if kind == "breaches" and DeletionRequest.select().count() == 0:
            make_deletion_request(teacher, breach=going)  # after the requests were purged
        return real(plan, kind, limit)

    monkeypatch.setattr(retention.PurgePlan, "ids", then_a_request_arrives)
    counts = retention.purge(pause=0)
    assert counts["breaches"] == 1 and counts["deletion_requests"] == 2
    assert Breach.select().count() == 0 and DeletionRequest.select().count() == 0


def test_the_plan_counts_in_the_database_without_loading_a_record(app, aged, ctx):
    plan = retention.plan_purge()
    with queries_run() as queries:
        counts = plan.counts()
    assert counts == {"deletion_requests": 2, "breaches": 1, "visitor_acceptances": 1,
                      "roster_acceptances": 0, "ended_declarations": 0, "permission_requests": 0}
    counted = [q for q in queries if "COUNT(" in q]
    assert len(counted) == len(retention.PURGED_KINDS)
    # Nothing else read from the records themselves (only the settings and policy versions).
    assert all('FROM "retention_setting"' in q or 'FROM "policy_version"' in q
               for q in queries if q not in counted), queries


def test_the_head_sees_what_the_next_clean_up_will_remove(app, client, head, chair, aged):
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "The next daily clean-up will remove:" in html
    assert "<li>Acceptances by one-off visitors: <strong>1</strong></li>" in html
    assert "<li>Breaches that are not a safeguarding matter: <strong>1</strong></li>" in html
    assert "<li>Deletion requests, on their own or with their breach: <strong>2</strong></li>" in html
    assert "<li>Acceptances by people on the roster: <strong>0</strong></li>" in html
    with app.app_context():
        retention.purge(pause=0)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "<li>Acceptances by one-off visitors: <strong>0</strong></li>" in html
    sign_in_as(client, chair)
    assert "next daily clean-up" not in client.get("/admin/retention").get_data(as_text=True)


def test_the_batched_purge_keeps_every_rule_on_postgresql(postgres_url, tmp_path):
    """The purge's SQL (NOT IN the held acceptances, the going breaches' requests) on
    PostgreSQL, in batches of two."""
    from kiosk.migrate import migrate_database
    from kiosk.policies import seed_default_policy

    from .helpers import make_user

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url,
                      "TESTING": True})
    with app.app_context():
        migrate_database()
        seed_default_policy()
        teacher = make_user("staff")
        person = roster.add_person("Ros Ter", "ros@example.org", "pta")
        going = [make_acceptance(full_name=f"Old {n}", accepted_at=old(400)).id for n in range(5)]
        held = make_acceptance(full_name="Held", accepted_at=old(400))
        held_by_request = make_acceptance(full_name="Held By Request", accepted_at=old(400))
        current = make_acceptance(full_name="Ros Ter", roster_person=person, accepted_at=old(2500))
        staying = make_breach(teacher, category="commercial", acceptance=held)
        old_breach = make_breach(teacher, category="commercial")
        safeguarding = make_breach(teacher, category="photographing")
        Breach.update(created_at=old(2500)).where(Breach.id.in_([old_breach.id, safeguarding.id])).execute()
        make_deletion_request(teacher, breach=old_breach)
        make_deletion_request(teacher, asked_at=old(800))
        recent_request = make_deletion_request(teacher, asked_at=old(10), acceptance=held_by_request)
        assert retention.plan_purge().counts() == {"deletion_requests": 2, "breaches": 1,
                                                   "visitor_acceptances": 5, "roster_acceptances": 0,
                                                   "ended_declarations": 0, "permission_requests": 0}
        counts = retention.purge(batch_size=2, pause=0)
        assert counts == {"deletion_requests": 2, "breaches": 1, "visitor_acceptances": 5,
                          "roster_acceptances": 0, "ended_declarations": 0, "permission_requests": 0}
        assert not set(going) & {a.id for a in Acceptance.select()}
        assert {a.id for a in Acceptance.select()} == {held.id, held_by_request.id, current.id}
        assert {b.id for b in Breach.select()} == {staying.id, safeguarding.id}
        assert [r.id for r in DeletionRequest.select()] == [recent_request.id]
    db.close()


# The head's review of safeguarding and restricted records ----------------------------------------

def test_due_for_review_one_second_after_the_period_and_after_keep_until(app, ctx, teacher, head, now):
    cutoff = now - dt.timedelta(days=6 * 365)
    at_edge = make_breach(teacher, category="photographing")
    past = make_breach(teacher, category="photographing")
    kept_to_now = make_breach(teacher, category="photographing")
    kept_before_now = make_breach(teacher, category="photographing")
    plain = make_breach(teacher, category="commercial")
    recent = make_breach(teacher, category="photographing")
    Breach.update(created_at=cutoff).where(Breach.id == at_edge.id).execute()
    Breach.update(created_at=cutoff - SECOND).where(
        Breach.id.in_([past.id, kept_to_now.id, kept_before_now.id, plain.id])).execute()
    Breach.update(keep_until=now).where(Breach.id == kept_to_now.id).execute()
    Breach.update(keep_until=now - SECOND).where(Breach.id == kept_before_now.id).execute()

    due = {past.id, kept_before_now.id}
    assert {b.id for b in retention.due_for_review(head, now)} == due
    assert {b.id for b in retention.due_for_review_by_anyone(now)} == due
    assert recent.id not in due


def test_the_review_list_shows_the_oldest_first_and_not_plain_breaches(app, client, teacher, head):
    with app.app_context():
        newer = make_breach(teacher, category="photographing")
        older = make_breach(teacher, category="photographing")
        plain = make_breach(teacher, category="commercial")
        Breach.update(created_at=old(2300)).where(Breach.id == newer.id).execute()
        Breach.update(created_at=old(2500)).where(Breach.id.in_([older.id, plain.id])).execute()
        assert [b.id for b in retention.due_for_review(head)] == [older.id, newer.id]
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert html.index(str(older.public_id)) < html.index(str(newer.public_id))
    assert str(plain.public_id) not in html


def test_the_dry_run_counts_only_records_due_for_review(app, runner, teacher):
    with app.app_context():
        due = make_breach(teacher, category="photographing")
        kept = make_breach(teacher, category="photographing")
        make_breach(teacher, category="photographing")  # not old enough
        Breach.update(created_at=old(2500)).where(Breach.id.in_([due.id, kept.id])).execute()
        Breach.update(keep_until=utcnow() + dt.timedelta(days=30)).where(Breach.id == kept.id).execute()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert "\n1 safeguarding or restricted record(s) are due for the head's review" in result.output


def test_keeping_a_record_sets_keep_until_years_ahead_for_it_alone_and_audits_it(app, client, teacher,
                                                                                head):
    with app.app_context():
        chosen = make_breach(teacher, category="photographing")
        other = make_breach(teacher, category="photographing")
        Breach.update(created_at=old(2500)).execute()
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    before = utcnow()
    response = client.post(f"/admin/retention/{chosen.public_id}", data={**fields, "decision": "6"})
    after = utcnow()
    assert response.status_code == 303
    with app.app_context():
        until = Breach.get_by_id(chosen.id).keep_until
        assert before + dt.timedelta(days=6 * 365) <= until <= after + dt.timedelta(days=6 * 365)
        assert Breach.get_by_id(other.id).keep_until is None
        assert [b.id for b in retention.due_for_review(head)] == [other.id]
        event = last_event("retention.kept")
        assert (event.record_kind, event.record_id, event.actor_label) == (
            "breach", str(chosen.public_id), head.email)
        assert json.loads(event.detail) == {"years": 6}


def test_deleting_a_reviewed_record_takes_its_history_requests_and_lado_referral_only(app, client,
                                                                                      teacher, head):
    with app.app_context():
        chosen = make_breach(teacher, subject_kind="staff", category="representative")
        other = make_breach(teacher, subject_kind="staff", category="representative")
        Breach.update(created_at=old(2500)).execute()
        requests_of = {}
        for breach in (chosen, other):
            note(teacher, breach=breach)
            request = make_deletion_request(teacher, breach=breach)
            requests_of[breach.id] = str(request.public_id)
            note(teacher, deletion_request=request)
            LadoReferral.create(breach=breach, referred_at=old(2400), reference=f"LADO-{breach.id}")
        standalone = make_deletion_request(teacher)
        note(teacher, deletion_request=standalone)
        staying_requests = {r.id for r in DeletionRequest.select().where(
            DeletionRequest.breach.is_null() | (DeletionRequest.breach == other))}
        staying_notes = {u.id for u in RecordUpdate.select().where(
            (RecordUpdate.breach == other) | RecordUpdate.deletion_request.in_(list(staying_requests)))}
        assert len(staying_notes) == 3 and len(staying_requests) == 2
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post(f"/admin/retention/{chosen.public_id}", data={**fields, "decision": "delete"})
    assert response.status_code == 303
    with app.app_context():
        assert {b.id for b in Breach.select()} == {other.id}
        assert {r.id for r in DeletionRequest.select()} == staying_requests
        assert {u.id for u in RecordUpdate.select()} == staying_notes
        assert [lado.breach_id for lado in LadoReferral.select()] == [other.id]
        event = last_event("retention.deleted_after_review")
        assert (event.record_kind, event.record_id, event.actor_label) == (
            "breach", str(chosen.public_id), head.email)
        assert json.loads(event.detail) == {"deletion_requests": 1,
                                            "requests": [requests_of[chosen.id]]}


def test_deleting_a_reviewed_concern_about_staff_keeps_the_childs_welfare_task_without_the_name(
        app, client, teacher, head, dsl):
    """A concern about staff that named pupils made the DSL a welfare task: deleting the concern
    after review leaves the task with the DSL (its notes too), unlinked and without the adult's
    name, instead of failing on the link."""
    with app.app_context():
        chosen = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             subject_name="Morgan Staff", pupils="Sam Pupil")
        Breach.update(created_at=old(2500)).execute()
        [task] = WelfareTask.select().where(WelfareTask.breach == chosen)
        RecordUpdate.create(welfare_task=task, author=head, kind="name_shared", text="Morgan Staff")
        RecordUpdate.create(welfare_task=task, author=dsl, kind="note", text="Spoke to Sam.")
    sign_in_as(client, head)
    fields = form_page(client, "/admin/retention")
    response = client.post(f"/admin/retention/{chosen.public_id}", data={**fields, "decision": "delete"})
    assert response.status_code == 303
    with app.app_context():
        assert not Breach.select().where(Breach.id == chosen.id).exists()
        kept = WelfareTask.get_by_id(task.id)
        assert (kept.breach_id, kept.pupils) == (None, "Sam Pupil")
        assert [(u.kind, u.text) for u in RecordUpdate.select()] == [("note", "Spoke to Sam.")]


def test_safeguarding_records_are_listed_for_the_head_who_keeps_or_deletes_them(app, client, head,
                                                                               aged):
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    public_id = str(aged["safeguarding"].public_id)
    assert public_id in html
    fields = form_page(client, "/admin/retention")
    client.post(f"/admin/retention/{public_id}", data={**fields, "decision": "1"})
    assert public_id not in client.get("/admin/retention").get_data(as_text=True)
    with app.app_context():
        Breach.update(keep_until=old(1)).where(Breach.public_id == public_id).execute()
    client.post(f"/admin/retention/{public_id}", data={**fields, "decision": "delete"})
    with app.app_context():
        assert not Breach.select().where(Breach.public_id == public_id).exists()
        assert AuditEvent.get(AuditEvent.action == "retention.deleted_after_review")


def test_concerns_about_the_head_are_reviewed_by_the_chair_not_listed_for_the_head(app, client, head,
                                                                                  chair, teacher):
    with app.app_context():
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        Breach.update(created_at=old(2500)).where(Breach.id == about_head.id).execute()
    sign_in_as(client, head)
    assert str(about_head.public_id) not in client.get("/admin/retention").get_data(as_text=True)
    sign_in_as(client, chair)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert str(about_head.public_id) in html and "How long records are kept" in html
    assert 'name="breaches"' not in html  # the settings are the head's
    fields = {"csrf_token": hidden_fields(html)["csrf_token"]}
    client.post(f"/admin/retention/{about_head.public_id}", data={**fields, "decision": "6"})
    with app.app_context():
        assert Breach.get_by_id(about_head.id).keep_until > utcnow()


# Backups -------------------------------------------------------------------------------------------

COPIES_THE_SQLITE_FILE = "the backup command copies the SQLite file (on PostgreSQL it points to pg_dump)"


@pytest.mark.sqlite_only(COPIES_THE_SQLITE_FILE)
def test_a_backup_into_new_folders_reports_its_pages_and_is_audited(app, runner, tmp_path):
    target = tmp_path / "backups" / "2026" / "kiosk.sqlite3"
    db.close()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    pages = copy.execute("PRAGMA page_count").fetchone()[0]
    copy.close()
    assert pages > 1
    assert result.output == f"Backed up {pages} pages to {target}.\n"
    with app.app_context():
        event = last_event("backup.made")
        assert (event.record_kind, event.record_id, event.actor_label, event.actor_id) == (
            "backup", "", "backup", None)
        assert json.loads(event.detail) == {"pages": pages}


def test_a_backup_of_a_server_database_points_to_pg_dump_and_touches_nothing(tmp_path):
    """PostgreSQL at a port where nothing listens: the command refuses before connecting."""
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE_URL": "postgresql://kiosk@127.0.0.1:9/kiosk"})
    target = tmp_path / "x.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert result.output == ("Error: This command backs up SQLite. For PostgreSQL use pg_dump "
                             "(see the README).\n")
    assert not target.exists()


@pytest.mark.sqlite_only(COPIES_THE_SQLITE_FILE)
def test_a_backup_is_a_consistent_copy_that_restores_every_record(app, runner, aged, tmp_path):
    target = tmp_path / "backups" / f"kiosk-{utcnow():%Y-%m-%d}.sqlite3"
    with app.app_context():
        expected = {model: sorted(row.id for row in model.select())
                    for model in (Acceptance, Breach, DeletionRequest, RosterPerson, AuditEvent)}
    db.close()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0 and "Backed up" in result.output
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    restored = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "restored"),
                           "DATABASE_URL": f"sqlite:///{target}"})
    with restored.app_context():
        for model, ids in expected.items():
            assert sorted(row.id for row in model.select()) == ids
    db.close()
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output


def test_backup_on_postgresql_points_to_pg_dump(postgres_url, tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url})
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.sqlite3")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    db.close()


@pytest.mark.sqlite_only(COPIES_THE_SQLITE_FILE)
def test_a_backup_file_is_readable_by_its_owner_only(app, runner, tmp_path):
    import stat

    target = tmp_path / "kiosk-backup.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_records_that_stay_without_an_acceptance_do_not_stop_old_acceptances_going(
        app, ctx, teacher):
    """The acceptances still held are listed with NOT IN, where a NULL in the list would make
    nothing go: a safeguarding breach and a recent deletion request that name no acceptance
    stay, and the old acceptance goes all the same."""
    going = make_acceptance(full_name="Old Visitor", accepted_at=old(400))
    staying_breach = make_breach(teacher, category="photographing")
    Breach.update(created_at=old(2500)).where(Breach.id == staying_breach.id).execute()
    make_deletion_request(teacher)
    assert retention.plan_purge().ids("visitor_acceptances") == [going.id]
    retention.purge(pause=0)
    assert not Acceptance.select().where(Acceptance.id == going.id).exists()
    assert Breach.select().count() == 1 and DeletionRequest.select().count() == 1


def test_the_counts_the_page_shows_stop_one_past_where_they_are_shown(app, client, head, aged,
                                                                      monkeypatch):
    from kiosk import admin

    with app.app_context():
        for n in range(3):
            make_acceptance(full_name=f"Older {n}", accepted_at=old(500))
        plan = retention.plan_purge()
        assert plan.counts()["visitor_acceptances"] == 4
        assert plan.counts(up_to=2)["visitor_acceptances"] == 3  # counted no further
        assert plan.counts(up_to=10)["visitor_acceptances"] == 4
    monkeypatch.setattr(admin, "DUE_COUNTED_UP_TO", 3)
    sign_in_as(client, head)
    html = client.get("/admin/retention").get_data(as_text=True)
    assert "<li>Acceptances by one-off visitors: <strong>more than 3</strong></li>" in html
    # Up to the limit, the number itself.
    assert "<li>Deletion requests, on their own or with their breach: <strong>2</strong></li>" in html


@pytest.mark.fresh_database("which index the planner picks")
def test_old_acceptances_are_found_through_the_accepted_at_index(app, ctx, teacher):
    """At a trust's size the retention page took a minute: SQLite read every visitor acceptance
    through the roster's index, and the whole breach table for each one. With a school's mix of
    rows (most acceptances a visitor's, most breaches naming none) and the statistics ANALYZE
    keeps, the visitors' old acceptances are read from the accepted_at index, and the records
    that hold one are listed once, not searched for each acceptance."""
    person = roster.add_person("Ros Ter", "ros@example.org", "pta")
    with db.atomic():
        for n in range(400):
            make_acceptance(full_name=f"Visitor {n}", accepted_at=old(n))
        for n in range(5):
            make_acceptance(full_name="Ros Ter", roster_person=person, accepted_at=old(n))
    for _ in range(20):
        make_breach(teacher, category="commercial")
    db.execute_sql("ANALYZE")
    sql, params = retention.plan_purge().visitor_acceptances.sql()
    if isinstance(db.obj, PostgresqlDatabase):
        plan = " ".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params))
        # Each list is hashed once; no subplan is run again for each acceptance.
        assert "acceptance_accepted_at_role" in plan, plan
        assert "NOT (hashed SubPlan 1)" in plan and "NOT (SubPlan" not in plan, plan
    else:
        plan = " ".join(str(row) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "acceptance_accepted_at_role (accepted_at<?)" in plan, plan
        # Each list is built once (a breach table read once is fine); nothing per acceptance.
        assert "CORRELATED" not in plan and plan.count("LIST SUBQUERY") == 3, plan


@pytest.mark.fresh_database("which index the planner picks")
def test_when_the_clean_up_last_ran_is_read_from_its_own_events_only(app, ctx):
    """The retention page asks when the clean-up last ran. With MAX(at), SQLite walked the `at`
    index back through every event of the log when it had never run (1.4 s at five million
    events); the newest of its own events, by the (action, id) index, reads only those."""
    AuditEvent.insert_many([
        {"at": utcnow(), "action": "acceptance.created", "record_kind": "acceptance",
         "previous_hash": "0" * 64, "hash": f"{n:064x}"} for n in range(3000)]).execute()
    db.execute_sql("ANALYZE")
    assert retention.last_purged_at() is None
    with queries_run() as run:
        retention.last_purged_at()
    (sql,) = [statement for statement in run if "audit_event" in statement]
    params = ["retention.purged", '%"stopped": true%', 1]  # the action, the text, LIMIT 1
    if isinstance(db.obj, PostgresqlDatabase):
        plan = " ".join(row[0] for row in db.execute_sql(
            "EXPLAIN " + sql.replace("?", "%s"), params))
        assert "audit_event_action_id" in plan and "audit_event_at" not in plan, plan
    else:
        plan = " ".join(str(row) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "audit_event_action_id (action=?)" in plan and "audit_event_at" not in plan, plan
