// Play page: one press, the server draws, and the reel decelerates onto the server's winner.

import { api } from './api.js';
import { prefersReducedMotion, readJsonScript, toast, watchPosters } from './common.js';
import { showWinner } from './winner.js';

const lottery = readJsonScript('lottery-data');
const reel = document.getElementById('reel');
const button = document.getElementById('draw-button');
const errorBox = document.getElementById('draw-error');
const SPIN_MS = 6000;
const MIN_ITEMS = 40;

/** Repeat the candidates so the strip is long enough to spin through several times. */
function buildStrip() {
  const originals = [...reel.children];
  const loops = Math.max(4, Math.ceil(MIN_ITEMS / originals.length));
  for (let loop = 1; loop < loops; loop += 1) {
    for (const item of originals) {
      const copy = item.cloneNode(true);
      copy.setAttribute('aria-hidden', 'true');
      reel.append(copy);
    }
  }
  watchPosters(reel);
  return loops;
}

function targetItem(position, loops) {
  const items = reel.querySelectorAll(`.reel__item[data-position="${position}"]`);
  return items[Math.max(0, loops - 2)] || items[items.length - 1];
}

function spinTo(item) {
  const windowWidth = reel.parentElement.clientWidth;
  const offset = item.offsetLeft + item.offsetWidth / 2 - windowWidth / 2;
  const reduced = prefersReducedMotion();
  const animation = reel.animate(
    [{ transform: 'translateX(0)' }, { transform: `translateX(${-offset}px)` }],
    { duration: reduced ? 1 : SPIN_MS, easing: 'cubic-bezier(0.08, 0.6, 0.12, 1)', fill: 'forwards' },
  );
  return animation.finished;
}

async function draw() {
  button.disabled = true;
  button.textContent = 'Крутим…';
  errorBox.hidden = true;
  let result;
  try {
    ({ data: result } = await api(`/api/lotteries/${encodeURIComponent(lottery.id)}/draw`, {
      method: 'POST', body: { token: reel.dataset.token },
    }));
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
    button.disabled = false;
    button.textContent = 'Крутить!';
    return;
  }
  const winner = result.winner;
  const item = targetItem(winner.position, loops);
  await spinTo(item);
  reel.classList.add('is-done');
  item.classList.add('is-winner');
  button.hidden = true;
  showWinner(document.getElementById('winner-slot'), document.getElementById('winner-template'), winner);
  toast(`Смотрим «${winner.name}»!`, 'success');
  document.querySelector('#winner-slot [data-testid="winner-name"]').scrollIntoView({
    behavior: prefersReducedMotion() ? 'auto' : 'smooth', block: 'center',
  });
}

const loops = buildStrip();
button.addEventListener('click', draw);
