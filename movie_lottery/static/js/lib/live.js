// The one way a page keeps up with the server: ask one address again and again, cheaply.
//
// Each ask sends the last ETag (If-None-Match): while nothing has changed the answer is a bodiless 304. The
// asking pauses while the tab is hidden and resumes at once when it is shown again; failures back off
// (doubling up to a ceiling) so a struggling site or a lost connection is not hammered.

import { api } from './api.js';

/**
 * Start keeping up with ``url`` (a string, or a function giving the address of each ask).
 *
 * - ``every``: ms between asks (a number, or a function of the last answer's data).
 * - ``firstIn``: ms before the first ask (default ``every``).
 * - ``backoff``: { first, max }: the wait after the first failure in a row, doubled after each next one.
 * - ``onAnswer(data, changed)``: the latest data (kept across 304s) and whether it is new; it may return
 *   the ms until the next ask instead of ``every``.
 * - ``onError(error, failures)``: it may return the ms until the next ask instead of the back-off.
 *
 * Returns { now(), after(ms), stop() }: ask at once (after the ask under way, if any), ask after ``ms``,
 * or stop for good (a handler may call it: the drawn lottery, the closed poll, the deleted one).
 */
export function keepLive(url, { every, firstIn, backoff, onAnswer, onError = () => undefined }) {
  let etag = null;
  let data = null;
  let timer = null;
  let failures = 0;
  let asking = false;
  let again = false;
  let stopped = false;

  const everyMs = () => (typeof every === 'function' ? every(data) : every);

  function after(ms) {
    clearTimeout(timer);
    timer = null;
    if (!stopped && !document.hidden) timer = setTimeout(ask, ms);
  }

  async function ask() {
    clearTimeout(timer);
    timer = null;
    if (stopped || document.hidden) return;
    if (asking) { again = true; return; } // what changed meanwhile is asked for right after
    asking = true;
    let next;
    try {
      const answer = await api(typeof url === 'function' ? url() : url, { etag });
      failures = 0;
      const changed = answer.status !== 304;
      if (changed) {
        etag = answer.etag;
        data = answer.data;
      }
      next = onAnswer(data, changed);
    } catch (error) {
      failures += 1;
      // What the page shows may have changed with the failure (a "no connection" line): the next answer
      // comes in full.
      etag = null;
      next = onError(error, failures);
      if (next === undefined) next = Math.min(backoff.first * 2 ** (failures - 1), backoff.max);
    } finally {
      asking = false;
    }
    if (again) { again = false; ask(); return; }
    after(next ?? everyMs());
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) { clearTimeout(timer); timer = null; } else ask();
  });
  after(firstIn ?? everyMs());
  return {
    now: ask,
    after,
    stop() { stopped = true; clearTimeout(timer); timer = null; },
  };
}
