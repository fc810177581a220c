// The money on an accident's page: the payment deadline the policy terms promise (from the day all
// required documents were in, extended only for a listed reason), each payment in full (coverage,
// amount, date, the payee masked as claim-status sends it, the adjuster's breakdown) and the totals.
import { h } from "./dom.js";
import { formatDay, formatYen, t } from "./i18n.js";

/**
 * 「お支払い期限の目安：12月1日（必要書類がそろった11月2日から30日）」 and, when the terms' period is
 * extended, why, in the words claim-status keeps for each reason. Null when there is no deadline
 * (the documents are not all in yet, or nothing is left to pay).
 */
export function deadlineLines(deadline, coverages = []) {
  if (!deadline) return [];
  const lines = [
    h("p", { class: "deadline", id: "payment-deadline" },
      t("paymentDeadline", { date: formatDay(deadline.date), basis: deadline.basis })),
  ];
  const extension = deadline.extension;
  if (extension) {
    const values = { reason: extension.reason.label, date: formatDay(extension.until) };
    const coverage = extendedCoverage(deadline, coverages);
    lines.push(h("p", { class: "deadline-extension", id: "deadline-extension" },
      coverage ? t("coverageDeadlineExtended", { ...values, coverage }) : t("deadlineExtended", values)));
  }
  return lines;
}

/**
 * The coverage whose deadline, with its extension, is the claim's: named when the claim has more
 * than one coverage and that one alone carries it (the detail's deadline does not say whose it is;
 * each coverage carries its own). Null when several do (the whole claim's extension).
 */
function extendedCoverage(deadline, coverages) {
  const same = coverages.filter(({ payment_deadline: own }) => own?.extension
    && own.date === deadline.date
    && own.extension.reason.code === deadline.extension.reason.code
    && own.extension.until === deadline.extension.until);
  return same.length === 1 && coverages.length > 1 ? same[0].label : null;
}

/**
 * Before the claim is complete: when payment comes, in words, where its deadline will appear once
 * every required document is in; the days are the insurer's terms as claim-status sends them (an
 * answer kept offline from before it sent them: the terms named without the number). Not on a
 * claim closed or paid in full: nothing is left to wait for.
 */
function deadlineToCome(accident) {
  if (accident.payment_deadline || accident.closed || paidInFull(accident)) return null;
  const days = accident.payment_terms_days;
  const text = Number.isInteger(days) ? t("deadlinePending", { days }) : t("deadlinePendingTerms");
  return h("p", { class: "deadline-pending", id: "deadline-pending" }, text);
}

/** Every coverage paid or not covered, one at least paid: nothing is left to pay. */
function paidInFull(accident) {
  const codes = (accident.coverages ?? []).map((coverage) => coverage.status.code);
  return codes.includes("paid") && codes.every((code) => code === "paid" || code === "not_covered");
}

/** A coverage's own deadline, under its status (null when it has none). */
export function coverageDeadline(coverage) {
  const deadline = coverage.payment_deadline;
  if (!deadline) return null;
  return h("span", { class: "coverage-deadline" }, t("coverageDeadline", { date: formatDay(deadline.date) }));
}

/**
 * 「◯◯銀行 △△支店 ****1234」: claim-status never has more of the account than its last digits.
 * Each part kept whole on a line of its own when the three do not fit a phone's width.
 */
function payeeText(payee) {
  const parts = [payee.bank, payee.branch, payee.account].filter(Boolean);
  return parts.map((part, index) => [index ? " " : null, h("span", { class: "payee-part" }, part)]);
}

function breakdownList(breakdown) {
  if (!breakdown?.length) return null;
  return h("div", { class: "breakdown" },
    h("p", { class: "breakdown-title" }, t("breakdown")),
    h("dl", { class: "facts" }, breakdown.map(({ item, amount }) => [
      h("dt", {}, item), h("dd", { class: "amount-line" }, formatYen(amount)),
    ])));
}

/** One card per payment (a four-column table does not fit a phone's width). */
function paymentCard(payment) {
  const statuses = t("paymentStatus");
  return h("li", { class: "payment" },
    h("dl", { class: "facts" },
      h("dt", {}, t("coverage")), h("dd", {}, payment.coverage_label),
      h("dt", {}, t("amount")), h("dd", { class: "amount" }, formatYen(payment.amount)),
      h("dt", {}, t("status")), h("dd", {}, statuses[payment.status] ?? payment.status),
      h("dt", {}, t("date")), h("dd", {}, payment.date ? formatDay(payment.date) : "—"),
      payment.payee ? [h("dt", {}, t("payee")), h("dd", { class: "payee" }, payeeText(payment.payee))] : null),
    breakdownList(payment.breakdown));
}

function totals(paymentTotals) {
  if (!paymentTotals) return null;
  return h("dl", { class: "facts totals", id: "payment-totals" },
    h("dt", {}, t("totalPaid")), h("dd", { class: "amount" }, formatYen(paymentTotals.paid)),
    h("dt", {}, t("totalScheduled")), h("dd", { class: "amount" }, formatYen(paymentTotals.scheduled)));
}

/**
 * The deadline (or, before the claim is complete, when it will come), the payments and their
 * totals: nothing on a closed claim with neither deadline nor payment.
 */
export function paymentsSection(accident, section) {
  const payments = accident.payments ?? [];
  const toCome = deadlineToCome(accident);
  if (!accident.payment_deadline && !payments.length && !toCome) return null;
  return section("payments", t("payments"),
    toCome,
    ...deadlineLines(accident.payment_deadline, accident.coverages),
    payments.length ? h("ul", { class: "payments" }, payments.map(paymentCard)) : null,
    payments.length ? totals(accident.payment_totals) : null);
}
