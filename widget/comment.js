/**
 * The view of one comment and its replies: author, time, body, votes and the actions
 * a reader may take on it (reply, quote, and edit or delete on their own comments).
 */

import { button, errorLine, h, insertServerHtml } from "./dom.js";
import { textForm } from "./form.js";
import { quoteMarkdown } from "./format.js";

/** @typedef {import("./types.js").Comment} Comment */
/** @typedef {import("./thread.js").Context} Context */

/** Replies indent up to this depth; deeper ones line up with their parent instead. */
const MAX_INDENT = 3;

/**
 * The token that lets this reader change `comment`: its edit token, or the session token
 * when it is the signed-in reader's own. Null when the reader may not change it.
 * @param {Context} ctx
 * @param {Comment} comment
 */
export function changeToken(ctx, comment) {
  if (comment.deleted || !comment.id) return null;
  const own = ctx.me && comment.author.id === ctx.me.id && ctx.config.account_edit;
  return ctx.store.editToken(comment.id) || (own ? ctx.store.get("token") || null : null);
}

/**
 * Render a comment with its replies.
 * @param {Context} ctx
 * @param {Comment} comment   a comment from the server, or a draft (id 0) being posted
 * @param {number} depth      0 for a top-level comment
 * @param {string} [parentName]  shown as "In reply to" once indentation has stopped
 * @returns {HTMLElement}
 */
export function renderComment(ctx, comment, depth, parentName) {
  const { t } = ctx.tr;
  const replies = h("div", { class: depth < MAX_INDENT ? "replies" : "replies flat" });
  const element = h("article", {
    class: "c",
    part: "comment",
    tabindex: -1,
    id: comment.id && "comment-" + comment.id,
  });
  const self = h("div", { class: "self" });
  element.append(self, replies);
  for (const reply of comment.replies || []) {
    replies.append(renderComment(ctx, reply, depth + 1, comment.author.name));
  }
  if (comment.deleted) {
    self.append(h("p", { class: "note" }, t("deleted")));
    return element;
  }

  const name = comment.author.name;
  const created = new Date(comment.created);
  const body = h("div", { class: comment.id ? "body" : "body draft", part: "body" });
  if (comment.id) insertServerHtml(body, comment.html);
  else body.append(comment.text || ""); // as typed, until the server has rendered it
  const error = errorLine();
  const meta = h(
    "div",
    { class: "meta" },
    h("span", { class: "author", part: "author" }, name),
    h(
      "a",
      { href: location.href.split("#")[0] + "#comment-" + comment.id, title: t("permalink") },
      h(
        "time",
        { part: "time", datetime: comment.created, title: ctx.tr.exact(created) },
        ctx.tr.ago(created),
      ),
    ),
    comment.edited && h("span", {}, "· " + t("edited")),
    depth > MAX_INDENT && parentName && h("span", {}, t("replyTo", { name: parentName })),
    !comment.id && h("span", {}, "· " + t("posting")),
    comment.status == "pending" && h("span", {}, "· " + t("pending")),
  );
  self.append(meta, body);
  if (!comment.id) return element;

  /** @type {HTMLFormElement | null} */
  let replyForm = null;
  const own = !!ctx.me && comment.author.id === ctx.me.id;
  const up = voteButton(1);
  const down = voteButton(-1);
  showVotes();
  const reply = button({ part: "reply", onclick: openReply }, t("reply"));
  const token = changeToken(ctx, comment);
  self.append(
    h(
      "div",
      { class: "actions" },
      up,
      down,
      !ctx.locked && reply,
      button({ part: "quote", onclick: quote }, t("quote")),
      token && button({ part: "edit", onclick: edit }, t("edit")),
      token && button({ part: "delete", onclick: remove }, t("delete")),
    ),
    error,
  );
  return element;

  /** An up (1) or down (-1) vote button; one's own comments cannot be voted on. */
  function voteButton(/** @type {number} */ direction) {
    const attributes = { class: "vote", part: direction > 0 ? "vote-up" : "vote-down", disabled: own };
    return button(
      { ...attributes, onclick: () => vote(direction) },
      h("span", { class: "vh" }, t(direction > 0 ? "up" : "down")),
      h("span", { part: "score" }),
    );
  }

  function showVotes() {
    const mine = ctx.votes[comment.id] || 0;
    up.setAttribute("aria-pressed", String(mine == 1));
    down.setAttribute("aria-pressed", String(mine == -1));
    /** @type {HTMLElement} */ (up.lastChild).textContent = String(comment.up);
    /** @type {HTMLElement} */ (down.lastChild).textContent = String(comment.down);
  }

  /** Vote in `direction`, or withdraw the vote when it is already the reader's. */
  async function vote(/** @type {number} */ direction) {
    const mine = ctx.votes[comment.id] || 0;
    const value = mine == direction ? 0 : direction;
    const before = { up: comment.up, down: comment.down, mine };
    const apply = (/** @type {{up: number, down: number, mine: number}} */ result) => {
      comment.up = result.up;
      comment.down = result.down;
      ctx.votes[comment.id] = result.mine;
      showVotes();
    };
    apply({
      up: comment.up - +(mine == 1) + +(value == 1),
      down: comment.down - +(mine == -1) + +(value == -1),
      mine: value,
    });
    error.textContent = "";
    try {
      const signedIn = ctx.store.get("token");
      const result = await ctx.api.vote(comment.id, value, signedIn || ctx.store.get("voter") || null);
      if (result.voter_token && !signedIn) ctx.store.set("voter", result.voter_token);
      apply(result);
    } catch (failure) {
      apply(before);
      error.textContent = ctx.tr.error(failure);
    }
  }

  function openReply() {
    if (!ctx.canWrite()) return ctx.askLogin();
    if (!replyForm) {
      replyForm = textForm(ctx, {
        label: t("replyTo", { name }),
        submit: t("submitReply"),
        withName: !ctx.me,
        send: async (text, author, trap) => {
          await ctx.publish({ text, name: author, trap, parent: comment, into: replies, depth: depth + 1 });
          closeReply();
        },
        cancel: closeReply,
      });
      element.insertBefore(replyForm, replies);
    }
    /** @type {HTMLElement} */ (replyForm.querySelector("textarea")).focus();
  }

  function closeReply() {
    if (replyForm) replyForm.remove();
    replyForm = null;
    reply.focus();
  }

  /** The selection made inside this comment's body, if any. */
  function selectionInBody() {
    const root = /** @type {any} */ (ctx.root);
    /** @type {Selection | null} */
    const selection = root.getSelection ? root.getSelection() : document.getSelection();
    const inside =
      selection &&
      !selection.isCollapsed &&
      body.contains(selection.anchorNode) &&
      body.contains(selection.focusNode);
    return inside ? String(selection) : "";
  }

  function quote() {
    ctx.quote(quoteMarkdown(selectionInBody() || body.innerText));
  }

  async function edit() {
    try {
      // The thread document carries only HTML; the form wants the Markdown as written.
      comment.text ??= (await ctx.api.source(comment.id)).text;
    } catch (failure) {
      error.textContent = ctx.tr.error(failure);
      return;
    }
    const form = textForm(ctx, {
      label: t("edit"),
      submit: t("save"),
      initial: comment.text ?? body.innerText,
      send: async (text) => {
        const updated = await ctx.api.edit(comment.id, text, changeToken(ctx, comment));
        Object.assign(comment, updated, { replies: comment.replies });
        replace();
      },
      cancel: replace,
    });
    self.replaceChildren(meta, form);
    /** @type {HTMLElement} */ (form.querySelector("textarea")).focus();
  }

  async function remove() {
    if (!confirm(t("confirmDelete"))) return;
    try {
      await ctx.api.remove(comment.id, changeToken(ctx, comment));
    } catch (failure) {
      error.textContent = ctx.tr.error(failure);
      return;
    }
    ctx.changeCount(-1, t("removed"));
    comment.deleted = true;
    if (comment.replies.some((reply) => !reply.deleted || reply.replies.length)) return replace();
    /** @type {HTMLElement} */ (element.parentElement?.closest("article") || ctx.heading).focus();
    element.remove();
  }

  /** Render this comment afresh in place, and put the focus on it. */
  function replace() {
    const fresh = renderComment(ctx, comment, depth, parentName);
    element.replaceWith(fresh);
    fresh.focus();
  }
}
