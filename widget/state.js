/**
 * One thread's state, and its only owner: the comments shown, the count, the order, the
 * reader with their votes, and what the reader is writing. Views read it and never change
 * it; they call its updates, and every update tells the listeners what changed so the view
 * of that part is drawn again. Comments are frozen: an update replaces one, never edits it.
 * The updates of comments already shown (an edit, a vote, a delete, a report) are in
 * updates.js, which only the actions chunk carries. Comments new to the reader (since their
 * last visit, or arrived while they read) are marked: `fresh(id)`. Pure (no DOM), so it is
 * tested in node.
 */

/** @typedef {import("./types.js").Comment} Comment */
/** @typedef {import("./types.js").Sort} Sort */
/** @typedef {import("./types.js").ThreadPage} ThreadPage */
/** @typedef {import("./types.js").User} User */

/**
 * A comment as the state keeps it: its replies are found with `replies(id)`.
 * @typedef {Readonly<Omit<Comment, "replies">>} Shown
 */

/**
 * What an update changed, for the listeners:
 * "list"    the top-level comments (all of them, or only `appended` at the end);
 * "added"   comment `id` joined its siblings (drawn alone: what is around it stays as it is);
 * "comment" comment `id` and its replies;
 * "count"   the count or whether the thread is closed;
 * "reader"  who reads, and so every comment's actions and the comment form.
 * @typedef {{kind: "list", appended?: number[]} | {kind: "comment" | "added", id: number} | {kind: "count" | "reader"}} Change
 */

/**
 * What a reader writes: a reply to comment `id`, an edit of it, or (id 0) a new comment.
 * @typedef {"reply" | "edit" | "main"} DraftKind
 */

/**
 * A thread's state, empty until its first page is shown.
 * @param {Sort} sort  the order to start with
 */
export function createThreadState(sort) {
  /** @type {Map<number, Shown>} */
  const comments = new Map();
  /** @type {Map<number, number[]>} reply ids by parent id; 0 holds the top-level ones */
  const children = new Map([[0, []]]);
  /** @type {Map<string, string>} text being written, by kind and comment id */
  const drafts = new Map();
  /** @type {Array<(change: Change) => void>} */
  const listeners = [];
  const thread = { count: 0, locked: false, next: /** @type {string | null} */ (null), sort };
  /** @type {Set<number>} comments that arrived while the reader read: the live chunk puts one
   * here, then adds it to the thread */
  const arrived = new Set();
  let since = Infinity; // when the reader last saw the thread (ms); Infinity: never
  let reader = {
    me: /** @type {User | null} */ (null),
    votes: /** @type {Record<string, number>} */ ({}),
    reports: /** @type {readonly number[]} the comments they reported */ ([]),
  };

  /** @param {Change} change */
  const tell = (change) => listeners.forEach((listener) => listener(change));
  /** Tell that a list of comments changed: a comment's replies, or (0) the top level. */
  const tellAround = (/** @type {number} */ parent) =>
    tell(parent ? { kind: "comment", id: parent } : { kind: "list" });

  /** Keep a comment from the server and its replies, replacing what was kept of it. */
  function keep(/** @type {Comment} */ comment) {
    const { replies = [], ...own } = comment;
    comments.set(comment.id, Object.freeze(own));
    children.set(comment.id, replies.map((reply) => (keep(reply), reply.id)));
    return comment.id;
  }

  /** Forget a comment and its replies. */
  function drop(/** @type {number} */ id) {
    for (const reply of children.get(id) || []) drop(reply);
    comments.delete(id);
    children.delete(id);
  }

  /** Whether comment `id` is new to the reader: it arrived while they read, or was posted by
   * someone else since their last visit. */
  function fresh(/** @type {number} */ id) {
    const comment = comments.get(id);
    if (!comment || comment.deleted) return false;
    const others = !reader.me || comment.author.id != reader.me.id;
    return arrived.has(id) || (others && Date.parse(comment.created) > since);
  }

  /**
   * A comment the server accepted, under its parent when that is shown (else it is left
   * out); first or last among its siblings. Counted unless it waits for a moderator.
   */
  function addComment(/** @type {Comment} */ comment, first = false) {
    const parent = comment.parent || 0;
    const siblings = children.get(parent);
    if (!siblings || comments.has(comment.id)) return;
    keep(comment);
    children.set(parent, first ? [comment.id, ...siblings] : [...siblings, comment.id]);
    tell({ kind: "added", id: comment.id });
    if (comment.status != "pending") setCount(thread.count + 1);
  }

  /** @param {number} count */
  function setCount(count) {
    thread.count = count;
    tell({ kind: "count" });
  }

  return {
    thread: /** @type {Readonly<typeof thread>} */ (thread),
    /** The reader (null when signed out), their votes by comment id and the ids they reported. */
    reader: () => reader,
    /** @param {number} id */
    comment: (id) => comments.get(id),
    /** The ids of a comment's replies, or (id 0) of the top-level comments, in order. */
    replies: (/** @type {number} */ id) => /** @type {readonly number[]} */ (children.get(id) || []),
    arrived,
    fresh,
    /** How many of the comments kept are fresh. */
    freshCount: () => [...comments.keys()].filter(fresh).length,
    /** @param {DraftKind} kind @param {number} id @returns {string | undefined} */
    draft: (kind, id) => drafts.get(kind + id),

    /** Call `listener` with every change from now on. */
    listen(/** @type {(change: Change) => void} */ listener) {
      listeners.push(listener);
    },

    /** Show a page of the thread: instead of what is shown, or `appended` after it. */
    showPage(/** @type {ThreadPage} */ page, appended = false) {
      Object.assign(thread, { count: page.thread.count, locked: page.thread.locked, next: page.next });
      const ids = page.comments.map((comment) => comment.id);
      // A comment posted here before this page was loaded moves to its place in the order.
      const top = appended ? (children.get(0) || []).filter((id) => !ids.includes(id)) : [];
      if (!appended) for (const id of children.get(0) || []) drop(id);
      children.set(0, top.concat(page.comments.map(keep)));
      tell(appended ? { kind: "list", appended: ids } : { kind: "list" });
      tell({ kind: "count" });
    },

    /** The reader last saw this thread at `time` (ms since the epoch): what came later is fresh. */
    seenAt(/** @type {number} */ time) {
      since = time;
    },

    /** Another order; the page in that order comes with `showPage`. */
    setSort(/** @type {Sort} */ sort) {
      thread.sort = sort;
    },

    addComment,

    /**
     * What the updates of comments already shown (updates.js: an edit, a vote, a delete, a
     * report) work on. They are in the actions chunk, so a first render does not carry them;
     * nothing else may touch these.
     */
    parts: {
      comments,
      children,
      drop,
      tell,
      tellAround,
      setCount,
      /** @param {typeof reader} next */
      setReader: (next) => void (reader = next),
    },







    /** Someone else reads now: signed in as `me` (null: signed out), with their votes and reports. */
    setReader(
      /** @type {User | null} */ me,
      /** @type {Record<string, number>} */ votes,
      /** @type {readonly number[]} */ reports = [],
    ) {
      reader = { me, votes, reports };
      tell({ kind: "reader" });
    },



    /**
     * Keep what the reader has written so far, so it outlives redrawing. A reply or edit
     * draft that is opened or closed redraws its comment (which shows or drops the form);
     * typing only keeps the text.
     * @param {DraftKind} kind
     * @param {number} id       the comment replied to or edited; 0 for a new comment
     * @param {string | null} text  null closes the draft
     */
    setDraft(kind, id, text) {
      const key = kind + id;
      const opens = drafts.has(key) != (text != null);
      if (text == null) drafts.delete(key);
      else drafts.set(key, text);
      if (opens && id) tell({ kind: "comment", id });
    },
  };
}

/** @typedef {ReturnType<typeof createThreadState>} ThreadState */
