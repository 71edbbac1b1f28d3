// Waiting page: show the creator their play link, and poll until the winner is known.

import { followLive } from './lib/live.js';
import { readJsonScript } from './lib/page.js';
import { setShareUrl } from './lib/share.js';
import { showWinner } from './lib/winner.js';

const lottery = readJsonScript('lottery-data');
const POLL_MS = 2500;
const MAX_BACKOFF_MS = 30000;

const sharePanel = document.getElementById('share-panel');
const spinHere = document.getElementById('spin-here');

/** The owner's play link: the page's own, or the one this browser kept when it created the lottery. */
function setupShare() {
  let url = document.getElementById('play-link').value;
  if (!url) {
    try { url = localStorage.getItem(`ml:play:${lottery.id}`) || ''; } catch { url = ''; }
  }
  if (!url) return;
  setShareUrl(sharePanel.querySelector('[data-share]'), url);
  spinHere.href = url;
  sharePanel.hidden = false;
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
