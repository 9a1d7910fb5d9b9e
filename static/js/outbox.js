// The outbox: every acceptance, breach and deletion request is written here first, then sent.
// An entry leaves only when the server has it (2xx). A refusal (4xx) keeps it as "needs
// attention" with the server's message; a sign-in problem keeps it waiting for that person.
// A classic script, so both the pages and the service worker (importScripts) can use it.
/* exported KioskOutbox */
"use strict";

(function (scope) {
  const DB_NAME = "policy-kiosk";
  const DB_VERSION = 1;
  const STORE = "outbox";
  const META = "meta";
  const PARALLEL = 4;
  const SEND_TIMEOUT_MS = 10000;
  // Marks a message for translation. It is kept in English: this also runs in the service
  // worker, which has no page to take a language from; status.js shows it in the page's.
  const t = (message) => message;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const result = work(tx.objectStore(storeName));
        tx.oncomplete = () => resolve(result && "result" in result ? result.result : result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const Outbox = {
    // Store an entry: {id, kind, url, body, staffId?, label}. Resolves once it is on disk.
    add(entry) {
      const record = Object.assign({ state: "waiting", message: "", createdAt: new Date().toISOString() }, entry);
      return run(STORE, "readwrite", (store) => store.put(record)).then(() => record);
    },
    all() {
      return run(STORE, "readonly", (store) => store.getAll());
    },
    get(id) {
      return run(STORE, "readonly", (store) => store.get(id));
    },
    remove(id) {
      return run(STORE, "readwrite", (store) => store.delete(id));
    },
    update(id, changes) {
      return run(STORE, "readwrite", (store) => {
        const request = store.get(id);
        request.onsuccess = () => {
          if (request.result) store.put(Object.assign(request.result, changes));
        };
      });
    },
    // Everything in the outbox and this device's id, read in one transaction: a browser wiping
    // the database cannot fall between the two, so an empty list from a wiped database is never
    // taken for "nothing waiting".
    async snapshot() {
      const db = await open();
      try {
        return await new Promise((resolve, reject) => {
          const tx = db.transaction([STORE, META], "readonly");
          const entries = tx.objectStore(STORE).getAll();
          const device = tx.objectStore(META).get("device");
          tx.oncomplete = () => resolve({ entries: entries.result, device: device.result });
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        });
      } finally {
        db.close();
      }
    },
    getMeta(key) {
      return run(META, "readonly", (store) => store.get(key));
    },
    setMeta(key, value) {
      return run(META, "readwrite", (store) => store.put(value, key));
    },

    // Send one entry. Resolves to "sent", "attention", "sign-in", "other-user" or "offline".
    async send(entry) {
      let response;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
      try {
        response = await fetch(entry.url, {
          method: "POST",
          credentials: "same-origin",
          // Never follow a redirect: a sign-in page answering 200 is not the record being kept.
          redirect: "error",
          signal: abort.signal,
          headers: {
            "Content-Type": "application/json",
            "Idempotency-Key": entry.id,
            "X-Kiosk-Client": "outbox",
          },
          body: JSON.stringify(entry.body),
        });
      } catch (error) {
        return "offline"; // no network, a time-out, or a redirect: try again later
      } finally {
        clearTimeout(timer);
      }
      if (response.ok) {
        await Outbox.remove(entry.id);
        return "sent";
      }
      let answer = {};
      try {
        answer = await response.json();
      } catch (error) {
        answer = {};
      }
      if (response.status === 401) {
        await Outbox.update(entry.id, { state: "waiting", message: "sign-in" });
        return "sign-in";
      }
      if (response.status === 409 && answer.error === "other_user") {
        await Outbox.update(entry.id, { state: "waiting", message: "other-user" });
        return "other-user";
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        const fields = answer.fields ? Object.values(answer.fields) : [];
        await Outbox.update(entry.id, {
          state: "attention",
          message: [answer.message, ...fields].filter(Boolean).join(" ") || t("The server did not accept this record."),
          fields: answer.fields || {},
        });
        return "attention";
      }
      return "offline"; // 5xx, 408, 429: the server is not ready; try again later
    },

    // Send everything waiting, a few at a time. Entries needing attention are left alone.
    _flushing: null,
    flush() {
      if (!Outbox._flushing) {
        Outbox._flushing = (async () => {
          const results = { sent: 0, attention: 0, signIn: 0, otherUser: 0, offline: 0 };
          const waiting = (await Outbox.all()).filter((entry) => entry.state === "waiting");
          let stop = false;
          const worker = async () => {
            while (waiting.length && !stop) {
              const outcome = await Outbox.send(waiting.shift());
              if (outcome === "sent") results.sent += 1;
              else if (outcome === "attention") results.attention += 1;
              else if (outcome === "sign-in") results.signIn += 1;
              else if (outcome === "other-user") results.otherUser += 1;
              else { results.offline += 1; stop = true; }
            }
          };
          await Promise.all(Array.from({ length: PARALLEL }, worker));
          return results;
        })().finally(() => { Outbox._flushing = null; });
      }
      return Outbox._flushing;
    },
  };

  scope.KioskOutbox = Outbox;
})(self);
