"""Declarations of family links (issue 15): "Where family and friends have pupils in school and
there are legitimate family links, please inform the Headteacher." Seen only by the member of
staff who declared it and the head; acknowledged by the head once; confirmed once a year; ended
ones purged after their retention period; shown to the case manager of an undeclared-family-link
concern."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kiosk import audit_log, retention
from kiosk.models import AuditEvent, Breach, Declaration, StaffUser, utcnow

from .helpers import (
    ACCESS_REFUSED,
    field_error,
    form_page,
    hidden_fields,
    make_breach,
    make_declaration,
    make_user,
    nothing_written,
    sign_in_as,
)

WHO = "Amy Jones in Year 2, and her mum"
CONFIRM_CALLOUT = "Please check your declared family links are still correct"
BOX = "Declared family links"


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def post(client, path: str, **data):
    """A POST with the session's CSRF token (from a page that writes nothing)."""
    token = hidden_fields(page(client, "/account/password"))["csrf_token"]
    return client.post(path, data={"csrf_token": token, **data})


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


# Declaring ----------------------------------------------------------------------------------------

def test_a_member_of_staff_declares_a_link_once_however_often_the_form_is_sent(app, client,
                                                                               teacher):
    sign_in_as(client, teacher)
    assert 'href="/staff/family-links"' in page(client, "/staff/")  # the tile on the home
    fields = form_page(client, "/staff/family-links/new")
    fields.update(who=WHO, relationship="I am Amy's aunt", since="she was born")
    first = client.post("/staff/family-links/new", data=fields)
    again = client.post("/staff/family-links/new", data=fields)  # a double tap
    assert (first.status_code, again.status_code) == (303, 303)
    assert first.headers["Location"] == "/staff/family-links"
    with app.app_context():
        rows = list(Declaration.select())
        assert [(d.declarer_id, d.who, d.relationship, d.since) for d in rows] == [
            (teacher.id, WHO, "I am Amy's aunt", "she was born")]
        assert rows[0].confirmed_at == rows[0].declared_at and rows[0].acknowledged_at is None
    assert [e.record_id for e in events(app, "declaration.made")] == [str(rows[0].public_id)]
    html = page(client, "/staff/family-links")
    assert WHO in html and "Since she was born" in html
    assert "Not acknowledged by the headteacher yet" in html


def test_the_same_form_with_other_details_is_refused_and_writes_nothing(app, client, teacher):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/family-links/new")
    fields.update(who=WHO, relationship="Aunt", since="2019")
    assert client.post("/staff/family-links/new", data=fields).status_code == 303
    with nothing_written(app):
        response = client.post("/staff/family-links/new", data={**fields, "who": "Someone else"})
    assert response.status_code == 422
    assert "already sent with other details" in response.get_data(as_text=True)


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"who": "  ", "relationship": "", "since": ""}, "who",
     "Please say which pupil and family the link is with."),
    ({"who": WHO, "relationship": "", "since": "2019"}, "relationship",
     "Please give your relationship to them."),
    ({"who": WHO, "relationship": "Aunt", "since": ""}, "since",
     "Please say since when, in your own words."),
    ({"who": "x" * 201, "relationship": "Aunt", "since": "2019"}, "who",
     "Please keep this under 200 characters."),
    ({"who": WHO, "relationship": "Aunt", "since": "20\u202e19"}, "since",
     "Please use letters, numbers and punctuation only."),
])
def test_bad_input_gets_a_message_beside_its_field_and_writes_nothing(app, client, teacher, typed,
                                                                      field, message):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/family-links/new")
    with nothing_written(app):
        response = client.post("/staff/family-links/new", data={**fields, **typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, field) == message
    assert "There is a problem" in html


# Who sees a declaration ---------------------------------------------------------------------------

def test_only_the_declarer_and_the_head_see_a_declaration(app, teacher, other_teacher, dsl, head,
                                                          chair):
    with app.app_context():
        declaration = make_declaration(teacher)
    clients = {}
    for name, user in (("teacher", teacher), ("other", other_teacher), ("dsl", dsl),
                       ("head", head), ("chair", chair)):
        clients[name] = app.test_client()
        sign_in_as(clients[name], user)
    assert WHO in page(clients["teacher"], "/staff/family-links")
    assert WHO in page(clients["head"], "/admin/family-links")
    assert WHO not in page(clients["head"], "/staff/family-links")  # the head's own page: theirs
    for name in ("other", "dsl"):
        assert WHO not in page(clients[name], "/staff/family-links")
        assert WHO not in page(clients[name], "/staff/")
    for name in ("other", "dsl", "chair"):
        assert clients[name].get("/admin/family-links").status_code == 403
    ended = f"/staff/family-links/{declaration.public_id}/end"
    for name in ("other", "dsl", "head"):  # only its declarer ends it
        with nothing_written(app, allow=ACCESS_REFUSED):
            assert post(clients[name], ended).status_code == 404
    acknowledged = f"/admin/family-links/{declaration.public_id}/acknowledge"
    for name in ("other", "dsl", "chair"):
        with nothing_written(app, allow=ACCESS_REFUSED):
            assert post(clients[name], acknowledged).status_code == 403
    with app.app_context():
        row = Declaration.get_by_id(declaration.id)
        assert row.ended_at is None and row.acknowledged_at is None


def test_the_head_acknowledges_a_declaration_once(app, client, teacher, head):
    with app.app_context():
        declaration = make_declaration(teacher)
        make_declaration(teacher, who="Ben Smith's family")
    sign_in_as(client, head)
    home = page(client, "/staff/")
    assert "<strong>2</strong> declarations of a family link waiting for you to acknowledge" in home
    html = page(client, "/admin/family-links")
    assert teacher.display_name in html and html.count(">Acknowledge<") == 2
    path = f"/admin/family-links/{declaration.public_id}/acknowledge"
    assert post(client, path).status_code == 303
    with app.app_context():
        first = Declaration.get_by_id(declaration.id)
    assert first.acknowledged_by_id == head.id and first.acknowledged_at is not None
    again = post(client, path)
    assert again.status_code == 303
    assert "already acknowledged" in page(client, "/admin/family-links")
    with app.app_context():
        assert Declaration.get_by_id(declaration.id).acknowledged_at == first.acknowledged_at
    assert [e.record_id for e in events(app, "declaration.acknowledged")] == [
        str(declaration.public_id)]
    assert "<strong>1</strong> declaration of a family link waiting" in page(client, "/staff/")
    # The declarer sees it acknowledged.
    sign_in_as(client, teacher)
    assert "Acknowledged by the headteacher" in page(client, "/staff/family-links")


# The yearly confirmation, and ending one ----------------------------------------------------------

def test_the_home_asks_for_the_yearly_confirmation_after_a_year_and_not_before(app, client, teacher,
                                                                              other_teacher):
    now = utcnow()
    with app.app_context():
        due = make_declaration(teacher, confirmed_at=now - dt.timedelta(days=366))
        make_declaration(other_teacher, confirmed_at=now - dt.timedelta(days=364))
        make_declaration(other_teacher, declared_at=now - dt.timedelta(days=800),
                         confirmed_at=now - dt.timedelta(days=800),
                         ended_at=now - dt.timedelta(days=30))  # ended: never asks
    sign_in_as(client, other_teacher)
    assert CONFIRM_CALLOUT not in page(client, "/staff/")
    assert "Not confirmed since" not in page(client, "/staff/family-links")
    sign_in_as(client, teacher)
    assert CONFIRM_CALLOUT in page(client, "/staff/")
    assert "Not confirmed since" in page(client, "/staff/family-links")
    assert post(client, "/staff/family-links/confirm").status_code == 303
    with app.app_context():
        confirmed = Declaration.get_by_id(due.id).confirmed_at
    assert confirmed > now - dt.timedelta(minutes=1)
    assert "confirmed as still correct" in page(client, "/staff/family-links")  # the flash
    assert CONFIRM_CALLOUT not in page(client, "/staff/")
    [event] = events(app, "declaration.confirmed")
    assert json.loads(event.detail) == {"confirmed": [str(due.public_id)]}


def test_the_head_sees_which_were_not_confirmed_for_over_a_year(app, client, teacher, head):
    now = utcnow()
    with app.app_context():
        make_declaration(teacher, confirmed_at=now - dt.timedelta(days=366))
    sign_in_as(client, head)
    assert "Not confirmed for over a year" in page(client, "/admin/family-links")


def test_a_member_of_staff_ends_a_link_that_no_longer_applies(app, client, teacher, head):
    now = utcnow()
    with app.app_context():
        declaration = make_declaration(teacher, confirmed_at=now - dt.timedelta(days=400))
    sign_in_as(client, teacher)
    assert CONFIRM_CALLOUT in page(client, "/staff/")
    path = f"/staff/family-links/{declaration.public_id}/end"
    assert post(client, path).status_code == 303
    with app.app_context():
        ended_at = Declaration.get_by_id(declaration.id).ended_at
    assert ended_at is not None
    assert CONFIRM_CALLOUT not in page(client, "/staff/")  # an ended one never asks
    html = page(client, "/staff/family-links")
    assert "You have not declared any family links." in html  # none in force
    assert re.search(r"<h2>Ended</h2>", html) and WHO in html
    assert post(client, path).status_code == 303  # again: nothing changes
    with app.app_context():
        assert Declaration.get_by_id(declaration.id).ended_at == ended_at
    assert len(events(app, "declaration.ended")) == 1
    sign_in_as(client, head)  # the head sees it apart, and is not asked to acknowledge it
    assert "waiting for you to acknowledge" not in page(client, "/staff/")
    html = page(client, "/admin/family-links")
    assert "No member of staff has a family link declared." in html and WHO in html


def test_each_change_is_audited_with_its_sentence(app, client, teacher, head):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/family-links/new")
    assert client.post("/staff/family-links/new", data={
        **fields, "who": WHO, "relationship": "Aunt", "since": "2019"}).status_code == 303
    with app.app_context():
        declaration = Declaration.get()
    page(client, "/staff/family-links")
    post(client, "/staff/family-links/confirm")
    sign_in_as(client, head)
    page(client, "/admin/family-links")
    post(client, f"/admin/family-links/{declaration.public_id}/acknowledge")
    sign_in_as(client, teacher)
    post(client, f"/staff/family-links/{declaration.public_id}/end")
    with app.app_context():
        found = [audit_log.describe(e, StaffUser.get_by_id(head.id)) for e in AuditEvent.select()
                 .where(AuditEvent.action.startswith("declaration.")).order_by(AuditEvent.id)]
    name = teacher.display_name
    assert found == [
        f"{name} declared a family link with a pupil's family.",
        f"{name} looked at their own declarations of family links (1 shown).",
        f"{name} confirmed their declared family links are still correct (1 declaration).",
        f"{head.display_name} looked at the declarations of family links (1 shown).",
        f"{head.display_name} acknowledged a declaration of a family link.",
        f"{name} said a family link they had declared no longer applies.",
    ]


# Retention ---------------------------------------------------------------------------------------

def test_an_ended_declaration_is_purged_after_its_period_and_one_in_force_never(app, teacher,
                                                                                 head):
    now = utcnow()
    with app.app_context():
        gone = make_declaration(teacher, ended_at=now - dt.timedelta(days=366))
        recent = make_declaration(teacher, ended_at=now - dt.timedelta(days=300))
        in_force = make_declaration(teacher, declared_at=now - dt.timedelta(days=20 * 365),
                                    confirmed_at=now - dt.timedelta(days=20 * 365))
        assert retention.plan_purge().counts()["ended_declarations"] == 1
        removed = retention.purge(pause=0)
        assert removed["ended_declarations"] == 1
        assert {d.id for d in Declaration.select()} == {recent.id, in_force.id}
        assert not Declaration.select().where(Declaration.id == gone.id).exists()
        [event] = AuditEvent.select().where(AuditEvent.action == "retention.purged")
        assert audit_log.describe(event, StaffUser.get_by_id(head.id)) == (
            "The regular clear-out of old records removed 1 ended declaration of a family link.")


def test_the_declarations_of_someone_who_left_longer_ago_than_the_period_are_purged(
        app, teacher, other_teacher):
    """A leaver cannot sign in to end theirs: their leaving day counts as the end."""
    with app.app_context():
        left_long_ago = make_declaration(teacher)
        left_lately = make_declaration(other_teacher)
        StaffUser.update(left_on=dt.date.today() - dt.timedelta(days=400)).where(
            StaffUser.id == teacher.id).execute()
        StaffUser.update(left_on=dt.date.today() - dt.timedelta(days=30)).where(
            StaffUser.id == other_teacher.id).execute()
        assert retention.purge(pause=0)["ended_declarations"] == 1
        assert [d.id for d in Declaration.select()] == [left_lately.id]
        assert not Declaration.select().where(Declaration.id == left_long_ago.id).exists()


def test_the_privacy_notice_and_the_retention_page_say_how_long_ended_ones_are_kept(app, client,
                                                                                     head):
    html = page(client, "/privacy")
    assert "a family link you declared to the headteacher: while it applies, and " \
           "<strong>1 year</strong> after it ends" in html
    sign_in_as(client, head)
    assert "Declarations of family links that have ended" in page(client, "/admin/retention")


# The concern that a family link was not declared ---------------------------------------------------

def family_link_concern(reporter, **kw):
    return make_breach(reporter, category="family_link", subject_kind="staff", **kw)


def test_the_case_manager_sees_the_declarations_of_the_member_of_staff_named(app, client, teacher,
                                                                             head):
    with app.app_context():
        sam = make_user("staff", display_name="Sam Taylor")
        make_declaration(sam, relationship="Amy's aunt", since="since she was born")
        breach = family_link_concern(teacher, subject_name="sam  TAYLOR")
    sign_in_as(client, head)
    html = page(client, f"/records/breaches/{breach.public_id}")
    assert BOX in html
    assert "Sam Taylor declared this link (found by the name given" in html
    assert WHO in html and "Amy&#39;s aunt · Since she was born" in html
    assert "Not acknowledged yet" in html
    [seen] = events(app, "declaration.list_viewed")
    assert json.loads(seen.detail)["list"] == "breach"


def test_a_linked_account_is_looked_for_rather_than_the_name(app, client, teacher, head):
    with app.app_context():
        sam = make_user("staff", display_name="Sam Taylor")
        make_declaration(sam)
        make_user("staff", display_name="Pat Visitor")  # the name typed: someone else's
        breach = family_link_concern(teacher, subject_name="Pat Visitor")
        Breach.update(subject_staff=sam).where(Breach.id == breach.id).execute()
    sign_in_as(client, head)
    html = page(client, f"/records/breaches/{breach.public_id}")
    assert "Sam Taylor declared this link:" in html and WHO in html


def test_the_box_says_when_no_declaration_was_found(app, client, teacher, head):
    with app.app_context():
        make_user("staff", display_name="Sam Taylor")
        make_declaration(teacher)  # someone else's declaration
        breach = family_link_concern(teacher, subject_name="Sam Taylor")
    sign_in_as(client, head)
    html = page(client, f"/records/breaches/{breach.public_id}")
    assert "No declaration of a family link was found for Sam Taylor" in html
    assert WHO not in html
    assert events(app, "declaration.list_viewed") == []


def test_the_box_says_when_no_account_is_linked_and_none_has_the_name(app, client, teacher, head):
    with app.app_context():
        breach = family_link_concern(teacher, subject_name="Nobody Known")
    sign_in_as(client, head)
    html = page(client, f"/records/breaches/{breach.public_id}")
    assert ("This concern is not linked to a staff account, and no staff account has the name "
            "‘Nobody Known’, so no declarations could be looked for") in html


def test_other_categories_do_not_show_the_box(app, client, teacher, head):
    with app.app_context():
        make_declaration(teacher)
        breach = make_breach(teacher, category="pupil_contact", subject_kind="staff",
                             subject_name=teacher.display_name)
    sign_in_as(client, head)
    html = page(client, f"/records/breaches/{breach.public_id}")
    assert BOX not in html and WHO not in html


def test_nobody_but_the_case_manager_sees_the_box(app, client, teacher, dsl, chair):
    with app.app_context():
        make_declaration(teacher)
        # A low-level concern is seen by the DSL (the low-level-concerns lead by default).
        low_level = family_link_concern(dsl, subject_name=teacher.display_name)
        Breach.update(classification="low_level").where(Breach.id == low_level.id).execute()
        head_user = make_user("head", display_name="Hilary Head")
        make_declaration(head_user, who="Zoe Head's cousin")
        about_head = family_link_concern(teacher, subject_name="Hilary Head", concerns_head=True)
    sign_in_as(client, dsl)
    html = page(client, f"/records/breaches/{low_level.public_id}")
    assert BOX not in html and WHO not in html
    # The chair, case manager of a concern about the head, does not see declarations.
    sign_in_as(client, chair)
    html = page(client, f"/records/breaches/{about_head.public_id}")
    assert BOX not in html and "Zoe Head" not in html
    assert events(app, "declaration.list_viewed") == []
