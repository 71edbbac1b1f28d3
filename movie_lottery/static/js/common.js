// Shared by every page: tidy poster fallbacks, times in the viewer's zone, toasts.

const dateFormat = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });
const dateFormatWithYear = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** "29 ноября, 21:40" in the viewer's zone (with the year when it is not this year). */
export function formatLocal(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const format = date.getFullYear() === new Date().getFullYear() ? dateFormat : dateFormatWithYear;
  // "29 ноября, 21:40": Intl joins date and time with " в "; the site writes them with a comma.
  return format.format(date).replace(' г.', '').replace(' в ', ', ');
}

export function localizeTimes(root = document) {
  for (const node of root.querySelectorAll('time[data-local-time]')) {
    const text = formatLocal(node.getAttribute('datetime'));
    if (text) node.textContent = text;
  }
}

function markBroken(img) {
  const poster = img.closest('.poster');
  if (poster) poster.classList.add('is-broken');
  else img.hidden = true;
}

/** Broken or missing posters fall back to the title card underneath — never a broken-image icon. */
export function watchPosters(root = document) {
  for (const img of root.querySelectorAll('img')) {
    if (img.complete && img.naturalWidth === 0 && img.getAttribute('src')) markBroken(img);
  }
}

document.addEventListener('error', (event) => {
  if (event.target instanceof HTMLImageElement) markBroken(event.target);
}, true);

/** Build a poster element with textContent only (user data never goes through innerHTML). */
export function posterElement(movie, size = 'card') {
  const poster = document.createElement('div');
  poster.className = `poster poster--${size}`;
  const fallback = document.createElement('span');
  fallback.className = 'poster__fallback';
  const title = document.createElement('span');
  title.className = 'poster__title';
  title.textContent = movie.name || '';
  fallback.append(title);
  if (movie.year) {
    const year = document.createElement('span');
    year.className = 'poster__year';
    year.textContent = String(movie.year);
    fallback.append(year);
  }
  poster.append(fallback);
  if (movie.poster && /^https?:\/\//i.test(movie.poster)) {
    const img = document.createElement('img');
    img.alt = '';
    img.decoding = 'async';
    img.referrerPolicy = 'no-referrer';
    img.src = movie.poster;
    poster.append(img);
  } else {
    poster.classList.add('is-missing');
  }
  return poster;
}

export function metaText(movie) {
  const parts = [];
  if (movie.year) parts.push(String(movie.year));
  if (movie.rating) parts.push(`★\u00a0${Number(movie.rating).toFixed(1)}`);
  if (movie.genres && movie.genres.length) parts.push(movie.genres.join(', '));
  if (movie.countries && movie.countries.length) parts.push(movie.countries.join(', '));
  return parts.join(' · ');
}

export function toast(message, kind = 'info', timeout = 5000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = document.createElement('div');
  item.className = `toast toast--${kind}`;
  item.textContent = message;
  box.append(item);
  setTimeout(() => item.remove(), timeout);
}

const PENDING_TOAST_KEY = 'ml:toast';

/** A message for the next page of this tab: shown there, where it can be read, instead of dying here. */
export function toastAfterReload(message, kind = 'info') {
  try { sessionStorage.setItem(PENDING_TOAST_KEY, JSON.stringify({ message, kind })); } catch { /* private mode */ }
}

function showPendingToast() {
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_TOAST_KEY) || 'null');
    sessionStorage.removeItem(PENDING_TOAST_KEY);
  } catch { /* nothing to show */ }
  if (pending && typeof pending.message === 'string') toast(pending.message, pending.kind, 8000);
}

export function readJsonScript(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export const prefersReducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

localizeTimes();
watchPosters();
showPendingToast();
