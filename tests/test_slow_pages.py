"""The roster's "still to accept" pages and the dashboard's deletion counts at a trust's size
(issue 14, point 4): who is still to accept and which deletion requests a user may see are the
database's, with the same answers as the rules they replace, in queries whose number does not
grow with the rows, read through an index."""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import count

import pytest
from peewee import PostgresqlDatabase

from kiosk import roster
from kiosk.models import Breach, DeletionRequest, Reminder, RosterPerson, StaffUser, db, utcnow
from kiosk.reports import dashboard

from .helpers import (
    SCHOOL_ZONE,
    make_acceptance,
    make_breach,
    make_deletion_request,
    make_policy,
    make_user,
    queries_run,
)

_n = count()


def person(role: str = "volunteer", **kw) -> RosterPerson:
    n = next(_n)
    values = dict(full_name=kw.pop("full_name", f"Person {n:03}"), email=f"p{n}@example.org",
                  role=role, token=uuid.uuid4().hex)
    values.update(kw)
    return RosterPerson.create(**values)


def accepts(who: RosterPerson, version, days_ago: int = 1) -> None:
    make_acceptance(roster_person=who, policy_version=version, full_name=who.full_name,
                    role=who.role, accepted_at=utcnow() - dt.timedelta(days=days_ago))


def outstanding_as_before(role: str | None = None) -> list[tuple]:
    """The rule as it was: every roster person's statuses read, the current ones left out."""
    statuses = roster.acceptance_statuses()
    query = RosterPerson.select().where(RosterPerson.active == True)  # noqa: E712
    if role:
        query = query.where(RosterPerson.role == role)
    last = {}
    for r in Reminder.select():
        last[r.person_id] = max(last.get(r.person_id, r.sent_at), r.sent_at)
    return sorted((p.full_name, p.id, statuses.get(p.id, roster.NOT_ACCEPTED), last.get(p.id))
                  for p in query if not statuses.get(p.id, roster.NOT_ACCEPTED).current)


def as_rows(entries) -> list[tuple]:
    return [(e.person.full_name, e.person.id, e.status, e.last_reminded_at) for e in entries]


@pytest.fixture
def roster_of_every_kind(ctx, head):
    """Version 1, version 2 (needs accepting), version 3 (a minor change of 2): people who
    accepted 3, 2, only 1, 1 twice, nothing; one taken off the roster; a governor; reminders."""
    from kiosk.models import PolicyVersion
    v1 = PolicyVersion.current()  # the default policy
    v2 = make_policy()
    v3 = make_policy(minor_change=True)
    on_three, on_two, on_one, twice, never = (person(full_name=n) for n in (
        "Ada Three", "Ben Two", "Cat One", "Dan Twice", "Eve Never"))
    gone, governor = person(full_name="Fay Gone", active=False), person("governor",
                                                                       full_name="Gil Governor")
    accepts(on_three, v3), accepts(on_two, v2), accepts(on_one, v1), accepts(gone, v1)
    accepts(twice, v1, days_ago=9), accepts(twice, v1, days_ago=3), accepts(governor, v1)
    make_acceptance(policy_version=v3)  # a visitor: on no one's roster line
    for days in (20, 4):
        Reminder.create(person=never, policy_version=v3, sent_by=head,
                        sent_at=utcnow() - dt.timedelta(days=days))
    return {"v1": v1, "twice": twice, "never": never}


def test_the_outstanding_list_is_the_same_as_the_rule_it_replaces(roster_of_every_kind):
    entries = roster.outstanding()
    assert [e.person.full_name for e in entries] == ["Cat One", "Dan Twice", "Eve Never",
                                                     "Gil Governor"]
    assert as_rows(entries) == outstanding_as_before()
    assert as_rows(roster.outstanding("governor")) == outstanding_as_before("governor")
    assert [e.person.full_name for e in roster.outstanding("governor")] == ["Gil Governor"]
    by_name = {e.person.full_name: e for e in entries}
    # The newest of two acceptances of the same version, and the later of two reminders.
    assert by_name["Dan Twice"].status.version == 1
    assert by_name["Dan Twice"].status.accepted_at > utcnow() - dt.timedelta(days=4)
    assert by_name["Eve Never"].status.kind == "never"
    assert by_name["Eve Never"].last_reminded_at > utcnow() - dt.timedelta(days=5)
    assert by_name["Cat One"].last_reminded_at is None


def test_nobody_is_outstanding_once_everyone_accepted(ctx):
    from kiosk.models import PolicyVersion
    for n in range(3):
        accepts(person(full_name=f"Done {n}"), PolicyVersion.current())
    with queries_run() as queries:
        assert roster.outstanding() == []
    assert len(queries) <= 4  # no statuses nor reminders read for nobody


def test_the_outstanding_list_costs_the_same_queries_however_many_acceptances(ctx, head):
    from kiosk.models import PolicyVersion
    old = PolicyVersion.current()
    make_policy()
    people = [person() for _ in range(3)]
    for p in people:
        accepts(p, old)
    with queries_run() as few:
        assert len(roster.outstanding()) == 3
    for p in people + [person() for _ in range(20)]:
        for days in range(5):
            accepts(p, old, days_ago=days + 2)
        Reminder.create(person=p, policy_version=PolicyVersion.current(), sent_by=head)
    with queries_run() as many:
        assert len(roster.outstanding()) == 23
    assert len(many) == len(few)
    # Only the acceptances of those still to accept are read, never every roster person's.
    reads = [q for q in many if 'FROM "acceptance"' in q]
    assert reads and not any('"roster_person_id" IS NOT NULL' in q for q in reads)
    assert any("NOT EXISTS" in q for q in many)


def test_letters_and_links_list_everyone_still_to_accept(client, app, head, roster_of_every_kind):
    from .helpers import sign_in_as
    sign_in_as(client, head)
    for page in ("/admin/roster/letters", "/admin/roster/links"):
        html = client.get(page).get_data(as_text=True)
        for name in ("Cat One", "Dan Twice", "Eve Never", "Gil Governor"):
            assert name in html
        for name in ("Ada Three", "Ben Two", "Fay Gone"):  # accepted, or off the roster
            assert name not in html


# Deletion requests: the same ones for every role, and counted without listing breaches ----------

def visible_as_before(user: StaffUser):
    """DeletionRequest.visible_to as it was: breach_id IN (every breach the user may see)."""
    cls = DeletionRequest
    linked = cls.breach.in_(Breach.visible_to(user).select(Breach.id))
    if user.role in ("dsl", "head"):
        return cls.select().where(linked | cls.breach.is_null())
    if user.role == "chair":
        return cls.select().where(linked)
    return cls.select().where((cls.asked_by == user) & (linked | cls.breach.is_null()))


@pytest.mark.parametrize("lead", ["dsl", "head"])
def test_each_role_sees_the_same_deletion_requests_as_before(ctx, lead):
    from .test_staff_concerns import set_low_level_lead
    set_low_level_lead(lead)
    teacher, other, dsl, head = (make_user(r) for r in ("staff", "staff", "dsl", "head"))
    chair = make_user("chair")
    kinds = [dict(), dict(restricted=True), dict(restricted=True, concerns_head=True),
             dict(restricted=True, classification="low_level"),
             dict(restricted=True, classification="low_level", subject_staff=dsl.id),
             dict(restricted=True, classification="low_level", concerns_head=True)]
    for reporter in (teacher, other):
        for kind in kinds:
            breach = make_breach(reporter)
            if kind:
                Breach.update(**kind).where(Breach.id == breach.id).execute()
            for asker in (teacher, other, dsl):
                request = make_deletion_request(asker)
                DeletionRequest.update(breach=breach.id).where(
                    DeletionRequest.id == request.id).execute()
        make_deletion_request(reporter)  # standalone
    for user in (teacher, other, dsl, head, chair):
        now = sorted(r.id for r in DeletionRequest.visible_to(user))
        assert now == sorted(r.id for r in visible_as_before(user)), user.role
        assert now or user.role == "chair"
        assert DeletionRequest.visible_to(user).where(DeletionRequest.outcome == "pending").count() \
            == visible_as_before(user).where(DeletionRequest.outcome == "pending").count()
    assert sorted(r.id for r in DeletionRequest.visible_to(chair))  # the chair's one case


def test_the_dashboard_asks_about_each_requests_own_breach_not_every_breach(ctx, dsl, teacher):
    make_deletion_request(teacher)
    with queries_run() as queries:
        dashboard.dashboard(dsl, SCHOOL_ZONE)
    deletion_counts = [sql for sql in queries if 'FROM "deletion_request"' in sql]
    assert deletion_counts
    assert not any('"breach_id" IN (SELECT' in sql for sql in deletion_counts)
    assert all("EXISTS(SELECT 1 FROM \"breach\"" in sql for sql in deletion_counts)


# The index ----------------------------------------------------------------------------------------

@pytest.mark.fresh_database("which index the planner picks")
@pytest.mark.parametrize("query", [
    # Who is still to accept: one look-up per person on the roster.
    "SELECT id FROM roster_person WHERE active AND NOT EXISTS (SELECT 1 FROM acceptance "
    "WHERE acceptance.roster_person_id = roster_person.id AND policy_version_id IN (2, 3))",
    # Where each of them stands: the newest acceptance of each version, from the index alone.
    "SELECT roster_person_id, policy_version_id, MAX(accepted_at) FROM acceptance "
    "WHERE roster_person_id IN (1, 2) GROUP BY roster_person_id, policy_version_id",
])
def test_who_has_accepted_is_read_through_the_roster_index(ctx, query):
    index = "acceptance_roster_person_id_policy_version_id_accepted_at"
    if isinstance(db.obj, PostgresqlDatabase):
        # A test's tables are tiny, so PostgreSQL would read them whole (or through the foreign
        # key's own index); with those ruled out the plan shows this index can answer.
        with db.atomic():
            db.execute_sql("SET LOCAL enable_seqscan = off")
            db.execute_sql("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN {query}"))
        assert "Seq Scan" not in plan, plan
        if "GROUP BY" in query:  # the anti-join's side is the planner's choice by its statistics
            assert index in plan, plan
    else:
        plan = " ".join(str(row) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {query}"))
        assert f"COVERING INDEX {index}" in plan, plan


# The low-level concerns log -------------------------------------------------------------------------

def test_the_low_level_log_reads_linked_people_in_the_same_query(ctx, head, teacher):
    from kiosk import low_level

    def linked_concern(**link):
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        Breach.update(classification="low_level", **link).where(Breach.id == breach.id).execute()

    def names():
        with queries_run() as queries:
            people = low_level.pattern(head)
        return sorted((p.name, p.left_on) for p in people), queries

    left = utcnow().date() - dt.timedelta(days=3)
    linked_concern(subject_staff=make_user("staff", display_name="Sal Staff", left_on=left).id)
    linked_concern(subject_person=person(full_name="Rob Roster").id)
    few_names, few = names()
    assert few_names == [("Rob Roster", None), ("Sal Staff", left)]
    for n in range(6):
        linked_concern(subject_staff=make_user("staff", display_name=f"Staff {n}").id)
        linked_concern(subject_person=person(full_name=f"Roster {n}").id)
    many_names, many = names()
    assert len(many_names) == 14 and ("Rob Roster", None) in many_names
    assert len(many) == len(few)


def test_the_chronologys_deletion_requests_are_found_by_name_then_checked_one_by_one(ctx, dsl):
    from kiosk.reports import evidence

    with queries_run() as queries:
        evidence.chronology("Pat Visitor", dsl)
    sql = next(q for q in queries if 'FROM "deletion_request"' in q)
    assert '"breach_id" IN (SELECT' not in sql
    if not isinstance(db.obj, PostgresqlDatabase):
        plan = " ".join(str(r) for r in db.execute_sql(
            "EXPLAIN QUERY PLAN " + sql, ["low_level", dsl.id, "pat visitor"]))
        assert "deletion_request_name_key" in plan and "LIST SUBQUERY" not in plan, plan
