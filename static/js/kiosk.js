// The entrance tablet: go back to the start when a screen is left alone, and never let the
// Back button bring back the previous person's page from the browser's memory.

import { goHome, startReturnCountdown } from "./home.js";

const body = document.body;

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

// The server's thank-you page counts down too (the in-page one starts it in submit.js).
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
