/**
 * Styling the shadow root. The stylesheet itself is stylesheet.js, a chunk; it is adopted as
 * a constructable stylesheet, which a strict Content-Security-Policy allows.
 */

/**
 * Give the shadow root the stylesheet `css`: adopted where the browser can, else a <style>.
 * @param {ShadowRoot} root
 * @param {string} css
 */
export function adoptStyles(root, css) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = css;
    root.append(style);
  }
}
