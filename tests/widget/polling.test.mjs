// Revalidating what is polled: the last ETag goes with the request, a 304 is "nothing new".
import assert from "node:assert/strict";
import { afterEach, describe, mock, test } from "node:test";

import { changed } from "../../widget/polling.js";

/** Replace fetch with one that records the request and answers with `status`. */
function answer(status, body = null, headers = {}) {
  const calls = [];
  mock.method(globalThis, "fetch", async (url, init) => {
    calls.push({ url, ...init });
    return new Response(body === null ? null : JSON.stringify(body), { status, headers });
  });
  return calls;
}

describe("changed", () => {
  afterEach(() => mock.restoreAll());
  const url = new URL("https://c.example/api/counts?url=https%3A%2F%2Fs%2Fa");

  test("the first asking sends no tag and keeps the answer's", async () => {
    const calls = answer(200, { counts: { a: 1 } }, { ETag: '"v1"' });
    assert.deepEqual(await changed(url, ""), { body: { counts: { a: 1 } }, tag: '"v1"' });
    assert.deepEqual(calls[0].headers, {});
    assert.equal(calls[0].credentials, "omit");
    assert.equal(calls[0].cache, "no-store");
  });

  test("a 304 to the last tag is nothing new", async () => {
    const calls = answer(304);
    assert.equal(await changed(url, '"v1"'), null);
    assert.deepEqual(calls[0].headers, { "If-None-Match": '"v1"' });
  });

  test("an error status rejects, so the asking slows down", async () => {
    answer(503, { error: { code: "unavailable" } });
    await assert.rejects(changed(url, '"v1"'));
  });
});
