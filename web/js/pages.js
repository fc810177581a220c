// The guide's screens before the accident list: start and log-in, the choice of registration,
// simple registration (procedure code), new registration (by mail), password change and reset.
import * as api from "./api.js";
import { form, h, link } from "./dom.js";
import { failureText, retryable, retryButton } from "./failures.js";
import { t } from "./i18n.js";
import { logInBlocked } from "./lockout.js";
import { passkeyLogIn } from "./passkeys.js";

const PASSWORD_CODES = /^password_/;
const OWN_REFUSALS = /^(email_|invalid_characters$)/;

/**
 * Where a failed submission is told: a refusal about a field next to it, anything else above the
 * form; the network or the service failing (or the maintenance window starting) with a button
 * that sends the form again.
 */
function showFailure(error, view, fieldOf = {}) {
  if (error instanceof api.SessionEnded) {
    return view.alert(failureText(error), " ", link("/login", t("toLogIn")));
  }
  if (!(error instanceof api.ApiFailure) || retryable(error)) {
    if (!(error instanceof api.NetworkFailure || error instanceof api.Maintenance || error instanceof api.ApiFailure)) {
      console.error(error); // a defect of ours: still told, and logged for whoever looks
    }
    return view.alert(h("p", {}, failureText(error)), retryButton(() => view.element.requestSubmit()));
  }
  if (error.code === "validation_failed") {
    const invalid = t("fieldInvalid");
    for (const { field, code, message } of error.body.errors ?? []) {
      // The platform's own refusals say exactly what is wrong (two addresses, a character we
      // cannot take) in the customer's language; the schema's generic ones read better as ours.
      const own = OWN_REFUSALS.test(code ?? "") && typeof message === "string";
      view.fieldError(field, own ? message : invalid[field] ?? t("checkInput"));
    }
    return;
  }
  const field = fieldOf[error.code] ?? (PASSWORD_CODES.test(error.code) ? fieldOf.password : null);
  if (field) view.fieldError(field, error.message);
  else view.alert(error.message);
}

export function start({ page, navigate }) {
  if (api.signedIn()) return navigate("/accidents");
  const params = new URLSearchParams(location.search);
  const logInForm = form({
    id: "log-in",
    submitLabel: t("logIn"),
    fields: [
      { name: "email", label: t("email"), type: "email", autocomplete: "username", value: params.get("email") },
      { name: "password", label: t("password"), type: "password", autocomplete: "current-password" },
    ],
    async submit(values, view) {
      try {
        const session = await api.logIn(values.email, values.password, { remember: Boolean(keep?.checked) });
        navigate(session.password_change_required ? "/password/change" : "/accidents");
      } catch (error) {
        const blocked = logInBlocked(error, () => view.element.requestSubmit());
        if (blocked) view.alert(...blocked);
        else showFailure(error, view, { invalid_credentials: "password" });
      }
    },
  });
  const keep = api.appMode() ? keepSignedIn(logInForm.element) : null;
  page(
    t("startTitle"),
    h("p", { class: "lead" }, t("startLead")),
    h("section", { class: "card", "aria-labelledby": "log-in-title" },
      h("h2", { id: "log-in-title" }, t("logInTitle")),
      logInForm.element,
      passkeyLogIn({
        remember: () => Boolean(keep?.checked),
        done: (session) => navigate(session.password_change_required ? "/password/change" : "/accidents"),
      }),
      h("p", {}, link("/password-reset", t("forgot")))),
    h("section", { class: "card", "aria-labelledby": "first-time-title" },
      h("h2", { id: "first-time-title" }, t("firstTime")),
      h("p", {}, t("firstTimeLead")),
      link("/register", t("register"), { class: "button" }),
      h("p", { class: "note" }, t("individualOnly"))),
  );
}

/** The app's 「ログインしたままにする」, above the log-in button (unticked unless chosen). */
function keepSignedIn(formElement) {
  const box = h("input", { type: "checkbox", id: "keep-signed-in", name: "keep", "aria-describedby": "keep-signed-in-hint" });
  formElement.querySelector("button[type=submit]").before(
    h("div", { class: "field keep" },
      h("label", { class: "toggle", for: "keep-signed-in" }, box, t("keepSignedIn")),
      h("span", { class: "hint", id: "keep-signed-in-hint" }, t("keepSignedInHint"))),
  );
  return box;
}

export function chooseRegistration({ page }) {
  page(
    t("chooseTitle"),
    h("p", { class: "lead" }, t("chooseLead")),
    h("div", { class: "choices" },
      h("section", { class: "card", "aria-labelledby": "simple-title" },
        h("h2", { id: "simple-title" }, t("simpleTitle")),
        h("p", {}, t("simpleLead")),
        h("p", { class: "warn" }, t("maskedNote")),
        link("/register/simple", t("simpleGo"), { class: "button" })),
      h("section", { class: "card", "aria-labelledby": "new-title" },
        h("h2", { id: "new-title" }, t("newTitle")),
        h("p", {}, t("newLead")),
        link("/register/new", t("newGo"), { class: "button" }))),
    h("p", { class: "note" }, t("individualOnly")),
  );
}

export function simpleRegistration({ page, navigate }) {
  const step1 = form({
    id: "procedure-code",
    submitLabel: t("next"),
    fields: [
      { name: "policy_number", label: t("policyNumberInitial"), hint: t("policyNumberHint"), autocomplete: "off" },
      { name: "procedure_code", label: t("procedureCode"), hint: t("procedureCodeHint"), inputmode: "numeric" },
    ],
    async submit(values, view) {
      try {
        const started = await api.publicCall("POST", "/api/v1/registrations/procedure-code", values);
        accountStep(page, navigate, started);
      } catch (error) {
        showFailure(error, view, {
          verification_failed: "procedure_code",
          procedure_code_unavailable: "procedure_code",
        });
        if (error.code === "procedure_code_unavailable") view.alert(link("/register/new", t("newGo")));
        if (error.code === "already_registered") view.alert(error.message, " ", link("/login", t("toLogIn")));
      }
    },
  });
  page(t("simpleStep1"), h("p", { class: "warn" }, t("maskedNote")), h("div", { class: "card" }, step1.element));
}

function accountStep(page, navigate, started) {
  const step2 = form({
    id: "account",
    submitLabel: t("registerDone"),
    fields: [
      { name: "email", label: t("newEmail"), type: "email", autocomplete: "email" },
      { name: "password", label: t("newPassword"), type: "password", autocomplete: "new-password", hint: t("passwordHint") },
      { name: "confirm", label: t("confirmPassword"), type: "password", autocomplete: "new-password" },
    ],
    async submit(values, view) {
      if (values.password !== values.confirm) return view.fieldError("confirm", t("mismatch"));
      try {
        await api.publicCall(
          "POST",
          `/api/v1/registrations/${encodeURIComponent(started.registration_id)}/account`,
          { email: values.email, password: values.password },
          { Authorization: `Bearer ${started.registration_token}` },
        );
        navigate(`/login?email=${encodeURIComponent(values.email)}`, t("registered"));
      } catch (error) {
        showFailure(error, view, { email_taken: "email", password: "password" });
        if (error.code === "invalid_registration_token") view.alert(error.message, " ", link("/register/simple", t("restart")));
      }
    },
  });
  page(t("simpleStep2"), h("p", { class: "lead" }, t("simpleStep2Lead")), h("div", { class: "card" }, step2.element));
}

export function newRegistration({ page, navigate }) {
  const details = form({
    id: "details",
    submitLabel: t("send"),
    fields: [
      { name: "full_name", label: t("fullName"), hint: t("fullNameHint"), autocomplete: "name" },
      { name: "date_of_birth", label: t("dateOfBirth"), hint: t("dateOfBirthHint"), autocomplete: "bday" },
      { name: "policy_number", label: t("policyNumber"), hint: t("policyNumberNewHint") },
      { name: "email", label: t("emailForMail"), hint: t("emailForMailHint"), type: "email", autocomplete: "email" },
    ],
    async submit(values, view) {
      try {
        const accepted = await api.publicCall("POST", "/api/v1/registrations/details", values);
        sessionStorage.setItem("sent", accepted.message ?? "");
        navigate("/register/sent");
      } catch (error) {
        showFailure(error, view);
      }
    },
  });
  page(t("newFormTitle"), h("p", { class: "note" }, t("individualOnly")), h("div", { class: "card" }, details.element));
}

export function checkYourMail({ page }) {
  page(
    t("sentTitle"),
    h("div", { class: "card", id: "sent" },
      h("p", {}, sessionStorage.getItem("sent") || ""),
      h("p", {}, t("sentNext")),
      link("/login", t("toLogIn"), { class: "button" })),
  );
}

export function passwordChange({ page, navigate }) {
  const forced = api.mustChangePassword();
  const change = form({
    id: "password-change",
    submitLabel: t("change"),
    fields: [
      { name: "current", label: forced ? t("temporaryPassword") : t("currentPassword"), type: "password", autocomplete: "current-password" },
      { name: "password", label: t("newPassword"), type: "password", autocomplete: "new-password", hint: t("passwordHint") },
      { name: "confirm", label: t("confirmPassword"), type: "password", autocomplete: "new-password" },
    ],
    async submit(values, view) {
      if (values.password !== values.confirm) return view.fieldError("confirm", t("mismatch"));
      try {
        await api.changePassword(values.current, values.password);
        navigate("/accidents", t("changed"));
      } catch (error) {
        showFailure(error, view, {
          current_password_incorrect: "current",
          password: "password",
        });
      }
    },
  });
  page(t("changeTitle"), forced ? h("p", { class: "warn", id: "forced" }, t("forcedLead")) : null, h("div", { class: "card" }, change.element));
}

export function passwordReset({ page }) {
  const reset = form({
    id: "password-reset",
    submitLabel: t("resetSend"),
    fields: [{ name: "email", label: t("email"), type: "email", autocomplete: "username" }],
    async submit(values, view) {
      try {
        const accepted = await api.publicCall("POST", "/api/v1/password-resets", values);
        view.element.replaceWith(h("p", { class: "flash", role: "status" }, accepted.message), link("/login", t("toLogIn"), { class: "button" }));
      } catch (error) {
        showFailure(error, view);
      }
    },
  });
  page(t("resetTitle"), h("p", { class: "lead" }, t("resetLead")), h("div", { class: "card" }, reset.element));
}
