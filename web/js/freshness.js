// How fresh a status view is: 「◯時◯分時点の情報」 from the moment claim-status says the answer
// reflects (`as_of`), with a refresh (更新) button; and the view of a claim as it was on a past day,
// said to be past, with the way back to the latest.
import { h, link } from "./dom.js";
import { formatAsOf, formatDate, t } from "./i18n.js";

/** The line and its button; `refresh` reads again, the button busy until it has. */
export function freshness(asOf, refresh) {
  const button = h("button", { type: "button", class: "secondary refresh", id: "refresh" }, t("refresh"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await refresh();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      // The page drew a new line and button in place of this one: the focus goes on to it.
      if (!button.isConnected) document.getElementById("refresh")?.focus();
    }
  });
  return h("div", { class: "freshness" },
    asOf ? h("p", { class: "as-of", id: "as-of" }, t("asOf", { time: formatAsOf(asOf) })) : null,
    button);
}

/** The day asked for in the address (`?as_of=2026-11-02`), or null for the live view. */
export function pastDayAsked() {
  const asked = new URLSearchParams(location.search).get("as_of");
  return asked && asked.trim() ? asked.trim() : null;
}

/**
 * The moment the address asks for, as claim-status reads it: a day is the end of that day in
 * Japan, a time without an offset is Japan time (full-width digits as a phone's IME types them).
 * NaN when the browser cannot tell (the page then keeps the past view claim-status answered).
 */
function askedMoment(asked) {
  const text = asked.normalize("NFKC").trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T23:59:59.999+09:00`);
  const withOffset = /([+-]\d{2}:?\d{2}|Z)$/i.test(text) ? text : `${text}+09:00`;
  return Date.parse(withOffset.replace(" ", "T"));
}

/**
 * Whether claim-status answered live though a moment was asked: a moment still to come (today's
 * end, tomorrow) is answered as of the read, so the `as_of` it returns is earlier than the one
 * asked. Such an answer is the latest, never 「過去の情報」, whatever the address says.
 */
export function answeredLive(asOf, asked) {
  const moment = askedMoment(asked);
  return !Number.isNaN(moment) && Date.parse(asOf) < moment;
}

/** The banner of a past view: which day, that it is past, and the link back to the latest. */
export function pastViewBanner(claimId, asked) {
  const day = askedDay(asked);
  return h("div", { class: "card past-view", id: "past-view", role: "note" },
    h("p", { class: "past-view-title" }, t("pastView", { date: day })),
    h("p", {}, t("pastViewNote")),
    h("p", {}, link(`/accidents/${encodeURIComponent(claimId)}`, t("backToLatest"), { id: "back-to-latest" })));
}

/** The day asked for in words (「2026年11月2日」), or the address's text when it is a time. */
export function askedDay(asked) {
  return /^\d{4}-\d{2}-\d{2}$/.test(asked) ? formatDate(asked) : asked;
}

/**
 * A day before the claim was opened: claim-status answers 404 as for a claim that is not the
 * customer's; the page says, in words, that the claim did not exist yet, with the way back.
 */
export function notYetOpened(claimId, asked) {
  return h("div", { class: "card past-view", id: "not-yet-opened", role: "note" },
    h("p", { class: "past-view-title" }, t("notYetOpened", { date: askedDay(asked) })),
    h("p", {}, link(`/accidents/${encodeURIComponent(claimId)}`, t("backToLatest"), { id: "back-to-latest" })));
}
