/** What the reader may do: write in the thread, change a comment (and with which token). */

/** @typedef {import("./state.js").ThreadState} ThreadState */
/** @typedef {import("./storage.js").ReaderStore} ReaderStore */
/** @typedef {import("./types.js").SiteConfig} SiteConfig */

/**
 * Whether the reader may write here now (else they are asked to log in).
 * @param {ThreadState} state
 * @param {SiteConfig} config
 */
export function canWrite(state, config) {
  return !state.thread.locked && (!!state.reader().me || config.anonymous);
}

/**
 * The token that lets this reader change `comment`: its edit token, or the session token
 * when it is the signed-in reader's own. Null when the reader may not change it.
 * @param {ThreadState} state
 * @param {ReaderStore} store
 * @param {SiteConfig} config
 * @param {import("./state.js").Shown} comment
 */
export function changeToken(state, store, config, comment) {
  const me = state.reader().me;
  if (comment.deleted || !comment.id) return null;
  const own = me && comment.author.id === me.id && config.account_edit;
  return store.editToken(comment.id) || (own ? store.get("token") || null : null);
}
