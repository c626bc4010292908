/**
 * What the thread's buttons and forms do on the page: open a reply or an edit (and draw its
 * form), quote, delete, report (in the report dialog), preview and send a form, show a
 * comment while it is posted, sign in and out. The page's half of what a reader does
 * (actions.js asks the server and updates the state), in the same chunk (embed/actions.js):
 * the first render only draws, and this loads when the reader reaches for the thread. A
 * failure is thrown to the view, which tells it where it happened.
 */

import { commentFrame } from "./comment.js";
import { button, h, keepingFocus } from "./dom.js";
import { quoteMarkdown } from "./format.js";
import { textForm } from "./form.js";
import { notifyNote, offerNotify, wishOf } from "./notify.js";
import { togglePreview, writeAgain } from "./preview.js";
import { askReport } from "./report.js";
import { ACTIONS_STYLESHEET } from "./stylesheet.js";
import { adoptStyles } from "./styles.js";

/** @typedef {import("./actions.js").Actions} Actions */
/** @typedef {import("./actions.js").Writing} Writing */
/** @typedef {import("./api.js").Session} Session */
/** @typedef {import("./comment.js").View} View */
/** @typedef {"reply" | "edit"} Draft */

/** Forms being sent: a second submit meanwhile sends nothing. */
const sending = new WeakSet();

/**
 * The words only the controls say (the `actions` section of i18n/<lang>.json), by language:
 * the build puts them here rather than in embed.js.
 */
const WORDS = typeof KOMMENTAR_WORDS == "object" ? KOMMENTAR_WORDS : {};

/**
 * The controls of the thread `view` draws, over its `actions`; they include the actions.
 * @param {View} view
 * @param {Actions} actions
 */
export function createControls(view, actions) {
  const { state, root, tr, compose } = view;
  const { t } = tr;
  const words = WORDS[tr.lang] || WORDS.en;
  const say = (/** @type {string} */ key) => words[key];
  /** Comment `id` as drawn now: an update may have drawn it again. */
  const drawn = (/** @type {number} */ id) => root.getElementById("comment-" + id);
  /** @param {Element | null | undefined} element */
  const focus = (element) => /** @type {HTMLElement | null | undefined} */ (element)?.focus();

  /** Open a reply or edit draft with `text`, and put the focus in its text area. */
  function openDraft(/** @type {Draft} */ kind, /** @type {number} */ id, /** @type {string} */ text) {
    if (state.draft(kind, id) == null) state.setDraft(kind, id, text);
    focus(drawn(id)?.querySelector(":scope > form textarea, :scope > .self textarea"));
  }

  const askLogin = () => focus(compose.querySelector("[part=login]"));
  /** Where a comment's focus goes when it has left the thread: its parent, else the count. */
  const around = (/** @type {number | null} */ parent) => root.getElementById(parent ? "comment-" + parent : "count");
  // The report dialog and the preview: styles the first render does not need.
  adoptStyles(root, ACTIONS_STYLESHEET);

  /** A comment form the reader moves into is offered reply mail (not the report dialog's). */
  function offer(/** @type {Event | null} */ event) {
    const form = /** @type {Element | null} */ ((event ? event.target : root.activeElement) || null)?.closest("form");
    const me = /** @type {any} */ (state.reader().me);
    if (form && form.querySelector("[name=text]")) offerNotify(/** @type {HTMLFormElement} */ (form), tr.lang, !me?.email_verified);
  }
  if (actions.notifying) {
    root.addEventListener("focusin", offer);
    offer(null); // the move that loaded this chunk
  }

  /** The selection made inside a comment's `body`, if any. */
  function selectionIn(/** @type {Element} */ body) {
    const shadow = /** @type {any} */ (root);
    /** @type {Selection | null} */
    const selection = shadow.getSelection ? shadow.getSelection() : document.getSelection();
    const inside =
      selection && !selection.isCollapsed && body.contains(selection.anchorNode) && body.contains(selection.focusNode);
    return inside ? String(selection) : "";
  }

  const controls = {
    ...actions,

    /** Draw part of the thread again, the focus kept where the reader had it (dom.js). */
    keepingFocus,

    /** Open a reply to comment `id`, or ask the reader to log in first. */
    reply(/** @type {number} */ id) {
      if (!view.canWrite()) return askLogin();
      openDraft("reply", id, "");
    },

    /** Open an edit of comment `id`, with its Markdown as written. */
    async openEdit(/** @type {number} */ id) {
      openDraft("edit", id, await actions.source(id));
    },

    /** Close a draft; the focus goes back to the comment (a reply's: to its Reply button). */
    closeDraft(/** @type {Draft} */ kind, /** @type {number} */ id) {
      state.setDraft(kind, id, null);
      const again = drawn(id);
      focus(kind == "reply" ? again?.querySelector("[part=reply]") : again);
    },

    /** Put comment `id` (or what is selected of it) into the comment form, as a quote. */
    quote(/** @type {number} */ id) {
      const body = /** @type {HTMLElement} */ (drawn(id)?.querySelector(":scope > .self > .body"));
      const markdown = quoteMarkdown(selectionIn(body) || body.innerText);
      const text = compose.querySelector("textarea");
      if (!text) return askLogin();
      if (text.form) writeAgain(text.form); // the quote joins the text, shown as it is
      text.value = (text.value.trim() ? text.value.trimEnd() + "\n\n" : "") + markdown;
      state.setDraft("main", 0, text.value);
      text.focus();
      text.selectionStart = text.value.length;
    },

    /** Delete comment `id` once the reader confirms; the focus goes to where it was. */
    async confirmRemove(/** @type {number} */ id) {
      if (!confirm(say("confirmDelete"))) return;
      const { parent } = /** @type {import("./state.js").Shown} */ (state.comment(id));
      await actions.remove(id);
      view.live.textContent = say("removed");
      // A placeholder stays while it has replies; else the focus goes to its parent.
      focus(drawn(id) || around(parent));
    },

    /**
     * Report comment `id`, or withdraw the reader's report of it, as they answer in the
     * report dialog (report.js). The focus goes back to the Report button, or, when the
     * report held the comment, to where it was. A failure is the comment's to tell.
     */
    async report(/** @type {number} */ id) {
      const { parent } = /** @type {import("./state.js").Shown} */ (state.comment(id));
      const thread = /** @type {HTMLElement} */ (view.list.closest("section"));
      const answer = await askReport(thread, tr, say, state.reader().reports.includes(id));
      try {
        if (answer == "withdraw") {
          await actions.withdrawReport(id);
          view.live.textContent = say("withdrawn");
        } else if (answer) {
          const { held } = await actions.sendReport(id, answer);
          view.live.textContent = say(held ? "reportHeld" : "reportSent");
        }
      } finally {
        const button = drawn(id)?.querySelector(":scope > .self [part=report]");
        focus(button || drawn(id) || around(parent));
      }
    },

    /** Show a text form's text as it will be published, or go back to writing it. */
    preview: (/** @type {HTMLFormElement} */ form) => togglePreview(form, actions.render, say("previewLabel")),

    /** Show the comment at once, under its parent or in the list, until the server has it. */
    async publish(/** @type {Writing} */ writing) {
      const { me } = state.reader();
      const author = { name: me ? me.username : writing.name || "", id: me ? me.id : null };
      const unsent = { id: 0, author, text: writing.text, created: new Date().toISOString() };
      const { element: shown, meta } = commentFrame(view, unsent, 0);
      meta.append(h("span", {}, "· " + say("posting")));
      const under = writing.parent && root.querySelector(`#comment-${writing.parent} > .replies`);
      const into = under || view.list;
      if (!writing.parent && state.thread.sort == "newest") into.prepend(shown);
      else into.append(shown);
      shown.scrollIntoView({ block: "nearest" });
      try {
        const comment = await actions.post(writing);
        const note = notifyNote(tr.lang, comment.notify);
        view.live.textContent = (comment.status == "pending" ? t("pending") : say("posted")) + (note && " " + note);
        if (note) drawn(comment.id)?.querySelector(":scope > .self")?.append(h("p", { class: "note" }, note));
      } finally {
        shown.remove();
      }
    },

    /**
     * Send a text form (form.js) with `send`. The text area empties at once, so the comment
     * can show before the server answers; if `send` fails, the text comes back with the
     * server's error in words.
     * @param {HTMLFormElement} form
     * @param {import("./form.js").Sending} sender
     */
    async sendForm(form, { send, keep }) {
      if (sending.has(form)) return;
      const field = (/** @type {string} */ name) =>
        /** @type {HTMLInputElement | null} */ (form.querySelector(`[name=${name}]`));
      const text = /** @type {HTMLInputElement} */ (field("text"));
      const name = field("name");
      const error = /** @type {HTMLElement} */ (form.querySelector(":scope > .err"));
      const body = text.value.trim();
      const author = name ? name.value.trim() : undefined;
      const wish = wishOf(form, tr.lang);
      const missing =
        name && !author ? "name_required" : !body ? "text_empty" : typeof wish == "string" ? wish : "";
      if (missing) {
        error.textContent = await tr.error({ code: missing });
        return focus(missing == "text_empty" ? text : missing == "email_required" ? field("email") : name);
      }
      sending.add(form);
      writeAgain(form); // what is sent is shown as the comment, not as a preview
      error.textContent = "";
      text.value = "";
      keep("");
      try {
        await send(body, author, field("website")?.value, /** @type {any} */ (wish));
      } catch (failure) {
        text.value = body;
        keep(body);
        error.textContent = await tr.error(failure);
        text.focus();
      }
      sending.delete(form);
    },

    /**
     * The form of comment `id`'s open reply or edit draft (null when none is open): its
     * text kept in the state as it is typed, closed once sent.
     * @param {Draft} kind
     * @param {number} id
     * @returns {HTMLFormElement | null}
     */
    draftForm(kind, id) {
      const initial = state.draft(kind, id);
      if (initial == null) return null;
      const comment = /** @type {import("./state.js").Shown} */ (state.comment(id));
      const editing = kind == "edit";
      /** @type {import("./form.js").Sending["send"]} */
      const send = editing
        ? (text) => controls.edit(id, text)
        : (text, name, trap, wish) => controls.publish({ text, name, trap, wish, parent: id });
      const form = textForm(tr, {
        act: controls,
        label: editing ? t("edit") : t("replyTo", { name: comment.author.name }),
        submit: editing ? say("save") : say("submitReply"),
        initial,
        maxLength: view.maxLength,
        name: state.reader().me || editing ? null : view.name(),
        keep: (text) => state.setDraft(kind, id, text),
        send: (...writing) => send(...writing).then(() => controls.closeDraft(kind, id)),
      });
      form.querySelector(".row")?.append(button({ onclick: () => controls.closeDraft(kind, id) }, say("cancel")));
      return form;
    },

    /** Sign in with `session`, or out (null); what the reader was writing stays. */
    async changeReader(/** @type {Session | null} */ session) {
      await actions.switchReader(session);
      view.live.textContent = session ? t("signedIn", { name: session.user.username }) : say("signedOut");
      focus(compose.querySelector(session ? "textarea" : "[part=login]") || view.heading);
    },
  };
  return controls;
}

/** @typedef {ReturnType<typeof createControls>} Controls */
