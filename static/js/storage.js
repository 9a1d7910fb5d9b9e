// Storage that lasts: asking the browser to keep the outbox, and noticing when it did not.

import { Outbox } from "./outbox-module.js";

const body = document.body;

// How many records this device had waiting, kept outside the outbox's database in a cookie
// (which the server sends back, so Safari keeps it as long as any cookie): if the database is
// found empty and new while the cookie still counts records, the browser wiped them.
const WAITING_COOKIE = "kiosk_waiting";

function waitingInCookie() {
  const match = document.cookie.match(/(?:^|;\s*)kiosk_waiting=([0-9]+)/);
  return match ? Number(match[1]) : 0;
}

function rememberWaiting(count) {
  if (count === waitingInCookie()) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = count > 0
    ? `${WAITING_COOKIE}=${count}; Max-Age=${400 * 86400}; Path=/; SameSite=Strict${secure}`
    : `${WAITING_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict${secure}`;
}

// A database without this device's id is new: on a first visit there is no cookie and nothing
// to say; with records counted in the cookie, they were here and are gone. Checked before the
// cookie is next written, also by a page that was open while the browser wiped the database.
// Resolves to how many records were wiped and nobody has yet said they read it (0: none).
export async function noticeWipe() {
  if (!(await Outbox.getMeta("device"))) {
    const lost = waitingInCookie();
    if (lost > 0) await Outbox.setMeta("wiped", lost); // kept until someone reads it
    await Outbox.setMeta("device", crypto.randomUUID());
  }
  return Number(await Outbox.getMeta("wiped")) || 0;
}

// Someone has read that records were wiped: stop saying it.
export async function forgetWipe() {
  await Outbox.setMeta("wiped", 0);
}

// Keeps the cookie's count, but only from a database that still holds this device's id: one the
// browser has just wiped says nothing, and the cookie keeps counting what it lost for noticeWipe.
// Resolves to everything in the outbox.
export async function countWaiting() {
  const { device, entries } = await Outbox.snapshot();
  if (device) rememberWaiting(entries.length);
  return entries;
}

// Once when a page starts: ask to be kept, notice a wipe, and remember who is signed in (for the
// offline staff shell, shell.js).
export async function checkStorage() {
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
  await noticeWipe();
  if (body.dataset.staffId) {
    await Outbox.setMeta("staff", { id: body.dataset.staffId, name: body.dataset.staffName });
  }
}
