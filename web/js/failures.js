// How a failure is told to the customer, on every screen: in their language (never "HTTP 502"
// or a proxy's page), in an alert next to what failed, with a button to try again.
import * as api from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** What went wrong, in the customer's words. */
export function failureText(error) {
  if (error instanceof api.NetworkFailure) return t("network");
  if (error instanceof api.Unavailable) return t("unavailable");
  if (error instanceof api.Maintenance) return `${t("maintenanceLead")} ${t("maintenanceRetry")}`;
  if (error instanceof api.SessionEnded) return t("sessionEnded");
  if (error instanceof api.ApiFailure && typeof error.body.message === "string") return error.message;
  return t("unexpected");
}

/** Worth trying again as it is: the same request may well succeed in a moment. */
export function retryable(error) {
  return error instanceof api.NetworkFailure || error instanceof api.Unavailable || error?.status === 429;
}

export function retryButton(retry) {
  return h("button", { type: "button", class: "secondary retry", onclick: retry }, t("retry"));
}
