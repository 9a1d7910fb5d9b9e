"""Deletion requests: recorded, followed to an outcome, and surfaced when refused or overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.deletions import is_overdue
from kiosk.models import AuditEvent, DeletionRequest, RecordUpdate, utcnow

from .helpers import (
    field_error,
    form_page,
    make_acceptance,
    make_breach,
    make_deletion_request,
    nothing_written,
    sign_in_as,
    typed,
)


def rows(app):
    with app.app_context():
        return list(DeletionRequest.select())


def test_a_teacher_records_a_request_on_its_own(app, client, teacher):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    response = client.post("/staff/deletions/new", data={
        **fields, "material": "post", "material_location": "online",
        "link": "https://social.example/post/1", "person_name": "Sam Parent"})
    assert response.status_code == 303
    [request] = rows(app)
    assert (request.material, request.material_location, request.person_name) == (
        "post", "online", "Sam Parent")
    assert request.due_by - request.asked_at == dt.timedelta(hours=24)
    assert request.outcome == "pending" and request.asked_by_id == teacher.id


def test_a_request_on_a_device_is_due_by_the_end_of_the_visit_not_overdue_at_once(app, client,
                                                                                  teacher, dsl):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    client.post("/staff/deletions/new", data={**fields, "material": "photo",
                                              "material_location": "device", "person_name": "Sam"})
    [request] = rows(app)
    assert request.due_by == request.asked_at + dt.timedelta(hours=2)
    sign_in_as(client, dsl)
    assert "refused or overdue" not in client.get("/staff/").get_data(as_text=True)
    html = client.get(f"/records/deletions/{request.public_id}").get_data(as_text=True)
    assert "Overdue" not in html
    with app.app_context():
        assert not is_overdue(request, request.asked_at + dt.timedelta(hours=1, minutes=59))


def test_the_deletion_form_says_the_default_deadline_and_keeps_one_typed(app, client, teacher):
    sign_in_as(client, teacher)
    html = client.get("/staff/deletions/new").get_data(as_text=True)
    assert "Due by (optional)" in html
    assert ("two hours after they were asked for something on their device (before they leave "
            "school), 24 hours for something online.") in html
    asked = utcnow().replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    fields = form_page(client, "/staff/deletions/new")
    client.post("/staff/deletions/new", data={
        **fields, "material": "photo", "material_location": "device", "person_name": "Sam",
        "asked_at": typed(asked), "due_by": typed(asked + dt.timedelta(minutes=30))})
    [request] = rows(app)
    assert request.due_by - request.asked_at == dt.timedelta(minutes=30)


def test_a_deadline_at_the_minute_of_asking_is_refused_beside_the_field(app, client, teacher):
    sign_in_as(client, teacher)
    asked = typed(utcnow() - dt.timedelta(minutes=10))
    fields = form_page(client, "/staff/deletions/new")
    with nothing_written(app):
        response = client.post("/staff/deletions/new", data={
            **fields, "material": "photo", "material_location": "device", "person_name": "Sam",
            "asked_at": asked, "due_by": asked})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "due_by") == (
        "The deadline must be after the time they were asked.")


def test_a_request_from_a_breach_is_linked_and_prefilled(app, client, teacher):
    with app.app_context():
        acceptance = make_acceptance(full_name="Linked Person")
        breach = make_breach(teacher, acceptance=acceptance, subject_name="")
    sign_in_as(client, teacher)
    fields = form_page(client, f"/staff/deletions/new?breach={breach.public_id}")
    assert fields["person_name"] == "Linked Person" and fields["material"] == "photo"
    client.post("/staff/deletions/new", data={**fields, "material_location": "device"})
    [request] = rows(app)
    assert request.breach_id == breach.id and request.acceptance_id == acceptance.id


def test_bad_input_is_shown_beside_each_field(app, client, teacher):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    with nothing_written(app):
        response = client.post("/staff/deletions/new", data={**fields, "material": "hologram",
                                                              "material_location": "online",
                                                              "link": "javascript:alert(1)"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="material-error"' in html and "Please choose what material." in html
    assert "Please give a link starting https://" in html
    assert "Please give the name of the person asked." in html
    assert rows(app) == []


ASKED = utcnow() - dt.timedelta(days=1)


@pytest.mark.parametrize(("changes", "message"), [
    # Out of range on purpose: the years the field accepts are the rule under test.
    ({"due_by": "9999-12-31T23:30"}, "Please give a date between 2000 and 2100."),
    ({"asked_at": "0001-01-01T00:00"}, "Please give a date between 2000 and 2100."),
    ({"asked_at": typed(ASKED), "due_by": typed(ASKED + dt.timedelta(days=59))},
     "The deadline must be within 30 days of asking."),
])
def test_deletion_deadlines_are_bounded(app, client, teacher, dsl, changes, message):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    with nothing_written(app):
        response = client.post("/staff/deletions/new", data={
            **fields, "material": "photo", "material_location": "device", "person_name": "Sam",
            **changes})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    sign_in_as(client, dsl)
    assert client.get("/staff/").status_code == 200


def test_an_online_request_needs_its_link(app, client, teacher):
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    with nothing_written(app):
        response = client.post("/staff/deletions/new", data={**fields, "material": "post",
                                                              "material_location": "online",
                                                              "person_name": "Sam"})
    assert response.status_code == 422
    assert "Please give the link" in response.get_data(as_text=True)


def test_sending_the_same_form_twice_records_it_once(app, client, teacher):
    sign_in_as(client, teacher)
    fields = {**form_page(client, "/staff/deletions/new"), "material": "photo",
              "material_location": "device", "person_name": "Sam"}
    client.post("/staff/deletions/new", data=fields)
    client.post("/staff/deletions/new", data=fields)
    assert len(rows(app)) == 1


def test_the_outcome_is_recorded_with_who_checked_and_kept_in_history(app, client, teacher, dsl):
    with app.app_context():
        request = make_deletion_request(teacher, material="post", material_location="online",
                                        link="https://social.example/1")
    sign_in_as(client, teacher)
    url = f"/records/deletions/{request.public_id}"
    fields = form_page(client, url)
    client.post(url + "/outcome", data={**fields, "outcome": "refused", "note": "Said no."})
    sign_in_as(client, dsl)
    fields = form_page(client, url)
    response = client.post(url + "/outcome", data={**fields, "outcome": "confirmed_removed",
                                                   "note": "Checked the page: gone."})
    assert response.status_code == 303
    with app.app_context():
        saved = DeletionRequest.get_by_id(request.id)
        assert saved.outcome == "confirmed_removed" and saved.checked_by_id == dsl.id
        assert saved.checked_at is not None
        history = [(u.old_value, u.new_value) for u in RecordUpdate.select().order_by(RecordUpdate.id)]
        assert history == [("pending", "refused"), ("refused", "confirmed_removed")]
        assert AuditEvent.select().where(AuditEvent.action == "deletion_request.outcome").count() == 2


def test_a_device_request_cannot_be_confirmed_removed_online(app, client, teacher):
    with app.app_context():
        request = make_deletion_request(teacher)
    sign_in_as(client, teacher)
    url = f"/records/deletions/{request.public_id}"
    fields = form_page(client, url)
    # Still pending, no history, and no audit event but the view of the page shown again.
    with nothing_written(app, allow=("deletion_request.viewed",)):
        response = client.post(url + "/outcome", data={**fields, "outcome": "confirmed_removed"})
    assert response.status_code == 422
    assert "Only material online can be confirmed removed" in response.get_data(as_text=True)


def test_refused_and_overdue_requests_surface_to_the_dsl_with_next_steps(app, client, teacher, dsl):
    with app.app_context():
        refused = make_deletion_request(teacher, person_name="Refusing Person")
        DeletionRequest.update(outcome="refused").where(DeletionRequest.id == refused.id).execute()
        overdue = make_deletion_request(teacher, person_name="Slow Person", material="post",
                                        material_location="online", link="https://x.example/1",
                                        asked_at=utcnow() - dt.timedelta(hours=30))
        make_deletion_request(teacher, person_name="Fine Person")
        assert is_overdue(DeletionRequest.get_by_id(overdue.id))
    sign_in_as(client, dsl)
    assert "<strong>2</strong> deletion requests refused or overdue" in client.get(
        "/staff/").get_data(as_text=True)
    html = client.get("/records/deletions").get_data(as_text=True)
    attention = html[html.index("Refused or overdue"):html.index("All others")]
    assert "Refusing Person" in attention and "Slow Person" in attention
    assert "Fine Person" not in attention
    assert "Ask them to leave the school premises." in attention
    assert "Refer the matter to the headteacher." in attention


def test_all_others_is_a_heading_only_below_those_needing_attention(app, client, teacher):
    with app.app_context():
        make_deletion_request(teacher, person_name="Fine Person")
    sign_in_as(client, teacher)
    html = client.get("/records/deletions").get_data(as_text=True)
    assert "Fine Person" in html
    assert "All others" not in html and "Refused or overdue" not in html
    with app.app_context():
        refused = make_deletion_request(teacher, person_name="Refusing Person")
        DeletionRequest.update(outcome="refused").where(DeletionRequest.id == refused.id).execute()
    html = client.get("/records/deletions").get_data(as_text=True)
    assert html.index("Refused or overdue") < html.index("Refusing Person") < html.index(
        "All others") < html.index("Fine Person")


def test_staff_see_only_their_own_requests(app, client, teacher, other_teacher):
    with app.app_context():
        theirs = make_deletion_request(other_teacher, person_name="Not Mine")
    sign_in_as(client, teacher)
    assert "Not Mine" not in client.get("/records/deletions").get_data(as_text=True)
    assert client.get(f"/records/deletions/{theirs.public_id}").status_code == 404


def test_a_request_on_a_restricted_breach_is_as_restricted_as_the_breach(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher, subject_kind="staff", category="pupil_contact")
        request = make_deletion_request(teacher, breach=breach)
    sign_in_as(client, dsl)
    assert client.get(f"/records/deletions/{request.public_id}").status_code == 404


def test_viewing_a_request_is_audited(app, client, teacher):
    with app.app_context():
        request = make_deletion_request(teacher)
    sign_in_as(client, teacher)
    client.get(f"/records/deletions/{request.public_id}")
    with app.app_context():
        assert AuditEvent.get(AuditEvent.action == "deletion_request.viewed").record_id == str(
            request.public_id)


def test_the_person_asked_can_be_picked_from_todays_acceptances(app, client, teacher):
    with app.app_context():
        acceptance = make_acceptance(full_name="Picked Visitor")
    sign_in_as(client, teacher)
    fields = form_page(client, "/staff/deletions/new")
    assert "Picked Visitor" in client.get("/staff/deletions/new").get_data(as_text=True)
    client.post("/staff/deletions/new", data={**fields, "material": "photo", "person_name": "",
                                              "material_location": "device",
                                              "acceptance": str(acceptance.client_uuid)})
    [request] = rows(app)
    assert request.acceptance_id == acceptance.id and request.person_name == "Picked Visitor"


def test_the_dsls_list_and_counts_leave_out_requests_on_restricted_concerns(app, client, dsl, head,
                                                                          teacher):
    with app.app_context():
        about_staff = make_breach(teacher, subject_kind="staff", category="commercial",
                                  subject_name="Sam Staff")
        hidden = make_deletion_request(teacher, breach=about_staff, person_name="Hidden Person")
        shown = make_deletion_request(teacher, person_name="Shown Person")
        DeletionRequest.update(outcome="refused").where(
            DeletionRequest.id.in_([hidden.id, shown.id])).execute()
    sign_in_as(client, dsl)
    assert "<strong>1</strong> deletion request refused or overdue" in client.get(
        "/staff/").get_data(as_text=True)
    html = client.get("/records/deletions").get_data(as_text=True)
    assert "Shown Person" in html and "Hidden Person" not in html
    assert str(hidden.public_id) not in html
    sign_in_as(client, head)  # the head, who handles the concern, sees both
    assert "<strong>2</strong> deletion requests refused or overdue" in client.get(
        "/staff/").get_data(as_text=True)
    assert "Hidden Person" in client.get("/records/deletions").get_data(as_text=True)


# --- The rules themselves, each checked where a broken version would show -------------------------


def outcome_page(client, request, **data):
    url = f"/records/deletions/{request.public_id}"
    return client.post(url + "/outcome", data={**form_page(client, url), **data})


def test_an_outcome_that_is_not_one_of_the_choices_is_refused_beside_the_field(app, client,
                                                                              teacher):
    with app.app_context():
        request = make_deletion_request(teacher)
    sign_in_as(client, teacher)
    for outcome in ("pending", "hologram"):
        with nothing_written(app, allow=("deletion_request.viewed",)):
            response = outcome_page(client, request, outcome=outcome, note="Tried")
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "outcome") == "Please choose what happened."


def test_each_refused_outcome_says_why_in_words_and_writes_nothing(app, client, teacher):
    with app.app_context():
        on_device = make_deletion_request(teacher)
        online = make_deletion_request(teacher, material="post", material_location="online",
                                       link="https://social.example/2")
    sign_in_as(client, teacher)
    assert outcome_page(client, online, outcome="refused").status_code == 303
    with nothing_written(app, allow=("deletion_request.viewed",)):
        device_answer = outcome_page(client, on_device, outcome="confirmed_removed")
        again_answer = outcome_page(client, online, outcome="refused")
    assert field_error(device_answer.get_data(as_text=True), "outcome") == (
        "Only material online can be confirmed removed; choose 'Deleted in front of staff' for a "
        "device.")
    assert field_error(again_answer.get_data(as_text=True), "outcome") == (
        "It is already recorded as 'refused'.")
    assert device_answer.status_code == again_answer.status_code == 422


def test_an_outcome_keeps_its_note_in_the_requests_own_history_and_the_audit_says_what_changed(
        app, client, teacher):
    with app.app_context():
        request = make_deletion_request(teacher, material="post", material_location="online",
                                        link="https://social.example/3")
        other = make_deletion_request(teacher, person_name="Someone Else")
    sign_in_as(client, teacher)
    outcome_page(client, other, outcome="deleted_in_front", note="Other one.")
    outcome_page(client, request, outcome="refused", note="  Said no at the gate.  ")
    outcome_page(client, request, outcome="confirmed_removed", note="Checked: gone.")
    with app.app_context():
        from kiosk.deletions import history

        saved = DeletionRequest.get_by_id(request.id)
        assert saved.outcome_note == "Checked: gone."
        assert [(u.kind, u.old_value, u.new_value, u.text, u.author.display_name)
                for u in history(saved)] == [
            ("outcome", "pending", "refused", "Said no at the gate.", teacher.display_name),
            ("outcome", "refused", "confirmed_removed", "Checked: gone.", teacher.display_name)]
        events = [(e.record_kind, e.record_id, e.detail) for e in AuditEvent.select().where(
            AuditEvent.action == "deletion_request.outcome").order_by(AuditEvent.id)][1:]
        assert events == [
            ("deletion_request", str(request.public_id), '{"new": "refused", "old": "pending"}'),
            ("deletion_request", str(request.public_id),
             '{"new": "confirmed_removed", "old": "refused"}')]
    html = client.get(f"/records/deletions/{request.public_id}").get_data(as_text=True)
    assert "Said no at the gate." in html and "Other one." not in html


def test_history_is_in_the_order_things_happened_even_when_ids_are_not(app, teacher):
    with app.app_context():
        from kiosk.deletions import history

        request = make_deletion_request(teacher)
        now = utcnow()
        later = RecordUpdate.create(deletion_request=request, author=teacher, kind="note",
                                    text="Second", at=now)
        RecordUpdate.create(deletion_request=request, author=teacher, kind="note", text="First",
                            at=now - dt.timedelta(minutes=5))
        RecordUpdate.create(deletion_request=request, author=teacher, kind="note", text="Also second",
                            at=later.at)
        assert [u.text for u in history(request)] == ["First", "Second", "Also second"]


def test_a_request_records_the_link_and_the_audit_names_who_asked(app, teacher):
    with app.app_context():
        request = make_deletion_request(teacher, material="post", material_location="online",
                                        link="https://social.example/4")
        assert DeletionRequest.get_by_id(request.id).link == "https://social.example/4"
        event = AuditEvent.get(AuditEvent.action == "deletion_request.created")
        assert (event.actor_id, event.record_kind, event.record_id) == (
            teacher.id, "deletion_request", str(request.public_id))


def test_the_same_key_is_the_same_request_and_other_content_under_it_is_a_conflict(app, teacher):
    import uuid

    import pytest

    from kiosk.deletions import DeletionDetails, request_deletion
    from kiosk.idempotency import Conflict

    details = DeletionDetails(client_uuid=uuid.uuid4(), material="photo", material_location="device",
                              asked_at=utcnow(), person_name="Pat")
    with app.app_context():
        first, created = request_deletion(teacher, details, "hash-a")
        again, created_again = request_deletion(teacher, details, "hash-a")
        assert (created, created_again, again.id) == (True, False, first.id)
        with pytest.raises(Conflict):
            request_deletion(teacher, details, "hash-b")
        assert DeletionRequest.select().count() == 1


def test_overdue_starts_the_moment_after_the_deadline_shown(app, teacher):
    from kiosk.deletions import needs_attention

    with app.app_context():
        asked = utcnow() - dt.timedelta(days=2)
        device = make_deletion_request(teacher, asked_at=asked)
        online = make_deletion_request(teacher, material="post", material_location="online",
                                       link="https://social.example/5", asked_at=asked)
        second = dt.timedelta(seconds=1)
        device_due, online_due = asked + dt.timedelta(hours=2), asked + dt.timedelta(hours=24)
        assert (device.due_by, online.due_by) == (device_due, online_due)  # no grace on top
        assert not is_overdue(device, device_due) and is_overdue(device, device_due + second)
        assert not is_overdue(online, online_due) and is_overdue(online, online_due + second)
        assert not needs_attention(online, online_due) and needs_attention(online, online_due + second)
        for outcome in ("refused", "not_done"):
            online.outcome = outcome
            assert needs_attention(online, asked)
        online.outcome = "confirmed_removed"
        assert not needs_attention(online, online_due + second)
