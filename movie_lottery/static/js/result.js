// Result page: recompute the commitment and the winner in the browser (Web Crypto) and say if they match;
// the rating of a watched winner and, for the admin, the library buttons.

import { setupLibraryAdd } from './lib/library-add.js';
import { readJsonScript } from './lib/page.js';
import { setupRating } from './lib/rating.js';
import { HONEST, NO_CHECK_HERE, notHonest } from './lib/honesty.js';
import { canVerify, makeReel, pickIndex as winnerIndex, sha256Hex } from './lib/reel.js';

const lottery = readJsonScript('lottery-data');
const verdict = document.getElementById('verdict');

async function verify() {
  if (!canVerify()) {
    verdict.textContent = NO_CHECK_HERE;
    return;
  }
  const names = lottery.movies.map((m) => m.name);
  const commitmentOk = (await sha256Hex(lottery.seed)) === lottery.commitment;
  const index = await winnerIndex(lottery.seed, lottery.id, names);
  const winnerOk = index === lottery.winner.position;
  verdict.dataset.state = commitmentOk && winnerOk ? 'ok' : 'bad';
  if (commitmentOk && winnerOk) verdict.textContent = HONEST;
  else if (commitmentOk) verdict.textContent = notHonest(`по правилу выходит «${names[index]}», а объявлен «${lottery.winner.name}»`);
  else verdict.textContent = notHonest('раскрытое число не даёт отпечаток, показанный до розыгрыша');
}

verify();
const rating = document.getElementById('rating');
if (rating) setupRating(rating);
setupLibraryAdd(lottery.movies);

// «Посмотреть ещё раз»: the reel spins again and stops on the winner, as it did for everyone at the draw.
const stage = document.getElementById('reel-stage');
const reel = makeReel(document.getElementById('reel'), { longestMs: lottery.reel.spin_ms });
document.getElementById('replay-reel').addEventListener('click', () => {
  stage.hidden = false;
  reel.replay(lottery.winner.position, lottery.reel.spin_ms);
});
