// How a page tells people what happened: the message beside a form, and toasts (also across a reload).

/** The message in ``node`` (a form's error line), or hide the line when there is none. */
export function showError(node, message) {
  if (!node) return;
  node.textContent = message || '';
  node.hidden = !message;
}

export function toast(message, kind = 'info', timeout = 5000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = document.createElement('div');
  item.className = `toast toast--${kind}`;
  item.textContent = message;
  box.append(item);
  setTimeout(() => item.remove(), timeout);
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
