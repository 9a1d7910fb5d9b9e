// Going back to the start screen: at once, or after the thank-you's countdown. Used by kiosk.js
// (a screen left alone, the server's thank-you page) and submit.js (the in-page thank-you).
//
// A module of its own rather than an export of kiosk.js: the page loads kiosk.js as
// kiosk.js?v=…, and an import of "./kiosk.js" names another URL, so the browser would run a
// second copy of kiosk.js with its timers and listeners. This file has none of its own.

const homeUrl = document.body.dataset.homeUrl || "/";

export function goHome() {
  // replace(): the page being left does not stay in the history for the next person.
  window.location.replace(homeUrl);
}

// The thank-you screen counts down, then clears itself.
export function startReturnCountdown(seconds) {
  const countdown = document.querySelector("[data-countdown]:not([hidden]), [data-thanks]:not([hidden]) [data-countdown]");
  let left = seconds;
  const tick = () => {
    left -= 1;
    if (left <= 0) {
      goHome();
      return;
    }
    if (countdown) {
      countdown.textContent = `This screen goes back to the start in ${left} second${left === 1 ? "" : "s"}.`;
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 1000);
}
