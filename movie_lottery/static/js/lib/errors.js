// How a page tells people what happened: the message beside a form, and toasts (also across a reload).

/** The message in ``node`` (a form's error line), or hide the line when there is none. */
export function showError(node, message) {
  if (!node) return;
  node.textContent = message || '';
  node.hidden = !message;
}

let shown = null; // { item, message, kind, timer }: one toast at a time

/** Say something in the corner: a new message replaces the one shown; the same message again only stays
 *  longer (three saves in a row give one toast, not three stacked over the page). */
export function toast(message, kind = 'info', timeout = 5000) {
  const box = document.getElementById('toasts');
  if (!box || !message) return;
  if (shown && shown.item.isConnected && shown.message === message && shown.kind === kind) {
    clearTimeout(shown.timer);
    shown.timer = setTimeout(() => shown?.item.remove(), timeout);
    return;
  }
  if (shown) { clearTimeout(shown.timer); shown.item.remove(); }
  const item = document.createElement('div');
  item.className = `toast toast--${kind}`;
  const text = document.createElement('span');
  text.className = 'toast__text';
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'icon-button toast__close';
  close.setAttribute('aria-label', 'Закрыть сообщение');
  item.append(text, close);
  box.replaceChildren(item);
  const current = { item, message, kind, timer: 0 };
  const remove = () => { clearTimeout(current.timer); item.remove(); if (shown === current) shown = null; };
  close.addEventListener('click', remove);
  current.timer = setTimeout(remove, timeout);
  shown = current;
}

const PENDING_TOAST_KEY = 'ml:toast';

/** A message for the next page of this tab: shown there, where it can be read, instead of dying here. */
export function toastAfterReload(message, kind = 'info') {
  try { sessionStorage.setItem(PENDING_TOAST_KEY, JSON.stringify({ message, kind })); } catch { /* private mode */ }
}

export function showPendingToast() {
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_TOAST_KEY) || 'null');
    sessionStorage.removeItem(PENDING_TOAST_KEY);
  } catch { /* nothing to show */ }
  if (pending && typeof pending.message === 'string') toast(pending.message, pending.kind, 8000);
}
