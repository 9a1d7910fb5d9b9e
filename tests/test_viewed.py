"""Every render of a record is audited as a view of it, whatever the status code (issue 13,
finding 5): a page shown again with a form's errors shows the whole record, like the GET."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import viewed
from kiosk.models import AuditEvent, StaffUser, WelfareTask

from .helpers import (
    form_page,
    hidden_fields,
    make_allegation,
    make_breach,
    make_deletion_request,
    sign_in_as,
)
from .test_access import MATRIX, ROLES, world  # noqa: F401  (the fixture: the records and users)

VIEW_EVENTS = ("breach.viewed", "deletion_request.viewed", "welfare_task.viewed")


def _last_id(app) -> int:
    with app.app_context():
        last = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first()
    return last.id if last else 0


def _views_since(app, last: int) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(e.action, e.actor_id, e.record_id) for e in AuditEvent.select().where(
            (AuditEvent.id > last) & AuditEvent.action.in_(VIEW_EVENTS)).order_by(AuditEvent.id)]


# The four re-rendered pages the outside test found unaudited -------------------------------------

def test_a_failed_status_change_is_a_view_of_the_breach(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    last = _last_id(app)
    response = client.post(f"/records/breaches/{breach.public_id}/status",
                           data={**fields, "status": "closed", "note": ""})  # closing needs a note
    assert response.status_code == 422
    assert _views_since(app, last) == [("breach.viewed", dsl.id, str(breach.public_id))]


def test_an_empty_note_is_a_view_of_the_breach(app, client, dsl, teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, dsl)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    last = _last_id(app)
    response = client.post(f"/records/breaches/{breach.public_id}/notes",
                           data={**fields, "kind": "note", "text": "   "})
    assert response.status_code == 422
    assert _views_since(app, last) == [("breach.viewed", dsl.id, str(breach.public_id))]


def test_a_bad_lado_date_is_a_view_of_the_breach(app, client, head, teacher):
    with app.app_context():
        breach = make_allegation(teacher)
    sign_in_as(client, head)
    fields = form_page(client, f"/records/breaches/{breach.public_id}")
    last = _last_id(app)
    response = client.post(f"/records/breaches/{breach.public_id}/lado",
                           data={**fields, "referred_at": "the 40th of Smarch"})
    assert response.status_code == 422
    assert _views_since(app, last) == [("breach.viewed", head.id, str(breach.public_id))]


def test_a_bad_deletion_outcome_is_a_view_of_the_request(app, client, teacher):
    with app.app_context():
        request = make_deletion_request(teacher)
    sign_in_as(client, teacher)
    url = f"/records/deletions/{request.public_id}"
    fields = form_page(client, url)
    last = _last_id(app)
    response = client.post(f"{url}/outcome", data={**fields, "outcome": "hologram"})
    assert response.status_code == 422
    assert _views_since(app, last) == [
        ("deletion_request.viewed", teacher.id, str(request.public_id))]


def test_the_deletion_form_sent_back_shows_its_breach_again_and_is_a_view_of_it(app, client,
                                                                                 teacher):
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, teacher)
    fields = form_page(client, f"/staff/deletions/new?breach={breach.public_id}")
    last = _last_id(app)
    response = client.post("/staff/deletions/new", data={**fields, "material": ""})
    assert response.status_code == 422
    assert _views_since(app, last) == [("breach.viewed", teacher.id, str(breach.public_id))]


# Every record page in the access matrix ----------------------------------------------------------

RECORDS = ("breach", "restricted", "about_head", "allegation", "low_level", "conduct",
           "about_head_allegation", "task", "head_task", "deletion", "restricted_deletion")


def _record_of(template: str) -> str | None:
    """The record a row of the matrix opens or acts on, by its placeholder."""
    found = re.search(r"\{(\w+)\}", template)
    return found.group(1) if found and found.group(1) in RECORDS else None


RECORD_ROWS = [row for row in MATRIX if _record_of(row[2]) and not row[2].startswith("/admin/")]


def test_every_render_of_a_record_page_in_the_matrix_is_a_view_and_no_refusal_is(app, world):  # noqa: F811
    """Each role opens each record's page and sends each of its forms empty: every 200 and
    every 422 writes one view event naming who and the record shown (a welfare task's case
    manager's forms show its concern); a 403, 404 or a sign-in page writes none."""
    renders, refusals = 0, 0
    for role in ROLES:
        client = app.test_client()
        user = None
        if role != "anonymous":
            with app.app_context():
                user = StaffUser.get_by_id(world["users"][role].id)
            sign_in_as(client, user)
        token = hidden_fields(client.get("/accept").get_data(as_text=True))["csrf_token"]
        for endpoint, method, template, expected in RECORD_ROWS:
            name = _record_of(template)
            path = template.format(**{k: v for k, v in world.items() if k != "users"})
            last = _last_id(app)
            response = (client.get(path) if method == "GET"
                        else client.post(path, data={"csrf_token": token}))
            response.close()
            assert response.status_code == expected[role], (role, method, path)
            views = _views_since(app, last)
            where = f"{role} {method} {path} ({endpoint}): {response.status_code}"
            if response.status_code in (200, 422):
                shown = {str(world[name])}
                if name in ("task", "head_task"):  # the case manager's forms show the concern
                    with app.app_context():
                        task = WelfareTask.get(WelfareTask.public_id == world[name])
                        shown.add(str(task.breach.public_id))
                assert len(views) == 1, f"{where} wrote {views}"
                _, actor, record = views[0]
                assert (actor, record in shown) == (user.id, True), f"{where} wrote {views}"
                renders += 1
            else:
                assert views == [], f"{where} wrote {views}"
                refusals += 1
    assert renders >= 40 and refusals >= 100  # the walk reached both sides


# A new page that shows a record whole is named in kiosk/viewed.py -------------------------------

# The pages under records/ that list records (each audits what it showed in its own view) and
# the parts other pages include.
LISTS = {"concerns.html", "deletions.html", "low_level_log.html", "welfare_list.html"}


def test_every_record_page_is_named_where_its_renders_are_audited():
    folder = Path(__file__).resolve().parent.parent / "templates" / "records"
    pages = {p.name for p in folder.glob("*.html") if not p.name.startswith("_")}
    assert pages - LISTS == {name.removeprefix("records/") for name in viewed.RECORD_PAGES
                             if name.startswith("records/")}


@pytest.mark.parametrize("role", ["dsl", "head"])
def test_the_get_of_a_record_is_still_one_view(app, client, teacher, role, request):
    viewer = request.getfixturevalue(role)
    with app.app_context():
        breach = make_breach(teacher)
    sign_in_as(client, viewer)
    last = _last_id(app)
    assert client.get(f"/records/breaches/{breach.public_id}").status_code == 200
    assert _views_since(app, last) == [("breach.viewed", viewer.id, str(breach.public_id))]
