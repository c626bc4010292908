/**
 * Shapes shared by the widget's modules: what the server sends and what the loader reads.
 * Types only; nothing here runs.
 */

/** @typedef {"oldest" | "newest" | "best"} Sort */
/** @typedef {"light" | "dark" | "auto"} Theme */

/**
 * The site's rules, from `GET /api/config`.
 * @typedef {object} SiteConfig
 * @property {boolean} anonymous     comments without an account (with a name) are allowed
 * @property {"anyone" | "accounts"} voting
 * @property {number} max_length
 * @property {number} edit_window    seconds an anonymous author may edit or delete
 * @property {string} form_token     a signed timestamp: posts faster than a person types are spam
 * @property {boolean} account_edit   account holders may edit and delete their own comments
 * @property {boolean} mail           the server sends mail: reply notifications, address
 *                                    verification, password resets
 * @property {boolean} reports        readers may report comments to the moderators
 * @property {Provider[]} [providers] where readers may sign in besides a password, in the site's order
 * @property {boolean} [local_accounts] false: no usernames and passwords, only providers
 */

/** @typedef {{name: string, label: string}} Provider  a sign-in provider: its name in addresses, its label on buttons */

/**
 * @typedef {object} Author
 * @property {string} name
 * @property {number | null} id      the account id, null for anonymous comments
 */

/**
 * One comment as the server sends it; `html` is sanitised by the server.
 * @typedef {object} Comment
 * @property {number} id
 * @property {number | null} parent
 * @property {Author} author
 * @property {string} html
 * @property {string} [text]         the Markdown source, when the server sends it
 * @property {string} created
 * @property {string | null} edited
 * @property {number} up
 * @property {number} down
 * @property {boolean} deleted
 * @property {Comment[]} replies
 * @property {string} [edit_token]   only in the answer to the anonymous author's POST
 * @property {"on" | "requested"} [notify]  only when the POST asked to be mailed replies
 * @property {"published" | "pending"} [status]
 */

/**
 * @typedef {object} ThreadInfo
 * @property {string} url
 * @property {string} title
 * @property {number} count
 * @property {boolean} locked
 */

/** @typedef {{thread: ThreadInfo, comments: Comment[], next: string | null}} ThreadPage */

/**
 * A signed-in reader, as the server tells them about themselves.
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {string} created
 * @property {string | null} [email]           only the owner's own
 * @property {string | null} [email_verified]
 * @property {Provider[]} [providers]         the providers linked to the account
 * @property {boolean} [password]             whether the account has a password to log in with
 */

/**
 * What one thread on the page is configured with (data attributes over defaults).
 * @typedef {object} Options
 * @property {string} url            the page address the thread belongs to
 * @property {string | null} id      an explicit thread id, when the site has one
 * @property {string} title
 * @property {string | null} lang
 * @property {Theme} theme
 * @property {Sort | null} sort      the site's default order; a reader's own choice wins
 * @property {number} pageSize
 * @property {string} [live]         data-live: how often to ask for new comments (polling.js)
 */

export {};
