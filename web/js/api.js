// Talking to the API through the gateway. The access token lives only in this module's memory
// (it lasts minutes); the refresh token is an HttpOnly cookie the page can never read, so a
// reload asks identity for a fresh access token and a log-out ends both.
import { language } from "./i18n.js";

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? "unknown";
    this.body = body ?? {};
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

export function signedIn() {
  return session.token !== null;
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
  if (response.status === 503 && data?.code === "maintenance") {
    throw new Maintenance(Number(response.headers.get("Retry-After")) || null);
  }
  if (response.status >= 500 || !fromOurApi(response, data)) {
    throw new Unavailable(response.status, null);
  }
  if (!response.ok) throw new ApiFailure(response.status, data);
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
  if (!session.token && !(await restoreSession())) throw new SessionEnded();
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
  if (!answer.password_change_required) localStorage.setItem(HINT, "1");
}

export async function logIn(email, password) {
  const answer = await send("POST", "/api/v1/sessions", {
    body: { email, password },
    headers: WEB_SESSION,
  });
  keep(answer, email);
  return answer;
}

/** After a reload: trade the session cookie for an access token. False when there is none. */
export function restoreSession() {
  if (!localStorage.getItem(HINT)) return Promise.resolve(false);
  refreshing ??= send("POST", "/api/v1/sessions/refresh", { headers: WEB_SESSION })
    .then((answer) => {
      keep(answer);
      return true;
    })
    .catch((error) => {
      // Only identity refusing the session ends it; a failure to reach identity does not.
      if (!refused(error)) throw error;
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
    if (session.token) await send("DELETE", "/api/v1/sessions", { token: session.token });
  } finally {
    forget();
  }
}

/** Changing the password ends every session; log straight back in with the new one. */
export async function changePassword(currentPassword, newPassword) {
  const email = session.email ?? (await customerCall("GET", "/api/v1/me")).email;
  await send("PUT", "/api/v1/me/password", {
    body: { current_password: currentPassword, new_password: newPassword },
    token: session.token,
  });
  forget();
  await logIn(email, newPassword);
}

export function forget() {
  session.token = null;
  session.mustChange = false;
  localStorage.removeItem(HINT);
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
