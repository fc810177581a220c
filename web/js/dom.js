// Building pages from data without ever parsing it as HTML, and forms whose errors sit next to
// the field they are about (announced to screen readers, the field marked invalid).
import { t } from "./i18n.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function link(href, text, attributes = {}) {
  return h("a", { href, "data-link": true, ...attributes }, text);
}

/**
 * A form of labelled fields. `fields`: [{name, label, type, autocomplete, hint, inputmode}].
 * `submit(values, form)` may throw; `form.fieldError(name, text)` and `form.alert(text)` show
 * what went wrong where it belongs.
 */
export function form({ fields, submitLabel, submit, id }) {
  const alertBox = h("div", { class: "alert", role: "alert", hidden: true });
  const inputs = {};
  const errors = {};
  const rows = fields.map((field) => {
    const inputId = `${id}-${field.name}`;
    const hintId = field.hint ? `${inputId}-hint` : null;
    const errorId = `${inputId}-error`;
    errors[field.name] = h("p", { class: "field-error", id: errorId });
    inputs[field.name] = h("input", {
      id: inputId,
      name: field.name,
      type: field.type ?? "text",
      autocomplete: field.autocomplete ?? "off",
      inputmode: field.inputmode,
      required: true,
      value: field.value,
      "aria-describedby": [hintId, errorId].filter(Boolean).join(" "),
    });
    return h(
      "div",
      { class: "field" },
      h("label", { for: inputId }, field.label),
      field.hint ? h("span", { class: "hint", id: hintId }, field.hint) : null,
      inputs[field.name],
      errors[field.name],
    );
  });
  const button = h("button", { class: "primary", type: "submit" }, submitLabel);
  const element = h("form", { id, novalidate: true }, alertBox, ...rows, button);

  const api = {
    element,
    inputs,
    clear() {
      alertBox.hidden = true;
      alertBox.replaceChildren();
      for (const name of Object.keys(inputs)) {
        inputs[name].removeAttribute("aria-invalid");
        errors[name].textContent = "";
      }
    },
    fieldError(name, text) {
      if (!inputs[name]) return api.alert(text);
      inputs[name].setAttribute("aria-invalid", "true");
      errors[name].textContent = text;
      return true;
    },
    alert(...content) {
      alertBox.replaceChildren(...content);
      alertBox.hidden = false;
      return true;
    },
    focusFirstProblem() {
      const invalid = Object.values(inputs).find((input) => input.getAttribute("aria-invalid"));
      (invalid ?? alertBox).focus?.();
      if (!invalid) alertBox.setAttribute("tabindex", "-1"), alertBox.focus();
    },
  };

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    api.clear();
    const values = Object.fromEntries(
      Object.entries(inputs).map(([name, input]) => [
        name,
        input.type === "password" ? input.value : input.value.trim(),
      ]),
    );
    const missing = Object.keys(values).filter((name) => values[name] === "");
    if (missing.length) {
      for (const name of missing) api.fieldError(name, t("required"));
      api.focusFirstProblem();
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await submit(values, api);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (element.isConnected && (!alertBox.hidden || Object.values(errors).some((e) => e.textContent))) {
        api.focusFirstProblem();
      }
    }
  });
  return api;
}
