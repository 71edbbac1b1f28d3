// A lottery's result page and a closed poll's results (partials/winner_actions.html): "В библиотеку" for the
// winner, "+ в библиотеку" for the other candidates of a lottery, and «Посмотрели» (admin only).

import { api } from './api.js';
import { toast, toastAfterReload } from './errors.js';
import { localToday } from './format.js';

/** Make the page's library buttons and «Посмотрели» form work; ``movies``: the candidates, with positions. */
export function setupLibraryAdd(movies) {
  for (const button of document.querySelectorAll('[data-library-add]')) {
    button.addEventListener('click', async () => {
      const position = Number(button.dataset.libraryAdd);
      const movie = movies.find((m) => m.position === position);
      if (!movie) return;
      button.disabled = true;
      try {
        const { status, data } = await api('/api/library', { method: 'POST', body: movie });
        const created = status === 201;
        const small = button.classList.contains('library-add-small');
        button.textContent = small ? '✓' : created ? 'В библиотеке ✓' : 'Уже в библиотеке ✓';
        button.setAttribute('aria-label', `«${data.name}» в библиотеке`);
        button.title = 'В библиотеке';
        button.classList.add('is-done');
        toast(created ? `«${data.name}» добавлен в библиотеку` : `«${data.name}» уже был в библиотеке — данные обновлены`, 'success');
      } catch (error) {
        button.disabled = false;
        toast(error.message, 'error');
      }
    });
  }

  // «Посмотрели» (admin): the winner gets a viewing on the chosen day through the API named in data-api; the
  // page then shows the day as the server words it, and the message survives the reload.
  const watched = document.getElementById('watched-form');
  if (!watched) return;
  const day = watched.querySelector('input[name="date"]');
  const today = localToday();
  day.max = today; // the viewer's day, which may be ahead of the server's UTC day
  if (day.hasAttribute('data-today-value')) day.value = today;
  watched.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = watched.querySelector('[type="submit"]');
    const [method, path] = watched.dataset.api.split(' ');
    button.disabled = true;
    try {
      const { data } = await api(path, { method, body: { date: day.value || null } });
      toastAfterReload(`«${data.name}»: посмотрели — записано в библиотеке`, 'success');
      window.location.reload();
    } catch (error) {
      button.disabled = false;
      toast(error.message, 'error');
    }
  });
}
