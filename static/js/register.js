// The service worker: registered on every page; a new version is taken only when the screen is
// idle on a home page, never mid-form.

const body = document.body;

let registration = null;
// Watched from the moment the page loads, not from when the worker is registered.
let lastInteraction = Date.now();
for (const type of ["pointerdown", "keydown", "input", "touchstart"]) {
  window.addEventListener(type, () => { lastInteraction = Date.now(); }, { passive: true });
}

export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    return;
  }
  // A page loaded while the first worker was still activating is not yet controlled: ask.
  navigator.serviceWorker.ready.then((ready) => {
    if (!navigator.serviceWorker.controller && ready.active) ready.active.postMessage({ type: "CLAIM" });
  });
  // A new version waits until this screen is idle on a home page; never mid-form.
  if (body.dataset.updateWhenIdle === "yes") {
    const checkSeconds = Number(body.dataset.updateCheckSeconds) || 60;
    window.setInterval(() => registration.update().catch(() => {}), checkSeconds * 1000);
    window.setInterval(applyUpdateIfIdle, 1000);
  }
  // The first service worker taking control is not an update; only a replacement reloads.
  let firstControl = !navigator.serviceWorker.controller;
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (firstControl) {
      firstControl = false;
      return;
    }
    if (reloading || body.dataset.updateWhenIdle !== "yes") return;
    reloading = true;
    window.location.reload();
  });
}

function applyUpdateIfIdle() {
  const idleSeconds = Number(body.dataset.updateIdleSeconds) || 10;
  if (registration && registration.waiting && navigator.serviceWorker.controller
      && Date.now() - lastInteraction > idleSeconds * 1000) {
    registration.waiting.postMessage({ type: "SKIP_WAITING" });
  }
}

// Where the browser has Background Sync, the worker sends what was just queued even if this page
// is closed first.
export function askForBackgroundSync() {
  if (registration && registration.sync) {
    registration.sync.register("outbox").catch(() => {});
  }
}
