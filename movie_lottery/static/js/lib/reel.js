// The reel: the formula in the browser (movie_lottery/core/reel.py), which the lottery result and poll pages
// check the server with, and the spinning strip every page shows — the play page while the server draws, the
// waiting page when it learns of the draw, a tied poll's page when it closes, and any page's «посмотреть ещё
// раз». Each lands at the server's ``lands_at`` (by the server's clock, see serverClock), so all land together.

import { prefersReducedMotion } from './page.js';
import { watchPosters } from './posters.js';

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The documented pick: int(sha256(seed \n id \n names...), 16) mod n. */
export async function pickIndex(seed, id, names) {
  const hex = await sha256Hex([seed, id, ...names].join('\n'));
  return Number(BigInt(`0x${hex}`) % BigInt(names.length));
}

/** Web Crypto exists only on secure pages (HTTPS or localhost). */
export const canVerify = () => Boolean(window.crypto && crypto.subtle);

/**
 * The server's clock, from the ``now`` the server wrote into the page: the time its first byte arrived
 * (Navigation Timing) is that moment here, and the monotonic clock counts on from it. Immune to a phone's
 * clock being wrong or changed; off by the page's one-way trip (tens of ms).
 * Returns ``msUntil(iso)``: how long from now until the server's moment ``iso`` (negative once past).
 */
export function serverClock(nowIso) {
  const navigation = performance.getEntriesByType?.('navigation')?.[0];
  const here = navigation && navigation.responseStart > 0 ? navigation.responseStart : performance.now();
  return clockFrom(nowIso, here);
}

/** The same from an answer's ``now``, taken as this moment (``here``, the monotonic clock) when it arrived. */
export function clockFrom(nowIso, here = performance.now()) {
  const there = Date.parse(nowIso);
  const serverNow = () => there + (performance.now() - here);
  return (iso) => Date.parse(iso) - serverNow();
}

const SPIN_PX_PER_S = 1400; // the steady speed while the server answers
// easeOutQuart: it starts at 4x its average speed, so a landing over D px that lasts T ms begins at the
// spinning speed when D = speed × T / 4: the stop is the winner's copy nearest that far ahead.
const LAND_EASING = 'cubic-bezier(0.25, 1, 0.5, 1)';
const LAND_START_SLOPE = 4;
const SHORTEST_LANDING_MS = 400; // a landing that is due now still moves, briefly
const MAX_LOOPS = 60;

/**
 * A reel on the page: ``.reel`` (its items ``.reel__item[data-position]``) inside ``.reel-window``.
 * ``longestMs``: the longest landing it will be asked for (the server's spin_ms).
 */
export function makeReel(strip, { longestMs }) {
  const originals = [...strip.children];
  let spin = null;
  let pinned = null;

  const windowWidth = () => strip.parentElement.clientWidth;

  /** One repetition of the candidates is this many pixels wide. */
  function loopWidth() {
    return strip.children[originals.length].offsetLeft - strip.children[0].offsetLeft;
  }

  function addLoop() {
    for (const item of originals) {
      const copy = item.cloneNode(true);
      copy.setAttribute('aria-hidden', 'true');
      strip.append(copy);
    }
  }

  /** Repeat the candidates until the strip can spin a loop, run up to a stop and still fill the window. */
  function lengthen() {
    if (strip.children.length === originals.length) addLoop();
    const needed = () => 3 * loopWidth() + (SPIN_PX_PER_S * longestMs) / 1000 / LAND_START_SLOPE + 2 * windowWidth();
    // Bounded: a window that grew with its strip (a layout bug) must not hang the page.
    for (let loops = 0; strip.scrollWidth < needed() && loops < MAX_LOOPS; loops += 1) addLoop();
    watchPosters(strip);
  }

  /** How far the strip is moved now (px, positive to the left). */
  function currentShift() {
    const transform = getComputedStyle(strip).transform;
    return transform === 'none' ? 0 : -new DOMMatrixReadOnly(transform).m41;
  }

  /** The shift that puts an item under the marker. */
  const shiftFor = (item) => item.offsetLeft + item.offsetWidth / 2 - windowWidth() / 2;

  function reset() {
    for (const animation of strip.getAnimations()) animation.cancel();
    strip.style.transform = '';
    strip.classList.remove('is-done');
    for (const item of strip.querySelectorAll('.is-winner')) item.classList.remove('is-winner');
    if (pinned) window.removeEventListener('resize', pinned);
    pinned = null;
  }

  /** Spin at a steady speed until told where to land; one loop over and over is seamless. */
  function start() {
    lengthen();
    if (spin || prefersReducedMotion()) return;
    const width = loopWidth();
    spin = strip.animate(
      [{ transform: 'translateX(0)' }, { transform: `translateX(${-width}px)` }],
      { duration: (width / SPIN_PX_PER_S) * 1000, iterations: Infinity },
    );
  }

  function stop() {
    const shift = currentShift();
    if (spin) spin.cancel();
    spin = null;
    return shift;
  }

  /** Keep the winner under the marker when the window changes (a phone turned after the draw). */
  function pinTo(item) {
    const centre = () => {
      // Measure first: a layout read between the cancel and the new value would make the stylesheet's
      // reduced-motion transition (every element gets .01 ms) start from the strip's unmoved place.
      const shift = shiftFor(item);
      for (const animation of strip.getAnimations()) animation.cancel();
      strip.style.transform = `translateX(${-shift}px)`;
    };
    centre();
    pinned = centre;
    window.addEventListener('resize', centre);
  }

  function mark(item) {
    pinTo(item);
    strip.classList.add('is-done');
    item.classList.add('is-winner');
    return item;
  }

  /**
   * Decelerate from where the strip is onto a copy of ``position`` so that it stops in ``ms`` (from now),
   * not before: the promise gives the item it stopped on. With reduced motion it waits and then jumps.
   */
  function land(position, ms) {
    lengthen();
    const duration = Math.max(SHORTEST_LANDING_MS, ms);
    const from = stop();
    const copies = [...strip.querySelectorAll(`.reel__item[data-position="${position}"]`)];
    if (prefersReducedMotion()) {
      const item = copies[0];
      return new Promise((resolve) => { setTimeout(() => resolve(mark(item)), duration); });
    }
    const wanted = from + (SPIN_PX_PER_S * duration) / 1000 / LAND_START_SLOPE;
    const ahead = copies.filter((copy) => shiftFor(copy) > from);
    const item = ahead.reduce(
      (best, copy) => (Math.abs(shiftFor(copy) - wanted) < Math.abs(shiftFor(best) - wanted) ? copy : best),
      ahead[0] || copies[copies.length - 1],
    );
    const landing = strip.animate(
      [{ transform: `translateX(${-from}px)` }, { transform: `translateX(${-shiftFor(item)}px)` }],
      { duration, easing: LAND_EASING, fill: 'forwards' },
    );
    return landing.finished.then(() => mark(item));
  }

  /** Stand still on ``position`` at once (the result is already shown). */
  function settle(position) {
    reset();
    lengthen();
    return mark(strip.querySelector(`.reel__item[data-position="${position}"]`));
  }

  /** «Посмотреть ещё раз»: from the start, the whole spin once more. */
  function replay(position, ms = longestMs) {
    reset();
    return land(position, ms).catch(() => null); // a second press mid-replay starts it afresh
  }

  return { start, stop, land, settle, replay, lengthen };
}
