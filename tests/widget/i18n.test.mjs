// Translations: plural rules in English and Danish, messages by error code, catalogs complete.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { createTranslator } from "../../widget/i18n.js";

const folder = new URL("../../widget/i18n/", import.meta.url);
const load = (lang) => JSON.parse(readFileSync(new URL(`${lang}.json`, folder), "utf8"));
const en = load("en");
const da = load("da");
const english = createTranslator("en", en);
const danish = createTranslator("da", da, en);

describe("plurals", () => {
  const cases = [
    [english, 0, "0 comments"],
    [english, 1, "1 comment"],
    [english, 2, "2 comments"],
    [english, 1234, "1234 comments"],
    [danish, 0, "0 kommentarer"],
    [danish, 1, "1 kommentar"],
    [danish, 2, "2 kommentarer"],
    [danish, 1234, "1234 kommentarer"],
  ];
  for (const [tr, n, expected] of cases) {
    test(`${tr.lang}: ${n} -> "${expected}"`, () => {
      assert.equal(tr.t("count", { n }), expected);
    });
  }

  test("the header count", () => {
    assert.equal(english.t("comments", { n: 20 }), "Comments (20)");
    assert.equal(danish.t("comments", { n: 20 }), "Kommentarer (20)");
  });
});

describe("texts", () => {
  test("the sort choices of the reference site", () => {
    assert.deepEqual(
      ["oldest", "newest", "best"].map((key) => danish.t(key)),
      ["Ældste først", "Nyeste først", "Bedste først"],
    );
    assert.deepEqual(
      ["oldest", "newest", "best"].map((key) => english.t(key)),
      ["Oldest first", "Newest first", "Best first"],
    );
  });

  test("placeholders are filled with text", () => {
    assert.equal(english.t("signedIn", { name: "<b>ann</b>" }), "Signed in as <b>ann</b>");
  });

  test("a key missing from a language falls back to English", () => {
    const partial = createTranslator("da", { reply: "Svar" }, en);
    assert.equal(partial.t("quote"), "Quote");
    assert.equal(partial.t("reply"), "Svar");
  });
});

describe("errors", () => {
  const error = (code, message = "From the server.", retryAfter = 0) => ({ code, message, retryAfter });

  test("known codes are told in the reader's language", () => {
    assert.equal(english.error(error("invalid_credentials")), "Wrong username or password.");
    assert.equal(danish.error(error("invalid_credentials")), "Forkert brugernavn eller adgangskode.");
  });

  test("a 429 says how long to wait, with the right plural", () => {
    assert.equal(english.error(error("rate_limited", "", 30)), "Too many requests, try again in 30 seconds.");
    assert.equal(english.error(error("rate_limited", "", 1)), "Too many requests, try again in 1 second.");
    assert.equal(
      danish.error(error("rate_limited", "", 30)),
      "For mange forespørgsler, prøv igen om 30 sekunder.",
    );
  });

  test("a 429 without Retry-After uses the server's words", () => {
    assert.equal(english.error(error("rate_limited", "Slow down.")), "Slow down.");
  });

  test("an unknown code falls back to the server's message", () => {
    assert.equal(danish.error(error("something_new", "Something new happened.")), "Something new happened.");
  });

  test("an unknown code without a message still says something", () => {
    assert.equal(english.error(error("http_502", "")), en.errors.network);
  });

  test("every code of the API contract has a message in every language", () => {
    const codes = [
      "invalid_input",
      "invalid_url",
      "text_too_long",
      "text_empty",
      "name_required",
      "invalid_parent",
      "thread_locked",
      "login_required",
      "unauthorized",
      "forbidden",
      "not_found",
      "edit_expired",
      "username_taken",
      "invalid_credentials",
      "weak_password",
      "rate_limited",
      "too_large",
      "origin_not_allowed",
    ];
    for (const catalog of [en, da]) {
      for (const code of codes) assert.ok(catalog.errors[code], code);
    }
  });
});

describe("catalogs", () => {
  /** Every key path of a catalog, e.g. "errors.rate_limited.one". */
  const keys = (value, prefix = "") =>
    typeof value == "string"
      ? [prefix]
      : Object.entries(value).flatMap(([key, inner]) => keys(inner, prefix ? `${prefix}.${key}` : key));

  for (const file of readdirSync(folder).filter((name) => name.endsWith(".json"))) {
    test(`${file} has exactly the keys of en.json`, () => {
      const catalog = JSON.parse(readFileSync(new URL(file, folder), "utf8"));
      const theirs = new Set(keys(catalog).map((key) => key.replace(/\.(zero|one|two|few|many|other)$/, "")));
      const ours = new Set(keys(en).map((key) => key.replace(/\.(zero|one|two|few|many|other)$/, "")));
      assert.deepEqual([...theirs].sort(), [...ours].sort());
    });
  }
});
