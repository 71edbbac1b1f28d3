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

const STREAM_FAILURES_BEFORE_POLLING = 3; // failed connects in a row: the stream is not working here

/**
 * Keep up with ``url`` through the server's event stream at ``eventsUrl``: each event carries the same JSON
 * ``url`` answers, pushed the moment it changes. Falls back to ``keepLive(url, options)`` when the browser
 * has no EventSource, the server refuses the stream (503: too many, 404: gone — the polling then sees the
 * 404 itself) or it drops again and again without an event in between.
 *
 * The browser reconnects a dropped stream on its own and sends ``Last-Event-ID``: the server then sends the
 * current state if it differs from the last one seen, so nothing is missed.
 *
 * Options are keepLive's, plus ``onEvent(data, handle)``: what to do with an event instead of
 * ``onAnswer(data, true)`` — e.g. ``handle.now()`` when the page needs its own address's answer and the event
 * only says that something moved (the poll's parts, the library's cards).
 * Returns the same { now(), after(ms), stop() }.
 */
export function followLive(url, eventsUrl, options) {
  if (typeof EventSource !== 'function') return keepLive(url, options);
  const { onAnswer, onError = () => undefined } = options;
  const onEvent = options.onEvent ?? ((state) => onAnswer(state, true));
  let source = null;
  let fallback = null;
  let stopped = false;
  let drops = 0;
  let timer = null;

  function poll() {
    if (source) { source.close(); source = null; }
    if (!stopped && !fallback) fallback = keepLive(url, { ...options, firstIn: 0 });
  }

  let etag = null;
  let data = null;
  let asking = false;
  let again = false;

  /** One ask of ``url`` (an event that only says "something moved", a write of the page's own): its
   * answer goes to onAnswer as keepLive's would. */
  async function askOnce() {
    if (stopped) return;
    if (asking) { again = true; return; }
    asking = true;
    try {
      const answer = await api(typeof url === 'function' ? url() : url, { etag });
      const changed = answer.status !== 304;
      if (changed) { etag = answer.etag; data = answer.data; }
      if (!stopped) onAnswer(data, changed);
    } catch (error) {
      etag = null;
      if (!stopped) onError(error, 1);
    } finally {
      asking = false;
    }
    if (again) { again = false; askOnce(); }
  }

  source = new EventSource(typeof eventsUrl === 'function' ? eventsUrl() : eventsUrl);
  source.addEventListener('message', (event) => {
    drops = 0;
    if (stopped) return;
    let state;
    try { state = JSON.parse(event.data); } catch { return; }
    onEvent(state, handle);
  });
  source.addEventListener('open', () => { drops = 0; }); // the server answered with a stream: it works here
  source.addEventListener('error', () => {
    if (stopped || !source) return;
    // CLOSED: the server answered with an error (503, 404…) and the browser gave up; CONNECTING: a drop that
    // the browser retries by itself, with Last-Event-ID.
    drops += 1;
    if (source.readyState === EventSource.CLOSED || drops >= STREAM_FAILURES_BEFORE_POLLING) poll();
  });

  const handle = {
    now() { if (fallback) fallback.now(); else askOnce(); },
    after(ms) {
      if (fallback) { fallback.after(ms); return; }
      clearTimeout(timer);
      timer = setTimeout(askOnce, ms);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (source) { source.close(); source = null; }
      if (fallback) fallback.stop();
    },
  };
  return handle;
}
