/**
 * Styling the shadow root: the stylesheet (stylesheet.js) is part of embed.js, so a thread is
 * never drawn without it and never flashes; a chunk adds the rules only it draws with. Each
 * is adopted as a constructable stylesheet, which a strict Content-Security-Policy allows.
 */

/**
 * Add `css` to the shadow root's styles: adopted where the browser can, else a <style>.
 * @param {ShadowRoot} root
 * @param {string} css
 */
export function adoptStyles(root, css) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = css;
    root.append(style);
  }
}

