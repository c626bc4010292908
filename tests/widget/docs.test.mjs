// The styling API is public: every part and custom property the widget uses is documented,
// and every part the issue promises is used.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

const folder = new URL("../../widget/", import.meta.url);
const readme = readFileSync(new URL("../README.md", folder), "utf8"); // the top-level README
const sources = readdirSync(folder)
  .filter((name) => name.endsWith(".js"))
  .map((name) => readFileSync(new URL(name, folder), "utf8"))
  .join("\n");

const partsUsed = new Set(
  [...sources.matchAll(/part: ([^,}]+)/g)].flatMap((match) =>
    [...match[1].matchAll(/"([a-z-]+)"/g)].map((name) => name[1]),
  ),
);

test("every part the widget uses is documented", () => {
  for (const part of partsUsed)
    assert.ok(readme.includes("`" + part + "`"), `README.md lacks the part ${part}`);
});

test("every promised part is used", () => {
  const promised = [
    "thread",
    "header",
    "count",
    "sort",
    "comment",
    "author",
    "time",
    "body",
    "vote-up",
    "vote-down",
    "score",
    "reply",
    "quote",
    "edit",
    "delete",
    "form",
    "name",
    "textarea",
    "submit",
    "login",
    "register",
    "logout",
    "load-more",
    "error",
    "report",
    "preview",
  ];
  for (const part of promised) assert.ok(partsUsed.has(part), `no element has part="${part}"`);
});

test("every custom property is documented", () => {
  const properties = new Set([...sources.matchAll(/--kommentar-[a-z-]+[a-z]/g)].map((match) => match[0]));
  assert.ok(properties.size >= 10);
  for (const property of properties)
    assert.ok(readme.includes("`" + property + "`"), `README.md lacks ${property}`);
});
