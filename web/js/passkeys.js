// Passkeys (パスキー), web and app: the settings page (/settings/passkeys) that lists, adds and
// removes them (identity: /api/v1/me/passkeys; adding and removing need a log-in of the last ten
// minutes, else the API's sign_in_again and a button to log in again), and the log-in page's
// 「パスキーでログイン」 (usernameless: the device offers this site's passkeys). WebAuthn's byte
// strings travel as base64url, as PublicKeyCredential's JSON form writes them.
import * as api from "./api.js";
import { h } from "./dom.js";
import { failureText, retryable, retryButton } from "./failures.js";
import { formatDateTime, language } from "./i18n.js";
import { logInBlocked } from "./lockout.js";

const PATH = "/api/v1/me/passkeys";

const TEXT = {
  ja: {
    nav: "パスキー",
    title: "パスキー",
    lead: "パスキーを登録すると、パスワードの代わりに、この端末の指紋・顔認証や画面ロックでログインできます。",
    listTitle: "登録済みのパスキー",
    none: "登録済みのパスキーはありません。",
    added: "登録日時",
    lastUsed: "最後に使った日時",
    never: "まだ使われていません",
    addTitle: "パスキーを追加する",
    name: "パスキーの名前（任意）",
    nameHint: "例：私のiPhone。あとで見分けられる名前をつけてください。",
    add: "この端末でパスキーを追加する",
    addedDone: "パスキーを追加しました。",
    remove: "削除",
    removeLabel: "「{name}」を削除",
    removedDone: "パスキーを削除しました。",
    disabled: "無効（複製の疑い）",
    disabledHint: "複製されたおそれがあるため無効にしました。このパスキーではログインできません。削除してください。",
    notice: "パスキーの追加・削除は、安全のためメールでお知らせします。",
    again: "もう一度ログインする",
    cancelled: "パスキーの操作が取り消されたか、時間切れになりました。もう一度お試しください。",
    unsupported: "このブラウザーはパスキーに対応していません。",
    logIn: "パスキーでログイン",
    logInHint: "パスキーを登録済みの方は、メールアドレスとパスワードを入力せずにログインできます。",
  },
  en: {
    nav: "Passkeys",
    title: "Passkeys",
    lead: "With a passkey you log in with this device's fingerprint, face recognition or screen lock instead of your password.",
    listTitle: "Your passkeys",
    none: "You have no passkeys yet.",
    added: "Added",
    lastUsed: "Last used",
    never: "Not used yet",
    addTitle: "Add a passkey",
    name: "Name of the passkey (optional)",
    nameHint: "For example: my iPhone. A name that tells you which one it is later.",
    add: "Add a passkey on this device",
    addedDone: "The passkey has been added.",
    remove: "Remove",
    removeLabel: "Remove “{name}”",
    removedDone: "The passkey has been removed.",
    disabled: "disabled (possible copy)",
    disabledHint: "We disabled it because it may have been copied. It cannot log in; please remove it.",
    notice: "For your safety, we tell you by email when a passkey is added or removed.",
    again: "Log in again",
    cancelled: "The passkey step was cancelled or took too long. Please try again.",
    unsupported: "This browser does not support passkeys.",
    logIn: "Log in with a passkey",
    logInHint: "If you have added a passkey, you can log in without typing your email address and password.",
  },
};

function say(key, values = {}) {
  const text = TEXT[language()][key] ?? TEXT.ja[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

export function passkeysLabel() {
  return say("nav");
}

export function supported() {
  return typeof window.PublicKeyCredential === "function" && Boolean(navigator.credentials);
}

function bytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0)).buffer;
}

function base64url(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const withIds = (list) => (list ?? []).map((credential) => ({ ...credential, id: bytes(credential.id) }));

function creationOptions(options) {
  return {
    ...options,
    challenge: bytes(options.challenge),
    user: { ...options.user, id: bytes(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  };
}

function requestOptions(options) {
  return { ...options, challenge: bytes(options.challenge), allowCredentials: withIds(options.allowCredentials) };
}

function common(credential) {
  return {
    id: credential.id,
    rawId: base64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: {}, // none requested, none read
  };
}

function newCredentialJSON(credential) {
  const { response } = credential;
  return {
    ...common(credential),
    response: {
      clientDataJSON: base64url(response.clientDataJSON),
      attestationObject: base64url(response.attestationObject),
      transports: response.getTransports?.() ?? [],
    },
  };
}

function assertionJSON(credential) {
  const { response } = credential;
  return {
    ...common(credential),
    response: {
      clientDataJSON: base64url(response.clientDataJSON),
      authenticatorData: base64url(response.authenticatorData),
      signature: base64url(response.signature),
      userHandle: response.userHandle ? base64url(response.userHandle) : undefined,
    },
  };
}

/** The browser said no (cancelled, timed out, no passkey chosen): our words, not its. */
function cancelled(error) {
  return error instanceof DOMException && ["NotAllowedError", "AbortError", "InvalidStateError"].includes(error.name);
}

function alertFor(box, error, retry) {
  if (!(error instanceof api.ApiFailure || error instanceof api.NetworkFailure || error instanceof api.SessionEnded || error instanceof api.Maintenance || cancelled(error))) {
    console.error(error); // a defect of ours: still told, and logged for whoever looks
  }
  const blocked = logInBlocked(error, retry); // a locked account's passkey is refused as its password
  if (blocked) {
    box.replaceChildren(...blocked);
    box.hidden = false;
    return;
  }
  const again = error instanceof api.ApiFailure && error.body?.code === "sign_in_again";
  const parts = [
    h("p", {}, cancelled(error) ? say("cancelled") : failureText(error)),
    again ? h("button", { type: "button", class: "primary", id: "sign-in-again", onclick: signInAgain }, say("again")) : null,
    !again && retryable(error) ? retryButton(retry) : null,
  ];
  box.replaceChildren(...parts.filter(Boolean));
  box.hidden = false;
  box.setAttribute("tabindex", "-1");
  box.focus();
}

/** A log-in older than ten minutes: log out and come back to the log-in page, email filled in. */
async function signInAgain() {
  const email = api.knownEmail() ?? (await api.customerCall("GET", "/api/v1/me").catch(() => null))?.email;
  await api.logOut().catch(() => {});
  location.assign(`/login${email ? `?email=${encodeURIComponent(email)}` : ""}`);
}

export async function passkeySettings({ page }) {
  const passkeys = await api.customerCall("GET", PATH);
  const alertBox = h("div", { class: "alert", id: "passkeys-error", role: "alert", hidden: true });
  const status = h("div", { id: "passkeys-status", role: "status" });
  const list = h("ul", { class: "passkeys", id: "passkey-list" });
  let shown = passkeys ?? [];

  function tell(text) {
    alertBox.hidden = true;
    status.replaceChildren(h("p", { class: "flash" }, text));
  }

  function draw() {
    list.replaceChildren(
      ...(shown.length ? shown.map(row) : [h("li", { class: "note", id: "no-passkeys" }, say("none"))]),
    );
  }

  function row(passkey) {
    const remove = h("button", {
      type: "button",
      class: "secondary",
      "aria-label": say("removeLabel", { name: passkey.name }),
      onclick: async () => {
        remove.disabled = true;
        try {
          await api.customerCall("DELETE", `${PATH}/${passkey.passkey_id}`);
          shown = shown.filter((other) => other.passkey_id !== passkey.passkey_id);
          draw();
          tell(say("removedDone"));
        } catch (error) {
          alertFor(alertBox, error, () => remove.click());
        } finally {
          remove.disabled = false;
        }
      },
    }, say("remove"));
    // Disabled by identity as a possible copy (its sign count went back): said in words.
    const disabled = passkey.disabled_at
      ? [h("p", { class: "warn passkey-disabled" }, say("disabledHint"))]
      : [];
    return h("li", { class: "passkey" },
      h("p", { class: "passkey-name" }, h("strong", {}, passkey.name), passkey.disabled_at ? ` ${say("disabled")}` : ""),
      ...disabled,
      h("p", { class: "hint" }, `${say("added")}: ${formatDateTime(passkey.created_at)}`),
      h("p", { class: "hint" }, `${say("lastUsed")}: ${passkey.last_used_at ? formatDateTime(passkey.last_used_at) : say("never")}`),
      remove);
  }

  const name = h("input", { id: "passkey-name", name: "name", maxlength: "64", autocomplete: "off", "aria-describedby": "passkey-name-hint" });
  const addButton = h("button", { type: "submit", class: "primary", id: "add-passkey" }, say("add"));
  const addForm = h("form", { id: "add-passkey-form", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "passkey-name" }, say("name")),
      h("span", { class: "hint", id: "passkey-name-hint" }, say("nameHint")),
      name),
    addButton);

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    addButton.disabled = true;
    addButton.setAttribute("aria-busy", "true");
    try {
      const ceremony = await api.customerCall("POST", `${PATH}/options`);
      const credential = await navigator.credentials.create({ publicKey: creationOptions(ceremony.options) });
      const added = await api.customerCall("POST", PATH, {
        challenge_id: ceremony.challenge_id,
        name: name.value.trim() || null,
        credential: newCredentialJSON(credential),
      });
      shown = [...shown, added];
      name.value = "";
      draw();
      tell(say("addedDone"));
    } catch (error) {
      alertFor(alertBox, error, () => addForm.requestSubmit());
    } finally {
      addButton.disabled = false;
      addButton.removeAttribute("aria-busy");
    }
  });

  draw();
  page(
    say("title"),
    h("p", { class: "lead" }, say("lead")),
    alertBox,
    status,
    h("section", { class: "card", "aria-labelledby": "passkey-list-title" },
      h("h2", { id: "passkey-list-title" }, say("listTitle")), list),
    h("section", { class: "card", "aria-labelledby": "add-passkey-title" },
      h("h2", { id: "add-passkey-title" }, say("addTitle")),
      supported() ? addForm : h("p", { class: "note", id: "passkeys-unsupported" }, say("unsupported")),
      h("p", { class: "note" }, say("notice"))),
  );
}

/** Offered where the device itself can hold a passkey (its fingerprint, face or screen lock), as
 * the browser says; elsewhere the button would only lead to a dead end for most customers. */
async function deviceHoldsPasskeys() {
  if (!supported() || !PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable) return false;
  return PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable().catch(() => false);
}

/** The log-in page's 「パスキーでログイン」; `done(session)` goes on as a password's log-in does. */
export function passkeyLogIn({ remember, done }) {
  if (!supported()) return null;
  const alertBox = h("div", { class: "alert", id: "passkey-log-in-error", role: "alert", hidden: true });
  const button = h("button", { type: "button", class: "secondary", id: "passkey-log-in" }, say("logIn"));
  button.addEventListener("click", async () => {
    alertBox.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const ceremony = await api.publicCall("POST", "/api/v1/sessions/passkey/options");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(ceremony.options) });
      const session = await api.startSession(
        "/api/v1/sessions/passkey",
        { challenge_id: ceremony.challenge_id, credential: assertionJSON(credential) },
        { remember: remember() },
      );
      done(session);
    } catch (error) {
      alertFor(alertBox, error, () => button.click());
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  const offer = h("div", { class: "passkey-log-in", hidden: true }, h("p", { class: "hint", id: "passkey-log-in-hint" }, say("logInHint")), button, alertBox);
  deviceHoldsPasskeys().then((holds) => {
    offer.hidden = !holds;
  });
  return offer;
}
