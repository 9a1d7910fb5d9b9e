// The breach form for posting without the headteacher's permission: under the name, the
// permissions the head gave someone of that name, asked of the server as the name is typed or
// one of today's visitors is chosen. When it cannot ask (no network, signed out) it says so, and
// the breach can still be saved (the breach's page shows the same check once it is sent).

import { t } from "./i18n.js";

const box = document.getElementById("permission-check");
const form = box && box.closest("form");
if (form) {
  const nameInput = form.querySelector('input[name="subject_name"]');
  let timer = null;
  let asked = null;

  const currentName = () => {
    const chosen = form.querySelector('input[name="acceptance"]:checked');
    if (chosen && chosen.value && chosen.dataset.name) return chosen.dataset.name;
    return nameInput ? nameInput.value.trim() : "";
  };

  const check = async () => {
    const name = currentName();
    if (name === asked) return;
    asked = name;
    if (!name) {
      box.replaceChildren();
      return;
    }
    try {
      const response = await fetch(`${box.dataset.checkUrl}?name=${encodeURIComponent(name)}`,
                                   {credentials: "same-origin", headers: {Accept: "text/html"}});
      // Signed out meanwhile, the answer is the sign-in page: not something to show here.
      if (!response.ok || response.redirected) throw new Error(String(response.status));
      const piece = await response.text();
      // A slower answer for a name typed before this one is not shown.
      if (name === asked) box.innerHTML = piece;
    } catch {
      if (name !== asked) return;
      const said = document.createElement("p");
      said.className = "callout";
      said.setAttribute("role", "status");
      said.textContent = t("The headteacher's permissions could not be checked just now. "
        + "You can still save this.");
      box.replaceChildren(said);
    }
  };

  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  };
  form.addEventListener("input", (event) => {
    if (event.target === nameInput) soon();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "acceptance") soon();
  });
  // The server's answer is for the name the page opened with; one typed before this script ran
  // is asked about now.
  asked = box.dataset.checkedName || "";
  check();
}
