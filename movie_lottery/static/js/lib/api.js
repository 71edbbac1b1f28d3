// The one way pages talk to the server from scripts: JSON in and out (or a page's own form, sent as the
// form would be), the CSRF header, errors as ApiError. Inside Telegram every call also carries the Mini App's
// signed init data (Authorization: tma …): the server then knows the person by their Telegram account.

import { telegram } from './telegram.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

async function send(path, { method, headers, body, signal, etag }) {
  if (etag) headers['If-None-Match'] = etag;
  if (telegram) headers.Authorization = `tma ${telegram.initData}`;
  let response;
  try {
    response = await fetch(path, { method, headers, signal, body, credentials: 'same-origin' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.');
  }
  if (response.status === 304) return { status: 304, data: null, etag };
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'http_error',
      error.message || `Ошибка сервера (${response.status}). Попробуйте ещё раз.`, error.details);
  }
  return { status: response.status, data, etag: response.headers.get('ETag') };
}

export async function api(path, { method = 'GET', body, etag, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    // Every write says JSON, even with no body: what no page on another site can send (and the server takes
    // it from a browser without cookies too); with the session cookie it must also carry the page's token.
    headers['Content-Type'] = 'application/json';
    headers['X-CSRFToken'] = csrfToken();
  }
  return send(path, { method, headers, signal, etag, body: body === undefined ? undefined : JSON.stringify(body) });
}

/**
 * Send a page's own form as the browser would (same fields, same address, the token it carries), asking for
 * JSON instead of a redirect: the page's handler then answers with what changed.
 */
export async function submitForm(form, submitter = null) {
  const fields = new FormData(form, submitter);
  const path = submitter && submitter.hasAttribute('formaction') ? submitter.formAction : form.action;
  const headers = {
    Accept: 'application/json',
    'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
    'X-CSRFToken': csrfToken(),
  };
  return send(path, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
}
