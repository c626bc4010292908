/**
 * Asking the server again while someone reads, for new comments (live.js) and counts
 * (counts.js): every so often while the page is visible, less and less often while it is
 * hidden or the server fails, and not at all after an hour with no sign of the reader (a
 * pointer, a key, a scroll, the page shown again), until they are back. Each answer is
 * revalidated with its ETag: when nothing changed the server answers 304 and sends nothing.
 */

const USUAL = 30; // seconds between askings, unless data-live says otherwise
const SOONEST = 5;
const IDLE_MS = 3600 * 1000; // no sign of the reader this long: stop asking
const SLOWEST = 16; // hidden or failing, the wait doubles up to this many times the usual
const TIMEOUT_MS = 15000;

/**
 * How often (seconds) to ask for new comments and counts: data-live="off" never (0), a number
 * of seconds (at least 5), else every 30.
 * @param {string | undefined} value
 */
export function liveSeconds(value) {
  const seconds = Number(value);
  return value == "off" ? 0 : seconds >= SOONEST ? seconds : USUAL;
}

/**
 * Call `ask` every `seconds`, as described above. The first call is at once.
 * @param {number} seconds
 * @param {() => Promise<void>} ask  a rejection counts as a failure, and slows the asking
 */
export function keepAsking(seconds, ask) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let asleep = false;
  let slower = 1;
  let asked = 0; // when `ask` last began
  let active = Date.now(); // the last sign of the reader

  async function run() {
    timer = undefined;
    if (Date.now() - active > IDLE_MS) {
      asleep = true; // the reader's next move wakes it
      return;
    }
    asked = Date.now();
    let failed = false;
    try {
      await ask();
    } catch {
      failed = true;
    }
    slower = failed || document.hidden ? Math.min(slower * 2, SLOWEST) : 1;
    later(seconds * 1000 * slower);
  }

  /** Run after `ms`, instead of when it was due. */
  function later(/** @type {number} */ ms) {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  function stir() {
    active = Date.now();
    if (asleep) {
      asleep = false;
      run();
    }
  }

  for (const move of ["pointerdown", "keydown", "scroll", "wheel", "touchstart"]) {
    addEventListener(move, stir, { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    stir();
    // Shown again: what was due meanwhile is asked for now, then at the usual pace.
    slower = 1;
    const due = asked + seconds * 1000 - Date.now();
    if (timer && due > 0) later(due);
    else if (timer) {
      clearTimeout(timer);
      run();
    }
  });
  run();
}

/**
 * GET `url` unless it is still what `tag` names: null when the server answers 304, else the
 * parsed answer and its ETag. A failure rejects.
 * @param {URL} url
 * @param {string} tag  the ETag of the last answer, "" for none
 * @returns {Promise<{body: any, tag: string} | null>}
 */
export async function changed(url, tag) {
  /** @type {Record<string, string>} */
  const headers = tag ? { "If-None-Match": tag } : {};
  // no-store: the answer is compared here, with the tag kept here, not by the browser's cache.
  const response = await fetch(url.href, {
    headers,
    cache: "no-store",
    credentials: "omit",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (response.status == 304) return null;
  if (!response.ok) throw new Error("HTTP " + response.status);
  return { body: await response.json(), tag: response.headers.get("ETag") || "" };
}
