// The log-in's two 429s in words: a throttle's short wait (too_many_attempts: try again in about
// N seconds) and a lock (account_locked: until when, in Japan time, and whom to call). Both come
// with Retry-After; neither says whether the address has an account (identity answers unknown
// addresses the same way).
import * as api from "./api.js";
import { h } from "./dom.js";
import { retryButton } from "./failures.js";
import { language } from "./i18n.js";

// The desk is the notifier's NOTIFIER_CONTACT_DESK (GET /api/v1/contact-desk), the one the
// security mails name: an insurer sets it once. Without it (unset, or not reachable) the words
// still say to call the desk, without a number.

const TEXT = {
  ja: {
    wait: "ログインの失敗が続いています。約{seconds}秒お待ちいただいてから、もう一度お試しください。",
    locked: "ログインの失敗が続いたため、安全のため、このアカウントへのログインを{time}（日本時間）まで停止しています。停止中は、正しいパスワードでもログインできません。",
    lockedAfter: "{time}を過ぎると、再びログインできます。",
    call: "お心当たりのない場合や、お急ぎの場合は、お客さまWebサービス窓口 {desk} へお電話ください。",
    callDesk: "お心当たりのない場合や、お急ぎの場合は、お客さまWebサービス窓口へお電話ください。",
  },
  en: {
    wait: "There have been several failed log-ins. Please wait about {seconds} seconds, then try again.",
    locked: "After too many failed log-ins, logging in to this account is suspended for your safety until {time} (Japan time). Until then, even the right password cannot log in.",
    lockedAfter: "After {time} you can log in again.",
    call: "If this was not you, or if it is urgent, please call the customer web service desk on {desk}.",
    callDesk: "If this was not you, or if it is urgent, please call the customer web service desk.",
  },
};

function say(key, values) {
  return TEXT[language()][key].replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

function japanTime(secondsFromNow) {
  return new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "ja-JP", {
    timeZone: "Asia/Tokyo", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(Date.now() + secondsFromNow * 1000));
}

/** The words naming the desk, its phone numbers kept on one line (a phone broke 0120-|000-000). */
function callWords(desk) {
  const [before, after] = say("call", { desk: "\u0001" }).split("\u0001");
  const parts = desk.split(/(\+?\d[\d-]*\d)/);
  return [before, ...parts.map((part, i) => (i % 2 ? h("span", { class: "phone-number" }, part) : part)), after];
}

/** The paragraph saying whom to call: the desk's words at once, its number once the notifier
 * has said it. */
function contactDesk() {
  const paragraph = h("p", { id: "contact-desk" }, say("callDesk", {}));
  api.publicCall("GET", "/api/v1/contact-desk").then(
    ({ desk }) => { if (desk) paragraph.replaceChildren(...callWords(desk)); },
    () => {}, // the words without a number stay: the lock itself is what matters here
  );
  return paragraph;
}

/** What to show for a refused log-in that is a wait or a lock, or null for any other failure. */
export function logInBlocked(error, retry) {
  if (!(error instanceof api.ApiFailure) || error.status !== 429) return null;
  const seconds = error.retryAfterSeconds ?? 60;
  if (error.code === "account_locked") {
    const time = japanTime(seconds);
    return [
      h("p", { id: "locked-until" }, say("locked", { time })),
      h("p", {}, say("lockedAfter", { time })),
      contactDesk(),
    ];
  }
  return [h("p", { id: "wait-a-moment" }, say("wait", { seconds })), retryButton(retry)];
}
