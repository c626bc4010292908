/**
 * The widget's stylesheets, scoped to its shadow root. Themes are sets of custom properties:
 * a page restyles the widget by setting `--kommentar-*` on the container, or its parts
 * through `::part()`. STYLESHEET is part of embed.js, and styles.js adopts it;
 * ACTIONS_STYLESHEET, LIVE_STYLESHEET and ACCOUNT_STYLESHEET are in the actions, live and
 * account chunks, which add them when they load.
 */

/** Colours of the dark theme, used for data-theme="dark" and for "auto" in a dark OS. */
const DARK = `color-scheme:dark;
--kt:var(--kommentar-text,#e8eaed);--km:var(--kommentar-muted,#a9b2bc);
--kb:var(--kommentar-background,#16191d);--ks:var(--kommentar-surface,#242930);
--kl:var(--kommentar-border,#353c45);--ki:var(--kommentar-input-border,#7d8792);
--ka:var(--kommentar-accent,#8cbcff);--kat:var(--kommentar-accent-text,#0b1422);
--kh:var(--kommentar-highlight,#3d3518);--ke:var(--kommentar-error,#ff9b8f)`;

export const STYLESHEET = `
:host{display:block}
.k{color-scheme:light;
--kt:var(--kommentar-text,#1d2125);--km:var(--kommentar-muted,#59616a);
--kb:var(--kommentar-background,#fff);--ks:var(--kommentar-surface,#f1f3f5);
--kl:var(--kommentar-border,#dde1e6);--ki:var(--kommentar-input-border,#7f8790);
--ka:var(--kommentar-accent,#0b57a4);--kat:var(--kommentar-accent-text,#fff);
--kh:var(--kommentar-highlight,#fff3c4);--ke:var(--kommentar-error,#b3261e);
color:var(--kt);background:var(--kb);font-family:var(--kommentar-font,inherit);
font-size:var(--kommentar-font-size,1rem);line-height:1.55;padding:var(--kommentar-padding,0);
overflow-wrap:anywhere}
.k[data-theme=dark]{${DARK}}
@media(prefers-color-scheme:dark){.k[data-theme=auto]{${DARK}}}
*{box-sizing:border-box}
[hidden]{display:none!important}
:focus-visible{outline:2px solid var(--ka);outline-offset:2px}
button{font:inherit;color:inherit;background:none;border:0;border-radius:6px;padding:.35em .6em;cursor:pointer}
button:enabled:not(.link,.primary,[aria-pressed=true]):hover{background:var(--ks)}
header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.6em 1em;padding-bottom:.7em;border-bottom:2px solid var(--kt)}
h2{margin:0;font-size:1.4em;line-height:1.2}
.sort{display:flex;flex-wrap:wrap;gap:.3em}
.sort button{font-size:.875em;color:var(--km);border:1px solid var(--kl);border-radius:99px;padding:.3em .85em}
.sort [aria-pressed=true]{background:var(--kt);border-color:var(--kt);color:var(--kb)}
.c{border-top:1px solid var(--kl);padding-top:1.1em}
.list>.c:first-child{border:0}
.self{padding-bottom:.5em;border-radius:6px}
.self>.note{font-style:italic}
[data-highlighted]>.self{background:var(--kh);box-shadow:0 0 0 .5em var(--kh)}
.replies,.c>form{margin-left:min(1.2em,1.5vw);padding-left:min(1em,3vw);border-left:2px solid var(--kl)}
.replies:empty{display:none}
.replies>.c{border:0;padding-top:.5em}
.replies.flat{margin:0;padding:0;border:0}
.meta{display:flex;flex-wrap:wrap;align-items:center;gap:0 .6em;font-size:.9em;color:var(--km)}
.author{font-weight:700;color:var(--kt);font-size:1.05em}
.meta a{color:inherit;text-decoration:none}
.new{padding:0 .5em;border-radius:99px;background:var(--ka);color:var(--kat);font-size:.8em;font-weight:600}
.fresh{color:var(--km);font-size:.6em;font-weight:400}
footer{margin-top:1em;font-size:.875em}
footer a{color:var(--km)}
.body{margin:.45em 0 .3em}
.body>*{margin:0 0 .75em}
.body>:last-child{margin-bottom:0}
.draft{white-space:pre-line}
.body a{color:var(--ka)}
blockquote{padding:.1em 0 .1em .9em;border-left:3px solid var(--kl);color:var(--km)}
code,pre{font:.9em ui-monospace,monospace;background:var(--ks);border-radius:4px}
pre{padding:.75em;overflow:auto}
.actions{display:flex;flex-wrap:wrap;align-items:center;margin-left:-.6em;font-size:.875em}
.actions button{color:var(--km)}
.vote{display:inline-flex;align-items:center;gap:.35em;font-variant-numeric:tabular-nums}
.vote:before{content:"";width:.4em;height:.4em;margin:.2em .1em 0;border:solid;border-width:2px 2px 0 0;transform:rotate(-45deg)}
[part=vote-down]:before{margin:0 .1em .2em;transform:rotate(135deg)}
.actions [aria-pressed=true]{color:var(--ka);font-weight:700;background:var(--ks)}
.more{display:block;width:100%;margin:1em 0;border:1px solid var(--kl);font-weight:600}
.compose{margin-top:1.25em;padding-top:1.25em;border-top:1px solid var(--kl)}
form{display:grid;gap:.7em;margin:.5em 0 1em}
label{display:grid;gap:.3em;font-weight:600;font-size:.9em}
input,textarea{font:inherit;font-weight:400;font-size:1rem;color:var(--kt);background:var(--kb);border:1px solid var(--ki);border-radius:6px;padding:.55em .7em;width:100%}
textarea{min-height:7em;resize:vertical}
input:focus,textarea:focus{border-color:var(--ka);outline:1px solid var(--ka);outline-offset:0}
.hint,.note{margin:0;color:var(--km);font-size:.875em}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:.6em}
.primary{background:var(--ka);color:var(--kat);font-weight:600;padding:.55em 1.2em}
.link{color:var(--ka);text-decoration:underline;padding:0;font-weight:600}
.err{color:var(--ke);font-weight:600;margin:.3em 0}
.err:empty,.empty{display:none}
.list:empty+.empty{display:block;padding:1em 0}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/**
 * What only the actions chunk draws: the report dialog and a form's preview. The dialog
 * sits inside the thread's section, so it takes the theme's colours even in the top layer.
 */
export const ACTIONS_STYLESHEET = `
dialog{color:var(--kt);background:var(--kb);border:1px solid var(--kl);border-radius:10px;
padding:1.1em 1.4em .4em;width:min(30em,calc(100vw - 2em));max-height:calc(100vh - 2em);overflow:auto;
box-shadow:0 .75em 2.5em #0006}
dialog::backdrop{background:#0009}
dialog h2{font-size:1.2em}
dialog p{margin:.5em 0 0}
dialog form{margin-top:.8em}
dialog textarea{min-height:4.5em}
fieldset{display:grid;gap:.15em;margin:0;padding:0;border:0}
legend{padding:0 0 .35em;font-weight:600;font-size:.9em}
.choice{display:flex;align-items:center;gap:.6em;font-weight:400;font-size:1rem;padding:.15em 0;cursor:pointer}
.choice input{width:1.1em;height:1.1em;margin:0;accent-color:var(--ka)}
.preview{margin:0;min-height:7em;padding:.55em .7em;border:1px dashed var(--ki);border-radius:6px}
.row [aria-pressed=true]{color:var(--ka);font-weight:700;background:var(--ks)}
`;

/** What only the live chunk draws: the new-comments bar, the fading highlight of what arrived. */
export const LIVE_STYLESHEET = `
.live{position:sticky;top:.5em;z-index:1;display:block;margin:.8em auto;border-radius:99px;box-shadow:0 2px 10px #0004}
.flash>.self{animation:kflash 3s ease-out}
@keyframes kflash{from{background:var(--kh);box-shadow:0 0 0 .5em var(--kh)}}
@media(prefers-reduced-motion:reduce){.flash>.self{animation:none}}
.start{margin:.8em 0}
`;

/** What only the account chunk draws: the providers' buttons, the reader's sign-in methods. */
export const ACCOUNT_STYLESHEET = `
.providers{margin:.6em 0}
.providers p{margin:0 0 .5em}
[part=provider],.methods [part=submit]{border:1px solid var(--ki);font-weight:600;padding:.45em .9em}
.methods{padding:.8em 1em;border:1px solid var(--kl);border-radius:8px}
.methods p{margin:0}
.methods>p:first-child{font-weight:600}
.methods ul{list-style:none;margin:0;padding:0;display:grid;gap:.3em}
.methods li{display:flex;flex-wrap:wrap;gap:.3em .8em;align-items:baseline}
`;
