// The outbox for the modules: the one place that reads the global of static/js/outbox.js.
// outbox.js stays a classic script because the service worker loads it with importScripts;
// base.html runs it before any module, so it is there by the time this is read. Undefined where
// it did not load: offline.js then starts nothing that needs it.
export const Outbox = self.KioskOutbox;
