/**
 * Accounts in the widget: the "log in or create an account" prompt with its inline
 * forms, and the signed-in line with sign-out. The session token lives in the store.
 */

import { button, errorLine, h } from "./dom.js";

/** @typedef {import("./thread.js").Context} Context */

/**
 * The account line above the comment form: who is signed in, or how to sign in.
 * @param {Context} ctx
 * @returns {HTMLElement}
 */
export function authPanel(ctx) {
  const { t } = ctx.tr;
  const panel = h("div", { class: "auth" });
  const me = ctx.me;
  if (me) {
    panel.append(
      h(
        "p",
        { class: "row note" },
        t("signedIn", { name: me.username }),
        button({ class: "link", part: "logout", onclick: () => ctx.signOut() }, t("logout")),
      ),
    );
    return panel;
  }
  const login = button({ class: "link", part: "login", onclick: () => open(false) }, t("login"));
  const register = button({ class: "link", part: "register", onclick: () => open(true) }, t("register"));
  const places = { login: "{login}", register: "{register}" };
  const prompt = t(ctx.config.anonymous ? "loginOptional" : "loginRequired", places).split(/(\{\w+\})/);
  panel.append(
    h(
      "p",
      { class: ctx.config.anonymous ? "note" : "" },
      ...prompt.map((piece) => (piece == "{login}" ? login : piece == "{register}" ? register : piece)),
    ),
  );
  return panel;

  /** Show the log-in or the registration form under the prompt. */
  function open(/** @type {boolean} */ creating) {
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
        h(
          "button",
          { type: "submit", class: "primary", part: "submit" },
          creating ? t("registerTitle") : t("login"),
        ),
      ),
    );
    panel.querySelector("form")?.remove();
    panel.append(form);
    /** @type {HTMLElement} */ (form.querySelector("input")).focus();

    /** @param {Event} event */
    async function send(event) {
      event.preventDefault();
      // Only text fields, so every value is a string; an empty e-mail is left out.
      const body = /** @type {{username: string, password: string, email?: string}} */ (
        Object.fromEntries([...new FormData(form)].filter(([, value]) => value))
      );
      error.textContent = "";
      try {
        const session = await (creating ? ctx.api.register(body) : ctx.api.login(body));
        ctx.signIn(session.token, session.user);
      } catch (failure) {
        error.textContent = ctx.tr.error(failure);
      }
    }
  }
}
