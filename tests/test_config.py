"""Settings come from KIOSK_* variables, are parsed strictly, and are all documented."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def start(monkeypatch, tmp_path, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app({"KIOSK_INSTANCE_PATH": str(tmp_path)})


@pytest.mark.one_database("a setting refused before any database is opened")
@pytest.mark.parametrize(("name", "value", "message"), [
    ("KIOSK_THANKS_SECONDS", "soon", "KIOSK_THANKS_SECONDS must be a whole number"),
    ("KIOSK_THANKS_SECONDS", "1", "KIOSK_THANKS_SECONDS must be between 5 and 300"),
    ("KIOSK_SECURE_COOKIES", "maybe", "KIOSK_SECURE_COOKIES must be true or false"),
    ("KIOSK_PUBLIC_URL", "kiosk.school", "KIOSK_PUBLIC_URL must be an absolute http(s) address"),
    ("KIOSK_DATABASE_URL", "mysql://x/y", "KIOSK_DATABASE_URL must start with sqlite:///"),
    ("KIOSK_ENV", "prod", "KIOSK_ENV must be production or development"),
    ("KIOSK_TIMEZONE", "Mars/Olympus", "KIOSK_TIMEZONE must be a time zone"),
])
def test_it_refuses_to_start_with_a_bad_setting(monkeypatch, tmp_path, name, value, message):
    with pytest.raises(SystemExit) as stopped:
        start(monkeypatch, tmp_path, **{name: value})
    assert str(stopped.value).startswith("Policy Kiosk cannot start: " + message)


def test_it_generates_a_secret_key_into_the_instance_folder_and_reuses_it(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    first = start(monkeypatch, tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert start(monkeypatch, tmp_path).config["SECRET_KEY"] == first.config["SECRET_KEY"]


@pytest.mark.parametrize("weak", ["dev", "short-but-not-random"])
def test_production_refuses_a_weak_secret_key(monkeypatch, tmp_path, weak):
    with pytest.raises(SystemExit, match="KIOSK_SECRET_KEY is too weak for production"):
        start(monkeypatch, tmp_path, KIOSK_ENV="production", KIOSK_SECRET_KEY=weak)


def test_production_accepts_a_strong_key_and_secures_cookies(monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path, KIOSK_ENV="production", KIOSK_SECRET_KEY="x" * 16 + "Y" * 20,
                KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_a_public_address(monkeypatch, tmp_path):
    """Without it, emails' links would have to come from a request's Host, which anyone writes."""
    with pytest.raises(SystemExit) as stopped:
        start(monkeypatch, tmp_path, KIOSK_ENV="production")
    assert str(stopped.value).startswith("Policy Kiosk cannot start: KIOSK_PUBLIC_URL must be set "
                                         "in production")


def test_production_answers_only_its_public_host_and_the_extra_ones(monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path, KIOSK_ENV="production",
                KIOSK_PUBLIC_URL="https://Kiosk.Westacre.sch.uk:8443/",
                KIOSK_TRUSTED_HOSTS=" 192.168.1.20, .westacre.lan ")
    assert app.config["TRUSTED_HOSTS"] == ["kiosk.westacre.sch.uk", "192.168.1.20", ".westacre.lan"]


def test_development_also_answers_on_the_machine_itself_but_any_host_without_an_address(
        monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path, KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk")
    assert app.config["TRUSTED_HOSTS"] == ["kiosk.westacre.sch.uk", "localhost", "127.0.0.1"]
    monkeypatch.delenv("KIOSK_PUBLIC_URL")
    assert start(monkeypatch, tmp_path).config["TRUSTED_HOSTS"] is None


@pytest.mark.parametrize(("name", "value", "message"), [
    ("KIOSK_TRUSTED_HOSTS", "https://kiosk.school", "KIOSK_TRUSTED_HOSTS must be host names"),
    ("KIOSK_TRUSTED_HOSTS", "kiosk.school:5000", "KIOSK_TRUSTED_HOSTS must be host names"),
    ("KIOSK_TRUSTED_HOSTS", "kiosk school", "KIOSK_TRUSTED_HOSTS must be host names"),
    ("KIOSK_PUBLIC_URL", "http://[::1]:5000", "KIOSK_PUBLIC_URL must use a host name or an IPv4"),
])
def test_hosts_it_cannot_check_are_refused(monkeypatch, tmp_path, name, value, message):
    with pytest.raises(SystemExit) as stopped:
        start(monkeypatch, tmp_path, **{name: value})
    assert str(stopped.value).startswith("Policy Kiosk cannot start: " + message)


def test_an_https_public_url_secures_cookies(monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path, KIOSK_PUBLIC_URL="https://kiosk.westacre.sch.uk/")
    assert app.config["KIOSK_PUBLIC_URL"] == "https://kiosk.westacre.sch.uk"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_database_url_without_the_prefix_is_read(monkeypatch, tmp_path, new_database_url):
    url = new_database_url("other")
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    app = start(monkeypatch, tmp_path, DATABASE_URL=url)
    assert app.config["DATABASE_URL"] == url


@pytest.mark.sqlite_only("the default database is a SQLite file in the instance folder")
def test_the_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = start(monkeypatch, tmp_path)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve() / 'kiosk.sqlite3'}"


def test_every_setting_is_listed_in_the_readme():
    readme = README.read_text()
    documented = set(re.findall(r"^\| `(KIOSK_[A-Z_]+)`", readme, re.MULTILINE))
    assert documented == {f"KIOSK_{s.name}" for s in SETTINGS}
