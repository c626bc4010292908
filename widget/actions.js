/**
 * What a reader does to a thread: read more of it in another order, post, vote, edit,
 * delete, report a comment, preview a text, sign in and out. Each asks the server and then
 * updates the thread's state, which redraws what changed; views call these and show a
 * failure in words where it happened.
 * A chunk (embed/actions.js) with the page's half, controls.js: the first render only
 * draws, so it loads when the reader reaches for the thread (see `onDemand` in chunks.js).
 */

import { createWrites } from "./api.js";
import { changeToken } from "./permissions.js";
import { fetchMine, fetchPage } from "./reading.js";
import { keepEditToken } from "./storage.js";
import { createUpdates } from "./updates.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Mine} Mine */
/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./report.js").Report} Report */
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
 * @property {import("./notify.js").Wish} [wish]  to be mailed replies
 */

/**
 * The actions on the thread `options` names, as kept in `state`.
 * @param {{api: Api, store: ReaderStore, state: ThreadState, options: Options}} thread
 * @param {SiteConfig} config
 */
export function createActions({ api, store, state, options }, config) {
  const writes = createWrites(api);
  const updates = createUpdates(state);
  const where = { url: options.url, id: options.id };
  /** @param {number} id */
  const shown = (id) => /** @type {Shown} */ (state.comment(id));
  /** @param {number} id */
  const tokenFor = (id) => changeToken(state, store, config, shown(id));
  /** The reader's reports with (or, `on` false, without) comment `id`. */
  const reportsWith = (/** @type {number} */ id, on = true) =>
    state.reader().reports.filter((other) => other != id).concat(on ? [id] : []);

  return {
    /** Whether the server mails replies: the forms offer it (notify.js). */
    notifying: !!config.mail,

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
    async post(/** @type {Writing} */ { text, name, trap, parent, wish }) {
      const token = store.get("token") || null;
      if (name) store.set("name", name);
      const comment = await writes.post(
        {
          ...where,
          text,
          parent,
          name: token ? undefined : name,
          title: options.title,
          website: trap,
          form_token: config.form_token,
          ...wish,
        },
        token,
      );
      if (comment.edit_token) keepEditToken(store, comment.id, comment.edit_token, config.edit_window);
      state.addComment(comment, !parent && state.thread.sort == "newest");
      return comment;
    },

    /** Vote in `direction` (1 or -1), or withdraw the vote when it is already the reader's. */
    async vote(/** @type {number} */ id, /** @type {number} */ direction) {
      const { up, down } = shown(id);
      const mine = state.reader().votes[id] || 0;
      const value = mine == direction ? 0 : direction;
      // Shown at once; the server's totals replace it, or the old ones come back.
      const change = (/** @type {number} */ side) => +(value == side) - +(mine == side);
      updates.setVotes(id, { up: up + change(1), down: down + change(-1), mine: value });
      try {
        const signedIn = store.get("token");
        const result = await writes.vote(id, value, signedIn || store.get("voter") || null);
        if (result.voter_token && !signedIn) store.set("voter", result.voter_token);
        updates.setVotes(id, result);
      } catch (failure) {
        updates.setVotes(id, { up, down, mine });
        throw failure;
      }
    },

    /** The Markdown of a comment as written (the thread document carries only HTML). */
    async source(/** @type {number} */ id) {
      return shown(id).text ?? (await writes.source(id)).text ?? "";
    },

    async edit(/** @type {number} */ id, /** @type {string} */ text) {
      updates.replaceComment(await writes.edit(id, text, tokenFor(id)));
    },

    async remove(/** @type {number} */ id) {
      await writes.remove(id, tokenFor(id));
      updates.removeComment(id);
    },

    /**
     * Report comment `id` to the moderators, as a voter is named (an anonymous reader keeps
     * the voter token a first report gives). A report that holds the comment takes it out
     * of the thread, as the server has done: a placeholder stays while it has replies.
     */
    async sendReport(/** @type {number} */ id, /** @type {Report} */ report) {
      const signedIn = store.get("token");
      const result = await writes.report(id, report, signedIn || store.get("voter") || null);
      if (result.voter_token && !signedIn) store.set("voter", result.voter_token);
      updates.setReports(id, reportsWith(id));
      if (result.held) updates.removeComment(id);
      return result;
    },

    /** Withdraw the reader's report of comment `id`. */
    async withdrawReport(/** @type {number} */ id) {
      await writes.withdrawReport(id, store.get("token") || store.get("voter") || null);
      updates.setReports(id, reportsWith(id, false));
    },

    /** The HTML `text` would be published as on this page, rendered and sanitised by the server. */
    async render(/** @type {string} */ text) {
      return (await writes.preview({ text, url: options.url }, store.get("token") || null)).html;
    },

    /** Read as a new reader: signed in with `session`, or (null) signed out. */
    async switchReader(/** @type {Session | null} */ session) {
      const old = store.get("token");
      if (!session && old) writes.logout(old).catch(() => {});
      store.set("token", session ? session.token : undefined);
      const { votes, reports } = await fetchMine(api, where, session ? session.token : store.get("voter"));
      state.setReader(session && session.user, votes, reports);
    },
  };
}

/** @typedef {ReturnType<typeof createActions>} Actions */

export { createControls } from "./controls.js";
