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

/** The banner of a past view: which day, that it is past, and the link back to the latest. */
export function pastViewBanner(claimId, asked) {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(asked) ? formatDate(asked) : asked;
  return h("div", { class: "card past-view", id: "past-view", role: "note" },
    h("p", { class: "past-view-title" }, t("pastView", { date: day })),
    h("p", {}, t("pastViewNote")),
    h("p", {}, link(`/accidents/${encodeURIComponent(claimId)}`, t("backToLatest"), { id: "back-to-latest" })));
}
