// Offline support for every page: the service worker, the outbox and its "N waiting to send",
// sending forms through the outbox, and taking a new version only when the screen is idle.
// Each part is a module of its own; this one starts them, in order.
//
// The imports are relative ("./status.js"). Resolved against this file's address they lose its
// ?v=, so the service worker, not the address, keeps them from the same release as the page:
// see moduleImport in templates/sw.js. Every file under static/ is precached, these too.

import { Outbox } from "./outbox-module.js";
import { registerServiceWorker } from "./register.js";
import { fillNow, prepareShell } from "./shell.js";
import { warnAtSignOut } from "./sign-out.js";
import { flush } from "./status.js";
import { checkStorage } from "./storage.js";
import { sendFormsThroughOutbox } from "./submit.js";

const RETRY_SECONDS = 20;

// At once, whatever the browser offers: without an outbox a form still posts as usual.
sendFormsThroughOutbox();
warnAtSignOut();

// --- When to send -----------------------------------------------------------------------------

async function start() {
  fillNow();
  await checkStorage();
  await prepareShell();
  await registerServiceWorker();
  await flush();
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  window.addEventListener("pageshow", (event) => { if (event.persisted) flush(); });
  window.setInterval(flush, RETRY_SECONDS * 1000);
}

// Resolves once the page has checked its storage, shown its status and can send (the browser
// tests wait for it instead of guessing with a sleep).
window.KioskOfflineReady = Outbox && "indexedDB" in window ? start() : Promise.resolve();
