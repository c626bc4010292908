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
