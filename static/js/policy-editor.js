// The head's policy editor: the preview and the list of changes follow the text as it is typed.
// The preview's HTML is made and sanitised on the server (nh3), the same as the published page;
// it is parsed into an inert document here, never run. The changes are put in as text.

const form = document.querySelector("[data-policy-editor]");
const preview = document.querySelector("[data-preview]");
const changes = document.querySelector("[data-changes]");
let timer = null;
let latest = 0;

async function refresh() {
  const asked = ++latest;
  const data = new FormData();
  data.append("body", form.elements.body.value);
  const response = await fetch(form.dataset.previewUrl, {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { "X-CSRFToken": form.elements.csrf_token.value },
  });
  if (!response.ok || asked !== latest) return;
  const answer = await response.json();
  const parsed = new DOMParser().parseFromString(answer.html, "text/html");
  preview.replaceChildren(...parsed.body.childNodes);
  const items = answer.changes.filter((line) => line.kind !== "same").map((line) => {
    const item = document.createElement("li");
    item.className = `diff-${line.kind}`;
    const label = document.createElement("strong");
    label.textContent = line.kind === "added" ? "Added:" : "Removed:";
    const text = document.createElement("span");
    text.className = "pre-line";
    text.textContent = line.text;
    item.append(label, " ", text);
    return item;
  });
  if (!items.length) {
    const none = document.createElement("li");
    none.className = "diff-none";
    none.textContent = "No changes yet.";
    items.push(none);
  }
  changes.replaceChildren(...items);
}

if (form && preview && changes) {
  form.elements.body.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
}
