// Sign-in with providers: the answer a redirect brings back, where a sign-in starts, and
// which popup message to believe.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { landedAnswer, popupAnswer, startAddress } from "../../widget/signin.js";

describe("landedAnswer", () => {
  test("a token in the fragment is a session to keep", () => {
    assert.deepEqual(landedAnswer("#kommentar-token=abc.DEF-_1"), ["token", "abc.DEF-_1"]);
  });

  test("an error in the fragment is its code", () => {
    assert.deepEqual(landedAnswer("#kommentar-error=sign_in_cancelled"), ["error", "sign_in_cancelled"]);
  });

  const others = ["", "#", "#kommentar-42", "#comment-7", "#kommentar-token=", "#x-kommentar-token=a", "#kommentar-user=a"];
  for (const hash of others) {
    test(`the page's own fragment ${JSON.stringify(hash)} is left alone`, () => {
      assert.equal(landedAnswer(hash), null);
    });
  }
});

describe("startAddress", () => {
  const page = { origin: "https://blog.example", href: "https://blog.example/post?x=1#kommentar-token=old" };

  test("a popup sign-in names the page's origin, and the page to come back to if cut off", () => {
    const url = new URL(startAddress("https://comments.example/", "github", page, "popup"));
    assert.equal(url.origin + url.pathname, "https://comments.example/auth/github/start");
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      origin: "https://blog.example",
      mode: "popup",
      return: "https://blog.example/post?x=1",
    });
  });

  test("a redirect comes back to the page without its fragment", () => {
    const url = new URL(startAddress("https://comments.example/", "google", page, "redirect"));
    assert.equal(url.searchParams.get("mode"), "redirect");
    assert.equal(url.searchParams.get("return"), "https://blog.example/post?x=1");
  });

  test("a link carries its ticket", () => {
    const url = new URL(startAddress("https://comments.example/", "gitlab", page, "popup", "T1"));
    assert.equal(url.searchParams.get("link"), "T1");
  });

  test("a server under a path keeps it", () => {
    const url = new URL(startAddress("https://example.org/comments/", "test-id", page, "popup"));
    assert.equal(url.pathname, "/comments/auth/test-id/start");
  });
});

describe("popupAnswer", () => {
  const server = "https://comments.example/";
  const popup = { name: "the popup" };
  const signedIn = { type: "kommentar:signed-in", token: "T", user: { id: 1, username: "ada" } };
  const message = (changes) => ({ origin: "https://comments.example", source: popup, data: signedIn, ...changes });

  test("the popup's sign-in from the server is a session", () => {
    assert.deepEqual(popupAnswer(message({}), server, popup), { token: "T", user: signedIn.user });
  });

  test("the popup's failure is its code and message", () => {
    const data = { type: "kommentar:sign-in-failed", code: "identity_taken", message: "Taken." };
    assert.deepEqual(popupAnswer(message({ data }), server, popup), { code: "identity_taken", message: "Taken." });
  });

  test("a message from another origin is ignored", () => {
    assert.equal(popupAnswer(message({ origin: "https://evil.example" }), server, popup), null);
  });

  test("a message from another window of the server's origin is ignored", () => {
    assert.equal(popupAnswer(message({ source: { name: "another" } }), server, popup), null);
    assert.equal(popupAnswer(message({ source: null }), server, null), null);
  });

  test("a message of another shape is ignored", () => {
    const shapes = [null, "T", { type: "kommentar:signed-in", user: {} }, { type: "other", token: "T", user: {} }];
    for (const data of shapes) {
      assert.equal(popupAnswer(message({ data }), server, popup), null);
    }
  });
});

describe("links to make", () => {
  test("a link that came back in the address is kept as NAME:PROOF", () => {
    assert.deepEqual(landedAnswer("#kommentar-link=github:p.abc.def"), ["link", "github:p.abc.def"]);
  });

  test("a popup's proof is believed only from the server and the popup", () => {
    const popup = {};
    const event = { origin: "https://comments.example", source: popup, data: { type: "kommentar:link-ready", proof: "p.x" } };
    assert.deepEqual(popupAnswer(event, "https://comments.example/", popup), { proof: "p.x" });
    assert.equal(popupAnswer({ ...event, source: {} }, "https://comments.example/", popup), null);
    assert.equal(popupAnswer({ ...event, origin: "https://evil.example" }, "https://comments.example/", popup), null);
    assert.equal(popupAnswer({ ...event, data: { type: "kommentar:link-ready", proof: 5 } }, "https://comments.example/", popup), null);
  });
});
