// The offline staff shell (/staff/offline, the cached page a member of staff gets without a
// connection): who is working, and the time now.

import { t } from "./i18n.js";
import { Outbox } from "./outbox-module.js";

// The shell is cached without cookies, so it cannot know who is signed in: the outbox remembers
// (storage.js) and the forms send under that id.
export async function prepareShell() {
  const shells = document.querySelectorAll("form[data-offline-shell]");
  if (!shells.length) return;
  const staff = await Outbox.getMeta("staff");
  const note = document.createElement("p");
  note.className = "callout";
  if (staff && staff.id) {
    for (const shell of shells) shell.dataset.staffId = staff.id;
    note.textContent = t("Working offline as %(name)s.", { name: staff.name });
  } else {
    note.textContent = t("Sign in when the connection is back: this iPad does not know who you are yet.");
  }
  document.querySelector("h1").after(note);
}

// Inputs marked data-default-now start at the local time now, if nothing is in them.
export function fillNow() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  for (const input of document.querySelectorAll("input[data-default-now]")) {
    if (!input.value) input.value = local;
  }
}
