// Play page: one press, the reel spins while the server draws, then decelerates onto the server's winner and
// stops at the draw's ``lands_at`` — the moment every open waiting page's reel stops too.

import { api } from './lib/api.js';
import { toast } from './lib/errors.js';
import { prefersReducedMotion, readJsonScript } from './lib/page.js';
import { makeReel, serverClock } from './lib/reel.js';
import { showWinner } from './lib/winner.js';

const lottery = readJsonScript('lottery-data');
const msUntil = serverClock(lottery.now);
const stage = document.querySelector('.reel-stage');
const strip = document.getElementById('reel');
const button = document.getElementById('draw-button');
const errorBox = document.getElementById('draw-error');
const SPIN_MS = lottery.spin_ms; // the server's spin (REEL_SPIN_MS): the strip is made long enough for it
const reel = makeReel(strip, { longestMs: SPIN_MS });
let busy = false;

function setBusy(value) {
  busy = value;
  // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page's start.
  button.setAttribute('aria-disabled', String(value));
  stage.setAttribute('aria-busy', String(value));
  button.textContent = value ? 'Крутим…' : 'Крутить!';
}

async function draw() {
  if (busy) return;
  setBusy(true);
  errorBox.hidden = true;
  reel.start();
  let result;
  try {
    ({ data: result } = await api(`/api/lotteries/${encodeURIComponent(lottery.id)}/draw`, {
      method: 'POST', body: { token: strip.dataset.token },
    }));
  } catch (error) {
    reel.stop();
    errorBox.textContent = error.message;
    errorBox.hidden = false;
    setBusy(false);
    return;
  }
  const winner = result.winner;
  await reel.land(winner.position, msUntil(result.reel.lands_at));
  stage.setAttribute('aria-busy', 'false');
  // The turn is taken: no «Ваш ход!» above a stopped reel.
  document.getElementById('play-heading').textContent = 'Барабан остановился!';
  document.getElementById('play-lead').hidden = true;
  showWinner(document.getElementById('winner-slot'), document.getElementById('winner-template'), winner);
  // The pressed button goes away: the keyboard focus moves to what it brought, not to the page's start.
  const heading = document.querySelector('#winner-slot [data-testid="winner-name"]');
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
  button.hidden = true;
  toast(`Смотрим «${winner.name}»!`, 'success');
  heading.scrollIntoView({ behavior: prefersReducedMotion() ? 'auto' : 'smooth', block: 'center' });
}

reel.lengthen();
button.addEventListener('click', draw);
