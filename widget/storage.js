/**
 * What the widget remembers for a reader, per comment server, in localStorage:
 * the session token, the anonymous voter token, edit tokens with their expiry,
 * the name last used, the chosen sort order and when the reader last saw each thread;
 * and why a sign-in that came back to the page failed, until it is told.
 * Never cookies.
 */

/**
 * @typedef {object} Remembered
 * @property {string} [token]    session token of a signed-in reader
 * @property {string} [voter]    anonymous voter token
 * @property {string} [error]    why a sign-in at a provider that came back to the page failed, until told
 * @property {string} [link]     `NAME:PROOF`: a link to a provider that came back to the page, until made
 * @property {string} [name]     name given when commenting without an account
 * @property {string} [sort]
 * @property {Record<string, {token: string, expires: number}>} [edits]  by comment id
 * @property {Record<string, number>} [seen]  when the reader last saw a thread (ms), by its
 *                                            id or address; only the latest few hundred
 */

/**
 * @typedef {object} ReaderStore
 * @property {<K extends keyof Remembered>(key: K) => Remembered[K]} get
 * @property {<K extends keyof Remembered>(key: K, value: Remembered[K]) => void} set
 * @property {(id: number) => string | null} editToken  an unexpired edit token for a comment
 */

/**
 * The reader's store for one server. Falls back to memory where storage is blocked.
 * @param {string} server
 * @param {Pick<Storage, "getItem" | "setItem">} [storage]
 * @returns {ReaderStore}
 */
export function openStore(server, storage = localStorageOrNull() || memoryStorage()) {
  const key = "kommentar:" + server;
  /** @returns {Remembered} */
  const read = () => {
    try {
      return JSON.parse(storage.getItem(key) || "{}");
    } catch {
      return {};
    }
  };
  /** @param {Remembered} data */
  const write = (data) => {
    try {
      storage.setItem(key, JSON.stringify(data));
    } catch {
      // Storage full or blocked: the reader is simply not remembered.
    }
  };

  return {
    get: (name) => read()[name],
    set(name, value) {
      const data = read();
      data[name] = value;
      write(data);
    },
    editToken(id) {
      const grant = (read().edits || {})[id];
      return grant && grant.expires > Date.now() ? grant.token : null;
    },
  };
}

/**
 * Keep the edit token of a comment just posted for `seconds`, dropping expired ones.
 * Apart from the store: only the actions chunk keeps tokens.
 * @param {ReaderStore} store
 * @param {number} id
 * @param {string} token
 * @param {number} seconds
 */
export function keepEditToken(store, id, token, seconds) {
  const now = Date.now();
  const edits = Object.fromEntries(Object.entries(store.get("edits") || {}).filter(([, grant]) => grant.expires > now));
  edits[id] = { token, expires: now + seconds * 1000 };
  store.set("edits", edits);
}

/** The page's localStorage, or null where reading it throws (sandboxed frames, privacy modes). */
function localStorageOrNull() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** @returns {Pick<Storage, "getItem" | "setItem">} */
function memoryStorage() {
  /** @type {Map<string, string>} */
  const items = new Map();
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
}
