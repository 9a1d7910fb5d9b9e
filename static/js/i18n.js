// The scripts' words in the page's language. A script writes each message in English inside
// t("...") (tn() in plural.js for a count), where `make translations` finds it; the page carries
// its translations (base.html's #ui-strings, from kiosk/i18n.py's script_messages, which lists
// every message here: tests/test_i18n_js.py checks it). A message the page does not carry is
// shown as written, in English. Placeholders are named, as in the Python: "%(name)s".

let carried = null;

// The page's #ui-strings, read once: {messages: {English: translated}, plurals: {...}}.
export function pageStrings() {
  if (!carried) {
    carried = { messages: {}, plurals: {} };
    const element = document.getElementById("ui-strings");
    try {
      if (element) Object.assign(carried, JSON.parse(element.textContent));
    } catch {
      // Unreadable: the English below.
    }
  }
  return carried;
}

// The page's language, for Intl's dates, numbers and plural rules ("en-GB" for English).
export function language() {
  return document.documentElement.lang || "en-GB";
}

// Puts the values in: "%(name)s" and "%(num)d" by name, "%%" as "%". Without values the message
// is left as it is, as Python's gettext does.
export function format(message, values) {
  if (!values) return message;
  return message.replace(/%(?:\(([A-Za-z_][A-Za-z0-9_]*)\)[sd]|%)/g,
    (whole, name) => (name === undefined ? "%" : name in values ? String(values[name]) : whole));
}

// t("Working offline as %(name)s.", { name }): the message in the page's language.
export function t(message, values) {
  return format(pageStrings().messages[message] || message, values);
}

// A message kept earlier in English and shown now (outbox.js's, which it marks with its own t()
// because it also runs in the service worker, which has no page): translated if the page carries
// it, else as it is (the server's own words, say).
export function translated(message) {
  return pageStrings().messages[message] || message;
}
