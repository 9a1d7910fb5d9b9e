"""Sign-in limits (kiosk/sign_in_limits.py): counted before the password is checked, shared
between processes through Redis, and a known device kept apart from the account's lock-out."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from argon2 import PasswordHasher
from itsdangerous import URLSafeTimedSerializer

from kiosk import accounts, config, sign_in_limits
from kiosk.migrate import migrate_database
from kiosk.models import AuditEvent
from kiosk.policies import seed_default_policy

from .helpers import PASSWORD, SCHOOL_ZONE, form_page, make_user, nothing_written
from .live import LiveServer
from .postgres import start_on_a_free_port

WRONG = "wrong password!"
REFUSED = ("signin.rate_limited",)


def sign_in(client, email, password=PASSWORD):
    fields = form_page(client, "/signin")
    return client.post("/signin", data={**fields, "email": email, "password": password})


def lock_out(app, email):
    """Ten wrong passwords from a stranger's browser: the account's limit is used up."""
    stranger = app.test_client()
    for _ in range(10):
        assert sign_in(stranger, email, WRONG).status_code == 422
    assert sign_in(stranger, email).status_code == 429


def device_cookie(client, user):
    cookie = client.get_cookie(f"kiosk_device_{user.id}", path="/signin")
    assert cookie is not None, "no known-device cookie"
    return cookie


@pytest.fixture
def password_checks(monkeypatch):
    """Counts argon2's verifications, each slowed a little so that requests overlap."""
    checks = []
    real = accounts.hasher

    class CountingHasher:
        def verify(self, hash_, password):
            checks.append(1)
            time.sleep(0.02)
            return real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(accounts, "hasher", CountingHasher())
    return checks


def test_forty_wrong_passwords_at_once_check_ten_passwords(app, teacher, password_checks):
    browsers = [app.test_client() for _ in range(40)]
    forms = [form_page(browser, "/signin") for browser in browsers]
    start, statuses = threading.Barrier(40), []

    def attempt(browser, fields):
        start.wait()
        response = browser.post("/signin", data={**fields, "email": teacher.email,
                                                 "password": WRONG})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(browsers, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(password_checks) == 10
    assert sorted(statuses) == [422] * 10 + [429] * 30
    with app.app_context():
        assert AuditEvent.select().where(AuditEvent.action == "signin.failed").count() == 10
        # One event for the lock-out, not one for each of the thirty refusals.
        assert AuditEvent.select().where(AuditEvent.action == "signin.rate_limited").count() == 1


def test_a_right_password_gives_its_attempt_back(app, client, teacher):
    """Only failures count: nine wrong, then right many times, still leaves one try."""
    for _ in range(9):
        sign_in(client, teacher.email, WRONG)
    stranger = app.test_client()
    for _ in range(3):
        assert sign_in(stranger, teacher.email).status_code == 303
        stranger.post("/signout", data=form_page(stranger, "/staff/"))
    assert sign_in(client, teacher.email, WRONG).status_code == 422
    assert sign_in(client, teacher.email).status_code == 429


def test_the_refusal_says_when_to_try_again_in_the_schools_time(app, client, teacher):
    first = dt.datetime.now(dt.UTC)
    lock_out(app, teacher.email)
    fields = form_page(client, "/signin")
    with nothing_written(app, allow=REFUSED) as events:
        response = client.post("/signin", data={**fields, "email": teacher.email,
                                                "password": PASSWORD})
    assert response.status_code == 429 and events == []  # the lock-out was audited already
    html = response.get_data(as_text=True)
    said = re.search(r"Too many attempts.*?Try again after (\d{1,2}:\d\d[ap]m), or ask the "
                     r"headteacher to reset your password\.", html, re.S)
    assert said, html
    ends = [(first + dt.timedelta(minutes=15, seconds=s)).astimezone(SCHOOL_ZONE)
            for s in (0, 60, 120)]
    assert said.group(1) in {f"{t.hour % 12 or 12}:{t:%M}{t:%p}".lower() for t in ends}
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "15 minutes" not in html and "UTC" not in html
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "signin.rate_limited")
        assert teacher.email in event.detail and "account" in event.detail


def test_the_owner_signs_in_from_a_known_device_while_the_account_is_locked(app, client, teacher):
    assert sign_in(client, teacher.email).status_code == 303
    client.post("/signout", data=form_page(client, "/staff/"))
    lock_out(app, teacher.email)
    assert sign_in(client, teacher.email).status_code == 303
    assert "Log a breach" in client.get("/staff/").get_data(as_text=True)


def test_a_browser_without_the_cookie_is_still_refused(app, client, teacher):
    lock_out(app, teacher.email)
    assert sign_in(app.test_client(), teacher.email).status_code == 429


def test_a_known_device_of_another_account_does_not_help(app, client, teacher, other_teacher):
    assert sign_in(client, other_teacher.email).status_code == 303
    client.post("/signout", data=form_page(client, "/staff/"))
    lock_out(app, teacher.email)
    assert sign_in(client, teacher.email).status_code == 429
    # Nor does the other account's cookie under this account's name.
    client.set_cookie(f"kiosk_device_{teacher.id}", device_cookie(client, other_teacher).value,
                      path="/signin")
    assert sign_in(client, teacher.email).status_code == 429


def test_a_forged_or_expired_cookie_does_not_help(app, client, teacher, monkeypatch):
    assert sign_in(client, teacher.email).status_code == 303
    client.post("/signout", data=form_page(client, "/staff/"))
    genuine = device_cookie(client, teacher).value
    lock_out(app, teacher.email)
    name = f"kiosk_device_{teacher.id}"
    payload = URLSafeTimedSerializer("not the key", salt="x").loads_unsafe(genuine)[1]
    forged = URLSafeTimedSerializer("a guessed key that is long enough to look real",
                                    salt=sign_in_limits._SALT).dumps(payload)
    for value in (forged, genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"), "junk"):
        client.set_cookie(name, value, path="/signin")
        assert sign_in(client, teacher.email).status_code == 429
    client.set_cookie(name, genuine, path="/signin")
    a_year_on = time.time() + 366 * 24 * 3600

    class Later:
        @staticmethod
        def time():
            return a_year_on

    monkeypatch.setattr("itsdangerous.timed.time", Later)  # only the cookie's clock moves on
    assert sign_in(client, teacher.email).status_code == 429
    monkeypatch.undo()
    assert sign_in(client, teacher.email).status_code == 303  # the same cookie, still in date


def test_a_new_password_ends_the_old_known_device_cookies(app, client, teacher):
    assert sign_in(client, teacher.email).status_code == 303
    client.post("/signout", data=form_page(client, "/staff/"))
    with app.app_context():
        accounts.set_password(teacher, "a brand new pass phrase", must_change=True)  # the head's reset
    lock_out(app, teacher.email)
    assert sign_in(client, teacher.email, "a brand new pass phrase").status_code == 429


def test_changing_your_own_password_keeps_the_device_known(app, client, teacher):
    assert sign_in(client, teacher.email).status_code == 303
    fields = form_page(client, "/account/password")
    response = client.post("/account/password", data={
        **fields, "current_password": PASSWORD, "password": "a brand new pass phrase",
        "confirm": "a brand new pass phrase"})
    assert response.status_code == 303, response.get_data(as_text=True)
    client.post("/signout", data=form_page(client, "/staff/"))
    lock_out(app, teacher.email)
    assert sign_in(client, teacher.email, "a brand new pass phrase").status_code == 303


def test_the_device_limit_stops_guessing_from_a_known_device(app, client, teacher):
    assert sign_in(client, teacher.email).status_code == 303
    client.post("/signout", data=form_page(client, "/staff/"))
    for _ in range(10):
        assert sign_in(client, teacher.email, WRONG).status_code == 422
    with nothing_written(app, allow=REFUSED) as events:
        assert sign_in(client, teacher.email).status_code == 429
    assert events == ["signin.rate_limited"]
    # Its guesses were not the account's: from another browser the owner still signs in.
    assert sign_in(app.test_client(), teacher.email).status_code == 303


def test_the_known_device_cookie_is_signed_http_only_strict_and_long_lived(app, client, teacher):
    response = sign_in(client, teacher.email)
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(f"kiosk_device_{teacher.id}="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/signin" in header
    assert "Secure" not in header  # plain http in development
    max_age = int(re.search(r"Max-Age=(\d+)", header).group(1))
    assert max_age >= 300 * 24 * 3600
    # A failed sign-in gives no cookie.
    other = app.test_client()
    failed = sign_in(other, teacher.email, WRONG)
    assert not any(h.startswith("kiosk_device_") for h in failed.headers.getlist("Set-Cookie"))


def test_the_known_device_cookie_is_secure_over_https(app, client, teacher):
    app.config["SESSION_COOKIE_SECURE"] = True  # production, or a public address on https
    fields = form_page(client, "https://localhost/signin")
    response = client.post("https://localhost/signin", data={**fields, "email": teacher.email,
                                                             "password": PASSWORD},
                           headers={"Referer": "https://localhost/signin"})  # CSRF over https
    assert response.status_code == 303
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("kiosk_device_"))
    assert "Secure" in header


def test_unreachable_redis_refuses_sign_in_with_a_clear_503(tmp_path, closed_port, caplog):
    from kiosk import create_app
    from kiosk.migrate import migrate_database

    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed_port}",
                      "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True,
                                                    "socket_connect_timeout": 1}})
    with app.app_context():
        migrate_database()
        user = make_user("head")
    client = app.test_client()
    fields = form_page(client, "/signin")
    with nothing_written(app) as events:
        response = client.post("/signin", data={**fields, "email": user.email,
                                                "password": PASSWORD})
    assert response.status_code == 503 and events == []
    html = response.get_data(as_text=True)
    assert "cannot check sign-in limits" in html and "Redis" in html
    assert client.get("/staff/").status_code == 302  # not signed in
    assert "Sign-in limits unavailable" in caplog.text


@pytest.mark.parametrize(("env", "storage", "workers", "refused"), [
    ("production", "memory://", 2, True),
    ("production", "redis://127.0.0.1:6379", 2, False),
    ("production", "memory://", 1, False),
    ("development", "memory://", 2, False),
])
def test_production_with_several_workers_needs_shared_limits(env, storage, workers, refused):
    settings = {"KIOSK_ENV": env, "RATELIMIT_STORAGE_URI": storage}
    if refused:
        with pytest.raises(config.ConfigError, match="KIOSK_RATELIMIT_STORAGE=redis://"):
            config.check_workers(settings, workers)
    else:
        config.check_workers(settings, workers)


@pytest.mark.parametrize("value", ["redis://", "memcached://localhost", "memory", "localhost:6379"])
def test_a_limits_storage_that_is_not_memory_or_redis_is_refused(value):
    with pytest.raises(config.ConfigError, match="memory:// or a Redis address"):
        config.parse_limits_storage("KIOSK_RATELIMIT_STORAGE", value)


# Shared between processes: two app processes on one Redis ----------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    """Debian's redis-server on a spare loopback port, nothing saved, for this module."""

    def start(port):
        process = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("redis-server stopped (its port was taken?)")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return process, port
            except OSError:
                time.sleep(0.05)
        process.kill()
        raise RuntimeError("redis-server did not answer within 10 seconds")

    process, port = start_on_a_free_port(start)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 is the answer itself


class Browser:
    """A browser of its own (cookies, form token) on one of the live servers."""

    def __init__(self, server: LiveServer):
        self.url = server.url + "/signin"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects())
        html = self.opener.open(self.url, timeout=10).read().decode()
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def sign_in(self, email: str, password: str) -> int:
        data = urllib.parse.urlencode({"csrf_token": self.token, "email": email,
                                       "password": password}).encode()
        try:
            with self.opener.open(self.url, data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as answer:
            return answer.code


SAM = "sam@westacre.sch.uk"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def two_processes(redis_url, tmp_path_factory):
    """Two app processes, as two workers would be: one database, one key, one Redis."""
    folder = tmp_path_factory.mktemp("two")
    env = {"KIOSK_RATELIMIT_STORAGE": redis_url, "KIOSK_SECRET_KEY": "k" * 40}
    first = LiveServer(folder / "first", env)
    second = LiveServer(folder / "second", env, database_url=first.database_url)
    for server in (first, second):
        server.instance.mkdir(parents=True)
    with first.database():  # in this process: a command's process would take seconds to start
        migrate_database()
        seed_default_policy()
        # A cheap hash: the servers verify with the cost written in it.
        make_user("staff", email=SAM, password_hash=CHEAP.hash(PASSWORD))
    first.start(prepare=False)
    second.start(prepare=False)
    yield first, second
    first.stop()
    second.stop()


def test_two_processes_share_one_count_in_redis(two_processes):
    first, second = two_processes
    email = SAM
    browsers = [Browser(server) for server in (first, second) for _ in range(20)]
    start, statuses = threading.Barrier(len(browsers)), []

    def attempt(browser):
        start.wait()
        statuses.append(browser.sign_in(email, WRONG))

    threads = [threading.Thread(target=attempt, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Forty at once across both processes: ten passwords checked, not ten in each (twenty).
    assert sorted(statuses) == [422] * 10 + [429] * 30
    with first.database():
        assert AuditEvent.select().where(AuditEvent.action == "signin.failed").count() == 10
        assert AuditEvent.select().where(AuditEvent.action == "signin.rate_limited").count() == 1
    # The right password is refused by either process now.
    assert Browser(first).sign_in(email, PASSWORD) == 429
    assert Browser(second).sign_in(email, PASSWORD) == 429
