// The server's reasons for refusing a form sent through the outbox, shown beside its fields.

import { t } from "./i18n.js";

// As the page would show them without JavaScript: a summary at the top in the form's order,
// each item a link to its field, focus on the summary.
export function showFieldErrors(form, fields) {
  for (const old of form.querySelectorAll("[data-js-error]")) old.remove();
  for (const old of form.querySelectorAll(".field--error")) old.classList.remove("field--error");
  for (const old of document.querySelectorAll("[data-js-summary], #error-summary")) old.remove();
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  summary.dataset.jsSummary = "";
  const heading = document.createElement("h2");
  heading.textContent = t("There is a problem");
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
    // Translators: read out by a screen reader before the message about a field.
    hidden.textContent = t("Error:");
    error.append(hidden, ` ${message}`);
    container.classList.add("field--error");
    const folded = first.closest("details"); // "More details", folded away: open it to show why
    if (folded) folded.open = true;
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
