// The page's side of the service worker (/sw.js): registering it, announcing a new version of
// the app (「新しいバージョンがあります」, taken when the customer reloads with the button), telling
// it to forget the customer's accidents at log-out, and which answers came from what was kept on
// the device while offline (with the time they were seen).
import { h } from "./dom.js";
import { formatOfflineTime, t } from "./i18n.js";

const seen = new WeakMap(); // an API answer given offline -> when it was seen

/** Called by api.js for an answer the service worker gave from the device (X-Offline-Seen). */
export function markSeen(answer, at) {
  if (answer && typeof answer === "object" && at) seen.set(answer, at);
}

/** When an answer was seen, if it is the last-known one given offline; else null. */
export function seenAt(answer) {
  return (answer && seen.get(answer)) ?? null;
}

/** 「◯月◯日 ◯時◯分時点の情報（オフライン）」 above a page shown from the device, or nothing. */
export function offlineNotice(answer) {
  return offlineNoticeAt(seenAt(answer));
}

/** The same, for an answer seen at `at` (an ISO time; null: nothing). */
export function offlineNoticeAt(at) {
  if (!at) return null;
  return h("p", { class: "offline-note", id: "offline", role: "status" }, t("offlineAsOf", { time: formatOfflineTime(at) }));
}

function supported() {
  return "serviceWorker" in navigator;
}

/** Deletes what the service worker keeps of the customer's accidents; waits (briefly) for it. */
export async function forgetOffline() {
  if (!supported()) return;
  const registration = await navigator.serviceWorker.getRegistration().catch(() => null);
  const workers = [registration?.active, registration?.waiting, registration?.installing, navigator.serviceWorker.controller];
  const told = [...new Set(workers.filter(Boolean))].map((worker) => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    setTimeout(resolve, 2000);
    worker.postMessage({ type: "log-out" }, [channel.port2]);
  }));
  await Promise.all(told);
}

function announce(worker) {
  if (document.getElementById("new-version")) return;
  const banner = h("div", { class: "new-version", id: "new-version", role: "status" },
    h("p", {}, t("newVersion")),
    h("button", { type: "button", class: "primary", onclick: () => worker.postMessage({ type: "skip-waiting" }) }, t("reload")));
  document.querySelector("header.site").after(banner);
}

/** A newer service worker has installed beside the one serving this page. */
function watch(registration) {
  if (registration.waiting && navigator.serviceWorker.controller) announce(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) announce(worker);
    });
  });
}

/**
 * `install`: the app registers the worker; the web front in a browser tab only follows one the
 * app (or push) registered, so the web's own pages are left to the network as they always were.
 */
export async function registerServiceWorker({ install }) {
  if (!supported()) return;
  let reloading = false;
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The first install takes an uncontrolled page over silently; a new version reloads.
    if (!controlled) {
      controlled = true;
      return;
    }
    if (reloading) return;
    reloading = true;
    location.reload();
  });
  try {
    const registration = install
      ? await navigator.serviceWorker.register("/sw.js", { scope: "/" })
      : await navigator.serviceWorker.getRegistration("/");
    if (!registration) return;
    watch(registration);
  } catch (error) {
    console.warn("service worker not registered", error); // the web front works without it
    return;
  }
  // What this page loaded before a worker controlled it is kept too, so it opens offline.
  const ready = await navigator.serviceWorker.ready;
  const paths = performance.getEntriesByType("resource")
    .map((entry) => new URL(entry.name))
    .filter((url) => url.origin === location.origin && /\.(js|css)$/.test(url.pathname))
    .map((url) => url.pathname);
  ready.active?.postMessage({ type: "shell", paths });
}
