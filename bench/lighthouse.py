"""Lighthouse's accessibility and best-practices scores for the public pages and the staff home
(issue 16). A benchmark to run by hand, never part of `make test`:

    npm install --prefix /tmp/lh lighthouse@13.5.0      # once, outside the repository
    .venv/bin/python bench/lighthouse.py [--lighthouse /tmp/lh/node_modules/.bin/lighthouse]
                                         [--reports FOLDER]

It migrates and seeds a fresh SQLite instance in a temporary folder, adds a teacher and a person
on the roster, and serves it as `make run` does (`gunicorn --config python:kiosk.serve`,
KIOSK_ENV=development, so over plain http on 127.0.0.1). Then, as a browser would: a visitor
accepts the policy on the kiosk form (that session's cookie is the one /thanks is loaded with,
so it shows their thank-you), and the teacher signs in through the form (that session's cookie
is passed to Lighthouse with --extra-headers for the staff home). Lighthouse runs once a page in
Debian's Chromium (CHROME_PATH=/usr/bin/chromium, --headless=new --no-sandbox --disable-gpu),
with its default mobile emulation, for the two categories only. It prints a table of the scores
and, under it, every audit that did not pass, with the elements it names. With --reports the
JSON reports are kept in FOLDER.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess  # nosec B404: runs gunicorn and lighthouse, both named here
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = {"accessibility": "accessibility", "best-practices": "best practices"}
TEACHER = "teacher@westacre.sch.uk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(instance: Path) -> str:
    """Migrate and seed the instance, add a teacher and a roster person; the person's token."""
    from kiosk import create_app
    from kiosk.migrate import migrate_database
    from kiosk.models import db
    from kiosk.policies import seed_default_policy
    from kiosk.roster import add_person
    from tests.helpers import make_user

    app = create_app({"KIOSK_INSTANCE_PATH": str(instance)})
    with app.app_context(), db.connection_context():
        migrate_database()
        seed_default_policy()
        make_user("staff", email=TEACHER, display_name="Sam Teacher")
        token = add_person("Robin Governor", "robin.governor@example.org", "governor").token
    db.close()
    return token


class Stay(urllib.request.HTTPRedirectHandler):
    """Do not follow a redirect: the page it leads to is Lighthouse's to load first (the thanks
    are taken out of the session as they are shown)."""

    def redirect_request(self, *args, **kwargs):
        return None


def browser() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay), jar


def post_form(opener, url: str, answers: dict[str, str]) -> str:
    """GET a form's page, then send it back with its hidden fields and `answers`, as a browser
    would; where the answer sends it (its cookies kept), or the address sent to."""
    from tests.helpers import hidden_fields

    fields = {**hidden_fields(opener.open(url).read().decode()), **answers}
    body = urllib.parse.urlencode(fields).encode()
    try:
        with opener.open(urllib.request.Request(url, data=body)) as response:  # noqa: S310 (loopback)
            return response.geturl()
    except urllib.error.HTTPError as answer:
        if answer.code in (302, 303):
            return urllib.parse.urljoin(url, answer.headers["Location"])
        raise


def cookie_header(jar) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def shows(url: str, cookie: str, words: str) -> None:
    """The page, fetched with this cookie alone (the session in it is not changed by the fetch:
    the new cookie the answer sets is not kept), says `words`: Lighthouse will see the same."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if words not in response.read().decode():
            raise SystemExit(f"{url} with the cookie does not say {words!r}")


def run_lighthouse(lighthouse: str, url: str, report: Path, cookie: str | None) -> dict:
    command = [lighthouse, url, "--only-categories=" + ",".join(CATEGORIES),
               f"--chrome-flags={CHROME_FLAGS}", "--output=json", f"--output-path={report}",
               "--quiet"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROME}, check=True,  # nosec B603
                   timeout=180)
    return json.loads(report.read_text())


def failures(result: dict) -> list[str]:
    """The audits of the two categories that did not pass, each with the elements it names."""
    lines = []
    for category in CATEGORIES:
        for ref in result["categories"][category]["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if audit["scoreDisplayMode"] in ("binary", "numeric") and (audit["score"] or 0) < 1:
                lines.append(f"  {category}: {audit['id']} ({audit['title']}), "
                             f"weight {ref['weight']}")
                for item in (audit.get("details") or {}).get("items", [])[:5]:
                    node = item.get("node") or {}
                    said = node.get("snippet") or item.get("description") or item.get("source")
                    lines.append(f"      {json.dumps(said)[:160]}")
    return lines


def findings(result: dict) -> dict[str, str]:
    """Best practices' informative audits (they do not count towards the score): what each
    found, by audit."""
    found = {}
    for ref in result["categories"]["best-practices"]["auditRefs"]:
        audit = result["audits"][ref["id"]]
        if audit["scoreDisplayMode"] == "informative" and ref["id"] != "baseline":
            items = (audit.get("details") or {}).get("items", [])
            said = "; ".join(item.get("description", "") for item in items)
            if said:
                found[ref["id"]] = said
    return found


def main() -> None:
    from tests.helpers import PASSWORD

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse",  # where the docstring's npm command puts it
                        default="/tmp/lh/node_modules/.bin/lighthouse")  # noqa: S108
    parser.add_argument("--reports", type=Path, help="keep the JSON reports in this folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-lighthouse-"))
    reports = args.reports or folder / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    instance = folder / "instance"
    # This process prepares the instance and gunicorn serves it: the same settings for both.
    os.environ.update(KIOSK_INSTANCE_PATH=str(instance), KIOSK_ENV="development")
    for setting in ("DATABASE_URL", "KIOSK_DATABASE_URL", "KIOSK_PUBLIC_URL", "KIOSK_TRUSTED_HOSTS"):
        os.environ.pop(setting, None)
    env = dict(os.environ)
    token = prepare(instance)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(folder / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(  # nosec B603
            [str(BIN / "gunicorn"), "--config", "python:kiosk.serve", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)

        visitor, visitor_jar = browser()
        landed = post_form(visitor, base + "/accept?channel=kiosk", {
            "full_name": "Priya Shah", "role": "visitor", "accept": "y"})
        if "/thanks" not in landed:
            raise SystemExit(f"the visitor's acceptance was refused: {landed}")
        teacher, teacher_jar = browser()
        landed = post_form(teacher, base + "/signin", {"email": TEACHER,
                                                       "password": PASSWORD})
        if not landed.endswith("/staff/"):
            raise SystemExit(f"the teacher was not signed in: {landed}")
        shows(base + "/thanks?channel=kiosk", cookie_header(visitor_jar), "Thank you, Priya Shah")
        shows(base + "/staff/", cookie_header(teacher_jar), "Log a breach")

        pages = [
            ("start screen", "/", None),
            ("policy (kiosk)", "/policy?channel=kiosk", None),
            ("accept form (kiosk)", "/accept?channel=kiosk", None),
            ("policy (phone)", "/policy?channel=phone", None),
            ("privacy notice", "/privacy", None),
            ("thanks (after accepting)", "/thanks?channel=kiosk", cookie_header(visitor_jar)),
            ("personal link", f"/p/{token}", None),
            ("staff home (signed in)", "/staff/", cookie_header(teacher_jar)),
        ]
        rows, notes, informative = [], [], {}
        for number, (name, path, cookie) in enumerate(pages):
            result = run_lighthouse(args.lighthouse, base + path, reports / f"{number}.json", cookie)
            if result.get("runtimeError"):
                raise SystemExit(f"{name}: {result['runtimeError']}")
            landed = result.get("finalDisplayedUrl") or result["finalUrl"]
            scores = [round(result["categories"][c]["score"] * 100) for c in CATEGORIES]
            rows.append((name, path.replace(token, "<token>"), *scores))
            if landed != base + path:
                notes.append(f"{name}: landed on {landed}")
            for audit, said in findings(result).items():
                informative.setdefault(f"{audit}: {said}", []).append(name)
            if lines := failures(result):
                notes.append(f"{name} ({path.replace(token, '<token>')}):")
                notes.extend(lines)
    finally:
        server.terminate()
        server.wait(timeout=15)

    print(f"Lighthouse {result['lighthouseVersion']}, {result['environment']['hostUserAgent']}")
    print(f"| page | path | {' | '.join(CATEGORIES.values())} |")
    print("|---|---|" + "---:|" * len(CATEGORIES))
    for name, path, *scores in rows:
        print(f"| {name} | `{path}` | " + " | ".join(str(s) for s in scores) + " |")
    print("\n".join(["", "Audits that did not pass:", *notes] if notes else
                    ["", "Every scored audit passed."]))
    print("\nInformative, not scored (best practices):")
    for said, names in informative.items():
        print(f"  {said} ({'every page' if len(names) == len(rows) else ', '.join(names)})")
    if args.reports:
        print(f"Reports in {reports}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
