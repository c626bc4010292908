/**
 * One thread on the page: its state (comments, count, sort, the reader and their votes)
 * and the section that shows it, from the header with the count to the comment form.
 */

import { authPanel } from "./auth.js";
import { renderComment } from "./comment.js";
import { button, errorLine, h } from "./dom.js";
import { textForm } from "./form.js";
import { pick, SORTS } from "./options.js";
import { sortBar } from "./sortbar.js";
import { adoptStyles } from "./styles.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Mine} Mine */
/** @typedef {import("./i18n.js").Translator} Translator */
/** @typedef {import("./storage.js").ReaderStore} ReaderStore */
/** @typedef {import("./types.js").Comment} Comment */
/** @typedef {import("./types.js").Options} Options */
/** @typedef {import("./types.js").SiteConfig} SiteConfig */
/** @typedef {import("./types.js").ThreadPage} ThreadPage */
/** @typedef {import("./types.js").User} User */

/**
 * A comment being written, and where it goes.
 * @typedef {object} Draft
 * @property {string} text
 * @property {string} [name]
 * @property {string} [trap]        the honeypot field's value
 * @property {Comment | null} parent
 * @property {HTMLElement} into     the element the new comment is shown in
 * @property {number} depth
 */

/**
 * What the views of a thread share: the server, the reader and the thread's actions.
 * @typedef {object} Context
 * @property {Api} api
 * @property {ReaderStore} store
 * @property {Translator} tr
 * @property {SiteConfig} config
 * @property {ShadowRoot} root
 * @property {User | null} me
 * @property {Record<string, number>} votes   the reader's own votes, by comment id
 * @property {boolean} locked
 * @property {HTMLElement} heading
 * @property {() => boolean} canWrite
 * @property {() => void} askLogin
 * @property {(markdown: string) => void} quote
 * @property {(draft: Draft) => Promise<void>} publish
 * @property {(change: number, message: string) => void} changeCount
 * @property {(session: import("./api.js").Session) => void} signIn
 * @property {() => void} signOut
 * @property {(name: string) => Promise<any>} loadPart  a chunk from the server, e.g. "account"
 */

/**
 * Render the thread `options` names into an open shadow root on `host`.
 * @param {HTMLElement} host
 * @param {Options} options
 * @param {{api: Api, store: ReaderStore, loadPart: (name: string) => Promise<any>}} server
 * @param {Promise<Translator>} translating  the reader's language, loaded with the thread
 */
export async function mountThread(host, options, { api, store, loadPart }, translating) {
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root);
  const where = { url: options.url, id: options.id };
  const heading = h("h2", { part: "count", id: "count", tabindex: -1 });
  const live = h("p", { class: "vh", role: "status" });
  const problem = errorLine();
  const list = h("div", { class: "list" });
  const more = button({ class: "more", part: "load-more", onclick: loadMore });
  const compose = h("div", { class: "compose" });
  const section = h("section", { class: "k", part: "thread", "data-theme": options.theme, "aria-busy": "true" });
  root.append(section);

  let sort = pick(SORTS, store.get("sort") || "") || options.sort || "oldest";
  let count = 0;
  /** @type {string | null} */
  let next = null;
  /** @type {Comment[]} */
  let comments = [];
  /** @type {HTMLFormElement | null} */
  let mainForm = null;

  const token = store.get("token");
  const loading = Promise.all([
    api.config(),
    fetchPage(null),
    token ? api.me(token).then((answer) => answer.user, forgetExpiredSession) : null,
    fetchMine(token || store.get("voter")),
  ]);
  // Nothing shows before the reader's language is there: no flash of English on a Danish page.
  const tr = await translating;
  const { t } = tr;
  more.textContent = t("loadMore");
  section.lang = tr.lang;
  section.setAttribute("aria-labelledby", "count");
  section.append(h("p", { class: "note" }, t("loading")));
  /** @type {[SiteConfig, ThreadPage, User | null, Mine]} */
  let loaded;
  try {
    loaded = await loading;
  } catch (failure) {
    section.replaceChildren(problem);
    section.removeAttribute("aria-busy");
    problem.textContent = tr.error(failure);
    return;
  }
  const [config, page, me, mine] = loaded;

  /** @type {Context} */
  const ctx = {
    api,
    store,
    tr,
    config,
    root,
    me,
    votes: mine.votes,
    locked: false,
    heading,
    canWrite: () => !ctx.locked && (!!ctx.me || config.anonymous),
    askLogin,
    quote,
    publish,
    changeCount,
    signIn: (session) => switchReader(session.token, session.user),
    signOut,
    loadPart,
  };

  section.removeAttribute("aria-busy");
  section.replaceChildren(
    h("header", { part: "header" }, heading, sortBar(tr, sort, changeSort)),
    live,
    problem,
    list,
    h("p", { class: "note empty" }, t("empty")),
    more,
    compose,
  );
  // The reader's own comments that wait for a moderator go where they belong: top-level
  // ones at the end, replies under their parent when it is on this page.
  for (const held of mine.pending) {
    held.replies = [];
    if (!held.parent) page.comments.push(held);
    else find(page.comments, held.parent)?.replies.push(held);
  }
  show(page, false);
  renderCompose();
  live.textContent = t("count", { n: count });
  reveal();
  addEventListener("hashchange", reveal);

  /** @param {string | null} after @returns {Promise<ThreadPage>} */
  function fetchPage(after) {
    return api.thread({ ...where, sort, limit: options.pageSize, after });
  }

  /** The reader's own votes and held comments, or none without a token or when it is refused. */
  function fetchMine(/** @type {string | null | undefined} */ bearer) {
    /** @type {Mine} */
    const none = { votes: {}, pending: [] };
    return bearer ? api.mine(where, bearer).catch(() => none) : none;
  }

  /** @param {any} failure */
  function forgetExpiredSession(failure) {
    if (failure.status == 401) store.set("token", undefined);
    return null;
  }

  /** Show a page of comments, after those shown (`append`) or instead of them. */
  function show(/** @type {ThreadPage} */ page, /** @type {boolean} */ append) {
    count = page.thread.count;
    ctx.locked = page.thread.locked;
    next = page.next;
    const fresh = new Set(page.comments.map((comment) => comment.id));
    comments = append
      ? comments.filter((comment) => !fresh.has(comment.id)).concat(page.comments)
      : page.comments;
    heading.textContent = t("comments", { n: count });
    const views = page.comments.map((comment) => {
      // A comment posted here before this page was loaded moves to its place in the order.
      root.getElementById("comment-" + comment.id)?.remove();
      return renderComment(ctx, comment, 0);
    });
    if (append) list.append(...views);
    else list.replaceChildren(...views);
    more.hidden = !next;
  }

  /** Render every comment again, as after signing in or out. */
  function rerender() {
    list.replaceChildren(...comments.map((comment) => renderComment(ctx, comment, 0)));
    renderCompose();
  }

  function renderCompose() {
    const panel = authPanel(ctx);
    mainForm = ctx.canWrite()
      ? textForm(ctx, {
          label: t("text"),
          submit: t("submit"),
          withName: !ctx.me,
          send: (text, name, trap) => publish({ text, name, trap, parent: null, into: list, depth: 0 }),
        })
      : null;
    const closed = ctx.locked && h("p", { class: "note" }, t("closed"));
    compose.replaceChildren(
      ...(ctx.me || !mainForm ? [panel, closed || "", mainForm || ""] : [mainForm, panel]),
    );
  }

  /** @param {import("./types.js").Sort} chosen */
  async function changeSort(chosen) {
    sort = chosen;
    store.set("sort", chosen);
    await guard(async () => show(await fetchPage(null), false));
  }

  async function loadMore() {
    await guard(async () => show(await fetchPage(next), true));
  }

  /** Run a request for the thread, showing its failure above the list. */
  async function guard(/** @type {() => Promise<void>} */ request) {
    problem.textContent = "";
    try {
      await request();
    } catch (failure) {
      problem.textContent = tr.error(failure);
    }
  }

  /** Show the comment at once, then swap in the server's version (or take it back). */
  async function publish(/** @type {Draft} */ { text, name, trap, parent, into, depth }) {
    const me = ctx.me;
    // What the comment view needs to show a comment the server has not answered for yet.
    const draft = /** @type {Comment} */ (
      /** @type {unknown} */ ({
        id: 0,
        author: { name: me ? me.username : name || "", id: me ? me.id : null },
        text,
        created: new Date().toISOString(),
        replies: [],
      })
    );
    const shown = renderComment(ctx, draft, depth);
    const first = !parent && sort == "newest";
    if (first) into.prepend(shown);
    else into.append(shown);
    shown.scrollIntoView({ block: "nearest" });
    let comment;
    try {
      comment = await api.post(
        {
          ...where,
          text,
          parent: parent && parent.id,
          name: me ? undefined : name,
          title: options.title,
          website: trap,
          form_token: config.form_token,
        },
        store.get("token") || null,
      );
    } catch (failure) {
      shown.remove();
      throw failure;
    }
    if (comment.edit_token) store.keepEditToken(comment.id, comment.edit_token, config.edit_window);
    comment.replies = comment.replies || [];
    const siblings = parent ? parent.replies : comments;
    if (first) siblings.unshift(comment);
    else siblings.push(comment);
    shown.replaceWith(renderComment(ctx, comment, depth, parent ? parent.author.name : undefined));
    if (comment.status == "pending") live.textContent = t("pending");
    else changeCount(1, t("posted"));
  }

  /** @param {number} change @param {string} message */
  function changeCount(change, message) {
    count += change;
    heading.textContent = t("comments", { n: count });
    live.textContent = message;
  }

  /** Put a quoted passage into the comment form, below anything already written. */
  function quote(/** @type {string} */ markdown) {
    const text = mainForm && mainForm.querySelector("textarea");
    if (!text) return askLogin();
    text.value = (text.value.trim() ? text.value.trimEnd() + "\n\n" : "") + markdown;
    text.focus();
    text.selectionStart = text.value.length;
  }

  function askLogin() {
    const login = /** @type {HTMLElement | null} */ (compose.querySelector("[part=login]"));
    if (login) login.focus();
  }

  function signOut() {
    const session = store.get("token");
    if (session) api.logout(session).catch(() => {});
    switchReader(null, null);
  }

  /** Show the thread to a new reader: signed in with `session` as `user`, or signed out. */
  async function switchReader(/** @type {string | null} */ session, /** @type {User | null} */ user) {
    store.set("token", session || undefined);
    ctx.me = user;
    ctx.votes = (await fetchMine(session || store.get("voter"))).votes;
    rerender();
    live.textContent = user ? t("signedIn", { name: user.username }) : t("signedOut");
    /** @type {HTMLElement} */ (compose.querySelector(user ? "textarea" : "[part=login]") || heading).focus();
  }

  /** Scroll to and highlight the comment named by #comment-123, loading pages until found. */
  async function reveal() {
    const wanted = /^#comment-(\d+)$/.exec(location.hash);
    if (!wanted) return;
    let target;
    while (!(target = root.getElementById("comment-" + wanted[1])) && next && !problem.textContent) {
      await loadMore(); // stops at the last page, or at a failure shown in `problem`
    }
    if (!target) return;
    for (const old of root.querySelectorAll(".hl")) old.classList.remove("hl");
    target.classList.add("hl");
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }
}

/**
 * The comment with this id in a tree of comments.
 * @param {Comment[]} comments
 * @param {number} id
 * @returns {Comment | undefined}
 */
function find(comments, id) {
  for (const comment of comments) {
    const found = comment.id == id ? comment : find(comment.replies, id);
    if (found) return found;
  }
}
