/**
 * Sign-in with a provider (GitHub, Google, any OpenID Connect provider), the rules without
 * the page: where a sign-in starts, which answer from its popup to believe, and the answer a
 * redirect brings back in the page's address. Pure. Only `landedAnswer` is in embed.js (a
 * reader back from a redirect is signed in at first render); the rest is the account chunk's
 * (providers.js).
 */

/**
 * @typedef {{token: string, user: import("./types.js").User}} SignedIn  a session, as a log-in's
 * @typedef {{code: string, message?: string}} Failed  the server's code, told in the reader's words
 * @typedef {{proof: string}} LinkReady  what the provider said, for the reader's session to link
 */

/**
 * The answer in a fragment a redirect sign-in came back with, `#kommentar-token=TOKEN`,
 * `#kommentar-link=NAME:PROOF` or `#kommentar-error=CODE`, as what the reader's store keeps of
 * it: ["token", TOKEN] (a session, as a log-in's), ["link", NAME:PROOF] (a link to make with
 * the reader's session) or ["error", CODE] (told once in the account line). Null for any other.
 * @param {string} hash  `location.hash`
 * @returns {["token" | "link" | "error", string] | null}
 */
export function landedAnswer(hash) {
  const found = /^#kommentar-(token|link|error)=(.+)/.exec(hash);
  return found && [/** @type {"token" | "link" | "error"} */ (found[1]), found[2]];
}

/**
 * Where a sign-in with provider `name` starts on the server: in a popup that posts its answer
 * back to this page, or (`redirect`) in this tab, which comes back to `page` without its
 * fragment; a popup whose provider cut its link to this page comes back there too, with the
 * answer in its own address. `ticket` links the provider to the signed-in account instead.
 * @param {string} server  the folder embed.js came from
 * @param {string} name
 * @param {{origin: string, href: string}} page  the page's `location`
 * @param {"popup" | "redirect"} mode
 * @param {string} [ticket]
 */
export function startAddress(server, name, page, mode, ticket) {
  const url = new URL(`auth/${encodeURIComponent(name)}/start`, server);
  const query = url.searchParams;
  query.set("origin", page.origin);
  query.set("mode", mode);
  query.set("return", page.href.split("#")[0]);
  if (ticket) query.set("link", ticket);
  return url.href;
}

/**
 * The answer a `message` event carries, when it is one to believe: from the server's origin
 * and from the very popup this page opened (any other window may post anything), shaped as
 * the server's. Null for every other message.
 * @param {{origin: string, source: unknown, data: any}} event
 * @param {string} server  the folder embed.js came from
 * @param {unknown} popup  the window the sign-in was opened in
 * @returns {SignedIn | LinkReady | Failed | null}
 */
export function popupAnswer({ origin, source, data }, server, popup) {
  if (!popup || source !== popup || origin !== new URL(server).origin || !data) return null;
  if (data.type == "kommentar:signed-in" && typeof data.token == "string" && data.user) {
    return { token: data.token, user: data.user };
  }
  if (data.type == "kommentar:link-ready" && typeof data.proof == "string") return { proof: data.proof };
  if (data.type == "kommentar:sign-in-failed" && typeof data.code == "string") {
    return { code: data.code, message: typeof data.message == "string" ? data.message : "" };
  }
  return null;
}
