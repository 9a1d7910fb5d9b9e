"""The rules of kiosk/breaches.py: triage, notes, the LADO referral and its deadline, and the audit."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kiosk.breaches import (
    LadoDetails,
    TriageError,
    add_note,
    change_status,
    history,
    lado_overdue,
    new_concerns_count,
    record_lado,
)
from kiosk.display import local_time
from kiosk.models import (
    AuditEvent,
    Breach,
    DeletionRequest,
    LadoReferral,
    RecordUpdate,
    utcnow,
)
from kiosk.working_days import after_one_working_day

from .helpers import (
    SCHOOL_ZONE,
    VIEWED,
    field_error,
    form_page,
    make_acceptance,
    make_allegation,
    make_breach,
    make_deletion_request,
    nothing_written,
    sign_in_as,
    typed,
)

LATE_WARNING = "Not referred within one working day."
LATE_IN_LIST = "Not referred to the LADO within one working day"


def details_form(client, who="visitor", category="photographing", **query):
    url = f"/staff/breaches/new?who={who}&category={category}"
    for key, value in query.items():
        url += f"&{key}={value}"
    return form_page(client, url)


def event(app, action: str) -> AuditEvent:
    """The one audit event with this action."""
    with app.app_context():
        [found] = AuditEvent.select().where(AuditEvent.action == action)
        return found


def row_of(html: str, public_id) -> str:
    """The list item of one record on a list page."""
    [item] = [li for li in re.findall(r"<li>.*?</li>", html, re.S) if str(public_id) in li]
    return item


def restricted_breach(reporter, **kw):
    return make_breach(reporter, subject_kind="staff", category="pupil_contact", **kw)


def a_past_monday(at_hour: int = 10) -> dt.datetime:
    """A Monday at least two weeks ago, on the hour: its one working day ends on the Tuesday."""
    today = utcnow().date()
    monday = today - dt.timedelta(days=today.weekday() + 14)
    return dt.datetime.combine(monday, dt.time(at_hour))


def logged_at(breach: Breach, moment: dt.datetime) -> Breach:
    """Logged at `moment`; an allegation from the first, so an allegation since then too."""
    since = moment if breach.allegation_since else None
    Breach.update(created_at=moment, allegation_since=since).where(Breach.id == breach.id).execute()
    return Breach.get_by_id(breach.id)


# Logging ---------------------------------------------------------------------------------------

def test_the_same_form_sent_again_is_answered_as_saved_not_as_a_conflict(app, client, teacher):
    sign_in_as(client, teacher)
    fields = {**details_form(client), "asked_to_delete": "yes"}
    first = client.post("/staff/breaches", data=fields)
    again = client.post("/staff/breaches", data=fields)
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["Location"].endswith("/staff/my-reports")
    with app.app_context():
        assert Breach.select().count() == 1 and DeletionRequest.select().count() == 1


def test_a_breach_about_someone_unnamed_stores_no_name(app, client, dsl, teacher):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data=details_form(client, who="unknown", category="other"))
    with app.app_context():
        [breach] = Breach.select()
    assert breach.subject_name == ""
    sign_in_as(client, dsl)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "<dd>Name not given (Not known)</dd>" in html


def test_asking_someone_unnamed_to_delete_opens_a_request_with_no_name_made_up(app, ctx, teacher):
    """The automatic request skips the deletion form, which would ask for a name."""
    breach = make_breach(teacher, subject_kind="unknown", subject_name="", actions=["asked_to_delete"])
    [request] = DeletionRequest.select().where(DeletionRequest.breach == breach)
    assert (request.person_name, request.acceptance_id) == ("", None)


@pytest.mark.parametrize(("who", "category", "expected"), [
    ("visitor", "photographing", {"safeguarding": True, "restricted": False}),
    ("staff", "commercial", {"safeguarding": False, "restricted": True}),
    ("visitor", "commercial", {"safeguarding": False, "restricted": False}),
])
def test_logging_a_breach_audits_who_logged_it_and_where_it_was_routed(app, client, teacher, who,
                                                                       category, expected):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data=details_form(client, who=who, category=category))
    with app.app_context():
        [breach] = Breach.select()
    created = event(app, "breach.created")
    assert (created.record_kind, created.record_id, created.actor_id) == (
        "breach", str(breach.public_id), teacher.id)
    assert json.loads(created.detail) == expected


def test_asking_to_delete_opens_a_request_in_the_typed_name(app, client, teacher):
    sign_in_as(client, teacher)
    fields = {**details_form(client), "subject_name": "Sam Typed", "asked_to_delete": "yes"}
    client.post("/staff/breaches", data=fields)
    with app.app_context():
        [request] = DeletionRequest.select()
        assert request.person_name == "Sam Typed" and request.acceptance_id is None


def test_asking_a_linked_visitor_to_delete_links_the_request_to_their_acceptance(app, client,
                                                                                teacher):
    with app.app_context():
        acceptance = make_acceptance(full_name="Linked Visitor")
    sign_in_as(client, teacher)
    fields = {**details_form(client, acceptance=acceptance.client_uuid), "asked_to_delete": "yes"}
    client.post("/staff/breaches", data=fields)
    with app.app_context():
        [request] = DeletionRequest.select()
        assert request.acceptance_id == acceptance.id and request.person_name == "Linked Visitor"


def test_a_post_asked_to_be_deleted_is_followed_online_with_a_days_grace(app, client, dsl, teacher):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data={**details_form(client, category="commercial"),
                                         "asked_to_delete": "yes"})
    with app.app_context():
        [request] = DeletionRequest.select()
        [breach] = Breach.select()
    assert (request.material, request.material_location) == ("post", "online")
    assert request.due_by == request.asked_at + dt.timedelta(hours=24)
    sign_in_as(client, dsl)
    assert "Post (online)" in client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)


# Who will see it: the sentence on the details step ---------------------------------------------

@pytest.mark.parametrize(("who", "category", "ticks", "sentence"), [
    ("staff", "commercial", {}, "Only the headteacher will see this."),
    ("staff", "pupil_contact", {}, "Only the headteacher will see this."),  # safeguarding too
    ("staff", "pupil_contact", {"safeguarding": True}, "Only the headteacher will see this."),
    ("staff", "family_link", {"concerns_head": True}, "Only the chair of governors will see this."),
    ("visitor", "photographing", {}, "The DSL will be told at once."),
    ("visitor", "commercial", {"safeguarding": True}, "The DSL will be told at once."),
    ("visitor", "commercial", {}, "The DSL and the headteacher will see this."),
    # Ticking "about the head" on a concern not about staff changes nothing (log_breach ignores it).
    ("visitor", "commercial", {"concerns_head": True}, "The DSL and the headteacher will see this."),
    ("unknown", "photographing", {"concerns_head": True}, "The DSL will be told at once."),
])
def test_the_sentence_says_who_the_record_goes_to_as_log_breach_routes_it(
        app, ctx, teacher, dsl, head, chair, who, category, ticks, sentence):
    from kiosk.breaches import who_will_see
    from kiosk.models import BreachCategory

    assert who_will_see(who, BreachCategory.get(BreachCategory.slug == category), **ticks) == sentence
    # ... and it is what happens to the record logged so.
    breach = make_breach(teacher, subject_kind=who, category=category,
                         flag_safeguarding=ticks.get("safeguarding", False),
                         concerns_head=ticks.get("concerns_head", False))
    can_open = {role.role for role in (dsl, head, chair)
                if Breach.visible_to(role).where(Breach.id == breach.id).exists()}
    expected = {"Only the headteacher will see this.": {"head"},
                "Only the chair of governors will see this.": {"chair"},
                "The DSL will be told at once.": {"dsl", "head"},
                "The DSL and the headteacher will see this.": {"dsl", "head"}}[sentence]
    assert can_open == expected
    from kiosk.alerts import recipients_for
    told = {person.role for person in recipients_for(breach)}
    assert told == ({"dsl"} if sentence == "The DSL will be told at once." else
                    set() if sentence == "The DSL and the headteacher will see this." else expected)


# Who sees what ---------------------------------------------------------------------------------

def test_my_reports_are_listed_newest_first(app, client, teacher):
    with app.app_context():
        older = make_breach(teacher, category="commercial")
        logged_at(older, utcnow() - dt.timedelta(hours=1))
        newer = make_breach(teacher)
    sign_in_as(client, teacher)
    html = client.get("/staff/my-reports").get_data(as_text=True)
    assert html.index(str(newer.public_id)) < html.index(str(older.public_id))


def test_the_head_is_told_how_many_open_safeguarding_or_restricted_concerns_wait(app, client, head,
                                                                                 teacher):
    with app.app_context():
        make_breach(teacher)  # safeguarding: counted
        make_breach(teacher, subject_kind="staff", category="representative")  # restricted: counted
        restricted_breach(teacher)  # both: counted once
        make_breach(teacher, category="commercial")  # neither: not counted
        restricted_breach(teacher, concerns_head=True)  # the chair's, not the head's
        closed = make_breach(teacher, subject_kind="staff", category="representative")
        Breach.update(status="closed").where(Breach.id == closed.id).execute()
    sign_in_as(client, head)
    html = client.get("/staff/").get_data(as_text=True)
    assert "<strong>3</strong> new concerns waiting for you" in html


def test_the_chair_counts_open_concerns_about_the_head_and_staff_count_none(app, ctx, chair, teacher):
    # No page shows these two counts (the chair has no staff home page; staff are not leads).
    restricted_breach(teacher, concerns_head=True)
    closed = restricted_breach(teacher, concerns_head=True)
    Breach.update(status="closed").where(Breach.id == closed.id).execute()
    restricted_breach(teacher)
    make_breach(teacher)  # the teacher's own, open, safeguarding
    assert new_concerns_count(chair) == 1
    assert new_concerns_count(teacher) == 0


# Triage: status ----------------------------------------------------------------------------------

def test_moving_to_the_status_it_already_has_is_refused_beside_the_field(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    url = f"/records/breaches/{breach.public_id}/status"
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    client.post(url, data={**fields, "status": "in_review"})
    with nothing_written(app, allow=VIEWED):
        response = client.post(url, data={**fields, "status": "in_review", "note": "Again"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "status") == "It is already in review."


def test_a_status_change_is_audited_with_the_old_and_new_status(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    client.post(f"/records/breaches/{breach.public_id}/status", data={**fields, "status": "in_review"})
    changed = event(app, "breach.status_changed")
    assert (changed.record_kind, changed.record_id, changed.actor_id) == (
        "breach", str(breach.public_id), dsl.id)
    assert json.loads(changed.detail) == {"old": "open", "new": "in_review"}


def test_a_status_change_moves_only_that_breach(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
        other = make_breach(teacher, category="commercial")
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    client.post(f"/records/breaches/{breach.public_id}/status",
                data={**fields, "status": "closed", "note": "Photo deleted."})
    with app.app_context():
        assert Breach.get_by_id(breach.id).status == "closed"
        assert Breach.get_by_id(other.id).status == "open"


def test_the_breach_in_hand_follows_its_status_so_the_next_change_starts_from_it(app, ctx, dsl,
                                                                                 teacher):
    breach = make_breach(teacher)
    change_status(breach, dsl, "in_review", "")
    assert breach.status == "in_review"
    change_status(breach, dsl, "closed", "Done.")
    steps = [(u.old_value, u.new_value) for u in
             RecordUpdate.select().where(RecordUpdate.breach == breach.id).order_by(RecordUpdate.id)]
    assert steps == [("open", "in_review"), ("in_review", "closed")]
    with pytest.raises(TriageError, match=r"^It is already closed\.$"):
        change_status(breach, dsl, "closed", "Done again.")


@pytest.mark.parametrize(("status", "note", "message"), [
    # The form refuses an unknown status first ("Please choose a status."); closing without an
    # outcome is the rule's alone, shown beside the note.
    ("archived", "Why not", "Please choose open, in review or closed."),
    ("closed", "  \n ", "Please write the outcome before closing."),
])
def test_the_status_rule_refuses_an_unknown_status_and_closing_without_an_outcome(
        app, ctx, dsl, teacher, status, note, message):
    breach = make_breach(teacher)
    events = AuditEvent.select().count()
    with pytest.raises(TriageError) as refused:
        change_status(breach, dsl, status, note)
    assert str(refused.value) == message
    assert refused.value.field == ("note" if status == "closed" else None)
    assert Breach.get_by_id(breach.id).status == "open"
    assert RecordUpdate.select().count() == 0 and AuditEvent.select().count() == events


# Triage: notes and actions ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["note", "action"])
def test_a_note_or_action_is_kept_and_audited_against_the_breach(app, client, dsl, teacher, kind):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    response = client.post(f"/records/breaches/{breach.public_id}/notes",
                           data={**fields, "kind": kind, "text": "  Rang the parent.  "})
    assert response.status_code == 303
    with app.app_context():
        [update] = RecordUpdate.select()
        assert (update.breach_id, update.author_id, update.kind, update.text) == (
            breach.id, dsl.id, kind, "Rang the parent.")
    added = event(app, f"breach.{kind}_added")
    assert (added.record_kind, added.record_id, added.actor_id) == ("breach", str(breach.public_id),
                                                                    dsl.id)


def test_the_note_rule_refuses_any_other_kind(app, ctx, dsl, teacher):
    # Reached from the page too: the view shows this message beside the kind.
    breach = make_breach(teacher)
    events = AuditEvent.select().count()
    with pytest.raises(TriageError) as refused:
        add_note(breach, dsl, "status", "Closed it")
    assert str(refused.value) == "Please choose a note or an action."
    assert RecordUpdate.select().count() == 0 and AuditEvent.select().count() == events


def test_a_breachs_page_shows_only_its_own_history(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
        other = make_breach(teacher, category="commercial")
        add_note(breach, dsl, "note", "About this one.")
        add_note(other, dsl, "note", "About the other one.")
    sign_in_as(client, dsl)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "About this one." in html and "About the other one." not in html


def test_a_breachs_page_lists_its_own_deletion_requests_earliest_first(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
        other = make_breach(teacher, category="commercial")
        later = make_deletion_request(teacher, breach=breach, asked_at=utcnow() - dt.timedelta(hours=1))
        earlier = make_deletion_request(teacher, breach=breach, material="video",
                                        asked_at=utcnow() - dt.timedelta(hours=2))
        elsewhere = make_deletion_request(teacher, breach=other, material="post")
        standalone = make_deletion_request(teacher, material="message")
    sign_in_as(client, dsl)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert html.index(str(earlier.public_id)) < html.index(str(later.public_id))
    assert str(elsewhere.public_id) not in html and str(standalone.public_id) not in html


# The LADO referral ---------------------------------------------------------------------------------

def test_the_lado_referral_is_summed_up_in_the_history_and_audited(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    referred = (utcnow() - dt.timedelta(days=1)).replace(hour=10, minute=15, second=0, microsecond=0)
    sign_in_as(client, head)
    url = f"/records/breaches/{breach.public_id}"
    response = client.post(f"/records/breaches/{breach.public_id}/lado", data={
        **form_page(client, url), "referred_at": typed(referred), "reference": "LADO-42",
        "advice": "Suspend pending investigation", "police_involved": "y",
        "outcome": "Allegation unfounded"})
    assert response.status_code == 303
    with app.app_context():
        summary = (f"Referred at {local_time(referred)}; reference LADO-42; police involved; "
                   "advice: Suspend pending investigation; outcome: Allegation unfounded")
        [update] = RecordUpdate.select()
        assert (update.breach_id, update.author_id, update.kind, update.text) == (
            breach.id, head.id, "lado", summary)
    page = client.get(url).get_data(as_text=True)
    assert f"updated the LADO referral: <span class=\"pre-line\">{summary}</span>" in page
    assert "UTC" not in summary
    recorded = event(app, "lado.recorded")
    assert (recorded.record_kind, recorded.record_id, recorded.actor_id) == (
        "breach", str(breach.public_id), head.id)


def test_a_lado_record_without_a_referral_says_so(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    url = f"/records/breaches/{breach.public_id}"
    client.post(f"/records/breaches/{breach.public_id}/lado", data={
        **form_page(client, url), "referred_at": "", "advice": "Gather more information first"})
    with app.app_context():
        assert RecordUpdate.get(RecordUpdate.breach == breach.id).text == (
            "Not referred yet; advice: Gather more information first")
        assert LadoReferral.get(LadoReferral.breach == breach.id).referred_at is None


def test_the_lado_rule_refuses_a_concern_not_about_staff(app, ctx, head, teacher):
    # The view answers 404 first for an unrestricted breach; this is the rule's own refusal.
    breach = make_breach(teacher)
    events = AuditEvent.select().count()
    with pytest.raises(TriageError) as refused:
        record_lado(breach, head, LadoDetails(referred_at=utcnow(), reference="X", advice="",
                                              police_involved=False, outcome=""))
    assert str(refused.value) == "Only a concern about a member of staff is referred to the LADO."
    assert LadoReferral.select().count() == 0 and RecordUpdate.select().count() == 0
    assert AuditEvent.select().count() == events


def test_a_referral_made_exactly_at_the_deadline_is_on_time(app, client, head, teacher):
    logged = a_past_monday()
    deadline = after_one_working_day(logged, SCHOOL_ZONE)
    with app.app_context():
        on_time = logged_at(make_allegation(teacher), logged)
        late = logged_at(make_allegation(teacher), logged)
    sign_in_as(client, head)
    for breach, referred in [(on_time, deadline), (late, deadline + dt.timedelta(minutes=1))]:
        url = f"/records/breaches/{breach.public_id}"
        assert client.post(f"/records/breaches/{breach.public_id}/lado", data={
            **form_page(client, url), "referred_at": typed(referred)}).status_code == 303
    assert LATE_WARNING not in client.get(f"/records/breaches/{on_time.public_id}").get_data(as_text=True)
    assert LATE_WARNING in client.get(f"/records/breaches/{late.public_id}").get_data(as_text=True)


def test_the_lado_deadline_to_the_second(app, ctx, teacher):
    breach = logged_at(make_allegation(teacher), a_past_monday())
    deadline = after_one_working_day(breach.created_at, SCHOOL_ZONE)
    second = dt.timedelta(seconds=1)
    assert lado_overdue(breach, LadoReferral(breach=breach, referred_at=deadline)) is False
    assert lado_overdue(breach, LadoReferral(breach=breach, referred_at=deadline + second)) is True
    assert lado_overdue(breach, None, now=deadline) is False
    assert lado_overdue(breach, None, now=deadline + second) is True
    not_yet = LadoReferral(breach=breach, referred_at=None)
    assert lado_overdue(breach, not_yet, now=deadline) is False
    assert lado_overdue(breach, not_yet, now=deadline + second) is True


def test_an_allegation_never_referred_is_flagged_open_or_closed(app, client, head, teacher):
    logged = a_past_monday()
    with app.app_context():
        waiting = logged_at(make_allegation(teacher), logged)
        closed = logged_at(make_allegation(teacher), logged)
        Breach.update(status="closed").where(Breach.id == closed.id).execute()
        ordinary = logged_at(make_breach(teacher), logged)
    sign_in_as(client, head)
    html = client.get("/records/concerns?status=all").get_data(as_text=True)
    assert LATE_IN_LIST in row_of(html, waiting.public_id)
    # KCSIE asks for every allegation to reach the LADO: closing one unreferred does not clear it.
    assert LATE_IN_LIST in row_of(html, closed.public_id)
    assert LATE_IN_LIST not in row_of(html, ordinary.public_id)
    assert LATE_WARNING in client.get(f"/records/breaches/{closed.public_id}").get_data(as_text=True)


def test_a_breachs_history_is_in_time_order_even_if_the_clock_stepped_back(app, ctx, teacher):
    """Ids follow inserts; if the server's clock is corrected backwards between two updates, the
    history still reads in the order of the times shown beside them."""
    breach = make_breach(teacher)
    now = utcnow()
    RecordUpdate.create(breach=breach, author=teacher, kind="note", text="Second", at=now)
    RecordUpdate.create(breach=breach, author=teacher, kind="note", text="First",
                        at=now - dt.timedelta(minutes=5))
    assert [u.text for u in history(breach) if u.kind == "note"] == ["First", "Second"]


def test_the_reporter_follows_the_status_but_not_the_leads_notes_or_their_requests(
        app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher)
        change_status(breach, dsl, "in_review", "Spoke to the head privately")
        add_note(breach, dsl, "note", "Private note from the DSL")
        mine = make_deletion_request(teacher, breach=breach)
        theirs = make_deletion_request(dsl, breach=breach)
    url = f"/records/breaches/{breach.public_id}"
    sign_in_as(client, teacher)
    html = client.get(url).get_data(as_text=True)
    history_list = html[html.index('<ol class="history">'):]
    history_items = re.findall(r"<li>", history_list[:history_list.index("</ol>")])
    assert len(history_items) == 2  # "Logged by" and the status change: no sign of the note
    assert "changed the status from open to in review" in html and str(mine.public_id) in html
    assert "Private note from the DSL" not in html and "Spoke to the head privately" not in html
    assert str(theirs.public_id) not in html
    sign_in_as(client, dsl)  # the DSL sees all of it
    html = client.get(url).get_data(as_text=True)
    assert "Private note from the DSL" in html
    assert str(mine.public_id) in html and str(theirs.public_id) in html


def test_the_reporter_does_not_see_the_leads_notes(app, client, teacher, dsl):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    client.post(f"/records/breaches/{breach.public_id}/notes",
                data={**fields, "kind": "note", "text": "Known to children's services."})
    client.post(f"/records/breaches/{breach.public_id}/status",
                data={**fields, "status": "closed", "note": "Referred to early help."})
    sign_in_as(client, teacher)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "changed the status from open to closed" in html
    assert "children's services" not in html and "early help" not in html
