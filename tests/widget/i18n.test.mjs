// Translations: plural rules in English and Danish, messages by error code, catalogs complete.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { chooseTranslator, createTranslator } from "../../widget/i18n.js";

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

  test("known codes are told in the reader's language", async () => {
    assert.equal(await english.error(error("invalid_credentials")), "Wrong username or password.");
    assert.equal(await danish.error(error("invalid_credentials")), "Forkert brugernavn eller adgangskode.");
  });

  test("a 429 says how long to wait, with the right plural", async () => {
    assert.equal(await english.error(error("rate_limited", "", 30)), "Too many requests, try again in 30 seconds.");
    assert.equal(await english.error(error("rate_limited", "", 1)), "Too many requests, try again in 1 second.");
    assert.equal(
      await danish.error(error("rate_limited", "", 30)),
      "For mange forespørgsler, prøv igen om 30 sekunder.",
    );
  });

  test("a 429 without Retry-After uses the server's words", async () => {
    assert.equal(await english.error(error("rate_limited", "Slow down.")), "Slow down.");
  });

  test("an unknown code falls back to the server's message", async () => {
    assert.equal(await danish.error(error("something_new", "Something new happened.")), "Something new happened.");
  });

  test("an unknown code without a message still says something", async () => {
    assert.equal(await english.error(error("http_502", "")), en.errors.network);
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

describe("what loads when", () => {
  // As the build makes embed.js and embed/da.js: only the errors told when nothing loads.
  const firstOf = (catalog) => ({
    ...catalog,
    errors: { network: catalog.errors.network, part_unavailable: catalog.errors.part_unavailable },
  });
  const builtIn = firstOf(en);
  const counting = () => {
    const loads = [];
    return { loads, catalogOf: (lang) => (loads.push(lang), lang == "da" ? Promise.resolve(da) : null) };
  };

  test("the first candidate with a catalog wins; English needs none", async () => {
    const { loads, catalogOf } = counting();
    assert.equal((await chooseTranslator(["fr", "da", "en"], builtIn, catalogOf)).lang, "da");
    assert.deepEqual(loads, ["fr", "da"]);
    const english = await chooseTranslator(["en", "da"], builtIn, catalogOf);
    assert.equal(english.lang, "en");
    assert.deepEqual(loads, ["fr", "da"], "nothing loaded for an English reader");
  });

  test("a language whose catalog cannot be loaded falls back to English", async () => {
    const tr = await chooseTranslator(["da", "en"], builtIn, () => Promise.reject(new Error("offline")));
    assert.equal(tr.lang, "en");
    assert.equal(tr.t("oldest"), "Oldest first");
  });

  test("English errors load with the first one told, and only once", async () => {
    const loads = [];
    const more = async (lang) => (loads.push(lang), en.errors);
    const tr = await chooseTranslator(["en"], builtIn, () => null, more);
    assert.equal(await tr.error({ code: "network" }), en.errors.network);
    assert.deepEqual(loads, [], "the network error is told without loading");
    assert.equal(await tr.error({ code: "text_empty" }), "Write something first.");
    assert.equal(await tr.error({ code: "invalid_credentials" }), "Wrong username or password.");
    assert.deepEqual(loads, ["en"]);
  });

  test("a Danish reader's errors load in Danish with the first one told, never in English", async () => {
    const loads = [];
    const more = async (lang) => (loads.push(lang), lang == "da" ? da.errors : en.errors);
    const tr = await chooseTranslator(["da"], builtIn, () => Promise.resolve(firstOf(da)), more);
    assert.equal(await tr.error({ code: "part_unavailable" }), da.errors.part_unavailable);
    assert.deepEqual(loads, [], "the built-in errors are told without loading");
    assert.equal(await tr.error({ code: "text_empty" }), da.errors.text_empty);
    assert.equal(await tr.error({ code: "invalid_credentials" }), da.errors.invalid_credentials);
    assert.deepEqual(loads, ["da"]);
  });

  test("when the English errors cannot be loaded, the server's words are told", async () => {
    const tr = await chooseTranslator(["en"], builtIn, () => null, () => Promise.reject(new Error("offline")));
    assert.equal(await tr.error({ code: "forbidden", message: "Not yours." }), "Not yours.");
    assert.equal(await tr.error({ code: "text_empty", message: "" }), en.errors.network);
  });
});

