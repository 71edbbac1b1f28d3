// The search box (partials/search.html): search as you type (debounced, earlier requests cancelled), keyboard
// navigable. Kinopoisk, and — where the box says data-library (the builder) — the group's own library first:
// a library movie comes in with everything the library keeps of it (poster, genres, rating), not as a bare
// title. A pick is announced as a `movie:add` event on document; the page's list decides whether it fits.

import { api } from './api.js';
import { metaText } from './format.js';
import { posterElement } from './posters.js';

const DEBOUNCE_MS = 400;
const LINK = /kinopoisk\.ru\/(film|series)\/\d+/i;
const LIBRARY_SHOWN = 6; // the first few matches: the owner is typing a title, not browsing
const STATUS_WORDS = { want: 'хочу посмотреть', watched: 'посмотрели', excluded: 'не предлагать' };
// A library row's fields that make a lottery's movie (POST /api/lotteries); the rest is the library's own.
const MOVIE_FIELDS = ['kinopoisk_id', 'name', 'year', 'poster', 'description', 'rating', 'genres', 'countries',
  'poster_preview', 'rating_imdb', 'length', 'trailer_url', 'kinopoisk_url'];

export const fold = (text) => text.toLocaleLowerCase('ru').replaceAll('ё', 'е').trim();

/** The title typed first («брат» → «Брат» before «Брат 2»), then titles that start so, then the rest (the
 *  library's order, newest first, within each). */
export function byCloseness(rows, query) {
  const typed = fold(query);
  const rank = (row) => {
    const name = fold(row.name);
    if (name === typed) return 0;
    return name.startsWith(typed) ? 1 : 2;
  };
  return rows.map((row, index) => ({ row, index, rank: rank(row) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ row }) => row);
}

/** The library's own movie for a title typed by hand (the same title, and the same year when one was
 *  typed), or null: «БРАТ» 1997 comes in as the library's «Брат» with its genres, not as a bare title. */
export async function libraryMovieNamed(name, year) {
  try {
    const { data } = await api(`/api/library?q=${encodeURIComponent(name)}&status=all`);
    const typed = fold(name);
    const row = data.movies.find((movie) => fold(movie.name) === typed && (!year || movie.year === year));
    return row ? libraryCandidate(row) : null;
  } catch {
    return null; // the library is a courtesy here: the typed movie still goes in
  }
}

/** A library movie as a candidate: its movie fields (empty ones left out) and ``library_id``. */
export function libraryCandidate(row) {
  const movie = { library_id: row.id };
  for (const field of MOVIE_FIELDS) {
    const value = row[field];
    if (value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && !value.length)) movie[field] = value;
  }
  return movie;
}

/** Make one search box (its root carries data-search) work. */
export function setupSearch(root) {
  const input = root.querySelector('input[type="search"]');
  const results = root.querySelector('.search__results');
  const status = root.querySelector('.search__status');
  const spinner = root.querySelector('.spinner');
  const template = root.querySelector('#search-result-template');
  const minChars = Number(root.dataset.minChars) || 1; // the server's minimum, written into the page
  const fromLibrary = 'library' in root.dataset;
  const fromKinopoisk = root.dataset.kinopoisk !== '0';
  let timer = null;
  let controller = null;
  let lastQuery = '';

  const setStatus = (text, kind = '') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  const pick = (movie) => document.dispatchEvent(new CustomEvent('movie:add', { detail: movie }));

  function resultItem(movie, candidate, note) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.querySelector('.poster').replaceWith(posterElement({ ...movie, poster: movie.poster_preview || movie.poster }, 'thumb'));
    item.querySelector('.search-result__name').textContent = movie.name;
    item.querySelector('.search-result__meta').textContent = metaText({ ...movie, countries: [] });
    if (note) { // the library's word on it
      const line = item.querySelector('.search-result__note');
      line.hidden = false;
      line.textContent = `В библиотеке: ${note.text}`;
      line.dataset.status = note.status;
    }
    const add = item.querySelector('.search-result__add');
    add.setAttribute('aria-label', `Добавить «${movie.name}»`);
    add.addEventListener('click', () => pick(candidate));
    return item;
  }

  function group(title) {
    const item = document.createElement('li');
    item.className = 'search__group';
    item.textContent = title;
    return item;
  }

  /** The library's matches first (under their own heading when Kinopoisk's follow), then Kinopoisk's hits
   *  that are not among them. */
  function render(kept, found) {
    const keptIds = new Set(kept.map((row) => row.id));
    const fresh = found.filter((movie) => !(movie.library && keptIds.has(movie.library.id)));
    const items = [];
    if (kept.length && fromKinopoisk) items.push(group('В библиотеке'));
    for (const row of kept) {
      const note = row.note || { status: row.status, text: STATUS_WORDS[row.status] || row.status };
      items.push(resultItem(row, { ...libraryCandidate(row), library: note }, note));
    }
    if (kept.length && fresh.length) items.push(group('На Кинопоиске'));
    for (const movie of fresh) items.push(resultItem(movie, movie, movie.library));
    results.replaceChildren(...items);
    return kept.length + fresh.length;
  }

  /** The library's first matches, each with the library's sentence about it («смотрели 3 марта»). */
  async function searchLibrary(query, signal) {
    if (!fromLibrary) return [];
    const { data } = await api(`/api/library?q=${encodeURIComponent(query)}&status=all`, { signal });
    const rows = byCloseness(data.movies, query).slice(0, LIBRARY_SHOWN);
    if (!rows.length) return rows;
    const body = { movies: rows.map(({ kinopoisk_id: id, name, year }) => ({ kinopoisk_id: id ?? null, name, year: year ?? null })) };
    try {
      const { data: { notes } } = await api('/api/library/notes', { method: 'POST', body, signal });
      rows.forEach((row, index) => { row.note = notes[index]; });
    } catch (error) {
      if (error.name === 'AbortError') throw error; // otherwise the status word will do
    }
    return rows;
  }

  async function searchKinopoisk(query, signal) {
    if (!fromKinopoisk) return [];
    const { data } = await api(`/api/search?q=${encodeURIComponent(query)}`, { signal });
    return data.results;
  }

  async function run(query, { addSingle = false } = {}) {
    if (controller) controller.abort();
    controller = new AbortController();
    const { signal } = controller;
    lastQuery = query;
    spinner.hidden = false;
    setStatus('Ищем…');
    const link = LINK.test(query);
    const library = link ? Promise.resolve([]) : searchLibrary(query, signal).catch((error) => error);
    const kinopoisk = fromKinopoisk || link ? searchKinopoisk(query, signal).catch((error) => error) : Promise.resolve([]);
    try {
      const kept = await library; // the library answers from the database: shown without waiting for Kinopoisk
      if (query !== lastQuery) return;
      const keptRows = kept instanceof Error ? [] : kept;
      if (keptRows.length) render(keptRows, []);
      const found = await kinopoisk;
      if (query !== lastQuery) return;
      for (const answer of [kept, found]) if (answer instanceof Error && answer.name === 'AbortError') return;
      const foundRows = found instanceof Error ? [] : found;
      const shown = render(keptRows, foundRows);
      const trouble = [kept, found].find((answer) => answer instanceof Error);
      if (!shown && trouble) {
        setStatus(trouble.message, 'error');
      } else if (!shown) {
        setStatus(fromKinopoisk
          ? 'Ничего не нашлось. Проверьте название или добавьте фильм вручную ниже.'
          : 'В библиотеке такого нет. Добавьте фильм вручную ниже.', 'empty');
      } else if (addSingle && foundRows.length === 1 && !keptRows.length) {
        pick(foundRows[0]);
        input.value = '';
        results.replaceChildren();
        setStatus('');
      } else {
        setStatus(`${trouble ? `${trouble.message} ` : ''}Найдено: ${shown}. Стрелка вниз — к результатам.`, trouble ? 'error' : '');
      }
    } finally {
      if (query === lastQuery) spinner.hidden = true;
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if ([...query].length < minChars) { // code points, as the server counts
      if (controller) controller.abort();
      results.replaceChildren();
      spinner.hidden = true;
      setStatus('');
      return;
    }
    // A pasted link is unambiguous: look it up at once and add the movie.
    if (LINK.test(query)) {
      run(query, { addSingle: true });
      return;
    }
    timer = setTimeout(() => run(query), DEBOUNCE_MS);
  });

  const buttons = () => [...results.querySelectorAll('.search-result__add')];

  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && buttons().length) {
      event.preventDefault();
      buttons()[0].focus();
    } else if (event.key === 'Escape') {
      input.value = '';
      results.replaceChildren();
      setStatus('');
    } else if (event.key === 'Enter') {
      event.preventDefault();
      clearTimeout(timer);
      const query = input.value.trim();
      if ([...query].length >= minChars) run(query, { addSingle: LINK.test(query) });
      else if (query) setStatus(`Введите название от ${minChars} букв или вставьте ссылку на фильм.`);
    }
  });

  results.addEventListener('keydown', (event) => {
    const all = buttons();
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      all[Math.min(index + 1, all.length - 1)].focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      (index === 0 ? input : all[index - 1]).focus();
    } else if (event.key === 'Escape') {
      input.focus();
    }
  });
}
