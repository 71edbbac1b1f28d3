// Waiting page: show the creator their play link, and poll until the winner is known.

import { toast } from './lib/errors.js';
import { followLive } from './lib/live.js';
import { copyText, readJsonScript } from './lib/page.js';
import { showWinner } from './lib/winner.js';

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
  await copyText(playLink);
  copyButton.textContent = 'Скопировано ✓';
  toast('Ссылка скопирована — отправьте её тому, кто будет крутить', 'success');
  setTimeout(() => { copyButton.textContent = 'Скопировать'; }, 2500);
});

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
const lotteryUrl = `/api/lotteries/${encodeURIComponent(lottery.id)}`;
const live = followLive(lotteryUrl, `${lotteryUrl}/events`, {
  every: POLL_MS,
  backoff: { first: 2 * POLL_MS, max: MAX_BACKOFF_MS },
  onAnswer(data, changed) {
    if (changed && data.winner) {
      live.stop(); // drawn: nothing more to wait for
      announce(data.winner);
    }
  },
  onError(error) {
    if (error.status !== 404) return;
    live.stop();
    document.getElementById('draw-status-text').textContent = 'Эту лотерею удалили.';
  },
});
