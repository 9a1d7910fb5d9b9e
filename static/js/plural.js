// A count in words, in the page's language: tn("%(num)d record", "%(num)d records", n). Polish
// has three forms where English has two, so the page carries each translation by the plural
// category of Intl.PluralRules ("one", "few", "many", "other"; kiosk/i18n.py's script_messages);
// without one, English: the first for 1, the second for any other count.

import { format, language, pageStrings } from "./i18n.js";

function category(n) {
  try {
    return new Intl.PluralRules(language()).select(n);
  } catch {
    return n === 1 ? "one" : "other"; // a language tag the browser does not know
  }
}

export function tn(one, many, n, values) {
  const forms = pageStrings().plurals[one];
  const chosen = (forms && (forms[category(n)] || forms.other)) || (n === 1 ? one : many);
  return format(chosen, Object.assign({ num: n }, values));
}
