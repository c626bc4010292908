// What the widget remembers per server: tokens, name, sort, and edit tokens until they expire.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { keepEditToken, openStore } from "../../widget/storage.js";

function fakeStorage() {
  const items = new Map();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
  };
}

describe("openStore", () => {
  beforeEach(() => mock.timers.enable({ apis: ["Date"], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test("values are kept per server", () => {
    const storage = fakeStorage();
    openStore("https://a.example/", storage).set("token", "A");
    openStore("https://b.example/", storage).set("token", "B");
    assert.equal(openStore("https://a.example/", storage).get("token"), "A");
    assert.equal(openStore("https://b.example/", storage).get("token"), "B");
    assert.deepEqual(
      [...storage.items.keys()],
      ["kommentar:https://a.example/", "kommentar:https://b.example/"],
    );
  });

  test("setting undefined forgets a value", () => {
    const store = openStore("s", fakeStorage());
    store.set("token", "secret");
    store.set("token", undefined);
    assert.equal(store.get("token"), undefined);
  });

  test("an edit token works until its window closes", () => {
    const store = openStore("s", fakeStorage());
    keepEditToken(store, 7, "edit-7", 900);
    assert.equal(store.editToken(7), "edit-7");
    assert.equal(store.editToken(8), null);
    mock.timers.tick(899_000);
    assert.equal(store.editToken(7), "edit-7");
    mock.timers.tick(2_000);
    assert.equal(store.editToken(7), null);
  });

  test("expired edit tokens are dropped when a new one is kept", () => {
    const storage = fakeStorage();
    const store = openStore("s", storage);
    keepEditToken(store, 1, "old", 10);
    mock.timers.tick(20_000);
    keepEditToken(store, 2, "new", 10);
    assert.deepEqual(Object.keys(JSON.parse(storage.items.get("kommentar:s")).edits), ["2"]);
  });

  test("unreadable or full storage is survived", () => {
    const broken = {
      getItem: () => "{not json",
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const store = openStore("s", broken);
    assert.equal(store.get("name"), undefined);
    assert.doesNotThrow(() => store.set("name", "Dana"));
  });

  test("without localStorage it remembers in memory", () => {
    const store = openStore("s");
    store.set("sort", "best");
    assert.equal(store.get("sort"), "best");
  });
});
