/**
 * The client for the Kommentar server's JSON API: fetch with a timeout, the bearer token
 * in the Authorization header (never cookies), and failures as typed ApiErrors.
 */

/** @typedef {import("./types.js").Comment} Comment */
/** @typedef {import("./types.js").SiteConfig} SiteConfig */
/** @typedef {import("./types.js").ThreadPage} ThreadPage */
/** @typedef {import("./types.js").User} User */
/** @typedef {{token: string, user: User}} Session */
/** @typedef {{up: number, down: number, mine: number, voter_token?: string}} VoteResult */
/** @typedef {{votes: Record<string, number>, pending: Comment[], reports: number[]}} Mine  the reader's own */
/** @typedef {"spam" | "abuse" | "off-topic" | "other"} Reason  why a reader reports a comment */
/** @typedef {{comment: number, held: boolean, voter_token?: string}} ReportResult  `held`: it left the thread */

const TIMEOUT_MS = 15000;

/** A request that failed: the server's error code and message, or `network`. */
export class ApiError extends Error {
  /**
   * @param {number} status        HTTP status, 0 when the server was not reached
   * @param {string} code          stable code from the server's error body
   * @param {string} message       the server's English message
   * @param {number} [retryAfter]  seconds to wait, from a 429's Retry-After
   */
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * An API client for the server at `base` (the folder embed.js was loaded from).
 * @param {string} base
 */
export function createApi(base) {
  /**
   * @param {string} method
   * @param {string} path      under api/
   * @param {Record<string, any> | null} [data]  the query of a GET, the JSON body of any other
   * @param {string | null} [token]
   * @returns {Promise<any>}
   */
  async function call(method, path, data, token) {
    const url = new URL("api/" + path, base);
    const reading = method == "GET";
    for (const [name, value] of Object.entries(reading ? data || {} : {})) {
      for (const item of [].concat(value)) if (item != null) url.searchParams.append(name, item);
    }
    const body = reading || !data ? undefined : JSON.stringify(data);
    /** @type {Record<string, string>} */
    const headers = {};
    if (body) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url.href, {
        method,
        headers,
        body,
        credentials: "omit",
        // Threads may be cached a few seconds for others; readers revalidate (a 304 when
        // nothing changed), so their own new comment is there after a reload.
        cache: "no-cache",
        signal: abort.signal,
      });
    } catch {
      throw new ApiError(0, "network", "");
    } finally {
      clearTimeout(timer);
    }
    const answer = response.status == 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = (answer && answer.error) || {};
      const wait = Number(response.headers.get("Retry-After")) || 0;
      throw new ApiError(response.status, error.code || "http_" + response.status, error.message || "", wait);
    }
    return answer;
  }

  return {
    call,
    /** @returns {Promise<SiteConfig>} */
    config: () => call("GET", "config"),
    /**
     * @param {{url: string, id?: string | null, sort: string, limit: number, after?: string | null}} query
     * @returns {Promise<ThreadPage>}
     */
    thread: (query) => call("GET", "threads", query),
    /**
     * @param {{url: string, id?: string | null}} query
     * @param {string} token
     * @returns {Promise<Mine>}
     */
    mine: (query, token) => call("GET", "mine", query, token),
    /** @param {string} token @returns {Promise<{user: User}>} */
    me: (token) => call("GET", "auth/me", null, token),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * The writes of the API, apart from the reads a first render needs: only the chunks that
 * write (actions, the account forms) take them.
 * @param {Api} api
 */
export function createWrites({ call }) {
  return {
    /**
     * @param {{url: string, id?: string | null, text: string, parent?: number | null, name?: string, title?: string, website?: string, form_token?: string, notify?: boolean, email?: string, lang?: string}} body
     * @param {string | null} token
     * @returns {Promise<Comment>}
     */
    post: (body, token) => call("POST", "comments", body, token),
    /** @param {number} id @returns {Promise<Comment>} the comment with its Markdown source */
    source: (id) => call("GET", "comments/" + id),
    /** @param {number} id @param {string} text @param {string | null} token @returns {Promise<Comment>} */
    edit: (id, text, token) => call("PATCH", "comments/" + id, { text }, token),
    /** @param {number} id @param {string | null} token @returns {Promise<null>} */
    remove: (id, token) => call("DELETE", "comments/" + id, null, token),
    /** @param {number} id @param {number} value @param {string | null} token @returns {Promise<VoteResult>} */
    vote: (id, value, token) => call("POST", "comments/" + id + "/vote", { value }, token),
    /**
     * @param {number} id
     * @param {{reason: Reason, note?: string}} report
     * @param {string | null} token
     * @returns {Promise<ReportResult>}
     */
    report: (id, report, token) => call("POST", "comments/" + id + "/report", report, token),
    /** @param {number} id @param {string | null} token @returns {Promise<null>} */
    withdrawReport: (id, token) => call("DELETE", "comments/" + id + "/report", null, token),
    /**
     * @param {{text: string, url: string}} body  `url`: the page, whose site's rules apply
     * @param {string | null} token
     * @returns {Promise<{html: string}>} sanitised by the server
     */
    preview: (body, token) => call("POST", "preview", body, token),
    /** @param {{username: string, password: string, email?: string, lang?: string}} body @returns {Promise<Session>} */
    register: (body) => call("POST", "auth/register", body),
    /** @param {{username: string, password: string}} body @returns {Promise<Session>} */
    login: (body) => call("POST", "auth/login", body),
    /** @param {string} token @returns {Promise<null>} */
    logout: (token) => call("POST", "auth/logout", {}, token),
    /** @param {{login: string, lang: string}} body @returns {Promise<null>} the same answer whatever matches */
    passwordReset: (body) => call("POST", "auth/password-reset", body),
    /** @param {{email: string, lang: string}} body @param {string | undefined} token @returns {Promise<{user: User}>} */
    changeAddress: (body, token) => call("PATCH", "auth/me", body, token),
    /**
     * A ticket (good for minutes) to link provider `name` to the signed-in account: the sign-in
     * at the provider carries it.
     * @param {string} name @param {string | undefined} token @returns {Promise<{ticket: string}>}
     */
    linkTicket: (name, token) => call("POST", "auth/me/providers/" + name, {}, token),
    /**
     * Link provider `name` with the proof its sign-in handed over.
     * @param {string} name @param {string} proof @param {string | undefined} token @returns {Promise<{user: User}>}
     */
    confirmLink: (name, proof, token) => call("PUT", "auth/me/providers/" + name, { proof }, token),
    /** @param {string} name @param {string | undefined} token @returns {Promise<{user: User}>} */
    unlink: (name, token) => call("DELETE", "auth/me/providers/" + name, null, token),
    /** @param {string} username @param {string | undefined} token @returns {Promise<{user: User}>} */
    rename: (username, token) => call("PATCH", "auth/me", { username }, token),
  };
}
