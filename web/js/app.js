// The web front's entry: the page chrome, the router (plain paths, the gateway serves index.html
// for each), and what every page shares: a loading state, the maintenance page, "not found", a
// lost session, and the failure page (network or service down) with a button to try again.
import * as api from "./api.js";
import { h, link } from "./dom.js";
import { failureText, retryButton } from "./failures.js";
import { language, setLanguage, t } from "./i18n.js";
import { accidentDetail, accidentList } from "./accidents.js";
import { appHome, appRegister, bottomNavigation } from "./apphome.js";
import { offlineNoticeAt, registerServiceWorker } from "./offline.js";
import * as pages from "./pages.js";
import { notificationSettings, notificationSettingsLabel } from "./notifications.js";
import { sessionsLabel, sessionsPage } from "./sessions.js";
import { passkeySettings, passkeysLabel } from "./passkeys.js";
import { turnOff as turnPushOff } from "./push.js";

const ROUTES = [
  [/^\/$/, pages.start, "public"],
  [/^\/login$/, pages.start, "public"],
  [/^\/register$/, pages.chooseRegistration, "public"],
  [/^\/register\/simple$/, pages.simpleRegistration, "public"],
  [/^\/register\/new$/, pages.newRegistration, "public"],
  [/^\/register\/sent$/, pages.checkYourMail, "public"],
  [/^\/password-reset$/, pages.passwordReset, "public"],
  [/^\/password\/change$/, pages.passwordChange, "customer"],
  [/^\/accidents$/, accidentList, "customer"],
  [/^\/accidents\/([^/]+)$/, accidentDetail, "customer"],
  [/^\/settings\/notifications$/, notificationSettings, "customer"],
  [/^\/settings\/sessions$/, sessionsPage, "customer"],
  [/^\/settings\/passkeys$/, passkeySettings, "customer"],
  [/^\/maintenance$/, maintenancePage, "public"],
  [/^\/app\/?$/, appHome, "public"],
  [/^\/app\/register$/, appRegister, "public"],
];

let flash = null; // one message carried to the next page ("registered", "logged out", ...)
let rendering = 0; // the render now under way: an older one finishing late must not show its page

export function navigate(path, message = null) {
  flash = message;
  history.pushState({}, "", path);
  render();
}

function takeFlash() {
  const message = flash;
  flash = null;
  return message ? h("p", { class: "flash", role: "status" }, message) : null;
}

/** 「◯月◯日 ◯時◯分時点の情報（オフライン）」 when what this page shows came from the device. */
function offlineSince(since) {
  return offlineNoticeAt(api.offlineSeenSince(since));
}

/** Shows a page, unless the customer has moved on to another address since it was asked for. */
function pageFor(rendered) {
  const since = api.answerCount();
  return (title, ...content) => {
    if (rendered !== rendering) return;
    document.title = `${title} | ${t("service")}`;
    const main = document.getElementById("main");
    const parts = [takeFlash(), h("h1", {}, title), offlineSince(since), ...content];
    main.replaceChildren(...parts.filter((part) => part !== null && part !== undefined));
    main.removeAttribute("aria-busy");
    main.focus();
  };
}

/** At once on every new address, so what is on screen never belongs to the previous one. */
function loading() {
  document.title = `${t("loading")} | ${t("service")}`;
  const main = document.getElementById("main");
  main.setAttribute("aria-busy", "true");
  main.replaceChildren(h("p", { class: "loading", id: "loading", role: "status" }, t("loading")));
}

function chrome() {
  document.documentElement.lang = language();
  document.querySelector(".skip").textContent = t("skip");
  const app = api.appMode();
  const brand = document.querySelector("header .brand");
  brand.textContent = app ? t("appName") : t("service");
  brand.setAttribute("href", app ? "/app/" : "/");
  document.getElementById("site-footer").replaceChildren(h("p", {}, t("footer")));
  if (api.signedIn() && !api.mustChangePassword()) {
    // In the footer: the header's buttons already fill a 360 px line.
    document.getElementById("site-footer").prepend(
      h("p", {}, link("/settings/notifications", notificationSettingsLabel(), { id: "settings-link" })),
      h("p", {}, link("/settings/passkeys", passkeysLabel(), { id: "passkeys-link" })),
      h("p", {}, link("/settings/sessions", sessionsLabel(), { id: "sessions-link" })),
    );
  }
  const nav = document.getElementById("site-nav");
  nav.setAttribute("aria-label", t("siteNav"));
  const items = [];
  if (api.signedIn() && !api.mustChangePassword()) {
    items.push(link("/accidents", t("accidents")), link("/password/change", t("changePassword")));
  }
  if (api.signedIn() || api.offlineSession()) {
    items.push(h("button", { type: "button", id: "log-out", onclick: logOut }, t("logOut")));
  }
  const other = language() === "en" ? "ja" : "en";
  items.push(
    h(
      "button",
      { type: "button", id: "language", lang: other, "aria-label": t("switchLanguageLabel"), onclick: () => {
        setLanguage(other);
        render();
      } },
      t("switchLanguage"),
    ),
  );
  nav.replaceChildren(...items);
  document.getElementById("bottom-nav")?.remove();
  document.body.classList.toggle("app", app);
  if (app) document.getElementById("site-footer").before(bottomNavigation(location.pathname));
}

async function logOut() {
  // Pushes are for the account signed in: this device's subscription goes before the session.
  await turnPushOff().catch(() => {});
  await api.logOut().catch(() => {});
  navigate(api.appMode() ? "/app/" : "/", t("loggedOut"));
}

function maintenancePage({ page, retryAfterSeconds = null }) {
  const until = Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
    ? new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "ja-JP", {
      timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit",
    }).format(new Date(Date.now() + retryAfterSeconds * 1000))
    : null;
  page(
    t("maintenanceTitle"),
    h("div", { class: "card warn", id: "maintenance" },
      h("p", {}, t("maintenanceLead")),
      until ? h("p", {}, t("maintenanceUntil", { time: until })) : null,
      h("p", {}, t("maintenanceRetry"))),
    h("button", { type: "button", class: "secondary", onclick: () => location.reload() }, t("reload")),
  );
}

/** The network or the service failed: said in the customer's words, with a way to try again. */
function failurePage(page, error) {
  page(
    t("failureTitle"),
    h("div", { class: "alert", id: "failure", role: "alert" }, h("p", {}, failureText(error))),
    h("p", {}, retryButton(() => render())),
    h("p", {}, api.signedIn() ? link("/accidents", t("back")) : link("/", t("toStart"))),
  );
}

function notFoundPage(page) {
  page(t("pageNotFound"), h("p", {}, link("/", t("service"))));
}

function routeOf(path) {
  for (const [pattern, view, audience] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { view, audience, params: match.slice(1).map(decodeURIComponent) };
  }
  return null;
}

/** Whatever a page throws that is about the whole session or service, shown the same way. */
function showFailure(page, error) {
  if (error instanceof api.Maintenance) return maintenancePage({ page, retryAfterSeconds: error.retryAfterSeconds });
  if (error instanceof api.SessionEnded) {
    api.forget();
    return navigate("/login", t("sessionEnded"));
  }
  if (!(error instanceof api.NetworkFailure || error instanceof api.ApiFailure)) {
    console.error(error); // a defect of ours: still told, and logged for whoever looks
  }
  return failurePage(page, error);
}

async function show(view, params, page) {
  try {
    await view({ page, navigate, params, fail: (error) => showFailure(page, error) });
  } catch (error) {
    showFailure(page, error);
  }
}

export async function render() {
  const page = pageFor(++rendering);
  chrome();
  loading();
  const route = routeOf(location.pathname);
  if (!route) return notFoundPage(page);
  if (route.audience === "customer" && !api.signedIn()) {
    let restored = false;
    try {
      restored = await api.restoreSession();
    } catch (error) {
      // Offline: the page shows what the device kept of this account, or says it cannot.
      if (!(error instanceof api.NetworkFailure)) return showFailure(page, error);
      restored = true;
    }
    if (!restored) return navigate("/login");
    chrome();
  }
  if (api.signedIn() && api.mustChangePassword() && route.view !== pages.passwordChange) {
    return navigate("/password/change");
  }
  return show(route.view, route.params, page);
}

async function boot() {
  registerServiceWorker({ install: api.appMode() });
  document.addEventListener("click", (event) => {
    const anchor = event.target.closest?.("a[data-link]");
    if (!anchor || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(anchor.getAttribute("href"));
  });
  window.addEventListener("popstate", render);
  try {
    await api.publicCall("GET", "/api/v1/service-status");
  } catch (error) {
    if (error instanceof api.Maintenance) {
      chrome();
      return maintenancePage({ page: pageFor(++rendering), retryAfterSeconds: error.retryAfterSeconds });
    }
    // Anything else: each page says so itself when it needs the service.
  }
  await render();
}

boot();
