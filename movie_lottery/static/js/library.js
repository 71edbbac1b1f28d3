// Library page: live torrent badges from /api/torrents (adaptive polling), download/remove without a reload,
// movies picked in the Kinopoisk search go straight into the library. The page works without this script.
// User data only ever goes in through textContent.

import { api } from './api.js';
import { readJsonScript, toast } from './common.js';

const NBSP = '\u00a0';
const FAST_MS = 5000; // something is downloading or queued
const IDLE_MS = 30000; // nothing moving
const CHECKING_MS = 2000; // the server has not heard from qBittorrent yet
const MAX_BACKOFF_MS = 300000; // qBittorrent (or the site) unavailable: 30 s, 60 s, 120 s… up to 5 min
const DOWNLOADABLE = new Set(['none', 'failed', 'missing', 'removing']); // asking again calls a removal off

const statusLine = document.getElementById('torrent-status');
const configured = statusLine && statusLine.dataset.configured === '1';
const cards = () => [...document.querySelectorAll('.library-card')];

let summary = readJsonScript('torrent-summary');
let timer = null;
let failures = 0;
let lastProgress = null; // info_hash -> progress seen in the previous answer (null before the first)

// ---- words (web/library_pages.py says the same on the server) ----------------------------------

export function percent(progress) {
  return progress >= 1 ? 100 : Math.min(Math.floor(progress * 100), 99);
}

export function durationText(seconds) {
  if (seconds < 60) return `<1${NBSP}мин`;
  let minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes}${NBSP}мин`;
  let hours = Math.floor(minutes / 60);
  minutes %= 60;
  if (hours < 24) return minutes ? `${hours}${NBSP}ч ${minutes}${NBSP}мин` : `${hours}${NBSP}ч`;
  const days = Math.floor(hours / 24);
  hours %= 24;
  return hours ? `${days}${NBSP}д ${hours}${NBSP}ч` : `${days}${NBSP}д`;
}

function retryText(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return seconds < 60 ? `${Math.max(1, seconds)}${NBSP}с` : durationText(seconds);
}

function torrentBadge(t) {
  const pct = percent(t.progress);
  if (t.state === 'error' || t.state === 'missingFiles') return { kind: 'error', text: 'ошибка', progress: pct, title: 'qBittorrent сообщает об ошибке торрента' };
  if (t.progress >= 1) return { kind: 'done', text: 'готово', progress: 100 };
  if (t.state === 'pausedDL') return { kind: 'paused', text: `пауза ${pct}${NBSP}%`, progress: pct };
  if (t.state.startsWith('checking') || t.state === 'moving') return { kind: 'checking', text: `проверка ${pct}${NBSP}%`, progress: pct };
  if (t.state === 'queuedDL') return { kind: 'queued', text: `ждёт очереди ${pct}${NBSP}%`, progress: pct };
  if (t.state === 'metaDL' || t.state === 'forcedMetaDL') return { kind: 'downloading', text: 'качается · ищем метаданные', progress: pct };
  const eta = t.eta == null ? '' : ` · ${durationText(t.eta)}`;
  return { kind: 'downloading', text: `качается ${pct}${NBSP}%${eta}`, progress: pct };
}

function removingBadge() {
  // The wish is stored on the server: it goes out when qBittorrent answers, even after a restart.
  const title = summary && summary.available ? '' : 'qBittorrent недоступен — торрент уберём, когда он ответит';
  return { kind: 'removing', text: 'удаляется…', progress: null, title };
}

function badgeFor(download, torrent, removing = false) {
  if (removing) return removingBadge(); // before qBittorrent's word: the snapshot may predate the wish
  if (torrent) return torrentBadge(torrent);
  if (download === 'pending') return { kind: 'queue', text: 'в очереди', progress: null };
  if (download === 'failed') return { kind: 'failed', text: 'ошибка', progress: null };
  if (download === 'done') return { kind: 'done', text: 'готово', progress: 100 };
  if (download === 'sent') {
    if (!summary.checked_at) return { kind: 'sent', text: 'отправлено', progress: null };
    if (!summary.available) return { kind: 'offline', text: 'нет связи', progress: null };
    return { kind: 'missing', text: 'нет в qBittorrent', progress: null };
  }
  return null;
}

// ---- drawing ----------------------------------------------------------------------------------------

function renderStatus(siteDown = false) {
  if (!statusLine || !summary) return;
  const text = statusLine.querySelector('.torrent-status__text');
  const reason = statusLine.querySelector('.torrent-status__reason');
  let kind = 'down';
  let line = 'qBittorrent недоступен';
  let why = summary.reason;
  if (siteDown) {
    line = 'Нет связи с сайтом — статус может быть устаревшим';
    why = null;
  } else if (!summary.configured) {
    kind = 'off';
    line = 'qBittorrent не настроен — скачивание выключено';
    why = null;
  } else if (summary.available) {
    kind = 'ok';
    line = 'qBittorrent на связи';
    why = null;
  } else if (!summary.checked_at) {
    kind = 'checking';
    line = 'Проверяем связь с qBittorrent…';
    why = null;
  } else if (summary.breaker.retry_at) {
    line = `qBittorrent недоступен — следующая попытка через ${retryText(new Date(summary.breaker.retry_at) - Date.now())}`;
  }
  statusLine.dataset.kind = kind;
  text.textContent = line;
  reason.textContent = why ? `(${why})` : '';
}

function renderCard(card, badge) {
  card.dataset.kind = badge ? badge.kind : 'none';
  const box = card.querySelector('.torrent-badge');
  if (!box) return;
  box.hidden = !badge;
  box.dataset.kind = card.dataset.kind;
  const label = box.querySelector('.torrent-badge__label');
  const bar = box.querySelector('.torrent-progress');
  label.textContent = badge ? badge.text : '';
  label.title = (badge && badge.title) || '';
  bar.hidden = !badge || badge.progress == null;
  bar.value = badge && badge.progress != null ? badge.progress : 0;
  const download = card.querySelector('[data-action="download"]');
  if (download) download.hidden = !DOWNLOADABLE.has(card.dataset.kind);
  const remove = card.querySelector('.library-remove');
  if (remove) {
    remove.hidden = !badge || badge.kind === 'removing';
    if (remove.hidden) remove.open = false;
    // Only queued, nothing in qBittorrent yet: "cancel" says what it does; there are no files to delete.
    const queued = card.dataset.kind === 'queue';
    for (const node of remove.querySelectorAll('[data-queued-text]')) {
      node.textContent = queued ? node.dataset.queuedText : node.dataset.sentText;
    }
    remove.querySelector('[data-files]').hidden = queued;
  }
}

/** Apply one /api/torrents answer to every card; returns true while something is moving. */
function apply(data) {
  summary = data;
  renderStatus();
  const byHash = new Map(data.torrents.map((t) => [t.info_hash, t]));
  const byMovie = new Map(data.torrents.filter((t) => t.movie_id != null).map((t) => [String(t.movie_id), t]));
  const pending = new Set(data.pending.map((p) => String(p.movie_id)));
  const removing = new Set((data.removals || []).map((r) => String(r.movie_id)));
  let active = pending.size > 0 || removing.size > 0;
  for (const card of cards()) {
    const id = card.dataset.movieId;
    const torrent = byMovie.get(id) || byHash.get(card.dataset.infoHash);
    let download = card.dataset.download;
    if (pending.has(id)) download = 'pending';
    else if (download === 'pending' && data.available) download = 'sent'; // it left the queue
    if (torrent && torrent.progress >= 1 && download === 'sent') download = 'done';
    card.dataset.download = download;
    // Removing until the server's list no longer has it: then the removal is done and the badge goes.
    card.dataset.removing = removing.has(id) ? '1' : '';
    renderCard(card, badgeFor(download, torrent, card.dataset.removing === '1'));
    if (torrent && lastProgress && lastProgress.has(torrent.info_hash)
        && lastProgress.get(torrent.info_hash) < 1 && torrent.progress >= 1) {
      toast(`«${card.dataset.name}» скачан`, 'success', 8000);
    }
  }
  lastProgress = new Map(data.torrents.map((t) => [t.info_hash, t.progress]));
  for (const t of data.torrents) {
    if (t.progress < 1 && !['pausedDL', 'error', 'missingFiles'].includes(t.state)) active = true;
  }
  return active;
}

// ---- polling ----------------------------------------------------------------------------------------

function schedule(ms) {
  clearTimeout(timer);
  timer = document.hidden ? null : setTimeout(poll, ms);
}

function backoff() {
  failures += 1;
  return Math.min(IDLE_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
}

async function poll() {
  if (document.hidden) return;
  let delay;
  try {
    const { data } = await api('/api/torrents');
    const active = apply(data);
    if (!data.available && data.checked_at) {
      delay = backoff();
      // The server probes again at retry_at: ask right after that, not a whole back-off later.
      if (data.breaker.retry_at) delay = Math.min(delay, Math.max(new Date(data.breaker.retry_at) - Date.now() + 2000, FAST_MS));
      // Still closed: the server is counting failures and will soon name its next attempt; ask again shortly.
      else if (data.breaker.state === 'closed') delay = Math.min(delay, CHECKING_MS);
    } else {
      failures = 0;
      delay = !data.checked_at ? CHECKING_MS : active ? FAST_MS : IDLE_MS;
    }
  } catch {
    renderStatus(true);
    delay = backoff();
  }
  schedule(delay);
}

if (configured) {
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer);
    else poll();
  });
  setInterval(() => { if (!document.hidden && summary && !summary.available) renderStatus(); }, 10000);
  poll();
}

// ---- actions without a reload -------------------------------------------------------------------------

function cardOf(node) {
  return node.closest('.library-card');
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  const action = form.dataset.action;
  if (action !== 'download' && action !== 'remove') return;
  event.preventDefault();
  const card = cardOf(form);
  const id = card.dataset.movieId;
  const button = event.submitter || form.querySelector('button');
  button.disabled = true;
  try {
    if (action === 'download') {
      const { data } = await api(`/api/library/${id}/download`, { method: 'POST' });
      card.dataset.download = data.download.status;
      card.dataset.removing = '';
      renderCard(card, badgeFor(data.download.status, null));
      toast(`«${card.dataset.name}»: ${data.download.status === 'pending' ? 'в очереди на скачивание' : 'уже в qBittorrent'}`, 'success');
    } else {
      const deleteFiles = button.value === '1' ? '1' : '0';
      await api(`/api/library/${id}/torrent?delete_files=${deleteFiles}`, { method: 'DELETE' });
      card.dataset.download = '';
      // A download still in the queue is only called off (the server says so in the movie's removal, done
      // at once); anything else is removed in the background, and says so until it is done.
      const wasQueued = card.dataset.kind === 'queue';
      card.dataset.removing = wasQueued ? '' : '1';
      renderCard(card, wasQueued ? null : removingBadge());
      const later = summary && summary.checked_at && !summary.available ? ', как только qBittorrent ответит' : '';
      toast(wasQueued ? `«${card.dataset.name}»: скачивание отменено`
        : deleteFiles === '1' ? `«${card.dataset.name}»: торрент и файлы будут удалены${later}`
          : `«${card.dataset.name}»: торрент будет убран из qBittorrent${later}`);
    }
    schedule(1500);
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- small comforts -----------------------------------------------------------------------------------

const sort = document.getElementById('library-sort');
if (sort) sort.addEventListener('change', () => sort.form.requestSubmit());

// After a card's form the page opens at that card: repeat the message there, where the eye is.
if (window.location.hash.startsWith('#movie-')) {
  for (const flash of document.querySelectorAll('.flash')) {
    toast(flash.textContent.trim(), flash.classList.contains('flash--error') ? 'error' : 'success', 6000);
  }
}

// A pick in the Kinopoisk search box goes straight into the library.
document.addEventListener('movie:add', async (event) => {
  try {
    const { status, data } = await api('/api/library', { method: 'POST', body: event.detail });
    toast(status === 201 ? `«${data.name}» добавлен в библиотеку` : `«${data.name}» уже был — данные обновлены`, 'success');
    window.location.assign(`${window.location.pathname}${window.location.search}#movie-${data.id}`);
    window.location.reload();
  } catch (error) {
    toast(error.message, 'error');
  }
});
