// The entrance tablet: go back to the start when a screen is left alone, and never let the
// Back button bring back the previous person's page from the browser's memory.
//
// It imports only plural.js (and its i18n.js, which imports nothing), for the countdown's words,
// so it runs once the page is parsed with little more to fetch first (its idle timer with it).
// base.html loads it by its plain address, without ?v=, because submit.js
// imports startReturnCountdown from "./kiosk.js": one address is one copy of the module, where
// two would run every timer and listener below twice. The service worker keeps it to the page's
// release (moduleImport in templates/sw.js), as it does the other modules.

import { tn } from "./plural.js";

const body = document.body;
const homeUrl = body.dataset.homeUrl || "/";

const LARGER_TEXT = "kiosk-larger-text";

function goHome() {
  // The next person starts with the usual text size.
  try { window.sessionStorage.removeItem(LARGER_TEXT); } catch { /* storage refused */ }
  // replace(): the page being left does not stay in the history for the next person.
  window.location.replace(homeUrl);
}

// "Larger text" on the kiosk's pages (not on phones, which zoom by themselves): kept from page to
// page for this person, and dropped when the screen goes back to the start.
const largerText = document.querySelector("[data-larger-text]");
if (largerText && (body.classList.contains("kiosk") || body.dataset.kioskDevice)) {
  const apply = (on) => {
    document.documentElement.classList.toggle("larger-text", on);
    largerText.setAttribute("aria-pressed", String(on));
  };
  let on = false;
  try {
    // The start screen is where the next person begins: the usual size again.
    if (body.classList.contains("kiosk-home")) window.sessionStorage.removeItem(LARGER_TEXT);
    on = window.sessionStorage.getItem(LARGER_TEXT) === "yes";
  } catch { /* refused */ }
  apply(on);
  largerText.hidden = false;
  largerText.addEventListener("click", () => {
    on = !on;
    apply(on);
    try {
      if (on) window.sessionStorage.setItem(LARGER_TEXT, "yes");
      else window.sessionStorage.removeItem(LARGER_TEXT);
    } catch { /* refused: it lasts for this page */ }
  });
}

// A page restored from the back/forward cache may still hold someone's typing: load it afresh.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    window.location.reload();
  }
});

// Half-filled screens return home after a while without a touch or a key press.
const idleSeconds = Number(body.dataset.idleSeconds);
if (idleSeconds > 0) {
  let timer = window.setTimeout(goHome, idleSeconds * 1000);
  const restart = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(goHome, idleSeconds * 1000);
  };
  for (const type of ["pointerdown", "keydown", "input", "scroll", "touchstart"]) {
    window.addEventListener(type, restart, { passive: true });
  }
}

// The thank-you screen counts down, then clears itself: the server's thank-you page here, the
// in-page one from submit.js.
export function startReturnCountdown(seconds) {
  const countdown = document.querySelector("[data-countdown]:not([hidden]), [data-thanks]:not([hidden]) [data-countdown]");
  let left = seconds;
  const tick = () => {
    left -= 1;
    if (left <= 0) {
      goHome();
      return;
    }
    if (countdown) {
      countdown.textContent = tn("This screen goes back to the start in %(num)d second.",
        "This screen goes back to the start in %(num)d seconds.", left);
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 1000);
}

const returnSeconds = Number(body.dataset.returnSeconds);
if (returnSeconds > 0) {
  startReturnCountdown(returnSeconds);
}

// A page sent back with errors: focus moves to the summary at the top, and each of its links
// puts the cursor in the field it names (GOV.UK's error summary pattern).
const summary = document.querySelector("#error-summary");
if (summary) summary.focus();
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.focus();
  field.scrollIntoView({ block: "center" });
});

// The Print buttons of the poster and the roster's letters: an app opened from the home screen
// has no browser menu to print from. A button hidden until now is shown, as it works.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
