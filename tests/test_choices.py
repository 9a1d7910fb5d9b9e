"""Every field that offers a fixed list refuses anything else with its own words beside it, and
writes nothing: a tampered or stale form never reaches the database."""

from __future__ import annotations

import pytest

from .helpers import field_error, form_page, nothing_written, sign_in_as

GOOD_ACCOUNT = {"display_name": "New Teacher", "email": "new.teacher@westacre.sch.uk"}
GOOD_ROSTER = {"full_name": "Vera Volunteer", "email": "vera@example.org"}
GOOD_CATEGORY = {"label": "Filming on school trips", "active": "y"}
GOOD_DELETION = {"material": "photo", "person_name": "Sam Parent"}


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("url", "good", "field", "value", "message"), [
    ("/admin/staff", GOOD_ACCOUNT, "role", "chair", "Please choose a role."),
    ("/admin/staff", GOOD_ACCOUNT, "role", "superuser", "Please choose a role."),
    ("/admin/roster", GOOD_ROSTER, "role", "visitor", "Please choose a role."),
    ("/admin/categories/new", GOOD_CATEGORY, "material", "hologram", "Please choose from the list."),
    ("/staff/deletions/new", GOOD_DELETION, "material_location", "in a drawer",
     "Please choose where it is."),
], ids=["account-chair", "account-unknown", "roster-visitor", "category-material",
        "deletion-location"])
def test_a_value_that_is_not_offered_is_refused_beside_its_field(app, client, head, url, good,
                                                                  field, value, message):
    sign_in_as(client, head)
    fields = {**form_page(client, url), **good, field: value}
    with nothing_written(app):
        response = client.post(url, data=fields)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message


@pytest.mark.parametrize(("form_url", "post_url"), [
    ("/staff/breaches/new?who=visitor&category=photographing", "/staff/breaches"),
    ("/staff/deletions/new", "/staff/deletions/new")], ids=["breach", "deletion-request"])
def test_a_staff_form_whose_uuid_was_tampered_with_is_refused(app, client, teacher, form_url,
                                                             post_url):
    sign_in_as(client, teacher)
    fields = {**form_page(client, form_url), **GOOD_DELETION, "material_location": "device",
              "client_uuid": "not-a-uuid"}
    with nothing_written(app):
        response = client.post(post_url, data=fields)
    assert response.status_code == 422
    assert "This form was damaged; please start again." in response.get_data(as_text=True)
