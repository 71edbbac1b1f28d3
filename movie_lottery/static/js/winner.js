// The winner card shared by the waiting and play pages, filled with textContent only.

import { metaText, posterElement } from './common.js';

export function showWinner(slot, template, winner) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.querySelector('.poster').replaceWith(posterElement(winner, 'large'));
  card.querySelector('[data-testid="winner-name"]').textContent = winner.name;
  card.querySelector('.movie-meta').textContent = metaText(winner);
  const description = card.querySelector('.winner-card__description');
  if (description) {
    description.textContent = winner.description || '';
    description.hidden = !winner.description;
  }
  slot.replaceChildren(card);
  slot.hidden = false;
}
