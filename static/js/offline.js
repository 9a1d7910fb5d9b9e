// Offline support for every page: the service worker, the outbox and its "N waiting to send",
// sending forms through the outbox, and taking a new version only when the screen is idle.
/* global KioskOutbox */
import { startReturnCountdown } from "./kiosk.js";

const body = document.body;
const Outbox = window.KioskOutbox;
const statusBox = document.querySelector("[data-outbox-status]");
const isStaffPage = body.dataset.audience === "staff";
const RETRY_SECONDS = 20;

// --- The service worker --------------------------------------------------------------------

let registration = null;
let lastInteraction = Date.now();
for (const type of ["pointerdown", "keydown", "input", "touchstart"]) {
  window.addEventListener(type, () => { lastInteraction = Date.now(); }, { passive: true });
}

async function registerServiceWorker() {
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

// --- Storage that lasts ----------------------------------------------------------------------

let storageWiped = false;

async function checkStorage() {
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
  const remembered = window.localStorage.getItem("policy-kiosk-device");
  const stored = await Outbox.getMeta("device");
  if (remembered && !stored) {
    // The browser emptied this site's database (iPadOS does so for sites not on the Home Screen).
    storageWiped = true;
  }
  const device = stored || remembered || crypto.randomUUID();
  await Outbox.setMeta("device", device);
  window.localStorage.setItem("policy-kiosk-device", device);
  if (body.dataset.staffId) {
    await Outbox.setMeta("staff", { id: body.dataset.staffId, name: body.dataset.staffName });
  }
}

// --- "N waiting to send" ----------------------------------------------------------------------

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

async function showStatus(lastResult) {
  if (!statusBox) return;
  const entries = await Outbox.all();
  const waiting = entries.filter((entry) => entry.state === "waiting");
  const attention = entries.filter((entry) => entry.state === "attention");
  statusBox.replaceChildren();
  statusBox.hidden = false;
  const line = document.createElement("span");
  if (!waiting.length && !attention.length) {
    line.textContent = "All sent";
    statusBox.dataset.state = "sent";
  } else {
    const parts = [];
    if (waiting.length) parts.push(`${plural(waiting.length, "record", "records")} waiting to send`);
    if (attention.length) parts.push(`${attention.length} need${attention.length === 1 ? "s" : ""} attention`);
    line.textContent = parts.join(", ");
    statusBox.dataset.state = attention.length ? "attention" : "waiting";
  }
  statusBox.append(line);
  if (waiting.some((entry) => entry.message === "sign-in") || (lastResult && lastResult.signIn)) {
    const link = document.createElement("a");
    link.href = `/signin?next=${encodeURIComponent(window.location.pathname)}`;
    link.textContent = "Sign in to send";
    statusBox.append(" ", link);
  }
  if (attention.length) {
    const list = document.createElement("ul");
    for (const entry of attention) {
      const item = document.createElement("li");
      // On public screens, only what went wrong: never someone's name.
      item.textContent = isStaffPage && entry.label ? `${entry.label}: ${entry.message}` : entry.message;
      list.append(item);
    }
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link-button";
    retry.textContent = "Try again";
    retry.addEventListener("click", async () => {
      for (const entry of attention) await Outbox.update(entry.id, { state: "waiting", message: "" });
      flush();
    });
    statusBox.append(list, retry);
  }
  if (storageWiped) {
    const warning = document.createElement("strong");
    warning.textContent = " This device's saved records were cleared by the browser: anything not yet sent from it may be lost.";
    statusBox.append(warning);
  }
}

async function flush() {
  const result = await Outbox.flush();
  await showStatus(result);
  return result;
}

async function queue(entry) {
  const record = await Outbox.add(entry);
  if (registration && registration.sync) {
    registration.sync.register("outbox").catch(() => {});
  }
  return record;
}

// --- Forms go through the outbox -----------------------------------------------------------

function formBody(form, submitter) {
  const data = new FormData(form, submitter);
  const fields = {};
  for (const [key, value] of data.entries()) {
    if (key === "csrf_token" || key === "client_uuid") continue;
    if (key in fields) fields[key] = [].concat(fields[key], value);
    else fields[key] = value;
  }
  return fields;
}

function sendNatively(form, submitter) {
  // Let the server show its messages beside the fields, exactly as without JavaScript.
  form.dataset.native = "yes";
  form.requestSubmit(submitter || undefined);
}

const builders = {
  acceptance(form) {
    const fields = formBody(form);
    return {
      url: "/api/v1/acceptances",
      label: "An acceptance",
      body: {
        full_name: fields.full_name || "", role: fields.role || "", organisation: fields.organisation || "",
        reason: fields.reason || "", accept: Boolean(fields.accept), policy_version: fields.policy_version,
        channel: fields.channel, roster_token: fields.roster_token || "",
        accepted_at: new Date().toISOString(),
      },
    };
  },
  breach(form, submitter) {
    const fields = formBody(form, submitter);
    const actions = [].concat(fields.actions || []);
    if (fields.asked_to_delete === "yes" && !actions.includes("asked_to_delete")) actions.push("asked_to_delete");
    delete fields.asked_to_delete;
    return {
      url: "/api/v1/breaches",
      label: `Breach logged ${new Date().toLocaleString("en-GB")}`,
      body: Object.assign(fields, { actions, staff_id: body.dataset.staffId || form.dataset.staffId }),
    };
  },
  deletion(form) {
    const fields = formBody(form);
    return {
      url: "/api/v1/deletion-requests",
      label: `Deletion request ${new Date().toLocaleString("en-GB")}`,
      body: Object.assign(fields, { staff_id: body.dataset.staffId || form.dataset.staffId }),
    };
  },
};

async function submitThroughOutbox(event) {
  const form = event.target;
  if (!form.matches("form[data-outbox]") || form.dataset.native === "yes") return;
  event.preventDefault();
  if (form.dataset.sending === "yes") return; // a double tap
  const kind = form.dataset.outbox;
  const submitter = event.submitter;
  if (!navigator.onLine && !form.checkValidity()) {
    form.reportValidity();
    return;
  }
  const staffId = body.dataset.staffId || form.dataset.staffId;
  if (kind !== "acceptance" && !staffId) {
    showNote(form, "Sign in first: this iPad does not know who you are.");
    return;
  }
  form.dataset.sending = "yes";
  const entry = await queue(Object.assign({ id: crypto.randomUUID(), kind, staffId }, builders[kind](form, submitter)));
  const outcome = await Outbox.send(entry);
  if (outcome === "attention") {
    const refused = await Outbox.get(entry.id);
    if (refused && refused.fields && Object.keys(refused.fields).length && form.method === "post" && form.getAttribute("action")) {
      await Outbox.remove(entry.id); // the person is here to correct it; the page will show why
      sendNatively(form, submitter);
      return;
    }
  }
  form.dataset.sending = "";
  await showStatus();
  done(form, kind, entry, outcome);
}

function showNote(form, text) {
  let note = form.querySelector("[data-outbox-note]");
  if (!note) {
    note = document.createElement("p");
    note.className = "callout";
    note.setAttribute("role", "status");
    note.dataset.outboxNote = "";
    form.prepend(note);
  }
  note.textContent = text;
  note.focus();
}

function done(form, kind, entry, outcome) {
  if (kind === "acceptance") {
    showThanks(entry);
    return;
  }
  if (outcome === "sent") {
    window.location.assign(kind === "breach" ? "/staff/reports?saved=1" : "/staff/deletions?saved=1");
    return;
  }
  const saved = document.querySelector("[data-saved-offline]");
  if (saved) {
    form.hidden = true;
    saved.hidden = false;
    saved.querySelector("[data-saved-message]").textContent = outcome === "sign-in"
      ? "Saved on this iPad. Sign in again to send it."
      : "Saved on this iPad. It will be sent when the connection is back.";
    saved.focus();
  } else {
    showNote(form, "Saved on this iPad. It will be sent when the connection is back.");
    form.reset();
  }
}

function showThanks(entry) {
  const thanks = document.querySelector("[data-thanks]");
  const main = document.querySelector("main");
  for (const child of main.children) child.hidden = child !== thanks;
  thanks.hidden = false;
  thanks.querySelector("[data-thanks-name]").textContent = entry.body.full_name;
  const when = new Date(entry.body.accepted_at);
  thanks.querySelector("[data-thanks-time]").textContent = when.toLocaleTimeString("en-GB", { hour: "numeric", minute: "2-digit" })
    + " on " + when.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  thanks.querySelector("[data-thanks-time]").setAttribute("datetime", when.toISOString());
  document.title = `Thank you – ${document.title.split("–").pop().trim()}`;
  thanks.querySelector("h1").focus();
  if (body.dataset.channel === "kiosk") {
    startReturnCountdown(Number(thanks.dataset.returnSeconds) || 20);
  }
}

document.addEventListener("submit", submitThroughOutbox);

// --- Signing out with records still waiting warns first -----------------------------------------

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-sign-out]") || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  const mine = (await Outbox.all()).filter((entry) => entry.staffId === body.dataset.staffId);
  if (!mine.length) {
    form.dataset.confirmed = "yes";
    form.requestSubmit();
    return;
  }
  const warning = document.querySelector("[data-sign-out-warning]");
  warning.querySelector("[data-sign-out-count]").textContent = plural(mine.length, "record is", "records are");
  warning.hidden = false;
  warning.querySelector("h2").focus();
  warning.querySelector("[data-sign-out-anyway]").onclick = () => {
    form.dataset.confirmed = "yes";
    form.requestSubmit();
  };
  warning.querySelector("[data-stay]").onclick = () => { warning.hidden = true; };
});

// --- The offline staff shell: who is working, and the time now ---------------------------------

async function prepareShell() {
  const shell = document.querySelector("form[data-offline-shell]");
  if (!shell) return;
  const staff = await Outbox.getMeta("staff");
  const note = document.createElement("p");
  if (staff && staff.id) {
    shell.dataset.staffId = staff.id;
    note.textContent = `Working offline as ${staff.name}.`;
  } else {
    note.textContent = "Sign in when the connection is back: this iPad does not know who you are yet.";
  }
  shell.before(note);
}

function fillNow() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  for (const input of document.querySelectorAll("input[data-default-now]")) {
    if (!input.value) input.value = local;
  }
}

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

if (Outbox && "indexedDB" in window) {
  start();
}
