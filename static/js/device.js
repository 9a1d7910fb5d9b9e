// A tablet the head paired as a kiosk (kiosk/devices.py): keep the screen awake, offer full
// screen, and tell the school a few times an hour that it is here, which release it runs and
// how many records wait in its outbox. Loaded only on a paired tablet's public pages.

import { countWaiting } from "./storage.js";

const body = document.body;
const REPORT_MINUTES = 5;

// Screen Wake Lock: the browser lets a lock go when the page is hidden, so ask again whenever it
// is shown. Refused (battery saver, an older browser): the screen sleeps as it would anyway.
async function keepAwake() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
  try {
    await navigator.wakeLock.request("screen");
  } catch {
    // Not allowed now; asked again when the page is next shown.
  }
}
document.addEventListener("visibilitychange", keepAwake);
keepAwake();

// Full screen, on a tap (browsers allow it only from one). Hidden while already full screen.
const fullscreen = document.querySelector("[data-fullscreen]");
if (fullscreen && document.documentElement.requestFullscreen) {
  const show = () => { fullscreen.hidden = Boolean(document.fullscreenElement); };
  fullscreen.addEventListener("click", () => {
    document.documentElement.requestFullscreen().catch(() => {});
  });
  document.addEventListener("fullscreenchange", show);
  show();
}

async function report() {
  let waiting = 0;
  try {
    waiting = (await countWaiting()).length;
  } catch {
    // No outbox in this browser: nothing can be waiting in it.
  }
  const form = new URLSearchParams({
    csrf_token: body.dataset.reportToken, version: body.dataset.release || "",
    waiting: String(waiting),
  });
  try {
    await fetch(body.dataset.reportUrl, { method: "POST", body: form, credentials: "same-origin" });
  } catch {
    // Offline: the next report says it all.
  }
}
report();
window.setInterval(report, REPORT_MINUTES * 60 * 1000);
