// Waiting page: show the creator their play link, and poll until the winner is known.

import { api } from './api.js';
import { readJsonScript, toast } from './common.js';
import { showWinner } from './winner.js';

const lottery = readJsonScript('lottery-data');
const POLL_MS = 2500;
const MAX_BACKOFF_MS = 30000;

const sharePanel = document.getElementById('share-panel');
const playLink = document.getElementById('play-link');
const copyButton = document.getElementById('copy-play-link');
const telegram = document.getElementById('telegram-share');

function setupShare() {
  let url = playLink.value;
  if (!url) {
    try { url = localStorage.getItem(`ml:play:${lottery.id}`) || ''; } catch { url = ''; }
  }
  if (!url) return;
  playLink.value = url;
  telegram.href = `https://t.me/share/url?url=${encodeURIComponent(url)}&text=${encodeURIComponent('Крути барабан — выбираем фильм на вечер!')}`;
  sharePanel.hidden = false;
}

copyButton.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(playLink.value);
  } catch {
    playLink.select();
    document.execCommand('copy');
  }
  copyButton.textContent = 'Скопировано ✓';
  toast('Ссылка скопирована — отправьте её тому, кто будет крутить', 'success');
  setTimeout(() => { copyButton.textContent = 'Скопировать'; }, 2500);
});

let etag = null;
let delay = POLL_MS;

async function poll() {
  if (document.hidden) {
    setTimeout(poll, POLL_MS);
    return;
  }
  try {
    const response = await api(`/api/lotteries/${encodeURIComponent(lottery.id)}`, { etag });
    delay = POLL_MS;
    if (response.status !== 304) {
      etag = response.etag;
      if (response.data.winner) {
        announce(response.data.winner);
        return; // drawn: stop polling
      }
    }
  } catch (error) {
    if (error.status === 404) {
      document.getElementById('draw-status-text').textContent = 'Эту лотерею удалили.';
      return;
    }
    delay = Math.min(delay * 2, MAX_BACKOFF_MS);
  }
  setTimeout(poll, delay);
}

function announce(winner) {
  document.querySelector('.pulse')?.remove();
  document.querySelector('h1').textContent = 'Барабан остановился!';
  document.getElementById('draw-status-text').textContent = `Победитель — «${winner.name}».`;
  showWinner(document.getElementById('winner-slot'), document.getElementById('winner-template'), winner);
  const focusWasInPanel = sharePanel.contains(document.activeElement);
  sharePanel.hidden = true;
  if (focusWasInPanel) { // its buttons go away: the focus moves on to the winner, not to the page's start
    const heading = document.querySelector('#winner-slot [data-testid="winner-name"]');
    heading.tabIndex = -1;
    heading.focus();
  }
}

setupShare();
setTimeout(poll, POLL_MS);
