/**
 * Accounts in the widget: the "log in or create an account" prompt, and the signed-in line
 * with the reader's address (when the site sends mail) and sign-out. The forms themselves
 * are a chunk (account.js), loaded on the first click; so are the buttons of the site's
 * sign-in providers (providers.js), loaded as soon as the line is drawn.
 */

import { button, errorLine, h } from "./dom.js";

/**
 * The account line above the comment form: who is signed in, or how to sign in.
 * @param {object} reader
 * @param {import("./i18n.js").Translator} reader.tr
 * @param {import("./types.js").User | null} reader.me
 * @param {import("./types.js").SiteConfig} reader.config  whether the site takes comments without an account, whether it sends mail
 * @param {string | undefined} reader.token  the session token of the signed-in reader
 * @param {import("./api.js").Api} reader.api
 * @param {(name: string) => Promise<any>} reader.loadPart
 * @param {(session: import("./api.js").Session | null) => void} reader.switchReader
 * @returns {HTMLElement}
 */
export function authPanel({ tr, me, config, token, api, loadPart, switchReader }) {
  const { t } = tr;
  const panel = h("div", { class: "auth" });
  const { anonymous, mail } = config;
  /** What the account chunk's parts are drawn with (account.js). */
  const account = { tr, api, config, me, token, signIn: switchReader, open };
  // The providers' buttons come with the chunk: nothing of a provider's is fetched before a click.
  if (config.providers?.length) open("providers");
  if (me) {
    panel.append(
      h(
        "p",
        { class: "row note" },
        t("signedIn", { name: me.username }),
        mail && button({ class: "link", part: "address", onclick: () => open("addressForm") }, t("address")),
        button({ class: "link", part: "logout", onclick: () => switchReader(null) }, t("logout")),
      ),
    );
    return panel;
  }
  // A site with only providers has no username and password to offer.
  if (config.local_accounts == false) return panel;
  const login = button({ class: "link", part: "login", onclick: () => open("loginForm") }, t("login"));
  const register = button({ class: "link", part: "register", onclick: () => open("registerForm") }, t("register"));
  const places = { login: "{login}", register: "{register}" };
  const prompt = t(anonymous ? "loginOptional" : "loginRequired", places).split(/(\{\w+\})/);
  panel.append(
    h(
      "p",
      { class: anonymous ? "note" : "" },
      ...prompt.map((piece) => (piece == "{login}" ? login : piece == "{register}" ? register : piece)),
    ),
  );
  return panel;

  /** Show one of the account forms (or the providers' part) under the line, loading them first. */
  async function open(/** @type {string} */ form) {
    let shown;
    try {
      const forms = await loadPart("account");
      shown = await forms[form](account, panel);
    } catch (failure) {
      // The forms could not be fetched: say so where they would be; a click tries again.
      shown = errorLine();
      shown.textContent = await tr.error(failure);
    }
    panel.querySelector("form, :scope>.err")?.remove(); // not the providers' own error line
    panel.append(shown);
    /** @type {HTMLElement | null} */ (shown.querySelector("input,[autofocus]"))?.focus();
  }
}
