/**
 * What a reader does to a thread: read more of it in another order, post, vote, edit,
 * delete, sign in and out. Each asks the server and then updates the thread's state, which
 * redraws what changed; views call these and show a failure in words where it happened.
 */

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Mine} Mine */
/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./state.js").Shown} Shown */
/** @typedef {import("./state.js").ThreadState} ThreadState */
/** @typedef {import("./storage.js").ReaderStore} ReaderStore */
/** @typedef {import("./types.js").Options} Options */
/** @typedef {import("./types.js").SiteConfig} SiteConfig */
/** @typedef {import("./types.js").Sort} Sort */

/**
 * @typedef {object} Writing  a comment or reply to post
 * @property {string} text
 * @property {string} [name]    the name of a reader without an account
 * @property {string} [trap]    the honeypot field's value
 * @property {number | null} parent
 */

/**
 * The actions on the thread `options` names, as kept in `state`.
 * @param {{api: Api, store: ReaderStore, state: ThreadState, options: Options}} thread
 * @param {SiteConfig} config
 */
export function createActions({ api, store, state, options }, config) {
  const where = { url: options.url, id: options.id };

  /** The token that lets this reader change `comment`, or null when they may not. */
  function changeToken(/** @type {Shown} */ comment) {
    const me = state.reader().me;
    if (comment.deleted || !comment.id) return null;
    const own = me && comment.author.id === me.id && config.account_edit;
    return store.editToken(comment.id) || (own ? store.get("token") || null : null);
  }

  /** @param {number} id */
  const shown = (id) => /** @type {Shown} */ (state.comment(id));

  return {
    changeToken,
    /** Whether the reader may write here now (else they are asked to log in). */
    canWrite: () => !state.thread.locked && (!!state.reader().me || config.anonymous),

    /** Show the thread in another order, remembered for this reader. */
    async changeSort(/** @type {Sort} */ sort) {
      state.setSort(sort);
      store.set("sort", sort);
      state.showPage(await fetchPage(api, state, options, null));
    },

    async loadMore() {
      state.showPage(await fetchPage(api, state, options, state.thread.next), true);
    },

    /** Post a comment or reply; the server's version joins the thread. */
    async post(/** @type {Writing} */ { text, name, trap, parent }) {
      const token = store.get("token") || null;
      if (name) store.set("name", name);
      const comment = await api.post(
        { ...where, text, parent, name: token ? undefined : name, title: options.title, website: trap, form_token: config.form_token },
        token,
      );
      if (comment.edit_token) store.keepEditToken(comment.id, comment.edit_token, config.edit_window);
      state.addComment(comment, !parent && state.thread.sort == "newest");
      return comment;
    },

    /** Vote in `direction` (1 or -1), or withdraw the vote when it is already the reader's. */
    async vote(/** @type {number} */ id, /** @type {number} */ direction) {
      const { up, down } = shown(id);
      const mine = state.reader().votes[id] || 0;
      const value = mine == direction ? 0 : direction;
      // Shown at once; the server's totals replace it, or the old ones come back.
      state.setVotes(id, { up: up - +(mine == 1) + +(value == 1), down: down - +(mine == -1) + +(value == -1), mine: value });
      try {
        const signedIn = store.get("token");
        const result = await api.vote(id, value, signedIn || store.get("voter") || null);
        if (result.voter_token && !signedIn) store.set("voter", result.voter_token);
        state.setVotes(id, result);
      } catch (failure) {
        state.setVotes(id, { up, down, mine });
        throw failure;
      }
    },

    /** The Markdown of a comment as written (the thread document carries only HTML). */
    async source(/** @type {number} */ id) {
      return shown(id).text ?? (await api.source(id)).text ?? "";
    },

    async edit(/** @type {number} */ id, /** @type {string} */ text) {
      state.replaceComment(await api.edit(id, text, changeToken(shown(id))));
    },

    async remove(/** @type {number} */ id) {
      await api.remove(id, changeToken(shown(id)));
      state.removeComment(id);
    },

    /** Read as a new reader: signed in with `session`, or (null) signed out. */
    async switchReader(/** @type {Session | null} */ session) {
      const old = store.get("token");
      if (!session && old) api.logout(old).catch(() => {});
      store.set("token", session ? session.token : undefined);
      const { votes } = await fetchMine(api, where, session ? session.token : store.get("voter"));
      state.setReader(session && session.user, votes);
    },
  };
}

/**
 * A page of the thread in the state's order, after the cursor `after` (null: the first).
 * @param {Api} api
 * @param {ThreadState} state
 * @param {Options} options
 * @param {string | null} after
 */
export function fetchPage(api, state, options, after) {
  return api.thread({ url: options.url, id: options.id, sort: state.thread.sort, limit: options.pageSize, after });
}

/**
 * The reader's own votes and held comments; none without a token or when it is refused.
 * @param {Api} api
 * @param {{url: string, id: string | null}} where
 * @param {string | null | undefined} bearer
 * @returns {Promise<Mine>}
 */
export async function fetchMine(api, where, bearer) {
  /** @type {Mine} */
  const none = { votes: {}, pending: [] };
  return bearer ? api.mine(where, bearer).catch(() => none) : none;
}

/** @typedef {ReturnType<typeof createActions>} Actions */
