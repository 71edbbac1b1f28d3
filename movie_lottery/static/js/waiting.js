// Waiting page: show the creator their play link, and keep up with the lottery (pushed, or polled where
// streams fail). When the draw comes, this page spins the same reel and lands at the draw's ``lands_at`` by
// the server's clock — with the spinner's page — and only then names the winner. A page that learns of the
// draw after that moment (a latecomer) names it at once and offers «Посмотреть ещё раз».

import { followLive } from './lib/live.js';
import { prefersReducedMotion, readJsonScript } from './lib/page.js';
import { makeReel, serverClock } from './lib/reel.js';
import { setShareUrl } from './lib/share.js';
import { showWinner } from './lib/winner.js';

const lottery = readJsonScript('lottery-data');
const msUntil = serverClock(lottery.now);
const POLL_MS = 2500;
const MAX_BACKOFF_MS = 30000;
const SPIN_MS = lottery.spin_ms; // the server's spin (REEL_SPIN_MS): the strip is made long enough for it

const sharePanel = document.getElementById('share-panel');
const spinHere = document.getElementById('spin-here');
const stage = document.getElementById('reel-stage');
const replayButton = document.getElementById('replay-reel');
const reel = makeReel(document.getElementById('reel'), { longestMs: SPIN_MS });
let drawn = false;

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
  // «после розыгрыша… проверит» is past now: the check is on the result page, one button away.
  document.querySelector('.fairness__line').textContent =
    'Розыгрыш прошёл. «Результат и проверка» покажет, что победителя не подменили: браузер сверит его сам.';
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
