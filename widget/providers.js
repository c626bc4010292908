/**
 * Signing in with the site's providers (GitHub, Google, any OpenID Connect provider), in the
 * account chunk: a "Log in with …" button per provider under the account line, and for a
 * signed-in reader their sign-in methods, to link another provider or unlink one. A sign-in
 * happens at the server, in a popup opened in the click (a blocker allows only that) that
 * posts its answer back; where the popup is blocked, in this tab, which comes back with the
 * answer in its fragment (signin.js, picked up by embed.js). Nothing of a provider's is
 * fetched before its button is pressed.
 */

import { createWrites } from "./api.js";
import { button, errorLine, h } from "./dom.js";
import { popupAnswer, startAddress } from "./signin.js";
import { openStore } from "./storage.js";
import { ACCOUNT_STYLESHEET } from "./stylesheet.js";
import { adoptStyles } from "./styles.js";

/** @typedef {import("./account.js").Account} Account */
/** @typedef {import("./types.js").Provider} Provider */
/** @typedef {import("./types.js").User} User */
/** @typedef {(key: string, vars?: Record<string, string>) => string} Say  the account chunk's words */

// The server: this chunk is its embed/account.js.
const SERVER = new URL("../", import.meta.url).href;
const POPUP = "kommentar-signin"; // one window: a second click reuses it
const POPUP_FEATURES = "popup,width=520,height=680";

/** The shadow roots that have this chunk's styles. */
const styled = new WeakSet();

/** Stop waiting for the popup of the sign-in before; a new one replaces it. */
let stopWaiting = () => {};

/**
 * What the next sign-in methods form says first: a link just made, or a new name. Signing in
 * with the new session or name draws the account line anew, and the new line opens the form
 * again.
 */
let saidNext = "";

/**
 * The providers' part of the account line: signed out, a button per provider (with the
 * prompt to log in, where there are no passwords to offer it); signed in, "Sign-in methods"
 * beside "Sign out". Either way, why a sign-in that came back to the page failed (main.js
 * keeps it in the reader's store).
 * @param {Account} account
 * @param {HTMLElement} panel  the account line's
 * @param {Say} say
 * @returns {Promise<HTMLElement>}
 */
export async function offerProviders(account, panel, say) {
  const { tr, config, me } = account;
  const root = panel.getRootNode();
  if (root instanceof ShadowRoot && !styled.has(root)) {
    styled.add(root);
    adoptStyles(root, ACCOUNT_STYLESHEET);
  }
  const error = errorLine();
  // Told by the first account line drawn, then forgotten.
  const store = openStore(SERVER);
  const failure = store.get("error");
  if (failure) {
    store.set("error", undefined);
    error.textContent = await tr.error({ code: failure });
  }
  if (me) {
    const open = () => account.open("methodsForm");
    const methods = button({ class: "link", part: "methods", onclick: open }, say("methods"));
    panel.querySelector("[part=logout]")?.before(methods);
    if (saidNext) open();
    confirmLanded(account, error, (label) => say("linked", { label }));
    return error;
  }
  const prompt =
    config.local_accounts == false &&
    h("p", { class: config.anonymous ? "note" : "" }, say(config.anonymous ? "orProvider" : "providerRequired"));
  const buttons = (config.providers || []).map((provider) =>
    button(
      { part: "provider", "data-provider": provider.name, onclick: () => signIn(account, provider, error) },
      say("with", { label: provider.label }),
    ),
  );
  return h("div", { class: "providers" }, prompt, h("div", { class: "row" }, ...buttons), error);
}

/**
 * The signed-in reader's name in the comments, to change, and their ways in: their password
 * and linked providers, each provider with "Unlink" unless it is the last way in, and
 * "Link …" for every other provider the site has.
 * @param {Account} account
 * @param {Say} say
 * @returns {Promise<HTMLFormElement>}
 */
export async function signInMethods(account, say) {
  const { api, token } = account;
  const { user } = await api.me(token || "");
  const news = saidNext;
  saidNext = "";
  return methodsOf(account, say, user, news);
}

/**
 * The sign-in methods form for `user`, with `news` (what just changed) in its status line.
 * @param {Account} account
 * @param {Say} say
 * @param {User} user
 * @param {string} news
 * @returns {HTMLFormElement}
 */
function methodsOf(account, say, user, news) {
  const { tr, api, token, config } = account;
  const ways = user.providers || [];
  const lastWayIn = !user.password && ways.length == 1;
  const error = errorLine();
  const others = (config.providers || []).filter(({ name }) => !ways.some((mine) => mine.name == name));
  const nameField = h("input", { name: "username", autocomplete: "nickname", required: true, value: user.username });
  const form = h(
    "form",
    { part: "form", class: "methods", onsubmit: rename },
    h("p", { id: "methods-title" }, say("methodsTitle")),
    h(
      "ul",
      { "aria-labelledby": "methods-title" },
      user.password && h("li", {}, say("password")),
      ...ways.map(({ name, label }) =>
        h(
          "li",
          {},
          label,
          lastWayIn
            ? h("span", { class: "note" }, say("lastWayIn"))
            : button(
                {
                  class: "link",
                  part: "unlink",
                  "aria-label": say("unlinkLabel", { label }),
                  onclick: () => unlink(name, label),
                },
                say("unlink"),
              ),
        ),
      ),
    ),
    others.length > 0 &&
      h(
        "div",
        { class: "row" },
        ...others.map((provider) =>
          button(
            {
              part: "provider",
              "data-provider": provider.name,
              onclick: () => link(account, provider, error, say("linked", { label: provider.label })),
            },
            say("link", { label: provider.label }),
          ),
        ),
      ),
    h("label", {}, say("shownName"), nameField),
    h("div", { class: "row" }, h("button", { type: "submit", part: "submit" }, say("saveName"))),
    error,
    h("p", { class: "note", role: "status" }, news),
    h("div", { class: "row" }, button({ class: "link", onclick: () => form.remove() }, say("close"))),
  );
  form.querySelector("button")?.setAttribute("autofocus", "");
  return form;

  /** Give the account the name in the field: the account line and the comments show it. */
  async function rename(/** @type {Event} */ event) {
    event.preventDefault();
    error.textContent = "";
    try {
      const { user: now } = await createWrites(api).rename(nameField.value.trim(), token);
      saidNext = say("renamed", { name: now.username }); // said by the form the new line opens
      account.signIn({ token: token || "", user: now });
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }

  /** Unlink provider `name`, then show the methods left, the focus on linking it again. */
  async function unlink(/** @type {string} */ name, /** @type {string} */ label) {
    error.textContent = "";
    try {
      const { user: now } = await createWrites(api).unlink(name, token);
      const fresh = methodsOf(account, say, now, say("unlinked", { label }));
      form.replaceWith(fresh);
      /** @type {HTMLElement | null} */ (fresh.querySelector(`[data-provider="${name}"]`))?.focus();
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  }
}

/**
 * Make the link a sign-in at provider `name` came back with: its `proof`, sent back with this
 * reader's own session, which the server checks is the account that asked (a link someone
 * else started, with their ticket, is refused there). `news` is said once it is made.
 * @param {Account} account
 * @param {string} name
 * @param {string} proof
 * @param {HTMLElement} error
 * @param {string} news
 */
async function confirm(account, name, proof, error, news) {
  const { tr, api, token } = account;
  try {
    const { user } = await createWrites(api).confirmLink(name, proof, token);
    saidNext = news;
    account.signIn({ token: token || "", user });
  } catch (failure) {
    error.textContent = await tr.error(failure);
  }
}

/**
 * A link a sign-in in this tab (or a popup cut off from it) came back with, `NAME:PROOF` in
 * the reader's store (main.js put it there): made, once, saying `newsOf(label)`.
 * @param {Account} account
 * @param {HTMLElement} error
 * @param {(label: string) => string} newsOf
 */
function confirmLanded(account, error, newsOf) {
  const store = openStore(SERVER);
  const landed = store.get("link");
  if (!landed) return;
  store.set("link", undefined);
  const at = landed.indexOf(":");
  const name = landed.slice(0, at);
  const label = account.config.providers?.find((provider) => provider.name == name)?.label || name;
  confirm(account, name, landed.slice(at + 1), error, newsOf(label));
}

/**
 * Sign in at `provider`: in a popup opened now, in the click, or in this tab when a blocker
 * refused it. Failures are told in `error`.
 * @param {Account} account
 * @param {Provider} provider
 * @param {HTMLElement} error
 */
function signIn(account, { name }, error) {
  error.textContent = "";
  const popup = window.open(startAddress(SERVER, name, location, "popup"), POPUP, POPUP_FEATURES);
  signInAt(account, name, error, popup);
}

/**
 * Link `provider` to the signed-in account: the popup opens in the click, empty, and goes to
 * the provider once the server has given a ticket for the link. `news` is said when it is made.
 * @param {Account} account
 * @param {Provider} provider
 * @param {HTMLElement} error
 * @param {string} news
 */
async function link(account, { name }, error, news) {
  const { tr, api, token } = account;
  error.textContent = "";
  const popup = window.open("", POPUP, POPUP_FEATURES);
  try {
    const { ticket } = await createWrites(api).linkTicket(name, token);
    signInAt(account, name, error, popup, ticket, news);
  } catch (failure) {
    popup?.close();
    error.textContent = await tr.error(failure);
  }
}

/**
 * Go on with a sign-in (a link, with `ticket`) at provider `name` in `popup`, waiting for
 * its answer; without a popup, in this tab.
 * @param {Account} account
 * @param {string} name
 * @param {HTMLElement} error
 * @param {Window | null} popup
 * @param {string} [ticket]
 * @param {string} [news]  what the sign-in methods say once a link is made
 */
function signInAt(account, name, error, popup, ticket, news = "") {
  const { tr } = account;
  if (!popup) {
    location.assign(startAddress(SERVER, name, location, "redirect", ticket));
    return;
  }
  if (ticket) popup.location.replace(startAddress(SERVER, name, location, "popup", ticket));
  popup.focus();
  stopWaiting();
  // A reader who closes the popup has said no: nothing is told, and nothing more can come
  // from a closed window, so the listener waits harmlessly until the next sign-in.
  const listen = async (/** @type {MessageEvent} */ event) => {
    const answer = popupAnswer(event, SERVER, popup);
    if (!answer) return;
    stopWaiting();
    if ("proof" in answer) {
      popup.close();
      confirm(account, name, answer.proof, error, news);
    } else if ("token" in answer) {
      saidNext = news;
      account.signIn(answer);
    } else {
      // Told here, in the reader's words: the server's page in the popup has nothing to add.
      popup.close();
      error.textContent = await tr.error(answer);
    }
  };
  // A provider's page can cut the popup's link to this page (Cross-Origin-Opener-Policy):
  // then the popup comes back to this page itself, whose embed.js keeps the session in the
  // store this page shares, and the store's change is the answer.
  const store = openStore(SERVER);
  const before = store.get("token");
  const landed = async () => {
    if (ticket && store.get("link")) {
      stopWaiting();
      popup.close();
      return confirmLanded(account, error, () => news);
    }
    const token = store.get("token");
    if (!token || token == before) return;
    stopWaiting();
    popup.close();
    try {
      account.signIn({ token, user: (await account.api.me(token)).user });
    } catch (failure) {
      error.textContent = await tr.error(failure);
    }
  };
  addEventListener("message", listen);
  addEventListener("storage", landed);
  stopWaiting = () => {
    removeEventListener("message", listen);
    removeEventListener("storage", landed);
  };
}
