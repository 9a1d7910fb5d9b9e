// The status line at the top of every page: "N records waiting to send", the records that need
// attention (with "Try again"), and the warning that the browser wiped records not yet sent.

import { t, translated } from "./i18n.js";
import { Outbox } from "./outbox-module.js";
import { tn } from "./plural.js";
import { countWaiting, forgetWipe, noticeWipe } from "./storage.js";

const statusBox = document.querySelector("[data-outbox-status]");
const isStaffPage = document.body.dataset.audience === "staff";

let shownStatus = "";

// Shown only when something is waiting, needs attention or was lost; nothing otherwise (a
// visitor has no use for "all sent"). lastResult: what the last flush found, if it just ran.
export async function showStatus(lastResult) {
  const entries = await countWaiting();
  const wipedCount = await noticeWipe();
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
    const waitingWords = tn("%(num)d record waiting to send", "%(num)d records waiting to send",
      waiting.length);
    // Translators: how many records need attention (of those that could not be sent).
    const attentionWords = tn("%(num)d needs attention", "%(num)d need attention", attention.length);
    if (waiting.length && attention.length) {
      // Translators: both at once, as "2 records waiting to send, 1 needs attention".
      line.textContent = t("%(waiting)s, %(attention)s", { waiting: waitingWords, attention: attentionWords });
    } else {
      line.textContent = waiting.length ? waitingWords : attentionWords;
    }
    statusBox.dataset.state = attention.length ? "attention" : "waiting";
    statusBox.append(line);
  }
  if (waiting.some((entry) => entry.message === "sign-in") || (lastResult && lastResult.signIn)) {
    const link = document.createElement("a");
    link.href = `/signin?next=${encodeURIComponent(window.location.pathname)}`;
    link.textContent = t("Sign in to send");
    statusBox.append(" ", link);
  }
  if (attention.length) {
    const list = document.createElement("ul");
    for (const entry of attention) {
      const item = document.createElement("li");
      // On public screens, only what went wrong: never someone's name.
      const message = translated(entry.message);
      // Translators: a record that was not sent ("Breach logged …"), then the server's reason.
      item.textContent = isStaffPage && entry.label ? t("%(label)s: %(message)s", { label: entry.label, message }) : message;
      list.append(item);
    }
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link-button";
    retry.textContent = t("Try again");
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
      discard.textContent = t("Remove from this iPad");
      discard.addEventListener("click", async () => {
        if (!window.confirm(t("Remove the records that need attention from this iPad? They were never saved on the server."))) return;
        for (const entry of attention) await Outbox.remove(entry.id);
        showStatus();
      });
      statusBox.append(" ", discard);
    }
  }
  if (wipedCount) {
    const warning = document.createElement("p");
    warning.className = "wiped-warning";
    warning.textContent = isStaffPage
      ? tn("%(num)d record saved on this iPad was cleared by the browser before it could be sent. "
          + "Please enter it again.",
        "%(num)d records saved on this iPad were cleared by the browser before they could be sent. "
          + "Please enter them again.", wipedCount)
      : tn("%(num)d record not yet sent from this device was lost when the browser cleared its saved "
          + "data. Please tell the office.",
        "%(num)d records not yet sent from this device were lost when the browser cleared its saved "
          + "data. Please tell the office.", wipedCount);
    const understood = document.createElement("button");
    understood.type = "button";
    understood.className = "link-button";
    understood.textContent = t("OK, I understand");
    understood.addEventListener("click", async () => {
      await forgetWipe();
      showStatus();
    });
    warning.append(" ", understood);
    statusBox.append(warning);
  }
}

// Sends everything waiting, then redraws the line with what happened (a sign-in needed, say).
export async function flush() {
  const result = await Outbox.flush();
  await showStatus(result);
  return result;
}
