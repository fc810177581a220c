// Push notifications on this device: turned on in the settings page (the browser asks the
// customer's permission, the push service gives a subscription for the notifier's VAPID key, and
// the notifier stores it: POST /api/v1/me/push-subscriptions), turned off there (DELETE, then the
// browser's subscription is dropped). The service worker (/sw.js with /js/sw-push.js) shows them.
import * as api from "./api.js";

const STORED = "push-subscription-id"; // the notifier's id of this device's subscription

/** Why push cannot be turned on: the browser has no push, or the customer said no. */
export class PushUnavailable extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason; // "unsupported" | "denied" | "dismissed"
  }
}

export function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function registration() {
  const existing = await navigator.serviceWorker.getRegistration("/");
  if (!existing) await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}

/** On when this browser holds a subscription the notifier has stored for us. */
export async function isOn() {
  if (!supported() || Notification.permission !== "granted" || !localStorage.getItem(STORED)) return false;
  const found = await navigator.serviceWorker.getRegistration("/");
  return Boolean(found && (await found.pushManager.getSubscription()));
}

function applicationServerKey(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** Asks the permission, subscribes with the notifier's key and registers the subscription. */
export async function turnOn() {
  if (!supported()) throw new PushUnavailable("unsupported");
  const permission = await Notification.requestPermission();
  if (permission === "denied") throw new PushUnavailable("denied");
  if (permission !== "granted") throw new PushUnavailable("dismissed");
  const worker = await registration();
  const { public_key: key } = await api.customerCall("GET", "/api/v1/push/vapid-public-key");
  let subscription = await worker.pushManager.getSubscription();
  const current = subscription?.options?.applicationServerKey;
  if (subscription && current && !sameKey(new Uint8Array(current), applicationServerKey(key))) {
    await subscription.unsubscribe(); // the notifier's key was rotated: subscribe again
    subscription = null;
  }
  subscription ??= await worker.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: applicationServerKey(key),
  });
  const { endpoint, keys } = subscription.toJSON();
  let answer;
  try {
    answer = await api.customerCall("POST", "/api/v1/me/push-subscriptions", { endpoint, keys });
  } catch (error) {
    // Not registered (refused, or the network failed): the browser keeps no subscription that
    // nothing would ever push to, and the next try starts afresh.
    await subscription.unsubscribe().catch(() => {});
    throw error;
  }
  localStorage.setItem(STORED, answer.subscription_id);
}

function sameKey(a, b) {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** Deletes the notifier's subscription (already gone is fine), then the browser's. */
export async function turnOff() {
  const id = localStorage.getItem(STORED);
  if (id) {
    try {
      await api.customerCall("DELETE", `/api/v1/me/push-subscriptions/${encodeURIComponent(id)}`);
    } catch (error) {
      if (!(error instanceof api.ApiFailure && error.status === 404)) throw error;
    }
    localStorage.removeItem(STORED);
  }
  if (!supported()) return;
  const found = await navigator.serviceWorker.getRegistration("/");
  const subscription = found ? await found.pushManager.getSubscription() : null;
  if (subscription) await subscription.unsubscribe();
}
