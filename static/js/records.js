// What each form sent through the outbox becomes: the API it goes to, its fields as the API
// takes them, and a label the staff's status line shows if the server refuses it (in the
// language of the page the record was made on, with its time as that language writes it).

import { language, t } from "./i18n.js";

const body = document.body;

const now = () => new Date().toLocaleString(language());

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

// By the form's data-outbox: builders[kind](form, submitter) is {url, label, body}.
export const builders = {
  acceptance(form) {
    const fields = formBody(form);
    return {
      // In the page's language, so a reason the server refuses it reads as the page does (the
      // picker's choice is in the page's address, not in the browser's languages).
      url: `/api/v1/acceptances${language().startsWith("en") ? "" : `?lang=${encodeURIComponent(language())}`}`,
      label: t("An acceptance"),
      body: {
        full_name: fields.full_name || "", role: fields.role || "", organisation: fields.organisation || "",
        reason: fields.reason || "", accept: Boolean(fields.accept), policy_version: fields.policy_version,
        channel: fields.channel, roster_token: fields.roster_token || "",
        translation: fields.translation || "",
        accepted_at: new Date().toISOString(),
      },
    };
  },
  breach(form, submitter) {
    // The save button pressed ("Were they asked to delete it?") goes as asked_to_delete: the
    // API's BreachForm counts "yes" as that action, as the page's does.
    const fields = formBody(form, submitter);
    return {
      url: "/api/v1/breaches",
      label: t("Breach logged %(when)s", { when: now() }),
      body: Object.assign(fields, { actions: [].concat(fields.actions || []),
        staff_id: body.dataset.staffId || form.dataset.staffId }),
    };
  },
  disclosure(form) {
    // "A child told me something": the label names no child (the status line is on a shared iPad).
    const fields = formBody(form);
    return {
      url: "/api/v1/disclosures",
      label: t("What a child told you, %(when)s", { when: now() }),
      body: Object.assign(fields, { staff_id: body.dataset.staffId || form.dataset.staffId }),
    };
  },
  deletion(form) {
    const fields = formBody(form);
    return {
      url: "/api/v1/deletion-requests",
      label: t("Deletion request %(when)s", { when: now() }),
      body: Object.assign(fields, { staff_id: body.dataset.staffId || form.dataset.staffId }),
    };
  },
};
