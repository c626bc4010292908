// The loader's configuration: data attributes over defaults, and the language to use.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { languageCandidates, readOptions } from "../../widget/options.js";

const PAGE = { href: "https://blog.example/posts/bread?ref=home#top", title: "Bread" };

describe("readOptions", () => {
  test("defaults: the page's address without its fragment, its title, auto theme", () => {
    assert.deepEqual(readOptions([{}, {}], PAGE), {
      url: "https://blog.example/posts/bread?ref=home",
      id: null,
      title: "Bread",
      lang: null,
      theme: "auto",
      sort: null,
      pageSize: 20,
      live: undefined,
    });
  });

  test("the container's attributes win over the script's", () => {
    const script = { url: "https://blog.example/a", lang: "da", theme: "dark", sort: "best" };
    const container = { kommentar: "", url: "https://blog.example/b", sort: "newest" };
    const options = readOptions([script, container], PAGE);
    assert.equal(options.url, "https://blog.example/b");
    assert.equal(options.lang, "da");
    assert.equal(options.theme, "dark");
    assert.equal(options.sort, "newest");
  });

  test("a relative data-url is resolved against the page", () => {
    assert.equal(readOptions([{ url: "/posts/other" }], PAGE).url, "https://blog.example/posts/other");
  });

  test("id and title", () => {
    const options = readOptions([{ id: "post-17", title: "Another title" }], PAGE);
    assert.equal(options.id, "post-17");
    assert.equal(options.title, "Another title");
  });

  const invalid = [
    ["theme", "purple", "theme", "auto"],
    ["sort", "random", "sort", null],
    ["pageSize", "0", "pageSize", 20],
    ["pageSize", "-3", "pageSize", 20],
    ["pageSize", "2.5", "pageSize", 20],
    ["pageSize", "many", "pageSize", 20],
    ["pageSize", "5000", "pageSize", 100],
    ["pageSize", "7", "pageSize", 7],
  ];
  for (const [attribute, value, option, expected] of invalid) {
    test(`data-${attribute}="${value}" gives ${option} ${expected}`, () => {
      assert.equal(readOptions([{ [attribute]: value }], PAGE)[option], expected);
    });
  }
});

describe("languageCandidates", () => {
  test("data-lang, then <html lang>, then the browser, then English", () => {
    assert.deepEqual(languageCandidates(["da", "en-GB", "sv-SE", "de"]), ["da", "en", "sv", "de", "en"]);
  });

  test("missing values are skipped and region subtags dropped", () => {
    assert.deepEqual(languageCandidates([null, "", "da-DK"]), ["da", "en"]);
  });

  test("nonsense never becomes a file name", () => {
    assert.deepEqual(languageCandidates(["../../etc", "x", "DA_dk"]), ["da", "en"]);
  });
});
