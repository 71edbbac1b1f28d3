// The one way pages talk to the JSON API: JSON in and out, the CSRF header, errors as ApiError.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

export async function api(path, { method = 'GET', body, etag, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    // Every write says JSON, even with no body: what no page on another site can send (and the server takes
    // it from a browser without cookies too); with the session cookie it must also carry the page's token.
    headers['Content-Type'] = 'application/json';
    headers['X-CSRFToken'] = csrfToken();
  }
  if (etag) headers['If-None-Match'] = etag;
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
