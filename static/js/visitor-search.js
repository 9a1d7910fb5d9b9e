// The search for one of today's visitors is a plain GET form that lands on #visitors-found, the
// words saying how many matched. The page is right without this module; with it, those words
// take the focus, so a screen reader says at once what the search found.
const found = document.getElementById("visitors-found");
if (found && window.location.hash === "#visitors-found") found.focus();
