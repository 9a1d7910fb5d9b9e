"""Hand-written mutations of the offline code (static/js/outbox.js, static/js/offline.js and the
modules it starts, static/js/kiosk.js and the service worker, templates/sw.js): each is applied
in turn, the browser tests that guard it run against it (after passing once without it), and the
file is put back. A mutation the tests do not notice "survived": a rule no test checks. Run by
`make mutation`; prints one line a mutation and a score.

mutmut does the same for the Python rules; it cannot read JavaScript.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    file: str
    old: str
    new: str
    what: str  # the rule it breaks
    tests: str  # pytest -k expression for the browser tests that should notice
    in_file: str = "tests/browser/test_offline.py"


MUTATIONS = [
    Mutation("static/js/outbox.js", "if (response.ok) {", "if (response.ok || response.status >= 500) {",
             "an entry leaves the outbox only on a 2xx (here: also on a 5xx)", "server_error"),
    Mutation("static/js/outbox.js", 'redirect: "error",', 'redirect: "follow",',
             "a redirect (a sign-in page answering 200) is never taken as the record kept",
             "redirect_to_the_sign_in or session-expired"),
    Mutation("static/js/outbox.js", '"Idempotency-Key": entry.id,', '"Idempotency-Key": crypto.randomUUID(),',
             "a replay carries the entry's own key, so it makes one record", "replayed"),
    Mutation("static/js/outbox.js",
             '      if (response.status === 401) {\n'
             '        await Outbox.update(entry.id, { state: "waiting", message: "sign-in" });',
             '      if (response.status === 401) {\n        await Outbox.remove(entry.id);',
             "a record whose author must sign in again waits for them", "session-expired"),
    Mutation("static/js/outbox.js", 'if (response.status === 409 && answer.error === "other_user") {',
             "if (false) {", "another teacher's record waits for them, not 'needs attention'",
             "another_teachers_record"),
    Mutation("static/js/outbox.js", '(entry) => entry.state === "waiting");\n          let stop',
             '(entry) => entry.state !== "sent");\n          let stop',
             "entries needing attention are not resent on their own", "refuses"),
    Mutation("static/js/offline.js", "const RETRY_SECONDS = 20;", "const RETRY_SECONDS = 2000;",
             "what is waiting is retried every 20 seconds", "retried_on_a_timer"),
    Mutation("static/js/offline.js", 'window.addEventListener("online", flush);', "",
             "what is waiting is sent when the connection returns",
             "sends_exactly_once_when_back_online"),
    Mutation("static/js/offline.js", 'if (document.visibilityState === "visible") flush();', "",
             "what is waiting is sent when the screen is shown again", "becomes_visible_again"),
    Mutation("static/js/storage.js", "    if (lost > 0) await Outbox.setMeta(\"wiped\", lost);",
             "    await Outbox.setMeta(\"wiped\", 1);",
             "a first visit is never told its records were wiped", "first_visit"),
    Mutation("static/js/status.js", "  const entries = await countWaiting();",
             "  const { entries } = await Outbox.snapshot();",
             "a wipe after everything was sent is not reported", "wipe_after_everything"),
    Mutation("static/js/status.js",
             "statusBox.hidden = !waiting.length && !attention.length && !wipedCount;",
             "statusBox.hidden = !attention.length && !wipedCount;",
             "records waiting to send are shown", "sends_exactly_once_when_back_online"),
    Mutation("static/js/status.js",
             "statusBox.hidden = !waiting.length && !attention.length && !wipedCount;",
             "statusBox.hidden = false;", "nothing about sending is shown when nothing waits",
             "first_visit"),
    Mutation("static/js/submit.js", 'if (form.dataset.sending === "yes") return; // a double tap',
             "", "a double tap makes one record", "replayed"),
    Mutation("templates/sw.js", 'new Request(url, { cache: "reload", credentials: "omit" })',
             'new Request(url, { cache: "reload", credentials: "include" })',
             "the precache is fetched without cookies, so nothing signed in is cached",
             "nothing_signed_in"),
    Mutation("templates/sw.js", "    event.waitUntil(KioskOutbox.flush().then(",
             "    event.waitUntil(Promise.resolve().then(",
             "a Background Sync sends what is waiting", "background_sync"),
    Mutation("static/js/register.js", "&& Date.now() - lastInteraction > idleSeconds * 1000) {", ") {",
             "a new version waits until the home screen is idle", "new_policy_is_shown"),
    Mutation("static/js/submit.js", '  if (body.dataset.channel === "kiosk") {\n    startReturnCountdown(',
             '  if (true) {\n    startReturnCountdown(',
             "the phone's thank-you never counts down", "never_counts_down",
             "tests/browser/test_visitor.py"),
    Mutation("static/js/kiosk.js", '    window.addEventListener(type, restart, { passive: true });', "",
             "the kiosk does not go home while someone is typing", "goes_home_when_left_alone",
             "tests/browser/test_visitor.py"),
    Mutation("static/js/kiosk.js", "let timer = window.setTimeout(goHome, idleSeconds * 1000);",
             "let timer = null;", "a half-filled kiosk screen goes home when left alone",
             "goes_home_when_left_alone", "tests/browser/test_visitor.py"),
]


def pytest(in_file: str, tests: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", in_file, "-k", tests],
        cwd=ROOT, capture_output=True, text=True)


def outcome(result: subprocess.CompletedProcess, what: str) -> bool:
    """True when the tests failed (pytest's exit code 1); anything else is not a verdict."""
    if result.returncode == 5:
        raise SystemExit(f"no browser test matches {what}")
    if result.returncode not in (0, 1):
        raise SystemExit(f"pytest could not run {what} (exit {result.returncode}):\n"
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.returncode == 1


def run(mutation: Mutation, baseline: dict[tuple[str, str], bool]) -> bool:
    """Apply, test, restore. True when the tests noticed (the mutation was killed)."""
    selection = (mutation.in_file, mutation.tests)
    if selection not in baseline:  # the same tests must pass on the real code first
        baseline[selection] = not outcome(pytest(*selection), f"-k {mutation.tests!r}")
        if not baseline[selection]:
            raise SystemExit(f"{mutation.in_file} -k {mutation.tests!r} fails without any mutation")
    path = ROOT / mutation.file
    original = path.read_text()
    if original.count(mutation.old) != 1:
        raise SystemExit(f"{mutation.file}: the text to mutate for '{mutation.what}' is not there "
                         "exactly once; update scripts/mutate-js.py")
    path.write_text(original.replace(mutation.old, mutation.new))
    try:
        result = pytest(*selection)
    finally:
        path.write_text(original)
    return outcome(result, f"-k {mutation.tests!r}")


def stop_on_terminate(signum, frame) -> None:
    """A CI cancel or `timeout` sends SIGTERM: stop like Ctrl-C, so the file is put back."""
    raise KeyboardInterrupt


def main() -> int:
    """All mutations, or only those whose description holds one of the words given."""
    chosen = [m for m in MUTATIONS if not sys.argv[1:] or any(w in m.what for w in sys.argv[1:])]
    if not chosen:
        print("No mutation's description holds any of: " + ", ".join(sys.argv[1:]))
        return 2
    changed = subprocess.run(["git", "status", "--porcelain", "--", *{m.file for m in chosen}],
                             cwd=ROOT, capture_output=True, text=True).stdout
    if changed.strip():  # a mutation left behind by a killed run would be mistaken for the code
        print(f"Commit or restore these first:\n{changed}")
        return 2
    signal.signal(signal.SIGTERM, stop_on_terminate)
    baseline: dict[tuple[str, str], bool] = {}
    killed = 0
    for mutation in chosen:
        caught = run(mutation, baseline)
        killed += caught
        print(f"{'killed  ' if caught else 'SURVIVED'}  {mutation.file}: {mutation.what}", flush=True)
    print(f"\n{killed} of {len(chosen)} hand-written mutations of the offline code killed "
          f"({100 * killed // len(chosen)}%).")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    raise SystemExit(main())
