// The head's policy editor: a toolbar that writes Markdown at the selection, pasting from Word
// made safe on the server, and the preview and the list of changes following the text.
// The preview's HTML is made and sanitised on the server (nh3), the same as the published page;
// it is parsed into an inert document here, never run. Everything else is put in as text.
// Without JavaScript the same form works as a plain Markdown box.

import { t } from "./i18n.js";

const form = document.querySelector("[data-policy-editor]");
const preview = document.querySelector("[data-preview]");
const changes = document.querySelector("[data-changes]");
const toolbar = document.querySelector("[data-toolbar]");
const pasteStatus = document.querySelector("[data-paste-status]");
let timer = null;
let latest = 0;

function post(url, body, json = false) {
  return fetch(url, {
    method: "POST",
    body: json ? JSON.stringify(body) : body,
    credentials: "same-origin",
    headers: {
      "X-CSRFToken": form.elements.csrf_token.value,
      ...(json ? { "Content-Type": "application/json" } : {}),
    },
  });
}

// The preview and the changes ------------------------------------------------------------------

async function refresh() {
  const asked = ++latest;
  const data = new FormData();
  for (const name of ["title", "key_points", "body"]) data.append(name, form.elements[name].value);
  let answer;
  try {
    const response = await post(form.dataset.previewUrl, data);
    if (!response.ok || asked !== latest) return;
    answer = await response.json();
  } catch {
    return; // offline or signed out: the preview waits for the next change
  }
  const parsed = new DOMParser().parseFromString(answer.html, "text/html");
  preview.replaceChildren(...parsed.body.childNodes);
  const items = answer.changes.map((change) => {
    const item = document.createElement("li");
    item.className = `diff-${change.kind}`;
    item.textContent = change.text;
    return item;
  });
  if (!items.length) {
    const none = document.createElement("li");
    none.className = "diff-none";
    none.textContent = t("No changes yet.");
    items.push(none);
  }
  changes.replaceChildren(...items);
}

function refreshSoon() {
  window.clearTimeout(timer);
  timer = window.setTimeout(refresh, 300);
}

// Writing at the selection ---------------------------------------------------------------------

// Replace text[start, end) with `text`, keeping the browser's undo where it can, then select
// [selectStart, selectEnd) of what was inserted.
function replaceRange(area, start, end, text, selectStart = text.length, selectEnd = selectStart) {
  area.focus();
  area.setSelectionRange(start, end);
  // insertText keeps Ctrl+Z working in Chromium and Safari; elsewhere setRangeText does the same
  // change without the undo step.
  const kept = document.queryCommandSupported?.("insertText")
    && document.execCommand("insertText", false, text)
    && area.value.slice(start, start + text.length) === text;
  if (!kept) {
    area.setRangeText(text, start, end, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  area.setSelectionRange(start + selectStart, start + selectEnd);
}

// The whole lines the selection touches.
function selectedLines(area) {
  const { value, selectionStart, selectionEnd } = area;
  const start = value.lastIndexOf("\n", selectionStart - 1) + 1;
  let end = value.indexOf("\n", selectionEnd > selectionStart ? selectionEnd - 1 : selectionEnd);
  if (end === -1) end = value.length;
  return { start, end, lines: value.slice(start, end).split("\n") };
}

// Put a marker at the start of each selected line, or take it off when every line has it.
function markLines(area, marker, pattern) {
  const { start, end, lines } = selectedLines(area);
  const written = lines.filter((line) => line.trim());
  if (!written.length) { // an empty line: start it with the marker, ready to type
    const first = typeof marker === "function" ? marker(1) : marker;
    replaceRange(area, start, end, first);
    return;
  }
  const off = written.every((line) => pattern.test(line));
  let number = 0;
  const text = lines.map((line) => {
    if (!line.trim()) return line;
    const bare = line.replace(/^(#{1,6}\s+|\s*(?:[-*+]|\d+[.)])\s+)/, "");
    if (off) return bare;
    number += 1;
    return `${typeof marker === "function" ? marker(number) : marker}${bare}`;
  }).join("\n");
  replaceRange(area, start, end, text, text.length);
}

// Wrap the selection in `before`/`after`, or put in a placeholder to type over.
function wrap(area, before, after, placeholder, selectInside = true) {
  const { value, selectionStart: start, selectionEnd: end } = area;
  const selected = value.slice(start, end);
  if (selected && selected.startsWith(before) && selected.endsWith(after)
      && selected.length >= before.length + after.length) {
    const inner = selected.slice(before.length, selected.length - after.length);
    replaceRange(area, start, end, inner, 0, inner.length);
    return;
  }
  // Spaces selected with a word stay outside the marks: "**word** " not "**word **".
  const lead = selected.length - selected.trimStart().length;
  const trail = selected.length - selected.trimEnd().length;
  const inner = selected.trim() || placeholder;
  const text = `${selected.slice(0, lead)}${before}${inner}${after}${selected.slice(selected.length - trail)}`;
  const innerStart = lead + before.length;
  if (selectInside) replaceRange(area, start, end, text, innerStart, innerStart + inner.length);
  else replaceRange(area, start, end, text, innerStart + inner.length + 2, text.length - trail - 1);
}

const FORMATS = {
  heading: (area) => markLines(area, "## ", /^#{1,6}\s/),
  bulleted: (area) => markLines(area, "- ", /^\s*[-*+]\s/),
  numbered: (area) => markLines(area, (n) => `${n}. `, /^\s*\d+[.)]\s/),
  // Translators: put in the policy's text in bold, selected, for the head to type over.
  bold: (area) => wrap(area, "**", "**", t("bold words")),
  // A link's words are the selection; its address is selected next, to type over.
  link: (area) => {
    const selected = area.value.slice(area.selectionStart, area.selectionEnd).trim();
    if (selected) wrap(area, "[", "](https://)", selected, false);
    // Translators: put in the policy's text as a link's words, for the head to type over.
    else wrap(area, "[", "](https://)", t("words to show"));
  },
};

function setUpToolbar(area) {
  const buttons = [...toolbar.querySelectorAll("button[data-format]")];
  // One stop in the Tab order; the arrow keys move between the buttons (the ARIA toolbar).
  buttons.forEach((button, index) => { button.tabIndex = index === 0 ? 0 : -1; });
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-format]");
    if (!button) return;
    FORMATS[button.dataset.format](area);
  });
  toolbar.addEventListener("keydown", (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (index === -1) return;
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = buttons[(next + buttons.length) % buttons.length];
    buttons.forEach((button) => { button.tabIndex = button === target ? 0 : -1; });
    target.focus();
  });
  toolbar.hidden = false;
}

// Pasting from Word or a web page ---------------------------------------------------------------

// Paragraphs, headings and lists pasted into the middle of the text stand apart from what is
// around them, with a blank line each side, as Markdown needs; a few words go in as they are.
function asBlocks(value, start, end, text) {
  if (!text.includes("\n")) return text;
  const before = value.slice(0, start);
  const after = value.slice(end);
  const lead = !before || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
  const trail = !after || after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
  return `${lead}${text}${trail}`;
}

async function pasteHtml(area, event) {
  const html = event.clipboardData?.getData("text/html");
  if (!html || !form.dataset.pasteUrl) return; // plain text: the browser pastes it as it is
  event.preventDefault();
  const plain = event.clipboardData.getData("text/plain");
  const { selectionStart: start, selectionEnd: end } = area;
  let markdown = null;
  try {
    const response = await post(form.dataset.pasteUrl, { html }, true);
    if (response.ok) markdown = (await response.json()).markdown;
  } catch {
    markdown = null;
  }
  const text = (markdown ?? plain).trim();
  if (text) replaceRange(area, start, end, asBlocks(area.value, start, end, text));
  if (!pasteStatus) return;
  pasteStatus.textContent = markdown !== null
    ? t("Pasted with its headings, lists, bold and links kept; everything else was left out.")
    : t("Pasted as plain text: its formatting could not be kept.");
}

if (form && preview && changes) {
  const area = form.elements.body;
  for (const name of ["title", "key_points", "body"]) {
    form.elements[name].addEventListener("input", refreshSoon);
  }
  if (toolbar) setUpToolbar(area);
  area.addEventListener("paste", (event) => { pasteHtml(area, event); });
}
