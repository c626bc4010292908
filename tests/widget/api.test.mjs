// The API client: URLs under the server's folder, bearer tokens, no credentials, typed errors.
import assert from "node:assert/strict";
import { afterEach, describe, mock, test } from "node:test";

import { ApiError, createApi, createWrites } from "../../widget/api.js";

const writes = (base) => createWrites(createApi(base));

/** Replace fetch with one that records the request and answers with `status` and `body`. */
function answer(status, body, headers = {}) {
  const calls = [];
  mock.method(globalThis, "fetch", async (url, init) => {
    calls.push({ url, ...init });
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", ...headers },
    });
  });
  return calls;
}

describe("createApi", () => {
  afterEach(() => mock.restoreAll());

  test("reads the thread from the server embed.js came from, with the query", async () => {
    const calls = answer(200, { thread: {}, comments: [], next: null });
    const api = createApi("https://comments.example/kommentar/");
    await api.thread({ url: "https://blog.example/p", id: null, sort: "best", limit: 20, after: null });
    const url = new URL(calls[0].url);
    assert.equal(url.origin + url.pathname, "https://comments.example/kommentar/api/threads");
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      url: "https://blog.example/p",
      sort: "best",
      limit: "20",
    });
    assert.equal(calls[0].method, "GET");
    assert.equal(calls[0].credentials, "omit");
    assert.deepEqual(calls[0].headers, {});
  });

  test("writes send JSON and the bearer token", async () => {
    const calls = answer(200, { up: 1, down: 0, mine: 1 });
    await writes("https://c.example/").vote(12, 1, "tok");
    assert.equal(calls[0].url, "https://c.example/api/comments/12/vote");
    assert.equal(calls[0].method, "POST");
    assert.equal(calls[0].body, '{"value":1}');
    assert.deepEqual(calls[0].headers, { "Content-Type": "application/json", Authorization: "Bearer tok" });
  });

  test("204 No Content is null", async () => {
    const calls = answer(204, null);
    assert.equal(await writes("https://c.example/").remove(3, "tok"), null);
    assert.equal(calls[0].method, "DELETE");
    assert.equal(calls[0].body, undefined);
  });

  test("log-out sends an empty JSON body, as every POST must", async () => {
    const calls = answer(204, null);
    await writes("https://c.example/").logout("tok");
    assert.equal(calls[0].body, "{}");
    assert.equal(calls[0].headers["Content-Type"], "application/json");
  });

  test("an error body becomes an ApiError with its code and message", async () => {
    answer(409, { error: { code: "username_taken", message: "Taken." } });
    await assert.rejects(
      writes("https://c.example/").register({ username: "a", password: "b" }),
      (error) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, 409);
        assert.equal(error.code, "username_taken");
        assert.equal(error.message, "Taken.");
        return true;
      },
    );
  });

  test("a 429 carries the seconds from Retry-After", async () => {
    answer(429, { error: { code: "rate_limited", message: "Slow down." } }, { "Retry-After": "30" });
    await assert.rejects(writes("https://c.example/").post({ url: "u", text: "t" }, null), {
      code: "rate_limited",
      retryAfter: 30,
    });
  });

  test("an error without a JSON body still has a code", async () => {
    mock.method(globalThis, "fetch", async () => new Response("<html>Bad gateway</html>", { status: 502 }));
    await assert.rejects(createApi("https://c.example/").config(), { code: "http_502", status: 502 });
  });

  test("an unreachable server is a network error", async () => {
    mock.method(globalThis, "fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await assert.rejects(createApi("https://c.example/").config(), { code: "network", status: 0 });
  });
});
