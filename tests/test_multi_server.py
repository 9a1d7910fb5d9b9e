"""Two app servers, as a trust runs them: two gunicorns (separate processes, each with its own
port, instance folder and audit checkpoint file) in production on one PostgreSQL database, with
the sign-in limits in one real redis-server. What one server stores or counts, the other sees."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.migrate import migrate_database
from kiosk.models import Acceptance, AuditEvent, db, utcnow
from kiosk.policies import seed_default_policy

from . import test_sign_in_limits
from .helpers import PASSWORD, make_user
from .live import ROOT
from .postgres import PostgresDatabases
from .test_serve import read_until, stop
from .test_sign_in_limits import CHEAP, WRONG

PUBLIC_URL = "https://kiosk.westacre-trust.example"
SAM = "sam@westacre.sch.uk"
KIM = "kim@westacre.sch.uk"
YESTERDAY = (utcnow() - timedelta(days=1)).replace(microsecond=0)
redis_url = test_sign_in_limits.redis_url  # a real redis-server for this module (a fixture)


class AppServer:
    """One gunicorn, as `make run` starts it on an app server: `--config python:kiosk.serve`,
    production settings, its own instance folder (and so its own checkpoint file)."""

    def __init__(self, instance: Path, env: dict[str, str]):
        self.instance = instance
        self.env = {**env, "KIOSK_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
        self.url = ""
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.instance.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "python:kiosk.serve",
             "--bind", "127.0.0.1:0", "wsgi:app"],  # KIOSK_WORKERS: 2, the default
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_until_listening(self) -> None:
        output = read_until(self.process, r"Listening at: http://127\.0\.0\.1:\d+")
        port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", output).group(1)
        self.url = f"http://127.0.0.1:{port}"
        # Everything else it prints is read too, by read_until's thread: no full pipe stops it.
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """A command on this server, as its operator would run it (same settings)."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def two_servers(postgres_server, migrated_pool, redis_url, tmp_path_factory):
    """Two production app servers on one PostgreSQL database and one Redis, with the same keys;
    the database migrated and seeded once, before either starts."""
    folder = tmp_path_factory.mktemp("trust")
    databases = PostgresDatabases(postgres_server, migrated_pool)
    database_url = databases.migrated(folder / "database")
    machine = {name: value for name, value in os.environ.items()
               if not name.startswith("KIOSK_") and name != "DATABASE_URL"}
    shared = {**machine, "KIOSK_ENV": "production", "KIOSK_PUBLIC_URL": PUBLIC_URL,
              "KIOSK_TRUSTED_HOSTS": "127.0.0.1", "DATABASE_URL": database_url,
              "KIOSK_RATELIMIT_STORAGE": redis_url,
              "KIOSK_SECRET_KEY": secrets.token_urlsafe(40),
              "KIOSK_AUDIT_KEY": secrets.token_urlsafe(40)}
    servers = [AppServer(folder / name, shared) for name in ("first", "second")]
    # Migrations run once, before the servers start (here in the test's process: a command's
    # process takes a second or two to start).
    app = create_app({"KIOSK_INSTANCE_PATH": str(folder / "setup"), "DATABASE_URL": database_url,
                      "KIOSK_AUDIT_KEY": shared["KIOSK_AUDIT_KEY"]})
    with app.app_context(), db.connection_context():
        migrate_database()
        seed_default_policy()
        make_user("staff", email=SAM, password_hash=CHEAP.hash(PASSWORD))
        make_user("staff", email=KIM, display_name="Kim Teacher", password_hash=CHEAP.hash(PASSWORD))
    for server in servers:
        server.start()  # both at once: each takes about a second to load the app
    try:
        for server in servers:
            server.wait_until_listening()
        yield servers, app
    finally:
        for server in servers:
            if server.process and server.process.poll() is None:
                stop(server.process)
        if not db.is_closed():
            db.close()
        databases.drop_all()


def post_acceptance(url: str, key: uuid.UUID, name: str) -> tuple[int, dict, bool]:
    """The outbox's POST: status, body, and whether it was answered as a replay."""
    body = json.dumps({"full_name": name, "role": "visitor", "accept": True,
                       "policy_version": 1, "channel": "phone",
                       "accepted_at": YESTERDAY.isoformat() + "Z"}).encode()
    request = urllib.request.Request(url + "/api/v1/acceptances", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Kiosk-Client": "outbox",
        "Idempotency-Key": str(key)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return (response.status, json.loads(response.read()),
                    response.headers.get("Idempotent-Replayed") == "true")
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read()), False


def sign_in(form_from: AppServer, post_to: AppServer, email: str, password: str) -> int:
    return signed_in(form_from, post_to, email, password)[0]


def signed_in(form_from: AppServer, post_to: AppServer, email: str,
              password: str) -> tuple[int, str]:
    """A browser of its own: the sign-in form from one server, sent to another (no sticky
    sessions: the session cookie and its form token are signed with the shared secret key).
    Production marks the cookie Secure (the proxy serves HTTPS); the servers are reached over
    plain HTTP here, as the proxy reaches them, so the cookie is carried by hand."""
    with urllib.request.urlopen(form_from.url + "/signin", timeout=10) as page:
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          page.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                   "password": password}).encode()
    request = urllib.request.Request(post_to.url + "/signin", data=data, headers={"Cookie": cookie})
    status, headers = answer_of(request)
    cookies = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    return status, next((c for c in cookies if c.startswith("kiosk_session=")), "")


def answer_of(request: urllib.request.Request) -> tuple[int, dict]:
    """The status and headers of one request, a redirect being an answer like any other."""
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 is the answer itself


def test_both_servers_answer_the_health_check(two_servers):
    servers, _ = two_servers
    for server in servers:
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok"}


def test_acceptances_sent_to_both_servers_at_once_are_stored_once_each(two_servers):
    servers, app = two_servers
    keys = [uuid.uuid4() for _ in range(30)]
    # Each key sent twice to each server, all at once, as two devices' outboxes might.
    jobs = [(server.url, key, f"Trust Visitor {n}") for n, key in enumerate(keys)
            for server in servers * 2]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: (job[1], post_acceptance(*job)), jobs))
    answers: dict[uuid.UUID, list[tuple[int, str, bool]]] = {}
    for key, (status, body, replayed) in results:
        answers.setdefault(key, []).append((status, json.dumps(body, sort_keys=True), replayed))
    for got in answers.values():
        assert {status for status, _, _ in got} == {201}
        assert len({body for _, body, _ in got}) == 1  # the same answer from either server
        assert sorted(replayed for _, _, replayed in got) == [False, True, True, True]
    with app.app_context(), db.connection_context():
        stored = list(Acceptance.select().where(Acceptance.client_uuid.in_(keys)))
        assert sorted(str(row.client_uuid) for row in stored) == sorted(str(k) for k in keys)


def test_a_key_used_on_one_server_for_other_details_is_refused_by_the_other(two_servers):
    servers, app = two_servers
    key = uuid.uuid4()
    assert post_acceptance(servers[0].url, key, "Pat First")[0] == 201
    status, body, _ = post_acceptance(servers[1].url, key, "Someone Else")
    assert status == 422 and body["error"] == "idempotency_key_reused"
    with app.app_context(), db.connection_context():
        assert [row.full_name for row in Acceptance.select().where(Acceptance.client_uuid == key)] \
            == ["Pat First"]


def test_a_session_made_on_one_server_is_good_on_the_other(two_servers):
    servers, _ = two_servers
    status, session = signed_in(servers[0], servers[1], KIM, PASSWORD)
    assert status == 303 and session.startswith("kiosk_session=")
    for server in servers:
        status, _ = answer_of(urllib.request.Request(server.url + "/staff/",
                                                     headers={"Cookie": session}))
        assert status == 200
        # Not without it: the staff page is not open to anyone.
        status, headers = answer_of(urllib.request.Request(server.url + "/staff/"))
        assert status in (302, 303) and "/signin" in headers["Location"]


def test_wrong_passwords_alternated_between_the_servers_lock_after_ten_in_all(two_servers):
    servers, app = two_servers
    statuses = [sign_in(servers[(n + 1) % 2], servers[n % 2], SAM, WRONG) for n in range(12)]
    # Ten checked and refused in all (five on each), then locked on both: per server, twelve
    # alternated would be six on each, all under the limit. (A form token one server would not
    # take from the other would be a 400, not a 422.)
    assert statuses == [422] * 10 + [429] * 2
    assert sign_in(servers[1], servers[0], SAM, PASSWORD) == 429
    assert sign_in(servers[0], servers[1], SAM, PASSWORD) == 429
    with app.app_context(), db.connection_context():
        assert AuditEvent.select().where(AuditEvent.action == "signin.failed").count() == 10


def test_the_audit_chain_is_intact_after_both_servers_wrote_at_once(two_servers):
    servers, app = two_servers
    keys = [uuid.uuid4() for _ in range(20)]
    jobs = [(servers[n % 2].url, key, f"Chain Visitor {n}") for n, key in enumerate(keys)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert {result[0] for result in pool.map(lambda job: post_acceptance(*job), jobs)} == {201}
    with app.app_context(), db.connection_context():
        assert AuditEvent.select().where(AuditEvent.action == "acceptance.created").count() >= 20
    # Checked as the operator of each server would, against that server's own checkpoint file
    # (each check adds its own `audit.checked` event).
    for server in servers:
        with app.app_context(), db.connection_context():
            events = AuditEvent.select().count()
        checked = server.flask("audit-verify", "--full")  # every event, not only the newest
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"The audit log is intact: {events} events checked, from the first." in checked.stdout
        assert (server.instance / "audit-checkpoints.jsonl").exists()
