/**
 * One thread on the page: loads it, keeps it in a thread state (state.js) and draws the
 * section that shows it, from the header with the count to the comment form. Every change
 * goes through the state; this view listens and draws again the part that changed.
 */

import { authPanel } from "./auth.js";
import { onDemand } from "./chunks.js";
import { renderComment } from "./comment.js";
import { button, errorLine, h } from "./dom.js";
import { textForm } from "./form.js";
import { pick, SORTS } from "./options.js";
import { canWrite, changeToken } from "./permissions.js";
import { fetchMine, fetchPage } from "./reading.js";
import { sortBar } from "./sortbar.js";
import { createThreadState } from "./state.js";
import { STYLESHEET } from "./stylesheet.js";
import { adoptStyles } from "./styles.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./api.js").Mine} Mine */
/** @typedef {import("./i18n.js").Translator} Translator */
/** @typedef {import("./storage.js").ReaderStore} ReaderStore */
/** @typedef {import("./types.js").Options} Options */
/** @typedef {import("./types.js").SiteConfig} SiteConfig */
/** @typedef {import("./types.js").ThreadPage} ThreadPage */
/** @typedef {import("./types.js").User} User */

/**
 * Render the thread `options` names into an open shadow root on `host`.
 * @param {HTMLElement} host
 * @param {Options} options
 * @param {{api: Api, store: ReaderStore, loadPart: (name: string) => Promise<any>, server: string}} reader
 * @param {Promise<Translator>} translating  the reader's language, loaded with the thread
 */
export async function mountThread(host, options, reader, translating) {
  const { api, store, loadPart } = reader;
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root, STYLESHEET);
  const section = h("section", { class: "k", part: "thread", "data-theme": options.theme, "aria-busy": "true" });
  root.append(section);
  const state = createThreadState(pick(SORTS, store.get("sort") || "") || options.sort || "oldest");
  const where = { url: options.url, id: options.id };
  const token = store.get("token");
  const loading = Promise.all([
    api.config(),
    fetchPage(api, state, options, null),
    token ? api.me(token).then((answer) => answer.user, forgetExpiredSession) : null,
    fetchMine(api, where, token || store.get("voter")),
  ]);
  // Nothing shows before the reader's language is there: no flash of English on a Danish page.
  const tr = await translating;
  const { t } = tr;
  section.lang = tr.lang;
  section.append(h("p", { class: "note" }, t("loading")));
  const problem = errorLine();
  /** @type {[SiteConfig, ThreadPage, User | null, Mine]} */
  let loaded;
  try {
    loaded = await loading;
  } catch (failure) {
    problem.textContent = await tr.error(failure);
    section.removeAttribute("aria-busy");
    section.replaceChildren(problem);
    return;
  }
  const [config, page, me, mine] = loaded;
  // The first render only draws: what the reader does, from the server's side (actions.js)
  // to the page's (controls.js), loads when they reach for the thread.
  /** @type {import("./comment.js").View["act"] & {ready: () => Promise<any>}} */
  const act = onDemand(() =>
    loadPart("actions").then((chunk) =>
      chunk.createControls(view, chunk.createActions({ api, store, state, options }, config)),
    ),
  );
  const prepare = () => act.ready().catch(() => {}); // a failure is told when an action runs
  for (const intent of ["pointerover", "focusin"]) section.addEventListener(intent, prepare, { once: true });
  const heading = h("h2", { part: "count", id: "count", tabindex: -1 });
  const live = h("p", { class: "vh", role: "status" });
  const list = h("div", { class: "list" });
  const more = button({ class: "more", part: "load-more", onclick: () => guard(act.loadMore) }, t("loadMore"));
  const compose = h("div", { class: "compose" });
  /** @type {import("./comment.js").View} */
  const view = {
    state,
    act,
    tr,
    root,
    maxLength: config.max_length,
    canWrite: () => canWrite(state, config),
    canChange: (comment) => !!changeToken(state, store, config, comment),
    reports: config.reports,
    name: () => store.get("name") || "",
    heading,
    list,
    compose,
    live,
    target: 0,
  };

  section.removeAttribute("aria-busy");
  section.setAttribute("aria-labelledby", "count");
  section.replaceChildren(
    h("header", { part: "header" }, heading, sortBar(tr, state.thread.sort, changeSort)),
    live,
    problem,
    list,
    h("p", { class: "note empty" }, t("empty")),
    more,
    compose,
  );
  state.seenAt((store.get("seen") || {})[options.id || options.url] || Infinity);
  state.setReader(me, mine.votes, mine.reports);
  state.showPage(page);
  // The reader's own comments that wait for a moderator go where they belong: top-level
  // ones at the end, replies under their parent when it is on this page.
  for (const held of mine.pending) state.addComment({ ...held, replies: [] });
  state.listen(draw);
  draw({ kind: "reader" });
  draw({ kind: "count" });
  live.textContent = t("count", { n: state.thread.count });
  // What keeps the thread current (new comments, permalinks, the reader's last visit) is a
  // chunk: the first render never waits for it.
  loadPart("live").then((chunk) => chunk.goLive({ ...reader, options, view, guard }), () => {});

  /**
   * Draw `within` again with `drawing`. After the first render only a reader's action changes
   * the state, and the controls come with it: they keep the focus where the reader had it.
   * Before them, the first render draws where nothing can have the focus yet.
   */
  function redraw(/** @type {HTMLElement} */ within, /** @type {() => HTMLElement} */ drawing) {
    const controls = act.now();
    if (controls) controls.keepingFocus(within, drawing);
    else drawing();
  }

  /** Draw again what a change of the state touched. */
  function draw(/** @type {import("./state.js").Change} */ change) {
    if (change.kind == "count") {
      more.hidden = !state.thread.next;
    } else if (change.kind == "added") {
      // Only the new comment is drawn: a draft open beside it is left as it is.
      const { id } = change;
      const { parent } = /** @type {import("./state.js").Shown} */ (state.comment(id));
      const into = parent ? root.querySelector(`#comment-${parent} > .replies`) : list;
      if (state.replies(parent || 0)[0] == id) into?.prepend(renderComment(view, id));
      else into?.append(renderComment(view, id));
    } else if (change.kind == "comment") {
      const old = root.getElementById("comment-" + change.id);
      if (old) redraw(old, () => replaced(old, renderComment(view, change.id)));
    } else if (change.kind == "list" && change.appended) {
      for (const id of change.appended) root.getElementById("comment-" + id)?.remove();
      list.append(...change.appended.map((id) => renderComment(view, id)));
    } else {
      redraw(list, () => filled(list, ...state.replies(0).map((id) => renderComment(view, id))));
      if (change.kind == "reader") drawCompose();
    }
    const fresh = state.freshCount();
    heading.replaceChildren(
      t("comments", { n: state.thread.count }),
      fresh ? h("span", { class: "fresh" }, t("fresh", { n: fresh })) : "",
    );
  }

  /** The comment form with the account line, for the reader and the thread as they are now. */
  function drawCompose() {
    const { me } = state.reader();
    const panel = authPanel({
      tr,
      me,
      config,
      token: store.get("token"),
      api,
      loadPart,
      switchReader: act.changeReader,
    });
    const mainForm =
      view.canWrite() &&
      textForm(tr, {
        act,
        label: t("text"),
        submit: t("submit"),
        initial: state.draft("main", 0) || "",
        maxLength: config.max_length,
        name: me ? null : view.name(),
        keep: (text) => state.setDraft("main", 0, text),
        send: (text, name, trap, wish) => act.publish({ text, name, trap, wish, parent: null }),
      });
    const closed = state.thread.locked && h("p", { class: "note" }, t("closed"));
    const parts = me || !mainForm ? [panel, closed || "", mainForm || ""] : [mainForm, panel];
    redraw(compose, () => filled(compose, ...parts));
  }

  function changeSort(/** @type {import("./types.js").Sort} */ sort) {
    guard(() => act.changeSort(sort));
  }

  /** Run a request for the thread, showing its failure above the list. */
  async function guard(/** @type {() => Promise<void>} */ request) {
    problem.textContent = "";
    try {
      await request();
    } catch (failure) {
      problem.textContent = await tr.error(failure);
    }
  }

  /** @param {any} failure */
  function forgetExpiredSession(failure) {
    if (failure.status == 401) store.set("token", undefined);
    return null;
  }
}

/** Put `fresh` in the place of `old`; `fresh`. */
function replaced(/** @type {HTMLElement} */ old, /** @type {HTMLElement} */ fresh) {
  old.replaceWith(fresh);
  return fresh;
}

/** `element` with `children` instead of the ones it had. */
function filled(/** @type {HTMLElement} */ element, /** @type {Array<Node | string>} */ ...children) {
  element.replaceChildren(...children);
  return element;
}
