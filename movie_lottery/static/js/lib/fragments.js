// Parts of a page rendered by the server, swapped in by a script: every word in them is the server's, and
// user data only ever arrives inside HTML the server rendered and escaped.

const FOCUSABLE = 'button, summary, input, select, textarea, a[href]';

/** The first element of an HTML text, parsed inert (a <template> runs no script and loads no image). */
export function fromHtml(html) {
  const template = document.createElement('template');
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

/** A copy without what only this page changed (the token, open boxes, today, the countdown, styles). */
function normalised(node) {
  const copy = node.cloneNode(true);
  for (const input of copy.querySelectorAll('input[name="csrf_token"]')) input.setAttribute('value', '');
  for (const box of copy.querySelectorAll('details')) box.removeAttribute('open');
  for (const button of copy.querySelectorAll('button[data-today]')) button.setAttribute('value', '');
  for (const input of copy.querySelectorAll('input[type="date"]')) input.removeAttribute('max');
  for (const time of copy.querySelectorAll('time[data-countdown]')) {
    if (time.dataset.serverText) time.textContent = time.dataset.serverText;
    delete time.dataset.serverText;
  }
  for (const element of copy.querySelectorAll('[aria-busy]')) element.removeAttribute('aria-busy');
  for (const element of copy.querySelectorAll('[data-busy]')) element.removeAttribute('data-busy');
  // The Content-Security-Policy refuses style attributes in the server's HTML: any here is a script's.
  for (const element of copy.querySelectorAll('[style]')) element.removeAttribute('style');
  return copy;
}

/** Do two renderings of a part say the same (whatever this page did to its copy)? */
export const sameFragment = (a, b) => normalised(a).isEqualNode(normalised(b));

// The same control in the fresh part: by its accessible name, else by what it is (not its value: the heart's
// flips between 1 and 0 as it is pressed).
const focusKey = (node) => node.getAttribute('aria-label')
  || [node.tagName, node.getAttribute('name'), node.getAttribute('formaction'), node.className, node.textContent.trim()].join('|');

/**
 * Put ``fresh``'s attributes and content into ``old`` unless they say the same; keep open boxes open and the
 * focus (on the same control, else the first one, else ``fallbackFocus(old)``). ``old`` itself stays in
 * the page, so a live region announces its new content. True when something changed.
 */
export function swap(old, fresh, { fallbackFocus } = {}) {
  if (sameFragment(old, fresh)) return false;
  const open = new Set([...old.querySelectorAll('details[open]')].map((box) => box.className));
  for (const box of fresh.querySelectorAll('details')) if (open.has(box.className)) box.open = true;
  const focused = old.contains(document.activeElement) ? document.activeElement : null;
  for (const { name } of [...old.attributes]) if (!fresh.hasAttribute(name)) old.removeAttribute(name);
  for (const { name, value } of fresh.attributes) old.setAttribute(name, value);
  old.replaceChildren(...fresh.childNodes);
  if (focused && !old.contains(focused)) {
    const candidates = [...old.querySelectorAll(FOCUSABLE)].filter((node) => !node.closest('[hidden]'));
    const same = candidates.find((node) => focusKey(node) === focusKey(focused));
    const target = same || candidates[0] || (fallbackFocus && fallbackFocus(old));
    if (target) {
      if (!target.matches(FOCUSABLE)) target.tabIndex = -1;
      target.focus();
    }
  }
  return true;
}
