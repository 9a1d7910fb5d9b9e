"""Logging a breach, the DSL's triage, restricted concerns and the LADO referral."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from html import unescape
from html.parser import HTMLParser

import pytest

from kiosk.breaches import lado_overdue
from kiosk.models import (
    AuditEvent,
    Breach,
    BreachCategory,
    DeletionRequest,
    LadoReferral,
    RecordUpdate,
    utcnow,
)
from kiosk.working_days import after_one_working_day

from .helpers import (
    ACCESS_REFUSED,
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


def details_form(client, who="visitor", category="photographing", **query):
    url = f"/staff/breaches/new?who={who}&category={category}"
    for key, value in query.items():
        url += f"&{key}={value}"
    return form_page(client, url)


def breaches(app):
    with app.app_context():
        return list(Breach.select())


def test_the_who_step_offers_every_kind_and_todays_visitors(app, client, teacher):
    with app.app_context():
        make_acceptance(full_name="Today Visitor")
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new").get_data(as_text=True)
    for label in ["Visitor", "Parent or carer", "PTA member or volunteer", "Contractor",
                  "Member of staff", "Pupil", "Governor", "Not known", "Today Visitor"]:
        assert label in html


def test_todays_visitors_are_counted_from_midnight_in_the_schools_time_zone(app, client, teacher):
    app.config["KIOSK_TIMEZONE"] = "Pacific/Kiritimati"  # UTC+14: far from UTC's midnight
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Pacific/Kiritimati")
    midnight = dt.datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    as_utc = midnight.astimezone(dt.UTC).replace(tzinfo=None)
    with app.app_context():
        make_acceptance(full_name="After Midnight", accepted_at=as_utc + dt.timedelta(minutes=1))
        make_acceptance(full_name="Before Midnight", accepted_at=as_utc - dt.timedelta(minutes=1))
    sign_in_as(client, teacher)
    html = client.get("/staff/visitors").get_data(as_text=True)
    assert "After Midnight" in html and "Before Midnight" not in html


# The seeded categories about a member of staff (restricted: the head only).
STAFF_ONLY = ["Member of staff in contact with a pupil, or an ex-pupil under 18",
              "Member of staff identifying as a representative of the school",
              "Family link with a pupil on social media not declared to the Headteacher",
              "Disclosure that an adult employed by the school uses social networking"]
FOR_ANYONE = ["Photographing or recording pupils or staff on a phone",
              "Social networking during the working day", "Something else"]


def test_the_what_step_offers_a_member_of_staff_every_category(client, teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=staff").get_data(as_text=True)
    for label in STAFF_ONLY + FOR_ANYONE:
        assert label in html, label


@pytest.mark.parametrize("who", ["visitor", "parent", "pta_volunteer", "contractor", "pupil",
                                 "governor", "unknown"])
def test_the_what_step_offers_anyone_else_no_concern_about_a_member_of_staff(client, teacher, who):
    sign_in_as(client, teacher)
    html = client.get(f"/staff/breaches/new?who={who}").get_data(as_text=True)
    for label in FOR_ANYONE:
        assert label in html, label
    for label in STAFF_ONLY:
        assert label not in html, label


def test_a_visitor_signed_in_today_is_offered_no_concern_about_staff_either(app, client, teacher):
    with app.app_context():
        visitor = make_acceptance(full_name="Door Visitor", role="visitor")
        staff = make_acceptance(full_name="Supply Teacher", role="staff")
    sign_in_as(client, teacher)
    html = client.get(f"/staff/breaches/new?acceptance={visitor.client_uuid}").get_data(as_text=True)
    assert STAFF_ONLY[0] not in html and FOR_ANYONE[0] in html
    html = client.get(f"/staff/breaches/new?acceptance={staff.client_uuid}").get_data(as_text=True)
    assert STAFF_ONLY[0] in html


def test_an_address_joining_a_visitor_to_a_concern_about_staff_is_refused_with_the_choices(
        app, client, teacher):
    sign_in_as(client, teacher)
    with nothing_written(app):
        response = client.get("/staff/breaches/new?who=visitor&category=pupil_contact")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is a concern about a member of staff" in html
    assert 'name="client_uuid"' not in html  # no details form to save
    assert FOR_ANYONE[0] in html and STAFF_ONLY[1] not in html  # the kinds that fit a visitor
    assert "/staff/breaches/new?who=staff&amp;category=pupil_contact" in html


@pytest.mark.parametrize("who", ["visitor", "unknown"])
def test_a_form_joining_someone_else_to_a_concern_about_staff_is_refused_and_writes_nothing(
        app, client, teacher, who):
    sign_in_as(client, teacher)
    fields = {**details_form(client, who="staff", category="pupil_contact"), "subject_kind": who}
    with nothing_written(app):
        response = client.post("/staff/breaches", data=fields)
    assert response.status_code == 422
    assert "That is a concern about a member of staff" in response.get_data(as_text=True)
    assert breaches(app) == []


def test_a_teacher_logs_a_visitor_photographing_pupils_who_was_asked_to_delete_it(app, client,
                                                                                 teacher):
    sign_in_as(client, teacher)
    fields = details_form(client)
    response = client.post("/staff/breaches", data={**fields, "asked_to_delete": "yes"})
    assert response.status_code == 303
    [breach] = breaches(app)
    assert breach.category.slug == "photographing" and breach.subject_kind == "visitor"
    assert breach.action_codes == ["asked_to_delete"]
    assert breach.safeguarding and not breach.restricted and breach.status == "open"
    with app.app_context():
        [request] = DeletionRequest.select()
        assert request.breach_id == breach.id and request.material == "photo"
        assert request.material_location == "device"
        assert request.due_by == request.asked_at + dt.timedelta(hours=2)  # by the end of the visit
        assert AuditEvent.select().where(AuditEvent.action == "breach.created").count() == 1


def submit_buttons(html: str) -> list[tuple[str, str, str]]:
    """The page's submit buttons in the breach form: (name, value, words)."""
    form = html[html.index('action="/staff/breaches"'):]
    form = form[:form.index("</form>")]
    return [(name, value, unescape(words)) for name, value, words in re.findall(
        r'<button type="submit"(?: name="([^"]*)" value="([^"]*)")?[^>]*>(.*?)</button>', form)]


def test_a_category_with_material_asks_once_and_each_answer_saves(client, teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=visitor&category=photographing").get_data(as_text=True)
    assert submit_buttons(html) == [
        ("asked_to_delete", "yes", "Yes, they were asked to delete it: save"),
        ("asked_to_delete", "no", "No: save")]
    assert html.count("Were they asked to delete it?") == 1
    assert 'value="asked_to_delete"' not in html  # not asked again among the actions
    assert "Asked them to delete material" not in html
    assert 'value="asked_to_stop"' in html  # the other actions are still there


def test_a_category_without_material_has_one_save_and_keeps_the_asked_to_delete_tick(client,
                                                                                    teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=visitor&category=conduct").get_data(as_text=True)
    assert submit_buttons(html) == [("", "", "Save")]
    assert "Were they asked to delete it?" not in html
    assert 'value="asked_to_delete"' in html


def test_no_they_were_not_asked_saves_without_a_deletion_request(app, client, teacher):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data={**details_form(client), "actions": ["asked_to_stop"],
                                         "asked_to_delete": "no"})
    [breach] = breaches(app)
    assert breach.action_codes == ["asked_to_stop"]
    with app.app_context():
        assert DeletionRequest.select().count() == 0


def who_will_see(html: str) -> tuple[str, dict[str, str]]:
    """The sentence saying who will see the record, and its data- attributes."""
    [(attributes, sentence)] = re.findall(r'<p class="callout who-will-see"([^>]*)>(.*?)</p>', html)
    return unescape(sentence), {k: unescape(v) for k, v in re.findall(r'data-([a-z]+)="([^"]*)"',
                                                                      attributes)}


def test_step_three_says_a_concern_about_staff_goes_to_the_head_and_never_offers_the_dsl(
        client, teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=staff&category=pupil_contact").get_data(as_text=True)
    assert who_will_see(html) == ("Only the headteacher will see this.", {
        "follows": "concerns_head", "ticked": "Only the chair of governors will see this.",
        "unticked": "Only the headteacher will see this."})
    assert 'name="concerns_head"' in html and "This concern is about the headteacher" in html
    assert 'name="safeguarding"' not in html
    assert "tell the DSL" not in html and "DSL will" not in html  # it would not reach the DSL


def test_step_three_offers_the_dsl_tick_for_anyone_else_with_its_sentence_both_ways(client,
                                                                                    teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=visitor&category=commercial").get_data(as_text=True)
    assert who_will_see(html) == ("The DSL and the headteacher will see this.", {
        "follows": "safeguarding", "ticked": "The DSL will be told at once.",
        "unticked": "The DSL and the headteacher will see this."})
    assert 'name="safeguarding"' in html and 'name="concerns_head"' not in html
    assert "headteacher only" not in html


def test_step_three_says_a_safeguarding_category_tells_the_dsl_with_no_tick_to_change(client,
                                                                                       teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=visitor&category=photographing").get_data(as_text=True)
    assert who_will_see(html) == ("The DSL will be told at once.", {})
    assert 'name="safeguarding"' not in html and 'name="concerns_head"' not in html


def test_a_form_sent_back_says_who_will_see_it_as_it_was_sent(app, client, teacher):
    sign_in_as(client, teacher)
    fields = {**details_form(client, who="staff", category="family_link"), "concerns_head": "y",
              "occurred_at": typed(utcnow() + dt.timedelta(days=1))}
    response = client.post("/staff/breaches", data=fields)
    assert response.status_code == 422
    assert who_will_see(response.get_data(as_text=True))[0] == (
        "Only the chair of governors will see this.")


def test_step_three_offers_todays_visitors_with_their_role_and_time_apart(app, client, teacher):
    with app.app_context():
        make_acceptance(full_name="Priya Shah", role="parent")
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?who=visitor&category=photographing").get_data(as_text=True)
    assert "Who was it? (optional)" in html
    assert re.search(r'Priya Shah <span class="tile-note">Parent or carer, \d+:\d\d[ap]m</span>', html)
    # Before the save buttons, so the common case (nobody picked) is still one tap.
    assert html.index("Priya Shah") < html.index("Yes, they were asked to delete it: save")
    assert form_page(client, "/staff/breaches/new?who=visitor&category=photographing")[
        "acceptance"] == ""  # "Not listed, or not known" is chosen until someone is picked


@pytest.mark.parametrize("query", ["who=staff&category=photographing",
                                   "who=pupil&category=photographing"])
def test_step_three_does_not_offer_todays_visitors_for_staff_or_a_pupil(app, client, teacher,
                                                                        query):
    with app.app_context():
        make_acceptance(full_name="Priya Shah")
    sign_in_as(client, teacher)
    html = client.get(f"/staff/breaches/new?{query}").get_data(as_text=True)
    assert "Priya Shah" not in html and 'name="subject_name"' in html


def test_a_visitor_picked_on_step_three_is_named_on_the_breach_and_its_deletion_request(
        app, client, teacher):
    with app.app_context():
        priya = make_acceptance(full_name="Priya Shah")
    sign_in_as(client, teacher)
    fields = {**details_form(client), "acceptance": str(priya.client_uuid), "asked_to_delete": "yes"}
    assert client.post("/staff/breaches", data=fields).status_code == 303
    [breach] = breaches(app)
    assert (breach.acceptance_id, breach.subject_name) == (priya.id, "Priya Shah")
    with app.app_context():
        [request] = DeletionRequest.select()
        assert (request.acceptance_id, request.person_name) == (priya.id, "Priya Shah")
    html = client.get("/staff/my-reports").get_data(as_text=True)
    assert "Photo: Priya Shah" in html and "Photo: someone" not in html


def test_the_same_form_sent_twice_makes_one_breach(app, client, teacher):
    sign_in_as(client, teacher)
    fields = {**details_form(client), "asked_to_delete": "yes"}
    client.post("/staff/breaches", data=fields)
    client.post("/staff/breaches", data=fields)
    assert len(breaches(app)) == 1
    with app.app_context():
        assert DeletionRequest.select().count() == 1


def test_details_are_optional_but_checked(app, client, teacher):
    sign_in_as(client, teacher)
    fields = details_form(client)
    tomorrow = typed(utcnow() + dt.timedelta(days=1))
    fields.update(occurred_at=tomorrow, description="A\x01B", actions=["asked_to_fly"])
    with nothing_written(app):
        response = client.post("/staff/breaches", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That time is in the future." in html
    assert "Please use letters, numbers and punctuation only." in html
    assert "Please choose from the listed actions." in html
    assert '<details class="more-details" open>' in html  # folded away, they would be unseen
    assert breaches(app) == []
    assert '<details class="more-details">' in client.get(  # folded on a fresh form
        "/staff/breaches/new?who=visitor&category=photographing").get_data(as_text=True)


def test_a_tampered_category_is_refused(app, client, teacher):
    sign_in_as(client, teacher)
    fields = details_form(client)
    fields["category"] = "made-up"
    with nothing_written(app):
        assert client.post("/staff/breaches", data=fields).status_code == 422
    assert breaches(app) == []


def test_the_time_typed_is_school_time_stored_as_utc(app, client, teacher):
    sign_in_as(client, teacher)
    fields = details_form(client)
    # Pinned on purpose: a day in July is in British Summer Time, one hour ahead of UTC.
    fields["occurred_at"] = "2026-07-01T09:30"
    client.post("/staff/breaches", data=fields)
    assert breaches(app)[0].occurred_at == dt.datetime(2026, 7, 1, 8, 30)


def test_picking_a_visitor_from_today_links_the_breach_to_their_acceptance(app, client, teacher):
    with app.app_context():
        acceptance = make_acceptance(full_name="Linked Visitor", role="contractor")
    sign_in_as(client, teacher)
    html = client.get(f"/staff/breaches/new?acceptance={acceptance.client_uuid}").get_data(as_text=True)
    assert "Linked Visitor" in html and "step 2 of 3" in html
    fields = details_form(client, who="contractor", acceptance=acceptance.client_uuid)
    client.post("/staff/breaches", data=fields)
    [breach] = breaches(app)
    assert breach.acceptance_id == acceptance.id and breach.subject_name == "Linked Visitor"


def test_staff_can_flag_any_category_for_the_dsl(app, client, teacher):
    sign_in_as(client, teacher)
    fields = details_form(client, category="commercial")
    client.post("/staff/breaches", data={**fields, "safeguarding": "y"})
    assert breaches(app)[0].safeguarding


def test_a_concern_about_a_member_of_staff_is_restricted(app, client, teacher):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data=details_form(client, who="staff", category="commercial"))
    assert breaches(app)[0].restricted


def test_a_disclosure_about_an_adult_is_restricted_and_safeguarding(app, client, teacher):
    sign_in_as(client, teacher)
    client.post("/staff/breaches", data=details_form(client, who="staff",
                                                     category="disclosure_adult"))
    [breach] = breaches(app)
    assert breach.restricted and breach.safeguarding and not breach.concerns_head


def test_ticking_about_the_head_on_an_ordinary_breach_does_not_hide_it_from_the_dsl(app, client,
                                                                                    teacher, dsl):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/breaches/new?who=visitor&category=photographing")
    client.post("/staff/breaches", data={**fields, "concerns_head": "y"})
    with app.app_context():
        breach = Breach.get()
        assert not breach.restricted and not breach.concerns_head
    sign_in_as(client, dsl)
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 200


def test_the_reporter_sees_only_that_a_restricted_report_was_received(app, client, teacher):
    with app.app_context():
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                             description="Secret detail")
    sign_in_as(client, teacher)
    html = client.get("/staff/my-reports").get_data(as_text=True)
    assert "Received and passed to the headteacher" in html
    assert "Secret detail" not in html and str(breach.public_id) not in html
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 404


def test_staff_see_only_their_own_reports(app, client, teacher, other_teacher):
    with app.app_context():
        mine = make_breach(teacher)
        theirs = make_breach(other_teacher, category="commercial")
    sign_in_as(client, teacher)
    html = client.get("/staff/my-reports").get_data(as_text=True)
    assert str(mine.public_id) in html and str(theirs.public_id) not in html
    assert client.get(f"/records/breaches/{mine.public_id}").status_code == 200
    assert client.get(f"/records/breaches/{theirs.public_id}").status_code == 404
    with app.app_context():
        refused = AuditEvent.get(AuditEvent.action == "access.refused")
        assert refused.record_id == str(theirs.public_id) and refused.actor_id == teacher.id


def test_viewing_a_breach_is_audited(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    client.get(f"/records/breaches/{breach.public_id}")
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "breach.viewed")
        assert (event.actor_id, event.record_id) == (dsl.id, str(breach.public_id))


def test_the_dsl_sees_every_unrestricted_record_and_a_count_of_new_ones(app, client, dsl, teacher):
    with app.app_context():
        flagged = make_breach(teacher)
        plain = make_breach(teacher, category="commercial")
        restricted = make_breach(teacher, subject_kind="staff", category="pupil_contact")
    sign_in_as(client, dsl)
    assert "<strong>1</strong> new concern waiting for you" in client.get("/staff/").get_data(as_text=True)
    html = client.get("/records/concerns").get_data(as_text=True)
    assert str(flagged.public_id) in html and str(plain.public_id) in html
    assert str(restricted.public_id) not in html
    assert client.get(f"/records/breaches/{restricted.public_id}").status_code == 404


def test_the_head_sees_restricted_records_but_not_those_about_the_head(app, client, head, teacher):
    with app.app_context():
        restricted = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
    sign_in_as(client, head)
    html = client.get("/records/concerns").get_data(as_text=True)
    assert str(restricted.public_id) in html and str(about_head.public_id) not in html
    assert client.get(f"/records/breaches/{about_head.public_id}").status_code == 404


def test_the_chair_sees_only_concerns_about_the_head(app, client, chair, teacher):
    with app.app_context():
        restricted = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        about_head = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 concerns_head=True)
        plain = make_breach(teacher)
    sign_in_as(client, chair)
    html = client.get("/records/concerns?status=all").get_data(as_text=True)
    assert str(about_head.public_id) in html
    assert str(restricted.public_id) not in html and str(plain.public_id) not in html
    assert client.get(f"/records/breaches/{about_head.public_id}").status_code == 200


def test_closing_needs_an_outcome_note_and_every_change_is_kept(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    url = f"/records/breaches/{breach.public_id}"
    fields = form_page(client, url)
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"/records/breaches/{breach.public_id}/status",
                               data={**fields, "status": "closed", "note": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "note") == "Please write the outcome before closing."  # beside it
    assert field_error(html, "status") is None
    client.post(f"/records/breaches/{breach.public_id}/status", data={**fields, "status": "in_review"})
    client.post(f"/records/breaches/{breach.public_id}/notes",
                data={**fields, "kind": "action", "text": "Spoke to the visitor."})
    client.post(f"/records/breaches/{breach.public_id}/status",
                data={**fields, "status": "closed", "note": "Photo deleted; no further action."})
    with app.app_context():
        history = [(u.kind, u.old_value, u.new_value, u.text) for u in
                   RecordUpdate.select().where(RecordUpdate.breach == breach.id).order_by(RecordUpdate.id)]
        assert history == [("status", "open", "in_review", ""),
                           ("action", "", "", "Spoke to the visitor."),
                           ("status", "in_review", "closed", "Photo deleted; no further action.")]
        assert Breach.get_by_id(breach.id).status == "closed"
        assert AuditEvent.select().where(AuditEvent.action == "breach.status_changed").count() == 2
    html = client.get(url).get_data(as_text=True)
    assert "Spoke to the visitor." in html and "Photo deleted; no further action." in html


def test_staff_cannot_triage(app, client, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, teacher)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    with nothing_written(app, allow=ACCESS_REFUSED) as events:
        response = client.post(f"/records/breaches/{breach.public_id}/status",
                               data={**fields, "status": "closed", "note": "Done"})
    assert response.status_code == 403
    assert breaches(app)[0].status == "open"
    assert events == ["access.refused"]


def test_the_head_records_a_lado_referral(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    response = client.post(f"/records/breaches/{breach.public_id}/lado", data={
        **fields, "referred_at": typed(utcnow()), "reference": "LADO-123",
        "advice": "Suspend pending investigation", "police_involved": "y", "outcome": ""})
    assert response.status_code == 303
    with app.app_context():
        referral = LadoReferral.get(LadoReferral.breach == breach.id)
        assert referral.reference == "LADO-123" and referral.police_involved
        assert RecordUpdate.get(RecordUpdate.kind == "lado").text.startswith("Referred")


def test_the_dsl_cannot_reach_the_lado_form(app, client, dsl, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, "/staff/")
    with nothing_written(app, allow=ACCESS_REFUSED) as events:
        response = client.post(f"/records/breaches/{breach.public_id}/lado",
                               data={**fields, "reference": "X"})
    assert response.status_code == 403
    assert events == ["access.refused"]


# Pinned on purpose: the days of the week are the calendar fact under test (23 November 2026 is a
# Monday; no bank holiday that week).
@pytest.mark.parametrize(("logged", "deadline"), [
    (dt.datetime(2026, 11, 23, 10), dt.datetime(2026, 11, 24, 10)),  # Monday -> Tuesday
    (dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 30, 10)),  # Friday -> Monday
    # Saturday: the day starts at Monday's midnight, so it is due by the end of Monday.
    (dt.datetime(2026, 11, 28, 10), dt.datetime(2026, 12, 1, 0)),
])
def test_one_working_day_skips_the_weekend(logged, deadline):
    assert after_one_working_day(logged, SCHOOL_ZONE) == deadline


def test_a_referral_later_than_one_working_day_is_flagged(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
        # Pinned on purpose: logged on a Monday, so one working day later is the Tuesday. It is
        # also long past, so the page below flags the missing referral.
        Breach.update(created_at=dt.datetime(2026, 11, 23, 10),
                      allegation_since=dt.datetime(2026, 11, 23, 10)).where(Breach.id == breach.id).execute()
        breach = Breach.get_by_id(breach.id)
        assert lado_overdue(breach, None, now=dt.datetime(2026, 11, 24, 9))is False
        assert lado_overdue(breach, None, now=dt.datetime(2026, 11, 24, 11)) is True
        late = LadoReferral(breach=breach, referred_at=dt.datetime(2026, 11, 25, 9))
        assert lado_overdue(breach, late) is True
        on_time = LadoReferral(breach=breach, referred_at=dt.datetime(2026, 11, 24, 9))
        assert lado_overdue(breach, on_time) is False
    sign_in_as(client, head)
    assert "Not referred to the LADO within one working day" in client.get(
        "/records/concerns").get_data(as_text=True)


def test_a_persons_chronology_lists_their_records_in_date_order(app, client, dsl, teacher):
    from .helpers import make_deletion_request

    def days_ago(days: int) -> dt.datetime:
        return utcnow() - dt.timedelta(days=days)

    with app.app_context():
        make_acceptance(full_name="Chris Parent", accepted_at=days_ago(3))
        make_breach(teacher, subject_name="Chris Parent", occurred_at=days_ago(2),
                    category="commercial")
        make_deletion_request(teacher, person_name="chris parent", asked_at=days_ago(1))
        make_breach(teacher, subject_name="Chris Parent", subject_kind="staff",
                    category="pupil_contact")  # restricted: not for the DSL
    sign_in_as(client, dsl)
    html = client.get("/reports/chronology?name=Chris+Parent").get_data(as_text=True)
    accepted, breach, deletion = (html.index("Accepted"), html.index("Breach:"),
                                  html.index("Asked to delete:"))
    assert accepted < breach < deletion
    assert html.count("Breach:") == 1


def test_the_head_edits_a_category(app, client, head):
    sign_in_as(client, head)
    with app.app_context():
        category = BreachCategory.get(BreachCategory.slug == "commercial")
    fields = form_page(client, f"/admin/categories/{category.id}")
    response = client.post(f"/admin/categories/{category.id}", data={
        **fields, "label": "Selling things on the school page", "safeguarding": "y", "material": "post",
        "active": "y"})
    assert response.status_code == 303
    with app.app_context():
        saved = BreachCategory.get_by_id(category.id)
        assert saved.label == "Selling things on the school page" and saved.safeguarding
    fields = form_page(client, "/admin/categories/new")
    client.post("/admin/categories/new", data={**fields, "label": "Live streaming", "material": "video",
                                               "active": "y"})
    with app.app_context():
        added = BreachCategory.get(BreachCategory.label == "Live streaming")
        assert added.material == "video"
        assert added.position == max(c.position for c in BreachCategory.select()) > category.position
        assert [json.loads(e.detail)["label"] for e in AuditEvent.select().where(
            AuditEvent.action == "category.saved").order_by(AuditEvent.id)] == [
            "Selling things on the school page", "Live streaming"]


def test_an_unknown_record_id_is_a_404_not_a_500(client, dsl):
    sign_in_as(client, dsl)
    assert client.get("/records/breaches/not-a-uuid").status_code == 404
    assert client.get(f"/records/breaches/{uuid.uuid4()}").status_code == 404


def test_huge_numbers_in_addresses_are_not_a_500(client, head):
    sign_in_as(client, head)
    assert client.get("/admin/audit?page=1e20").status_code == 200
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200
    assert client.get("/admin/categories/99999999999999999999").status_code == 404


class _Forms(HTMLParser):
    """Each form's autocomplete setting and the autocomplete of the typed fields inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""),
                               "autocomplete": attributes.get("autocomplete"), "fields": []})
        elif tag in ("input", "textarea") and self.forms and attributes.get("type") not in (
                "hidden", "radio", "checkbox", "submit"):
            self.forms[-1]["fields"].append((attributes.get("name"), attributes.get("autocomplete")))


def test_staff_forms_never_offer_what_the_last_person_typed_on_a_shared_ipad(app, client, teacher,
                                                                              dsl):
    with app.app_context():
        breach = make_breach(teacher)
        request = make_deletion_request(teacher, breach=breach)
    pages = ["/staff/breaches/new?who=visitor&category=photographing", "/staff/deletions/new",
             "/staff/offline", f"/records/breaches/{breach.public_id}",
             f"/records/deletions/{request.public_id}"]
    sign_in_as(client, dsl)
    checked = 0
    for path in pages:
        parser = _Forms()
        parser.feed(client.get(path).get_data(as_text=True))
        for form in parser.forms:
            if form["action"] == "/signout":
                continue
            assert form["autocomplete"] == "off", (path, form["action"])
            for name, autocomplete in form["fields"]:
                assert autocomplete in (None, "off"), (path, name, autocomplete)
                checked += 1
    assert checked >= 12  # the names, places, links and notes typed on those screens


@pytest.mark.parametrize("kind", ["status", "", "note<script>"])
def test_a_note_of_an_unknown_kind_is_refused_beside_the_field(app, client, dsl, teacher, kind):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    with nothing_written(app, allow=VIEWED):
        response = client.post(f"/records/breaches/{breach.public_id}/notes",
                               data={**fields, "kind": kind, "text": "Spoke to the visitor."})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "kind") == "Please choose a note or an action."


# The concerns list when it is empty ----------------------------------------------------------------

@pytest.mark.parametrize("mail_server", [True, False], ids=["mail", "no-mail"])
def test_the_chairs_empty_screen_says_what_will_appear_and_how_they_are_told(app, client, chair,
                                                                             mail_server):
    if mail_server:
        app.config["KIOSK_SMTP_HOST"] = "mail.westacre.sch.uk"
    sign_in_as(client, chair)
    html = client.get("/records/concerns?status=all").get_data(as_text=True)
    assert "No concern about the headteacher is logged." in html
    assert "only you can" in html and "not the headteacher, not the DSL" in html
    assert (f"sent an email at {chair.email}" in html) is mail_server
    assert ("The kiosk cannot" in html and "IT support" in html) is not mail_server
    assert "KIOSK_" not in html and "Nothing here" not in html


def test_a_lead_with_nothing_open_is_told_so_without_the_chairs_explanation(app, client, dsl):
    sign_in_as(client, dsl)
    html = client.get("/records/concerns").get_data(as_text=True)
    assert "No concerns are open." in html and "headteacher is logged" not in html


def test_the_chair_reading_a_concern_is_not_offered_to_record_a_deletion_request(app, client,
                                                                                 chair, head,
                                                                                 teacher):
    """Recording one is for staff in school (the chair would be refused); the head still is."""
    with app.app_context():
        breach = make_breach(teacher, category="pupil_contact", subject_kind="staff",
                             concerns_head=True)
    sign_in_as(client, chair)
    html = client.get(f"/records/breaches/{breach.public_id}").get_data(as_text=True)
    assert "Record a deletion request" not in html and "/staff/deletions/new" not in html
    with app.app_context():
        other = make_breach(teacher)
    sign_in_as(client, head)
    assert "Record a deletion request" in client.get(
        f"/records/breaches/{other.public_id}").get_data(as_text=True)
