"""Two app processes racing on the same Idempotency-Keys still make one record per key."""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from kiosk import audit
from kiosk.models import Acceptance, Breach, DeletionRequest, utcnow

from . import live
from .helpers import PASSWORD, make_user, typed
from .live import LiveServer

# Yesterday, as an outbox sends it a day later; the same for every copy of a record sent.
YESTERDAY = (utcnow() - timedelta(days=1)).replace(microsecond=0)


def send(url: str, key: uuid.UUID, n: int) -> tuple[int, dict]:
    body = json.dumps({"full_name": f"Racer {n}", "role": "visitor", "accept": True,
                       "policy_version": 1, "channel": "phone",
                       "accepted_at": YESTERDAY.isoformat() + "Z"}).encode()
    request = urllib.request.Request(url + "/api/v1/acceptances", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Kiosk-Client": "outbox",
        "Idempotency-Key": str(key)})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_same_keys_sent_to_two_processes_at_once_make_one_record_each(tmp_path, request,
                                                                          backend):
    database_url = (request.getfixturevalue("postgres_url") if backend == "postgresql"
                    else f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    shared = {"KIOSK_AUDIT_KEY": secrets.token_urlsafe(40)}  # one audit log, one key
    servers = [LiveServer(tmp_path / name, shared, database_url=database_url) for name in ("a", "b")]
    for server in servers:
        server.start()
    try:
        keys = [uuid.uuid4() for _ in range(40)]
        jobs = [(server.url, key, n) for n, key in enumerate(keys) for server in servers * 2]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda job: (job[1], send(*job)), jobs))
    finally:
        for server in servers:
            server.stop()
    answers: dict[uuid.UUID, set[str]] = {}
    for key, (status, body) in results:
        assert status == 201
        answers.setdefault(key, set()).add(json.dumps(body, sort_keys=True))
    assert all(len(bodies) == 1 for bodies in answers.values())  # one answer per key
    with servers[0].database():
        assert Acceptance.select().count() == 40
        assert {a.client_uuid for a in Acceptance.select()} == set(keys)
        checked, problem = audit.verify_chain()
        assert problem is None and checked == 41  # the seeded policy, then one per acceptance


def test_the_same_breach_keys_sent_to_two_processes_at_once_make_one_breach_each(tmp_path):
    shared = {"KIOSK_SECRET_KEY": secrets.token_urlsafe(40),  # one session valid on both
              "KIOSK_AUDIT_KEY": secrets.token_urlsafe(40)}  # one audit log, one key
    # On the PostgreSQL run, a database of its own there (tests/conftest.py).
    database_url = live.default_database(tmp_path / "shared") or f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    servers = [LiveServer(tmp_path / name, shared, database_url=database_url) for name in ("a", "b")]
    for server in servers:
        server.start()
    try:
        with servers[0].database():
            teacher = make_user("staff", email="racer@westacre.sch.uk")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(servers[0].url + "/signin").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        opener.open(servers[0].url + "/signin", data=urllib.parse.urlencode(
            {"csrf_token": token, "email": teacher.email, "password": PASSWORD}).encode())
        session = next(c.value for c in jar if c.name == "kiosk_session")

        def send_breach(url: str, key: uuid.UUID) -> int:
            body = json.dumps({"staff_id": teacher.id, "subject_kind": "visitor",
                               "category": "photographing", "occurred_at": typed(YESTERDAY),
                               "actions": ["asked_to_delete"]}).encode()
            request = urllib.request.Request(url + "/api/v1/breaches", data=body, method="POST",
                                             headers={"Content-Type": "application/json",
                                                      "X-Kiosk-Client": "outbox",
                                                      "Idempotency-Key": str(key),
                                                      "Cookie": f"kiosk_session={session}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status

        keys = [uuid.uuid4() for _ in range(20)]
        jobs = [(server.url, key) for key in keys for server in servers * 2]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda job: send_breach(*job), jobs))
    finally:
        for server in servers:
            server.stop()
    assert set(statuses) == {201}
    with servers[0].database():
        assert sorted(b.client_uuid for b in Breach.select()) == sorted(keys)
        assert DeletionRequest.select().count() == 20  # one each, not doubled
        assert audit.verify_chain()[1] is None
