// The links page's Copy button: every name and link at once, through the Clipboard API. Where
// the browser will not (a page not on HTTPS, or copying refused), the text is selected instead,
// for the person to copy themselves. Without JavaScript the button stays hidden and the text
// can be selected by hand.

import { t } from "./i18n.js";

for (const button of document.querySelectorAll("[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!source || !status) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      // Never shown: it only leads to the catch below.
      if (!navigator.clipboard) throw new Error("This browser has no clipboard for pages.");
      await navigator.clipboard.writeText(source.value);
      status.textContent = t("Copied. Now paste them where you need them.");
    } catch {
      source.focus();
      source.select();
      // Translators: "Copy" is the name of the copy command the phone or tablet shows.
      status.textContent = t("The links are selected: copy them with Ctrl+C (⌘C on a Mac or an "
        + "iPad keyboard), or with Copy on your screen.");
    }
  });
}
