// Pure formatting: relative and exact times, shortened links, quotes as Markdown.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { exactTime, quoteMarkdown, relativeTime, shortenUrl } from "../../widget/format.js";

const NOW = new Date("2026-11-25T16:47:08Z");
const before = (seconds) => new Date(NOW.getTime() - seconds * 1000);

describe("relativeTime", () => {
  const cases = [
    [0, "en", "now"],
    [30, "en", "now"],
    [60, "en", "1 minute ago"],
    [5 * 60, "en", "5 minutes ago"],
    [3600, "en", "1 hour ago"],
    [3 * 3600 + 59 * 60, "en", "3 hours ago"],
    [86400, "en", "yesterday"],
    [3 * 86400, "en", "3 days ago"],
    [8 * 86400, "en", "last week"],
    [40 * 86400, "en", "last month"],
    [400 * 86400, "en", "last year"],
    [3 * 365 * 86400, "en", "3 years ago"],
    [0, "da", "nu"],
    [60, "da", "for 1 minut siden"],
    [2 * 3600, "da", "for 2 timer siden"],
    [86400, "da", "i går"],
  ];
  for (const [seconds, lang, expected] of cases) {
    test(`${seconds}s ago in ${lang} reads "${expected}"`, () => {
      assert.equal(relativeTime(before(seconds), NOW, lang), expected);
    });
  }

  test("a time slightly in the future (a fast server clock) reads as now", () => {
    assert.equal(relativeTime(before(-90), NOW, "en"), "now");
  });
});

describe("exactTime", () => {
  test("gives the date and the time of day", () => {
    const text = exactTime(NOW, "en");
    assert.match(text, /November 25, 2026/);
    assert.match(text, /\d{1,2}:47/);
  });

  test("speaks the reader's language", () => {
    assert.match(exactTime(NOW, "da"), /25\. november 2026/);
  });
});

describe("shortenUrl", () => {
  test("drops the scheme and www.", () => {
    assert.equal(shortenUrl("https://www.example.com/page"), "example.com/page");
  });

  test("keeps a short address whole, without a trailing slash", () => {
    assert.equal(shortenUrl("http://example.com/"), "example.com");
  });

  test("cuts a long address with an ellipsis at the limit", () => {
    const long = "https://www.denoffentlige.dk/samkoersel-af-registre-er-et-upraecist-opsporingsvaerktoej";
    const short = shortenUrl(long, 40);
    assert.equal(short.length, 40);
    assert.ok(short.endsWith("…"));
    assert.ok(short.startsWith("denoffentlige.dk/samkoersel"));
  });

  test("defaults to 48 characters", () => {
    assert.equal(shortenUrl("https://example.com/" + "a".repeat(100)).length, 48);
  });
});

describe("quoteMarkdown", () => {
  test("prefixes every line and leaves a blank line to answer below", () => {
    assert.equal(quoteMarkdown("One line."), "> One line.\n\n");
  });

  test("keeps paragraphs apart inside the quote", () => {
    assert.equal(quoteMarkdown("First.\n\nSecond.\nThird."), "> First.\n>\n> Second.\n> Third.\n\n");
  });

  test("trims the selection and collapses runs of blank lines", () => {
    assert.equal(quoteMarkdown("\n  Hello  \r\n\r\n\r\n\r\nWorld \n"), "> Hello\n>\n> World\n\n");
  });
});
