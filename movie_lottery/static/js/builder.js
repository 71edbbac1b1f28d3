// Builder page: a draft list of candidates (kept in localStorage), manual entry, and "create lottery".
// Other modules (the Kinopoisk search) add movies by dispatching a `movie:add` event on document.
// The library's picks (its selection, «Случайные N») arrive in the page as `library-picks`; what the library
// knows of each candidate («смотрели 3 марта», «исключён до 1 января») is the server's note, shown as given.

import { api } from './lib/api.js';
import { showError, toast } from './lib/errors.js';
import { metaText, plural } from './lib/format.js';
import { readJsonScript } from './lib/page.js';
import { posterElement } from './lib/posters.js';
import { sameMovie } from './lib/same-movie.js';
import { libraryMovieNamed, setupSearch } from './lib/search.js';
import { checkText, pageRule } from './lib/text-rules.js';

const DRAFT_KEY = 'ml:draft';
const MIN = 2;
const MAX = 25;
const FIRST_YEAR = 1888;
const LAST_YEAR = new Date().getFullYear() + 5;
const TITLE_RULE = pageRule('title'); // the server's rule, from the page

const form = document.getElementById('movie-form');
const formError = document.getElementById('movie-form-error');
const list = document.getElementById('candidates');
const template = document.getElementById('candidate-template');
const empty = document.getElementById('candidates-empty');
const counter = document.getElementById('candidate-counter');
const createButton = document.getElementById('create-lottery');
const createError = document.getElementById('create-error');
const createHint = document.getElementById('create-hint');

let movies = loadDraft();

function loadDraft() {
  try {
    const saved = JSON.parse(localStorage.getItem(DRAFT_KEY) || '[]');
    return Array.isArray(saved) ? saved.filter((m) => m && typeof m.name === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

function saveDraft() {
  try { localStorage.setItem(DRAFT_KEY, JSON.stringify(movies)); } catch { /* private mode: the list still works */ }
}

/** Why this movie cannot join the list, or null when it can. */
export function refusal(movie) {
  if (movies.length >= MAX) return `В лотерее может быть не больше ${MAX} фильмов.`;
  const duplicate = movies.find((m) => sameMovie(m, movie));
  if (duplicate) return `«${duplicate.name}» уже есть в списке.`;
  return null;
}

function addMovie(movie) {
  const reason = refusal(movie);
  if (reason) return reason;
  const { library: note, ...rest } = movie; // a search hit carries the library's note as `library`
  movies.push(note === undefined ? rest : { ...rest, note });
  saveDraft();
  render();
  if (note === undefined) refreshNotes();
  return null;
}

/** Ask the library about the candidates (one request): statuses may have changed since the draft was kept. */
async function refreshNotes() {
  if (!movies.length) return;
  const asked = movies.slice();
  try {
    const body = { movies: asked.map(({ kinopoisk_id: id, name, year }) => ({ kinopoisk_id: id ?? null, name, year: year ?? null })) };
    const { data } = await api('/api/library/notes', { method: 'POST', body });
    asked.forEach((movie, index) => { movie.note = data.notes[index]; });
    saveDraft();
    render();
  } catch { /* the notes are a courtesy: the list works without them */ }
}

function removeAt(index) {
  const [removed] = movies.splice(index, 1);
  saveDraft();
  render();
  toast(`«${removed.name}» убран из списка`);
  const buttons = list.querySelectorAll('.candidate__remove');
  (buttons[Math.min(index, buttons.length - 1)] || document.getElementById('movie-name')).focus();
}

/** The library's note, shown when the group has watched or excluded the movie (a wish needs no warning). */
function showNote(node, note) {
  const worth = note && note.text && note.status !== 'want';
  node.hidden = !worth;
  node.textContent = worth ? note.text : '';
  node.dataset.status = worth ? note.status : '';
}

function render() {
  list.replaceChildren(...movies.map((movie, index) => {
    const item = template.content.firstElementChild.cloneNode(true);
    item.querySelector('.poster').replaceWith(posterElement(movie, 'thumb'));
    item.querySelector('.candidate__name').textContent = movie.name;
    item.querySelector('.candidate__meta').textContent = metaText(movie);
    showNote(item.querySelector('.candidate__note'), movie.note);
    const remove = item.querySelector('.candidate__remove');
    remove.setAttribute('aria-label', `Убрать «${movie.name}»`);
    remove.addEventListener('click', () => removeAt(index));
    return item;
  }));
  empty.hidden = movies.length > 0;
  counter.textContent = `${movies.length} из ${MAX}`;
  createButton.disabled = movies.length < MIN;
  const missing = MIN - movies.length;
  createHint.hidden = missing <= 0;
  createHint.textContent = missing === 1 ? 'Нужен ещё 1 фильм.' : `Нужно ещё ${missing} фильма.`;
}

function readForm() {
  const data = new FormData(form);
  const title = checkText(String(data.get('name') || ''), TITLE_RULE);
  const name = title.value;
  const yearText = String(data.get('year') || '').trim();
  const poster = String(data.get('poster') || '').trim();
  const description = String(data.get('description') || '').trim();
  if (title.empty) return { error: 'Укажите название фильма.', field: 'movie-name' };
  if (title.tooLong) return { error: `Название — не длиннее ${TITLE_RULE.max} символов.`, field: 'movie-name' };
  if (!title.ok) return { error: `${TITLE_RULE.message}.`, field: 'movie-name' };
  let year = null;
  if (yearText) {
    year = Number(yearText);
    if (!Number.isInteger(year) || year < FIRST_YEAR || year > LAST_YEAR) {
      return { error: `Год — число от ${FIRST_YEAR} до ${LAST_YEAR}.`, field: 'movie-year' };
    }
  }
  if (poster && !/^https?:\/\/\S+$/i.test(poster)) {
    return { error: 'Ссылка на постер должна начинаться с http:// или https://', field: 'movie-poster' };
  }
  return { movie: { name, year, poster: poster || null, description: description || null } };
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const { movie, error, field } = readForm();
  if (error) {
    showError(formError, error);
    document.getElementById(field).focus();
    return;
  }
  const reason = addMovie(movie);
  showError(formError, reason);
  if (reason) return; // the form keeps what was typed, to correct it
  form.reset();
  document.getElementById('movie-name').focus();
  // A title the library keeps becomes the library's movie (its spelling, poster, genres, rating) as soon as
  // the library answers — unless the owner typed a poster or a description of their own.
  if (movie.poster || movie.description) return;
  const kept = await libraryMovieNamed(movie.name, movie.year);
  const index = movies.findIndex((candidate) => candidate.name === movie.name && candidate.year === movie.year && !candidate.library_id);
  if (!kept || index < 0) return; // not kept, or already taken out of the list
  movies[index] = { ...kept, note: movies[index].note };
  saveDraft();
  render();
  refreshNotes();
  toast(`«${kept.name}» взят из библиотеки`, 'success');
});

document.addEventListener('movie:add', (event) => {
  const reason = addMovie(event.detail);
  if (reason) toast(reason, 'error');
  else toast(`«${event.detail.name}» добавлен`, 'success');
});

// ---- lottery or poll ------------------------------------------------------------------------------------

const pollSettings = document.getElementById('poll-settings');
const deadlineSelect = document.getElementById('poll-deadline');
const deadlineTime = document.getElementById('deadline-time');
const deadlineDate = document.getElementById('deadline-date');
const deadlineHint = document.getElementById('deadline-hint');
const whenFormat = new Intl.DateTimeFormat('ru-RU', { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });

const isPoll = () => document.querySelector('input[name="kind"]:checked')?.value === 'poll';
const createLabel = () => (isPoll() ? 'Создать голосование' : 'Создать лотерею');

/** The chosen deadline as a Date, null for none, or a string saying what is wrong. */
export function chosenDeadline(now = new Date()) {
  const choice = deadlineSelect.value;
  if (choice === 'none') return null;
  if (choice === 'hour') return new Date(now.getTime() + 3600 * 1000);
  if (choice === 'tonight') {
    const [hours, minutes] = (deadlineTime.value || '21:00').split(':').map(Number);
    const at = new Date(now);
    at.setHours(hours, minutes, 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1); // already past today: the same time tomorrow
    return at;
  }
  if (!deadlineDate.value) return 'Выберите дату и время окончания.';
  const at = new Date(deadlineDate.value); // datetime-local: the viewer's own zone
  if (Number.isNaN(at.getTime())) return 'Выберите дату и время окончания.';
  return at <= now ? 'Это время уже прошло — выберите позже.' : at;
}

function paintKind() {
  pollSettings.hidden = !isPoll();
  document.getElementById('deadline-time-field').hidden = deadlineSelect.value !== 'tonight';
  document.getElementById('deadline-date-field').hidden = deadlineSelect.value !== 'date';
  const deadline = chosenDeadline();
  deadlineHint.hidden = !(deadline instanceof Date);
  if (deadline instanceof Date) deadlineHint.textContent = `Закроется ${whenFormat.format(deadline)}.`;
  if (createButton.textContent !== 'Создаём…') createButton.textContent = createLabel();
}

for (const input of document.querySelectorAll('input[name="kind"], #poll-deadline, #deadline-time, #deadline-date')) {
  input.addEventListener('change', paintKind);
}

/** The candidates as the API takes them: the library's notes and ids stay on this page. */
function candidates() {
  return movies.map(({ note, library_id: libraryId, ...movie }) => movie);
}

/** «Отправить в чат»: shown only while a Telegram chat is connected. */
function sendToChat() {
  return Boolean(document.getElementById('send-to-chat')?.checked);
}

function pollBody() {
  const deadline = chosenDeadline();
  if (typeof deadline === 'string') throw new Error(deadline);
  return {
    movies: candidates(),
    method: document.querySelector('input[name="method"]:checked').value,
    deadline: deadline ? deadline.toISOString() : null,
    results: document.getElementById('poll-results').value,
    veto: document.getElementById('poll-veto').checked,
    auto_download: Boolean(document.getElementById('auto-download')?.checked),
    verification: document.getElementById('poll-telegram-only')?.checked ? 'telegram' : 'none',
    send_to_chat: sendToChat(),
  };
}

createButton.addEventListener('click', async () => {
  createButton.disabled = true;
  createButton.textContent = 'Создаём…';
  showError(createError, null);
  try {
    let target;
    if (isPoll()) {
      const { data } = await api('/api/polls', { method: 'POST', body: pollBody() });
      target = data.manage_url; // the creator's page: share, close, remove a ballot
    } else {
      const autoDownload = document.getElementById('auto-download');
      const body = {
        movies: candidates(),
        auto_download: Boolean(autoDownload && autoDownload.checked),
        send_to_chat: sendToChat(),
      };
      const { data } = await api('/api/lotteries', { method: 'POST', body });
      try { localStorage.setItem(`ml:play:${data.id}`, data.play_url); } catch { /* shown on this page only */ }
      target = data.wait_url;
    }
    movies = [];
    saveDraft();
    window.location.assign(target);
  } catch (error) {
    showError(createError, error.message);
    createButton.disabled = movies.length < MIN;
    createButton.textContent = createLabel();
  }
});

/** Picks from the library replace the draft: the list is then exactly what was chosen there, still editable. */
function takeLibraryPicks() {
  const picks = readJsonScript('library-picks');
  if (picks === null) return false;
  window.history.replaceState(null, '', window.location.pathname); // a reload keeps the edited draft
  if (!picks.length) {
    toast('Этих фильмов в библиотеке уже нет', 'error');
    return false;
  }
  const replaced = movies.length > 0;
  movies = picks.slice(0, MAX);
  saveDraft();
  const n = movies.length;
  toast(`Из библиотеки: ${n} ${plural(n, 'фильм', 'фильма', 'фильмов')}${replaced ? ' — прежний список заменён' : ''}`, 'success', 6000);
  return true;
}

const fromLibrary = takeLibraryPicks();
paintKind();

render();
if (!fromLibrary) refreshNotes();
for (const root of document.querySelectorAll('[data-search]')) setupSearch(root);
