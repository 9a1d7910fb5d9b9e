"""Host header injection (issue 13, finding 3): anyone can write a request's Host, so no address
the school hands out (an email's link, a QR code, a personal link) is made from it, and with a
public address set the app answers no other host."""

from __future__ import annotations

import pytest

from kiosk import create_app, roster
from kiosk.migrate import migrate_database
from kiosk.models import db
from kiosk.policies import seed_default_policy
from kiosk.qr import qr_svg

from .helpers import field_error, hidden_fields, make_user, nothing_written, sign_in_as

PUBLIC = "https://kiosk.westacre.sch.uk"
LAN = "192.168.1.20"  # the server on the school network, in KIOSK_TRUSTED_HOSTS


def new_app(tmp_path, **settings):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                      **settings})
    with app.app_context():
        migrate_database()
        seed_default_policy()
    return app


@pytest.fixture
def hosted(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("KIOSK_TRUSTED_HOSTS", LAN)
    app = new_app(tmp_path)
    yield app
    if not db.is_closed():
        db.close()


def a_head(app):
    with app.app_context():
        return make_user("head")


def on_host(client, host: str) -> None:
    """The signed-in session sent to `host` too, as a script sending any Host could."""
    client.set_cookie("kiosk_session", client.get_cookie("kiosk_session").value, domain=host)


@pytest.mark.one_database("another Host, refused before any view")
@pytest.mark.parametrize("path", ["/", "/signin", "/p/some-token", "/static/css/kiosk.css",
                                  "/admin/roster"])
def test_a_request_for_another_host_is_a_plain_400_page_with_no_link(hosted, path):
    client = hosted.test_client()
    with nothing_written(hosted):
        response = client.get(path, base_url="http://evil.example")
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "This is not the kiosk&#39;s address" in html
    assert "evil.example" not in html and "href" not in html and "http" not in html.lower()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_api_refuses_another_host_in_json(hosted):
    response = hosted.test_client().post("/api/v1/acceptances", json={}, base_url="http://evil.example")
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_forwarded_host_is_checked_behind_a_proxy(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_PUBLIC_URL", PUBLIC)
    app = new_app(tmp_path, KIOSK_PROXY_COUNT=1)
    client = app.test_client()
    forged = client.get("/", headers={"X-Forwarded-Host": "evil.example"},
                        base_url="http://kiosk.westacre.sch.uk")
    assert forged.status_code == 400
    proxied = client.get("/", headers={"X-Forwarded-Host": "kiosk.westacre.sch.uk",
                                       "X-Forwarded-Proto": "https"}, base_url="http://127.0.0.1")
    assert proxied.status_code == 200


@pytest.mark.parametrize("base_url", [PUBLIC, f"http://{LAN}:5000", "http://localhost",
                                      "http://127.0.0.1:5000"])
def test_the_public_host_the_listed_ones_and_in_development_the_machine_are_answered(hosted,
                                                                                      base_url):
    assert hosted.test_client().get("/", base_url=base_url).status_code == 200


def test_without_a_public_address_development_answers_any_host(app, client):
    """The tests and `make run` on 127.0.0.1, and a developer's iPad on the network."""
    assert app.config["TRUSTED_HOSTS"] is None
    assert client.get("/", base_url="http://kiosk.local").status_code == 200


def test_the_qr_code_and_personal_links_use_the_public_address_whatever_host_was_asked(hosted):
    client = hosted.test_client()
    head = a_head(hosted)
    lan = f"http://{LAN}"
    poster = client.get("/poster", base_url=lan).get_data(as_text=True)
    assert f"{PUBLIC}/phone" in poster and LAN not in poster
    svg = client.get("/qr.svg", base_url=lan).get_data()
    with hosted.test_request_context(base_url=lan):
        assert svg == qr_svg(f"{PUBLIC}/phone").encode()
        person = roster.add_person("Penny Parent", "penny@example.org", "pta")
    sign_in_as(client, head)
    on_host(client, LAN)
    page = client.get(f"/admin/roster/{person.id}", base_url=lan).get_data(as_text=True)
    assert f"{PUBLIC}/p/{person.token}" in page and LAN not in page
    links = client.get("/admin/roster/links", base_url=lan).get_data(as_text=True)
    assert f"{PUBLIC}/p/{person.token}" in links and LAN not in links


# Reminder emails ------------------------------------------------------------------------------------

def remind_from(app, client, head, smtp_server, host: str):
    controller, inbox = smtp_server
    app.config.update(KIOSK_SMTP_HOST="127.0.0.1", KIOSK_SMTP_PORT=controller.port,
                      KIOSK_SMTP_STARTTLS=False)
    sign_in_as(client, head)
    token = hidden_fields(client.get("/admin/roster").get_data(as_text=True))["csrf_token"]
    on_host(client, host)
    response = client.post("/admin/roster/remind", data={"csrf_token": token},
                           base_url=f"http://{host}")
    assert response.status_code == 303
    [message] = inbox.messages
    return message


def test_a_reminder_asked_for_on_a_forged_host_carries_no_link_made_from_it(app, client, head,
                                                                            smtp_server):
    with app.app_context():
        person = roster.add_person("Rem Inder", "rem@example.org", "volunteer")
    message = remind_from(app, client, head, smtp_server, "evil.example")
    body = message.get_payload()
    assert "evil.example" not in message.as_string()
    assert person.token not in body  # no link at all without a public address
    assert "the school office can give you your own link" in body


def test_a_reminder_links_to_the_address_the_head_set(app, client, head, smtp_server):
    from kiosk.models import SchoolSettings

    with app.app_context():
        person = roster.add_person("Rem Inder", "rem@example.org", "volunteer")
        SchoolSettings.create(public_url=PUBLIC, school_name="Westacre")
    message = remind_from(app, client, head, smtp_server, "evil.example")
    assert f"{PUBLIC}/p/{person.token}" in message.get_payload()
    assert "evil.example" not in message.as_string()


# The head's set-up screen ----------------------------------------------------------------------------

def test_the_head_cannot_set_an_address_the_server_will_not_answer(hosted):
    from .test_school_setup import post_setup

    client = hosted.test_client()
    sign_in_as(client, a_head(hosted))
    refused = post_setup(client, public_url="https://kiosk.elsewhere.example")
    assert refused.status_code == 422
    assert "does not answer at that address" in field_error(
        refused.get_data(as_text=True), "public_url")
    assert post_setup(client, public_url=f"http://{LAN}").status_code == 303


# The set-up address printed when the server starts --------------------------------------------------

def test_production_prints_the_set_up_address_at_its_public_address(tmp_path, monkeypatch, capsys):
    """gunicorn listens on loopback behind the proxy, and production answers no host but its
    public one: the address printed must be one that opens."""
    from types import SimpleNamespace

    from kiosk import serve

    monkeypatch.setenv("KIOSK_ENV", "production")
    monkeypatch.setenv("KIOSK_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    new_app(tmp_path)
    # gunicorn's app, loaded in the master (preload_app): one made from this environment.
    serve.when_ready(SimpleNamespace(LISTENERS=["http://127.0.0.1:8000"],
                                     app=SimpleNamespace(wsgi=create_app)))
    printed = capsys.readouterr().out
    assert f"{PUBLIC}/setup?token=" in printed and "127.0.0.1" not in printed
