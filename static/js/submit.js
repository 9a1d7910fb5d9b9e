// Forms marked data-outbox (an acceptance, a breach, a deletion request) are saved in the outbox
// first and then sent, so nothing typed is lost when the connection is; then the screen shows
// what happened: the thank-you, "saved on this iPad", or the server's reasons beside the fields.

import { showFieldErrors } from "./field-errors.js";
import { language, t } from "./i18n.js";
import { startReturnCountdown } from "./kiosk.js";
import { Outbox } from "./outbox-module.js";
import { builders } from "./records.js";
import { askForBackgroundSync } from "./register.js";
import { showStatus } from "./status.js";
import { countWaiting, noticeWipe } from "./storage.js";

const body = document.body;

export function sendFormsThroughOutbox() {
  document.addEventListener("submit", submitThroughOutbox);
}

async function queue(entry) {
  await noticeWipe();
  const record = await Outbox.add(entry);
  // Counted outside the database at once: the browser may wipe it before the next status line.
  await countWaiting();
  askForBackgroundSync();
  return record;
}

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
    showNote(form, t("Sign in first: this iPad does not know who you are."));
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
    else showNote(form, t("This iPad could not save the record. Please try again."));
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
    showNote(form, t("The server refused this record; the reason is shown at the top of the screen."));
    return;
  }
  if (kind === "acceptance") {
    showThanks(entry);
    return;
  }
  if (outcome === "sent") {
    // The page it now appears on; its "saved" names the record, so the thank-you there says
    // what happens next to this one (passed on to the headteacher, the DSL told), as the page
    // without the script does.
    const sent = new URL(form.dataset.sentUrl, window.location.href);
    if (sent.searchParams.has("saved")) sent.searchParams.set("saved", entry.id);
    window.location.assign(sent.href);
    return;
  }
  const saved = document.querySelector("[data-saved-offline]");
  if (saved) {
    form.hidden = true;
    saved.hidden = false;
    saved.querySelector("[data-saved-message]").textContent = outcome === "sign-in"
      ? t("Saved on this iPad. Sign in again to send it.")
      : t("Saved on this iPad. It will be sent when the connection is back.");
    saved.focus();
  } else {
    showNote(form, t("Saved on this iPad. It will be sent when the connection is back."));
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
  // As the server writes it in English: "2:05pm on 24 November 2026"; in another language, the
  // time as that language writes it.
  const english = language().startsWith("en");
  const clock = english
    ? `${when.getHours() % 12 || 12}:${String(when.getMinutes()).padStart(2, "0")}${when.getHours() < 12 ? "am" : "pm"}`
    : when.toLocaleTimeString(language(), { hour: "numeric", minute: "2-digit" });
  const date = when.toLocaleDateString(language(), { day: "numeric", month: "long", year: "numeric" });
  // Translators: when a visitor accepted, as "2:05pm on 24 November 2026".
  thanks.querySelector("[data-thanks-time]").textContent = t("%(time)s on %(date)s", { time: clock, date });
  thanks.querySelector("[data-thanks-time]").setAttribute("datetime", when.toISOString());
  // Translators: the browser tab's title on the thank-you screen; the name is the school's.
  document.title = t("Thank you – %(name)s", { name: document.title.split("–").pop().trim() });
  thanks.querySelector("h1").focus();
  if (body.dataset.channel === "kiosk") {
    startReturnCountdown(Number(thanks.dataset.returnSeconds) || 20);
  }
}
