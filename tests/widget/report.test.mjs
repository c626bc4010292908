// What a report needs before it is sent, checked in the dialog as the server checks it
// (backend/kommentar/reports.py): a reason, a note for "other", at most MAX_NOTE characters.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_NOTE, reportProblem } from "../../widget/report.js";

const cases = [
  ["a reason alone will do", "spam", "", ""],
  ["a note may come with any reason", "abuse", "Names a private person.", ""],
  ["no reason chosen", null, "", "invalid_reason"],
  ["no reason chosen, even with a note", null, "Something is off.", "invalid_reason"],
  ["other needs a note", "other", "", "note_required"],
  ["other needs a note that says something", "other", "  \n\t", "note_required"],
  ["other with a note", "other", "Copied from another site.", ""],
  ["a note at the limit", "off-topic", "x".repeat(MAX_NOTE), ""],
  ["a note over the limit", "off-topic", "x".repeat(MAX_NOTE + 1), "invalid_note"],
];

for (const [behaviour, reason, note, problem] of cases) {
  test(behaviour, () => assert.equal(reportProblem(reason, note), problem));
}

test("the note's limit is the server's", async () => {
  const { readFile } = await import("node:fs/promises");
  const server = await readFile(new URL("../../backend/kommentar/reports.py", import.meta.url), "utf8");
  assert.match(server, new RegExp(`^MAX_NOTE = ${MAX_NOTE}$`, "m"));
});
