// Waiting page: show the creator their play link, and keep up with the lottery (pushed, or polled where
// streams fail). When the draw comes, this page spins the same reel and lands at the draw's ``lands_at`` by
// the server's clock — with the spinner's page — and only then names the winner. A page that learns of the
// draw after that moment (a latecomer) names it at once and offers «Посмотреть ещё раз».

import { toast } from './lib/errors.js';
import { followLive } from './lib/live.js';
import { copyText, prefersReducedMotion, readJsonScript } from './lib/page.js';
import { makeReel, serverClock } from './lib/reel.js';
import { showWinner } from './lib/winner.js';

const lottery = readJsonScript('lottery-data');
const msUntil = serverClock(lottery.now);
const POLL_MS = 2500;
const MAX_BACKOFF_MS = 30000;
const SPIN_MS = lottery.spin_ms; // the server's spin (REEL_SPIN_MS): the strip is made long enough for it

const sharePanel = document.getElementById('share-panel');
const playLink = document.getElementById('play-link');
const copyButton = document.getElementById('copy-play-link');
const telegram = document.getElementById('telegram-share');
const stage = document.getElementById('reel-stage');
const replayButton = document.getElementById('replay-reel');
const reel = makeReel(document.getElementById('reel'), { longestMs: SPIN_MS });
let drawn = false;

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

function hideShare() {
  const focusWasInPanel = sharePanel.contains(document.activeElement);
  sharePanel.hidden = true;
  return focusWasInPanel;
}

function announce(winner) {
  document.querySelector('.pulse')?.remove();
  document.getElementById('waiting-heading').textContent = 'Барабан остановился!';
  document.getElementById('draw-status-text').textContent = `Победитель — «${winner.name}».`;
  showWinner(document.getElementById('winner-slot'), document.getElementById('winner-template'), winner);
  replayButton.hidden = false;
  if (hideShare()) { // its buttons go away: the focus moves on to the winner, not to the page's start
    const heading = document.querySelector('#winner-slot [data-testid="winner-name"]');
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** The draw is known: spin until its ``lands_at`` and name the winner then — or at once, if that has passed. */
async function drawnNow(data) {
  if (drawn) return;
  drawn = true;
  const left = msUntil(data.reel.lands_at);
  stage.hidden = false;
  if (left <= 0) {
    reel.settle(data.winner.position);
    announce(data.winner);
    return;
  }
  hideShare();
  document.getElementById('waiting-heading').textContent = 'Крутим барабан!';
  document.getElementById('draw-status-text').textContent = 'Барабан крутится — смотрите, где остановится.';
  stage.setAttribute('aria-busy', 'true');
  stage.scrollIntoView({ behavior: prefersReducedMotion() ? 'auto' : 'smooth', block: 'center' });
  reel.start();
  await reel.land(data.winner.position, left);
  stage.setAttribute('aria-busy', 'false');
  announce(data.winner);
}

replayButton.addEventListener('click', () => {
  reel.replay(lottery.winner.position);
});

setupShare();
if (lottery.winner) {
  drawnNow(lottery); // opened mid-spin (the server sends a landed lottery's result page instead)
} else {
  const lotteryUrl = `/api/lotteries/${encodeURIComponent(lottery.id)}`;
  const live = followLive(lotteryUrl, `${lotteryUrl}/events`, {
    every: POLL_MS,
    backoff: { first: 2 * POLL_MS, max: MAX_BACKOFF_MS },
    onAnswer(data, changed) {
      if (changed && data.winner) {
        live.stop(); // drawn: nothing more to wait for
        lottery.winner = data.winner;
        drawnNow(data);
      }
    },
    onError(error) {
      if (error.status !== 404) return;
      live.stop();
      document.getElementById('draw-status-text').textContent = 'Эту лотерею удалили.';
    },
  });
}
