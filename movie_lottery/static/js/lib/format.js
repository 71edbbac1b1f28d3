// Words and dates as the site writes them: times in the viewer's zone, a movie's line, Russian plurals.

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

/** The server writes times in UTC (the page may be kept rendered for everyone): each viewer reads their own. */
export function localizeTimes(root = document) {
  for (const node of root.querySelectorAll('time[data-local-time]')) {
    const text = formatLocal(node.getAttribute('datetime'));
    if (text) node.textContent = text;
  }
}

/** Today in the viewer's zone, as a date field takes it: a movie night is tonight here, whatever UTC says. */
export function localToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function metaText(movie) {
  const parts = [];
  if (movie.year) parts.push(String(movie.year));
  if (movie.rating) parts.push(`★\u00a0${Number(movie.rating).toFixed(1)}`);
  if (movie.genres && movie.genres.length) parts.push(movie.genres.join(', '));
  if (movie.countries && movie.countries.length) parts.push(movie.countries.join(', '));
  return parts.join(' · ');
}

/** The Russian form for ``n``: plural(5, 'фильм', 'фильма', 'фильмов') is «фильмов». */
export function plural(n, one, few, many) {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}
