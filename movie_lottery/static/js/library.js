// Library page: live cards, card forms without a reload, the selection for a lottery, and Kinopoisk picks.
//
// Every word on a card (the torrent badge, the marks, the status line) comes from the server: this script
// asks /library/live for the parts of the cards it shows and swaps in the ones that changed; a card's form,
// sent from here, is answered with that card's parts. The page works without this script.
// User data only ever goes in through textContent, or inside HTML the server rendered and escaped.

import { api, csrfToken, submitForm } from './lib/api.js';
import { toast, toastAfterReload } from './lib/errors.js';
import { localToday } from './lib/format.js';
import { fromHtml, sameFragment, swap } from './lib/fragments.js';
import { followLive } from './lib/live.js';
import { setupSearch } from './lib/search.js';

const FAST_MS = 5000; // something is downloading or queued
const IDLE_MS = 30000; // nothing moving
const CHECKING_MS = 2000; // the server has not heard from qBittorrent yet
const MAX_BACKOFF_MS = 300000; // qBittorrent (or the site) unavailable: 30 s, 60 s, 120 s… up to 5 min

const statusLine = document.getElementById('torrent-status');
const configured = statusLine && statusLine.dataset.configured === '1';
const cards = () => [...document.querySelectorAll('.library-card')];

/** Make server-rendered HTML ready for this page: the page's own token in its forms, today's date. */
function prepare(root) {
  for (const input of root.querySelectorAll('input[name="csrf_token"]')) input.value = csrfToken();
  const today = localToday();
  for (const button of root.querySelectorAll('button[data-today]')) button.value = today;
  for (const input of root.querySelectorAll('input[data-today-value]')) input.value = today;
  for (const input of root.querySelectorAll('input[type="date"][name="date"]')) input.max = today;
}

// ---- swapping server-rendered parts ---------------------------------------------------------------------

const torrentKind = (card) => {
  const part = card.querySelector('[data-part="torrent"]');
  return part ? part.dataset.kind : null;
};

const cardTitle = (part) => part.closest('.library-card').querySelector('.library-card__title');

/** Apply the parts the server sent for some cards: {"<id>": {"torrent": html, "marks": html}}. */
function applyCards(parts, { announce = false } = {}) {
  for (const [id, byName] of Object.entries(parts || {})) {
    const card = document.getElementById(`movie-${id}`);
    if (!card) continue;
    const before = torrentKind(card);
    for (const [name, html] of Object.entries(byName)) {
      const old = card.querySelector(`[data-part="${name}"]`);
      const fresh = fromHtml(html);
      if (!old || !fresh) continue;
      prepare(fresh);
      swap(old, fresh, { fallbackFocus: cardTitle });
    }
    const after = torrentKind(card);
    if (announce && before && before !== 'none' && before !== 'done' && after === 'done') {
      toast(`«${card.dataset.name}» скачан`, 'success', 8000);
    }
  }
}

// ---- the status line ----------------------------------------------------------------------------------------

function retryText(ms) {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 60 ? `${seconds}\u00a0с` : `${Math.ceil(seconds / 60)}\u00a0мин`;
}

/** «в 21:40:05 UTC» becomes «через 12 с» (the server's words stay in data-server-text). */
function countDown() {
  if (!statusLine) return;
  for (const time of statusLine.querySelectorAll('time[data-countdown]')) {
    if (!time.dataset.serverText) time.dataset.serverText = time.textContent;
    time.textContent = `через ${retryText(new Date(time.getAttribute('datetime')) - Date.now())}`;
  }
}

function renderStatus(status) {
  const body = statusLine.querySelector('.torrent-status__body');
  const fresh = document.createElement('span');
  fresh.className = 'torrent-status__body';
  fresh.innerHTML = status.html;
  statusLine.dataset.kind = status.kind;
  if (!sameFragment(body, fresh)) body.replaceWith(fresh);
  countDown();
}

function siteUnreachable() {
  const text = statusLine.querySelector('.torrent-status__text');
  const reason = statusLine.querySelector('.torrent-status__reason');
  statusLine.dataset.kind = 'down';
  text.textContent = 'Нет связи с сайтом — статус может быть устаревшим';
  reason.textContent = '';
}

// ---- keeping up with the downloads --------------------------------------------------------------------------

function liveUrl(ids, parts = 'torrent') {
  const query = new URLSearchParams({ ids: ids.join(','), parts, back: document.getElementById('library-list')?.dataset.back || '/library' });
  return `/library/live?${query}`;
}

let unavailableAnswers = 0; // in a row: qBittorrent down, while the site answers

/** When to ask again: soon while something moves, rarely when idle, backing off while qBittorrent is down. */
function nextAsk(data, changed) {
  if (changed) {
    renderStatus(data.status);
    applyCards(data.cards, { announce: true });
  }
  const { poll: state } = data;
  if (!state.available && state.checked) {
    unavailableAnswers += 1;
    let delay = Math.min(IDLE_MS * 2 ** (unavailableAnswers - 1), MAX_BACKOFF_MS);
    // The server probes again at retry_at: ask right after that, not a whole back-off later.
    if (state.breaker.retry_at) delay = Math.min(delay, Math.max(new Date(state.breaker.retry_at) - Date.now() + 2000, FAST_MS));
    // Still closed: the server is counting failures and will soon name its next attempt; ask again shortly.
    else if (state.breaker.state === 'closed') delay = Math.min(delay, CHECKING_MS);
    return delay;
  }
  unavailableAnswers = 0;
  return !state.checked ? CHECKING_MS : state.active ? FAST_MS : IDLE_MS;
}

// Pushed: an event says the downloads moved, and the page asks for its cards' new state at once.
const live = configured ? followLive(() => liveUrl(cards().map((card) => card.dataset.movieId)), '/api/torrents/events', {
  onEvent: (_, handle) => handle.now(),
  every: IDLE_MS,
  firstIn: 0,
  backoff: { first: IDLE_MS, max: MAX_BACKOFF_MS },
  onAnswer: nextAsk,
  onError: () => { siteUnreachable(); },
}) : null;

if (configured) {
  setInterval(() => { if (!document.hidden) countDown(); }, 10000);
  countDown();
}

// ---- a card's forms, without a reload ---------------------------------------------------------------------
// The marks go through the public API (PATCH /api/library/<id>, its viewings), as any script would send
// them; the card then asks for its fresh parts. The torrent buttons send the card's own form, whose answer
// carries the parts rendered before the background sender is woken: the card shows the queued wish first.

/** The JSON an API form sends: its fields, as the API names and types them. */
function apiBody(form, submitter) {
  const body = {};
  for (const [key, value] of new FormData(form, submitter)) {
    if (key === 'csrf_token' || key === 'back') continue;
    if (key === 'favourite') body.favourite = value === '1';
    else if (key === 'excluded_until' || key === 'date') body[key] = value || null;
    else body[key] = value;
  }
  return body;
}

async function refreshCard(card, parts) {
  const { data } = await api(liveUrl([card.dataset.movieId], parts));
  applyCards(data.cards);
}

function marksSaid(card, submitter) {
  const name = `«${card.dataset.name}»`;
  if (submitter && submitter.name === 'favourite') {
    return `${name}: ${card.querySelector('[data-testid="favourite-mark"]') ? 'в любимых' : 'не в любимых'}`;
  }
  const badge = card.querySelector('[data-testid="status-badge"]');
  const note = card.querySelector('[data-testid="marks-note"]');
  return `${name}: ${badge ? badge.textContent : ''}${note ? ` — ${note.textContent}` : ''}`;
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!form.matches('[data-card-form]')) return;
  event.preventDefault();
  if (form.dataset.busy) return; // sent already: one answer at a time
  const card = form.closest('.library-card');
  const submitter = event.submitter || form.querySelector('[type="submit"]');
  const spec = (event.submitter && event.submitter.dataset.api) || form.dataset.api;
  let sending;
  if (spec) {
    const [method, path] = spec.split(' ');
    const body = apiBody(form, event.submitter);
    sending = api(path, { method, body: method === 'DELETE' ? undefined : body });
  } else {
    sending = submitForm(form, event.submitter);
  }
  // Busy, not disabled: a disabled button would drop the keyboard focus, which the fresh part keeps.
  form.dataset.busy = '1';
  submitter.setAttribute('aria-busy', 'true');
  try {
    const { data } = await sending;
    if (spec) {
      await refreshCard(card, 'marks,controls');
      toast(marksSaid(card, event.submitter), 'success');
    } else {
      applyCards(data.cards);
      toast(data.message, data.kind || 'success');
      if (live) live.after(1500);
    }
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    delete form.dataset.busy; // it may have been swapped out meanwhile: harmless
    submitter.removeAttribute('aria-busy');
  }
});

for (const card of cards()) prepare(card);

// ---- choosing movies for a lottery or a poll ---------------------------------------------------------------

const SELECTION_KEY = 'ml:library-selection';
const selectionBar = () => document.getElementById('library-selection');

function loadSelection() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SELECTION_KEY) || '[]');
    return Array.isArray(saved) ? saved.filter((id) => /^\d+$/.test(String(id))).map(String) : [];
  } catch {
    return [];
  }
}

let selected = loadSelection();

function saveSelection() {
  try { sessionStorage.setItem(SELECTION_KEY, JSON.stringify(selected)); } catch { /* private mode */ }
}

const boxes = () => [...document.querySelectorAll('input[data-select]')];

function renderSelection() {
  const selectionForm = selectionBar();
  if (!selectionForm) return;
  const max = Number(selectionForm.dataset.max);
  const shown = new Set(boxes().map((box) => box.value));
  for (const box of boxes()) box.checked = selected.includes(box.value);
  const elsewhere = selected.filter((id) => !shown.has(id)).length;
  const count = document.getElementById('selection-count');
  const n = selected.length;
  let text = 'Отметьте фильмы, чтобы собрать из них лотерею или голосование';
  if (n) {
    text = `Выбрано: ${n}`;
    if (elsewhere) text += ` (${elsewhere} — не на этой странице)`;
    if (n === 1) text += ' — нужен ещё хотя бы один';
    if (n > max) text += ` — можно не больше ${max}`;
  }
  count.textContent = text;
  for (const button of selectionForm.querySelectorAll('[data-selection-submit]')) button.disabled = n < 2 || n > max;
  document.getElementById('select-none').hidden = n === 0;
  selectionForm.classList.toggle('is-active', n > 0);
  const all = document.getElementById('select-shown');
  if (all) {
    all.hidden = shown.size === 0;
    const every = shown.size > 0 && [...shown].every((id) => selected.includes(id));
    all.textContent = every ? 'Снять все показанные' : 'Выбрать все показанные';
    all.setAttribute('aria-pressed', every ? 'true' : 'false');
  }
}

// Listened for on the document: the list and its bar are swapped in place when the filter changes.
document.addEventListener('change', (event) => {
  const box = event.target;
  if (!box.matches('input[data-select]')) return;
  selected = selected.filter((id) => id !== box.value);
  if (box.checked) selected.push(box.value);
  saveSelection();
  renderSelection();
});
document.addEventListener('click', (event) => {
  if (event.target.closest('#select-shown')) {
    const shown = boxes().map((box) => box.value);
    const every = shown.every((id) => selected.includes(id));
    selected = every ? selected.filter((id) => !shown.includes(id)) : [...selected, ...shown.filter((id) => !selected.includes(id))];
    saveSelection();
    renderSelection();
  } else if (event.target.closest('#select-none')) {
    selected = [];
    saveSelection();
    renderSelection();
    document.getElementById('selection-count').focus?.();
  }
});
document.addEventListener('submit', (event) => {
  const selectionForm = event.target;
  if (selectionForm.id !== 'library-selection') return;
  // The selection may span pages and filters: it goes as the ids, in the order they were picked. A poll
  // opens the builder with «Голосование» chosen: its settings are the builder's, not a copy here.
  event.preventDefault();
  const ids = selected.slice();
  const kind = event.submitter?.value === 'poll' ? '&kind=poll' : '';
  selected = [];
  saveSelection();
  window.location.assign(`${selectionForm.action}?library=${ids.join(',')}${kind}`);
});
window.addEventListener('pageshow', () => { selected = loadSelection(); renderSelection(); });
renderSelection();

// ---- small comforts -----------------------------------------------------------------------------------

// After a card's form the page opens at that card: repeat the message there, where the eye is.
if (window.location.hash.startsWith('#movie-')) {
  for (const flash of document.querySelectorAll('.flash')) {
    toast(flash.textContent.trim(), flash.classList.contains('flash--error') ? 'error' : 'success', 6000);
  }
}

// A pick in the Kinopoisk search box goes straight into the library; the page then shows it, and the
// message waits for the new page rather than dying with the old one.
document.addEventListener('movie:add', async (event) => {
  try {
    const { status, data } = await api('/api/library', { method: 'POST', body: event.detail });
    toastAfterReload(status === 201 ? `«${data.name}» добавлен в библиотеку` : `«${data.name}» уже был — данные обновлены`, 'success');
    const target = `/library#movie-${data.id}`;
    if (`${window.location.pathname}${window.location.search}` === '/library') {
      window.location.hash = `movie-${data.id}`;
      window.location.reload();
    } else {
      window.location.assign(target);
    }
  } catch (error) {
    toast(error.message, 'error');
  }
});

// On a phone the tabs scroll sideways: the current one is brought into sight.
const currentTab = document.querySelector('.status-tab[aria-current="page"]');
if (currentTab) {
  const strip = currentTab.parentElement;
  if (strip.scrollWidth > strip.clientWidth) strip.scrollLeft = currentTab.offsetLeft - strip.offsetLeft - 16;
}

for (const root of document.querySelectorAll('[data-search]')) setupSearch(root);

// ---- a card's «⋯»: one open at a time; Escape or a tap elsewhere closes it, the focus back on «⋯» ----------
document.addEventListener('toggle', (event) => {
  const menu = event.target;
  if (!menu.matches?.('[data-card-menu]') || !menu.open) return;
  for (const other of document.querySelectorAll('[data-card-menu][open]')) if (other !== menu) other.open = false;
}, true);
document.addEventListener('click', (event) => {
  for (const menu of document.querySelectorAll('[data-card-menu][open]')) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const menu = event.target.closest?.('[data-card-menu][open]') || document.querySelector('[data-card-menu][open]');
  if (!menu) return;
  menu.open = false;
  menu.querySelector('summary').focus();
});

// ---- the filter applies as it changes (the form's «Показать» stays for a page without this script) --------
// A choice (genre, rating, «только любимые», the order) applies at once; typed text (the search, the years)
// after a pause, and a year only once it is a whole year. The list below is swapped in place from the
// server's page for the new address — the form, its focus and caret stay as they are (no change of context,
// WCAG 3.2.2); the address follows, so the filter can still be bookmarked and shared.
const TYPE_PAUSE_MS = 500;
const filterForm = document.querySelector('form.library-tools');

function filterUrl() {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(filterForm)) if (String(value).trim()) query.append(key, value);
  const text = query.toString();
  return `${filterForm.action.replace(/^https?:\/\/[^/]+/, '')}${text ? `?${text}` : ''}`;
}

let shownUrl = null;
let asking = null;

async function applyFilter() {
  const url = filterUrl();
  if (url === shownUrl) return;
  shownUrl = url;
  asking?.abort();
  const ask = new AbortController();
  asking = ask;
  const results = document.getElementById('library-results');
  results.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(url, { headers: { Accept: 'text/html' }, signal: ask.signal, credentials: 'same-origin' });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    const freshResults = fresh.getElementById('library-results');
    if (!freshResults) { window.location.assign(url); return; }
    for (const selector of ['.status-tabs', '#library-results']) {
      const old = document.querySelector(selector);
      const next = fresh.querySelector(selector);
      if (old && next) old.replaceWith(document.adoptNode(next));
    }
    window.history.replaceState(null, '', url);
    for (const card of cards()) prepare(card);
    renderSelection();
    live?.now();
    const n = cards().length;
    document.getElementById('library-found').textContent = n ? `Показано фильмов: ${n}` : 'Под этот фильтр ничего не подходит';
  } catch (error) {
    if (error.name !== 'AbortError') window.location.assign(url); // the plain way: the server's page
  } finally {
    if (asking === ask) document.getElementById('library-results')?.setAttribute('aria-busy', 'false');
  }
}

if (filterForm) {
  filterForm.classList.add('is-live');
  shownUrl = filterUrl();
  let timer = null;
  filterForm.addEventListener('input', (event) => {
    const field = event.target;
    if (!field.matches('input[type="search"], input[inputmode="numeric"]')) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const year = field.name === 'year_from' || field.name === 'year_to';
      if (year && field.value.trim() && !/^\d{4}$/.test(field.value.trim())) return; // «19…»: still typing
      applyFilter();
    }, TYPE_PAUSE_MS);
  });
  filterForm.addEventListener('change', (event) => {
    if (!event.target.matches('select, input[type="checkbox"]')) return;
    clearTimeout(timer);
    applyFilter();
  });
  filterForm.addEventListener('submit', (event) => { // Enter in the search: now, not after the pause
    event.preventDefault();
    clearTimeout(timer);
    shownUrl = null;
    applyFilter();
  });
}
