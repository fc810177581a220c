// The sessions page (/settings/sessions, web and app): every browser and app signed in to this
// account (GET /api/v1/me/sessions), each with its device in words, its first and last use and
// 「このセッションをログアウト」 (DELETE /api/v1/me/sessions/{id}; on this device's own row, the
// ordinary log-out), and 「ほかのすべての端末からログアウト」 (DELETE /api/v1/me/sessions). A
// session ended here cannot refresh; its page keeps working until its access token runs out
// (15 minutes at most).
import * as api from "./api.js";
import { h } from "./dom.js";
import { failureText, retryable, retryButton } from "./failures.js";
import { formatDateTime, language } from "./i18n.js";

const PATH = "/api/v1/me/sessions";

const TEXT = {
  ja: {
    nav: "ログイン中の端末",
    title: "ログイン中の端末",
    lead: "このアカウントにログインしているブラウザーやアプリです。お心当たりのない端末があれば、ログアウトさせたうえでパスワードを変更してください。",
    current: "この端末",
    firstUsed: "ログイン日時",
    lastUsed: "最終利用",
    endOne: "このセッションをログアウト",
    endOthers: "ほかのすべての端末からログアウト",
    endedOne: "{device}をログアウトしました。",
    endedOthers: "ほかのすべての端末をログアウトしました。",
    onlyThis: "ログインしているのはこの端末だけです。",
    note: "ログアウトさせた端末も、表示中の画面は最長15分ほどそのまま見える場合があります。",
  },
  en: {
    nav: "Signed-in devices",
    title: "Signed-in devices",
    lead: "The browsers and apps signed in to this account. If you do not recognise one, log it out and change your password.",
    current: "This device",
    firstUsed: "Logged in",
    lastUsed: "Last used",
    endOne: "Log out this session",
    endOthers: "Log out of all other devices",
    endedOne: "{device} has been logged out.",
    endedOthers: "All other devices have been logged out.",
    onlyThis: "This is the only device signed in.",
    note: "A device you log out may still show the page it has open for up to about 15 minutes.",
  },
};

function say(key, values = {}) {
  const text = TEXT[language()][key] ?? TEXT.ja[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

/** The footer's and the app navigation's label for this page. */
export function sessionsLabel() {
  return say("nav");
}

export async function sessionsPage({ page, navigate }) {
  const status = h("div", { id: "sessions-status", role: "status" });
  const alertBox = h("div", { class: "alert", id: "sessions-error", role: "alert", hidden: true });
  const list = h("ul", { class: "sessions", id: "sessions" });
  const others = h("button", { type: "button", class: "secondary", id: "end-other-sessions" }, say("endOthers"));

  async function show() {
    const { sessions } = await api.customerCall("GET", PATH);
    list.replaceChildren(...sessions.map(row));
    others.hidden = !sessions.some((session) => !session.current);
    if (others.hidden) status.replaceChildren(h("p", {}, say("onlyThis")));
  }

  function row(session) {
    const end = h("button", { type: "button", class: "secondary end-session" }, say("endOne"));
    end.addEventListener("click", () => act(end, async () => {
      if (session.current) {
        await api.logOut();
        return navigate(api.appMode() ? "/app/" : "/");
      }
      await api.customerCall("DELETE", `${PATH}/${encodeURIComponent(session.session_id)}`);
      await show();
      tell(say("endedOne", { device: session.device }));
    }));
    return h(
      "li",
      { class: `card session${session.current ? " current" : ""}`, "data-session": session.session_id },
      h("p", { class: "session-device" }, h("strong", {}, session.device),
        session.current ? h("span", { class: "always-badge" }, say("current")) : null),
      h("dl", { class: "facts" },
        h("dt", {}, say("firstUsed")), h("dd", {}, formatDateTime(session.first_used_at)),
        h("dt", {}, say("lastUsed")), h("dd", {}, formatDateTime(session.last_used_at))),
      end,
    );
  }

  function tell(text) {
    status.replaceChildren(h("p", { class: "flash" }, text));
  }

  /** One action at a time; a refusal or a failure told above the list, in the API's words. */
  async function act(button, action) {
    alertBox.hidden = true;
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      if (!(error instanceof api.ApiFailure || error instanceof api.NetworkFailure || error instanceof api.SessionEnded || error instanceof api.Maintenance)) {
        console.error(error); // a defect of ours: still told, and logged for whoever looks
      }
      alertBox.replaceChildren(h("p", {}, failureText(error)), retryable(error) ? retryButton(() => button.click()) : null);
      alertBox.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  others.addEventListener("click", () => act(others, async () => {
    await api.customerCall("DELETE", PATH);
    await show();
    tell(say("endedOthers"));
  }));

  await show();
  page(say("title"), h("p", { class: "lead" }, say("lead")), alertBox, list, others, status, h("p", { class: "hint" }, say("note")));
}
