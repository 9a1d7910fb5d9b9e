// What a staff record form shows as it is filled in. The server's page is right without it:
// every field is shown, and the sentence saying who will see a breach is the server's for what
// was sent.

// A part marked data-shown-when="material_location=online" (a field, or one tile) is shown
// only while that answer is chosen ("about_adult=yes|head": one of those answers), and one marked
// "subject_kind!=staff" only while that answer is not chosen; hidden, its inputs are disabled,
// so they are not sent.
function showWhenChosen(form) {
  for (const part of form.querySelectorAll("[data-shown-when]")) {
    const unless = part.dataset.shownWhen.includes("!=");
    const [name, value] = part.dataset.shownWhen.split(unless ? "!=" : "=");
    const values = value.split("|");
    const follow = () => {
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      const matches = Boolean(chosen && values.includes(chosen.value));
      // A part the server sent back with an error in it stays, so the error can be read.
      const shown = matches !== unless || Boolean(part.querySelector(".error-message"));
      part.hidden = !shown;
      for (const input of part.querySelectorAll("input, textarea, select")) input.disabled = !shown;
    };
    form.addEventListener("change", (event) => {
      if (event.target.name === name) follow();
    });
    follow();
  }
}

// The sentence marked data-follows="safeguarding" holds the server's two sentences (from
// breaches.who_will_see) for its tick ticked and not; it says the one that is true now.
function followTick(form) {
  for (const sentence of form.querySelectorAll("[data-follows]")) {
    const box = form.querySelector(`input[type="checkbox"][name="${sentence.dataset.follows}"]`);
    if (!box) continue;
    const say = () => {
      sentence.textContent = box.checked ? sentence.dataset.ticked : sentence.dataset.unticked;
    };
    box.addEventListener("change", say);
    say(); // a tick the browser kept on a reload
  }
}

for (const form of document.querySelectorAll("form.record-form")) {
  showWhenChosen(form);
  followTick(form);
}
