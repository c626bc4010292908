/**
 * The account forms, a chunk loaded when a reader first asks to log in or create an
 * account (embed/account.js): username and password, e-mail when registering.
 */

import { createWrites } from "./api.js";
import { errorLine, h } from "./dom.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./i18n.js").Translator} Translator */

/**
 * The log-in (or, when `creating`, the registration) form; hands the new session to `signIn`.
 * @param {{tr: Translator, api: Api, signIn: (session: Session) => void}} account
 * @param {boolean} creating
 * @returns {HTMLFormElement}
 */
export function accountForm({ tr, api, signIn }, creating) {
  const { t } = tr;
  const field = (/** @type {string} */ label, /** @type {Record<string, any>} */ attributes) =>
    h("label", {}, label, h("input", attributes));
  const error = errorLine();
  const form = h(
    "form",
    { part: "form", onsubmit: send },
    field(t("username"), { name: "username", autocomplete: "username", required: true }),
    field(t("password"), {
      name: "password",
      type: "password",
      autocomplete: creating ? "new-password" : "current-password",
      required: true,
    }),
    creating && field(t("email"), { name: "email", type: "email", autocomplete: "email" }),
    error,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", part: "submit" }, creating ? t("registerTitle") : t("login")),
    ),
  );
  return form;

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    // Only text fields, so every value is a string; an empty e-mail is left out.
    const body = /** @type {{username: string, password: string, email?: string}} */ (
      Object.fromEntries([...new FormData(form)].filter(([, value]) => value))
    );
    error.textContent = "";
    try {
      const writes = createWrites(api);
      signIn(await (creating ? writes.register(body) : writes.login(body)));
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }
}
