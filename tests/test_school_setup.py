"""The school's first day: the set-up screen, its pictures, the privacy notice, the ways in for
staff, and what a first visit is (not) told."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from PIL import Image

from kiosk import retention
from kiosk.accounts import setup_token
from kiosk.display import long_date
from kiosk.models import AuditEvent, PolicyVersion, SchoolImage, SchoolSettings, utcnow
from kiosk.school import MAX_UPLOAD_BYTES

from .helpers import PASSWORD, form_page, nothing_written, set_up_second_step, sign_in_as

GOOD = {"school_name": "Westacre Infant School", "dsl_name": "Dee Safeguard",
        "public_url": "https://kiosk.westacre.sch.uk", "thanks_next_step": "Please sign the book.",
        "privacy_contact": "office@westacre.sch.uk\n01234 567890"}


def a_date_ahead(days: int = 200) -> str:
    return (utcnow().date() + dt.timedelta(days=days)).isoformat()


def a_date_past(days: int = 1) -> str:
    return (utcnow().date() - dt.timedelta(days=days)).isoformat()


def picture(fmt: str = "PNG", size=(1200, 900), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128)[: len(mode)]).save(out, format=fmt, **save)
    return out.getvalue()


def post_setup(client, **changes):
    fields = form_page(client, "/admin/setup")
    data = {**fields, **GOOD, "review_due": a_date_ahead(), **changes}
    return client.post("/admin/setup", data=data, content_type="multipart/form-data")


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"><span class="visually-hidden">Error:</span> ([^<]*)<', html)
    return unescape(match.group(1)) if match else ""


@pytest.fixture(autouse=True)
def large_uploads_in_memory(monkeypatch):
    """Werkzeug's test client spools a large form to a temporary file it never closes; keep it in
    memory instead, so the test's leak is not mistaken for the app's."""
    import functools

    import werkzeug.test

    monkeypatch.setattr(werkzeug.test, "stream_encode_multipart", functools.partial(
        werkzeug.test.stream_encode_multipart, use_tempfile=False))


# The set-up screen -----------------------------------------------------------------------------

def test_the_first_account_goes_straight_to_the_set_up_screen(app, client):
    token = setup_token(app.config["SECRET_KEY"])
    fields = form_page(client, f"/setup?token={token}")
    response = client.post("/setup", data={**fields, "display_name": "A Edmunds",
                                           "email": "head@westacre.sch.uk",
                                           "password": PASSWORD, "confirm": PASSWORD})
    # Two-step sign-in is set up first: until then the head is not signed in.
    assert response.headers["Location"] == "/signin/set-up"
    assert client.get("/admin/setup").status_code == 302
    set_up_second_step(client)
    html = client.get("/admin/setup").get_data(as_text=True)
    assert "Set up the kiosk for your school" in html


def test_the_head_is_asked_to_finish_set_up_until_it_is_saved(client, head, dsl, teacher):
    for user in (dsl, teacher):
        sign_in_as(client, user)
        assert "Finish setting up the kiosk" not in client.get("/staff/").get_data(as_text=True)
    sign_in_as(client, head)
    assert "Finish setting up the kiosk" in client.get("/staff/").get_data(as_text=True)
    assert post_setup(client).status_code == 303
    html = client.get("/staff/").get_data(as_text=True)
    assert "Finish setting up the kiosk" not in html and "School set-up" in html


def test_saving_set_up_changes_what_visitors_see(app, client, head):
    sign_in_as(client, head)
    due = a_date_ahead(300)
    response = post_setup(client, school_name="Westacre Infants", review_due=due)
    assert response.status_code == 303
    with app.app_context():
        row = SchoolSettings.get()
        assert (row.school_name, row.dsl_name, row.public_url) == (
            "Westacre Infants", "Dee Safeguard", "https://kiosk.westacre.sch.uk")
        assert row.completed_at is not None
        assert PolicyVersion.current().review_due.isoformat() == due
        event = AuditEvent.select().where(AuditEvent.action == "school.setup_saved").get()
        assert "review_due" in event.detail and "dsl_name" in event.detail
    visitor = app.test_client()
    home = visitor.get("/").get_data(as_text=True)
    assert "Welcome to Westacre Infants" in home
    assert "https://kiosk.westacre.sch.uk/phone" in home  # the QR code's address
    policy = visitor.get("/policy").get_data(as_text=True)
    assert "Dee Safeguard" in policy.split("Continue to accept")[0]
    accept_fields = form_page(visitor, "/accept?channel=phone")
    visitor.post("/accept", data={**accept_fields, "full_name": "Ann Visitor", "role": "visitor",
                                  "accept": "y"})
    thanks = visitor.get("/thanks?channel=phone").get_data(as_text=True)
    assert "Thank you, Ann Visitor" in thanks
    assert "Please sign the book." in thanks and "Dee Safeguard" in thanks


def test_before_set_up_the_thank_you_asks_for_the_office(client):
    fields = form_page(client, "/accept?channel=kiosk")
    client.post("/accept", data={**fields, "full_name": "Ann Visitor", "role": "visitor",
                                 "accept": "y"})
    html = client.get("/thanks?channel=kiosk").get_data(as_text=True)
    assert "Please show this screen at the office." in html
    assert "Worried about a child?" not in html  # no DSL named yet: no empty card


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"school_name": ""}, "school_name", "Please enter the school's name."),
    ({"dsl_name": "  "}, "dsl_name", "Please enter the name of your Designated Safeguarding Lead."),
    ({"public_url": "kiosk.westacre"}, "public_url", "Please enter the full address phones open"),
    ({"public_url": "https://kiosk.westacre.sch.uk/?x=1"}, "public_url", "Please enter the full"),
    ({"review_due": ""}, "review_due", "Please give the date the policy is next due for review."),
    ({"review_due": a_date_past()}, "review_due", "Please give a date from today onwards"),
    ({"review_due": "31/02/2027"}, "review_due", "Not a valid date value."),
    ({"thanks_next_step": "x" * 201}, "thanks_next_step", "Please keep this under 200 characters."),
    ({"privacy_contact": "a\x01b"}, "privacy_contact", "Please use letters, numbers and punctuation"),
    ({"school_name": "Westacre\u2029Infant School"}, "school_name",
     "Please use letters, numbers and punctuation"),  # it is in every reminder's subject line
])
def test_bad_set_up_is_refused_beside_its_field_and_nothing_is_saved(app, client, head, changes,
                                                                     field, message):
    sign_in_as(client, head)
    with nothing_written(app):  # opening the form writes nothing either
        response = post_setup(client, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_beside(html, field).startswith(message)
    assert f'href="#{field}"' in html.split('id="error-summary"')[1].split("</div>")[0]
    with app.app_context():
        assert SchoolSettings.select().count() == 0
        assert PolicyVersion.current().review_due is None
        assert not AuditEvent.select().where(AuditEvent.action == "school.setup_saved").exists()


# Pictures ------------------------------------------------------------------------------------

def test_a_photo_is_shrunk_and_stripped_of_its_metadata(app, client, head):
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x0132] = "2026:11:25 09:00:00"  # DateTime
    raw = picture("JPEG", size=(2400, 1600), exif=exif.tobytes())
    assert Image.open(io.BytesIO(raw)).getexif()
    sign_in_as(client, head)
    response = post_setup(client, dsl_photo=(io.BytesIO(raw), "dee.jpg"))
    assert response.status_code == 303
    with app.app_context():
        stored = SchoolImage.get(SchoolImage.kind == "dsl_photo")
        digest = SchoolSettings.get().dsl_photo_digest
    assert stored.content_type == "image/jpeg" and stored.digest == digest
    kept = Image.open(io.BytesIO(bytes(stored.data)))
    assert max(kept.size) == 480 and not kept.getexif() and "exif" not in kept.info
    served = app.test_client().get(f"/school/dsl_photo?v={digest[:16]}")
    assert served.data == bytes(stored.data)
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert f"/school/dsl_photo?v={digest[:16]}" in app.test_client().get("/policy").get_data(
        as_text=True)


def test_a_logo_keeps_its_transparency_and_shows_on_kiosk_phone_and_poster(app, client, head):
    sign_in_as(client, head)
    response = post_setup(client, logo=(io.BytesIO(picture("PNG", mode="RGBA")), "logo.png"))
    assert response.status_code == 303
    with app.app_context():
        stored = SchoolImage.get(SchoolImage.kind == "logo")
        address = f"/school/logo?v={SchoolSettings.get().logo_digest[:16]}"
    logo = Image.open(io.BytesIO(bytes(stored.data)))
    assert (logo.format, logo.mode, max(logo.size)) == ("PNG", "RGBA", 600)
    visitor = app.test_client()
    for path in ("/", "/policy?channel=phone", "/accept?channel=phone", "/poster"):
        assert address in visitor.get(path).get_data(as_text=True), path


def test_removing_the_logo_and_saving_without_a_new_one_keeps_or_drops_it(app, client, head):
    sign_in_as(client, head)
    post_setup(client, logo=(io.BytesIO(picture()), "logo.png"))
    assert post_setup(client).status_code == 303  # no file chosen: the logo stays
    with app.app_context():
        assert SchoolImage.select().count() == 1
    assert post_setup(client, remove_logo="y").status_code == 303
    with app.app_context():
        assert SchoolImage.select().count() == 0 and SchoolSettings.get().logo_digest == ""
    assert client.get("/school/logo").status_code == 404
    assert "/school/logo" not in client.get("/").get_data(as_text=True)


@pytest.mark.one_database("a form's messages; nothing a database does")
@pytest.mark.parametrize(("upload", "message"), [
    (b"name,email\nAnn,ann@example.org\n", "Please choose a picture: a JPEG, PNG, GIF or WebP file."),
    (b"", "That file is empty: please choose a picture."),
    (b"\x89PNG\r\n\x1a\n" + b"broken" * 50, "Please choose a picture"),
    (picture("BMP"), "Please choose a picture: a JPEG, PNG, GIF or WebP file."),
])
@pytest.mark.parametrize("field", ["logo", "dsl_photo"])
def test_a_file_that_is_not_a_picture_is_refused_beside_its_field(app, client, head, upload,
                                                                  message, field):
    sign_in_as(client, head)
    with nothing_written(app):
        response = post_setup(client, **{field: (io.BytesIO(upload), "upload.png")})
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field).startswith(message)
    with app.app_context():
        assert SchoolImage.select().count() == 0 and SchoolSettings.select().count() == 0


def test_a_picture_over_5_mb_is_refused_beside_its_field(app, client, head):
    big = picture("PNG", size=(200, 200)) + b"\0" * MAX_UPLOAD_BYTES  # trailing bytes: still a PNG
    sign_in_as(client, head)
    with nothing_written(app):
        response = post_setup(client, logo=(io.BytesIO(big), "huge.png"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "logo") == (
        "That picture is too large: please choose one under 5 MB.")
    with app.app_context():
        assert SchoolImage.select().count() == 0


def test_a_picture_that_unpacks_to_gigapixels_is_refused(app, client, head):
    sign_in_as(client, head)
    bomb = picture("PNG", size=(10_000, 10_000), mode="1")  # 10 kB on disk, 100 megapixels
    with nothing_written(app):
        response = post_setup(client, logo=(io.BytesIO(bomb), "bomb.png"))
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), "logo").startswith(
        "That picture is too large")


def test_an_upload_far_too_large_to_read_gets_a_plain_page(app, client, head):
    sign_in_as(client, head)
    with nothing_written(app):
        response = post_setup(client, logo=(io.BytesIO(b"\0" * (12 * 1024 * 1024)), "huge.png"))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Those pictures were too large" in html and "under 5 MB each" in html
    with app.app_context():
        assert SchoolSettings.select().count() == 0


# The public address -----------------------------------------------------------------------------

@pytest.mark.parametrize(("public_url", "warning"), [
    ("", "No public address is set"),
    ("http://localhost:5000", "phones cannot open it"),
    ("http://127.0.0.1:5000", "phones cannot open it"),
    ("http://[::1]:5000", "phones cannot open it"),
    ("https://kiosk.westacre.sch.uk", None),
])
def test_the_poster_and_set_up_warn_when_phones_cannot_reach_the_address(
        app, client, head, public_url, warning):
    sign_in_as(client, head)
    assert post_setup(client, public_url=public_url).status_code == 303
    pages = [app.test_client().get("/poster", base_url="http://kiosk.local")]
    if public_url:  # the head's own page, opened on this (local) test address
        pages.append(client.get("/admin/setup"))
    for page in pages:
        html = unescape(page.get_data(as_text=True))
        if warning:
            assert warning in html
        else:
            assert "phones cannot open it" not in html and "No public address" not in html


def test_a_server_reached_on_loopback_warns_even_without_set_up(client):
    html = client.get("/poster", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert "The QR code points at http://127.0.0.1:5000, which only works" in html
    assert "phones cannot open it" in html


def test_the_address_set_on_the_server_counts_until_the_head_sets_one(tmp_path):
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.policies import seed_default_policy

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "KIOSK_PUBLIC_URL":
                      "https://kiosk.example.org"})
    with app.app_context():
        migrate_database()
        seed_default_policy()
    html = app.test_client().get("/poster").get_data(as_text=True)
    assert "https://kiosk.example.org/phone" in html and "Check the address" not in html


# The privacy notice -----------------------------------------------------------------------------

def test_the_privacy_notice_follows_the_retention_settings(app, client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "If you visit once: <strong>1 year</strong>" in html
    assert "<strong>6 years</strong>, and for as long as you are on the school" in html
    with app.app_context():
        retention.set_days("visitor_acceptances", 548)
        retention.set_days("deletion_requests", 90)
    html = client.get("/privacy").get_data(as_text=True)
    assert "If you visit once: <strong>18 months</strong>" in html
    assert "<strong>3 months</strong>" in html and "If you visit once: <strong>1 year" not in html


def test_the_privacy_notice_names_the_contact_the_head_gave(app, client, head):
    assert "The school office, in person or by phone." in client.get("/privacy").get_data(
        as_text=True)
    sign_in_as(client, head)
    post_setup(client)
    html = app.test_client().get("/privacy").get_data(as_text=True)
    assert "office@westacre.sch.uk\n01234 567890" in html
    assert "Article 6(1)(e)" in html and "Information Commissioner" in html


def test_the_accept_form_links_the_privacy_notice_beside_its_button(client):
    html = client.get("/accept?channel=kiosk").get_data(as_text=True)
    row = html.split('class="submit-row"')[1].split("</div>")[0]
    assert ">Accept</button>" in row and 'href="/privacy?channel=kiosk"' in row


@pytest.mark.parametrize(("days", "words"), [
    (30, "1 month"), (42, "6 weeks"), (90, "3 months"), (180, "6 months"), (365, "1 year"),
    (548, "18 months"), (730, "2 years"), (2190, "6 years"), (45, "45 days")])
def test_retention_periods_read_as_a_person_says_them(days, words):
    assert retention.in_words(days) == words


# Ways in for staff ------------------------------------------------------------------------------

def test_the_kiosk_home_has_a_small_staff_sign_in_link(client):
    html = client.get("/").get_data(as_text=True)
    assert '<p class="staff-link"><a href="/signin?channel=kiosk">Staff sign in</a></p>' in html


@pytest.mark.parametrize(("role", "goes_to"), [
    (None, "/signin"), ("staff", "/staff/"), ("head", "/staff/"), ("chair", "/admin/chair")])
def test_the_staff_start_address_opens_sign_in_or_the_staff_home(app, client, role, goes_to):
    if role:
        from .helpers import make_user
        with app.app_context():
            sign_in_as(client, make_user(role))
    assert client.get("/staff/start").headers["Location"] == goes_to


def test_staff_pages_name_a_manifest_that_starts_at_sign_in(client, teacher):
    assert 'href="/staff.webmanifest"' in client.get("/signin").get_data(as_text=True)
    assert 'href="/manifest.webmanifest"' in client.get("/").get_data(as_text=True)
    staff = client.get("/staff.webmanifest").get_json()
    kiosk = client.get("/manifest.webmanifest").get_json()
    assert (staff["start_url"], kiosk["start_url"]) == ("/staff/start", "/")
    assert staff["id"] != kiosk["id"]
    sign_in_as(client, teacher)
    assert 'href="/staff.webmanifest"' in client.get("/staff/").get_data(as_text=True)


# A first visit ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/phone", "/policy", "/accept", "/signin"])
def test_a_first_visit_is_given_no_cookie_to_mistake_for_a_wipe(client, path):
    cookies = client.get(path).headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith(("kiosk_waiting=", "kiosk_device="))]


def test_the_outbox_count_is_sent_back_from_the_server_so_it_lasts(client):
    client.set_cookie("kiosk_waiting", "3")
    cookie = client.get("/").headers["Set-Cookie"]
    assert cookie.startswith("kiosk_waiting=3;") and "Max-Age=34560000" in cookie
    assert "HttpOnly" not in cookie  # the outbox clears it once everything is sent
    client.set_cookie("kiosk_waiting", "x<script>")
    assert "kiosk_waiting" not in client.get("/").headers.get("Set-Cookie", "")


def test_the_service_worker_version_changes_with_the_set_up(app, client, head):
    def version() -> str:
        return re.search(r'const VERSION = "([0-9a-f]+)"', client.get("/sw.js").get_data(
            as_text=True)).group(1)

    before = version()
    sign_in_as(client, head)
    post_setup(client, logo=(io.BytesIO(picture()), "logo.png"))
    assert version() != before
    with app.app_context():
        address = f"/school/logo?v={SchoolSettings.get().logo_digest[:16]}"
    assert address in client.get("/sw.js").get_data(as_text=True)  # precached for offline


def test_the_review_date_shows_on_the_head_s_set_up_not_to_visitors(app, client, head):
    sign_in_as(client, head)
    due = utcnow().date() + dt.timedelta(days=100)
    post_setup(client, review_due=due.isoformat())
    assert f'value="{due.isoformat()}"' in client.get("/admin/setup").get_data(as_text=True)
    assert long_date(due) not in app.test_client().get("/policy").get_data(as_text=True)


def test_a_personal_link_survives_a_look_at_the_privacy_notice(app, client):
    from kiosk.roster import add_person

    with app.app_context():
        person = add_person("Gina Governor", "gina@example.org", "governor")
    html = client.get(f"/accept?token={person.token}").get_data(as_text=True)
    privacy_link = re.search(r'href="(/privacy\?[^"]+)"', html).group(1)
    assert f"token={person.token}" in unescape(privacy_link)
    privacy = client.get(unescape(privacy_link)).get_data(as_text=True)
    back = unescape(re.search(r'href="([^"]+)">Back to accepting the policy', privacy).group(1))
    assert back == f"/accept?token={person.token}"
    fields = form_page(client, back)
    client.post("/accept", data={**fields, "accept": "y"})
    with app.app_context():
        from kiosk.models import Acceptance
        row = Acceptance.get()
        assert (row.roster_person_id, row.channel) == (person.id, "link")


def test_saving_set_up_again_keeps_an_overdue_review_date_as_it_is(app, client, head):
    overdue = utcnow().date() - dt.timedelta(days=10)
    with app.app_context():
        PolicyVersion.update(review_due=overdue).execute()
    sign_in_as(client, head)
    assert post_setup(client, review_due=overdue.isoformat()).status_code == 303
    with app.app_context():
        assert PolicyVersion.current().review_due == overdue  # still flagged, not moved
    another_past_date = overdue - dt.timedelta(days=1)
    with nothing_written(app):  # the overdue date, and the rest of the set-up, as they were
        response = post_setup(client, school_name="Another Name",
                              review_due=another_past_date.isoformat())
    assert response.status_code == 422


def test_only_the_head_may_send_a_large_set_up_form(app, client, head, teacher):
    big = {"school_name": "x" * 100_000}
    with nothing_written(app):  # refused before anyone is looked at: not even audited
        assert client.post("/admin/setup", data=big).status_code == 413  # not even read
        sign_in_as(client, teacher)
        assert client.post("/admin/setup", data=big).status_code == 413
    sign_in_as(client, head)
    with nothing_written(app):
        response = post_setup(client, privacy_contact="x" * 70_000)
    assert response.status_code == 422  # read, and refused beside its field
    assert error_beside(response.get_data(as_text=True), "privacy_contact") == (
        "Please keep this under 1,000 characters.")


def test_the_service_worker_version_changes_with_the_retention_periods(app, client):
    before = re.search(r'const VERSION = "([0-9a-f]+)"', client.get("/sw.js").get_data(
        as_text=True)).group(1)
    with app.app_context():
        retention.set_days("visitor_acceptances", 730)
    after = re.search(r'const VERSION = "([0-9a-f]+)"', client.get("/sw.js").get_data(
        as_text=True)).group(1)
    assert before != after
