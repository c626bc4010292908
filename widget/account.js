/**
 * The account forms, a chunk loaded when a reader first asks to log in, create an account
 * or see their address (embed/account.js): username and password, e-mail when registering;
 * "Forgot your password?" and the address, when the site sends mail. And, loaded as soon as
 * the account line is drawn on a site that has them, signing in with providers and linking
 * them (providers.js). Their words, the `account` section of every i18n/<lang>.json, are
 * built into this chunk.
 */

import { createWrites } from "./api.js";
import { button, errorLine, h } from "./dom.js";
import { offerProviders, signInMethods } from "./providers.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./i18n.js").Translator} Translator */

/**
 * What every form here is drawn with.
 * @typedef {object} Account
 * @property {Translator} tr
 * @property {Api} api
 * @property {string | undefined} token the signed-in reader's session token
 * @property {import("./types.js").User | null} me  the signed-in reader
 * @property {import("./types.js").SiteConfig} config
 * @property {(session: Session) => void} signIn
 * @property {(part: string) => void} open  show another of this chunk's parts in the account line
 */

/** The words of these forms by language (the build's). */
const WORDS = typeof KOMMENTAR_WORDS == "object" ? KOMMENTAR_WORDS : {};

/**
 * The words of these forms in the reader's language: `say(key, vars)`.
 * @param {Account} account
 */
function wordsFor({ tr }) {
  const words = WORDS[tr.lang] || WORDS.en || {};
  return (/** @type {string} */ key, /** @type {Record<string, string>} */ vars = {}) =>
    (words[key] || key).replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

/** A labelled input. */
const field = (/** @type {string} */ label, /** @type {Record<string, any>} */ attributes) =>
  h("label", {}, label, h("input", attributes));

/** The form's text fields, an empty one left out. */
const filled = (/** @type {HTMLFormElement} */ form) =>
  /** @type {Record<string, string>} */ (Object.fromEntries([...new FormData(form)].filter(([, value]) => value)));

/**
 * The providers' buttons (signed out) or "Sign-in methods" (signed in) in the account line.
 * @param {Account} account
 * @param {HTMLElement} panel  the account line
 */
export const providers = (account, panel) => offerProviders(account, panel, wordsFor(account));

/** @param {Account} account */
export const methodsForm = (account) => signInMethods(account, wordsFor(account));

/** @param {Account} account */
export const loginForm = (account) => accountForm(account, false);

/** @param {Account} account */
export const registerForm = (account) => accountForm(account, true);

/**
 * The log-in (or, when `creating`, the registration) form; hands the new session to `signIn`.
 * @param {Account} account
 * @param {boolean} creating
 * @returns {Promise<HTMLFormElement>}
 */
async function accountForm(account, creating) {
  const { tr, api, config, signIn } = account;
  const { t } = tr;
  const say = wordsFor(account);
  const error = errorLine();
  const form = h(
    "form",
    { part: "form", onsubmit: send },
    field(say("username"), { name: "username", autocomplete: "username", required: true }),
    field(say("password"), {
      name: "password",
      type: "password",
      autocomplete: creating ? "new-password" : "current-password",
      required: true,
    }),
    creating && field(say("email"), { name: "email", type: "email", autocomplete: "email" }),
    error,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", part: "submit" }, creating ? say("registerTitle") : t("login")),
      config.mail && !creating && button({ class: "link", part: "forgot", onclick: forgot }, say("forgot")),
    ),
  );
  return form;

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    // Only text fields, so every value is a string; an empty e-mail is left out.
    const body = /** @type {{username: string, password: string, email?: string}} */ (filled(form));
    error.textContent = "";
    try {
      const writes = createWrites(api);
      signIn(await (creating ? writes.register({ ...body, lang: tr.lang }) : writes.login(body)));
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }

  /** Put the form asking for a reset link in this one's place. */
  function forgot() {
    const asking = resetForm(account, say, () => asking.replaceWith(form));
    form.replaceWith(asking);
    /** @type {HTMLElement} */ (asking.querySelector("input")).focus();
  }
}

/**
 * "Forgot your password?": the username or address to mail a reset link for. The answer is
 * the same whether or not an account matches, so it says only what may happen.
 * @param {Account} account
 * @param {(key: string, vars?: Record<string, string>) => string} say
 * @param {() => void} back  goes back to the log-in form
 */
function resetForm({ tr, api }, say, back) {
  const error = errorLine();
  const answer = h("p", { class: "note", role: "status" });
  const form = h(
    "form",
    { part: "form", class: "reset", onsubmit: send },
    h("p", {}, say("resetTitle")),
    field(say("login"), { name: "login", autocomplete: "username", required: true }),
    error,
    answer,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", part: "submit" }, say("send")),
      button({ class: "link", onclick: back }, say("back")),
    ),
  );
  return form;

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    error.textContent = answer.textContent = "";
    try {
      await createWrites(api).passwordReset({ login: filled(form).login, lang: tr.lang });
      answer.textContent = say("sent");
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }
}

/**
 * The signed-in reader's address: whether it is confirmed, and a form to change or remove
 * it (a new one is sent a link to confirm it).
 * @param {Account} account
 * @returns {Promise<HTMLFormElement>}
 */
export async function addressForm(account) {
  const { tr, api, token } = account;
  const say = wordsFor(account);
  const { user } = await api.me(token || "");
  const error = errorLine();
  const status = h("p", { class: "note", role: "status" });
  const input = h("input", { name: "email", type: "email", autocomplete: "email", value: user.email || "" });
  const form = h(
    "form",
    { part: "form", class: "address", onsubmit: send },
    status,
    h("label", {}, say("address"), input),
    error,
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary", part: "submit" }, say("save")),
      button({ class: "link", onclick: () => form.remove() }, say("close")),
    ),
  );
  show(user);
  return form;

  /** @param {import("./types.js").User} now @param {string} [saved] */
  function show(now, saved) {
    const email = now.email || "";
    status.textContent =
      saved || (email ? say(now.email_verified ? "verified" : "unverified", { email }) : say("none"));
  }

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    error.textContent = "";
    try {
      const { user: now } = await createWrites(api).changeAddress({ email: input.value.trim(), lang: tr.lang }, token);
      show(now, now.email ? (now.email_verified ? "" : say("saved")) : say("removed"));
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }
}
