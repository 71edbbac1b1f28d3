// Kinopoisk search box (partials/search.html): search as you type (debounced, earlier requests cancelled),
// keyboard navigable. A pick is announced as a `movie:add` event on document; the page's list decides
// whether it fits.

import { api } from './api.js';
import { metaText } from './format.js';
import { posterElement } from './posters.js';

const DEBOUNCE_MS = 400;
const LINK = /kinopoisk\.ru\/(film|series)\/\d+/i;

/** Make one search box (its root carries data-search) work. */
export function setupSearch(root) {
  const input = root.querySelector('input[type="search"]');
  const results = root.querySelector('.search__results');
  const status = root.querySelector('.search__status');
  const spinner = root.querySelector('.spinner');
  const template = root.querySelector('#search-result-template');
  const minChars = Number(root.dataset.minChars) || 1; // the server's minimum, written into the page
  let timer = null;
  let controller = null;
  let lastQuery = '';

  const setStatus = (text, kind = '') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  const pick = (movie) => document.dispatchEvent(new CustomEvent('movie:add', { detail: movie }));

  function render(movies) {
    results.replaceChildren(...movies.map((movie) => {
      const item = template.content.firstElementChild.cloneNode(true);
      item.querySelector('.poster').replaceWith(posterElement({ ...movie, poster: movie.poster_preview || movie.poster }, 'thumb'));
      item.querySelector('.search-result__name').textContent = movie.name;
      item.querySelector('.search-result__meta').textContent = metaText({ ...movie, countries: [] });
      const note = item.querySelector('.search-result__note');
      if (movie.library) { // the library's word on it, as the server says it
        note.hidden = false;
        note.textContent = `В библиотеке: ${movie.library.text}`;
        note.dataset.status = movie.library.status;
      }
      const add = item.querySelector('.search-result__add');
      add.setAttribute('aria-label', `Добавить «${movie.name}»`);
      add.addEventListener('click', () => pick(movie));
      return item;
    }));
  }

  async function run(query, { addSingle = false } = {}) {
    if (controller) controller.abort();
    controller = new AbortController();
    lastQuery = query;
    spinner.hidden = false;
    setStatus('Ищем…');
    try {
      const { data } = await api(`/api/search?q=${encodeURIComponent(query)}`, { signal: controller.signal });
      if (query !== lastQuery) return;
      render(data.results);
      if (!data.results.length) {
        setStatus('Ничего не нашлось. Проверьте название или добавьте фильм вручную ниже.', 'empty');
      } else if (addSingle && data.results.length === 1) {
        pick(data.results[0]);
        input.value = '';
        results.replaceChildren();
        setStatus('');
      } else {
        setStatus(`Найдено: ${data.results.length}. Стрелка вниз — к результатам.`);
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      results.replaceChildren();
      setStatus(error.message, 'error');
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
