// Poll page: a name, then the ballot (approval cards or a ranking), who has voted (polled with an ETag),
// the result once shown, the tie-break checked in the browser, and the creator's controls.

import { api } from './lib/api.js';
import { showError, toast } from './lib/errors.js';
import { metaText, plural } from './lib/format.js';
import { setupLibraryAdd } from './lib/library-add.js';
import { copyText, readJsonScript } from './lib/page.js';
import { posterElement } from './lib/posters.js';
import { setupRating } from './lib/rating.js';
import { canVerify, pickIndex, sha256Hex } from './lib/reel.js';
import { showWinner } from './lib/winner.js';

const POLL_MS = 3000;
const MAX_BACKOFF_MS = 30000;
const SWIPE_PX = 70;
const NAME_MAX = 40;

let poll = readJsonScript('poll-data');
const manage = readJsonScript('manage-data');
const $ = (id) => document.getElementById(id);
const ranked = poll.method === 'ranked';
const names = poll.movies.map((m) => m.name);
const phone = window.matchMedia('(max-width: 640px)');

// ---- the ballot's state: approvals (approval) or the order (ranked), and the veto ------------------------

let voterName = '';
let hasBallot = false;
const answers = new Map(); // position -> true («да») / false («нет»)
let order = []; // ranked: positions, best first
let veto = null;

/** This browser's own ballot, if it has one: the page is the same for everyone, the cookie is not. */
async function loadOwnBallot() {
  try {
    const { data } = await api($('name-panel').dataset.ballotApi);
    voterName = data.name;
    hasBallot = true;
    veto = data.veto;
    if (ranked) order = [...data.ranking];
    else for (const movie of poll.movies) answers.set(movie.position, data.approve.includes(movie.position));
  } catch {
    // 404: no ballot yet (or the network failed: voting from scratch still works)
  }
  $('ballot-loading').hidden = true;
  if (ranked) renderRanking(); else renderApproval();
  if (hasBallot) {
    showBallot();
    $('submit-ballot').textContent = 'Обновить голос';
    $('ballot-saved').hidden = false;
    $('withdraw-ballot').hidden = false;
  } else {
    $('name-panel').hidden = false;
  }
}

// ---- step 1: the name ------------------------------------------------------------------------------------

function showBallot() {
  $('name-panel').hidden = true;
  $('ballot-panel').hidden = false;
  $('voting-as').textContent = `вы — ${voterName}`;
}

$('name-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('voter-name').value.split(/\s+/).filter(Boolean).join(' ');
  let problem = null;
  if (!name) problem = 'Напишите имя — хотя бы одну букву.';
  else if (name.length > NAME_MAX) problem = `Имя — не длиннее ${NAME_MAX} символов.`;
  else if (name.includes('/')) problem = 'В имени не может быть символа «/».';
  showError($('name-error'), problem);
  if (problem) { $('voter-name').focus(); return; }
  voterName = name;
  showBallot();
  (document.querySelector('.vote-card.is-current .vote-button--yes') || $('ballot-heading')).focus?.();
});

// ---- approval: cards with «да» / «нет», one at a time on a phone ---------------------------------------------

let current = 0;
let showAll = false;

/** The card's line under the title. Its year is a part of its own: a card without a poster image shows the
 * year on its title card already, and the stylesheet hides this one then (as it hides the title). */
function fillMeta(node, movie) {
  const rest = metaText({ ...movie, year: null });
  node.replaceChildren();
  if (movie.year) {
    const year = document.createElement('span');
    year.className = 'vote-card__year';
    year.textContent = rest ? `${movie.year} · ` : String(movie.year);
    node.append(year);
  }
  node.append(rest);
  node.classList.toggle('vote-card__meta--year-only', Boolean(movie.year) && !rest);
}

function renderApproval() {
  const list = $('approval-cards');
  if (!list) return;
  const template = $('card-template');
  list.replaceChildren(...poll.movies.map((movie) => {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.position = movie.position;
    card.querySelector('.poster').replaceWith(posterElement(movie, 'card'));
    card.querySelector('.vote-card__name').textContent = movie.name;
    fillMeta(card.querySelector('.vote-card__meta'), movie);
    const group = card.querySelector('.vote-card__answers');
    group.setAttribute('aria-label', `«${movie.name}»: готовы смотреть?`);
    const yes = card.querySelector('.vote-button--yes');
    const no = card.querySelector('.vote-button--no');
    yes.setAttribute('aria-label', `«${movie.name}» — да`);
    no.setAttribute('aria-label', `«${movie.name}» — нет`);
    yes.addEventListener('click', () => answer(movie.position, true));
    no.addEventListener('click', () => answer(movie.position, false));
    setupVeto(card.querySelector('.veto-button'), movie);
    setupSwipe(card, movie.position);
    return card;
  }));
  paintApproval();
}

function paintApproval() {
  const cards = [...document.querySelectorAll('.vote-card')];
  const oneAtATime = phone.matches && !showAll;
  $('approval').dataset.mode = oneAtATime ? 'one' : 'all';
  current = Math.min(current, cards.length - 1);
  for (const card of cards) {
    const position = Number(card.dataset.position);
    const value = answers.get(position);
    card.classList.toggle('is-current', cards.indexOf(card) === current);
    card.classList.toggle('is-yes', value === true);
    card.classList.toggle('is-no', value === false);
    card.classList.toggle('is-vetoed', veto === position);
    card.querySelector('.vote-button--yes').setAttribute('aria-pressed', String(value === true));
    card.querySelector('.vote-button--no').setAttribute('aria-pressed', String(value === false));
  }
  const yesCount = [...answers.values()].filter(Boolean).length;
  const answered = answers.size;
  const progress = oneAtATime
    ? `Фильм ${current + 1} из ${cards.length} · «да» — ${yesCount}`
    : `Отмечено ${answered} из ${cards.length} · «да» — ${yesCount}`;
  $('approval-progress').textContent = progress;
  $('approval-back').hidden = !oneAtATime || current === 0;
  $('approval-all').hidden = !phone.matches;
  $('approval-all').textContent = showAll ? 'По одному' : 'Показать все';
}

function answer(position, yes) {
  answers.set(position, yes);
  if (yes && veto === position) veto = null;
  const cards = [...document.querySelectorAll('.vote-card')];
  const index = cards.findIndex((c) => Number(c.dataset.position) === position);
  if (phone.matches && !showAll && index === current && current < cards.length - 1) {
    current += 1;
    paintApproval();
    cards[current].querySelector('.vote-button--yes').focus();
    return;
  }
  paintApproval();
  if (phone.matches && !showAll && index === cards.length - 1) $('submit-ballot').focus();
}

function setupSwipe(card, position) {
  let start = null;
  card.addEventListener('pointerdown', (event) => {
    if (event.pointerType === 'mouse' || event.target.closest('button')) return;
    start = { x: event.clientX, y: event.clientY, id: event.pointerId };
  });
  card.addEventListener('pointermove', (event) => {
    if (!start || event.pointerId !== start.id) return;
    const dx = event.clientX - start.x;
    if (Math.abs(dx) > Math.abs(event.clientY - start.y)) card.style.transform = `translateX(${dx}px) rotate(${dx / 30}deg)`;
  });
  const end = (event) => {
    if (!start || event.pointerId !== start.id) return;
    const dx = event.clientX - start.x;
    card.style.transform = '';
    start = null;
    if (Math.abs(dx) >= SWIPE_PX) answer(position, dx > 0); // right: «да», left: «нет»
  };
  card.addEventListener('pointerup', end);
  card.addEventListener('pointercancel', () => { card.style.transform = ''; start = null; });
}

$('approval-back')?.addEventListener('click', () => {
  current = Math.max(0, current - 1);
  paintApproval();
  document.querySelectorAll('.vote-card')[current].querySelector('.vote-button--yes').focus();
});
$('approval-all')?.addEventListener('click', () => { showAll = !showAll; paintApproval(); });
phone.addEventListener?.('change', () => (ranked ? null : paintApproval()));

// ---- the veto (one per ballot) ---------------------------------------------------------------------------

function setupVeto(button, movie) {
  if (!poll.veto || !button) return;
  button.hidden = false;
  button.setAttribute('aria-label', `Вето на «${movie.name}»`);
  button.title = 'Вето: этот фильм не смотрю ни за что';
  button.addEventListener('click', () => {
    veto = veto === movie.position ? null : movie.position;
    if (veto === movie.position) {
      answers.set(movie.position, false);
      const at = order.indexOf(movie.position);
      if (at >= 0) order.splice(at, 1);
    }
    if (ranked) renderRanking(); else paintApproval();
  });
}

function paintVetoes() {
  for (const button of document.querySelectorAll('.veto-button')) {
    const position = Number(button.closest('[data-position]').dataset.position);
    button.setAttribute('aria-pressed', String(veto === position));
    button.textContent = veto === position ? 'вето ✓' : 'вето';
  }
}

// ---- ranked: an ordered list with drag, ↑ ↓ buttons and arrow keys ----------------------------------------

function rankItem(movie, place) {
  const item = $('rank-template').content.firstElementChild.cloneNode(true);
  item.dataset.position = movie.position;
  item.querySelector('.poster').replaceWith(posterElement(movie, 'thumb'));
  item.querySelector('.rank-item__name').textContent = movie.name;
  const up = item.querySelector('.rank-item__up');
  const down = item.querySelector('.rank-item__down');
  const toggle = item.querySelector('.rank-item__toggle');
  const ranked_ = place !== null;
  item.querySelector('.rank-item__place').textContent = ranked_ ? String(place + 1) : '—';
  item.querySelector('.rank-item__handle').hidden = !ranked_;
  up.hidden = !ranked_;
  down.hidden = !ranked_;
  item.classList.toggle('is-vetoed', veto === movie.position);
  if (ranked_) {
    item.setAttribute('aria-label', `${place + 1} место: «${movie.name}». Стрелки вверх и вниз двигают, Delete убирает.`);
    up.setAttribute('aria-label', `«${movie.name}» выше`);
    down.setAttribute('aria-label', `«${movie.name}» ниже`);
    up.disabled = place === 0;
    down.disabled = place === order.length - 1;
    toggle.textContent = '✕';
    toggle.setAttribute('aria-label', `Убрать «${movie.name}» из порядка`);
    up.addEventListener('click', () => move(movie.position, -1, up));
    down.addEventListener('click', () => move(movie.position, 1, down));
    toggle.addEventListener('click', () => unrank(movie.position));
    item.addEventListener('keydown', (event) => {
      if (event.target !== item) return;
      if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
        event.preventDefault();
        move(movie.position, event.key === 'ArrowUp' ? -1 : 1, null);
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        unrank(movie.position);
      }
    });
    setupDrag(item, movie.position);
  } else {
    item.setAttribute('aria-label', `«${movie.name}» без места. Enter — добавить в конец порядка.`);
    toggle.textContent = '+';
    toggle.classList.add('rank-item__add');
    toggle.setAttribute('aria-label', `Добавить «${movie.name}» в порядок`);
    toggle.addEventListener('click', () => rank(movie.position));
    item.addEventListener('keydown', (event) => {
      if (event.target === item && event.key === 'Enter') { event.preventDefault(); rank(movie.position); }
    });
  }
  setupVeto(item.querySelector('.veto-button'), movie);
  return item;
}

function renderRanking(focus = null) {
  const list = $('ranking');
  if (!list) return;
  const byPosition = new Map(poll.movies.map((m) => [m.position, m]));
  list.replaceChildren(...order.map((position, place) => rankItem(byPosition.get(position), place)));
  const rest = poll.movies.filter((m) => !order.includes(m.position));
  $('unranked').replaceChildren(...rest.map((movie) => rankItem(movie, null)));
  $('ranking-empty').hidden = order.length > 0;
  paintVetoes();
  if (focus) {
    const [position, selector] = focus;
    const item = document.querySelector(`.rank-item[data-position="${position}"]`);
    const target = selector ? item?.querySelector(selector) : item;
    (target && !target.disabled ? target : item)?.focus();
  }
}

function move(position, step, button) {
  const at = order.indexOf(position);
  const to = at + step;
  if (at < 0 || to < 0 || to >= order.length) return;
  order.splice(at, 1);
  order.splice(to, 0, position);
  const selector = button ? (step < 0 ? '.rank-item__up' : '.rank-item__down') : null;
  renderRanking([position, selector]);
}

function rank(position) {
  if (veto === position) veto = null;
  order.push(position);
  const next = poll.movies.find((m) => !order.includes(m.position));
  renderRanking(next ? [next.position, null] : [position, null]);
  $('ranking').setAttribute('aria-description', `«${names[position]}» — ${order.length} место`);
}

function unrank(position) {
  order.splice(order.indexOf(position), 1);
  renderRanking([position, null]);
}

function setupDrag(item, position) {
  // By the handle (⠿) on a touch screen, where the rest of the item scrolls the page; anywhere with a mouse.
  item.addEventListener('pointerdown', (event) => {
    if (event.target.closest('button') || (event.pointerType === 'mouse' && event.button !== 0)) return;
    if (event.pointerType !== 'mouse' && !event.target.closest('.rank-item__handle')) return;
    const list = $('ranking');
    const startY = event.clientY;
    let dragging = false;
    const onMove = (moveEvent) => {
      if (!dragging && Math.abs(moveEvent.clientY - startY) < 8) return;
      if (!dragging) {
        dragging = true;
        item.classList.add('is-dragging');
        item.setPointerCapture?.(event.pointerId);
      }
      moveEvent.preventDefault();
      const siblings = [...list.children].filter((child) => child !== item);
      const before = siblings.find((child) => {
        const box = child.getBoundingClientRect();
        return moveEvent.clientY < box.top + box.height / 2;
      });
      list.insertBefore(item, before || null);
    };
    const onUp = () => {
      window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp);
      window.removeEventListener('pointercancel', onUp);
      if (!dragging) return;
      order = [...list.children].map((child) => Number(child.dataset.position));
      renderRanking([position, null]);
    };
    window.addEventListener('pointermove', onMove, { passive: false });
    window.addEventListener('pointerup', onUp);
    window.addEventListener('pointercancel', onUp);
  });
}

// ---- sending the ballot -------------------------------------------------------------------------------------

function ballotBody() {
  const body = hasBallot ? {} : { name: voterName };
  if (hasBallot && voterName) body.name = voterName;
  if (ranked) body.ranking = [...order];
  else body.approve = poll.movies.map((m) => m.position).filter((p) => answers.get(p) === true);
  if (poll.veto) body.veto = veto;
  return body;
}

$('submit-ballot')?.addEventListener('click', async () => {
  const button = $('submit-ballot');
  showError($('ballot-error'), null);
  if (!ranked && answers.size < poll.movies.length && !confirmMissing()) return;
  button.disabled = true;
  try {
    const { data } = await api(`/api/polls/${encodeURIComponent(poll.id)}/ballot`, { method: 'PUT', body: ballotBody() });
    hasBallot = true;
    voterName = data.name;
    $('voting-as').textContent = `вы — ${voterName}`;
    $('ballot-saved').hidden = false;
    $('withdraw-ballot').hidden = false;
    button.textContent = 'Обновить голос';
    toast('Голос принят ✓', 'success');
    refresh();
  } catch (error) {
    if (error.code === 'name_taken' || error.code === 'invalid_name' || error.code === 'name_required') {
      $('ballot-panel').hidden = true;
      $('name-panel').hidden = false;
      showError($('name-error'), error.message);
      $('voter-name').focus();
    } else {
      showError($('ballot-error'), error.message);
    }
    if (error.code === 'poll_closed') refresh();
  } finally {
    button.disabled = false;
  }
});

function confirmMissing() {
  const missing = poll.movies.length - answers.size;
  return window.confirm(`Без ответа ${missing} ${plural(missing, 'фильм', 'фильма', 'фильмов')} — они будут считаться «нет». Отправить?`);
}

$('withdraw-ballot')?.addEventListener('click', async () => {
  if (!window.confirm('Отозвать ваш голос?')) return;
  try {
    await api(`/api/polls/${encodeURIComponent(poll.id)}/ballot`, { method: 'DELETE' });
    hasBallot = false;
    $('ballot-saved').hidden = true;
    $('withdraw-ballot').hidden = true;
    $('submit-ballot').textContent = 'Отдать голос';
    toast('Голос отозван');
    refresh();
  } catch (error) {
    showError($('ballot-error'), error.message);
  }
});

// ---- who has voted, and the creator's controls --------------------------------------------------------------

function renderVoters() {
  $('voter-count').textContent = String(poll.voters.length);
  $('voters-empty').hidden = poll.voters.length > 0;
  const canRemove = manage && poll.status === 'open';
  $('voters').replaceChildren(...poll.voters.map((name) => {
    const item = document.createElement('li');
    item.className = 'voter';
    const label = document.createElement('span');
    label.className = 'voter__name';
    label.textContent = name;
    item.append(label);
    if (canRemove) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'icon-button voter__remove';
      remove.textContent = '✕';
      remove.setAttribute('aria-label', `Убрать голос: ${name}`);
      remove.title = 'Убрать голос';
      remove.addEventListener('click', () => removeVoter(name));
      item.append(remove);
    }
    return item;
  }));
}

async function removeVoter(name) {
  if (!window.confirm(`Убрать голос «${name}»?`)) return;
  try {
    await api(`/api/polls/${encodeURIComponent(poll.id)}/ballots/${encodeURIComponent(name)}`, {
      method: 'DELETE', body: { token: manage.token },
    });
    toast(`Голос «${name}» убран`);
    refresh();
  } catch (error) {
    showError($('manage-error'), error.message);
  }
}

$('close-poll')?.addEventListener('click', async () => {
  if (!window.confirm('Закрыть голосование и подсчитать голоса? Потом голосовать будет нельзя.')) return;
  const button = $('close-poll');
  button.disabled = true;
  try {
    const { data } = await api(`/api/polls/${encodeURIComponent(poll.id)}/close`, {
      method: 'POST', body: { token: manage.token },
    });
    update(data);
  } catch (error) {
    button.disabled = false;
    showError($('manage-error'), error.message);
  }
});

$('copy-poll-link')?.addEventListener('click', async () => {
  const input = $('poll-link');
  await copyText(input);
  toast('Ссылка скопирована — отправьте её друзьям', 'success');
});

// ---- the result: the winner, the counts or the head-to-head table, the tie-break -------------------------

function cell(tag, text, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

function renderCounts(result) {
  const max = Math.max(1, ...result.counts);
  const rows = poll.movies
    .map((movie) => ({ movie, yes: result.counts[movie.position] }))
    .sort((a, b) => b.yes - a.yes || a.movie.position - b.movie.position);
  const list = document.createElement('ol');
  list.className = 'tally';
  list.setAttribute('aria-label', 'Сколько «да» у каждого фильма');
  for (const { movie, yes } of rows) {
    const item = document.createElement('li');
    item.className = 'tally__row';
    if (result.tied.includes(movie.position)) item.classList.add('is-top');
    if (result.excluded.includes(movie.position)) item.classList.add('is-excluded');
    item.append(cell('span', movie.name, 'tally__name'));
    const bar = cell('span', '', 'tally__bar');
    bar.style.setProperty('--share', String(yes / max));
    item.append(bar, cell('span', `${yes} ${plural(yes, '«да»', '«да»', '«да»')}`, 'tally__count'));
    const vetoes = result.vetoes[movie.position];
    if (vetoes) item.append(cell('span', `вето × ${vetoes}`, 'tally__veto'));
    list.append(item);
  }
  return list;
}

function renderPairwise(result) {
  const wrap = document.createElement('div');
  wrap.className = 'pairwise';
  const explain = cell('p', 'В клетке — сколько участников поставили фильм строки выше фильма столбца. '
    + 'Фильм, который выигрывает у каждого один на один, побеждает всегда. Если такого нет, побеждает фильм '
    + 'с самыми сильными цепочками побед один на один (метод Шульце).', 'hint');
  const scroller = document.createElement('div');
  scroller.className = 'pairwise__scroll';
  const table = document.createElement('table');
  table.className = 'pairwise__table';
  table.append(cell('caption', 'Один на один: строка против столбца'));
  const head = document.createElement('tr');
  head.append(cell('th', ''));
  poll.movies.forEach((movie, i) => {
    const th = cell('th', String(i + 1));
    th.scope = 'col';
    th.title = movie.name;
    th.setAttribute('aria-label', movie.name);
    head.append(th);
  });
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  for (const a of poll.movies) {
    const row = document.createElement('tr');
    if (result.tied.includes(a.position)) row.className = 'is-top';
    if (result.excluded.includes(a.position)) row.classList.add('is-excluded');
    const th = cell('th', `${a.position + 1}. ${a.name}`);
    th.scope = 'row';
    row.append(th);
    for (const b of poll.movies) {
      if (a.position === b.position) { row.append(cell('td', '—', 'is-self')); continue; }
      const wins = result.pairwise[a.position][b.position];
      const losses = result.pairwise[b.position][a.position];
      const td = cell('td', String(wins), wins > losses ? 'is-win' : wins < losses ? 'is-loss' : 'is-draw');
      td.title = `«${a.name}» выше «${b.name}»: ${wins}, ниже: ${losses}`;
      row.append(td);
    }
    tbody.append(row);
  }
  table.append(thead, tbody);
  scroller.append(table);
  wrap.append(explain, scroller);
  return wrap;
}

function howItWon(result) {
  const winner = names[result.winner];
  if (result.tied.length > 1) {
    const tied = result.tied.map((p) => `«${names[p]}»`).join(', ');
    return `Ничья между ${tied} — решил барабан.`;
  }
  if (ranked) {
    const others = poll.movies.filter((m) => m.position !== result.winner && !result.excluded.includes(m.position));
    const beatsAll = others.every((m) => result.pairwise[result.winner][m.position] > result.pairwise[m.position][result.winner]);
    if (beatsAll && others.length) {
      const scores = others.map((m) => `${result.pairwise[result.winner][m.position]}:${result.pairwise[m.position][result.winner]}`);
      return `«${winner}» выигрывает один на один у каждого фильма (${scores.join(', ')}).`;
    }
    return `«${winner}» побеждает по методу Шульце: у него самые сильные цепочки побед один на один.`;
  }
  return `«${winner}» набрал больше всех «да»: ${result.counts[result.winner]}.`;
}

function renderResult() {
  const result = poll.result;
  const panel = $('result-panel');
  panel.hidden = !result;
  if (!result) return;
  $('result-heading').textContent = poll.status === 'closed' ? 'Итоги' : 'Промежуточный счёт';
  const slot = $('result-winner');
  if (result.winner !== null && poll.status === 'closed') {
    const winner = poll.movies[result.winner];
    showWinner(slot, $('winner-template'), winner);
    slot.querySelector('[data-testid="winner-how"]').textContent = howItWon(result);
  } else {
    const leaders = result.tied.map((p) => `«${names[p]}»`).join(', ');
    slot.replaceChildren(cell('p', result.tied.length > 1
      ? `Сейчас поровну: ${leaders}. Если так и останется, при закрытии выберет барабан.`
      : `Сейчас впереди ${leaders}.`, 'poll-leader'));
  }
  const body = [];
  body.push(ranked ? renderPairwise(result) : renderCounts(result));
  if (result.excluded.length) {
    const vetoed = result.excluded.map((p) => `«${names[p]}»`).join(', ');
    body.push(cell('p', `Под вето и не участвуют в подсчёте: ${vetoed}.`, 'hint'));
  }
  body.push(cell('p', `Голосов: ${result.ballots}.`, 'hint'));
  $('result-body').replaceChildren(...body);
}

async function verify() {
  const verdict = $('verdict');
  if (!verdict || !poll.seed || !poll.result) return;
  if (!canVerify()) {
    verdict.textContent = 'Браузер не умеет считать SHA-256 на этой странице (нужен HTTPS). Проверьте вручную — инструкция ниже.';
    return;
  }
  const result = poll.result;
  const tiedNames = result.tied.map((p) => names[p]);
  const commitmentOk = (await sha256Hex(poll.seed)) === poll.commitment;
  const picked = result.tied[await pickIndex(poll.seed, poll.id, tiedNames)];
  const ok = commitmentOk && picked === result.winner;
  verdict.dataset.state = ok ? 'ok' : 'bad';
  verdict.dataset.testid = 'tie-verdict';
  if (!commitmentOk) verdict.textContent = '✗ Не сходится: раскрытый seed не даёт опубликованный отпечаток.';
  else if (!ok) verdict.textContent = `✗ Не сходится: по формуле выходит «${names[picked]}», а объявлен «${names[result.winner]}».`;
  else if (result.tied.length > 1) verdict.textContent = `✓ Всё сходится: раскрытое число совпадает с отпечатком, и барабан среди ${tiedNames.length} ${plural(tiedNames.length, 'фильма', 'фильмов', 'фильмов')} с равным счётом выбирает «${names[picked]}».`;
  else verdict.textContent = `✓ Всё сходится: раскрытое число совпадает с отпечатком; ничьей не было — «${names[picked]}» впереди по голосам.`;
}

// ---- keeping up: poll the API cheaply (ETag), show the close the moment it happens ----------------------------

let etag = null;
let delay = POLL_MS;
let timer = null;

function update(data) {
  const wasOpen = poll.status === 'open';
  poll = data;
  renderVoters();
  renderResult();
  if (wasOpen && poll.status === 'closed') {
    $('poll-heading').textContent = 'Голосование закрыто';
    $('poll-lead').textContent = poll.closed_by === 'deadline' ? 'Закрылось по сроку.' : 'Голоса подсчитаны.';
    for (const id of ['name-panel', 'ballot-panel', 'poll-facts', 'secrecy-hint', 'ballot-loading']) { if ($(id)) $(id).hidden = true; }
    if ($('manage-invite')) $('manage-invite').textContent = 'Итоги видны всем по этой ссылке.';
    $('close-poll')?.remove();
    const fairness = $('fairness');
    if (!$('verdict')) {
      const verdict = cell('div', 'Проверяем в вашем браузере…', 'verdict');
      verdict.id = 'verdict';
      verdict.setAttribute('role', 'status');
      fairness.querySelector('h2').after(verdict);
      const facts = fairness.querySelector('.fairness__facts');
      facts.append(cell('dt', 'Раскрытое число (seed)'), cell('dd', poll.seed, 'mono'));
      fairness.querySelector('p:not(.hint)')?.remove();
    }
    verify();
    toast('Голосование закрыто — итоги готовы', 'success');
  }
}

async function refresh() {
  clearTimeout(timer);
  try {
    const response = await api(`/api/polls/${encodeURIComponent(poll.id)}`, { etag });
    delay = POLL_MS;
    if (response.status !== 304) {
      etag = response.etag;
      update(response.data);
    }
  } catch (error) {
    if (error.status === 404) { $('poll-lead').textContent = 'Это голосование удалили.'; return; }
    delay = Math.min(delay * 2, MAX_BACKOFF_MS);
  }
  if (poll.status === 'open') timer = setTimeout(tick, delay);
}

function tick() {
  if (document.hidden) { timer = setTimeout(tick, POLL_MS); return; }
  refresh();
}

// ---- start ----------------------------------------------------------------------------------------------

if (poll.status === 'open') {
  loadOwnBallot();
  // A kept page may predate the deadline: ask at once, and the first read that notices closes the poll.
  const due = poll.deadline && new Date(poll.deadline) <= new Date();
  timer = setTimeout(tick, due ? 0 : POLL_MS);
}
renderVoters();
renderResult();
verify();
document.addEventListener('visibilitychange', () => { if (!document.hidden && poll.status === 'open') refresh(); });
const rating = $('rating');
if (rating) setupRating(rating);
setupLibraryAdd(poll.movies);
