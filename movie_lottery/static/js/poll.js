// Poll page: a name, then the ballot (approval cards or a ranking), and the creator's controls; the parts
// that change while people vote (who has voted, the result, the close) are the server's, swapped in from the
// page's /live twin; the tie-break is checked here, in the browser.
//
// The ballot is built here: it is this person's unsent draft, which changes on every tap, drag or key, and
// the page around it is one rendering shared by everyone.

import { api } from './lib/api.js';
import { ask } from './lib/dialog.js';
import { showError, toast } from './lib/errors.js';
import { localizeTimes, metaText, plural } from './lib/format.js';
import { fromHtml, swap } from './lib/fragments.js';
import { HONEST, NO_CHECK_HERE, notHonest } from './lib/honesty.js';
import { followLive } from './lib/live.js';
import { setupLibraryAdd } from './lib/library-add.js';
import { prefersReducedMotion, readJsonScript } from './lib/page.js';
import { posterElement, watchPosters } from './lib/posters.js';
import { setupRating } from './lib/rating.js';
import { canVerify, clockFrom, makeReel, pickIndex, sha256Hex } from './lib/reel.js';
import './lib/share.js'; // «Поделиться» in the manage panel (it is swapped in live: the module listens on document)
import { telegram, telegramName } from './lib/telegram.js';
import { checkText, pageRule } from './lib/text-rules.js';

const POLL_MS = 3000;
const MAX_BACKOFF_MS = 30000;
const SWIPE_PX = 70;
const NAME_RULE = pageRule('participant_name'); // the server's rule, from the page

const poll = readJsonScript('poll-data');
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
let unsent = false; // picks on the page that the server has not got yet

// Whether this browser sent a ballot here: remembered by the page, so a first visitor (no ballot) is not
// kept waiting on a GET that can only answer 404 — on a slow phone that cost 1.6–2.3 s before the name step.
// A browser that voted before this mark existed still finds its ballot: its name, typed at the name step, is
// one the server says is its own (see the name form).
const BALLOT_MARK = `ml:ballot:${poll.id}`;
function markBallot(sent) {
  try {
    if (sent) localStorage.setItem(BALLOT_MARK, '1'); else localStorage.removeItem(BALLOT_MARK);
  } catch { /* private mode: the page asks the server instead */ }
}
function maySeeOwnBallot() {
  if (telegram) return true; // the account may have voted from another phone (and its init data get checked)
  if (!(poll.voters || []).length) return false; // nobody has voted: nor has this browser
  try { return localStorage.getItem(BALLOT_MARK) !== null; } catch { return true; }
}

/** This browser's own ballot, if it has one (the page is the same for everyone, the cookie is not). */
async function fetchOwnBallot() {
  try {
    const { data } = await api($('name-panel').dataset.ballotApi);
    voterName = data.name;
    hasBallot = true;
    veto = data.veto;
    if (ranked) order = [...data.ranking];
    else for (const movie of poll.movies) answers.set(movie.position, data.approve.includes(movie.position));
    markBallot(true);
    return true;
  } catch (error) {
    if (error.status === 404) markBallot(false);
    if (error.code === 'telegram_unverified') telegramRefused = error.message;
    return false; // 404: no ballot yet (or the network failed: voting from scratch still works)
  }
}

// ---- inside Telegram: the account is the voter, no name to type ---------------------------------------------

let telegramRefused = null; // the server's words when it could not verify the Mini App's init data

function sayWhoVotes() {
  $('voting-as').textContent = telegram ? `Вы — ${voterName}` : `вы — ${voterName}`;
}

/** A page the ballot cannot be sent from: Telegram-only outside Telegram, or init data the server refused. */
function showTelegramProblem(message) {
  $('ballot-loading').hidden = true;
  $('name-panel').hidden = true;
  $('ballot-panel').hidden = true;
  $('telegram-problem-text').textContent = message;
  $('telegram-problem').hidden = false;
}

function showOwnBallot() {
  if (ranked) renderRanking(); else renderApproval();
  showBallot();
  $('submit-ballot').textContent = 'Обновить голос';
  $('ballot-saved').hidden = false;
  $('withdraw-ballot').hidden = false;
}

async function startBallot() {
  if (poll.verification === 'telegram' && !telegram) {
    showTelegramProblem($('telegram-problem').dataset.onlyTelegram);
    return;
  }
  const found = maySeeOwnBallot() && (await fetchOwnBallot());
  $('ballot-loading').hidden = true;
  if (telegramRefused) {
    showTelegramProblem(telegramRefused);
    return;
  }
  if (found) {
    showOwnBallot();
    return;
  }
  if (ranked) renderRanking(); else renderApproval();
  if (telegram) {
    voterName = telegramName();
    showBallot(); // no name step: Telegram says who this is
    return;
  }
  $('name-panel').hidden = false;
}

// ---- step 1: the name ------------------------------------------------------------------------------------

function showBallot() {
  $('name-panel').hidden = true;
  $('ballot-panel').hidden = false;
  sayWhoVotes();
}

/** Someone else's name already? Asked now, not after the whole ballot is filled in; when the server cannot
 * say (no connection), the ballot's own check still will. */
async function nameTakenProblem(name) {
  try {
    const { data } = await api($('name-panel').dataset.namesApi, { method: 'POST', body: { name } });
    return data && data.taken ? `Имя «${name}» уже занято — добавьте, например, фамилию.` : null;
  } catch {
    return null;
  }
}

$('name-form')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const { value: name, ok, empty, tooLong } = checkText($('voter-name').value, NAME_RULE);
  let problem = null;
  if (empty) problem = 'Напишите имя — хотя бы одну букву.';
  else if (tooLong) problem = `Имя — не длиннее ${NAME_RULE.max} символов.`;
  else if (!ok) problem = `${NAME_RULE.message}.`;
  else problem = await nameTakenProblem(name);
  showError($('name-error'), problem);
  if (problem) { $('voter-name').focus(); return; }
  // A name among the voters that is not someone else's is this browser's own: its ballot, not a blank one.
  const fold = (text) => text.toLocaleLowerCase('ru').replaceAll('ё', 'е').split(/\s+/).join(' ').trim();
  if ((poll.voters || []).some((voter) => fold(voter) === fold(name)) && (await fetchOwnBallot())) {
    showOwnBallot();
  } else {
    voterName = name;
    showBallot();
  }
  // The keyboard goes on where the eye does: to the first answer, or the ballot's heading.
  const first = ranked ? null : document.querySelector('.vote-card.is-current .vote-button--yes');
  (first || $('ballot-heading')).focus();
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
  unsent = true;
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
phone.addEventListener?.('change', () => (ranked || !$('approval') || $('approval').hidden ? null : paintApproval()));

// ---- the veto (one per ballot) ---------------------------------------------------------------------------

function setupVeto(button, movie) {
  if (!poll.veto || !button) return;
  button.hidden = false;
  button.setAttribute('aria-label', `Вето на «${movie.name}»`);
  button.title = 'Вето: этот фильм не смотрю ни за что';
  button.addEventListener('click', () => {
    unsent = true;
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
  const placeNode = item.querySelector('.rank-item__place');
  placeNode.textContent = ranked_ ? String(place + 1) : '';
  placeNode.hidden = !ranked_; // no «—» before a movie without a place: it read as a minus
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
    toggle.textContent = '+ в порядок';
    toggle.classList.replace('icon-button', 'rank-button');
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
  unsent = true;
  order.splice(at, 1);
  order.splice(to, 0, position);
  const selector = button ? (step < 0 ? '.rank-item__up' : '.rank-item__down') : null;
  renderRanking([position, selector]);
}

function rank(position) {
  unsent = true;
  if (veto === position) veto = null;
  order.push(position);
  const next = poll.movies.find((m) => !order.includes(m.position));
  renderRanking(next ? [next.position, null] : [position, null]);
  $('ranking').setAttribute('aria-description', `«${names[position]}» — ${order.length} место`);
}

function unrank(position) {
  unsent = true;
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
      unsent = true;
      renderRanking([position, null]);
    };
    window.addEventListener('pointermove', onMove, { passive: false });
    window.addEventListener('pointerup', onUp);
    window.addEventListener('pointercancel', onUp);
  });
}

// ---- sending the ballot -------------------------------------------------------------------------------------

function ballotBody() {
  const body = hasBallot || telegram ? {} : { name: voterName };
  if (hasBallot && voterName && !telegram) body.name = voterName;
  if (ranked) body.ranking = [...order];
  else body.approve = poll.movies.map((m) => m.position).filter((p) => answers.get(p) === true);
  if (poll.veto) body.veto = veto;
  return body;
}

$('submit-ballot')?.addEventListener('click', async () => {
  const button = $('submit-ballot');
  showError($('ballot-error'), null);
  if (!ranked && answers.size < poll.movies.length && !(await confirmMissing())) return;
  button.disabled = true;
  try {
    const { data } = await api(`/api/polls/${encodeURIComponent(poll.id)}/ballot`, { method: 'PUT', body: ballotBody() });
    hasBallot = true;
    unsent = false;
    markBallot(true);
    voterName = data.name;
    sayWhoVotes();
    $('ballot-saved').hidden = false;
    $('withdraw-ballot').hidden = false;
    button.textContent = 'Обновить голос';
    toast('Голос принят ✓', 'success');
    refresh();
  } catch (error) {
    if (error.code === 'telegram_unverified' || error.code === 'telegram_required') {
      showTelegramProblem(error.message);
    } else if (!telegram && (error.code === 'name_taken' || error.code === 'invalid_name' || error.code === 'name_required')) {
      $('ballot-panel').hidden = true;
      $('name-panel').hidden = false;
      showError($('name-error'), error.message);
      $('voter-name').focus();
    } else {
      showError($('ballot-error'), error.message);
    }
    if (error.code === 'poll_closed') { closedMidBallot(); refresh(); }
    if (error.code === 'too_many_requests') {
      waitThenResend(button, error.details.retry_after || 30);
      return;
    }
  } finally {
    if (!waiting) button.disabled = false;
  }
});

// Too many new voters from this address just now (one Wi-Fi): the answer says how long; the button counts it
// down and is ready again by itself — the ballot on the page stays as it is.
let waiting = false;
function waitThenResend(button, seconds) {
  waiting = true;
  const label = button.textContent;
  let left = seconds;
  button.disabled = true;
  const tick = () => {
    if (left <= 0) {
      clearInterval(timer);
      waiting = false;
      button.disabled = false;
      button.textContent = label;
      showError($('ballot-error'), null);
      toast('Можно отправлять — нажмите ещё раз');
      return;
    }
    button.textContent = `Отправить можно через ${left} с`;
    left -= 1;
  };
  const timer = setInterval(tick, 1000);
  tick();
}

function confirmMissing() {
  const missing = poll.movies.length - answers.size;
  return ask(`Без ответа ${missing} ${plural(missing, 'фильм', 'фильма', 'фильмов')} — они будут считаться «нет». Отправить?`, { yes: 'Отправить' });
}

$('withdraw-ballot')?.addEventListener('click', async () => {
  if (!(await ask('Отозвать ваш голос?', { yes: 'Отозвать', danger: true }))) return;
  try {
    await api(`/api/polls/${encodeURIComponent(poll.id)}/ballot`, { method: 'DELETE' });
    hasBallot = false;
    markBallot(false);
    $('ballot-saved').hidden = true;
    $('withdraw-ballot').hidden = true;
    $('submit-ballot').textContent = 'Отдать голос';
    toast('Голос отозван');
    refresh();
  } catch (error) {
    showError($('ballot-error'), error.message);
  }
});

// ---- the creator's controls (their buttons may be swapped in with a part: listened for on the page) --------

// The name goes in the body, not the path: a browser resolves a name such as «..» out of a path, even encoded.
async function removeVoter(name) {
  if (!(await ask(`Убрать голос «${name}»?`, { yes: 'Убрать', danger: true }))) return;
  try {
    await api(`/api/polls/${encodeURIComponent(poll.id)}/ballots`, {
      method: 'DELETE', body: { token: manage.token, name },
    });
    toast(`Голос «${name}» убран`);
    refresh();
  } catch (error) {
    showError($('manage-error'), error.message);
  }
}

async function removeGroup(group, size) {
  if (!(await ask(`Убрать все ${size} ${plural(Number(size), 'голос', 'голоса', 'голосов')} этой группы?`, { yes: 'Убрать', danger: true }))) return;
  try {
    const { data } = await api(`/api/polls/${encodeURIComponent(poll.id)}/ballot-groups/${encodeURIComponent(group)}`, {
      method: 'DELETE', body: { token: manage.token },
    });
    toast(`Убрано голосов: ${data.removed.length}`);
    refresh();
  } catch (error) {
    showError($('manage-error'), error.message);
  }
}

async function closePoll(button) {
  if (!(await ask('Закрыть голосование и подсчитать голоса? Потом голосовать будет нельзя.', { yes: 'Закрыть и подсчитать' }))) return;
  button.disabled = true;
  try {
    await api(`/api/polls/${encodeURIComponent(poll.id)}/close`, { method: 'POST', body: { token: manage.token } });
    refresh();
  } catch (error) {
    button.disabled = false;
    showError($('manage-error'), error.message);
  }
}

document.addEventListener('click', (event) => {
  const remove = event.target.closest('[data-remove-voter]');
  const group = event.target.closest('[data-remove-group]');
  if (remove) removeVoter(remove.dataset.removeVoter);
  else if (group) removeGroup(group.dataset.removeGroup, group.dataset.groupSize);
  else if (event.target.closest('#close-poll')) closePoll(event.target.closest('#close-poll'));
});

// ---- the tie-break, checked in the browser ----------------------------------------------------------------

/** Recompute the commitment and the tie-break from ``check`` ({seed, tied, winner}) and say if they match. */
async function verify(check) {
  const verdict = $('verdict');
  if (!verdict || !check || !check.seed) return;
  if (!canVerify()) {
    verdict.textContent = NO_CHECK_HERE;
    return;
  }
  const tiedNames = check.tied.map((p) => names[p]);
  const commitmentOk = (await sha256Hex(check.seed)) === poll.commitment;
  const picked = check.tied[await pickIndex(check.seed, poll.id, tiedNames)];
  const ok = commitmentOk && picked === check.winner;
  verdict.dataset.state = ok ? 'ok' : 'bad';
  verdict.dataset.testid = 'tie-verdict';
  if (ok) verdict.textContent = HONEST;
  else if (commitmentOk) verdict.textContent = notHonest(`по правилу выходит «${names[picked]}», а объявлен «${names[check.winner]}»`);
  else verdict.textContent = notHonest('раскрытое число не даёт отпечаток, показанный при создании');
}

// ---- a tie the reel decides: every open page spins it among the tied and lands at the same moment ----------

let tieReel = null;

/** The reel with only the tied movies on it, shown. */
function tieStage(tied, spinMs, decided = true) {
  if (!tieReel) {
    const strip = $('reel');
    for (const item of [...strip.children]) if (!tied.includes(Number(item.dataset.position))) item.remove();
    tieReel = makeReel(strip, { longestMs: spinMs });
  }
  $('tie-reel').hidden = false;
  $('tie-reel-window').hidden = false;
  const between = tied.map((p) => `«${names[p]}»`).join(', ');
  // Once decided, the result's card says «Ничья между … — решил барабан»: the line over the reel says less.
  $('tie-reel-lead').textContent = decided ? 'Так решил барабан:' : `Ничья между ${between} — решает барабан.`;
  return tieReel;
}

/** A tie decided before this page saw it land: the result is shown; the reel can spin it once more. */
function offerReplay(check, spinMs) {
  tieStage(check.tied, spinMs);
  $('tie-reel-window').hidden = true;
  $('replay-reel').hidden = false;
  $('replay-reel').onclick = () => tieStage(check.tied, spinMs).replay(check.winner, spinMs);
}

/** Spin among the tied for ``left`` ms (until the server's lands_at), then show what the page held back. */
async function spinTie(check, spinMs, left, shown) {
  const reel = tieStage(check.tied, spinMs, false);
  $('tie-reel').setAttribute('aria-busy', 'true');
  $('tie-reel').scrollIntoView({ behavior: prefersReducedMotion() ? 'auto' : 'smooth', block: 'center' });
  reel.start();
  await reel.land(check.winner, left);
  $('tie-reel').setAttribute('aria-busy', 'false');
  tieStage(check.tied, spinMs);
  shown();
  $('replay-reel').hidden = false;
  $('replay-reel').onclick = () => reel.replay(check.winner, spinMs);
}

// ---- keeping up: the server's parts, asked for cheaply (ETag), the close shown the moment it happens -------

/** The tally's bars: their share comes as data (the Content-Security-Policy refuses style attributes in the
 * server's HTML; a script may still set them). */
function paintShares(root) {
  for (const bar of root.querySelectorAll('.tally__bar[data-share]')) bar.style.setProperty('--share', bar.dataset.share);
}

function applyParts(parts) {
  for (const [name, html] of Object.entries(parts)) {
    const old = document.querySelector(`[data-part="${name}"]`);
    const fresh = fromHtml(html);
    if (!old || !fresh || !swap(old, fresh)) continue;
    localizeTimes(old);
    watchPosters(old);
    paintShares(old);
  }
}

function onAnswer(data, changed) {
  if (!changed) return;
  const msUntil = data.now ? clockFrom(data.now) : null; // the server's clock, as of this answer
  const wasOpen = poll.status === 'open';
  poll.status = data.status;
  if (!(wasOpen && poll.status === 'closed')) {
    applyParts(data.parts);
    return;
  }
  live.stop();
  const kept = closedMidBallot();
  for (const id of ['name-panel', 'secrecy-hint', 'ballot-loading', ...(kept ? [] : ['ballot-panel'])]) { if ($(id)) $(id).hidden = true; }
  const tie = data.reel && data.check && data.check.tied.length > 1;
  const left = tie && msUntil ? msUntil(data.reel.lands_at) : 0;
  if (left > 0) { // the reel is deciding right now, on every open page: the winner only when it lands
    const { result, ...rest } = data.parts;
    applyParts(rest);
    toast('Голосование закрыто — ничья, решает барабан', 'success');
    spinTie(data.check, data.reel.spin_ms, left, () => {
      applyParts({ result });
      verify(data.check);
    });
    return;
  }
  applyParts(data.parts);
  if (tie) offerReplay(data.check, data.reel.spin_ms);
  verify(data.check);
  toast('Голосование закрыто — итоги готовы', 'success');
}

// Pushed: an event says the poll moved (a ballot, the close), and the page asks for its own parts at once.
const live = poll.status === 'open' ? followLive($('voters-panel').dataset.live, `/api/polls/${encodeURIComponent(poll.id)}/events`, {
  onEvent: (_, handle) => handle.now(),
  every: POLL_MS,
  // A kept page may predate the deadline: ask at once, and the first read that notices closes the poll.
  firstIn: poll.deadline && new Date(poll.deadline) <= new Date() ? 0 : POLL_MS,
  backoff: { first: 2 * POLL_MS, max: MAX_BACKOFF_MS },
  onAnswer,
  onError(error) {
    if (error.status !== 404) return;
    live.stop();
    $('poll-lead').textContent = 'Это голосование удалили.';
  },
}) : null;

/** The poll closed (its deadline passed, or the creator closed it) while this person was choosing: their
 * picks stay on the page, read-only, and the page says plainly that they were not sent. True when kept. */
function closedMidBallot() {
  const panel = $('ballot-panel');
  if (!panel || panel.hidden || !unsent) return false;
  if (panel.classList.contains('is-closed')) return true;
  panel.classList.add('is-closed');
  for (const part of panel.children) {
    if (!part.matches('.list-header, #ballot-closed')) part.inert = true;
  }
  panel.querySelector('.ballot__actions').hidden = true;
  if (!ranked && phone.matches) { showAll = true; paintApproval(); }
  const notice = $('ballot-closed');
  notice.textContent = hasBallot
    ? 'Голосование закрылось, пока вы выбирали — изменения не отправлены: в итогах ваш прежний голос.'
    : 'Голосование закрылось, пока вы выбирали — ваш выбор не отправлен. Он остался здесь, чтобы было видно, что вы выбрали.';
  notice.hidden = false;
  showError($('ballot-error'), null);
  notice.focus({ preventScroll: false });
  return true;
}

// The deadline: the page asks at that moment (the first read after it closes the poll, rule 8), so a person
// mid-ballot learns of it then, not at their «Отдать голос».
if (poll.status === 'open' && poll.deadline) {
  const left = new Date(poll.deadline) - Date.now();
  if (left > 0 && left < 2 ** 31 - 1) setTimeout(() => refresh(), left + 500);
}

/** Something this page sent changed the poll: show it now rather than at the next ask. */
function refresh() {
  if (live) live.now();
}

// ---- start ----------------------------------------------------------------------------------------------

if (poll.status === 'open') startBallot();
paintShares(document);
if (poll.result) verify({ seed: poll.seed, tied: poll.result.tied, winner: poll.result.winner });
if (poll.reel) offerReplay(poll.result, poll.reel.spin_ms); // closed with a tie before this page opened
const rating = $('rating');
if (rating) setupRating(rating);
setupLibraryAdd(poll.movies);
