// The notification settings page (/settings/notifications, web and app): per kind of notice
// (status changes, requests for action, new messages) mail and push on or off, saved to the
// notifier (GET/PUT /api/v1/me/notification-settings); security notices shown as always on;
// push on this device turned on and off here (push.js). Refusals in the API's own words.
import * as api from "./api.js";
import { h } from "./dom.js";
import { failureText, retryable, retryButton } from "./failures.js";
import { language } from "./i18n.js";
import * as push from "./push.js";

const KINDS = ["status_changed", "action_requested", "message_received"];
const PATH = "/api/v1/me/notification-settings";

const TEXT = {
  ja: {
    nav: "通知設定",
    title: "通知設定",
    lead: "お知らせの種類ごとに、メールとプッシュ通知で受け取るかどうかを選べます。",
    status_changed: "事故の対応状況の更新",
    status_changedHint: "対応の段階が進んだときなど",
    action_requested: "ご対応のお願い",
    action_requestedHint: "書類や写真の提出のお願いなど",
    message_received: "担当者からの新着メッセージ",
    message_receivedHint: "担当者からメッセージが届いたとき",
    mail: "メール",
    push: "プッシュ通知",
    security: "セキュリティに関するお知らせ",
    securityLead: "パスワードの変更、仮パスワードの発行、ログインの一時停止、新しい端末からのログイン、パスキーの追加・削除のお知らせは、安全のため常にメールでお送りします。",
    alwaysOn: "常にオン",
    save: "保存する",
    saved: "通知設定を保存しました。",
    device: "この端末のプッシュ通知",
    deviceOn: "この端末でプッシュ通知を受け取る設定になっています。",
    deviceOff: "この端末ではプッシュ通知を受け取っていません。",
    turnOn: "この端末でプッシュ通知を受け取る",
    turnOff: "この端末のプッシュ通知を止める",
    turnedOn: "この端末でプッシュ通知を受け取れるようになりました。",
    turnedOff: "この端末のプッシュ通知を止めました。",
    unsupported: "このブラウザーはプッシュ通知に対応していません。スマートフォンでは、ホーム画面に追加したアプリからお使いください。",
    denied: "通知がブラウザーの設定で許可されていません。ブラウザー（またはスマートフォン）の設定で、このサイトの通知を許可してください。",
    dismissed: "通知の許可が選ばれませんでした。もう一度お試しください。",
  },
  en: {
    nav: "Notifications",
    title: "Notification settings",
    lead: "Choose, for each kind of notice, whether you receive it by email and by push notification.",
    status_changed: "Updates to an accident's handling status",
    status_changedHint: "When the handling moves to a new stage, and so on",
    action_requested: "Requests for action",
    action_requestedHint: "Requests to send documents or photos, and so on",
    message_received: "New messages from your handler",
    message_receivedHint: "When your handler sends you a message",
    mail: "Email",
    push: "Push notification",
    security: "Security notices",
    securityLead: "Notices of a password change, a temporary password, a suspended log-in, a log-in from a new device and a passkey added or removed are always sent by email, for your safety.",
    alwaysOn: "Always on",
    save: "Save",
    saved: "Your notification settings have been saved.",
    device: "Push notifications on this device",
    deviceOn: "This device receives push notifications.",
    deviceOff: "This device does not receive push notifications.",
    turnOn: "Receive push notifications on this device",
    turnOff: "Stop push notifications on this device",
    turnedOn: "This device now receives push notifications.",
    turnedOff: "Push notifications on this device have been stopped.",
    unsupported: "This browser does not support push notifications. On a smartphone, use the app added to your home screen.",
    denied: "Notifications are blocked in your browser's settings. Please allow notifications for this site in the settings of your browser (or smartphone).",
    dismissed: "Notifications were not allowed. Please try again.",
  },
};

function say(key) {
  return TEXT[language()][key] ?? TEXT.ja[key];
}

/** The header's and the app navigation's label for this page. */
export function notificationSettingsLabel() {
  return say("nav");
}

export async function notificationSettings({ page }) {
  const saved = await api.customerCall("GET", PATH);
  const status = h("div", { id: "settings-status", role: "status" });
  const alertBox = h("div", { class: "alert", id: "settings-error", role: "alert", hidden: true });
  const boxes = {};

  const kindRows = KINDS.map((kind) => {
    const hintId = `setting-${kind}-hint`;
    const choices = ["mail", "push"].map((channel) => {
      const id = `setting-${kind}-${channel}`;
      boxes[`${kind}.${channel}`] = h("input", {
        type: "checkbox",
        id,
        name: `${kind}.${channel}`,
        checked: Boolean(saved?.kinds?.[kind]?.[channel]),
        "aria-describedby": hintId,
      });
      return h("label", { class: "toggle", for: id }, boxes[`${kind}.${channel}`], h("span", {}, say(channel)));
    });
    return h(
      "fieldset",
      { class: "setting", id: `setting-${kind}` },
      h("legend", {}, say(kind)),
      h("span", { class: "hint", id: hintId }, say(`${kind}Hint`)),
      h("div", { class: "toggles" }, ...choices),
    );
  });

  const security = h(
    "div",
    { class: "setting always-on", id: "setting-security" },
    h("p", { class: "setting-head" }, h("strong", {}, say("security")), " ", h("span", { class: "always-badge" }, say("alwaysOn"))),
    h("p", { class: "hint" }, say("securityLead")),
  );

  const button = h("button", { class: "primary", type: "submit" }, say("save"));
  const settingsForm = h("form", { id: "notification-settings", novalidate: true }, alertBox, ...kindRows, security, button, status);

  function values() {
    return {
      kinds: Object.fromEntries(
        KINDS.map((kind) => [kind, { mail: boxes[`${kind}.mail`].checked, push: boxes[`${kind}.push`].checked }]),
      ),
    };
  }

  /** Said where the customer is looking: beside the button they pressed. */
  function tell(text, where = status) {
    where.replaceChildren(h("p", { class: "flash" }, text));
  }

  function refuse(error, retry) {
    if (!(error instanceof api.ApiFailure || error instanceof api.NetworkFailure || error instanceof api.SessionEnded || error instanceof api.Maintenance)) {
      console.error(error); // a defect of ours: still told, and logged for whoever looks
    }
    alertBox.replaceChildren(h("p", {}, failureText(error)), retryable(error) ? retryButton(retry) : null);
    alertBox.hidden = false;
    alertBox.setAttribute("tabindex", "-1");
    alertBox.focus();
  }

  async function save() {
    alertBox.hidden = true;
    status.replaceChildren();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await api.customerCall("PUT", PATH, values());
      tell(say("saved"));
    } catch (error) {
      refuse(error, () => settingsForm.requestSubmit());
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  settingsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });

  page(
    say("title"),
    h("p", { class: "lead" }, say("lead")),
    await deviceCard({ tell, boxes, save }),
    h("div", { class: "card" }, settingsForm),
  );
}

/** Push on this device: its state and the button that turns it on or off. */
async function deviceCard({ tell, boxes, save }) {
  const card = h("section", { class: "card", id: "push-device", "aria-labelledby": "push-device-title" });
  const title = h("h2", { id: "push-device-title" }, say("device"));
  if (!push.supported()) {
    card.append(title, h("p", { class: "note", id: "push-unsupported" }, say("unsupported")));
    return card;
  }
  const state = h("p", { id: "push-state" });
  const said = h("div", { id: "push-status", role: "status" });
  const problem = h("p", { class: "warn", id: "push-problem", hidden: true });
  const button = h("button", { type: "button", class: "secondary", id: "push-toggle" });
  let on = await push.isOn().catch(() => false);

  function draw() {
    state.textContent = on ? say("deviceOn") : say("deviceOff");
    button.textContent = on ? say("turnOff") : say("turnOn");
  }

  button.addEventListener("click", async () => {
    problem.hidden = true;
    button.disabled = true;
    try {
      if (on) {
        await push.turnOff();
        on = false;
        tell(say("turnedOff"), said);
      } else {
        await push.turnOn();
        on = true;
        tell(say("turnedOn"), said);
        // Nothing chosen for push yet: turning it on means wanting it, so every kind gets it.
        const pushBoxes = KINDS.map((kind) => boxes[`${kind}.push`]);
        if (pushBoxes.every((box) => !box.checked)) {
          for (const box of pushBoxes) box.checked = true;
          await save();
        }
      }
    } catch (error) {
      if (!(error instanceof push.PushUnavailable || error instanceof api.ApiFailure || error instanceof api.NetworkFailure)) {
        console.error(error); // the browser's push service failing, or a defect of ours
      }
      problem.textContent = error instanceof push.PushUnavailable ? say(error.reason) : failureText(error);
      problem.hidden = false;
    } finally {
      button.disabled = false;
      draw();
    }
  });
  draw();
  card.append(title, state, problem, button, said);
  return card;
}
