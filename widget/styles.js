/**
 * Styling the shadow root with the stylesheet (stylesheet.js), adopted as a constructable
 * stylesheet, which a strict Content-Security-Policy allows. It is part of embed.js: a
 * thread is never drawn without it, so it costs no request of its own and never flashes.
 */

import { STYLESHEET } from "./stylesheet.js";

/**
 * Give the shadow root the widget's stylesheet: adopted where the browser can, else a <style>.
 * @param {ShadowRoot} root
 */
export function adoptStyles(root) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLESHEET);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = STYLESHEET;
    root.append(style);
  }
}

/**
 * Add `css` after the shadow root's styles: the actions chunk brings the styles of what only
 * it draws (ACTIONS_STYLESHEET). Apart from adoptStyles, whose code embed.js keeps short.
 * @param {ShadowRoot} root
 * @param {string} css
 */
export function addStyles(root, css) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets.push(sheet); // where that cannot be done, a <style> below
  } catch {
    const style = document.createElement("style");
    style.textContent = css;
    root.append(style);
  }
}
