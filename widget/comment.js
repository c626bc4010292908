/**
 * The view of one comment and its replies, drawn from the thread's state: author, time,
 * body, votes and what a reader may do with it (reply, quote, edit or delete their own, report
 * another's).
 * It changes nothing itself: its buttons call the thread's controls (controls.js, a chunk
 * loaded on demand), and the state redraws it. An open reply or edit is the controls' form.
 */

import { button, errorLine, h, insertServerHtml } from "./dom.js";

/** @typedef {import("./state.js").Shown} Shown */

/**
 * What a comment view works with: the thread's state, its controls and its section.
 * @typedef {object} View
 * @property {import("./state.js").ThreadState} state
 * @property {import("./controls.js").Controls & {now: () => import("./controls.js").Controls | null}} act
 *   on demand: every control returns a promise; `now()` the controls once they are loaded
 * @property {() => boolean} canWrite
 * @property {(comment: Shown) => boolean} canChange
 * @property {boolean} reports       readers may report comments here
 * @property {import("./i18n.js").Translator} tr
 * @property {ShadowRoot} root
 * @property {number} maxLength
 * @property {() => string} name      the name this reader last wrote under
 * @property {HTMLElement} heading    the count, where the focus goes when nothing else is left
 * @property {HTMLElement} list       the top-level comments
 * @property {HTMLElement} compose    the comment form and the account line
 * @property {HTMLElement} live       what is put in it is told to screen readers
 * @property {number} target          the comment a permalink named, highlighted (0: none)
 */

/** Replies indent up to this depth; deeper ones line up with their parent instead. */
const MAX_INDENT = 3;

/**
 * The frame of a comment: its article, meta line and body, and its replies' container.
 * @param {View} view
 * @param {Pick<Shown, "id" | "author" | "created"> & Partial<Shown>} comment  an id of 0 is being posted
 * @param {number} depth
 */
export function commentFrame({ tr, state, target }, comment, depth) {
  const { t } = tr;
  const id = comment.id && "comment-" + comment.id;
  const element = h("article", {
    class: "c",
    part: "comment",
    tabindex: -1,
    id,
    "data-highlighted": !!id && comment.id == target,
  });
  const self = h("div", { class: "self" });
  const replies = h("div", { class: depth < MAX_INDENT ? "replies" : "replies flat" });
  element.append(self, replies);
  const body = h("div", { class: comment.id ? "body" : "body draft", part: "body" });
  if (comment.id) insertServerHtml(body, comment.html || "");
  else body.append(comment.text || ""); // as typed, until the server has rendered it
  const created = new Date(comment.created);
  const parent = depth > MAX_INDENT && state.comment(comment.parent || 0);
  const meta = h(
    "div",
    { class: "meta" },
    h("span", { class: "author", part: "author" }, comment.author.name),
    h(
      "a",
      { href: location.href.split("#")[0] + "#kommentar-" + comment.id, title: t("permalink") },
      h("time", { part: "time", datetime: comment.created, title: tr.exact(created) }, tr.ago(created)),
    ),
    comment.edited && h("span", {}, "· " + t("edited")),
    state.fresh(comment.id) && h("span", { class: "new", part: "new" }, t("new")),
    parent && h("span", {}, t("replyTo", { name: parent.author.name })),
    comment.status == "pending" && h("span", {}, "· " + t("pending")),
  );
  self.append(meta, body);
  return { element, self, meta, body, replies };
}

/**
 * Draw comment `id` with its replies, as the state has them.
 * @param {View} view
 * @param {number} id
 * @returns {HTMLElement}
 */
export function renderComment(view, id) {
  const { state, act, tr, root } = view;
  /** A control for this comment, its failure told under it. */
  const control = (/** @type {() => any} */ action) => () => attempt(action);
  const { t } = tr;
  const comment = /** @type {Shown} */ (state.comment(id));
  let depth = 0;
  for (let up = comment.parent; up; up = state.comment(up)?.parent || 0) depth++;
  const { element, self, meta, replies } = commentFrame(view, comment, depth);
  replies.append(...state.replies(id).map((reply) => renderComment(view, reply)));
  if (comment.deleted) {
    self.replaceChildren(h("p", { class: "note" }, t("deleted")));
    return element;
  }
  const { me, votes, reports } = state.reader();
  const mine = votes[id] || 0;
  const own = !!me && comment.author.id === me.id;
  const token = view.canChange(comment);
  const reported = reports.includes(id);
  /** An up (1) or down (-1) vote button; one's own comments cannot be voted on. */
  const voteButton = (/** @type {number} */ direction) =>
    button(
      {
        class: "vote",
        part: direction > 0 ? "vote-up" : "vote-down",
        disabled: own,
        "aria-pressed": String(mine == direction),
        onclick: control(() => act.vote(id, direction)),
      },
      h("span", { class: "vh" }, t(direction > 0 ? "up" : "down")),
      h("span", { part: "score" }, String(direction > 0 ? comment.up : comment.down)),
    );
  // A draft is opened by the controls: whenever there is one to draw, they are loaded.
  const controls = act.now();
  const editing = controls && controls.draftForm("edit", id);
  if (editing) {
    self.replaceChildren(meta, editing);
    return element;
  }
  self.append(
    h(
      "div",
      { class: "actions" },
      voteButton(1),
      voteButton(-1),
      !state.thread.locked && button({ part: "reply", onclick: control(() => act.reply(id)) }, t("reply")),
      button({ part: "quote", onclick: control(() => act.quote(id)) }, t("quote")),
      token && button({ part: "edit", onclick: control(() => act.openEdit(id)) }, t("edit")),
      token && button({ part: "delete", onclick: control(() => act.confirmRemove(id)) }, t("delete")),
      // Not on one's own (signed in as its author, or holding its edit token). Reporting,
      // or withdrawing a report, is a dialog of the controls'.
      view.reports &&
        !own &&
        !token &&
        button(
          { part: "report", "aria-pressed": String(reported), onclick: control(() => act.report(id)) },
          t(reported ? "reported" : "report"),
        ),
    ),
    errorLine(),
  );
  const replying = controls && controls.draftForm("reply", id);
  if (replying) element.insertBefore(replying, replies);
  return element;

  /** Run an action, showing its failure in words under this comment. */
  async function attempt(/** @type {() => any} */ action) {
    try {
      return await action();
    } catch (failure) {
      const message = await tr.error(failure);
      // An action's update may have drawn this comment again.
      const line = root.getElementById("comment-" + id)?.querySelector(":scope > .self > .err");
      if (line) line.textContent = message;
    }
  }
}
