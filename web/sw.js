// The app's service worker (root scope, so it serves the web front and the app at /app/ alike).
//
// - The app shell (HTML, CSS, the JS modules, the manifest, the icons) is precached under
//   VERSION and served from there, so the app opens without a network. Bump VERSION with every
//   release of web/: browsers fetch this file on each visit (the gateway sends it no-cache), and
//   a changed file installs beside the running one; the page then says 「新しいバージョンがあります」
//   and its reload button lets the new one take over. A file not in the list is fetched and kept.
// - The customer's accidents (GET /api/v1/me/accidents*, JSON only) go to the network first; the
//   last answer is kept per account (the customer id from GET /api/v1/me, never the token alone)
//   with the time it was seen, and given back only when the network fails, marked
//   X-Offline-Seen so the page says 「◯月◯日 ◯時◯分時点の情報（オフライン）」. Only the account
//   signed in on this device last is ever answered: another account signing in deletes the
//   previous one's answers, and the page's log-out message deletes everything.
/* global importScripts */

const VERSION = "2026-11-30.12";
const SHELL = `shell-${VERSION}`;
const OFFLINE = "offline-v1"; // not versioned: a new app version keeps what the customer last saw
const CURRENT = "/__offline/current"; // {customer_id} of the account signed in on this device
const SHELL_FILES = [
  "/index.html",
  "/styles.css",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
  "/js/app.js",
  "/js/api.js",
  "/js/apphome.js",
  "/js/accidents.js",
  "/js/correspondence.js",
  "/js/dom.js",
  "/js/failures.js",
  "/js/freshness.js",
  "/js/i18n.js",
  "/js/lockout.js",
  "/js/notifications.js",
  "/js/offline.js",
  "/js/pages.js",
  "/js/passkeys.js",
  "/js/payments.js",
  "/js/push.js",
  "/js/sessions.js",
];
const API = "/api/";
const ACCIDENTS = "/api/v1/me/accidents";
const ME = "/api/v1/me";

// push handlers: the push and notificationclick listeners live in their own file (WEB-APP2).
importScripts("/js/sw-push.js");

/** The customer id each bearer token belongs to, as GET /api/v1/me told it (memory only). */
const accounts = new Map();

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES.map((path) => new Request(path, { cache: "reload" })))),
  );
  // Not skipWaiting(): the page announces the new version and the customer takes it on reload.
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const type = event.data?.type;
  if (type === "skip-waiting") self.skipWaiting();
  if (type === "shell") event.waitUntil(keepShell(event.data.paths ?? []));
  if (type === "version") event.ports[0]?.postMessage({ version: VERSION });
  if (type === "log-out") {
    event.waitUntil(forgetEverything().then(() => event.ports[0]?.postMessage({ cleared: true })));
  }
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === ME) return event.respondWith(learnAccount(request));
  if (url.pathname === ACCIDENTS || url.pathname.startsWith(`${ACCIDENTS}/`)) {
    return event.respondWith(networkFirst(event, request, url));
  }
  if (url.pathname.startsWith(API) || url.pathname === "/sw.js" || url.pathname.startsWith("/.well-known/")) return;
  if (request.mode === "navigate") return event.respondWith(shellFile("/index.html", request));
  return event.respondWith(shellFile(url.pathname, request));
});

/** Files the page loaded before this worker controlled it (modules not in SHELL_FILES). */
async function keepShell(paths) {
  const cache = await caches.open(SHELL);
  for (const path of paths) {
    if (typeof path !== "string" || !/^\/(js\/[\w-]+\.js|[\w-]+\.css)$/.test(path)) continue;
    if (!(await cache.match(path))) await cache.add(path).catch(() => {});
  }
}

/** From the shell cache; otherwise from the network (and kept, for files added since). */
async function shellFile(path, request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(path);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && request.mode !== "navigate") await cache.put(path, response.clone());
  return response;
}

async function learnAccount(request) {
  const response = await fetch(request);
  const token = request.headers.get("Authorization");
  if (response.ok && token) {
    const customer = (await response.clone().json().catch(() => null))?.customer_id;
    if (customer) await signedIn(token, customer);
  }
  return response;
}

/** The account a token belongs to: remembered, or asked of identity with the token itself. */
async function customerOf(token) {
  if (accounts.has(token)) return accounts.get(token);
  const response = await fetch(ME, { headers: { Authorization: token, Accept: "application/json" } });
  if (!response.ok) return null;
  const customer = (await response.json().catch(() => null))?.customer_id;
  if (!customer) return null;
  await signedIn(token, customer);
  return customer;
}

/** This device's account is now `customer`: another account's answers are deleted. */
async function signedIn(token, customer) {
  accounts.set(token, customer);
  const cache = await caches.open(OFFLINE);
  const previous = await currentCustomer(cache);
  if (previous === customer) return;
  if (previous !== null) await forget(cache, (key) => key.startsWith(keyPrefix(previous)));
  await cache.put(CURRENT, new Response(JSON.stringify({ customer_id: customer }), {
    headers: { "Content-Type": "application/json" },
  }));
}

async function currentCustomer(cache) {
  const marker = await cache.match(CURRENT);
  if (!marker) return null;
  return (await marker.json().catch(() => null))?.customer_id ?? null;
}

function keyPrefix(customer) {
  return `/__offline/${encodeURIComponent(customer)}/`;
}

function keyOf(customer, url) {
  return `${keyPrefix(customer)}${url.pathname.slice(1)}${url.search}`;
}

async function networkFirst(event, request, url) {
  const token = request.headers.get("Authorization");
  let response;
  try {
    response = await fetch(request);
  } catch (failure) {
    const kept = await lastKnown(token, url);
    if (kept) return kept;
    throw failure;
  }
  const json = (response.headers.get("Content-Type") ?? "").startsWith("application/json");
  if (response.ok && response.status === 200 && token && json) {
    event.waitUntil(keep(token, url, response.clone()).catch(() => {}));
  }
  return response;
}

async function keep(token, url, response) {
  const customer = await customerOf(token);
  if (!customer) return;
  const body = await response.text();
  const cache = await caches.open(OFFLINE);
  if ((await currentCustomer(cache)) !== customer) return; // logged out or switched meanwhile
  await cache.put(keyOf(customer, url), new Response(body, {
    headers: { "Content-Type": "application/json", "X-Offline-Seen": new Date().toISOString() },
  }));
}

/**
 * The last answer seen for this address, only for the account signed in on this device: the
 * token's own account when the token is known, and without a token (a reload offline, when the
 * session cannot be refreshed) the device's current account.
 */
async function lastKnown(token, url) {
  const cache = await caches.open(OFFLINE);
  const current = await currentCustomer(cache);
  const customer = token ? accounts.get(token) ?? claimedCustomer(token) : current;
  if (customer === null || customer !== current) return null;
  return (await cache.match(keyOf(customer, url))) ?? null;
}

/** The account a bearer token names (read, not verified: only to tell accounts apart offline,
 * after the worker has restarted and forgotten what /api/v1/me said). */
function claimedCustomer(token) {
  try {
    const payload = token.replace(/^Bearer\s+/i, "").split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "="))).customer_id ?? null;
  } catch {
    return null;
  }
}

async function forget(cache, matches) {
  for (const request of await cache.keys()) {
    if (matches(new URL(request.url).pathname)) await cache.delete(request);
  }
}

async function forgetEverything() {
  accounts.clear();
  await caches.delete(OFFLINE);
}
