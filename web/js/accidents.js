// The accident list and an accident's detail: the stage as a progress indicator, what the
// customer must do next, coverages, payments, the timeline, and the handler to call.
import * as api from "./api.js";
import { h, link } from "./dom.js";
import { failureText, retryButton } from "./failures.js";
import { formatDate, formatDateTime, formatYen, t } from "./i18n.js";
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
          h("dt", {}, t("vehicle")), h("dd", {}, accident.vehicle),
          h("dt", {}, t("handler")), h("dd", {}, accident.handler?.name ?? "—"),
          h("dt", {}, t("updatedAt")), h("dd", {}, formatDateTime(accident.updated_at))))));
}

export async function accidentList({ page, fail }) {
  const list = h("ul", { class: "accidents", id: "accidents" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("more"));
  const problem = h("div", { class: "alert", id: "more-failure", role: "alert", hidden: true });
  let cursor = null;
  async function load() {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const answer = await api.customerCall("GET", `/api/v1/me/accidents${query}`);
    list.append(...answer.items.map(listItem));
    cursor = answer.next_cursor;
    more.hidden = !cursor;
    return answer.items.length;
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
    shown ? h("p", { class: "lead" }, t("listLead")) : h("p", { class: "card", id: "no-accidents" }, t("noAccidents")),
    list,
    problem,
    more,
  );
}

/** The stages as claim-status tells them: done, current, skipped (gone past without), upcoming. */
function progress(stages) {
  return h("ol", { class: "progress", "aria-label": t("progress") },
    stages.map(({ label, state }) =>
      h("li", { class: state, "aria-current": state === "current" ? "step" : null },
        // The note inside the label's own text, so it wraps with it rather than in a column.
        h("span", {}, label, state === "skipped" ? h("span", { class: "step-note" }, ` ${t("stepSkipped")}`) : null),
        state === "done" || state === "current"
          ? h("span", { class: "visually-hidden" }, ` (${t(state === "done" ? "stepDone" : "stepCurrent")})`)
          : null)));
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

/** One card per payment (a four-column table does not fit a phone's width). */
function paymentList(payments) {
  const statuses = t("paymentStatus");
  return h("ul", { class: "payments" }, payments.map((payment) =>
    h("li", { class: "payment" },
      h("dl", { class: "facts" },
        h("dt", {}, t("coverage")), h("dd", {}, payment.coverage_label),
        h("dt", {}, t("amount")), h("dd", { class: "amount" }, formatYen(payment.amount)),
        h("dt", {}, t("status")), h("dd", {}, statuses[payment.status] ?? payment.status),
        h("dt", {}, t("date")), h("dd", {}, payment.date ? formatDate(payment.date) : "—")))));
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

export async function accidentDetail({ page, params: [claimId], fail }) {
  let accident;
  let correspondence;
  try {
    [accident, correspondence] = await Promise.all([
      api.customerCall("GET", `/api/v1/me/accidents/${encodeURIComponent(claimId)}`),
      correspondenceOf(claimId),
    ]);
  } catch (error) {
    if (error instanceof api.ApiFailure && error.status === 404) {
      return page(t("notFoundTitle"), h("p", { class: "alert", id: "not-found" }, t("notFound")), link("/accidents", t("back")));
    }
    throw error;
  }
  const results = uploadResults();
  const pending = sentOnThisVisit();
  const unread = new Set(); // the handler's messages new on this visit: still marked after a refresh

  /** The requests, documents and thread as they now are; the rest of the page stays. */
  function sections() {
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

  async function refresh({ focus } = {}) {
    try {
      [accident, correspondence] = await Promise.all([
        api.customerCall("GET", `/api/v1/me/accidents/${encodeURIComponent(claimId)}`),
        correspondenceOf(claimId),
      ]);
    } catch (error) {
      if (error instanceof api.Maintenance || error instanceof api.SessionEnded) return fail(error);
      const failed = { status: "rejected", reason: error };
      correspondence = { documents: failed, messages: failed };
    }
    if (!shown.actions.isConnected) return; // the customer has moved on to another page
    const fresh = sections();
    for (const [name, section] of Object.entries(fresh)) shown[name].replaceWith(section);
    shown = fresh;
    if (focus) document.querySelector(focus)?.focus();
  }

  let shown = sections();
  page(
    t("detailTitle"),
    h("div", { class: "card" },
      h("p", { class: "accident-head" },
        h("strong", {}, `${formatDate(accident.accident_date)} ${accident.summary}`),
        h("span", { class: "stage-badge", id: "stage" }, accident.stage.label)),
      h("dl", { class: "facts" },
        h("dt", {}, t("vehicle")), h("dd", {}, accident.vehicle),
        h("dt", {}, t("location")), h("dd", {}, accident.location ?? "—"),
        h("dt", {}, t("updatedAt")), h("dd", {}, formatDateTime(accident.updated_at)))),
    shown.actions,
    shown.documents,
    section("progress", t("currentStage"), progress(accident.stages)),
    handlerCard(accident.handler),
    shown.messages,
    accident.coverages.length
      ? section("coverages", t("coverages"), table([t("coverage"), t("status")], accident.coverages.map((c) => [c.label, c.status.label])))
      : null,
    accident.payments.length ? section("payments", t("payments"), paymentList(accident.payments)) : null,
    section("timeline", t("timeline"),
      h("ol", { class: "timeline" }, accident.timeline.map((entry) =>
        h("li", {}, h("time", { datetime: entry.at }, formatDateTime(entry.at)), entry.text)))),
    h("p", {}, link("/accidents", t("back"))),
  );
  // A "new message" mail links to the thread (#messages): shown once the page is there.
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}
