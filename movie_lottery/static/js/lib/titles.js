// Titles on posters and in lists: whole words, never cut in the middle ("Красна / я дверь").

// Titles set in big type on a narrow card may shrink a little; names in lists keep their size and only
// break at syllables.
const SHRINKABLE = '.poster__title, .winner-card__title';
const FIT_SELECTOR = `${SHRINKABLE}, .library-card__title, .candidate__name, .history__title, .poster-grid__name, .search-result__name`;
const SMALLEST_SCALE = 0.7;
const SOFT_HYPHEN = '\u00ad';
const VOWELS = /[аеёиоуыэюя]/;
const CONSONANTS = /[бвгджзклмнпрстфхцчшщ]/;
const SIGNS = /[йъь]/;

/** May a Russian word (lower case) break before its letter `i`, the last break being before `from`?
 *  Each part keeps two letters and a vowel; й, ъ, ь never start one; the break falls after a vowel before
 *  a consonant and a vowel (ма-ши-на), between consonants (кош-ка), between vowels (по-эт) or after й, ъ, ь
 *  (май-ка). */
function canBreakBefore(word, i, from) {
  if (i - from < 2 || word.length - i < 2) return false;
  if (!VOWELS.test(word.slice(from, i)) || !VOWELS.test(word.slice(i)) || SIGNS.test(word[i])) return false;
  const [before, at, after] = [word[i - 1], word[i], word[i + 1]];
  if (SIGNS.test(before)) return true;
  if (VOWELS.test(before)) return VOWELS.test(at) || (CONSONANTS.test(at) && VOWELS.test(after));
  return CONSONANTS.test(before) && CONSONANTS.test(at);
}

/** Soft hyphens where Russian words may break: the browser breaks there, with a hyphen, and only if needed. */
export function hyphenate(text) {
  return text.replace(/[а-яё]{4,}/gi, (word) => {
    const lower = word.toLowerCase();
    const parts = [];
    let from = 0;
    for (let i = 2; i <= word.length - 2; i += 1) {
      if (!canBreakBefore(lower, i, from)) continue;
      parts.push(word.slice(from, i));
      from = i;
    }
    parts.push(word.slice(from));
    return parts.join(SOFT_HYPHEN);
  });
}

function overflows(element) {
  // The room first: with whole words, a grid or flex item could widen to its longest one.
  const style = getComputedStyle(element);
  const room = element.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  element.style.overflowWrap = 'normal'; // measure whole words: the stylesheet's rule would cut them to fit
  const text = document.createRange();
  text.selectNodeContents(element);
  const over = text.getBoundingClientRect().width > room + 0.01; // to the fraction: scrollWidth rounds
  element.style.overflowWrap = '';
  if (!element.getAttribute('style')) element.removeAttribute('style');
  return over;
}

/** Make every word of a title fit its width: a smaller type first (titles), then breaks at Russian syllables. */
export function fitWords(element) {
  if (element.children.length || !element.clientWidth) return;
  element.style.removeProperty('font-size');
  const plain = element.textContent.replaceAll(SOFT_HYPHEN, '');
  if (plain !== element.textContent) element.textContent = plain;
  if (!overflows(element)) return;
  const size = parseFloat(getComputedStyle(element).fontSize);
  const smallest = element.matches(SHRINKABLE) ? SMALLEST_SCALE : 1;
  for (let scale = 0.9; scale >= smallest - 0.001; scale -= 0.1) {
    element.style.fontSize = `${(size * scale).toFixed(2)}px`;
    if (!overflows(element)) return;
  }
  element.textContent = hyphenate(plain);
}

const fittedWidth = new WeakMap();
const sizer = 'ResizeObserver' in window ? new ResizeObserver((entries) => {
  for (const { target, contentRect } of entries) {
    const { width } = contentRect; // to the fraction: a scrollbar appearing takes a few pixels, or one
    if (fittedWidth.get(target) === width) continue; // its own new height: nothing to refit
    fittedWidth.set(target, width);
    fitWords(target);
  }
}) : null;

/** Fit titles now and whenever their width changes (a turned phone, a reel copy, a card added later). */
export function watchTitles(root = document) {
  if (!sizer) return;
  if (root.matches && root.matches(FIT_SELECTOR)) sizer.observe(root);
  for (const element of root.querySelectorAll(FIT_SELECTOR)) sizer.observe(element);
}

/** Fit every title added to the page later too (a fragment swapped in, a card built by a script). */
export function watchNewTitles() {
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) watchTitles(node);
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
}
