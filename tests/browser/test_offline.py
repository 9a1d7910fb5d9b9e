"""Offline in real Chromium: the kiosk and the staff iPad keep working, and everything they saved
reaches the server once, when the connection returns."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kiosk.models import Acceptance, Breach, BreachCategory, DeletionRequest, utcnow
from tests.live import LiveServer

from ..helpers import PASSWORD, make_policy, make_user
from .conftest import PHONE, TABLET, sign_in

# When a breach sent by hand happened: always in the past, whatever day the tests run.
YESTERDAY_AT_TEN = f"{utcnow().date() - dt.timedelta(days=1)}T10:00"

LANDSCAPE = {**TABLET, "viewport": {"width": 1366, "height": 1024}}
SMALL_PHONE = {**PHONE, "viewport": {"width": 320, "height": 640}}

ENV = {"KIOSK_THANKS_SECONDS": "5", "KIOSK_UPDATE_CHECK_SECONDS": "5"}


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path / "instance", ENV)
    live.start()
    yield live
    live.stop()


def wait_until(page, script: str, timeout: float = 15) -> None:
    """Poll a script in the page until it is true (wait_for_function would need eval, which the
    app's Content-Security-Policy rightly forbids)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if page.evaluate(script):
                return
        except PlaywrightError as error:
            # The page navigated while we asked: ask the new one. Anything else (a script
            # error, a missing function) fails at once with its own message.
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        time.sleep(0.1)
    state = page.evaluate("""() => navigator.serviceWorker.getRegistration().then(r => r ? {
        installing: !!r.installing, waiting: !!r.waiting, active: r.active && r.active.state,
        controller: !!navigator.serviceWorker.controller, url: location.href} : 'none')""")
    raise AssertionError(f"still false after {timeout} s: {script}; service worker: {state}")


def controlled(page) -> None:
    """Wait until the service worker has precached everything and controls the page."""
    wait_until(page, "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    ready(page)


def ready(page) -> None:
    """Wait until the page has checked its storage, shown its status and can send."""
    wait_until(page, "() => window.KioskOfflineReady && window.KioskOfflineReady.then(() => true)")


def all_sent(page, timeout: float = 10) -> None:
    """Wait until this device's outbox is empty; then nothing about sending is on the screen."""
    ready(page)  # the page may have just navigated: its outbox script may not have run yet
    wait_until(page, "() => KioskOutbox.all().then(entries => entries.length === 0)", timeout)
    expect(page.get_by_role("status").filter(has_text="waiting to send")).to_have_count(0)


def outbox_count(page) -> int:
    ready(page)
    return page.evaluate("KioskOutbox.all().then(entries => entries.length)")


def rows(server, model, *where):
    with server.database():
        return list(model.select().where(*where) if where else model.select())


def wait_for_rows(server, model, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(rows(server, model)) >= count:
            return rows(server, model)
        time.sleep(0.1)
    return rows(server, model)


def accept(page, name, role="Visitor"):
    page.get_by_label("Full name").fill(name)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").click()


def test_the_kiosk_accepts_offline_and_sends_exactly_once_when_back_online(server, new_context,
                                                                           assert_accessible):
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/")
    controlled(page)

    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    page.get_by_role("link", name="Read and accept the policy").click()
    expect(page.get_by_role("heading", name="What this means for you today")).to_be_visible()
    page.get_by_role("link", name="Continue to accept").click()
    before = utcnow()
    accept(page, "Offline Visitor")
    after = utcnow()
    expect(page.get_by_role("heading", name="Thank you, Offline Visitor")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 record waiting to send")).to_be_visible()
    assert_accessible(page)
    assert rows(server, Acceptance) == []
    # The kiosk goes home by itself, still offline, and still shows what is waiting.
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible(
        timeout=10_000)
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()

    # The thank-you showed for 5 seconds, so the server receives it clearly after it was accepted.
    context.set_offline(False)
    all_sent(page)
    [row] = wait_for_rows(server, Acceptance, 1)
    assert row.full_name == "Offline Visitor" and row.channel == "kiosk"
    assert before - dt.timedelta(seconds=1) <= row.accepted_at <= after + dt.timedelta(seconds=1)
    assert row.received_at > row.accepted_at + dt.timedelta(seconds=1)
    page.reload()
    ready(page)
    all_sent(page)
    assert len(rows(server, Acceptance)) == 1


def test_a_replayed_entry_and_a_double_tap_make_one_record_each(server, new_context):
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/accept?channel=kiosk")
    controlled(page)
    # A double tap on Accept.
    page.get_by_label("Full name").fill("Double Tapper")
    page.get_by_label("Visitor", exact=True).check()
    page.get_by_label("I have read and accept the policy").check()
    page.get_by_role("button", name="Accept").dblclick()
    expect(page.get_by_role("heading", name="Thank you, Double Tapper")).to_be_visible()
    ready(page)
    # The same entry replayed twice, at once, as a flaky connection might.
    page.evaluate("""async () => {
        const entry = await KioskOutbox.add({id: crypto.randomUUID(), kind: 'acceptance',
            url: '/api/v1/acceptances', body: {full_name: 'Replayed Visitor', role: 'visitor',
            accept: true, policy_version: '1', channel: 'kiosk',
            accepted_at: new Date().toISOString()}});
        await Promise.all([KioskOutbox.send(entry), KioskOutbox.send(entry)]);
        await KioskOutbox.send(entry);
    }""")
    # Every send has been answered (the evaluate awaited them) and nothing is left to send.
    all_sent(page)
    assert sorted(a.full_name for a in rows(server, Acceptance)) == [
        "Double Tapper", "Replayed Visitor"]


def test_two_hundred_acceptances_queued_offline_all_arrive_within_ten_seconds(server, new_context):
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/")
    controlled(page)
    context.set_offline(True)
    page.evaluate("""async () => {
        for (let n = 0; n < 200; n++) {
            await KioskOutbox.add({id: crypto.randomUUID(), kind: 'acceptance',
                url: '/api/v1/acceptances', body: {full_name: `Queued Visitor ${n}`,
                role: 'visitor', accept: true, policy_version: '1', channel: 'kiosk',
                accepted_at: new Date().toISOString()}});
        }
    }""")
    assert outbox_count(page) == 200
    started = time.monotonic()
    context.set_offline(False)
    arrived = wait_for_rows(server, Acceptance, 200, timeout=10)
    elapsed = time.monotonic() - started
    assert len(arrived) == 200 and elapsed < 10
    assert len({a.full_name for a in arrived}) == 200
    all_sent(page, timeout=5)


def log_breach_offline(page):
    page.get_by_role("link", name="Log a breach").click()
    expect(page.get_by_role("heading", name="Working offline")).to_be_visible()
    expect(page.get_by_text("Working offline as Teacher")).to_be_visible()
    page.get_by_label("Visitor", exact=True).check()
    page.get_by_label("Photographing or recording pupils or staff on a phone").check()
    page.get_by_label("Asked them to delete material").check()
    page.get_by_role("button", name="Save the breach on this iPad").click()
    expect(page.get_by_text("Saved on this iPad. It will be sent when the connection is back.")
           ).to_be_visible()
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()


@pytest.fixture
def teacher_ipad(server, new_context):
    """A teacher signed in on an iPad whose service worker is ready: (context, page, teacher)."""
    with server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk", display_name="Teacher One")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, server, teacher.email)
    controlled(page)
    return context, page, teacher


@pytest.mark.parametrize("session_expires", [False, True], ids=["signed-in", "session-expired"])
def test_a_teacher_logs_a_breach_offline_and_it_arrives_later(server, teacher_ipad,
                                                              assert_accessible, session_expires):
    context, page, teacher = teacher_ipad
    context.set_offline(True)
    log_breach_offline(page)
    assert_accessible(page)
    assert rows(server, Breach) == []
    if session_expires:
        context.clear_cookies()
    context.set_offline(False)
    if session_expires:
        status = page.get_by_role("status").filter(has_text="waiting to send")
        expect(status.get_by_role("link", name="Sign in to send")).to_be_visible(timeout=10_000)
        assert rows(server, Breach) == []
        status.get_by_role("link", name="Sign in to send").click()
        page.get_by_label("Email address").fill(teacher.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    all_sent(page)
    [breach] = wait_for_rows(server, Breach, 1)
    assert breach.reporter_id == teacher.id and breach.category.slug == "photographing"
    assert breach.action_codes == ["asked_to_delete"]


def test_offline_a_concern_about_staff_is_offered_only_for_staff_and_can_go_to_the_chair(
        server, teacher_ipad, assert_accessible):
    """As online: the kinds of breach about a member of staff only for a member of staff, and
    "about the headteacher" with them."""
    context, page, _teacher = teacher_ipad
    context.set_offline(True)
    page.get_by_role("link", name="Log a breach").click()
    expect(page.get_by_role("heading", name="Working offline")).to_be_visible()
    staff_only = page.get_by_label("Member of staff in contact with a pupil, or an ex-pupil under 18")
    about_head = page.get_by_label("This concern is about the headteacher")
    tell_dsl = page.get_by_label("This is a safeguarding matter: tell the DSL")
    expect(staff_only).to_be_hidden()
    page.get_by_label("Visitor", exact=True).check()
    expect(staff_only).to_be_hidden()
    expect(about_head).to_be_hidden()
    expect(tell_dsl).to_be_visible()
    expect(page.get_by_label("Photographing or recording pupils or staff on a phone")).to_be_visible()
    page.get_by_label("Member of staff", exact=True).check()
    expect(tell_dsl).to_be_hidden()  # it goes to the head only: the DSL is never told
    staff_only.check()
    about_head.check()
    assert_accessible(page)
    page.get_by_role("button", name="Save the breach on this iPad").click()
    expect(page.get_by_text("Saved on this iPad. It will be sent when the connection is back.")
           ).to_be_visible()
    context.set_offline(False)
    all_sent(page)
    [breach] = wait_for_rows(server, Breach, 1)
    assert (breach.subject_kind, breach.category.slug) == ("staff", "pupil_contact")
    assert breach.restricted and breach.concerns_head


def test_a_deletion_request_saved_offline_arrives_with_what_was_typed(server, teacher_ipad,
                                                                      assert_accessible):
    """The offline screen's deletion form is drawn from the same form as online; what it saves
    is what the API takes."""
    context, page, teacher = teacher_ipad
    context.set_offline(True)
    page.goto(server.url + "/staff/offline#deletion")
    form = page.locator("form#deletion")
    form.get_by_label("Photo").check()
    form.get_by_label("On their device").check()
    form.get_by_label("Who was asked").fill("Pat Parent")
    expect(form.get_by_label("When were they asked")).not_to_have_value("")  # starts at now
    assert_accessible(page)
    form.get_by_role("button", name="Save the request on this iPad").click()
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    assert rows(server, DeletionRequest) == []
    context.set_offline(False)
    all_sent(page)
    [request_row] = wait_for_rows(server, DeletionRequest, 1)
    assert (request_row.material, request_row.material_location) == ("photo", "device")
    assert request_row.person_name == "Pat Parent" and request_row.asked_by_id == teacher.id


@pytest.mark.parametrize("path, shell", [
    ("/staff/my-reports", "Working offline"),
    ("/records/deletions", "Working offline"),  # a record's page: still a member of staff's
    ("/admin/roster", "No connection"),  # the head's desk has no offline screen
])
def test_a_staff_page_opened_offline_shows_the_offline_staff_screen(server, teacher_ipad, path, shell):
    context, page, _teacher = teacher_ipad
    context.set_offline(True)
    page.goto(server.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(shell)


def test_signing_out_with_records_waiting_warns_first(server, teacher_ipad):
    _context, page, teacher = teacher_ipad
    page.evaluate(f"""KioskOutbox.add({{id: crypto.randomUUID(), kind: 'breach', staffId: '{teacher.id}',
        url: '/api/v1/breaches', body: {{}}, state: 'waiting'}})""")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Records still waiting to send")).to_be_visible()
    expect(page.get_by_text("1 record is still waiting to send")).to_be_visible()
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.get_by_role("link", name="Log a breach")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign out anyway").click()
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()


def test_an_entry_the_server_refuses_stays_visible_as_needing_attention(server, teacher_ipad):
    context, page, _teacher = teacher_ipad
    context.set_offline(True)
    log_breach_offline(page)
    with server.database():  # meanwhile the head retires that category
        BreachCategory.update(active=False).where(BreachCategory.slug == "photographing").execute()
    context.set_offline(False)
    status = page.get_by_role("status").filter(has_text="needs attention")
    expect(status).to_be_visible(timeout=10_000)
    expect(status).to_contain_text("not in use any more")
    page.goto(server.url + "/staff/")
    expect(page.get_by_role("status").filter(has_text="1 needs attention")).to_be_visible()
    assert outbox_count(page) == 1 and rows(server, Breach) == []
    # Sending what is waiting does not send it again on its own: only its Retry button does.
    sent = []
    context.on("request", lambda request: sent.append(request.url)
               if "/api/v1/breaches" in request.url else None)
    page.evaluate("() => KioskOutbox.flush()")
    assert sent == [] and outbox_count(page) == 1


@pytest.mark.parametrize("accepted_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_an_acceptance_from_a_clock_no_time_can_be_made_of_needs_attention_and_is_not_resent(
        server, new_context, accepted_at):
    """The server answers a 422 (it was a 500, which the outbox would have retried for ever)."""
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/")
    ready(page)
    outcome = page.evaluate("""async (acceptedAt) => {
        const entry = await KioskOutbox.add({id: crypto.randomUUID(), kind: 'acceptance',
            url: '/api/v1/acceptances', body: {full_name: 'Broken Clock', role: 'visitor',
            accept: true, policy_version: '1', channel: 'kiosk', accepted_at: acceptedAt}});
        return KioskOutbox.send(entry);
    }""", accepted_at)
    assert outcome == "attention"
    page.goto(server.url + "/")
    status = page.get_by_role("status").filter(has_text="1 needs attention")
    expect(status).to_be_visible()
    sent = []
    context.on("request", lambda request: sent.append(request.url)
               if "/api/v1/acceptances" in request.url else None)
    page.evaluate("() => KioskOutbox.flush()")
    assert sent == [] and outbox_count(page) == 1 and rows(server, Acceptance) == []


def test_a_redirect_to_the_sign_in_page_is_never_taken_as_the_record_kept(server, teacher_ipad):
    """A proxy or an expired session answering with the sign-in page (200 after a redirect) must
    not make the outbox forget the record."""
    context, page, _teacher = teacher_ipad
    context.set_offline(True)
    log_breach_offline(page)
    redirected = []

    def to_sign_in(route):
        redirected.append(route.request.url)
        route.fulfill(status=302, headers={"Location": "/signin"})

    context.route("**/api/v1/breaches", to_sign_in)
    context.set_offline(False)
    page.evaluate("() => KioskOutbox.flush()")
    assert len(redirected) >= 1 and outbox_count(page) == 1
    context.unroute("**/api/v1/breaches")
    page.evaluate("() => KioskOutbox.flush()")
    [breach] = wait_for_rows(server, Breach, 1)
    assert breach.category.slug == "photographing"


def test_a_new_policy_is_shown_once_the_kiosk_is_idle_and_an_earlier_offline_acceptance_keeps_its_version(
        server, new_context):
    context = new_context(**TABLET)
    page = context.new_page()
    page.clock.install()
    page.goto(server.url + "/")
    controlled(page)
    expect(page.get_by_text("Version 1", exact=True)).to_be_visible()
    context.set_offline(True)
    page.get_by_role("link", name="Read and accept the policy").click()
    page.get_by_role("link", name="Continue to accept").click()
    accept(page, "Version One Reader")
    expect(page.get_by_role("heading", name="Thank you, Version One Reader")).to_be_visible()

    with server.database():
        make_policy(2, body="## Changed\n\nThe second version of the text.\n")
    # Someone starts filling the form while the new version is published: not interrupted.
    page.goto(server.url + "/accept?channel=kiosk")
    page.get_by_label("Full name").fill("Half Way Through")
    context.set_offline(False)
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_until(page, "() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    page.clock.run_for(12_000)  # longer than a home screen waits idle before it takes an update
    expect(page.get_by_label("Full name")).to_have_value("Half Way Through")
    assert page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    [row] = wait_for_rows(server, Acceptance, 1)
    assert row.full_name == "Version One Reader" and row.policy_version.number == 1

    # Back on the home screen and left alone, the kiosk takes the new version...
    page.goto(server.url + "/")
    ready(page)
    for _ in range(4):  # someone is using the screen: a key every 5 seconds for 20 seconds
        page.clock.run_for(5_000)
        page.keyboard.press("Shift")
    assert page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    page.clock.run_for(11_000)
    wait_until(page, "() => navigator.serviceWorker.getRegistration().then(r => !r.waiting)")
    wait_until(page, "() => caches.keys().then(names => names.length === 1)")
    expect(page.get_by_text("Version 2", exact=True)).to_be_visible(timeout=15_000)
    # ...and shows it offline too.
    context.set_offline(True)
    page.get_by_role("link", name="Read and accept the policy").click()
    expect(page.get_by_text("The second version of the text.")).to_be_visible()
    expect(page.get_by_text(re.compile("Version 2"))).to_be_visible()


def test_nothing_signed_in_is_ever_cached(server, new_context):
    with server.database():
        teacher = make_user("staff", email="cached@westacre.sch.uk", display_name="Secret Teacher")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, server, teacher.email)
    controlled(page)
    page.get_by_role("link", name="My reports").click()
    # A new policy is published while the teacher is signed in: the new worker precaches the
    # public pages now, and must fetch them as a stranger would.
    with server.database():
        make_policy(2, body="## Changed\n\nThe second version of the text.\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_until(page, "() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    cached = page.evaluate("""async () => {
        const texts = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
                const response = await cache.match(request);
                texts.push(request.url + '\\n' + await response.clone().text());
            }
        }
        return texts;
    }""")
    assert len(cached) > 10
    assert not [text for text in cached if "Secret Teacher" in text or "cached@" in text]
    assert not [text for text in cached if "/staff/my-reports" in text.split("\n")[0]]


WIPE = """() => new Promise(resolve => {
    localStorage.clear();
    const request = indexedDB.deleteDatabase('policy-kiosk');
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
})"""


def no_wipe_warning(page) -> None:
    expect(page.get_by_text("cleared by the browser")).to_have_count(0)
    expect(page.get_by_text("lost when the browser cleared")).to_have_count(0)


def test_the_outbox_asks_for_lasting_storage(server, new_context):
    context = new_context(**TABLET)
    context.add_init_script("""
        window.__persistAsked = false;
        if (navigator.storage) {
            navigator.storage.persist = () => { window.__persistAsked = true; return Promise.resolve(true); };
        }""")
    page = context.new_page()
    page.goto(server.url + "/")
    ready(page)
    assert page.evaluate("() => window.__persistAsked") is True


def accept_offline(server, new_context, name: str, init_script: str | None = None):
    """A kiosk visitor accepts while the Wi-Fi is down; the record waits on the tablet."""
    context = new_context(**TABLET)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(server.url + "/accept?channel=kiosk")
    controlled(page)
    context.set_offline(True)
    accept(page, name)
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    return context, page


def test_a_wipe_of_records_still_waiting_is_reported_until_read(server, new_context):
    context, page = accept_offline(server, new_context, "Wiped Visitor")
    # The browser evicts the site's database and local storage together (as iPadOS does); the
    # cookie counting what was waiting is not script storage, and stays.
    page.evaluate(WIPE)
    context.set_offline(False)
    page.goto(server.url + "/")
    warning = page.get_by_role("status").filter(has_text="lost when the browser cleared")
    expect(warning).to_contain_text("1 record not yet sent from this device was lost")
    page.goto(server.url + "/policy?channel=kiosk")  # still said on the next page
    expect(warning).to_be_visible()
    warning.get_by_role("button", name="OK, I understand").click()
    expect(warning).to_have_count(0)
    page.reload()
    ready(page)
    no_wipe_warning(page)
    assert rows(server, Acceptance) == []


# Wipes the database the moment the page has read this device's id, before it reads anything
# else: the browser evicting the site's data in the middle of the page updating its status.
WIPE_AFTER_DEVICE_READ = """
    const originalGet = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (key) {
        const request = originalGet.call(this, key);
        if (key === "device" && window.__wipeOnNextDeviceRead) {
            window.__wipeOnNextDeviceRead = false;
            request.addEventListener("success", () => {
                localStorage.clear();
                const wipe = indexedDB.deleteDatabase("policy-kiosk");
                wipe.onsuccess = () => { window.__wiped = true; };
            });
        }
        return request;
    };"""


def test_a_wipe_in_the_middle_of_a_status_update_is_still_reported(server, new_context):
    context, page = accept_offline(server, new_context, "Wiped Visitor", WIPE_AFTER_DEVICE_READ)
    ready(page)
    page.evaluate("() => { window.__wipeOnNextDeviceRead = true; }")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a retry: the status is redrawn
    wait_until(page, "() => window.__wiped === true")
    context.set_offline(False)
    page.goto(server.url + "/")
    warning = page.get_by_role("status").filter(has_text="lost when the browser cleared")
    expect(warning).to_contain_text("1 record not yet sent from this device was lost")
    assert rows(server, Acceptance) == []


@pytest.mark.parametrize("background_sync", [True, False], ids=["chromium", "no-background-sync"])
def test_a_wipe_after_everything_was_sent_is_not_reported(server, new_context, background_sync):
    """Safari has no Background Sync: the page itself sends, and must forget the count too."""
    init = None if background_sync else "delete ServiceWorkerRegistration.prototype.sync;"
    context, page = accept_offline(server, new_context, "Sent Visitor", init)
    context.set_offline(False)
    all_sent(page)
    page.evaluate(WIPE)
    page.goto(server.url + "/")
    ready(page)
    no_wipe_warning(page)
    assert [a.full_name for a in rows(server, Acceptance)] == ["Sent Visitor"]


@pytest.mark.parametrize(("start", "device"), [
    ("/phone", PHONE), ("/phone", SMALL_PHONE), ("/p/{token}", PHONE), ("/", TABLET),
    ("/", LANDSCAPE), ("/signin", TABLET)], ids=["qr-phone", "qr-small-phone", "personal-link",
                                                 "kiosk-portrait", "kiosk-landscape", "staff"])
def test_a_first_visit_shows_no_warning_and_no_sync_status(server, new_context, start, device):
    with server.database():
        from kiosk.roster import add_person
        token = add_person("Pat Volunteer", "pat@example.org", "volunteer").token
    page = new_context(**device).new_page()
    page.goto(server.url + start.format(token=token))
    ready(page)
    no_wipe_warning(page)
    expect(page.get_by_text("All sent")).to_have_count(0)
    status_line_takes_no_room(page)
    page.reload()  # a second page on the same new device: still nothing to say
    ready(page)
    no_wipe_warning(page)
    status_line_takes_no_room(page)


def status_line_takes_no_room(page) -> None:
    """Not even an empty line (the header would gain a gap) nor an empty live region."""
    status = page.locator("[data-outbox-status]")
    expect(status).to_be_hidden()
    assert status.evaluate("e => getComputedStyle(e).display") == "none"


def test_the_waiting_count_is_on_screen_but_never_in_print(server, new_context):
    _, page = accept_offline(server, new_context, "Printed Visitor")
    status = page.get_by_text("1 record waiting to send")
    page.emulate_media(media="print")
    expect(status).to_be_hidden()


def test_records_waiting_are_sent_when_the_screen_becomes_visible_again(server, new_context):
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/")
    ready(page)
    page.evaluate("""() => KioskOutbox.add({id: crypto.randomUUID(), kind: 'acceptance',
        url: '/api/v1/acceptances', body: {full_name: 'Woken Visitor', role: 'visitor',
        accept: true, policy_version: '1', channel: 'kiosk', accepted_at: new Date().toISOString()}})""")
    assert rows(server, Acceptance) == []
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    [row] = wait_for_rows(server, Acceptance, 1, timeout=5)
    assert row.full_name == "Woken Visitor"
    all_sent(page)


def test_a_record_waits_while_its_author_must_change_password_and_is_kept_for_them(server,
                                                                                    new_context):
    with server.database():
        teacher = make_user("staff", email="teacher@westacre.sch.uk", display_name="Teacher One",
                            must_change_password=True)
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill(teacher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    ready(page)
    page.evaluate(f"""() => KioskOutbox.add({{id: crypto.randomUUID(), kind: 'breach',
        staffId: '{teacher.id}', url: '/api/v1/breaches', body: {{staff_id: '{teacher.id}',
        subject_kind: 'visitor', category: 'photographing', occurred_at: '{YESTERDAY_AT_TEN}'}}}})
        .then(() => KioskOutbox.flush())""")
    assert outbox_count(page) == 1 and rows(server, Breach) == []
    page.get_by_label("New password").fill("plum jam on toast")
    page.get_by_label("Type it again").fill("plum jam on toast")
    page.get_by_role("button", name="Save password").click()
    all_sent(page)
    [breach] = wait_for_rows(server, Breach, 1)
    assert breach.reporter_id == teacher.id


def test_another_teachers_record_waits_for_them_and_the_shell_forgets_who_signed_out(
        server, new_context):
    with server.database():
        first = make_user("staff", email="first@westacre.sch.uk", display_name="First Teacher")
        second = make_user("staff", email="second@westacre.sch.uk", display_name="Second Teacher")
    context = new_context(**TABLET)
    page = context.new_page()
    sign_in(page, server, first.email)
    controlled(page)
    context.set_offline(True)
    page.get_by_role("link", name="Log a breach").click()
    expect(page.get_by_text("Working offline as First Teacher")).to_be_visible()
    page.get_by_label("Visitor", exact=True).check()
    page.get_by_label("Photographing or recording pupils or staff on a phone").check()
    page.get_by_role("button", name="Save the breach on this iPad").click()
    # Saved before the connection comes back: otherwise the send and its move to "My reports"
    # can race the next page.goto.
    expect(page.get_by_text("Saved on this iPad. It will be sent when the connection is back.")
           ).to_be_visible()
    context.set_offline(False)
    page.goto(server.url + "/staff/")
    all_sent(page)
    # First signs out (records all sent), second signs in; offline, the iPad no longer knows first.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    context.set_offline(True)
    page.goto(server.url + "/staff/breaches/new")
    expect(page.get_by_text("this iPad does not know who you are yet")).to_be_visible()
    context.set_offline(False)
    sign_in(page, server, second.email)
    ready(page)
    page.evaluate(f"""() => KioskOutbox.add({{id: crypto.randomUUID(), kind: 'breach',
        staffId: '{first.id}', url: '/api/v1/breaches', body: {{staff_id: '{first.id}',
        subject_kind: 'visitor', category: 'commercial', occurred_at: '{YESTERDAY_AT_TEN}'}}}})
        .then(() => document.dispatchEvent(new Event('visibilitychange')))""")
    # The status line is drawn once that send has been answered: still waiting, for "first".
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    assert outbox_count(page) == 1 and len(rows(server, Breach)) == 1
    page.get_by_role("button", name="Sign out").click()  # second has nothing waiting: no warning
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    sign_in(page, server, first.email)
    all_sent(page)
    assert [b.reporter_id for b in rows(server, Breach)] == [first.id, first.id]


def test_a_deletion_request_can_be_recorded_offline(server, teacher_ipad):
    context, page, teacher = teacher_ipad
    context.set_offline(True)
    page.get_by_role("link", name="Someone was asked to delete material").click()
    form = page.locator("#deletion")
    form.get_by_label("Photo", exact=True).check()
    form.get_by_label("On their device").check()
    form.get_by_label("Who was asked").fill("Pat Parent")
    form.get_by_role("button", name="Save the request on this iPad").click()
    expect(page.get_by_text("1 record waiting to send")).to_be_visible()
    context.set_offline(False)
    all_sent(page)
    from kiosk.models import DeletionRequest
    [request] = wait_for_rows(server, DeletionRequest, 1)
    assert request.person_name == "Pat Parent" and request.asked_by_id == teacher.id


def queue_acceptance_quietly(page, name: str) -> None:
    """Put an entry in the outbox without any of the page's own triggers firing."""
    ready(page)
    page.evaluate(f"""() => KioskOutbox.add({{id: crypto.randomUUID(), kind: 'acceptance',
        url: '/api/v1/acceptances', body: {{full_name: '{name}', role: 'visitor', accept: true,
        policy_version: '1', channel: 'kiosk', accepted_at: new Date().toISOString()}}}})""")


def test_records_waiting_are_retried_on_a_timer(server, new_context):
    page = new_context(**TABLET).new_page()
    page.clock.install()
    page.goto(server.url + "/")
    ready(page)
    queue_acceptance_quietly(page, "Timer Visitor")
    page.clock.fast_forward(19_000)
    assert outbox_count(page) == 1 and rows(server, Acceptance) == []
    page.clock.fast_forward(1_000)  # the page retries every 20 seconds
    [row] = wait_for_rows(server, Acceptance, 1)
    assert row.full_name == "Timer Visitor"


def test_a_server_error_keeps_the_record_waiting_until_it_arrives(server, new_context):
    """A 503 while the app restarts: the entry stays, unchanged, and goes once the server is
    back (never dropped as if sent, never marked as refused)."""
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/accept?channel=kiosk")
    ready(page)
    answered = []

    def unavailable(route):
        answered.append(route.request.headers.get("idempotency-key"))
        route.fulfill(status=503, content_type="text/html", body="<h1>Service Unavailable</h1>")

    context.route("**/api/v1/acceptances", unavailable)
    accept(page, "Patient Visitor")
    expect(page.get_by_role("heading", name="Thank you, Patient Visitor")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 record waiting to send")).to_be_visible()
    assert len(answered) >= 1 and rows(server, Acceptance) == []
    [entry] = page.evaluate("KioskOutbox.all()")
    assert entry["state"] == "waiting" and entry["body"]["full_name"] == "Patient Visitor"
    context.unroute("**/api/v1/acceptances")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    [row] = wait_for_rows(server, Acceptance, 1)
    assert row.full_name == "Patient Visitor" and str(row.client_uuid) == answered[0]
    all_sent(page)
    assert len(rows(server, Acceptance)) == 1


def test_the_service_worker_sends_on_a_background_sync(server, new_context):
    page = new_context(**TABLET).new_page()
    page.goto(server.url + "/")
    controlled(page)
    queue_acceptance_quietly(page, "Synced Visitor")
    page.evaluate("() => { document.cookie = 'kiosk_waiting=1; Path=/; SameSite=Strict'; }")
    page.evaluate("() => navigator.serviceWorker.ready.then(r => r.sync.register('outbox'))")
    [row] = wait_for_rows(server, Acceptance, 1, timeout=10)  # well before the page's timer
    assert row.full_name == "Synced Visitor"
    # Sent in the background: the count of waiting records is cleared by the worker too, so a
    # later clear-out of storage is not reported as records lost.
    wait_until(page, "() => !document.cookie.includes('kiosk_waiting=')")


# A module's imports of its neighbours arrive without ?v= (offline.js's "./status.js" imports
# "./plural.js"). This copy of plural.js marks the page it runs in, so a test can tell the
# network's copy from the service worker's cached one.
MARKED = "\nself.__pluralFromNetwork = true;\n"


def mark_plural_from_network(context) -> list[str]:
    """Answer plural.js from the network with a copy that marks the page; return the list of
    requests answered so (Playwright intercepts the service worker's own fetches in Chromium)."""
    answered = []

    def marked(route):
        answered.append(route.request.url)
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + MARKED)

    context.route("**/static/js/plural.js", marked)
    return answered


def test_a_module_import_comes_from_the_release_of_the_page_that_asks(server, new_context):
    """Imports without ?v=: a page from the network takes them from the network (it may be newer
    than the worker, whose release waits for an idle screen); a page the worker answered from its
    cache takes the cached copies, never the network's, even when the network answers."""
    context = new_context(**TABLET)
    page = context.new_page()
    page.goto(server.url + "/")
    controlled(page)
    answered = mark_plural_from_network(context)

    # A page from the network: its module comes from the network.
    page.reload()
    ready(page)
    assert page.evaluate("() => self.__pluralFromNetwork === true")
    assert answered

    # Offline, the worker answers the page from its cache, and the module too; the page works.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    ready(page)
    assert page.evaluate("() => self.__pluralFromNetwork === undefined")

    # Must not: the server fails the page (a proxy's 503 while the app restarts), so the worker
    # answers it from its cache, while the network still answers the page's modules. The page is
    # this cache's release: its module must be the cached copy, not the network's.
    context.set_offline(False)
    context.route(server.url + "/", lambda route: route.fulfill(
        status=503, content_type="text/html", body="<h1>Service Unavailable</h1>"))
    answered.clear()
    page.reload()
    expect(page.get_by_role("heading", name="Welcome to Westacre Infant School")).to_be_visible()
    ready(page)
    assert page.evaluate("() => self.__pluralFromNetwork === undefined")
    assert answered == []
