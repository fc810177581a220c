// The app's own screens, in the customer guide's words: the home (/app/) with its two menus,
// 「事故サポート」 → 「自動車事故の対応状況を確認する」 and 「契約確認・変更」 → 「今すぐ登録する」, the
// registration choice it leads to (the two journeys), and the bottom navigation a thumb reaches.
import { h, link } from "./dom.js";
import { t } from "./i18n.js";

export function appHome({ page }) {
  page(
    t("appName"),
    h("p", { class: "lead" }, t("appHomeLead")),
    h("div", { class: "app-menus" },
      h("section", { class: "card app-menu", id: "accident-support", "aria-labelledby": "accident-support-title" },
        h("h2", { id: "accident-support-title" }, t("accidentSupport")),
        h("p", {}, t("accidentSupportLead")),
        link("/accidents", t("checkAccidentStatus"), { class: "button menu-button" })),
      h("section", { class: "card app-menu", id: "contract", "aria-labelledby": "contract-title" },
        h("h2", { id: "contract-title" }, t("contractMenu")),
        h("p", {}, t("contractLead")),
        link("/app/register", t("registerNow"), { class: "button menu-button" }))),
  );
}

export function appRegister({ page }) {
  page(
    t("appRegisterTitle"),
    h("p", { class: "lead" }, t("chooseLead")),
    h("div", { class: "choices" },
      h("section", { class: "card", "aria-labelledby": "with-code-title" },
        h("h2", { id: "with-code-title" }, t("withCode")),
        h("p", {}, t("withCodeLead")),
        h("p", { class: "warn" }, t("maskedNote")),
        link("/register/simple", t("simpleGo"), { class: "button" })),
      h("section", { class: "card", "aria-labelledby": "without-code-title" },
        h("h2", { id: "without-code-title" }, t("withoutCode")),
        h("p", {}, t("withoutCodeLead")),
        link("/register/new", t("newGo"), { class: "button" }))),
    h("p", { class: "note" }, t("individualOnly")),
  );
}

const TABS = [
  ["/app/", "navHome", (path) => /^\/app\/?$/.test(path)],
  ["/accidents", "navAccidents", (path) => path.startsWith("/accidents")],
  ["/app/register", "navContract", (path) => path.startsWith("/app/register") || path.startsWith("/register")],
];

/** The app's bottom navigation: three large targets, the current one marked for screen readers. */
export function bottomNavigation(path) {
  return h("nav", { class: "bottom-nav", id: "bottom-nav", "aria-label": t("appNav") },
    h("ul", {}, TABS.map(([href, key, current]) =>
      h("li", {}, link(href, t(key), { "aria-current": current(path) ? "page" : null })))));
}
