// What the customer and the handler send each other about an accident: the handler's requests
// (each with its due date and state) with an upload control per request and one for anything
// else, the documents sent and their states, and the message board (one thread per accident).
// Everything the customer or the handler wrote is put on the page as text (h() never parses
// HTML): a link in a message stays text.
import * as api from "./api.js";
import { h } from "./dom.js";
import { failureText, retryable, retryButton } from "./failures.js";
import { formatDate, formatDateTime, t } from "./i18n.js";

export const ACCEPT = "image/jpeg,image/png,image/heic,image/heif,application/pdf";
export const MAX_MESSAGE = 2000;

const OPEN_REQUESTS = new Set(["requested", "resubmit"]);

/** The code of a state the API gives as a code or as {code, label}. */
function code(state) {
  return typeof state === "object" && state !== null ? state.code : state;
}

function items(answer, ...keys) {
  if (Array.isArray(answer)) return answer;
  for (const key of ["items", ...keys]) if (Array.isArray(answer?.[key])) return answer[key];
  return [];
}

/** The customer's documents, as the API lists them, each with the state the handler's review gave it. */
export function documentsOf(answer, pending = new Map()) {
  const listed = items(answer, "documents");
  for (const doc of listed) pending.delete(doc.document_id);
  return [...listed, ...[...pending.values()].map((doc) => ({ ...doc, pending: true }))].map((doc) => ({
    id: doc.document_id,
    actionId: doc.action_id ?? null,
    name: doc.file_name,
    size: doc.size_bytes,
    state: code(doc.state) ?? "received",
    reason: doc.reason ?? doc.review?.reason ?? null,
    at: doc.submitted_at ?? null,
    pending: Boolean(doc.pending),
  }));
}

/**
 * A request's state as the API says it; when it does not (yet), as its documents tell it: none
 * sent (お願い中), the latest one asked again (再提出のお願い), all checked (確認済み), else
 * waiting for the check (提出済み).
 */
function requestState(action, documents) {
  const sent = documents.filter((doc) => doc.actionId === action.action_id);
  const given = code(action.state);
  // A file sent on this visit that the API does not list yet: sent, whatever it said before.
  if (sent.some((doc) => doc.pending) && given !== "accepted") return { state: "submitted", reason: null };
  if (given) return { state: given, reason: action.reason ?? null };
  if (!sent.length) return { state: "requested", reason: null };
  const latest = sent.reduce((a, b) => (String(b.at) > String(a.at) ? b : a));
  if (latest.state === "resubmit") return { state: "resubmit", reason: latest.reason };
  if (sent.every((doc) => doc.state === "accepted")) return { state: "accepted", reason: null };
  return { state: "submitted", reason: null };
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function stateBadge(kind, state) {
  const labels = t(kind);
  return h("span", { class: `state-badge state-${state}` }, labels[state] ?? state);
}

/**
 * An upload control: the file input (a phone offers its camera or its files), then one row per
 * file with its progress and the answer: 受付済み, or the API's own words for a refusal (too
 * large, a type we cannot take, a virus found, too many) beside that file, the others carrying on.
 * The rows stay between refreshes of the page around them (`results`).
 */
function uploader({ id, claimId, actionId, label, results, done, pending }) {
  const input = h("input", { type: "file", id, accept: ACCEPT, multiple: true, "aria-describedby": `${id}-hint` });
  async function send(file) {
    const bar = h("progress", { max: 100, value: 0, "aria-label": t("uploading", { name: file.name }) });
    const outcome = h("span", { class: "upload-outcome", role: "status" }, t("uploadingShort"));
    const row = h("li", { class: "upload" },
      h("span", { class: "file-name" }, file.name),
      h("span", { class: "file-size" }, formatSize(file.size)),
      bar, outcome);
    results.append(row);
    const body = new FormData();
    body.append("file", file, file.name);
    if (actionId) body.append("action_id", actionId);
    try {
      const answer = await api.upload(`/api/v1/me/accidents/${encodeURIComponent(claimId)}/documents`, body, (sent, total) => {
        bar.value = Math.round((sent / total) * 100);
      });
      pending.documents.set(answer.document_id, {
        document_id: answer.document_id, action_id: actionId, file_name: file.name, size_bytes: file.size,
        state: answer.state ?? "received", submitted_at: new Date().toISOString(),
      });
      bar.remove();
      row.classList.add("received");
      outcome.textContent = t("documentState").received;
      return true;
    } catch (error) {
      if (error instanceof api.SessionEnded || error instanceof api.Maintenance) throw error;
      if (!(error instanceof api.ApiFailure || error instanceof api.NetworkFailure)) console.error(error);
      bar.remove();
      row.classList.add("refused");
      outcome.setAttribute("role", "alert");
      outcome.replaceChildren(h("span", { class: "field-error" }, failureText(error)));
      if (retryable(error)) outcome.append(" ", h("button", { type: "button", class: "secondary retry", onclick: () => {
        row.remove();
        send(file).then(() => done());
      } }, t("retry")));
      return false;
    }
  }
  input.addEventListener("change", async () => {
    const files = [...input.files];
    input.value = "";
    if (!files.length) return;
    input.disabled = true;
    try {
      for (const file of files) await send(file); // one after another: each its own answer
    } catch (error) {
      results.append(h("li", { class: "upload refused" }, h("span", { class: "field-error", role: "alert" }, failureText(error))));
    } finally {
      input.disabled = false;
      done();
    }
  });
  return h("div", { class: "uploader" },
    h("label", { for: id, class: "upload-label" }, label),
    h("span", { class: "hint", id: `${id}-hint` }, t("uploadHint")),
    input,
    results);
}

/** The rows under each upload control, kept while the page around them is refreshed. */
export function uploadResults() {
  const lists = new Map();
  return (key) => {
    if (!lists.has(key)) lists.set(key, h("ul", { class: "uploads", "aria-live": "polite" }));
    return lists.get(key);
  };
}

/** The handler's requests, at the top of the detail: what is still open said first. */
export function requestsSection({ accident, documents, closed, results, refresh, pending }) {
  const actions = accident.requests ?? accident.customer_actions ?? []; // every request, with its state
  const shown = actions.map((action) => ({ action, ...requestState(action, documents) }));
  const open = closed ? 0 : shown.filter(({ state }) => OPEN_REQUESTS.has(state)).length;
  const list = shown.length
    ? h("ul", { class: "requests" }, shown.map(({ action, state, reason }) =>
      h("li", { class: `request request-${state}`, "data-action-id": action.action_id },
        h("p", { class: "request-head" },
          h("span", { class: "request-text" }, action.description),
          stateBadge("requestState", state)),
        action.due_date ? h("p", { class: "due" }, t("dueLabel", { date: formatDate(action.due_date) })) : null,
        reason ? h("p", { class: "reason" }, h("strong", {}, t("reasonLabel")), reason) : null,
        closed || state === "accepted"
          ? null
          : uploader({
            id: `upload-${action.action_id}`,
            claimId: accident.claim_id,
            actionId: action.action_id,
            label: t("uploadFor"),
            results: results(action.action_id),
            done: () => refresh(),
            pending,
          }))))
    : h("p", {}, t("noActions"));
  return h("section", { class: `card${open ? " attention" : ""}`, id: "actions", "aria-labelledby": "actions-title" },
    h("h2", { id: "actions-title" }, open ? t("actionsOpen") : t("yourActions")),
    open ? h("p", { class: "lead" }, t("actionsOpenLead", { count: open })) : null,
    list);
}

/** What the customer has sent: name, size, when, and the state of each. */
export function documentsSection({ accident, documents, closed, results, refresh, problem, pending }) {
  const content = [];
  if (problem) content.push(problem);
  else if (documents.length) {
    content.push(h("ul", { class: "documents" }, documents.map((doc) =>
      h("li", { class: "document", "data-document-id": doc.id },
        h("p", { class: "document-head" },
          h("span", { class: "file-name" }, doc.name),
          stateBadge("documentState", doc.state)),
        h("p", { class: "note" }, [formatSize(doc.size), doc.at ? formatDateTime(doc.at) : null].filter(Boolean).join(" ・ ")),
        doc.reason ? h("p", { class: "reason" }, h("strong", {}, t("reasonLabel")), doc.reason) : null))));
  } else content.push(h("p", {}, t("noDocuments")));
  if (closed) content.push(h("p", { class: "note", id: "read-only" }, t("closedReadOnly")));
  else {
    content.push(uploader({
      id: "upload-other",
      claimId: accident.claim_id,
      actionId: null,
      label: t("uploadOther"),
      results: results(""),
      done: () => refresh(),
      pending,
    }));
  }
  return h("section", { class: "card", id: "documents", "aria-labelledby": "documents-title" },
    h("h2", { id: "documents-title" }, t("documentsTitle")), ...content);
}

/**
 * What this visit sent that the API does not list yet (it lists them a moment after its 201):
 * shown meanwhile as sent, so nothing the customer sent seems lost.
 */
export function sentOnThisVisit() {
  return { documents: new Map(), messages: new Map() };
}

/**
 * The thread as the API gives it: oldest first (newest at the bottom), who wrote each, and its
 * 既読 flag: on the customer's messages, the handler has read it; on the handler's, the customer
 * had read it before this visit (false: new, and this visit marks it read).
 */
export function threadOf(answer, pending = new Map()) {
  const listed = items(answer, "messages");
  for (const message of listed) pending.delete(message.message_id);
  const messages = [...listed, ...pending.values()].map((message) => {
    const from = message.sender ?? message.from ?? "customer";
    return {
      id: message.message_id,
      from,
      text: message.text,
      at: message.at ?? message.posted_at ?? null,
      read: from === "customer" && Boolean(message.read),
      unread: from === "handler" && !message.read,
    };
  });
  return {
    messages,
    closed: Boolean(answer?.closed),
    officeHours: answer?.office_hours ?? null,
    unread: messages.filter((m) => m.unread).length,
  };
}

/**
 * The message board: the thread (newest at the bottom, 既読 under the customer's messages the
 * handler has read), the handler's hours, and a box of at most 2,000 characters with its count.
 */
export function messageBoard({ accident, thread, closed, refresh, problem, unreadBefore, pending }) {
  const title = h("h2", { id: "messages-title" }, t("messagesTitle"),
    unreadBefore ? h("span", { class: "unread-badge", id: "messages-unread" }, t("unreadCount", { count: unreadBefore })) : null);
  if (problem) return h("section", { class: "card", id: "messages", "aria-labelledby": "messages-title" }, title, problem);
  const hours = thread.officeHours ?? t("defaultOfficeHours");
  const list = thread.messages.length
    ? h("ol", { class: "thread", id: "thread", "aria-label": t("messagesTitle") }, thread.messages.map((message) => {
      const mine = message.from === "customer";
      return h("li", { class: `message ${mine ? "mine" : "theirs"}${message.unread ? " unread" : ""}`, "data-message-id": message.id },
        h("p", { class: "message-meta" },
          h("span", { class: "author" }, mine ? t("fromYou") : t("fromHandler")),
          message.at ? h("time", { datetime: message.at }, formatDateTime(message.at)) : null,
          message.unread ? h("span", { class: "new-mark" }, t("newMark")) : null),
        h("p", { class: "message-text" }, message.text),
        mine && message.read ? h("p", { class: "read-mark" }, t("readMark")) : null);
    }))
    : h("p", { id: "no-messages" }, t("noMessages"));
  const parts = [
    title,
    h("p", { class: "office-hours", id: "office-hours" }, h("strong", {}, t("officeHoursLabel")), hours),
    h("p", { class: "note" }, t("messagesNote")),
    list,
  ];
  if (closed) parts.push(h("p", { class: "note", id: "messages-read-only" }, t("closedReadOnly")));
  else parts.push(messageForm(accident, refresh, pending));
  return h("section", { class: "card", id: "messages", "aria-labelledby": "messages-title" }, ...parts);
}

function messageForm(accident, refresh, pending) {
  const box = h("textarea", { id: "message-text", name: "text", rows: 4, maxlength: MAX_MESSAGE, "aria-describedby": "message-count message-error" });
  const count = h("p", { class: "counter", id: "message-count", "aria-live": "polite" });
  const error = h("p", { class: "field-error", id: "message-error", role: "alert" });
  const button = h("button", { type: "submit", class: "primary" }, t("sendMessage"));
  const counted = () => {
    const length = [...box.value].length;
    count.textContent = t("charCount", { count: length.toLocaleString("ja-JP"), max: MAX_MESSAGE.toLocaleString("ja-JP") });
    count.classList.toggle("over", length > MAX_MESSAGE);
  };
  box.addEventListener("input", counted);
  counted();
  const element = h("form", { id: "message-form", novalidate: true },
    h("label", { for: "message-text" }, t("messageLabel")), box, count, error, button);
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    box.removeAttribute("aria-invalid");
    const text = box.value.trim();
    if (!text) {
      error.textContent = t("required");
      box.setAttribute("aria-invalid", "true");
      return box.focus();
    }
    if ([...text].length > MAX_MESSAGE) {
      error.textContent = t("messageTooLong", { max: MAX_MESSAGE.toLocaleString("ja-JP") });
      box.setAttribute("aria-invalid", "true");
      return box.focus();
    }
    button.disabled = true;
    try {
      const posted = await api.customerCall("POST", `/api/v1/me/accidents/${encodeURIComponent(accident.claim_id)}/messages`, { text });
      pending.messages.set(posted.message_id, {
        message_id: posted.message_id, sender: "customer", text, at: posted.posted_at, read: false,
      });
      box.value = "";
      counted();
      await refresh({ focus: "#message-text" });
    } catch (failure) {
      if (failure instanceof api.ApiFailure && failure.code === "validation_failed") error.textContent = t("checkInput");
      else error.textContent = failureText(failure);
      box.setAttribute("aria-invalid", "true");
      box.focus();
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** A part of the page that could not be loaded: said in words, with a button to try again. */
export function sectionProblem(error, retry) {
  return h("div", { class: "alert", role: "alert" }, h("p", {}, failureText(error)), retryButton(retry));
}
