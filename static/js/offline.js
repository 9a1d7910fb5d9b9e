// Offline support for every page: the service worker, the outbox and its "N waiting to send",
// sending forms through the outbox, and taking a new version only when the screen is idle.
/* global KioskOutbox */

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

// How many records this device had waiting, kept outside the outbox's database in a cookie
// (which the server sends back, so Safari keeps it as long as any cookie): if the database is
// found empty and new while the cookie still counts records, the browser wiped them.
const WAITING_COOKIE = "kiosk_waiting";
let wipedCount = 0;

function waitingInCookie() {
  const match = document.cookie.match(/(?:^|;\s*)kiosk_waiting=([0-9]+)/);
  return match ? Number(match[1]) : 0;
}

function rememberWaiting(count) {
  if (count === waitingInCookie()) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = count > 0
    ? `${WAITING_COOKIE}=${count}; Max-Age=${400 * 86400}; Path=/; SameSite=Strict${secure}`
    : `${WAITING_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict${secure}`;
}

// A database without this device's id is new: on a first visit there is no cookie and nothing
// to say; with records counted in the cookie, they were here and are gone. Checked before the
// cookie is next written, also by a page that was open while the browser wiped the database.
async function noticeWipe() {
  if (!(await Outbox.getMeta("device"))) {
    const lost = waitingInCookie();
    if (lost > 0) await Outbox.setMeta("wiped", lost); // kept until someone reads it
    await Outbox.setMeta("device", crypto.randomUUID());
  }
  wipedCount = Number(await Outbox.getMeta("wiped")) || 0;
}

// Keeps the cookie's count, but only from a database that still holds this device's id: one the
// browser has just wiped says nothing, and the cookie keeps counting what it lost for noticeWipe.
async function countWaiting() {
  const { device, entries } = await Outbox.snapshot();
  if (device) rememberWaiting(entries.length);
  return entries;
}

async function checkStorage() {
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
  await noticeWipe();
  if (body.dataset.staffId) {
    await Outbox.setMeta("staff", { id: body.dataset.staffId, name: body.dataset.staffName });
  }
}

// --- "N waiting to send" ----------------------------------------------------------------------

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

let shownStatus = "";

// Shown only when something is waiting, needs attention or was lost; nothing otherwise (a
// visitor has no use for "all sent").
async function showStatus(lastResult) {
  const entries = await countWaiting();
  await noticeWipe();
  if (!statusBox) return;
  const waiting = entries.filter((entry) => entry.state === "waiting");
  const attention = entries.filter((entry) => entry.state === "attention");
  // Redraw only when something changed, so a screen reader is not told the same thing again
  // and a focused button is not taken away.
  const signature = JSON.stringify([entries.map((e) => [e.id, e.state, e.message]), wipedCount,
    Boolean(lastResult && lastResult.signIn)]);
  if (signature === shownStatus) return;
  shownStatus = signature;
  statusBox.replaceChildren();
  statusBox.hidden = !waiting.length && !attention.length && !wipedCount;
  delete statusBox.dataset.state;
  if (waiting.length || attention.length) {
    const line = document.createElement("span");
    const parts = [];
    if (waiting.length) parts.push(`${plural(waiting.length, "record", "records")} waiting to send`);
    if (attention.length) parts.push(`${attention.length} need${attention.length === 1 ? "s" : ""} attention`);
    line.textContent = parts.join(", ");
    statusBox.dataset.state = attention.length ? "attention" : "waiting";
    statusBox.append(line);
  }
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
    if (isStaffPage) {
      // A member of staff may decide a refused record is not needed; never on a public screen.
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link-button";
      discard.textContent = "Remove from this iPad";
      discard.addEventListener("click", async () => {
        if (!window.confirm("Remove the records that need attention from this iPad? They were never saved on the server.")) return;
        for (const entry of attention) await Outbox.remove(entry.id);
        showStatus();
      });
      statusBox.append(" ", discard);
    }
  }
  if (wipedCount) {
    const warning = document.createElement("p");
    warning.className = "wiped-warning";
    const them = wipedCount === 1 ? "it" : "them";
    warning.textContent = isStaffPage
      ? `${plural(wipedCount, "record", "records")} saved on this iPad ${wipedCount === 1 ? "was" : "were"} cleared by the browser before ${wipedCount === 1 ? "it" : "they"} could be sent. Please enter ${them} again.`
      : `${plural(wipedCount, "record", "records")} not yet sent from this device ${wipedCount === 1 ? "was" : "were"} lost when the browser cleared its saved data. Please tell the office.`;
    const understood = document.createElement("button");
    understood.type = "button";
    understood.className = "link-button";
    understood.textContent = "OK, I understand";
    understood.addEventListener("click", async () => {
      await Outbox.setMeta("wiped", 0);
      wipedCount = 0;
      showStatus();
    });
    warning.append(" ", understood);
    statusBox.append(warning);
  }
}

async function flush() {
  const result = await Outbox.flush();
  await showStatus(result);
  return result;
}

async function queue(entry) {
  await noticeWipe();
  const record = await Outbox.add(entry);
  // Counted outside the database at once: the browser may wipe it before the next status line.
  await countWaiting();
  if (registration && registration.sync) {
    registration.sync.register("outbox").catch(() => {});
  }
  return record;
}

// --- Forms go through the outbox -----------------------------------------------------------

function formBody(form, submitter) {
  const data = new FormData(form);
  // The button pressed counts too (Safari before 16.4 ignores FormData's submitter argument).
  if (submitter && submitter.name) data.append(submitter.name, submitter.value);
  const fields = {};
  for (const [key, value] of data.entries()) {
    if (key === "csrf_token" || key === "client_uuid") continue;
    if (key in fields) fields[key] = [].concat(fields[key], value);
    else fields[key] = value;
  }
  return fields;
}

// The server's reasons, beside the fields, as the page would show them without JavaScript: a
// summary at the top in the form's order, each item a link to its field, focus on the summary.
function showFieldErrors(form, fields) {
  for (const old of form.querySelectorAll("[data-js-error]")) old.remove();
  for (const old of form.querySelectorAll(".field--error")) old.classList.remove("field--error");
  for (const old of document.querySelectorAll("[data-js-summary], #error-summary")) old.remove();
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  summary.dataset.jsSummary = "";
  const heading = document.createElement("h2");
  heading.textContent = "There is a problem";
  const list = document.createElement("ul");
  summary.append(heading, list);
  const order = Array.from(form.elements, (element) => element.name);
  const position = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  const names = Object.keys(fields).sort((a, b) => position(a) - position(b));
  for (const name of names) {
    const message = fields[name];
    const item = document.createElement("li");
    list.append(item);
    const control = form.elements[name];
    const first = control && (control.length !== undefined && !control.tagName ? control[0] : control);
    if (!first || first.type === "hidden") {
      item.textContent = message;
      continue;
    }
    const link = document.createElement("a");
    link.href = `#${first.id}`;
    link.textContent = message; // kiosk.js moves the cursor to the field when it is followed
    item.append(link);
    const container = first.closest(".field") || first.parentElement;
    const error = document.createElement("p");
    error.className = "error-message";
    error.id = `${name}-error`;
    error.dataset.jsError = "";
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Error:";
    error.append(hidden, ` ${message}`);
    container.classList.add("field--error");
    const fieldset = first.closest("fieldset");
    if (first.type === "radio" && fieldset) {
      fieldset.querySelector("legend").after(error);
      fieldset.setAttribute("aria-describedby", error.id);
    } else if (first.type === "checkbox") {
      // Above the tick's tile, not inside it.
      (first.closest(".tile") || first).before(error);
      first.setAttribute("aria-describedby", error.id);
      first.setAttribute("aria-invalid", "true");
    } else {
      first.before(error);
      first.setAttribute("aria-describedby", error.id);
      first.setAttribute("aria-invalid", "true");
    }
  }
  form.before(summary);
  summary.focus();
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
  let entry;
  try {
    entry = await queue(Object.assign({ id: crypto.randomUUID(), kind, staffId }, builders[kind](form, submitter)));
  } catch (error) {
    // No outbox here (no IndexedDB, or it failed): the form still works as an ordinary post.
    form.dataset.sending = "";
    if (form.getAttribute("action")) sendNatively(form, submitter);
    else showNote(form, "This iPad could not save the record. Please try again.");
    return;
  }
  const outcome = await Outbox.send(entry);
  form.dataset.sending = "";
  if (outcome === "attention") {
    const refused = await Outbox.get(entry.id);
    if (refused && refused.fields && Object.keys(refused.fields).length) {
      // The person is here to put it right: show why beside the fields, and let them send it
      // again as a new record.
      await Outbox.remove(entry.id);
      showFieldErrors(form, refused.fields);
      await showStatus();
      return;
    }
  }
  await showStatus();
  done(form, kind, entry, outcome);
}

function sendNatively(form, submitter) {
  form.dataset.native = "yes";
  form.requestSubmit(submitter || undefined);
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
  if (outcome === "attention" && kind !== "acceptance") {
    showNote(form, "The server refused this record; the reason is shown at the top of the screen.");
    return;
  }
  if (kind === "acceptance") {
    showThanks(entry);
    return;
  }
  if (outcome === "sent") {
    window.location.assign(form.dataset.sentUrl); // the list it now appears in
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
  // As the server writes it: "2:05pm on 24 November 2026".
  const clock = `${when.getHours() % 12 || 12}:${String(when.getMinutes()).padStart(2, "0")}${when.getHours() < 12 ? "am" : "pm"}`;
  thanks.querySelector("[data-thanks-time]").textContent = `${clock} on `
    + when.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  thanks.querySelector("[data-thanks-time]").setAttribute("datetime", when.toISOString());
  document.title = `Thank you – ${document.title.split("–").pop().trim()}`;
  thanks.querySelector("h1").focus();
  if (body.dataset.channel === "kiosk") {
    window.KioskScreen.startReturnCountdown(Number(thanks.dataset.returnSeconds) || 20);
  }
}

document.addEventListener("submit", submitThroughOutbox);

// --- Signing out with records still waiting warns first -----------------------------------------

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-sign-out]") || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  const mine = (await Outbox.all()).filter((entry) => entry.staffId === body.dataset.staffId);
  const signOut = async () => {
    // The next person on this iPad must not work offline under this name.
    await Outbox.setMeta("staff", null);
    form.dataset.confirmed = "yes";
    form.requestSubmit();
  };
  if (!mine.length) {
    await signOut();
    return;
  }
  const warning = document.querySelector("[data-sign-out-warning]");
  warning.querySelector("[data-sign-out-count]").textContent = plural(mine.length, "record is", "records are");
  warning.hidden = false;
  warning.querySelector("h2").focus();
  warning.querySelector("[data-sign-out-anyway]").onclick = signOut;
  warning.querySelector("[data-stay]").onclick = () => { warning.hidden = true; };
});

// --- The offline staff shell: who is working, and the time now ---------------------------------

async function prepareShell() {
  const shells = document.querySelectorAll("form[data-offline-shell]");
  if (!shells.length) return;
  const staff = await Outbox.getMeta("staff");
  const note = document.createElement("p");
  note.className = "callout";
  if (staff && staff.id) {
    for (const shell of shells) shell.dataset.staffId = staff.id;
    note.textContent = `Working offline as ${staff.name}.`;
  } else {
    note.textContent = "Sign in when the connection is back: this iPad does not know who you are yet.";
  }
  document.querySelector("h1").after(note);
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

// Resolves once the page has checked its storage, shown its status and can send (the browser
// tests wait for it instead of guessing with a sleep).
window.KioskOfflineReady = Outbox && "indexedDB" in window ? start() : Promise.resolve();
