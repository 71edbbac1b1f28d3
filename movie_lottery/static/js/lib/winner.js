// The winner card shared by the waiting and play pages, filled with textContent only.

import { metaText } from './format.js';
import { posterElement } from './posters.js';

export function showWinner(slot, template, winner) {
  const card = template.content.firstElementChild.cloneNode(true);
  if (winner.poster) card.querySelector('.poster').replaceWith(posterElement(winner, 'large'));
  else {  // no title card repeating the heading beside it (partials/poster.html winner_card does the same)
    card.querySelector('.poster').remove();
    card.classList.add('winner-card--no-poster');
  }
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
