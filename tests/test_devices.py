"""Kiosk devices (issue 16): the head adds a tablet and gets a pairing code; the tablet pairs
itself with it; its acceptances record it; it reports in; the head sees it and can remove it."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from kiosk import devices
from kiosk.models import Acceptance, AuditEvent, KioskDevice, utcnow

from .helpers import field_error, form_page, nothing_written, sign_in_as


def add_device(app, client, head, name="Entrance tablet") -> tuple[KioskDevice, str]:
    """The head adds a device on their desk; returns it and the code the page showed."""
    sign_in_as(client, head)
    data = form_page(client, "/admin/devices")
    data["name"] = name
    response = client.post("/admin/devices", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = re.search(r'class="pairing-code__digits"[^>]*>(\d{3}) (\d{3})<', html)
    with app.app_context():
        device = KioskDevice.get(KioskDevice.name == name)
    return device, code.group(1) + code.group(2)


def pair(app, tablet, code: str):
    data = form_page(tablet, "/kiosk/pair")
    data["code"] = code
    return tablet.post("/kiosk/pair", data=data)


def accept_on(app, tablet) -> int | None:
    """Someone accepts the policy on this browser; the device their acceptance names (its id).
    Outside any app context of the test's: each request has its own, as in the server."""
    data = form_page(tablet, "/accept?channel=kiosk")
    data.update(full_name="Vera Visitor", role="visitor", accept="y")
    response = tablet.post("/accept", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    with app.app_context():
        return Acceptance.get(Acceptance.client_uuid == uuid.UUID(data["client_uuid"])).device_id


def test_the_head_adds_a_device_and_is_shown_a_six_digit_code_kept_only_as_a_keyed_hash(
        app, client, head):
    device, code = add_device(app, client, head)
    assert len(code) == 6 and code.isdigit()
    assert device.pairing_code_hash and code not in device.pairing_code_hash
    assert device.pairing_expires_at - utcnow() > dt.timedelta(minutes=9)
    assert device.credential_hash is None and device.paired_at is None
    listed = client.get("/admin/devices").get_data(as_text=True)
    assert "Entrance tablet" in listed and "Not paired yet" in listed
    assert code not in listed  # shown once, when it was made


def test_the_tablet_pairs_with_the_code_and_its_acceptances_name_it(app, client, head):
    device, code = add_device(app, client, head)
    tablet = app.test_client()
    response = pair(app, tablet, f"{code[:3]} {code[3:]}")  # typed with a space, as shown
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{devices.COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Max-Age=" in cookie
    with app.app_context():
        paired = KioskDevice.get_by_id(device.id)
        assert paired.paired_at is not None and paired.credential_hash
        assert paired.pairing_code_hash == ""  # used up
        assert AuditEvent.select().where(AuditEvent.action == "device.paired").count() == 1
    assert accept_on(app, tablet) == device.id
    assert accept_on(app, app.test_client()) is None  # someone's own phone is no device


def test_the_api_records_the_device_too(app, client, head):
    """The outbox sends an acceptance made offline through the API, with the tablet's cookie."""
    device, code = add_device(app, client, head)
    tablet = app.test_client()
    pair(app, tablet, code)
    with app.app_context():
        from kiosk.models import PolicyVersion
        number = PolicyVersion.current().number
    key = str(uuid.uuid4())
    response = tablet.post("/api/v1/acceptances", json={
        "full_name": "Olive Offline", "role": "visitor", "accept": True, "channel": "kiosk",
        "policy_version": number, "accepted_at": utcnow().isoformat() + "Z"},
        headers={"Idempotency-Key": key, "X-Kiosk-Client": "outbox"})
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert Acceptance.get(Acceptance.client_uuid == uuid.UUID(key)).device_id == device.id


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_a_code_that_is_not_six_digits_is_refused_beside_the_field(app, typed):
    tablet = app.test_client()
    with nothing_written(app):
        response = pair(app, tablet, typed)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "code")
    assert "Set-Cookie" not in response.headers or devices.COOKIE not in response.headers[
        "Set-Cookie"]


def test_a_wrong_or_expired_code_pairs_nothing(app, client, head):
    device, code = add_device(app, client, head)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    tablet = app.test_client()
    with nothing_written(app):
        response = pair(app, tablet, wrong)
    assert response.status_code == 422
    assert "That code is not right" in field_error(response.get_data(as_text=True), "code")
    with app.app_context():
        KioskDevice.update(pairing_expires_at=utcnow() - dt.timedelta(seconds=1)).where(
            KioskDevice.id == device.id).execute()
    with nothing_written(app):
        assert pair(app, tablet, code).status_code == 422
    with app.app_context():
        assert KioskDevice.get_by_id(device.id).paired_at is None


def test_a_code_works_once(app, client, head):
    _device, code = add_device(app, client, head)
    assert pair(app, app.test_client(), code).status_code == 303
    assert pair(app, app.test_client(), code).status_code == 422


def test_too_many_tries_from_one_address_are_refused(app):
    tablet = app.test_client()
    statuses = [pair(app, tablet, "000000").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_a_removed_device_stops_at_its_next_request(app, client, head):
    device, code = add_device(app, client, head)
    tablet = app.test_client()
    pair(app, tablet, code)
    data = form_page(client, "/admin/devices")
    response = client.post(f"/admin/devices/{device.public_id}/revoke",
                           data={"csrf_token": data["csrf_token"]})
    assert response.status_code == 303
    # The tablet's next request: not recognised, and told to forget its cookie.
    response = tablet.get("/")
    assert f"{devices.COOKIE}=;" in response.headers["Set-Cookie"]
    assert "data-kiosk-device" not in response.get_data(as_text=True)
    with app.app_context():
        assert KioskDevice.get_by_id(device.id).credential_hash is None
    assert accept_on(app, tablet) is None
    listed = client.get("/admin/devices").get_data(as_text=True)
    assert "Removed" in listed


def test_pairing_again_replaces_the_credential(app, client, head):
    device, code = add_device(app, client, head)
    old_tablet, new_tablet = app.test_client(), app.test_client()
    pair(app, old_tablet, code)
    data = form_page(client, "/admin/devices")
    html = client.post(f"/admin/devices/{device.public_id}/code",
                       data={"csrf_token": data["csrf_token"]}).get_data(as_text=True)
    again = "".join(re.search(r'pairing-code__digits"[^>]*>(\d{3}) (\d{3})<', html).groups())
    assert pair(app, new_tablet, again).status_code == 303
    assert accept_on(app, new_tablet) == device.id
    assert accept_on(app, old_tablet) is None


def test_a_paired_tablet_reports_its_version_and_what_waits_to_send(app, client, head):
    device, code = add_device(app, client, head)
    tablet = app.test_client()
    pair(app, tablet, code)
    home = tablet.get("/").get_data(as_text=True)
    assert 'data-kiosk-device="Entrance tablet"' in home and "js/device.js" in home
    token = re.search(r'data-report-token="([^"]+)"', home).group(1)
    release = re.search(r'data-release="([^"]+)"', home).group(1)
    response = tablet.post("/kiosk/report", data={"csrf_token": token, "version": release,
                                                  "waiting": "3"})
    assert response.status_code == 204
    with app.app_context():
        reported = KioskDevice.get_by_id(device.id)
        assert (reported.app_version, reported.waiting_count) == (release, 3)
    listed = client.get("/admin/devices").get_data(as_text=True)
    assert "3 records waiting to send" in listed and "up to date" in listed
    with nothing_written(app):
        bad = tablet.post("/kiosk/report", data={"csrf_token": token, "waiting": "-1"})
    assert bad.status_code == 400
    # Nothing but a paired tablet reports.
    phone = app.test_client()
    assert phone.post("/kiosk/report", data={"csrf_token": token, "waiting": "0"}
                      ).status_code in (400, 404)


def test_a_device_not_seen_for_longer_than_the_set_hours_is_flagged(app, client, head):
    _device, code = add_device(app, client, head)
    pair(app, app.test_client(), code)
    quiet, _ = add_device(app, client, head, "Nursery door")
    with app.app_context():
        KioskDevice.update(paired_at=utcnow() - dt.timedelta(days=3),
                           last_seen_at=utcnow() - dt.timedelta(hours=25)).where(
            KioskDevice.id == quiet.id).execute()
    listed = client.get("/admin/devices").get_data(as_text=True)
    assert listed.count("Not seen for more than 24 hours") == 1
    assert listed.index("Not seen for more than") > listed.index("Nursery door")
    data = form_page(client, "/admin/devices")
    data["hours"] = "48"
    assert client.post("/admin/devices/silent", data=data).status_code == 303
    assert "Not seen for more than" not in client.get("/admin/devices").get_data(as_text=True)


@pytest.mark.parametrize("hours", ["0", "337", "soon"])
def test_the_quiet_hours_must_be_1_to_336(app, client, head, hours):
    sign_in_as(client, head)
    data = form_page(client, "/admin/devices")
    data["hours"] = hours
    with nothing_written(app):
        response = client.post("/admin/devices/silent", data=data)
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "hours")


def test_a_device_needs_a_name(app, client, head):
    sign_in_as(client, head)
    data = form_page(client, "/admin/devices")
    data["name"] = "  "
    with nothing_written(app):
        response = client.post("/admin/devices", data=data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name") == "Please give the device a name."


def test_an_unknown_device_is_a_404(app, client, head):
    sign_in_as(client, head)
    token = form_page(client, "/admin/devices")["csrf_token"]
    for path in (f"/admin/devices/{uuid.uuid4()}/revoke", "/admin/devices/not-a-uuid/code"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404


def test_every_page_on_a_paired_tablet_is_the_kiosks(app, client, head):
    """A QR code's address opened on the tablet must not offer the last person's name."""
    _device, code = add_device(app, client, head)
    tablet, phone = app.test_client(), app.test_client()
    pair(app, tablet, code)
    on_tablet = tablet.get("/accept?channel=phone").get_data(as_text=True)
    assert 'name="channel" type="hidden" value="kiosk"' in on_tablet
    assert re.search(r'id="full_name"[^>]*autocomplete="off"|autocomplete="off"[^>]*id="full_name"',
                     on_tablet)
    on_phone = phone.get("/accept?channel=phone").get_data(as_text=True)
    assert 'name="channel" type="hidden" value="phone"' in on_phone


def test_pairing_over_a_removed_devices_cookie_keeps_the_new_one(app, client, head):
    """The pair page opened before the head removed the tablet and added it again: the old
    cookie's clearing must not undo the new credential in the same answer."""
    device, code = add_device(app, client, head)
    tablet = app.test_client()
    pair(app, tablet, code)
    data = form_page(client, "/admin/devices")
    client.post(f"/admin/devices/{device.public_id}/revoke", data={"csrf_token": data["csrf_token"]})
    form = form_page(tablet, "/kiosk/pair")  # the cookie is still the removed device's
    _again, new_code = add_device(app, client, head, "Entrance tablet again")
    tablet.set_cookie(devices.COOKIE, "the-removed-devices-old-token")
    form["code"] = new_code
    response = tablet.post("/kiosk/pair", data=form)
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert [c for c in cookies if c.startswith(f"{devices.COOKIE}=")] and not [
        c for c in cookies if c.startswith(f"{devices.COOKIE}=;")]
    assert 'data-kiosk-device="Entrance tablet again"' in tablet.get("/").get_data(as_text=True)


def test_pairing_signs_out_a_member_of_staff_on_that_browser(app, client, head):
    _device, code = add_device(app, client, head)  # signed in as the head, on the tablet
    assert pair(app, client, code).status_code == 303
    assert client.get("/staff/").status_code == 302  # sent to sign in


@pytest.mark.parametrize("typed", ["１２３４５６", "١٢٣٤٥٦"])
def test_digits_from_other_keyboards_are_read_as_digits(app, client, head, typed):
    device, code = add_device(app, client, head)
    zero = ord(typed[0]) - 1  # that keyboard's 0 (its 1 is the first character)
    as_typed = "".join(chr(zero + int(d)) for d in code)  # the code as that keyboard types it
    assert pair(app, app.test_client(), as_typed).status_code == 303
    with app.app_context():
        assert KioskDevice.get_by_id(device.id).paired_at is not None


def test_the_start_screen_of_a_paired_tablet_does_not_reload_itself(app, client, head):
    _device, code = add_device(app, client, head)
    tablet = app.test_client()
    pair(app, tablet, code)
    home = tablet.get("/").get_data(as_text=True)
    assert "data-idle-seconds" not in home
    policy = tablet.get("/policy?channel=kiosk").get_data(as_text=True)
    assert policy.count("data-idle-seconds") == 1
    phone_policy = tablet.get("/policy?channel=phone").get_data(as_text=True)
    assert phone_policy.count("data-idle-seconds") == 1  # the kiosk's, on a paired tablet
