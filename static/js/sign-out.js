// Signing out with records still waiting warns first: they can only be sent under this name.

import { Outbox } from "./outbox-module.js";
import { tn } from "./plural.js";

const body = document.body;

export function warnAtSignOut() {
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
    warning.querySelector("[data-sign-out-count]").textContent = tn(
      "%(num)d record is still waiting to send from this iPad. If you sign out now they stay here "
        + "and are sent when you next sign in.",
      "%(num)d records are still waiting to send from this iPad. If you sign out now they stay "
        + "here and are sent when you next sign in.",
      mine.length);
    warning.hidden = false;
    warning.querySelector("h2").focus();
    warning.querySelector("[data-sign-out-anyway]").onclick = signOut;
    warning.querySelector("[data-stay]").onclick = () => { warning.hidden = true; };
  });
}
