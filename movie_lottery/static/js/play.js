// Play page: one press, the reel spins while the server draws, then decelerates onto the server's winner.

import { api } from './lib/api.js';
import { toast } from './lib/errors.js';
import { prefersReducedMotion, readJsonScript } from './lib/page.js';
import { watchPosters } from './lib/posters.js';
import { showWinner } from './lib/winner.js';

const lottery = readJsonScript('lottery-data');
const stage = document.querySelector('.reel-stage');
const reel = document.getElementById('reel');
const button = document.getElementById('draw-button');
const errorBox = document.getElementById('draw-error');
const SPIN_PX_PER_S = 1400; // while the server answers
const LAND_MS = 4000; // at least this long from the answer to the stop
// easeOutQuart: it starts at 4x its average speed, so a landing over D px begins at the spinning speed when
// it lasts 4 D / speed; the stop is chosen far enough ahead for that to be at least LAND_MS.
const LAND_EASING = 'cubic-bezier(0.25, 1, 0.5, 1)';
const LAND_START_SLOPE = 4;

const originals = [...reel.children];
let spin = null;
let busy = false;

/** The strip repeats the candidates; one repetition is this many pixels wide. */
function loopWidth() {
  const first = reel.children[0];
  const copy = reel.children[originals.length];
  return copy.offsetLeft - first.offsetLeft;
}

/** Repeat the candidates until the strip can spin a loop, run up to a stop and still fill the window. */
function lengthenStrip() {
  const windowWidth = reel.parentElement.clientWidth;
  const needed = () => 3 * loopWidth() + (SPIN_PX_PER_S * LAND_MS) / 1000 / LAND_START_SLOPE + 2 * windowWidth;
  if (reel.children.length === originals.length) addLoop();
  while (reel.scrollWidth < needed()) addLoop();
  watchPosters(reel);
}

function addLoop() {
  for (const item of originals) {
    const copy = item.cloneNode(true);
    copy.setAttribute('aria-hidden', 'true');
    reel.append(copy);
  }
}

/** How far the strip is moved now (px, positive to the left). */
function currentShift() {
  const transform = getComputedStyle(reel).transform;
  return transform === 'none' ? 0 : -new DOMMatrixReadOnly(transform).m41;
}

/** The shift that puts an item under the marker. */
function shiftFor(item) {
  return item.offsetLeft + item.offsetWidth / 2 - reel.parentElement.clientWidth / 2;
}

/** Spin at a steady speed until the answer comes; the strip repeats, so one loop over and over is seamless. */
function startSpinning() {
  if (prefersReducedMotion()) return;
  const width = loopWidth();
  spin = reel.animate(
    [{ transform: 'translateX(0)' }, { transform: `translateX(${-width}px)` }],
    { duration: (width / SPIN_PX_PER_S) * 1000, iterations: Infinity },
  );
}

function stopSpinning() {
  const shift = currentShift();
  if (spin) spin.cancel();
  spin = null;
  return shift;
}

/** Decelerate from where the reel is onto a copy of the winner far enough ahead; at once with reduced motion. */
function landOn(position) {
  const reduced = prefersReducedMotion();
  const from = stopSpinning();
  const runUp = reduced ? 0 : (SPIN_PX_PER_S * LAND_MS) / 1000 / LAND_START_SLOPE;
  const copies = [...reel.querySelectorAll(`.reel__item[data-position="${position}"]`)];
  const item = copies.find((copy) => shiftFor(copy) >= from + runUp) || copies[copies.length - 1];
  const to = shiftFor(item);
  const duration = reduced ? 1 : Math.max(1, ((to - from) * LAND_START_SLOPE * 1000) / SPIN_PX_PER_S);
  const landing = reel.animate(
    [{ transform: `translateX(${-from}px)` }, { transform: `translateX(${-to}px)` }],
    { duration, easing: LAND_EASING, fill: 'forwards' },
  );
  return landing.finished.then(() => item);
}

/** Keep the winner under the marker when the window changes (a phone turned after the draw). */
function pinTo(item) {
  const centre = () => {
    // Measure first: a layout read between the cancel and the new value would make the stylesheet's
    // reduced-motion transition (every element gets .01 ms) start from the strip's unmoved place.
    const shift = shiftFor(item);
    for (const animation of reel.getAnimations()) animation.cancel();
    reel.style.transform = `translateX(${-shift}px)`;
  };
  centre();
  window.addEventListener('resize', centre);
}

function setBusy(value) {
  busy = value;
  // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page's start.
  button.setAttribute('aria-disabled', String(value));
  stage.setAttribute('aria-busy', String(value));
  button.textContent = value ? 'Крутим…' : 'Крутить!';
}

async function draw() {
  if (busy) return;
  setBusy(true);
  errorBox.hidden = true;
  lengthenStrip();
  startSpinning();
  let result;
  try {
    ({ data: result } = await api(`/api/lotteries/${encodeURIComponent(lottery.id)}/draw`, {
      method: 'POST', body: { token: reel.dataset.token },
    }));
  } catch (error) {
    stopSpinning();
    errorBox.textContent = error.message;
    errorBox.hidden = false;
    setBusy(false);
    return;
  }
  const winner = result.winner;
  const item = await landOn(winner.position);
  pinTo(item);
  reel.classList.add('is-done');
  item.classList.add('is-winner');
  stage.setAttribute('aria-busy', 'false');
  showWinner(document.getElementById('winner-slot'), document.getElementById('winner-template'), winner);
  // The pressed button goes away: the keyboard focus moves to what it brought, not to the page's start.
  const heading = document.querySelector('#winner-slot [data-testid="winner-name"]');
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
  button.hidden = true;
  toast(`Смотрим «${winner.name}»!`, 'success');
  heading.scrollIntoView({ behavior: prefersReducedMotion() ? 'auto' : 'smooth', block: 'center' });
}

lengthenStrip();
button.addEventListener('click', draw);
