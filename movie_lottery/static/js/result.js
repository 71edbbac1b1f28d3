// Result page: recompute the commitment and the winner in the browser (Web Crypto) and say if they match;
// the rating of a watched winner and, for the admin, the library buttons.

import { setupLibraryAdd } from './lib/library-add.js';
import { readJsonScript } from './lib/page.js';
import { setupRating } from './lib/rating.js';
import { canVerify, pickIndex as winnerIndex, sha256Hex } from './lib/reel.js';

const lottery = readJsonScript('lottery-data');
const verdict = document.getElementById('verdict');

async function verify() {
  if (!canVerify()) {
    verdict.textContent = 'Браузер не умеет считать SHA-256 на этой странице (нужен HTTPS). Проверьте вручную — инструкция ниже.';
    return;
  }
  const names = lottery.movies.map((m) => m.name);
  const commitmentOk = (await sha256Hex(lottery.seed)) === lottery.commitment;
  const index = await winnerIndex(lottery.seed, lottery.id, names);
  const winnerOk = index === lottery.winner.position;
  if (commitmentOk && winnerOk) {
    verdict.dataset.state = 'ok';
    verdict.textContent = `✓ Всё сходится: раскрытое число совпадает с отпечатком, и формула выбирает «${names[index]}».`;
  } else {
    verdict.dataset.state = 'bad';
    verdict.textContent = commitmentOk
      ? `✗ Не сходится: по формуле выходит «${names[index]}», а объявлен «${lottery.winner.name}».`
      : '✗ Не сходится: раскрытый seed не даёт опубликованный отпечаток.';
  }
}

verify();
const rating = document.getElementById('rating');
if (rating) setupRating(rating);
setupLibraryAdd(lottery.movies);
