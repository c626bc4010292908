/** The requests that read a thread: a page in the state's order, and the reader's own part. */

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Mine} Mine */

/**
 * A page of the thread in the state's order, after the cursor `after` (null: the first).
 * @param {Api} api
 * @param {import("./state.js").ThreadState} state
 * @param {import("./types.js").Options} options
 * @param {string | null} after
 */
export function fetchPage(api, state, options, after) {
  return api.thread({ url: options.url, id: options.id, sort: state.thread.sort, limit: options.pageSize, after });
}

/**
 * The reader's own votes, held comments and reports; none without a token or when it is refused.
 * @param {Api} api
 * @param {{url: string, id: string | null}} where
 * @param {string | null | undefined} bearer
 * @returns {Promise<Mine>}
 */
export async function fetchMine(api, where, bearer) {
  /** @type {Mine} */
  const none = { votes: {}, pending: [], reports: [] };
  return bearer ? api.mine(where, bearer).catch(() => none) : none;
}
