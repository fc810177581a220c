// The accident list and an accident's detail: the numbers to quote on the phone, the stage as a
// progress indicator with each stage's date, what the customer must do next, coverages, the
// payment deadline and payments, the timeline (each entry opens the claim as it was that day),
// and the handler to call; each view says how fresh it is and reads again on 更新.
import * as api from "./api.js";
import { h, link } from "./dom.js";
import { failureText, retryButton } from "./failures.js";
import { answeredLive, freshness, notYetOpened, pastDayAsked, pastViewBanner } from "./freshness.js";
import { formatDate, formatDateTime, formatDay, japanDay, t } from "./i18n.js";
import { coverageDeadline, paymentsSection } from "./payments.js";
import {
  documentsOf, documentsSection, messageBoard, requestsSection, sectionProblem, sentOnThisVisit, threadOf,
  uploadResults,
} from "./correspondence.js";

/** What the list says needs the customer: a request still open, the handler's new messages. */
function listBadges(accident) {
  const badges = [];
  if (accident.open_requests > 0) badges.push(h("span", { class: "request-badge" }, t("actionsOpen")));
  if (accident.unread_messages > 0) {
    badges.push(h("span", { class: "unread-badge" }, t("unreadCount", { count: accident.unread_messages })));
  }
  return badges.length ? h("p", { class: "badges" }, badges) : null;
}

function listItem(accident) {
  return h("li", {},
    h("a", { href: `/accidents/${encodeURIComponent(accident.claim_id)}`, "data-link": true },
      h("article", { class: "card", "aria-labelledby": `acc-${accident.claim_id}` },
        h("div", { class: "accident-head" },
          h("h2", { id: `acc-${accident.claim_id}` }, `${formatDate(accident.accident_date)} ${accident.summary}`),
          h("span", { class: "stage-badge" }, accident.stage.label)),
        listBadges(accident),
        h("dl", { class: "facts" },
          numbers(accident),
          h("dt", {}, t("vehicle")), h("dd", {}, accident.vehicle),
          h("dt", {}, t("handler")), h("dd", {}, accident.handler?.name ?? "—"),
          h("dt", {}, t("updatedAt")), h("dd", {}, formatDateTime(accident.updated_at))))));
}

/** 事故受付番号 and 証券番号, what the customer quotes on the phone (the claim id when no number yet). */
function numbers(accident) {
  return [
    h("dt", {}, t("claimNumber")), h("dd", { class: "claim-number" }, accident.claim_number ?? accident.claim_id),
    accident.policy_number ? [h("dt", {}, t("policyNumber")), h("dd", { class: "policy-number" }, accident.policy_number)] : null,
  ];
}

export async function accidentList({ page, fail }) {
  const list = h("ul", { class: "accidents", id: "accidents" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("more"));
  const problem = h("div", { class: "alert", id: "more-failure", role: "alert", hidden: true });
  let cursor = null;
  let fresh = h("div");
  async function load() {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const answer = await api.customerCall("GET", `/api/v1/me/accidents${query}`);
    list.append(...answer.items.map(listItem));
    cursor = answer.next_cursor;
    more.hidden = !cursor;
    if (!query) fresh = showFresh(fresh, freshness(answer.as_of, reload));
    return answer.items.length;
  }
  /** 更新: the first page read again in place of everything shown. */
  async function reload() {
    const before = { items: [...list.children], cursor };
    cursor = null;
    problem.hidden = true;
    try {
      list.replaceChildren();
      await load();
    } catch (error) {
      if (error instanceof api.Maintenance || error instanceof api.SessionEnded) return fail(error);
      list.replaceChildren(...before.items);
      cursor = before.cursor;
      more.hidden = !cursor;
      problem.replaceChildren(h("p", {}, failureText(error)), retryButton(reload));
      problem.hidden = false;
    }
  }
  async function loadMore() {
    const before = list.children.length;
    problem.hidden = true;
    more.disabled = true;
    try {
      await load();
      list.children[before]?.querySelector("a")?.focus();
    } catch (error) {
      if (error instanceof api.Maintenance || error instanceof api.SessionEnded) return fail(error);
      problem.replaceChildren(h("p", {}, failureText(error)), retryButton(loadMore));
      problem.hidden = false;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", loadMore);
  const shown = await load();
  page(
    t("listTitle"),
    fresh,
    shown ? h("p", { class: "lead" }, t("listLead")) : h("p", { class: "card", id: "no-accidents" }, t("noAccidents")),
    list,
    problem,
    more,
  );
}

/** The new freshness line in place of the one on the page (kept for the next time). */
function showFresh(old, fresh) {
  old.replaceWith(fresh);
  return fresh;
}

/**
 * The stages as claim-status tells them: done, current, skipped (gone past without: never shown as
 * done), upcoming; the day each was reached, and for the current one how long it usually takes,
 * worded as a typical figure, never a promise.
 */
function progress(stages) {
  return h("ol", { class: "progress", "aria-label": t("progress") }, stages.map(progressStep));
}

function progressStep(step) {
  const state = step.skipped ? "skipped" : step.state;
  const typical = state === "current" && Number.isInteger(step.typical_days) ? step.typical_days : null;
  return h("li", { class: state, "aria-current": state === "current" ? "step" : null },
    // The notes inside the label's own text, so they wrap with it rather than in a column.
    h("span", { class: "step-text" },
      step.label,
      state === "skipped" ? h("span", { class: "step-note" }, ` ${t("stepSkipped")}`) : null,
      state !== "skipped" && step.reached_at ? stepDate(state, step.reached_at) : null,
      typical !== null
        ? h("span", { class: "step-typical" }, t("typicalDays", { days: typical }), h("span", { class: "step-note" }, t("typicalNote")))
        : null),
    state === "done" || state === "current"
      ? h("span", { class: "visually-hidden" }, ` (${t(state === "done" ? "stepDone" : "stepCurrent")})`)
      : null);
}

/**
 * When a stage was reached: 「11月27日〜」 on the current stage (in it since then), the day with
 * 「到達日」 for a screen reader on a done one (a phone's line has no room for the word); a screen
 * reader hears 「11月27日から」, not the wave dash.
 */
function stepDate(state, reachedAt) {
  const date = formatDay(reachedAt);
  const [shown, spoken] = state === "current" ? ["stepSinceShown", "stepSinceSpoken"] : ["stepReachedShown", "stepReachedSpoken"];
  return h("time", { class: "step-date", datetime: reachedAt },
    h("span", { "aria-hidden": "true" }, t(shown, { date })),
    h("span", { class: "visually-hidden" }, t(spoken, { date })));
}

function section(id, title, ...content) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...content);
}

function table(headers, rows) {
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}

/** Who to call, name and number on one line at the top of the card, as people look for them. */
function handlerCard(handler) {
  if (!handler) return section("handler", t("handlerTitle"), h("p", {}, t("notAssigned")), h("p", { class: "note" }, t("handlerNote")));
  return section("handler", t("handlerTitle"),
    h("p", { class: "handler-head" },
      h("span", { class: "handler-name" }, handler.name),
      h("a", { class: "tel", href: `tel:${handler.phone.replace(/[^\d+]/g, "")}`, "aria-label": `${t("phone")} ${handler.phone}` }, handler.phone)),
    h("dl", { class: "facts" },
      h("dt", {}, t("office")), h("dd", {}, handler.office)),
    h("p", { class: "note" }, t("handlerNote")));
}

/** The documents and the thread, each told apart when it alone could not be loaded. */
async function correspondenceOf(claimId) {
  const base = `/api/v1/me/accidents/${encodeURIComponent(claimId)}`;
  const [documents, messages] = await Promise.allSettled([
    api.customerCall("GET", `${base}/documents`),
    api.customerCall("GET", `${base}/messages`),
  ]);
  for (const answer of [documents, messages]) {
    const error = answer.reason;
    if (error instanceof api.Maintenance || error instanceof api.SessionEnded) throw error;
    if (answer.status === "rejected" && !(error instanceof api.ApiFailure || error instanceof api.NetworkFailure)) {
      console.error(error);
    }
  }
  return { documents, messages };
}

/** The accident as claim-status answers it: live, or as it was at `asked` (a past view). */
function readAccident(claimId, asked) {
  const query = asked ? `?as_of=${encodeURIComponent(asked)}` : "";
  return api.customerCall("GET", `/api/v1/me/accidents/${encodeURIComponent(claimId)}${query}`);
}

/** A section, or an empty stand-in where it would be (so a refresh can put it back in place). */
function slot(element) {
  return element ?? h("div", { hidden: true });
}

/**
 * An entry of the timeline; its time opens the claim as it was at the end of that day. An entry of
 * the day the page shows (today, in the live view) has no link: the end of today is still to come,
 * so claim-status answers it live, and the page would call today's claim 「過去の情報」.
 */
function timelineItem(claimId, entry, shownDay) {
  const day = japanDay(entry.at);
  const time = h("time", { datetime: entry.at }, formatDateTime(entry.at));
  if (day === shownDay) return h("li", {}, time, entry.text);
  const href = `/accidents/${encodeURIComponent(claimId)}?as_of=${day}`;
  return h("li", {},
    link(href, [time, h("span", { class: "visually-hidden" }, t("viewThatDay"))], { class: "as-of-link" }),
    entry.text);
}

function coverageRows(coverages) {
  return coverages.map((c) => [c.label, [h("span", {}, c.status.label), coverageDeadline(c)]]);
}

/** The parts of the page that come from the claim itself, all redrawn on each read. */
function claimParts(accident, { claimId, asked, refresh }) {
  return {
    fresh: asked ? pastViewBanner(claimId, asked) : freshness(accident.as_of, refresh),
    head: h("div", { class: "card", id: "accident" },
      h("p", { class: "accident-head" },
        h("strong", {}, `${formatDate(accident.accident_date)} ${accident.summary}`),
        h("span", { class: "stage-badge", id: "stage" }, accident.stage.label)),
      h("dl", { class: "facts" },
        numbers(accident),
        h("dt", {}, t("vehicle")), h("dd", {}, accident.vehicle),
        h("dt", {}, t("location")), h("dd", {}, accident.location ?? "—"),
        h("dt", {}, t("updatedAt")), h("dd", {}, formatDateTime(accident.updated_at))),
      h("p", { class: "note" }, t("quoteNumbers"))),
    progress: section("progress", t("currentStage"), progress(accident.stages)),
    handler: handlerCard(accident.handler),
    coverages: slot(accident.coverages.length
      ? section("coverages", t("coverages"), table([t("coverage"), t("status")], coverageRows(accident.coverages)))
      : null),
    payments: slot(paymentsSection(accident, section)),
    timeline: section("timeline", t("timeline"),
      h("ol", { class: "timeline" }, accident.timeline.map((entry) => timelineItem(claimId, entry, japanDay(accident.as_of))))),
  };
}

/** Puts each part of `fresh` where the same part of `shown` is; answers what is now shown. */
function replaceParts(shown, fresh) {
  for (const [name, part] of Object.entries(fresh)) shown[name].replaceWith(part);
  return fresh;
}

/**
 * 404 for a moment asked: the claim was not opened yet then when it is the customer's now (read
 * live to tell), else not found, in the same words as without a moment.
 */
async function notFoundPage(page, claimId, asked) {
  if (asked && await readAccident(claimId, null).then(() => true, () => false)) {
    return page(t("detailTitle"), notYetOpened(claimId, asked));
  }
  return page(t("notFoundTitle"), h("p", { class: "alert", id: "not-found" }, t("notFound")), link("/accidents", t("back")));
}

/** Drops `?as_of=` from the address when claim-status answered live: the page is the latest. */
function forgetPastDay(claimId) {
  history.replaceState(history.state, "", `/accidents/${encodeURIComponent(claimId)}${location.hash}`);
}

export async function accidentDetail({ page, params: [claimId], fail }) {
  let asked = pastDayAsked();
  const nothing = { status: "fulfilled", value: null };
  // A past view shows the claim only: documents and messages are sent from the latest.
  const readCorrespondence = () => (asked ? { documents: nothing, messages: nothing } : correspondenceOf(claimId));
  let accident;
  let correspondence;
  try {
    [accident, correspondence] = await Promise.all([readAccident(claimId, asked), readCorrespondence()]);
  } catch (error) {
    if (error instanceof api.ApiFailure && error.status === 404) return notFoundPage(page, claimId, asked);
    throw error;
  }
  if (asked && answeredLive(accident.as_of, asked)) {
    asked = null;
    forgetPastDay(claimId);
    correspondence = await readCorrespondence();
  }
  const results = uploadResults();
  const pending = sentOnThisVisit();
  const unread = new Set(); // the handler's messages new on this visit: still marked after a refresh

  /** The requests, documents and thread as they now are; the rest of the page stays. */
  function sections() {
    if (asked) return { actions: slot(null), documents: slot(null), messages: slot(null) };
    const { documents: docs, messages } = correspondence;
    const documents = docs.status === "fulfilled" ? documentsOf(docs.value, pending.documents) : [];
    const thread = messages.status === "fulfilled" ? threadOf(messages.value, pending.messages) : null;
    for (const message of thread?.messages ?? []) {
      if (message.unread) unread.add(message.id);
      message.unread = unread.has(message.id);
    }
    const unreadBefore = unread.size;
    const closed = Boolean(accident.closed) || accident.stage?.code === "closed" || Boolean(thread?.closed);
    const common = { accident, documents, closed, results, refresh, pending };
    return {
      actions: requestsSection(common),
      documents: documentsSection({ ...common, problem: docs.status === "rejected" ? sectionProblem(docs.reason, () => refresh()) : null }),
      messages: messageBoard({
        ...common,
        thread,
        unreadBefore,
        problem: messages.status === "rejected" ? sectionProblem(messages.reason, () => refresh()) : null,
      }),
    };
  }

  /**
   * Reads the claim and its correspondence again (更新, and after the customer's own upload or
   * message, so what they see already includes it); a claim that cannot be read keeps what is shown.
   */
  async function refresh({ focus } = {}) {
    const [claim, letters] = await Promise.allSettled([readAccident(claimId, asked), readCorrespondence()]);
    for (const answer of [claim, letters]) {
      const error = answer.reason;
      if (error instanceof api.Maintenance || error instanceof api.SessionEnded) return fail(error);
    }
    const failed = [claim, letters].find((answer) => answer.status === "rejected");
    if (claim.status === "fulfilled") accident = claim.value;
    // A failure is told in the sections the customer acts in, each with its retry button.
    const told = { status: "rejected", reason: failed?.reason };
    if (!asked) correspondence = failed ? { documents: told, messages: told } : letters.value;
    if (!shown.actions.isConnected) return; // the customer has moved on to another page
    shown = replaceParts(shown, { ...sections(), ...claimParts(accident, { claimId, asked, refresh }) });
    if (focus) document.querySelector(focus)?.focus();
  }

  let shown = { ...sections(), ...claimParts(accident, { claimId, asked, refresh }) };
  page(
    t("detailTitle"),
    shown.fresh,
    shown.head,
    shown.actions,
    shown.documents,
    shown.progress,
    shown.payments,
    shown.handler,
    shown.messages,
    shown.coverages,
    shown.timeline,
    h("p", {}, link("/accidents", t("back"))),
  );
  // A "new message" mail links to the thread (#messages): shown once the page is there.
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}
