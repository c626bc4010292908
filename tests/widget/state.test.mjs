// The thread state: one owner of the comments, updates that replace rather than change,
// and listeners told exactly what to draw again.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createThreadState } from "../../widget/state.js";
import { createUpdates } from "../../widget/updates.js";

let nextId = 1;
const comment = (fields = {}) => ({
  id: nextId++,
  parent: null,
  author: { name: "Anna", id: null },
  html: "<p>Hi</p>",
  created: "2026-11-25T16:47:08Z",
  edited: null,
  up: 0,
  down: 0,
  deleted: false,
  replies: [],
  ...fields,
});
const page = (comments, count = comments.length, next = null) => ({
  thread: { url: "https://blog.example/post", title: "Post", count, locked: false },
  comments,
  next,
});

/** A state with a page shown, and the changes it announces from then on. */
function shown(comments, sort = "oldest", count = comments.length) {
  const state = createThreadState(sort);
  state.showPage(page(comments, count));
  const changes = [];
  state.listen((change) => changes.push(change));
  return { state, changes, updates: createUpdates(state) };
}

describe("showing pages", () => {
  test("a page's tree is kept flat, replies in order", () => {
    const top = comment();
    const reply = comment({ parent: top.id });
    top.replies = [reply];
    const { state } = shown([top, comment()]);
    assert.deepEqual(state.replies(0).length, 2);
    assert.deepEqual(state.replies(top.id), [reply.id]);
    assert.equal(state.comment(reply.id).author.name, "Anna");
    assert.equal(state.comment(top.id).replies, undefined, "replies live in the state, not the comment");
  });

  test("a next page is appended, and a comment posted meanwhile moves to its place", () => {
    const first = comment();
    const { state, changes } = shown([first]);
    const posted = comment();
    state.addComment(posted);
    const later = comment();
    state.showPage(page([posted, later], 3), true);
    assert.deepEqual(state.replies(0), [first.id, posted.id, later.id]);
    assert.deepEqual(changes.at(-2), { kind: "list", appended: [posted.id, later.id] });
  });

  test("a fresh first page replaces what was shown", () => {
    const old = comment();
    const { state } = shown([old]);
    const fresh = comment();
    state.showPage(page([fresh]));
    assert.deepEqual(state.replies(0), [fresh.id]);
    assert.equal(state.comment(old.id), undefined);
  });
});

describe("updates replace, never change", () => {
  test("comments are frozen", () => {
    const kept = comment();
    const { state } = shown([kept]);
    assert.ok(Object.isFrozen(state.comment(kept.id)));
    assert.throws(() => {
      "use strict";
      state.comment(kept.id).up = 5;
    });
  });

  test("votes replace the comment and the reader's votes, and redraw only it", () => {
    const kept = comment();
    const { state, changes, updates } = shown([kept]);
    const before = state.comment(kept.id);
    const votesBefore = state.reader().votes;
    updates.setVotes(kept.id, { up: 1, down: 0, mine: 1 });
    assert.equal(state.comment(kept.id).up, 1);
    assert.equal(before.up, 0, "the old object is untouched");
    assert.deepEqual(votesBefore, {});
    assert.equal(state.reader().votes[kept.id], 1);
    assert.deepEqual(changes, [{ kind: "comment", id: kept.id }]);
  });

  test("an edit keeps the replies", () => {
    const top = comment();
    const reply = comment({ parent: top.id });
    top.replies = [reply];
    const { state, updates } = shown([top]);
    updates.replaceComment({ ...top, html: "<p>Edited</p>", edited: "2026-11-26T10:00:00Z", replies: [] });
    assert.equal(state.comment(top.id).html, "<p>Edited</p>");
    assert.deepEqual(state.replies(top.id), [reply.id]);
  });
});

describe("adding and removing", () => {
  test("a reply joins its parent, counts, and is drawn alone", () => {
    const top = comment();
    const { state, changes } = shown([top]);
    const reply = comment({ parent: top.id });
    state.addComment(reply);
    assert.deepEqual(state.replies(top.id), [reply.id]);
    assert.equal(state.thread.count, 2);
    assert.deepEqual(changes, [{ kind: "added", id: reply.id }, { kind: "count" }]);
  });

  test("newest first puts a new comment at the top; a held one is not counted", () => {
    const old = comment();
    const { state } = shown([old], "newest");
    const held = comment({ status: "pending" });
    state.addComment(held, true);
    assert.deepEqual(state.replies(0), [held.id, old.id]);
    assert.equal(state.thread.count, 1);
  });

  test("a reply to a comment not shown is left out", () => {
    const { state, changes } = shown([comment()]);
    state.addComment(comment({ parent: 9999 }));
    assert.deepEqual(changes, []);
  });

  test("a deleted comment with replies stays as a placeholder; without, it goes", () => {
    const top = comment();
    const reply = comment({ parent: top.id });
    top.replies = [reply];
    const { state, updates } = shown([top], "oldest", 2);
    updates.removeComment(top.id);
    assert.equal(state.comment(top.id).deleted, true);
    assert.equal(state.comment(top.id).html, "");
    updates.removeComment(reply.id);
    assert.deepEqual(state.replies(top.id), []);
    assert.equal(state.comment(reply.id), undefined);
    assert.equal(state.thread.count, 0);
  });
});

describe("drafts and readers", () => {
  test("typing keeps the text without redrawing; opening and closing redraw the comment", () => {
    const top = comment();
    const { state, changes } = shown([top]);
    state.setDraft("reply", top.id, "");
    state.setDraft("reply", top.id, "Half a tho");
    assert.equal(state.draft("reply", top.id), "Half a tho");
    state.setDraft("reply", top.id, null);
    assert.equal(state.draft("reply", top.id), undefined);
    assert.deepEqual(changes, [
      { kind: "comment", id: top.id },
      { kind: "comment", id: top.id },
    ]);
  });

  test("a new reader comes with their reports; a report redraws only its comment", () => {
    const [first, second] = [comment(), comment()];
    const { state, changes, updates } = shown([first, second]);
    state.setReader(null, {}, [first.id]);
    assert.deepEqual(state.reader().reports, [first.id]);
    const before = state.reader();
    updates.setReports(second.id, [first.id, second.id]);
    assert.deepEqual(state.reader().reports, [first.id, second.id]);
    assert.deepEqual(before.reports, [first.id]); // replaced, not changed
    assert.deepEqual(changes, [{ kind: "reader" }, { kind: "comment", id: second.id }]);
  });

  test("a reader without reports given has none", () => {
    const { state } = shown([comment()]);
    assert.deepEqual(state.reader().reports, []);
    state.setReader({ id: 1, username: "ann", created: "" }, {});
    assert.deepEqual(state.reader().reports, []);
  });

  test("drafts outlive a new reader and a new order", () => {
    const top = comment();
    const { state } = shown([top]);
    state.setDraft("reply", top.id, "Still here");
    state.setDraft("main", 0, "And here");
    state.setReader({ id: 1, username: "ann", created: "" }, { [top.id]: 1 });
    state.setSort("newest");
    state.showPage(page([comment()]));
    assert.equal(state.draft("reply", top.id), "Still here");
    assert.equal(state.draft("main", 0), "And here");
    assert.equal(state.reader().me.username, "ann");
    assert.equal(state.thread.sort, "newest");
  });
});
