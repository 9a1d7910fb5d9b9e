"""Two app processes racing on the same Idempotency-Keys still make one record per key."""

from __future__ import annotations

import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from kiosk import audit
from kiosk.models import Acceptance

from .live import LiveServer


def send(url: str, key: uuid.UUID, n: int) -> tuple[int, dict]:
    body = json.dumps({"full_name": f"Racer {n}", "role": "visitor", "accept": True,
                       "policy_version": 1, "channel": "phone",
                       "accepted_at": "2026-11-24T09:00:00Z"}).encode()
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
    servers = [LiveServer(tmp_path / name, {}, database_url=database_url) for name in ("a", "b")]
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
