// Talking to the API through the gateway. The access token lives only in this module's memory
// (it lasts minutes); the refresh token is an HttpOnly cookie the page can never read, so a
// reload asks identity for a fresh access token and a log-out ends both.
//
// The app (display-mode standalone, or started under /app/) takes its rotating refresh token in
// the body instead: kept on the device (localStorage) only when 「ログインしたままにする」 is
// ticked, otherwise in memory; each refresh rotates it (one tab at a time: Web Locks), and a
// log-out revokes it on the server. Offline, the service worker answers the accidents with what
// this account last saw; such an answer is marked with the time it was seen (offline.js).
import { language } from "./i18n.js";
import { forgetOffline, markSeen } from "./offline.js";

export class ApiFailure extends Error {
  constructor(status, body, retryAfterSeconds = null) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? "unknown";
    this.body = body ?? {};
    this.retryAfterSeconds = retryAfterSeconds; // a 429's Retry-After
  }
}

/**
 * The service could not answer: a 5xx (ours or a proxy's), or an answer that is not our API's
 * (a proxy's or a captive portal's HTML page, a body cut short). Worth trying again later.
 */
export class Unavailable extends ApiFailure {}

export class Maintenance extends Error {
  constructor(retryAfterSeconds) {
    super("maintenance");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class SessionEnded extends Error {}
export class NetworkFailure extends Error {}

const WEB_SESSION = { "X-Session-Transport": "cookie" };
const HINT = "session"; // "there may be a session cookie": saves a refresh call when there is none

const session = { token: null, mustChange: false, email: null };
let refreshing = null;

const APP_STARTED = "app"; // sessionStorage: this tab was started under /app/
const KEPT = "app-session"; // localStorage: the app's refresh token, with 「ログインしたままにする」
const DEVICE = "app-device"; // localStorage: this device's id (the device's, so log-out keeps it)
let memoryRefresh = null; // the app's refresh token without it
let offline = false; // the session could not be refreshed for want of a network
let offlineSeen = null; // when the last answer given from the device was seen

/** Running as the installed app, or started under /app/ in this tab. */
export function appMode() {
  if (/^\/app(\/|$)/.test(location.pathname)) sessionStorage.setItem(APP_STARTED, "1");
  return sessionStorage.getItem(APP_STARTED) === "1" || Boolean(window.matchMedia?.("(display-mode: standalone)").matches);
}

appMode(); // noted at once: a start under /app/ makes this tab the app, whatever it opens next

function storedRefresh() {
  return localStorage.getItem(KEPT) ?? memoryRefresh;
}

function keepRefresh(token, remember = localStorage.getItem(KEPT) !== null) {
  memoryRefresh = null;
  localStorage.removeItem(KEPT);
  if (!token) return;
  if (remember) localStorage.setItem(KEPT, token);
  else memoryRefresh = token;
}

export function signedIn() {
  return session.token !== null;
}

/** Signed in on this device, though the session cannot be refreshed offline: pages show what the
 * device kept, and the log-out button stays. */
export function offlineSession() {
  return !signedIn() && offline;
}

/** The time the latest answer given from the device was seen (null: none since `since`). */
export function offlineSeenSince(since) {
  return offlineSeen && offlineSeen.count > since ? offlineSeen.at : null;
}

let answers = 0;
export function answerCount() {
  return answers;
}

export function mustChangePassword() {
  return session.mustChange;
}

export function knownEmail() {
  return session.email;
}

async function send(method, path, { body, token, headers = {} } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "Accept-Language": language(), ...headers },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new NetworkFailure(String(error));
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  answers += 1;
  const seen = response.headers.get("X-Offline-Seen");
  if (seen && data !== null) {
    markSeen(data, seen);
    offlineSeen = { at: seen, count: answers };
  }
  if (response.status === 503 && data?.code === "maintenance") {
    throw new Maintenance(Number(response.headers.get("Retry-After")) || null);
  }
  if (response.status >= 500 || !fromOurApi(response, data)) {
    throw new Unavailable(response.status, null);
  }
  if (!response.ok) throw new ApiFailure(response.status, data, Number(response.headers.get("Retry-After")) || null);
  return data;
}

/** Our API answers JSON objects, and {code, message} when it refuses. */
function fromOurApi(response, data) {
  if (data === null || typeof data !== "object") return false;
  return response.ok || typeof data.code === "string";
}

/** A call anyone may make (registration, log-in, password reset). */
export function publicCall(method, path, body, headers) {
  return send(method, path, { body, headers });
}

/** A call as the logged-in customer: one silent refresh when the access token has run out. */
export async function customerCall(method, path, body) {
  if (!session.token) {
    let restored;
    try {
      restored = await restoreSession();
    } catch (error) {
      // Offline: what the device kept for this account, if anything (else the same failure).
      if (error instanceof NetworkFailure && method === "GET") return send(method, path);
      throw error;
    }
    if (!restored) throw new SessionEnded();
  }
  try {
    return await send(method, path, { body, token: session.token });
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 401 || session.mustChange) throw error;
    if (!(await restoreSession())) throw new SessionEnded();
    return send(method, path, { body, token: session.token });
  }
}

function keep(answer, email) {
  session.token = answer.access_token;
  session.mustChange = answer.password_change_required;
  if (email) session.email = email;
  offline = false;
  if (!answer.password_change_required && !appMode()) localStorage.setItem(HINT, "1");
}

/** `remember`: the app keeps its refresh token on the device (「ログインしたままにする」). */
export function logIn(email, password, { remember = false } = {}) {
  return startSession("/api/v1/sessions", { email, password }, { remember, email });
}

/** A log-in by password or by passkey (passkeys.js): the same session, kept the same way. The
 * app also sends its device id, so identity knows this device (the web's is an HttpOnly cookie). */
export async function startSession(path, body, { remember = false, email = null } = {}) {
  const app = appMode();
  const device = app ? localStorage.getItem(DEVICE) : null;
  const answer = await send("POST", path, {
    body: device ? { ...body, device_id: device } : body,
    headers: app ? {} : WEB_SESSION,
  });
  keep(answer, email);
  if (app) keepRefresh(answer.refresh_token, remember);
  if (app && answer.device_id) localStorage.setItem(DEVICE, answer.device_id);
  if (!answer.password_change_required) {
    // The service worker learns whose device this now is (another account's kept answers go).
    await send("GET", "/api/v1/me", { token: session.token }).catch(() => null);
  }
  return answer;
}

/** The app's refresh: the token it holds, rotated (the new one replaces it where it was kept). */
function refreshApp() {
  const rotate = async () => {
    const token = storedRefresh();
    if (!token) throw new ApiFailure(401, { code: "invalid_refresh_token" });
    const answer = await send("POST", "/api/v1/sessions/refresh", { body: { refresh_token: token } });
    keepRefresh(answer.refresh_token);
    return answer;
  };
  return navigator.locks ? navigator.locks.request("claims-app-refresh", rotate) : rotate();
}

/** After a reload: trade the session cookie for an access token. False when there is none. */
export function restoreSession() {
  const app = appMode();
  if (app ? !storedRefresh() : !localStorage.getItem(HINT)) {
    forgetOffline().catch(() => {}); // no session on this device: nothing of an account's is kept either
    return Promise.resolve(false);
  }
  refreshing ??= (app ? refreshApp() : send("POST", "/api/v1/sessions/refresh", { headers: WEB_SESSION }))
    .then((answer) => {
      keep(answer);
      return true;
    })
    .catch((error) => {
      // Only identity refusing the session ends it; a failure to reach identity does not.
      if (!refused(error)) {
        offline = error instanceof NetworkFailure;
        throw error;
      }
      forget();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function refused(error) {
  return error instanceof ApiFailure && !(error instanceof Unavailable) && error.status !== 429;
}

export async function logOut() {
  try {
    // The app's kept refresh token is revoked on the server too, even after a reload.
    if (!session.token && appMode() && storedRefresh()) await restoreSession().catch(() => false);
    if (session.token) await send("DELETE", "/api/v1/sessions", { token: session.token });
  } finally {
    await forget();
  }
}

/** Changing the password ends every session; log straight back in with the new one. A session
 * ended from another device (identity's 401 session_ended) is a lost session, as customerCall's. */
export async function changePassword(currentPassword, newPassword) {
  const email = session.email ?? (await customerCall("GET", "/api/v1/me")).email;
  const remember = localStorage.getItem(KEPT) !== null;
  try {
    await send("PUT", "/api/v1/me/password", {
      body: { current_password: currentPassword, new_password: newPassword },
      token: session.token,
    });
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.code !== "session_ended") throw error;
    await forget();
    throw new SessionEnded();
  }
  forget();
  await logIn(email, newPassword, { remember });
}

/** Ends the session on this device; the answer settles once the kept offline answers are gone
 * (log-out waits for it, other callers need not). */
export function forget() {
  session.token = null;
  session.mustChange = false;
  offline = false;
  localStorage.removeItem(HINT);
  keepRefresh(null);
  return forgetOffline().catch(() => {});
}

/**
 * Sends one file (multipart/form-data) as the logged-in customer, telling `onProgress(sent,
 * total)` as it goes (fetch cannot tell an upload's progress; XMLHttpRequest can). Answers and
 * failures as customerCall's.
 */
export async function upload(path, formData, onProgress = () => {}) {
  if (!session.token && !(await restoreSession())) throw new SessionEnded();
  try {
    return await sendFile(path, formData, onProgress);
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 401 || session.mustChange) throw error;
    if (!(await restoreSession())) throw new SessionEnded();
    return sendFile(path, formData, onProgress);
  }
}

function sendFile(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.withCredentials = true;
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Accept-Language", language());
    request.setRequestHeader("Authorization", `Bearer ${session.token}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    request.addEventListener("error", () => reject(new NetworkFailure("upload failed")));
    request.addEventListener("abort", () => reject(new NetworkFailure("upload aborted")));
    request.addEventListener("timeout", () => reject(new NetworkFailure("upload timed out")));
    request.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(request.responseText);
      } catch {
        data = null;
      }
      const status = request.status;
      if (status === 503 && data?.code === "maintenance") {
        return reject(new Maintenance(Number(request.getResponseHeader("Retry-After")) || null));
      }
      const ours = data !== null && typeof data === "object" && (status < 400 || typeof data.code === "string");
      if (status >= 500 || !ours) return reject(new Unavailable(status, null));
      if (status >= 400) return reject(new ApiFailure(status, data));
      return resolve(data);
    });
    request.send(formData);
  });
}
