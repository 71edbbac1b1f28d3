// «Поделиться» (partials/share.html): the phone's own share sheet where the browser has one (Web Share API),
// otherwise the fallbacks the partial already shows — «Скопировать» and a plain t.me/share link (nothing is
// loaded from Telegram). One listener on the document, so a control the page swaps in later works as well.

import { toast } from './errors.js';
import { copyText } from './page.js';

const TELEGRAM = 'https://t.me/share/url';

/** Does this browser have a share sheet? (Phones, and some desktops; not Chromium on Linux.) */
export const canShareNatively = () => typeof navigator.share === 'function';

if (canShareNatively()) document.documentElement.classList.add('can-share');

/** The t.me link that opens Telegram's «send to…» with the link and a line of text. */
export function telegramHref(url, text) {
  return `${TELEGRAM}?url=${encodeURIComponent(url)}&text=${encodeURIComponent(text)}`;
}

/** Point a share control at another link (the waiting page learns its play link from this browser). */
export function setShareUrl(control, url) {
  control.dataset.shareUrl = url;
  control.querySelector('[data-share-input]').value = url;
  control.querySelector('[data-share-telegram]').href = telegramHref(url, control.dataset.shareText || '');
}

async function shareNatively(control) {
  const { shareUrl: url, shareText: text, shareTitle: title } = control.dataset;
  try {
    await navigator.share({ title, text, url });
  } catch (error) {
    if (error && error.name === 'AbortError') return; // the person closed the sheet: nothing to say
    control.classList.add('share-control--fallback'); // refused (no user gesture, a policy…): the other ways
    control.querySelector('[data-share-copy]').focus();
  }
}

async function copy(control, button) {
  await copyText(control.querySelector('[data-share-input]'));
  button.textContent = 'Скопировано ✓';
  toast(control.dataset.shareCopied || 'Ссылка скопирована', 'success');
  setTimeout(() => { button.textContent = 'Скопировать'; }, 2500);
}

document.addEventListener('click', (event) => {
  const control = event.target.closest('[data-share]');
  if (!control) return;
  if (event.target.closest('[data-share-native]')) shareNatively(control);
  else if (event.target.closest('[data-share-copy]')) copy(control, event.target.closest('[data-share-copy]'));
});
