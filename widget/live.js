/**
 * What keeps a thread current while someone reads it: new comments are asked for every so
 * often (polling.js) and offered in a bar, never pushed under the reader's eyes; the
 * reader's visit is remembered, so the next one marks what is new since; a permalink
 * (#kommentar-ID) lands on its comment whatever page of the thread holds it; the thread's
 * feed is linked under it. A chunk (embed/live.js), loaded after the first render, which
 * never waits for it.
 */

import { button, h } from "./dom.js";
import { createTranslator } from "./i18n.js";
import { changed, keepAsking, liveSeconds } from "./polling.js";
import { fetchPage } from "./reading.js";
import { LIVE_STYLESHEET } from "./stylesheet.js";
import { adoptStyles } from "./styles.js";

/** @typedef {import("./types.js").Comment} Comment */

/** The words only this chunk says (the `live` section of i18n/<lang>.json), by language. */
const WORDS = typeof KOMMENTAR_WORDS == "object" ? KOMMENTAR_WORDS : {};

const SEEN_KEPT = 200; // threads whose last visit is remembered; the longest ago are forgotten
const LATEST = 50; // comments in an answer of /api/threads/latest

/**
 * Keep the thread `view` draws current, as described above.
 * @param {object} thread
 * @param {import("./api.js").Api} thread.api
 * @param {import("./storage.js").ReaderStore} thread.store
 * @param {string} thread.server
 * @param {import("./types.js").Options} thread.options
 * @param {import("./comment.js").View} thread.view
 * @param {(request: () => Promise<void>) => Promise<void>} thread.guard  runs a request, telling its failure
 */
export function goLive({ api, store, server, options, view, guard }) {
  const { state, root, tr, list, live } = view;
  const { t: say } = createTranslator(tr.lang, WORDS[tr.lang] || WORDS.en, WORDS.en);
  const where = options.id || options.url;
  const query = new URLSearchParams(options.id ? { url: options.url, id: options.id } : { url: options.url });
  const seconds = liveSeconds(options.live);
  adoptStyles(root, LIVE_STYLESHEET);
  const feed = new URL("feeds/thread.atom?" + query, server);
  view.compose.after(h("footer", {}, h("a", { part: "feed", href: feed.href }, say("feed"))));

  /**
   * The reader has the thread as it is now, and `comments`: what came before is not new on
   * their next visit. The server's times are to the second, and its clock may not be the
   * reader's: a comment the reader has is had to the end of its second.
   * @param {Array<Pick<Comment, "created">>} comments
   */
  function remember(comments) {
    const time = Math.max(Date.now(), ...comments.map((comment) => Date.parse(comment.created) + 999));
    const seen = Object.entries({ ...(store.get("seen") || {}), [where]: time });
    store.set("seen", Object.fromEntries(seen.sort((a, b) => b[1] - a[1]).slice(0, SEEN_KEPT)));
  }
  remember([]);

  // Comments the reader posts join the thread with "added": they have seen what is there.
  let arriving = false;
  state.listen((change) => {
    if (change.kind == "added" && !arriving) remember([/** @type {Comment} */ (state.comment(change.id))]);
  });

  land();
  addEventListener("hashchange", land);
  if (seconds) watch();

  /** Ask for the thread's latest comments now and then; offer the ones the reader has not got. */
  function watch() {
    const latest = new URL("api/threads/latest?" + query, server);
    /** @type {Set<number> | null} the latest comments when the reader came, then every one offered */
    let known = null;
    /** @type {Map<number, Comment>} arrived and not shown yet, by id */
    const waiting = new Map();
    let more = false; // more arrived than one answer holds: showing them is loading the thread again
    let tag = "";
    const bar = button({ class: "primary live", part: "live", hidden: true, onclick: show });
    list.before(bar);

    keepAsking(seconds, async () => {
      const answer = await changed(latest, tag);
      if (!answer) return;
      tag = answer.tag;
      /** @type {Comment[]} */
      const comments = answer.body.comments;
      if (!known) {
        known = new Set(comments.map((comment) => comment.id));
        remember(comments);
        return;
      }
      more ||= comments.length >= LATEST && !comments.some((comment) => known?.has(comment.id));
      // Oldest first, so that a reply to a comment that arrived too finds its parent.
      for (const comment of comments.reverse()) {
        if (known.has(comment.id)) continue;
        const parent = comment.parent;
        if (parent && !state.comment(parent) && !waiting.has(parent)) continue; // on a page not shown
        known.add(comment.id);
        waiting.set(comment.id, comment);
      }
      offer();
    });

    /** Show the bar with how many wait; told to screen readers when that changes. */
    function offer() {
      for (const id of waiting.keys()) if (state.comment(id)) waiting.delete(id); // the reader's own
      const words = waiting.size ? say(more ? "more" : "arrived", { n: waiting.size }) : "";
      bar.hidden = !words;
      if (bar.textContent != words) live.textContent = bar.textContent = words;
    }

    /**
     * Show the comments that wait, marked, where they belong, keeping in place what the
     * reader is looking at: the first comment in view stays where it is on the screen.
     */
    function show() {
      const arrived = [...waiting.values()]; // oldest first, as they were found
      waiting.clear();
      offer();
      if (more) return showAll(arrived);
      const anchor = [...root.querySelectorAll("article[id]")].find((seen) => seen.getBoundingClientRect().bottom > 0);
      const top = anchor?.getBoundingClientRect().top || 0;
      arriving = true;
      for (const comment of arrived) {
        state.arrived.add(comment.id);
        state.addComment(comment, !comment.parent && state.thread.sort == "newest");
      }
      arriving = false;
      if (anchor) scrollBy(0, anchor.getBoundingClientRect().top - top);
      const shown = arrived.map((comment) => root.getElementById("comment-" + comment.id));
      for (const element of shown) element?.classList.add("flash");
      live.textContent = say("shown", { n: arrived.length });
      shown.find(Boolean)?.focus({ preventScroll: true });
      remember(arrived);
    }

    /** Too many arrived to be put in place: the thread from its first page, with them marked. */
    async function showAll(/** @type {Comment[]} */ arrived) {
      more = false;
      for (const comment of arrived) state.arrived.add(comment.id);
      await guard(() => view.act.changeSort(state.thread.sort));
      view.heading.focus();
      remember(arrived);
    }
  }

  /**
   * Scroll to and highlight the comment the address names (#kommentar-123, or #comment-123 of
   * older links): when it is not on a page shown, the server says which page holds it.
   */
  async function land() {
    const wanted = /^#(?:kommentar|comment)-(\d+)$/.exec(location.hash);
    if (!wanted) return;
    const id = Number(wanted[1]);
    view.target = id;
    if (!state.comment(id)) await guard(() => showPageOf(id));
    for (const old of root.querySelectorAll("[data-highlighted]")) old.removeAttribute("data-highlighted");
    const target = root.getElementById("comment-" + id);
    if (!target) return;
    target.setAttribute("data-highlighted", "");
    const scroll = () => target.scrollIntoView({ block: "center" });
    scroll();
    // The page's own stylesheets and images may still move the comment: once they are in,
    // scroll to it again.
    if (document.readyState != "complete") addEventListener("load", scroll, { once: true });
    target.focus({ preventScroll: true });
  }

  /** Show the page of the thread that holds comment `id`; its failure says why it cannot be. */
  async function showPageOf(/** @type {number} */ id) {
    const sort = state.thread.sort;
    /** @type {{url: string, thread_id: string | null, after: string | null}} */
    const place = await api.call("GET", `comments/${id}/place`, { sort, limit: options.pageSize });
    const here = options.id
      ? place.thread_id == options.id
      : new URL(place.url).pathname == new URL(options.url).pathname;
    if (!here) return;
    state.showPage(await fetchPage(api, state, options, place.after));
    if (!place.after) return;
    // A page from the middle of the thread: the way back to its start.
    const start = button(
      { class: "more start", onclick: () => guard(() => view.act.changeSort(sort)) },
      say("start"),
    );
    list.before(start);
    state.listen((change) => {
      if (change.kind == "list" && !change.appended) start.remove(); // the thread from a first page again
    });
  }
}
