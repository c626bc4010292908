/**
 * The thread state's updates of comments already shown, for what a reader does to them: an
 * edit, a vote, a delete, a report. Apart from state.js, in the actions chunk (the only one
 * that calls them), so a first render does not carry them. They keep the state's rules: a
 * comment is replaced, never changed, and the listeners are told what to draw again.
 */

/** @typedef {import("./types.js").Comment} Comment */
/** @typedef {{up: number, down: number, mine: number}} Votes */

/**
 * The updates of `state`.
 * @param {import("./state.js").ThreadState} state
 */
export function createUpdates(state) {
  const { comments, children, drop, tell, tellAround, setCount, setReader } = state.parts;

  return {
    /** A comment as the server has it after an edit; its replies stay. */
    replaceComment(/** @type {Comment} */ comment) {
      const { replies, ...own } = comment;
      if (!comments.has(comment.id)) return;
      comments.set(comment.id, Object.freeze(own));
      tell({ kind: "comment", id: comment.id });
    },

    /** New vote totals for a comment, and the reader's own vote on it. */
    setVotes(/** @type {number} */ id, /** @type {Votes} */ { up, down, mine }) {
      const comment = comments.get(id);
      if (!comment) return;
      comments.set(id, Object.freeze({ ...comment, up, down }));
      const reader = state.reader();
      setReader({ ...reader, votes: { ...reader.votes, [id]: mine } });
      tell({ kind: "comment", id });
    },

    /** A deleted comment: a placeholder while it has replies shown, else gone. */
    removeComment(/** @type {number} */ id) {
      const comment = comments.get(id);
      if (!comment) return;
      const parent = comment.parent || 0;
      if ((children.get(id) || []).length) {
        comments.set(id, Object.freeze({ ...comment, deleted: true, html: "", text: undefined }));
        tell({ kind: "comment", id });
      } else {
        drop(id);
        children.set(parent, (children.get(parent) || []).filter((other) => other != id));
        tellAround(parent);
      }
      setCount(state.thread.count - 1);
    },

    /** The comments the reader reported, now that they reported comment `id` or withdrew that. */
    setReports(/** @type {number} */ id, /** @type {readonly number[]} */ reports) {
      setReader({ ...state.reader(), reports });
      tell({ kind: "comment", id });
    },
  };
}
